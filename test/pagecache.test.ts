/**
 * The page cache: src/pagecache functions on a bare Mapping, and the scenario-level cache operations
 * (populate, evict, drop_caches, fault injection) through a Session. SEMANTICS.md "Page cache":
 * 4096-byte pages; uptodate once a read completed without error; eviction removes only clean,
 * unreferenced, unlocked folios; a failed read leaves the folio not uptodate.
 */
import { describe, expect, test } from 'vitest';
import { ArgumentError, content, EIO, files, Session, UnknownHandleError } from '../src/index.ts';
import {
  dropClean, emptyMapping, expandRuns, isCached, runsOf, stateAt, endRead, evictable, findPage, folioGet, folioPut, invalidateRange, isUptodate,
  PAGE_SHIFT, PAGE_SIZE, PAGE_SIZE_N, PageCacheInvariantError, pageIndex, pageStart, populate, startRead,
  Mapping as MappingDraft, type Mapping,
} from '../src/pagecache/index.ts';

const P = 4096;
/** The identity of the (first-generation) folio at page `n`. */
const R = (n: number): { head: number; gen: number } => ({ head: n, gen: 0 });
/** A page as `findPage` reports an order-0 folio with no flags. */
const pg = (state: 'locked' | 'uptodate' | 'failed', refs: number, head: number) => ({ state, refs, head, nr: 1, readahead: false, dirty: false });

/** The cached pages, ascending. */
const cachedList = (m: Mapping): number[] => [...runsOf(m)].flatMap((r) => Array.from({ length: r.end - r.start }, (_, i) => r.start + i));

function mappingWith(states: Record<number, 'locked' | 'uptodate' | 'failed'>, refs: Record<number, number> = {}): Mapping {
  const m = emptyMapping();
  for (const [k, state] of Object.entries(states)) {
    m.assign(Number(k), Number(k) + 1, { state: state, order: 0, flags: 0 });
    const n = refs[Number(k)] ?? 0;
    if (n > 0) m.writeRefs().set(Number(k), n);
  }
  return m;
}

describe('page geometry', () => {
  test('PAGE_SIZE is 4096 = 1 << PAGE_SHIFT', () => {
    expect(PAGE_SIZE).toBe(4096);
    expect(PAGE_SHIFT).toBe(12);
    expect(PAGE_SIZE_N).toBe(4096n);
  });

  test('pageIndex: byte offset → page index', () => {
    expect(pageIndex(0n)).toBe(0);
    expect(pageIndex(4095n)).toBe(0);
    expect(pageIndex(4096n)).toBe(1);
    expect(pageIndex(3n * 4096n + 7n)).toBe(3);
    // The last byte of a 2^64-byte space: index 2^52 - 1, exact in a number.
    expect(pageIndex(2n ** 64n - 1n)).toBe(2 ** 52 - 1);
    // Around 2^53, where a byte offset stops being exact in a number: the same as the bigint shift.
    for (const off of [2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 4095n, 2n ** 53n + 4096n]) expect(pageIndex(off)).toBe(Number(off / 4096n));
  });

  test('pageStart: page index → first byte', () => {
    expect(pageStart(0)).toBe(0n);
    expect(pageStart(1)).toBe(4096n);
    expect(pageStart(2 ** 52 - 1)).toBe(2n ** 64n - 4096n);
  });
});

describe('page state transitions', () => {
  test('startRead on an absent page adds it locked with no references', () => {
    const m = emptyMapping();
    expect(startRead(m, 5)).toBe(5);
    expect(findPage(m, 5)).toEqual(pg('locked', 0, 5));
    expect(isUptodate(m, 5)).toBe(false);
  });

  test('startRead refuses a locked or uptodate page, reuses a failed one', () => {
    const m = mappingWith({ 0: 'locked', 1: 'uptodate', 2: 'failed' });
    expect(startRead(m, 0)).toBe(null);
    expect(startRead(m, 1)).toBe(null);
    expect(findPage(m, 1)?.state).toBe('uptodate');
    expect(startRead(m, 2)).toBe(2);
    expect(findPage(m, 2)?.state).toBe('locked');
  });

  test('endRead ok → uptodate; endRead failed → failed (never uptodate)', () => {
    const m = mappingWith({ 0: 'locked', 1: 'locked' });
    endRead(m, 0, true);
    endRead(m, 1, false);
    expect(isUptodate(m, 0)).toBe(true);
    expect(isUptodate(m, 1)).toBe(false);
    expect(findPage(m, 1)?.state).toBe('failed');
  });

  test('endRead of a page not under I/O is an invariant error', () => {
    const m = mappingWith({ 1: 'uptodate' });
    expect(() => endRead(m, 0, true)).toThrow(PageCacheInvariantError);
    expect(() => endRead(m, 1, true)).toThrow(PageCacheInvariantError);
  });

  test('populate: absent → uptodate (true); failed → uptodate (true); locked and uptodate untouched (false)', () => {
    const m = mappingWith({ 1: 'failed', 2: 'locked', 3: 'uptodate' });
    expect(populate(m, 0)).toBe(true);
    expect(populate(m, 1)).toBe(true);
    expect(populate(m, 2)).toBe(false);
    expect(populate(m, 3)).toBe(false);
    expect(findPage(m, 0)?.state).toBe('uptodate');
    expect(findPage(m, 1)?.state).toBe('uptodate');
    expect(findPage(m, 2)?.state).toBe('locked');
  });

  test('folioGet / folioPut count references; errors on absent pages and underflow', () => {
    const m = mappingWith({ 0: 'uptodate' });
    folioGet(m, R(0));
    folioGet(m, R(0));
    expect(findPage(m, 0)?.refs).toBe(2);
    folioPut(m, R(0));
    expect(findPage(m, 0)?.refs).toBe(1);
    folioPut(m, R(0));
    expect(findPage(m, 0)?.refs).toBe(0);
    expect(() => folioPut(m, R(0))).toThrow(PageCacheInvariantError);
    expect(() => folioGet(m, R(9))).toThrow(PageCacheInvariantError);
    expect(() => folioPut(m, R(9))).toThrow(PageCacheInvariantError);
  });
});

describe('a Mapping changes copies, never the state it started from', () => {
  test('a reference change copies only the reference map; a state change only the page map', () => {
    const base = mappingWith({ 0: 'uptodate', 1: 'uptodate' }, { 1: 1 }).state();
    const m = new MappingDraft(base);
    expect(m.changed).toBe(false);
    folioGet(m, R(0));
    expect(m.changed).toBe(true);
    const afterRef = m.state();
    expect(afterRef.runs).toBe(base.runs);
    expect(afterRef.refs).not.toBe(base.refs);
    expect([...afterRef.refs].sort()).toEqual([[0, 1], [1, 1]]);
    expect([...base.refs]).toEqual([[1, 1]]);
    startRead(m, 5);
    expect(m.state().runs).not.toBe(base.runs);
    expect(stateAt(m.state(), 5)).toBe('locked');
    expect(isCached(base, 5)).toBe(false);
  });

  test('an eviction that drops nothing copies nothing', () => {
    const base = mappingWith({ 0: 'locked', 1: 'uptodate' }, { 1: 1 }).state();
    const m = new MappingDraft(base);
    expect(invalidateRange(m, 0, 10).evicted).toEqual([]);
    expect(m.changed).toBe(false);
  });
});

describe('eviction on a bare mapping', () => {
  test('evictable: only unlocked, unreferenced pages', () => {
    expect(evictable(pg('uptodate', 0, 0))).toBe(true);
    expect(evictable(pg('failed', 0, 0))).toBe(true);
    expect(evictable(pg('uptodate', 1, 0))).toBe(false);
    expect(evictable({ ...pg('uptodate', 0, 0), dirty: true })).toBe(false);
    expect(evictable(pg('locked', 0, 0))).toBe(false);
  });

  test('invalidateRange drops evictable pages in [first, last] (inclusive), keeps locked/referenced', () => {
    const m = mappingWith({ 0: 'uptodate', 1: 'uptodate', 2: 'locked', 3: 'uptodate', 4: 'failed', 5: 'uptodate' }, { 3: 1 });
    const r = invalidateRange(m, 1, 4);
    expect(expandRuns(r.evicted)).toEqual([1, 4]);
    expect(expandRuns(r.kept)).toEqual([2, 3]);
    expect(cachedList(m)).toEqual([0, 2, 3, 5]);
  });

  test('invalidateRange reports pages in ascending order whatever the insertion order', () => {
    const m = emptyMapping();
    for (const p of [9, 3, 7, 1]) m.assign(p, p + 1, { state: 'uptodate', order: 0, flags: 0 });
    m.assign(5, 5 + 1, { state: 'locked', order: 0, flags: 0 });
    m.assign(2, 2 + 1, { state: 'uptodate', order: 0, flags: 0 });
    m.writeRefs().set(2, 2);
    const r = invalidateRange(m, 0, 100);
    expect(expandRuns(r.evicted)).toEqual([1, 3, 7, 9]);
    expect(expandRuns(r.kept)).toEqual([2, 5]);
  });

  test('invalidateRange with an empty range (first > last) does nothing', () => {
    const m = mappingWith({ 0: 'uptodate', 1: 'uptodate' });
    expect(invalidateRange(m, 1, 0)).toEqual({ evicted: [], kept: [] });
    expect(m.cached).toBe(2);
  });

  test('dropClean drops every evictable page, keeps the others', () => {
    const m = mappingWith({ 0: 'uptodate', 10: 'locked', [2 ** 40]: 'uptodate', 7: 'uptodate' }, { 7: 1 });
    const r = dropClean(m);
    expect(expandRuns(r.evicted)).toEqual([0, 2 ** 40]);
    expect(expandRuns(r.kept)).toEqual([7, 10]);
    expect(cachedList(m)).toEqual([7, 10]);
  });
});

describe('cache ops through a Session', () => {
  function withFile(size: number, path = '/f'): { s: Session; ino: number } {
    const s = new Session();
    const ino = s.createFile({ path, content: content.zero(), size });
    return { s, ino };
  }

  test('populate with no range covers the whole file and returns the pages added', () => {
    const { s } = withFile(3 * P + 1);
    expect(s.populate('/f')).toEqual([0, 1, 2, 3]);
    expect(s.pages('/f')).toEqual({ uptodate: '0-3' });
    expect(s.populate('/f')).toEqual([]); // already uptodate: nothing added
  });

  test('populate skips pages wholly past EOF', () => {
    const { s } = withFile(P + 904); // pages 0, 1
    expect(s.populate('/f', 0, 10 * P)).toEqual([0, 1]);
    expect(s.populate('/f', 5 * P, P)).toEqual([]);
    expect(s.pages('/f')).toEqual({ uptodate: '0-1' });
  });

  test('populate of a file of exactly one page: the next page is past EOF', () => {
    const { s } = withFile(P);
    expect(s.populate('/f', 0, 2 * P)).toEqual([0]);
  });

  test('populate of an empty file adds nothing', () => {
    const { s } = withFile(0);
    expect(s.populate('/f')).toEqual([]);
    expect(s.populate('/f', 0, P)).toEqual([]);
    expect(s.pages('/f')).toEqual({});
  });

  test('populate of a sub-range covers the pages its bytes touch', () => {
    const { s } = withFile(10 * P);
    expect(s.populate('/f', P - 1, 2)).toEqual([0, 1]);
    expect(s.populate('/f', 4 * P, P)).toEqual([4]);
    expect(s.populate('/f', 6 * P, 0)).toEqual([]);
    expect(s.pages('/f')).toEqual({ uptodate: '0-1,4' });
  });

  test('populate from an offset with no len covers the rest of the file', () => {
    const { s } = withFile(4 * P);
    expect(s.populate('/f', 2 * P + 5)).toEqual([2, 3]);
  });

  test('populate turns a failed page uptodate', () => {
    const { s, ino } = withFile(2 * P);
    s.run((k) => {
      const m = files.mappingOf(k, ino);
      startRead(m, 1);
      endRead(m, 1, false);
    });
    expect(s.pages('/f')).toEqual({ failed: '1' });
    expect(s.populate('/f')).toEqual([0, 1]);
    expect(s.pages('/f')).toEqual({ uptodate: '0-1' });
  });

  test('evict over a range drops only its pages; len 0 means to the end', () => {
    const { s } = withFile(6 * P);
    s.populate('/f');
    expect(s.evict('/f', P, P)).toEqual([1]);
    expect(s.evict('/f', 2 * P + 1, 1)).toEqual([2]);
    expect(s.evict('/f', 4 * P - 1, 2)).toEqual([3, 4]);
    expect(s.pages('/f')).toEqual({ uptodate: '0,5' });
    expect(s.evict('/f', 5 * P)).toEqual([5]);
    expect(s.evict('/f')).toEqual([0]);
    expect(s.pages('/f')).toEqual({});
  });

  test('evict keeps locked and referenced pages', () => {
    const { s, ino } = withFile(4 * P);
    s.populate('/f');
    s.run((k) => {
      const m = files.mappingOf(k, ino);
      folioGet(m, R(1));
      m.assign(3, 4, null);
      startRead(m, 3); // page 3 under I/O: locked
    });
    expect(s.evict('/f')).toEqual([0, 2]);
    expect(s.pages('/f')).toEqual({ locked: '3', 'uptodate+ref': '1' });
    const last = s.events().at(-1);
    expect(last?.kind === 'pagecache' ? expandRuns(last.kept) : null).toEqual([1, 3]);
  });

  test('evict keeps the folio a FILE dynptr reader holds', () => {
    const s = new Session();
    s.createFile({ path: '/f', content: content.zero(), size: 3 * P });
    const f = s.open('/f');
    s.populate('/f');
    expect(s.bpf_dynptr_from_file(f, 0, 'd')).toBe(0);
    expect(s.bpf_dynptr_read(new Uint8Array(8), 8, 'd', P, 0)).toBe(0);
    expect(s.evict('/f')).toEqual([0, 2]);
    expect(s.pages('/f')).toEqual({ 'uptodate+ref': '1' });
  });

  test('dropCaches drops every evictable page of every inode and returns the count', () => {
    const s = new Session();
    const a = s.createFile({ path: '/a', content: content.zero(), size: 3 * P });
    s.createFile({ path: '/b', content: content.zero(), size: 2 * P });
    s.populate('/a');
    s.populate('/b');
    s.run((k) => folioGet(files.mappingOf(k, a), R(2)));
    expect(s.dropCaches()).toBe(4);
    expect(s.pages('/a')).toEqual({ 'uptodate+ref': '2' });
    expect(s.pages('/b')).toEqual({});
    expect(s.dropCaches()).toBe(0);
  });

  test('injectIoError makes exactly the next `times` reads of that page fail', () => {
    const s = new Session({ sleepable: true });
    s.createFile({ path: '/f', content: content.zero(), size: 2 * P });
    const f = s.open('/f');
    s.injectIoError('/f', P + 5, 2); // page 1, twice
    expect(s.bpf_dynptr_from_file(f, 0, 'd')).toBe(0);
    const dst = new Uint8Array(1);
    // Page 0: the initial window reads pages 0 and 1; page 1's read fails (1st), unnoticed.
    expect(s.bpf_dynptr_read(dst, 1, 'd', 0, 0)).toBe(0);
    expect(s.pages('/f')).toEqual({ uptodate: '0', failed: '1' });
    // Page 1: read again (2nd failure) → -EIO; then the faults are used up.
    expect(s.bpf_dynptr_read(dst, 1, 'd', P, 0)).toBe(-EIO);
    expect(s.bpf_dynptr_read(dst, 1, 'd', P, 0)).toBe(0);
    expect(s.events().filter((e) => e.kind === 'io_complete' && !e.ok)).toHaveLength(2);
  });

  test('argument checks: negative offsets, non-integer lengths, bad times, unknown paths', () => {
    const { s } = withFile(P);
    expect(() => s.populate('/f', -1, 1)).toThrow(ArgumentError);
    expect(() => s.evict('/f', 0, 1.5)).toThrow(ArgumentError);
    expect(() => s.injectIoError('/f', 0, 0)).toThrow(ArgumentError);
    expect(() => s.injectAllocFailure(-1)).toThrow(ArgumentError);
    expect(() => s.populate('/nope')).toThrow(UnknownHandleError);
    expect(() => s.evict('/nope')).toThrow(UnknownHandleError);
    expect(() => s.injectIoError('/nope', 0)).toThrow(UnknownHandleError);
  });

  test('a throwing cache op leaves the world unchanged', () => {
    const { s } = withFile(P);
    const before = s.world;
    expect(() => s.populate('/f', -1, 1)).toThrow(ArgumentError);
    expect(s.world).toBe(before);
  });
});
