/**
 * What a runnable task of an smp world may stop at, as far as the task itself decides it: the parts
 * of the scheduler's smp actions (src/scheduler/step.ts `smpActions`) that read nothing but the task.
 * The run queue files each runnable task of an smp world by these marks (runqueue.ts), so that a step
 * finds the tasks that may stop without a look at every runnable task; the scheduler then checks what
 * depends on the rest of the world (a context's state, the programs attached to a hook) on those
 * tasks alone.
 */
import type { Activity, ReadonlyTask } from './types.ts';

/** A list of works as `WorkList` links them (read-only, as a world's task holds it). */
interface Links {
  readonly head: { readonly fn: { readonly kind: string } } | undefined;
  readonly rest: Links;
}

/** Syscalls that run BPF programs of their own: the `lsm/file_open` hook, a test run, `fork`'s hooks. */
export const RUNS_PROGRAMS: ReadonlySet<string> = new Set(['open', 'prog_test_run', 'fork']);

/** The do_exit stage (PF_EXITING set) after which the `tp_btf/sched_process_exit` programs run. */
export const EXIT_TRACEPOINT_STAGE = 1;

/** The task's next step may run a BPF program: one is running, or a syscall that runs some is in progress or next. */
export const MAY_CALL = 1;
/** The task is in `do_exit` before its `sched_process_exit` programs ran (they run only if some are attached). */
export const BEFORE_EXIT_HOOK = 2;
/** A BPF task_work is queued on the task, or taken by its `task_work_run` (its callback starts only if its context lets it). */
export const HAS_BPF_WORK = 4;

/** The marks of `t` (bits `MAY_CALL`, `BEFORE_EXIT_HOOK`, `HAS_BPF_WORK`). Walks its stack and its queued works once. */
export function stopMarks(t: ReadonlyTask): number {
  let m = 0;
  const depth = t.stackDepth;
  for (let i = 0; i < depth; i += 1) {
    const a = t.activityAt(i) as Activity;
    if (a.a === 'prog' || (a.a === 'syscall' && RUNS_PROGRAMS.has(a.sys.sys))) m |= MAY_CALL;
    else if (a.a === 'do_exit' && a.stage <= EXIT_TRACEPOINT_STAGE) m |= BEFORE_EXIT_HOOK;
    else if (a.a === 'task_work_run' && (m & HAS_BPF_WORK) === 0 && holdsBpfWork(a.batch)) m |= HAS_BPF_WORK;
  }
  if (depth === 0) {
    const next = t.script[t.pc];
    if (next !== undefined && RUNS_PROGRAMS.has(next.sys)) m |= MAY_CALL;
  }
  if ((m & HAS_BPF_WORK) === 0 && holdsBpfWork(t.works.queue)) m |= HAS_BPF_WORK;
  return m;
}

/** Whether `list` holds a BPF task_work (walked by its links: no iterator made for the many empty lists). */
function holdsBpfWork(list: Links): boolean {
  for (let l = list; l.head !== undefined; l = l.rest) if (l.head.fn.kind === 'bpf_task_work') return true;
  return false;
}
