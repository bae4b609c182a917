/**
 * BLOOM_FILTER maps (src/model/maps/bloom.ts) and the Jenkins hash they use (src/model/kernel/jhash.ts).
 * Expected values are worked out by hand from kernel/bpf/bloom_filter.c, kernel/bpf/syscall.c and the
 * verifier (7.2.13; the same in 6.18), and, for the hash, from Bob Jenkins' published test values of
 * lookup3.c's `hashlittle`, which the kernel's `jhash` is on a little-endian machine.
 */
import { describe, expect, test } from 'vitest';
import { NotModelledError, program as P, Session, verify, type BpfObject, type MapDecl, type Op } from '../src/index.ts';
import { jhash, jhash2 } from '../src/model/kernel/jhash.ts';
import { bloomGeometry } from '../src/model/maps/bloom.ts';

const EINVAL = -22;
const ENOENT = -2;
const EOPNOTSUPP = -95;
const ENOTSUPP = -524;
const EPERM = -1;
const ZERO_SEED = 64;

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const u32 = (v: number): Uint8Array => Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);

describe('jhash (include/linux/jhash.h)', () => {
  test('lookup3.c\'s driver values of hashlittle: "" with seeds 0 and 0xdeadbeef, "Four score and seven years ago" with 0 and 1', () => {
    expect(jhash(new Uint8Array(0), 0)).toBe(0xdeadbeef);
    expect(jhash(new Uint8Array(0), 0xdeadbeef)).toBe(0xbd5b7dde);
    expect(jhash(text('Four score and seven years ago'), 0)).toBe(0x17770551);
    expect(jhash(text('Four score and seven years ago'), 1)).toBe(0xcd628161);
  });
  test('on whole little-endian words, jhash and jhash2 agree (both add the same words into the same places)', () => {
    for (const n of [1, 2, 3, 4, 6, 7]) {
      const words = Array.from({ length: n }, (_, i) => (0x9e3779b9 * (i + 1)) | 0);
      const bytes = new Uint8Array(words.flatMap((w) => [...u32(w)]));
      expect(jhash(bytes, 77)).toBe(jhash2(words, 77));
    }
  });
});

describe('geometry (bloom_map_alloc)', () => {
  test('max_entries × hashes × 7 / 5 bits (the division first), at least 64, rounded up to a power of two; map_extra 0 means 5 hashes', () => {
    expect(bloomGeometry(4, 0)).toEqual({ nrHash: 5, mask: 63 }); // 20 / 5 × 7 = 28 → 64
    expect(bloomGeometry(10, 0)).toEqual({ nrHash: 5, mask: 127 }); // 50 / 5 × 7 = 70 → 128
    expect(bloomGeometry(100_000, 3)).toEqual({ nrHash: 3, mask: 2 ** 19 - 1 }); // 420,000 → 524,288
    expect(bloomGeometry(3, 1)).toEqual({ nrHash: 1, mask: 63 }); // 3 / 5 = 0 → 64
  });
  test('2^31 bits exactly stay; more, or a u32 overflow of either product, is 2^32 bits (mask U32_MAX)', () => {
    // 5 × 2^28 / 5 × 7 = 1,879,048,192 → rounded up to 2^31.
    expect(bloomGeometry(2 ** 28, 5)).toEqual({ nrHash: 5, mask: 2 ** 31 - 1 });
    // 15 × 2^27 = 2,013,265,920; / 5 × 7 = 2,818,572,288 > 2^31.
    expect(bloomGeometry(2 ** 27, 15)).toEqual({ nrHash: 15, mask: 0xffff_ffff });
    // 2^31 × 15 overflows a u32.
    expect(bloomGeometry(2 ** 31, 15)).toEqual({ nrHash: 15, mask: 0xffff_ffff });
    // 0xffffffff × 1 fits; / 5 × 7 = 6,012,954,209 overflows.
    expect(bloomGeometry(0xffff_ffff, 1)).toEqual({ nrHash: 1, mask: 0xffff_ffff });
  });
});

describe('creation (bloom_map_alloc_check, bloom_map_alloc, map_create\'s map_extra)', () => {
  const create = (o: Partial<MapDecl>): number => new Session().createMap({ type: 'bloom_filter', maxEntries: 4, valueSize: 8, ...o });
  test('no key, entries and a value; NUMA, ZERO_SEED and the access flags; map_extra up to 15', () => {
    expect(create({})).toBeGreaterThan(0);
    expect(create({ flags: 4 | 64 | 128, mapExtra: 15 })).toBeGreaterThan(0);
    expect(create({ keySize: 4 })).toBe(EINVAL);
    expect(create({ maxEntries: 0 })).toBe(EINVAL);
    expect(create({ valueSize: 0 })).toBe(EINVAL);
    expect(create({ mapExtra: 16 })).toBe(EINVAL);
    for (const flags of [1, 2, 1024, 128 | 256]) expect(create({ flags })).toBe(EINVAL);
  });
  test('a value of 4 MiB is taken, one byte more is -E2BIG (KMALLOC_MAX_SIZE), before the other checks', () => {
    expect(create({ valueSize: 1 << 22 })).toBeGreaterThan(0);
    expect(create({ valueSize: (1 << 22) + 1, keySize: 4 })).toBe(-7);
  });
  test('2^32 bits cost nothing: the model keeps the bits set, not the array', () => {
    const s = new Session();
    const b = s.createMap({ type: 'bloom_filter', maxEntries: 0xffff_ffff, valueSize: 4, mapExtra: 15 });
    expect(b).toBeGreaterThan(0);
    expect(s.mapUpdate(b, null, u32(1))).toBe(0);
    expect(s.mapLookup(b, null, u32(1))).toBe(0);
  });
  test('map_extra on any other type is -EINVAL ("Invalid map_extra.")', () => {
    const s = new Session();
    expect(s.createMap({ type: 'hash', maxEntries: 4, mapExtra: 1 })).toBe(EINVAL);
    expect(s.createMap({ type: 'array', maxEntries: 4, mapExtra: 5 })).toBe(EINVAL);
    expect(s.createMap({ type: 'queue', maxEntries: 4, keySize: 0, mapExtra: 1 })).toBe(EINVAL);
    expect(s.createMap({ type: 'ringbuf', maxEntries: 4096, mapExtra: 1 })).toBe(EINVAL);
  });
  test('special fields are not modelled (the kernel refuses them; libbpf then makes the map without BTF)', () => {
    expect(() => create({ taskWorkFields: 1 })).toThrow(NotModelledError);
  });
});

describe('push and peek, from user space (NULL key)', () => {
  const session = (maxEntries = 4, mapExtra = 0, valueSize = 4): [Session, number] => {
    const s = new Session();
    const b = s.createMap({ type: 'bloom_filter', maxEntries, valueSize, flags: ZERO_SEED, mapExtra });
    return [s, b];
  };
  test('a pushed value is found; an empty filter finds nothing; a peek only reads its buffer', () => {
    const [s, b] = session();
    expect(s.mapLookup(b, null, u32(7))).toBe(ENOENT);
    expect(s.mapUpdate(b, null, u32(7))).toBe(0);
    const q = u32(7);
    expect(s.mapLookup(b, null, q)).toBe(0);
    expect([...q]).toEqual([7, 0, 0, 0]);
  });
  test('a peek answers 0 exactly when every bit of the value\'s hashes is set: an oracle with the kernel\'s bit array', () => {
    // One hash in 64 bits, 12 values pushed: the oracle sets bit jhash2([v], 0) & 63 for each.
    const [s, b] = session(1, 1);
    const bits = new Uint32Array(2);
    const bit = (v: number): number => jhash2([v], 0) & 63;
    for (let v = 0; v < 12; v += 1) {
      expect(s.mapUpdate(b, null, u32(v))).toBe(0);
      const h = bit(v);
      bits[h >>> 5] = (bits[h >>> 5] as number) | (1 << (h & 31));
    }
    let positives = 0;
    for (let v = 100; v < 164; v += 1) {
      const h = bit(v);
      const want = ((bits[h >>> 5] as number) >>> (h & 31)) & 1 ? 0 : ENOENT;
      if (want === 0) positives += 1;
      expect(s.mapLookup(b, null, u32(v))).toBe(want);
    }
    // Some false positives, not all: the oracle's answers are not all one.
    expect(positives).toBeGreaterThan(0);
    expect(positives).toBeLessThan(64);
  });
  test('hash i is seeded with hash_seed + i; a value whose size is not a multiple of 4 goes through jhash', () => {
    const [s, b] = session(1, 2, 5);
    const v = Uint8Array.of(1, 2, 3, 4, 5);
    expect(s.mapUpdate(b, null, v)).toBe(0);
    const hs = [jhash(v, 0) & 63, jhash(v, 1) & 63];
    // Another 5-byte value whose two bits are among those set is a false positive, one that needs a
    // bit not set is not: found by search over the oracle, then asked of the model.
    const pos = Array.from({ length: 4000 }, (_, i) => Uint8Array.of(i & 0xff, i >> 8, 9, 9, 9)).find((w) => hs.includes(jhash(w, 0) & 63) && hs.includes(jhash(w, 1) & 63));
    expect(pos).toBeDefined();
    expect(s.mapLookup(b, null, pos as Uint8Array)).toBe(0);
    const neg = Uint8Array.of(0, 0, 9, 9, 9);
    expect(hs.includes(jhash(neg, 0) & 63) && hs.includes(jhash(neg, 1) & 63)).toBe(false);
    expect(s.mapLookup(b, null, neg)).toBe(ENOENT);
  });
  test('the seed: BPF_F_ZERO_SEED is 0, else the world\'s get_random_u32 (hashrnd), which changes the bits', () => {
    const bitsOf = (hashrnd: number, flags: number): number => {
      const s = new Session({ hashrnd });
      const b = s.createMap({ type: 'bloom_filter', maxEntries: 1, valueSize: 4, mapExtra: 1, flags });
      s.mapUpdate(b, null, u32(1));
      // Which of 0..63 answer 0 decides the one bit set; with one hash, the value 1 itself is one.
      return Array.from({ length: 200 }, (_, v) => s.mapLookup(b, null, u32(v))).findIndex((r, v) => r === 0 && v !== 1);
    };
    expect(bitsOf(12345, ZERO_SEED)).toBe(bitsOf(0, 0));
    const h0 = jhash2([1], 0) & 63;
    const h1 = jhash2([1], 12345) & 63;
    expect(h0).not.toBe(h1);
    const s = new Session({ hashrnd: 12345 });
    const b = s.createMap({ type: 'bloom_filter', maxEntries: 1, valueSize: 4, mapExtra: 1 });
    s.mapUpdate(b, null, u32(1));
    const other = Array.from({ length: 500 }, (_, v) => v).find((v) => (jhash2([v], 12345) & 63) === h1 && v !== 1) as number;
    expect(s.mapLookup(b, null, u32(other))).toBe(0);
  });
  test('what a bloom filter refuses: flags, a key, delete, get_next_key, pop, batches; a frozen one takes no push', () => {
    const [s, b] = session();
    expect(s.mapUpdate(b, null, u32(1), 1)).toBe(EINVAL);
    expect(s.mapUpdate(b, null, u32(1), 2)).toBe(EINVAL);
    expect(s.mapUpdate(b, null, u32(1), 4)).toBe(EINVAL);
    expect(s.mapLookup(b, null, u32(1))).toBe(ENOENT);
    expect(s.mapUpdate(b, 0, u32(1))).toBe(EINVAL);
    expect(s.mapLookup(b, 0, u32(1))).toBe(EINVAL);
    expect(s.mapLookup(b, null, u32(1), 4)).toBe(EINVAL);
    expect(s.mapDelete(b, null)).toBe(EOPNOTSUPP);
    expect(s.mapDelete(b, 0)).toBe(EINVAL);
    expect(s.mapGetNextKey(b, null)).toBe(EOPNOTSUPP);
    expect(s.mapGetNextKey(b, 0)).toBe(EINVAL);
    expect(s.mapLookupAndDelete(b, null, u32(1))).toBe(ENOTSUPP);
    expect(s.mapLookupAndDelete(b, 0, u32(1))).toBe(EINVAL);
    expect(s.mapLookupBatch(b, null, 1).ret).toBe(ENOTSUPP);
    expect(s.mapFreeze(b)).toBe(0);
    expect(s.mapUpdate(b, null, u32(1))).toBe(EPERM);
  });
  test('an earlier world keeps its bits', () => {
    const [s, b] = session();
    const before = s.world;
    expect(s.mapUpdate(b, null, u32(3))).toBe(0);
    const bits = (w: typeof before): number => w.maps.get(b)?.bloom?.bits.size ?? -1;
    expect(bits(before)).toBe(0);
    expect(bits(s.world)).toBeGreaterThan(0);
    expect(s.mapLookup(b, null, u32(3))).toBe(0);
  });
});

describe('programs: bpf_map_push_elem and bpf_map_peek_elem', () => {
  const obj = (body: Op[], section = 'tc', type: MapDecl['type'] = 'bloom_filter'): BpfObject => ({
    name: 'o', subprogs: [], globals: [{ name: 'rets', kind: 'u64s', size: 8 }],
    maps: [{ name: 'b', type, maxEntries: 4, valueSize: 4, taskWorkFields: 0, flags: ZERO_SEED }],
    programs: [{ name: 'p', section, locals: [P.local('v', { bytes: 8 }, 'zero')], body: [...body, P.ret(P.imm(0))] }],
  });
  test('a program pushes and peeks; user space sees the same filter; the peek leaves its buffer as it was', () => {
    const s = new Session();
    const body: Op[] = [
      P.st(4, P.buf('v'), 0, P.imm(9)), P.call('bpf_map_push_elem', [P.map('b'), P.buf('v'), P.imm(0)], 'n'), P.storeAt('rets', 0, P.r('n')),
      P.call('bpf_map_peek_elem', [P.map('b'), P.buf('v')], 'n'), P.storeAt('rets', 1, P.r('n')), P.ld('x', 4, P.buf('v'), 0), P.storeAt('rets', 2, P.r('x')),
      P.call('bpf_map_push_elem', [P.map('b'), P.buf('v'), P.imm(2)], 'n'), P.storeAt('rets', 3, P.r('n')),
    ];
    expect(s.load(obj(body))).toBeGreaterThan(0);
    const r = s.progTestRun('p', { data: new Uint8Array(64) });
    expect(r.err).toBe(0);
    const g = s.global('rets') as Uint8Array;
    const at = (i: number): bigint => new DataView(g.buffer, g.byteOffset).getBigInt64(8 * i, true);
    expect([at(0), at(1), at(2), at(3)]).toEqual([0n, 0n, 9n, BigInt(EINVAL)]);
    expect(s.mapLookup('b', null, u32(9))).toBe(0);
  });
  test('the verifier: pop refused, peek taken; a sleepable program may not use the map at all (a queue it may)', () => {
    const refused = (body: Op[], section = 'tc'): string | null => verify(obj(body, section), '7.2')[0]?.message ?? null;
    expect(refused([P.call('bpf_map_pop_elem', [P.map('b'), P.buf('v')], 'n')])).toBe('cannot pass map_type 30 into func bpf_map_pop_elem#88');
    expect(refused([P.call('bpf_map_peek_elem', [P.map('b'), P.buf('v')], 'n')])).toBe(null);
    expect(refused([P.call('bpf_map_peek_elem', [P.map('b'), P.buf('v')], 'n')], 'syscall')).toBe('Sleepable programs can only use array, hash, ringbuf and local storage maps');
    const s = new Session();
    expect(() => s.load(obj([P.call('bpf_map_peek_elem', [P.map('b'), P.buf('v')], 'n')], 'syscall'))).toThrow(expect.objectContaining({ errno: EINVAL }));
    // A queue in a sleepable program is allowed.
    expect(verify(obj([P.call('bpf_map_peek_elem', [P.map('b'), P.buf('v')], 'n')], 'syscall', 'queue'), '7.2')[0]?.ok).toBe(true);
  });
});
