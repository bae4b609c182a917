/**
 * Generated LRU_HASH sequences on the kernel: updates (any flags), programs' lookups (which set a
 * node's reference bit) and deletes over small LRU maps (a third with BPF_F_NO_COMMON_LRU, a third
 * LRU_PERCPU_HASH), then a probe of which keys are present,
 * compared with the model's bpf_lru_list.c (src/model/maps/lru.ts). Host (6.18, two possible CPUs):
 * a `SEC("syscall")` program; guest (7.2, one): `lsm/file_open` behind the driver's pid filter.
 */
import fc from 'fast-check';
import { BPF_ANY, BPF_EXIST, BPF_NOEXIST, lruGuestCase, lruHostCase, type LruOp, type LruSeq } from './cases/lru.ts';
import type { FileCase } from './cases/file.ts';
import type { ConfCase } from './cases/lib.ts';

const SIZES = [1, 2, 3, 4, 5, 6, 8, 12, 16] as const;

/** A sequence: a map of 1 to 16 entries, 1 to 40 ops on keys up to 4 past its size. */
export const lruSeqArb: fc.Arbitrary<LruSeq> = fc.constantFrom(...SIZES).chain((max) => {
  const key = fc.integer({ min: 0, max: max + 3 });
  const op: fc.Arbitrary<LruOp> = fc.oneof(
    { weight: 6, arbitrary: fc.record({ k: fc.constant('update' as const), key, flags: fc.constantFrom(BPF_ANY, BPF_ANY, BPF_ANY, BPF_NOEXIST, BPF_EXIST) }) },
    { weight: 3, arbitrary: fc.record({ k: fc.constant('lookup' as const), key }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('delete' as const), key }) },
  );
  // One in three with BPF_F_NO_COMMON_LRU (lists per CPU); one in three an LRU_PERCPU_HASH (per-CPU values,
  // no node taken for BPF_EXIST, a present key updated in place).
  return fc.tuple(fc.array(op, { minLength: 1, maxLength: 40 }), fc.constantFrom(false, false, true), fc.constantFrom(false, false, true))
    .map(([ops, percpu, values]): LruSeq => ({ max, ops, probe: max + 4, ...(percpu ? { percpu } : {}), ...(values ? { type: 'lru_percpu_hash' as const } : {}) }));
});

/** `count` generated host cases from `seed` (deterministic). */
export function generatedLruCases(count: number, seed: number): ConfCase[] {
  return fc.sample(lruSeqArb, { numRuns: count, seed }).map((s, i) => lruHostCase(`glru${i}`, s, 'generated', 'LRU_HASH: generated sequences', true));
}

/** `count` generated guest cases from `seed` (deterministic). */
export function generatedLruFileCases(count: number, seed: number): FileCase[] {
  return fc.sample(lruSeqArb, { numRuns: count, seed }).map((s, i) => lruGuestCase(`fglru${i}`, s, 'generated', 'LRU_HASH: generated sequences (7.2)', true));
}
