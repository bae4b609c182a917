/**
 * What a transition read, for the partial-order reduction of `kernsim explore` (src/explore): two
 * scheduler steps of which neither writes what the other reads or writes commute. A transition begun
 * with a `ReadLog` (world.ts `begin`) records the keys of the hot tables it looked up (`T101`: task
 * 101, `F3`: file 3, …; `T*` when it went through a whole table) and the parts of the cold state it
 * touched (`Mmaps`, `Mtwctx`, …). What it wrote is found by comparing the worlds before and after
 * (src/explore/footprint.ts). Without a log (every ordinary transition) nothing is recorded and the
 * tables are the plain ones.
 */
/** What a transition changes a table through (the shape of tables.ts `TableWriter`, repeated here: tables.ts imports this module). */
interface Writer<K, V> {
  get(key: K): V | undefined;
  has(key: K): boolean;
  set(key: K, value: V): unknown;
  delete(key: K): boolean;
}

export class ReadLog {
  readonly keys = new Set<string>();

  /** Entry `key` of the table tagged `tag` was read. */
  read(tag: string, key: unknown): void {
    this.keys.add(`${tag}${String(key)}`);
  }

  /** The whole table tagged `tag` was read (its size, or every entry). */
  readAll(tag: string): void {
    this.keys.add(`${tag}*`);
  }
}

/** A table as a transition with a `ReadLog` sees it: every lookup is recorded, writes go through. */
export class TrackedView<K, V> implements ReadonlyMap<K, V>, Writer<K, V> {
  constructor(readonly inner: ReadonlyMap<K, V>, readonly tag: string, readonly log: ReadLog) {}

  get size(): number {
    this.log.readAll(this.tag);
    return this.inner.size;
  }

  get(key: K): V | undefined {
    this.log.read(this.tag, key);
    return this.inner.get(key);
  }

  has(key: K): boolean {
    this.log.read(this.tag, key);
    return this.inner.has(key);
  }

  set(key: K, value: V): this {
    (this.inner as unknown as Writer<K, V>).set(key, value);
    return this;
  }

  delete(key: K): boolean {
    this.log.read(this.tag, key);
    return (this.inner as unknown as Writer<K, V>).delete(key);
  }

  keys(): MapIterator<K> {
    this.log.readAll(this.tag);
    return this.inner.keys();
  }

  values(): MapIterator<V> {
    this.log.readAll(this.tag);
    return this.inner.values();
  }

  entries(): MapIterator<[K, V]> {
    this.log.readAll(this.tag);
    return this.inner.entries();
  }

  forEach(fn: (value: V, key: K, map: ReadonlyMap<K, V>) => void): void {
    this.log.readAll(this.tag);
    this.inner.forEach((v, k) => fn(v, k, this));
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }
}

/** The table under a view (the table itself when it is not one). */
export function untracked<T>(t: T): T {
  return t instanceof TrackedView ? (t.inner as T) : t;
}

/**
 * The cold state (immer's draft or the world) seen through a log: each property read is recorded as
 * `M${name}` (the maps, the task_work contexts, the programs, the hooks, kernel memory).
 */
export function trackedCold<T extends object>(cold: T, log: ReadLog): T {
  return new Proxy(cold, {
    get(target, prop) {
      if (typeof prop === 'string') log.read('M', prop);
      return Reflect.get(target, prop) as unknown;
    },
  });
}
