/**
 * The records of the file layer (`struct inode`, `struct file` with its `file_ra_state`, a page read in
 * flight), as the world's hot tables hold them (world/tables.ts). Data only: the operations on them are
 * in files.ts, filemap.ts, readahead.ts, write.ts, fadvise.ts and io.ts.
 */
import type { Content, Overlay } from './content.ts';

export type Ino = number;
export type FileId = number;

/*
 * Inodes, open files (and dynptrs and FILE dynptr states, dynptr/) are records the model replaces rather than
 * changes: class instances with read-only fields, shared between worlds (they live in the hot tables,
 * tables.ts). To change one, store a new one. The records made on every call (open files, LOCAL
 * dynptrs, FILE dynptr states) are not frozen at run time: `Object.freeze` costs more than the rest of
 * an adjust (bench/README.md). Their types are read-only, and test/world.test.ts checks that no
 * transition changes the world it started from.
 */

/**
 * The backing device's readahead limits (`struct backing_dev_info`): `ra_pages` is
 * `/sys/block/<dev>/queue/read_ahead_kb` / 4 (default 128 KiB = 32 pages, `VM_READAHEAD_PAGES`;
 * `blk_apply_bdi_limits` raises it to twice the device's optimal I/O size, 8192 KiB on a virtio disk
 * that reports 4 MiB), `io_pages` is `max_sectors_kb` / 4 (the model's default 1280 KiB, the block
 * layer's usual `max_sectors_kb`).
 */
export interface Bdi {
  readonly raPages: number;
  readonly ioPages: number;
}

export interface InodeFields {
  readonly ino: Ino;
  readonly path: string;
  /** `i_size`, up to 2^63 - 1 (`loff_t`). */
  readonly size: bigint;
  /** What the file held when it was created. */
  readonly content: Content;
  /** What writes and truncations changed since (null: nothing). */
  readonly overlay: Overlay | null;
  /** A secretmem-style mapping: file dynptr reads refuse it (`secretmem_mapping`). */
  readonly secretmem: boolean;
  /** Virtual ticks one folio read takes. */
  readonly ioLatency: number;
  /** The backing device's readahead limits (read when a file is opened, `file_ra_state_init`). */
  readonly bdi: Bdi;
  /**
   * `mapping_max_folio_order`: 0 when the filesystem makes only order-0 folios; ext4 on 6.16+ allows
   * large folios (order up to 9 on x86-64), which async readahead makes (`page_cache_ra_order`).
   */
  readonly maxFolioOrder: number;
  /** The filesystem block size (`i_blkbits`): 4096 by default; mke2fs picks 1024 for small filesystems. */
  readonly blockSize: number;
}

export class Inode implements InodeFields {
  readonly ino!: Ino;
  readonly path!: string;
  readonly size!: bigint;
  readonly content!: Content;
  readonly overlay!: Overlay | null;
  readonly secretmem!: boolean;
  readonly ioLatency!: number;
  readonly bdi!: Bdi;
  readonly maxFolioOrder!: number;
  readonly blockSize!: number;
  constructor(fields: InodeFields) {
    Object.assign(this, fields);
    Object.freeze(this);
  }

  with(patch: Partial<InodeFields>): Inode {
    return new Inode({ ...this, ...patch });
  }
}

/** `f_mode` bits the model uses (include/linux/fs.h). */
export const FMODE_READ = 1 << 0;
export const FMODE_WRITE = 1 << 1;
export const FMODE_EXEC = 1 << 5;
export const FMODE_RANDOM = 1 << 12;
export const FMODE_CAN_READ = 1 << 17;
export const FMODE_CAN_WRITE = 1 << 18;
export const FMODE_OPENED = 1 << 19;
export const FMODE_NOREUSE = 1 << 23;

/**
 * `struct file_ra_state` (include/linux/fs.h): the readahead window last started (`start`, `size`,
 * `async_size`, the folio `order` it used), the file's readahead limit `ra_pages`, and `prev_pos`,
 * the position just past the last byte the previous read copied (-1 for a fresh file).
 */
export interface RaState {
  readonly start: number;
  readonly size: number;
  readonly asyncSize: number;
  readonly order: number;
  readonly raPages: number;
  readonly prevPos: bigint;
}

export interface FileFields {
  readonly id: FileId;
  readonly ino: Ino;
  readonly f_count: number;
  readonly freed: boolean;
  /** `f_mode` (FMODE_* bits). */
  readonly fmode: number;
  /** `O_APPEND` in `f_flags`: every write goes to the end of the file. */
  readonly append: boolean;
  /** `f_pos`, for `write(2)`. */
  readonly pos: bigint;
  readonly ra: RaState;
}

/** `struct file`: an open file with its reference count. A freed file stays as a tombstone. */
export class FileObj implements FileFields {
  readonly id!: FileId;
  readonly ino!: Ino;
  readonly f_count!: number;
  readonly freed!: boolean;
  readonly fmode!: number;
  readonly append!: boolean;
  readonly pos!: bigint;
  readonly ra!: RaState;
  constructor(fields: FileFields) {
    this.id = fields.id;
    this.ino = fields.ino;
    this.f_count = fields.f_count;
    this.freed = fields.freed;
    this.fmode = fields.fmode;
    this.append = fields.append;
    this.pos = fields.pos;
    this.ra = fields.ra;
  }

  /** This file with `patch`'s fields in place of its own (no field of a file is undefined, so an absent one keeps this file's). */
  with(patch: Partial<FileFields>): FileObj {
    return new FileObj({
      id: patch.id ?? this.id, ino: patch.ino ?? this.ino, f_count: patch.f_count ?? this.f_count, freed: patch.freed ?? this.freed,
      fmode: patch.fmode ?? this.fmode, append: patch.append ?? this.append, pos: patch.pos ?? this.pos, ra: patch.ra ?? this.ra,
    });
  }
}

/** A folio read in flight. Whether it fails was decided when it was submitted (injected errors). */
export interface IoRequest {
  ino: Ino;
  /** The folio's head page and number of pages. */
  pgoff: number;
  nr: number;
  submittedAt: number;
  completesAt: number;
  ok: boolean;
  /** A read of some blocks only (buffer heads): the page's uptodate blocks before and after it, of `n`. */
  blocks?: { readonly before: number; readonly after: number; readonly n: number };
}

export const ioKey = (ino: Ino, pgoff: number): string => `${ino}:${pgoff}`;
