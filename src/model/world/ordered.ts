/**
 * A persistent map that iterates in insertion order, as a `Map` does: the world's tables keyed by
 * strings or by ids whose order is not the order of the keys (dynptr slots, reads in flight in the
 * order they were submitted, ring buffers, packets), and a task's descriptors (`Task.fds`, in the
 * order they were opened). Two B+ trees (sorted-btree, whose `clone()` costs O(1) and shares every
 * node) of the same entries (a key, the sequence number it was inserted at, its value): by key, for a
 * lookup, and by sequence number, for a walk in insertion order without a lookup per entry (the
 * explorer walks the tables of every state). A transition's first write clones the table instead of
 * copying it, so a call that changes one slot costs the logarithm of the table's size, however many
 * slots the world holds (`Tables.own`, tables.ts); a transition's copy of a task (`TaskRecord.clone`)
 * clones its descriptors the same way, so a step of a task with 9,000 open files costs what a step of
 * a task with a few does.
 *
 * Like a `Map`: setting a present key keeps its place; a key deleted and set again goes to the end.
 *
 * A table may also group its keys by a number (`groupOf`: a dynptr slot by the call frame whose stack
 * holds it), in a third tree; `keysOf(group)` lists a group's keys without a walk of the table.
 */
import { BTree, diffAgainst } from '../../pagecache/index.ts';

interface Entry<K, V> {
  readonly key: K;
  readonly seq: number;
  readonly value: V;
  /** The key's group (`groupOf`, worked out once when the key is added), or null. */
  readonly group: number | null;
}

/** A grouped key's place in the tree of groups: its group, then its sequence number. */
type GroupKey = readonly [group: number, seq: number];
const byGroup = (a: GroupKey, b: GroupKey): number => a[0] - b[0] || a[1] - b[1];

export class OrderedTree<K, V> implements ReadonlyMap<K, V> {
  #byKey: BTree<K, Entry<K, V>>;
  #bySeq: BTree<number, Entry<K, V>>;
  /** The sequence number the next new key gets. */
  #next: number;
  #groupOf: ((key: K) => number | null) | null;
  /** The grouped keys by (group, sequence number); null without `groupOf`. */
  #groups: BTree<GroupKey, K> | null;

  /** An empty table; `groupOf` gives a key's group (null: in none). */
  constructor(groupOf: ((key: K) => number | null) | null = null) {
    this.#byKey = new BTree<K, Entry<K, V>>();
    this.#bySeq = new BTree<number, Entry<K, V>>();
    this.#next = 0;
    this.#groupOf = groupOf;
    this.#groups = groupOf === null ? null : new BTree<GroupKey, K>(undefined, byGroup);
  }

  /** A copy to change, in O(1): the trees share their nodes until one of the copies changes them. */
  clone(): OrderedTree<K, V> {
    const c = new OrderedTree<K, V>(null);
    c.#byKey = this.#byKey.clone();
    c.#bySeq = this.#bySeq.clone();
    c.#next = this.#next;
    c.#groupOf = this.#groupOf;
    c.#groups = this.#groups?.clone() ?? null;
    return c;
  }

  get size(): number {
    return this.#byKey.size;
  }

  get(key: K): V | undefined {
    return this.#byKey.get(key)?.value;
  }

  /** The insertion number of `key` (its place in the order of the walks), or undefined. */
  seqOf(key: K): number | undefined {
    return this.#byKey.get(key)?.seq;
  }

  has(key: K): boolean {
    return this.#byKey.has(key);
  }

  set(key: K, value: V): this {
    const old = this.#byKey.get(key);
    if (old !== undefined) {
      const e = { key, seq: old.seq, value, group: old.group };
      this.#byKey.set(key, e);
      this.#bySeq.set(old.seq, e);
      return this;
    }
    const seq = this.#next;
    this.#next = seq + 1;
    const group = this.#groupOf?.(key) ?? null;
    const e = { key, seq, value, group };
    this.#byKey.set(key, e);
    this.#bySeq.set(seq, e);
    if (group !== null) this.#groups?.set([group, seq], key);
    return this;
  }

  delete(key: K): boolean {
    const old = this.#byKey.get(key);
    if (old === undefined) return false;
    this.#byKey.delete(key);
    this.#bySeq.delete(old.seq);
    if (old.group !== null) this.#groups?.delete([old.group, old.seq]);
    return true;
  }

  /** Delete every key. */
  clear(): void {
    this.#byKey = new BTree<K, Entry<K, V>>();
    this.#bySeq = new BTree<number, Entry<K, V>>();
    if (this.#groups !== null) this.#groups = new BTree<GroupKey, K>(undefined, byGroup);
  }

  /** The keys of group `group`, in insertion order (none for a table without groups). */
  keysOf(group: number): K[] {
    const out: K[] = [];
    this.#groups?.forRange([group, -Infinity], [group, Infinity], true, (_, key) => { out.push(key); });
    return out;
  }

  // The walks collect the entries first (one callback walk of the tree, no generator): a table is
  // walked whole in any case, and most are a few entries long.
  entries(): MapIterator<[K, V]> {
    const out: [K, V][] = [];
    this.#bySeq.forEachPair((_, e) => { out.push([e.key, e.value]); });
    return out[Symbol.iterator]() as MapIterator<[K, V]>;
  }

  keys(): MapIterator<K> {
    const out: K[] = [];
    this.#bySeq.forEachPair((_, e) => { out.push(e.key); });
    return out[Symbol.iterator]() as MapIterator<K>;
  }

  values(): MapIterator<V> {
    const out: V[] = [];
    this.#bySeq.forEachPair((_, e) => { out.push(e.value); });
    return out[Symbol.iterator]() as MapIterator<V>;
  }

  forEach(fn: (value: V, key: K, map: ReadonlyMap<K, V>) => void): void {
    this.#bySeq.forEachPair((_, e) => { fn(e.value, e.key, this); });
  }

  /** `fn` on every entry with its insertion number, in insertion order. */
  forEachSeq(fn: (value: V, key: K, seq: number) => void): void {
    this.#bySeq.forEachPair((seq, e) => { fn(e.value, e.key, seq); });
  }

  /**
   * `fn` on each key whose entry differs between `a` and `b`: in one only, or set again (a new value,
   * or deleted and set again: a new place). The trees' shared nodes are skipped (sorted-btree's
   * `diffAgainst`), so two tables one of which was cloned from the other cost O(changes · log n).
   */
  static diffKeys<K, V>(a: OrderedTree<K, V>, b: OrderedTree<K, V>, fn: (key: K) => void): void {
    const each = (key: K): void => { fn(key); };
    diffAgainst(a.#byKey, b.#byKey, each, each, each);
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }

  get [Symbol.toStringTag](): string {
    return 'OrderedTree';
  }
}
