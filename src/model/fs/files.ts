/**
 * Inodes and open files (`struct inode`, `struct file`; fs/open.c, fs/file_table.c).
 * A file starts with `f_count` 1 for its opener; `get_file` takes a reference and `fput` drops one;
 * at zero the file is freed. A freed file stays in the world as a tombstone so that a later use is
 * detected (`UseAfterFreeError`) rather than silently working.
 *
 * Opening follows fs/open.c `do_dentry_open`: the access mode gives `FMODE_READ`/`FMODE_WRITE`
 * (`OPEN_FMODE`), then `security_file_open` runs the `lsm/file_open` programs, and only after it returns
 * does the file get `FMODE_OPENED`, `FMODE_CAN_READ` / `FMODE_CAN_WRITE` (the file's operations have
 * `read_iter` / `write_iter`) and its readahead state (`file_ra_state_init`: `ra_pages` from the backing
 * device, `prev_pos` -1). `openFile` makes the file as `security_file_open` sees it; `finishOpen` is
 * the rest.
 */
import type { Mapping } from '../../pagecache/index.ts';
import { contentLength, content as contents, type Content } from './content.ts';
import { ArgumentError, UnknownHandleError, UseAfterFreeError } from '../kernel/errors.ts';
import { S64_MAX } from '../kernel/ctypes.ts';
import { FileObj, FMODE_CAN_READ, FMODE_CAN_WRITE, FMODE_OPENED, FMODE_READ, FMODE_WRITE, Inode, type Bdi, type FileId, type Ino, type RaState } from './types.ts';
import { checkKern, defer, emitFile, type Kern } from '../world/world.ts';
import { describeOpenFlags, O_RDONLY, type OpenFlags } from './open_flags.ts';

export { describeOpenFlags, O_RDONLY, parseOpenFlags, type OpenFlags } from './open_flags.ts';
import { z } from 'zod';
import { checkShape, checkString } from '../kernel/args.ts';

export interface NewFile {
  readonly path: string;
  /** Bytes, a seeded pattern or zeros (default: zeros). */
  readonly content?: Content;
  /** `i_size`; defaults to the length of `bytes` content. Required for pattern and zero content. */
  readonly size?: number | bigint;
  readonly secretmem?: boolean;
  /** Virtual ticks per page read (default 100). */
  readonly ioLatency?: number;
  /** The device's `read_ahead_kb` (default 128, `VM_READAHEAD_PAGES`); a multiple of 4. */
  readonly readAheadKb?: number;
  /** The device's `max_sectors_kb` (default 1280); a multiple of 4. */
  readonly maxSectorsKb?: number;
  /** `mapping_max_folio_order` of the filesystem (default 0: order-0 folios only; ext4 on 6.16+: 9). */
  readonly maxFolioOrder?: number;
  /** The filesystem block size (default 4096): 512, 1024, 2048 or 4096. */
  readonly blockSize?: number;
}

export const DEFAULT_IO_LATENCY = 100;

/** The shape of a `NewFile` (the values are checked below, each naming its field). */
const NewFileSchema = z.strictObject({
  path: z.string(),
  content: z.union([
    z.strictObject({ kind: z.literal('bytes'), bytes: z.instanceof(Uint8Array) }),
    z.strictObject({ kind: z.literal('pattern'), seed: z.int().min(0).max(0xffff_ffff) }),
    z.strictObject({ kind: z.literal('zero') }),
  ]).meta({ description: 'a Content (content.bytes(u8), content.pattern(seed), content.zero())' }).optional(),
  size: z.union([z.number(), z.bigint()]).optional(),
  secretmem: z.boolean().optional(),
  ioLatency: z.number().optional(),
  readAheadKb: z.number().optional(),
  maxSectorsKb: z.number().optional(),
  maxFolioOrder: z.number().optional(),
  blockSize: z.number().optional(),
});
export const DEFAULT_READ_AHEAD_KB = 128;
export const DEFAULT_MAX_SECTORS_KB = 1280;

function kbToPages(kb: number, argument: string): number {
  if (!Number.isSafeInteger(kb) || kb < 0 || kb % 4 !== 0 || kb > 1 << 30) {
    throw new ArgumentError(argument, kb, 'a non-negative multiple of 4 KiB, at most 2^30');
  }
  return kb / 4;
}

/** The backing device of a new inode, from the file spec. */
function bdiOf(spec: NewFile): Bdi {
  return {
    raPages: kbToPages(spec.readAheadKb ?? DEFAULT_READ_AHEAD_KB, 'readAheadKb'),
    ioPages: kbToPages(spec.maxSectorsKb ?? DEFAULT_MAX_SECTORS_KB, 'maxSectorsKb'),
  };
}

/** Change the device's `read_ahead_kb` (a sysfs write): files opened later read ahead that far. */
export function setReadAheadKb(k: Kern, path: string, kb: number): void {
  checkKern('k', k);
  checkString('path', path);
  const inode = inodeByPath(k, path);
  k.t.own('inodes').set(inode.ino, inode.with({ bdi: { ...inode.bdi, raPages: kbToPages(kb, 'readAheadKb') } }));
}

/** Create an inode at `path` (`creat`). Returns its inode number. */
export function createInode(k: Kern, spec: NewFile): Ino {
  checkKern('k', k);
  checkShape('spec', NewFileSchema, spec);
  if (typeof spec.path !== 'string' || !spec.path.startsWith('/')) {
    throw new ArgumentError('path', spec.path, 'an absolute path');
  }
  if (k.t.paths.has(spec.path)) throw new ArgumentError('path', spec.path, 'a path not yet created');
  const c = spec.content ?? contents.zero();
  const rawSize = spec.size ?? contentLength(c);
  if (rawSize === undefined) throw new ArgumentError('size', spec.size, 'a size for pattern or zero content');
  if (typeof rawSize === 'number' && !Number.isSafeInteger(rawSize)) {
    throw new ArgumentError('size', rawSize, 'an integer size (number or bigint)');
  }
  const size = BigInt(rawSize);
  if (size < 0n || size > S64_MAX) throw new ArgumentError('size', rawSize, 'a size in [0, 2^63 - 1] (loff_t)');
  const ioLatency = spec.ioLatency ?? DEFAULT_IO_LATENCY;
  if (!Number.isSafeInteger(ioLatency) || ioLatency < 0) {
    throw new ArgumentError('ioLatency', ioLatency, 'a non-negative integer number of ticks');
  }
  const maxFolioOrder = spec.maxFolioOrder ?? 0;
  if (!Number.isSafeInteger(maxFolioOrder) || maxFolioOrder < 0 || maxFolioOrder > 11) {
    throw new ArgumentError('maxFolioOrder', maxFolioOrder, 'an integer in [0, 11]');
  }
  const bdi = bdiOf(spec);
  const blockSize = spec.blockSize ?? 4096;
  if (![512, 1024, 2048, 4096].includes(blockSize)) throw new ArgumentError('blockSize', blockSize, 'one of 512, 1024, 2048, 4096');
  const ino = k.t.nextId('ino');
  k.t.own('inodes').set(ino, new Inode({ ino, path: spec.path, size, content: c, overlay: null, secretmem: spec.secretmem ?? false, ioLatency, bdi, maxFolioOrder, blockSize }));
  k.t.own('paths').set(spec.path, ino);
  k.t.addMapping(ino);
  return ino;
}

export function inodeOf(k: Kern, ino: Ino, argument = 'ino'): Inode {
  const inode = k.t.inodes.get(ino) as Inode | undefined;
  if (inode === undefined) throw new UnknownHandleError(argument, ino, 'inode');
  return inode;
}

export function inodeByPath(k: Kern, path: string, argument = 'path'): Inode {
  const ino = k.t.paths.get(path);
  if (ino === undefined) throw new UnknownHandleError(argument, path, 'file at path');
  return inodeOf(k, ino, argument);
}

/** The page cache of inode `ino`, to read or change. */
export function mappingOf(k: Kern, ino: Ino): Mapping {
  return k.t.mapping(ino);
}

/** A readahead state before `file_ra_state_init` (all zero, as the file is allocated). */
const RA_ZERO: RaState = Object.freeze({ start: 0, size: 0, asyncSize: 0, order: 0, raPages: 0, prevPos: 0n });

/**
 * Open `path` up to `security_file_open` (fs/open.c `do_dentry_open`): a new `struct file` with
 * `f_count` 1 and `FMODE_READ`/`FMODE_WRITE` from the access mode, not yet `FMODE_OPENED` nor
 * `FMODE_CAN_READ`. `finishOpen` completes it.
 */
export function allocFile(k: Kern, path: string, flags: OpenFlags = O_RDONLY): FileId {
  checkKern('k', k);
  checkString('path', path);
  const inode = inodeByPath(k, path);
  const id = k.t.nextId('file');
  const fmode = (flags.read ? FMODE_READ : 0) | (flags.write ? FMODE_WRITE : 0);
  k.t.own('files').set(id, new FileObj({ id, ino: inode.ino, f_count: 1, freed: false, fmode, append: flags.append, pos: 0n, ra: RA_ZERO }));
  emitFile(k, 'open', id, path, 1, describeOpenFlags(flags));
  return id;
}

/**
 * The rest of `do_dentry_open` after `security_file_open` returned: `FMODE_OPENED`, `FMODE_CAN_READ` /
 * `FMODE_CAN_WRITE` (regular files have `read_iter` and `write_iter`), and `file_ra_state_init`.
 */
export function finishOpen(k: Kern, id: FileId): void {
  const f = liveFile(k, id);
  const inode = inodeOf(k, f.ino);
  const fmode = f.fmode | FMODE_OPENED | ((f.fmode & FMODE_READ) !== 0 ? FMODE_CAN_READ : 0) | ((f.fmode & FMODE_WRITE) !== 0 ? FMODE_CAN_WRITE : 0);
  k.t.own('files').set(id, f.with({ fmode, ra: { ...RA_ZERO, raPages: inode.bdi.raPages, prevPos: -1n } }));
}

/** `filp_open`: open `path` completely, a new `struct file` with `f_count` 1 (no `lsm/file_open` programs run). */
export function openFile(k: Kern, path: string, flags: OpenFlags = O_RDONLY): FileId {
  const id = allocFile(k, path, flags);
  finishOpen(k, id);
  return id;
}

/**
 * The live file `id`; a freed one is a detected use after free, an unknown one a misuse. The error
 * names `argument` followed by `of` (e.g. ' (its file)'), joined only when there is an error.
 */
export function liveFile(k: Kern, id: FileId, argument = 'file', of = ''): FileObj {
  const f = k.t.files.get(id) as FileObj | undefined;
  if (f === undefined) throw new UnknownHandleError(argument + of, id, 'file');
  if (f.freed || f.f_count === 0) throw new UseAfterFreeError(argument + of, `file#${id}${f.freed ? '' : ' (its last reference is gone)'}`);
  return f;
}

/** `get_file`: take a reference. */
export function getFile(k: Kern, id: FileId): void {
  checkKern('k', k);
  const old = liveFile(k, id);
  const f = old.with({ f_count: old.f_count + 1 });
  k.t.own('files').set(id, f);
  emitFile(k, 'get', id, inodeOf(k, f.ino).path, f.f_count);
}

/**
 * `fput`: drop a reference. At zero the file is released: from a task, the release is deferred through
 * the task's task_work (`____fput`), which the layer above queues; without a task, at once.
 */
export function putFile(k: Kern, id: FileId): void {
  checkKern('k', k);
  const old = liveFile(k, id);
  const f = old.with({ f_count: old.f_count - 1 });
  k.t.own('files').set(id, f);
  const path = inodeOf(k, f.ino).path;
  emitFile(k, 'put', id, path, f.f_count);
  if (f.f_count > 0) return;
  if (k.ctx.task !== undefined) defer(k, { kind: 'fput', file: id, task: k.ctx.task });
  else freeFile(k, id);
}

/** `__fput`: the final release of a file whose count reached zero. */
export function freeFile(k: Kern, id: FileId): void {
  const f = k.t.files.get(id) as FileObj | undefined;
  if (f === undefined) throw new UnknownHandleError('file', id, 'file');
  if (f.freed || f.f_count !== 0) throw new UseAfterFreeError('file', `file#${id} (released twice or still referenced)`);
  k.t.own('files').set(id, f.with({ freed: true }));
  emitFile(k, 'free', id, inodeOf(k, f.ino).path, 0);
}
