/**
 * The records of the file layer (`struct inode`, `struct file`, a page read in flight), as the world's
 * hot tables hold them (world/tables.ts). Data only: the operations on them are in files.ts and io.ts.
 */
import type { Content } from './content.ts';

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

export interface InodeFields {
  readonly ino: Ino;
  readonly path: string;
  /** `i_size`, up to 2^63 - 1 (`loff_t`). */
  readonly size: bigint;
  readonly content: Content;
  /** A secretmem-style mapping: file dynptr reads refuse it (`secretmem_mapping`). */
  readonly secretmem: boolean;
  /** Virtual ticks one page read takes. */
  readonly ioLatency: number;
}

export class Inode implements InodeFields {
  readonly ino!: Ino;
  readonly path!: string;
  readonly size!: bigint;
  readonly content!: Content;
  readonly secretmem!: boolean;
  readonly ioLatency!: number;
  constructor(fields: InodeFields) {
    Object.assign(this, fields);
    Object.freeze(this);
  }
}

export interface FileFields {
  readonly id: FileId;
  readonly ino: Ino;
  readonly f_count: number;
  readonly freed: boolean;
  /** Inside its `security_file_open` hook (the open has not returned yet). */
  readonly opening: boolean;
}

/** `struct file`: an open file with its reference count. A freed file stays as a tombstone. */
export class FileObj implements FileFields {
  readonly id!: FileId;
  readonly ino!: Ino;
  readonly f_count!: number;
  readonly freed!: boolean;
  readonly opening!: boolean;
  constructor(fields: FileFields) {
    Object.assign(this, fields);
  }

  with(patch: Partial<FileFields>): FileObj {
    return new FileObj({ ...this, ...patch });
  }
}

/** A page read in flight. Whether it fails was decided when it was submitted (injected errors). */
export interface IoRequest {
  ino: Ino;
  pgoff: number;
  submittedAt: number;
  completesAt: number;
  ok: boolean;
}

export const ioKey = (ino: Ino, pgoff: number): string => `${ino}:${pgoff}`;
