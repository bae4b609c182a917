/**
 * Transitions of one inode's page cache. Each function changes the `Mapping` it is given (a mapping
 * being changed: the overlay of one transition) and returns what happened as data; it knows nothing
 * of files, dynptrs or time, which live in the layers above (mm/filemap.c, mm/readahead.c,
 * mm/truncate.c are the kernel side). They work on runs of pages (page.ts), so a range costs what it
 * holds in runs and folios with references, not what it spans.
 */
import {
  folioPages, PageCacheInvariantError, PG_DIRTY, PG_READAHEAD, runAt, runsIn,
  type FolioRef, type Mapping, type MappingState, type Page, type PageRun, type PageState, type Run,
} from './page.ts';

const MAX_PAGE = Number.MAX_SAFE_INTEGER;

/** Add pages `[a, b]` to a sorted list of runs, merging with the last when they touch. */
function pushRun(out: [number, number][], a: number, b: number): void {
  if (a > b) return;
  const last = out[out.length - 1];
  if (last !== undefined && last[1] + 1 === a) last[1] = b;
  else out.push([a, b]);
}

/** How many pages a list of runs holds. */
export function runPages(runs: readonly PageRun[]): number {
  let n = 0;
  for (const [a, b] of runs) n += b - a + 1;
  return n;
}

/** Every page of a list of runs, ascending (for small sets: it lists each). */
export function expandRuns(runs: readonly PageRun[]): number[] {
  const out: number[] = [];
  for (const [a, b] of runs) for (let p = a; p <= b; p += 1) out.push(p);
  return out;
}

/** Pages (any order, repeats allowed) as sorted runs. */
export function toRuns(pages: readonly number[]): PageRun[] {
  const out: [number, number][] = [];
  for (const p of [...pages].sort((a, b) => a - b)) if (out.length === 0 || (out[out.length - 1] as [number, number])[1] < p) pushRun(out, p, p);
  return out;
}

/** The folio holding page `pgoff`: its head and number of pages, or undefined when the page is not cached. */
export function folioAt(m: MappingState, pgoff: number): { head: number; nr: number } | undefined {
  const r = runAt(m.runs, pgoff);
  if (r === undefined) return undefined;
  const nr = folioPages(r.order);
  return { head: pgoff - (pgoff % nr), nr };
}

function pageOf(m: MappingState, r: Run, pgoff: number): Page {
  const nr = folioPages(r.order);
  const head = pgoff - (pgoff % nr);
  return { state: r.state, refs: m.refs.get(head) ?? 0, head, nr, readahead: (r.flags & PG_READAHEAD) !== 0, dirty: (r.flags & PG_DIRTY) !== 0 };
}

export function findPage(m: MappingState, pgoff: number): Page | undefined {
  const r = runAt(m.runs, pgoff);
  return r === undefined ? undefined : pageOf(m, r, pgoff);
}

/** The state of page `pgoff`, or undefined when it is not cached. */
export function stateAt(m: MappingState, pgoff: number): PageState | undefined {
  return runAt(m.runs, pgoff)?.state;
}

export function isCached(m: MappingState, pgoff: number): boolean {
  return runAt(m.runs, pgoff) !== undefined;
}

/** Whether page `pgoff` is cached in a large folio (order above 0). */
export function inLargeFolio(m: MappingState, pgoff: number): boolean {
  return (runAt(m.runs, pgoff)?.order ?? 0) > 0;
}

/** How many pages are cached. */
export function cachedPages(m: MappingState): number {
  return m.cached;
}

/** The runs of cached pages overlapping `[first, last]` (whole runs), ascending. */
export function runsOf(m: MappingState, first = 0, last = MAX_PAGE): Generator<Run> {
  return runsIn(m.runs, first, last);
}

/** The reader references of the folios with a head in `[lo, hi)`, ascending by head. */
function heldIn(m: MappingState, lo: number, hi: number): [number, number][] {
  const out: [number, number][] = [];
  for (const [head, n] of m.refs) if (n > 0 && head >= lo && head < hi) out.push([head, n]);
  return out.sort((a, b) => a[0] - b[0]);
}

/**
 * Every cached folio overlapping `[first, last]` that a reader references, and the runs of the others,
 * as segments in ascending order: each segment is pages `[a, b]` of one run, with the references every
 * folio of it holds (0 for all but the referenced folios, which are segments of their own).
 */
export function* segmentsOf(m: MappingState, first = 0, last = MAX_PAGE): Generator<{ a: number; b: number; run: Run; refs: number }> {
  for (const r of runsIn(m.runs, first, last)) {
    const a = Math.max(first, r.start);
    const b = Math.min(last, r.end - 1);
    const nr = folioPages(r.order);
    let cur = a;
    for (const [head, n] of heldIn(m, a - (a % nr), b + 1)) {
      if (head > cur) yield { a: cur, b: head - 1, run: r, refs: 0 };
      const from = Math.max(cur, head);
      yield { a: from, b: Math.min(b, head + nr - 1), run: r, refs: n };
      cur = head + nr;
    }
    if (cur <= b) yield { a: cur, b, run: r, refs: 0 };
  }
}

export function isUptodate(m: MappingState, pgoff: number): boolean {
  return runAt(m.runs, pgoff)?.state === 'uptodate';
}

/** Whether every page of `[first, last]` is cached and uptodate (one look-up per run it crosses). */
export function uptodateThrough(m: MappingState, first: number, last: number): boolean {
  let r = runAt(m.runs, first);
  while (r !== undefined && r.state === 'uptodate') {
    if (r.end > last) return true;
    r = m.runs.get(r.end);
  }
  return false;
}

/** The first page in `[from, limit)` that is not cached, or `limit` when all are. */
export function firstUncached(m: MappingState, from: number, limit: number): number {
  let p = from;
  while (p < limit) {
    const r = runAt(m.runs, p);
    if (r === undefined) return p;
    p = r.end;
  }
  return limit;
}

/** The generation of the folio at head index `head` (0 unless an earlier folio there was truncated while held). */
export function folioGen(m: MappingState, head: number): number {
  return m.gens.size === 0 ? 0 : (m.gens.get(head) ?? 0);
}

/** The identity of the folio now holding page `pgoff` (it must be cached). */
export function folioRef(m: MappingState, pgoff: number): FolioRef {
  const f = folioAt(m, pgoff);
  if (f === undefined) throw new PageCacheInvariantError(`no folio at page ${pgoff}`);
  return { head: f.head, gen: folioGen(m, f.head) };
}

/** Whether `ref` is still the folio in the cache at its index (not truncated out since). */
export function isAttached(m: MappingState, ref: FolioRef): boolean {
  const r = runAt(m.runs, ref.head);
  return r !== undefined && ref.head % folioPages(r.order) === 0 && folioGen(m, ref.head) === ref.gen;
}

/**
 * `held === null || isAttached(m, held)` and `uptodateThrough(m, first, last)` together: the run holding
 * page `last` when both hold, else undefined. The run holding `first` answers whether `held` is attached
 * when the held folio lies in it (the usual case: a reader moving through one folio), so a range inside
 * one run costs one look-up.
 */
export function uptodateThroughHolding(m: MappingState, held: FolioRef | null, first: number, last: number): Run | undefined {
  let r = runAt(m.runs, first);
  if (held !== null) {
    if (r !== undefined && held.head >= r.start && held.head < r.end) {
      // The run holding the held folio's head: attached when that page heads a folio of the run, of its generation.
      if (held.head % folioPages(r.order) !== 0 || folioGen(m, held.head) !== held.gen) return undefined;
    } else if (!isAttached(m, held)) {
      return undefined;
    }
  }
  while (r !== undefined && r.state === 'uptodate') {
    if (r.end > last) return r;
    r = m.runs.get(r.end);
  }
  return undefined;
}

/** The folio holding page `pgoff` takes state `state` (a page not cached becomes an order-0 folio). */
function setState(m: Mapping, pgoff: number, state: PageState): void {
  const r = runAt(m.runs, pgoff);
  const order = r?.order ?? 0;
  const nr = folioPages(order);
  const head = pgoff - (pgoff % nr);
  m.assign(head, head + nr, { state, order, flags: r?.flags ?? 0 });
  // A folio's uptodate blocks outlive its locking and a failed read of the others (their buffer heads
  // stay uptodate); they matter no more once the folio is uptodate, or when none is.
  if ((state === 'uptodate' || state === 'failed') && m.blocks.size > 0) {
    for (let p = head; p < head + nr; p += 1) if (m.blocks.has(p)) m.writeBlocks().delete(p);
  }
}

/** Whether every block of every page of the folio holding `pgoff` is uptodate (`n` blocks a page). */
export function allBlocksUptodate(m: MappingState, pgoff: number, n: number): boolean {
  const f = folioAt(m, pgoff);
  if (f === undefined) return false;
  for (let p = f.head; p < f.head + f.nr; p += 1) if (blockMask(m, p, n) !== 2 ** n - 1) return false;
  return true;
}

/**
 * The uptodate blocks of page `pgoff` as a bit mask of its `n` blocks: all for uptodate, none when
 * absent (in a large partial folio, each page has its own mask).
 */
export function blockMask(m: MappingState, pgoff: number, n: number): number {
  const state = stateAt(m, pgoff);
  if (state === 'uptodate') return 2 ** n - 1;
  if (state === 'partial') return m.blocks.get(pgoff) ?? 0;
  return 0;
}

/**
 * Page `pgoff` (an order-0 folio, created if absent) has the blocks of `mask` uptodate out of `n`: it is
 * `partial` (reading blocks into buffer heads never marks the folio uptodate, even when they are all
 * uptodate: only `->read_folio` and `__block_commit_write` do). Not for a locked page.
 */
export function setBlocks(m: Mapping, pgoff: number, mask: number, n: number): void {
  const r = runAt(m.runs, pgoff);
  if (r?.state === 'locked') throw new PageCacheInvariantError(`setBlocks of page ${pgoff} under I/O`);
  if ((r?.order ?? 0) > 0) throw new PageCacheInvariantError(`setBlocks of page ${pgoff} in a large folio`);
  applyBlocks(m, pgoff, mask, n);
}

function applyBlocks(m: Mapping, pgoff: number, mask: number, n: number, commit = false): void {
  if (inLargeFolio(m, pgoff)) {
    // A large folio (made by a write): its pages' masks, and uptodate once all of them are full.
    m.writeBlocks().set(pgoff, mask);
    setState(m, pgoff, commit && allBlocksUptodate(m, pgoff, n) ? 'uptodate' : 'partial');
    return;
  }
  if (commit && mask === 2 ** n - 1) {
    setState(m, pgoff, 'uptodate');
    return;
  }
  setState(m, pgoff, 'partial');
  m.writeBlocks().set(pgoff, mask);
}

/**
 * `filemap_add_folio` of a new, locked folio of 2^`order` pages at `head` (aligned to its size). Fails
 * (returns false, nothing added) when any of its pages is cached (-EEXIST in the kernel).
 */
export function addFolio(m: Mapping, head: number, order = 0): boolean {
  const nr = folioPages(order);
  if (head % nr !== 0) throw new PageCacheInvariantError(`folio of order ${order} at unaligned index ${head}`);
  for (const _ of runsIn(m.runs, head, head + nr - 1)) return false;
  m.assign(head, head + nr, { state: 'locked', order, flags: 0 });
  return true;
}

/**
 * `__filemap_get_folio(FGP_WRITEBEGIN | fgf_set_order(len))` for page `pgoff`, not cached: a new folio
 * of 2^`order` pages at `pgoff` (which the caller aligned), or of a smaller order while its range holds
 * a cached page (`filemap_add_folio` fails with -EEXIST and the next order is tried). The folio is
 * `partial` with no block uptodate: the write's blocks are added (`writeBlocks`). Returns its order.
 */
export function addWriteFolio(m: Mapping, pgoff: number, order: number): number {
  for (let o = order; o > 0; o -= 1) {
    const nr = folioPages(o);
    if (pgoff % nr !== 0) throw new PageCacheInvariantError(`write folio of order ${o} at unaligned index ${pgoff}`);
    let free = true;
    for (const _ of runsIn(m.runs, pgoff, pgoff + nr - 1)) { free = false; break; }
    if (free) {
      m.assign(pgoff, pgoff + nr, { state: 'partial', order: o, flags: 0 });
      return o;
    }
  }
  return 0;
}

/**
 * Lock a folio for a read (`filemap_read_folio`): a page not cached gets a new order-0 folio; a
 * `failed` folio is locked again. Returns the folio's head, or null when the page is already locked
 * or uptodate.
 */
export function startRead(m: Mapping, pgoff: number): number | null {
  const r = runAt(m.runs, pgoff);
  if (r === undefined) {
    addFolio(m, pgoff, 0);
    return pgoff;
  }
  if (r.state !== 'failed' && r.state !== 'partial') return null;
  setState(m, pgoff, 'locked');
  return pgoff - (pgoff % folioPages(r.order));
}

/**
 * A read of the folio at `head` completed: uptodate when `ok`, else `failed` (a failed read never marks
 * it uptodate). A read of some of its blocks (`blocks`: the page's uptodate blocks after it, out of
 * `nblocks`; `before`: those before it) leaves it `partial` (or uptodate when they are all), and a
 * failure leaves the blocks it had.
 */
export function endRead(m: Mapping, head: number, ok: boolean, blocks?: { after: number; before: number; n: number }): void {
  const f = folioAt(m, head);
  if (f === undefined || f.head !== head || stateAt(m, head) !== 'locked') {
    throw new PageCacheInvariantError(`endRead of page ${head} that is not a folio under I/O`);
  }
  if (blocks === undefined) {
    // block_read_full_folio: a failure leaves the blocks that were uptodate as they were.
    const kept = ok ? 0 : (m.blocks.get(head) ?? 0);
    if (kept !== 0) applyBlocks(m, head, kept, 0);
    else setState(m, head, ok ? 'uptodate' : 'failed');
    return;
  }
  const mask = ok ? blocks.after : blocks.before;
  if (mask === 0) setState(m, head, 'failed');
  else applyBlocks(m, head, mask, blocks.n);
}

/** `folio_mark_uptodate` of a folio whose blocks are all read (`partial`, every page of a large one): no I/O. */
export function markUptodate(m: Mapping, pgoff: number): void {
  if (stateAt(m, pgoff) !== 'partial') throw new PageCacheInvariantError(`markUptodate of page ${pgoff} that is not partial`);
  setState(m, pgoff, 'uptodate');
}

/** Lock page `pgoff` (absent, failed or partial) for a read of some of its blocks. Returns false when it is locked or uptodate. */
export function lockForBlocks(m: Mapping, pgoff: number): boolean {
  const state = stateAt(m, pgoff);
  if (state === 'locked' || state === 'uptodate') return false;
  if (state === undefined) {
    addFolio(m, pgoff, 0);
    return true;
  }
  setState(m, pgoff, 'locked');
  return true;
}

/** A folio dirtied in place (its bytes changed through the cache: a truncation zeroing a tail). */
export function markDirty(m: Mapping, pgoff: number): void {
  const f = folioAt(m, pgoff);
  if (f === undefined) throw new PageCacheInvariantError(`markDirty of absent page ${pgoff}`);
  setFlag(m, f.head, PG_DIRTY, true);
}

/** Make a page uptodate at once (a warm cache set up by the scenario). A locked folio is left alone. */
export function populate(m: Mapping, pgoff: number): boolean {
  const state = stateAt(m, pgoff);
  if (state === 'uptodate' || state === 'locked') return false;
  setState(m, pgoff, 'uptodate');
  return true;
}

/**
 * `populate` of every page of `[first, last]` in ascending order, by runs: pages not cached become
 * uptodate order-0 folios, failed and partial folios overlapping the range become uptodate whole, locked
 * and uptodate ones are left alone. Returns the pages `populate` would have reported one by one (a
 * failed or partial large folio once, at its first page in the range).
 */
export function populateRange(m: Mapping, first: number, last: number): PageRun[] {
  const added: [number, number][] = [];
  if (first > last) return added;
  const uptodate = { state: 'uptodate' as const, order: 0, flags: 0 };
  let cur = first;
  for (const r of [...runsIn(m.runs, first, last)]) {
    if (r.start > cur) {
      m.assign(cur, r.start, uptodate);
      pushRun(added, cur, r.start - 1);
    }
    cur = r.end;
    if (r.state !== 'failed' && r.state !== 'partial') continue;
    const a = Math.max(first, r.start);
    const b = Math.min(last, r.end - 1);
    const nr = folioPages(r.order);
    const lo = a - (a % nr);
    const hi = b - (b % nr) + nr;
    m.assign(lo, hi, { state: 'uptodate', order: r.order, flags: r.flags });
    if (nr === 1) pushRun(added, a, b);
    else for (let h = lo; h < hi; h += nr) pushRun(added, Math.max(a, h), Math.max(a, h));
    if (m.blocks.size > 0) m.dropBlocks(lo, hi);
  }
  if (cur <= last) {
    m.assign(cur, last + 1, uptodate);
    pushRun(added, cur, last);
  }
  return added;
}

/** `folio_get` on the folio `ref` names (in the cache, or detached by a truncation). */
export function folioGet(m: Mapping, ref: FolioRef): void {
  if (isAttached(m, ref)) {
    m.writeRefs().set(ref.head, (m.refs.get(ref.head) ?? 0) + 1);
    return;
  }
  const key = `${ref.head}:${ref.gen}`;
  const d = m.detached.get(key);
  if (d === undefined) throw new PageCacheInvariantError(`folio_get of folio ${key}, which is neither cached nor held`);
  m.writeDetached().set(key, { ...d, refs: d.refs + 1 });
}

/** `folio_put`: the last reference on a detached folio frees it. */
export function folioPut(m: Mapping, ref: FolioRef): void {
  if (isAttached(m, ref)) {
    const refs = m.refs.get(ref.head) ?? 0;
    if (refs <= 0) throw new PageCacheInvariantError(`folio_put of page ${ref.head} without a reference`);
    if (refs === 1) m.writeRefs().delete(ref.head);
    else m.writeRefs().set(ref.head, refs - 1);
    return;
  }
  const key = `${ref.head}:${ref.gen}`;
  const d = m.detached.get(key);
  if (d === undefined || d.refs <= 0) throw new PageCacheInvariantError(`folio_put of folio ${key} without a reference`);
  if (d.refs === 1) m.writeDetached().delete(key);
  else m.writeDetached().set(key, { ...d, refs: d.refs - 1 });
}

/** The memory of a detached folio (one truncated out of the cache while held), or undefined. */
export function detachedBytes(m: MappingState, ref: FolioRef): Uint8Array | undefined {
  return m.detached.get(`${ref.head}:${ref.gen}`)?.bytes;
}

function setFlag(m: Mapping, head: number, flag: number, on: boolean): void {
  const r = runAt(m.runs, head);
  if (r === undefined) throw new PageCacheInvariantError(`flag ${flag} on page ${head}, which is not cached`);
  const next = on ? r.flags | flag : r.flags & ~flag;
  if (next === r.flags) return;
  const nr = folioPages(r.order);
  const h = head - (head % nr);
  m.assign(h, h + nr, { state: r.state, order: r.order, flags: next });
}

/** `folio_test_readahead` of the folio holding page `pgoff`. */
export function hasReadahead(m: MappingState, pgoff: number): boolean {
  return ((runAt(m.runs, pgoff)?.flags ?? 0) & PG_READAHEAD) !== 0;
}

/** `folio_set_readahead` on the folio at `head`. */
export function setReadahead(m: Mapping, head: number): void {
  setFlag(m, head, PG_READAHEAD, true);
}

/** `folio_clear_readahead` on the folio holding page `pgoff`. */
export function clearReadahead(m: Mapping, pgoff: number): void {
  if (isCached(m, pgoff)) setFlag(m, pgoff, PG_READAHEAD, false);
}

/**
 * A buffered write filled page `pgoff` (`->write_end`): its folio (a new order-0 folio if the page was
 * not cached) is uptodate and dirty. The caller has made sure it is not locked.
 */
export function writePage(m: Mapping, pgoff: number): void {
  const state = stateAt(m, pgoff);
  if (state === 'locked') throw new PageCacheInvariantError(`write of page ${pgoff} under I/O`);
  setState(m, pgoff, 'uptodate');
  setFlag(m, pgoff, PG_DIRTY, true);
}

/** A write made blocks `mask` (of `n`) of page `pgoff` uptodate and the folio dirty (`__block_commit_write`: uptodate once every block is). */
export function writeBlocks(m: Mapping, pgoff: number, mask: number, n: number): void {
  const r = runAt(m.runs, pgoff);
  if (r?.state === 'uptodate' || ((r?.order ?? 0) > 0 && r?.state !== 'partial')) {
    writePage(m, pgoff);
    return;
  }
  if (r?.state === 'locked') throw new PageCacheInvariantError(`writeBlocks of page ${pgoff} under I/O`);
  applyBlocks(m, pgoff, blockMask(m, pgoff, n) | mask, n, true);
  setFlag(m, pgoff, PG_DIRTY, true);
}

/**
 * Writeback of the dirty folios with a head in `[first, last]` finished (`filemap_write_and_wait_range`):
 * they are clean. Returns their heads.
 */
export function cleanAll(m: Mapping, first = 0, last = MAX_PAGE): number[] {
  const heads: number[] = [];
  for (const r of [...runsIn(m.runs, first, last)]) {
    if ((r.flags & PG_DIRTY) === 0) continue;
    const nr = folioPages(r.order);
    const lo = Math.max(r.start, Math.ceil(first / nr) * nr);
    const hi = Math.min(r.end, last - (last % nr) + nr);
    if (lo >= hi) continue;
    for (let h = lo; h < hi; h += nr) heads.push(h);
    m.assign(lo, hi, { state: r.state, order: r.order, flags: r.flags & ~PG_DIRTY });
  }
  return heads;
}

/**
 * Whether invalidation may drop a folio (mm/truncate.c `mapping_evict_folio`): clean, unlocked and with
 * no reader holding a reference.
 */
export function evictable(page: Page): boolean {
  return page.state !== 'locked' && page.refs === 0 && !page.dirty;
}

export interface EvictResult {
  /** Pages dropped, as ascending runs. */
  readonly evicted: readonly PageRun[];
  /** Pages of the range kept (locked, referenced, dirty, or in a folio reaching outside the range), as ascending runs. */
  readonly kept: readonly PageRun[];
}

/** Pages `[a, b)` leave the cache, with the uptodate blocks of partial pages among them. */
function removePages(m: Mapping, a: number, b: number): void {
  m.assign(a, b, null);
  if (m.blocks.size > 0) m.dropBlocks(a, b);
}

/**
 * Drop the evictable folios that lie wholly in pages `[first, last]` (mm/truncate.c
 * `mapping_try_invalidate`, as `POSIX_FADV_DONTNEED` uses it: `find_lock_entries` skips folios that
 * reach outside the range). Walks the runs of the range and the folios readers hold, so a range over
 * a huge file costs what is cached, in runs, not what it spans.
 */
export function invalidateRange(m: Mapping, first: number, last: number): EvictResult {
  const evicted: [number, number][] = [];
  const kept: [number, number][] = [];
  const drop: [number, number][] = [];
  for (const r of [...runsIn(m.runs, first, last)]) {
    const a = Math.max(first, r.start);
    const b = Math.min(last, r.end - 1);
    if (r.state === 'locked' || (r.flags & PG_DIRTY) !== 0) {
      pushRun(kept, a, b);
      continue;
    }
    const nr = folioPages(r.order);
    // The folios wholly inside [first, last]: heads from lo, ends before hi.
    const lo = Math.max(r.start, Math.ceil(first / nr) * nr);
    const hi = Math.min(r.end, Math.floor((last + 1) / nr) * nr);
    if (lo >= hi) {
      pushRun(kept, a, b);
      continue;
    }
    pushRun(kept, a, lo - 1);
    let cur = lo;
    for (const [head] of heldIn(m, lo, hi)) {
      if (head > cur) {
        pushRun(evicted, cur, head - 1);
        pushRun(drop, cur, head - 1);
      }
      pushRun(kept, head, head + nr - 1);
      cur = head + nr;
    }
    if (cur < hi) {
      pushRun(evicted, cur, hi - 1);
      pushRun(drop, cur, hi - 1);
    }
    pushRun(kept, hi, b);
  }
  for (const [a, b] of drop) removePages(m, a, b + 1);
  return { evicted, kept };
}

/** Drop every evictable folio (`echo 1 > /proc/sys/vm/drop_caches` for this inode). */
export function dropClean(m: Mapping): EvictResult {
  return invalidateRange(m, 0, MAX_PAGE);
}

/** The first locked page at or after `first`, or null (truncation waits for it: `folio_lock`); a large folio's head. */
export function firstLockedFrom(m: MappingState, first: number): number | null {
  for (const r of runsIn(m.runs, first, MAX_PAGE)) {
    if (r.state !== 'locked') continue;
    const p = Math.max(first, r.start);
    return p - (p % folioPages(r.order));
  }
  return null;
}

export interface TruncateResult {
  /** Pages removed from the cache, as ascending runs. */
  readonly removed: readonly PageRun[];
  /** Folios removed while readers held them: the references now keep detached folios (ascending by head). */
  readonly detached: readonly FolioRef[];
}

/**
 * Remove every page at index `first` or beyond (mm/truncate.c `truncate_inode_pages_range`): whole
 * folios are removed unconditionally — a reader's reference keeps the folio, not its place in the
 * cache. A large folio reaching below `first` is split (`truncate_inode_partial_folio`) and only its
 * pages from `first` on go; a split needs no other reference, so a held one stays whole. The caller
 * waited for locked folios first (`firstLockedFrom`), and gives the bytes a held folio keeps.
 */
export function truncateFrom(m: Mapping, first: number, memory: (head: number, nr: number) => Uint8Array): TruncateResult {
  const removed: [number, number][] = [];
  const detached: FolioRef[] = [];
  const runs = [...runsIn(m.runs, first, MAX_PAGE)];
  for (const r of runs) if (r.state === 'locked') throw new PageCacheInvariantError(`truncation of folio ${Math.max(first, r.start)} under I/O`);
  if (runs.length === 0) return { removed, detached };
  let from = first;
  const r0 = runs[0] as Run;
  const nr0 = folioPages(r0.order);
  const h0 = first - (first % nr0);
  if (r0.start < first && h0 < first) {
    if ((m.refs.get(h0) ?? 0) > 0) {
      from = h0 + nr0; // held: it stays whole
    } else {
      // Split into order-0 folios: the pages keep the state; the flags stay with the head page, and
      // each page of a dirty folio stays dirty.
      m.assign(h0, h0 + nr0, { state: r0.state, order: 0, flags: r0.flags });
      m.assign(h0 + 1, first, { state: r0.state, order: 0, flags: r0.flags & PG_DIRTY });
    }
  }
  const end = (runs[runs.length - 1] as Run).end;
  if (from >= end) return { removed, detached };
  for (const [head, n] of heldIn(m, from, end)) {
    const f = folioAt(m, head);
    if (f === undefined || f.head !== head) continue;
    const gen = m.gens.get(head) ?? 0;
    m.writeDetached().set(`${head}:${gen}`, { refs: n, bytes: memory(head, f.nr) });
    m.writeRefs().delete(head);
    m.writeGens().set(head, gen + 1);
    detached.push({ head, gen });
  }
  for (const r of runsIn(m.runs, from, MAX_PAGE)) pushRun(removed, Math.max(from, r.start), r.end - 1);
  removePages(m, from, end);
  return { removed, detached };
}
