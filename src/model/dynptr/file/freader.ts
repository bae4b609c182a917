/**
 * The file reader behind a FILE dynptr (lib/freader.c: `freader_fetch`, `freader_get_folio`,
 * `freader_put_folio`; reached through `bpf_file_fetch_bytes` in kernel/bpf/helpers.c).
 *
 * - It keeps at most one folio referenced between fetches and reuses it while the next fetch starts
 *   inside it; moving to another folio drops the old one first.
 * - A secretmem mapping is refused with `-EFAULT` before any lookup.
 * - Non-sleepable (`filemap_get_folio`): a page absent or not uptodate is `-EFAULT`.
 * - Sleepable (`read_cache_folio`): the reader waits for the page's read, submitting it if nobody
 *   has; a read that fails returns `-EIO` to the task that issued it (a task that only waited issues
 *   it again); a page wholly past EOF is `-EIO` (observed on 7.2).
 * - A sleepable reader of a file still inside its `lsm.s/file_open` hook: -EINVAL (observed, cause unknown).
 * - Sleepable: bytes past EOF are -EIO, after the bytes before EOF are copied, even when the last
 *   page is cached (observed on 7.2: `read(64, S-10)` → -EIO with 10 bytes copied; `read(0, S)` → 0).
 *   The non-sleepable reader copies the cached last page's zero tail and returns 0.
 * - Sleepable: a zero-length read at or past EOF → 0; a read starting at a position ≥ 2^63 → -EINVAL
 *   (both observed on 7.2).
 * - A range that crosses pages is copied piecewise into the destination, so a failure on a later page
 *   leaves the earlier bytes written. A zero-length fetch still looks up the page at its offset.
 */
import { folioGet, folioPut, isUptodate, PAGE_SIZE, PAGE_SIZE_N, pageIndex, pageStart, type Mapping, type MappingState } from '../../../pagecache/index.ts';
import { copyFileBytes } from '../../fs/content.ts';
import { S64_MAX } from '../../kernel/ctypes.ts';
import { EFAULT, EINVAL, EIO } from '../../kernel/errno.ts';
import { inodeOf, liveFile, mappingOf } from '../../fs/files.ts';
import { Sleep, submitRead } from '../../fs/io.ts';
import type { FileDynptrState } from './state.ts';
import type { Inode } from '../../fs/types.ts';
import type { Kern } from '../../world/world.ts';

/** How a fetch continues after a sleep: bytes already copied, the page waited on, who submitted it. */
interface FetchResume {
  readonly copied: bigint;
  readonly waitingOn: number;
  readonly submitted: boolean;
}

function isFetchResume(x: unknown): x is FetchResume {
  return typeof x === 'object' && x !== null && 'waitingOn' in x && 'copied' in x;
}

/** The reader's one piece of changing state within a fetch: the folio it holds. */
interface Cursor {
  folio: number | null;
  readonly maySleep: boolean;
}

/**
 * `freader_get_folio`: make `r.folio` the page `pgoff`, or fail, or sleep. Moving from one folio to
 * the next is a `folio_put` and a `folio_get`; within one call nothing can observe the references in
 * between, so the fetch settles the net change once, when it ends (`settleFolio`). The reference a
 * sleeping reader holds on the page it waits for is real across the sleep and is taken here.
 */
function getFolio(k: Kern, m: Mapping, r: Cursor, inode: Inode, pgoff: number, copied: bigint): number | Sleep {
  if (r.folio === pgoff) return 0;
  r.folio = null;
  if (inode.secretmem) return -EFAULT;

  const resume = k.resume;
  if (isFetchResume(resume) && resume.waitingOn === pgoff) {
    // Woken from the folio wait: drop the wait's reference (the fetch takes the folio as usual).
    k.resume = undefined;
    folioPut(m, pgoff);
    if (!isUptodate(m, pgoff) && resume.submitted) return -EIO;
  }

  if (isUptodate(m, pgoff)) {
    r.folio = pgoff;
    return 0;
  }
  if (!r.maySleep) return -EFAULT;
  if (pageStart(pgoff) >= inode.size) return -EIO;
  const submitted = submitRead(k, m, inode.ino, pgoff);
  folioGet(m, pgoff);
  const next: FetchResume = { copied, waitingOn: pgoff, submitted };
  return new Sleep({ ino: inode.ino, pgoff }, next);
}

/**
 * When a fetch of `[fileOff, fileOff + len)` would meet only uptodate pages inside the file (no sleep,
 * no fault, no EOF rule applies), so that it can copy in one go: the page of its last byte; else -1.
 */
function cachedLastPage(m: MappingState, inode: Inode, fileOff: bigint, len: bigint): number {
  if (len === 0n || inode.secretmem || fileOff > inode.size) return -1;
  // len > i_size - fileOff, in numbers when i_size is exact in one (no bigint made).
  if (inode.size <= MAX_EXACT ? Number(len) > Number(inode.size) - Number(fileOff) : len > inode.size - fileOff) return -1;
  // i_size < 2^63 and len fits the destination: the end is at most 2^63, a page index below 2^51.
  const first = pageIndex(fileOff);
  const end = Number(fileOff) + Number(len);
  const last = end <= Number.MAX_SAFE_INTEGER ? Math.floor((end - 1) / PAGE_SIZE) : pageIndex(fileOff + len - 1n);
  const pages = m.pages;
  for (let p = first; p <= last; p += 1) if (pages.get(p) !== 'uptodate') return -1;
  return last;
}

const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);

/** The reader ends a fetch holding `folio` instead of `st.folio`: put the old, get the new. */
function settleFolio(k: Kern, m: Mapping, st: FileDynptrState, folio: number | null): void {
  if (folio === st.folio) return;
  if (st.folio !== null) folioPut(m, st.folio);
  if (folio !== null) folioGet(m, folio);
  k.t.own('fileStates').set(st.id, st.with({ folio }));
}

/**
 * `freader_fetch` into `dst`: copy `len` bytes of the file from `fileOff`. Returns 0, a negative
 * errno, or a `Sleep` to be continued (the caller keeps `k.resume` set to its `resume`).
 */
export function fileFetch(
  k: Kern, st: FileDynptrState, fileOff: bigint, len: bigint, dst: Uint8Array, argument: string,
): number | Sleep {
  const file = liveFile(k, st.file, argument, ' (its file)');
  // Observed on 7.2: a sleepable reader of the file whose security_file_open hook is running gets
  // -EINVAL for every read, cached or not (cause not yet found in the source; kept as an observed rule).
  if (file.opening && st.maySleep) return -EINVAL;
  const inode = inodeOf(k, file.ino);
  // Observed on 7.2 (sleepable): a zero-length read at or past EOF → 0 with no page looked up; a
  // read starting at a file position ≥ 2^63 (a negative loff_t) → -EINVAL.
  if (!inode.secretmem && st.maySleep && len === 0n && fileOff >= inode.size) return 0;
  if (!inode.secretmem && st.maySleep && len > 0n && fileOff > S64_MAX) return -EINVAL;
  const last = k.resume === undefined ? cachedLastPage(k.t.pages(inode.ino), inode, fileOff, len) : -1;
  if (last >= 0) {
    // The same fetch, page by page, would find every page uptodate and end holding the last one.
    copyFileBytes(inode.content, inode.size, fileOff, dst, 0, Number(len));
    if (last !== st.folio) settleFolio(k, mappingOf(k, inode.ino), st, last);
    return 0;
  }
  const m = mappingOf(k, inode.ino);
  const r: Cursor = { folio: st.folio, maySleep: st.maySleep };
  try {
    const resume = k.resume;
    let copied = isFetchResume(resume) ? resume.copied : 0n;
    let first = true;
    while (first || copied < len) {
      first = false;
      const pos = fileOff + copied;
      if (r.maySleep && copied < len && pos >= inode.size) {
        r.folio = null;
        return -EIO;
      }
      const pgoff = pageIndex(pos);
      const got = getFolio(k, m, r, inode, pgoff, copied);
      if (got !== 0) return got;
      const pageEnd = pageStart(pgoff) + PAGE_SIZE_N;
      const upTo = r.maySleep && inode.size < pageEnd ? inode.size : pageEnd;
      const n = len - copied < upTo - pos ? len - copied : upTo - pos;
      copyFileBytes(inode.content, inode.size, pos, dst, Number(copied), Number(n));
      copied += n;
    }
    return 0;
  } finally {
    settleFolio(k, m, st, r.folio);
  }
}

/** `freader_cleanup`: drop the folio the reader holds (the caller stores the state without it). */
export function releaseReader(k: Kern, st: FileDynptrState): void {
  if (st.folio === null) return;
  folioPut(mappingOf(k, st.ino), st.folio);
}
