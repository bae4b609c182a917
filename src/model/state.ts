/**
 * The shape of the world. It is one immutable value made of small records and `Map`s, changed only
 * through immer transitions (`transact` in world.ts). File bytes and BPF program memory are
 * `Uint8Array`s referenced from it, never copied into it.
 */
import type { Mapping } from '../pagecache/index.ts';
import type { Content } from './content.ts';
import type { Trace } from './trace.ts';
import type { KernelVersion } from './version.ts';
import type { BpfMap, IrqWork, LoadedObject, LoadedProg, MapId, ObjId, Pid, ProgId, Task, TwCtx } from './task.ts';

export type Ino = number;
export type FileId = number;
/** A dynptr lives in a named slot (a stack slot of the BPF program: `"d"`, `"clone"`, …). */
export type DynptrSlot = string;

/*
 * Inodes and open files are read by every file-dynptr call and rarely change: they too are frozen
 * records that immer passes through without drafting; a change stores a new record.
 */

/**
 * Make a record class cheap for immer to pass over. immer decides whether a value is a plain object
 * (to be drafted) by looking at its prototype's own `constructor`, and for a class it then compares
 * the constructor's source text — on every read through a draft. Without an own `constructor` on
 * the prototype the answer is an immediate "no". (`instanceof` is unaffected.)
 */
function record<T extends abstract new (...args: never[]) => unknown>(cls: T): T {
  delete (cls.prototype as { constructor?: unknown }).constructor;
  return cls;
}

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
    Object.freeze(this);
  }

  with(patch: Partial<FileFields>): FileObj {
    return new FileObj({ ...this, ...patch });
  }
}

/*
 * Dynptrs and FILE dynptr states are records the model replaces rather than changes: class instances,
 * frozen, which immer passes through without drafting. The kfuncs read them on every call; a draft
 * proxy for each would cost more than the rule itself. To change one, store a new one.
 */

/** A null dynptr: `data == NULL` (bpf_dynptr_set_null). */
export class NullDynptr {
  readonly kind = 'null' as const;
  constructor() {
    Object.freeze(this);
  }
}

export const NULL_DYNPTR: NullDynptr = new NullDynptr();

/** A LOCAL dynptr over BPF program memory (`bpf_dynptr_from_mem`): u32 offset and 24-bit size. */
export class LocalDynptr {
  readonly kind = 'local' as const;
  constructor(readonly data: Uint8Array, readonly offset: number, readonly size: number, readonly rdonly: boolean) {
    Object.freeze(this);
  }
}

/**
 * A FILE dynptr: its offset and size live in a separately allocated state (`struct
 * bpf_dynptr_file_impl`), shared by clones.
 */
export class FileDynptr {
  readonly kind = 'file' as const;
  constructor(readonly state: number) {
    Object.freeze(this);
  }
}

export type Dynptr = NullDynptr | LocalDynptr | FileDynptr;

export interface FileDynptrFields {
  readonly id: number;
  readonly file: FileId;
  /** The file's inode, whose page cache the reader's folio belongs to. */
  readonly ino: Ino;
  readonly offset: bigint;
  readonly size: bigint;
  /** Built by `bpf_dynptr_from_file_sleepable` (may fault pages in) or the non-sleepable constructor. */
  readonly maySleep: boolean;
  /** The folio the reader holds a reference on between fetches, as a page index. */
  readonly folio: number | null;
  readonly freed: boolean;
}

/** `struct bpf_dynptr_file_impl`: 64-bit offset and size and a file reader (`struct freader`). */
export class FileDynptrState implements FileDynptrFields {
  readonly id!: number;
  readonly file!: FileId;
  readonly ino!: Ino;
  readonly offset!: bigint;
  readonly size!: bigint;
  readonly maySleep!: boolean;
  readonly folio!: number | null;
  readonly freed!: boolean;
  constructor(fields: FileDynptrFields) {
    Object.assign(this, fields);
    Object.freeze(this);
  }

  /** A copy with some fields changed. */
  with(patch: Partial<FileDynptrFields>): FileDynptrState {
    return new FileDynptrState({ ...this, ...patch });
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

export interface WorldState {
  version: KernelVersion;
  /** Virtual time in ticks. */
  clock: { now: number };
  ids: { ino: number; file: number; fstate: number; pid: number; work: number; map: number; prog: number; obj: number; twctx: number; irq: number; frame: number };
  inodes: Map<Ino, Inode>;
  paths: Map<string, Ino>;
  files: Map<FileId, FileObj>;
  pagecache: Map<Ino, Mapping>;
  dynptrs: Map<DynptrSlot, Dynptr>;
  fileStates: Map<number, FileDynptrState>;
  /** Reads in flight, keyed `ino:pgoff`. */
  io: Map<string, IoRequest>;
  /** Injected faults: allocations that will fail, and page reads that will fail (`ino:pgoff` → count). */
  faults: { alloc: number; io: Map<string, number> };
  trace: Trace;
  tasks: Map<Pid, Task>;
  objects: Map<ObjId, LoadedObject>;
  progs: Map<ProgId, LoadedProg>;
  maps: Map<MapId, BpfMap>;
  twctx: Map<number, TwCtx>;
  /** Queued irq_work, oldest first. */
  irqWork: IrqWork[];
  /** Programs attached to each hook, in attach order. */
  hooks: Map<string, ProgId[]>;
  /** The scheduler's recorded choices, for replay. */
  choices: number[];
  /** The task that ran last (the scheduler prefers it by default: no preemption). */
  current: Pid | null;
}

export const ioKey = (ino: Ino, pgoff: number): string => `${ino}:${pgoff}`;

record(Inode);
record(FileObj);
record(NullDynptr);
record(LocalDynptr);
record(FileDynptr);
record(FileDynptrState);
