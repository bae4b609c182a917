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
 *
 * A table of at most `SMALL` entries (a task's descriptors, most of the world's tables) keeps them in
 * one array in insertion order instead, which a clone shares until either copy writes it: a lookup is
 * then a few loads in one place rather than a walk of two trees, and a clone's first write copies a
 * few entries rather than a node of each tree. The trees are made when the table outgrows it, and kept
 * (a table that shrank again keeps them, until `clear`).
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

/** The most entries a table keeps in its array, before it makes its trees. */
export const SMALL = 8;

/** The trees of a table too large for its array. */
interface Trees<K, V> {
  readonly byKey: BTree<K, Entry<K, V>>;
  readonly bySeq: BTree<number, Entry<K, V>>;
  /** The grouped keys by (group, sequence number); null without `groupOf`. */
  readonly groups: BTree<GroupKey, K> | null;
}

export class OrderedTree<K, V> implements ReadonlyMap<K, V> {
  /** The entries in insertion order while there are at most `SMALL` of them (null once the trees are made). */
  #small: Entry<K, V>[] | null = [];
  /** Whether `#small` is this table's alone to change (a clone shares it until one of them writes). */
  #ownSmall = true;
  /** The trees, once the table has outgrown its array. */
  #trees: Trees<K, V> | null = null;
  /** The sequence number the next new key gets. */
  #next = 0;
  #groupOf: ((key: K) => number | null) | null;

  /** An empty table; `groupOf` gives a key's group (null: in none). */
  constructor(groupOf: ((key: K) => number | null) | null = null) {
    this.#groupOf = groupOf;
  }

  /** A copy to change, in O(1): the two share the array, or the trees' nodes, until one of them changes them. */
  clone(): OrderedTree<K, V> {
    const c = new OrderedTree<K, V>(this.#groupOf);
    c.#next = this.#next;
    if (this.#trees === null) {
      c.#small = this.#small;
      c.#ownSmall = false;
      this.#ownSmall = false;
    } else {
      const t = this.#trees;
      c.#small = null;
      c.#trees = { byKey: t.byKey.clone(), bySeq: t.bySeq.clone(), groups: t.groups?.clone() ?? null };
    }
    return c;
  }

  get size(): number {
    return this.#trees === null ? (this.#small as Entry<K, V>[]).length : this.#trees.byKey.size;
  }

  /** The entry of `key`, or undefined. */
  #entry(key: K): Entry<K, V> | undefined {
    const small = this.#small;
    if (small === null) return (this.#trees as Trees<K, V>).byKey.get(key);
    for (let i = 0; i < small.length; i += 1) {
      const e = small[i] as Entry<K, V>;
      if (e.key === key) return e;
    }
    return undefined;
  }

  /** The array, to change: copied first when a clone shares it. */
  #own(): Entry<K, V>[] {
    let small = this.#small as Entry<K, V>[];
    if (!this.#ownSmall) {
      small = small.slice();
      this.#small = small;
      this.#ownSmall = true;
    }
    return small;
  }

  /** Make the trees from the array (the same entries: a diff against a copy that still has the array sees what changed). */
  #grow(): Trees<K, V> {
    const t: Trees<K, V> = {
      byKey: new BTree<K, Entry<K, V>>(),
      bySeq: new BTree<number, Entry<K, V>>(),
      groups: this.#groupOf === null ? null : new BTree<GroupKey, K>(undefined, byGroup),
    };
    for (const e of this.#small as Entry<K, V>[]) {
      t.byKey.set(e.key, e);
      t.bySeq.set(e.seq, e);
      if (e.group !== null) t.groups?.set([e.group, e.seq], e.key);
    }
    this.#small = null;
    this.#trees = t;
    return t;
  }

  get(key: K): V | undefined {
    return this.#entry(key)?.value;
  }

  /** The insertion number of `key` (its place in the order of the walks), or undefined. */
  seqOf(key: K): number | undefined {
    return this.#entry(key)?.seq;
  }

  has(key: K): boolean {
    return this.#entry(key) !== undefined;
  }

  set(key: K, value: V): this {
    const old = this.#entry(key);
    if (old !== undefined) {
      const e = { key, seq: old.seq, value, group: old.group };
      if (this.#trees === null) {
        const small = this.#own();
        small[small.indexOf(old)] = e;
      } else {
        this.#trees.byKey.set(key, e);
        this.#trees.bySeq.set(old.seq, e);
      }
      return this;
    }
    const seq = this.#next;
    this.#next = seq + 1;
    const group = this.#groupOf?.(key) ?? null;
    const e = { key, seq, value, group };
    if (this.#trees === null && (this.#small as Entry<K, V>[]).length < SMALL) {
      this.#own().push(e);
      return this;
    }
    const t = this.#trees ?? this.#grow();
    t.byKey.set(key, e);
    t.bySeq.set(seq, e);
    if (group !== null) t.groups?.set([group, seq], key);
    return this;
  }

  delete(key: K): boolean {
    const old = this.#entry(key);
    if (old === undefined) return false;
    if (this.#trees === null) {
      const small = this.#own();
      small.splice(small.indexOf(old), 1);
      return true;
    }
    this.#trees.byKey.delete(key);
    this.#trees.bySeq.delete(old.seq);
    if (old.group !== null) this.#trees.groups?.delete([old.group, old.seq]);
    return true;
  }

  /** Delete every key. */
  clear(): void {
    this.#small = [];
    this.#ownSmall = true;
    this.#trees = null;
  }

  /** `fn` on each entry in insertion order (`fn` does not change the table). */
  #each(fn: (e: Entry<K, V>) => void): void {
    const small = this.#small;
    if (small === null) (this.#trees as Trees<K, V>).bySeq.forEachPair((_, e) => { fn(e); });
    else for (const e of small) fn(e);
  }

  /** The keys of group `group`, in insertion order (none for a table without groups). */
  keysOf(group: number): K[] {
    const out: K[] = [];
    if (this.#groupOf === null) return out;
    if (this.#trees === null) {
      for (const e of this.#small as Entry<K, V>[]) if (e.group === group) out.push(e.key);
      return out;
    }
    this.#trees.groups?.forRange([group, -Infinity], [group, Infinity], true, (_, key) => { out.push(key); });
    return out;
  }

  // The walks collect the entries first (no generator): a table is walked whole in any case, and most
  // are a few entries long.
  entries(): MapIterator<[K, V]> {
    const out: [K, V][] = [];
    this.#each((e) => { out.push([e.key, e.value]); });
    return out[Symbol.iterator]() as MapIterator<[K, V]>;
  }

  keys(): MapIterator<K> {
    const out: K[] = [];
    this.#each((e) => { out.push(e.key); });
    return out[Symbol.iterator]() as MapIterator<K>;
  }

  values(): MapIterator<V> {
    const out: V[] = [];
    this.#each((e) => { out.push(e.value); });
    return out[Symbol.iterator]() as MapIterator<V>;
  }

  forEach(fn: (value: V, key: K, map: ReadonlyMap<K, V>) => void): void {
    this.#each((e) => { fn(e.value, e.key, this); });
  }

  /** `fn` on every entry with its insertion number, in insertion order. */
  forEachSeq(fn: (value: V, key: K, seq: number) => void): void {
    this.#each((e) => { fn(e.value, e.key, e.seq); });
  }

  /**
   * `fn` on each key whose entry differs between `a` and `b`: in one only, or set again (a new value,
   * or deleted and set again: a new place), each once. Two tables with trees skip the
   * nodes they share (sorted-btree's `diffAgainst`), so two tables one of which was cloned from the
   * other cost O(changes · log n); with an array on either side, the entries are compared one by one,
   * which costs O(changes + SMALL): a table with its trees and one with its array differ in at least
   * all but `SMALL` of the keys of the first. (The trees give the keys in their order; the
   * comparison, `b`'s in insertion order, then those only `a` holds.)
   */
  static diffKeys<K, V>(a: OrderedTree<K, V>, b: OrderedTree<K, V>, fn: (key: K) => void): void {
    if (a.#trees !== null && b.#trees !== null) {
      const each = (key: K): void => { fn(key); };
      diffAgainst(a.#trees.byKey, b.#trees.byKey, each, each, each);
      return;
    }
    if (a.#small !== null && a.#small === b.#small) return;
    const inA = new Map<K, Entry<K, V>>();
    a.#each((e) => { inA.set(e.key, e); });
    const keys: K[] = [];
    b.#each((e) => {
      if (inA.get(e.key) !== e) keys.push(e.key);
      inA.delete(e.key);
    });
    for (const key of keys) fn(key);
    for (const key of inA.keys()) fn(key);
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }

  get [Symbol.toStringTag](): string {
    return 'OrderedTree';
  }
}
