/**
 * Generated sequences for QUEUE and STACK maps (src/model/maps/queue_stack.ts): a program's pushes
 * (flags mostly 0, sometimes BPF_EXIST or refused ones), pops and peeks on a map of 1 to 5 values of
 * 4, 8 or 12 bytes, then user space's push, peek and pop with a NULL key (properties/queue.ts), with
 * up to four commands a queue refuses mixed in (cases/keyless.ts `otherSysArb`). The
 * kernel's results, values and buffers are compared with the model's. Host (6.18): `SEC("syscall")`;
 * guest (7.2): `lsm/file_open`.
 */
import fc from 'fast-check';
import { queueSeqArb, valueBytes } from '../properties/queue.ts';
import { queueGuestCase, queueHostCase, type QueueSeq } from './cases/queue.ts';
import { interleave, withOtherSys } from './cases/keyless.ts';
import type { FileCase } from './cases/file.ts';
import type { ConfCase } from './cases/lib.ts';

const RULE = 'QUEUE and STACK maps: generated sequences';

function sample(count: number, seed: number): QueueSeq[] {
  return fc.sample(withOtherSys(queueSeqArb), { numRuns: count, seed }).map(({ type, max, size, calls, sys, other }) => ({
    id: '', type, max, size,
    calls,
    sys: interleave(sys.map((o) => (o.op === 'push'
      ? { op: 'push' as const, key: 0, flags: BigInt(o.flags), bytes: valueBytes(o.v, size) }
      : { op: o.op, key: 0, flags: 0n, bytes: new Uint8Array(size).fill(0xee) })), other),
    note: `generated (${type} of ${max} × ${size} bytes; ${calls.length} calls, ${sys.length + other.length} syscalls)`,
  }));
}

/** `count` generated host cases from `seed` (deterministic). */
export function generatedQueueCases(count: number, seed: number): ConfCase[] {
  return sample(count, seed).map((q, i) => queueHostCase(`gqs${i}`, q, RULE, true));
}

/** `count` generated guest cases from `seed` (deterministic). */
export function generatedQueueFileCases(count: number, seed: number): FileCase[] {
  return sample(count, seed).map((q, i) => queueGuestCase(`fgqs${i}`, q, `${RULE} (7.2)`, true));
}
