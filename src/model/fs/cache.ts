/**
 * Page-cache operations a scenario performs from outside BPF: warming a range (as a prior `read`
 * would), evicting a range (`posix_fadvise(POSIX_FADV_DONTNEED)`), dropping all clean pages
 * (`echo 1 > /proc/sys/vm/drop_caches`), and injected I/O errors. Ranges are in bytes.
 */
import { dropClean, expandRuns, invalidateRange, PAGE_SIZE, pageIndex, populateRange as populatePages, runPages, type PageRun } from '../../pagecache/index.ts';
import { charge } from '../world/budget.ts';
import { ArgumentError } from '../kernel/errors.ts';
import { inodeByPath, mappingOf } from './files.ts';
import { checkKern, emit, type Kern } from '../world/world.ts';
import { checkString } from '../kernel/args.ts';
import { ioKey } from './types.ts';

interface PageRange {
  readonly first: number;
  /** Inclusive; first > last means empty. */
  readonly last: number;
}

function toByte(value: number | bigint, argument: string): bigint {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) {
    throw new ArgumentError(argument, value, 'an integer byte count');
  }
  const v = BigInt(value);
  if (v < 0n) throw new ArgumentError(argument, value, 'a non-negative byte count');
  return v;
}

/** The pages covering bytes `[offset, offset + len)`. */
function pagesOf(offset: number | bigint, len: number | bigint): PageRange {
  const start = toByte(offset, 'offset');
  const n = toByte(len, 'len');
  if (n === 0n) return { first: 1, last: 0 };
  return { first: pageIndex(start), last: pageIndex(start + n - 1n) };
}

/**
 * Make the pages of `[offset, offset + len)` uptodate without I/O, as if read earlier. Pages wholly
 * past EOF are skipped: the page cache never holds them. `len` defaults to the rest of the file.
 */
export function populateRange(k: Kern, path: string, offset: number | bigint = 0, len?: number | bigint): number[] {
  return expandRuns(populateRuns(k, path, offset, len));
}

/** `populateRange`, returning the pages added as runs (for a file of any size: no page is listed). */
export function populateRuns(k: Kern, path: string, offset: number | bigint = 0, len?: number | bigint): PageRun[] {
  checkKern('k', k);
  checkString('path', path);
  const inode = inodeByPath(k, path);
  const start = toByte(offset, 'offset');
  const n = len === undefined ? (inode.size > start ? inode.size - start : 0n) : toByte(len, 'len');
  const { first, last } = pagesOf(start, n);
  const eofPage = inode.size === 0n ? -1 : pageIndex(inode.size - 1n);
  const m = mappingOf(k, inode.ino);
  const end = Math.min(last, eofPage);
  if (end >= first) charge(k, (end - first + 1) * PAGE_SIZE, `populating ${end - first + 1} page(s) of ${path}`);
  const added = populatePages(m, first, end);
  emit(k, { kind: 'pagecache', t: k.t.now, op: 'populate', ino: inode.ino, pages: added, kept: [] });
  return added;
}

/**
 * `posix_fadvise(fd, offset, len, POSIX_FADV_DONTNEED)`: drop the clean, unlocked, unreferenced pages
 * of the range (len 0 means to the end, as in fadvise). Returns the pages dropped.
 */
export function evictRange(k: Kern, path: string, offset: number | bigint = 0, len: number | bigint = 0): number[] {
  checkKern('k', k);
  checkString('path', path);
  const inode = inodeByPath(k, path);
  const n = toByte(len, 'len');
  const range = n === 0n ? { first: pageIndex(toByte(offset, 'offset')), last: Number.MAX_SAFE_INTEGER } : pagesOf(offset, n);
  const r = invalidateRange(mappingOf(k, inode.ino), range.first, range.last);
  emit(k, { kind: 'pagecache', t: k.t.now, op: 'evict', ino: inode.ino, pages: r.evicted, kept: r.kept });
  return expandRuns(r.evicted);
}

/** `drop_caches`: every inode loses its evictable pages. Returns how many pages were dropped. */
export function dropCaches(k: Kern): number {
  checkKern('k', k);
  let total = 0;
  for (const [ino, m] of k.t.mappings()) {
    const r = dropClean(m);
    total += runPages(r.evicted);
    if (r.evicted.length > 0 || r.kept.length > 0) {
      emit(k, { kind: 'pagecache', t: k.t.now, op: 'drop_caches', ino, pages: r.evicted, kept: r.kept });
    }
  }
  return total;
}

/** Make the next `times` reads of the page holding byte `offset` of `path` fail with an I/O error. */
export function injectIoError(k: Kern, path: string, offset: number | bigint, times = 1): void {
  checkKern('k', k);
  checkString('path', path);
  if (!Number.isSafeInteger(times) || times < 1) throw new ArgumentError('times', times, 'a positive integer');
  const inode = inodeByPath(k, path);
  const pgoff = pageIndex(toByte(offset, 'offset'));
  const key = ioKey(inode.ino, pgoff);
  const io = k.t.ownFaults().io;
  io.set(key, (io.get(key) ?? 0) + times);
  emit(k, { kind: 'pagecache', t: k.t.now, op: 'inject_io_error', ino: inode.ino, pages: [[pgoff, pgoff]], kept: [] });
}

// Part of the public `cache` namespace (src/index.ts) before allocation faults had a module of their own.
export { allocate, injectAllocFailure } from '../world/faults.ts';
