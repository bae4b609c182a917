/**
 * The simulator: tasks, virtual time and events, advanced one step at a time. A step is one of the
 * ready actions, picked by the chooser: run the oldest irq_work, run a task until it blocks or
 * reaches a preemption point (a syscall's end, before the return to user mode; the return to user
 * mode itself), or let the earliest timed event happen (an I/O completion, a sleep's end), which
 * moves the clock. Each step is one world transition.
 */
import { ArgumentError, BudgetError, KernsimError } from '../model/kernel/errors.ts';
import { checkChooser, checkWorld } from '../model/kernel/args.ts';
import { freeFile, putFile } from '../model/fs/files.ts';
import { completeRead } from '../model/fs/io.ts';
import { ioKey, type IoRequest } from '../model/fs/types.ts';
import type { Activity, Pid, Task, Work } from '../model/task/types.ts';
import { emit, NON_SLEEPABLE, transact, withContext, type Kern } from '../model/world/world.ts';
import { type World } from '../model/world/state.ts';
import { callbackDone, callbackStart, cancelScheduledIrq, taskWorkIrq } from '../task_work/bpf_task_work.ts';
import { describeWork, takeBatch, taskWorkAdd } from '../task_work/queue.ts';
import { settle } from '../task_work/settle.ts';
import { defaultChooser, type Chooser } from './chooser.ts';
import { runFrame } from './interp.ts';
import { describeSyscall, stepSyscall, taskContext } from './syscalls.ts';

export type Action =
  | { readonly kind: 'irq' }
  | { readonly kind: 'task'; readonly pid: Pid }
  | { readonly kind: 'io'; readonly ino: number; readonly pgoff: number; readonly at: number }
  | { readonly kind: 'timer'; readonly pid: Pid; readonly at: number };

const runnable = (t: { state: string }): boolean => t.state === 'runnable' || t.state === 'running' || t.state === 'exiting';

/**
 * The ready actions, default first: irq_work; timed events already due (an interrupt at this instant
 * is handled before a task runs); the task that ran last; other tasks; then the earliest timed events
 * in the future (choosing one moves the clock to it).
 */
export function readyActions(world: World): Action[] {
  const out: Action[] = [];
  if (world.irqWork.length > 0) out.push({ kind: 'irq' });
  const timed: (Extract<Action, { at: number }>)[] = [];
  for (const req of world.io.values() as Iterable<IoRequest>) timed.push({ kind: 'io', ino: req.ino, pgoff: req.pgoff, at: req.completesAt });
  for (const t of world.tasks.values()) if (t.state === 'interruptible' && t.wait?.kind === 'timer') timed.push({ kind: 'timer', pid: t.pid, at: t.wait.until });
  const now = world.clock.now;
  // Loops, not push(...spread) or Math.min(...spread): 262,144 reads in flight overflow the stack.
  for (const a of timed) if (a.at <= now) out.push(a);
  const tasks = [...world.tasks.values()].filter(runnable).map((t) => t.pid).sort((a, b) => a - b);
  if (world.current !== null && tasks.includes(world.current)) out.push({ kind: 'task', pid: world.current });
  for (const pid of tasks) if (pid !== world.current) out.push({ kind: 'task', pid });
  const future = timed.filter((a) => a.at > now);
  if (future.length > 0) {
    let first = Infinity;
    for (const a of future) if (a.at < first) first = a.at;
    for (const a of future) if (a.at === first) out.push(a);
  }
  return out;
}

export function describeAction(a: Action): string {
  switch (a.kind) {
    case 'irq': return 'irq_work';
    case 'task': return `task ${a.pid}`;
    case 'io': return `io ino ${a.ino} page ${a.pgoff} @${a.at}`;
    case 'timer': return `timer pid ${a.pid} @${a.at}`;
  }
}

function taskOf(k: Kern, pid: Pid): Task {
  const t = k.s.tasks.get(pid);
  if (t === undefined) throw new KernsimError(`no task ${pid}`);
  return t as Task;
}

function top(task: Task): Activity | undefined {
  return task.stack[task.stack.length - 1];
}

/** Run one work of a `task_work_run` batch. */
function runWork(k: Kern, task: Task, w: Work): void {
  emit(k, { kind: 'task_work', t: k.t.now, pid: task.pid, op: 'run', work: describeWork(w.fn), detail: '' });
  const kk = withContext(k, taskContext(task));
  switch (w.fn.kind) {
    case 'note':
      if (w.fn.then !== undefined) taskWorkAdd(kk, task.pid, { kind: 'note', label: w.fn.then.label }, w.fn.then.mode);
      return;
    case 'fput':
      freeFile(kk, w.fn.file);
      return;
    case 'bpf_task_work': {
      const ctx = k.s.twctx.get(w.fn.ctx);
      if (ctx === undefined || !callbackStart(kk, w.fn.ctx)) return;
      const map = ctx.map;
      const key = ctx.key;
      task.stack.push({
        a: 'prog', started: false,
        frame: {
          id: k.s.ids.frame++, prog: ctx.prog ?? -1, fn: ctx.callback ?? '?', callback: true, pc: 0,
          regs: { r1: { ptr: 'map', map }, r2: BigInt(key), r3: { ptr: 'map_value', map, key } },
          resume: null, sleepable: true, ctxFile: null, twCtx: ctx.id,
        },
      });
    }
  }
}

/**
 * Run `task` until it blocks, dies, or reaches a preemption point (the end of a syscall, before the
 * return to user mode; the return to user mode), where the scheduler may run something else.
 */
export function stepTask(k: Kern, pid: Pid, chooser: Chooser = defaultChooser): void {
  const task = taskOf(k, pid);
  k.s.current = pid;
  if (task.state === 'runnable') task.state = 'running';
  for (;;) {
    if (task.state !== 'running' && task.state !== 'exiting') return;
    const act = top(task);
    if (act === undefined) {
      // User mode. A notify flag set meanwhile (the kick IPI of task_work_add) brings the task into
      // the kernel; it runs its task_work on the return from that interrupt.
      if (task.flags.notifySignal || task.flags.notifyResume) {
        task.stack.push({ a: 'exit_to_user' });
        continue;
      }
      // The next syscall of the script (an implicit exit at its end).
      const sys = task.script[task.pc] ?? { sys: 'exit' as const };
      task.pc += 1;
      emit(k, { kind: 'syscall', t: k.t.now, pid, op: 'enter', call: describeSyscall(sys) });
      task.stack.push({ a: 'syscall', sys, stage: 0, ret: null, scratch: 0 });
      continue;
    }
    switch (act.a) {
      case 'syscall': {
        const r = stepSyscall(k, task, act);
        if (r.kind === 'blocked') return;
        if (r.kind === 'pushed') continue;
        task.stack.pop();
        task.results.push(r.ret);
        emit(k, { kind: 'syscall', t: k.t.now, pid, op: 'exit', call: describeSyscall(act.sys), ret: r.ret < 0n ? `${r.ret}` : `${r.ret}` });
        task.stack.push({ a: 'exit_to_user' });
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
        if (!r.done) return;
        task.stack.pop();
        for (const slot of [...k.t.dynptrs.keys()]) if (slot.endsWith(`@${frame.id}`)) k.t.own('dynptrs').delete(slot);
        emit(k, { kind: 'prog', t: k.t.now, pid, op: 'exit', name: frame.fn, detail: `= ${r.ret}${frame.callback ? ' (ignored)' : ''}` });
        if (frame.twCtx !== null) callbackDone(k, frame.twCtx);
        const parent = top(task);
        if (!frame.callback && parent?.a === 'syscall' && r.ret !== 0n && parent.ret === null) parent.ret = BigInt.asIntN(32, r.ret);
        if (!frame.callback && parent?.a === 'syscall' && parent.sys.sys === 'prog_test_run') parent.scratch = Number(BigInt.asIntN(32, r.ret));
        continue;
      }
      case 'exit_to_user': {
        // exit_to_user_mode_loop: TIF_NOTIFY_SIGNAL (get_signal) first, then TIF_NOTIFY_RESUME; each
        // runs task_work_run if works are queued, and the loop repeats until no flag is set.
        if (task.flags.notifySignal || task.flags.notifyResume) {
          if (task.flags.notifySignal) task.flags.notifySignal = false;
          else task.flags.notifyResume = false;
          if (task.works.queue.length > 0) task.stack.push({ a: 'task_work_run', batch: [], exiting: false });
          continue;
        }
        task.stack.pop();
        if (top(task) !== undefined) continue; // a restarted syscall continues
        emit(k, { kind: 'task', t: k.t.now, pid, op: 'user', detail: 'returned to user mode' });
        task.state = 'runnable';
        return;
      }
      case 'task_work_run': {
        const w = act.batch.shift();
        if (w !== undefined) {
          runWork(k, task, w);
          continue;
        }
        const batch = takeBatch(k, pid);
        if (batch.length === 0) task.stack.pop();
        else act.batch = batch;
        continue;
      }
      case 'do_exit':
        // Each stage of do_exit is a preemption point: irq_work may run between exit_mm and
        // exit_task_work (then the work runs at exit, with no mm).
        doExitStage(k, task, act);
        if (task.stack[task.stack.length - 1]?.a === 'task_work_run') continue;
        return;
    }
  }
}

/** `do_exit` in the order that matters here: PF_EXITING, exit_mm, exit_files, exit_task_work, dead. */
function doExitStage(k: Kern, task: Task, act: Extract<Activity, { a: 'do_exit' }>): void {
  const kk = withContext(k, taskContext(task));
  const pid = task.pid;
  act.stage += 1;
  switch (act.stage) {
    case 1:
      task.flags.pfExiting = true;
      task.state = 'exiting';
      return;
    case 2:
      if (task.mm !== null) {
        const exe = task.mm.exe_file;
        task.mm = null;
        emit(k, { kind: 'task', t: k.t.now, pid, op: 'exit_mm', detail: 'mm released' });
        putFile(kk, exe);
        settle(kk);
      }
      return;
    case 3:
      emit(k, { kind: 'task', t: k.t.now, pid, op: 'exit_files', detail: `${task.fds.size} open file(s) closed` });
      for (const f of [...task.fds.values()]) putFile(kk, f);
      task.fds.clear();
      settle(kk);
      return;
    case 4:
      emit(k, { kind: 'task', t: k.t.now, pid, op: 'exit_task_work', detail: '' });
      task.stack.push({ a: 'task_work_run', batch: [], exiting: true });
      return;
    default:
      task.stack.pop();
      task.state = 'dead';
      task.wait = null;
      emit(k, { kind: 'task', t: k.t.now, pid, op: 'dead', detail: '' });
  }
}

/** Wake the tasks waiting for a page. */
function wakePageWaiters(k: Kern, ino: number, pgoff: number): void {
  for (const t of k.s.tasks.values()) {
    if (t.state === 'io_wait' && t.wait?.kind === 'page' && t.wait.ino === ino && t.wait.pgoff === pgoff) {
      t.state = 'runnable';
      t.wait = null;
      emit(k, { kind: 'task', t: k.t.now, pid: t.pid, op: 'wake', detail: `ino ${ino} page ${pgoff} unlocked` });
    }
  }
}

/** Carry out one action. */
export function perform(k: Kern, a: Action, chooser: Chooser = defaultChooser): void {
  switch (a.kind) {
    case 'irq': {
      const irq = k.s.irqWork.shift();
      if (irq === undefined) return;
      emit(k, { kind: 'irq_work', t: k.t.now, op: 'run', work: `${irq.kind}(ctx#${irq.ctx})` });
      if (irq.kind === 'bpf_task_work_irq') taskWorkIrq(k, irq.ctx);
      else cancelScheduledIrq(k, irq.ctx);
      break;
    }
    case 'task':
      stepTask(k, a.pid, chooser);
      break;
    case 'io':
      if (!k.t.io.has(ioKey(a.ino, a.pgoff))) throw new KernsimError(`no I/O in flight for ino ${a.ino} page ${a.pgoff}`);
      completeRead(k, a.ino, a.pgoff);
      wakePageWaiters(k, a.ino, a.pgoff);
      break;
    case 'timer': {
      const t = taskOf(k, a.pid);
      if (k.t.now < a.at) k.t.now = a.at;
      t.state = 'runnable';
      t.wait = null;
      emit(k, { kind: 'task', t: k.t.now, pid: a.pid, op: 'wake', detail: 'timer expired' });
      break;
    }
  }
  settle(k);
}

/** One step: pick a ready action with the chooser and carry it out. `done` when nothing is ready. */
export function step(world: World, chooser: Chooser): { world: World; done: boolean } {
  checkWorld('world', world);
  checkChooser('chooser', chooser);
  const actions = readyActions(world);
  if (actions.length === 0) return { world, done: true };
  const i = chooser.choose('step', actions.length);
  const action = actions[i];
  if (action === undefined) throw new KernsimError(`chooser picked ${i} of ${actions.length} actions`);
  const next = transact(world, NON_SLEEPABLE, (k) => {
    k.s.choices.push(i);
    perform(k, action, chooser);
  }).world;
  return { world: next, done: false };
}

export interface RunOptions {
  /** Steps before the run is called a livelock (default: the world's `budgets.steps`, 1,000,000). */
  readonly maxSteps?: number;
}

/**
 * Step until nothing is ready: every task dead or blocked forever, no event pending. Past the world's
 * `steps` budget (or `opts.maxSteps`), or when the clock passes its `time` budget, a `BudgetError`.
 */
export function run(world: World, chooser: Chooser, opts: RunOptions = {}): World {
  checkWorld('world', world);
  checkChooser('chooser', chooser);
  if (opts === null || typeof opts !== 'object') throw new ArgumentError('opts', opts, 'run options ({ maxSteps? })');
  const max = opts.maxSteps ?? world.budgets.steps;
  if (!Number.isSafeInteger(max) || max < 1) throw new ArgumentError('opts.maxSteps', max, 'a positive integer');
  const time = world.budgets.time;
  let w = world;
  for (let n = 0; n < max; n += 1) {
    const r = step(w, chooser);
    if (r.done) return r.world;
    w = r.world;
    if (w.clock.now > time) throw new BudgetError('time', time, `virtual time reached t=${w.clock.now} after ${n + 1} steps`);
  }
  throw new BudgetError('steps', max, `no quiescence after ${max} steps`);
}
