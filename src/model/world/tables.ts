/**
 * The model's hot tables (inodes, paths, open files, page caches, dynptr slots, FILE dynptr states,
 * reads in flight), kept out of immer. Every kfunc call reads several of them; through immer each read
 * went through a draft proxy, and immer's check whether a value is draftable dominated the profile
 * (bench/README.md). So:
 *
 * - In a world, each is a `Table`: a read-only map that immer treats as an opaque value (it never
 *   drafts or walks it), shared between worlds until a transition changes it.
 * - In a transition, `Tables` (the `t` of a `Kern`) holds them: reads go straight to the maps; the
 *   first write of a table in the transition copies it (`own`), later writes change the copy; a page
 *   cache is changed through a `Mapping`, which copies each of its two maps on first write. When the
 *   transition ends, `commit` stores the changed tables in the new world as new `Table`s.
 *
 * Copy-on-write at the granularity of a transition is what immer did for these maps; here it is
 * written out, so a call costs map lookups, not proxy traps.
 */
import { Mapping, type MappingState } from '../../pagecache/index.ts';
import { UnknownHandleError } from '../kernel/errors.ts';
import type { Dynptr, DynptrSlot } from '../dynptr/types.ts';
import type { FileDynptrState } from '../dynptr/file/state.ts';
import type { FileId, FileObj, Ino, Inode, IoRequest } from '../fs/types.ts';
import type { MapId } from '../maps/types.ts';
import type { Packet } from '../packet/types.ts';
import type { RingState } from '../ringbuf/state.ts';

/** A read-only map stored in a world. immer passes over it: its prototype has no own `constructor`. */
export class Table<K, V> implements ReadonlyMap<K, V> {
  readonly #map: ReadonlyMap<K, V>;

  constructor(map: ReadonlyMap<K, V> = new Map()) {
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
}
// immer asks a value's prototype for its own `constructor` to decide whether it is a plain object to
// draft; without one the answer is an immediate no (and `instanceof` still works).
delete (Table.prototype as { constructor?: unknown }).constructor;

/** The hot tables of a world, and its clock (read by every call for its trace event). */
export interface HotState {
  /** Virtual time in ticks. */
  clock: Readonly<{ now: number }>;
  inodes: Table<Ino, Inode>;
  paths: Table<string, Ino>;
  files: Table<FileId, FileObj>;
  pagecache: Table<Ino, MappingState>;
  dynptrs: Table<DynptrSlot, Dynptr>;
  fileStates: Table<number, FileDynptrState>;
  /** Reads in flight, keyed `ino:pgoff`. */
  io: Table<string, IoRequest>;
  /** Ring buffer maps' positions, pages and reserved records, by map id (ringbuf/). */
  rings: Table<MapId, RingState>;
  /** Packets (skb, xdp_buff) that program contexts see, by id (packet/). */
  packets: Table<number, Packet>;
}

export type HotName = Exclude<keyof HotState, 'clock'>;
type KeyOf<N extends HotName> = HotState[N] extends Table<infer K, unknown> ? K : never;
type ValueOf<N extends HotName> = HotState[N] extends Table<unknown, infer V> ? V : never;

export function emptyHotState(): HotState {
  return {
    clock: Object.freeze({ now: 0 }),
    inodes: new Table(), paths: new Table(), files: new Table(), pagecache: new Table(),
    dynptrs: new Table(), fileStates: new Table(), io: new Table(), rings: new Table(), packets: new Table(),
  };
}

/** The hot tables during one transition: read directly, copied on a table's first write. */
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
  /** Committed page caches; read the current one through `mapping`. */
  private pagecache: ReadonlyMap<Ino, MappingState>;
  readonly #owned = new Set<HotName>();
  /** The page caches this transition has opened, changed or not. */
  readonly #mappings = new Map<Ino, Mapping>();
  /** Memory made in this transition (see `fresh`); made on first use. */
  #fresh: WeakSet<object> | undefined;

  constructor(base: Readonly<HotState>) {
    this.now = base.clock.now;
    this.inodes = Table.mapOf(base.inodes);
    this.paths = Table.mapOf(base.paths);
    this.files = Table.mapOf(base.files);
    this.pagecache = Table.mapOf(base.pagecache);
    this.dynptrs = Table.mapOf(base.dynptrs);
    this.fileStates = Table.mapOf(base.fileStates);
    this.io = Table.mapOf(base.io);
    this.rings = Table.mapOf(base.rings);
    this.packets = Table.mapOf(base.packets);
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

  /** Table `name`, to change: copied on its first write in this transition. */
  own<N extends HotName>(name: N): Map<KeyOf<N>, ValueOf<N>> {
    const self = this as unknown as Record<HotName, ReadonlyMap<unknown, unknown>>;
    if (!this.#owned.has(name)) {
      self[name] = new Map(self[name]);
      this.#owned.add(name);
    }
    return self[name] as Map<KeyOf<N>, ValueOf<N>>;
  }

  /** The page cache of inode `ino`, to read or change. */
  mapping(ino: Ino): Mapping {
    let m = this.#mappings.get(ino);
    if (m === undefined) {
      const base = this.pagecache.get(ino);
      if (base === undefined) throw new UnknownHandleError('ino', ino, 'page cache');
      m = new Mapping(base);
      this.#mappings.set(ino, m);
    }
    return m;
  }

  /** Give inode `ino` an empty page cache. */
  addMapping(ino: Ino): void {
    this.own('pagecache').set(ino, new Mapping().state());
  }

  /** Every inode with its page cache, to change. */
  *mappings(): Generator<[Ino, Mapping]> {
    for (const ino of [...this.pagecache.keys()]) yield [ino, this.mapping(ino)];
  }

  /** The tables (and clock) this transition changed, as the new world stores them. */
  commit(base: Readonly<HotState>): Partial<HotState> {
    for (const [ino, m] of this.#mappings) if (m.changed) this.own('pagecache').set(ino, m.state());
    const out: Partial<Record<HotName, Table<unknown, unknown>>> = {};
    const self = this as unknown as Record<HotName, ReadonlyMap<unknown, unknown>>;
    for (const name of this.#owned) out[name] = new Table(self[name]);
    const changed = out as Partial<HotState>;
    if (this.now !== base.clock.now) changed.clock = Object.freeze({ now: this.now });
    return changed;
  }
}
