/**
 * Properties added to kill mutants (docs/properties.md, "Mutation testing"): the generic BPF map rules
 * of `bpf_map_lookup_elem`, `bpf_map_update_elem` and `bpf_map_delete_elem`. SEMANTICS.md does not
 * state them; each was read in kernel source, and the function is cited where it is asserted:
 *
 * - kernel/bpf/hashtab.c `htab_map_update_elem`: flags other than BPF_F_LOCK above BPF_EXIST → -EINVAL;
 *   BPF_F_LOCK on a value without a `bpf_spin_lock` → -EINVAL, before the key is looked up.
 *   `check_flags`: BPF_NOEXIST on a present key → -EEXIST, BPF_EXIST on a missing key → -ENOENT.
 *   `alloc_htab_elem`: a new key when max_entries elements are in use → -E2BIG (a replaced key reuses
 *   its slot, so a full map can still replace). `__htab_percpu_map_update_elem`: the same for PERCPU_HASH,
 *   without BPF_F_LOCK.
 * - hashtab.c `htab_lru_map_update_elem`: flags above BPF_EXIST (BPF_F_LOCK included) → -EINVAL; then
 *   a node is taken before the key is looked up (`prealloc_lru_pop`: a free one, or one the list evicts
 *   when the map is full), and only then `check_flags`: an update refused for its flags keeps the
 *   eviction, and the element evicted may be the key's own (then BPF_EXIST finds it missing, and
 *   BPF_NOEXIST finds it new). Which elements go is kernel/bpf/bpf_lru_list.c's choice, restated
 *   below (`LruRef`: plain arrays, head first) from the kernel's functions, not from the model's
 *   lru.ts: a refill of the empty local free list flushes the pending nodes (`__local_list_flush`),
 *   rotates active when inactive is the shorter (`__bpf_lru_list_rotate_active`) and inactive
 *   circularly from its pointer (`__bpf_lru_list_rotate_inactive`), takes up to `target_free` nodes
 *   from the global free list and evicts the shortfall from inactive's tail (`__bpf_lru_list_shrink`);
 *   a program's lookup sets the reference bit; a node given back goes to the local free list when
 *   pending, else to the global one (`bpf_common_lru_push_free`).
 * - hashtab.c `__htab_lru_percpu_map_update_elem` (LRU_PERCPU_HASH): a node is taken only when the
 *   flags are not BPF_EXIST; a present key is updated in place, its node's reference bit set, and the
 *   node taken goes back to the free list.
 * - hashtab.c `htab_map_delete_elem`, `htab_lru_map_delete_elem`: a missing key → -ENOENT.
 * - kernel/bpf/arraymap.c `array_map_update_elem` (ARRAY, and PERCPU_ARRAY from a program): unknown
 *   flags (BPF_F_LOCK aside) → -EINVAL, then index ≥ max_entries → -E2BIG ("all elements were
 *   pre-allocated"), then the BPF_NOEXIST bit → -EEXIST ("all elements already exist"), then BPF_F_LOCK
 *   without a spin lock → -EINVAL; otherwise the value is copied (`copy_map_value`).
 *   `array_map_delete_elem`: always -EINVAL. `array_map_lookup_elem`: NULL for an index ≥ max_entries,
 *   else the element; `array_map_alloc` allocates every element up front, zeroed.
 * - hashtab.c `htab_map_lookup_elem`: NULL for a missing key.
 * - hashtab.c `bpf_for_each_hash_elem`, arraymap.c `bpf_for_each_array_elem`: the callback gets the
 *   elements in that same order, the next one taken before it runs (so deleting the one it was
 *   given loses nothing); a return of 1 stops the walk, counted.
 * - hashtab.c `htab_map_get_next_key` (user space's BPF_MAP_GET_NEXT_KEY): the buckets in order, each
 *   bucket's list from its head; `roundup_pow_of_two(max_entries)` buckets (`htab_map_alloc`), a key's
 *   bucket `jhash2(key, 1, hashrnd)` masked (`htab_map_hash`, `select_bucket`); an insert and an update
 *   that replaces a present key with new memory (HASH, LRU_HASH) link the new element at the head
 *   (`hlist_nulls_add_head_rcu`); a PERCPU_HASH or LRU_PERCPU_HASH update of a present key writes it in
 *   place (`pcpu_copy_value`), where it is. `bpf_array_get_next_key`: the indexes in order. The
 *   reference keeps when each key was last linked at a head; the hash itself is include/linux/jhash.h's
 *   (src/model/kernel/jhash.ts, checked against lookup3 in test/buckets.test.ts).
 *
 * The expected values are computed here by a small reference map that follows those rules. The
 * per-CPU flags of 7.0 (BPF_F_CPU, BPF_F_ALL_CPUS) are user space's: a program's update of a per-CPU
 * map refuses them as any flag above BPF_EXIST (`htab_map_check_update_flags` without `onallcpus`,
 * `array_map_update_elem`), so the per-CPU types take the same flags as the others here.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { expectEqual, expectIs } from './fast_expect.ts';
import { bytesFrom } from './bytes.ts';
import { ArgumentError, content, LoadError, program as P, Session, UnknownHandleError, type BpfObject } from '../src/index.ts';
import { mapPutUref } from '../src/model/maps/maps.ts';
import { jhash2 } from '../src/model/kernel/jhash.ts';

const ENOENT = -2;
const E2BIG = -7;
const EEXIST = -17;
const EINVAL = -22;

const BPF_ANY = 0n;
const BPF_NOEXIST = 1n;
const BPF_EXIST = 2n;
const BPF_F_LOCK = 4n;

type MapType = 'array' | 'percpu_array' | 'hash' | 'percpu_hash' | 'lru_hash' | 'lru_percpu_hash';
const ARRAYS: readonly MapType[] = ['array', 'percpu_array'];

type Op =
  | { readonly op: 'lookup'; readonly key: number }
  | { readonly op: 'update'; readonly key: number; readonly fill: number; readonly flags: bigint; readonly long: boolean }
  | { readonly op: 'delete'; readonly key: number };

interface Case {
  readonly type: MapType;
  /** The machine's possible CPUs (an LRU's `target_free`). */
  readonly cpus: number;
  readonly maxEntries: number;
  readonly valueSize: number;
  readonly ops: readonly Op[];
  /** The world's `hashrnd` (the seed of the hash maps' buckets). */
  readonly hashrnd: number;
}

/** Flags: the three defined values most of the time; unknown flags (3, or a bit from 5 to 31) and BPF_F_LOCK combinations otherwise. */
const flagsArb = (type: MapType): fc.Arbitrary<bigint> => {
  const known = fc.constantFrom(BPF_ANY, BPF_NOEXIST, BPF_EXIST);
  return fc.oneof(
    { weight: 6, arbitrary: known },
    { weight: 1, arbitrary: fc.constant(3n) },
    { weight: 1, arbitrary: fc.bigInt({ min: 32n, max: 0xffff_ffffn }) },
    { weight: 2, arbitrary: known.map((f) => f | BPF_F_LOCK) },
  );
};

const caseArb: fc.Arbitrary<Case> = fc.record({
  type: fc.constantFrom<MapType>('array', 'percpu_array', 'hash', 'percpu_hash', 'lru_hash', 'lru_percpu_hash'),
  maxEntries: fc.integer({ min: 1, max: 6 }),
  valueSize: fc.integer({ min: 1, max: 12 }),
  cpus: fc.integer({ min: 1, max: 3 }),
}).chain(({ type, maxEntries, valueSize, cpus }) => {
  const key = fc.integer({ min: 0, max: maxEntries + 2 });
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ op: fc.constant('lookup' as const), key }),
    fc.record({ op: fc.constant('update' as const), key, fill: fc.integer({ min: 1, max: 255 }), flags: flagsArb(type), long: fc.boolean() }),
    fc.record({ op: fc.constant('update' as const), key, fill: fc.integer({ min: 1, max: 255 }), flags: flagsArb(type), long: fc.boolean() }),
    fc.record({ op: fc.constant('delete' as const), key }),
  );
  return fc.record({ type: fc.constant(type), maxEntries: fc.constant(maxEntries), valueSize: fc.constant(valueSize), cpus: fc.constant(cpus), ops: fc.array(op, { minLength: 1, maxLength: 30 }), hashrnd: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff_ffff })) });
});

const object = (type: MapType, maxEntries: number, valueSize: number, names: readonly string[] = ['m'], flags = 0): BpfObject => ({
  name: 'maps',
  maps: names.map((name) => ({ name, type, maxEntries, valueSize, taskWorkFields: 0, ...(flags === 0 ? {} : { flags }) })),
  globals: [],
  programs: [],
  subprogs: [],
});

/** The value an update writes: bytes fill, fill+1, …; `long` adds bytes past value_size, which are not copied. */
const valueOf = (fill: number, size: number, long: boolean): Uint8Array =>
  bytesFrom(size + (long ? 3 : 0), (i) => fill + i);

/**
 * bpf_lru_list.c's lists for one CPU, each an array head first; nodes are numbers. `evict(node)` is
 * `del_from_htab`: the caller unlinks the node's key. `percpu` (BPF_F_NO_COMMON_LRU): CPU 0's own
 * lists of `max / cpus` nodes (`max` already rounded), 4 nodes a walk, no local lists.
 */
class LruRef {
  active: number[] = [];
  inactive: number[] = [];
  /** Populated element 0 first, each at the head: the last element first. */
  free: number[];
  localFree: number[] = [];
  pending: number[] = [];
  readonly ref = new Set<number>();
  /** `next_inactive_rotation`: a node of inactive, or null for the list's head. */
  rot: number | null = null;
  readonly target: number;
  readonly scans: number;
  constructor(max: number, cpus: number, readonly percpu: boolean, readonly evict: (node: number) => void) {
    const n = percpu ? max / cpus : max;
    this.free = Array.from({ length: n }, (_, i) => n - 1 - i);
    this.target = percpu ? 4 : Math.min(128, Math.max(1, Math.floor(Math.floor(max / cpus) / 2)));
    this.scans = percpu ? 4 : 128;
  }

  listOf(node: number): number[] {
    for (const l of [this.active, this.inactive, this.free, this.localFree, this.pending]) if (l.includes(node)) return l;
    throw new Error(`node ${node} on no list`);
  }

  /** Off its list; the rotation pointer moves to the node before it (toward the head). */
  remove(node: number): void {
    const l = this.listOf(node);
    const i = l.indexOf(node);
    if (this.rot === node) this.rot = i > 0 ? (l[i - 1] as number) : null;
    l.splice(i, 1);
  }

  moveHead(node: number, to: number[]): void {
    this.remove(node);
    this.ref.delete(node);
    to.unshift(node);
  }

  rotate(): void {
    if (this.inactive.length < this.active.length) {
      for (const node of [...this.active].reverse().slice(0, this.scans)) this.moveHead(node, this.ref.has(node) ? this.active : this.inactive);
    }
    if (this.inactive.length > 0) {
      // From the pointer toward the head, wrapping to the tail, ending at the node after the pointer.
      const n = this.inactive.length;
      const j = this.rot === null ? n - 1 : this.inactive.indexOf(this.rot);
      const order = [...this.inactive.slice(0, j + 1).reverse(), ...this.inactive.slice(j + 1).reverse()].slice(0, this.scans);
      let next: number | null = null;
      for (const node of order) {
        const k = this.inactive.indexOf(node);
        next = k > 0 ? (this.inactive[k - 1] as number) : null;
        if (this.ref.has(node)) this.moveHead(node, this.active);
      }
      this.rot = next;
    }
  }

  /** Evict up to `want` from inactive's tail (a referenced node promoted instead), else one node whatever its bit: the nodes, in eviction order. */
  shrink(want: number): number[] {
    const out: number[] = [];
    let seen = 0;
    for (const node of [...this.inactive].reverse()) {
      if (this.ref.has(node)) this.moveHead(node, this.active);
      else {
        this.evict(node);
        this.remove(node);
        out.push(node);
        if (out.length === want) break;
      }
      seen += 1;
      if (seen === this.scans) break;
    }
    if (out.length === 0) {
      const from = this.inactive.length > 0 ? this.inactive : this.active;
      const node = from[from.length - 1];
      if (node !== undefined) {
        this.evict(node);
        this.remove(node);
        out.push(node);
      }
    }
    return out;
  }

  refill(): number {
    for (const node of [...this.pending].reverse()) this.moveHead(node, this.ref.has(node) ? this.active : this.inactive);
    this.rotate();
    const batch: number[] = [];
    while (batch.length < this.target && this.free.length > 0) batch.push(this.free.shift() as number);
    const evicted = batch.length < this.target ? this.shrink(this.target - batch.length) : [];
    this.localFree = [...batch, ...evicted];
    return evicted.length;
  }

  /** A node for an update (pending, or a per-CPU LRU's inactive head); and how many elements were evicted for it. */
  pop(): { node: number; evicted: number } {
    if (this.percpu) {
      this.rotate();
      const evicted = this.free.length === 0 ? this.shrink(this.target) : [];
      for (const node of evicted) this.free.unshift(node);
      const node = this.free[0];
      if (node === undefined) throw new Error('no LRU node');
      this.moveHead(node, this.inactive);
      return { node, evicted: evicted.length };
    }
    const evicted = this.localFree.length === 0 ? this.refill() : 0;
    const node = this.localFree.shift();
    if (node === undefined) throw new Error('no LRU node');
    this.pending.unshift(node);
    this.ref.delete(node);
    return { node, evicted };
  }

  pushFree(node: number): void {
    const back = this.pending.includes(node) ? this.localFree : this.free;
    this.moveHead(node, back);
  }
}

/** The reference map: key → value bytes. */
class Reference {
  readonly elems = new Map<number, Uint8Array>();
  /** LRU: each key's node, and the lists. */
  readonly node = new Map<number, number>();
  readonly lru: LruRef | null;
  /** Hash maps: when each key was last linked at its bucket's head (a larger number is nearer the head). */
  readonly linked = new Map<number, number>();
  #links = 0;
  /** max_entries as the map has it (a per-CPU LRU's rounded). */
  readonly entries: number;
  constructor(readonly type: MapType, readonly max: number, readonly size: number, cpus = 1, percpu = false) {
    if (ARRAYS.includes(type)) for (let i = 0; i < max; i += 1) this.elems.set(i, new Uint8Array(size)); // array_map_alloc: zeroed
    // htab_map_alloc: a per-CPU LRU's max_entries rounded up to a multiple of the CPUs.
    this.entries = percpu ? Math.ceil(max / cpus) * cpus : max;
    this.lru = type === 'lru_hash' || type === 'lru_percpu_hash' ? new LruRef(this.entries, cpus, percpu, (n) => {
      const key = [...this.node].find(([, v]) => v === n)?.[0];
      if (key === undefined) throw new Error(`evicting node ${n} of no key`);
      this.node.delete(key);
      this.elems.delete(key);
      this.linked.delete(key);
    }) : null;
  }

  /** `hlist_nulls_add_head_rcu`: `key`'s (new) element at the head of its bucket. */
  private linkHead(key: number): void {
    this.#links += 1;
    this.linked.set(key, this.#links);
  }

  /** The keys in BPF_MAP_GET_NEXT_KEY's order: an array's indexes; a hash map's buckets in order, each from its head. */
  walk(hashrnd: number): number[] {
    if (this.isArray) return Array.from({ length: this.max }, (_, i) => i);
    let buckets = 1;
    while (buckets < this.entries) buckets *= 2;
    const bucket = (k: number): number => jhash2([k], hashrnd) % buckets;
    return [...this.linked.keys()].sort((a, b) => bucket(a) - bucket(b) || (this.linked.get(b) as number) - (this.linked.get(a) as number));
  }

  get isArray(): boolean { return ARRAYS.includes(this.type); }

  lookup(key: number): boolean {
    const n = this.node.get(key);
    if (this.lru !== null && n !== undefined) this.lru.ref.add(n);
    return this.elems.has(key);
  }

  /** The expected return; `evicts` is true when an LRU map must make room (the victim is its choice). */
  update(key: number, value: Uint8Array, flags: bigint): { ret: number; evicts: boolean } {
    const lockKnown = this.isArray || this.type === 'hash';
    const unknown = (lockKnown ? flags & ~BPF_F_LOCK : flags) > BPF_EXIST;
    if (unknown) return { ret: EINVAL, evicts: false };
    const present = this.elems.has(key);
    const stored = value.slice(0, this.size);
    if (this.isArray) {
      if (key >= this.max) return { ret: E2BIG, evicts: false };
      if ((flags & BPF_NOEXIST) !== 0n) return { ret: EEXIST, evicts: false };
      if ((flags & BPF_F_LOCK) !== 0n) return { ret: EINVAL, evicts: false };
      this.elems.set(key, stored);
      return { ret: 0, evicts: false };
    }
    if ((flags & BPF_F_LOCK) !== 0n) return { ret: EINVAL, evicts: false };
    if (this.lru !== null && this.type === 'lru_percpu_hash') {
      // __htab_lru_percpu_map_update_elem: a node only when the flags are not BPF_EXIST; a present
      // key updated in place (its node's reference bit set), the node taken given back.
      const popped = flags === BPF_EXIST ? null : this.lru.pop();
      const evicts = popped !== null && popped.evicted > 0;
      const old = this.node.get(key);
      if (old !== undefined && flags === BPF_NOEXIST) { if (popped !== null) this.lru.pushFree(popped.node); return { ret: EEXIST, evicts }; }
      if (old === undefined && flags === BPF_EXIST) return { ret: ENOENT, evicts };
      this.elems.set(key, stored);
      if (old !== undefined) {
        this.lru.ref.add(old);
        if (popped !== null) this.lru.pushFree(popped.node);
      } else if (popped !== null) {
        this.node.set(key, popped.node);
        this.linkHead(key);
      }
      return { ret: 0, evicts };
    }
    if (this.lru !== null) {
      // The node first (evicting what a refill evicts, the key's own maybe), then the flags.
      const { node, evicted } = this.lru.pop();
      const evicts = evicted > 0;
      const old = this.node.get(key);
      if (old !== undefined && flags === BPF_NOEXIST) { this.lru.pushFree(node); return { ret: EEXIST, evicts }; }
      if (old === undefined && flags === BPF_EXIST) { this.lru.pushFree(node); return { ret: ENOENT, evicts }; }
      this.elems.set(key, stored);
      this.node.set(key, node);
      this.linkHead(key);
      if (old !== undefined) {
        this.lru.ref.add(node);
        this.lru.pushFree(old);
      }
      return { ret: 0, evicts };
    }
    if (present && flags === BPF_NOEXIST) return { ret: EEXIST, evicts: false };
    if (!present && flags === BPF_EXIST) return { ret: ENOENT, evicts: false };
    if (!present && this.elems.size >= this.max) return { ret: E2BIG, evicts: false };
    this.elems.set(key, stored);
    // A PERCPU_HASH writes a present key in place; a HASH links new memory.
    if (!(present && this.type === 'percpu_hash')) this.linkHead(key);
    return { ret: 0, evicts: false };
  }

  delete(key: number): number {
    if (this.isArray) return EINVAL;
    if (!this.elems.delete(key)) return ENOENT;
    this.linked.delete(key);
    const n = this.node.get(key);
    if (this.lru !== null && n !== undefined) {
      this.node.delete(key);
      this.lru.pushFree(n);
    }
    return 0;
  }
}

/** User space's walk of the map: the first key (a NULL key), then the key after each, until -ENOENT. */
function walkOf(s: Session, mapId: number): number[] {
  const keys: number[] = [];
  for (let key = s.mapGetNextKey(mapId, null); key >= 0; key = s.mapGetNextKey(mapId, key)) {
    keys.push(key);
    if (keys.length > 1000) throw new Error('the walk does not end');
  }
  expectIs(s.mapGetNextKey(mapId, keys.length === 0 ? null : keys[keys.length - 1]!), ENOENT);
  return keys;
}

/** Each key's value as a program on CPU 0 sees it (a per-CPU map's memory holds every CPU's copy, CPU 0's first). */
function modelElems(s: Session, mapId: number): Map<number, Uint8Array> {
  const m = s.world.maps.get(mapId)!;
  return new Map([...m.elems].map(([k, e]) => [k, Uint8Array.from(m.slots.get(e.slot)!.data.subarray(0, m.layout.dataEnd))]));
}

describe('mutants: generic BPF map rules', () => {
  test('mutants: lookup, update (flags, -EEXIST, -ENOENT, -E2BIG, LRU room), delete (-ENOENT, ARRAY -EINVAL) agree with a reference map', () => {
    fc.assert(fc.property(caseArb, (c) => {
      const s = new Session({ cpus: c.cpus, hashrnd: c.hashrnd });
      s.load(object(c.type, c.maxEntries, c.valueSize));
      const mapId = [...s.world.maps.values()][0]!.id;
      const ref = new Reference(c.type, c.maxEntries, c.valueSize, c.cpus);
      expectEqual(modelElems(s, mapId), ref.elems);
      for (const o of c.ops) {
        if (o.op === 'lookup') {
          // array_map_lookup_elem / htab_map_lookup_elem: the element, or NULL.
          const got = s.bpf_map_lookup_elem(mapId, o.key);
          if (ref.lookup(o.key)) expect(got).toMatchObject({ map: mapId, key: o.key });
          else expect(got).toBeNull();
        } else if (o.op === 'update') {
          const value = valueOf(o.fill, c.valueSize, o.long);
          const before = modelElems(s, mapId);
          const want = ref.update(o.key, value, o.flags);
          expectIs(s.bpf_map_update_elem(mapId, o.key, value, o.flags), want.ret);
          // copy_map_value copies the bytes: a later change to the caller's buffer is not seen.
          value.fill(0);
          const after = modelElems(s, mapId);
          // A refused update changes nothing, but for the element an LRU map evicted first.
          if (want.ret !== 0 && !want.evicts) expectEqual(after, before);
        } else {
          expectIs(s.bpf_map_delete_elem(mapId, o.key), ref.delete(o.key));
        }
        expectEqual(modelElems(s, mapId), ref.elems);
        expectEqual(walkOf(s, mapId), ref.walk(c.hashrnd));
      }
      // A key the map does not hold starts the walk over (a hash map); an index past an array's end gives 0.
      expectIs(s.mapGetNextKey(mapId, c.maxEntries + 3), ref.isArray ? 0 : (ref.walk(c.hashrnd)[0] ?? ENOENT));
    }));
  });

  test('mutants: BPF_MAP_GET_NEXT_KEY walks the buckets, a replaced key first in its bucket unless updated in place', () => {
    // Few buckets and few keys, so that keys share buckets and present keys are updated often: from a
    // program and from user space, whose updates link the same way (htab_map_update_elem and its
    // kin serve both); with BPF_F_ZERO_SEED the world's hashrnd is not used (htab_map_alloc).
    const hashTypes: readonly MapType[] = ['hash', 'percpu_hash', 'lru_hash', 'lru_percpu_hash'];
    const arb = fc.record({
      type: fc.constantFrom(...hashTypes), max: fc.integer({ min: 1, max: 4 }), hashrnd: fc.integer({ min: 0, max: 0xffff_ffff }), zeroSeed: fc.boolean(),
      ops: fc.array(fc.record({ del: fc.boolean(), user: fc.boolean(), key: fc.integer({ min: 0, max: 7 }) }), { minLength: 1, maxLength: 20 }),
    });
    fc.assert(fc.property(arb, ({ type, max, hashrnd, zeroSeed, ops }) => {
      const s = new Session({ hashrnd });
      s.load(object(type, max, 8, ['m'], zeroSeed ? 64 : 0));
      const mapId = [...s.world.maps.values()][0]!.id;
      const ref = new Reference(type, max, 8);
      const seed = zeroSeed ? 0 : hashrnd;
      for (const o of ops) {
        if (o.del) expectIs(o.user ? s.mapDelete(mapId, o.key) : s.bpf_map_delete_elem(mapId, o.key), ref.delete(o.key));
        else {
          const want = ref.update(o.key, valueOf(o.key, 8, false), BPF_ANY).ret;
          // User space passes every possible CPU's copy of a per-CPU value (one CPU here).
          expectIs(o.user ? s.mapUpdate(mapId, o.key, valueOf(o.key, 8, false)) : s.bpf_map_update_elem(mapId, o.key, valueOf(o.key, 8, false), BPF_ANY), want);
        }
        expectEqual(walkOf(s, mapId), ref.walk(seed));
      }
    }));
  });

  test('mutants: bpf_for_each_map_elem gives the callback the walk\'s keys in order; a return of 1 stops it; deleting the given element loses none', () => {
    const types: readonly MapType[] = ['array', 'percpu_array', 'hash', 'percpu_hash', 'lru_hash', 'lru_percpu_hash'];
    const arb = fc.record({
      type: fc.constantFrom(...types), max: fc.integer({ min: 1, max: 4 }), hashrnd: fc.integer({ min: 0, max: 0xffff_ffff }),
      ops: fc.array(fc.record({ del: fc.boolean(), key: fc.integer({ min: 0, max: 7 }) }), { minLength: 0, maxLength: 12 }),
      stopAt: fc.option(fc.integer({ min: 0, max: 7 }), { nil: null }), delGiven: fc.boolean(),
    });
    fc.assert(fc.property(arb, ({ type, max, hashrnd, ops, stopAt, delGiven }) => {
      const s = new Session({ hashrnd });
      const seenOps = Array.from({ length: 8 }, (_, j) => [P.goto(`no${j}`, P.when('i', '!=', P.imm(j))), P.storeAt('seen', j, P.r('key')), P.label(`no${j}`)]).flat();
      s.load({
        ...object(type, max, 8),
        globals: [{ name: 'seen', kind: 'u64s', size: 8 }, { name: 'n', kind: 'u64' }, { name: 'ret', kind: 'u64' }],
        subprogs: [{ name: 'cb', isStatic: true, returns: 'long', params: [{ name: 'mp', type: 'map' }, { name: 'k', type: 'ptr' }, { name: 'v', type: 'ptr' }, { name: 'ctx', type: 'ptr' }], body: [
          P.ld('key', 4, P.r('k'), 0), P.mov('i', P.glob('n')), ...seenOps, P.alu('add', 'i', P.imm(1)), P.store('n', P.r('i')),
          ...(delGiven ? [P.call('bpf_map_delete_elem', [P.map('m'), P.r('k')])] : []),
          ...(stopAt === null ? [] : [P.goto('stop', P.when('key', '==', P.imm(stopAt)))]),
          P.ret(P.imm(0)), P.label('stop'), P.ret(P.imm(1)),
        ] }],
        programs: [{ name: 'p', section: 'syscall', body: [P.call('bpf_for_each_map_elem', [P.map('m'), P.cb('cb'), P.NULL, P.imm(0)], 'r'), P.store('ret', P.r('r')), P.ret(P.imm(0))] }],
      });
      const mapId = s.mapId('m');
      const ref = new Reference(type, max, 8);
      for (const o of ops) {
        if (o.del) expectIs(s.bpf_map_delete_elem(mapId, o.key), ref.delete(o.key));
        else expectIs(s.bpf_map_update_elem(mapId, o.key, valueOf(o.key, 8, false), BPF_ANY), ref.update(o.key, valueOf(o.key, 8, false), BPF_ANY).ret);
      }
      const order = ref.walk(hashrnd);
      const stop = stopAt === null ? -1 : order.indexOf(stopAt);
      const want = stop < 0 ? order : order.slice(0, stop + 1);
      expectIs(s.progTestRun('p').err, 0);
      const n = Number(s.global('n'));
      const seen = Array.from({ length: n }, (_, j) => (s.global('seen') as Uint8Array)[j * 8] as number);
      expectEqual(seen, want);
      expectIs(s.global('ret'), BigInt(want.length));
      // The elements given were deleted (an array's cannot be); the rest stay.
      if (delGiven && !ref.isArray) for (const k of want) ref.delete(k);
      expectEqual(walkOf(s, mapId), ref.walk(hashrnd));
    }));
  });

  test('mutants: LRU_HASH sequences: which keys a refill evicts (bpf_lru_list.c, restated by LruRef), on one to three CPUs, common or per-CPU lists', () => {
    // LRU maps only, larger than above and with more lookups, so that refills meet referenced nodes,
    // rotations and the forced shrink; sometimes every key is looked up before an insert.
    // A map of up to 300 (more nodes than a walk looks at, 128) fills and looks up ranges of keys.
    type LruPropOp = Op | { readonly op: 'fill'; readonly from: number; readonly to: number } | { readonly op: 'touch'; readonly from: number; readonly to: number };
    const lruArb = fc.record({ max: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 20 }) }, { weight: 1, arbitrary: fc.integer({ min: 129, max: 300 }) }), cpus: fc.integer({ min: 1, max: 3 }) }).chain(({ max, cpus }) => {
      const key = fc.integer({ min: 0, max: max + 4 });
      // Ranges: any, or from key 0 (a whole fill, most of the map looked up).
      const range = fc.oneof(fc.tuple(key, key).map(([a, b]) => (a <= b ? { from: a, to: b + 1 } : { from: b, to: a + 1 })), key.map((b) => ({ from: 0, to: b + 1 })));
      const op: fc.Arbitrary<LruPropOp> = fc.oneof(
        { weight: 5, arbitrary: fc.record({ op: fc.constant('update' as const), key, fill: fc.integer({ min: 1, max: 255 }), flags: fc.constantFrom(BPF_ANY, BPF_ANY, BPF_NOEXIST, BPF_EXIST), long: fc.constant(false) }) },
        { weight: 4, arbitrary: fc.record({ op: fc.constant('lookup' as const), key }) },
        { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), key }) },
        { weight: 1, arbitrary: range.map((r) => ({ op: 'fill' as const, ...r })) },
        { weight: 2, arbitrary: range.map((r) => ({ op: 'touch' as const, ...r })) },
      );
      return fc.record({ max: fc.constant(max), cpus: fc.constant(cpus), percpu: fc.boolean(), type: fc.constantFrom<MapType>('lru_hash', 'lru_percpu_hash'), ops: fc.array(op, { minLength: 1, maxLength: 40 }) });
    });
    fc.assert(fc.property(lruArb, ({ max, cpus, percpu, type, ops }) => {
      const s = new Session({ cpus });
      s.load(object(type, max, 4, ['m'], percpu ? 2 : 0));
      const mapId = [...s.world.maps.values()][0]!.id;
      const ref = new Reference(type, max, 4, cpus, percpu);
      for (const o of ops) {
        if (o.op === 'fill') {
          for (let key = o.from; key < o.to; key += 1) expectIs(s.bpf_map_update_elem(mapId, key, valueOf(key & 0xff, 4, false), BPF_ANY), ref.update(key, valueOf(key & 0xff, 4, false), BPF_ANY).ret);
        } else if (o.op === 'touch') {
          for (let key = o.from; key < o.to; key += 1) expectIs(s.bpf_map_lookup_elem(mapId, key) !== null, ref.lookup(key));
        } else if (o.op === 'lookup') expectIs(s.bpf_map_lookup_elem(mapId, o.key) !== null, ref.lookup(o.key));
        else if (o.op === 'update') expectIs(s.bpf_map_update_elem(mapId, o.key, valueOf(o.fill, 4, false), o.flags), ref.update(o.key, valueOf(o.fill, 4, false), o.flags).ret);
        else expectIs(s.bpf_map_delete_elem(mapId, o.key), ref.delete(o.key));
        expectEqual(modelElems(s, mapId), ref.elems);
      }
      expectEqual(walkOf(s, mapId), ref.walk(0));
    }));
  });

  test('mutants: one update of each kind: flags, BPF_F_LOCK, index range and presence decide the return, in the kernel\'s order', () => {
    // The same rules as above, one call per case, so that every combination comes up in few runs.
    const types: readonly MapType[] = ['array', 'percpu_array', 'hash', 'percpu_hash', 'lru_hash', 'lru_percpu_hash'];
    fc.assert(fc.property(fc.constantFrom(...types), fc.integer({ min: 1, max: 3 }), fc.constantFrom('present', 'absent', 'beyond'), fc.boolean(), (type, max, where, full) => {
      for (const flags of [0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n, 32n]) {
        const s = new Session();
        s.load(object(type, max, 4));
        const mapId = [...s.world.maps.values()][0]!.id;
        const ref = new Reference(type, max, 4);
        // HASH types: key 0 present, and the map full when asked (keys 0 … max − 1).
        if (!ref.isArray) for (let key = 0; key < (full ? max : 1); key += 1) {
          expectIs(s.bpf_map_update_elem(mapId, key, valueOf(9, 4, false), BPF_ANY), ref.update(key, valueOf(9, 4, false), BPF_ANY).ret);
      }
      const key = where === 'present' ? 0 : where === 'absent' ? (ref.isArray ? max - 1 : max) : max + 1;
      const before = modelElems(s, mapId);
      const want = ref.update(key, valueOf(1, 4, false), flags);
      expectIs(s.bpf_map_update_elem(mapId, key, valueOf(1, 4, false), flags), want.ret);
      if (want.ret !== 0 && !want.evicts) expectEqual(modelElems(s, mapId), before);
      expectEqual(modelElems(s, mapId), ref.elems);
      if (want.ret === 0) expectEqual(modelElems(s, mapId).get(key), valueOf(1, 4, false));
      }
    }));
  });

  test('mutants: a full HASH or PERCPU_HASH still replaces a present key; an LRU_HASH makes room for a new one', () => {
    // hashtab.c alloc_htab_elem: -E2BIG only for a new key (a replaced element's slot is reused);
    // htab_lru_map_update_elem: prealloc_lru_pop evicts when no element is free, before the flags are
    // checked (an LRU of one entry evicts the very key a BPF_EXIST update names: -ENOENT).
    fc.assert(fc.property(fc.constantFrom<MapType>('hash', 'percpu_hash', 'lru_hash'), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 255 }), (type, max, fill) => {
      const s = new Session();
      s.load(object(type, max, 4));
      const mapId = [...s.world.maps.values()][0]!.id;
      const ref = new Reference(type, max, 4);
      const update = (key: number, v: number, flags: bigint): void => {
        expectIs(s.bpf_map_update_elem(mapId, key, valueOf(v, 4, false), flags), ref.update(key, valueOf(v, 4, false), flags).ret);
        expectEqual(modelElems(s, mapId), ref.elems);
      };
      for (let key = 0; key < max; key += 1) update(key, key + 1, BPF_NOEXIST);
      const replaceKey = max - 1;
      update(replaceKey, fill, BPF_EXIST);
      update(replaceKey, fill, BPF_ANY);
      expectEqual([...modelElems(s, mapId).get(replaceKey)!], [...valueOf(fill, 4, false)]);
      const got = s.bpf_map_update_elem(mapId, max, valueOf(fill, 4, false), BPF_ANY);
      expectIs(got, type === 'lru_hash' ? 0 : E2BIG);
      expectIs(got, ref.update(max, valueOf(fill, 4, false), BPF_ANY).ret);
      expectEqual(modelElems(s, mapId), ref.elems);
      expectIs(s.world.maps.get(mapId)!.elems.has(max), type === 'lru_hash');
    }));
  });

  test('mutants: a task\'s map syscalls act on the map they name (BPF_ANY update, delete), and return the rules\' errors', () => {
    // The bpf(2) commands reach the same map operations (kernel/bpf/syscall.c map_update_elem,
    // map_delete_elem; the scripts use BPF_ANY): ARRAY delete -EINVAL, a missing HASH key -ENOENT,
    // an ARRAY index out of range -E2BIG, a full HASH -E2BIG.
    fc.assert(fc.property(fc.constantFrom<MapType>('array', 'hash'), fc.integer({ min: 1, max: 3 }), fc.array(fc.record({ which: fc.constantFrom('a', 'b'), del: fc.boolean(), key: fc.integer({ min: 0, max: 4 }) }), { minLength: 1, maxLength: 8 }), (type, max, steps) => {
      const s = new Session();
      s.load(object(type, max, 8, ['a', 'b']));
      const ids = new Map([...s.world.maps.values()].map((m) => [m.name, m.id]));
      const refs = new Map([['a', new Reference(type, max, 8)], ['b', new Reference(type, max, 8)]]);
      const want: number[] = steps.map((st) => (st.del ? refs.get(st.which)!.delete(st.key) : refs.get(st.which)!.update(st.key, new Uint8Array(8), BPF_ANY).ret));
      s.spawn({ comm: 'user', script: steps.map((st) => (st.del ? { sys: 'map_delete' as const, map: st.which, key: st.key } : { sys: 'map_update' as const, map: st.which, key: st.key })) });
      s.simulate();
      const got = s.events().filter((e) => e.kind === 'map' && (e.op === 'update' || e.op === 'delete')).map((e) => (e as { ret: number }).ret);
      expectEqual(got, want);
      for (const [name, ref] of refs) expectEqual(modelElems(s, ids.get(name)!), ref.elems);
    }));
  });

  test('mutants: a map of a size no u32 holds, a fractional value size, an unknown map name or a second last-reference put are API misuses', () => {
    // README: "a misuse of the TypeScript API … throws an `ArgumentError` or `UnknownHandleError`
    // naming the argument and the value". max_entries 0 is a u32 the kernel refuses: -EINVAL from
    // array_map_alloc_check / htab_map_alloc_check, so the load fails with it.
    fc.assert(fc.property(fc.constantFrom<MapType>('array', 'hash', 'lru_hash'), fc.constantFrom(0, -1, 1.5, Number.NaN), (type, bad) => {
      const s = new Session();
      if (bad === 0) {
        let err: unknown = null;
        try { s.load(object(type, bad, 8)); } catch (e) { err = e; }
        expect(err).toBeInstanceOf(LoadError);
        expectIs((err as LoadError).errno, -22);
      } else expect(() => s.load(object(type, bad, 8))).toThrow(ArgumentError);
      expectIs(s.world.maps.size, 0);
      expect(() => s.load(object(type, 1, bad === 0 ? -1 : bad))).toThrow(ArgumentError);
      expectIs(s.world.maps.size, 0);
      s.load(object(type, 1, 8));
      const mapId = [...s.world.maps.values()][0]!.id;
      s.spawn({ comm: 'user', script: [{ sys: 'map_update', map: 'nope', key: 0 }] });
      expect(() => s.simulate()).toThrow(UnknownHandleError);
      const t = new Session();
      t.load(object(type, 1, 8));
      const id = [...t.world.maps.values()][0]!.id;
      t.run((k) => mapPutUref(k, id));
      expectIs(t.world.maps.get(id)!.usercnt, 0);
      expect(() => t.run((k) => mapPutUref(k, id))).toThrow(ArgumentError);
      // A task_work slot `{ map, key }` naming no element (a HASH key never inserted) names nothing.
      const u = new Session();
      u.createFile({ path: '/bin/app', content: content.zero(), size: 4096 });
      u.load({ ...object('hash', 2, 8), maps: [{ name: 'm', type: 'hash', maxEntries: 2, valueSize: 8, taskWorkFields: 1 }], programs: [{ name: 'p', section: 'syscall', body: [P.ret(P.imm(0))] }], subprogs: [{ name: 'cb', isStatic: true, body: [P.ret(P.imm(0))] }] }, { unverified: true });
      const hid = [...u.world.maps.values()][0]!.id;
      const pid = u.spawn({ comm: 'x', exe: '/bin/app', script: [{ sys: 'sleep', ticks: 10 }] });
      u.context = { sleepable: false, prog: [...u.world.progs.values()][0]!.id, label: 'caller' };
      const w0 = u.world;
      expect(() => u.bpf_task_work_schedule_signal_impl(pid, { map: hid, key: 1 }, hid, 'cb', null)).toThrow(UnknownHandleError);
      expectIs(u.world, w0);
      void mapId;
    }));
  });
});
