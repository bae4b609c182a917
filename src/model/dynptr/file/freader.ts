/**
 * The file reader behind a FILE dynptr (lib/buildid.c: `freader_fetch`, `freader_get_folio`,
 * `freader_put_folio`; reached through `bpf_file_fetch_bytes` in kernel/bpf/helpers.c). Two paths,
 * two mechanisms:
 *
 * - Both: a secretmem mapping is refused with -EFAULT first (`freader_fetch` checks
 *   `secretmem_mapping` before either path, on every fetch, zero-length ones included).
 * - Sleepable (`bpf_dynptr_from_file_sleepable`; patch "lib/buildid: use __kernel_read() for sleepable
 *   context", upstream 777a8560, in 6.19): the whole range is one `__kernel_read(file, dst, len, &pos)`
 *   (fs/filemap.ts `kernelRead`): the f_mode checks (-EINVAL for a file not opened for reading, or
 *   still inside its `security_file_open`), a negative position → -EINVAL, then `filemap_read` with
 *   readahead, sleeps and I/O errors. A result other than `len` is -EIO (the bytes before EOF are
 *   already in `dst`); a negative result is returned as it is. A zero-length read is 0 with no lookup.
 *   No folio is held afterwards.
 * - Non-sleepable (`filemap_get_folio`): no readahead, no I/O, no i_size check. The reader keeps at
 *   most one folio referenced between fetches and reuses it while the next fetch starts inside it;
 *   moving to another folio drops the old one first. A page not cached or not uptodate is -EFAULT,
 *   also for a zero-length fetch (it still looks the folio up). A range crossing folios is copied
 *   piecewise, so a failure on a later folio leaves the earlier bytes written. The held folio is not
 *   checked again on reuse: if a truncation removed it from the cache meanwhile, the reader still
 *   copies from its memory (the bytes it had when it was removed).
 */
import { detachedBytes, folioAt, folioGen, folioGet, folioPages, folioPut, folioRef, isUptodate, PAGE_SIZE, pageIndex, pageStart, uptodateThroughHolding, type MappingState } from '../../../pagecache/index.ts';
import { readFileBytes } from '../../fs/content.ts';
import { EFAULT, EIO } from '../../kernel/errno.ts';
import { ArgumentError } from '../../kernel/errors.ts';
import { inodeOf, liveFile, mappingOf } from '../../fs/files.ts';
import { isFilemapResume, kernelRead } from '../../fs/filemap.ts';
import type { Sleep } from '../../fs/io.ts';
import type { FileDynptrState, HeldFolio } from './state.ts';
import type { Ino, Inode } from '../../fs/types.ts';
import type { Kern } from '../../world/world.ts';

/** The reader ends a fetch holding `folio` instead of `st.folio`: put the old, get the new. */
function settleFolio(k: Kern, ino: Ino, st: FileDynptrState, folio: HeldFolio | null): void {
  const old = st.folio;
  if (old === folio || (old !== null && folio !== null && old.head === folio.head && old.gen === folio.gen)) return;
  // Only a change of the held folio makes a `Mapping` to change (reading needs none: `k.t.pages`).
  const m = mappingOf(k, ino);
  if (old !== null) folioPut(m, old);
  if (folio !== null) folioGet(m, folio);
  k.t.own('fileStates').set(st.id, st.with({ folio }));
}

/** Copy `n` bytes at `pos` from the held folio `f` (its memory if it was truncated out of the cache). */
function copyFromFolio(m: MappingState, inode: Inode, f: HeldFolio, pos: bigint, dst: Uint8Array, at: number, n: number): void {
  const detached = detachedBytes(m, f);
  if (detached === undefined) {
    readFileBytes(inode.content, inode.overlay, inode.size, pos, dst, at, n);
    return;
  }
  const from = Number(pos - pageStart(f.head));
  dst.set(detached.subarray(from, from + n), at);
}

/** `freader_get_folio` + copy, for the non-sleepable reader. */
function fetchFromCache(k: Kern, st: FileDynptrState, inode: Inode, fileOff: bigint, len: bigint, dst: Uint8Array): number {
  // Read through `pages` (no `Mapping` made); `settleFolio` makes one when the held folio changes.
  const m = k.t.pages(inode.ino);
  const held = st.folio;
  if (len !== 0n) {
    // Page indices in numbers while the range's end is exact (no bigint to allocate). Both are
    // unsigned, and a bigint of 2^53 or more converts to a number of 2^53 or more, so a sum at most
    // 2^53 - 1 means both converted exactly and the sum is exact.
    const off = Number(fileOff);
    const n = Number(len);
    const exact = off >= 0 && off + n <= Number.MAX_SAFE_INTEGER;
    const first = exact ? Math.floor(off / PAGE_SIZE) : pageIndex(fileOff);
    const last = exact ? Math.floor((off + n - 1) / PAGE_SIZE) : pageIndex(fileOff + len - 1n);
    const r = uptodateThroughHolding(m, held, first, last);
    if (r !== undefined) {
      // The same fetch, folio by folio, would find every folio uptodate and end holding the last one.
      readFileBytes(inode.content, inode.overlay, inode.size, fileOff, dst, 0, n, off <= Number.MAX_SAFE_INTEGER ? off : -1);
      const nr = folioPages(r.order);
      const head = last - (last % nr);
      const gen = folioGen(m, head);
      if (held === null || held.head !== head || held.gen !== gen) settleFolio(k, inode.ino, st, { head, gen, nr });
      return 0;
    }
  }
  let folio: HeldFolio | null = held;
  let copied = 0n;
  let first = true;
  try {
    while (first || copied < len) {
      first = false;
      const pos = fileOff + copied;
      const pgoff = pageIndex(pos);
      if (folio === null || pgoff < folio.head || pgoff >= folio.head + folio.nr) {
        folio = null;
        const f = folioAt(m, pgoff);
        if (f === undefined || !isUptodate(m, pgoff)) return -EFAULT;
        folio = { ...folioRef(m, pgoff), nr: f.nr };
      }
      const folioEnd = pageStart(folio.head) + BigInt(folio.nr * PAGE_SIZE);
      const n = len - copied < folioEnd - pos ? len - copied : folioEnd - pos;
      copyFromFolio(m, inode, folio, pos, dst, Number(copied), Number(n));
      copied += n;
    }
    return 0;
  } finally {
    settleFolio(k, inode.ino, st, folio);
  }
}

/**
 * `freader_fetch` into `dst`: copy `len` bytes of the file from `fileOff`. Returns 0, a negative
 * errno, or a `Sleep` to be continued (the caller keeps `k.resume` set to its `resume`).
 */
export function fileFetch(
  k: Kern, st: FileDynptrState, fileOff: bigint, len: bigint, dst: Uint8Array, argument: string,
): number | Sleep {
  const file = liveFile(k, st.file, argument, ' (its file)');
  const inode = inodeOf(k, file.ino);
  if (inode.secretmem) return -EFAULT;
  if (!st.maySleep) return fetchFromCache(k, st, inode, fileOff, len, dst);
  // Every version in the table has the __kernel_read reader (version.ts `freaderKernelRead`).
  if (!k.features.freaderKernelRead) throw new ArgumentError('version', k.features.version, 'a kernel whose sleepable file reader is __kernel_read (777a8560)');
  const resume = isFilemapResume(k.resume) ? k.resume : undefined;
  const sink = (pos: bigint, n: number, at: number): void => {
    const now = inodeOf(k, file.ino);
    readFileBytes(now.content, now.overlay, now.size, pos, dst, at, n);
  };
  // The position is a loff_t: a file offset of 2^63 or more is negative.
  const r = kernelRead(k, st.file, BigInt.asIntN(64, fileOff), Number(len), sink, resume);
  if (typeof r !== 'number') return r;
  if (r < 0) return r;
  return BigInt(r) === len ? 0 : -EIO;
}

/** `freader_cleanup`: drop the folio the reader holds (the caller stores the state without it). */
export function releaseReader(k: Kern, st: FileDynptrState): void {
  if (st.folio === null) return;
  folioPut(mappingOf(k, st.ino), st.folio);
}
