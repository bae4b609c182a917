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

/** The element after linked `key` in its bucket's list (the newest of those linked before it), or null at the list's end. */
export function nextInBucket(m: Seen, key: number): BucketElem | null {
  const at = m.elems.get(key);
  if (at === undefined) return null;
  const mask = nBuckets(m.maxEntries) - 1;
  const b = bucketOf(at, mask);
  let next: BucketElem | null = null;
  let seq = -1;
  for (const [k, e] of m.elems) {
    if (e.seq < at.seq && e.seq > seq && bucketOf(e, mask) === b) {
      next = { key: k, slot: e.slot, bucket: b };
      seq = e.seq;
    }
  }
  return next;
}

/** The head of the first non-empty bucket from bucket `from` (the lowest such bucket's newest element), or null. */
export function firstFrom(m: Seen, from: number): BucketElem | null {
  const mask = nBuckets(m.maxEntries) - 1;
  let found: BucketElem | null = null;
  let seq = -1;
  for (const [k, e] of m.elems) {
    const b = bucketOf(e, mask);
    if (b >= from && (found === null || b < found.bucket || (b === found.bucket && e.seq > seq))) {
      found = { key: k, slot: e.slot, bucket: b };
      seq = e.seq;
    }
  }
  return found;
}

/**
 * The walk of a batch (`__htab_map_lookup_and_delete_batch`) in one pass over the elements: the
 * non-empty buckets in ascending order, each with its list from its head (newest first). The kernel
 * visits the empty buckets too; they copy nothing and only move `batch` on, so a walk may jump them.
 */
export function bucketLists(m: Seen): { readonly buckets: readonly number[]; readonly lists: ReadonlyMap<number, readonly BucketElem[]> } {
  const mask = nBuckets(m.maxEntries) - 1;
  const lists = new Map<number, (BucketElem & { readonly seq: number })[]>();
  for (const [key, e] of m.elems) {
    const bucket = bucketOf(e, mask);
    const at = { key, slot: e.slot, bucket, seq: e.seq };
    const list = lists.get(bucket);
    if (list === undefined) lists.set(bucket, [at]);
    else list.push(at);
  }
  for (const list of lists.values()) list.sort((a, b) => b.seq - a.seq);
  return { buckets: [...lists.keys()].sort((a, b) => a - b), lists };
}

/**
 * `htab_map_get_next_key`: the key after `key` in the walk of the buckets, or the first key for a
 * NULL `key` or one not in the map; -ENOENT after the last. Linear in the map's elements.
 */
export function htabGetNextKey(m: Seen, key: number | null): number {
  const at = key === null ? undefined : m.elems.get(key);
  let from = 0;
  if (at !== undefined && key !== null) {
    const next = nextInBucket(m, key);
    if (next !== null) return next.key;
    from = bucketOf(at, nBuckets(m.maxEntries) - 1) + 1;
  }
  return firstFrom(m, from)?.key ?? -ENOENT;
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
