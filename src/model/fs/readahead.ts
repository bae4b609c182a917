/**
 * Readahead (mm/readahead.c), for one `struct file`: its `file_ra_state` (fs/types.ts `RaState`), the
 * backing device's limits and the inode's page cache.
 *
 * - `syncRa` (`page_cache_sync_ra`): a reader missed the page at `index`. FMODE_RANDOM or `ra_pages` 0:
 *   read exactly the requested pages. A read at page 0, larger than the window, or right after the
 *   previous one (`prev_pos`): a new window `get_init_ra_size(req)`. Otherwise the cached pages just
 *   before `index` (`page_cache_prev_miss`) say whether a stream is running; if they are no more than
 *   the request, read only the request ("standalone, small random read", state untouched).
 * - `asyncRa` (`page_cache_async_ra`): a reader reached a folio marked `PG_readahead`: the marker is
 *   cleared and the next window (`get_next_ra_size`) is read, marked on its first folio.
 * - `forceRa` (`force_page_cache_ra`): fadvise WILLNEED and the forced cases: the given pages only,
 *   no marker, state untouched.
 *
 * Every read stops at the page holding the last byte (`do_page_cache_ra`, `page_cache_ra_order`'s
 * `limit`), skips pages already cached, and never marks a page that was already cached. Windows are
 * read as large folios when the filesystem allows them (`page_cache_ra_order`; ext4 since 6.16); the
 * sync window starts at order 0 and each async window raises the order by 2.
 */
import { addFolio, firstUncached, isCached, folioAt, setReadahead, clearReadahead, type Mapping } from '../../pagecache/index.ts';
import { submitIo } from './io.ts';
import type { FileId, Inode, RaState } from './types.ts';
import { emit, type Kern } from '../world/world.ts';

/** `struct file_ra_state` while a read changes it; written back to the file by the caller. */
export type MutRa = { -readonly [K in keyof RaState]: RaState[K] };

/** What a readahead call needs: the file (for the trace), its state, the inode and its page cache. */
export interface RaCtl {
  readonly k: Kern;
  readonly file: FileId;
  readonly ra: MutRa;
  readonly inode: Inode;
  readonly m: Mapping;
  /** `file->f_mode & FMODE_RANDOM`. */
  readonly random: boolean;
}

const U64 = 1n << 64n;
/** 2 MiB in pages: `force_page_cache_ra`'s chunk. */
const FORCE_CHUNK = (2 * 1024 * 1024) / 4096;

function roundupPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

function ilog2(n: number): number {
  return Math.floor(Math.log2(n));
}

/** `__ffs`: index of the lowest set bit (n > 0). */
function lowestBit(n: number): number {
  let i = 0;
  while (n % 2 ** (i + 1) === 0) i += 1;
  return i;
}

/** `get_init_ra_size`. */
export function initRaSize(req: number, max: number): number {
  const r = roundupPow2(req);
  if (r <= Math.floor(max / 32)) return r * 4;
  if (r <= Math.floor(max / 4)) return r * 2;
  return max;
}

/** `get_next_ra_size`. */
export function nextRaSize(cur: number, max: number): number {
  if (cur < Math.floor(max / 16)) return 4 * cur;
  if (cur <= Math.floor(max / 2)) return 2 * cur;
  return max;
}

/** `ractl_max_pages`: the window limit, or up to the device's I/O size for a request larger than it. */
function maxPages(c: RaCtl, req: number): number {
  const max = c.ra.raPages;
  return req > max && c.inode.bdi.ioPages > max ? Math.min(req, c.inode.bdi.ioPages) : max;
}

/** The page holding the last byte, or -1 for an empty file. */
function eofPage(inode: Inode): number {
  return inode.size === 0n ? -1 : Number((inode.size - 1n) >> 12n);
}

/**
 * `page_cache_ra_unbounded` (via `do_page_cache_ra`, which clips `nr` at the EOF page): add an order-0
 * folio for every page of `[index, index + nr)` not cached, mark the one at `nr - lookahead`, submit.
 */
function doPageCacheRa(c: RaCtl, index: number, nr: number, lookahead: number, added: number[], marks: number[]): void {
  const end = eofPage(c.inode);
  if (end < 0 || index > end) return;
  const n = Math.min(nr, end - index + 1);
  const mark = lookahead <= n ? n - lookahead : -1;
  for (let i = 0; i < n; i += 1) {
    if (!addFolio(c.m, index + i, 0)) continue;
    if (i === mark) {
      setReadahead(c.m, index + i);
      marks.push(index + i);
    }
    added.push(index + i);
    submitIo(c.k, c.m, c.inode.ino, index + i);
  }
}

/** `page_cache_ra_order`: read the window `[ra.start, ra.start + ra.size)`, large folios where allowed. */
function raOrder(c: RaCtl, added: number[], marks: number[]): void {
  const { ra, inode, m } = c;
  if (inode.size === 0n) return;
  const start = ra.start;
  let index = start;
  const mark = start + ra.size - ra.asyncSize;
  if (inode.maxFolioOrder === 0) {
    ra.order = 0;
  } else {
    const limit = Math.min(eofPage(inode), start + ra.size - 1);
    const order = Math.max(0, Math.min(inode.maxFolioOrder, ra.order, ilog2(ra.size)));
    ra.order = order;
    let failed = false;
    while (index <= limit) {
      let o = order;
      if (index % 2 ** o !== 0) o = lowestBit(index);
      while (o > 0 && index + 2 ** o - 1 > limit) o -= 1;
      if (!addFolio(m, index, o)) {
        failed = true;
        break;
      }
      if (index === Math.floor(mark / 2 ** o) * 2 ** o) {
        setReadahead(m, index);
        marks.push(index);
      }
      for (let p = index; p < index + 2 ** o; p += 1) added.push(p);
      submitIo(c.k, m, inode.ino, index);
      index += 2 ** o;
    }
    if (!failed) return;
  }
  // Fallback (no large folios, or a page of the window was cached): order-0 folios for the rest.
  if (ra.size > index - start) doPageCacheRa(c, index, ra.size - (index - start), ra.asyncSize, added, marks);
}

function trace(c: RaCtl, how: string, added: number[], marks: number[]): void {
  emit(c.k, { kind: 'readahead', t: c.k.t.now, ino: c.inode.ino, file: c.file, how, pages: added, marker: marks[0] ?? null });
}

/** `force_page_cache_ra`: the pages `[index, index + nr)` only (at most the device's I/O size), no marker. */
export function forceRa(c: RaCtl, index: number, nr: number, why: string): void {
  let left = Math.min(nr, Math.max(c.inode.bdi.ioPages, c.ra.raPages));
  const added: number[] = [];
  const marks: number[] = [];
  let at = index;
  while (left > 0) {
    const chunk = Math.min(FORCE_CHUNK, left);
    doPageCacheRa(c, at, chunk, 0, added, marks);
    at += chunk;
    left -= chunk;
  }
  trace(c, `${why}: forced [${index}, +${nr})`, added, marks);
}

/** Pages cached just before `index`: `page_cache_prev_miss(index - 1, max)` as sync_ra uses it. */
function prevMiss(m: Mapping, from: number, maxScan: number): bigint {
  let at = from;
  for (let n = 0; n < maxScan; n += 1) {
    if (at < 0) return U64 - 1n; // stepped below page 0: ULONG_MAX
    if (!isCached(m, at)) return BigInt(at);
    if (n + 1 < maxScan) at -= 1;
  }
  return BigInt(at);
}

/** `page_cache_next_miss(index, max)`: the first page not cached in `[index, index + max)`, else index + max. */
function nextMiss(m: Mapping, index: number, maxScan: number): number {
  return firstUncached(m, index, index + maxScan);
}

/** `page_cache_sync_ra`: the reader found no folio at `index`; `req` pages are requested from there. */
export function syncRa(c: RaCtl, index: number, reqIn: number): void {
  const { ra } = c;
  let req = reqIn;
  let forced = c.random;
  if (ra.raPages === 0) {
    req = 1;
    forced = true;
  }
  if (forced) {
    forceRa(c, index, req, c.random ? 'sync (FMODE_RANDOM)' : 'sync (ra_pages 0)');
    return;
  }
  const max = maxPages(c, req);
  const prevIndex = Number(BigInt.asUintN(64, ra.prevPos) >> 12n);
  const added: number[] = [];
  const marks: number[] = [];
  if (index === 0 || req > max || index === prevIndex || index === prevIndex + 1) {
    ra.start = index;
    ra.size = initRaSize(req, max);
    ra.asyncSize = ra.size > req ? ra.size - req : Math.floor(ra.size / 2);
  } else {
    const miss = prevMiss(c.m, index - 1, max);
    let contig = BigInt.asUintN(64, BigInt(index) - miss - 1n);
    if (contig <= BigInt(req)) {
      // Standalone, small random read: the request only, the state untouched.
      doPageCacheRa(c, index, req, 0, added, marks);
      trace(c, `sync: random read [${index}, +${req})`, added, marks);
      return;
    }
    if (miss === U64 - 1n) contig *= 2n;
    ra.start = index;
    ra.size = Number(contig + BigInt(req) < BigInt(max) ? contig + BigInt(req) : BigInt(max));
    ra.asyncSize = 1;
  }
  ra.order = 0;
  raOrder(c, added, marks);
  trace(c, `sync: window [${ra.start}, +${ra.size}) async ${ra.asyncSize}`, added, marks);
}

/**
 * `page_cache_async_ra`: the reader met the folio at `head` marked `PG_readahead`, with `req` pages of
 * its request from there.
 */
export function asyncRa(c: RaCtl, head: number, req: number): void {
  const { ra, m } = c;
  if (ra.raPages === 0) return;
  clearReadahead(m, head);
  const max = maxPages(c, req);
  const nr = folioAt(m, head)?.nr ?? 1;
  const expected = Math.floor((ra.start + ra.size - ra.asyncSize) / nr) * nr;
  const added: number[] = [];
  const marks: number[] = [];
  if (head === expected) {
    ra.start += ra.size;
    ra.size = Math.max(ra.size, nextRaSize(ra.size, max));
  } else {
    // A marker without valid state (another stream, another struct file): size it from the cache.
    const start = nextMiss(m, head + 1, max);
    if (start === 0 || start - head > max) {
      trace(c, `async at ${head}: no window (next miss ${start})`, added, marks);
      return;
    }
    ra.start = start;
    ra.size = nextRaSize(start - head + req, max);
  }
  ra.order += 2;
  const align = 2 ** Math.min(ra.order, lowestBit(max));
  const end = ra.start + ra.size;
  const alignedEnd = Math.floor(end / align) * align;
  if (alignedEnd > ra.start) ra.size -= end - alignedEnd;
  ra.asyncSize = ra.size;
  raOrder(c, added, marks);
  trace(c, `async at ${head}: window [${ra.start}, +${ra.size}) order ${ra.order}`, added, marks);
}
