/**
 * `posix_fadvise` (mm/fadvise.c `generic_fadvise`, through `ksys_fadvise64_64` and `vfs_fadvise`).
 * Errors: `len` < 0 → -EINVAL; an unknown advice → -EINVAL (the model has no FIFOs: no -ESPIPE).
 * - NORMAL: `f_ra.ra_pages` = the device's `ra_pages` again; FMODE_RANDOM and FMODE_NOREUSE cleared.
 * - RANDOM: FMODE_RANDOM (sync readahead reads only what is asked for).
 * - SEQUENTIAL: `f_ra.ra_pages` = twice the device's; FMODE_RANDOM cleared.
 * - WILLNEED: `force_page_cache_readahead` of the pages holding `[offset, offset + len)` (partial pages
 *   included), at most `max(io_pages, ra_pages)` pages, no marker, the state untouched.
 * - DONTNEED: writeback of the range is started (asynchronous: dirty pages are not dropped by this
 *   call; the model finishes that writeback at once, after the invalidation), then only **whole** pages
 *   are invalidated — from the first page starting at or after `offset` to the last page ending
 *   inside the range, or the last page too when the range reaches EOF or ends on a page boundary
 *   (`mapping_try_invalidate`: clean, unlocked, unreferenced folios wholly inside).
 * - NOREUSE: FMODE_NOREUSE (an LRU hint; no other effect here).
 * All of them act on the `struct file` (its `f_mode`, its `f_ra`), except the page-cache ones.
 */
import { cleanAll, invalidateRange, PAGE_SIZE, toRuns } from '../../pagecache/index.ts';
import { S64_MAX } from '../kernel/ctypes.ts';
import { EINVAL } from '../kernel/errno.ts';
import { ArgumentError } from '../kernel/errors.ts';
import { inodeOf, liveFile, mappingOf } from './files.ts';
import { forceRa, type MutRa } from './readahead.ts';
import { FMODE_NOREUSE, FMODE_RANDOM, type FileId } from './types.ts';
import { emit, type Kern } from '../world/world.ts';

export const FADV_ADVICE = ['POSIX_FADV_NORMAL', 'POSIX_FADV_RANDOM', 'POSIX_FADV_SEQUENTIAL', 'POSIX_FADV_WILLNEED', 'POSIX_FADV_DONTNEED', 'POSIX_FADV_NOREUSE'] as const;
export type FadvAdvice = (typeof FADV_ADVICE)[number];

/** The advice values of include/uapi/linux/fadvise.h (x86-64: DONTNEED 4, NOREUSE 5). */
export const FADV_VALUE: Readonly<Record<FadvAdvice, number>> = {
  POSIX_FADV_NORMAL: 0, POSIX_FADV_RANDOM: 1, POSIX_FADV_SEQUENTIAL: 2, POSIX_FADV_WILLNEED: 3, POSIX_FADV_DONTNEED: 4, POSIX_FADV_NOREUSE: 5,
};

/** An advice by name (`POSIX_FADV_DONTNEED` or `DONTNEED`) or number; an unknown number is kept (-EINVAL). */
export function adviceOf(a: string | number): FadvAdvice | number {
  if (typeof a === 'number') {
    if (!Number.isSafeInteger(a)) throw new ArgumentError('advice', a, 'an integer or a POSIX_FADV_ name');
    return FADV_ADVICE.find((x) => FADV_VALUE[x] === a) ?? a;
  }
  const name = a.startsWith('POSIX_FADV_') ? a : `POSIX_FADV_${a}`;
  if ((FADV_ADVICE as readonly string[]).includes(name)) return name as FadvAdvice;
  throw new ArgumentError('advice', a, `one of ${FADV_ADVICE.join(', ')} (or a number)`);
}

/** `posix_fadvise(fd, offset, len, advice)` on the open file `fileId`. Returns 0 or -EINVAL. */
export function fadvise(k: Kern, fileId: FileId, offset: bigint, len: bigint, advice: FadvAdvice | number): number {
  const file = liveFile(k, fileId);
  const inode = inodeOf(k, file.ino);
  if (len < 0n) return -EINVAL;
  if (typeof advice === 'number') return -EINVAL;
  // endbyte: inclusive; len 0 or an overflow means "to the end" (LLONG_MAX).
  const sum = offset + len;
  const endbyte = len === 0n || sum > S64_MAX || sum < offset ? S64_MAX : sum - 1n;
  const setFile = (patch: { fmode?: number; ra?: MutRa }): void => { k.t.own('files').set(fileId, file.with(patch)); };
  switch (advice) {
    case 'POSIX_FADV_NORMAL':
      setFile({ ra: { ...file.ra, raPages: inode.bdi.raPages }, fmode: file.fmode & ~(FMODE_RANDOM | FMODE_NOREUSE) });
      break;
    case 'POSIX_FADV_RANDOM':
      setFile({ fmode: file.fmode | FMODE_RANDOM });
      break;
    case 'POSIX_FADV_SEQUENTIAL':
      setFile({ ra: { ...file.ra, raPages: inode.bdi.raPages * 2 }, fmode: file.fmode & ~FMODE_RANDOM });
      break;
    case 'POSIX_FADV_NOREUSE':
      setFile({ fmode: file.fmode | FMODE_NOREUSE });
      break;
    case 'POSIX_FADV_WILLNEED': {
      // A negative offset gives a start index past any file (pgoff_t): nothing to read.
      if (offset < 0n) break;
      const start = Number(BigInt.asUintN(64, offset) >> 12n);
      const end = Number(endbyte >> 12n);
      const nr = end - start + 1;
      const ra: MutRa = { ...file.ra };
      forceRa({ k, file: fileId, ra, inode, m: mappingOf(k, inode.ino), random: false }, start, nr > 0 ? nr : Number.MAX_SAFE_INTEGER, 'fadvise WILLNEED');
      break;
    }
    case 'POSIX_FADV_DONTNEED': {
      if (offset < 0n) break;
      const page = BigInt(PAGE_SIZE);
      const start = (offset + page - 1n) / page;
      let end = endbyte / page;
      if ((endbyte & (page - 1n)) !== page - 1n && endbyte !== inode.size - 1n) {
        if (end === 0n) break;
        end -= 1n;
      }
      const m = mappingOf(k, inode.ino);
      if (end >= start && start <= BigInt(Number.MAX_SAFE_INTEGER)) {
        const r = invalidateRange(m, Number(start), Number(end < BigInt(Number.MAX_SAFE_INTEGER) ? end : BigInt(Number.MAX_SAFE_INTEGER)));
        emit(k, { kind: 'pagecache', t: k.t.now, op: 'evict', ino: inode.ino, pages: r.evicted, kept: r.kept, detail: 'POSIX_FADV_DONTNEED' });
      }
      // __filemap_fdatawrite_range(WB_SYNC_NONE) started writeback of the dirty pages; it ends later.
      const cleaned = cleanAll(m, Number(offset / page), Number(endbyte / page < BigInt(Number.MAX_SAFE_INTEGER) ? endbyte / page : BigInt(Number.MAX_SAFE_INTEGER)));
      if (cleaned.length > 0) emit(k, { kind: 'pagecache', t: k.t.now, op: 'writeback', ino: inode.ino, pages: toRuns(cleaned), kept: [] });
      break;
    }
  }
  return 0;
}
