/**
 * The page cache's sparse maps (src/pagecache/sparse.ts): a persistent map that a `Mapping` clones on
 * its first change. Checked against a `Map` given the same operations: what it holds and how it reads,
 * a clone's changes never seen by the map it was cloned from (nor the other way), and a frozen map
 * refusing changes. Then through the model: readers taking and dropping folios leave every earlier
 * world's references as they were.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { content, Session } from '../src/index.ts';
import { SparseMap } from '../src/pagecache/index.ts';

type Op = { op: 'set'; key: number; value: number } | { op: 'delete'; key: number } | { op: 'clone' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('set' as const), key: fc.integer({ min: 0, max: 40 }), value: fc.integer() }), weight: 4 },
  { arbitrary: fc.record({ op: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 40 }) }), weight: 2 },
  { arbitrary: fc.constant({ op: 'clone' as const }), weight: 1 },
);

/** What a `ReadonlyMap` shows, in key order (a `SparseMap` iterates in key order, a `Map` in insertion order). */
function shown(m: ReadonlyMap<number, number>): [number, number][] {
  return [...m.entries()].sort((a, b) => a[0] - b[0]);
}

describe('SparseMap', () => {
  test('reads as a Map given the same changes; a clone and its original never see each other\'s changes', () => {
    fc.assert(fc.property(fc.array(opArb, { maxLength: 80 }), (ops) => {
      let cur = SparseMap.of<number, number>(new Map()).clone();
      let model = new Map<number, number>();
      // Every clone taken, with the map it should still equal: earlier copies must not change.
      const kept: [SparseMap<number, number>, Map<number, number>][] = [];
      for (const o of ops) {
        if (o.op === 'set') {
          expect(cur.set(o.key, o.value)).toBe(cur);
          model.set(o.key, o.value);
        } else if (o.op === 'delete') {
          expect(cur.delete(o.key)).toBe(model.delete(o.key));
        } else {
          cur.freeze();
          // Frozen: a change is refused and leaves it as it was.
          expect(() => cur.set(41, 1)).toThrow();
          expect(() => cur.delete(0)).toThrow();
          expect(cur.has(41)).toBe(false);
          kept.push([cur, new Map(model)]);
          cur = cur.clone();
          model = new Map(model);
        }
        expect(cur.size).toBe(model.size);
      }
      for (const [m, want] of [...kept, [cur, model] as [SparseMap<number, number>, Map<number, number>]]) {
        expect(shown(m)).toEqual(shown(want));
        expect(m.size).toBe(want.size);
        for (let k = 0; k <= 40; k += 1) {
          expect(m.get(k)).toBe(want.get(k));
          expect(m.has(k)).toBe(want.has(k));
        }
        // In key order, by every way of walking it.
        const keys = [...want.keys()].sort((a, b) => a - b);
        expect([...m.keys()]).toEqual(keys);
        expect([...m.values()]).toEqual(keys.map((k) => want.get(k)));
        expect([...m]).toEqual(keys.map((k) => [k, want.get(k)]));
        // A range's keys, as a filter of them all would give.
        for (const [lo, hi] of [[0, 41], [5, 6], [10, 20], [20, 10], [-3, 3], [40, 100]] as const) {
          expect(m.keysIn(lo, hi)).toEqual(keys.filter((k) => k >= lo && k < hi));
        }
        const each: [number, number][] = [];
        m.forEach((v, k, map) => { expect(map).toBe(m); each.push([k, v]); });
        expect(each).toEqual(keys.map((k) => [k, want.get(k)]));
      }
    }));
  });

  test('a frozen map refuses changes and stays as it was; `of` keeps a SparseMap and copies a Map', () => {
    const m = SparseMap.of(new Map([[3, 30], [1, 10]]));
    expect([...m]).toEqual([[1, 10], [3, 30]]);
    expect(() => m.set(2, 20)).toThrow();
    expect(() => m.delete(1)).toThrow();
    expect([...m]).toEqual([[1, 10], [3, 30]]);
    expect(SparseMap.of(m)).toBe(m);
    const e = SparseMap.empty<string, number>();
    expect(e.size).toBe(0);
    expect(() => e.set('a', 1)).toThrow();
    expect(String(e)).toBe('[object SparseMap]');
  });
});

describe('reader references through the model', () => {
  test('each world keeps the references it had while readers take and drop folios', () => {
    const s = new Session();
    const pages = 24;
    s.createFile({ path: '/f', content: content.pattern(9), size: pages * 4096 });
    s.populate('/f');
    const fd = s.open('/f');
    const buf = new Uint8Array(16);
    const readers = 6;
    for (let r = 0; r < readers; r += 1) expect(s.bpf_dynptr_from_file(fd, 0, `d${r}`)).toBe(0);
    // Which page each reader holds, as the kernel's freader keeps it (one folio, the last one read).
    const holds = new Map<number, number>();
    const history: { world: typeof s.world; want: number[] }[] = [];
    const refsOf = (): number[] => s.pageStates('/f').filter((p) => p.refs > 0).flatMap((p) => Array.from({ length: p.refs }, () => p.page));
    fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: readers - 1 }), fc.integer({ min: 0, max: pages - 1 }), fc.boolean()), { minLength: 1, maxLength: 40 }), (moves) => {
      for (const [r, page, discard] of moves) {
        if (discard && holds.has(r)) {
          expect(s.bpf_dynptr_file_discard(`d${r}`)).toBe(0);
          holds.delete(r);
          expect(s.bpf_dynptr_from_file(fd, 0, `d${r}`)).toBe(0);
        } else {
          expect(s.bpf_dynptr_read(buf, 16, `d${r}`, page * 4096, 0)).toBe(0);
          holds.set(r, page);
        }
        const want = [...holds.values()].sort((a, b) => a - b);
        expect(refsOf()).toEqual(want);
        history.push({ world: s.world, want });
      }
    }), { numRuns: 20 });
    // Every earlier world still shows what it showed when it was made.
    const now = s.world;
    for (const h of history) {
      s.world = h.world;
      expect(refsOf()).toEqual(h.want);
    }
    s.world = now;
  });
});
