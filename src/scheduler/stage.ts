/**
 * What a syscall's stage returns (syscalls.ts, fork.ts), and what stages do: run the next program
 * attached to a hook, finish, or restart after the return to user mode.
 */
import { EXIT_TO_USER, type TaskRecord } from '../model/task/record.ts';
import type { Activity, RegVal, Task } from '../model/task/types.ts';
import { emitSyscall, type Kern } from '../model/world/world.ts';
import { settle } from '../task_work/settle.ts';

export type SyscallActivity = Extract<Activity, { a: 'syscall' }>;
export type SyscallStep = { readonly kind: 'done'; readonly ret: bigint } | { readonly kind: 'blocked' } | { readonly kind: 'pushed' };
export const PUSHED: SyscallStep = Object.freeze({ kind: 'pushed' });
export const BLOCKED: SyscallStep = Object.freeze({ kind: 'blocked' });

/**
 * Push the next program attached to one of `hooks` (the activity's `hooks` counts the ones run: a
 * syscall's, do_exit's): it runs in the task, with its context in R1. Returns false when all have run.
 * `args` (the tracepoint's arguments) may be given as a function of the task, called only when a
 * program is pushed: a hook every task passes, most often with nothing attached, then makes none.
 */
export function pushHookProgram(k: Kern, task: TaskRecord, act: { hooks?: number }, hooks: readonly string[], args?: RegVal[] | ((task: Task) => RegVal[])): boolean {
  const i = act.hooks ?? 0;
  // Program i of the hooks' lists one after the other (no list made: most syscalls have none).
  let prog: number | undefined;
  let j = i;
  for (const h of hooks) {
    const progs = k.cold.hooks.get(h);
    if (progs === undefined) continue;
    if (j < progs.length) {
      prog = progs[j];
      break;
    }
    j -= progs.length;
  }
  if (prog === undefined) return false;
  act.hooks = i + 1;
  const lp = k.cold.progs.get(prog);
  if (lp === undefined) return true;
  task.pushActivity({
    a: 'prog', started: false,
    frame: {
      id: k.t.nextId('frame'), prog, fn: lp.name, callback: false, pc: 0, regs: { r1: { ptr: 'ctx' } }, resume: null, sleepable: lp.sleepable, ctxFile: null, twCtx: null,
      ...(args === undefined ? {} : { ctxArgs: typeof args === 'function' ? args(task) : args }),
    },
  });
  return true;
}

/** A syscall finished with `ret` (what it deferred carried out first). */
export function done(kk: Kern, ret: bigint | number): SyscallStep {
  settle(kk);
  return { kind: 'done', ret: BigInt(ret) };
}


/**
 * A sleep broken by TIF_NOTIFY_SIGNAL (`signal_pending`): the syscall returns -ERESTART… with no real
 * signal, so the return to user mode runs the task_work and the syscall starts again (the activity
 * stays under the pushed return to user mode).
 */
export function restart(k: Kern, task: TaskRecord, act: SyscallActivity): SyscallStep {
  emitSyscall(k, task.pid, 'restart', act.sys);
  task.pushActivity(EXIT_TO_USER);
  return PUSHED;
}
