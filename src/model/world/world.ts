/**
 * The world value and its transitions. `createWorld` builds an empty world; `transact` runs a batch of
 * operations as one transition and returns the new world with the batch's result (`begin` and `end`
 * do the same without a closure). Inside a transition the operations work on a `Kern`: the hot state
 * (copy-on-write, `t`, see tables.ts), immer's draft of the cold state (`s`), the calling context,
 * and the version's features. If the batch throws, nothing of it is applied.
 */
import { enableMapSet, Immer, type Draft } from 'immer';
import { emptyTrace, TraceBuffer, type TraceEvent, type TwTransition } from './trace.ts';
import { Log } from './log.ts';
import { DEFAULT_VERSION, KERNEL_VERSIONS, isKernelVersion, withOverrides, type FeatureOverrides, type KernelVersion, type VersionFeatures } from '../kernel/version.ts';
import { ArgumentError, KernsimError } from '../kernel/errors.ts';
import { LIMITS } from '../kernel/schema.ts';
import { budgetsWith, type Budgets } from '../kernel/budget.ts';
import { checkContext, checkFunction, checkWorld } from '../kernel/args.ts';
import { WorldValue, type ColdState, type ColdView, type World, type WorldFields } from './state.ts';
import { emptyHotState, Tables } from './tables.ts';
import { RunQueue } from '../task/runqueue.ts';
import { runQueueFor } from './rebase.ts';
import { trackedCold, type ReadLog } from './footprint.ts';
import { SlotTable } from '../maps/slots.ts';
import type { BpfMap } from '../maps/types.ts';
import type { Syscall, TwCtx, WorkFn } from '../task/types.ts';
import type { LoadedProg } from '../program/loaded.ts';

enableMapSet();

/**
 * The model's own immer, with auto-freeze off: measured when immer still drafted the whole world
 * (issue 7's benchmark, a transition that updates a map), a transition ran about 1.7 times faster
 * without it. It is safe here because no code changes a world outside a transition: the public types
 * are read-only (`Immutable`; the hot tables are `Table`s and `IdTable`s, which have no way to change
 * them; logs append without changing what earlier worlds see), and test/world.test.ts checks that
 * transitions leave their starting world as it was. A dedicated instance keeps this choice out of any
 * other immer user in the process.
 */
const immer = new Immer({ autoFreeze: false });

/** Where a kfunc runs. `sleepable` is the program's (or callback's) context. */
export interface CallContext {
  readonly sleepable: boolean;
  /** A label for the trace (the program or task); empty when none. */
  readonly label?: string;
  /** `current`, when the call runs in a task. */
  readonly task?: number;
  /** The program making the call (its `prog->aux`). */
  readonly prog?: number;
}

export const SLEEPABLE: CallContext = Object.freeze({ sleepable: true });
export const NON_SLEEPABLE: CallContext = Object.freeze({ sleepable: false });

/**
 * Work a lower layer found but whose rule belongs to a layer above: the model returns it as data and
 * the layer that drives the transition carries it out before the transition ends.
 */
export type Deferred =
  /** `bpf_task_work_cancel_and_free` for a context detached from its map value. */
  | { readonly kind: 'bpf_task_work_cancel_and_free'; readonly ctx: number }
  /** The last `fput` of a file in task context: its release goes through task_work (`____fput`). */
  | { readonly kind: 'fput'; readonly file: number; readonly task: number };

/** A transition in progress: the draft world, the calling context and the kernel version's features. */
export interface Kern {
  /** immer's draft of the world's cold state (maps, bpf_task_work contexts, programs, hooks); made on first use. */
  readonly s: Draft<ColdState>;
  /** The cold state to read: immer's draft once there is one, else the world's own (no draft is made). */
  readonly cold: ColdView;
  /** The hot state (files, page caches, dynptrs, tasks, objects, ids, the clock): read directly, `own` to change. */
  readonly t: Tables;
  readonly ctx: CallContext;
  readonly features: VersionFeatures;
  /** Continuation of a kfunc call that slept (see dynptr/freader.ts); undefined on the first attempt. */
  resume: unknown;
  /** Requests for the layers above (see `Deferred`), in order (`defer` adds one). */
  readonly outbox: Deferred[];
}

const NO_REQUESTS: Deferred[] = [];
Object.freeze(NO_REQUESTS);

/**
 * A transition in progress, seen from the context it was begun in: the world it started from, the
 * hot tables, immer's draft of the cold state (made on first use), its events and deferred requests
 * (their arrays made on first use). Other contexts of the same transition are `Context`s over it.
 */
class Transition implements Kern {
  #draft: Draft<ColdState> | undefined = undefined;
  /** The draft (or the world) seen through the read log, when there is one. */
  #tracked: { of: unknown; view: Draft<ColdState> } | null = null;
  #events: TraceBuffer | null = null;
  /**
   * The transition's first event, while it is its only one (a kfunc call's transition emits one): it
   * goes into the trace without a buffer (`Trace.append`). A second event makes the buffer, this one first.
   */
  #only: TraceEvent | null = null;
  #finished = false;
  #outbox: Deferred[] = NO_REQUESTS;
  readonly t: Tables;
  readonly features: VersionFeatures;

  constructor(readonly engine: Immer, readonly base: World, readonly ctx: CallContext, public resume: unknown, rq: RunQueue | undefined, readonly log: ReadLog | null = null) {
    this.t = new Tables(base, WorldValue.runQueue(base), rq ?? null, runQueueFor, log);
    this.features = base.features;
  }

  /**
   * immer's draft of the cold state, made on first use: a transition that only reads and changes the
   * hot state never pays for one.
   */
  get s(): Draft<ColdState> {
    if (this.#draft === undefined) {
      const b = this.base;
      const cold: ColdState = { version: b.version, maps: b.maps, twctx: b.twctx, progs: b.progs, hooks: b.hooks, kernelMem: b.kernelMem } as ColdState;
      this.#draft = this.engine.createDraft(cold);
    }
    return this.log === null ? this.#draft : this.#through(this.#draft);
  }

  get cold(): ColdView {
    const c = this.#draft ?? this.base;
    return this.log === null ? c : (this.#through(c as Draft<ColdState>) as ColdView);
  }

  /** `c` seen through the read log (one view per object). */
  #through(c: Draft<ColdState>): Draft<ColdState> {
    if (this.#tracked?.of !== c) this.#tracked = { of: c, view: trackedCold(c, this.log as ReadLog) };
    return this.#tracked.view;
  }

  get outbox(): Deferred[] {
    return this.#outbox;
  }

  /** This transition's events so far (made on the second, or on the first written as a record). */
  get events(): TraceBuffer {
    let buf = this.#events;
    if (buf === null) {
      buf = this.#events = new TraceBuffer(this.base.trace);
      const only = this.#only;
      if (only !== null) {
        this.#only = null;
        buf.push(only);
      }
    }
    return buf;
  }

  /** `ev` as the transition's next event. */
  emit(ev: TraceEvent): void {
    if (this.#events === null && this.#only === null) this.#only = ev;
    else this.events.push(ev);
  }

  defer(d: Deferred): void {
    if (this.#outbox === NO_REQUESTS) this.#outbox = [d];
    else this.#outbox.push(d);
  }

  /** The new world: the changed hot state, immer's result for the cold state, the events and choices. */
  finish(): World {
    // Its event and choice buffers become chunks of the new world's logs (`appendBuffer`): it ends once.
    if (this.#finished) throw new KernsimError('a transition ended twice (end or transact made its world already)');
    this.#finished = true;
    const base = this.base;
    const t = this.t;
    const patch = t.commit();
    const rq = t.committedRunQueue;
    const cold = this.#draft === undefined ? null : (this.engine.finishDraft(this.#draft) as ColdView);
    const changedCold = cold !== null && (cold.maps !== base.maps || cold.twctx !== base.twctx || cold.progs !== base.progs || cold.hooks !== base.hooks || cold.kernelMem !== base.kernelMem);
    const choices = t.choices;
    const events = this.#events;
    const only = this.#only;
    if (patch === null && !changedCold && events === null && only === null && choices === null) {
      // Nothing changed: the same world (its run queue, if it has one, still describes it).
      return base;
    }
    // The transition's buffers are its own and end with it: the logs keep their chunks.
    const trace = events !== null ? base.trace.appendBuffer(events) : only !== null ? base.trace.append(only) : base.trace;
    const log = WorldValue.choiceLog(base);
    const w = new WorldValue(base, patch, changedCold ? cold : null, trace, choices === null ? log : log.appendBuffer(choices), rq ?? WorldValue.runQueue(base));
    if (rq !== null) rq.owner = w;
    return w;
  }
}

/** A `Kern`: the transition `tx` seen from another calling context (a task, a program). */
class Context implements Kern {
  readonly t: Tables;
  readonly features: VersionFeatures;
  constructor(readonly tx: Transition, readonly ctx: CallContext, public resume: unknown) {
    this.t = tx.t;
    this.features = tx.features;
  }
  get s(): Draft<ColdState> {
    return this.tx.s;
  }
  get cold(): ColdView {
    return this.tx.cold;
  }
  get outbox(): Deferred[] {
    return this.tx.outbox;
  }
}

/** `k` is a `Kern` (made by `transact` or `begin`), or an ArgumentError naming `argument`. */
export function checkKern(argument: string, k: unknown): asserts k is Kern {
  if (!(k instanceof Transition) && !(k instanceof Context)) throw new ArgumentError(argument, k, 'a Kern (the `k` of a transact body)');
}

const transitionOf = (k: Kern): Transition => {
  if (k instanceof Transition) return k;
  if (k instanceof Context) return k.tx;
  throw new KernsimError('a Kern made by begin or transact was expected');
};

/** The same transition, in another calling context (a task, a program), optionally continuing a sleeping call. */
export function withContext(k: Kern, ctx: CallContext, resume: unknown = undefined): Kern {
  return new Context(transitionOf(k), ctx, resume);
}

export function defer(k: Kern, d: Deferred): void {
  transitionOf(k).defer(d);
}

export function emit(k: Kern, ev: TraceEvent): void {
  transitionOf(k).emit(ev);
}

/**
 * `emit(k, { kind: 'syscall', t, pid, op, call, ret })` at the current time, without the object (the
 * trace keeps a record: trace.ts); `call` may be the syscall itself, whose text the trace writes when
 * it is read (`describeSyscall`), and `ret` a number (an int), whose decimal text it writes then.
 */
export function emitSyscall(k: Kern, pid: number, op: Extract<TraceEvent, { kind: 'syscall' }>['op'], call: string | Syscall, ret?: string | number): void {
  transitionOf(k).events.syscall(k.t.now, pid, op, call, ret);
}

/** `emit(k, { kind: 'task', t, pid, op, detail })` at the current time, without the object (the trace keeps a record: trace.ts). */
export function emitTask(k: Kern, pid: number, op: Extract<TraceEvent, { kind: 'task' }>['op'], detail: string): void {
  transitionOf(k).events.task(k.t.now, pid, op, detail);
}

/**
 * `emitTask(k, pid, 'sleep', describeTimerSleep(until))` (model/task/describe.ts) at the current time:
 * a sleep until a timer expires at `until`, its text made when the trace is read.
 */
export function emitTimerSleep(k: Kern, pid: number, until: number): void {
  transitionOf(k).events.timerSleep(k.t.now, pid, until);
}

/**
 * `emit(k, { kind: 'task_work', t, pid, op, work, detail, tr })` at the current time, without the
 * object (the trace keeps a record: trace.ts); `work` may be the work's function, whose text the trace
 * writes when it is read (`describeWork`).
 */
export function emitTaskWork(k: Kern, pid: number, op: Extract<TraceEvent, { kind: 'task_work' }>['op'], work: string | WorkFn, detail: string, tr?: TwTransition): void {
  transitionOf(k).events.taskWork(k.t.now, pid, op, work, detail, tr);
}

/** `emit(k, { kind: 'file', t, op, file, path, count, detail })` at the current time, without the object (the trace keeps a record: trace.ts). */
export function emitFile(k: Kern, op: Extract<TraceEvent, { kind: 'file' }>['op'], file: number, path: string, count: number, detail?: string): void {
  transitionOf(k).events.file(k.t.now, op, file, path, count, detail);
}

export interface WorldOptions {
  /** Linux version whose rules apply (default 6.19). */
  readonly version?: KernelVersion;
  /** Limits of runs in this world, each defaulting to `DEFAULT_BUDGETS` (steps, time, ops, bytes). */
  readonly budgets?: Partial<Budgets>;
  /**
   * A machine of several CPUs (default false: one CPU, where an irq_work handler runs whole between
   * two task steps). With `smp`, the steps of `bpf_task_work_irq` and the start of a task_work
   * callback are points where the scheduler may run something else (extra ready actions, after the
   * ordinary ones: the default schedule is the same).
   */
  readonly smp?: boolean;
  /**
   * The machine's possible CPUs (`num_possible_cpus()`, default 1, or 2 with `smp`); per-CPU sizes
   * are computed from it (an LRU_HASH map's `target_free`). Every operation of the model runs on
   * CPU 0.
   */
  readonly cpus?: number;
  /**
   * What `get_random_u32()` returns for a hash map's `hashrnd` at its creation (a u32, default 0): the
   * seed of its keys' hashes, and so the order `BPF_MAP_GET_NEXT_KEY` walks its keys in; a bloom
   * filter's `hash_seed`, and so which bits its values set. The kernel draws one per map; the model
   * gives every map created without BPF_F_ZERO_SEED this one.
   */
  readonly hashrnd?: number;
  /**
   * The kernel build's own rules where they differ from its version's (a vendor kernel with
   * backports): each a field of `VersionFeatures` with a value some modelled version has. The
   * conformance host tier's 6.18.44 build has 7.0's trusted kfunc arguments: `{ kfuncTrustedDefault: true }`.
   */
  readonly features?: FeatureOverrides;
}


export function createWorld(opts: WorldOptions = {}): World {
  if (opts === null || typeof opts !== 'object') throw new ArgumentError('opts', opts, 'an options object ({ version?, budgets?, smp?, cpus?, hashrnd?, features? })');
  if (opts.smp !== undefined && typeof opts.smp !== 'boolean') throw new ArgumentError('opts.smp', opts.smp, 'a boolean');
  const cpus = opts.cpus ?? (opts.smp === true ? 2 : 1);
  if (!Number.isSafeInteger(cpus) || cpus < 1 || cpus > LIMITS.cpus) throw new ArgumentError('opts.cpus', opts.cpus, `an integer from 1 to ${LIMITS.cpus} (CONFIG_NR_CPUS)`);
  if (opts.smp === true && cpus < 2) throw new ArgumentError('opts.cpus', opts.cpus, 'at least 2 in an smp world');
  const hashrnd = opts.hashrnd ?? 0;
  if (!Number.isSafeInteger(hashrnd) || hashrnd < 0 || hashrnd > 0xffff_ffff) throw new ArgumentError('opts.hashrnd', opts.hashrnd, 'a u32');
  const version = opts.version ?? DEFAULT_VERSION;
  const budgets = budgetsWith(opts.budgets, 'opts.budgets');
  if (!isKernelVersion(version)) {
    throw new ArgumentError('version', version, `one of ${Object.keys(KERNEL_VERSIONS).join(', ')}`);
  }
  const fields: WorldFields = {
    version, features: withOverrides(KERNEL_VERSIONS[version], opts.features, 'opts.features'), maps: new SlotTable<BpfMap>(), twctx: new SlotTable<TwCtx>(), progs: new SlotTable<LoadedProg>(), hooks: new Map(), kernelMem: [],
    ...emptyHotState(budgets, opts.smp === true, cpus, hashrnd),
    trace: emptyTrace,
  };
  const rq = new RunQueue(0, opts.smp === true);
  const w = new WorldValue(fields, null, null, emptyTrace, Log.empty<number>(), rq);
  rq.owner = w;
  return w;
}

/** The key Node's util.inspect looks up (without importing node:util into the model). */
export const INSPECT = Symbol.for('nodejs.util.inspect.custom');

export function featuresOf(world: World): VersionFeatures {
  checkWorld('world', world);
  return world.features;
}

/**
 * Run `body` as one transition of `world` in context `ctx`. Returns the new world and what `body`
 * returned. Use one `transact` per batch (a program run, a scheduler step), not one per kfunc.
 */
export function transact<T>(world: World, ctx: CallContext, body: (k: Kern) => T): { world: World; result: T } {
  checkWorld('world', world);
  checkContext('ctx', ctx);
  checkFunction('body', body);
  return transactWith(immer, world, ctx, body);
}

/** `transact` with a given immer instance (the benchmark compares auto-freeze on and off). */
export function transactWith<T>(engine: Immer, world: World, ctx: CallContext, body: (k: Kern) => T): { world: World; result: T } {
  const k = new Transition(engine, world, ctx, undefined, undefined);
  const result = body(k);
  return { world: end(k), result };
}

/**
 * The start of a transition of `world` in context `ctx`, for callers that make one call per
 * transition (the session's kfunc methods, the pure kfunc functions, a scheduler step) without a
 * closure: do the work on the `Kern`, then `end` it. If the work throws, drop the `Kern`: nothing of
 * it is applied. `rq`: the run queue of `world` when the caller has looked at it (the scheduler).
 */
export function begin(world: World, ctx: CallContext, rq?: RunQueue, log?: ReadLog): Kern {
  return new Transition(immer, world, ctx, undefined, rq, log ?? null);
}

/** The end of a transition begun with `begin` (or inside `transact`): the new world. */
export function end(k: Kern): World {
  if (!(k instanceof Transition)) throw new KernsimError('end needs the Kern that begin or transact made');
  const outbox = k.outbox;
  if (outbox.length > 0) {
    throw new KernsimError(`a transition ended with ${outbox.length} deferred request(s) unhandled (${outbox[0]?.kind}): drive it from the layer that owns them`);
  }
  return k.finish();
}

/**
 * The run queue of `world` (model/task/runqueue.ts): the one it holds, moved to describe it when it
 * describes another world of its history (world/rebase.ts), else one built from it. Pass it to
 * `begin` so the transition keeps it up to date.
 */
export function runQueueOf(world: World): RunQueue {
  return runQueueFor(world, WorldValue.runQueue(world));
}
