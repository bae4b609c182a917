/**
 * A map that keeps its first entry apart and the others in a `Map` made for the second: most
 * transitions change one task and one key of each table they write, and a `Map` of one entry is some
 * 200 bytes (its hash table is made for four). A transition's copies of tasks (tables.ts `More`) and
 * an id table's changes (idtable.ts `Overlay`) are kept in one.
 */
export class FirstMap<K, V> {
  #hasFirst = false;
  #key: K | undefined = undefined;
  #value: V | undefined = undefined;
  #others: Map<K, V> | null = null;

  get size(): number {
    return (this.#hasFirst ? 1 : 0) + (this.#others?.size ?? 0);
  }

  get(key: K): V | undefined {
    if (this.#hasFirst && this.#key === key) return this.#value;
    return this.#others?.get(key);
  }

  set(key: K, value: V): void {
    if (this.#hasFirst ? this.#key === key : this.#others?.has(key) !== true) {
      this.#hasFirst = true;
      this.#key = key;
      this.#value = value;
    } else (this.#others ??= new Map()).set(key, value);
  }

  delete(key: K): void {
    if (this.#hasFirst && this.#key === key) {
      this.#hasFirst = false;
      this.#key = undefined;
      this.#value = undefined;
    } else this.#others?.delete(key);
  }

  /** `fn` on each entry (as `Map.prototype.forEach`, without the map). */
  forEach(fn: (value: V, key: K) => void): void {
    if (this.#hasFirst) fn(this.#value as V, this.#key as K);
    this.#others?.forEach(fn);
  }
}
