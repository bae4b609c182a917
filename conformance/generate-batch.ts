/**
 * Generated batch map commands (src/model/maps/batch.ts): a HASH, LRU_HASH, PERCPU_HASH,
 * LRU_PERCPU_HASH (all BPF_F_ZERO_SEED), ARRAY or PERCPU_ARRAY of 1 to 8 entries filled by a program
 * (keys 0 to 11, any update flags, deletes), then 3 to 10 of user space's batch lookups (from the start
 * or any batch, counts 0 to 9, sometimes BPF_F_CPU), lookups-and-deletes, updates (keys 0 to 11, sometimes
 * an elem flag) and deletes. Buffers have room for 8 CPUs' values. Host (6.18): `SEC("syscall")`; guest (7.2):
 * `lsm/file_open`.
 */
import fc from 'fast-check';
import type { MapDecl } from '../src/index.ts';
import { del, lookup, update } from './cases/batch.ts';
import { percpuGuestCase, percpuHostCase, type PercpuSeq, type Step } from './cases/percpu.ts';
import type { FileCase } from './cases/file.ts';
import type { ConfCase, SysMapOp } from './cases/lib.ts';

const ZERO_SEED = 64;
const RULE = 'batch map commands: generated sequences';
/** Room for a value of 8 bytes on up to 8 CPUs. */
const ROOM = 64;

export const batchSeqArb: fc.Arbitrary<PercpuSeq> = fc.record({
  type: fc.constantFrom<MapDecl['type']>('hash', 'hash', 'lru_hash', 'percpu_hash', 'lru_percpu_hash', 'array', 'percpu_array'),
  maxEntries: fc.integer({ min: 1, max: 8 }),
}).chain(({ type, maxEntries }) => {
  const array = type === 'array' || type === 'percpu_array';
  const percpu = type === 'percpu_hash' || type === 'lru_percpu_hash' || type === 'percpu_array';
  const room = percpu ? ROOM : 8;
  const key = fc.integer({ min: 0, max: 11 });
  const step: fc.Arbitrary<Step> = fc.oneof(
    { weight: 4, arbitrary: fc.record({ k: fc.constant('update' as const), key, value: fc.integer({ min: 1, max: 0xffff }), flags: fc.constantFrom(0, 0, 1, 2) }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('delete' as const), key }) },
  );
  const from = fc.option(fc.integer({ min: 0, max: 9 }), { nil: null });
  const count = fc.integer({ min: 0, max: 9 });
  const elemFlags = fc.oneof({ weight: 6, arbitrary: fc.constant(0n) }, { weight: 1, arbitrary: fc.constantFrom(4n, 8n, 1n) });
  const sys: fc.Arbitrary<Omit<SysMapOp, 'map'>> = fc.oneof(
    { weight: 4, arbitrary: fc.record({ from, count, elemFlags }).map((o) => lookup(o.from, o.count, room, { elemFlags: o.elemFlags })) },
    { weight: 2, arbitrary: fc.record({ from, count }).map((o) => lookup(o.from, o.count, room, { del: true })) },
    { weight: 2, arbitrary: fc.record({ keys: fc.array(key, { maxLength: 5 }), elemFlags }).map((o) => update(o.keys, room, o.elemFlags)) },
    { weight: 1, arbitrary: fc.array(key, { maxLength: 4 }).map((keys) => del(keys)) },
  );
  return fc.record({ steps: fc.array(step, { minLength: 0, maxLength: 10 }), sys: fc.array(sys, { minLength: 3, maxLength: 10 }) })
    .map(({ steps, sys: ops }): PercpuSeq => ({
      id: '', map: { type, maxEntries, ...(array ? {} : { flags: ZERO_SEED }) },
      steps: steps.length > 0 ? steps : [{ k: 'delete', key: 0 }], sys: ops, note: `generated (${type} of ${maxEntries})`,
    }));
});

/** `count` generated host cases from `seed` (deterministic). */
export function generatedBatchCases(count: number, seed: number): ConfCase[] {
  return fc.sample(batchSeqArb, { numRuns: count, seed }).map((q, i) => percpuHostCase(`gbt${i}`, q, RULE, true));
}

/** `count` generated guest cases from `seed` (deterministic). */
export function generatedBatchFileCases(count: number, seed: number): FileCase[] {
  return fc.sample(batchSeqArb, { numRuns: count, seed }).map((q, i) => percpuGuestCase(`fgbt${i}`, q, `${RULE} (7.2)`, true));
}
