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
import { isDraft, original, type Draft, type Immutable } from 'immer';
import { ENOENT } from '../kernel/errno.ts';
import { KernsimError } from '../kernel/errors.ts';
import { jhash2 } from '../kernel/jhash.ts';
import type { BpfMap, MapElem } from './types.ts';

/** A map as the walks read it (a draft or the world's own: they change nothing). */
type Seen = Pick<Immutable<BpfMap>, 'elems' | 'maxEntries' | 'name'>;

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
 * A change to a drafted elements table, in the order the transition made them: an element linked
 * (`link`) or unlinked (`unlink`), with what places it in the walk.
 */
interface Edit {
  readonly linked: boolean;
  readonly key: number;
  readonly slot: number;
  readonly hash: number;
  readonly seq: number;
}

/**
 * The edits of each drafted elements table not applied yet, by draft (which lives as long as its
 * transition): what a walk of the draft applies to a listing (`bucketsOf`). Null when there were too
 * many to keep: more than 1,024 and more than twice the map's elements since the draft was last walked
 * (a program updating a map in a long loop); the next walk then lists the draft anew.
 */
const draftEdits = new WeakMap<object, Edit[] | null>();

function edited(m: BpfMap, e: Edit): void {
  if (!isDraft(m.elems)) return;
  const edits = draftEdits.get(m.elems);
  if (edits === undefined) draftEdits.set(m.elems, [e]);
  else if (edits !== null) {
    edits.push(e);
    if (edits.length > 1024 && edits.length > 2 * m.elems.size) draftEdits.set(m.elems, null);
  }
}

/**
 * Link `key` to element memory `slot` at the head of its bucket (`hlist_nulls_add_head_rcu`), in place
 * of any element the key had (`hlist_nulls_del_rcu` of the old one).
 */
export function link(m: BpfMap, key: number, slot: number): void {
  unlink(m, key);
  const e = { slot, hash: keyHash(m, key), seq: m.links };
  m.elems.set(key, e);
  m.links += 1;
  edited(m, { linked: true, key, ...e });
}

/** Unlink `key`'s element (`hlist_nulls_del_rcu`): the element it had, if any. */
export function unlink(m: BpfMap, key: number): Immutable<MapElem> | undefined {
  const e = m.elems.get(key);
  if (e === undefined) return undefined;
  m.elems.delete(key);
  edited(m, { linked: false, key, slot: e.slot, hash: e.hash ?? 0, seq: e.seq });
  return e;
}

/** The map's elements in the order they were linked, oldest first. */
export function inLinkOrder<E extends { readonly seq: number }>(m: { readonly elems: Iterable<readonly [number, E]> }): (readonly [number, E])[] {
  return [...m.elems].sort((a, b) => a[1].seq - b[1].seq);
}

const bucketOf = (e: Immutable<MapElem>, mask: number): number => ((e.hash as number) & mask) >>> 0;

/** Whether the element linked as `seq` in `bucket` comes before the one linked as `seq2` in `bucket2` in a walk: buckets ascending, each newest first. */
const walksBefore = (bucket: number, seq: number, bucket2: number, seq2: number): boolean => bucket < bucket2 || (bucket === bucket2 && seq > seq2);

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
 * The buckets of a map made in this transition (its table plain, not a draft, and as large as the one
 * syscall that made it filled it): each step a pass over the elements, nothing kept.
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

/** An element of a listing: where a walk meets it, and its link number (`MapElem.seq`). */
interface Listed extends BucketElem {
  readonly seq: number;
}

/**
 * The buckets of a map listed once: its elements in the walk's order (bucket ascending, then newest
 * first), then each step a binary search of that order. A listing of a world's map is kept as it is;
 * a listing of a transition's draft (`bucketsOf`) follows the draft's edits: an unlinked element is
 * passed over (`#skip`), a linked one kept beside the listing in the same order (`#linked`), until
 * there are enough of them to list again.
 */
class ListedBuckets implements Buckets {
  #keys: Float64Array;
  #slots: Float64Array;
  #buckets: Float64Array;
  #seqs: Float64Array;
  /**
   * Null while every listed element is still linked; else for each place (and one past the end), the
   * place itself when its element is linked, or a later place to look at (the next live place, found
   * by following them: path halving keeps the chains short).
   */
  #skip: Int32Array | null = null;
  /** The elements linked since the listing, in the walk's order (each newer than every listed one). */
  #linked: Listed[] = [];
  /** How many elements the listing holds: the listed ones still linked, and the linked ones. */
  #count: number;
  /** The place after the one `after` found last (a hint only: a key's place is the same whatever it holds). */
  #hint = 0;
  /** The elements table read to find a key (not the map: a later world's map may share the table). */
  #elems: Seen['elems'];
  constructor(m: Seen, readonly mask: number, from?: ListedBuckets) {
    this.#elems = m.elems;
    if (from !== undefined) {
      // A world's listing, to edit: its places are never changed in place (a merge makes new ones), so they are shared.
      [this.#keys, this.#slots, this.#buckets, this.#seqs, this.#count] = [from.#keys, from.#slots, from.#buckets, from.#seqs, from.#count];
      return;
    }
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
    this.#count = n;
    order.forEach((from, to) => {
      this.#keys[to] = keys[from] as number;
      this.#slots[to] = slots[from] as number;
      this.#buckets[to] = buckets[from] as number;
      this.#seqs[to] = seqs[from] as number;
    });
  }

  /** The first place of the listing whose (bucket, newest first) is not before (`bucket`, `seq`). */
  #place(bucket: number, seq: number): number {
    let lo = 0;
    let hi = this.#keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (walksBefore(this.#buckets[mid] as number, this.#seqs[mid] as number, bucket, seq)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The first place from `i` whose element is still linked (the end: `#keys.length`). */
  #live(i: number): number {
    const skip = this.#skip;
    if (skip === null) return i;
    let at = i;
    while (skip[at] !== at) {
      const next = skip[at] as number;
      skip[at] = skip[next] as number;
      at = next;
    }
    return at;
  }

  /** The first place of `#linked` whose (bucket, newest first) is not before (`bucket`, `seq`). */
  #linkedPlace(bucket: number, seq: number): number {
    let lo = 0;
    let hi = this.#linked.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const e = this.#linked[mid] as Listed;
      if (walksBefore(e.bucket, e.seq, bucket, seq)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The first element of the walk not before (`bucket`, `seq`): the listed one or the linked one, whichever comes first. */
  #from(bucket: number, seq: number): BucketElem | null {
    const i = this.#live(this.#place(bucket, seq));
    const linked = this.#linked.length === 0 ? undefined : this.#linked[this.#linkedPlace(bucket, seq)];
    if (i < this.#keys.length) {
      const b = this.#buckets[i] as number;
      if (linked === undefined || walksBefore(b, this.#seqs[i] as number, linked.bucket, linked.seq)) return { key: this.#keys[i] as number, slot: this.#slots[i] as number, bucket: b };
    }
    return linked === undefined ? null : { key: linked.key, slot: linked.slot, bucket: linked.bucket };
  }

  first(from: number): BucketElem | null {
    return this.#from(from, Infinity);
  }

  next(key: number): BucketElem | null {
    const e = this.#elems.get(key);
    if (e === undefined) return null;
    const bucket = bucketOf(e, this.mask);
    const after = this.#from(bucket, e.seq - 1);
    return after !== null && after.bucket === bucket ? after : null;
  }

  after(key: number): BucketElem | null | undefined {
    // A walk asks for the key it was given last: its place is then the one after the last asked for
    // (while the listing is as it was made: no place skipped, none linked beside it).
    const plain = this.#skip === null && this.#linked.length === 0;
    let i = this.#hint;
    if (!plain || this.#keys[i] !== key) {
      const e = this.#elems.get(key);
      if (e === undefined) return undefined;
      if (!plain) return this.#from(bucketOf(e, this.mask), e.seq - 1);
      i = this.#place(bucketOf(e, this.mask), e.seq);
    }
    this.#hint = i + 1;
    return i + 1 < this.#keys.length ? { key: this.#keys[i + 1] as number, slot: this.#slots[i + 1] as number, bucket: this.#buckets[i + 1] as number } : null;
  }

  /** Apply `edits`, a draft's (`elems`: the draft's table, `size` its elements now, which the listing must then hold). */
  apply(elems: Seen['elems'], edits: readonly Edit[], size: number, what: string): void {
    this.#elems = elems;
    for (const e of edits) {
      const bucket = ((e.hash & this.mask) >>> 0);
      if (e.linked) {
        this.#linked.splice(this.#linkedPlace(bucket, e.seq), 0, { key: e.key, slot: e.slot, bucket, seq: e.seq });
        this.#count += 1;
      } else this.#unlink(e.key, bucket, e.seq, what);
    }
    if (this.#count !== size) throw new KernsimError(`the listed buckets of ${what} hold ${this.#count} element(s), the map ${size}: a change to its elements went around buckets.ts's link and unlink`);
    // Linked elements cost a search each; past a few, list again (a merge of the two orders).
    if (this.#linked.length > 64 + Math.sqrt(this.#keys.length)) this.#merge();
  }

  /** Pass over the element `key` had (`bucket`, `seq`): listed, or linked since. */
  #unlink(key: number, bucket: number, seq: number, what: string): void {
    const j = this.#linkedPlace(bucket, seq);
    const linked = this.#linked[j];
    if (linked !== undefined && linked.key === key && linked.seq === seq) this.#linked.splice(j, 1);
    else {
      const i = this.#place(bucket, seq);
      if (this.#keys[i] !== key || this.#seqs[i] !== seq) throw new KernsimError(`the listed buckets of ${what} have no key ${key} linked as ${seq}`);
      if (this.#skip === null) this.#skip = Int32Array.from({ length: this.#keys.length + 1 }, (_, p) => p);
      this.#skip[i] = i + 1;
    }
    this.#count -= 1;
  }

  /** List again: the listed elements still linked and the linked ones, merged in the walk's order. */
  #merge(): void {
    const n = this.#count;
    const [keys, slots, buckets, seqs] = [new Float64Array(n), new Float64Array(n), new Float64Array(n), new Float64Array(n)];
    let i = this.#live(0);
    let j = 0;
    for (let to = 0; to < n; to += 1) {
      const linked = this.#linked[j];
      if (linked !== undefined && (i >= this.#keys.length || walksBefore(linked.bucket, linked.seq, this.#buckets[i] as number, this.#seqs[i] as number))) {
        [keys[to], slots[to], buckets[to], seqs[to]] = [linked.key, linked.slot, linked.bucket, linked.seq];
        j += 1;
      } else {
        [keys[to], slots[to], buckets[to], seqs[to]] = [this.#keys[i] as number, this.#slots[i] as number, this.#buckets[i] as number, this.#seqs[i] as number];
        i = this.#live(i + 1);
      }
    }
    [this.#keys, this.#slots, this.#buckets, this.#seqs] = [keys, slots, buckets, seqs];
    this.#skip = null;
    this.#linked = [];
    this.#hint = 0;
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
 * table; and of drafts, by draft, following their edits. Memos: what a walk returns is the same with
 * or without them.
 */
const settledBuckets = new WeakMap<object, ListedBuckets>();
const draftBuckets = new WeakMap<object, ListedBuckets>();

function listed(m: Seen, mask: number): ListedBuckets {
  const known = settledBuckets.get(m.elems);
  if (known !== undefined && known.mask === mask) return known;
  const made = new ListedBuckets(m, mask);
  settledBuckets.set(m.elems, made);
  return made;
}

/**
 * Map `m`'s buckets. `settled`: `m` is a world's own map, which no transition changes: its buckets
 * are listed once and kept for the next walk (a walk of a whole map by BPF_MAP_GET_NEXT_KEY, a batch
 * lookup, lists it once). A transition's draft of a world's map (a `bpf_for_each_map_elem` whose
 * callback changes the map) is read as the world's listing with the draft's links and unlinks applied
 * (`draftEdits`), each once: a step of the walk costs a few binary searches whatever the map's size,
 * and reads nothing through the draft but the key asked for (after more edits than the draft has
 * elements, the draft is listed anew, once). A map made in this transition is scanned at each step.
 */
export function bucketsOf(m: Seen, settled: boolean): Buckets {
  const mask = nBuckets(m.maxEntries) - 1;
  if (settled) return listed(m, mask);
  if (!isDraft(m.elems)) return new ScannedBuckets(m, mask);
  const edits = draftEdits.get(m.elems);
  // The world's table, and its listing.
  const world = (): ListedBuckets => listed({ elems: original(m.elems as Draft<Seen['elems']>) as Seen['elems'], maxEntries: m.maxEntries, name: m.name }, mask);
  if (edits === undefined) return world();
  let live = draftBuckets.get(m.elems);
  if (edits === null) {
    // Too many edits to keep: the draft listed as it is (a pass over its elements), its edits kept from here.
    live = new ListedBuckets(m, mask);
  } else {
    live ??= new ListedBuckets(m, mask, world());
    live.apply(m.elems, edits, m.elems.size, `map ${m.name}`);
  }
  draftBuckets.set(m.elems, live);
  if (edits === null) draftEdits.set(m.elems, []);
  else edits.length = 0;
  return live;
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
