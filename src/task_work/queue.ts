/**
 * The kernel's generic task_work (kernel/task_work.c): a per-task list of works run by the task
 * itself on its way back to user mode or at exit.
 *
 * - `task_work_add` pushes at the head (the list is LIFO) and pokes the task by mode: `TWA_RESUME`
 *   sets TIF_NOTIFY_RESUME; `TWA_SIGNAL` sets TIF_NOTIFY_SIGNAL and wakes a task in an interruptible
 *   sleep (its syscall will restart); `TWA_NONE` does nothing. After the task's final exit-time run
 *   the list holds the `work_exited` sentinel and adding returns -ESRCH.
 * - `task_work_run` takes the whole list at once and runs it newest first; works added meanwhile go
 *   to a fresh list, taken by the next round. When the list is empty and the task is exiting, the
 *   sentinel is installed.
 * - `task_work_cancel` unlinks a work not yet taken by a run.
 */
import { ESRCH } from '../model/kernel/errno.ts';
import { ownTask } from '../model/task/task.ts';
import type { Pid, TwaMode, Work, WorkFn } from '../model/task/types.ts';
import { WorkList } from '../model/task/work_list.ts';
import { emitTask, emitTaskWork, type Kern } from '../model/world/world.ts';
import { TWA_MODES } from '../model/task/syscall_schema.ts';
import { describeWork } from '../model/task/describe.ts';

/** The trace's detail of a work added in each mode (`TWA_RESUME = 0`), made once. */
const ADDED = Object.fromEntries(TWA_MODES.map((m) => [m, `${m} = 0`])) as Readonly<Record<TwaMode, string>>;

/** `task_work_add(task, work, mode)`: 0, or -ESRCH once the task ran its exit-time task_work. */
export function taskWorkAdd(k: Kern, pid: Pid, fn: WorkFn, mode: TwaMode): { ret: number; work: Work | null } {
  const t = ownTask(k, pid);
  if (t.works.exited) {
    emitTaskWork(k, pid, 'add', fn, `${mode} = -ESRCH`);
    return { ret: -ESRCH, work: null };
  }
  const work: Work = { id: k.t.nextId('work'), fn };
  t.works = { queue: t.works.queue.add(work), exited: false };
  emitTaskWork(k, pid, 'add', fn, ADDED[mode]);
  if (mode === 'TWA_RESUME') t.notifyResume = true;
  if (mode === 'TWA_SIGNAL') {
    t.notifySignal = true;
    if (t.state === 'interruptible') {
      // wake_up_state(task, TASK_INTERRUPTIBLE): signal_pending() is now true, the sleep is broken.
      t.state = 'runnable';
      t.wait = null;
      emitTask(k, pid, 'signal_wake', 'TIF_NOTIFY_SIGNAL broke an interruptible sleep');
    }
  }
  return { ret: 0, work };
}

/** `task_work_cancel(task, work)`: true when the work was still queued and is now unlinked. */
export function taskWorkCancel(k: Kern, pid: Pid, workId: number): boolean {
  const t = ownTask(k, pid);
  const removed = t.works.queue.remove(workId);
  if (removed === null) return false;
  t.works = { queue: removed.list, exited: t.works.exited };
  emitTaskWork(k, pid, 'cancel', removed.work.fn, '');
  return true;
}

/** The trace's detail of a batch of `n` works, and of a batch of one (made once). */
const batchDetail = (n: number): string => `${n} work(s), newest first`;
const ONE_WORK = batchDetail(1);

/**
 * One round of `task_work_run`: take the whole list (newest first is the run order). An empty list
 * of an exiting task gets the `work_exited` sentinel instead.
 */
export function takeBatch(k: Kern, pid: Pid): WorkList<Work> {
  const t = ownTask(k, pid);
  const batch = t.works.queue;
  if (batch.length > 0) t.works = { queue: WorkList.empty(), exited: t.works.exited };
  if (batch.length === 0 && t.pfExiting && !t.works.exited) {
    t.works = { queue: batch, exited: true };
    emitTaskWork(k, pid, 'exited', 'work_exited', 'task_work_add now returns -ESRCH');
  } else if (batch.length > 0) {
    if (batch.length === 1) emitTaskWork(k, pid, 'batch', (batch.head as Work).fn, ONE_WORK);
    else emitTaskWork(k, pid, 'batch', batch.toArray().map((w) => describeWork(w.fn)).join(', '), batchDetail(batch.length));
  }
  return batch;
}
