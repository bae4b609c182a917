/**
 * The reference model of the page cache for test/pagecache_runs.test.ts: the per-page implementation
 * src/pagecache had before its interval map (issue 17 phase 2, from commit e427322), one map entry per
 * page, kept unchanged but for its imports. It knows nothing of runs, so the property that compares
 * the two checks the interval map against an independent representation of the same transitions.
 */
/**
 * (Reference) The folios of one inode's page cache (`struct address_space`).
 *
 * A folio is one page (order 0) or 2^order pages aligned to their size (a large folio: ext4 makes them
 * for async readahead windows since 6.16, mm/readahead.c `page_cache_ra_order`). Its pages share one
 * state:
 * - `locked`: under I/O (`filemap_read_folio` or readahead in progress); not uptodate.
 * - `uptodate`: its read completed without error (`folio_mark_uptodate`), or it was written whole.
 * - `failed`: its read completed with an error: present, unlocked, not uptodate (mm/filemap.c leaves
 *   such a folio in the cache; the next reader issues `->read_folio` again).
 * - `partial`: not uptodate, but some of its blocks are (their buffer heads are uptodate): a write that
 *   covers part of a page not cached reads or fills only the blocks it touches
 *   (`__block_write_begin_int`, `__block_commit_write` marks the folio uptodate only when every block
 *   is), and a truncation reads the block it zeroes (`__ext4_block_zero_page_range`). `blocks` holds
 *   which blocks are uptodate. A buffered read of uptodate blocks copies them as they are
 *   (`filemap_range_uptodate` → `block_is_partially_uptodate`, for blocks smaller than the folio);
 *   `->read_folio` reads the others (`block_read_full_folio`: none left → uptodate without I/O).
 *
 * and the flags the model needs: `PG_readahead` (the readahead marker, mm/readahead.c) and `PG_dirty`
 * (written, not yet written back). `refs` counts references taken by readers (`folio_get`/`folio_put`),
 * not the cache's own. A folio has an identity, its head index and a generation: truncation removes a
 * folio even when a reader holds it (mm/truncate.c), and the reader's reference then keeps a folio that
 * is no longer in the cache (a *detached* folio) while a new folio may take its index.
 */
export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;
export const PAGE_SIZE_N = BigInt(PAGE_SIZE);
const PAGE_SHIFT_N = BigInt(PAGE_SHIFT);
const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);

export type PageState = 'locked' | 'uptodate' | 'failed' | 'partial';

/** `PG_readahead`: the folio where the next async readahead starts (include/linux/page-flags.h). */
export const PG_READAHEAD = 1;
/** `PG_dirty`: written and not yet written back. */
export const PG_DIRTY = 2;

/** A page as readers see it: its folio's state, flags and the references readers hold on the folio. */
export interface Page {
  readonly state: PageState;
  readonly refs: number;
  /** The folio's first page and its number of pages. */
  readonly head: number;
  readonly nr: number;
  readonly readahead: boolean;
  readonly dirty: boolean;
}

/** Which folio a holder references: its head index and generation. */
export interface FolioRef {
  readonly head: number;
  readonly gen: number;
}

/**
 * The page cache of one inode as the world stores it: sparse maps of plain values keyed by page index,
 * read-only and shared between worlds. A warm read only changes `refs` (small), never the map of every
 * cached page, so its cost does not grow with the number of pages cached.
 */
export interface MappingState {
  /** The state of every cached page (the pages of a large folio share it). */
  readonly pages: ReadonlyMap<number, PageState>;
  /** Folio heads with reader references, and how many; absent means 0. */
  readonly refs: ReadonlyMap<number, number>;
  /** Folio heads with flags (`PG_READAHEAD | PG_DIRTY`); absent means none. */
  readonly flags: ReadonlyMap<number, number>;
  /** For the pages of large folios only: page → its folio's head. */
  readonly heads: ReadonlyMap<number, number>;
  /** For the heads of large folios only: head → order. */
  readonly orders: ReadonlyMap<number, number>;
  /** Generation of the folio at a head index, where it is not 0 (an earlier folio there was truncated while held). */
  readonly gens: ReadonlyMap<number, number>;
  /** Folios truncated out of the cache while held, by `head:gen`: their references and memory. */
  readonly detached: ReadonlyMap<string, DetachedFolio>;
  /** For `partial` pages (order-0 folios): the bit mask of their uptodate blocks. */
  readonly blocks: ReadonlyMap<number, number>;
}

/** A folio removed from the cache while a reader held it: the reader's references keep its memory. */
export interface DetachedFolio {
  readonly refs: number;
  /** Its bytes when it was removed (the cache layer keeps them; it does not interpret them). */
  readonly bytes: Uint8Array;
}

type Field = keyof MappingState;
const FIELDS: readonly Field[] = ['pages', 'refs', 'flags', 'heads', 'orders', 'gens', 'detached', 'blocks'];

const EMPTY: MappingState = Object.freeze({
  pages: new Map(), refs: new Map(), flags: new Map(), heads: new Map(), orders: new Map(), gens: new Map(), detached: new Map(), blocks: new Map(),
}) as MappingState;

/**
 * A mapping being changed (the transitions in mapping.ts take one). It reads through to the state it
 * started from and copies each of its maps on that map's first write only, so a change of a reference
 * does not copy the map of every cached page. `state()` is the result.
 */
export class Mapping implements MappingState {
  #cur: Record<Field, ReadonlyMap<unknown, unknown>>;
  readonly #owned = new Set<Field>();

  constructor(base: MappingState = EMPTY) {
    // A state from before a field existed reads that field as empty.
    this.#cur = Object.fromEntries(FIELDS.map((f) => [f, (base[f] as ReadonlyMap<unknown, unknown> | undefined) ?? EMPTY[f]])) as Record<Field, ReadonlyMap<unknown, unknown>>;
  }

  get pages(): ReadonlyMap<number, PageState> { return this.#cur.pages as ReadonlyMap<number, PageState>; }
  get refs(): ReadonlyMap<number, number> { return this.#cur.refs as ReadonlyMap<number, number>; }
  get flags(): ReadonlyMap<number, number> { return this.#cur.flags as ReadonlyMap<number, number>; }
  get heads(): ReadonlyMap<number, number> { return this.#cur.heads as ReadonlyMap<number, number>; }
  get orders(): ReadonlyMap<number, number> { return this.#cur.orders as ReadonlyMap<number, number>; }
  get gens(): ReadonlyMap<number, number> { return this.#cur.gens as ReadonlyMap<number, number>; }
  get detached(): ReadonlyMap<string, DetachedFolio> { return this.#cur.detached as ReadonlyMap<string, DetachedFolio>; }
  get blocks(): ReadonlyMap<number, number> { return this.#cur.blocks as ReadonlyMap<number, number>; }

  #write<K, V>(f: Field): Map<K, V> {
    if (!this.#owned.has(f)) {
      this.#cur[f] = new Map(this.#cur[f]);
      this.#owned.add(f);
    }
    return this.#cur[f] as Map<K, V>;
  }

  /** The page states, to change. */
  writePages(): Map<number, PageState> { return this.#write('pages'); }
  /** The reader references, to change. */
  writeRefs(): Map<number, number> { return this.#write('refs'); }
  writeFlags(): Map<number, number> { return this.#write('flags'); }
  writeHeads(): Map<number, number> { return this.#write('heads'); }
  writeOrders(): Map<number, number> { return this.#write('orders'); }
  writeGens(): Map<number, number> { return this.#write('gens'); }
  writeDetached(): Map<string, DetachedFolio> { return this.#write('detached'); }
  writeBlocks(): Map<number, number> { return this.#write('blocks'); }

  /** Whether a write happened since construction. */
  get changed(): boolean {
    return this.#owned.size > 0;
  }

  /** The mapping as the world stores it. */
  state(): MappingState {
    return Object.freeze({ ...this.#cur }) as MappingState;
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
