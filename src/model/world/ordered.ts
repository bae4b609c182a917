/**
 * A persistent map that iterates in insertion order, as a `Map` does: the world's tables keyed by
 * strings or by ids whose order is not the order of the keys (dynptr slots, reads in flight in the
 * order they were submitted, ring buffers, packets). Two B+ trees (sorted-btree, whose `clone()`
 * costs O(1) and shares every node): the entries by key, each with the sequence number it was
 * inserted at, and the keys by sequence number. A transition's first write clones the table instead
 * of copying it, so a call that changes one slot costs the logarithm of the table's size, however
 * many slots the world holds (`Tables.own`, tables.ts).
 *
 * Like a `Map`: setting a present key keeps its place; a key deleted and set again goes to the end.
 *
 * A table may also group its keys by a number (`groupOf`: a dynptr slot by the call frame whose stack
 * holds it), in a third tree; `keysOf(group)` lists a group's keys without a walk of the table.
 */
import { BTree } from '../../pagecache/index.ts';

interface Entry<V> {
  readonly seq: number;
  readonly value: V;
}

/** A grouped key's place in the tree of groups: its group, then its sequence number. */
type GroupKey = readonly [group: number, seq: number];
const byGroup = (a: GroupKey, b: GroupKey): number => a[0] - b[0] || a[1] - b[1];

export class OrderedTree<K, V> implements ReadonlyMap<K, V> {
  #byKey: BTree<K, Entry<V>>;
  #bySeq: BTree<number, K>;
  /** The sequence number the next new key gets. */
  #next: number;
  #groupOf: ((key: K) => number | null) | null;
  /** The grouped keys by (group, sequence number); null without `groupOf`. */
  #groups: BTree<GroupKey, K> | null;

  /** An empty table; `groupOf` gives a key's group (null: in none). */
  constructor(groupOf: ((key: K) => number | null) | null = null) {
    this.#byKey = new BTree<K, Entry<V>>();
    this.#bySeq = new BTree<number, K>();
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

  has(key: K): boolean {
    return this.#byKey.has(key);
  }

  set(key: K, value: V): this {
    const old = this.#byKey.get(key);
    if (old !== undefined) {
      this.#byKey.set(key, { seq: old.seq, value });
      return this;
    }
    const seq = this.#next;
    this.#next = seq + 1;
    this.#byKey.set(key, { seq, value });
    this.#bySeq.set(seq, key);
    const group = this.#groupOf?.(key) ?? null;
    if (group !== null) this.#groups?.set([group, seq], key);
    return this;
  }

  delete(key: K): boolean {
    const old = this.#byKey.get(key);
    if (old === undefined) return false;
    this.#byKey.delete(key);
    this.#bySeq.delete(old.seq);
    const group = this.#groupOf?.(key) ?? null;
    if (group !== null) this.#groups?.delete([group, old.seq]);
    return true;
  }

  /** The keys of group `group`, in insertion order (none for a table without groups). */
  keysOf(group: number): K[] {
    const out: K[] = [];
    this.#groups?.forRange([group, -Infinity], [group, Infinity], true, (_, key) => { out.push(key); });
    return out;
  }

  *entries(): MapIterator<[K, V]> {
    for (const key of this.#bySeq.values()) yield [key, (this.#byKey.get(key) as Entry<V>).value];
  }

  *keys(): MapIterator<K> {
    yield* this.#bySeq.values();
  }

  *values(): MapIterator<V> {
    for (const key of this.#bySeq.values()) yield (this.#byKey.get(key) as Entry<V>).value;
  }

  forEach(fn: (value: V, key: K, map: ReadonlyMap<K, V>) => void): void {
    for (const [key, value] of this.entries()) fn(value, key, this);
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }

  get [Symbol.toStringTag](): string {
    return 'OrderedTree';
  }
}
