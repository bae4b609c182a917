/**
 * What became of each BPF task_work schedule, read back from a trace. A schedule that returned 0 ends
 * in exactly one of: the callback ran (RUNNING), the work was dropped because the target had exited
 * (SCHEDULING → STANDBY after a failed task_work_add), or it was cancelled (FREED before RUNNING).
 * `open` counts schedules with no outcome yet (the world has not quiesced).
 */
import type { TraceEvent, TwTransition } from '../model/world/trace.ts';
import { ArgumentError } from '../model/kernel/errors.ts';

export interface Outcomes {
  readonly scheduled: number;
  readonly ran: number;
  readonly dropped: number;
  readonly cancelled: number;
  readonly open: number;
  /** Callback invocations seen (`prog enter` of a task_work callback). */
  readonly cbRuns: number;
}

export function taskWorkOutcomes(evs: readonly TraceEvent[]): Outcomes {
  if (!Array.isArray(evs)) throw new ArgumentError('evs', evs, 'an array of trace events (traceEvents(world.trace))');
  const episodes = new Map<number, { ok: boolean; outcome: 'ran' | 'dropped' | 'cancelled' | null }>();
  const all: { ok: boolean; outcome: 'ran' | 'dropped' | 'cancelled' | null }[] = [];
  let lastPending: number | null = null;
  let scheduled = 0;
  let cbRuns = 0;
  for (const e of evs) {
    if (e.kind === 'bpf_tw') {
      if (e.from === 'STANDBY' && e.to === 'PENDING') {
        const ep = { ok: false, outcome: null };
        episodes.set(e.ctx, ep);
        all.push(ep);
        lastPending = e.ctx;
        continue;
      }
      const ep = episodes.get(e.ctx);
      if (ep === undefined || ep.outcome !== null) continue;
      if (e.to === 'RUNNING') ep.outcome = 'ran';
      else if (e.from === 'SCHEDULING' && e.to === 'STANDBY') ep.outcome = 'dropped';
      else if (e.to === 'FREED') ep.outcome = 'cancelled';
    } else if (e.kind === 'kfunc' && e.name.startsWith('bpf_task_work_schedule')) {
      if (e.ret === '0') {
        scheduled += 1;
        const ep = lastPending === null ? undefined : episodes.get(lastPending);
        if (ep === undefined || ep.ok) throw new Error('a schedule returned 0 without its own PENDING transition');
        ep.ok = true;
      }
      lastPending = null;
    } else if (e.kind === 'prog' && e.op === 'enter' && e.detail.includes('task_work callback')) {
      cbRuns += 1;
    }
  }
  const ok = all.filter((x) => x.ok);
  const count = (o: string | null): number => ok.filter((x) => x.outcome === o).length;
  return { scheduled, ran: count('ran'), dropped: count('dropped'), cancelled: count('cancelled'), open: count(null), cbRuns };
}

/**
 * The transitions of the BPF task_work state machine a run of trace events shows, in order, as
 * shared/semantics/task_work.md §2.4 numbers them (`TwTransition`): the `tr` of each state-machine
 * event and of each callback run, and T1x for a schedule that returned -EBUSY because the slot was
 * busy (no event of its own: the kfunc's return value is the trace of it; the -EBUSY of a map without
 * user references follows its own T1 and T9 events instead).
 */
export function twTransitions(evs: readonly TraceEvent[]): TwTransition[] {
  if (!Array.isArray(evs)) throw new ArgumentError('evs', evs, 'an array of trace events');
  const out: TwTransition[] = [];
  let prev: TraceEvent | undefined;
  for (const e of evs) {
    if ((e.kind === 'bpf_tw' || e.kind === 'task_work') && e.tr !== undefined) out.push(e.tr);
    else if (e.kind === 'kfunc' && e.name.startsWith('bpf_task_work_schedule') && e.ret === '-EBUSY' && !(prev?.kind === 'bpf_tw' && (prev.tr === 'T9' || prev.tr === 'T1x'))) out.push('T1x');
    prev = e;
  }
  return out;
}
