/**
 * User space's BPF_MAP_GET_NEXT_KEY and map creation's checks (src/model/maps/buckets.ts,
 * alloc_check.ts), read in kernel/bpf/hashtab.c (`htab_map_alloc_check`, `htab_map_alloc`,
 * `htab_map_hash`, `htab_map_get_next_key`), arraymap.c (`array_map_alloc_check`,
 * `bpf_array_get_next_key`), ringbuf.c and syscall.c (`map_create`, `bpf_get_file_flag`,
 * `map_get_next_key`, `__bpf_copy_key`). The host tier's `hb_*` cases (6.18) and the guest's `fhb_*`
 * (7.2) run the same calls on the kernels.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ArgumentError, E2BIG, EINVAL, ENOENT, NotModelledError, parseScenario, program as P, renderC, Session } from '../src/index.ts';
import { Immer } from 'immer';
import { jhash2 } from '../src/model/kernel/jhash.ts';
import { bucketsOf, link, nBuckets, unlink, type BucketElem } from '../src/model/maps/buckets.ts';
import { SlotTable } from '../src/model/maps/slots.ts';
import type { BpfMap, MapElem } from '../src/model/maps/types.ts';

const ENOTSUPP = 524;
const ZERO_SEED = 64;

/**
 * lookup3.c's `hashword` (Bob Jenkins, public domain), of which `jhash2` is the kernel's copy: the
 * values a C build of it printed (gcc, x86-64) for the words [0, 1, 0xffffffff, 0x12345678, 42, 7,
 * 0x80000000] cut to each length from 0 to 7, with seeds 0, 1 and 0xdeadbeef.
 */
const WORDS = [0, 1, 0xffffffff, 0x12345678, 42, 7, 0x80000000];
const HASHWORD: readonly (readonly [number, number, number])[] = [
  [0, 0, 3735928559], [0, 1, 76781240], [0, 2, 3189847089], [0, 3, 623346101], [0, 4, 2579983883], [0, 5, 2589333465], [0, 6, 4170574167], [0, 7, 936732371],
  [1, 0, 3735928560], [1, 1, 3651735687], [1, 2, 3824081287], [1, 3, 488387996], [1, 4, 3913590708], [1, 5, 713606384], [1, 6, 2980658560], [1, 7, 1014185140],
  [3735928559, 0, 3176889822], [3735928559, 1, 4195302278], [3735928559, 2, 861760855], [3735928559, 3, 3010149055], [3735928559, 4, 1039588229],
  [3735928559, 5, 922210568], [3735928559, 6, 1502060145], [3735928559, 7, 2850668035],
];

/** Every key of map `m` from user space: the first, then the next of each, until -ENOENT (a walk longer than any map here is an error). */
function walk(s: Session, m: number | string): number[] {
  const keys: number[] = [];
  for (let k = s.mapGetNextKey(m, null); k >= 0; k = s.mapGetNextKey(m, k)) {
    keys.push(k);
    if (keys.length > 10_000) throw new Error(`the walk of map ${m} does not end: ${keys.slice(0, 20).join(', ')}, …`);
  }
  return keys;
}

describe('jhash2', () => {
  test('is lookup3\'s hashword: every length from 0 to 7 words (the mix of full groups of three, the final mix of the rest), three seeds', () => {
    for (const [seed, n, want] of HASHWORD) expect([seed, n, jhash2(WORDS.slice(0, n), seed)]).toEqual([seed, n, want]);
  });
});

describe('BPF_MAP_GET_NEXT_KEY', () => {
  test('a hash map walks its buckets, each from its newest element; BPF_F_ZERO_SEED seeds with 0', () => {
    // Eight keys in a map of 8: eight buckets, key k in bucket jhash2([k], 0) & 7 (lookup3 above).
    const s = new Session({ hashrnd: 12345 });
    const m = s.createMap({ type: 'hash', maxEntries: 8, flags: ZERO_SEED }) as number;
    for (let k = 0; k < 8; k += 1) expect(s.mapUpdate(m, k, new Uint8Array(8))).toBe(0);
    const bucket = (k: number): number => jhash2([k], 0) & 7;
    const want = [7, 6, 5, 4, 3, 2, 1, 0].sort((a, b) => bucket(a) - bucket(b)); // a stable sort: newest first within a bucket
    expect(walk(s, m)).toEqual(want);
    // A key not in the map starts over; after the last, -ENOENT.
    expect(s.mapGetNextKey(m, 99)).toBe(want[0]);
    expect(s.mapGetNextKey(m, want[7] as number)).toBe(-ENOENT);
  });

  test('a bucket\'s list is its keys newest first, whatever their values: five keys of one bucket linked out of order', () => {
    // Keys of bucket 0 of a map of 8 (jhash2([k], 0) & 7 === 0), linked in an order unlike their values'.
    const inBucket0: number[] = [];
    for (let k = 0; inBucket0.length < 5; k += 1) if ((jhash2([k], 0) & 7) === 0) inBucket0.push(k);
    const [k0, k1, k2, k3, k4] = inBucket0 as [number, number, number, number, number];
    const s = new Session();
    const m = s.createMap({ type: 'hash', maxEntries: 8, flags: ZERO_SEED }) as number;
    for (const k of [k4, k1, k3, k0, k2]) expect(s.mapUpdate(m, k, new Uint8Array(8))).toBe(0);
    // hlist_nulls_add_head_rcu: the last linked first.
    expect(walk(s, m)).toEqual([k2, k0, k3, k1, k4]);
    // A replacing update links the key again, at the head.
    expect(s.mapUpdate(m, k3, new Uint8Array(8))).toBe(0);
    expect(walk(s, m)).toEqual([k3, k2, k0, k1, k4]);
  });

  test('the world\'s hashrnd seeds a map created without BPF_F_ZERO_SEED', () => {
    const orders = new Set<string>();
    for (const hashrnd of [0, 1, 2, 0xdeadbeef]) {
      const s = new Session({ hashrnd });
      const m = s.createMap({ type: 'hash', maxEntries: 16 }) as number;
      for (let k = 0; k < 16; k += 1) s.mapUpdate(m, k, new Uint8Array(8));
      const bucket = (k: number): number => jhash2([k], hashrnd) & 15;
      expect(walk(s, m)).toEqual(Array.from({ length: 16 }, (_, i) => 15 - i).sort((a, b) => bucket(a) - bucket(b)));
      orders.add(walk(s, m).join());
    }
    expect(orders.size).toBeGreaterThan(1);
  });

  test('a replacing update moves the key to its bucket\'s head; a PERCPU_HASH update in place does not', () => {
    // Three keys of one bucket, in a map of 4 (4 buckets; room for a fourth element, so that no LRU
    // update evicts: an LRU_PERCPU_HASH takes a node before it finds the key present).
    for (const type of ['hash', 'lru_hash', 'percpu_hash', 'lru_percpu_hash'] as const) {
      const s = new Session();
      const m = s.createMap({ type, maxEntries: 4, valueSize: 8 }) as number;
      const same = [0, ...Array.from({ length: 64 }, (_, i) => i + 1).filter((k) => (jhash2([k], 0) & 3) === (jhash2([0], 0) & 3))].slice(0, 3);
      for (const k of same) expect(s.bpf_map_update_elem(m, k, new Uint8Array(8), 0n)).toBe(0);
      expect(walk(s, m)).toEqual([...same].reverse());
      expect(s.bpf_map_update_elem(m, same[0] as number, new Uint8Array(8), 0n)).toBe(0);
      const inPlace = type === 'percpu_hash' || type === 'lru_percpu_hash';
      expect([type, walk(s, m)]).toEqual([type, inPlace ? [...same].reverse() : [same[0], same[2], same[1]]]);
    }
  });

  test('every world walks its own buckets: walks of earlier worlds after later updates and deletes, and of a large map, are their bucket order', () => {
    // Updates (key, true) and deletes (key, false) of keys 0–299 on a HASH of `max` entries; the
    // worlds after each step walked in a random order, each walk against the buckets of that world.
    const stepsArb = fc.array(fc.tuple(fc.nat(299), fc.boolean()), { minLength: 1, maxLength: 40 });
    fc.assert(fc.property(fc.integer({ min: 1, max: 3000 }), stepsArb, fc.array(fc.nat(), { minLength: 1, maxLength: 12 }), fc.array(fc.nat(299), { maxLength: 20 }), (max, steps, order, probes) => {
      const s = new Session();
      const m = s.createMap({ type: 'hash', maxEntries: max, valueSize: 4, flags: ZERO_SEED }) as number;
      for (let k = 0; k < Math.min(max, 150); k += 1) s.mapUpdate(m, k * 2, new Uint8Array(4));
      let linked = Array.from({ length: Math.min(max, 150) }, (_, k) => k * 2);
      const worlds = [{ w: s.world, linked }];
      for (const [key, up] of steps) {
        if (up) {
          if (s.mapUpdate(m, key, new Uint8Array(4)) === 0) linked = [...linked.filter((x) => x !== key), key];
        } else if (s.mapDelete(m, key) === 0) linked = linked.filter((x) => x !== key);
        worlds.push({ w: s.world, linked });
      }
      const n = 2 ** Math.ceil(Math.log2(max));
      for (const i of order) {
        const at = worlds[i % worlds.length] as (typeof worlds)[number];
        s.world = at.w;
        const want = Array.from({ length: n }, () => [] as number[]);
        for (const k of at.linked) (want[jhash2([k], 0) & (n - 1)] as number[]).unshift(k);
        const flat = want.flat();
        expect(walk(s, m)).toEqual(flat);
        // Keys asked in any order: a key's next in the walk (-ENOENT after the last), the first for a key not there.
        for (const p of probes) {
          const i = flat.indexOf(p);
          expect([p, s.mapGetNextKey(m, p)]).toEqual([p, i < 0 ? (flat[0] ?? -ENOENT) : (flat[i + 1] ?? -ENOENT)]);
        }
      }
    }));
  });

  test('a transition\'s draft walks its buckets as they are now: links and unlinks after the listing, any number, with walks between', () => {
    // A map of `max` entries (hash seed 0) with keys linked in a world, then drafted (as a transition
    // does) and changed by link and unlink; between changes, walks asked from random buckets and keys,
    // against each bucket's list kept here (newest first).
    type Step = { readonly op: 'link' | 'unlink' | 'first' | 'next' | 'after'; readonly key: number };
    const stepArb = fc.record({ op: fc.constantFrom('link' as const, 'link' as const, 'link' as const, 'unlink' as const, 'first' as const, 'next' as const, 'after' as const), key: fc.nat(599) });
    const engine = new Immer({ autoFreeze: false });
    // `burst`: links and unlinks made before the steps, sometimes more than the draft keeps (over 1,024
    // and over twice the map's elements: the walk then lists the draft anew).
    const burstArb = fc.oneof(fc.constant(0), fc.integer({ min: 1000, max: 2500 }));
    fc.assert(fc.property(fc.integer({ min: 1, max: 1024 }), fc.array(fc.nat(599), { maxLength: 400, size: 'max' }), burstArb, fc.nat(), fc.array(stepArb, { maxLength: 600, size: 'max' }), (max, initial, burst, seed, steps: Step[]) => {
      const n = nBuckets(max);
      const lists = Array.from({ length: n }, () => [] as { key: number; slot: number }[]);
      const where = (key: number): number => jhash2([key], 0) & (n - 1);
      const without = (key: number): { key: number; slot: number }[] => (lists[where(key)] as { key: number; slot: number }[]).filter((e) => e.key !== key);
      let slots = 0;
      // Link `key` in `on` to new memory, and at the head of its bucket's list here.
      const linkBoth = (on: BpfMap, key: number): void => {
        link(on, key, slots);
        lists[where(key)] = [{ key, slot: slots }, ...without(key)];
        slots += 1;
      };
      const world: BpfMap = { name: 'm', maxEntries: max, hashrnd: 0, elems: new SlotTable<MapElem>(), links: 0 } as BpfMap;
      for (const key of initial) linkBoth(world, key);
      const draft = engine.createDraft({ m: world });
      const m = draft.m as BpfMap;
      const firstFrom = (from: number): BucketElem | null => {
        for (let b = from; b < n; b += 1) {
          const head = lists[b]?.[0];
          if (head !== undefined) return { ...head, bucket: b };
        }
        return null;
      };
      const nextOf = (key: number): BucketElem | null | undefined => {
        const list = lists[where(key)] as { key: number; slot: number }[];
        const i = list.findIndex((e) => e.key === key);
        if (i < 0) return undefined;
        const next = list[i + 1];
        return next === undefined ? null : { ...next, bucket: where(key) };
      };
      // Unlink `key` from the draft (which had it when the list here has it), and from the list here.
      const unlinkBoth = (key: number): void => {
        const had = nextOf(key) !== undefined;
        expect([key, unlink(m, key) !== undefined]).toEqual([key, had]);
        lists[where(key)] = without(key);
      };
      for (let i = 0; i < burst; i += 1) {
        const key = (seed + i * 7919) % 600;
        if (((seed >> (i % 16)) & 1) === 0) linkBoth(m, key);
        else unlinkBoth(key);
      }
      for (const { op, key } of steps) {
        const buckets = bucketsOf(m, false);
        if (op === 'link') linkBoth(m, key);
        else if (op === 'unlink') unlinkBoth(key);
        else if (op === 'first') expect([op, key % n, buckets.first(key % n)]).toEqual([op, key % n, firstFrom(key % n)]);
        else if (op === 'next') expect([op, key, buckets.next(key)]).toEqual([op, key, nextOf(key) ?? null]);
        else {
          const next = nextOf(key);
          expect([op, key, buckets.after(key)]).toEqual([op, key, next === undefined ? undefined : (next ?? firstFrom(where(key) + 1))]);
        }
      }
      // The whole walk at the end, from the first key.
      const keys: number[] = [];
      const b = bucketsOf(m, false);
      for (let e = b.first(0); e !== null && keys.length <= 600; e = b.after(e.key) ?? null) keys.push(e.key);
      expect(keys).toEqual(lists.flat().map((e) => e.key));
      // The world's map is as it was: its own walk is the keys linked there.
      expect(world.elems.size).toBe(new Set(initial).size);
    }), { numRuns: 150 });
  });

  test('an array walks its indexes: 0 after NULL or an index out of range, -ENOENT after the last', () => {
    const s = new Session();
    const a = s.createMap({ type: 'percpu_array', maxEntries: 3 }) as number;
    expect([s.mapGetNextKey(a, null), s.mapGetNextKey(a, 0), s.mapGetNextKey(a, 1), s.mapGetNextKey(a, 2), s.mapGetNextKey(a, 3), s.mapGetNextKey(a, 0xffffffff)]).toEqual([0, 1, 2, -ENOENT, 0, 0]);
  });

  test('a ring buffer has no keys: NULL is -ENOTSUPP, a key -EINVAL (its key_size is 0); an empty hash map -ENOENT', () => {
    const s = new Session();
    const rb = s.createMap({ type: 'ringbuf', maxEntries: 4096 }) as number;
    expect([s.mapGetNextKey(rb, null), s.mapGetNextKey(rb, 0)]).toEqual([-ENOTSUPP, -EINVAL]);
    const h = s.createMap({ type: 'hash', maxEntries: 4 }) as number;
    expect([s.mapGetNextKey(h, null), s.mapGetNextKey(h, 3)]).toEqual([-ENOENT, -ENOENT]);
  });

  test('a task\'s script asks for the next key: 0 and the key in the global, or the errno (the global unchanged)', () => {
    const s = new Session({ hashrnd: 99 });
    s.load({ name: 'o', maps: [{ name: 'h', type: 'hash', maxEntries: 4, valueSize: 8, taskWorkFields: 0, flags: ZERO_SEED }], globals: [{ name: 'k', kind: 'u32', init: 77 }], programs: [], subprogs: [] });
    const order = [2, 3].sort((a, b) => (jhash2([a], 0) & 3) - (jhash2([b], 0) & 3) || b - a);
    const pid = s.spawn({ comm: 'user', script: [
      { sys: 'map_get_next_key', map: 'h', into: 'k' },
      { sys: 'map_update', map: 'h', key: 2 }, { sys: 'map_update', map: 'h', key: 3 },
      { sys: 'map_get_next_key', map: 'h', key: order[0], into: 'k' },
      { sys: 'map_get_next_key', map: 'h', key: order[1] },
    ] });
    s.simulate();
    expect(s.world.tasks.get(pid)?.results).toEqual([BigInt(-ENOENT), 0n, 0n, 0n, BigInt(-ENOENT)]);
    expect(s.global('k')).toBe(BigInt(order[1] as number));
    expect(s.trace()).toContain(`bpf(BPF_MAP_GET_NEXT_KEY, h, ${order[0]}) into k`);
    expect(() => parseScenario({ name: 'x', files: [], objects: [{ name: 'o', maps: [{ name: 'h', type: 'hash', maxEntries: 4 }], globals: [{ name: 'b', kind: 'bytes', size: 4 }], programs: [] }],
      tasks: [{ comm: 't', script: [{ sys: 'map_get_next_key', map: 'h', into: 'b' }] }] }, 'x.json')).toThrow(/into.*an int, u32 or u64 global/);
  });

  test('misuse: a key that is no integer, a map that does not exist, a hashrnd no u32 holds', () => {
    const s = new Session();
    const h = s.createMap({ type: 'hash', maxEntries: 4 }) as number;
    // A key is a C u32: -1 is 0xffffffff, as for the other map syscalls.
    s.mapUpdate(h, 0xffffffff, new Uint8Array(8));
    expect(s.mapGetNextKey(h, -1)).toBe(-ENOENT);
    expect(() => s.mapGetNextKey(h, 1.5)).toThrow(ArgumentError);
    expect(() => s.mapGetNextKey(h, '1' as unknown as number)).toThrow(ArgumentError);
    expect(() => s.mapGetNextKey(99, null)).toThrow(/map/);
    expect(() => new Session({ hashrnd: -1 })).toThrow(ArgumentError);
    expect(() => new Session({ hashrnd: 2 ** 32 })).toThrow(ArgumentError);
    expect(() => parseScenario({ name: 'x', hashrnd: 2 ** 32, files: [], objects: [], tasks: [] }, 'x.json')).toThrow(/hashrnd/);
    expect(parseScenario({ name: 'x', hashrnd: 7, files: [], objects: [], tasks: [] }, 'x.json').hashrnd).toBe(7);
  });
});

describe('BPF_MAP_CREATE', () => {
  const F = { NO_PREALLOC: 1, NO_COMMON_LRU: 2, NUMA_NODE: 4, RDONLY: 8, WRONLY: 16, STACK_BUILD_ID: 32, RDONLY_PROG: 128, WRONLY_PROG: 256, MMAPABLE: 1024, PRESERVE_ELEMS: 2048, INNER_MAP: 4096 };
  type Spec = Parameters<Session['createMap']>[0];
  // Each line: the map, and what the kernel's checks give (0: made), with the check that decides.
  const table: readonly [Spec, number, string][] = [
    [{ type: 'hash', maxEntries: 0 }, -EINVAL, 'htab_map_alloc_check: max_entries 0'],
    [{ type: 'hash', maxEntries: 4, keySize: 0 }, -EINVAL, 'key_size 0'],
    [{ type: 'hash', maxEntries: 4, valueSize: 0 }, -EINVAL, 'value_size 0'],
    [{ type: 'hash', maxEntries: 4, valueSize: 0, taskWorkFields: 1 }, 0, 'value_size is the whole value: its bpf_task_work field'],
    [{ type: 'hash', maxEntries: 4, flags: F.STACK_BUILD_ID }, -EINVAL, 'a flag outside HTAB_CREATE_FLAG_MASK'],
    [{ type: 'hash', maxEntries: 4, flags: 1 << 20 }, -EINVAL, 'an unknown flag'],
    [{ type: 'hash', maxEntries: 4, flags: F.MMAPABLE }, -EINVAL, 'an array\'s flag'],
    [{ type: 'hash', maxEntries: 4, flags: F.NO_COMMON_LRU }, -EINVAL, 'BPF_F_NO_COMMON_LRU on a map that is no LRU'],
    [{ type: 'hash', maxEntries: 4, flags: F.RDONLY_PROG | F.WRONLY_PROG }, -EINVAL, 'bpf_map_flags_access_ok'],
    [{ type: 'hash', maxEntries: 4, flags: F.RDONLY | F.WRONLY }, -EINVAL, 'bpf_get_file_flag'],
    [{ type: 'hash', maxEntries: 4, flags: F.NUMA_NODE | ZERO_SEED }, 0, 'node 0, and a zero seed'],
    [{ type: 'hash', maxEntries: 2 ** 28 }, -E2BIG, 'htab_map_alloc: 2^28 buckets of 16 bytes pass U32_MAX'],
    [{ type: 'hash', maxEntries: 2 ** 31 + 1 }, -E2BIG, 'more than 2^31 entries'],
    [{ type: 'percpu_hash', maxEntries: 4, flags: F.NUMA_NODE }, -EINVAL, 'a per-CPU map on a node'],
    [{ type: 'lru_hash', maxEntries: 4, flags: F.NO_PREALLOC }, -ENOTSUPP, 'an LRU is preallocated'],
    [{ type: 'lru_percpu_hash', maxEntries: 4, flags: F.NO_COMMON_LRU | F.NUMA_NODE }, -EINVAL, 'a per-CPU LRU on a node'],
    [{ type: 'array', maxEntries: 0 }, -EINVAL, 'array_map_alloc_check: max_entries 0'],
    [{ type: 'array', maxEntries: 4, keySize: 8 }, -EINVAL, 'an array key is 4 bytes'],
    [{ type: 'array', maxEntries: 4, valueSize: 0 }, -EINVAL, 'value_size 0'],
    [{ type: 'array', maxEntries: 4, flags: ZERO_SEED }, -EINVAL, 'a hash map\'s flag'],
    [{ type: 'array', maxEntries: 4, flags: F.NO_PREALLOC }, -EINVAL, 'an array is preallocated'],
    [{ type: 'array', maxEntries: 4, flags: F.MMAPABLE | F.INNER_MAP | F.NUMA_NODE }, 0, 'an ARRAY\'s flags'],
    [{ type: 'array', maxEntries: 4, flags: F.PRESERVE_ELEMS }, -EINVAL, 'a perf event array\'s flag'],
    [{ type: 'percpu_array', maxEntries: 4, flags: F.MMAPABLE }, -EINVAL, 'BPF_F_MMAPABLE on a PERCPU_ARRAY'],
    [{ type: 'percpu_array', maxEntries: 4, flags: F.INNER_MAP }, -EINVAL, 'BPF_F_INNER_MAP on a PERCPU_ARRAY'],
    [{ type: 'percpu_array', maxEntries: 4, flags: F.NUMA_NODE }, -EINVAL, 'a per-CPU array on a node'],
  ];
  test.each(table)('%o → %i (%s)', (spec, want) => {
    const s = new Session();
    const got = s.createMap(spec);
    expect(want === 0 ? (got > 0 ? 0 : got) : got).toBe(want);
  });

  test('what the model does not have (a key of 8 bytes, a BPF token) is a NotModelledError, after the kernel\'s own checks', () => {
    const s = new Session();
    expect(() => s.createMap({ type: 'hash', maxEntries: 4, keySize: 8 })).toThrow(NotModelledError);
    expect(() => s.createMap({ type: 'hash', maxEntries: 4, flags: 1 << 16 })).toThrow(/BPF_F_TOKEN_FD/);
    // The kernel's refusal comes first: a key of 8 bytes with an unknown flag is -EINVAL.
    expect(s.createMap({ type: 'hash', maxEntries: 4, keySize: 8, flags: 32 })).toBe(-EINVAL);
  });

  test('the rendered C names BPF_F_ZERO_SEED', () => {
    const c = renderC({ name: 'o', maps: [{ name: 'm', type: 'hash', maxEntries: 4, valueSize: 8, taskWorkFields: 0, flags: ZERO_SEED | 1 }], globals: [], subprogs: [], programs: [{ name: 'p', section: 'syscall', body: [P.ret(P.imm(0))] }] });
    expect(c).toContain('__uint(map_flags, BPF_F_NO_PREALLOC | BPF_F_ZERO_SEED);');
  });
});

describe('map_create\'s order: the fd\'s mode against a type\'s checks (version.ts mapFileFlagFirst)', () => {
  test('BPF_F_RDONLY with BPF_F_WRONLY and a per-CPU value past PCPU_MIN_UNIT_SIZE: -EINVAL before 7.2, -E2BIG on 7.2', () => {
    const create = (version: '6.18' | '7.2', type: 'percpu_hash' | 'lru_percpu_hash' | 'bloom_filter', value: number): number =>
      new Session({ version }).createMap({ type, maxEntries: 4, valueSize: value, flags: 8 | 16, ...(type === 'bloom_filter' ? { keySize: 0 } : {}) });
    expect(create('6.18', 'percpu_hash', 32769)).toBe(-EINVAL);
    expect(create('7.2', 'percpu_hash', 32769)).toBe(-E2BIG);
    expect(create('6.18', 'lru_percpu_hash', 65535)).toBe(-EINVAL);
    expect(create('7.2', 'lru_percpu_hash', 65535)).toBe(-E2BIG);
    // A bloom filter of 4 MiB + 1 is -E2BIG in its alloc check on 7.2; 6.18 refuses the mode first.
    expect(create('6.18', 'bloom_filter', (1 << 22) + 1)).toBe(-EINVAL);
    expect(create('7.2', 'bloom_filter', (1 << 22) + 1)).toBe(-E2BIG);
  });
});
