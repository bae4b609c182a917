/**
 * FirstMap (src/model/world/first_map.ts), the map that keeps its first entry apart from the `Map`
 * of the others: under any sequence of sets and deletes it holds what a `Map` given the same
 * sequence holds.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { FirstMap } from '../src/model/world/first_map.ts';

describe('FirstMap', () => {
  test('get, size and forEach are those of a Map given the same sets and deletes', () => {
    // Few keys, so that the first key is set again, deleted, and set again after others.
    const op = fc.record({ set: fc.boolean(), key: fc.nat(5), value: fc.nat() });
    fc.assert(fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
      const m = new FirstMap<number, number>();
      const want = new Map<number, number>();
      for (const { set, key, value } of ops) {
        if (set) { m.set(key, value); want.set(key, value); } else { m.delete(key); want.delete(key); }
        expect(m.size).toBe(want.size);
        for (let k = 0; k <= 5; k += 1) expect(m.get(k)).toBe(want.get(k));
        const entries: [number, number][] = [];
        m.forEach((v, k) => { entries.push([k, v]); });
        expect(entries.sort((a, b) => (a[0] as number) - (b[0] as number))).toEqual([...want].sort((a, b) => a[0] - b[0]));
      }
    }), { numRuns: 300 });
  });
});
