/**
 * Programs over TASK_STORAGE maps: the steps a program makes (`bpf_task_storage_get` and
 * `bpf_task_storage_delete` on the maps `a` and `b`, writes through the last pointer a get returned,
 * reads through a pointer kept from an earlier get), the body that makes them, and sequences of them.
 * The property (task_storage.test.ts) and the conformance cases (conformance/cases/task_storage.ts,
 * conformance/generate-task-storage.ts) draw from these. Each step's result goes to `rets[i]`: a get's
 * is the u64 at the value's start, or -1 for NULL; a write's 0, or -1 with no pointer; a delete's its
 * return.
 */
import fc from 'fast-check';
import { program as P, type Arg, type Op } from '../src/index.ts';
import { storeValue, valueBytes } from './queue.ts';

export const F_CREATE = 1;

/** Whose value: current's, its `real_parent`'s, or a NULL task. */
export type TsTask = 'cur' | 'parent' | 'null';
export type TsStep =
  | { readonly op: 'get'; readonly map: 'a' | 'b'; readonly task: TsTask; readonly value: number | null; readonly flags: number }
  | { readonly op: 'set'; readonly v: number }
  | { readonly op: 'keep' }
  | { readonly op: 'readq' }
  | { readonly op: 'del'; readonly map: 'a' | 'b'; readonly task: TsTask };

/** The task operand of step `tag`, its ops first. */
function taskOf(t: TsTask, tag: string): { ops: Op[]; arg: Arg } {
  if (t === 'null') return { ops: [], arg: P.NULL };
  const ops: Op[] = [P.call('bpf_get_current_task_btf', [], `t${tag}`)];
  if (t === 'cur') return { ops, arg: P.r(`t${tag}`) };
  return { ops: [...ops, P.field(`pt${tag}`, P.r(`t${tag}`), 'real_parent')], arg: P.r(`pt${tag}`) };
}

/** `rets[i] = reg ? *(u64 *)reg : -1`. */
export function readOrMinus(rets: string, i: number, reg: string): Op[] {
  return [P.mov(`x${i}`, P.imm(-1)), P.goto(`z${i}`, P.when(reg, '==', P.imm(0))), P.ld(`x${i}`, 8, P.r(reg), 0), P.label(`z${i}`), P.storeAt(rets, i, P.r(`x${i}`))];
}

/**
 * The body of `steps`: the maps are `map('a')` and `map('b')` (of value sizes `size('a')`,
 * `size('b')`, multiples of 8), the results go to global `rets`, a value is written into the stack
 * variable `v` (at least as large) before a get that takes it.
 */
export function tsBody(steps: readonly TsStep[], map: (m: 'a' | 'b') => string, size: (m: 'a' | 'b') => number, rets: string): Op[] {
  const body: Op[] = [P.mov('p', P.imm(0)), P.mov('q', P.imm(0))];
  steps.forEach((s, i) => {
    const tag = String(i);
    switch (s.op) {
      case 'get': {
        const t = taskOf(s.task, tag);
        if (s.value !== null) body.push(...storeValue(valueBytes(s.value, size(s.map))));
        body.push(...t.ops, P.call('bpf_task_storage_get', [P.map(map(s.map)), t.arg, s.value === null ? P.NULL : P.buf('v'), P.imm(s.flags)], 'p'), ...readOrMinus(rets, i, 'p'));
        break;
      }
      case 'set':
        body.push(P.mov(`x${i}`, P.imm(-1)), P.goto(`z${i}`, P.when('p', '==', P.imm(0))), P.st(8, P.r('p'), 0, P.imm(s.v)), P.mov(`x${i}`, P.imm(0)), P.label(`z${i}`), P.storeAt(rets, i, P.r(`x${i}`)));
        break;
      case 'keep':
        body.push(P.mov('q', P.r('p')), P.storeAt(rets, i, P.imm(0)));
        break;
      case 'readq':
        body.push(...readOrMinus(rets, i, 'q'));
        break;
      case 'del': {
        const t = taskOf(s.task, tag);
        body.push(...t.ops, P.call('bpf_task_storage_delete', [P.map(map(s.map)), t.arg], `d${i}`), P.storeAt(rets, i, P.r(`d${i}`)));
        break;
      }
    }
  });
  return body;
}

/** What a step is, for a case's call records. */
export function stepText(s: TsStep): { fn: string; text: string } {
  switch (s.op) {
    case 'get': return { fn: 'bpf_task_storage_get', text: `get ${s.map} task ${s.task} value ${s.value ?? 'NULL'} flags ${s.flags}: *value or -1` };
    case 'set': return { fn: 'store', text: `*value = ${s.v} (0, or -1 with no value)` };
    case 'keep': return { fn: 'keep', text: 'keep the pointer' };
    case 'readq': return { fn: 'load', text: '*kept pointer, or -1' };
    case 'del': return { fn: 'bpf_task_storage_delete', text: `delete ${s.map} task ${s.task}` };
  }
}

const mapArb = fc.constantFrom<'a' | 'b'>('a', 'a', 'b');
/** Current's value mostly; a NULL task sometimes. */
const taskArb = fc.constantFrom<TsTask>('cur', 'cur', 'cur', 'cur', 'null');
const stepArb: fc.Arbitrary<TsStep> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('get' as const), map: mapArb, task: taskArb, value: fc.option(fc.integer({ min: 0, max: 1000 }), { nil: null }), flags: fc.constantFrom(1, 1, 1, 0, 0, 2, 3) }), weight: 5 },
  { arbitrary: fc.record({ op: fc.constant('set' as const), v: fc.integer({ min: 0, max: 1000 }) }), weight: 2 },
  { arbitrary: fc.constantFrom<TsStep>({ op: 'keep' }, { op: 'readq' }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('del' as const), map: mapArb, task: taskArb }), weight: 2 },
);

/** A program's steps (the same each run), and how many tasks run it, each how many times. */
export const tsSeqArb = fc.record({
  steps: fc.array(stepArb, { minLength: 1, maxLength: 24 }),
  tasks: fc.integer({ min: 1, max: 3 }),
  runs: fc.integer({ min: 1, max: 2 }),
  /** Map a's value size (map b's is 8). */
  size: fc.constantFrom(8, 16, 24),
});
