/** Finding a task (`find_task_by_pid`, as far as the model needs it), to read or to change. */
import { UnknownHandleError } from '../kernel/errors.ts';
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
