/**
 * QUEUE and STACK maps (src/model/maps/queue_stack.ts) against an oracle that keeps the values in a
 * JavaScript array, oldest first, instead of the model's ring: a push into a full map is -E2BIG, or
 * with BPF_EXIST drops the array's first value; BPF_NOEXIST or a flag above BPF_EXIST is -EINVAL; a
 * queue pops and peeks the first value, a stack the last; empty is -ENOENT. The same sequence runs
 * in a program (its results and values in a global) and then from user space (Session API, a NULL key).
 */
import fc from 'fast-check';
import { describe, test } from 'vitest';
import { program as P, Session, type BpfObject, type Op } from '../src/index.ts';
import { expectEqual } from './fast_expect.ts';
import { queueSeqArb, valueBytes, type QsOp } from './queue.ts';

const EINVAL = -22;
const E2BIG = -7;
const ENOENT = -2;

/** The oracle: each op's result and, for a pop or peek, the value (0 when empty). */
function oracle(type: 'queue' | 'stack', max: number, ops: readonly QsOp[], held: number[]): [number, number][] {
  return ops.map((o): [number, number] => {
    if (o.op === 'push') {
      if ((o.flags & 1) !== 0 || o.flags > 2) return [EINVAL, 0];
      if (held.length === max) {
        if (o.flags !== 2) return [E2BIG, 0];
        held.shift();
      }
      held.push(o.v);
      return [0, 0];
    }
    if (held.length === 0) return [ENOENT, 0];
    const v = (type === 'queue' ? held[0] : held[held.length - 1]) as number;
    if (o.op === 'pop') {
      if (type === 'queue') held.shift();
      else held.pop();
    }
    return [0, v];
  });
}

function program(type: 'queue' | 'stack', max: number, size: number, ops: readonly QsOp[]): BpfObject {
  const body: Op[] = [];
  ops.forEach((o, i) => {
    if (o.op === 'push') body.push(P.st(4, P.buf('v'), 0, P.imm(o.v)), P.call('bpf_map_push_elem', [P.map('q'), P.buf('v'), P.imm(o.flags)], 'n'));
    else body.push(P.st(8, P.buf('v'), 0, P.imm(-1)), P.call(o.op === 'pop' ? 'bpf_map_pop_elem' : 'bpf_map_peek_elem', [P.map('q'), P.buf('v')], 'n'));
    body.push(P.storeAt('rets', 2 * i, P.r('n')), P.ld('x', 4, P.buf('v'), 0), P.storeAt('rets', 2 * i + 1, P.r('x')));
  });
  return {
    name: 'o', subprogs: [], globals: [{ name: 'rets', kind: 'u64s', size: 2 * Math.max(ops.length, 1) }],
    maps: [{ name: 'q', type, maxEntries: max, valueSize: size, taskWorkFields: 0 }],
    programs: [{ name: 'p', section: 'syscall', locals: [P.local('v', { bytes: 16 }, 'zero')], body: [...body, P.ret(P.imm(0))] }],
  };
}

describe('QUEUE and STACK maps against an array oracle', () => {
  test('a program\'s pushes, pops and peeks, then user space\'s, agree with the oracle', () => {
    fc.assert(fc.property(queueSeqArb, ({ type, max, size, calls, sys }) => {
      const held: number[] = [];
      const want = oracle(type, max, calls, held);
      const s = new Session({ version: '7.2' });
      s.load(program(type, max, size, calls));
      s.spawn({ comm: 't', script: [{ sys: 'prog_test_run', prog: 'p' }] });
      s.simulate();
      const r = s.global('rets') as Uint8Array;
      const dv = new DataView(r.buffer, r.byteOffset, r.byteLength);
      // An empty pop or peek zeroes the value: the oracle's 0.
      const got = calls.map((o, i): [number, number] => [Number(dv.getBigInt64(16 * i, true)), o.op === 'push' ? 0 : Number(dv.getBigUint64(16 * i + 8, true) & 0xffff_ffffn)]);
      expectEqual(got, want, () => `program ${type} max ${max}: ${JSON.stringify(calls)}`);
      const wantSys = oracle(type, max, sys, held);
      const gotSys = sys.map((o): [number, number] => {
        if (o.op === 'push') return [s.mapUpdate('q', null, valueBytes(o.v, size), o.flags), 0];
        const out = new Uint8Array(size);
        const ret = o.op === 'pop' ? s.mapLookupAndDelete('q', null, out) : s.mapLookup('q', null, out);
        return [ret, new DataView(out.buffer).getUint32(0, true)];
      });
      expectEqual(gotSys, wantSys, () => `user space ${type} max ${max} after ${JSON.stringify(calls)}: ${JSON.stringify(sys)}`);
    }));
  });
});
