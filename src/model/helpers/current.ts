/** BPF helpers about the current task (kernel/trace/bpf_trace.c, kernel/bpf/helpers.c). */
import { ArgumentError } from '../kernel/errors.ts';
import { defineKfunc } from '../kfunc/kfunc.ts';
import { taskOf } from '../task/task.ts';
import type { Kern } from '../world/world.ts';

/** `current`: the task a call runs in; a call from no task is a misuse. */
export function current(k: Kern, name: string): number {
  if (k.ctx.task === undefined) throw new ArgumentError(`${name}: current`, undefined, 'a call made by a task (run it from a program)');
  return taskOf(k, k.ctx.task, 'current').pid;
}

/** `bpf_get_current_task_btf`: `current` as a trusted task pointer. */
export const bpf_get_current_task_btf = defineKfunc({
  name: 'bpf_get_current_task_btf',
  mirrors: 'kernel/trace/bpf_trace.c: bpf_get_current_task_btf',
  kind: 'helper',
  since: '6.18',
  summary: 'The current task.',
  args: [],
  ret: 'task',
  flags: [],
  checks: [],
  effects: ['none'],
  confidence: 'H',
  impl(k) {
    return current(k, 'bpf_get_current_task_btf');
  },
});

/** `bpf_get_current_pid_tgid`: `tgid << 32 | pid`. */
export const bpf_get_current_pid_tgid = defineKfunc({
  name: 'bpf_get_current_pid_tgid',
  mirrors: 'kernel/bpf/helpers.c: bpf_get_current_pid_tgid',
  kind: 'helper',
  since: '6.18',
  summary: 'The current thread group id in the upper 32 bits, the thread id in the lower.',
  args: [],
  ret: 'u64',
  flags: [],
  checks: [],
  effects: ['none'],
  confidence: 'H',
  impl(k) {
    const t = taskOf(k, current(k, 'bpf_get_current_pid_tgid'));
    return (BigInt(t.tgid) << 32n) | BigInt(t.pid);
  },
});
