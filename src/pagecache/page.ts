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
const PAGE_SHIFT_N = BigInt(PAGE_SHIFT);
const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);

export type PageState = 'locked' | 'uptodate' | 'failed';

/** A page as readers see it: its state and the references readers hold on it. */
export interface Page {
  readonly state: PageState;
  readonly refs: number;
}

/**
 * The page cache of one inode (`struct address_space`) as the world stores it: sparse, keyed by page
 * index, read-only and shared between worlds. States and reader references are kept in two maps of
 * plain values: a warm read only changes `refs` (small: the pages readers hold), never the map of
 * every cached page, so its cost does not grow with the number of pages cached.
 */
export interface MappingState {
  readonly pages: ReadonlyMap<number, PageState>;
  /** Pages with reader references, and how many; absent means 0. */
  readonly refs: ReadonlyMap<number, number>;
}

const EMPTY: MappingState = Object.freeze({ pages: new Map<number, PageState>(), refs: new Map<number, number>() });

/**
 * A mapping being changed (the transitions in mapping.ts take one). It reads through to the state it
 * started from and copies each of its two maps on that map's first write only, so a change of a
 * reference does not copy the map of every cached page. `state()` is the result.
 */
export class Mapping implements MappingState {
  #pages: ReadonlyMap<number, PageState>;
  #refs: ReadonlyMap<number, number>;
  #pagesOwned = false;
  #refsOwned = false;

  constructor(base: MappingState = EMPTY) {
    this.#pages = base.pages;
    this.#refs = base.refs;
  }

  get pages(): ReadonlyMap<number, PageState> {
    return this.#pages;
  }

  get refs(): ReadonlyMap<number, number> {
    return this.#refs;
  }

  /** The page states, to change. */
  writePages(): Map<number, PageState> {
    if (!this.#pagesOwned) {
      this.#pages = new Map(this.#pages);
      this.#pagesOwned = true;
    }
    return this.#pages as Map<number, PageState>;
  }

  /** The reader references, to change. */
  writeRefs(): Map<number, number> {
    if (!this.#refsOwned) {
      this.#refs = new Map(this.#refs);
      this.#refsOwned = true;
    }
    return this.#refs as Map<number, number>;
  }

  /** Whether a write happened since construction. */
  get changed(): boolean {
    return this.#pagesOwned || this.#refsOwned;
  }

  /** The mapping as the world stores it. */
  state(): MappingState {
    return Object.freeze({ pages: this.#pages, refs: this.#refs });
  }
}

export function emptyMapping(): Mapping {
  return new Mapping();
}

/** Page index of a byte offset (`offset >> PAGE_SHIFT`). Page indices of a 2^64-byte space fit in 2^52. */
export function pageIndex(offset: bigint): number {
  // In numbers while exact (no bigint to allocate); the shift beyond 2^53.
  return offset <= MAX_EXACT ? Math.floor(Number(offset) / PAGE_SIZE) : Number(offset >> PAGE_SHIFT_N);
}

export function pageStart(pgoff: number): bigint {
  return BigInt(pgoff) << PAGE_SHIFT_N;
}
