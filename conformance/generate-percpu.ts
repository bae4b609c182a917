/**
 * Generated per-CPU map sequences on the kernel (src/model/maps/percpu.ts): a program's updates (any
 * flags), deletes, lookups of any CPU's copy and reads and writes through the pointers kept, over a
 * PERCPU_ARRAY, PERCPU_HASH or LRU_PERCPU_HASH of 1 to 4 entries and 4, 8 or 12-byte values; then user
 * space's lookups, lookups-and-deletes and updates with every flag of either version (BPF_F_CPU with a CPU of 0 to 2,
 * BPF_F_ALL_CPUS, BPF_NOEXIST | BPF_EXIST, BPF_F_LOCK). Each user buffer holds 8 CPUs' copies, more than
 * either tier has, so the bytes the kernel leaves alone are seen too. Host (6.18, two possible CPUs): a
 * `SEC("syscall")` program and the loader's `@sys` lines; guest (7.2, one): `lsm/file_open` and the
 * driver's `SYS` lines.
 */
import fc from 'fast-check';
import type { MapDecl } from '../src/index.ts';
import { percpuGuestCase, percpuHostCase, type PercpuSeq, type Step } from './cases/percpu.ts';
import type { FileCase } from './cases/file.ts';
import type { ConfCase, SysMapOp } from './cases/lib.ts';

const BPF_F_CPU = 8n;
const BPF_F_ALL_CPUS = 16n;
/** The CPUs a user buffer has room for. */
const ROOM = 8;
const POINTERS = ['p0', 'p1', 'p2'] as const;

export const percpuSeqArb: fc.Arbitrary<PercpuSeq> = fc.record({
  type: fc.constantFrom<MapDecl['type']>('percpu_array', 'percpu_hash', 'lru_percpu_hash'),
  maxEntries: fc.integer({ min: 1, max: 4 }),
  valueSize: fc.constantFrom(4, 8, 12),
}).chain((map) => {
  const key = fc.integer({ min: 0, max: map.maxEntries + 1 });
  const p = fc.constantFrom(...POINTERS);
  const value = fc.integer({ min: 1, max: 0xffff });
  const step: fc.Arbitrary<Step> = fc.oneof(
    { weight: 4, arbitrary: fc.record({ k: fc.constant('update' as const), key, value, flags: fc.constantFrom(0, 0, 1, 2) }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('delete' as const), key }) },
    { weight: 3, arbitrary: fc.record({ k: fc.constant('ptr' as const), p, key, cpu: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }) }).map((s) => (s.cpu === undefined ? { k: 'ptr' as const, p: s.p, key: s.key } : s)) },
    { weight: 2, arbitrary: fc.record({ k: fc.constant('write' as const), p, value }) },
    { weight: 2, arbitrary: fc.record({ k: fc.constant('read' as const), p }) },
  );
  const stride = Math.ceil(map.valueSize / 8) * 8;
  const cpuFlag = fc.integer({ min: 0, max: 2 }).map((c) => BPF_F_CPU | (BigInt(c) << 32n));
  const lookupFlags = fc.oneof({ weight: 4, arbitrary: fc.constant(0n) }, { weight: 2, arbitrary: cpuFlag }, { weight: 1, arbitrary: fc.constantFrom(1n, 4n, BPF_F_ALL_CPUS) });
  const updateFlags = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(0n, 0n, 1n, 2n) }, { weight: 2, arbitrary: cpuFlag.chain((f) => fc.constantFrom(f, f | 1n, f | 2n)) }, { weight: 1, arbitrary: fc.constantFrom(BPF_F_ALL_CPUS, 3n, 4n) });
  const sysOp: fc.Arbitrary<Omit<SysMapOp, 'map'>> = fc.oneof(
    fc.record({ key, flags: lookupFlags }).map(({ key: k, flags }) => ({ op: 'lookup' as const, key: k, flags, bytes: new Uint8Array(stride * ROOM).fill(0xee) })),
    fc.record({ key, flags: fc.constantFrom(0n, 0n, 0n, 1n, 4n) }).map(({ key: k, flags }) => ({ op: 'lookup_and_delete' as const, key: k, flags, bytes: new Uint8Array(stride * ROOM).fill(0xee) })),
    fc.record({ key, flags: updateFlags, from: fc.integer({ min: 1, max: 255 }) }).map(({ key: k, flags, from }) => ({ op: 'update' as const, key: k, flags, bytes: Uint8Array.from({ length: stride * ROOM }, (_, i) => (from + i) & 0xff) })),
  );
  // Reads and writes through a pointer a step before took (else dropped), of a u32 when the value is 4 bytes.
  const size = map.valueSize < 8 ? 4 : 8;
  const usable = (steps: readonly Step[]): Step[] => {
    const taken = new Set<string>();
    const out: Step[] = [];
    for (const s of steps) {
      if (s.k === 'ptr') taken.add(s.p);
      if ((s.k === 'read' || s.k === 'write') && !taken.has(s.p)) continue;
      out.push(s.k === 'read' || s.k === 'write' ? { ...s, size } : s);
    }
    return out;
  };
  return fc.record({ steps: fc.array(step, { minLength: 1, maxLength: 12 }), sys: fc.array(sysOp, { minLength: 0, maxLength: 8 }) })
    .map(({ steps, sys }): PercpuSeq => ({ id: '', map, steps: usable(steps).length > 0 ? usable(steps) : [{ k: 'update', key: 0, value: 1 }], sys, note: `generated (${map.type} of ${map.maxEntries}, ${map.valueSize}-byte values)` }));
});

/** `count` generated host cases from `seed` (deterministic). */
export function generatedPercpuCases(count: number, seed: number): ConfCase[] {
  return fc.sample(percpuSeqArb, { numRuns: count, seed }).map((q, i) => percpuHostCase(`gpcpu${i}`, q, 'per-CPU maps: generated sequences', true));
}

/** `count` generated guest cases from `seed` (deterministic). */
export function generatedPercpuFileCases(count: number, seed: number): FileCase[] {
  return fc.sample(percpuSeqArb, { numRuns: count, seed }).map((q, i) => percpuGuestCase(`fgpcpu${i}`, q, 'per-CPU maps: generated sequences (7.2)', true));
}
