/**
 * P9 verifier soundness over programs of the language (memory, loops, calls): a program the
 * verifier model accepts runs to its end without a fault — no access outside the memory a pointer
 * names, no use of a destroyed dynptr, no NULL dereference; the safe programs (in bounds, aligned,
 * NULL-checked) are all accepted; and each kind of rejection has a witness that faults when run
 * anyway (the model's unverified mode).
 */
import fc from 'fast-check';
import { describe, test } from 'vitest';
import { expectIs, expectMatches } from './fast_expect.ts';
import { ArgumentError, KernsimError, refSnapshot, renderC, Session, verify, type BpfObject } from '../src/index.ts';
import { acceptedOrSkip, loaded619 } from './harness.ts';
import { buildLanguage, genLangArb, type GenLang, type GOp } from './language.ts';

/** A task runs the object's program once (`prog_test_run`), then exits. */
function run(s: Session, obj: BpfObject): Session {
  s.spawn({ comm: 'p9', script: [{ sys: 'prog_test_run', prog: obj.programs[0]?.name ?? '' }, { sys: 'exit' }] });
  return s.simulate();
}

const explain = (obj: BpfObject): string => renderC(obj);

describe('P9 verifier soundness: memory and loops', () => {
  test('P9 an accepted program of the language runs to its end without a fault', () => {
    fc.assert(fc.property(genLangArb({ unsafe: true, misaligned: true }), (g) => {
      const obj = buildLanguage('p', g);
      const s = acceptedOrSkip(() => loaded619(obj));
      try {
        run(s, obj);
      } catch (e) {
        throw new Error(`accepted, then faulted: ${e instanceof Error ? e.message : String(e)}\n${explain(obj)}`);
      }
      expectIs([...s.world.tasks.values()].every((t) => t.state === 'dead'), true);
      // The verifier's promise about references (check_reference_leak): every task reference the
      // program took (bpf_task_from_pid) was dropped on the path it ran.
      expectIs(Object.values(refSnapshot(s.world).tasks).every((n) => n === 0), true, () => `a task reference outlived the run\n${explain(obj)}`);
    }), { maxSkipsPerRun: 1000 });
  });

  test('P9 a task reference a path keeps: rejected (Unreleased reference) and, run anyway, rcu_users of the task stays raised', () => {
    fc.assert(fc.property(genLangArb(), fc.boolean(), (g0, spill) => {
      const leak: GOp = { k: 'task', who: 'self', d: 'x0', spill, check: true, release: false };
      const obj = buildLanguage('w', { ...g0, ops: [...g0.ops, leak] });
      const [v] = verify(obj, '6.19');
      expectIs(v?.ok, false);
      expectMatches(v?.message ?? '', /^Unreleased reference id=\d+ alloc_insn=\d+$/);
      const s = run(loaded619(obj, true), obj);
      // The runner found itself (its tgid) and kept the reference; the runner is the only task.
      expectIs(Object.values(refSnapshot(s.world).tasks).join(','), '1');
    }), { numRuns: Math.min(100, Number(process.env.KERNSIM_RUNS ?? 100)) });
  });

  test('P9 the safe programs (in bounds, aligned, NULL-checked) are accepted', () => {
    fc.assert(fc.property(genLangArb(), (g) => {
      const obj = buildLanguage('p', g);
      const [v] = verify(obj, '6.19');
      expectIs(v?.ok, true, () => `${v?.message ?? ''}\n${explain(obj)}`);
    }));
  });

  const witnesses: [string, (g: GenLang) => GOp[], RegExp, (e: unknown) => boolean][] = [
    ['a store one byte past the map value', (g) => [{ k: 'st', where: 'map', size: 1, off: g.size, src: 1n }], /^invalid access to map value, value_size=\d+ off=\d+ size=1$/m, (e) => e instanceof ArgumentError],
    ['a load past the stack array (above the frame)', (g) => [{ k: 'ld', where: 'stack', size: 8, off: g.size + 8 * 8, d: 'x0', signed: false }], /^invalid read from stack R\d+ off=-?\d+ size=8$/m, (e) => e instanceof ArgumentError],
    ['an unmasked variable offset into the map value', () => [{ k: 'set', d: 'x1', v: 1000n }, { k: 'st', where: 'map', size: 8, off: 0, src: 'x1' }, { k: 'ld', where: 'map', size: 8, off: 0, d: 'x1', signed: false }, { k: 'stv', where: 'map', size: 1, idx: 'x1', mask: null, src: 'x2' }],
      /^R\d+ (unbounded memory access|min value is negative|max value is outside of the allowed memory range)/m, (e) => e instanceof ArgumentError],
    ['a dynptr used after a store into its slot', () => [{ k: 'dyn_clobber', d: 'x0' }], /^Expected an initialized dynptr as arg #0$/m, (e) => e instanceof KernsimError],
  ];
  for (const [what, ops, message, faults] of witnesses) {
    test(`P9 ${what}: rejected and, run anyway, it faults`, () => {
      fc.assert(fc.property(genLangArb(), (g0) => {
        const obj = buildLanguage('w', { ...g0, ops: [...g0.ops, ...ops(g0)] });
        const [v] = verify(obj, '6.19');
        expectIs(v?.ok, false);
        expectMatches(v?.log.join('\n') ?? '', message);
        let err: unknown = null;
        try {
          run(loaded619(obj, true), obj);
        } catch (e) {
          err = e;
        }
        expectIs(faults(err), true, () => `no fault: ${String(err)}\n${explain(obj)}`);
      }), { numRuns: Math.min(100, Number(process.env.KERNSIM_RUNS ?? 100)) });
    });
  }
});
