/**
 * The shape of the world. It is one immutable value made of small records and `Map`s, changed only
 * through transitions (`transact` in world.ts): immer for the scheduler's and task_work's state, and
 * hand-written copy-on-write for the tables every kfunc reads (tables.ts). File bytes and BPF program
 * memory are `Uint8Array`s referenced from it, never copied into it.
 */
import type { HotState } from './tables.ts';
import type { Content } from './content.ts';
import type { Trace } from './trace.ts';
import type { KernelVersion } from './version.ts';
import type { BpfMap, IrqWork, LoadedObject, LoadedProg, MapId, ObjId, Pid, ProgId, Task, TwCtx } from './task.ts';

export type Ino = number;
export type FileId = number;
/** A dynptr lives in a named slot (a stack slot of the BPF program: `"d"`, `"clone"`, …). */
export type DynptrSlot = string;

/*
 * Inodes, open files, dynptrs and FILE dynptr states are records the model replaces rather than
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
  readonly id: number;
  readonly file: FileId;
  readonly ino: Ino;
  readonly offset: bigint;
  readonly size: bigint;
  readonly maySleep: boolean;
  readonly folio: number | null;
  readonly freed: boolean;
  /** A state from its fields, or from another state with some fields changed (see `with`). */
  constructor(f: FileDynptrFields, patch?: Partial<FileDynptrFields>) {
    // Field by field (no intermediate object): a state is made on every adjust and every move of the reader.
    this.id = patch?.id ?? f.id;
    this.file = patch?.file ?? f.file;
    this.ino = patch?.ino ?? f.ino;
    this.offset = patch?.offset ?? f.offset;
    this.size = patch?.size ?? f.size;
    this.maySleep = patch?.maySleep ?? f.maySleep;
    this.folio = patch?.folio !== undefined ? patch.folio : f.folio;
    this.freed = patch?.freed ?? f.freed;
  }

  /** A copy with some fields changed. */
  with(patch: Partial<FileDynptrFields>): FileDynptrState {
    return new FileDynptrState(this, patch);
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

/** The part of the world immer changes (the hot tables are in `HotState`, tables.ts). */
export interface ColdState {
  version: KernelVersion;
  ids: { ino: number; file: number; fstate: number; pid: number; work: number; map: number; prog: number; obj: number; twctx: number; irq: number; frame: number };
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

export type WorldState = ColdState & HotState;

export const ioKey = (ino: Ino, pgoff: number): string => `${ino}:${pgoff}`;

