/**
 * Carry out what the model layer deferred to this one (see `Deferred` in model/world.ts): cancelling
 * the task_work of map values whose special fields were freed, and the final release of files whose
 * last reference was dropped in task context (`fput` → `____fput` through TWA_RESUME task_work; when
 * the task is past its exit-time run, the kernel falls back to the delayed-fput workqueue, which the
 * model runs at once).
 */
import { freeFile } from '../model/fs/files.ts';
import { checkKern, type Kern } from '../model/world/world.ts';
import { cancelAndFree } from './bpf_task_work.ts';
import { taskWorkAdd } from './queue.ts';

export function settle(k: Kern): void {
  checkKern('k', k);
  while (k.outbox.length > 0) {
    const d = k.outbox.shift();
    if (d === undefined) break;
    switch (d.kind) {
      case 'bpf_task_work_cancel_and_free':
        cancelAndFree(k, d.ctx);
        break;
      case 'fput': {
        const task = k.t.tasks.get(d.task);
        const { ret } = task === undefined ? { ret: -1 } : taskWorkAdd(k, d.task, { kind: 'fput', file: d.file }, 'TWA_RESUME');
        if (ret !== 0) freeFile(k, d.file);
        break;
      }
    }
  }
}
