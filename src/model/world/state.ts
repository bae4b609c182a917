/**
 * The shape of the world. It is one immutable value made of small records and maps, changed only
 * through transitions (`transact` in world.ts): hand-written copy-on-write for the state every kfunc
 * call and scheduler step touches (tables.ts: files, page caches, dynptrs, tasks, loaded objects, ids,
 * faults, irq_work, the clock), immer for BPF maps, bpf_task_work contexts, programs and hooks. File
 * bytes and BPF program memory are `Uint8Array`s referenced from it, never copied into it.
 */
import type { Immutable } from 'immer';
import type { HotPatch, HotState } from './tables.ts';
import type { Log } from './log.ts';
import type { Trace } from './trace.ts';
import type { KernelVersion, VersionFeatures } from '../kernel/version.ts';
import type { BpfMap } from '../maps/types.ts';
import type { ReadonlySlotTable, SlotTable } from '../maps/slots.ts';
import type { LoadedProg, ProgId } from '../program/loaded.ts';
import type { RunQueue } from '../task/runqueue.ts';
import type { TwCtx } from '../task/types.ts';

/** The part of the world immer drafts (`k.s` in a transition; the rest is in `HotState`, tables.ts). */
export interface ColdState {
  version: KernelVersion;
  /** BPF maps by id: a persistent trie (maps/slots.ts), so a transition that changes one map copies a few nodes, not a table of every map. */
  maps: SlotTable<BpfMap>;
  /** `bpf_task_work` contexts by id: a persistent trie like `maps`. */
  twctx: SlotTable<TwCtx>;
  /** Loaded programs by id: a persistent trie like `maps` (a scheduled `bpf_task_work` takes a reference on its program). */
  progs: SlotTable<LoadedProg>;
  /** Programs attached to each hook, in the order they run (`runsNewestFirst`: a trampoline's newest first, a tracepoint's in attach order). */
  hooks: Map<string, ProgId[]>;
  /** Kernel memory a probe may read (`copy_from_kernel_nofault`): regions of bytes by start address (helpers/kernel_mem.ts). */
  kernelMem: { addr: bigint; bytes: Uint8Array }[];
}

export type WorldState = ColdState & HotState;

/** The fields of a world. */
/**
 * The cold state as it is read (a world's, or a transition's `k.cold`): immer's `Immutable`, with the
 * tables by id seen through `ReadonlySlotTable`, which has no method that changes them.
 */
export type ColdView = Omit<Immutable<ColdState>, 'maps' | 'twctx' | 'progs'> & {
  /** BPF maps by id. */
  readonly maps: ReadonlySlotTable<Immutable<BpfMap>>;
  /** `bpf_task_work` contexts by id. */
  readonly twctx: ReadonlySlotTable<Immutable<TwCtx>>;
  /** Loaded programs by id. */
  readonly progs: ReadonlySlotTable<Immutable<LoadedProg>>;
};

export type WorldFields = ColdView & Readonly<HotState> & {
  readonly trace: Trace;
  /** The kernel's rules: its version's (`KERNEL_VERSIONS`), with the build's own where it differs (`WorldOptions.features`). */
  readonly features: VersionFeatures;
};

/** A world: one immutable value (see world.ts for its transitions). */
export class WorldValue {
  readonly version: KernelVersion;
  /** The rules of the kernel this world models: `version`'s, with the build's own (`WorldOptions.features`). */
  readonly features: VersionFeatures;
  /** BPF maps by id (a world never changes: a transition makes a new one). */
  readonly maps: ColdView['maps'];
  /** `bpf_task_work` contexts by id. */
  readonly twctx: ColdView['twctx'];
  /** Loaded programs by id. */
  readonly progs: ColdView['progs'];
  readonly hooks: ColdView['hooks'];
  readonly kernelMem: ColdView['kernelMem'];
  readonly clock: HotState['clock'];
  readonly inodes: HotState['inodes'];
  readonly paths: HotState['paths'];
  readonly files: HotState['files'];
  readonly pagecache: HotState['pagecache'];
  readonly dynptrs: HotState['dynptrs'];
  readonly fileStates: HotState['fileStates'];
  readonly io: HotState['io'];
  readonly rings: HotState['rings'];
  readonly packets: HotState['packets'];
  readonly tasks: HotState['tasks'];
  readonly objects: HotState['objects'];
  /** What the names of objects, globals, programs and maps stand for (names.ts `named`). */
  readonly names: HotState['names'];
  /** One copy of each script a spawned task runs (tables.ts `HotState.scripts`). */
  readonly scripts: HotState['scripts'];
  readonly ids: HotState['ids'];
  readonly faults: HotState['faults'];
  readonly irqWork: HotState['irqWork'];
  readonly current: HotState['current'];
  readonly budgets: HotState['budgets'];
  readonly smp: HotState['smp'];
  readonly cpus: HotState['cpus'];
  readonly hashrnd: HotState['hashrnd'];
  readonly allocated: HotState['allocated'];
  readonly results: HotState['results'];
  readonly trace: Trace;
  readonly #choices: Log<number>;
  #choicesArray: readonly number[] | null = null;
  readonly #rq: RunQueue;

  /**
   * The world `base` with what a transition changed: hot tables (`hot`, only the fields it names), cold
   * state (immer's), trace. Every field is read from `base` first, then the changes are laid over them:
   * so the loads see one shape (a world's), where reading each field from "the patch, else `base`" saw
   * every patch's, and the constructor's bytecode is small enough (343 bytes) for V8 to inline it where
   * a transition ends. Making a world took some 75 ns, and now 49–57 (bench/README.md, stop 58).
   */
  constructor(base: WorldFields, hot: HotPatch | null, cold: ColdView | null, trace: Trace, choices: Log<number>, rq: RunQueue) {
    this.version = base.version;
    this.features = base.features;
    this.maps = base.maps;
    this.twctx = base.twctx;
    this.progs = base.progs;
    this.hooks = base.hooks;
    this.kernelMem = base.kernelMem;
    this.clock = base.clock;
    this.inodes = base.inodes;
    this.paths = base.paths;
    this.files = base.files;
    this.pagecache = base.pagecache;
    this.dynptrs = base.dynptrs;
    this.fileStates = base.fileStates;
    this.io = base.io;
    this.rings = base.rings;
    this.packets = base.packets;
    this.tasks = base.tasks;
    this.objects = base.objects;
    this.names = base.names;
    this.scripts = base.scripts;
    this.ids = base.ids;
    this.faults = base.faults;
    this.irqWork = base.irqWork;
    this.current = base.current;
    this.budgets = base.budgets;
    this.smp = base.smp;
    this.cpus = base.cpus;
    this.hashrnd = base.hashrnd;
    this.allocated = base.allocated;
    this.results = base.results;
    this.trace = trace;
    this.#choices = choices;
    this.#rq = rq;
    if (cold !== null) {
      this.maps = cold.maps;
      this.twctx = cold.twctx;
      this.progs = cold.progs;
      this.hooks = cold.hooks;
      this.kernelMem = cold.kernelMem;
    }
    // A patch names only what the transition changed (`Tables.commit`), each a field of a world.
    if (hot !== null) Object.assign(this, hot);
  }

  /** The scheduler's recorded choices, for replay (`listChooser`). */
  get choices(): readonly number[] {
    this.#choicesArray ??= Object.freeze(this.#choices.toArray());
    return this.#choicesArray;
  }

  /** The choices as the log a transition appends to. */
  static choiceLog(w: WorldValue): Log<number> {
    return w.#choices;
  }

  /** The run queue this world holds (it may describe another world: check its `owner`). */
  static runQueue(w: WorldValue): RunQueue {
    return w.#rq;
  }

  /**
   * `v` is a world: made by `createWorld` or a transition (its class's own fields, which a copy of one,
   * `{ ...world }`, or one parsed from JSON has not).
   */
  static is(v: unknown): v is WorldValue {
    return typeof v === 'object' && v !== null && #rq in v;
  }
}
// immer asks a value's prototype for its own `constructor` to decide whether it is a plain object to
// draft; without one the answer is an immediate no (a world is never drafted whole: world.ts drafts
// its cold part).
delete (WorldValue.prototype as { constructor?: unknown }).constructor;

/** A world: one immutable value (see world.ts for its transitions). */
export type World = WorldValue;
