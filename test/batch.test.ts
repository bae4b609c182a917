/**
 * User space's batch map commands (src/model/maps/batch.ts), read in kernel/bpf/syscall.c
 * (`bpf_map_do_batch`, `generic_map_lookup_batch`, `generic_map_update_batch`,
 * `generic_map_delete_batch`) and hashtab.c (`__htab_map_lookup_and_delete_batch`). The host tier's
 * `bt_*` cases (6.18) and the guest's `fbt_*` (7.2) run the same commands on the kernels.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ArgumentError, E2BIG, EINVAL, ENOENT, ENOSPC, ENOTSUPP, EPERM, Session } from '../src/index.ts';
import { jhash2 } from '../src/model/kernel/jhash.ts';

const ZERO_SEED = 64;

/** A HASH of `max` entries (BPF_F_ZERO_SEED) holding `keys`, 4-byte values `k + 100`. */
function hash(max: number, keys: readonly number[], flags = 0): { s: Session; m: number } {
  const s = new Session();
  const m = s.createMap({ type: 'hash', maxEntries: max, valueSize: 4, flags: ZERO_SEED | flags }) as number;
  for (const k of keys) s.bpf_map_update_elem(m, k, Uint8Array.of(k + 100, 0, 0, 0), 0);
  return { s, m };
}

/** The buckets of `keys` inserted in order into a map of `max` (a power of two) with seed 0: each bucket newest first. */
function buckets(max: number, keys: readonly number[]): number[][] {
  const out: number[][] = Array.from({ length: max }, () => []);
  for (const k of keys) (out[jhash2([k], 0) & (max - 1)] as number[]).unshift(k);
  return out;
}

describe('BPF_MAP_LOOKUP_BATCH on a hash map', () => {
  test('whole buckets from in_batch; a bucket past what is left stops the batch; the end is -ENOENT', () => {
    const keys = [0, 1, 2, 3, 4, 5, 6, 7];
    const { s, m } = hash(8, keys);
    const want = buckets(8, keys);
    // Everything: -ENOENT with every key, in bucket order, and out_batch the bucket count.
    const all = s.mapLookupBatch(m, null, 100);
    expect([all.ret, all.count, all.outBatch, all.keys]).toEqual([-ENOENT, 8, 8, want.flat()]);
    expect([...all.values].filter((_, i) => i % 4 === 0)).toEqual(want.flat().map((k) => k + 100));
    // Batches of 2: each stops before a bucket that no longer fits.
    let from: number | null = null;
    const seen: number[] = [];
    for (let i = 0; i < 20; i += 1) {
      const r = s.mapLookupBatch(m, from, 2);
      seen.push(...r.keys);
      if (r.ret !== 0) { expect(r.ret).toBe(-ENOENT); break; }
      from = r.outBatch;
    }
    expect(seen).toEqual(want.flat());
  });

  test('-ENOSPC when the first bucket is larger than count; in_batch past the buckets -ENOENT; count 0 does nothing; flags -EINVAL', () => {
    const keys = Array.from({ length: 64 }, (_, i) => i).filter((k) => (jhash2([k], 0) & 3) === 0).slice(0, 2);
    const { s, m } = hash(4, keys);
    expect(s.mapLookupBatch(m, null, 1)).toMatchObject({ ret: -ENOSPC, count: 0, outBatch: 0 });
    expect(s.mapLookupBatch(m, 4, 1)).toMatchObject({ ret: -ENOENT, count: 0, outBatch: null });
    expect(s.mapLookupBatch(m, null, 0)).toMatchObject({ ret: 0, count: 0, outBatch: null });
    expect(s.mapLookupBatch(m, null, 4, { flags: 1 })).toMatchObject({ ret: -EINVAL, count: 4 });
    expect(s.mapLookupBatch(m, null, 4, { elemFlags: 4 }).ret).toBe(-EINVAL);
  });

  test('a lookup-and-delete deletes what it copied', () => {
    const { s, m } = hash(8, [0, 1, 2, 3, 4, 5, 6, 7]);
    const r = s.mapLookupAndDeleteBatch(m, null, 3);
    expect(r.ret).toBe(0);
    const rest = s.mapLookupBatch(m, null, 100);
    expect(new Set([...r.keys, ...rest.keys])).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7]));
    expect(rest.count).toBe(8 - r.count);
  });
});

/** `roundup_pow_of_two(max)`. */
const pow2 = (max: number): number => 2 ** Math.ceil(Math.log2(max));

/**
 * The kernel's loop (`__htab_map_lookup_and_delete_batch`), written out over every bucket of `bkts`
 * (each newest first): from bucket `inBatch`, whole buckets while they fit in `count`.
 */
function kernelBatch(bkts: readonly (readonly number[])[], inBatch: number | null, count: number): { ret: number; outBatch: number | null; keys: number[] } {
  if (count === 0) return { ret: 0, outBatch: null, keys: [] };
  let batch = inBatch ?? 0;
  if (batch >= bkts.length) return { ret: -ENOENT, outBatch: null, keys: [] };
  const keys: number[] = [];
  for (;;) {
    const b = bkts[batch] as readonly number[];
    if (b.length > count - keys.length) return { ret: keys.length === 0 ? -ENOSPC : 0, outBatch: batch, keys };
    keys.push(...b);
    batch += 1;
    if (batch >= bkts.length) return { ret: -ENOENT, outBatch: batch, keys };
  }
}

describe('a batch walk of any hash map', () => {
  /** Updates (key, value byte) and deletes (key, null) of keys 0–99 on a HASH of `max` entries (BPF_F_ZERO_SEED). */
  const opsArb = fc.array(fc.tuple(fc.nat(99), fc.option(fc.nat(255), { nil: null })), { maxLength: 60 });
  const walkArb = fc.array(fc.record({ from: fc.option(fc.nat(), { nil: null }), count: fc.nat(24), del: fc.boolean() }), { minLength: 1, maxLength: 6 });

  test('each batch is the kernel loop over the buckets: keys, values, ret, out_batch; a lookup-and-delete leaves the rest', () => {
    fc.assert(fc.property(fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 65, max: 5000 })), opsArb, walkArb, (max, ops, walk) => {
      const s = new Session();
      const m = s.createMap({ type: 'hash', maxEntries: max, valueSize: 4, flags: ZERO_SEED }) as number;
      // The oracle: the keys in the order they were linked (an update of a present key links it anew) and their values.
      let linked: number[] = [];
      const value = new Map<number, number>();
      for (const [key, v] of ops) {
        if (v === null) {
          expect(s.mapDelete(m, key)).toBe(value.has(key) ? 0 : -ENOENT);
          linked = linked.filter((x) => x !== key);
          value.delete(key);
        } else {
          const full = !value.has(key) && value.size >= max;
          expect(s.mapUpdate(m, key, Uint8Array.of(v, key, 0, 0))).toBe(full ? -E2BIG : 0);
          if (full) continue;
          linked = [...linked.filter((x) => x !== key), key];
          value.set(key, v);
        }
      }
      const n = pow2(max);
      for (const { from, count, del } of walk) {
        const inBatch = from === null ? null : from % (n + 2);
        const want = kernelBatch(buckets(n, linked), inBatch, count);
        const got = del ? s.mapLookupAndDeleteBatch(m, inBatch, count) : s.mapLookupBatch(m, inBatch, count);
        expect([got.ret, got.count, got.outBatch, got.keys]).toEqual([want.ret, want.keys.length, want.outBatch, want.keys]);
        expect([...got.values]).toEqual(want.keys.flatMap((key) => [value.get(key), key, 0, 0]));
        if (del) {
          linked = linked.filter((x) => !want.keys.includes(x));
          for (const key of want.keys) value.delete(key);
        }
      }
      // What is left, walked whole.
      expect(s.mapLookupBatch(m, null, 100).keys).toEqual(buckets(n, linked).flat());
    }));
  });

  test('a map of 100,000 entries: its 131,072 buckets walked, the 16 keys in bucket order', () => {
    const keys = Array.from({ length: 16 }, (_, i) => i * 7919);
    const { s, m } = hash(100_000, keys);
    const want = kernelBatch(buckets(131_072, keys), null, 64);
    expect(s.mapLookupBatch(m, null, 64)).toMatchObject({ ret: -ENOENT, count: 16, outBatch: 131_072, keys: want.keys });
    // From the bucket after the first key's, in batches of 1: every key but the first, one at a time.
    const first = jhash2([want.keys[0] as number], 0) & (131_072 - 1);
    let from: number | null = first + 1;
    const seen: number[] = [];
    for (let i = 0; i < 20 && from !== null; i += 1) {
      const r = s.mapLookupBatch(m, from, 1);
      seen.push(...r.keys);
      from = r.ret === 0 ? r.outBatch : null;
    }
    expect(seen).toEqual(want.keys.filter((k) => (jhash2([k], 0) & (131_072 - 1)) > first));
  });
});

describe('the other batch commands and maps', () => {
  test('updates until the first error, counting those done; deletes until the first missing key', () => {
    const { s, m } = hash(4, []);
    const values = new Uint8Array(5 * 4).map((_, i) => i);
    expect(s.mapUpdateBatch(m, [0, 1, 2, 3, 4], values)).toEqual({ ret: -E2BIG, count: 4 });
    expect(s.mapUpdateBatch(m, [5], values, 1)).toEqual({ ret: -EINVAL, count: 1 });
    expect(s.mapDeleteBatch(m, [0, 1, 9, 2])).toEqual({ ret: -ENOENT, count: 2 });
    // The trace: each element updated or deleted, the failing one last.
    const ops = s.events().flatMap((e) => (e.kind === 'map' && e.op !== 'create' ? [`${e.op} ${e.key} ${e.ret}`] : []));
    expect(ops).toEqual(['update 0 0', 'update 1 0', 'update 2 0', 'update 3 0', `update 4 ${-E2BIG}`, 'delete 0 0', 'delete 1 0', `delete 9 ${-ENOENT}`]);
    expect([...s.mapLookupBatch(m, null, 8).keys].sort()).toEqual([2, 3]);
  });

  test('an array: get-next-key batches, out_batch the last key; no delete batches; a ring buffer has none', () => {
    const s = new Session();
    const a = s.createMap({ type: 'array', maxEntries: 3, valueSize: 4 }) as number;
    expect(s.mapLookupBatch(a, null, 2)).toMatchObject({ ret: 0, count: 2, outBatch: 1, keys: [0, 1] });
    expect(s.mapLookupBatch(a, 1, 2)).toMatchObject({ ret: -ENOENT, count: 1, outBatch: 2, keys: [2] });
    expect([s.mapLookupAndDeleteBatch(a, null, 1).ret, s.mapDeleteBatch(a, [0]).ret]).toEqual([-ENOTSUPP, -ENOTSUPP]);
    const rb = s.createMap({ type: 'ringbuf', maxEntries: 4096 }) as number;
    expect([s.mapLookupBatch(rb, null, 1).ret, s.mapUpdateBatch(rb, [], new Uint8Array(0)).ret]).toEqual([-ENOTSUPP, -ENOTSUPP]);
  });

  test("the fd's mode: a read-only map's writes and a write-only map's reads are -EPERM", () => {
    const ro = hash(4, [1], 8);
    expect([ro.s.mapLookupBatch(ro.m, null, 4).ret, ro.s.mapUpdateBatch(ro.m, [2], new Uint8Array(4)).ret, ro.s.mapLookupAndDeleteBatch(ro.m, null, 4).ret]).toEqual([-ENOENT, -EPERM, -EPERM]);
    const wo = hash(4, [1], 16);
    expect([wo.s.mapLookupBatch(wo.m, null, 4).ret, wo.s.mapDeleteBatch(wo.m, [1]).ret]).toEqual([-EPERM, 0]);
  });

  test('misuse: keys that are no u32s, values shorter than the keys need', () => {
    const { s, m } = hash(4, []);
    expect(() => s.mapUpdateBatch(m, [1.5], new Uint8Array(4))).toThrow(ArgumentError);
    expect(() => s.mapUpdateBatch(m, 'x' as unknown as number[], new Uint8Array(4))).toThrow(ArgumentError);
    expect(() => s.mapUpdateBatch(m, [1, 2], new Uint8Array(4))).toThrow(/at least 2 × 4 bytes/);
    expect(() => s.mapLookupBatch(m, null, 1, { nope: 1 } as never)).toThrow(ArgumentError);
  });
});
