/**
 * The page cache's interval map (src/pagecache/page.ts `Mapping.assign`, the runs): splits and merges
 * at run boundaries, large folios, counts; and a property that drives the range-based transitions and
 * the per-page reference model (test/support/pages_*.ts: the implementation before the interval map,
 * one map entry per page) through the same random operations and compares every page, every result
 * and every earlier state.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import * as R from '../src/pagecache/index.ts';
import * as P from './support/pages_mapping.ts';
import { Mapping as RefMapping, type MappingState as RefState } from './support/pages_page.ts';

const runs = (m: R.MappingState): [number, number, string, number, number][] => [...R.runsOf(m)].map((r) => [r.start, r.end, r.state, r.order, r.flags]);
const U = { state: 'uptodate', order: 0, flags: 0 } as const;

/** The invariants of the runs: sorted, disjoint, aligned to their folios, neighbours merged, counted. */
function checkRuns(m: R.MappingState): void {
  let prev: R.Run | undefined;
  let n = 0;
  for (const r of R.runsOf(m)) {
    expect(r.start).toBeLessThan(r.end);
    expect(r.start % 2 ** r.order).toBe(0);
    expect(r.end % 2 ** r.order).toBe(0);
    if (prev !== undefined) {
      expect(prev.end).toBeLessThanOrEqual(r.start);
      const mergeable = prev.end === r.start && prev.state === r.state && prev.order === r.order && prev.flags === r.flags;
      expect(mergeable, `runs [${prev.start},${prev.end}) and [${r.start},${r.end}) not merged`).toBe(false);
    }
    n += r.end - r.start;
    prev = r;
  }
  expect(m.cached).toBe(n);
}

describe('the interval map', () => {
  test('a change inside a run splits it in three; undoing it merges them back', () => {
    const m = R.emptyMapping();
    m.assign(0, 100, U);
    expect(runs(m)).toEqual([[0, 100, 'uptodate', 0, 0]]);
    m.assign(40, 41, { state: 'failed', order: 0, flags: 0 });
    expect(runs(m)).toEqual([[0, 40, 'uptodate', 0, 0], [40, 41, 'failed', 0, 0], [41, 100, 'uptodate', 0, 0]]);
    expect(m.cached).toBe(100);
    m.assign(40, 41, U);
    expect(runs(m)).toEqual([[0, 100, 'uptodate', 0, 0]]);
    checkRuns(m);
  });

  test('at a run boundary: a change of the first or last page splits one side only; neighbours merge across gaps filled', () => {
    const m = R.emptyMapping();
    m.assign(10, 20, U);
    m.assign(10, 11, { ...U, flags: R.PG_DIRTY });
    m.assign(19, 20, { ...U, flags: R.PG_DIRTY });
    expect(runs(m)).toEqual([[10, 11, 'uptodate', 0, 2], [11, 19, 'uptodate', 0, 0], [19, 20, 'uptodate', 0, 2]]);
    m.assign(30, 40, U);
    m.assign(20, 30, U); // fills the gap: merges with [30, 40), not with the dirty page before it
    expect(runs(m)).toEqual([[10, 11, 'uptodate', 0, 2], [11, 19, 'uptodate', 0, 0], [19, 20, 'uptodate', 0, 2], [20, 40, 'uptodate', 0, 0]]);
    m.assign(19, 20, U);
    expect(runs(m)).toEqual([[10, 11, 'uptodate', 0, 2], [11, 40, 'uptodate', 0, 0]]);
    m.assign(0, 50, null);
    expect(runs(m)).toEqual([]);
    expect(m.cached).toBe(0);
  });

  test('large folios: runs of one order merge, of different orders do not; a split inside a folio is refused', () => {
    const m = R.emptyMapping();
    expect(R.addFolio(m, 0, 2)).toBe(true);
    expect(R.addFolio(m, 4, 2)).toBe(true);
    expect(R.addFolio(m, 8, 0)).toBe(true);
    expect(runs(m)).toEqual([[0, 8, 'locked', 2, 0], [8, 9, 'locked', 0, 0]]);
    expect(R.folioAt(m, 6)).toEqual({ head: 4, nr: 4 });
    expect(R.addFolio(m, 4, 1)).toBe(false); // -EEXIST: pages 4-5 are cached
    expect(() => m.assign(2, 3, U)).toThrow(R.PageCacheInvariantError);
    expect(() => m.assign(0, 6, { state: 'uptodate', order: 2, flags: 0 })).toThrow(R.PageCacheInvariantError);
    R.endRead(m, 4, true);
    expect(runs(m)).toEqual([[0, 4, 'locked', 2, 0], [4, 8, 'uptodate', 2, 0], [8, 9, 'locked', 0, 0]]);
    checkRuns(m);
  });

  test('a whole 2^40-byte file is one run; a read in its middle splits it at the read folio only', () => {
    const m = R.emptyMapping();
    const pages = 2 ** 28;
    expect(R.populateRange(m, 0, pages - 1)).toEqual([[0, pages - 1]]);
    expect(m.cached).toBe(pages);
    expect(runs(m)).toEqual([[0, pages, 'uptodate', 0, 0]]);
    expect(R.uptodateThrough(m, 0, pages - 1)).toBe(true);
    R.folioGet(m, { head: 2 ** 27, gen: 0 });
    const r = R.invalidateRange(m, 0, pages - 1);
    expect(r.evicted).toEqual([[0, 2 ** 27 - 1], [2 ** 27 + 1, pages - 1]]);
    expect(r.kept).toEqual([[2 ** 27, 2 ** 27]]);
    expect(runs(m)).toEqual([[2 ** 27, 2 ** 27 + 1, 'uptodate', 0, 0]]);
  });

  test('a state taken from a mapping never changes when the mapping changes on', () => {
    const m = R.emptyMapping();
    R.populateRange(m, 0, 9);
    const s1 = m.state();
    R.startRead(m, 20);
    R.invalidateRange(m, 0, 4);
    const s2 = m.state();
    expect(runs(s1)).toEqual([[0, 10, 'uptodate', 0, 0]]);
    expect(runs(s2)).toEqual([[5, 10, 'uptodate', 0, 0], [20, 21, 'locked', 0, 0]]);
    const d = new R.Mapping(s2);
    R.endRead(d, 20, false);
    expect(runs(s2)).toEqual([[5, 10, 'uptodate', 0, 0], [20, 21, 'locked', 0, 0]]);
    expect(() => s2.runs.set(0, s2.runs.get(5) as R.Run)).toThrow();
  });
});

/** One operation on both models; pages in [0, SPAN). */
type Op =
  | { op: 'add'; page: number; order: number }
  | { op: 'startRead' | 'populate' | 'clearRa' | 'setRa' | 'write' | 'dirty' | 'get' | 'put' | 'lockBlocks' | 'markUptodate' | 'firstLocked'; page: number }
  | { op: 'endRead'; page: number; ok: boolean; blocks: boolean; mask: number }
  | { op: 'setBlocks' | 'writeBlocks'; page: number; mask: number }
  | { op: 'populateRange' | 'invalidate' | 'clean'; page: number; last: number }
  | { op: 'truncate'; page: number };

const SPAN = 24;
const NB = 4;
const page = fc.integer({ min: 0, max: SPAN - 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('add' as const), page, order: fc.integer({ min: 0, max: 3 }) }) },
  { weight: 6, arbitrary: fc.record({ op: fc.constantFrom('startRead', 'populate', 'clearRa', 'setRa', 'write', 'dirty', 'get', 'put', 'lockBlocks', 'markUptodate', 'firstLocked') as fc.Arbitrary<'startRead'>, page }) },
  { weight: 8, arbitrary: fc.record({ op: fc.constant('endRead' as const), page, ok: fc.boolean(), blocks: fc.integer({ min: 0, max: 3 }).map((n) => n === 0), mask: fc.integer({ min: 0, max: 2 ** NB - 1 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constantFrom('setBlocks', 'writeBlocks') as fc.Arbitrary<'setBlocks'>, page, mask: fc.integer({ min: 0, max: 2 ** NB - 1 }) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constantFrom('populateRange', 'invalidate', 'clean') as fc.Arbitrary<'invalidate'>, page, last: fc.integer({ min: -1, max: SPAN + 4 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('truncate' as const), page }) },
);

/** Every page of both models as text: state, folio, flags, references, blocks. */
function pagesOf(m: R.MappingState): string[] {
  const out: string[] = [];
  for (let p = 0; p < SPAN + 8; p += 1) {
    const f = R.findPage(m, p);
    out.push(f === undefined ? '-' : `${f.state} ${f.head}/${f.nr} ra=${f.readahead} d=${f.dirty} refs=${f.refs} b=${m.blocks.get(p) ?? '-'}`);
  }
  return out;
}
function refPagesOf(m: RefState): string[] {
  const out: string[] = [];
  for (let p = 0; p < SPAN + 8; p += 1) {
    const f = P.findPage(m, p);
    out.push(f === undefined ? '-' : `${f.state} ${f.head}/${f.nr} ra=${f.readahead} d=${f.dirty} refs=${f.refs} b=${m.blocks.get(p) ?? '-'}`);
  }
  return out;
}

const expand = (rs: readonly R.PageRun[]): number[] => R.expandRuns(rs);
const bytes = (head: number, nr: number): Uint8Array => Uint8Array.of(head, nr);

/** Apply `o` to both; returns what each reported (a thrown error as its class name). */
function apply(o: Op, m: R.Mapping, ref: RefMapping): [unknown, unknown] {
  const both = (a: () => unknown, b: () => unknown): [unknown, unknown] => {
    const run = (f: () => unknown): unknown => {
      try { return f(); } catch (e) { return `threw ${(e as Error).name}`; }
    };
    return [run(a), run(b)];
  };
  const p = o.page;
  const fr = P.folioAt(ref, p);
  switch (o.op) {
    case 'add': {
      const head = p - (p % 2 ** o.order);
      return both(() => R.addFolio(m, head, o.order), () => P.addFolio(ref, head, o.order));
    }
    case 'startRead': return both(() => R.startRead(m, p), () => P.startRead(ref, p));
    case 'populate': return both(() => R.populate(m, p), () => P.populate(ref, p));
    case 'clearRa': return both(() => R.clearReadahead(m, p), () => P.clearReadahead(ref, p));
    case 'setRa': {
      if (fr === undefined) return [null, null]; // only on a cached folio (the readahead code's use)
      return both(() => R.setReadahead(m, fr.head), () => P.setReadahead(ref, fr.head));
    }
    case 'write': return both(() => R.writePage(m, p), () => P.writePage(ref, p));
    case 'dirty': return both(() => R.markDirty(m, p), () => P.markDirty(ref, p));
    case 'get': case 'put': {
      if (fr === undefined) return [null, null];
      const id = { head: fr.head, gen: ref.gens.get(fr.head) ?? 0 };
      return o.op === 'get' ? both(() => R.folioGet(m, id), () => P.folioGet(ref, id)) : both(() => R.folioPut(m, id), () => P.folioPut(ref, id));
    }
    case 'lockBlocks': return both(() => R.lockForBlocks(m, p), () => P.lockForBlocks(ref, p));
    case 'markUptodate': return both(() => R.markUptodate(m, p), () => P.markUptodate(ref, p));
    case 'firstLocked': return both(() => R.firstLockedFrom(m, p), () => P.firstLockedFrom(ref, p));
    case 'endRead': {
      // Mostly the end of a read in flight: the `page`-th locked folio, when there is one.
      const locked: number[] = [];
      for (let q = 0; q < SPAN + 8; q += 1) if (P.findPage(ref, q)?.state === 'locked' && P.folioAt(ref, q)?.head === q) locked.push(q);
      const head = locked.length > 0 && p % 4 !== 0 ? (locked[p % locked.length] as number) : (fr?.head ?? p);
      const f = P.folioAt(ref, head);
      if (o.blocks && (f?.nr ?? 1) > 1) return [null, null]; // reads of blocks are of order-0 folios only
      const blocks = o.blocks ? { after: o.mask | (ref.blocks.get(head) ?? 0), before: ref.blocks.get(head) ?? 0, n: NB } : undefined;
      return both(() => R.endRead(m, head, o.ok, blocks), () => P.endRead(ref, head, o.ok, blocks));
    }
    case 'setBlocks': return both(() => R.setBlocks(m, p, o.mask, NB), () => P.setBlocks(ref, p, o.mask, NB));
    case 'writeBlocks': return both(() => R.writeBlocks(m, p, o.mask, NB), () => P.writeBlocks(ref, p, o.mask, NB));
    case 'populateRange': {
      const [a, b] = both(() => expand(R.populateRange(m, p, o.last)), () => {
        const added: number[] = [];
        for (let q = p; q <= o.last; q += 1) if (P.populate(ref, q)) added.push(q);
        return added;
      });
      return [a, b];
    }
    case 'invalidate': {
      return both(() => {
        const r = R.invalidateRange(m, p, o.last);
        return [expand(r.evicted), expand(r.kept)];
      }, () => {
        const r = P.invalidateRange(ref, p, o.last);
        return [r.evicted, r.kept];
      });
    }
    case 'clean': return both(() => R.cleanAll(m, p, o.last), () => P.cleanAll(ref, p, o.last));
    case 'truncate': {
      if (P.firstLockedFrom(ref, p) !== null) return [null, null]; // the caller waits for locked folios first
      return both(() => {
        const r = R.truncateFrom(m, p, bytes);
        return [expand(r.removed), r.detached];
      }, () => {
        const r = P.truncateFrom(ref, p, bytes);
        return [r.removed, [...r.detached].sort((x, y) => x.head - y.head)];
      });
    }
  }
}

describe('the interval map against the per-page reference model', () => {
  test('every operation leaves the same pages, reports the same, and never changes an earlier state', () => {
    fc.assert(fc.property(fc.array(opArb, { minLength: 1, maxLength: 80 }), (ops) => {
      let m = R.emptyMapping();
      let ref = new RefMapping();
      const done: Op[] = [];
      const states: [R.MappingState, string[]][] = [];
      for (const o of ops) {
        const [got, want] = apply(o, m, ref);
        expect(got, JSON.stringify(o)).toEqual(want);
        if (typeof got === 'string' && got.startsWith('threw')) {
          // Both refused (a misuse the callers never make): go on from the state before it, replayed.
          m = R.emptyMapping();
          ref = new RefMapping();
          for (const d of done) apply(d, m, ref);
          continue;
        }
        done.push(o);
        expect(pagesOf(m), JSON.stringify(o)).toEqual(refPagesOf(ref));
        checkRuns(m);
        const s = m.state();
        states.push([s, pagesOf(s)]);
      }
      for (const [s, seen] of states) expect(pagesOf(s)).toEqual(seen);
    }));
  });
});
