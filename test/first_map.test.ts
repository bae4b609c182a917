/**
 * FirstMap (src/model/world/first_map.ts), the map of ids that keeps its first entry apart from the
 * others, and the others in a `Map` or, once many and dense, in an array by id: under any sequence of
 * sets and deletes it holds what a `Map` given the same sequence holds.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { FirstMap } from '../src/model/world/first_map.ts';

/**
 * What differs between `m` and `want` (null when nothing): size, each key's value (and `probe`'s), the
 * entries `forEach` gives. Plain comparisons, so that a failing case shrinks in seconds.
 */
function differs(m: FirstMap<number>, want: Map<number, number>, probe: readonly number[]): string | null {
  if (m.size !== want.size) return `size ${m.size}, want ${want.size}`;
  for (const k of probe) if (m.get(k) !== want.get(k)) return `get(${k}) ${m.get(k)}, want ${want.get(k)}`;
  for (const [k, v] of want) if (m.get(k) !== v) return `get(${k}) ${m.get(k)}, want ${v}`;
  const entries: [number, number][] = [];
  m.forEach((v, k) => { entries.push([k, v]); });
  entries.sort((x, y) => x[0] - y[0]);
  const sorted = [...want].sort((x, y) => x[0] - y[0]);
  if (entries.length !== sorted.length || entries.some(([k, v], i) => sorted[i]?.[0] !== k || sorted[i]?.[1] !== v)) return `forEach gave ${JSON.stringify(entries)}`;
  return null;
}

/** Sets (`set` true) and deletes of `key`s, from `minLength` to `maxLength` of them. */
const opsOf = (set: fc.Arbitrary<boolean>, key: fc.Arbitrary<number>, minLength: number, maxLength: number): fc.Arbitrary<{ set: boolean; key: number; value: number }[]> =>
  fc.array(fc.record({ set, key, value: fc.nat() }), { minLength, maxLength, size: 'max' });

describe('FirstMap', () => {
  test('few keys: get, size and forEach are those of a Map given the same sets and deletes', () => {
    // Few keys, so that the first key is set again, deleted, and set again after others.
    fc.assert(fc.property(opsOf(fc.boolean(), fc.nat(5), 0, 40), (ops) => {
      const m = new FirstMap<number>();
      const want = new Map<number, number>();
      for (const { set, key, value } of ops) {
        if (set) { m.set(key, value); want.set(key, value); } else { m.delete(key); want.delete(key); }
        expect(differs(m, want, [0, 1, 2, 3, 4, 5])).toBeNull();
      }
    }), { numRuns: 300 });
  });

  test('many keys, dense and sparse: the same as a Map through the array and back', () => {
    // First ids below 400 only (enough to make the others an array), then also ids past them (the
    // array grows, or the others go back into a Map) and ids no table hands out.
    const dense = fc.nat(399);
    const any = fc.oneof(
      { weight: 8, arbitrary: fc.nat(399) },
      { weight: 2, arbitrary: fc.integer({ min: 400, max: 3000 }) },
      { weight: 1, arbitrary: fc.integer({ min: 3001, max: 1_000_000 }) },
      { weight: 1, arbitrary: fc.constantFrom(-1, 0.5, 2 ** 32, Number.MAX_SAFE_INTEGER) },
    );
    // Mostly sets, so that the others grow past the size at which they may go into an array.
    const set = fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) });
    fc.assert(fc.property(opsOf(set, dense, 80, 300), opsOf(set, any, 0, 300), fc.array(any, { maxLength: 8 }), (first, then, probe) => {
      const m = new FirstMap<number>();
      const want = new Map<number, number>();
      let i = 0;
      for (const { set: isSet, key: k, value } of [...first, ...then]) {
        i += 1;
        if (isSet) { m.set(k, value); want.set(k, value); } else { m.delete(k); want.delete(k); }
        const d = m.get(k) !== want.get(k) || m.size !== want.size ? `get(${k}) ${m.get(k)} or size ${m.size}` : i % 50 === 0 ? differs(m, want, probe) : null;
        if (d !== null) throw new Error(`after ${i} operations: ${d}`);
      }
      expect(differs(m, want, probe)).toBeNull();
    }), { numRuns: 100 });
  });
});
