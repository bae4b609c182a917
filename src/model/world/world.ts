/**
 * The world value and its transitions. `createWorld` builds an empty world; `transact` runs a batch of
 * operations as one transition and returns the new world with the batch's result. Inside a transition
 * the operations work on a `Kern`: the draft state (immer, `s`), the hot tables (copy-on-write, `t`,
 * see tables.ts), the calling context, and the version's features. If the batch throws, nothing of it
 * is applied.
 */
import { enableMapSet, Immer, type Draft } from 'immer';
import { appendEvents, emptyTrace, type Trace, type TraceEvent } from './trace.ts';
import { DEFAULT_VERSION, KERNEL_VERSIONS, isKernelVersion, type KernelVersion, type VersionFeatures } from '../kernel/version.ts';
import { ArgumentError, KernsimError } from '../kernel/errors.ts';
import { budgetsWith, type Budgets } from '../kernel/budget.ts';
import { checkContext, checkFunction, checkWorld } from '../kernel/args.ts';
import type { ColdState, World, WorldState } from './state.ts';
import { emptyHotState, Tables } from './tables.ts';
import { describeWorld } from './inspect.ts';

enableMapSet();

/**
 * The model's own immer, with auto-freeze off: measured in bench/ (`npm run bench`, "immer
 * auto-freeze", a transition that updates a map), a transition runs about 1.7 times faster without
 * it. It is safe here because no code changes a world outside `transact`: the public types are
 * read-only (`Immutable`, and the hot tables are `Table`s, which have no way to change them), the
 * trace chunks are frozen when they are made, and test/world.test.ts checks that transitions leave
 * their starting world as it was. A dedicated instance keeps this choice out of any other immer user
 * in the process.
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
  /** The world's state that immer drafts (tasks, maps, programs, …); drafted on first use. */
  readonly s: Draft<ColdState>;
  /** The hot tables (files, page caches, dynptrs, the clock): read directly, `own` a table to change it. */
  readonly t: Tables;
  readonly ctx: CallContext;
  readonly features: VersionFeatures;
  /** Continuation of a kfunc call that slept (see dynptr/freader.ts); undefined on the first attempt. */
  resume: unknown;
  /** Requests for the layers above (see `Deferred`), in order. */
  readonly outbox: Deferred[];
  /** The events of this transition, in order; appended to the world's trace when it ends. */
  readonly log: TraceEvent[];
}

/** What the contexts of one transition share: the world it started from, its drafts and its events. */
class Transition {
  #draft: Draft<ColdState> | undefined;
  readonly t: Tables;
  readonly outbox: Deferred[] = [];
  readonly log: TraceEvent[] = [];
  readonly features: VersionFeatures;

  constructor(readonly engine: Immer, readonly base: World) {
    this.t = new Tables(base);
    this.features = KERNEL_VERSIONS[base.version];
  }

  /**
   * immer's draft of the cold state, made on first use: a batch of kfunc calls that only reads and
   * changes the hot tables never pays for one.
   */
  get draft(): Draft<ColdState> {
    this.#draft ??= this.engine.createDraft(this.base as unknown as ColdState);
    return this.#draft;
  }

  /** The new world: the changed tables and the events, put into immer's draft if there is one. */
  finish(): World {
    const changed: Partial<WorldState> = this.t.commit(this.base);
    if (this.log.length > 0) changed.trace = appendEvents(this.base.trace as Trace, this.log);
    if (this.#draft !== undefined) {
      // Tables and trace chunks are opaque to immer: it stores them as they are.
      Object.assign(this.#draft as unknown as WorldState, changed);
      return this.engine.finishDraft(this.#draft) as unknown as World;
    }
    return Object.keys(changed).length === 0 ? this.base : ({ ...this.base, ...changed } as World);
  }
}

/** A `Kern`: one transition seen from one calling context. */
class Context implements Kern {
  constructor(private readonly tx: Transition, readonly ctx: CallContext, public resume: unknown) {}
  get s(): Draft<ColdState> {
    return this.tx.draft;
  }
  get t(): Tables {
    return this.tx.t;
  }
  get features(): VersionFeatures {
    return this.tx.features;
  }
  get outbox(): Deferred[] {
    return this.tx.outbox;
  }
  get log(): TraceEvent[] {
    return this.tx.log;
  }
  /** The same transition in another context. */
  in(ctx: CallContext, resume: unknown): Context {
    return new Context(this.tx, ctx, resume);
  }
}

/** `k` is a `Kern` (made by `transact`), or an ArgumentError naming `argument`. */
export function checkKern(argument: string, k: unknown): asserts k is Kern {
  if (!(k instanceof Context)) throw new ArgumentError(argument, k, 'a Kern (the `k` of a transact body)');
}

/** The same transition, in another calling context (a task, a program), optionally continuing a sleeping call. */
export function withContext(k: Kern, ctx: CallContext, resume: unknown = undefined): Kern {
  if (!(k instanceof Context)) throw new KernsimError('withContext needs a Kern made by transact');
  return k.in(ctx, resume);
}

export function defer(k: Kern, d: Deferred): void {
  k.outbox.push(d);
}

export function emit(k: Kern, ev: TraceEvent): void {
  k.log.push(ev);
}

export interface WorldOptions {
  /** Linux version whose rules apply (default 6.19). */
  readonly version?: KernelVersion;
  /** Limits of runs in this world, each defaulting to `DEFAULT_BUDGETS` (steps, time, ops, bytes). */
  readonly budgets?: Partial<Budgets>;
}

export function createWorld(opts: WorldOptions = {}): World {
  if (opts === null || typeof opts !== 'object') throw new ArgumentError('opts', opts, 'an options object ({ version?, budgets? })');
  const version = opts.version ?? DEFAULT_VERSION;
  const budgets = budgetsWith(opts.budgets, 'opts.budgets');
  if (!isKernelVersion(version)) {
    throw new ArgumentError('version', version, `one of ${Object.keys(KERNEL_VERSIONS).join(', ')}`);
  }
  const state: WorldState = {
    version,
    ids: { ino: 1, file: 1, fstate: 1, pid: 100, work: 1, map: 1, prog: 1, obj: 1, twctx: 1, irq: 1, frame: 1, packet: 1 },
    ...emptyHotState(),
    faults: { alloc: 0, io: new Map() },
    trace: emptyTrace,
    tasks: new Map(),
    objects: new Map(),
    progs: new Map(),
    maps: new Map(),
    twctx: new Map(),
    irqWork: [],
    hooks: new Map(),
    choices: [],
    current: null,
    kernelMem: [],
    budgets,
    allocated: 0,
  };
  // Node's util.inspect (the REPL) prints a world as a few readable lines. An enumerable symbol
  // property: immer's copies keep it, JSON and Object.entries ignore it.
  Object.defineProperty(state, INSPECT, { value: inspectWorld, enumerable: true });
  return state as World;
}

function inspectWorld(this: World): string {
  return describeWorld(this);
}

/** The key Node's util.inspect looks up (without importing node:util into the model). */
export const INSPECT = Symbol.for('nodejs.util.inspect.custom');

export function featuresOf(world: World): VersionFeatures {
  checkWorld('world', world);
  return KERNEL_VERSIONS[world.version];
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
  const tx = new Transition(engine, world);
  const result = body(new Context(tx, ctx, undefined));
  if (tx.outbox.length > 0) {
    throw new KernsimError(`a transition ended with ${tx.outbox.length} deferred request(s) unhandled (${tx.outbox[0]?.kind}): drive it from the layer that owns them`);
  }
  return { world: tx.finish(), result };
}
