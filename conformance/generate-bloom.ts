/**
 * Generated sequences for BLOOM_FILTER maps (src/model/maps/bloom.ts): a filter of 1 to 64 entries
 * (mostly up to 6: 64 bits) and 1 to 5 hashes, created with BPF_F_ZERO_SEED, and values of 3 to 27
 * bytes from a small pool; a program's pushes and peeks, then user space's push and peek with a NULL
 * key (properties/bloom.ts), with up to four commands a bloom filter refuses mixed in
 * (cases/keyless.ts `otherSysArb`). Every peek is compared, false positives included: the kernel's
 * jhash decides them. Host (6.18): `tc` (a sleepable program may not use the map); guest (7.2):
 * `lsm/file_open`.
 */
import fc from 'fast-check';
import { bloomSeqArb } from '../properties/bloom.ts';
import { valueBytes } from '../properties/queue.ts';
import { bloomGuestCase, bloomHostCase, type BloomSeq } from './cases/bloom.ts';
import { interleave, withOtherSys } from './cases/keyless.ts';
import type { FileCase } from './cases/file.ts';
import type { ConfCase } from './cases/lib.ts';

const RULE = 'BLOOM_FILTER maps: generated sequences';

function sample(count: number, seed: number): BloomSeq[] {
  return fc.sample(withOtherSys(bloomSeqArb), { numRuns: count, seed }).map(({ max, mapExtra, size, calls, sys, other }) => ({
    id: '', max, mapExtra, size,
    calls,
    sys: interleave(sys.map((o) => ({ op: o.op, key: 0, flags: BigInt(o.op === 'push' ? o.flags : 0), bytes: valueBytes(o.v, size) })), other),
    note: `generated (${max} entries, map_extra ${mapExtra}, ${size}-byte values; ${calls.length} calls, ${sys.length + other.length} syscalls)`,
  }));
}

/** `count` generated host cases from `seed` (deterministic). */
export function generatedBloomCases(count: number, seed: number): ConfCase[] {
  return sample(count, seed).map((q, i) => bloomHostCase(`gbl${i}`, q, RULE, true));
}

/** `count` generated guest cases from `seed` (deterministic). */
export function generatedBloomFileCases(count: number, seed: number): FileCase[] {
  return sample(count, seed).map((q, i) => bloomGuestCase(`fgbl${i}`, q, `${RULE} (7.2)`, true));
}
