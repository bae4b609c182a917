/**
 * Generated kptr sequences on the kernel: the property suite's generator (properties/kptr.ts, P18)
 * as conformance cases, so that what a kptr field holds after updates, deletes, re-inserts and
 * evictions (LRU_HASH: src/model/maps/lru.ts) is compared with the kernel's beyond the hand-written cases. Host (6.18): a
 * `SEC("syscall")` program; guest (7.2): `lsm/file_open` behind the driver's pid filter. Every op's
 * record (`<id>_rets`) is compared with the model's.
 */
import fc from 'fast-check';
import { kptrSeqArb, type KptrSeq } from '../properties/kptr.ts';
import type { FileCase } from './cases/file.ts';
import { kptrSeqObject } from './cases/kptr.ts';
import type { ConfCase } from './cases/lib.ts';

const KINDS = ['array', 'hash', 'hash_noprealloc', 'lru_hash', 'percpu_array', 'percpu_hash', 'lru_percpu_hash'] as const;

function describe(s: KptrSeq): string {
  return `${s.kind} of ${s.max}: ${s.ops.map((o) => `${o.k}(${o.key})`).join(' ')}`;
}

/** `count` generated host cases from `seed` (deterministic). */
export function generatedKptrCases(count: number, seed: number): ConfCase[] {
  return fc.sample(kptrSeqArb(KINDS), { numRuns: count, seed }).map((s, i): ConfCase => {
    const id = `gkp${i}`;
    return { id, rule: 'kptrs: generated sequences', note: describe(s), ...kptrSeqObject(id, s, false), generated: true };
  });
}

/** `count` generated guest cases from `seed` (deterministic). */
export function generatedKptrFileCases(count: number, seed: number): FileCase[] {
  return fc.sample(kptrSeqArb(KINDS), { numRuns: count, seed }).map((s, i): FileCase => {
    const id = `fgkp${i}`;
    return { id, rule: 'kptrs: generated sequences (7.2)', note: describe(s), ...kptrSeqObject(id, s, true), state: 'warm', generated: true };
  });
}
