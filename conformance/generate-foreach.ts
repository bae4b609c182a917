/**
 * Generated `bpf_for_each_map_elem` walks (src/model/maps/foreach.ts): an ARRAY, PERCPU_ARRAY, HASH,
 * LRU_HASH, PERCPU_HASH or LRU_PERCPU_HASH of 1 to 8 entries (the hash maps with BPF_F_ZERO_SEED, so
 * the kernel's buckets are the model's), up to 12 keys from 0 to 15 inserted by the program (a full
 * HASH refuses some, an LRU evicts), then a walk whose callback folds each key into a fingerprint,
 * sums and writes the values, and may stop at a key or delete each element it is given; user space
 * reads every key back. Host (6.18): `SEC("syscall")`; guest (7.2): `lsm/file_open`.
 */
import fc from 'fast-check';
import type { MapDecl } from '../src/index.ts';
import { forEachGuestCase, forEachHostCase, type EachSeq } from './cases/foreach.ts';
import type { FileCase } from './cases/file.ts';
import type { ConfCase } from './cases/lib.ts';

const ZERO_SEED = 64;
const RULE = 'bpf_for_each_map_elem: generated walks';

export const eachSeqArb: fc.Arbitrary<EachSeq> = fc.record({
  type: fc.constantFrom<MapDecl['type']>('hash', 'hash', 'lru_hash', 'percpu_hash', 'lru_percpu_hash', 'array', 'percpu_array'),
  maxEntries: fc.integer({ min: 1, max: 8 }),
  keys: fc.array(fc.integer({ min: 0, max: 15 }), { maxLength: 12 }),
  stopAt: fc.option(fc.integer({ min: 0, max: 15 }), { nil: undefined }),
  del: fc.boolean(),
}).map(({ type, maxEntries, keys, stopAt, del }): EachSeq => {
  const array = type === 'array' || type === 'percpu_array';
  return {
    id: '', map: { type, maxEntries, ...(array ? {} : { flags: ZERO_SEED }) }, keys: array ? [] : keys,
    ...(stopAt === undefined ? {} : { stopAt }), ...(del && !array ? { del: true } : {}),
    note: `generated (${type} of ${maxEntries}${array ? '' : `, keys ${keys.join(',') || 'none'}`}${stopAt === undefined ? '' : `, stop at ${stopAt}`}${del && !array ? ', deleting each' : ''})`,
  };
});

/** `count` generated host cases from `seed` (deterministic). */
export function generatedForEachCases(count: number, seed: number): ConfCase[] {
  return fc.sample(eachSeqArb, { numRuns: count, seed }).map((q, i) => forEachHostCase(`gfe${i}`, q, RULE, true));
}

/** `count` generated guest cases from `seed` (deterministic). */
export function generatedForEachFileCases(count: number, seed: number): FileCase[] {
  return fc.sample(eachSeqArb, { numRuns: count, seed }).map((q, i) => forEachGuestCase(`fgfe${i}`, q, `${RULE} (7.2)`, true));
}
