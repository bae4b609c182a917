/**
 * The order user space walks a map's keys in, `bpf(BPF_MAP_GET_NEXT_KEY)` (src/model/maps/buckets.ts),
 * and which maps `bpf(BPF_MAP_CREATE)` makes (src/model/maps/alloc_check.ts).
 *
 * A hash map's order is its buckets': each key's bucket is `jhash2` of the key seeded with the map's
 * `hashrnd`, and a bucket lists its newest element first. Every hash map here is created with
 * BPF_F_ZERO_SEED (`hashrnd` 0), so the order is the same on the kernel and in the model (the
 * model's world `hashrnd` is 0 too); without it the kernel draws a random seed, and only what no seed
 * changes is compared (an empty map, a map of one key). A program inserts keys (percpu.ts sequences),
 * user space updates and deletes more, and then asks for the first key and for the key after each key
 * the map may hold (and one it cannot), which together are the whole order.
 */
import { percpuGuestCase, percpuHostCase, type PercpuSeq, type Step } from './percpu.ts';
import type { FileCase } from './file.ts';
import { createTarget, type ConfCase, type SysMapOp } from './lib.ts';

const ZERO_SEED = 64;
const NO_PREALLOC = 1;
const RULE = 'BPF_MAP_GET_NEXT_KEY: a hash map\'s buckets (maps/buckets.ts)';
const CREATE_RULE = 'BPF_MAP_CREATE: flags and sizes (maps/alloc_check.ts)';

type Sys = Omit<SysMapOp, 'map'>;
const key4 = (): Uint8Array => new Uint8Array(4).fill(0xee);
const first: Sys = { op: 'first_key', key: 0, flags: 0n, bytes: key4() };
const next = (key: number): Sys => ({ op: 'next_key', key, flags: 0n, bytes: key4() });
const update = (key: number, size: number): Sys => ({ op: 'update', key, flags: 0n, bytes: new Uint8Array(size).fill(key & 0xff) });
const del = (key: number): Sys => ({ op: 'delete', key, flags: 0n, bytes: key4() });
/** The first key, and the key after each of `keys` and after a key no map here holds (99: the first again). */
const walk = (keys: readonly number[]): Sys[] => [first, ...keys.map(next), next(99)];
const range = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);
const ups = (keys: readonly number[]): Step[] => keys.map((key) => ({ k: 'update', key, value: 0x100 + key }));

/**
 * Keys 0 to 7, then key 2 updated again (it shares its bucket with key 7 at seed 0), key 4 deleted, key 5
 * updated; then user space's walk, its updates of 7 and 6 (`size`: the bytes of a value it passes), a
 * delete and an insert, and the walk again: where a replaced key goes in its bucket.
 */
const REPLACE_STEPS: readonly Step[] = [...ups(range(8)), { k: 'update', key: 2, value: 0x222 }, { k: 'delete', key: 4 }, { k: 'update', key: 5, value: 0x555 }];
const replaceSys = (size: number): Sys[] => [...walk(range(8)), update(7, size), update(6, size), del(0), update(4, size), ...walk(range(8))];

const SEQS: readonly PercpuSeq[] = [
  {
    id: 'hash8', map: { type: 'hash', maxEntries: 8, flags: ZERO_SEED }, steps: ups(range(8)), sys: walk(range(8)),
    note: 'eight keys in eight buckets (n_buckets = max_entries rounded up to a power of two): the walk goes bucket by bucket, newest first where two share one',
  },
  {
    id: 'replace', map: { type: 'hash', maxEntries: 8, flags: ZERO_SEED },
    steps: REPLACE_STEPS,
    sys: replaceSys(8),
    note: 'an update of a present key links the new element at its bucket\'s head (hlist_nulls_add_head_rcu, then the old one unlinked), from a program or from user space; a deleted key leaves its bucket; a key not in the map (deleted, or never there) starts the walk over',
  },
  {
    id: 'percpu_inplace', map: { type: 'percpu_hash', maxEntries: 8, flags: ZERO_SEED },
    steps: REPLACE_STEPS,
    sys: replaceSys(64),
    note: 'a PERCPU_HASH updates a present key in place (pcpu_copy_value): it keeps its place in its bucket',
  },
  {
    id: 'lru', map: { type: 'lru_hash', maxEntries: 8, flags: ZERO_SEED },
    steps: REPLACE_STEPS,
    sys: replaceSys(8),
    note: 'an LRU_HASH update of a present key links its new node at the head, as a HASH\'s',
  },
  {
    id: 'lru_percpu', map: { type: 'lru_percpu_hash', maxEntries: 8, flags: ZERO_SEED },
    steps: [...ups(range(8)), { k: 'update', key: 2, value: 0x222 }, { k: 'delete', key: 4 }],
    sys: [...walk(range(8)), update(7, 64), update(6, 64), ...walk(range(8))],
    note: 'an LRU_PERCPU_HASH updates a present key in place',
  },
  {
    id: 'noprealloc', map: { type: 'hash', maxEntries: 4, flags: ZERO_SEED | NO_PREALLOC },
    steps: ups([7, 3, 11, 5]), sys: [...walk([3, 5, 7, 11]), del(7), update(9, 8), ...walk([3, 5, 7, 9, 11])],
    note: 'a NO_PREALLOC map\'s elements are linked the same way; keys past max_entries hash like any other',
  },
  {
    id: 'many', map: { type: 'hash', maxEntries: 32, flags: ZERO_SEED },
    steps: ups([0]), sys: [...range(24, 1).map((k) => update(k * 7, 8)), ...walk(range(25).map((k) => k * 7))],
    note: 'twenty-five keys in 32 buckets, several sharing a bucket (user space\'s inserts)',
  },
  {
    id: 'array', map: { type: 'array', maxEntries: 4 }, steps: ups([1]),
    sys: [first, next(0), next(2), next(3), next(4), next(0xffffffff)],
    note: 'bpf_array_get_next_key: index 0 after NULL or an index out of range, the next one otherwise, -ENOENT after the last',
  },
  {
    id: 'seeded', map: { type: 'hash', maxEntries: 4 }, steps: [{ k: 'delete', key: 1 }],
    sys: [first, next(5), update(5, 8), first, next(5), next(6), del(5), first],
    note: 'without BPF_F_ZERO_SEED the kernel\'s seed is random: an empty map has no first key and no next key (-ENOENT), a map of one key gives it first and -ENOENT after it, whatever the seed',
  },
];

/** A map to create: its type, max_entries, map_flags, key_size and value_size. */
interface Create { readonly type: string; readonly max: number; readonly flags?: number; readonly key?: number; readonly value?: number }
const create = (c: Create, caseId: string): SysMapOp => ({ op: 'create', map: createTarget(c.type, caseId), key: c.max, flags: BigInt(c.flags ?? 0) | (BigInt(c.key ?? 4) << 32n) | (BigInt(c.value ?? 8) << 48n), bytes: new Uint8Array(1) });

const RDONLY = 8;
const WRONLY = 16;
const RDONLY_PROG = 128;
const WRONLY_PROG = 256;
const MMAPABLE = 1024;
const PRESERVE_ELEMS = 2048;
const INNER_MAP = 4096;
const NUMA_NODE = 4;
const NO_COMMON_LRU = 2;

/** Maps made and refused, as `map_create`, `htab_map_alloc_check` and `array_map_alloc_check` decide. */
const CREATES: readonly Create[] = [
  { type: 'hash', max: 4 }, { type: 'hash', max: 0 }, { type: 'hash', max: 4, key: 0 }, { type: 'hash', max: 4, value: 0 },
  { type: 'hash', max: 4, flags: ZERO_SEED }, { type: 'hash', max: 4, flags: 32 }, { type: 'hash', max: 4, flags: 1 << 20 },
  { type: 'hash', max: 4, flags: NO_COMMON_LRU }, { type: 'hash', max: 4, flags: PRESERVE_ELEMS }, { type: 'hash', max: 4, flags: MMAPABLE },
  { type: 'hash', max: 4, flags: RDONLY | WRONLY }, { type: 'hash', max: 4, flags: RDONLY_PROG | WRONLY_PROG }, { type: 'hash', max: 4, flags: NUMA_NODE },
  { type: 'hash', max: 2 ** 28 }, { type: 'hash', max: 2 ** 31 + 1 },
  { type: 'percpu_hash', max: 4, flags: NUMA_NODE }, { type: 'percpu_hash', max: 4, flags: ZERO_SEED | NO_PREALLOC },
  { type: 'lru_hash', max: 4, flags: NO_PREALLOC }, { type: 'lru_hash', max: 4, flags: NO_COMMON_LRU | ZERO_SEED }, { type: 'lru_hash', max: 0xffff_ffff, flags: NO_COMMON_LRU },
  { type: 'lru_percpu_hash', max: 4, flags: NO_COMMON_LRU | NUMA_NODE },
  { type: 'array', max: 4 }, { type: 'array', max: 0 }, { type: 'array', max: 4, key: 8 }, { type: 'array', max: 4, key: 0 }, { type: 'array', max: 4, value: 0 },
  { type: 'array', max: 4, flags: ZERO_SEED }, { type: 'array', max: 4, flags: NO_PREALLOC }, { type: 'array', max: 4, flags: MMAPABLE },
  { type: 'array', max: 4, flags: INNER_MAP }, { type: 'array', max: 4, flags: PRESERVE_ELEMS }, { type: 'array', max: 4, flags: NUMA_NODE },
  { type: 'array', max: 4, flags: RDONLY | WRONLY }, { type: 'array', max: 4, flags: 1 << 20 },
  { type: 'percpu_array', max: 4, flags: MMAPABLE }, { type: 'percpu_array', max: 4, flags: INNER_MAP }, { type: 'percpu_array', max: 4, flags: NUMA_NODE },
  // The fd's mode against a type's -E2BIG: 6.18 looks at the mode first (-EINVAL), 7.2 last (-E2BIG).
  { type: 'percpu_hash', max: 4, value: 32769, flags: RDONLY | WRONLY }, { type: 'percpu_array', max: 4, value: 32769, flags: RDONLY | WRONLY },
];

/** One case: a trivial program, then every `CREATES` map made and closed from user space. */
function createCase(id: string): { q: PercpuSeq; sys: SysMapOp[] } {
  return { q: { id, map: { type: 'array', maxEntries: 1 }, steps: ups([0]), note: 'each map made and closed, or refused with the kernel\'s errno' }, sys: CREATES.map((c) => create(c, id)) };
}

function withCreates(c: ConfCase, sys: readonly SysMapOp[]): ConfCase {
  return { ...c, rule: CREATE_RULE, note: `${CREATES.length} BPF_MAP_CREATE calls (type, max_entries, flags, key and value size): ${CREATES.map((x) => `${x.type}/${x.max}/0x${(x.flags ?? 0).toString(16)}/${x.key ?? 4}/${x.value ?? 8}`).join(', ')}`, sys };
}

export const bucketCases: readonly ConfCase[] = [
  ...SEQS.map((q) => percpuHostCase(`hb_${q.id}`, q, RULE)),
  ((): ConfCase => { const { q, sys } = createCase('hb_create'); return withCreates(percpuHostCase('hb_create', q, CREATE_RULE), sys); })(),
];

export function bucketFileCases(): FileCase[] {
  return [
    ...SEQS.map((q) => percpuGuestCase(`fhb_${q.id}`, q, `${RULE} (7.2)`)),
    ((): FileCase => { const { q, sys } = createCase('fhb_create'); const c = percpuGuestCase('fhb_create', q, `${CREATE_RULE} (7.2)`); return { ...c, ...withCreates(c, sys), state: c.state }; })(),
  ];
}
