/**
 * An independent reference for the dynptr kfuncs, written from /work/shared/SEMANTICS.md and never
 * from the model's code: it calls nothing of the model except `patternByte`, which *defines* what a
 * `content.pattern(seed)` file holds. Integers are bigints; nothing wraps unless written so.
 *
 * SEMANTICS.md lines each function follows are quoted next to it.
 */
import { patternByte } from '../src/model/fs/content.ts';
import { fillBytes, PAGE, U64_MAX, type ContentSpec } from './arbitraries.ts';
import { bytesFrom } from './bytes.ts';

export const EIO = -5;
export const E2BIG = -7;
export const EFAULT = -14;
export const EINVAL = -22;
export const ERANGE = -34;
/** LOCAL dynptrs keep their size in 24 bits (`DYNPTR_MAX_SIZE`). */
export const DYNPTR_MAX_SIZE = (1n << 24n) - 1n;

/** What the oracle knows of a dynptr: its kind and its (64-bit) offset and size. */
export type View =
  | { readonly kind: 'null' }
  | { readonly kind: 'local'; readonly offset: bigint; readonly size: bigint; readonly rdonly: boolean }
  | { readonly kind: 'file'; readonly offset: bigint; readonly size: bigint };

export const NULL_VIEW: View = { kind: 'null' };

/**
 * "`bpf_dynptr_from_mem` with a larger size [than 2^24 - 1] returns `-E2BIG` and nulls the dynptr;
 * non-zero flags give `-EINVAL` and null."
 */
export function fromMem(size: bigint, flags: bigint): { ret: number; view: View } {
  if (size > DYNPTR_MAX_SIZE) return { ret: E2BIG, view: NULL_VIEW };
  if (flags !== 0n) return { ret: EINVAL, view: NULL_VIEW };
  return { ret: 0, view: { kind: 'local', offset: 0n, size, rdonly: false } };
}

/** "flags ≠ 0 → `-EINVAL`, dynptr set null … 0; read-only FILE dynptr, offset 0, **size U64_MAX**". */
export function fromFile(flags: bigint): { ret: number; view: View } {
  if (flags !== 0n) return { ret: EINVAL, view: NULL_VIEW };
  return { ret: 0, view: { kind: 'file', offset: 0n, size: U64_MAX } };
}

/** "`len > size` or `offset > size − len` → `-E2BIG` (64-bit arithmetic, no wrap)". */
function offLenOk(size: bigint, off: bigint, len: bigint): boolean {
  // Written as the mathematical statement (no subtraction at all), so it cannot wrap.
  return len <= size && off + len <= size;
}

/**
 * `bpf_dynptr_read` bounds: "src null or flags ≠ 0 → `-EINVAL`; `len > size` or `offset > size −
 * len` → `-E2BIG`". 0 means: the bounds pass (a FILE read then goes to the reader).
 */
export function readBounds(v: View, len: bigint, off: bigint, flags: bigint): number {
  if (v.kind === 'null' || flags !== 0n) return EINVAL;
  return offLenOk(v.size, off, len) ? 0 : E2BIG;
}

/** `bpf_dynptr_write`: "dst null **or read-only** → `-EINVAL` (so every FILE write is `-EINVAL`); then `-E2BIG` bounds". */
export function writeBounds(v: View, off: bigint, len: bigint): number {
  if (v.kind === 'null' || v.kind === 'file' || v.rdonly) return EINVAL;
  return offLenOk(v.size, off, len) ? 0 : E2BIG;
}

/** `bpf_dynptr_slice`: "null → NULL; bounds → NULL". True when the bounds pass. */
export function sliceBounds(v: View, off: bigint, len: bigint): boolean {
  return v.kind !== 'null' && offLenOk(v.size, off, len);
}

/**
 * `bpf_dynptr_adjust`: "p null **or `start > end`** → `-EINVAL`; `start > size` or `end > size` →
 * `-ERANGE`" and "offset += start; size = end − start". On error the view is unchanged.
 */
export function adjust(v: View, start: bigint, end: bigint): { ret: number; view: View } {
  if (v.kind === 'null' || start > end) return { ret: EINVAL, view: v };
  if (start > v.size || end > v.size) return { ret: ERANGE, view: v };
  return { ret: 0, view: { ...v, offset: v.offset + start, size: end - start } };
}

// ---------------------------------------------------------------------------------------------
// The file reader
// ---------------------------------------------------------------------------------------------

export const pageOf = (off: bigint): number => Number(off / PAGE);
export const pageStartOf = (page: number): bigint => BigInt(page) * PAGE;

/**
 * The pages a FILE read of `[fileOff, fileOff + len)` looks up, in order: "A zero-length read still
 * looks up the folio at the offset", so at least the page holding `fileOff`.
 */
export function pagesTouched(fileOff: bigint, len: bigint): number[] {
  const first = pageOf(fileOff);
  const last = pageOf(fileOff + (len > 0n ? len : 1n) - 1n);
  const out: number[] = [];
  for (let p = first; p <= last; p += 1) out.push(p);
  return out;
}

/**
 * `struct file_ra_state` of the one open file of an inode, and the device's limits (128 KiB readahead
 * = 32 pages, `max_sectors_kb` 1280 = 320 pages, the model's defaults).
 */
export interface RaModel {
  start: number;
  size: number;
  async: number;
  order: number;
  raPages: number;
  /** -1 for a file never read (`file_ra_state_init`). */
  prevPos: bigint;
  random: boolean;
}

export const RA_PAGES = 32;
export const IO_PAGES = 320;

export function freshRa(): RaModel {
  return { start: 0, size: 0, async: 0, order: 0, raPages: RA_PAGES, prevPos: -1n, random: false };
}

/** What the oracle tracks of one inode's page cache (order-0 folios) and of its one open file. */
export interface CacheModel {
  /** `i_size` (writes and truncations change it). */
  size: bigint;
  readonly secretmem: boolean;
  /** Pages uptodate. The page cache never holds a page wholly past EOF. */
  readonly uptodate: Set<number>;
  /** Pages whose read is in flight (locked), and whether that read will fail. */
  readonly locked: Map<number, boolean>;
  /** Pages whose read failed: present, not uptodate. */
  readonly failed: Set<number>;
  /** Pages marked `PG_readahead`. */
  readonly marked: Set<number>;
  /** Injected I/O errors: page → how many of its next reads fail. */
  readonly faults: Map<number, number>;
  readonly ra: RaModel;
  /** Times a reader slept for I/O (each one I/O latency of virtual time). */
  sleeps: number;
  /**
   * Pages present, not uptodate, with some blocks uptodate (their buffer heads): blocks read or written
   * by a write or a truncation that covered part of the page. `blocks` has their masks.
   */
  readonly partial: Set<number>;
  /** Pages written and not written back. */
  readonly dirty: Set<number>;
  /** The filesystem block size (`i_blkbits`): 4096, or smaller (1024 on a small ext4). */
  readonly blockSize: number;
  /** For each page with blocks uptodate but not the folio (`partial`, or under a read): the mask. */
  readonly blocks: Map<number, number>;
  /** Blocks below i_size with no data on disk (holes: made by growing the file, filled by writes). */
  readonly holes: Set<number>;
  /** Reads of some blocks of a page in flight: the page's mask once it succeeds. */
  readonly pendingBlocks: Map<number, number>;
}

export function cacheModel(size: bigint, secretmem: boolean, cached: Iterable<number>, faults: Iterable<readonly [number, number]> = [], blockSize = 4096): CacheModel {
  const m: CacheModel = {
    size, secretmem, uptodate: new Set(), locked: new Map(), failed: new Set(), marked: new Set(), faults: new Map(), ra: freshRa(), sleeps: 0, partial: new Set(), dirty: new Set(),
    blockSize, blocks: new Map(), holes: new Set(), pendingBlocks: new Map(),
  };
  for (const p of cached) populate(m, p);
  for (const [p, n] of faults) m.faults.set(p, (m.faults.get(p) ?? 0) + n);
  return m;
}

export function cloneCache(m: CacheModel): CacheModel {
  return {
    size: m.size, secretmem: m.secretmem, uptodate: new Set(m.uptodate), locked: new Map(m.locked), failed: new Set(m.failed),
    marked: new Set(m.marked), faults: new Map(m.faults), ra: { ...m.ra }, sleeps: m.sleeps, partial: new Set(m.partial), dirty: new Set(m.dirty),
    blockSize: m.blockSize, blocks: new Map(m.blocks), holes: new Set(m.holes), pendingBlocks: new Map(m.pendingBlocks),
  };
}

const present = (m: CacheModel, p: number): boolean => m.uptodate.has(p) || m.locked.has(p) || m.failed.has(p) || m.partial.has(p);

/** Warm a page as a prior read would: a page wholly past EOF is never in the cache; one under I/O is left alone. */
export function populate(m: CacheModel, page: number): void {
  if (pageStartOf(page) >= m.size || m.locked.has(page)) return;
  m.failed.delete(page);
  m.partial.delete(page);
  m.blocks.delete(page);
  m.uptodate.add(page);
}

/** "eviction removes only clean, unreferenced, unlocked folios (a folio the reader holds is not evicted)". */
export function evict(m: CacheModel, page: number, held: ReadonlySet<number>): void {
  if (held.has(page) || m.locked.has(page) || m.dirty.has(page)) return;
  m.uptodate.delete(page);
  m.failed.delete(page);
  m.partial.delete(page);
  m.blocks.delete(page);
  m.marked.delete(page);
}

/**
 * A read of `page` is submitted: it is locked, and fails if an error was injected on it (one is used).
 * `blocksAfter`: a read of some of its blocks only (buffer heads), and the page's mask once it succeeds.
 */
function submit(m: CacheModel, page: number, blocksAfter?: number): void {
  const n = m.faults.get(page) ?? 0;
  if (n === 1) m.faults.delete(page);
  else if (n > 1) m.faults.set(page, n - 1);
  m.failed.delete(page);
  m.partial.delete(page);
  m.locked.set(page, n > 0);
  if (blocksAfter !== undefined) m.pendingBlocks.set(page, blocksAfter);
}

/**
 * Time passes (a reader sleeps, with one I/O latency for every read): every read in flight ends. A
 * whole folio read makes it uptodate; a read of blocks makes them uptodate, not the folio; a failure
 * leaves the blocks that were uptodate before (none: the page is `failed`).
 */
export function completeAll(m: CacheModel): void {
  if (m.locked.size > 0) m.sleeps += 1;
  for (const [p, fails] of m.locked) {
    const after = m.pendingBlocks.get(p);
    m.pendingBlocks.delete(p);
    const mask = fails ? (m.blocks.get(p) ?? 0) : after;
    if (mask === undefined) {
      m.uptodate.add(p);
      m.blocks.delete(p);
    } else if (mask === 0) {
      m.failed.add(p);
      m.blocks.delete(p);
    } else {
      m.partial.add(p);
      m.blocks.set(p, mask);
    }
  }
  m.locked.clear();
}

/** Blocks in a page. */
const blocksPerPage = (m: CacheModel): number => Number(PAGE) / m.blockSize;
const fullMask = (m: CacheModel): number => 2 ** blocksPerPage(m) - 1;
/** The uptodate blocks of page `p`: all when the folio is uptodate. */
const maskOf = (m: CacheModel, p: number): number => (m.uptodate.has(p) ? fullMask(m) : m.partial.has(p) ? (m.blocks.get(p) ?? 0) : 0);
/** Whether block `b` (of the file) has data on disk: below i_size and not a hole. */
const mapped = (m: CacheModel, b: number): boolean => BigInt(b * m.blockSize) < m.size && !m.holes.has(b);

/**
 * fs/buffer.c `block_is_partially_uptodate(folio, from, count)` as mm/filemap.c
 * `filemap_range_uptodate` calls it for a page at `start` and a read of `count` bytes from `pos`:
 * "if (folio_pos(folio) > pos) { count -= folio_pos(folio) - pos; pos = 0; } else pos -= folio_pos;
 * if (pos == 0 && count >= folio_size) return false"; then "to = min(folio_size - from, count) + from;
 * if (from < blocksize && to > folio_size - blocksize) return false", and every block meeting
 * [from, to) must be uptodate.
 */
function rangeUptodate(m: CacheModel, start: bigint, pos: bigint, count: bigint, mask: number): boolean {
  const size = Number(PAGE);
  let from: number;
  let cnt = count;
  if (start > pos) {
    cnt -= start - pos;
    from = 0;
  } else from = Number(pos - start);
  if (from === 0 && cnt >= PAGE) return false;
  const to = from + Math.min(size - from, Number(cnt));
  if (from < m.blockSize && to > size - m.blockSize) return false;
  for (let b = 0; b * m.blockSize < size; b += 1) {
    const bs = b * m.blockSize;
    if (bs + m.blockSize > from && bs < to && (mask & 2 ** b) === 0) return false;
  }
  return true;
}

/** The page state as the model's page map names it. */
export function stateOf(m: CacheModel, p: number): string | undefined {
  if (m.uptodate.has(p)) return 'uptodate';
  if (m.partial.has(p)) return 'partial';
  if (m.locked.has(p)) return 'locked';
  if (m.failed.has(p)) return 'failed';
  return undefined;
}

// Readahead: mm/readahead.c (`page_cache_sync_ra`, `page_cache_async_ra`),
// written here again from the kernel's rules; order-0 folios, the filesystems of the property worlds.

const lastPageOf = (m: CacheModel): number => (m.size === 0n ? -1 : pageOf(m.size - 1n));

/**
 * "`do_page_cache_ra` … never reads past the page holding the last byte; `page_cache_ra_unbounded`: a
 * page already present is skipped; … the folio at offset `mark` gets PG_readahead" (mark = nr −
 * lookahead, after nr is clipped at the EOF page).
 */
function readPages(m: CacheModel, first: number, count: number, lookahead: number): void {
  const eof = lastPageOf(m);
  if (eof < 0 || first > eof) return;
  const n = Math.min(count, eof - first + 1);
  for (let i = 0; i < n; i += 1) {
    const p = first + i;
    if (present(m, p)) continue;
    submit(m, p);
    if (lookahead <= n && i === n - lookahead) m.marked.add(p);
  }
}

/** "`force_page_cache_ra`: … capped at `max(io_pages, ra_pages)` pages, … no marker, ra state untouched". */
function forced(m: CacheModel, first: number, count: number): void {
  readPages(m, first, Math.min(count, Math.max(IO_PAGES, m.ra.raPages)), 0);
}

const pow2AtLeast = (n: number): number => 2 ** Math.ceil(Math.log2(n));

/** "`ractl_max_pages`: … only if `req > ra_pages` and `io_pages > ra_pages` → `min(req, io_pages)`". */
const windowMax = (m: CacheModel, req: number): number => (req > m.ra.raPages && IO_PAGES > m.ra.raPages ? Math.min(req, IO_PAGES) : m.ra.raPages);

/** "get_init_ra_size: r = roundup_pow_of_two(req); r ≤ max/32 → 4r; r ≤ max/4 → 2r; else max". */
function initSize(req: number, max: number): number {
  const r = pow2AtLeast(req);
  return r <= Math.floor(max / 32) ? 4 * r : r <= Math.floor(max / 4) ? 2 * r : max;
}

/** "get_next_ra_size: cur < max/16 → 4 cur; cur ≤ max/2 → 2 cur; else max". */
const nextSize = (cur: number, max: number): number => (cur < Math.floor(max / 16) ? 4 * cur : cur <= Math.floor(max / 2) ? 2 * cur : max);

/** A miss at `index` with `req` pages requested: "page_cache_sync_ra" (§4.3). */
function syncRa(m: CacheModel, index: number, reqIn: number): void {
  const ra = m.ra;
  if (ra.random || ra.raPages === 0) {
    forced(m, index, ra.raPages === 0 ? 1 : reqIn);
    return;
  }
  const req = reqIn;
  const max = windowMax(m, req);
  // prev_index = (u64)prev_pos >> 12; "index − prev_index ≤ 1 (unsigned)" → index is prev_index or the next.
  const prevIndex = ra.prevPos < 0n ? 2 ** 52 - 1 : Number(ra.prevPos / PAGE);
  if (index === 0 || req > max || index === prevIndex || index === prevIndex + 1) {
    ra.start = index;
    ra.size = initSize(req, max);
    ra.async = ra.size > req ? ra.size - req : Math.floor(ra.size / 2);
  } else {
    // Cached pages right before index, scanning at most max of them (page_cache_prev_miss).
    let contig = 0;
    let fromZero = false;
    for (let p = index - 1; ; p -= 1) {
      if (p < 0) { fromZero = true; break; }
      if (!present(m, p)) break;
      contig += 1;
      if (contig === max) { contig = max - 1; break; }
    }
    if (contig <= req) {
      readPages(m, index, req, 0);
      return;
    }
    if (fromZero) contig *= 2;
    ra.start = index;
    ra.size = Math.min(contig + req, max);
    ra.async = 1;
  }
  ra.order = 0;
  readPages(m, ra.start, ra.size, ra.async);
}

/** The reader met a marked page: "page_cache_async_ra" (§4.4). */
function asyncRa(m: CacheModel, page: number, req: number): void {
  const ra = m.ra;
  if (ra.raPages === 0) return;
  m.marked.delete(page);
  const max = windowMax(m, req);
  if (page === ra.start + ra.size - ra.async) {
    ra.start += ra.size;
    ra.size = Math.max(ra.size, nextSize(ra.size, max));
  } else {
    let next = page + 1;
    while (next < page + 1 + max && present(m, next)) next += 1;
    if (next - page > max) return;
    ra.start = next;
    ra.size = nextSize(next - page + req, max);
  }
  // "order += 2; align = 1 << min(order, ffs(max) − 1); … async = size" (order is 0 again after a
  // window read without large folios).
  const align = 2 ** Math.min(2, Math.log2(max & -max));
  const end = ra.start + ra.size;
  const alignedEnd = end - (end % align);
  if (alignedEnd > ra.start) ra.size = alignedEnd - ra.start;
  ra.async = ra.size;
  ra.order = 0;
  readPages(m, ra.start, ra.size, ra.async);
}

/** The reader's one held folio ("keeps at most one folio referenced between fetches"; non-sleepable only). */
export interface ReaderModel {
  folio: number | null;
}

export interface FileReadOutcome {
  /** 0, -EFAULT, -EIO or -EINVAL. */
  readonly ret: number;
  /** The page the read failed on, when it failed (non-sleepable). */
  readonly failPage: number | null;
  /** The pages the read looked up, in order (non-sleepable). */
  readonly touched: readonly number[];
  /** A failed sleepable read: the first `eofAt` bytes (copied before the failure) are the file's, the rest of dst untouched. */
  readonly eofAt?: number;
}

/**
 * The sleepable reader: "the whole range is one `__kernel_read(file, buf, len, &pos)`": "a negative
 * pos is rejected by `filemap_read` (-EINVAL)"; "len 0 ⇒ 0 with no lookup"; `filemap_read` copies
 * `[pos, min(pos + len, i_size))` batch by batch (§3.1, §3.2): a batch of consecutive cached pages
 * ending after a page not uptodate or marked; none cached → sync readahead; a marked last page → async
 * readahead; a last page under I/O → sleep (every read in flight ends), then copy the pages before it
 * or look again; a last page whose read failed → read it again and sleep: a failure is -EIO
 * (`shrink_readahead_size_eio`: ra_pages / 4) unless pages before it were still to be copied, then
 * the error is dropped and the next round reads it again. "result ≠ len ⇒ … -EIO". No folio is held.
 */
function sleepableRead(m: CacheModel, fileOff: bigint, len: bigint): FileReadOutcome {
  const fail = (ret: number, copied: number): FileReadOutcome => ({ ret, failPage: null, touched: [], eofAt: copied });
  if (len === 0n) return { ret: 0, failPage: null, touched: [] };
  if (fileOff >= 1n << 63n) return fail(EINVAL, 0);
  let pos = fileOff;
  let copied = 0n;
  let error = 0;
  let lastPos = m.ra.prevPos;
  for (let guard = 0; copied < len && guard < 10_000; guard += 1) {
    if (pos >= m.size) break;
    const index = pageOf(pos);
    const lastIndex = Number((pos + (len - copied) + PAGE - 1n) / PAGE);
    const batchFrom = (): number[] => {
      const out: number[] = [];
      for (let p = index; p < lastIndex && present(m, p); p += 1) {
        out.push(p);
        if (!m.uptodate.has(p) || m.marked.has(p)) break;
      }
      return out;
    };
    let batch = batchFrom();
    if (batch.length === 0) {
      syncRa(m, index, lastIndex - index);
      batch = batchFrom();
    }
    const last = batch[batch.length - 1] as number;
    if (m.marked.has(last)) asyncRa(m, last, lastIndex - last);
    let readable = m.uptodate.has(last);
    if (m.partial.has(last)) {
      const mask = m.blocks.get(last) ?? 0;
      // filemap_range_uptodate: "if (mapping->host->i_blkbits >= folio_shift(folio)) return false",
      // else the blocks the rest of the read covers may do (the folio stays not uptodate).
      if (m.blockSize < Number(PAGE) && rangeUptodate(m, pageStartOf(last), pos, len - copied, mask)) readable = true;
      else if (mask === fullMask(m)) {
        // ->read_folio = block_read_full_folio: every buffer uptodate → the folio is, without I/O.
        m.partial.delete(last);
        m.blocks.delete(last);
        m.uptodate.add(last);
        readable = true;
      }
    }
    if (!readable) {
      const prefix = batch.slice(0, -1);
      if (m.locked.has(last)) {
        completeAll(m);
        if (prefix.length === 0) continue;
        batch = prefix;
      } else {
        submit(m, last);
        completeAll(m);
        if (!m.uptodate.has(last)) {
          m.ra.raPages = Math.floor(m.ra.raPages / 4);
          if (prefix.length === 0) {
            error = EIO;
            break;
          }
          batch = prefix;
        }
      }
    }
    const end = m.size < pos + (len - copied) ? m.size : pos + (len - copied);
    for (const p of batch) {
      const pend = pageStartOf(p + 1) < end ? pageStartOf(p + 1) : end;
      if (pend <= pos) break;
      copied += pend - pos;
      pos = pend;
      lastPos = pos;
    }
  }
  m.ra.prevPos = lastPos;
  if (copied === len) return { ret: 0, failPage: null, touched: [] };
  return fail(error !== 0 && copied === 0n ? error : EIO, Number(copied));
}

/**
 * A FILE read that passed the bounds, at file offset `fileOff` (dynptr offset + read offset):
 * - "a secretmem mapping → `-EFAULT`", before either path;
 * - non-sleepable: "a page not in the page cache or not uptodate … → `-EFAULT`" (under I/O or failed
 *   included), also for len 0 (the page at the offset is looked up); no readahead; the held folio is
 *   reused while the fetch stays inside it;
 * - sleepable: `sleepableRead`.
 * Updates `m` and `reader` (the folio held afterwards: the last page fetched on success, none after a
 * failure, since the old folio is put first).
 */
export function fileRead(m: CacheModel, fileOff: bigint, len: bigint, sleepable: boolean, reader: ReaderModel = { folio: null }): FileReadOutcome {
  const touched = pagesTouched(fileOff, len);
  // "secretmem … checked **before** either path": nothing is looked up, the held folio stays held.
  if (m.secretmem) return { ret: EFAULT, failPage: touched[0] ?? null, touched, ...(sleepable ? { eofAt: 0 } : {}) };
  if (sleepable) return sleepableRead(m, fileOff, len);
  for (const p of touched) {
    if (reader.folio === p) continue; // reused while the fetch falls inside it
    reader.folio = null;
    if (!m.uptodate.has(p)) return { ret: EFAULT, failPage: p, touched };
    reader.folio = p;
  }
  return { ret: 0, failPage: null, touched };
}

// ---------------------------------------------------------------------------------------------
// Files that change (notes §6)
// ---------------------------------------------------------------------------------------------

/**
 * A buffered write of `data` at `off` (notes §6.2; fs/buffer.c `__block_write_begin_int` /
 * `__block_commit_write`): page by page, and in a page block by block, a block only partly overwritten
 * that is not uptodate and has data on disk (below i_size, not a hole) is read first (a failed read
 * ends the write: the bytes so far, or -EIO); a block new to the file (a hole, past EOF) is zeroed
 * around the write, not read. The written blocks are uptodate, the folio once all its blocks are; it
 * is dirty. i_size grows to the end of the write; blocks between the old EOF and the write are holes.
 * `bytes` is the file's content (indexed from 0), grown as needed. Returns the bytes written or -EIO.
 * `zeroEofFirst` (7.x): a write past the end zeroes the old end's block first (`zeroEofBlock`).
 */
/**
 * A file's bytes as the oracle keeps them: the first `length` bytes of `data` (a typed array: a plain
 * array of more than ~16,000 numbers is a large object, and copying one for each run cost a
 * millisecond).
 */
export interface FileBytes {
  data: Uint8Array;
  length: number;
}

/** `bytes` of `length` bytes, those past the old length zero. */
function resize(bytes: FileBytes, length: number): void {
  if (length > bytes.data.length) {
    const data = new Uint8Array(Math.max(length, 2 * bytes.data.length));
    data.set(bytes.data.subarray(0, bytes.length));
    bytes.data = data;
  } else if (length > bytes.length) bytes.data.fill(0, bytes.length, length);
  bytes.length = length;
}

/** Byte `pos` of `bytes` (0 past its end). */
export const byteOf = (bytes: FileBytes, pos: number): number => (pos < bytes.length ? bytes.data[pos] as number : 0);

export function write(m: CacheModel, bytes: FileBytes, off: number, data: Uint8Array, zeroEofFirst = false): number {
  const bs = m.blockSize;
  const page = Number(PAGE);
  let done = 0;
  // 7.x (fs/ext4/file.c ext4_write_checks): a write starting past the end first zeroes the rest of
  // the old end's block through the cache (ext4_block_zero_eof), as a truncate up does.
  if (zeroEofFirst && off > Number(m.size)) zeroEofBlock(m, Number(m.size));
  while (done < data.length) {
    const at = off + done;
    const p = Math.floor(at / page);
    const inPage = at - p * page;
    const n = Math.min(page - inPage, data.length - done);
    const have = maskOf(m, p);
    let touched = 0;
    let need = 0;
    for (let b = Math.floor(inPage / bs); b * bs < inPage + n; b += 1) {
      touched |= 2 ** b;
      const whole = inPage <= b * bs && inPage + n >= (b + 1) * bs;
      if (!whole && (have & 2 ** b) === 0 && mapped(m, (p * page) / bs + b)) need |= 2 ** b;
    }
    if (need !== 0) {
      submit(m, p, have | need);
      completeAll(m);
      if ((maskOf(m, p) & need) !== need) return done > 0 ? done : EIO;
    }
    const mask = maskOf(m, p) | touched;
    m.failed.delete(p);
    if (mask === fullMask(m)) {
      m.partial.delete(p);
      m.blocks.delete(p);
      m.uptodate.add(p);
    } else if (!m.uptodate.has(p)) {
      m.partial.add(p);
      m.blocks.set(p, mask);
    }
    m.dirty.add(p);
    // Blocks past the old EOF before this write are holes; the blocks written have data.
    const oldEnd = Math.ceil(Number(m.size) / bs);
    for (let b = oldEnd; b * bs < at - (at % bs); b += 1) m.holes.add(b);
    for (let b = Math.floor(at / bs); b * bs < at + n; b += 1) m.holes.delete(b);
    if (bytes.length < at + n) resize(bytes, at + n);
    bytes.data.set(data.subarray(done, done + n), at);
    done += n;
    if (BigInt(at + n) > m.size) m.size = BigInt(at + n);
  }
  return done;
}

/**
 * fs/ext4/inode.c `ext4_block_zero_eof(inode, eof, …)` when `eof` is not block-aligned: the rest of
 * the block holding `eof` is zeroed through the cache (`ext4_load_tail_bh`): the page's folio is
 * created if absent, the block read if it is not uptodate and has data (a hole: nothing is zeroed),
 * then the folio is dirtied; it is not marked uptodate. Call before i_size changes.
 */
function zeroEofBlock(m: CacheModel, eof: number): void {
  const bs = m.blockSize;
  const page = Number(PAGE);
  if (eof % bs === 0) return;
  const p = Math.floor(eof / page);
  const bit = 2 ** Math.floor((eof - p * page) / bs);
  if ((maskOf(m, p) & bit) === 0 && mapped(m, Math.floor(eof / bs))) {
    submit(m, p, maskOf(m, p) | bit);
    completeAll(m);
  }
  if (!present(m, p)) {
    m.partial.add(p);
    m.blocks.set(p, 0);
  }
  if ((maskOf(m, p) & bit) !== 0) m.dirty.add(p);
}

/**
 * `ftruncate` to `size` (notes §6.1): when shrinking (or to the same size), every page from
 * `ceil(size / 4096)` is removed (a held folio included: the holder keeps its memory, `detached` gets
 * its bytes); the tail of the new last page reads as zero; the rest of the block holding the new size
 * is zeroed through the cache (`zeroEofBlock`). Growing zeroes the rest of the old size's block the
 * same way (fs/ext4/inode.c `ext4_setattr`, read in 7.2.13: the kernel source over these notes, which
 * said growing adds nothing); the new blocks are holes.
 */
export function truncate(m: CacheModel, bytes: FileBytes, size: number, held: ReadonlySet<number>, detached: Map<number, Uint8Array>): number {
  const old = Number(m.size);
  const bs = m.blockSize;
  const page = Number(PAGE);
  if (size <= old) {
    const first = Math.ceil(size / page);
    // The zeroed block's page is below `first` (`size` is not page-aligned when it is not block-aligned).
    zeroEofBlock(m, size);
    for (const p of [...m.uptodate, ...m.failed, ...m.partial, ...m.marked]) {
      if (p < first) continue;
      if (held.has(p) && !detached.has(p)) detached.set(p, bytesFrom(page, (i) => byteOf(bytes, p * page + i)));
      m.uptodate.delete(p);
      m.failed.delete(p);
      m.partial.delete(p);
      m.blocks.delete(p);
      m.marked.delete(p);
      m.dirty.delete(p);
    }
    for (const b of [...m.holes]) if (b * bs >= size) m.holes.delete(b);
    resize(bytes, Math.min(bytes.length, size));
  } else {
    zeroEofBlock(m, old);
    for (let b = Math.ceil(old / bs); b * bs < size; b += 1) m.holes.add(b);
  }
  m.size = BigInt(size);
  return 0;
}

/** `fsync`: every dirty page written back. */
export function fsync(m: CacheModel): void {
  m.dirty.clear();
}

// ---------------------------------------------------------------------------------------------
// File bytes
// ---------------------------------------------------------------------------------------------

/** A byte source for a file: "bytes past EOF read zero". */
export type ByteAt = (pos: bigint) => number;

export function byteSource(content: ContentSpec, size: bigint, held?: Uint8Array): ByteAt {
  switch (content.kind) {
    case 'zero':
      return () => 0;
    case 'pattern':
      return (pos) => (pos < size ? patternByte(content.seed, pos) : 0);
    case 'bytes': {
      const bytes = held ?? fillBytes(content.seed, Number(size));
      return (pos) => (pos < size ? (bytes[Number(pos)] ?? 0) : 0);
    }
  }
}

/** The `len` bytes of the file at `fileOff`. */
export function expectedBytes(at: ByteAt, fileOff: bigint, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i += 1) out[i] = at(fileOff + BigInt(i));
  return out;
}

/**
 * Where in the destination a failed read's untouched part starts: "The destination is **not
 * cleared** on error, and a read that fails on a later page may leave earlier bytes in it". Bytes
 * from the failing page on must keep what was there.
 */
export function untouchedFrom(fileOff: bigint, failPage: number): number {
  const start = pageStartOf(failPage);
  return start <= fileOff ? 0 : Number(start - fileOff);
}

// ---------------------------------------------------------------------------------------------
// Every kind (issue 14): RINGBUF, SKB, SKB_META, XDP — written from the kernel's rules
// (kernel/bpf/ringbuf.c, net/core/filter.c, net/bpf/test_run.c, kernel/bpf/helpers.c), never from the model. A packet is a flat array of bytes plus its layout; a ring a flat array of
// its data area plus a list of records.
// ---------------------------------------------------------------------------------------------

/** The generic view of a dynptr whose offset and size live in the dynptr (every kind but FILE). */
export interface KindView {
  readonly kind: 'ringbuf' | 'skb' | 'skb_meta' | 'xdp';
  readonly offset: bigint;
  readonly size: bigint;
  readonly rdonly: boolean;
}

/** Summary 12: "null → (write: rdonly) → bounds (-E2BIG / NULL) → per-type work". */
export function kindBounds(v: KindView | null, off: bigint, len: bigint, write: boolean): number {
  if (v === null) return EINVAL;
  if (write && v.rdonly) return EINVAL;
  return offLenOk(v.size, off, len) ? 0 : E2BIG;
}

/** §4.1 adjust, the same for every kind: "keeps the type and rdonly bits". */
export function kindAdjust(v: KindView | null, start: bigint, end: bigint): { ret: number; view: KindView | null } {
  if (v === null || start > end) return { ret: EINVAL, view: v };
  if (start > v.size || end > v.size) return { ret: ERANGE, view: v };
  return { ret: 0, view: { ...v, offset: v.offset + start, size: end - start } };
}

/** Write flags per kind (§2.2, §3, §1.5): SKB takes RECOMPUTE_CSUM (1) and INVALIDATE_HASH (2), the others none. */
export function kindWriteFlagsOk(kind: KindView['kind'], flags: bigint): boolean {
  return kind === 'skb' ? (flags & ~3n) === 0n : flags === 0n;
}

/**
 * A packet as the oracle sees it: all bytes from offset 0, where the linear part ends (SKB: grows
 * with writes, which pull `[0, off + len)`), and the pieces (XDP: linear part, then each frag).
 */
export interface PacketModel {
  readonly kind: 'skb' | 'xdp';
  readonly bytes: Uint8Array;
  headlen: number;
  /** XDP piece sizes, in order (the linear part first). */
  readonly pieces: readonly number[];
  readonly meta: Uint8Array;
}

/** §3 `bpf_xdp_pointer`: the piece holding `off` — returns true when `[off, off + len)` lies inside it. */
function xdpOnePiece(p: PacketModel, off: number, len: number): boolean {
  let start = 0;
  for (const size of p.pieces) {
    if (off < start + size) return off + len <= start + size;
    start += size;
  }
  // Past every piece: only a zero-length range at the very end (the kernel's pointer is then harmless).
  return len === 0;
}

/** What a read of `len` bytes at packet offset `off` (bounds passed) returns: 0 or -EFAULT (XDP above 0xffff). */
export function packetRead(p: PacketModel, off: number, len: number): number {
  if (p.kind === 'xdp' && (off > 0xffff || len > 0xffff)) return EFAULT;
  return 0;
}

/** A write at packet offset `off` (bounds and flags passed): 0 or -EFAULT; applies it to the model. */
export function packetWrite(p: PacketModel, off: number, src: Uint8Array, len: number): number {
  if (p.kind === 'xdp' && (off > 0xffff || len > 0xffff)) return EFAULT;
  p.bytes.set(src.subarray(0, len), off);
  if (p.kind === 'skb' && off + len > p.headlen) p.headlen = off + len;
  return 0;
}

/**
 * §2.3 / §3 slices: 'direct' when the range is in the linear part (SKB) or in one piece and within
 * the 0xffff limits (XDP); else 'copy' with a buffer, 'null' without one.
 */
export function packetSlice(p: PacketModel, off: number, len: number, haveBuffer: boolean): 'direct' | 'copy' | 'null' {
  const direct = p.kind === 'skb' ? off + len <= p.headlen : off <= 0xffff && len <= 0xffff && xdpOnePiece(p, off, len);
  if (direct) return 'direct';
  return haveBuffer ? 'copy' : 'null';
}

/** A ring buffer record as the oracle tracks it. */
export interface RingRecordModel {
  readonly pos: number;
  readonly size: number;
  state: 'busy' | 'submitted' | 'discarded';
  /** The payload (the sample while busy). */
  readonly bytes: Uint8Array;
}

/** §1.2–1.6: a ring of `size` bytes, its data area as a flat array, its records in order. */
export interface RingModel {
  readonly size: number;
  readonly data: Uint8Array;
  cons: number;
  prod: number;
  readonly records: RingRecordModel[];
  wakeups: number;
}

export function ringModel(size: number): RingModel {
  return { size, data: new Uint8Array(size), cons: 0, prod: 0, records: [], wakeups: 0 };
}

/** "Record = round_up(len+8, 8)". */
export function ringRecordSize(len: number): number {
  return (len + 8 + 7) - ((len + 8 + 7) % 8);
}

function ringPut(m: RingModel, pos: number, src: Uint8Array): void {
  for (let i = 0; i < src.length; i += 1) m.data[(pos + i) % m.size] = src[i] as number;
}

function ringGet(m: RingModel, pos: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i += 1) out[i] = m.data[(pos + i) % m.size] as number;
  return out;
}

function u32le(v: number): Uint8Array {
  return Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
}

/**
 * Summary 2 and §1.3: `bpf_ringbuf_reserve_dynptr` — flags ≠ 0 → -EINVAL; size > 2^24 − 1 → -E2BIG;
 * the record does not fit → -EINVAL: larger than the ring, or "new_prod − pending_pos > mask" (the
 * oldest record still busy, or the producer when none is) or "new_prod − cons > mask". The sample
 * holds what the data area held ("the payload is not zeroed").
 */
export function ringReserve(m: RingModel, size: bigint, flags: bigint): { ret: number; rec: RingRecordModel | null } {
  if (flags !== 0n) return { ret: EINVAL, rec: null };
  if (size > DYNPTR_MAX_SIZE) return { ret: E2BIG, rec: null };
  const len = ringRecordSize(Number(size));
  if (len > m.size) return { ret: EINVAL, rec: null };
  const oldestBusy = m.records.find((r) => r.state === 'busy');
  const pending = oldestBusy === undefined ? m.prod : oldestBusy.pos;
  const next = m.prod + len;
  if (next - pending > m.size - 1 || next - m.cons > m.size - 1) return { ret: EINVAL, rec: null };
  // The header "len = size | BUSY" and its page offset go into the data area at the record.
  const BUSY = 0x8000_0000;
  ringPut(m, m.prod, u32le((Number(size) | BUSY) >>> 0));
  ringPut(m, m.prod + 4, u32le(3 + Math.floor((m.prod % m.size) / 4096)));
  const rec: RingRecordModel = { pos: m.prod, size: Number(size), state: 'busy', bytes: ringGet(m, m.prod + 8, Number(size)) };
  m.records.push(rec);
  m.prod = next;
  return { ret: 0, rec };
}

/** §1.4: commit; the wake-up: FORCE_WAKEUP (2), or the consumer at this record and no NO_WAKEUP (1). */
export function ringCommit(m: RingModel, rec: RingRecordModel, flags: bigint, discard: boolean): boolean {
  rec.state = discard ? 'discarded' : 'submitted';
  const BUSY = 0x8000_0000;
  const DISCARD = 0x4000_0000;
  const hdr = ((rec.size | BUSY) ^ BUSY) | (discard ? DISCARD : 0);
  ringPut(m, rec.pos, u32le(hdr >>> 0));
  ringPut(m, rec.pos + 8, rec.bytes);
  const wake = (flags & 2n) !== 0n || (m.cons % m.size === rec.pos % m.size && (flags & 1n) === 0n);
  if (wake) m.wakeups += 1;
  return wake;
}

/** §1.6 libbpf: committed records in order, stopping at the first busy one, discarded ones skipped. */
export function ringConsume(m: RingModel): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const r of m.records) {
    if (r.pos < m.cons) continue;
    if (r.state === 'busy') break;
    m.cons = r.pos + ringRecordSize(r.size);
    if (r.state === 'submitted') out.push(r.bytes.slice());
  }
  return out;
}

/** §6.1 / §6.2 (x86-64 numbers, M): the largest linear part of a test-run skb and xdp_buff, the frag size and count. */
export const TEST_RUN = {
  skbMaxLinear: 4096 - 64 - 320, xdpMaxLinear: 4096 - 256 - 320, frag: 4096, maxFrags: 17,
  /**
   * XDP metadata comes out of the 256-byte headroom, which keeps room for a `struct xdp_frame` (40
   * bytes on x86-64): at most 216 bytes of it (the host tier on 6.18 refuses 220 with -EINVAL).
   */
  xdpMetaMax: 256 - 40,
} as const;

/**
 * §6.1 on 6.19 (data_end given): "linear = max(ETH_HLEN, data_end) … clamped", the rest in 4 KiB
 * frags (more than 17 → -ENOMEM); "data_end ≠ 0 on an LWT program → -EINVAL". Non-L2 program types
 * see everything after the 14-byte MAC header.
 */
export function skbLayout(len: number, linear: number, l2: boolean, lwt: boolean): { ret: number; headlen: number; size: number } {
  if (len < 14 || linear > len || (lwt && linear !== 0)) return { ret: EINVAL, headlen: 0, size: 0 };
  const lin = Math.min(Math.max(14, linear), TEST_RUN.skbMaxLinear);
  if (Math.ceil((len - lin) / TEST_RUN.frag) > TEST_RUN.maxFrags) return { ret: -12, headlen: 0, size: 0 };
  return { ret: 0, headlen: l2 ? lin : lin - 14, size: l2 ? len : len - 14 };
}

/**
 * §6.2: metadata a multiple of 4 and at most 255 (and at most xdpMetaMax), data_end between it and the packet's end; linear
 * part (past the metadata) at most xdpMaxLinear; at least 14 bytes past the metadata; the rest in
 * page frags. Returns the piece sizes the dynptr sees.
 */
export function xdpLayout(len: number, meta: number, linear: number): { ret: number; pieces: number[] } {
  if (linear > len || meta > linear || meta % 4 !== 0 || meta > 255 || meta > TEST_RUN.xdpMetaMax) return { ret: EINVAL, pieces: [] };
  const lin = Math.min(linear, TEST_RUN.xdpMaxLinear + meta);
  if (len - meta < 14) return { ret: EINVAL, pieces: [] };
  const pieces = [lin - meta];
  for (let at = lin; at < len; at += TEST_RUN.frag) pieces.push(Math.min(TEST_RUN.frag, len - at));
  if (pieces.length - 1 > TEST_RUN.maxFrags) return { ret: -12, pieces: [] };
  return { ret: 0, pieces };
}

// ---------------------------------------------------------------------------------------------
// User memory into a dynptr: the copy functions of bpf_probe_read_user{,_str}_dynptr,
// bpf_copy_from_user{,_str}_dynptr and bpf_copy_from_user_task{,_str}_dynptr, written from
// kernel/trace/bpf_trace.c (copy_user_data_nofault, copy_user_data_sleepable, copy_user_str_nofault,
// copy_user_str_sleepable), mm/maccess.c (strncpy_from_user_nofault), lib/strncpy_from_user.c
// (do_strncpy_from_user), mm/memory.c (__copy_remote_vm_str) and lib/string.c (sized_strscpy),
// never from the model. User memory is byte granular here (a region the task wrote; every other
// byte faults): `src[i]` is the byte at the source address + i, and i >= src.length is not mapped.
// Its pages: a page holding a mapped byte is mapped (a word load reaching into a page with none
// faults, as on the kernel's page-granular memory).
// ---------------------------------------------------------------------------------------------

/** The copy function behind each kfunc. */
export type UserCopyFn = 'nofault' | 'sleepable' | 'task' | 'str_nofault' | 'str_sleepable' | 'task_str';

/**
 * What a copy function returns and stores at the start of its destination (for the string
 * functions: the string, its NUL, then the zeros a word-at-a-time store put after the NUL). `exact`:
 * `bytes` is what every kernel stores; false after a fault (how far the copy got before the fault is
 * the architecture's: word-sized accesses; copy_from_user then zeroes from there to the end).
 */
export interface UserCopy { readonly ret: number; readonly bytes: Uint8Array; readonly exact: boolean }

/** x86-64: `sizeof(unsigned long)` (the page size: PAGE). */
const WORD = 8;

/**
 * The zeros a word-at-a-time string copy stores after a NUL at index `nul` (x86-64). Both copies store
 * the word holding the NUL whole, every byte after the NUL masked to 0, when that word lies within the
 * copy's limit (`limit`: the offset where the words' room ends); their words start at `base` (0 for
 * strncpy_from_user: words from the source address; strscpy: from the start of its piece). The bytes
 * before the NUL were mapped (the string was read), so the word loads unless its last byte lies in a
 * page with nothing mapped (`mappedTo`: the source offset where mapped bytes end).
 */
export function padAfter(nul: number, base: number, limit: number, addr: bigint, mappedTo: number): number {
  const wordEnd = base + (Math.floor((nul - base) / WORD) + 1) * WORD;
  if (wordEnd > limit) return 0; // the tail shorter than a word: byte by byte, nothing past the NUL
  const lastPage = (addr + BigInt(wordEnd - 1)) / PAGE;
  if (lastPage > (addr + BigInt(mappedTo - 1)) / PAGE) return 0; // the word faults: byte by byte from there
  return wordEnd - nul - 1;
}

/**
 * A string read from `src` of at most `count` bytes into a destination of `room` bytes (a string of
 * `count` bytes without NUL is cut: its last byte in the room becomes NUL, `ret` = room); `pad(nul)`
 * gives the zeros stored after a NUL at index nul.
 */
function strCopy(src: Uint8Array, count: number, room: number, pad: (nul: number) => number): UserCopy {
  for (let i = 0; i < count; i += 1) {
    if (i >= src.length) return { ret: EFAULT, bytes: new Uint8Array(0), exact: false };
    if (src[i] === 0) {
      const bytes = new Uint8Array(i + 1 + pad(i));
      bytes.set(src.subarray(0, i + 1));
      return { ret: i + 1, bytes, exact: true };
    }
  }
  const bytes = new Uint8Array(room);
  bytes.set(src.subarray(0, room - 1));
  return { ret: room, bytes, exact: true };
}

/**
 * Copy `size` bytes of user memory `src` (null: the task has no mm) at user address `addr` with copy
 * function `fn`.
 */
export function userCopy(fn: UserCopyFn, src: Uint8Array | null, size: number, addr: bigint): UserCopy {
  const mem = src ?? new Uint8Array(0);
  switch (fn) {
    case 'nofault': // copy_from_user_nofault: 0, or -EFAULT when a byte is not mapped
    case 'task': // access_process_vm(tsk): fewer bytes than size → -EFAULT; no mm copies nothing
    case 'sleepable': // copy_from_user (with the -EFAULT wrapper): the bytes not copied are zeroed
      if (size <= mem.length) return { ret: 0, bytes: mem.slice(0, size), exact: true };
      return { ret: EFAULT, bytes: new Uint8Array(0), exact: false };
    case 'str_nofault': // strncpy_from_user_nofault(dst, src, size) → strncpy_from_user(…, size): words while 8 of size remain
      if (size <= 0) return { ret: 0, bytes: new Uint8Array(0), exact: true };
      return strCopy(mem, size, size, (nul) => padAfter(nul, 0, size, addr, mem.length));
    case 'task_str': { // copy_remote_vm_str(tsk, …, size) + 1: size 0 → 0; no mm → -EFAULT; strscpy per page piece
      if (size <= 0) return { ret: 0, bytes: new Uint8Array(0), exact: true };
      if (src === null) return { ret: EFAULT, bytes: new Uint8Array(0), exact: false };
      const pad = (nul: number): number => {
        // The piece holding the NUL: from the later of the copy's start and its page's start, to the
        // earlier of the copy's end and its page's end; strscpy's words count from the piece's start.
        const page = (addr + BigInt(nul)) / PAGE;
        const start = Math.max(0, Number(page * PAGE - addr));
        const end = Math.min(size, Number((page + 1n) * PAGE - addr));
        return padAfter(nul, start, end, addr, mem.length);
      };
      return strCopy(mem, size, size, pad);
    }
    case 'str_sleepable': // strncpy_from_user(dst, src, size - 1): words while 8 of size - 1 remain; then dst[ret] = NUL, ret + 1
      if (size === 0) return { ret: 0, bytes: new Uint8Array(0), exact: true };
      return strCopy(mem, size - 1, size, (nul) => padAfter(nul, 0, size - 1, addr, mem.length));
  }
}
