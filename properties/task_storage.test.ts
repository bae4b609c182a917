/**
 * TASK_STORAGE maps (src/model/maps/task_storage.ts) against an oracle that keeps, per task and map,
 * the element a value pointer points at (an object, so a pointer kept across a delete goes on seeing
 * the old element): `bpf_task_storage_get` with a flag other than F_CREATE or a NULL task is NULL; a
 * present element is returned as it is; with F_CREATE a new one holds the value (or zeros);
 * `bpf_task_storage_delete` is -EINVAL for a NULL task, -ENOENT without an element, else 0 and the
 * element unlinked. Several tasks each run the same sleepable program once or twice (`prog_test_run`
 * from their scripts): each task has its own elements, which last from one run to the next; a
 * program's pointers do not.
 */
import fc from 'fast-check';
import { describe, test } from 'vitest';
import { Session, type BpfObject, type MapDecl } from '../src/index.ts';
import { readLE } from '../src/model/program/globals.ts';
import { expectEqual } from './fast_expect.ts';
import { F_CREATE, tsBody, tsSeqArb, type TsStep } from './task_storage.ts';

const EINVAL = -22n;
const ENOENT = -2n;

/** An element: its first u64 (what the steps read and write). */
interface Elem { v: bigint }

/** One run of `steps` by a task whose elements are `mine` (changed in place); the results. */
function oracleRun(steps: readonly TsStep[], mine: Map<'a' | 'b', Elem>): bigint[] {
  let p: Elem | null = null;
  let q: Elem | null = null;
  return steps.map((s) => {
    switch (s.op) {
      case 'get': {
        p = null;
        if (s.task === 'cur' && (s.flags & ~F_CREATE) === 0) {
          const e = mine.get(s.map);
          if (e !== undefined) p = e;
          else if ((s.flags & F_CREATE) !== 0) {
            p = { v: BigInt(s.value ?? 0) };
            mine.set(s.map, p);
          }
        }
        return p === null ? -1n : p.v;
      }
      case 'set':
        if (p === null) return -1n;
        p.v = BigInt(s.v);
        return 0n;
      case 'keep':
        q = p;
        return 0n;
      case 'readq':
        return q === null ? -1n : (q as Elem).v;
      case 'del':
        if (s.task !== 'cur') return EINVAL;
        return mine.delete(s.map) ? 0n : ENOENT;
    }
    throw new Error('unreachable');
  });
}

function object(steps: readonly TsStep[], size: number): BpfObject {
  const maps: MapDecl[] = [
    { name: 'a', type: 'task_storage', maxEntries: 0, valueSize: size, taskWorkFields: 0, flags: 1 },
    { name: 'b', type: 'task_storage', maxEntries: 0, valueSize: 8, taskWorkFields: 0, flags: 1 },
  ];
  return {
    name: 'o', subprogs: [], maps, globals: [{ name: 'rets', kind: 'u64s', size: steps.length }],
    programs: [{ name: 'p', section: 'syscall', locals: [{ name: 'v', type: { bytes: 24 } }], body: [...tsBody(steps, (m) => m, (m) => (m === 'a' ? size : 8), 'rets'), { op: 'ret', src: { imm: 0 } }] }],
  };
}

describe('TASK_STORAGE maps against an oracle of elements per task', () => {
  test('each task\'s program runs see its own elements, kept from run to run; pointers see the element they were given', () => {
    fc.assert(fc.property(tsSeqArb, fc.constantFrom('6.18' as const, '7.2' as const), ({ steps, tasks, runs, size }, version) => {
      const s = new Session({ version });
      s.load(object(steps, size));
      for (let t = 0; t < tasks; t += 1) {
        const mine = new Map<'a' | 'b', Elem>();
        let want: bigint[] = [];
        for (let n = 0; n < runs; n += 1) want = oracleRun(steps, mine);
        s.spawn({ comm: `t${t}`, script: Array.from({ length: runs }, () => ({ sys: 'prog_test_run' as const, prog: 'p' })) });
        s.simulate();
        const g = s.global('rets') as Uint8Array;
        const got = steps.map((_, i) => BigInt.asIntN(64, readLE(g, 8 * i, 8)));
        expectEqual(got, want, () => `task ${t} (${version}, map a of ${size} bytes, ${runs} run(s)): ${JSON.stringify(steps)}`);
      }
    }));
  });
});
