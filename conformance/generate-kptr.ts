/**
 * Generated kptr sequences on the kernel: the property suite's generator (properties/kptr.ts, P18)
 * as conformance cases, so that what a kptr field holds after updates, deletes, re-inserts and
 * evictions (LRU_HASH: src/model/maps/lru.ts) is compared with the kernel's beyond the hand-written cases. Host (6.18): a
 * `SEC("syscall")` program; guest (7.2): `lsm/file_open` behind the driver's pid filter. Every op's
 * record (`<id>_rets`) is compared with the model's.
 */
import fc from 'fast-check';
import { program as P, type BpfObject } from '../src/index.ts';
import { kptrBody, kptrMap, kptrSeqArb, type KptrSeq } from '../properties/kptr.ts';
import { FRETS, pidFilterOps, type FileCase } from './cases/file.ts';
import type { CallRecord, ConfCase } from './cases/lib.ts';

const KINDS = ['array', 'hash', 'hash_noprealloc', 'lru_hash', 'percpu_array', 'percpu_hash', 'lru_percpu_hash'] as const;

function describe(s: KptrSeq): string {
  return `${s.kind} of ${s.max}: ${s.ops.map((o) => `${o.k}(${o.key})`).join(' ')}`;
}

function calls(s: KptrSeq): CallRecord[] {
  return s.ops.map((o, i) => ({ index: i, fn: o.k === 'update' ? 'bpf_map_update_elem' : o.k === 'delete' ? 'bpf_map_delete_elem' : o.k === 'load' ? 'ld' : 'bpf_kptr_xchg', text: `${o.k}(${o.key})` }));
}

function object(id: string, s: KptrSeq, section: string, guest: boolean): BpfObject {
  const g = (n: string): string => `${id}_${n}`;
  return {
    name: id, maps: [kptrMap(g('map'), s)], subprogs: [],
    globals: [{ name: g('rets'), kind: 'u64s', size: FRETS }, { name: g('val'), kind: 'bytes', size: 16 }, ...(guest ? [{ name: g('pid'), kind: 'int' as const }] : [])],
    programs: [{ name: id, section, body: [...(guest ? pidFilterOps(g('pid')) : []), ...kptrBody(s.ops, g('map'), g('val'), g('rets')), P.label('out'), P.ret(P.imm(0))] }],
  };
}

/** `count` generated host cases from `seed` (deterministic). */
export function generatedKptrCases(count: number, seed: number): ConfCase[] {
  return fc.sample(kptrSeqArb(KINDS), { numRuns: count, seed }).map((s, i): ConfCase => {
    const id = `gkp${i}`;
    return { id, rule: 'kptrs: generated sequences', note: describe(s), object: object(id, s, 'syscall', false), calls: calls(s), generated: true };
  });
}

/** `count` generated guest cases from `seed` (deterministic). */
export function generatedKptrFileCases(count: number, seed: number): FileCase[] {
  return fc.sample(kptrSeqArb(KINDS), { numRuns: count, seed }).map((s, i): FileCase => {
    const id = `fgkp${i}`;
    return { id, rule: 'kptrs: generated sequences (7.2)', note: describe(s), object: object(id, s, 'lsm/file_open', true), calls: calls(s), state: 'warm', generated: true };
  });
}
