/**
 * Properties added to kill mutants (docs/properties.md, "Mutation testing"): which folios eviction
 * removes. SEMANTICS.md, "Page cache": "eviction removes only clean, unreferenced, unlocked folios
 * (a folio the reader holds is not evicted)"; the reader "keeps at most one folio referenced between
 * fetches". Expected page states are computed here from those rules.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { expectEqual, expectIs } from './fast_expect.ts';
import { content, pageMap, Session } from '../src/index.ts';
import * as O from './oracle.ts';

const PAGE = 4096;
const NP = 8;

/** Page index → state ('uptodate', 'locked', …; '+ref' when a reader holds it), from `pageMap`. */
function states(s: Session, path: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const [key, ranges] of Object.entries(pageMap(s.world, path))) {
    for (const part of ranges.split(',')) {
      if (part === 'none') continue;
      const [a, b] = part.split('-').map(Number) as [number, number | undefined];
      for (let p = a; p <= (b ?? a); p += 1) out.set(p, key);
    }
  }
  return out;
}

describe('mutants: reads and the page cache', () => {
  test('mutants: a failed read leaves the page not uptodate; readahead errors are retried by the reader, whose own failure is -EIO', () => {
    // Notes §3.2: "Readahead never reports I/O errors itself … a folio that failed in readahead is
    // left … not uptodate, and the reader then re-reads it once via `filemap_update_page` →
    // `filemap_read_folio`; only that error is final"; each read attempt of the page uses one of the
    // `times` injected errors; time advances by the I/O latency for each wait. The oracle (oracle.ts)
    // computes the outcome, the page states and the waits from those rules.
    fc.assert(fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 500 }), (times, page, latency) => {
      const s = new Session({ sleepable: true });
      s.createFile({ path: '/f', content: content.pattern(3), size: 3 * PAGE, ioLatency: latency });
      const f = s.open('/f');
      s.injectIoError('/f', page * PAGE + 7, times);
      const m = O.cacheModel(BigInt(3 * PAGE), false, [], [[page, times]]);
      expectIs(s.bpf_dynptr_from_file(f, 0, 'd'), 0);
      for (let i = 0; i <= times; i += 1) {
        const t0 = s.world.clock.now;
        const sleeps0 = m.sleeps;
        const want = O.fileRead(m, BigInt(page * PAGE), 1n, true);
        const got = s.bpf_dynptr_read(new Uint8Array(1), 1, 'd', page * PAGE, 0);
        expectIs(got, want.ret);
        expectIs(s.world.clock.now - t0, (m.sleeps - sleeps0) * latency);
        expectIs(states(s, '/f').get(page)?.replace('+ra', ''), O.stateOf(m, page));
        // A sleepable reader never keeps a folio.
        expectEqual([...states(s, '/f')].filter(([, st]) => st.includes('+ref')), []);
      }
      // Every injected error was used by a read attempt, and the page ends uptodate.
      expectIs(states(s, '/f').get(page)?.replace('+ra', ''), 'uptodate');
      expectIs(s.bpf_dynptr_file_discard('d'), 0);
    }));
  });

  test('mutants: warming never adds a page wholly past EOF', () => {
    // SEMANTICS.md: "a page wholly past EOF → `-EFAULT` non-sleepable": no such page is ever cached.
    fc.assert(fc.property(fc.constantFrom(0, 1, 4095, 4096, 4097, 8192), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 4 }), (size, first, n) => {
      const s = new Session();
      s.createFile({ path: '/f', content: content.pattern(1), size });
      s.populate('/f', first * PAGE, n * PAGE);
      const eofPages = Math.ceil(size / PAGE);
      for (const p of states(s, '/f').keys()) expect(p).toBeLessThan(eofPages);
      for (let p = first; p < Math.min(first + n, eofPages); p += 1) expect(states(s, '/f').get(p)).toBe('uptodate');
    }));
  });
});

describe('mutants: eviction', () => {
  const arb = fc.record({
    cached: fc.subarray([...Array(NP).keys()]),
    held: fc.option(fc.integer({ min: 0, max: NP - 1 })),
    how: fc.constantFrom('range' as const, 'toEnd' as const, 'dropCaches' as const),
    first: fc.integer({ min: 0, max: NP - 1 }),
    pages: fc.integer({ min: 1, max: NP }),
    tail: fc.integer({ min: 1, max: PAGE }),
    two: fc.boolean(),
  });

  test('mutants: eviction drops the unreferenced cached pages of its range and keeps the folio a reader holds', () => {
    // "eviction removes only clean, unreferenced, unlocked folios (a folio the reader holds is not
    // evicted)". The range is posix_fadvise's: [offset, offset + len), len 0 meaning to the end of
    // the file; drop_caches covers every page.
    fc.assert(fc.property(arb, (g) => {
      const s = new Session();
      const size = (NP - 1) * PAGE + g.tail;
      s.createFile({ path: '/f', content: content.pattern(7), size });
      s.createFile({ path: '/g', content: content.pattern(8), size });
      for (const p of g.cached) s.populate('/f', p * PAGE, PAGE);
      s.populate('/g');
      const f = s.open('/f');
      const held = g.held !== null && g.cached.includes(g.held) ? g.held : null;
      if (held !== null) {
        // A successful read of one byte of page `held`: the reader then holds that folio. With
        // `two`, a second reader holds it too and the first one lets go: it is still held.
        expectIs(s.bpf_dynptr_from_file(f, 0, 'd'), 0);
        expectIs(s.bpf_dynptr_read(new Uint8Array(1), 1, 'd', held * PAGE, 0), 0);
        expectIs(states(s, '/f').get(held), 'uptodate+ref');
        if (g.two) {
          expectIs(s.bpf_dynptr_from_file(f, 0, 'e'), 0);
          expectIs(s.bpf_dynptr_read(new Uint8Array(1), 1, 'e', held * PAGE + 1, 0), 0);
          expectIs(s.bpf_dynptr_file_discard('e'), 0);
          expectIs(states(s, '/f').get(held), 'uptodate+ref');
        }
      }
      const last = Math.min(NP - 1, g.first + g.pages - 1);
      const [lo, hi] = g.how === 'range' ? [g.first, last] : g.how === 'toEnd' ? [g.first, NP - 1] : [0, NP - 1];
      const want = new Map<number, string>();
      for (const p of g.cached) {
        if (p === held) want.set(p, 'uptodate+ref');
        else if (p < lo || p > hi) want.set(p, 'uptodate');
      }
      const evicted = g.cached.filter((p) => p !== held && p >= lo && p <= hi);
      if (g.how === 'dropCaches') {
        // Every inode: /g loses all its pages too.
        expectIs(s.dropCaches(), evicted.length + NP);
        expectIs(states(s, '/g').size, 0);
      } else {
        const got = s.evict('/f', g.first * PAGE, g.how === 'range' ? (last - g.first + 1) * PAGE : 0);
        expectEqual([...got].sort((a, b) => a - b), evicted);
        expectIs(states(s, '/g').size, NP);
      }
      expectEqual(states(s, '/f'), want);
      if (held !== null) {
        // Released by the discard, the folio becomes evictable.
        expectIs(s.bpf_dynptr_file_discard('d'), 0);
        expectEqual(s.evict('/f', held * PAGE, PAGE), [held]);
      }
    }));
  });

  test('mutants: a folio under I/O (locked) is not evicted; it becomes uptodate when its read completes', () => {
    // "eviction removes only clean, unreferenced, unlocked folios"; "a folio is uptodate once its
    // read completed without error". A task's read submits the reads of the cold pages it covers and
    // sleeps; eviction meanwhile keeps them.
    fc.assert(fc.property(fc.integer({ min: 1, max: 4 }), fc.subarray([0, 1, 2, 3]), fc.boolean(), (pages, cached, drop) => {
      const s = new Session();
      s.createFile({ path: '/f', content: content.pattern(9), size: 4 * PAGE });
      s.createFile({ path: '/bin/app', content: content.zero(), size: PAGE });
      for (const p of cached) s.populate('/f', p * PAGE, PAGE);
      s.spawn({ comm: 'reader', exe: '/bin/app', script: [{ sys: 'open', path: '/f', fd: 'x' }, { sys: 'read', fd: 'x', offset: 0, len: pages * PAGE }, { sys: 'close', fd: 'x' }] });
      let locked: number[] = [];
      for (let i = 0; i < 50 && locked.length === 0 && s.step(); i += 1) {
        locked = [...states(s, '/f')].filter(([, st]) => st.startsWith('locked')).map(([p]) => p);
      }
      const cold = [...Array(pages).keys()].filter((p) => !cached.includes(p));
      fc.pre(cold.length > 0);
      expect(locked.length).toBeGreaterThan(0);
      if (drop) s.dropCaches();
      else s.evict('/f', 0, 0);
      // Warming does not make a folio under I/O uptodate either: only its read completing does.
      s.populate('/f');
      const after = states(s, '/f');
      for (const p of locked) expectIs(after.get(p)?.startsWith('locked'), true);
      s.simulate();
      const end = states(s, '/f');
      for (const p of locked) expectIs(end.get(p)?.replace('+ra', ''), 'uptodate');
    }));
  });
});
