/**
 * One page-cache folio of one inode. The model uses order-0 folios: one 4096-byte page each.
 *
 * - `locked`: under I/O (`filemap_read_folio` in progress); not uptodate.
 * - `uptodate`: its read completed without error (`folio_mark_uptodate`).
 * - `failed`: its read completed with an error: present, unlocked, not uptodate (mm/filemap.c leaves
 *   such a folio in the cache; the next sleepable reader issues the read again).
 *
 * `refs` counts references taken by readers (`folio_get`/`folio_put`), not the cache's own.
 */
export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;
export const PAGE_SIZE_N = BigInt(PAGE_SIZE);

export type PageState = 'locked' | 'uptodate' | 'failed';

/** A page as readers see it: its state and the references readers hold on it. */
export interface Page {
  readonly state: PageState;
  readonly refs: number;
}

/**
 * The page cache of one inode (`struct address_space`): sparse, keyed by page index. States and
 * reader references are kept in two maps of plain values: a warm read only changes `refs` (small:
 * the pages readers hold), never the map of every cached page, so its cost does not grow with the
 * number of pages cached.
 */
export interface Mapping {
  pages: Map<number, PageState>;
  /** Pages with reader references, and how many; absent means 0. */
  refs: Map<number, number>;
}

export function emptyMapping(): Mapping {
  return { pages: new Map(), refs: new Map() };
}

/** Page index of a byte offset (`offset >> PAGE_SHIFT`). Page indices of a 2^64-byte space fit in 2^52. */
export function pageIndex(offset: bigint): number {
  return Number(offset >> BigInt(PAGE_SHIFT));
}

export function pageStart(pgoff: number): bigint {
  return BigInt(pgoff) << BigInt(PAGE_SHIFT);
}
