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

export interface Inode {
  ino: Ino;
  path: string;
  /** `i_size`, up to 2^63 - 1 (`loff_t`). */
  size: bigint;
  content: Content;
  /** A secretmem-style mapping: file dynptr reads refuse it (`secretmem_mapping`). */
  secretmem: boolean;
  /** Virtual ticks one page read takes. */
  ioLatency: number;
  /** Injected I/O errors: page index → how many of its next reads fail. */
  ioFaults: Map<number, number>;
}

/** `struct file`: an open file with its reference count. A freed file stays as a tombstone. */
export interface FileObj {
  id: FileId;
  ino: Ino;
  f_count: number;
  freed: boolean;
  /** Inside its `security_file_open` hook (the open has not returned yet). */
  opening: boolean;
}

/** A null dynptr: `data == NULL` (bpf_dynptr_set_null). */
export interface NullDynptr {
  kind: 'null';
}

/** A LOCAL dynptr over BPF program memory (`bpf_dynptr_from_mem`): u32 offset and 24-bit size. */
export interface LocalDynptr {
  kind: 'local';
  data: Uint8Array;
  offset: number;
  size: number;
  rdonly: boolean;
}

/**
 * A FILE dynptr: its offset and size live in a separately allocated state (`struct
 * bpf_dynptr_file_impl`), shared by clones.
 */
export interface FileDynptr {
  kind: 'file';
  state: number;
}

export type Dynptr = NullDynptr | LocalDynptr | FileDynptr;

/** `struct bpf_dynptr_file_impl`: 64-bit offset and size and a file reader (`struct freader`). */
export interface FileDynptrState {
  id: number;
  file: FileId;
  /** The file's inode, whose page cache the reader's folio belongs to. */
  ino: Ino;
  offset: bigint;
  size: bigint;
  /** Built by `bpf_dynptr_from_file_sleepable` (may fault pages in) or the non-sleepable constructor. */
  maySleep: boolean;
  /** The folio the reader holds a reference on between fetches, as a page index. */
  folio: number | null;
  freed: boolean;
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
  faults: { alloc: number };
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
