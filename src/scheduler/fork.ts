/**
 * `fork()` as glibc makes it: `clone(CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD)`, which the
 * kernel runs as `kernel_clone` → `copy_process` (kernel/fork.c), in the parent. What the model keeps of
 * copy_process, in its order:
 *
 * 1. `dup_task_struct` copies the parent's task_struct (its pid and tgid too: `Task.forking`) with
 *    `rcu_users` 2 and no task_work; `sched_fork` makes it `TASK_NEW` (state `new`: it does not run).
 * 2. `security_task_alloc` runs the `lsm/task_alloc` programs (newest first, as a trampoline runs
 *    them), each with the new task and the clone flags, stopping at the first that returns an error.
 *    On an error, `security_task_alloc` itself calls `security_task_free` (the `lsm/task_free`
 *    programs run on the new task, in the parent), and copy_process frees the task
 *    (`delayed_free_task`): fork returns the error.
 * 3. `copy_files` (the child's descriptors name the parent's files: one reference more on each),
 *    `copy_mm` (`dup_mm`: a new mm holding the same executable file, one reference more), `alloc_pid`
 *    (the task's own pid and tgid), `attach_pid` (a pid lookup finds it from here on).
 * 4. `trace_task_newtask` runs the `tp_btf/task_newtask` programs (in the parent; their return values
 *    are ignored). copy_process returns to `kernel_clone`, whose `trace_sched_process_fork` runs the
 *    `tp_btf/sched_process_fork` programs (the parent and the child as arguments), then
 *    `wake_up_new_task` makes the child runnable (the trace's `spawn` of it). The parent's result is
 *    its pid.
 *
 * The child starts in user mode at the first syscall of its script (`ret_from_fork`), as a spawned
 * task does. It stays a zombie after it exits until its parent reaps it (`wait`, `waitChild`; or the
 * scenario: `Session.reap`).
 *
 * The model numbers the new task at step 1 (its record needs a key while the programs of step 2 hold a
 * pointer to it); the kernel gives it its pid at step 3. So a fork that fails in step 2 leaves a gap in
 * the model's pids, which are the model's own numbers in any case.
 */
import { KernelBugError } from '../model/kernel/errors.ts';
import { ECHILD } from '../model/kernel/errno.ts';
import { getFile } from '../model/fs/files.ts';
import { TaskRecord } from '../model/task/record.ts';
import { ownTask } from '../model/task/task.ts';
import type { RegVal, Syscall, Task } from '../model/task/types.ts';
import { emitTask, type Kern } from '../model/world/world.ts';
import { BLOCKED, done, PUSHED, pushHookProgram, restart, type SyscallActivity, type SyscallStep } from './stage.ts';
import { reapTask } from './setup.ts';

/**
 * The `clone_flags` copy_process gets for glibc's fork (sysdeps/unix/sysv/linux/arch-fork.h):
 * `CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID`. The `SIGCHLD` of the clone call is the exit signal,
 * which the `clone` syscall takes out of the flags (`kernel_clone_args.flags = clone_flags & ~CSIGNAL`).
 */
export const FORK_CLONE_FLAGS = 0x0120_0000n;

/**
 * Stages: 0 dup_task_struct; 1 the lsm/task_alloc programs; 2 after an error, the lsm/task_free
 * programs; 3 the tp_btf/task_newtask programs; 4 the tp_btf/sched_process_fork programs.
 */
export function fork(k: Kern, kk: Kern, task: TaskRecord, act: SyscallActivity, sys: Extract<Syscall, { sys: 'fork' }>): SyscallStep {
  if (act.stage === 0) {
    const pid = k.t.nextId('pid');
    k.t.addTask(new TaskRecord({ pid, comm: task.comm, mm: task.mm, script: sys.script, fork: { parent: task.pid, tgid: task.tgid } }));
    emitTask(k, pid, 'fork', `dup_task_struct of pid ${task.pid} (${task.comm}): TASK_NEW, no pid yet`);
    act.scratch = pid;
    act.stage = 1;
    act.hooks = 0;
  }
  const pid = act.scratch;
  const self: RegVal = { ptr: 'task', pid };
  if (act.stage === 1) {
    // call_int_hook: the first program to return an error stops the others.
    if (act.ret === null && pushHookProgram(k, task, act, ['lsm/task_alloc'], [self, FORK_CLONE_FLAGS])) return PUSHED;
    act.hooks = 0;
    if (act.ret !== null) act.stage = 2;
    else {
      copied(k, kk, task, pid);
      act.stage = 3;
    }
  }
  if (act.stage === 2) {
    if (pushHookProgram(k, task, act, ['lsm/task_free'], [self])) return PUSHED;
    const child = ownTask(k, pid);
    if (child.usage > 0) throw new KernelBugError(`fork by pid ${task.pid}`, `a reference is still held on the task being forked (pid ${pid}), which copy_process frees regardless (free_task)`);
    k.t.removeTask(pid);
    emitTask(k, pid, 'free', `security_task_alloc failed: ${String(act.ret)}; delayed_free_task`);
    return done(kk, act.ret ?? 0n);
  }
  if (act.stage === 3) {
    // trace_task_newtask (a tracepoint: the programs' return values mean nothing).
    if (pushHookProgram(k, task, act, ['tp_btf/task_newtask'], [self, FORK_CLONE_FLAGS])) return PUSHED;
    act.hooks = 0;
    act.stage = 4;
  }
  // Stage 4, back in kernel_clone: trace_sched_process_fork(current, p), before wake_up_new_task.
  if (pushHookProgram(k, task, act, ['tp_btf/sched_process_fork'], [{ ptr: 'task', pid: task.pid }, self])) return PUSHED;
  ownTask(k, pid).state = 'runnable';
  // As a spawned task, it is now a runnable task in user mode (the timelines open its lane here).
  emitTask(k, pid, 'spawn', `${task.comm}, forked by pid ${task.pid} (wake_up_new_task)`);
  return done(kk, pid);
}

/** copy_files, copy_mm, alloc_pid and attach_pid for the new task `pid` of `parent`. */
function copied(k: Kern, kk: Kern, parent: Task, pid: number): void {
  const child = ownTask(k, pid);
  for (const [name, file] of parent.fds) {
    getFile(kk, file);
    child.ownFds().set(name, file);
  }
  if (parent.mm !== null) {
    getFile(kk, parent.mm.exe_file);
    child.mm = { exe_file: parent.mm.exe_file };
  }
  child.userMem = parent.userMem;
  child.forking = false;
  child.tgid = pid;
}

/**
 * `wait4(-1, NULL, 0, NULL)` (kernel/exit.c `do_wait`): the children are looked at in the order they
 * were forked (`copy_process` adds each at the tail of `children`); the first one that has exited is
 * reaped (`wait_task_zombie` → `release_task`: its pid is unhashed, its `rcu_users` drops) and its pid
 * is the result. No child left to wait for: -ECHILD. Otherwise the task sleeps (TASK_INTERRUPTIBLE on
 * `wait_chldexit`) until a child exits (`exit_notify` → `__wake_up_parent`: `wakeParent`). A pending
 * signal (TIF_NOTIFY_SIGNAL counts: `signal_pending`) ends the wait with -ERESTARTSYS, which the return
 * to user mode turns into a restart after the task_work ran, as for `nanosleep`.
 */
export function waitChild(k: Kern, kk: Kern, task: TaskRecord, act: SyscallActivity): SyscallStep {
  let alive = false;
  for (const pid of k.t.childrenOf(task.pid)) {
    const t = k.t.tasks.get(pid);
    if (t === undefined || t.reaped) continue;
    if (t.state === 'dead') {
      reapTask(kk, t.pid);
      return done(kk, t.pid);
    }
    alive = true;
  }
  if (!alive) return done(kk, -ECHILD);
  if (task.notifySignal) return restart(k, task, act);
  task.state = 'interruptible';
  task.wait = { kind: 'child' };
  emitTask(k, task.pid, 'sleep', 'interruptible until a child exits');
  return BLOCKED;
}

/** `exit_notify` → `do_notify_parent` → `__wake_up_parent`: a task that died wakes its parent when the parent waits for a child. */
export function wakeParent(k: Kern, child: Task): void {
  if (child.parent === null) return;
  const p = k.t.tasks.get(child.parent);
  if (p === undefined || p.state !== 'interruptible' || p.wait?.kind !== 'child') return;
  const w = ownTask(k, child.parent);
  w.state = 'runnable';
  w.wait = null;
  emitTask(k, child.parent, 'wake', `child pid ${child.pid} exited`);
}
