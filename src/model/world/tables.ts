/**
 * The model's hot tables (inodes, paths, open files, page caches, dynptr slots, FILE dynptr states,
 * reads in flight, tasks, loaded objects, the index of names), kept out of immer. Every kfunc call
 * reads several of them; through immer each read went through a draft proxy, and immer's check
 * whether a value is draftable dominated the profile (bench/README.md). So:
 *
 * - In a world, each is a `Table`: a read-only map that immer treats as an opaque value (it never
 *   drafts or walks it), shared between worlds until a transition changes it.
 * - In a transition, `Tables` (the `t` of a `Kern`) holds them: reads go straight to the maps; the
 *   first write of a table in the transition makes it the transition's own (`own`) without copying it
 *   whole (an overlay of a table keyed by ids, an O(1) clone of a persistent tree), later writes
 *   change that; a page cache is changed through a `Mapping`, which copies each of its two maps on
 *   first write. When the transition ends, `commit` stores the changed tables in the new world as new
 *   `Table`s.
 *
 * Copy-on-write at the granularity of a transition is what immer did for these maps; here it is
 * written out, so a call costs map lookups, not proxy traps.
 */
import { BTree, Mapping, type MappingState } from '../../pagecache/index.ts';
import { KernsimError, UnknownHandleError } from '../kernel/errors.ts';
import { slotFrame, type Dynptr, type DynptrSlot } from '../dynptr/types.ts';
import type { FileDynptrState } from '../dynptr/file/state.ts';
import type { FileId, FileObj, Ino, Inode, IoRequest } from '../fs/types.ts';
import type { MapId } from '../maps/types.ts';
import type { Packet } from '../packet/types.ts';
import type { RingState } from '../ringbuf/state.ts';
import type { LoadedObject, ObjId, ReadonlyLoadedObject } from '../program/loaded.ts';
import type { RunQueue } from '../task/runqueue.ts';
import { IdTable, Overlay } from './idtable.ts';
import { FirstMap } from './first_map.ts';
import { OrderedTree } from './ordered.ts';
import { ScriptTable, scriptText } from './scripts.ts';
import { nameKey, named, withId, withoutId, type NameKey, type NameKind } from './names.ts';
import { TrackedView, untracked, type ReadLog } from './footprint.ts';
import type { TaskRecord } from '../task/record.ts';
import type { IrqWork, Pid, ReadonlyTask, Syscall } from '../task/types.ts';
import type { Budgets } from '../kernel/budget.ts';
import { EMPTY_LINKED, LogBuffer, type LinkedEnd, type LinkedLog } from './log.ts';

/** A read-only map stored in a world. immer passes over it: its prototype has no own `constructor`. */
export class Table<K, V> implements ReadonlyMap<K, V> {
  readonly #map: ReadonlyMap<K, V>;

  /** `map`: a persistent tree (B+ tree, ordered.ts) a transition clones, never a `Map` it would copy whole. */
  constructor(map: ReadonlyMap<K, V>) {
    this.#map = map;
    Object.freeze(this);
  }

  get size(): number {
    return this.#map.size;
  }

  get(key: K): V | undefined {
    return this.#map.get(key);
  }

  has(key: K): boolean {
    return this.#map.has(key);
  }

  keys(): MapIterator<K> {
    return this.#map.keys();
  }

  values(): MapIterator<V> {
    return this.#map.values();
  }

  entries(): MapIterator<[K, V]> {
    return this.#map.entries();
  }

  forEach(fn: (value: V, key: K, map: ReadonlyMap<K, V>) => void): void {
    this.#map.forEach((v, k) => fn(v, k, this));
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.#map.entries();
  }

  /** The map itself, for `Tables` to read from and copy. */
  static mapOf<K, V>(t: Table<K, V>): ReadonlyMap<K, V> {
    return t.#map;
  }

  /** The insertion number of `key` (`OrderedTree.seqOf`), or undefined. */
  seqOf(key: K): number | undefined {
    return orderedOf(this).seqOf(key);
  }

  /** `fn` on every entry with its insertion number (`OrderedTree.forEachSeq`), in insertion order. */
  forEachSeq(fn: (value: V, key: K, seq: number) => void): void {
    orderedOf(this).forEachSeq(fn);
  }

  /** `fn` on each key whose entry differs between `a` and `b` (`OrderedTree.diffKeys`: what they share is skipped). */
  static diffKeys<K, V>(a: Table<K, V>, b: Table<K, V>, fn: (key: K) => void): void {
    if (a.#map !== b.#map) OrderedTree.diffKeys(orderedOf(a), orderedOf(b), fn);
  }
}

/** The `OrderedTree` a table kept in insertion order holds (the reads in flight, the dynptr slots, …). */
function orderedOf<K, V>(t: Table<K, V>): OrderedTree<K, V> {
  const m = Table.mapOf(t);
  if (!(m instanceof OrderedTree)) throw new KernsimError('a table without an insertion order has no insertion numbers');
  return m as OrderedTree<K, V>;
}
// immer asks a value's prototype for its own `constructor` to decide whether it is a plain object to
// draft; without one the answer is an immediate no (and `instanceof` still works).
delete (Table.prototype as { constructor?: unknown }).constructor;

/** The counters that name new objects. */
export interface Ids {
  ino: number; file: number; fstate: number; pid: number; work: number; map: number; prog: number; obj: number; twctx: number; irq: number; frame: number; packet: number;
}

/** Injected faults: allocations that will fail, and page reads that will fail (`ino:pgoff` → count). */
export interface Faults {
  readonly alloc: number;
  readonly io: ReadonlyMap<string, number>;
}

/** The hot state of a world: the tables every kfunc call and scheduler step reads, and its clock. */
export interface HotState {
  /** Virtual time in ticks. */
  clock: Readonly<{ now: number }>;
  inodes: IdTable<Inode>;
  paths: Table<string, Ino>;
  files: IdTable<FileObj>;
  pagecache: IdTable<MappingState>;
  dynptrs: Table<DynptrSlot, Dynptr>;
  fileStates: IdTable<FileDynptrState>;
  /** Reads in flight, keyed `ino:pgoff`, in the order they were submitted. */
  io: Table<string, IoRequest>;
  /** Ring buffer maps' positions, pages and reserved records, by map id (ringbuf/). */
  rings: Table<MapId, RingState>;
  /** Packets (skb, xdp_buff) that program contexts see, by id (packet/). */
  packets: Table<number, Packet>;
  tasks: IdTable<ReadonlyTask>;
  objects: IdTable<ReadonlyLoadedObject>;
  /** What each name of an object, a global, a program or a map stands for (names.ts): ids by `nameKey`. */
  names: Table<NameKey, readonly number[]>;
  /** One copy of each script a spawned task runs, by its JSON text (scripts.ts). */
  scripts: ScriptTable;
  ids: Readonly<Ids>;
  faults: Faults;
  /** Queued irq_work, oldest first. */
  irqWork: readonly IrqWork[];
  /** The task that ran last (the scheduler prefers it by default: no preemption). */
  current: Pid | null;
  /** The limits of runs in this world (src/model/kernel/budget.ts); they never change. */
  budgets: Readonly<Budgets>;
  /**
   * Whether the machine has more than one CPU (CONFIG_SMP): an irq_work handler then runs on its CPU
   * while tasks run on others, so the steps of `bpf_task_work_irq` interleave with them. It never
   * changes.
   */
  smp: boolean;
  /**
   * The machine's possible CPUs (`num_possible_cpus()`): what per-CPU sizes are computed from (an
   * LRU_HASH map's `target_free`: maps/lru.ts). It never changes.
   */
  cpus: number;
  /**
   * What `get_random_u32()` gives a hash map created without BPF_F_ZERO_SEED as its `hashrnd` (the
   * seed of its keys' hashes, which decides the order BPF_MAP_GET_NEXT_KEY walks: maps/buckets.ts),
   * and a bloom filter as its `hash_seed` (maps/bloom.ts). It never changes.
   */
  hashrnd: number;
  /** Bytes charged against `budgets.bytes` so far (world/budget.ts). */
  allocated: number;
  /**
   * The log the tasks' syscall results are kept in (log.ts `LinkedLog`): each task's are a list through
   * it, and the task keeps where its newest is (task/record.ts). A world's own, so that a result is
   * written where the last one was, not into an array of the task's (world/log.ts `appendLinked`).
   */
  results: LinkedLog;
}

export type HotName = 'inodes' | 'paths' | 'files' | 'pagecache' | 'dynptrs' | 'fileStates' | 'io' | 'tasks' | 'objects' | 'rings' | 'packets' | 'names';
type KeyOf<N extends HotName> = HotState[N] extends Table<infer K, unknown> ? K : number;
type ValueOf<N extends HotName> = HotState[N] extends Table<unknown, infer V> ? V : HotState[N] extends IdTable<infer V> ? V : never;

/** What a transition changes a table through. */
export interface TableWriter<K, V> {
  get(key: K): V | undefined;
  has(key: K): boolean;
  set(key: K, value: V): unknown;
  delete(key: K): boolean;
}

const HOT_NAMES: readonly HotName[] = ['inodes', 'paths', 'files', 'pagecache', 'dynptrs', 'fileStates', 'io', 'tasks', 'objects', 'rings', 'packets', 'names'];
/** The tables keyed by ids the world hands out: persistent tries (idtable.ts). */
const ID_NAMES: ReadonlySet<HotName> = new Set<HotName>(['inodes', 'files', 'pagecache', 'fileStates', 'tasks', 'objects']);
/** Each table's bit in `Tables.#owned`: bit i for `HOT_NAMES[i]`. */
const BIT = Object.freeze(Object.fromEntries(HOT_NAMES.map((name, i) => [name, 1 << i]))) as Readonly<Record<HotName, number>>;
/** Every table's bit. */
const TABLE_BITS = (1 << HOT_NAMES.length) - 1;
/** The key prefix of each table in a `ReadLog` (C is the page caches, by inode). */
export const TRACK_TAG: Readonly<Record<HotName, string>> = { inodes: 'I', paths: 'P', files: 'F', pagecache: 'C', dynptrs: 'D', fileStates: 'S', io: 'O', tasks: 'T', objects: 'B', rings: 'R', packets: 'K', names: 'N' };

export function emptyHotState(budgets: Readonly<Budgets>, smp = false, cpus = 1, hashrnd = 0): HotState {
  return {
    clock: Object.freeze({ now: 0 }),
    inodes: new IdTable(), paths: new Table(new BTree<string, Ino>() as unknown as ReadonlyMap<string, Ino>), files: new IdTable(), pagecache: new IdTable(),
    dynptrs: new Table(new OrderedTree(slotFrame)), fileStates: new IdTable(), io: new Table(new OrderedTree()), tasks: new IdTable(), objects: new IdTable(),
    rings: new Table(new OrderedTree()), packets: new Table(new OrderedTree()), names: new Table(new BTree<NameKey, readonly number[]>() as unknown as ReadonlyMap<NameKey, readonly number[]>),
    scripts: ScriptTable.EMPTY,
    ids: Object.freeze({ ino: 1, file: 1, fstate: 1, pid: 100, work: 1, map: 1, prog: 1, obj: 1, twctx: 1, irq: 1, frame: 1, packet: 1 }),
    faults: Object.freeze({ alloc: 0, io: new Map<string, number>() }),
    irqWork: Object.freeze([]),
    current: null,
    budgets,
    smp,
    cpus,
    hashrnd,
    allocated: 0,
    results: EMPTY_LINKED,
  };
}

/** A loaded object a transition may change: its globals are its own. */
function cloneObject(o: ReadonlyLoadedObject): LoadedObject {
  // The maps and programs of a loaded object do not change after the load.
  return { id: o.id, def: o.def, globals: new Map(o.globals), maps: o.maps as Map<string, number>, progs: o.progs as Map<string, number> };
}

// The other parts a transition may change, in the bits above the tables'.
const IDS = TABLE_BITS + 1;
const FAULTS = IDS << 1;
const IRQ = IDS << 2;
const SCRIPTS = IDS << 3;

interface More {
  mappings: Map<Ino, Mapping> | null;
  /** This transition's copies of tasks, by pid. */
  tasks: FirstMap<TaskRecord> | null;
  objects: Map<ObjId, LoadedObject> | null;
  /** Reads in flight submitted or completed, and how many of them the run queue has seen. */
  io: string[] | null;
  ioSynced: number;
  /**
   * Tasks changed since the run queue last saw them (this transition's copies). A task asked for
   * again right after itself is not listed twice; another repeat only costs the run queue one more
   * look at it. The first `dirtyN` entries count (the array is kept between syncs, not emptied).
   */
  dirty: TaskRecord[] | null;
  dirtyN: number;
  /**
   * A task was taken out of the table in this transition (`removeTask`): a listed task may then no
   * longer be in it (until then, each one listed is the table's).
   */
  removed: boolean;
}

function markDirty(more: More, t: TaskRecord): void {
  const dirty = more.dirty;
  if (dirty === null) {
    // Most transitions change one task: an array of one (a first store into an empty one makes room for 17).
    more.dirty = [t];
    more.dirtyN = 1;
    return;
  }
  const n = more.dirtyN;
  if (n > 0 && dirty[n - 1] === t) return;
  dirty[n] = t;
  more.dirtyN = n + 1;
}

/** What a transition changed in the hot state, for the new world. */
export type HotPatch = Partial<HotState>;

/** The hot tables during one transition: read directly, made its own (never copied whole) on a table's first write. */
export class Tables {
  /** Virtual time in ticks (the world's `clock.now`). */
  now: number;
  inodes: ReadonlyMap<Ino, Inode>;
  paths: ReadonlyMap<string, Ino>;
  files: ReadonlyMap<FileId, FileObj>;
  dynptrs: ReadonlyMap<DynptrSlot, Dynptr>;
  fileStates: ReadonlyMap<number, FileDynptrState>;
  io: ReadonlyMap<string, IoRequest>;
  rings: ReadonlyMap<MapId, RingState>;
  packets: ReadonlyMap<number, Packet>;
  /** Tasks, to read; `task(pid)` gives one to change. */
  tasks: ReadonlyMap<Pid, ReadonlyTask>;
  /** Loaded objects, to read; `object(id)` gives one to change. */
  objects: ReadonlyMap<ObjId, ReadonlyLoadedObject>;
  /** The index of names, to read through `named`. */
  names: ReadonlyMap<NameKey, readonly number[]>;
  /** The scripts of spawned tasks, one copy of each (`sharedScript`). */
  scripts: ScriptTable;
  ids: Readonly<Ids>;
  faults: Faults;
  irqWork: readonly IrqWork[];
  current: Pid | null;
  readonly budgets: Readonly<Budgets>;
  readonly smp: boolean;
  readonly cpus: number;
  readonly hashrnd: number;
  /** Bytes charged so far (world/budget.ts `charge`). */
  allocated: number;
  /** Committed page caches; read the current one through `mapping`. */
  private pagecache: ReadonlyMap<Ino, MappingState>;
  /** Tables copied in this transition (bits of `BIT`), and the other parts changed (`IDS`, …). */
  #owned = 0;
  /** What only some transitions need (page caches opened, tasks and objects copied, reads touched), made on first use. */
  #more: More | null = null;
  /** The scheduler's choices made in this transition. */
  choices: LogBuffer<number> | null = null;
  /** The log of results as this transition appended to it (`results`); null until its first result. */
  #results: LinkedEnd | null = null;
  /**
   * The task running in this step is to stop at its next point where another CPU may act (before a
   * helper or kfunc call of a BPF program, inside `bpf_task_work_schedule`): an smp world's `call`
   * action. Never part of a world.
   */
  preempt = false;
  /** The run queue the new world gets (set by `commit`): the one updated from this transition's changes, or null. */
  committedRunQueue: RunQueue | null = null;
  /** Memory made in this transition (see `fresh`); made on first use. */
  #fresh: WeakSet<object> | undefined;

  /** Where lookups are recorded (a transition begun with a `ReadLog`), or null. */
  readonly #log: ReadLog | null;
  /** The run queue of the world `base`, when it describes that world (model/task/runqueue.ts); null otherwise. */
  private readonly baseRq: RunQueue | null;

  /**
   * `worldRq`: the run queue `base` holds (it may describe another world of its history); `rq`: the
   * one the caller found for `base` (the scheduler, which looked at it before the step), or null;
   * `find`: how to find one for `base` when the transition needs it (world/rebase.ts `runQueueFor`).
   * A run queue this transition takes is `held` until it commits.
   */
  constructor(
    private readonly base: Readonly<HotState>,
    private readonly worldRq: RunQueue,
    private rq: RunQueue | null,
    private readonly find: (world: Readonly<HotState>, rq: RunQueue) => RunQueue,
    log: ReadLog | null = null,
  ) {
    this.#log = log;
    this.baseRq = worldRq.owner === base ? worldRq : null;
    if (this.baseRq !== null) this.baseRq.held = true;
    if (rq !== null) rq.held = true;
    this.now = base.clock.now;
    this.inodes = base.inodes;
    this.paths = Table.mapOf(base.paths);
    this.files = base.files;
    this.pagecache = base.pagecache;
    this.dynptrs = Table.mapOf(base.dynptrs);
    this.fileStates = base.fileStates;
    this.io = Table.mapOf(base.io);
    this.rings = Table.mapOf(base.rings);
    this.packets = Table.mapOf(base.packets);
    this.tasks = base.tasks;
    this.objects = base.objects;
    this.names = Table.mapOf(base.names);
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
    // Kept out of line: the constructor's bytecode then stays under V8's limit for inlining it where a
    // transition begins (460 bytes; 444 now, 604 with the loop), which took making the tables from some
    // 77 ns to 55–62 (bench/README.md, stop 58).
    if (log !== null) this.#track(log);
  }

  /** Every table but the page caches read through `log` (a transition begun with a `ReadLog`). */
  #track(log: ReadLog): void {
    const self = this as unknown as Record<HotName, ReadonlyMap<unknown, unknown>>;
    for (const name of HOT_NAMES) if (name !== 'pagecache') self[name] = new TrackedView(self[name], TRACK_TAG[name], log);
  }

  /**
   * World-owned memory (a ring's pages and records, a packet's bytes) to change in place: `bytes`
   * itself when this transition made it, else a copy, which the caller stores in place of the
   * original. So an earlier world keeps its bytes, and a batch of writes copies them once.
   */
  fresh(bytes: Uint8Array): Uint8Array {
    if (this.#fresh?.has(bytes) === true) return bytes;
    return this.made(bytes.slice());
  }

  /** Mark memory as made by this transition (it may be changed in place until the transition ends). */
  made(bytes: Uint8Array): Uint8Array {
    (this.#fresh ??= new WeakSet()).add(bytes);
    return bytes;
  }

  /**
   * Table `name`, to change: a table keyed by ids gets an overlay of this transition's changes (its
   * paths are copied when the transition ends); the table of paths, a B+ tree, and the tables kept in
   * insertion order (ordered.ts) are cloned in O(1) (their nodes shared, each copied when first
   * changed). No table is copied whole.
   */
  own<N extends HotName>(name: N): TableWriter<KeyOf<N>, ValueOf<N>> {
    // Small, so that V8 inlines it where it is called, each with its table's name written out: the
    // two lookups by `name` are then loads of a known property, not a search by a key that varies
    // from call to call (bench/README.md "Cases, stop 61").
    if ((this.#owned & BIT[name]) === 0) this.#ownFirst(name);
    return (this as unknown as Record<HotName, ReadonlyMap<unknown, unknown>>)[name] as unknown as TableWriter<KeyOf<N>, ValueOf<N>>;
  }

  /** The first `own(name)` of a transition: the table made this transition's own. */
  #ownFirst(name: HotName): void {
    const self = this as unknown as Record<HotName, ReadonlyMap<unknown, unknown>>;
    const cur = untracked(self[name]);
    const copy = ID_NAMES.has(name) ? new Overlay(cur as IdTable<unknown>)
      : cur instanceof BTree ? ((cur as BTree<unknown, unknown>).clone() as unknown as ReadonlyMap<unknown, unknown>)
      : cur instanceof OrderedTree ? (cur as OrderedTree<unknown, unknown>).clone()
      : null;
    if (copy === null) throw new KernsimError(`table ${name} is neither keyed by ids nor a persistent tree`);
    self[name] = this.#log === null ? copy : new TrackedView(copy, TRACK_TAG[name], this.#log);
    this.#owned |= BIT[name];
  }

  #extra(): More {
    this.#more ??= { mappings: null, tasks: null, objects: null, io: null, ioSynced: 0, dirty: null, dirtyN: 0, removed: false };
    return this.#more;
  }

  /** The dynptr slots on the stack of call frame `frame` (`frameSlot`), oldest first, found without a walk of the table. */
  frameSlots(frame: number): DynptrSlot[] {
    this.#log?.readAll(TRACK_TAG.dynptrs);
    return (untracked(this.dynptrs) as OrderedTree<DynptrSlot, Dynptr>).keysOf(frame);
  }

  /** Task `pid`, to change: this transition's own copy (made on first use). */
  task(pid: Pid): TaskRecord | undefined {
    const more = this.#more;
    const mine = more?.tasks?.get(pid);
    if (mine !== undefined) {
      // Changed again: the run queue is to look at it again (see `syncRunQueue`).
      markDirty(more as More, mine);
      return mine;
    }
    const t = this.tasks.get(pid) as TaskRecord | undefined;
    if (t === undefined) return undefined;
    const copy = t.clone();
    this.addTask(copy);
    return copy;
  }

  /** Add a new task (or this transition's copy of one). */
  addTask(t: TaskRecord): void {
    const more = this.#extra();
    (more.tasks ??= new FirstMap()).set(t.pid, t);
    markDirty(more, t);
    this.own('tasks').set(t.pid, t);
  }

  /**
   * Take task `pid` out of the table: a task that never existed for anyone but the code that made it
   * (a fork that failed before the task got its pid). The run queue is told it is no longer there.
   */
  removeTask(pid: Pid): void {
    const t = this.task(pid);
    if (t === undefined) return;
    t.state = 'dead';
    const more = this.#extra();
    more.removed = true;
    more.tasks?.delete(pid);
    this.own('tasks').delete(pid);
  }

  /** Loaded object `id`, to change: this transition's own copy (made on first use). */
  object(id: ObjId): LoadedObject | undefined {
    const mine = this.#more?.objects?.get(id);
    if (mine !== undefined) return mine;
    const o = this.objects.get(id);
    if (o === undefined) return undefined;
    const copy = cloneObject(o);
    (this.#extra().objects ??= new Map()).set(id, copy);
    this.own('objects').set(id, copy);
    return copy;
  }

  /**
   * Add a new loaded object (it is this transition's to change), with its maps and programs made, and
   * file its names: its own, its globals' and its programs' (`createMap` filed its maps').
   */
  addObject(o: LoadedObject): void {
    (this.#extra().objects ??= new Map()).set(o.id, o);
    this.own('objects').set(o.id, o);
    this.fileName('object', o.def.name, o.id);
    for (const g of o.globals.keys()) this.fileName('global', g, o.id);
    for (const p of o.progs.keys()) this.fileName('prog', p, o.id);
  }

  /** The ids filed under `name` as `kind` (names.ts), ascending. */
  named(kind: NameKind, name: string): readonly number[] {
    return named(this.names, kind, name);
  }

  /** File `id`, newer than every id filed under `name` as `kind`, under it. */
  fileName(kind: NameKind, name: string, id: number): void {
    const key = nameKey(kind, name);
    const w = this.own('names');
    w.set(key, withId(w.get(key), id));
  }

  /** Take `id` from under `name` as `kind`. */
  unfileName(kind: NameKind, name: string, id: number): void {
    const key = nameKey(kind, name);
    const w = this.own('names');
    const rest = withoutId(w.get(key), id);
    if (rest === undefined) w.delete(key);
    else w.set(key, rest);
  }

  /** The next id of kind `name` (the counter moves on). */
  nextId(name: keyof Ids): number {
    if ((this.#owned & IDS) === 0) {
      this.ids = { ...this.ids };
      this.#owned |= IDS;
    }
    const ids = this.ids as Ids;
    const id = ids[name];
    ids[name] = id + 1;
    return id;
  }

  /**
   * `script` as a new task is to keep it: the copy the world has of an equal script (the same text,
   * scripts.ts `scriptText`), else `script` itself, filed as that copy.
   */
  sharedScript(script: readonly Syscall[]): readonly Syscall[] {
    const text = scriptText(script);
    const kept = this.scripts.get(text);
    if (kept !== undefined) return kept;
    this.scripts = this.scripts.with(text, script);
    this.#owned |= SCRIPTS;
    return script;
  }

  /** The injected faults, to change. */
  ownFaults(): { alloc: number; io: Map<string, number> } {
    if ((this.#owned & FAULTS) === 0) {
      this.faults = { alloc: this.faults.alloc, io: new Map(this.faults.io) };
      this.#owned |= FAULTS;
    }
    return this.faults as { alloc: number; io: Map<string, number> };
  }

  /** Queue an irq_work. */
  pushIrq(w: IrqWork): void {
    this.#ownIrq().push(w);
  }

  /** Put an irq_work at the head of the queue (a handler that stopped part-way, continued next). */
  unshiftIrq(w: IrqWork): void {
    this.#log?.read('Q', 'head');
    this.#ownIrq().unshift(w);
  }

  /** Take the oldest irq_work. */
  shiftIrq(): IrqWork | undefined {
    this.#log?.read('Q', 'head');
    if (this.irqWork.length === 0) return undefined;
    return this.#ownIrq().shift();
  }

  #ownIrq(): IrqWork[] {
    if ((this.#owned & IRQ) === 0) {
      this.irqWork = this.irqWork.slice();
      this.#owned |= IRQ;
    }
    return this.irqWork as IrqWork[];
  }

  /** A read is in flight for `key`. */
  addIo(key: string, req: IoRequest): void {
    this.own('io').set(key, req);
    (this.#extra().io ??= []).push(key);
  }

  /** The read in flight for `key` is over. */
  deleteIo(key: string): void {
    this.own('io').delete(key);
    (this.#extra().io ??= []).push(key);
  }

  /** Record the scheduler's choice of this step. */
  choose(i: number): void {
    (this.choices ??= new LogBuffer()).push(i);
  }

  /**
   * The run queue of the world this transition started from: `rq` when the caller has it (the
   * scheduler, which looked at it before the step), the one of the world when it describes it, else
   * the history's one moved to the world, or one built from it (`find`).
   */
  runQueue(): RunQueue {
    if (this.rq === null) {
      this.rq = this.baseRq ?? this.find(this.base, this.worldRq);
      this.rq.held = true;
    }
    return this.rq;
  }

  /**
   * The children of task `parent` not yet reaped, in the order they were forked, to read from `tasks`
   * (a task taken out of the table, a fork that failed, is no one's child). The run queue files them as
   * they were when this scheduler step began (it is brought up to date between steps, never inside
   * one: a task's later changes in the step would not be seen). That is enough: only the parent's own
   * fork and wait change its children, and each ends the step it is in. Read as a walk of every task
   * would be (the explorer's footprint).
   */
  childrenOf(parent: Pid): Pid[] {
    this.#log?.readAll(TRACK_TAG.tasks);
    return [...this.runQueue().childrenOf(parent)];
  }

  /** The log of results to append a task's to (`TaskRecord.addResult`): the world's, moved on by each. */
  results(): LinkedEnd {
    return (this.#results ??= { head: this.base.results.head, length: this.base.results.length });
  }

  /** The page cache of inode `ino`, to read or change. */
  mapping(ino: Ino): Mapping {
    let m = this.#more?.mappings?.get(ino);
    if (m === undefined) {
      this.#log?.read('C', ino);
      const base = this.pagecache.get(ino);
      if (base === undefined) throw new UnknownHandleError('ino', ino, 'page cache');
      m = new Mapping(base);
      (this.#extra().mappings ??= new Map()).set(ino, m);
    }
    return m;
  }

  /** The page cache of inode `ino` as this transition sees it, to read only (no `Mapping` is made). */
  pages(ino: Ino): MappingState {
    this.#log?.read('C', ino);
    const m = this.#more?.mappings?.get(ino) ?? this.pagecache.get(ino);
    if (m === undefined) throw new UnknownHandleError('ino', ino, 'page cache');
    return m;
  }

  /** Give inode `ino` an empty page cache. */
  addMapping(ino: Ino): void {
    this.own('pagecache').set(ino, new Mapping().state());
  }

  /** Every inode with its page cache, to change. */
  *mappings(): Generator<[Ino, Mapping]> {
    this.#log?.readAll('C');
    for (const ino of [...this.pagecache.keys()]) yield [ino, this.mapping(ino)];
  }

  /**
   * The hot state this transition changed, as the new world stores it (null when nothing changed).
   * Sets `committedRunQueue`: the run queue of the world this transition started from (when known),
   * updated in place from the changed tasks, reads and clock, for the new world.
   */
  commit(): HotPatch | null {
    const more = this.#more;
    if (more?.mappings != null) for (const [ino, m] of more.mappings) if (m.changed) this.own('pagecache').set(ino, m.state());
    let patch: HotPatch | null = null;
    const owned = this.#owned;
    if (owned !== 0) {
      const out: Partial<Record<HotName, Table<unknown, unknown> | IdTable<unknown>>> = {};
      const self = this as unknown as Record<HotName, ReadonlyMap<unknown, unknown>>;
      // The tables changed, in the order of `HOT_NAMES`: a bit at a time, lowest first.
      for (let bits = owned & TABLE_BITS; bits !== 0; bits &= bits - 1) {
        const name = HOT_NAMES[31 - Math.clz32(bits & -bits)] as HotName;
        const t = untracked(self[name]);
        out[name] = t instanceof Overlay ? t.applied() : new Table(t);
      }
      patch = out as HotPatch;
      if ((owned & IDS) !== 0) patch.ids = this.ids;
      if ((owned & FAULTS) !== 0) patch.faults = this.faults;
      if ((owned & IRQ) !== 0) patch.irqWork = this.irqWork;
      if ((owned & SCRIPTS) !== 0) patch.scripts = this.scripts;
    }
    const base = this.base;
    if (this.now !== base.clock.now) (patch ??= {}).clock = { now: this.now };
    if (this.current !== base.current) (patch ??= {}).current = this.current;
    if (this.allocated !== base.allocated) (patch ??= {}).allocated = this.allocated;
    const results = this.#results;
    if (results !== null && results.length !== base.results.length) (patch ??= {}).results = Object.freeze({ head: results.head, length: results.length });
    const rq = this.rq ?? this.baseRq;
    if (rq !== null) {
      this.#sync(rq);
      rq.held = false;
    }
    if (this.baseRq !== null) this.baseRq.held = false;
    this.committedRunQueue = rq;
    return patch;
  }

  /**
   * Bring the run queue up to date with what this transition has changed so far (tasks, reads in
   * flight, the clock), for a transition that makes several scheduler steps (`run`): each step reads
   * the run queue of the state the steps before it left.
   */
  syncRunQueue(): RunQueue {
    const rq = this.runQueue();
    this.#sync(rq);
    return rq;
  }

  #sync(rq: RunQueue): void {
    // The clock first: an event the step carried out (chosen among the earliest pending ones) is due
    // by now, and leaves the due set in O(log n) rather than its group of pending events in O(group).
    if (this.now !== rq.now) rq.advance(this.now);
    const more = this.#more;
    if (more !== null) {
      const io = more.io;
      if (io !== null) {
        const table = untracked(this.io) as OrderedTree<string, IoRequest>;
        for (let i = more.ioSynced; i < io.length; i += 1) {
          const key = io[i] as string;
          rq.syncIo(key, table.get(key), table.seqOf(key) ?? -1);
        }
        more.ioSynced = io.length;
      }
      const dirty = more.dirty;
      if (dirty !== null) {
        for (let i = 0; i < more.dirtyN; i += 1) {
          const t = dirty[i] as TaskRecord;
          // A task taken out of the table (`removeTask`) is filed nowhere, as in an index built anew.
          if (!more.removed || this.tasks.get(t.pid) === t) rq.syncTask(t);
          else rq.dropTask(t.pid, t.parent);
        }
        more.dirtyN = 0;
      }
    }
  }
}
