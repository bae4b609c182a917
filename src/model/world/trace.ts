/**
 * The world's event trace: every kfunc call with its arguments and return value, every I/O, sleep
 * and wake-up, every reference taken or dropped on a file, every page-cache change.
 */
import { ArgumentError } from '../kernel/errors.ts';
import { errnoName } from '../kernel/errno.ts';
import { Log, LogBuffer } from './log.ts';
import type { PageRun } from '../../pagecache/index.ts';
import { describeSyscall, describeTimerSleep, describeWork } from '../task/describe.ts';
import type { Syscall, WorkFn } from '../task/types.ts';

export type TraceEvent =
  | { readonly kind: 'kfunc'; readonly t: number; readonly name: string; readonly args: readonly string[]; readonly ret: string; readonly ctx: string }
  | { readonly kind: 'io_submit'; readonly t: number; readonly ino: number; readonly pgoff: number; readonly nr?: number; readonly completesAt: number; readonly willFail: boolean }
  | { readonly kind: 'io_complete'; readonly t: number; readonly ino: number; readonly pgoff: number; readonly nr?: number; readonly ok: boolean }
  | { readonly kind: 'sleep'; readonly t: number; readonly reason: string }
  | { readonly kind: 'wake'; readonly t: number; readonly reason: string }
  | { readonly kind: 'file'; readonly t: number; readonly op: 'create' | 'open' | 'get' | 'put' | 'free'; readonly file: number; readonly path: string; readonly count: number; readonly detail?: string }
  | { readonly kind: 'pagecache'; readonly t: number; readonly op: 'populate' | 'evict' | 'drop_caches' | 'inject_io_error' | 'write' | 'truncate' | 'writeback'; readonly ino: number; readonly pages: readonly PageRun[]; readonly kept: readonly PageRun[]; readonly detail?: string }
  /** A readahead (mm/readahead.c): which entry point, the window, the folios added and the marker. */
  | { readonly kind: 'readahead'; readonly t: number; readonly ino: number; readonly file: number; readonly how: string; readonly pages: readonly number[]; readonly marker: number | null }
  | { readonly kind: 'fault'; readonly t: number; readonly what: 'alloc'; readonly count: number }
  /**
   * A map syscall of user space (or a user reference dropped): `key` -1 for none (a NULL key: a queue's
   * or stack's push and pop). `create_no_btf`: libbpf's second try at a map the kernel refused with BTF.
   */
  | { readonly kind: 'map'; readonly t: number; readonly op: 'update' | 'delete' | 'lookup_and_delete' | 'uref_put' | 'create' | 'create_no_btf' | 'freeze' | 'free'; readonly map: string; readonly key: number; readonly ret: number }
  | { readonly kind: 'syscall'; readonly t: number; readonly pid: number; readonly op: 'enter' | 'exit' | 'restart'; readonly call: string; readonly ret?: string }
  | { readonly kind: 'task'; readonly t: number; readonly pid: number; readonly op: 'spawn' | 'fork' | 'free' | 'sleep' | 'wake' | 'user' | 'exit_mm' | 'exit_files' | 'exit_task_work' | 'dead' | 'reap' | 'signal_wake'; readonly detail: string }
  /** `tr`: on the run of a BPF task_work callback, T5 (it starts) or T5x (it found its context FREED), as shared/semantics/task_work.md §2.4 names them. */
  | { readonly kind: 'task_work'; readonly t: number; readonly pid: number; readonly op: 'add' | 'run' | 'cancel' | 'batch' | 'exited'; readonly work: string; readonly detail: string; readonly tr?: TwTransition }
  | { readonly kind: 'irq_work'; readonly t: number; readonly op: 'queue' | 'run'; readonly work: string }
  /** `tr`: the transition of the state machine (shared/semantics/task_work.md §2.4) this event is part of. */
  | { readonly kind: 'bpf_tw'; readonly t: number; readonly ctx: number; readonly from: string; readonly to: string; readonly why: string; readonly refcnt: number; readonly tr?: TwTransition }
  | { readonly kind: 'prog'; readonly t: number; readonly pid: number; readonly op: 'enter' | 'exit'; readonly name: string; readonly detail: string }
  | { readonly kind: 'verifier'; readonly t: number; readonly program: string; readonly ok: boolean; readonly message: string }
  /**
   * The kernel refused an object's BTF at BPF_BTF_LOAD (`ret`, a negative errno; why in `detail`), and
   * libbpf loads the object without it (model/btf/object.ts).
   */
  | { readonly kind: 'btf'; readonly t: number; readonly object: string; readonly ret: number; readonly detail: string }
  /**
   * A `BPF_PROG_TEST_RUN` finished: what `bpf()` returned, the program's return value, and the
   * packet it ran on (its id; `data_size_out` is its size after the run), or null without one.
   */
  | { readonly kind: 'test_run'; readonly t: number; readonly pid: number; readonly prog: string; readonly packet: number | null; readonly err: number; readonly retval: number; readonly sizeOut: number }
  /** A ring buffer record committed (submitted or discarded) with the wake-up it asked for, or read by user space. */
  | { readonly kind: 'ringbuf'; readonly t: number; readonly map: string; readonly op: 'submit' | 'discard' | 'consume'; readonly pos: number; readonly len: number; readonly wakeup: boolean }
  /** A kernel `WARN_ON_ONCE` (a kernel caller broke a rule the kernel checks; the call still returns). */
  | { readonly kind: 'warn'; readonly t: number; readonly what: string }
  /**
   * A line `bpf_trace_printk` or `bpf_trace_vprintk` put in the kernel's trace buffer (bprintf/helpers.ts):
   * its bytes, one character each (Latin-1: `Buffer.from(text, 'latin1')` gives them back); pid null outside a task.
   */
  | { readonly kind: 'printk'; readonly t: number; readonly pid: number | null; readonly text: string };

/**
 * The transitions of the BPF task_work state machine as shared/semantics/task_work.md §2.4 numbers
 * them: T0 allocate, T1 schedule (T1x: the slot was busy, -EBUSY), T2 irq_work PENDING → SCHEDULING
 * (T2x: found FREED), T3 task_work_add failed, T4 SCHEDULING → SCHEDULED (or the cancel when T9
 * raced), T5 callback starts (T5x: found FREED), T6 callback done, T9 cancel and free.
 */
export type TwTransition = 'T0' | 'T1' | 'T1x' | 'T2' | 'T2x' | 'T3' | 'T4' | 'T5' | 'T5x' | 'T6' | 'T9';

/** Every transition, in the table's order. */
export const TW_TRANSITIONS: readonly TwTransition[] = Object.freeze(['T0', 'T1', 'T1x', 'T2', 'T2x', 'T3', 'T4', 'T5', 'T5x', 'T6', 'T9']);

/**
 * The ops of each kind of event the trace keeps as a record (`TraceBuffer`); an op a list lacks is
 * kept as its object.
 */
const SYSCALL_OPS = ['enter', 'exit', 'restart'] as const satisfies readonly Op<'syscall'>[];
const TASK_OPS = ['spawn', 'fork', 'free', 'sleep', 'wake', 'user', 'exit_mm', 'exit_files', 'exit_task_work', 'dead', 'reap', 'signal_wake'] as const satisfies readonly Op<'task'>[];
const TASK_WORK_OPS = ['add', 'run', 'cancel', 'batch', 'exited'] as const satisfies readonly Op<'task_work'>[];
const FILE_OPS = ['create', 'open', 'get', 'put', 'free'] as const satisfies readonly Op<'file'>[];
type Op<K extends 'syscall' | 'task' | 'task_work' | 'file'> = Extract<TraceEvent, { kind: K }>['op'];
/** Each op's place in its list, or -1 for one the list lacks (found without a walk of the list). */
const placeIn = <O extends string>(ops: readonly O[]): ((op: string) => number) => {
  const at = new Map<string, number>(ops.map((op, i) => [op, i]));
  return (op) => at.get(op) ?? -1;
};
const syscallOp = placeIn(SYSCALL_OPS);
const taskOp = placeIn(TASK_OPS);
const taskWorkOp = placeIn(TASK_WORK_OPS);
const fileOp = placeIn(FILE_OPS);
/** The first header of each kind written as a record; each op takes two (its optional field absent, present). */
const SYSCALL_AT = 0;
const TASK_AT = SYSCALL_AT + 2 * SYSCALL_OPS.length;
const TASK_WORK_AT = TASK_AT + 2 * TASK_OPS.length;
const FILE_AT = TASK_WORK_AT + 2 * TASK_WORK_OPS.length;
const HEADERS = FILE_AT + 2 * FILE_OPS.length;
/** The header of a task's `sleep` (`TraceBuffer.timerSleep`). */
const TASK_SLEEP = TASK_AT + 2 * taskOp('sleep');
/**
 * The details a record of a task event other than `sleep` keeps as a number, its index here: the texts
 * of every return to user mode and every timer's wake-up (a long run's chunks keep small integers
 * outside the collector's heap, log.ts `Packed`, and a pointer a slot on it). A `sleep` record's
 * number is the time its timer expires (`TraceBuffer.timerSleep`).
 */
const TASK_DETAILS = ['returned to user mode', 'timer expired', ''] as const;
/**
 * A detail's index in `TASK_DETAILS`, or -1. By comparison, not through a `Map`: most details are made
 * for the event (`${comm}, exe ${path}`), and a lookup would flatten and hash each one (50–80 ns),
 * where a comparison with a text of another length ends at once (bench/README.md "Cases, stop 61").
 */
const taskDetail = (detail: string): number => (TASK_DETAILS as readonly string[]).indexOf(detail);

/** The slots of each header's fields after its `t` and `pid` (a file record has no `pid`). */
const FIELDS: readonly number[] = Array.from({ length: HEADERS }, (_, h) => {
  const opt = h & 1;
  if (h < TASK_AT) return 1 + opt;
  if (h < TASK_WORK_AT) return 1;
  if (h < FILE_AT) return 2 + opt;
  return 3 + opt;
});

/**
 * A record's first slot: its header (`KIND_MASK`), and two ways to leave a slot out. `SAME_T`: the
 * event's `t` is the one before it in the trace (an event indexed never has it, nor the first of a
 * buffer, so a reader walking from an indexed event knows it). `PID_IN_HEAD`: the `pid` is the number
 * above `PID_SHIFT` (a pid from 0 to `PID_LIMIT` - 1; a record of another pid keeps it in a slot).
 * Below 2^30: a small integer, which the engine keeps in the slot itself.
 */
const KIND_MASK = 63;
const SAME_T = 64;
const PID_IN_HEAD = 128;
const PID_SHIFT = 8;
const PID_LIMIT = 1 << 21;

/** The slots of the record whose first slot is `h`, that one included. */
const recordSlots = (h: number): number => {
  const k = h & KIND_MASK;
  return 1 + ((h & SAME_T) === 0 ? 1 : 0) + (k < FILE_AT && (h & PID_IN_HEAD) === 0 ? 1 : 0) + (FIELDS[k] as number);
};

/** The `t` of the event at `s[i]`, `prev` being the one of the event before it. */
function tAt(s: readonly unknown[], i: number, prev: number): number {
  const h = s[i];
  if (typeof h !== 'number') return (h as TraceEvent).t;
  return (h & SAME_T) === 0 ? (s[i + 1] as number) : prev;
}

/**
 * The event whose record starts at `s[i]` (or the event object there), made again in the key order
 * its emitters use; `t` is its time (`tAt`).
 */
function decode(s: readonly unknown[], i: number, t: number): TraceEvent {
  const h = s[i];
  if (typeof h !== 'number') return h as TraceEvent;
  const k = h & KIND_MASK;
  const opt = (k & 1) === 1;
  let j = (h & SAME_T) === 0 ? i + 2 : i + 1;
  if (k >= FILE_AT) {
    const op = FILE_OPS[(k - FILE_AT) >> 1] as (typeof FILE_OPS)[number];
    return opt
      ? { kind: 'file', t, op, file: s[j] as number, path: s[j + 1] as string, count: s[j + 2] as number, detail: s[j + 3] as string }
      : { kind: 'file', t, op, file: s[j] as number, path: s[j + 1] as string, count: s[j + 2] as number };
  }
  let pid: number;
  if ((h & PID_IN_HEAD) !== 0) pid = h >> PID_SHIFT;
  else {
    pid = s[j] as number;
    j += 1;
  }
  if (k < TASK_AT) {
    const op = SYSCALL_OPS[(k - SYSCALL_AT) >> 1] as (typeof SYSCALL_OPS)[number];
    const call = callText(s[j] as string | Syscall);
    return opt ? { kind: 'syscall', t, pid, op, call, ret: retText(s[j + 1] as string | number) } : { kind: 'syscall', t, pid, op, call };
  }
  if (k < TASK_WORK_AT) {
    return { kind: 'task', t, pid, op: TASK_OPS[(k - TASK_AT) >> 1] as (typeof TASK_OPS)[number], detail: detailText(k, s[j] as string | number) };
  }
  const op = TASK_WORK_OPS[(k - TASK_WORK_AT) >> 1] as (typeof TASK_WORK_OPS)[number];
  const work = workText(s[j] as string | WorkFn);
  return opt
    ? { kind: 'task_work', t, pid, op, work, detail: s[j + 1] as string, tr: s[j + 2] as TwTransition }
    : { kind: 'task_work', t, pid, op, work, detail: s[j + 1] as string };
}

/** A syscall record's `call`: its text, or the syscall, whose text is made now. */
const callText = (c: string | Syscall): string => (typeof c === 'string' ? c : describeSyscall(c));
/**
 * The `detail` of a task record of header `k`: its text; or a number, for a `sleep` the time its timer
 * expires, whose text is made now, for another op a text of `TASK_DETAILS`.
 */
const detailText = (k: number, d: string | number): string => (typeof d === 'string' ? d : k === TASK_SLEEP ? describeTimerSleep(d) : (TASK_DETAILS[d] as string));
/** A syscall record's `ret`: its text, or a number (an int), whose decimal text is made now. */
const retText = (r: string | number): string => (typeof r === 'string' ? r : String(r));
/** A task_work record's `work`: its text, or the work's function, whose text is made now. */
const workText = (w: string | WorkFn): string => (typeof w === 'string' ? w : describeWork(w));

/** The slots an event takes from `s[i]`. */
const slotsAt = (s: readonly unknown[], i: number): number => {
  const h = s[i];
  return typeof h === 'number' ? recordSlots(h) : 1;
};

/**
 * Every `INDEXED`-th event's record start is indexed (events 0, 16, 32, …): an event is found from the
 * indexed one before it, by stepping over at most 15 records (`slotsAt`).
 */
const INDEX_SHIFT = 4;
const INDEXED = 1 << INDEX_SHIFT;

/**
 * The events a transition emits until it ends (`Trace.appendBuffer`): their slots, and the slot where
 * every `INDEXED`-th event starts, counted as if the buffer followed the trace it was made for (`base`:
 * its events and slots).
 *
 * A record is a header (a small integer: the event's kind and op, whether its optional field is there,
 * most often its pid, and whether its time is the previous event's), then the event's fields in the
 * order of its type, its time and pid only when the header does not give them. An event of another
 * kind, or of an op not listed, is its own object, in one slot. The frequent events' emitters write
 * their records with `syscall`, `task`, `taskWork` and `file`, without making the object (world.ts
 * `emitSyscall`, `emitTask`, `emitTaskWork`, `emitFile`).
 */
export class TraceBuffer {
  readonly #slots = new LogBuffer<unknown>();
  /** Made at the first indexed event: most transitions emit fewer than `INDEXED` events, and many none indexed. */
  #index: LogBuffer<number> | null = null;
  /** The base trace's slots and events. */
  readonly #baseSlots: number;
  readonly #baseEvents: number;
  /** The slots and events pushed. */
  #n = 0;
  #events = 0;
  /** The `t` of the last event pushed (none yet: the first record keeps its own). */
  #lastT = Number.NaN;

  constructor(base: Trace | null = null) {
    this.#baseSlots = base === null ? 0 : base.slots;
    this.#baseEvents = base === null ? 0 : base.length;
  }

  push(ev: TraceEvent): void {
    switch (ev.kind) {
      case 'syscall': return this.syscall(ev.t, ev.pid, ev.op, ev.call, ev.ret);
      case 'task': return this.task(ev.t, ev.pid, ev.op, ev.detail);
      case 'task_work': return this.taskWork(ev.t, ev.pid, ev.op, ev.work, ev.detail, ev.tr);
      case 'file': return this.file(ev.t, ev.op, ev.file, ev.path, ev.count, ev.detail);
      default:
        break;
    }
    this.#object(ev);
  }

  /**
   * `push({ kind: 'syscall', t, pid, op, call, ret })` (`ret` only when given). `call` may be the
   * syscall itself: the record keeps it (the world keeps it anyway, in its task's script) and its text
   * (`describeSyscall`) is made when the event is read; `ret` may be a number (an int, the value the
   * syscall returned), whose decimal text is made when the event is read.
   */
  syscall(t: number, pid: number, op: Op<'syscall'>, call: string | Syscall, ret?: string | number): void {
    const i = syscallOp(op);
    if (i < 0) {
      const text = callText(call);
      return this.#object(ret === undefined ? { kind: 'syscall', t, pid, op, call: text } : { kind: 'syscall', t, pid, op, call: text, ret: retText(ret) });
    }
    const h = this.#record(SYSCALL_AT + 2 * i + (ret === undefined ? 0 : 1), t, pid);
    h.push(call);
    if (ret !== undefined) h.push(ret);
  }

  /** `push({ kind: 'task', t, pid, op, detail })`. */
  task(t: number, pid: number, op: Op<'task'>, detail: string): void {
    const i = taskOp(op);
    if (i < 0) return this.#object({ kind: 'task', t, pid, op, detail });
    const h = this.#record(TASK_AT + 2 * i, t, pid);
    const known = TASK_AT + 2 * i === TASK_SLEEP ? -1 : taskDetail(detail);
    h.push(known < 0 ? detail : known);
  }

  /**
   * `task(t, pid, 'sleep', describeTimerSleep(until))`: the record keeps `until`, a number, and the
   * text is made when the event is read, so a long run of sleeps keeps no string a sleep.
   */
  timerSleep(t: number, pid: number, until: number): void {
    const h = this.#record(TASK_SLEEP, t, pid);
    h.push(until);
  }

  /**
   * `push({ kind: 'task_work', t, pid, op, work, detail, tr })` (`tr` only when given). `work` may be
   * the work's function: the record keeps it and its text (`describeWork`) is made when read.
   */
  taskWork(t: number, pid: number, op: Op<'task_work'>, work: string | WorkFn, detail: string, tr?: TwTransition): void {
    const i = taskWorkOp(op);
    if (i < 0) {
      const text = workText(work);
      return this.#object(tr === undefined ? { kind: 'task_work', t, pid, op, work: text, detail } : { kind: 'task_work', t, pid, op, work: text, detail, tr });
    }
    const h = this.#record(TASK_WORK_AT + 2 * i + (tr === undefined ? 0 : 1), t, pid);
    h.push(work);
    h.push(detail);
    if (tr !== undefined) h.push(tr);
  }

  /** `push({ kind: 'file', t, op, file, path, count, detail })` (`detail` only when given). */
  file(t: number, op: Op<'file'>, file: number, path: string, count: number, detail?: string): void {
    const i = fileOp(op);
    if (i < 0) return this.#object(detail === undefined ? { kind: 'file', t, op, file, path, count } : { kind: 'file', t, op, file, path, count, detail });
    const h = this.#record(FILE_AT + 2 * i + (detail === undefined ? 0 : 1), t, -1);
    h.push(file);
    h.push(path);
    h.push(count);
    if (detail !== undefined) h.push(detail);
  }

  /**
   * Start the record of header `h` at time `t` (with `pid`; -1 for a kind without one): its first
   * slot, `t` unless it is the previous event's, `pid` unless the first slot holds it. Returns the
   * slots to push its other fields into (it counts them).
   */
  #record(h: number, t: number, pid: number): LogBuffer<unknown> {
    const indexed = this.#start();
    let head = h;
    if (!indexed && t === this.#lastT) head |= SAME_T;
    this.#lastT = t;
    if (pid >= 0 && pid < PID_LIMIT && Number.isInteger(pid)) head |= PID_IN_HEAD | (pid << PID_SHIFT);
    const slots = this.#slots;
    slots.push(head);
    if ((head & SAME_T) === 0) slots.push(t);
    if (h < FILE_AT && (head & PID_IN_HEAD) === 0) slots.push(pid);
    this.#n += recordSlots(head);
    return slots;
  }

  #object(ev: TraceEvent): void {
    this.#start();
    this.#lastT = ev.t;
    this.#slots.push(ev);
    this.#n += 1;
  }

  /** An event starts at the next slot: indexed (the result) when it is an `INDEXED`-th one. */
  #start(): boolean {
    const indexed = ((this.#baseEvents + this.#events) & (INDEXED - 1)) === 0;
    if (indexed) (this.#index ??= new LogBuffer<number>()).push(this.#baseSlots + this.#n);
    this.#events += 1;
    return indexed;
  }

  // What the buffer holds, for `Trace.appendBuffer` (read field by field: no object made a transition).
  /** Its slots, a `LogBuffer` to be given up. */
  get slotBuffer(): LogBuffer<unknown> {
    return this.#slots;
  }
  /** Its index (null: no event of it is indexed), a `LogBuffer` to be given up. */
  get indexBuffer(): LogBuffer<number> | null {
    return this.#index;
  }
  /** The base trace's slots and events, which the buffer counts from. */
  get baseSlots(): number {
    return this.#baseSlots;
  }
  get baseEvents(): number {
    return this.#baseEvents;
  }
  /** How many slots and events it holds. */
  get slotCount(): number {
    return this.#n;
  }
  get eventCount(): number {
    return this.#events;
  }
}

/**
 * The trace: every event of a world's history, in a persistent append-only log (log.ts). Appending a
 * transition's events costs what they are, whatever the length of the trace, and a world keeps its
 * whole history without copying it.
 *
 * The most frequent events (a syscall's enter, exit and restart; a task's life; the generic task_work;
 * a file's references) are kept as records of slots in the log's chunks: a header (a small integer)
 * and their fields, strings and numbers, with no object of their own; a syscall's text is kept as the
 * syscall itself (its task's script holds it anyway), a work's as its function, each written when
 * read. Any other event is its object, in one slot. A long run so keeps its trace without an object
 * per event, which the collector would scavenge, promote and mark (bench/README.md, "Scheduler, stops
 * 53 and 54"). An event read is made again, as an object with the fields and key order of the one
 * emitted (a new object at each read).
 */
export class Trace implements Iterable<TraceEvent> {
  /** The records. */
  readonly #slots: Log<unknown>;
  /** The slot where every `INDEXED`-th event's record starts. */
  readonly #index: Log<number>;
  /** The number of events. */
  readonly #length: number;

  private constructor(slots: Log<unknown>, index: Log<number>, length: number) {
    this.#slots = slots;
    this.#index = index;
    this.#length = length;
  }

  static empty(): Trace {
    return new Trace(Log.empty<unknown>(), Log.empty<number>(), 0);
  }

  /** The number of events. */
  get length(): number {
    return this.#length;
  }

  /** This trace with `events` appended (each one's fields as they are now). */
  appendAll(events: readonly TraceEvent[]): Trace {
    if (events.length === 0) return this;
    const buf = new TraceBuffer(this);
    for (const ev of events) buf.push(ev);
    return this.appendBuffer(buf);
  }

  /**
   * This trace with `ev` appended, as `appendAll([ev])`. An event the trace keeps as its object (a kfunc
   * call's, and any other of a kind it never writes as a record) goes in without a buffer: its slot, and
   * its index entry when it is an `INDEXED`-th event. A transition of one kfunc call ends this way
   * (world.ts `finish`).
   */
  append(ev: TraceEvent): Trace {
    if (ev.kind === 'syscall' || ev.kind === 'task' || ev.kind === 'task_work' || ev.kind === 'file') return this.appendAll([ev]);
    const n = this.#length;
    const index = (n & (INDEXED - 1)) === 0 ? this.#index.append(this.#slots.length) : this.#index;
    return new Trace(this.#slots.append(ev), index, n + 1);
  }

  /** This trace with a transition's events appended (the buffer is given up). */
  appendBuffer(buf: TraceBuffer): Trace {
    const events = buf.eventCount;
    if (events === 0) return this;
    if (buf.baseSlots === this.#slots.length && buf.baseEvents === this.#length) {
      const index = buf.indexBuffer;
      return new Trace(this.#slots.appendBuffer(buf.slotBuffer), index === null ? this.#index : this.#index.appendBuffer(index), this.#length + events);
    }
    // Made for another trace: its events written again for this one (which of them are indexed, and so
    // keep their own `t`, depends on where they start).
    const n = buf.slotCount;
    const flat = buf.slotBuffer.takeValues();
    const again = new TraceBuffer(this);
    for (let i = 0, t = Number.NaN; i < n; i += slotsAt(flat, i)) {
      t = tAt(flat, i, t);
      again.push(decode(flat, i, t));
    }
    return this.appendBuffer(again);
  }

  /** The number of slots its records take (where the next event's record will start). */
  get slots(): number {
    return this.#slots.length;
  }

  /** The events from index `start` on, oldest first (new objects): their cost, not the length of the trace. */
  from(start: number): TraceEvent[] {
    if (!Number.isSafeInteger(start) || start < 0) throw new ArgumentError('start', start, 'an index (a non-negative integer)');
    const n = this.#length;
    if (start >= n) return [];
    const from = this.#recordsFrom(start, this.#slots.length);
    const slots = from.slots;
    const out = new Array<TraceEvent>(n - start);
    let t = from.t;
    for (let i = from.i, e = 0; e < out.length; e += 1) {
      t = tAt(slots, i, t);
      out[e] = decode(slots, i, t);
      i += slotsAt(slots, i);
    }
    return out;
  }

  /** The event at index `i` (a new object; undefined outside `[0, length)`). */
  at(i: number): TraceEvent | undefined {
    if (!Number.isInteger(i) || i < 0 || i >= this.#length) return undefined;
    const next = (i >> INDEX_SHIFT) + 1;
    const end = next < this.#index.length ? (this.#index.at(next) as number) : this.#slots.length;
    const { slots, i: first, t } = this.#recordsFrom(i, end);
    return decode(slots, first, tAt(slots, first, t));
  }

  /**
   * The slots from the indexed event at or before event `e` up to slot `end`, where in them event
   * `e`'s record starts (found by stepping over the records before it), and the `t` of the event
   * before it (NaN for an indexed one, which keeps its own).
   */
  #recordsFrom(e: number, end: number): { slots: unknown[]; i: number; t: number } {
    const slots = this.#slots.slice(this.#index.at(e >> INDEX_SHIFT) as number, end);
    let i = 0;
    let t = Number.NaN;
    for (let skip = e & (INDEXED - 1); skip > 0; skip -= 1) {
      t = tAt(slots, i, t);
      i += slotsAt(slots, i);
    }
    return { slots, i, t };
  }

  /** The events in order, oldest first (new objects). */
  toArray(): TraceEvent[] {
    return this.from(0);
  }

  [Symbol.iterator](): Iterator<TraceEvent> {
    return this.toArray()[Symbol.iterator]();
  }

  toJSON(): TraceEvent[] {
    return this.toArray();
  }
}
// As `Log` (log.ts): immer asks for the prototype's own `constructor` to decide whether to draft it.
delete (Trace.prototype as { constructor?: unknown }).constructor;

export const emptyTrace: Trace = Trace.empty();

/** The trace with `events` appended. */
export function appendEvents(trace: Trace, events: readonly TraceEvent[]): Trace {
  checkTrace(trace);
  return trace.appendAll(events);
}

function checkTrace(trace: unknown): void {
  if (!(trace instanceof Trace)) throw new ArgumentError('trace', trace, 'a trace (world.trace)');
}

/** The events in order, oldest first. */
export function traceEvents(trace: Trace): TraceEvent[] {
  checkTrace(trace);
  return trace.toArray();
}

/** One line per event, for people. */
export function formatEvent(ev: TraceEvent): string {
  if (ev === null || typeof ev !== 'object' || typeof (ev as { kind?: unknown }).kind !== 'string') throw new ArgumentError('ev', ev, 'a trace event');
  const t = `[t=${ev.t}]`.padEnd(9);
  switch (ev.kind) {
    case 'kfunc':
      return `${t} ${ev.ctx ? `${ev.ctx} ` : ''}${ev.name}(${ev.args.join(', ')}) = ${ev.ret}`;
    case 'io_submit':
      return `${t} io: read ino ${ev.ino} ${pagesText(ev.pgoff, ev.nr)} submitted, completes at t=${ev.completesAt}${ev.willFail ? ' (injected error)' : ''}`;
    case 'io_complete':
      return `${t} io: read ino ${ev.ino} ${pagesText(ev.pgoff, ev.nr)} ${ev.ok ? 'done, uptodate' : 'FAILED, not uptodate'}`;
    case 'readahead':
      return `${t} readahead ino ${ev.ino} file#${ev.file}: ${ev.how}: read ${compactRanges(ev.pages)}${ev.marker === null ? '' : `, PG_readahead on ${ev.marker}`}`;
    case 'sleep':
      return `${t} sleep: ${ev.reason}`;
    case 'wake':
      return `${t} wake: ${ev.reason}`;
    case 'file':
      return `${t} file#${ev.file} ${ev.path}: ${ev.op}${ev.detail === undefined ? '' : ` ${ev.detail}`}, f_count=${ev.count}`;
    case 'pagecache': {
      const kept = ev.kept.length > 0 ? `; kept (locked, referenced or dirty) ${compactRuns(ev.kept)}` : '';
      return `${t} pagecache ino ${ev.ino}: ${ev.op} ${compactRuns(ev.pages)}${kept}${ev.detail === undefined ? '' : ` (${ev.detail})`}`;
    }
    case 'fault':
      return `${t} fault: next ${ev.count} ${ev.what} call(s) fail`;
    case 'map':
      return `${t} map ${ev.map}: ${ev.op}${ev.key >= 0 ? ` key ${ev.key}` : ''} = ${ev.op === 'uref_put' ? `usercnt ${ev.ret}` : ev.ret}`;
    case 'syscall':
      return `${t} pid ${ev.pid} ${ev.op === 'enter' ? '→' : ev.op === 'exit' ? '←' : '↻'} ${ev.call}${ev.ret === undefined ? '' : ` = ${ev.ret}`}`;
    case 'task':
      return `${t} pid ${ev.pid} ${ev.op}${ev.detail ? `: ${ev.detail}` : ''}`;
    case 'task_work':
      return `${t} pid ${ev.pid} task_work ${ev.op} ${ev.work}${ev.detail ? ` (${ev.detail})` : ''}`;
    case 'irq_work':
      return `${t} irq_work ${ev.op} ${ev.work}`;
    case 'bpf_tw':
      return `${t} bpf_task_work ctx#${ev.ctx}: ${ev.from} → ${ev.to} (${ev.why}; refcnt ${ev.refcnt})`;
    case 'verifier':
      return `${t} verifier: ${ev.program} ${ev.ok ? 'accepted' : `rejected: ${ev.message}`}`;
    case 'btf':
      return `${t} btf: object ${ev.object}: BPF_BTF_LOAD = ${errnoName(ev.ret)}: ${ev.detail}`;
    case 'prog':
      return `${t} pid ${ev.pid} ${ev.op === 'enter' ? 'run' : 'end'} ${ev.name}${ev.detail ? ` ${ev.detail}` : ''}`;
    case 'test_run':
      return `${t} pid ${ev.pid} BPF_PROG_TEST_RUN ${ev.prog}: ${ev.err === 0 ? '0' : errnoName(ev.err)}, retval ${ev.retval}${ev.packet === null ? '' : `, data_size_out ${ev.sizeOut} (packet#${ev.packet})`}`;
    case 'ringbuf':
      return ev.op === 'consume'
        ? `${t} ringbuf ${ev.map}: user space read the record at pos ${ev.pos} (${ev.len} bytes)`
        : `${t} ringbuf ${ev.map}: ${ev.op} the record at pos ${ev.pos} (${ev.len} bytes)${ev.wakeup ? ', wake up the readers' : ''}`;
    case 'warn':
      return `${t} WARNING: ${ev.what}`;
    case 'printk':
      return `${t} ${ev.pid === null ? '' : `pid ${ev.pid} `}bpf_trace_printk: ${new TextDecoder().decode(Uint8Array.from(ev.text, (c) => c.charCodeAt(0)))}`;
  }
}

function pagesText(pgoff: number, nr: number | undefined): string {
  return nr === undefined || nr === 1 ? `page ${pgoff}` : `pages ${pgoff}-${pgoff + nr - 1}`;
}

/** `[0,1,2,5]` → `"0-2,5"`; `[]` → `"none"`. */
export function compactRanges(xs: readonly number[]): string {
  if (xs.length === 0) return 'none';
  const sorted = [...xs].sort((a, b) => a - b);
  const parts: string[] = [];
  let start = sorted[0] as number;
  let prev = start;
  for (const x of sorted.slice(1)) {
    if (x === prev + 1) {
      prev = x;
      continue;
    }
    parts.push(start === prev ? `${start}` : `${start}-${prev}`);
    start = prev = x;
  }
  parts.push(start === prev ? `${start}` : `${start}-${prev}`);
  return parts.join(',');
}

/** Runs of pages `[[0, 2], [5, 5]]` → `"0-2,5"` (as `compactRanges` of their pages); `[]` → `"none"`. */
export function compactRuns(runs: readonly PageRun[]): string {
  if (runs.length === 0) return 'none';
  const sorted = [...runs].sort((a, b) => a[0] - b[0]);
  const parts: string[] = [];
  let [start, prev] = sorted[0] as PageRun;
  for (const [a, b] of sorted.slice(1)) {
    if (a <= prev + 1) {
      prev = Math.max(prev, b);
      continue;
    }
    parts.push(start === prev ? `${start}` : `${start}-${prev}`);
    [start, prev] = [a, b];
  }
  parts.push(start === prev ? `${start}` : `${start}-${prev}`);
  return parts.join(',');
}

export function formatTrace(trace: Trace): string {
  checkTrace(trace);
  return traceEvents(trace).map(formatEvent).join('\n');
}
