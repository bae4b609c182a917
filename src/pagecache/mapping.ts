/**
 * Transitions of one inode's page cache. Each function changes the `Mapping` it is given (a mapping
 * being changed: it copies its maps on first write) and returns what happened as data; it knows nothing of files,
 * dynptrs or time, which live in the layers above (mm/filemap.c, mm/truncate.c are the kernel side).
 */
import type { Mapping, MappingState, Page } from './page.ts';

/** A broken model invariant (never a kernel error): a count below zero, a state that cannot be. */
export class PageCacheInvariantError extends Error {
  override name = 'PageCacheInvariantError';
}

export function findPage(m: MappingState, pgoff: number): Page | undefined {
  const state = m.pages.get(pgoff);
  return state === undefined ? undefined : { state, refs: m.refs.get(pgoff) ?? 0 };
}

/** Every cached page, in no particular order. */
export function* pagesOf(m: MappingState): Generator<[number, Page]> {
  for (const [pgoff, state] of m.pages) yield [pgoff, { state, refs: m.refs.get(pgoff) ?? 0 }];
}

export function isUptodate(m: MappingState, pgoff: number): boolean {
  return m.pages.get(pgoff) === 'uptodate';
}

/**
 * Start a read of a page (`filemap_add_folio` + `filemap_read_folio`): the page is added, or a
 * `failed` page reused, and locked. Returns false when the page is already locked or uptodate.
 */
export function startRead(m: Mapping, pgoff: number): boolean {
  const state = m.pages.get(pgoff);
  if (state !== undefined && state !== 'failed') return false;
  m.writePages().set(pgoff, 'locked');
  return true;
}

/** A read completed: uptodate when `ok`, else `failed` (a failed read never marks a page uptodate). */
export function endRead(m: Mapping, pgoff: number, ok: boolean): void {
  if (m.pages.get(pgoff) !== 'locked') throw new PageCacheInvariantError(`endRead of page ${pgoff} that is not under I/O`);
  m.writePages().set(pgoff, ok ? 'uptodate' : 'failed');
}

/** Make a page uptodate at once (a warm cache set up by the scenario). A locked page is left alone. */
export function populate(m: Mapping, pgoff: number): boolean {
  const state = m.pages.get(pgoff);
  if (state === 'uptodate' || state === 'locked') return false;
  m.writePages().set(pgoff, 'uptodate');
  return true;
}

/** `folio_get`. */
export function folioGet(m: Mapping, pgoff: number): void {
  if (!m.pages.has(pgoff)) throw new PageCacheInvariantError(`folio_get of absent page ${pgoff}`);
  m.writeRefs().set(pgoff, (m.refs.get(pgoff) ?? 0) + 1);
}

/** `folio_put`. */
export function folioPut(m: Mapping, pgoff: number): void {
  const refs = m.refs.get(pgoff) ?? 0;
  if (!m.pages.has(pgoff) || refs <= 0) throw new PageCacheInvariantError(`folio_put of page ${pgoff} without a reference`);
  if (refs === 1) m.writeRefs().delete(pgoff);
  else m.writeRefs().set(pgoff, refs - 1);
}

/**
 * Whether reclaim may drop a page: clean (file pages here are never dirty), unlocked and with no
 * reader holding a reference (mm/truncate.c `mapping_evict_folio`).
 */
export function evictable(page: Page): boolean {
  return page.state !== 'locked' && page.refs === 0;
}

export interface EvictResult {
  readonly evicted: readonly number[];
  readonly kept: readonly number[];
}

/**
 * Drop the evictable pages with index in `[first, last]`, like `POSIX_FADV_DONTNEED` over a range
 * (`invalidate_mapping_pages`). Pages that are locked or referenced are kept. Walks only the pages
 * present, so a range over a huge file costs what is cached, not what it spans.
 */
export function invalidateRange(m: Mapping, first: number, last: number): EvictResult {
  const evicted: number[] = [];
  const kept: number[] = [];
  for (const [pgoff, page] of pagesOf(m)) {
    if (pgoff < first || pgoff > last) continue;
    if (evictable(page)) evicted.push(pgoff);
    else kept.push(pgoff);
  }
  if (evicted.length > 0) {
    const pages = m.writePages();
    for (const pgoff of evicted) pages.delete(pgoff);
  }
  evicted.sort((a, b) => a - b);
  kept.sort((a, b) => a - b);
  return { evicted, kept };
}

/** Drop every evictable page (`echo 1 > /proc/sys/vm/drop_caches` for this inode). */
export function dropClean(m: Mapping): EvictResult {
  return invalidateRange(m, 0, Number.MAX_SAFE_INTEGER);
}
