/**
 * A run as a Chrome / Perfetto trace-event JSON file (the "JSON Trace Event Format" that
 * ui.perfetto.dev and chrome://tracing open): one process, a track (thread) per task, one for I/O
 * (more lanes when reads overlap), one for irq_work, and one for kernel events outside any task.
 *
 * - On a task's track, complete slices (`ph: 'X'`) nest: syscalls, programs and task_work callbacks,
 *   the kfunc calls they make (their arguments and return value in `args`), and sleeps (a sleeping
 *   call's slice contains its sleep); user mode is a slice too.
 * - I/O: a slice per page read, from submission to completion (`args.ok`).
 * - irq_work: an instant per queue, a short slice per run.
 * - Everything else the trace records (task_work adds and runs, bpf_task_work state changes, map,
 *   file and page-cache events) is an instant event (`ph: 'i'`) on its task's or the kernel track.
 *
 * Time: the model's clock counts virtual ticks and many events share a tick, so each tick is `tickUs`
 * microseconds wide and the events of one tick are 3 µs apart, in trace order (`otherData` says so).
 * Deterministic for a world.
 */
import { traceEvents, type TraceEvent } from '../model/world/trace.ts';
import type { World } from '../model/world/state.ts';

/** One event of the trace-event format. */
export interface TraceEventJson {
  readonly name: string;
  /** X: complete slice (with `dur`); i: instant; M: metadata (track and process names). */
  readonly ph: 'X' | 'i' | 'M';
  /** Microseconds. */
  readonly ts: number;
  readonly dur?: number;
  readonly pid: number;
  readonly tid: number;
  readonly cat?: string;
  /** Instant scope: thread. */
  readonly s?: 't';
  readonly args?: Readonly<Record<string, unknown>>;
}

export interface PerfettoTrace {
  readonly traceEvents: readonly TraceEventJson[];
  readonly displayTimeUnit: 'ms';
  readonly otherData: Readonly<Record<string, string | number>>;
}

const PID = 1;
const KERNEL_TID = 1;
const IRQ_TID = 2;
/** I/O lanes: IO_TID, IO_TID + 1, … (task tids are their pids, from 100 on; lanes never reach them in practice, and are checked). */
const IO_TID = 10;
const STEP = 3;

interface Open {
  readonly kind: 'syscall' | 'prog' | 'sleep' | 'user';
  readonly name: string;
  readonly start: number;
  readonly cat: string;
  readonly args: Record<string, unknown>;
}

function pidOfKfunc(ctx: string): number | null {
  const m = /^pid (\d+)/.exec(ctx);
  return m === null ? null : Number(m[1]);
}

/** The trace of `world` as a trace-event JSON value (`JSON.stringify` it to write the file). */
export function perfettoTrace(world: World, title = 'kernsim'): PerfettoTrace {
  const evs = traceEvents(world.trace);
  // Positions: tick * tickUs + STEP * (rank of the event within its tick).
  let maxPerTick = 0;
  for (let i = 0, run = 0; i < evs.length; i += 1) {
    run = i > 0 && evs[i - 1]?.t === evs[i]?.t ? run + 1 : 1;
    if (run > maxPerTick) maxPerTick = run;
  }
  const tickUs = 10 ** Math.max(2, Math.ceil(Math.log10(STEP * (maxPerTick + 1) + 1)));
  const pos: number[] = [];
  for (let i = 0, rank = 0; i < evs.length; i += 1) {
    rank = i > 0 && evs[i - 1]?.t === evs[i]?.t ? rank + 1 : 0;
    pos.push((evs[i] as TraceEvent).t * tickUs + STEP * rank);
  }
  const end = (pos[pos.length - 1] ?? 0) + 1;

  const out: TraceEventJson[] = [];
  const tasks = new Map<number, { stack: Open[]; boundary: number }>();
  const tracks = new Map<number, string>();
  const taskOf = (pid: number): { stack: Open[]; boundary: number } => {
    let t = tasks.get(pid);
    if (t === undefined) {
      t = { stack: [], boundary: -1 };
      tasks.set(pid, t);
      tracks.set(pid, `pid ${pid} ${world.tasks.get(pid)?.comm ?? ''}`.trim());
    }
    return t;
  };
  const slice = (tid: number, name: string, cat: string, start: number, stop: number, args?: Record<string, unknown>): void => {
    out.push({ name, ph: 'X', ts: start, dur: Math.max(1, stop - start), pid: PID, tid, cat, ...(args === undefined ? {} : { args }) });
  };
  const instant = (tid: number, name: string, cat: string, ts: number, args?: Record<string, unknown>): void => {
    out.push({ name, ph: 'i', s: 't', ts, pid: PID, tid, cat, ...(args === undefined ? {} : { args }) });
  };
  /** Close the open slices of task `pid` down to (and including) the innermost of `kind`, at `at`. */
  const close = (pid: number, kind: Open['kind'], at: number, extra?: Record<string, unknown>): void => {
    const t = taskOf(pid);
    if (!t.stack.some((o) => o.kind === kind)) return;
    for (;;) {
      const o = t.stack.pop();
      if (o === undefined) return;
      slice(pid, o.name, o.cat, o.start, at, o.kind === kind ? { ...o.args, ...extra } : o.args);
      if (o.kind === kind) return;
    }
  };
  const open = (pid: number, o: Open): void => {
    taskOf(pid).stack.push(o);
  };
  /** A task left user mode (any event of its own but a task_work add, which others make). */
  const leaveUser = (pid: number, at: number): void => {
    const t = taskOf(pid);
    if (t.stack[t.stack.length - 1]?.kind === 'user') close(pid, 'user', at);
  };

  const io = new Map<string, { lane: number; start: number; ino: number; page: number }>();
  const lanesBusy: boolean[] = [];
  let kernelTrack = false;

  evs.forEach((ev, i) => {
    const p = pos[i] as number;
    switch (ev.kind) {
      case 'syscall': {
        leaveUser(ev.pid, p);
        const t = taskOf(ev.pid);
        if (ev.op === 'enter') open(ev.pid, { kind: 'syscall', name: ev.call, start: p, cat: 'syscall', args: { call: ev.call } });
        else if (ev.op === 'exit') close(ev.pid, 'syscall', p, { ret: ev.ret ?? '' });
        else instant(ev.pid, `restart ${ev.call}`, 'syscall', p);
        t.boundary = p;
        break;
      }
      case 'prog': {
        leaveUser(ev.pid, p);
        const t = taskOf(ev.pid);
        if (ev.op === 'enter') open(ev.pid, { kind: 'prog', name: ev.name, start: p, cat: 'bpf_prog', args: { detail: ev.detail } });
        else close(ev.pid, 'prog', p, { ret: ev.detail });
        t.boundary = p;
        break;
      }
      case 'kfunc': {
        const pid = pidOfKfunc(ev.ctx);
        const args = { args: [...ev.args], ret: ev.ret, ctx: ev.ctx };
        if (pid === null) {
          kernelTrack = true;
          slice(KERNEL_TID, ev.name, 'kfunc', p - 1, p, args);
          break;
        }
        leaveUser(pid, p);
        const t = taskOf(pid);
        // The call began right after the task's previous step of its own (its program's entry, its
        // previous call), so a sleep inside the call nests in the call's slice.
        const top = t.stack[t.stack.length - 1];
        const start = Math.min(p - 1, Math.max(t.boundary + 1, (top?.start ?? -1) + 1));
        slice(pid, ev.name, 'kfunc', start, p, args);
        t.boundary = p;
        break;
      }
      case 'task': {
        const t = taskOf(ev.pid);
        if (ev.op === 'sleep') {
          leaveUser(ev.pid, p);
          open(ev.pid, { kind: 'sleep', name: ev.detail.startsWith('io_wait') ? 'io_wait' : 'sleep', start: p, cat: 'sched', args: { why: ev.detail } });
        } else if (ev.op === 'wake' || ev.op === 'signal_wake') {
          close(ev.pid, 'sleep', p, { woken: ev.op === 'signal_wake' ? 'by a signal' : ev.detail });
        } else if (ev.op === 'user' || ev.op === 'spawn') {
          leaveUser(ev.pid, p);
          if (ev.op === 'spawn') instant(ev.pid, 'spawn', 'sched', p, { detail: ev.detail });
          open(ev.pid, { kind: 'user', name: 'user mode', start: p + 1, cat: 'sched', args: {} });
          t.boundary = p;
        } else {
          leaveUser(ev.pid, p);
          if (ev.op === 'dead') {
            while (t.stack.length > 0) {
              const o = t.stack.pop() as Open;
              slice(ev.pid, o.name, o.cat, o.start, p, o.args);
            }
          }
          instant(ev.pid, ev.op, 'sched', p, { detail: ev.detail });
          t.boundary = p;
        }
        break;
      }
      case 'task_work':
        if (ev.op !== 'add') {
          leaveUser(ev.pid, p);
          taskOf(ev.pid).boundary = p;
        } else {
          taskOf(ev.pid);
        }
        instant(ev.pid, `task_work ${ev.op}`, 'task_work', p, { work: ev.work, detail: ev.detail });
        break;
      case 'io_submit': {
        let lane = lanesBusy.indexOf(false);
        if (lane < 0) {
          lane = lanesBusy.length;
          lanesBusy.push(true);
        } else {
          lanesBusy[lane] = true;
        }
        io.set(`${ev.ino}:${ev.pgoff}`, { lane, start: p, ino: ev.ino, page: ev.pgoff });
        break;
      }
      case 'io_complete': {
        const r = io.get(`${ev.ino}:${ev.pgoff}`);
        if (r === undefined) break;
        io.delete(`${ev.ino}:${ev.pgoff}`);
        lanesBusy[r.lane] = false;
        slice(IO_TID + r.lane, `read ino ${r.ino} page ${r.page}`, 'io', r.start, p, { ino: r.ino, page: r.page, ok: ev.ok });
        break;
      }
      case 'irq_work':
        if (ev.op === 'queue') instant(IRQ_TID, `queue ${ev.work}`, 'irq_work', p);
        else slice(IRQ_TID, ev.work, 'irq_work', p, p + 1);
        break;
      default: {
        kernelTrack = true;
        const { kind, t: _t, ...rest } = ev;
        const name = kind === 'bpf_tw' ? `bpf_task_work ctx#${ev.ctx}: ${ev.from} → ${ev.to}` : kind === 'map' ? `map ${ev.map}: ${ev.op}`
          : kind === 'file' ? `file#${ev.file}: ${ev.op}` : kind === 'pagecache' ? `pagecache: ${ev.op}` : kind;
        instant(KERNEL_TID, name, kind, p, rest);
        break;
      }
    }
  });
  for (const [pid, t] of tasks) {
    while (t.stack.length > 0) {
      const o = t.stack.pop() as Open;
      slice(pid, o.name, o.cat, o.start, end, o.args);
    }
  }
  for (const r of io.values()) slice(IO_TID + r.lane, `read ino ${r.ino} page ${r.page}`, 'io', r.start, end, { ino: r.ino, page: r.page, ok: 'in flight' });

  const meta: TraceEventJson[] = [{ name: 'process_name', ph: 'M', ts: 0, pid: PID, tid: 0, args: { name: title } }];
  const named = (tid: number, name: string, sort: number): void => {
    meta.push({ name: 'thread_name', ph: 'M', ts: 0, pid: PID, tid, args: { name } });
    meta.push({ name: 'thread_sort_index', ph: 'M', ts: 0, pid: PID, tid, args: { sort_index: sort } });
  };
  const pids = [...tracks.keys()].sort((a, b) => a - b);
  if (lanesBusy.length > 0 && IO_TID + lanesBusy.length > (pids[0] ?? Infinity)) throw new Error('perfettoTrace: I/O lanes collide with task ids');
  pids.forEach((pid, i) => named(pid, tracks.get(pid) as string, i));
  named(IO_TID, 'I/O', pids.length);
  for (let l = 1; l < lanesBusy.length; l += 1) named(IO_TID + l, `I/O (lane ${l + 1})`, pids.length + l);
  named(IRQ_TID, 'irq_work', pids.length + Math.max(1, lanesBusy.length));
  if (kernelTrack) named(KERNEL_TID, 'kernel (no task)', pids.length + Math.max(1, lanesBusy.length) + 1);
  const sorted = out.map((e, i) => [e, i] as const).sort((a, b) => a[0].ts - b[0].ts || a[1] - b[1]).map(([e]) => e);
  return {
    traceEvents: [...meta, ...sorted],
    displayTimeUnit: 'ms',
    otherData: {
      generator: 'kernsim',
      kernel: `Linux ${world.version}`,
      virtualTicks: world.clock.now,
      tickUs,
      time: `1 virtual tick = ${tickUs} µs; events of the same tick are ${STEP} µs apart in trace order`,
    },
  };
}
