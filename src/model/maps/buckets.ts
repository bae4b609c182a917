/**
 * A hash map's buckets (kernel/bpf/hashtab.c), as far as they are observable: the order in which
 * `BPF_MAP_GET_NEXT_KEY` walks the elements.
 *
 * - **Buckets.** A hash map has `n_buckets = roundup_pow_of_two(max_entries)` buckets
 *   (`htab_map_alloc`; a BPF_F_NO_COMMON_LRU map's max_entries is rounded to the CPUs first). A key's
 *   hash is `jhash2` of its u32 words seeded with the map's `hashrnd` (`htab_map_hash`; every key of
 *   the model is one u32), kept in the element (`htab_elem.hash`); its bucket is `hash & (n_buckets - 1)`.
 * - **`hashrnd`** is 0 for a map created with BPF_F_ZERO_SEED, else `get_random_u32()` at creation:
 *   in the model the world's `hashrnd` option (default 0), so that a run is reproducible.
 * - **A bucket's list** has its newest element first: an insert links the new element at the head
 *   (`hlist_nulls_add_head_rcu`), and so does an update that replaces a present key with new memory
 *   (HASH, LRU_HASH: the new element at the head, the old one unlinked), while a PERCPU_HASH or
 *   LRU_PERCPU_HASH updates a present key in place, where it is. The model numbers a map's elements
 *   in the order they were linked (`MapElem.seq`, given by `link`), so a bucket's list is its
 *   elements in that order, reversed.
 * - **`htab_map_get_next_key`**: the element after the key's in its bucket, else the first element of
 *   the next non-empty bucket; a key that is not there (or none: a NULL key) starts from bucket 0; past
 *   the last bucket, -ENOENT.
 */
import type { Immutable } from 'immer';
import { ENOENT } from '../kernel/errno.ts';
import { jhash2 } from '../kernel/jhash.ts';
import type { BpfMap, MapElem } from './types.ts';

/** A map as the walks read it (a draft or the world's own: they change nothing). */
type Seen = Pick<Immutable<BpfMap>, 'elems' | 'maxEntries'>;

/** `roundup_pow_of_two(max_entries)`: a hash map's buckets (max_entries is at most 2^31). */
export function nBuckets(maxEntries: number): number {
  let n = 1;
  while (n < maxEntries) n *= 2;
  return n;
}

/** `htab_map_hash` of a u32 key. */
export function keyHash(m: Pick<BpfMap, 'hashrnd'>, key: number): number {
  return jhash2([key], m.hashrnd);
}

/**
 * Link `key` to element memory `slot` at the head of its bucket (`hlist_nulls_add_head_rcu`), in place
 * of any element the key had (`hlist_nulls_del_rcu` of the old one).
 */
export function link(m: BpfMap, key: number, slot: number): void {
  m.elems.set(key, { slot, hash: keyHash(m, key), seq: m.links });
  m.links += 1;
}

/** The map's elements in the order they were linked, oldest first. */
export function inLinkOrder<E extends { readonly seq: number }>(m: { readonly elems: Iterable<readonly [number, E]> }): (readonly [number, E])[] {
  return [...m.elems].sort((a, b) => a[1].seq - b[1].seq);
}

const bucketOf = (e: Immutable<MapElem>, mask: number): number => ((e.hash as number) & mask) >>> 0;

/** An element as a walk of the buckets meets it: its key, its memory and its bucket. */
export interface BucketElem {
  readonly key: number;
  readonly slot: number;
  readonly bucket: number;
}

/** A map's buckets as the walks read them. */
export interface Buckets {
  /** The head of the first non-empty bucket from bucket `from` (the lowest such bucket's newest element), or null. */
  first(from: number): BucketElem | null;
  /** The element after `key` in its bucket's list (the newest of those linked before it), or null at the list's end or for a key not in the map. */
  next(key: number): BucketElem | null;
  /** The element after `key` in the whole walk (its bucket's next, else the head of the next non-empty bucket), null after the last; undefined for a key not in the map. */
  after(key: number): BucketElem | null | undefined;
}

/**
 * The buckets of a map as it is now (a transition's draft, which may change after the step): each
 * step a pass over the elements, nothing kept.
 */
class ScannedBuckets implements Buckets {
  constructor(readonly m: Seen, readonly mask: number) {}

  first(from: number): BucketElem | null {
    let found: BucketElem | null = null;
    let seq = -1;
    for (const [key, e] of this.m.elems) {
      const b = bucketOf(e, this.mask);
      if (b >= from && (found === null || b < found.bucket || (b === found.bucket && e.seq > seq))) {
        found = { key, slot: e.slot, bucket: b };
        seq = e.seq;
      }
    }
    return found;
  }

  next(key: number): BucketElem | null {
    const at = this.m.elems.get(key);
    if (at === undefined) return null;
    const b = bucketOf(at, this.mask);
    let next: BucketElem | null = null;
    let seq = -1;
    for (const [k, e] of this.m.elems) {
      if (e.seq < at.seq && e.seq > seq && bucketOf(e, this.mask) === b) {
        next = { key: k, slot: e.slot, bucket: b };
        seq = e.seq;
      }
    }
    return next;
  }

  after(key: number): BucketElem | null | undefined {
    const e = this.m.elems.get(key);
    return e === undefined ? undefined : (this.next(key) ?? this.first(bucketOf(e, this.mask) + 1));
  }
}

/**
 * The buckets of a map that nothing changes any more, listed once: its elements in the walk's order
 * (bucket ascending, then newest first), then each step a binary search of that order.
 */
class ListedBuckets implements Buckets {
  readonly #keys: Float64Array;
  readonly #slots: Float64Array;
  readonly #buckets: Float64Array;
  readonly #seqs: Float64Array;
  /** The place after the one `after` found last (a hint only: a key's place is the same whatever it holds). */
  #hint = 0;
  /** The elements table listed (the map itself is not kept: a later world's map may share the table). */
  readonly #elems: Seen['elems'];

  constructor(m: Seen, readonly mask: number) {
    this.#elems = m.elems;
    const n = m.elems.size;
    const keys = new Float64Array(n);
    const slots = new Float64Array(n);
    const buckets = new Float64Array(n);
    const seqs = new Float64Array(n);
    let i = 0;
    for (const [key, e] of m.elems) {
      keys[i] = key;
      slots[i] = e.slot;
      buckets[i] = bucketOf(e, mask);
      seqs[i] = e.seq;
      i += 1;
    }
    const order = walkOrder(buckets, seqs, mask + 1);
    this.#keys = new Float64Array(n);
    this.#slots = new Float64Array(n);
    this.#buckets = new Float64Array(n);
    this.#seqs = new Float64Array(n);
    order.forEach((from, to) => {
      this.#keys[to] = keys[from] as number;
      this.#slots[to] = slots[from] as number;
      this.#buckets[to] = buckets[from] as number;
      this.#seqs[to] = seqs[from] as number;
    });
  }

  /** The element at place `i` of the walk's order, or null past the end. */
  #at(i: number): BucketElem | null {
    return i < this.#keys.length ? { key: this.#keys[i] as number, slot: this.#slots[i] as number, bucket: this.#buckets[i] as number } : null;
  }

  /** The first place whose (bucket, newest first) is not before (`bucket`, `seq`). */
  #place(bucket: number, seq: number): number {
    let lo = 0;
    let hi = this.#keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const b = this.#buckets[mid] as number;
      if (b < bucket || (b === bucket && (this.#seqs[mid] as number) > seq)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  first(from: number): BucketElem | null {
    return this.#at(this.#place(from, Infinity));
  }

  next(key: number): BucketElem | null {
    const e = this.#elems.get(key);
    if (e === undefined) return null;
    const bucket = bucketOf(e, this.mask);
    const after = this.#at(this.#place(bucket, e.seq) + 1);
    return after !== null && after.bucket === bucket ? after : null;
  }

  after(key: number): BucketElem | null | undefined {
    // A walk asks for the key it was given last: its place is then the one after the last asked for.
    let i = this.#hint;
    if (this.#keys[i] !== key) {
      const e = this.#elems.get(key);
      if (e === undefined) return undefined;
      i = this.#place(bucketOf(e, this.mask), e.seq);
    }
    this.#hint = i + 1;
    return this.#at(i + 1);
  }
}

/**
 * The elements (their buckets and link numbers) in the walk's order, as places: bucket ascending, then
 * newest first. By buckets counted (linear) when there are not many more buckets than elements, else
 * by a sort; a bucket's own elements by their numbers.
 */
function walkOrder(buckets: Float64Array, seqs: Float64Array, nBuckets: number): Uint32Array {
  const n = buckets.length;
  const order = new Uint32Array(n);
  const newestFirst = (a: number, b: number): number => (seqs[b] as number) - (seqs[a] as number);
  if (nBuckets > 4 * n) {
    for (let j = 0; j < n; j += 1) order[j] = j;
    return order.sort((a, b) => (buckets[a] as number) - (buckets[b] as number) || newestFirst(a, b));
  }
  // end[b]: where bucket b's run ends (counted, summed, then each element put at its run's next place).
  const end = new Uint32Array(nBuckets + 1);
  for (let j = 0; j < n; j += 1) {
    const at = (buckets[j] as number) + 1;
    end[at] = (end[at] as number) + 1;
  }
  for (let b = 0; b < nBuckets; b += 1) end[b + 1] = (end[b + 1] as number) + (end[b] as number);
  for (let j = 0; j < n; j += 1) {
    const b = buckets[j] as number;
    order[end[b] as number] = j;
    end[b] = (end[b] as number) + 1;
  }
  let from = 0;
  for (let b = 0; b < nBuckets; b += 1) {
    const to = end[b] as number;
    if (to - from > 1) order.subarray(from, to).sort(newestFirst);
    from = to;
  }
  return order;
}

/**
 * The listed buckets of elements tables that nothing changes any more (a world's: `settled`), by
 * table: a memo, and what a walk returns is the same with or without it.
 */
const settledBuckets = new WeakMap<object, ListedBuckets>();

/**
 * Map `m`'s buckets. `settled`: `m` is a world's own map, which no transition changes: its buckets
 * are listed once and kept for the next walk (a walk of a whole map by BPF_MAP_GET_NEXT_KEY, a batch
 * lookup, lists it once). Otherwise (a transition's draft, which the next step may change, as a
 * `bpf_for_each_map_elem` callback does) each step scans the elements.
 */
export function bucketsOf(m: Seen, settled: boolean): Buckets {
  const mask = nBuckets(m.maxEntries) - 1;
  if (!settled) return new ScannedBuckets(m, mask);
  const known = settledBuckets.get(m.elems);
  if (known !== undefined && known.mask === mask) return known;
  const listed = new ListedBuckets(m, mask);
  settledBuckets.set(m.elems, listed);
  return listed;
}

/**
 * `htab_map_get_next_key`: the key after `key` in the walk of the buckets, or the first key for a
 * NULL `key` or one not in the map; -ENOENT after the last.
 */
export function htabGetNextKey(b: Buckets, key: number | null): number {
  const after = key === null ? undefined : b.after(key);
  return (after === undefined ? b.first(0) : after)?.key ?? -ENOENT;
}

/**
 * `bpf_array_get_next_key` (ARRAY, PERCPU_ARRAY): index 0 after a NULL key or one out of range, the
 * next index otherwise, -ENOENT after the last.
 */
export function arrayGetNextKey(m: Pick<BpfMap, 'maxEntries'>, key: number | null): number {
  const index = key ?? 0xffff_ffff;
  if (index >= m.maxEntries) return 0;
  if (index === m.maxEntries - 1) return -ENOENT;
  return index + 1;
}
