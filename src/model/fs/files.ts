/**
 * Inodes and open files (`struct inode`, `struct file`; fs/open.c, fs/file_table.c).
 * A file starts with `f_count` 1 for its opener; `get_file` takes a reference and `fput` drops one;
 * at zero the file is freed. A freed file stays in the world as a tombstone so that a later use is
 * detected (`UseAfterFreeError`) rather than silently working.
 */
import type { Mapping } from '../../pagecache/index.ts';
import { contentLength, content as contents, type Content } from './content.ts';
import { ArgumentError, UnknownHandleError, UseAfterFreeError } from '../kernel/errors.ts';
import { S64_MAX } from '../kernel/ctypes.ts';
import { FileObj, Inode, type FileId, type Ino } from './types.ts';
import { checkKern, defer, emit, type Kern } from '../world/world.ts';
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
});

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
  const ino = k.t.nextId('ino');
  k.t.own('inodes').set(ino, new Inode({ ino, path: spec.path, size, content: c, secretmem: spec.secretmem ?? false, ioLatency }));
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

/** Open `path` (`filp_open`): a new `struct file` with `f_count` 1. */
export function openFile(k: Kern, path: string): FileId {
  checkKern('k', k);
  checkString('path', path);
  const inode = inodeByPath(k, path);
  const id = k.t.nextId('file');
  k.t.own('files').set(id, new FileObj({ id, ino: inode.ino, f_count: 1, freed: false, opening: false }));
  emit(k, { kind: 'file', t: k.t.now, op: 'open', file: id, path, count: 1 });
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

/** Mark a file as inside (or out of) its `security_file_open` hook. */
export function setOpening(k: Kern, id: FileId, opening: boolean): void {
  k.t.own('files').set(id, liveFile(k, id).with({ opening }));
}

/** `get_file`: take a reference. */
export function getFile(k: Kern, id: FileId): void {
  checkKern('k', k);
  const old = liveFile(k, id);
  const f = old.with({ f_count: old.f_count + 1 });
  k.t.own('files').set(id, f);
  emit(k, { kind: 'file', t: k.t.now, op: 'get', file: id, path: inodeOf(k, f.ino).path, count: f.f_count });
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
  emit(k, { kind: 'file', t: k.t.now, op: 'put', file: id, path, count: f.f_count });
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
  emit(k, { kind: 'file', t: k.t.now, op: 'free', file: id, path: inodeOf(k, f.ino).path, count: 0 });
}
