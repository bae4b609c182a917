/**
 * The world value and its transitions. `createWorld` builds an empty world; `transact` runs a batch of
 * operations as one immer transition and returns the new world with the batch's result. Inside a
 * transition the operations work on a `Kern`: the draft state, the calling context, and the version's
 * features. If the batch throws, nothing of it is applied.
 */
import { castDraft, enableMapSet, freeze, produce, type Draft, type Immutable } from 'immer';
import { appendEvent, emptyTrace, type Trace, type TraceEvent } from './trace.ts';
import { DEFAULT_VERSION, KERNEL_VERSIONS, isKernelVersion, type KernelVersion, type VersionFeatures } from './version.ts';
import { ArgumentError } from './errors.ts';
import type { WorldState } from './state.ts';

enableMapSet();

export type World = Immutable<WorldState>;

/** Where a kfunc runs. `sleepable` is the program's (or callback's) context. */
export interface CallContext {
  readonly sleepable: boolean;
  /** A label for the trace (the program or task); empty when none. */
  readonly label?: string;
}

export const SLEEPABLE: CallContext = Object.freeze({ sleepable: true });
export const NON_SLEEPABLE: CallContext = Object.freeze({ sleepable: false });

/** A transition in progress: the draft world, the calling context and the kernel version's features. */
export interface Kern {
  readonly s: Draft<WorldState>;
  readonly ctx: CallContext;
  readonly features: VersionFeatures;
  /** Continuation of a kfunc call that slept (see dynptr/freader.ts); undefined on the first attempt. */
  resume: unknown;
}

export function emit(k: Kern, ev: TraceEvent): void {
  k.s.trace = castDraft(appendEvent(k.s.trace as Trace, ev));
}

export interface WorldOptions {
  /** Linux version whose rules apply (default 6.19). */
  readonly version?: KernelVersion;
}

export function createWorld(opts: WorldOptions = {}): World {
  const version = opts.version ?? DEFAULT_VERSION;
  if (!isKernelVersion(version)) {
    throw new ArgumentError('version', version, `one of ${Object.keys(KERNEL_VERSIONS).join(', ')}`);
  }
  const state: WorldState = {
    version,
    clock: { now: 0 },
    ids: { ino: 1, file: 1, fstate: 1 },
    inodes: new Map(),
    paths: new Map(),
    files: new Map(),
    pagecache: new Map(),
    dynptrs: new Map(),
    fileStates: new Map(),
    io: new Map(),
    faults: { alloc: 0 },
    trace: emptyTrace,
  };
  return freeze(state, true) as World;
}

export function featuresOf(world: World): VersionFeatures {
  return KERNEL_VERSIONS[world.version];
}

/**
 * Run `body` as one transition of `world` in context `ctx`. Returns the new world and what `body`
 * returned. Use one `transact` per batch (a program run, a scheduler step), not one per kfunc.
 */
export function transact<T>(world: World, ctx: CallContext, body: (k: Kern) => T): { world: World; result: T } {
  let result: T | undefined;
  const next = produce(world as WorldState, (draft) => {
    const k: Kern = { s: draft, ctx, features: KERNEL_VERSIONS[draft.version], resume: undefined };
    result = body(k);
  });
  return { world: next as World, result: result as T };
}
