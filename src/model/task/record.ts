/**
 * A task as the world stores it (`struct task_struct`, as far as the model needs it).
 *
 * Tasks are values shared between worlds. A transition that changes a task works on its own copy
 * (`Tables.task`, world/tables.ts), made on the first change: `clone` copies what a transition
 * changes in place (the kernel stack and its frames) and shares the rest (the script, user memory
 * regions, the task_work list, results). It shares the descriptor table too, until the copy changes
 * a descriptor (`ownFds`: a clone of the persistent map, O(1) whatever its size); a step that opens
 * or closes nothing so never reads it. A table a close leaves empty is the shared empty one again
 * (`closeFd`), so a task that closed its files keeps no table of its own. The syscall results are a
 * list through the world's log of results (world/log.ts `appendLinked`), of which the record keeps its
 * newest entry: recording one costs the same whatever the number before it, and reads no memory of the
 * task's but the record.
 */
import { OrderedTree } from '../world/ordered.ts';
import { isS32 } from '../kernel/ctypes.ts';
import { WorkList } from './work_list.ts';
import { appendLinked, linkedValues, type LinkedChunk, type LinkedEnd } from '../world/log.ts';
import type { FileId } from '../fs/types.ts';
import type { Activity, Caller, Frame, Pid, Syscall, Task, TaskFlags, TaskState, TaskWait, TaskWorks, Work } from './types.ts';

/** What a new task starts with (`fork` + `exec`). */
export interface NewTaskRecord {
  readonly pid: Pid;
  readonly comm: string;
  readonly mm: { exe_file: FileId } | null;
  readonly script: readonly Syscall[];
  /** A forked task (see `Task.forking`): its parent, its tgid the parent's until `alloc_pid`. */
  readonly fork?: { readonly parent: Pid; readonly tgid: Pid };
}

/**
 * A copy of a frame the transition may change: every field, with the objects the interpreter changes
 * in place copied (the registers, the spilled pointers, the callers and theirs); the stacks are shared,
 * since a write to one copies it first (`Tables.fresh`, model/memory).
 */
function cloneFrame(f: Frame): Frame {
  const c: Frame = { ...f, regs: { ...f.regs } };
  if (f.spills !== undefined) c.spills = { ...f.spills };
  if (f.callers !== undefined) c.callers = f.callers.map(cloneCaller);
  return c;
}

function cloneCaller(c: Caller): Caller {
  const out: Caller = { ...c, regs: { ...c.regs }, loop: c.loop === null ? null : { ...c.loop } };
  if (c.spills !== undefined) out.spills = { ...c.spills };
  return out;
}

/**
 * A return value as a task keeps it: one in an int's range as a number, which the engine holds in an
 * array's slot without an object of its own; any other as its bigint.
 */
const kept = (ret: bigint): number | bigint => (isS32(ret) ? Number(ret) : ret);

/** The return to user mode: it has no state of its own, so every task's stack may hold this one. */
export const EXIT_TO_USER: Activity = Object.freeze({ a: 'exit_to_user' });

function cloneActivity(a: Activity): Activity {
  switch (a.a) {
    case 'syscall': return { ...a };
    case 'prog': return { a: 'prog', frame: cloneFrame(a.frame), started: a.started };
    case 'exit_to_user': return a;
    case 'task_work_run': return { a: 'task_work_run', batch: a.batch, exiting: a.exiting };
    case 'fput': return { a: 'fput', file: a.file, stage: a.stage };
    case 'do_exit': return { ...a };
  }
}

/** What a new task starts with: no descriptors, no user memory written, no task_work queued. */
const NO_FDS = new OrderedTree<string, FileId>();
const NO_REGIONS = Object.freeze([]) as unknown as { addr: bigint; bytes: Uint8Array }[];
/** An empty stack under the top, shared until a task's first push onto a top (never pushed onto itself). */
const NO_ACTIVITIES: Activity[] = Object.freeze([]) as unknown as Activity[];
const NO_WORKS: TaskWorks = Object.freeze({ queue: WorkList.empty<Work>(), exited: false });

/** The task's flags, as bits of one number kept in the record itself (read at nearly every step). */
const NOTIFY_SIGNAL = 1;
const NOTIFY_RESUME = 2;
const PF_EXITING = 4;

export class TaskRecord implements Task {
  pid: Pid;
  tgid: Pid;
  comm: string;
  mm: { exe_file: FileId } | null;
  userMem: { addr: bigint; bytes: Uint8Array }[];
  state: TaskState;
  usage: number;
  reaped: boolean;
  parent: Pid | null;
  forking: boolean;
  works: TaskWorks;
  script: readonly Syscall[];
  pc: number;
  wait: TaskWait | null;
  /**
   * The kernel stack: its top apart from the activities under it (the bottom first), so that a step
   * reads what runs next from the record itself, not through an array and its elements. `#under` is
   * `NO_ACTIVITIES` until a push lands on a top (most stacks are one activity deep).
   */
  #top: Activity | undefined;
  #under: Activity[];
  /**
   * The syscall results: the newest entry of their list through the world's log of results (its chunk
   * and slot, world/log.ts `LinkedLog`), and how many there are. A result costs a slot of the log's
   * array (two for a large value or a far entry before it), not an object: a long run keeps every
   * one, and a collection copies what it keeps. The copy shares the list.
   */
  #resChunk: LinkedChunk;
  #resSlot: number;
  #resultCount: number;
  #resultsArray: readonly bigint[] | null = null;
  /** `TIF_NOTIFY_SIGNAL`, `TIF_NOTIFY_RESUME` and `PF_EXITING` (bits). */
  #flags = 0;
  /** The descriptor table, and whether it is this record's own (else the record it was copied from holds it too). */
  #fds: OrderedTree<string, FileId>;
  #fdsOwn: boolean;

  /** A new task (`spec`), or a copy of `from` a transition may change. */
  constructor(spec: NewTaskRecord | null, from?: TaskRecord) {
    if (from !== undefined) {
      this.pid = from.pid;
      this.tgid = from.tgid;
      this.comm = from.comm;
      this.mm = from.mm;
      this.#fds = from.#fds;
      this.#fdsOwn = false;
      // Regions are replaced, never changed in place (the user_write syscall).
      this.userMem = from.userMem;
      this.state = from.state;
      this.#flags = from.#flags;
      this.usage = from.usage;
      this.reaped = from.reaped;
      this.parent = from.parent;
      this.forking = from.forking;
      // A value (a change makes a new one): the copy shares it.
      this.works = from.works;
      this.script = from.script;
      this.pc = from.pc;
      this.wait = from.wait;
      this.#top = from.#top === undefined ? undefined : cloneActivity(from.#top);
      this.#under = from.#under.length === 0 ? NO_ACTIVITIES : from.#under.map(cloneActivity);
      this.#resChunk = from.#resChunk;
      this.#resSlot = from.#resSlot;
      this.#resultCount = from.#resultCount;
      this.#resultsArray = from.#resultsArray;
      return;
    }
    if (spec === null) throw new TypeError('TaskRecord needs a spec or a task to copy');
    this.pid = spec.pid;
    this.tgid = spec.fork?.tgid ?? spec.pid;
    this.comm = spec.comm;
    this.mm = spec.mm;
    // Shared empties: a task's first change replaces them (ownFds clones the table; regions and
    // works are replaced, never changed in place), so a world of many tasks holds one of each.
    this.#fds = NO_FDS;
    this.#fdsOwn = false;
    this.userMem = NO_REGIONS;
    this.state = spec.fork === undefined ? 'runnable' : 'new';
    this.usage = 0;
    this.reaped = false;
    this.parent = spec.fork?.parent ?? null;
    this.forking = spec.fork !== undefined;
    this.works = NO_WORKS;
    this.script = spec.script;
    this.pc = 0;
    this.wait = null;
    this.#top = undefined;
    this.#under = NO_ACTIVITIES;
    this.#resChunk = null;
    this.#resSlot = -1;
    this.#resultCount = 0;
  }

  /** The kernel stack, the bottom first (a new array: change it through `pushActivity`, `popActivity`, `clearStack`). */
  get stack(): readonly Activity[] {
    return this.#top === undefined ? [] : [...this.#under, this.#top];
  }

  /** How many activities the kernel stack holds. */
  get stackDepth(): number {
    return this.#top === undefined ? 0 : this.#under.length + 1;
  }

  /** The activity `i` from the bottom of the kernel stack (undefined past its top). */
  activityAt(i: number): Activity | undefined {
    const under = this.#under;
    return i < under.length ? under[i] : i === under.length ? this.#top : undefined;
  }

  /** What runs next in the kernel (the top of its stack); undefined in user mode. */
  get topActivity(): Activity | undefined {
    return this.#top;
  }

  /** Push `a` onto the kernel stack. */
  pushActivity(a: Activity): void {
    const top = this.#top;
    if (top !== undefined) {
      if (this.#under === NO_ACTIVITIES) this.#under = [top];
      else this.#under.push(top);
    }
    this.#top = a;
  }

  /** Pop the top of the kernel stack (nothing when it is empty). */
  popActivity(): void {
    const under = this.#under;
    this.#top = under.length === 0 ? undefined : under.pop();
  }

  /** Empty the kernel stack (a dead task keeps no activity, nor the room its pushes made). */
  clearStack(): void {
    this.#top = undefined;
    this.#under = NO_ACTIVITIES;
  }

  /** Its open files by descriptor name (read-only: change them through `ownFds`). */
  get fds(): ReadonlyMap<string, FileId> {
    return this.#fds;
  }

  /** The descriptor table to change: this record's own, cloned (O(1)) on the first call after a copy. */
  ownFds(): OrderedTree<string, FileId> {
    if (!this.#fdsOwn) {
      this.#fds = this.#fds.clone();
      this.#fdsOwn = true;
    }
    return this.#fds;
  }

  /**
   * Close descriptor `name` (`close_fd`): the table without it. A table left empty is the shared empty
   * one again, as a new task's, so that a task that closed its files keeps no tree of its own (a run
   * of many tasks holds every task's record until it ends).
   */
  closeFd(name: string): void {
    const fds = this.ownFds();
    fds.delete(name);
    if (fds.size === 0) {
      this.#fds = NO_FDS;
      this.#fdsOwn = false;
    }
  }

  /** Every descriptor closed (`exit_files`): the shared empty table. */
  closeAllFds(): void {
    this.#fds = NO_FDS;
    this.#fdsOwn = false;
  }

  /** Its flags as they are now (a frozen copy: change them through `notifySignal`, `notifyResume`, `pfExiting`). */
  get flags(): Readonly<TaskFlags> {
    return Object.freeze({ notifySignal: this.notifySignal, notifyResume: this.notifyResume, pfExiting: this.pfExiting });
  }

  /** `TIF_NOTIFY_SIGNAL`. */
  get notifySignal(): boolean {
    return (this.#flags & NOTIFY_SIGNAL) !== 0;
  }

  set notifySignal(on: boolean) {
    this.#flags = on ? this.#flags | NOTIFY_SIGNAL : this.#flags & ~NOTIFY_SIGNAL;
  }

  /** `TIF_NOTIFY_RESUME`. */
  get notifyResume(): boolean {
    return (this.#flags & NOTIFY_RESUME) !== 0;
  }

  set notifyResume(on: boolean) {
    this.#flags = on ? this.#flags | NOTIFY_RESUME : this.#flags & ~NOTIFY_RESUME;
  }

  /** `PF_EXITING`. */
  get pfExiting(): boolean {
    return (this.#flags & PF_EXITING) !== 0;
  }

  set pfExiting(on: boolean) {
    this.#flags = on ? this.#flags | PF_EXITING : this.#flags & ~PF_EXITING;
  }

  /** Either notify flag is set: the return to user mode has work to look at. */
  get notifyPending(): boolean {
    return (this.#flags & (NOTIFY_SIGNAL | NOTIFY_RESUME)) !== 0;
  }

  /** Return value of each finished syscall, in order. */
  get results(): readonly bigint[] {
    if (this.#resultsArray === null) {
      const out = linkedValues(this.#resChunk, this.#resSlot, this.#resultCount).map((r) => (typeof r === 'number' ? BigInt(r) : r));
      this.#resultsArray = Object.freeze(out);
    }
    return this.#resultsArray;
  }

  /**
   * Record the return value of a finished syscall, through `log`: the log of results of the world the
   * task is in, as the transition moved it on (`Tables.results`; world/log.ts `LinkedLog`).
   */
  addResult(log: LinkedEnd, ret: bigint): void {
    this.#resSlot = appendLinked(log, kept(ret), this.#resSlot);
    this.#resChunk = log.head;
    this.#resultCount += 1;
    this.#resultsArray = null;
  }

  /** A copy for a transition to change. */
  clone(): TaskRecord {
    return new TaskRecord(null, this);
  }

  toJSON(): object {
    // The fields in the order of `Task`, the flags after the state.
    const { pid, tgid, comm, mm, fds, userMem, state, usage, reaped, parent, forking, works, script, pc, wait } = this;
    return { pid, tgid, comm, mm, fds, userMem, state, flags: this.flags, usage, reaped, parent, forking, works, script, pc, stack: this.stack, wait, results: this.results };
  }
}
// immer asks a value's prototype for its own `constructor` to decide whether it is a plain object to
// draft; without one the answer is an immediate no (tasks live in hand-written tables, not in immer).
delete (TaskRecord.prototype as { constructor?: unknown }).constructor;
