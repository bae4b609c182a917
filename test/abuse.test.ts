/**
 * A deterministic, fast subset of the abuse harness (scripts/abuse/run.ts; the full run's numbers are
 * in docs/robustness.md): every tenth malformed scenario derived from the examples and every
 * hand-written one, 300 fuzzed documents, and every misuse of the API. A correct kernsim refuses each
 * malformed scenario (or fails its check, or stops it at a budget) with the place named, and never
 * crashes, passes a bad input silently, or changes Object.prototype.
 */
import { describe, expect, test } from 'vitest';
import { ArgumentError, ScenarioError, UnknownHandleError } from '../src/index.ts';
import { classify, prototypeFingerprint } from '../properties/bad_input.ts';
import { apiMisuses, fuzzCases, malformedCases } from '../scripts/abuse/cases.ts';

describe('abuse (a subset of scripts/abuse/run.ts)', () => {
  test('malformed scenarios: each gets the answer it should, with its place; no crash, no silent pass', () => {
    const before = prototypeFingerprint();
    const cases = malformedCases(10);
    expect(cases.length).toBeGreaterThan(600);
    const wrong: string[] = [];
    for (const c of cases) {
      const out = classify(c.doc);
      if (out.kind !== c.want || !out.placed) wrong.push(`${c.id} (${c.klass}): wanted ${c.want}, got ${out.kind}${out.placed ? '' : ' without a place'}: ${out.detail.slice(0, 200)}`);
    }
    expect(wrong).toEqual([]);
    expect(prototypeFingerprint()).toBe(before);
  });

  test('fuzzed documents: a pass, a failed check, or a placed error; never a crash', () => {
    const before = prototypeFingerprint();
    const bad: string[] = [];
    for (const c of fuzzCases(300, 16)) {
      const out = classify(c.doc);
      if (!['pass', 'fail', 'refused', 'argument', 'budget'].includes(out.kind) || (['refused', 'argument', 'budget'].includes(out.kind) && !out.placed)) bad.push(`${c.id}: ${out.kind}: ${out.detail.slice(0, 300)}`);
    }
    expect(bad).toEqual([]);
    expect(prototypeFingerprint()).toBe(before);
  });

  test('API misuses: each throws an error naming its argument (or the document place)', () => {
    const bad: string[] = [];
    const cases = apiMisuses();
    expect(cases.length).toBeGreaterThan(50);
    for (const c of cases) {
      try {
        c.call();
        bad.push(`${c.id}: accepted`);
      } catch (e) {
        const placed = ((e instanceof ArgumentError || e instanceof UnknownHandleError) && e.argument.length > 0) || (e instanceof ScenarioError && e.problems.length > 0);
        if (!placed) bad.push(`${c.id}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
      }
    }
    expect(bad).toEqual([]);
  });
});
