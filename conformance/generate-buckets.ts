/**
 * Generated hash map sequences for the order user space walks the keys in (src/model/maps/buckets.ts):
 * a HASH (preallocated or not), LRU_HASH (common or per-CPU lists), PERCPU_HASH or LRU_PERCPU_HASH of 1
 * to 8 entries, created with BPF_F_ZERO_SEED so that the kernel's buckets are the model's; a program's
 * updates (any flags) and deletes of keys 0 to 15; then user space's updates, deletes, lookups and
 * BPF_MAP_GET_NEXT_KEY calls (of NULL, of any key) mixed. Host (6.18, two possible CPUs): a
 * `SEC("syscall")` program and the loader's `@sys` lines; guest (7.2, one): `lsm/file_open` and the
 * driver's `SYS` lines.
 */
import fc from 'fast-check';
import type { MapDecl } from '../src/index.ts';
import { percpuGuestCase, percpuHostCase, type PercpuSeq, type Step } from './cases/percpu.ts';
import type { FileCase } from './cases/file.ts';
import type { ConfCase, SysMapOp } from './cases/lib.ts';

const ZERO_SEED = 64;
const NO_PREALLOC = 1;
const NO_COMMON_LRU = 2;
/** Room for 8 CPUs' copies of an 8-byte value (user space passes every possible CPU's). */
const ROOM = 64;

export const bucketSeqArb: fc.Arbitrary<PercpuSeq> = fc.record({
  type: fc.constantFrom<MapDecl['type']>('hash', 'hash', 'lru_hash', 'percpu_hash', 'lru_percpu_hash'),
  maxEntries: fc.integer({ min: 1, max: 8 }),
  more: fc.boolean(),
}).chain(({ type, maxEntries, more }) => {
  // A HASH without preallocation, an LRU with per-CPU lists, half the time.
  const flags = ZERO_SEED | (more && type === 'hash' ? NO_PREALLOC : 0) | (more && (type === 'lru_hash' || type === 'lru_percpu_hash') ? NO_COMMON_LRU : 0);
  const key = fc.integer({ min: 0, max: 15 });
  const step: fc.Arbitrary<Step> = fc.oneof(
    { weight: 4, arbitrary: fc.record({ k: fc.constant('update' as const), key, value: fc.integer({ min: 1, max: 0xffff }), flags: fc.constantFrom(0, 0, 1, 2) }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('delete' as const), key }) },
  );
  const buf = (): Uint8Array => new Uint8Array(ROOM).fill(0xee);
  const sysOp: fc.Arbitrary<Omit<SysMapOp, 'map'>> = fc.oneof(
    { weight: 2, arbitrary: fc.record({ key, flags: fc.constantFrom(0n, 0n, 1n, 2n), from: fc.integer({ min: 1, max: 255 }) }).map(({ key: k, flags: f, from }) => ({ op: 'update' as const, key: k, flags: f, bytes: Uint8Array.from({ length: ROOM }, (_, i) => (from + i) & 0xff) })) },
    { weight: 1, arbitrary: key.map((k) => ({ op: 'delete' as const, key: k, flags: 0n, bytes: new Uint8Array(4) })) },
    { weight: 1, arbitrary: key.map((k) => ({ op: 'lookup' as const, key: k, flags: 0n, bytes: buf() })) },
    { weight: 1, arbitrary: fc.constant({ op: 'first_key' as const, key: 0, flags: 0n, bytes: new Uint8Array(4).fill(0xee) }) },
    { weight: 5, arbitrary: key.map((k) => ({ op: 'next_key' as const, key: k, flags: 0n, bytes: new Uint8Array(4).fill(0xee) })) },
  );
  return fc.record({ steps: fc.array(step, { minLength: 1, maxLength: 16 }), sys: fc.array(sysOp, { minLength: 4, maxLength: 24 }) })
    .map(({ steps, sys }): PercpuSeq => ({ id: '', map: { type, maxEntries, flags }, steps, sys, note: `generated (${type} of ${maxEntries}, flags 0x${flags.toString(16)})` }));
});

const RULE = 'BPF_MAP_GET_NEXT_KEY: generated sequences';

/** `count` generated host cases from `seed` (deterministic). */
export function generatedBucketCases(count: number, seed: number): ConfCase[] {
  return fc.sample(bucketSeqArb, { numRuns: count, seed }).map((q, i) => percpuHostCase(`ghb${i}`, q, RULE, true));
}

/** `count` generated guest cases from `seed` (deterministic). */
export function generatedBucketFileCases(count: number, seed: number): FileCase[] {
  return fc.sample(bucketSeqArb, { numRuns: count, seed }).map((q, i) => percpuGuestCase(`fghb${i}`, q, `${RULE} (7.2)`, true));
}
