/**
 * P9 verifier soundness: a program the verifier model accepts never leaks a reference, never uses a
 * released object and leaves every count at its baseline, whatever the cache and the opener; and each
 * kind of rejection has a witness that misbehaves when run anyway (the model's unverified mode).
 * Also: rendering is deterministic and names every function the program calls.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { expectIs, expectMatch, expectMatches, expectThrows } from './fast_expect.ts';
import { ArgumentError, KernsimError, refSnapshot, renderC, UseAfterFreeError, verify } from '../src/index.ts';
import { buildWorld, genProgram, genWorld, toObject, type Mutation } from './programs.ts';
import { context, reporting } from './report.ts';

const ALL: Mutation[] = ['none', 'drop_discard', 'drop_put', 'drop_null_check', 'use_clone_after_discard', 'put_before_discard', 'sleepable_call'];

function atBaseline(s: ReturnType<typeof buildWorld>): void {
  const snap = refSnapshot(s.world);
  expectIs(snap.liveFileStates, 0);
  expectIs(snap.folioRefs, 0);
  expectIs(snap.ioInFlight, 0);
  for (const n of Object.values(snap.files)) expectIs(n, 0);
}

describe('P9 verifier soundness', () => {
  test('P9 an accepted program never leaks, never uses a freed object, and leaves counts at baseline', () => {
    fc.assert(fc.property(genProgram(ALL), genWorld, (g, w) => {
      const obj = toObject(g);
      const [v] = verify(obj);
      fc.pre(v?.ok === true);
      const s = buildWorld(w, obj, false);
      reporting(() => context(obj, s.world), () => {
        s.simulate(); // throws on a use after free or a broken invariant
        atBaseline(s);
      });
    }));
  });

  test('P9 the well-formed program (no mutation) is always accepted', () => {
    fc.assert(fc.property(genProgram(['none']), (g) => {
      expectMatch(verify(toObject(g))[0], { ok: true });
    }));
  });

  const witnesses: [Mutation, RegExp, (g: Parameters<typeof toObject>[0]) => void][] = [
    ['drop_discard', /Unreleased reference|Leaking reference/, (g) => {
      const s = buildWorld({ exeSize: 8192, cached: [0, 1], kthread: false }, toObject({ ...g, flags: 0 }), true).simulate();
      expect(refSnapshot(s.world).liveFileStates).toBeGreaterThan(0);
    }],
    ['drop_put', /^Unreleased reference id=\d+ alloc_insn=\d+$/, (g) => {
      const s = buildWorld({ exeSize: 8192, cached: [0, 1], kthread: false }, toObject(g), true).simulate();
      expectIs(Object.values(refSnapshot(s.world).files).some((n) => n > 0), true);
    }],
    ['drop_null_check', /^Possibly NULL pointer passed to trusted arg0$/, (g) => {
      expectThrows(() => buildWorld({ exeSize: 8192, cached: [], kthread: true }, toObject(g), true).simulate(), ArgumentError);
    }],
    ['use_clone_after_discard', /^Expected an initialized dynptr as arg #2$/, (g) => {
      expectThrows(() => buildWorld({ exeSize: 8192, cached: [0], kthread: false }, toObject({ ...g, flags: 0 }), true).simulate(), UseAfterFreeError);
    }],
    ['sleepable_call', /^program must be sleepable to call sleepable kfunc bpf_copy_from_user_str$/, (g) => {
      expect(() => buildWorld({ exeSize: 8192, cached: [0], kthread: false }, toObject(g), true).simulate()).toThrow(/non-sleepable context/);
    }],
  ];

  for (const [mutation, message, misbehaves] of witnesses) {
    test(`P9 ${mutation}: rejected (${message.source}) and, run anyway, it misbehaves`, () => {
      fc.assert(fc.property(genProgram([mutation]).map((g) => (mutation === 'sleepable_call' ? { ...g, section: 'lsm/file_open' as const } : g)), (g) => {
        const [v] = verify(toObject(g));
        expectIs(v?.ok, false);
        expectMatches(v?.message ?? '', message);
        misbehaves(g);
      }));
    });
  }

  test('P9 put_before_discard is rejected (the dynptr outlives the file reference it was made from)', () => {
    fc.assert(fc.property(genProgram(['put_before_discard']), (g) => {
      expectMatches(verify(toObject(g))[0]?.message ?? '', /^Leaking reference/);
    }));
  });

  test('P9 no generated program makes the model throw anything but a detected misuse', () => {
    fc.assert(fc.property(genProgram(ALL), genWorld, (g, w) => {
      try {
        buildWorld(w, toObject(g), true).simulate();
      } catch (e) {
        expect(e).toBeInstanceOf(KernsimError);
      }
    }));
  });
});

describe('rendering', () => {
  test('rendering is deterministic and mentions every function the program calls', () => {
    fc.assert(fc.property(genProgram(ALL), (g) => {
      const obj = toObject(g);
      const c = renderC(obj);
      expectIs(renderC(toObject(g)), c);
      for (const op of obj.programs[0]?.body ?? []) if (op.op === 'call') expectMatches(c, `${op.fn}(`);
    }));
  });
});
