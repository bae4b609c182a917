/**
 * The simulator: tasks, virtual time and events, advanced one step at a time. A step is one of the
 * ready actions, picked by the chooser: run the oldest irq_work, run a task until it blocks or
 * reaches a preemption point (a syscall's end, before the return to user mode; the return to user
 * mode itself), or let the earliest timed event happen (an I/O completion, a sleep's end), which
 * moves the clock. Each step is one world transition.
 */
import { ArgumentError, BudgetError, KernsimError } from '../model/kernel/errors.ts';
import { checkChooser, checkWorld } from '../model/kernel/args.ts';
import { isS32 } from '../model/kernel/ctypes.ts';
import { freeFile, putFile } from '../model/fs/files.ts';
import { dropFrameSlots } from '../model/dynptr/core.ts';
import { completeRead } from '../model/fs/io.ts';
import { ioKey } from '../model/fs/types.ts';
import type { Activity, IrqWork, Pid, ReadonlyTask, RegVal, Syscall, Task, TwCtx, Work } from '../model/task/types.ts';
import { EXIT_TO_USER, type TaskRecord } from '../model/task/record.ts';
import type { IntSet, RunQueue } from '../model/task/runqueue.ts';
import { EXIT_TRACEPOINT_STAGE } from '../model/task/stops.ts';
import { ownTask } from '../model/task/task.ts';
import { WorkList } from '../model/task/work_list.ts';
import { begin, emit, emitSyscall, emitTask, emitTaskWork, end, NON_SLEEPABLE, runQueueOf, withContext, type Kern } from '../model/world/world.ts';
import { type World } from '../model/world/state.ts';
import type { ReadLog } from '../model/world/footprint.ts';
import { callbackDone, callbackStart, callbackWouldRun, cancelScheduledIrq, destroyIrq, irqCanStop, taskWorkIrq, type IrqStop } from '../task_work/bpf_task_work.ts';
import { takeBatch, taskWorkAdd } from '../task_work/queue.ts';
import { settle } from '../task_work/settle.ts';
import { defaultChooser, type Chooser } from './chooser.ts';
import { runFrame } from './interp.ts';
import { wakeParent } from './fork.ts';
import { pushHookProgram } from './stage.ts';
import { stepSyscall, taskContext } from './syscalls.ts';

export type Action =
  /** Run the oldest irq_work; `stop`: a `bpf_task_work_irq` that stops part-way (smp worlds only). */
  | { readonly kind: 'irq'; readonly stop?: IrqStop }
  /**
   * Run a task; `stop` (smp worlds only): `'T5'` up to the start of a BPF task_work callback, before
   * its body; `'call'` up to its next point where another CPU may act (before a helper or kfunc call
   * of a program, inside `bpf_task_work_schedule` after it took its reference).
   */
  | { readonly kind: 'task'; readonly pid: Pid; readonly stop?: 'T5' | 'call' }
  | { readonly kind: 'io'; readonly ino: number; readonly pgoff: number; readonly at: number }
  | { readonly kind: 'timer'; readonly pid: Pid; readonly at: number };

/**
 * The ready actions, default first: irq_work; timed events already due (an interrupt at this instant
 * is handled before a task runs: reads in the order they were submitted, then timers by pid); the
 * task that ran last; other runnable tasks by pid; then the earliest timed events in the future
 * (choosing one moves the clock to it; reads first, then timers). A step picks one by its index in
 * this list; it finds it in the world's run queue (model/task/runqueue.ts) without making the list.
 */
export function readyActions(world: World): Action[] {
  const rq = runQueueOf(world);
  const smp = world.smp ? smpActions(world, rq) : null;
  const n = readyCount(world, rq, smp);
  const out: Action[] = [];
  for (let i = 0; i < n; i += 1) out.push(readyAt(world, rq, i, smp));
  return out;
}

/** What the ready actions depend on besides the run queue: a world's, or a transition's tables. */
interface SchedView {
  readonly irqWork: readonly IrqWork[];
  readonly current: Pid | null;
  readonly smp: boolean;
  readonly tasks: ReadonlyMap<Pid, ReadonlyTask>;
}

/** The parts of a world or transition the smp actions look at. */
type SmpView = SchedView & { readonly twctx: { get(id: number): Readonly<TwCtx> | undefined }; readonly hooks: ReadonlyMap<string, readonly number[]> };

/** The ordinary ready actions (without the smp ones). */
function baseCount(world: SchedView, rq: RunQueue): number {
  const g = rq.nextGroup();
  return (world.irqWork.length > 0 ? 1 : 0) + rq.dueIo.size + rq.dueTimers.size + rq.runnable.size + (g === null ? 0 : g.ios.length + g.timers.length);
}

/** The smp actions of a world, in their order (`smpActions`), each found without making the list. */
class SmpActions {
  /**
   * `irq`: the irq_work's stops; `t5`: the pids that stop at a callback's start; `calls`: the tasks
   * filed as may-call; `extra`: the other pids that stop at a call (ascending, none of them in `calls`).
   */
  constructor(
    private readonly irq: readonly Action[],
    private readonly t5: readonly Pid[],
    private readonly calls: IntSet,
    private readonly extra: readonly Pid[],
  ) {}

  get size(): number {
    return this.irq.length + this.t5.length + this.calls.size + this.extra.length;
  }

  /** Smp action `i` (`0 <= i < size`). */
  at(i: number): Action {
    let j = i;
    if (j < this.irq.length) return this.irq[j] as Action;
    j -= this.irq.length;
    if (j < this.t5.length) return { kind: 'task', pid: this.t5[j] as Pid, stop: 'T5' };
    j -= this.t5.length;
    return { kind: 'task', pid: this.callAt(j), stop: 'call' };
  }

  /**
   * The `j`-th pid of `calls` and `extra` merged by pid: an extra pid comes after the pids of
   * `calls` below it and the extra ones before it; past the extras that come before place `j`, the
   * place is one of `calls`'.
   */
  private callAt(j: number): Pid {
    const extra = this.extra;
    let m = 0;
    for (; m < extra.length; m += 1) {
      const pid = extra[m] as Pid;
      const place = this.calls.rank(pid) + m;
      if (place === j) return pid;
      if (place > j) break;
    }
    if (j - m >= this.calls.size) throw new KernsimError(`no smp call action ${j}`);
    return this.calls.kth(j - m);
  }
}

/** The pids of `set`, ascending. */
function pidsOf(set: IntSet): Pid[] {
  const out: Pid[] = [];
  for (let r = 0; r < set.size; r += 1) out.push(set.kth(r));
  return out;
}

/** No actions, no pids (most steps of an smp world have no irq_work stop and no callback to start). */
const NO_ACTIONS: readonly Action[] = Object.freeze([]);
const NO_PIDS: readonly Pid[] = Object.freeze([]);

/**
 * The smp actions, after the ordinary ones (so that index 0 and every ordinary index keep their
 * meaning): the head `bpf_task_work_irq` stopping after T2 or after `task_work_add`; then each
 * runnable task (by pid) stopping at the start of a BPF task_work callback it has queued or taken;
 * then each runnable task (by pid) stopping at its next helper or kfunc call, when its next step may
 * run a BPF program. Only the splits that can happen are offered.
 *
 * Found without a look at every runnable task: the run queue files them by what the task alone
 * decides (model/task/stops.ts); the context states and the hook's programs are then looked at for
 * the tasks filed with a BPF task_work, or in `do_exit` before its tracepoint, only.
 */
function smpActions(world: SmpView, rq: RunQueue): SmpActions {
  let irq = NO_ACTIONS;
  const head = world.irqWork[0];
  if (head !== undefined && head.kind === 'bpf_task_work_irq') {
    const stage = head.stage ?? 0;
    const stops: Action[] = [];
    if (irqCanStop(world, head.ctx, stage, 'T2')) stops.push({ kind: 'irq', stop: 'T2' });
    if (irqCanStop(world, head.ctx, stage, 'add')) stops.push({ kind: 'irq', stop: 'add' });
    irq = stops;
  }
  let t5 = NO_PIDS;
  if (rq.hasBpfWork.size > 0) {
    t5 = pidsOf(rq.hasBpfWork).filter((pid) => {
      const t = world.tasks.get(pid);
      return t !== undefined && hasCallbackToStart(world, t);
    });
  }
  // A task stops at a call when its next step may run a program: one of `rq.mayCall`; one in do_exit
  // before sched_process_exit programs that are attached; one whose callback would start.
  const calls = rq.mayCall;
  let extra = t5.length === 0 ? NO_PIDS : t5.filter((pid) => !calls.has(pid));
  if (rq.beforeExitHook.size > 0 && (world.hooks.get(EXIT_HOOK)?.length ?? 0) > 0) {
    const exiting = pidsOf(rq.beforeExitHook).filter((pid) => !calls.has(pid));
    if (exiting.length > 0) extra = [...new Set([...extra, ...exiting])].sort((a, b) => a - b);
  }
  return new SmpActions(irq, t5, calls, extra);
}

/** Whether `t` has a BPF task_work callback queued (or taken in its current run) that would start. */
function hasCallbackToStart(world: SmpView, t: ReadonlyTask): boolean {
  for (const w of t.works.queue) if (w.fn.kind === 'bpf_task_work' && callbackWouldRun(world.twctx.get(w.fn.ctx))) return true;
  for (let i = 0; i < t.stackDepth; i += 1) {
    const a = t.activityAt(i) as Activity;
    if (a.a !== 'task_work_run') continue;
    for (const w of a.batch) if (w.fn.kind === 'bpf_task_work' && callbackWouldRun(world.twctx.get(w.fn.ctx))) return true;
  }
  return false;
}

/** How many actions are ready in `world` (`rq` is its run queue; `smp`: the smp actions, when the world has them). */
function readyCount(world: SchedView, rq: RunQueue, smp: SmpActions | null): number {
  return baseCount(world, rq) + (smp === null ? 0 : smp.size);
}

/** Ready action `i` of `world`, in the order of `readyActions`. */
function readyAt(world: SchedView, rq: RunQueue, i: number, smp: SmpActions | null = null): Action {
  if (smp !== null) {
    const n = baseCount(world, rq);
    if (i >= n) {
      if (i - n >= smp.size) throw new KernsimError(`no ready action ${i}`);
      return smp.at(i - n);
    }
  }
  let j = i;
  if (world.irqWork.length > 0) {
    if (j === 0) return { kind: 'irq' };
    j -= 1;
  }
  if (j < rq.dueIo.size) {
    const ev = rq.dueIoAt(j);
    return { kind: 'io', ino: ev.ino, pgoff: ev.pgoff, at: ev.at };
  }
  j -= rq.dueIo.size;
  if (j < rq.dueTimers.size) {
    const pid = rq.dueTimers.kth(j);
    return { kind: 'timer', pid, at: rq.timerAt(pid) };
  }
  j -= rq.dueTimers.size;
  const runnable = rq.runnable;
  if (j < runnable.size) return { kind: 'task', pid: runnableAt(world, rq, j) };
  j -= runnable.size;
  const g = rq.nextGroup();
  if (g !== null) {
    const io = g.ios[j];
    if (io !== undefined) return { kind: 'io', ino: io.ino, pgoff: io.pgoff, at: io.at };
    const pid = rq.timersOf(g)[j - g.ios.length];
    if (pid !== undefined) return { kind: 'timer', pid, at: g.at };
  }
  throw new KernsimError(`no ready action ${i}`);
}

/** The `j`-th runnable task as the actions list them: the current one first, the others by pid. */
function runnableAt(world: SchedView, rq: RunQueue, j: number): Pid {
  const runnable = rq.runnable;
  const cur = world.current;
  if (cur === null || !runnable.has(cur)) return runnable.kth(j);
  if (j === 0) return cur;
  // The others by pid, the current one left out: the (j - 1)-th runnable one when it comes before the
  // current one, else the one after it.
  const p = runnable.kth(j - 1);
  return p < cur ? p : runnable.kth(j);
}

/**
 * The pid of ready action `i` when it is a task's step (`{ kind: 'task', pid }`, as `readyAt` would
 * make it), else -1: `run` carries out its most common step without an action object.
 */
function readyTaskAt(world: SchedView, rq: RunQueue, i: number): number {
  const j = i - (world.irqWork.length > 0 ? 1 : 0) - rq.dueIo.size - rq.dueTimers.size;
  return j >= 0 && j < rq.runnable.size ? runnableAt(world, rq, j) : -1;
}

export function describeAction(a: Action): string {
  switch (a.kind) {
    case 'irq': return a.stop === undefined ? 'irq_work' : `irq_work, stopping after ${a.stop === 'T2' ? 'PENDING → SCHEDULING' : 'task_work_add'}`;
    case 'task': return a.stop === undefined ? `task ${a.pid}` : a.stop === 'T5' ? `task ${a.pid}, stopping at the start of a task_work callback` : `task ${a.pid}, stopping at its next helper or kfunc call`;
    case 'io': return `io ino ${a.ino} page ${a.pgoff} @${a.at}`;
    case 'timer': return `timer pid ${a.pid} @${a.at}`;
  }
}

/**
 * A syscall's return value as the trace keeps it: one of an int's range as a number, whose text the
 * trace writes when it is read (trace.ts `TraceBuffer.syscall`: a long run's trace keeps an int32 outside
 * the collector's heap); another as its text.
 */
function tracedRet(ret: bigint): string | number {
  return isS32(ret) ? Number(ret) : String(ret);
}

/** The `exit` a script ends with when it does not end with one. */
const IMPLICIT_EXIT: Syscall = Object.freeze({ sys: 'exit' });

/** Run one work of a `task_work_run` batch; true when it started a BPF task_work callback. */
function runWork(k: Kern, task: TaskRecord, w: Work): boolean {
  // A BPF callback's run names its transition (T5, or T5x when it finds its context FREED).
  const tr = w.fn.kind !== 'bpf_task_work' ? undefined : callbackWouldRun(k.cold.twctx.get(w.fn.ctx)) ? 'T5' : 'T5x';
  emitTaskWork(k, task.pid, 'run', w.fn, '', tr);
  const kk = withContext(k, taskContext(task));
  switch (w.fn.kind) {
    case 'note':
      if (w.fn.then !== undefined) taskWorkAdd(kk, task.pid, { kind: 'note', label: w.fn.then.label }, w.fn.then.mode);
      return false;
    case 'fput':
      task.pushActivity({ a: 'fput', file: w.fn.file, stage: 0 });
      return false;
    case 'bpf_task_work': {
      const ctx = k.cold.twctx.get(w.fn.ctx);
      if (ctx === undefined || !callbackStart(kk, w.fn.ctx)) return false;
      // bpf_task_work_callback: value = the memory holding the context; key = the key bytes in that
      // memory now (map_key_from_value), whichever element occupies it.
      const map = ctx.map;
      const slot = ctx.slot;
      const key = k.s.maps.get(map)?.slots.get(slot)?.key ?? 0;
      task.pushActivity({
        a: 'prog', started: false,
        frame: {
          id: k.t.nextId('frame'), prog: ctx.prog ?? -1, fn: ctx.callback ?? '?', callback: true, pc: 0,
          regs: { r1: { ptr: 'map', map }, r2: BigInt(key), r3: { ptr: 'map_value', map, key, slot } },
          resume: null, sleepable: true, ctxFile: null, twCtx: ctx.id,
        },
      });
      return true;
    }
  }
}

/**
 * Run `task` until it blocks, dies, or reaches a preemption point (the end of a syscall, before the
 * return to user mode; the return to user mode), where the scheduler may run something else. With
 * `stop: 'T5'` (an smp world), also stop once a BPF task_work callback has started (RUNNING) and
 * before its body runs: another CPU may then delete the map value under it.
 */
export function stepTask(k: Kern, pid: Pid, chooser: Chooser = defaultChooser, stop?: 'T5'): void {
  const task = ownTask(k, pid);
  k.t.current = pid;
  if (task.state === 'runnable') task.state = 'running';
  for (;;) {
    if (task.state !== 'running' && task.state !== 'exiting') return;
    const act = task.topActivity;
    if (act === undefined) {
      // User mode. A notify flag set meanwhile (the kick IPI of task_work_add) brings the task into
      // the kernel; it runs its task_work on the return from that interrupt.
      if (task.notifyPending) {
        task.pushActivity(EXIT_TO_USER);
        continue;
      }
      // The next syscall of the script (an implicit exit at its end).
      const sys = task.script[task.pc] ?? IMPLICIT_EXIT;
      task.pc += 1;
      emitSyscall(k, pid, 'enter', sys);
      task.pushActivity({ a: 'syscall', sys, stage: 0, ret: null, scratch: 0 });
      continue;
    }
    switch (act.a) {
      case 'syscall': {
        const r = stepSyscall(k, task, act);
        if (r.kind === 'blocked') return;
        if (r.kind === 'pushed') continue;
        task.popActivity();
        task.addResult(k.t.results(), r.ret);
        emitSyscall(k, pid, 'exit', act.sys, tracedRet(r.ret));
        task.pushActivity(EXIT_TO_USER);
        task.state = 'runnable';
        return;
      }
      case 'prog': {
        const frame = act.frame;
        if (!act.started) {
          act.started = true;
          emit(k, { kind: 'prog', t: k.t.now, pid, op: 'enter', name: frame.fn, detail: frame.callback ? '(task_work callback, sleepable)' : frame.sleepable ? '(sleepable)' : '(non-sleepable)' });
        }
        const r = runFrame(k, task, frame, chooser);
        if (!r.done) {
          // Asleep on a page, or stopped at a call (an smp `call` action): still runnable then.
          if (task.state === 'running') task.state = 'runnable';
          return;
        }
        task.popActivity();
        dropFrameSlots(k, frame.id);
        emit(k, { kind: 'prog', t: k.t.now, pid, op: 'exit', name: frame.fn, detail: `= ${r.ret}${frame.callback ? ' (ignored)' : ''}` });
        if (frame.twCtx !== null) callbackDone(k, frame.twCtx);
        const parent = task.topActivity;
        if (!frame.callback && parent?.a === 'syscall' && r.ret !== 0n && parent.ret === null) parent.ret = BigInt.asIntN(32, r.ret);
        // The tested program's return value (the kfree_skb programs a test run fires after it do not count).
        if (!frame.callback && parent?.a === 'syscall' && parent.sys.sys === 'prog_test_run' && parent.stage === 1) parent.scratch = Number(BigInt.asIntN(32, r.ret));
        // Inside task_work_run (a callback, or a program of __fput): irq_work the program queued is
        // raised by a self-IPI (irq_work_queue → arch_irq_work_raise) and runs before the loop looks
        // for more work, so a work it adds runs in this same task_work_run: a preemption point.
        if (k.t.irqWork.length > 0 && (parent?.a === 'task_work_run' || parent?.a === 'fput')) return;
        continue;
      }
      case 'fput': {
        // __fput: security_file_release runs the lsm/file_release programs (newest first, from a
        // trampoline; a void hook: their return values are ignored), then the file is released.
        const hooks = k.cold.hooks.get('lsm/file_release') ?? [];
        const prog = hooks[act.stage];
        if (prog !== undefined) {
          act.stage += 1;
          const lp = k.cold.progs.get(prog);
          if (lp !== undefined) {
            task.pushActivity({
              a: 'prog', started: false,
              frame: { id: k.t.nextId('frame'), prog, fn: lp.name, callback: false, pc: 0, regs: { r1: { ptr: 'file', file: act.file } }, resume: null, sleepable: lp.sleepable, ctxFile: act.file, twCtx: null },
            });
          }
          continue;
        }
        task.popActivity();
        freeFile(withContext(k, taskContext(task)), act.file);
        continue;
      }
      case 'exit_to_user': {
        // exit_to_user_mode_loop: TIF_NOTIFY_SIGNAL (get_signal) first, then TIF_NOTIFY_RESUME; each
        // runs task_work_run if works are queued, and the loop repeats until no flag is set.
        if (task.notifyPending) {
          if (task.notifySignal) task.notifySignal = false;
          else task.notifyResume = false;
          if (task.works.queue.length > 0) task.pushActivity({ a: 'task_work_run', batch: WorkList.empty(), exiting: false });
          continue;
        }
        task.popActivity();
        if (task.topActivity !== undefined) continue; // a restarted syscall continues
        emitTask(k, pid, 'user', 'returned to user mode');
        task.state = 'runnable';
        return;
      }
      case 'task_work_run': {
        const w = act.batch.head;
        if (w !== undefined) {
          act.batch = act.batch.rest;
          if (runWork(k, task, w) && stop === 'T5') {
            if (task.state === 'running') task.state = 'runnable';
            return;
          }
          continue;
        }
        const batch = takeBatch(k, pid);
        if (batch.length === 0) task.popActivity();
        else act.batch = batch;
        continue;
      }
      case 'do_exit': {
        // Each stage of do_exit is a preemption point: irq_work may run between exit_mm and
        // exit_task_work (then the work runs at exit, with no mm).
        doExitStage(k, task, act);
        const next = task.topActivity?.a;
        if (next === 'task_work_run' || next === 'prog') continue;
        return;
      }
    }
  }
}

/** The hook whose programs `do_exit` runs at its tracepoint (stage `EXIT_TRACEPOINT_STAGE`, model/task/stops.ts). */
const EXIT_HOOK = 'tp_btf/sched_process_exit';
const EXIT_HOOKS: readonly string[] = [EXIT_HOOK];
/** `trace_sched_process_exit(tsk, group_dead)`'s arguments. */
const exitTracepointArgs = (task: Task): RegVal[] => [{ ptr: 'task', pid: task.pid }, 1n];

/**
 * `do_exit` in the order that matters here: PF_EXITING (`exit_signals`); the tp_btf/sched_process_exit
 * programs (`trace_sched_process_exit(tsk, group_dead)`: group_dead is true, a model task is its own
 * thread group), at the start of the next stage; exit_mm, exit_files, exit_task_work, dead.
 */
function doExitStage(k: Kern, task: TaskRecord, act: Extract<Activity, { a: 'do_exit' }>): void {
  const pid = task.pid;
  if (act.stage === EXIT_TRACEPOINT_STAGE && pushHookProgram(k, task, act, EXIT_HOOKS, exitTracepointArgs)) return;
  act.stage += 1;
  switch (act.stage) {
    case 1:
      task.pfExiting = true;
      task.state = 'exiting';
      return;
    case 2:
      if (task.mm !== null) {
        const exe = task.mm.exe_file;
        task.mm = null;
        emitTask(k, pid, 'exit_mm', 'mm released');
        const kk = withContext(k, taskContext(task));
        putFile(kk, exe);
        settle(kk);
      }
      return;
    case 3: {
      emitTask(k, pid, 'exit_files', `${task.fds.size} open file(s) closed`);
      // Nothing deferred is pending here (each step ends by settling): with no file open, nothing to do.
      if (task.fds.size === 0) return;
      const kk = withContext(k, taskContext(task));
      for (const f of [...task.fds.values()]) putFile(kk, f);
      task.closeAllFds();
      settle(kk);
      return;
    }
    case 4:
      emitTask(k, pid, 'exit_task_work', '');
      task.pushActivity({ a: 'task_work_run', batch: WorkList.empty(), exiting: true });
      return;
    default:
      // do_exit was all the stack held: a dead task keeps an empty one, not the array it ran on (with
      // the room its pushes made).
      task.clearStack();
      task.state = 'dead';
      task.wait = null;
      emitTask(k, pid, 'dead', '');
      wakeParent(k, task);
  }
}

/** Wake the tasks waiting for a page, by pid (the run queue knows them). */
function wakePageWaiters(k: Kern, ino: number, pgoff: number): void {
  for (const pid of k.t.runQueue().waitersOf(ioKey(ino, pgoff))) {
    const t = k.t.tasks.get(pid);
    if (t?.state === 'io_wait' && t.wait?.kind === 'page' && t.wait.ino === ino && t.wait.pgoff === pgoff) {
      const w = ownTask(k, pid);
      w.state = 'runnable';
      w.wait = null;
      emitTask(k, pid, 'wake', `ino ${ino} page ${pgoff} unlocked`);
    }
  }
}

/** Carry out one action. */
export function perform(k: Kern, a: Action, chooser: Chooser = defaultChooser): void {
  k.t.preempt = a.kind === 'task' && a.stop === 'call';
  switch (a.kind) {
    case 'irq': {
      const irq = k.t.shiftIrq();
      if (irq === undefined) return;
      if (irq.kind === 'bpf_task_work_irq') {
        // A handler that stopped part-way continues without a new `run` line (its steps show).
        if (irq.stage === undefined) emit(k, { kind: 'irq_work', t: k.t.now, op: 'run', work: `${irq.kind}(ctx#${irq.ctx})` });
        taskWorkIrq(k, irq.ctx, irq.stage ?? 0, a.stop ?? null);
      } else {
        emit(k, { kind: 'irq_work', t: k.t.now, op: 'run', work: `${irq.kind}(ctx#${irq.ctx})` });
        if (irq.kind === 'bpf_task_work_destroy') destroyIrq(k, irq.ctx);
        else cancelScheduledIrq(k, irq.ctx);
      }
      break;
    }
    case 'task':
      stepTask(k, a.pid, chooser, a.stop === 'T5' ? 'T5' : undefined);
      break;
    case 'io':
      if (!k.t.io.has(ioKey(a.ino, a.pgoff))) throw new KernsimError(`no I/O in flight for ino ${a.ino} page ${a.pgoff}`);
      completeRead(k, a.ino, a.pgoff);
      wakePageWaiters(k, a.ino, a.pgoff);
      break;
    case 'timer': {
      const t = ownTask(k, a.pid);
      if (k.t.now < a.at) k.t.now = a.at;
      t.state = 'runnable';
      t.wait = null;
      emitTask(k, a.pid, 'wake', 'timer expired');
      break;
    }
  }
  settle(k);
}

/** `perform(k, { kind: 'task', pid }, chooser)`, without the object (`run`'s most common step). */
function performTask(k: Kern, pid: Pid, chooser: Chooser): void {
  k.t.preempt = false;
  stepTask(k, pid, chooser);
  settle(k);
}

/** One step: pick a ready action with the chooser and carry it out. `done` when nothing is ready. */
export function step(world: World, chooser: Chooser): { world: World; done: boolean } {
  checkWorld('world', world);
  checkChooser('chooser', chooser);
  const rq = runQueueOf(world);
  const smp = world.smp ? smpActions(world, rq) : null;
  const n = readyCount(world, rq, smp);
  if (n === 0) return { world, done: true };
  const i = chooser.choose('step', n);
  if (!Number.isInteger(i) || i < 0 || i >= n) throw new KernsimError(`chooser picked ${i} of ${n} actions`);
  const action = readyAt(world, rq, i, smp);
  const k = begin(world, NON_SLEEPABLE, rq);
  k.t.choose(i);
  perform(k, action, chooser);
  return { world: end(k), done: false };
}

/**
 * Step `world` by ready action `i` (its index in `readyActions(world)`, recorded as the choice), for
 * the explorer (src/explore): `log`, when given, records what the step read (model/world/footprint.ts).
 * Throws what the step throws (a use after free, a kernel bug the model detects), with nothing applied.
 */
export function stepIndex(world: World, i: number, log?: ReadLog): World {
  checkWorld('world', world);
  const rq = runQueueOf(world);
  const smp = world.smp ? smpActions(world, rq) : null;
  const n = readyCount(world, rq, smp);
  if (!Number.isSafeInteger(i) || i < 0 || i >= n) throw new ArgumentError('i', i, `a ready action's index (0 to ${n - 1})`);
  const action = readyAt(world, rq, i, smp);
  const k = begin(world, NON_SLEEPABLE, rq, log);
  k.t.choose(i);
  try {
    perform(k, action);
  } catch (e) {
    rq.owner = null;
    throw e;
  }
  return end(k);
}

export interface RunOptions {
  /** Steps before the run is called a livelock (default: the world's `budgets.steps`, 1,000,000). */
  readonly maxSteps?: number;
}

/**
 * Step until nothing is ready: every task dead or blocked forever, no event pending. Past the world's
 * `steps` budget (or `opts.maxSteps`), or when the clock passes its `time` budget, a `BudgetError`.
 * The steps are made in one transition (only the last world is returned, so the ones between are
 * never made): the same choices, trace and final world as `step` after `step`, without a world per
 * step.
 */
export function run(world: World, chooser: Chooser, opts: RunOptions = {}): World {
  checkWorld('world', world);
  checkChooser('chooser', chooser);
  if (opts === null || typeof opts !== 'object') throw new ArgumentError('opts', opts, 'run options ({ maxSteps? })');
  const max = opts.maxSteps ?? world.budgets.steps;
  if (!Number.isSafeInteger(max) || max < 1) throw new ArgumentError('opts.maxSteps', max, 'a positive integer');
  const time = world.budgets.time;
  const rq = runQueueOf(world);
  const k = begin(world, NON_SLEEPABLE, rq);
  try {
    for (let n = 0; n < max; n += 1) {
      k.t.syncRunQueue();
      const smp = k.t.smp ? smpActions({ irqWork: k.t.irqWork, current: k.t.current, smp: true, tasks: k.t.tasks, twctx: k.cold.twctx, hooks: k.cold.hooks }, rq) : null;
      const count = readyCount(k.t, rq, smp);
      if (count === 0) return end(k);
      const i = chooser.choose('step', count);
      if (!Number.isInteger(i) || i < 0 || i >= count) throw new KernsimError(`chooser picked ${i} of ${count} actions`);
      // A task's plain step (in an smp world too: the smp actions come after every ordinary one).
      const pid = readyTaskAt(k.t, rq, i);
      const action = pid < 0 ? readyAt(k.t, rq, i, smp) : null;
      k.t.choose(i);
      if (action === null) performTask(k, pid, chooser);
      else perform(k, action, chooser);
      if (k.t.now > time) throw new BudgetError('time', time, `virtual time reached t=${k.t.now} after ${n + 1} steps`);
    }
  } catch (e) {
    // The run queue was brought along step by step: it no longer describes `world`.
    rq.owner = null;
    throw e;
  }
  rq.owner = null;
  throw new BudgetError('steps', max, `no quiescence after ${max} steps`);
}
