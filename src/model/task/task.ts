/** Finding a task (`find_task_by_pid`, as far as the model needs it), to read or to change, and its `rcu_users`. */
import { ArgumentError, NotModelledError, UnknownHandleError } from '../kernel/errors.ts';
import type { STRUCTS } from '../btf/structs.ts';
import type { Kern } from '../world/world.ts';
import type { TaskRecord } from './record.ts';
import type { Pid, ReadonlyTask } from './types.ts';

/** The task `pid`, to read. */
export function taskOf(k: Kern, pid: Pid, argument = 'task'): ReadonlyTask {
  const t = k.t.tasks.get(pid);
  if (t === undefined) throw new UnknownHandleError(argument, pid, 'task');
  return t;
}

/** The task `pid`, to change in this transition (copied on its first change). */
export function ownTask(k: Kern, pid: Pid, argument = 'task'): TaskRecord {
  const t = k.t.task(pid);
  if (t === undefined) throw new UnknownHandleError(argument, pid, 'task');
  return t;
}

/**
 * What `task->pid` and `task->tgid` hold: the task's own, except while it is being forked before
 * `alloc_pid` (`Task.forking`), when they are still its parent's (kernel/fork.c `dup_task_struct`
 * copies the whole task_struct; `copy_process` sets pid and tgid after `alloc_pid`).
 */
export function taskIds(k: Kern, t: ReadonlyTask): { pid: Pid; tgid: Pid } {
  if (t.forking && t.parent !== null) {
    const p = taskOf(k, t.parent, 'parent');
    return { pid: p.pid, tgid: p.tgid };
  }
  return { pid: t.pid, tgid: t.tgid };
}

/**
 * What member `field` of task `t` holds (model/btf/structs.ts): `pid`, `tgid` as `taskIds`;
 * `group_leader` the task leading its thread group (the model has no threads: the task whose pid is
 * its tgid — while it is being forked, its parent's leader, which `dup_task_struct` copied);
 * `real_parent` and `parent` (no ptrace: the same) the task that forked it — while it is being forked,
 * its parent's parent (kernel/fork.c `copy_process` sets `p->real_parent = current` under
 * `tasklist_lock`, after `alloc_pid` and after `security_task_alloc`). A task the scenario spawned
 * has its parent outside the model, and a parent that has exited handed its children to a reaper
 * (kernel/exit.c `exit_notify` → `forget_original_parent`) the model does not have: both are a
 * `NotModelledError` rather than a made-up task.
 */
export function taskMember(k: Kern, t: ReadonlyTask, field: keyof typeof STRUCTS.task_struct): bigint | { readonly ptr: 'task'; readonly pid: Pid } {
  switch (field) {
    case 'pid': return BigInt(taskIds(k, t).pid);
    case 'tgid': return BigInt(taskIds(k, t).tgid);
    case 'group_leader': return { ptr: 'task', pid: taskIds(k, t).tgid };
    case 'real_parent':
    case 'parent': {
      if (t.forking && t.parent !== null) return taskMember(k, taskOf(k, t.parent, 'parent'), field);
      if (t.parent === null) throw new NotModelledError(`task->${field} of task ${t.pid}`, 'a spawned task\'s parent is outside the model (fork it from a task of the scenario to give it one)');
      const p = taskOf(k, t.parent, 'parent');
      if (p.state === 'dead') throw new NotModelledError(`task->${field} of task ${t.pid}`, `its parent ${p.pid} has exited, and the kernel handed it to a reaper (exit_notify → forget_original_parent) the model does not have`);
      return { ptr: 'task', pid: p.pid };
    }
  }
}

/**
 * `task->rcu_users` (kernel/fork.c `dup_task_struct` sets 2): one reference the parent drops when it
 * reaps the task (`release_task`), one the scheduler drops on the dead task's last switch
 * (`finish_task_switch`), plus those `bpf_task_acquire` took since (`usage`: programs' and
 * bpf_task_work contexts'). A task the model reaps has made its last switch (`reapTask` needs it
 * dead), so its count is `usage` alone.
 */
export function rcuUsers(t: ReadonlyTask): number {
  return t.usage + (t.reaped ? 0 : t.state === 'dead' ? 1 : 2);
}

/**
 * `bpf_task_acquire` (kernel/bpf/helpers.c): `refcount_inc_not_zero(&p->rcu_users)`. Once the count
 * reached 0 the task is on its way to being freed (`delayed_put_task_struct` after a grace period)
 * and no new reference can be taken: false.
 */
export function taskTryget(k: Kern, pid: Pid, argument = 'task'): boolean {
  if (rcuUsers(taskOf(k, pid, argument)) === 0) return false;
  ownTask(k, pid, argument).usage += 1;
  return true;
}

/**
 * `put_task_struct_rcu_user` (bpf_task_release, and a bpf_task_work context dropping its task): one
 * reference fewer. Dropping one nobody took is a misuse of the API (the verifier makes programs
 * release only what they acquired).
 */
export function taskPut(k: Kern, pid: Pid, argument = 'task'): void {
  const t = ownTask(k, pid, argument);
  if (t.usage <= 0) throw new ArgumentError(argument, pid, 'a task a reference was taken on (bpf_task_acquire, bpf_task_from_pid)');
  t.usage -= 1;
}
