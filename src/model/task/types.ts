/**
 * The data of tasks (`struct task_struct`: its state, flags, kernel stack of activities, the task_work
 * list), of the BPF task_work context and of pending irq_work. Only shapes live here (the world holds
 * them); the rules that change them live in their layers: src/task_work (task_work queues, the
 * bpf_task_work state machine), src/scheduler (running tasks and programs).
 */
import type { Immutable } from 'immer';
import type { FileId, Ino } from '../fs/types.ts';
import type { EachCursor, MapId } from '../maps/types.ts';
import type { ProgId } from '../program/loaded.ts';
import type { z } from 'zod';
import type { DeepReadonly } from '../kernel/schema.ts';
import type { SyscallSchema, TWA_MODES } from './syscall_schema.ts';
import type { WorkList } from './work_list.ts';

export type Pid = number;

/**
 * `TASK_RUNNING` split into on-CPU and waiting-for-CPU, the two sleeps the model needs, exit and death;
 * `new` is `TASK_NEW`: a forked task from `sched_fork` until `wake_up_new_task` (it does not run).
 */
export type TaskState = 'new' | 'running' | 'runnable' | 'interruptible' | 'io_wait' | 'exiting' | 'dead';

export type TwaMode = (typeof TWA_MODES)[number];

/** What a queued `callback_head` runs. */
export type WorkFn =
  | { readonly kind: 'bpf_task_work'; readonly ctx: number }
  /** `____fput`: the final release of a file whose last reference was dropped in task context. */
  | { readonly kind: 'fput'; readonly file: FileId }
  /** A plain work for scenarios and tests: it records its label; `then` queues one more when it runs. */
  | { readonly kind: 'note'; readonly label: string; readonly then?: { readonly label: string; readonly mode: TwaMode } };

export interface Work {
  readonly id: number;
  readonly fn: WorkFn;
}

/**
 * `task->task_works`: newest first (the list head); `exited` is the `work_exited` sentinel. A value:
 * a change makes a new one (task_work/queue.ts), so a task's copy shares it.
 */
export interface TaskWorks {
  /** The queued works, newest first: a persistent list (work_list.ts). */
  readonly queue: WorkList<Work>;
  readonly exited: boolean;
}

/** What a task does from user space, in order (the schemas are in syscall_schema.ts). */
export type Syscall = DeepReadonly<z.output<typeof SyscallSchema>>;

/** A value in a BPF register. */
export type RegVal =
  | bigint
  | null
  | { readonly ptr: 'task'; readonly pid: Pid }
  | { readonly ptr: 'file'; readonly file: FileId }
  /** A `struct inode *` a program walked to (`file->f_inode`). */
  | { readonly ptr: 'inode'; readonly ino: Ino }
  | { readonly ptr: 'map'; readonly map: MapId }
  /** A map value (`off` bytes into it): the element memory it points into, and the key it was looked up with. */
  /** `cpu`: which CPU's copy of a per-CPU map's value (`bpf_map_lookup_percpu_elem`); absent: CPU 0's. */
  | { readonly ptr: 'map_value'; readonly map: MapId; readonly key: number; readonly slot: number; readonly off?: number; readonly cpu?: number }
  /** Memory a kfunc returned (a dynptr slice, a FILE slice's buffer): a view, `off` bytes into it. */
  | { readonly ptr: 'mem'; readonly bytes: Uint8Array; readonly off?: number }
  /** The stack of call frame `frame`, at `off` from its frame pointer (negative). */
  | { readonly ptr: 'stack'; readonly frame: number; readonly off: number }
  /** A global of loaded object `obj`, `off` bytes into it. */
  | { readonly ptr: 'global'; readonly obj: number; readonly name: string; readonly off: number }
  /** The program's context (`ctx` of `SEC("syscall")`, `struct __sk_buff *`, …). */
  | { readonly ptr: 'ctx' }
  /**
   * A reserved ring buffer record's memory (`bpf_ringbuf_reserve`, a RINGBUF dynptr's slice): the
   * ring (its map) and the record's position, `off` bytes into its payload. Looked up in the world at
   * each access, so every pointer into the record sees the same bytes.
   */
  | { readonly ptr: 'ring'; readonly map: MapId; readonly rec: number; readonly off?: number }
  /**
   * A direct pointer into a packet (a slice of an SKB, SKB_META or XDP dynptr): piece -1 the
   * metadata, 0 the linear part, i > 0 frag i - 1, `off` bytes into it; looked up at each access.
   */
  | { readonly ptr: 'pkt'; readonly packet: number; readonly piece: number; readonly off?: number }
  /** A kernel `struct sk_buff *` a tracing program got as an argument (`tp_btf/kfree_skb`). */
  | { readonly ptr: 'skb'; readonly packet: number }
  /** A function of the object (a callback). */
  | { readonly ptr: 'func'; readonly name: string };

/**
 * A function of a program run that called another and waits for it (a bpf-to-bpf call, or the
 * `bpf_loop` helper calling its callback): where it continues, and where the callee's result goes.
 */
export interface Caller {
  id: number;
  fn: string;
  pc: number;
  regs: Record<string, RegVal>;
  stack: Uint8Array | null;
  /** Registers spilled into the stack (8-byte stores of pointers), by offset. */
  spills?: Record<number, RegVal>;
  /** The register that receives the callee's R0 (null: none). */
  dst: string | null;
  /**
   * A `bpf_loop` in progress: the callback runs again for index `i + 1` until `nr` or a non-zero
   * return. `each`: a `bpf_for_each_map_elem` walk of `map` instead (`i` the elements given so far
   * less one, `nr` unused), `cursor` where it stands (maps/foreach.ts).
   */
  loop: { i: number; nr: number; cb: string; ctx: RegVal; start: number; each?: { readonly map: MapId; readonly cursor: EachCursor } } | null;
}

/**
 * A running BPF program or callback: where it is, its registers, and how to continue a sleeping call.
 * `id`, `fn`, `pc`, `regs` and `stack` are those of the function running now; `callers` holds the
 * functions below it (a bpf-to-bpf call pushes one, a return pops it).
 */
export interface Frame {
  id: number;
  prog: ProgId;
  /** The program's name, or the callback subprogram's. */
  fn: string;
  callback: boolean;
  pc: number;
  regs: Record<string, RegVal>;
  resume: unknown;
  sleepable: boolean;
  /** The hook's file argument, for `lsm/file_open`. */
  ctxFile: FileId | null;
  /** For a task_work callback: its `bpf_task_work_ctx`. */
  twCtx: number | null;
  /** The 512-byte stack of the running function (made on first use). */
  stack?: Uint8Array | null;
  /** Pointers spilled into that stack (an 8-byte store of a pointer), by offset. */
  spills?: Record<number, RegVal>;
  /** The functions waiting for the running one, outermost first. */
  callers?: Caller[];
  /** The run's first function (the program or task_work callback), for the trace. */
  entry?: string;
  /** The packet a `struct __sk_buff *` / `struct xdp_md *` context stands for (a test run with data). */
  ctxPacket?: number;
  /** A tracing program's hook arguments (`ctx[i]`, 8 bytes each: `BPF_PROG`'s arguments). */
  ctxArgs?: RegVal[];
}

/** One level of what a task is doing in the kernel; the top of its stack runs next. */
export type Activity =
  /**
   * `scratch`: the new file (open), the wake-up time (sleep), the program's return (test run);
   * `resume`: how a read, write or truncation that slept continues.
   */
  | { a: 'syscall'; sys: Syscall; stage: number; ret: bigint | null; scratch: number; hooks?: number; packet?: number; resume?: unknown }
  | { a: 'prog'; frame: Frame; started: boolean }
  | { a: 'exit_to_user' }
  /** `batch`: the works the run detached and has not run yet, newest first. */
  | { a: 'task_work_run'; batch: WorkList<Work>; exiting: boolean }
  /** `____fput` → `__fput`: the `lsm/file_release` programs run (`security_file_release`), then the file is freed. */
  | { a: 'fput'; file: FileId; stage: number }
  /** `hooks`: the tp_btf/sched_process_exit programs run so far. */
  | { a: 'do_exit'; stage: number; hooks?: number };

export type TaskWait =
  | { readonly kind: 'page'; readonly ino: Ino; readonly pgoff: number }
  | { readonly kind: 'timer'; readonly until: number }
  /** `do_wait`: asleep on `signal->wait_chldexit` until a child exits (`__wake_up_parent`). */
  | { readonly kind: 'child' };

/** A task's flags: `TIF_NOTIFY_SIGNAL` and `TIF_NOTIFY_RESUME` (thread_info), `PF_EXITING` (task->flags). */
export interface TaskFlags {
  notifySignal: boolean;
  notifyResume: boolean;
  pfExiting: boolean;
}

export interface Task {
  pid: Pid;
  tgid: Pid;
  comm: string;
  /** `task->mm`; it holds a reference on its exe file. NULL for kernel threads and after `exit_mm`. */
  mm: { exe_file: FileId } | null;
  /**
   * Its open files by descriptor name, in the order they were opened: a persistent map (an
   * `OrderedTree`, world/ordered.ts). A transition's copy of the task shares it until it changes a
   * descriptor (`TaskRecord.ownFds`), then clones it in O(1).
   */
  readonly fds: ReadonlyMap<string, FileId>;
  /** The user memory the scenario wrote (`user_write`): disjoint regions of bytes, in order of start address. */
  userMem: { addr: bigint; bytes: Uint8Array }[];
  state: TaskState;
  /** `TIF_NOTIFY_SIGNAL`, `TIF_NOTIFY_RESUME`, `PF_EXITING`, as they are when read. */
  readonly flags: Readonly<TaskFlags>;
  /** References on the task_struct held by others (`bpf_task_acquire`); baseline 0. */
  usage: number;
  /** Released by its parent (`release_task`): `rcu_users` is 0, `bpf_task_acquire` fails. */
  reaped: boolean;
  /** `task->real_parent`: the task that forked it (null: a task the scenario spawned). */
  parent: Pid | null;
  /**
   * Being forked, before `alloc_pid` (kernel/fork.c `copy_process`): its `pid` and `tgid` fields still
   * hold its parent's (`dup_task_struct` copied them), and no pid lookup finds it.
   */
  forking: boolean;
  works: TaskWorks;
  script: readonly Syscall[];
  pc: number;
  /** The kernel stack of activities, the bottom first: a new array at each read (a step reads `topActivity`). */
  readonly stack: readonly Activity[];
  /** How many activities the kernel stack holds. */
  readonly stackDepth: number;
  /** The top of the kernel stack, what runs next in the kernel (undefined in user mode). */
  readonly topActivity: Activity | undefined;
  /** The activity `i` from the bottom of the kernel stack (undefined past its top): a walk that makes no array. */
  activityAt(i: number): Activity | undefined;
  wait: TaskWait | null;
  /** Return value of each finished syscall, in order (task.ts keeps them in a persistent log). */
  readonly results: readonly bigint[];
}

/** A task as a world holds it: read-only (a transition changes its own copy, `Tables.task`). */
export type ReadonlyTask = Immutable<Task>;

/**
 * The states of a `struct bpf_task_work_ctx`, in the order (and so with the values 0–5) of the
 * kernel's `enum bpf_task_work_state` (kernel/bpf/helpers.c: BPF_TW_STANDBY … BPF_TW_FREED).
 */
export const TW_STATES = Object.freeze(['STANDBY', 'PENDING', 'SCHEDULING', 'SCHEDULED', 'RUNNING', 'FREED'] as const);
export type TwState = (typeof TW_STATES)[number];

/** `struct bpf_task_work_ctx` (kernel/bpf/helpers.c). */
export interface TwCtx {
  id: number;
  state: TwState;
  refcnt: number;
  /**
   * Destroyed (`bpf_task_work_destroy`: its references dropped, its memory freed): when refcnt reached
   * 0, or one irq_work later when that happened with interrupts disabled (7.x, `twDestroyDeferred`).
   */
  freed: boolean;
  map: MapId;
  /** The element memory whose `bpf_task_work` field points at this context. */
  slot: number;
  prog: ProgId | null;
  task: Pid | null;
  mode: TwaMode;
  callback: string | null;
  work: number | null;
}

export type IrqWork =
  /**
   * `bpf_task_work_irq`. `stage` is where a handler that stopped part-way (on a machine of several
   * CPUs) continues: 1 at `task_work_add`, 2 at the SCHEDULING → SCHEDULED exchange; absent from the start.
   */
  | { readonly id: number; readonly kind: 'bpf_task_work_irq'; readonly ctx: number; readonly stage?: 1 | 2 }
  | { readonly id: number; readonly kind: 'bpf_task_work_cancel_scheduled'; readonly ctx: number }
  /** `bpf_task_work_destroy`: a context whose last reference was dropped with interrupts disabled (7.x). */
  | { readonly id: number; readonly kind: 'bpf_task_work_destroy'; readonly ctx: number };
