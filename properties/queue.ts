/**
 * Sequences for QUEUE and STACK maps: the property (queue.test.ts) and the generated conformance
 * cases (conformance/generate-queue.ts) draw from these. A program's calls (push with flags that are
 * mostly 0, sometimes BPF_EXIST or refused ones; pop; peek), then user space's push, peek and pop.
 * Also how a value is written, as bytes (`valueBytes`) and as a program's stores (`storeValue`): the
 * bloom filter's property and cases write theirs the same way.
 */
import fc from 'fast-check';
import { program as P, type Op } from '../src/index.ts';
import { readLE, writeLE } from '../src/model/program/globals.ts';

export type QsOp = { readonly op: 'push'; readonly v: number; readonly flags: number } | { readonly op: 'pop' | 'peek' };

const flags = fc.constantFrom(0, 0, 0, 0, 2, 2, 1, 4, 3, 8);
const op: fc.Arbitrary<QsOp> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('push' as const), v: fc.integer({ min: 1, max: 0x7fff_ffff }), flags }), weight: 5 },
  { arbitrary: fc.constantFrom<QsOp>({ op: 'pop' }, { op: 'peek' }), weight: 3 },
);

export const queueSeqArb = fc.record({
  type: fc.constantFrom('queue' as const, 'stack' as const),
  max: fc.integer({ min: 1, max: 5 }),
  size: fc.constantFrom(4, 8, 8, 12),
  calls: fc.array(op, { maxLength: 20 }),
  sys: fc.array(op, { maxLength: 8 }),
});

/** A value of `size` bytes holding `v` little-endian (two's complement past its own width). */
export function valueBytes(v: number, size: number): Uint8Array {
  const b = new Uint8Array(size);
  writeLE(b, 0, size, BigInt(v));
  return b;
}

/** 8-byte stores of `bytes` (a multiple of 8 long) into the stack variable `v`, from its start. */
export function storeValue(bytes: Uint8Array): Op[] {
  const out: Op[] = [];
  for (let o = 0; o < bytes.length; o += 8) out.push(P.st(8, P.buf('v'), o, P.imm(BigInt.asIntN(64, readLE(bytes, o, 8)))));
  return out;
}
