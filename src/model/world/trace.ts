/**
 * The world's event trace: every kfunc call with its arguments and return value, every I/O, sleep
 * and wake-up, every reference taken or dropped on a file, every page-cache change.
 */
import { ArgumentError } from '../kernel/errors.ts';
import { errnoName } from '../kernel/errno.ts';
import { Log } from './log.ts';
import type { PageRun } from '../../pagecache/index.ts';

export type TraceEvent =
  | { readonly kind: 'kfunc'; readonly t: number; readonly name: string; readonly args: readonly string[]; readonly ret: string; readonly ctx: string }
  | { readonly kind: 'io_submit'; readonly t: number; readonly ino: number; readonly pgoff: number; readonly nr?: number; readonly completesAt: number; readonly willFail: boolean }
  | { readonly kind: 'io_complete'; readonly t: number; readonly ino: number; readonly pgoff: number; readonly nr?: number; readonly ok: boolean }
  | { readonly kind: 'sleep'; readonly t: number; readonly reason: string }
  | { readonly kind: 'wake'; readonly t: number; readonly reason: string }
  | { readonly kind: 'file'; readonly t: number; readonly op: 'create' | 'open' | 'get' | 'put' | 'free'; readonly file: number; readonly path: string; readonly count: number; readonly detail?: string }
  | { readonly kind: 'pagecache'; readonly t: number; readonly op: 'populate' | 'evict' | 'drop_caches' | 'inject_io_error' | 'write' | 'truncate' | 'writeback'; readonly ino: number; readonly pages: readonly PageRun[]; readonly kept: readonly PageRun[]; readonly detail?: string }
  /** A readahead (mm/readahead.c): which entry point, the window, the folios added and the marker. */
  | { readonly kind: 'readahead'; readonly t: number; readonly ino: number; readonly file: number; readonly how: string; readonly pages: readonly number[]; readonly marker: number | null }
  | { readonly kind: 'fault'; readonly t: number; readonly what: 'alloc'; readonly count: number }
  /**
   * A map syscall of user space (or a user reference dropped): `key` -1 for none (a NULL key: a queue's
   * or stack's push and pop). `create_no_btf`: libbpf's second try at a map the kernel refused with BTF.
   */
  | { readonly kind: 'map'; readonly t: number; readonly op: 'update' | 'delete' | 'lookup_and_delete' | 'uref_put' | 'create' | 'create_no_btf' | 'freeze' | 'free'; readonly map: string; readonly key: number; readonly ret: number }
  | { readonly kind: 'syscall'; readonly t: number; readonly pid: number; readonly op: 'enter' | 'exit' | 'restart'; readonly call: string; readonly ret?: string }
  | { readonly kind: 'task'; readonly t: number; readonly pid: number; readonly op: 'spawn' | 'fork' | 'free' | 'sleep' | 'wake' | 'user' | 'exit_mm' | 'exit_files' | 'exit_task_work' | 'dead' | 'reap' | 'signal_wake'; readonly detail: string }
  /** `tr`: on the run of a BPF task_work callback, T5 (it starts) or T5x (it found its context FREED), as shared/semantics/task_work.md §2.4 names them. */
  | { readonly kind: 'task_work'; readonly t: number; readonly pid: number; readonly op: 'add' | 'run' | 'cancel' | 'batch' | 'exited'; readonly work: string; readonly detail: string; readonly tr?: TwTransition }
  | { readonly kind: 'irq_work'; readonly t: number; readonly op: 'queue' | 'run'; readonly work: string }
  /** `tr`: the transition of the state machine (shared/semantics/task_work.md §2.4) this event is part of. */
  | { readonly kind: 'bpf_tw'; readonly t: number; readonly ctx: number; readonly from: string; readonly to: string; readonly why: string; readonly refcnt: number; readonly tr?: TwTransition }
  | { readonly kind: 'prog'; readonly t: number; readonly pid: number; readonly op: 'enter' | 'exit'; readonly name: string; readonly detail: string }
  | { readonly kind: 'verifier'; readonly t: number; readonly program: string; readonly ok: boolean; readonly message: string }
  /**
   * The kernel refused an object's BTF at BPF_BTF_LOAD (`ret`, a negative errno; why in `detail`), and
   * libbpf loads the object without it (model/btf/object.ts).
   */
  | { readonly kind: 'btf'; readonly t: number; readonly object: string; readonly ret: number; readonly detail: string }
  /**
   * A `BPF_PROG_TEST_RUN` finished: what `bpf()` returned, the program's return value, and the
   * packet it ran on (its id; `data_size_out` is its size after the run), or null without one.
   */
  | { readonly kind: 'test_run'; readonly t: number; readonly pid: number; readonly prog: string; readonly packet: number | null; readonly err: number; readonly retval: number; readonly sizeOut: number }
  /** A ring buffer record committed (submitted or discarded) with the wake-up it asked for, or read by user space. */
  | { readonly kind: 'ringbuf'; readonly t: number; readonly map: string; readonly op: 'submit' | 'discard' | 'consume'; readonly pos: number; readonly len: number; readonly wakeup: boolean }
  /** A kernel `WARN_ON_ONCE` (a kernel caller broke a rule the kernel checks; the call still returns). */
  | { readonly kind: 'warn'; readonly t: number; readonly what: string }
  /**
   * A line `bpf_trace_printk` or `bpf_trace_vprintk` put in the kernel's trace buffer (bprintf/helpers.ts):
   * its bytes, one character each (Latin-1: `Buffer.from(text, 'latin1')` gives them back); pid null outside a task.
   */
  | { readonly kind: 'printk'; readonly t: number; readonly pid: number | null; readonly text: string };

/**
 * The transitions of the BPF task_work state machine as shared/semantics/task_work.md §2.4 numbers
 * them: T0 allocate, T1 schedule (T1x: the slot was busy, -EBUSY), T2 irq_work PENDING → SCHEDULING
 * (T2x: found FREED), T3 task_work_add failed, T4 SCHEDULING → SCHEDULED (or the cancel when T9
 * raced), T5 callback starts (T5x: found FREED), T6 callback done, T9 cancel and free.
 */
export type TwTransition = 'T0' | 'T1' | 'T1x' | 'T2' | 'T2x' | 'T3' | 'T4' | 'T5' | 'T5x' | 'T6' | 'T9';

/** Every transition, in the table's order. */
export const TW_TRANSITIONS: readonly TwTransition[] = Object.freeze(['T0', 'T1', 'T1x', 'T2', 'T2x', 'T3', 'T4', 'T5', 'T5x', 'T6', 'T9']);

/**
 * The trace: a persistent append-only log (log.ts). Appending a transition's events costs what they
 * are, whatever the length of the trace, and a world keeps its whole history without copying it.
 */
export type Trace = Log<TraceEvent>;

export const emptyTrace: Trace = Log.empty<TraceEvent>();

/** The trace with `events` appended. */
export function appendEvents(trace: Trace, events: readonly TraceEvent[]): Trace {
  return trace.appendAll(events);
}

function checkTrace(trace: unknown): void {
  if (!(trace instanceof Log)) throw new ArgumentError('trace', trace, 'a trace (world.trace)');
}

/** The events in order, oldest first. */
export function traceEvents(trace: Trace): TraceEvent[] {
  checkTrace(trace);
  return trace.toArray();
}

/** One line per event, for people. */
export function formatEvent(ev: TraceEvent): string {
  if (ev === null || typeof ev !== 'object' || typeof (ev as { kind?: unknown }).kind !== 'string') throw new ArgumentError('ev', ev, 'a trace event');
  const t = `[t=${ev.t}]`.padEnd(9);
  switch (ev.kind) {
    case 'kfunc':
      return `${t} ${ev.ctx ? `${ev.ctx} ` : ''}${ev.name}(${ev.args.join(', ')}) = ${ev.ret}`;
    case 'io_submit':
      return `${t} io: read ino ${ev.ino} ${pagesText(ev.pgoff, ev.nr)} submitted, completes at t=${ev.completesAt}${ev.willFail ? ' (injected error)' : ''}`;
    case 'io_complete':
      return `${t} io: read ino ${ev.ino} ${pagesText(ev.pgoff, ev.nr)} ${ev.ok ? 'done, uptodate' : 'FAILED, not uptodate'}`;
    case 'readahead':
      return `${t} readahead ino ${ev.ino} file#${ev.file}: ${ev.how}: read ${compactRanges(ev.pages)}${ev.marker === null ? '' : `, PG_readahead on ${ev.marker}`}`;
    case 'sleep':
      return `${t} sleep: ${ev.reason}`;
    case 'wake':
      return `${t} wake: ${ev.reason}`;
    case 'file':
      return `${t} file#${ev.file} ${ev.path}: ${ev.op}${ev.detail === undefined ? '' : ` ${ev.detail}`}, f_count=${ev.count}`;
    case 'pagecache': {
      const kept = ev.kept.length > 0 ? `; kept (locked, referenced or dirty) ${compactRuns(ev.kept)}` : '';
      return `${t} pagecache ino ${ev.ino}: ${ev.op} ${compactRuns(ev.pages)}${kept}${ev.detail === undefined ? '' : ` (${ev.detail})`}`;
    }
    case 'fault':
      return `${t} fault: next ${ev.count} ${ev.what} call(s) fail`;
    case 'map':
      return `${t} map ${ev.map}: ${ev.op}${ev.key >= 0 ? ` key ${ev.key}` : ''} = ${ev.op === 'uref_put' ? `usercnt ${ev.ret}` : ev.ret}`;
    case 'syscall':
      return `${t} pid ${ev.pid} ${ev.op === 'enter' ? '→' : ev.op === 'exit' ? '←' : '↻'} ${ev.call}${ev.ret === undefined ? '' : ` = ${ev.ret}`}`;
    case 'task':
      return `${t} pid ${ev.pid} ${ev.op}${ev.detail ? `: ${ev.detail}` : ''}`;
    case 'task_work':
      return `${t} pid ${ev.pid} task_work ${ev.op} ${ev.work}${ev.detail ? ` (${ev.detail})` : ''}`;
    case 'irq_work':
      return `${t} irq_work ${ev.op} ${ev.work}`;
    case 'bpf_tw':
      return `${t} bpf_task_work ctx#${ev.ctx}: ${ev.from} → ${ev.to} (${ev.why}; refcnt ${ev.refcnt})`;
    case 'verifier':
      return `${t} verifier: ${ev.program} ${ev.ok ? 'accepted' : `rejected: ${ev.message}`}`;
    case 'btf':
      return `${t} btf: object ${ev.object}: BPF_BTF_LOAD = ${errnoName(ev.ret)}: ${ev.detail}`;
    case 'prog':
      return `${t} pid ${ev.pid} ${ev.op === 'enter' ? 'run' : 'end'} ${ev.name}${ev.detail ? ` ${ev.detail}` : ''}`;
    case 'test_run':
      return `${t} pid ${ev.pid} BPF_PROG_TEST_RUN ${ev.prog}: ${ev.err === 0 ? '0' : errnoName(ev.err)}, retval ${ev.retval}${ev.packet === null ? '' : `, data_size_out ${ev.sizeOut} (packet#${ev.packet})`}`;
    case 'ringbuf':
      return ev.op === 'consume'
        ? `${t} ringbuf ${ev.map}: user space read the record at pos ${ev.pos} (${ev.len} bytes)`
        : `${t} ringbuf ${ev.map}: ${ev.op} the record at pos ${ev.pos} (${ev.len} bytes)${ev.wakeup ? ', wake up the readers' : ''}`;
    case 'warn':
      return `${t} WARNING: ${ev.what}`;
    case 'printk':
      return `${t} ${ev.pid === null ? '' : `pid ${ev.pid} `}bpf_trace_printk: ${new TextDecoder().decode(Uint8Array.from(ev.text, (c) => c.charCodeAt(0)))}`;
  }
}

function pagesText(pgoff: number, nr: number | undefined): string {
  return nr === undefined || nr === 1 ? `page ${pgoff}` : `pages ${pgoff}-${pgoff + nr - 1}`;
}

/** `[0,1,2,5]` → `"0-2,5"`; `[]` → `"none"`. */
export function compactRanges(xs: readonly number[]): string {
  if (xs.length === 0) return 'none';
  const sorted = [...xs].sort((a, b) => a - b);
  const parts: string[] = [];
  let start = sorted[0] as number;
  let prev = start;
  for (const x of sorted.slice(1)) {
    if (x === prev + 1) {
      prev = x;
      continue;
    }
    parts.push(start === prev ? `${start}` : `${start}-${prev}`);
    start = prev = x;
  }
  parts.push(start === prev ? `${start}` : `${start}-${prev}`);
  return parts.join(',');
}

/** Runs of pages `[[0, 2], [5, 5]]` → `"0-2,5"` (as `compactRanges` of their pages); `[]` → `"none"`. */
export function compactRuns(runs: readonly PageRun[]): string {
  if (runs.length === 0) return 'none';
  const sorted = [...runs].sort((a, b) => a[0] - b[0]);
  const parts: string[] = [];
  let [start, prev] = sorted[0] as PageRun;
  for (const [a, b] of sorted.slice(1)) {
    if (a <= prev + 1) {
      prev = Math.max(prev, b);
      continue;
    }
    parts.push(start === prev ? `${start}` : `${start}-${prev}`);
    [start, prev] = [a, b];
  }
  parts.push(start === prev ? `${start}` : `${start}-${prev}`);
  return parts.join(',');
}

export function formatTrace(trace: Trace): string {
  checkTrace(trace);
  return traceEvents(trace).map(formatEvent).join('\n');
}
