/**
 * The folios of one inode's page cache (`struct address_space`).
 *
 * A folio is one page (order 0) or 2^order pages aligned to their size (a large folio: ext4 makes them
 * for async readahead windows since 6.16, mm/readahead.c `page_cache_ra_order`, and for buffered
 * writes, `write_begin_get_folio`). Its pages share one state:
 * - `locked`: under I/O (`filemap_read_folio` or readahead in progress); not uptodate.
 * - `uptodate`: its read completed without error (`folio_mark_uptodate`), or it was written whole.
 * - `failed`: its read completed with an error: present, unlocked, not uptodate (mm/filemap.c leaves
 *   such a folio in the cache; the next reader issues `->read_folio` again).
 * - `partial`: not uptodate, but some of its blocks are (their buffer heads are uptodate): a write that
 *   covers part of a page not cached reads or fills only the blocks it touches
 *   (`__block_write_begin_int`, `__block_commit_write` marks the folio uptodate only when every block
 *   is), and a truncation reads the block it zeroes (`ext4_block_zero_eof`). `blocks` holds which
 *   blocks of each page are uptodate (a large folio a write made has a mask per page). A buffered
 *   read of uptodate blocks copies them as they are (`filemap_range_uptodate` →
 *   `block_is_partially_uptodate`, for blocks smaller than the folio);
 *   `->read_folio` reads the others (`block_read_full_folio`: none left → uptodate without I/O).
 *
 * and the flags the model needs: `PG_readahead` (the readahead marker, mm/readahead.c) and `PG_dirty`
 * (written, not yet written back). `refs` counts references taken by readers (`folio_get`/`folio_put`),
 * not the cache's own. A folio has an identity, its head index and a generation: truncation removes a
 * folio even when a reader holds it (mm/truncate.c), and the reader's reference then keeps a folio that
 * is no longer in the cache (a *detached* folio) while a new folio may take its index.
 */
import { BTree } from './btree.ts';
import { SparseMap } from './sparse.ts';

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
 * A run of the interval map: the pages `[start, end)` are cached, in folios of 2^`order` pages aligned
 * to their size (so `start` and `end` are multiples of 2^`order`), all in `state` and with `flags`
 * (`PG_READAHEAD | PG_DIRTY`, each folio's own). Neighbouring runs of equal state, order and flags are
 * one run, so a fully cached file of any size is one run.
 */
export interface Run {
  readonly start: number;
  readonly end: number;
  readonly state: PageState;
  readonly order: number;
  readonly flags: number;
}

/** Pages `[first, last]`, inclusive: how the layers above see a set of pages without listing each. */
export type PageRun = readonly [first: number, last: number];

/** The interval map: runs by their first page (a B+ tree, cloned copy-on-write: sorted-btree). */
export type RunTree = BTree<number, Run>;

const cmp = (a: number, b: number): number => a - b;

/**
 * Whether `v` is an interval map (to count its runs, not the tree's own bookkeeping: cloning marks a
 * node shared, a flag no reader of the runs sees).
 */
export function isRunTree(v: unknown): v is RunTree {
  return v instanceof BTree;
}

/**
 * The page cache of one inode as the world stores it, read-only and shared between worlds: the interval
 * map of folio states, and sparse maps of what is per folio and rare (reader references, generations,
 * detached folios, uptodate blocks of partial pages). A change copies only the tree nodes on the path
 * of the runs it changes, so its cost grows with the logarithm of the runs, never with the pages cached.
 */
export interface MappingState {
  /** The runs of cached pages (frozen). */
  readonly runs: RunTree;
  /** How many pages are cached. */
  readonly cached: number;
  /** Folio heads with reader references, and how many; absent means 0. */
  readonly refs: ReadonlyMap<number, number>;
  /** Generation of the folio at a head index, where it is not 0 (an earlier folio there was truncated while held). */
  readonly gens: ReadonlyMap<number, number>;
  /** Folios truncated out of the cache while held, by `head:gen`: their references and memory. */
  readonly detached: ReadonlyMap<string, DetachedFolio>;
  /** For `partial` pages: the bit mask of their uptodate blocks (per page, in a large folio too). */
  readonly blocks: ReadonlyMap<number, number>;
}

/** A folio removed from the cache while a reader held it: the reader's references keep its memory. */
export interface DetachedFolio {
  readonly refs: number;
  /** Its bytes when it was removed (the cache layer keeps them; it does not interpret them). */
  readonly bytes: Uint8Array;
}

type MapField = 'refs' | 'gens' | 'detached' | 'blocks';
const FIELD_BIT: Readonly<Record<MapField, number>> = Object.freeze({ refs: 1, gens: 2, detached: 4, blocks: 8 });

function emptyTree(): RunTree {
  const t = new BTree<number, Run>(undefined, cmp);
  t.freeze();
  return t;
}

const EMPTY: MappingState = Object.freeze({ runs: emptyTree(), cached: 0, refs: SparseMap.empty<number, number>(), gens: SparseMap.empty<number, number>(), detached: SparseMap.empty<string, DetachedFolio>(), blocks: SparseMap.empty<number, number>() });

/**
 * The pair `getPairOrNextLower` fills in, instead of making one per call (a lookup is made for every
 * page a read touches); emptied after each use, so that it holds no run.
 */
const PAIR: [number, Run | undefined] = [0, undefined];

/** The run holding page `p` in `runs`, or undefined. */
export function runAt(runs: RunTree, p: number): Run | undefined {
  const pair = runs.getPairOrNextLower(p, PAIR as [number, Run]);
  if (pair === undefined) return undefined;
  const r = pair[1];
  PAIR[1] = undefined;
  return p < r.end ? r : undefined;
}

/**
 * The pages of a folio of order `order`, 2^`order`, as an integer. Orders are 0 to 11 (`createFile`'s
 * `maxFolioOrder` bounds every run's), so a shift makes it; `2 ** order` is a double to V8, and a page
 * index `%` a double is computed by fmod: some 22 ns, against 2 (bench/README.md, stop 58).
 */
export function folioPages(order: number): number {
  return 1 << order;
}

/** The runs overlapping pages `[first, last]`, ascending (whole runs: they may reach outside). */
export function* runsIn(runs: RunTree, first: number, last: number): Generator<Run> {
  if (first > last) return;
  const before = runs.getPairOrNextLower(first);
  const from = before !== undefined && before[1].end > first ? before[0] : first;
  for (const [start, r] of runs.entries(from)) {
    if (start > last) return;
    yield r;
  }
}

const same = (a: Run, b: Omit<Run, 'start' | 'end'>): boolean => a.state === b.state && a.order === b.order && a.flags === b.flags;

/**
 * A mapping being changed (the transitions in mapping.ts take one): the overlay of one transition. It
 * reads through to the state it started from; its first change of the runs clones the tree (O(1): the
 * nodes are shared and copied on write, path by path), and its first change of a sparse map copies
 * that map. `state()` is the result; changes after it go to new copies, never to the state returned.
 */
export class Mapping implements MappingState {
  #runs: RunTree;
  #ownRuns = false;
  #cached: number;
  #cur: Record<MapField, SparseMap<unknown, unknown>>;
  /** The sparse maps copied since the last `state()`, as bits of `FIELD_BIT`. */
  #owned = 0;
  #changed = false;

  constructor(base: MappingState = EMPTY) {
    this.#runs = base.runs;
    this.#cached = base.cached;
    this.#cur = { refs: SparseMap.of(base.refs), gens: SparseMap.of(base.gens), detached: SparseMap.of(base.detached), blocks: SparseMap.of(base.blocks) } as Record<MapField, SparseMap<unknown, unknown>>;
  }

  get runs(): RunTree { return this.#runs; }
  get cached(): number { return this.#cached; }
  get refs(): ReadonlyMap<number, number> { return this.#cur.refs as ReadonlyMap<number, number>; }
  get gens(): ReadonlyMap<number, number> { return this.#cur.gens as ReadonlyMap<number, number>; }
  get detached(): ReadonlyMap<string, DetachedFolio> { return this.#cur.detached as ReadonlyMap<string, DetachedFolio>; }
  get blocks(): ReadonlyMap<number, number> { return this.#cur.blocks as ReadonlyMap<number, number>; }

  /** Drop the uptodate blocks of the partial pages in `[lo, hi)` (found in the map by range, not by a walk of it). */
  dropBlocks(lo: number, hi: number): void {
    const keys = (this.#cur.blocks as SparseMap<number, number>).keysIn(lo, hi);
    if (keys.length === 0) return;
    const w = this.writeBlocks();
    for (const p of keys) w.delete(p);
  }

  /** Map `f` to change: this mapping's own clone of it (O(1): sparse.ts), made on the first change. */
  #write<K, V>(f: MapField): SparseMap<K, V> {
    this.#changed = true;
    if ((this.#owned & FIELD_BIT[f]) === 0) {
      this.#cur[f] = this.#cur[f].clone();
      this.#owned |= FIELD_BIT[f];
    }
    return this.#cur[f] as SparseMap<K, V>;
  }

  /** The reader references, to change. */
  writeRefs(): SparseMap<number, number> { return this.#write('refs'); }
  writeGens(): SparseMap<number, number> { return this.#write('gens'); }
  writeDetached(): SparseMap<string, DetachedFolio> { return this.#write('detached'); }
  writeBlocks(): SparseMap<number, number> { return this.#write('blocks'); }

  #tree(): RunTree {
    this.#changed = true;
    if (!this.#ownRuns) {
      this.#runs = this.#runs.clone();
      this.#ownRuns = true;
    }
    return this.#runs;
  }

  /** Split the run holding page `at` (if one reaches across it) into the runs before and from it. */
  #split(t: RunTree, at: number): void {
    const r = runAt(t, at);
    if (r === undefined || r.start === at) return;
    if (at % folioPages(r.order) !== 0) throw new PageCacheInvariantError(`split of a folio of order ${r.order} at page ${at}`);
    t.set(r.start, { ...r, end: at });
    t.set(at, { ...r, start: at });
  }

  /**
   * Set pages `[first, end)` to one run of `what` (folios of its order: `first` and `end` aligned to
   * it), or remove them from the cache (`what` null). Runs reaching across `first` or `end` are split
   * there (at a folio boundary of theirs); the new run merges with equal neighbours.
   */
  assign(first: number, end: number, what: Omit<Run, 'start' | 'end'> | null): void {
    if (first >= end) return;
    if (what !== null && (first % folioPages(what.order) !== 0 || end % folioPages(what.order) !== 0)) {
      throw new PageCacheInvariantError(`run [${first}, ${end}) not aligned to folios of order ${what.order}`);
    }
    const t = this.#tree();
    this.#split(t, first);
    this.#split(t, end);
    let gone = 0;
    for (const [, r] of t.entries(first)) {
      if (r.start >= end) break;
      gone += r.end - r.start;
    }
    if (gone > 0) t.deleteRange(first, end, false);
    this.#cached -= gone;
    if (what === null) return;
    let start = first;
    let stop = end;
    const left = first > 0 ? runAt(t, first - 1) : undefined;
    if (left !== undefined && left.end === first && same(left, what)) start = left.start;
    const right = t.get(end);
    if (right !== undefined && same(right, what)) {
      stop = right.end;
      t.delete(end);
    }
    t.set(start, { start, end: stop, state: what.state, order: what.order, flags: what.flags });
    this.#cached += end - first;
  }

  /** Whether a change happened since construction. */
  get changed(): boolean {
    return this.#changed;
  }

  /** The mapping as the world stores it; later changes of this draft copy again. */
  state(): MappingState {
    if (this.#ownRuns) {
      this.#runs.freeze();
      this.#ownRuns = false;
    }
    // The maps this mapping changed are frozen as the state takes them; a later change clones again.
    const cur = this.#cur;
    const owned = this.#owned;
    if ((owned & FIELD_BIT.refs) !== 0) cur.refs.freeze();
    if ((owned & FIELD_BIT.gens) !== 0) cur.gens.freeze();
    if ((owned & FIELD_BIT.detached) !== 0) cur.detached.freeze();
    if ((owned & FIELD_BIT.blocks) !== 0) cur.blocks.freeze();
    this.#owned = 0;
    // Each field written out: a spread of `#cur` walks its keys (some 0.2 µs a folio taken or dropped).
    return Object.freeze({ runs: this.#runs, cached: this.#cached, refs: cur.refs, gens: cur.gens, detached: cur.detached, blocks: cur.blocks }) as MappingState;
  }
}

/** A broken model invariant (never a kernel error): a count below zero, a state that cannot be, a run not aligned to its folios. */
export class PageCacheInvariantError extends Error {
  override name = 'PageCacheInvariantError';
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
