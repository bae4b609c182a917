/** Finding a task (`find_task_by_pid`, as far as the model needs it). */
import { UnknownHandleError } from '../kernel/errors.ts';
import type { Kern } from '../world/world.ts';
import type { Pid, Task } from './types.ts';

export function taskOf(k: Kern, pid: Pid, argument = 'task'): Task {
  const t = k.s.tasks.get(pid);
  if (t === undefined) throw new UnknownHandleError(argument, pid, 'task');
  return t;
}
