/**
 * The sparse maps of a page cache (page.ts `MappingState`: reader references per folio, generations,
 * detached folios, uptodate blocks of partial pages), persistent: a B+ tree (btree.ts) whose `clone()`
 * costs O(1) and shares every node, each copy then copying only the nodes on the paths it changes. A
 * `Mapping` clones one on its first change in a transition, as it clones its runs; so taking or dropping
 * a folio costs the logarithm of the folios held in the file, where a copy of a `Map` cost all of them
 * (10,000 FILE dynptrs each holding a folio of one file: 3 ms a read that moved one of them to
 * another folio; bench/README.md, "Calls, stop 62").
 *
 * Read-only to everyone but the `Mapping` that cloned it (`set`, `delete`), and frozen once a state holds
 * it (`freeze`). It iterates in key order (a `Map` iterates in insertion order; what reads these maps
 * looks keys up, sums, or sorts them).
 */
import { BTree } from './btree.ts';

export class SparseMap<K, V> implements ReadonlyMap<K, V> {
  readonly #tree: BTree<K, V>;

  private constructor(tree: BTree<K, V>) {
    this.#tree = tree;
  }

  /** An empty map, frozen (to share). */
  static empty<K, V>(): SparseMap<K, V> {
    const t = new BTree<K, V>();
    t.freeze();
    return new SparseMap(t);
  }

  /** `m` itself when it is one, else a frozen copy of its entries (a state made by hand, with `Map`s). */
  static of<K, V>(m: ReadonlyMap<K, V>): SparseMap<K, V> {
    if (m instanceof SparseMap) return m as SparseMap<K, V>;
    const t = new BTree<K, V>();
    for (const [k, v] of m) t.set(k, v);
    t.freeze();
    return new SparseMap(t);
  }

  /** A copy to change: O(1), every node shared until one of the two changes it. */
  clone(): SparseMap<K, V> {
    return new SparseMap(this.#tree.clone());
  }

  /** No more changes (a state holds it): `set` and `delete` throw. */
  freeze(): void {
    this.#tree.freeze();
  }

  get size(): number {
    return this.#tree.size;
  }

  get(key: K): V | undefined {
    return this.#tree.get(key);
  }

  has(key: K): boolean {
    return this.#tree.has(key);
  }

  set(key: K, value: V): this {
    this.#tree.set(key, value);
    return this;
  }

  delete(key: K): boolean {
    return this.#tree.delete(key);
  }

  /** The keys in `[low, high)`, ascending: O(log n + their number), not a walk of the map. */
  keysIn(low: K, high: K): K[] {
    return this.#tree.getRange(low, high, false).map(([k]) => k);
  }

  forEach(fn: (value: V, key: K, map: ReadonlyMap<K, V>) => void): void {
    this.#tree.forEachPair((k, v) => { fn(v, k, this); });
  }

  *entries(): MapIterator<[K, V]> {
    for (const [k, v] of this.#tree.entries()) yield [k, v];
  }

  *keys(): MapIterator<K> {
    yield* this.#tree.keys();
  }

  *values(): MapIterator<V> {
    yield* this.#tree.values();
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }

  get [Symbol.toStringTag](): string {
    return 'SparseMap';
  }
}
// immer asks a value's prototype for its own `constructor` to decide whether it is a plain object to
// draft; without one the answer is an immediate no (page caches live in hand-written tables).
delete (SparseMap.prototype as { constructor?: unknown }).constructor;
