/**
 * BLOOM_FILTER maps (src/model/maps/bloom.ts) against an oracle that keeps the kernel's bit array (a
 * `Uint32Array` of the filter's bits, worked out here from bloom_map_alloc's rule) instead of the
 * model's set of bits: a push sets bit `hash_i(value) & (bits - 1)` for each of the hashes, where
 * hash_i is `jhash2` of the value's words seeded with i when its size is a multiple of 4, else
 * `jhash` of its bytes (kernel/jhash.ts, checked against lookup3's published values in
 * test/bloom.test.ts); a peek is 0 when all of them are set; a push with a flag is -EINVAL. The same
 * sequence runs in a program (`tc`: a sleepable program may not use the map) and then from user
 * space (Session API, a NULL key).
 */
import fc from 'fast-check';
import { describe, test } from 'vitest';
import { program as P, Session, type BpfObject, type Op } from '../src/index.ts';
import { jhash, jhash2 } from '../src/model/kernel/jhash.ts';
import { readLE } from '../src/model/program/globals.ts';
import { expectEqual } from './fast_expect.ts';
import { bloomSeqArb, type BloomOp } from './bloom.ts';
import { storeValue, valueBytes } from './queue.ts';

const EINVAL = -22;
const ENOENT = -2;

/** The oracle's filter: bloom_map_alloc's bit count for small sizes (no overflow), the bits in words. */
function oracleFilter(max: number, mapExtra: number, size: number): (o: BloomOp) => number {
  const k = mapExtra === 0 ? 5 : mapExtra;
  const wanted = Math.floor((max * k) / 5) * 7;
  let nbits = 64;
  while (nbits < wanted) nbits *= 2;
  const words = new Uint32Array(nbits / 32);
  const hashes = (v: Uint8Array): number[] => Array.from({ length: k }, (_, i) => {
    const h = size % 4 === 0 ? jhash2(Array.from({ length: size / 4 }, (__, j) => Number(readLE(v, 4 * j, 4))), i) : jhash(v, i);
    return h & (nbits - 1);
  });
  return (o) => {
    const hs = hashes(valueBytes(o.v, size));
    if (o.op === 'push') {
      if (o.flags !== 0) return EINVAL;
      for (const h of hs) words[h >>> 5] = (words[h >>> 5] as number) | (1 << (h & 31));
      return 0;
    }
    return hs.every((h) => (((words[h >>> 5] as number) >>> (h & 31)) & 1) === 1) ? 0 : ENOENT;
  };
}

function program(max: number, mapExtra: number, size: number, ops: readonly BloomOp[]): BpfObject {
  const slot = Math.ceil(size / 8) * 8;
  const body: Op[] = [];
  ops.forEach((o, i) => {
    body.push(...storeValue(valueBytes(o.v, slot)));
    body.push(o.op === 'push'
      ? P.call('bpf_map_push_elem', [P.map('b'), P.buf('v'), P.imm(o.flags)], 'n')
      : P.call('bpf_map_peek_elem', [P.map('b'), P.buf('v')], 'n'));
    body.push(P.storeAt('rets', i, P.r('n')));
  });
  return {
    name: 'o', subprogs: [], globals: [{ name: 'rets', kind: 'u64s', size: Math.max(ops.length, 1) }],
    maps: [{ name: 'b', type: 'bloom_filter', maxEntries: max, valueSize: size, taskWorkFields: 0, flags: 64, mapExtra }],
    programs: [{ name: 'p', section: 'tc', locals: [P.local('v', { bytes: Math.max(slot, 8) }, 'zero')], body: [...body, P.ret(P.imm(0))] }],
  };
}

describe('BLOOM_FILTER maps against an oracle with the kernel\'s bit array', () => {
  test('a program\'s pushes and peeks, then user space\'s, agree with the oracle, false positives included', () => {
    fc.assert(fc.property(bloomSeqArb, ({ max, mapExtra, size, calls, sys }) => {
      const oracle = oracleFilter(max, mapExtra, size);
      const want = calls.map(oracle);
      const s = new Session({ version: '7.2' });
      s.load(program(max, mapExtra, size, calls));
      s.progTestRun('p', { data: new Uint8Array(64) });
      const r = s.global('rets') as Uint8Array;
      const got = calls.map((_, i) => Number(BigInt.asIntN(64, readLE(r, 8 * i, 8))));
      expectEqual(got, want, () => `program: ${max} entries, map_extra ${mapExtra}, ${size} bytes: ${JSON.stringify(calls)}`);
      const wantSys = sys.map(oracle);
      const gotSys = sys.map((o) => (o.op === 'push' ? s.mapUpdate('b', null, valueBytes(o.v, size), o.flags) : s.mapLookup('b', null, valueBytes(o.v, size))));
      expectEqual(gotSys, wantSys, () => `user space after ${JSON.stringify(calls)}: ${JSON.stringify(sys)}`);
    }));
  });
});
