/**
 * The properties' fast assertions (properties/fast_expect.ts) never change a verdict: whenever their
 * own check passes, vitest's matcher passes on the same values; when it does not, the error is
 * vitest's own, with the same message as `expect(...)` gives.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { expectEqual, expectIs, expectMatch, expectThrows, plainEqual } from '../properties/fast_expect.ts';

/** The error `f` throws (vitest's assertion error), or undefined. */
function errorOf(f: () => void): string | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  }
  return undefined;
}

// Values vitest compares specially: -0, NaN, holes, undefined properties, null prototypes, symbols,
// class instances, typed arrays, maps, asymmetric matchers.
const odd = fc.constantFrom<unknown>(
  -0, 0, NaN, undefined, null, [, 1], [undefined, 1], { a: undefined }, {}, Object.create(null), { [Symbol.for('k')]: 1 },
  new Uint8Array([1, 2]), Buffer.from([1, 2]), new Map([[1, 2]]), new Map<unknown, unknown>([[1, [2]], [{}, 1]]), new Map(), new Set([1]), new Date(0), new Error('x'), expect.anything(), 1n,
);
const value = fc.oneof(fc.anything({ maxDepth: 3, withNullPrototype: true, withTypedArray: true, withMap: true, withSet: true, withBigInt: true, withSparseArray: true }), odd);

describe('fast assertions', () => {
  test('plainEqual(a, b) implies toEqual passes; each helper passes or fails exactly as vitest does', () => {
    fc.assert(fc.property(value, value, fc.boolean(), (a0, b0, same) => {
      const a = a0;
      const b = same ? structuredCloneOr(a0) : b0;
      const vitestEqual = errorOf(() => expect(a).toEqual(b));
      if (plainEqual(a, b)) expect(vitestEqual).toBeUndefined();
      expect(errorOf(() => expectEqual(a, b))).toBe(vitestEqual);
      expect(errorOf(() => expectIs(a, b))).toBe(errorOf(() => expect(a).toBe(b)));
      expect(errorOf(() => expectIs(a, a))).toBeUndefined();
    }), { numRuns: 2000 });
  });

  test('equal plain data is recognised (the fast path is taken, not only the fallback)', () => {
    expect(plainEqual({ a: [1, 'x', null, { b: 2n }], c: true }, { a: [1, 'x', null, { b: 2n }], c: true })).toBe(true);
    expect(plainEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3]))).toBe(true);
    expect(plainEqual([1, 2], [1, 3])).toBe(false);
    expect(plainEqual({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(plainEqual(new Map<number, unknown>([[1, { a: [2] }], [3, 'x']]), new Map<number, unknown>([[3, 'x'], [1, { a: [2] }]]))).toBe(true);
    expect(plainEqual(new Map([[1, 2]]), new Map([[1, 3]]))).toBe(false);
  });

  test('expectMatch passes or fails exactly as toMatchObject does', () => {
    const prim = fc.oneof(fc.constantFrom<string | number | boolean | null>(-0, 0, NaN, null, true, false, '', 'x', 1), fc.integer(), fc.string({ maxLength: 2 }));
    const expected = fc.dictionary(fc.constantFrom('ok', 'message', 'insn', 'constructor', 'toString'), prim, { maxKeys: 3 });
    const actual = fc.oneof(fc.dictionary(fc.constantFrom('ok', 'message', 'insn', 'other'), fc.oneof(prim, value), { maxKeys: 4 }), value);
    fc.assert(fc.property(actual, expected, fc.boolean(), (a0, e, extend) => {
      // Also objects that hold every expected key (the fast path), with other keys beside them.
      const a = extend && typeof a0 === 'object' && a0 !== null && !Array.isArray(a0) ? { ...a0, ...e } : a0;
      expect(errorOf(() => expectMatch(a, e))).toBe(errorOf(() => expect(a).toMatchObject(e)));
    }), { numRuns: 2000 });
    expectMatch({ ok: false, message: 'm', insn: 6, log: ['m'] }, { ok: false, message: 'm', insn: 6 });
  });

  test('expectThrows calls f once and fails as toThrow does', () => {
    let calls = 0;
    expectThrows(() => { calls += 1; throw new RangeError('r'); }, RangeError);
    expect(calls).toBe(1);
    const cases: (() => unknown)[] = [() => 1, () => { throw new TypeError('t'); }, () => { throw 'text'; }];
    for (const f of cases) expect(errorOf(() => expectThrows(f, RangeError))).toBe(errorOf(() => expect(f).toThrow(RangeError)));
  });
});

/** A copy of `v` when structuredClone can make one (equal data, other identity), else `v`. */
function structuredCloneOr(v: unknown): unknown {
  try {
    return structuredClone(v);
  } catch {
    return v;
  }
}
