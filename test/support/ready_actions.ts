/**
 * The scheduler's ready actions by their definition, worked out from a world's tasks and reads in
 * flight (and, on an smp machine, its contexts and hooks), the way src/scheduler/step.ts defined them
 * before the run queue, from every task (test/runqueue.test.ts, test/rebase.test.ts check the run
 * queue against it).
 */
import type { Action, World } from '../../src/index.ts';

/** The ready actions by their definition (README "The scheduler"; src/scheduler/step.ts). */
export function definedActions(world: World): Action[] {
  const out: Action[] = [];
  if (world.irqWork.length > 0) out.push({ kind: 'irq' });
  const timed: Extract<Action, { at: number }>[] = [];
  for (const req of world.io.values()) timed.push({ kind: 'io', ino: req.ino, pgoff: req.pgoff, at: req.completesAt });
  for (const t of world.tasks.values()) if (t.state === 'interruptible' && t.wait?.kind === 'timer') timed.push({ kind: 'timer', pid: t.pid, at: t.wait.until });
  const now = world.clock.now;
  out.push(...timed.filter((a) => a.at <= now));
  const runnable = [...world.tasks.values()].filter((t) => t.state === 'runnable' || t.state === 'running' || t.state === 'exiting').map((t) => t.pid).sort((a, b) => a - b);
  if (world.current !== null && runnable.includes(world.current)) out.push({ kind: 'task', pid: world.current });
  for (const pid of runnable) if (pid !== world.current) out.push({ kind: 'task', pid });
  const future = timed.filter((a) => a.at > now);
  if (future.length > 0) {
    const first = Math.min(...future.map((a) => a.at));
    out.push(...future.filter((a) => a.at === first));
  }
  if (world.smp) out.push(...definedSmpActions(world, runnable));
  return out;
}

/** Syscalls that run BPF programs of their own: `open` (lsm/file_open), `prog_test_run`, `fork`. */
const RUNS_PROGRAMS = ['open', 'prog_test_run', 'fork'];

/**
 * The smp actions by their definition (src/scheduler/step.ts, README "The scheduler"), from every
 * runnable task of the world: the head `bpf_task_work_irq` stopping after T2 (its context PENDING, the
 * handler not started) or after `task_work_add` (that add would succeed); each runnable task, by pid,
 * stopping at the start of a BPF task_work callback it queued or took whose context is SCHEDULING or
 * SCHEDULED; each runnable task, by pid, stopping at its next call when its next step may run a BPF
 * program (a program runs, a syscall running programs is in progress or next, do_exit has not run
 * attached `sched_process_exit` programs yet, or such a callback would start).
 */
function definedSmpActions(world: World, runnable: readonly number[]): Action[] {
  const out: Action[] = [];
  const head = world.irqWork[0];
  if (head?.kind === 'bpf_task_work_irq') {
    const stage = head.stage ?? 0;
    const c = world.twctx.get(head.ctx);
    const started = c !== undefined && (stage === 1 || (stage === 0 && c.state === 'PENDING'));
    if (started && stage === 0) out.push({ kind: 'irq', stop: 'T2' });
    const target = c?.task === null || c === undefined ? undefined : world.tasks.get(c.task);
    if (started && target !== undefined && !target.works.exited) out.push({ kind: 'irq', stop: 'add' });
  }
  const wouldStart = (ctx: number): boolean => {
    const state = world.twctx.get(ctx)?.state;
    return state === 'SCHEDULING' || state === 'SCHEDULED';
  };
  const callbackStarts = (pid: number): boolean => {
    const t = world.tasks.get(pid);
    if (t === undefined) return false;
    const works = [...t.works.queue, ...t.stack.flatMap((a) => (a.a === 'task_work_run' ? [...a.batch] : []))];
    return works.some((w) => w.fn.kind === 'bpf_task_work' && wouldStart(w.fn.ctx));
  };
  const exitHooks = (world.hooks.get('tp_btf/sched_process_exit')?.length ?? 0) > 0;
  const mayRunProgram = (pid: number): boolean => {
    const t = world.tasks.get(pid);
    if (t === undefined) return false;
    const next = t.stack.length === 0 ? t.script[t.pc] : undefined;
    return t.stack.some((a) => a.a === 'prog' || (a.a === 'syscall' && RUNS_PROGRAMS.includes(a.sys.sys)) || (a.a === 'do_exit' && a.stage <= 1 && exitHooks))
      || (next !== undefined && RUNS_PROGRAMS.includes(next.sys))
      || callbackStarts(pid);
  };
  for (const pid of runnable) if (callbackStarts(pid)) out.push({ kind: 'task', pid, stop: 'T5' });
  for (const pid of runnable) if (mayRunProgram(pid)) out.push({ kind: 'task', pid, stop: 'call' });
  return out;
}
