/**
 * A task's kernel stack (src/model/task/record.ts): its top kept in the record, apart from the
 * activities under it, so that a step reads what runs next without going through an array. Driven by
 * generated pushes, pops, clears and copies against plain arrays, one per record: every record's
 * stack, depth, top and activities by index are those of its array, and a copy's changes never reach
 * the record it was copied from, nor the other way round.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { EXIT_TO_USER, TaskRecord } from '../src/model/task/record.ts';
import type { Activity } from '../src/model/task/types.ts';

type Op =
  | { readonly op: 'push'; readonly rec: number; readonly kind: 'syscall' | 'exit' | 'fput' }
  | { readonly op: 'pop'; readonly rec: number }
  | { readonly op: 'clear'; readonly rec: number }
  | { readonly op: 'clone'; readonly rec: number }
  | { readonly op: 'mutateTop'; readonly rec: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('push' as const), rec: fc.nat(7), kind: fc.constantFrom('syscall' as const, 'exit' as const, 'fput' as const) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('pop' as const), rec: fc.nat(7) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('clear' as const), rec: fc.nat(7) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('clone' as const), rec: fc.nat(7) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('mutateTop' as const), rec: fc.nat(7) }) },
);

describe("a task's kernel stack", () => {
  test('pushes, pops, clears and copies agree with an array per record, and copies are independent', () => {
    fc.assert(fc.property(fc.array(opArb, { maxLength: 120 }), (ops) => {
      const recs = [new TaskRecord({ pid: 100, comm: 't', mm: null, script: [] })];
      // Each record's stack as the shapes of its activities, the bottom first.
      const model: string[][] = [[]];
      let serial = 0;
      const make = (kind: 'syscall' | 'exit' | 'fput'): Activity => {
        serial += 1;
        if (kind === 'exit') return EXIT_TO_USER;
        if (kind === 'fput') return { a: 'fput', file: serial, stage: 0 };
        return { a: 'syscall', sys: { sys: 'sleep', ticks: serial }, stage: 0, ret: null, scratch: serial };
      };
      const shape = (a: Activity): string => (a.a === 'syscall' ? `syscall:${a.scratch}:${a.stage}` : a.a === 'fput' ? `fput:${a.file}:${a.stage}` : a.a);
      for (const o of ops) {
        const i = o.rec % recs.length;
        const r = recs[i] as TaskRecord;
        const m = model[i] as string[];
        switch (o.op) {
          case 'push': {
            const a = make(o.kind);
            r.pushActivity(a);
            m.push(shape(a));
            break;
          }
          case 'pop':
            r.popActivity();
            m.pop();
            break;
          case 'clear':
            r.clearStack();
            m.length = 0;
            break;
          case 'clone':
            recs.push(r.clone());
            model.push([...m]);
            break;
          case 'mutateTop': {
            // The interpreter changes the top activity in place (a syscall's stage, an fput's stage).
            const top = r.topActivity;
            if (top?.a === 'syscall' || top?.a === 'fput') {
              top.stage += 1;
              m[m.length - 1] = shape(top);
            }
            break;
          }
        }
        for (const [j, rec] of recs.entries()) {
          const want = model[j] as string[];
          expect(rec.stack.map(shape)).toEqual(want);
          expect(rec.stackDepth).toBe(want.length);
          expect(rec.topActivity === undefined ? undefined : shape(rec.topActivity)).toBe(want[want.length - 1]);
          for (let k = 0; k <= want.length; k += 1) {
            const a = rec.activityAt(k);
            expect(a === undefined ? undefined : shape(a)).toBe(want[k]);
          }
        }
      }
    }), { numRuns: 200 });
  });

  test('the array `stack` gives is a new one: changing it changes no record', () => {
    const r = new TaskRecord({ pid: 100, comm: 't', mm: null, script: [] });
    r.pushActivity({ a: 'fput', file: 1, stage: 0 });
    r.pushActivity(EXIT_TO_USER);
    const s = r.stack as Activity[];
    s.pop();
    s.push({ a: 'fput', file: 2, stage: 0 });
    expect(r.stackDepth).toBe(2);
    expect(r.topActivity).toBe(EXIT_TO_USER);
    expect(r.stack).not.toBe(r.stack);
  });

  test('a task written as JSON keeps its stack between pc and wait', () => {
    const r = new TaskRecord({ pid: 100, comm: 't', mm: null, script: [] });
    r.pushActivity({ a: 'fput', file: 3, stage: 1 });
    const keys = Object.keys(JSON.parse(JSON.stringify(r)) as object);
    expect(keys.slice(keys.indexOf('pc'), keys.indexOf('pc') + 3)).toEqual(['pc', 'stack', 'wait']);
    expect((JSON.parse(JSON.stringify(r)) as { stack: unknown }).stack).toEqual([{ a: 'fput', file: 3, stage: 1 }]);
  });
});
