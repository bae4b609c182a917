/**
 * Fuzzing the scenario format (issue 16): random JSON, generated valid scenarios, and near-valid ones
 * (the examples and generated scenarios with one mutation) go through `parseScenario` + `runScenario`
 * under small budgets. The only outcomes are a pass, a failed expectation, a `ScenarioError` whose
 * problems each name a place, an `ArgumentError` naming its argument, or a `BudgetError` naming the
 * scenario — never an internal error, a hang or a change to `Object.prototype` (README, "Scenario
 * files"; docs/robustness.md).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { expectIs } from './fast_expect.ts';
import { classify, exampleDocs, mutate, mutation, prototypeFingerprint, validScenario } from './bad_input.ts';

const examples = exampleDocs();

const specialKeys = fc.dictionary(fc.constantFrom('__proto__', 'constructor', 'toString', 'name', 'files', 'objects', 'tasks', 'expect'), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 });

const documents = fc.oneof(
  { arbitrary: fc.jsonValue({ maxDepth: 4 }), weight: 1 },
  { arbitrary: specialKeys, weight: 1 },
  { arbitrary: validScenario, weight: 1 },
  { arbitrary: fc.tuple(validScenario, fc.array(mutation, { minLength: 1, maxLength: 2 })).map(([d, ms]) => ms.reduce<unknown>((x, m) => mutate(x, m), d)), weight: 3 },
  { arbitrary: fc.tuple(fc.constantFrom(...examples.map((e) => e.doc)), fc.array(mutation, { minLength: 1, maxLength: 2 })).map(([d, ms]) => ms.reduce<unknown>((x, m) => mutate(x, m), d)), weight: 3 },
);

describe('P16 bad input: a precise error, never a crash, a hang or a silent change', () => {
  test('P16 any document through parseScenario + runScenario: a pass, a failed check, or a placed ScenarioError/ArgumentError/BudgetError; Object.prototype untouched', () => {
    const before = prototypeFingerprint();
    fc.assert(fc.property(documents, (doc) => {
      const out = classify(doc);
      expect(['pass', 'fail', 'refused', 'argument', 'budget'], out.detail).toContain(out.kind);
      if (out.kind !== 'pass' && out.kind !== 'fail') expectIs(out.placed, true, out.detail);
      expectIs(prototypeFingerprint(), before);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    }));
  });

  test('P16 a generated valid scenario is accepted (its checks may pass or fail, nothing else)', () => {
    fc.assert(fc.property(validScenario, (doc) => {
      const out = classify(doc);
      expect(['pass', 'fail'], out.detail).toContain(out.kind);
    }));
  });
});
