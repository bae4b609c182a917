/**
 * The shape of the world. It is one immutable value made of small records and `Map`s, changed only
 * through transitions (`transact` in world.ts): immer for the scheduler's and task_work's state, and
 * hand-written copy-on-write for the tables every kfunc reads (tables.ts). File bytes and BPF program
 * memory are `Uint8Array`s referenced from it, never copied into it.
 */
import type { HotState } from './tables.ts';
import type { Trace } from './trace.ts';
import type { KernelVersion } from '../kernel/version.ts';
import type { Budgets } from '../kernel/budget.ts';
import type { Immutable } from 'immer';
import type { BpfMap, MapId } from '../maps/types.ts';
import type { LoadedObject, LoadedProg, ObjId, ProgId } from '../program/loaded.ts';
import type { IrqWork, Pid, Task, TwCtx } from '../task/types.ts';

/** The part of the world immer changes (the hot tables are in `HotState`, tables.ts). */
export interface ColdState {
  version: KernelVersion;
  ids: { ino: number; file: number; fstate: number; pid: number; work: number; map: number; prog: number; obj: number; twctx: number; irq: number; frame: number; packet: number };
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
  /** Kernel memory a probe may read (`copy_from_kernel_nofault`): regions of bytes by start address (helpers/kernel_mem.ts). */
  kernelMem: { addr: bigint; bytes: Uint8Array }[];
  /** The limits of runs in this world (src/model/kernel/budget.ts). */
  budgets: Budgets;
  /** Bytes charged against `budgets.bytes` so far (world/budget.ts). */
  allocated: number;
}

export type WorldState = ColdState & HotState;

/** A world: one immutable value (see world.ts for its transitions). */
export type World = Immutable<ColdState> & Readonly<HotState>;
