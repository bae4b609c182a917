/**
 * A map from ids (non-negative integers the world hands out in order: pids, file and object ids) that
 * keeps its first entry apart, the others in a `Map` made for the second, and, once they are many and
 * their ids dense, in an array indexed by id. Most transitions change one task and one key of each
 * table they write, and a `Map` of one entry is some 200 bytes (its hash table is made for four). A
 * `run` of many steps changes every task: a lookup in an array of them reads one slot, where a `Map`
 * of thousands reads its hash table's bucket and then the entry, two places the cache rarely holds.
 * A transition's copies of tasks (tables.ts `More`) and an id table's changes (idtable.ts `Overlay`)
 * are kept in one.
 */
export class FirstMap<V> {
  #hasFirst = false;
  #key = 0;
  #value: V | undefined = undefined;
  #others: Map<number, V> | null = null;
  /** The others by id, once dense (`#others` is then null), and how many of its slots hold one. */
  #dense: (V | undefined)[] | null = null;
  #denseCount = 0;
  /** The number of others at which `#toDense` looks at them next. */
  #denseAt = DENSE_FROM;

  get size(): number {
    return (this.#hasFirst ? 1 : 0) + (this.#dense !== null ? this.#denseCount : (this.#others?.size ?? 0));
  }

  get(key: number): V | undefined {
    if (this.#hasFirst && this.#key === key) return this.#value;
    const dense = this.#dense;
    if (dense !== null) return inDense(dense, key) ? dense[key] : undefined;
    return this.#others?.get(key);
  }

  set(key: number, value: V): void {
    if (this.#hasFirst ? this.#key === key : !this.#hasOther(key)) {
      this.#hasFirst = true;
      this.#key = key;
      this.#value = value;
      return;
    }
    const dense = this.#dense;
    if (dense !== null) {
      if (!inDense(dense, key)) this.#outgrow(dense, key);
      const now = this.#dense;
      if (now !== null) {
        if (now[key] === undefined) this.#denseCount += 1;
        now[key] = value;
        return;
      }
    }
    const others = (this.#others ??= new Map());
    others.set(key, value);
    if (others.size >= this.#denseAt) this.#toDense(others);
  }

  delete(key: number): void {
    if (this.#hasFirst && this.#key === key) {
      this.#hasFirst = false;
      this.#key = 0;
      this.#value = undefined;
      return;
    }
    const dense = this.#dense;
    if (dense === null) this.#others?.delete(key);
    else if (inDense(dense, key) && dense[key] !== undefined) {
      dense[key] = undefined;
      this.#denseCount -= 1;
    }
  }

  /** `fn` on each entry (as `Map.prototype.forEach`, without the map; once dense, the others by id). */
  forEach(fn: (value: V, key: number) => void): void {
    if (this.#hasFirst) fn(this.#value as V, this.#key);
    const dense = this.#dense;
    if (dense === null) {
      this.#others?.forEach(fn);
      return;
    }
    for (let i = 0; i < dense.length; i += 1) {
      const v = dense[i];
      if (v !== undefined) fn(v, i);
    }
  }

  #hasOther(key: number): boolean {
    const dense = this.#dense;
    if (dense !== null) return inDense(dense, key) && dense[key] !== undefined;
    return this.#others?.has(key) === true;
  }

  /**
   * The others into an array indexed by id, when their ids are dense: the largest below `SPREAD` times
   * their number (the array then has at most twice that many slots per entry: its length is a power
   * of two). Else they stay in the `Map`, looked at again once it has doubled (so each entry is looked
   * at a bounded number of times).
   */
  #toDense(others: Map<number, V>): void {
    this.#denseAt = 2 * others.size;
    let max = -1;
    for (const key of others.keys()) {
      if (!Number.isSafeInteger(key) || key < 0) return;
      if (key > max) max = key;
    }
    if (max >= SPREAD * others.size) return;
    this.#dense = copyInto(new Array<V | undefined>(lengthFor(max)), others.entries());
    this.#denseCount = others.size;
    this.#others = null;
  }

  /**
   * A key past the array's end: a longer array when the ids stay dense with it, else the others go back
   * into a `Map` (`#dense` null).
   */
  #outgrow(dense: (V | undefined)[], key: number): void {
    const entries = denseEntries(dense);
    if (Number.isSafeInteger(key) && key >= 0 && key < SPREAD * (this.#denseCount + 1)) {
      this.#dense = copyInto(new Array<V | undefined>(lengthFor(key)), entries);
      return;
    }
    this.#others = new Map(entries);
    this.#dense = null;
    this.#denseCount = 0;
    this.#denseAt = 2 * this.#others.size + 1;
  }
}

/** The entries of an array indexed by id. */
function* denseEntries<V>(dense: readonly (V | undefined)[]): Generator<[number, V]> {
  for (let i = 0; i < dense.length; i += 1) {
    const v = dense[i];
    if (v !== undefined) yield [i, v];
  }
}

/**
 * `entries` into `dense`, an array made at its length (`new Array(n)`) and filled in place: one grown
 * by stores far past its end would be kept by the engine as a dictionary.
 */
function copyInto<V>(dense: (V | undefined)[], entries: Iterable<[number, V]>): (V | undefined)[] {
  for (const [key, v] of entries) dense[key] = v;
  return dense;
}

/** The number of other entries from which they may go into an array. */
const DENSE_FROM = 64;
/** How far apart the ids of an array's entries may be: its largest below this times their number. */
const SPREAD = 8;

/** Whether `key` is a slot of `dense` (an integer id within its length). */
function inDense(dense: readonly unknown[], key: number): boolean {
  return (key >>> 0) === key && key < dense.length;
}

/** The length of an array holding ids up to `max`: the next power of two. */
function lengthFor(max: number): number {
  let n = DENSE_FROM;
  while (n <= max) n *= 2;
  return n;
}
