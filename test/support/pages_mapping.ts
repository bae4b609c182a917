/**
 * The reference model of the page cache for test/pagecache_runs.test.ts: the per-page implementation
 * src/pagecache had before its interval map (issue 17 phase 2, from commit e427322), one map entry per
 * page, kept unchanged but for its imports. It knows nothing of runs, so the property that compares
 * the two checks the interval map against an independent representation of the same transitions.
 */
/**
 * Transitions of one inode's page cache. Each function changes the `Mapping` it is given (a mapping
 * being changed: it copies its maps on first write) and returns what happened as data; it knows nothing
 * of files, dynptrs or time, which live in the layers above (mm/filemap.c, mm/readahead.c,
 * mm/truncate.c are the kernel side).
 */
import { PG_DIRTY, PG_READAHEAD, type FolioRef, type Mapping, type MappingState, type Page, type PageState } from './pages_page.ts';

/** A broken model invariant (never a kernel error): a count below zero, a state that cannot be. */
export class PageCacheInvariantError extends Error {
  override name = 'PageCacheInvariantError';
}

/** The folio holding page `pgoff`: its head and number of pages, or undefined when the page is not cached. */
export function folioAt(m: MappingState, pgoff: number): { head: number; nr: number } | undefined {
  if (!m.pages.has(pgoff)) return undefined;
  const head = m.heads.get(pgoff);
  if (head === undefined) return { head: pgoff, nr: 1 };
  return { head, nr: 2 ** (m.orders.get(head) ?? 0) };
}

function pageOf(m: MappingState, state: PageState, pgoff: number): Page {
  const head = m.heads.get(pgoff) ?? pgoff;
  const nr = m.heads.has(pgoff) ? 2 ** (m.orders.get(head) ?? 0) : 1;
  const flags = m.flags.get(head) ?? 0;
  return { state, refs: m.refs.get(head) ?? 0, head, nr, readahead: (flags & PG_READAHEAD) !== 0, dirty: (flags & PG_DIRTY) !== 0 };
}

export function findPage(m: MappingState, pgoff: number): Page | undefined {
  const state = m.pages.get(pgoff);
  return state === undefined ? undefined : pageOf(m, state, pgoff);
}

/** Every cached page, in no particular order. */
export function* pagesOf(m: MappingState): Generator<[number, Page]> {
  for (const [pgoff, state] of m.pages) yield [pgoff, pageOf(m, state, pgoff)];
}

/** Every folio, once (by its head), in no particular order. */
export function* foliosOf(m: MappingState): Generator<Page> {
  for (const [pgoff, state] of m.pages) if ((m.heads.get(pgoff) ?? pgoff) === pgoff) yield pageOf(m, state, pgoff);
}

export function isUptodate(m: MappingState, pgoff: number): boolean {
  return m.pages.get(pgoff) === 'uptodate';
}

/** The identity of the folio now holding page `pgoff` (it must be cached). */
export function folioRef(m: MappingState, pgoff: number): FolioRef {
  const f = folioAt(m, pgoff);
  if (f === undefined) throw new PageCacheInvariantError(`no folio at page ${pgoff}`);
  return { head: f.head, gen: m.gens.get(f.head) ?? 0 };
}

/** Whether `ref` is still the folio in the cache at its index (not truncated out since). */
export function isAttached(m: MappingState, ref: FolioRef): boolean {
  const f = folioAt(m, ref.head);
  return f !== undefined && f.head === ref.head && (m.gens.get(ref.head) ?? 0) === ref.gen;
}

function setState(m: Mapping, head: number, nr: number, state: PageState): void {
  const pages = m.writePages();
  for (let p = head; p < head + nr; p += 1) pages.set(p, state);
  // A folio's uptodate blocks outlive its locking and a failed read of the others (their buffer heads
  // stay uptodate); they matter no more once the folio is uptodate, or when none is.
  if ((state === 'uptodate' || state === 'failed') && m.blocks.has(head)) m.writeBlocks().delete(head);
}

/** The uptodate blocks of page `pgoff` as a bit mask of its `n` blocks: all for uptodate, none when absent. */
export function blockMask(m: MappingState, pgoff: number, n: number): number {
  const state = m.pages.get(pgoff);
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
  const state = m.pages.get(pgoff);
  if (state === 'locked') throw new PageCacheInvariantError(`setBlocks of page ${pgoff} under I/O`);
  if (m.heads.has(pgoff)) throw new PageCacheInvariantError(`setBlocks of page ${pgoff} in a large folio`);
  applyBlocks(m, pgoff, mask, n);
}

function applyBlocks(m: Mapping, pgoff: number, mask: number, n: number, commit = false): void {
  if (commit && mask === 2 ** n - 1) {
    setState(m, pgoff, 1, 'uptodate');
    return;
  }
  setState(m, pgoff, 1, 'partial');
  m.writeBlocks().set(pgoff, mask);
}

/**
 * `filemap_add_folio` of a new, locked folio of 2^`order` pages at `head` (aligned to its size). Fails
 * (returns false, nothing added) when any of its pages is cached (-EEXIST in the kernel).
 */
export function addFolio(m: Mapping, head: number, order = 0): boolean {
  const nr = 2 ** order;
  if (head % nr !== 0) throw new PageCacheInvariantError(`folio of order ${order} at unaligned index ${head}`);
  for (let p = head; p < head + nr; p += 1) if (m.pages.has(p)) return false;
  setState(m, head, nr, 'locked');
  if (order > 0) {
    const heads = m.writeHeads();
    for (let p = head; p < head + nr; p += 1) heads.set(p, head);
    m.writeOrders().set(head, order);
  }
  return true;
}

/**
 * Lock a folio for a read (`filemap_read_folio`): a page not cached gets a new order-0 folio; a
 * `failed` folio is locked again. Returns the folio's head, or null when the page is already locked
 * or uptodate.
 */
export function startRead(m: Mapping, pgoff: number): number | null {
  const state = m.pages.get(pgoff);
  if (state === undefined) {
    addFolio(m, pgoff, 0);
    return pgoff;
  }
  if (state !== 'failed' && state !== 'partial') return null;
  const f = folioAt(m, pgoff) as { head: number; nr: number };
  setState(m, f.head, f.nr, 'locked');
  return f.head;
}

/**
 * A read of the folio at `head` completed: uptodate when `ok`, else `failed` (a failed read never marks
 * it uptodate). A read of some of its blocks (`blocks`: the page's uptodate blocks after it, out of
 * `nblocks`; `before`: those before it) leaves it `partial` (or uptodate when they are all), and a
 * failure leaves the blocks it had.
 */
export function endRead(m: Mapping, head: number, ok: boolean, blocks?: { after: number; before: number; n: number }): void {
  const f = folioAt(m, head);
  if (f === undefined || f.head !== head || m.pages.get(head) !== 'locked') {
    throw new PageCacheInvariantError(`endRead of page ${head} that is not a folio under I/O`);
  }
  if (blocks === undefined) {
    // block_read_full_folio: a failure leaves the blocks that were uptodate as they were.
    const kept = ok ? 0 : (m.blocks.get(head) ?? 0);
    if (kept !== 0) applyBlocks(m, head, kept, 0);
    else setState(m, head, f.nr, ok ? 'uptodate' : 'failed');
    return;
  }
  const mask = ok ? blocks.after : blocks.before;
  if (mask === 0) setState(m, head, f.nr, 'failed');
  else applyBlocks(m, head, mask, blocks.n);
}

/** `folio_mark_uptodate` of a folio whose blocks are all read (`partial`): no I/O. */
export function markUptodate(m: Mapping, pgoff: number): void {
  const f = folioAt(m, pgoff);
  if (f === undefined || m.pages.get(pgoff) !== 'partial') throw new PageCacheInvariantError(`markUptodate of page ${pgoff} that is not partial`);
  setState(m, f.head, f.nr, 'uptodate');
}

/** Lock page `pgoff` (absent, failed or partial) for a read of some of its blocks. Returns false when it is locked or uptodate. */
export function lockForBlocks(m: Mapping, pgoff: number): boolean {
  const state = m.pages.get(pgoff);
  if (state === 'locked' || state === 'uptodate') return false;
  if (state === undefined) {
    addFolio(m, pgoff, 0);
    return true;
  }
  const f = folioAt(m, pgoff) as { head: number; nr: number };
  const pages = m.writePages();
  for (let p = f.head; p < f.head + f.nr; p += 1) pages.set(p, 'locked');
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
  const state = m.pages.get(pgoff);
  if (state === 'uptodate' || state === 'locked') return false;
  if (state === undefined) {
    m.writePages().set(pgoff, 'uptodate');
    return true;
  }
  const f = folioAt(m, pgoff) as { head: number; nr: number };
  setState(m, f.head, f.nr, 'uptodate');
  return true;
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
  const old = m.flags.get(head) ?? 0;
  const next = on ? old | flag : old & ~flag;
  if (next === old) return;
  if (next === 0) m.writeFlags().delete(head);
  else m.writeFlags().set(head, next);
}

/** `folio_test_readahead` of the folio holding page `pgoff`. */
export function hasReadahead(m: MappingState, pgoff: number): boolean {
  const f = folioAt(m, pgoff);
  return f !== undefined && ((m.flags.get(f.head) ?? 0) & PG_READAHEAD) !== 0;
}

/** `folio_set_readahead` on the folio at `head`. */
export function setReadahead(m: Mapping, head: number): void {
  setFlag(m, head, PG_READAHEAD, true);
}

/** `folio_clear_readahead` on the folio holding page `pgoff`. */
export function clearReadahead(m: Mapping, pgoff: number): void {
  const f = folioAt(m, pgoff);
  if (f !== undefined) setFlag(m, f.head, PG_READAHEAD, false);
}

/**
 * A buffered write filled page `pgoff` (`->write_end`): its folio (a new order-0 folio if the page was
 * not cached) is uptodate and dirty. The caller has made sure it is not locked.
 */
export function writePage(m: Mapping, pgoff: number): void {
  const state = m.pages.get(pgoff);
  if (state === 'locked') throw new PageCacheInvariantError(`write of page ${pgoff} under I/O`);
  if (state === undefined) m.writePages().set(pgoff, 'uptodate');
  const f = folioAt(m, pgoff) as { head: number; nr: number };
  if (state !== undefined) setState(m, f.head, f.nr, 'uptodate');
  setFlag(m, f.head, PG_DIRTY, true);
}

/** A write made blocks `mask` (of `n`) of page `pgoff` uptodate and the folio dirty (`__block_commit_write`: uptodate once every block is). */
export function writeBlocks(m: Mapping, pgoff: number, mask: number, n: number): void {
  if (m.pages.get(pgoff) === 'uptodate' || (m.heads.has(pgoff))) {
    writePage(m, pgoff);
    return;
  }
  if (m.pages.get(pgoff) === 'locked') throw new PageCacheInvariantError(`writeBlocks of page ${pgoff} under I/O`);
  applyBlocks(m, pgoff, blockMask(m, pgoff, n) | mask, n, true);
  setFlag(m, pgoff, PG_DIRTY, true);
}

/**
 * Writeback of the dirty folios with a head in `[first, last]` finished (`filemap_write_and_wait_range`):
 * they are clean. Returns their heads.
 */
export function cleanAll(m: Mapping, first = 0, last = Number.MAX_SAFE_INTEGER): number[] {
  const heads: number[] = [];
  for (const [head, flags] of m.flags) if ((flags & PG_DIRTY) !== 0 && head >= first && head <= last) heads.push(head);
  for (const head of heads) setFlag(m, head, PG_DIRTY, false);
  return heads.sort((a, b) => a - b);
}

/**
 * Whether invalidation may drop a folio (mm/truncate.c `mapping_evict_folio`): clean, unlocked and with
 * no reader holding a reference.
 */
export function evictable(page: Page): boolean {
  return page.state !== 'locked' && page.refs === 0 && !page.dirty;
}

export interface EvictResult {
  /** Pages dropped. */
  readonly evicted: readonly number[];
  /** Pages of the range kept (locked, referenced, dirty, or in a folio reaching outside the range). */
  readonly kept: readonly number[];
}

/** Remove the folio at `head` (its pages, flags, order) from the cache. */
function removeFolio(m: Mapping, head: number, nr: number): void {
  const pages = m.writePages();
  for (let p = head; p < head + nr; p += 1) pages.delete(p);
  if (m.flags.has(head)) m.writeFlags().delete(head);
  if (m.blocks.has(head)) m.writeBlocks().delete(head);
  if (nr > 1) {
    const heads = m.writeHeads();
    for (let p = head; p < head + nr; p += 1) heads.delete(p);
    m.writeOrders().delete(head);
  }
}

/**
 * Drop the evictable folios that lie wholly in pages `[first, last]` (mm/truncate.c
 * `mapping_try_invalidate`, as `POSIX_FADV_DONTNEED` uses it: `find_lock_entries` skips folios that
 * reach outside the range). Walks only the pages present, so a range over a huge file costs what is
 * cached, not what it spans.
 */
export function invalidateRange(m: Mapping, first: number, last: number): EvictResult {
  const evicted: number[] = [];
  const kept: number[] = [];
  const drop: Page[] = [];
  for (const f of foliosOf(m)) {
    if (f.head + f.nr - 1 < first || f.head > last) continue;
    const inside = f.head >= first && f.head + f.nr - 1 <= last;
    const out = inside && evictable(f) ? evicted : kept;
    for (let p = Math.max(first, f.head); p <= Math.min(last, f.head + f.nr - 1); p += 1) out.push(p);
    if (inside && evictable(f)) drop.push(f);
  }
  for (const f of drop) removeFolio(m, f.head, f.nr);
  evicted.sort((a, b) => a - b);
  kept.sort((a, b) => a - b);
  return { evicted, kept };
}

/** Drop every evictable folio (`echo 1 > /proc/sys/vm/drop_caches` for this inode). */
export function dropClean(m: Mapping): EvictResult {
  return invalidateRange(m, 0, Number.MAX_SAFE_INTEGER);
}

/** The first locked page at or after `first`, or null (truncation waits for it: `folio_lock`). */
export function firstLockedFrom(m: MappingState, first: number): number | null {
  let found: number | null = null;
  for (const [pgoff, state] of m.pages) if (state === 'locked' && pgoff >= first && (found === null || pgoff < found)) found = pgoff;
  return found === null ? null : (m.heads.get(found) ?? found);
}

export interface TruncateResult {
  /** Pages removed from the cache. */
  readonly removed: readonly number[];
  /** Folios removed while readers held them: the references now keep detached folios. */
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
  const removed: number[] = [];
  const detached: FolioRef[] = [];
  const folios = [...foliosOf(m)].filter((f) => f.head + f.nr - 1 >= first);
  for (const f of folios) {
    if (f.state === 'locked') throw new PageCacheInvariantError(`truncation of folio ${f.head} under I/O`);
    if (f.head < first) {
      if (f.refs > 0) continue;
      // Split into order-0 folios: the pages keep the state; the flags stay with the head page.
      const heads = m.writeHeads();
      for (let p = f.head; p < f.head + f.nr; p += 1) heads.delete(p);
      m.writeOrders().delete(f.head);
      if (f.dirty) for (let p = f.head + 1; p < first; p += 1) setFlag(m, p, PG_DIRTY, true);
      const pages = m.writePages();
      for (let p = first; p < f.head + f.nr; p += 1) {
        pages.delete(p);
        removed.push(p);
      }
      continue;
    }
    if (f.refs > 0) {
      const gen = m.gens.get(f.head) ?? 0;
      const key = `${f.head}:${gen}`;
      m.writeDetached().set(key, { refs: f.refs, bytes: memory(f.head, f.nr) });
      m.writeRefs().delete(f.head);
      m.writeGens().set(f.head, gen + 1);
      detached.push({ head: f.head, gen });
    }
    removeFolio(m, f.head, f.nr);
    for (let p = f.head; p < f.head + f.nr; p += 1) removed.push(p);
  }
  removed.sort((a, b) => a - b);
  return { removed, detached };
}
