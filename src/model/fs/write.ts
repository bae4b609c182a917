/**
 * Changing a file: buffered writes (fs/read_write.c `vfs_write`, mm/filemap.c `generic_perform_write`,
 * fs/ext4/inode.c `ext4_write_begin`/`ext4_write_end`), truncation (fs/open.c `do_ftruncate`,
 * fs/ext4/inode.c `ext4_setattr`/`ext4_truncate`, mm/truncate.c `truncate_pagecache`) and `fsync`
 * (`filemap_write_and_wait_range`).
 *
 * - A write copies into the page cache page by page: a page only partly overwritten that is not
 *   uptodate and holds file data is read first (`ext4_block_write_begin`, the task sleeps); a page
 *   under I/O is waited for (`FGP_LOCK`). A page not cached gets a folio sized for the rest of the
 *   write (`write_begin_get_folio`, up to the mapping's largest order): a large folio is uptodate only
 *   once every block of every page of it is (a write starting inside one leaves it partial). Written
 *   pages are dirty, and uptodate when all their blocks are; `i_size` grows to the
 *   end of the write (`->write_end`). `O_APPEND` writes at `i_size` (`generic_write_checks`), pwrite
 *   included. Pages between the old EOF and a write past it are not created (a hole); from 7.x the
 *   old EOF's block is zeroed past the end first (`ext4_write_checks`, `ext4ZeroEofOnWrite`).
 * - A truncation sets `i_size`; when shrinking it removes every folio wholly past the new size, held
 *   or not (a reader's reference keeps the folio's memory, not its place in the cache). It zeroes the
 *   tail of the block holding the file's end through the cache (`ext4_block_zero_eof`: the block is
 *   read into a folio that is then dirty but not marked uptodate, `partial`): the new end's block on a
 *   shrink, the old end's on a truncate up. Folios under I/O are waited for.
 * - `fsync` writes every dirty page back: they are clean (and so may be evicted) afterwards.
 */
import { addWriteFolio, blockMask, cleanAll, inLargeFolio, isCached, stateAt, toRuns, firstLockedFrom, folioGet, folioPut, folioRef, isAttached, lockForBlocks, markDirty, pageIndex, pageStart, PAGE_SIZE, setBlocks, truncateFrom, writeBlocks, type FolioRef } from '../../pagecache/index.ts';
import { S64_MAX } from '../kernel/ctypes.ts';
import { EBADF, EFBIG, EINVAL, EIO } from '../kernel/errno.ts';
import { hasData, overlayGrow, overlayTruncate, overlayWrite, readFileBytes } from './content.ts';
import { inodeOf, liveFile, mappingOf } from './files.ts';
import { submitIo, Sleep } from './io.ts';
import { MAX_RW_COUNT } from './filemap.ts';
import { FMODE_CAN_WRITE, FMODE_WRITE, type FileId, type Inode } from './types.ts';
import { emit, type Kern } from '../world/world.ts';
import { charge } from '../world/budget.ts';

/** `s_maxbytes` the model gives every filesystem: `MAX_LFS_FILESIZE`. */
const MAX_BYTES = S64_MAX;

/** What a sleeping write or truncation waits for. */
interface FsWait {
  /** `locked`: a folio under another I/O (no reference); `read`: its own read of blocks (held). */
  readonly kind: 'locked' | 'read';
  readonly ref: FolioRef;
  /** The blocks the read was for (of `n`). */
  readonly need?: number;
  readonly n?: number;
}

/** How a sleeping write continues. */
export interface WriteResume {
  readonly kind: 'write';
  readonly pos: bigint;
  readonly written: number;
  readonly total: number;
  readonly wait: FsWait;
  /** Waiting for the old end's block, to zero it before writing past it (`ext4ZeroEofOnWrite`). */
  readonly eof?: true;
}

export function isWriteResume(x: unknown): x is WriteResume {
  return typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'write';
}

/** How a sleeping truncation continues. */
export interface TruncateResume {
  readonly kind: 'truncate';
  readonly wait: FsWait;
}

export function isTruncateResume(x: unknown): x is TruncateResume {
  return typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'truncate';
}

function sleepOn(ino: number, wait: FsWait, resume: unknown, k: Kern): Sleep {
  if (wait.kind === 'read') folioGet(mappingOf(k, ino), wait.ref);
  return new Sleep({ ino, pgoff: wait.ref.head }, resume);
}

/** After a `read` wait: drop the reference; whether the blocks read are now uptodate (false: an I/O error). */
function endWait(k: Kern, ino: number, wait: FsWait): boolean {
  if (wait.kind === 'locked') return true;
  const m = mappingOf(k, ino);
  const attached = isAttached(m, wait.ref);
  folioPut(m, wait.ref);
  if (!attached) return true;
  const need = wait.need ?? 1;
  return (blockMask(m, wait.ref.head, wait.n ?? 1) & need) === need;
}

/**
 * `write(2)` (`pos` null: at `f_pos`) or `pwrite64` of `data`. Returns the bytes written, a negative
 * errno, or a `Sleep` to continue with `resume` set to its `resume`.
 */
export function vfsWrite(k: Kern, fileId: FileId, pos: bigint | null, data: Uint8Array, resume?: WriteResume): number | Sleep {
  const file = liveFile(k, fileId);
  let at: bigint;
  let written = 0;
  let total: number;
  if (resume === undefined) {
    // vfs_write: not open for writing → -EBADF; no write_iter → -EINVAL; rw_verify_area.
    if ((file.fmode & FMODE_WRITE) === 0) return -EBADF;
    if ((file.fmode & FMODE_CAN_WRITE) === 0) return -EINVAL;
    const count = Math.min(data.length, MAX_RW_COUNT);
    const start = pos ?? file.pos;
    if (start < 0n || start + BigInt(count) > S64_MAX) return -EINVAL;
    // generic_write_checks: nothing to write; O_APPEND (IOCB_APPEND, pwrite too) at i_size; the limit.
    if (count === 0) return 0;
    at = file.append ? inodeOf(k, file.ino).size : start;
    if (at >= MAX_BYTES) return -EFBIG;
    total = MAX_BYTES - at < BigInt(count) ? Number(MAX_BYTES - at) : count;
    // The written bytes are kept (the content's overlay): they count against the bytes budget.
    charge(k, total, `writing ${total} byte(s) to ino ${file.ino}`);
  } else {
    at = resume.pos;
    written = resume.written;
    total = resume.total;
    if (!endWait(k, file.ino, resume.wait)) return finishWrite(k, fileId, pos, at, written, -EIO);
  }
  // ext4_write_checks: a write past the end zeroes the old end's block first (ext4_block_zero_eof).
  if (k.features.ext4ZeroEofOnWrite && written === 0 && (resume === undefined || resume.eof === true)) {
    const old = inodeOf(k, file.ino);
    if (at > old.size) {
      const tail = eofBlock(k, old, old.size, resume?.eof === true && resume.wait.kind === 'read');
      if (tail.kind !== 'ready') return sleepOn(old.ino, tail.wait, { kind: 'write', pos: at, written, total, wait: tail.wait, eof: true } satisfies WriteResume, k);
      if (tail.zeroed !== null) markDirty(mappingOf(k, old.ino), tail.zeroed);
    }
  }
  while (written < total) {
    const inode = inodeOf(k, file.ino);
    const m = mappingOf(k, inode.ino);
    const pg = pageIndex(at);
    const inPage = Number(at - pageStart(pg));
    const n = Math.min(PAGE_SIZE - inPage, total - written);
    const state = stateAt(m, pg);
    if (state === 'locked') {
      const wait: FsWait = { kind: 'locked', ref: folioRef(m, pg) };
      return sleepOn(inode.ino, wait, { kind: 'write', pos: at, written, total, wait } satisfies WriteResume, k);
    }
    // write_begin_get_folio: a page not cached gets a new folio sized for the bytes this step of
    // generic_perform_write offers (`writeOrder`); its other pages are filled by the next steps.
    if (state === undefined && inode.maxFolioOrder > 0) addWriteFolio(m, pg, writeOrder(inode.maxFolioOrder, pg, at, total - written));
    // __block_write_begin_int, block by block: a block only partly overwritten that is not uptodate
    // and holds data on disk is read first; a block wholly overwritten, or new (a hole, past EOF:
    // zeroed around the write), is not.
    const bs = inode.blockSize;
    const nb = PAGE_SIZE / bs;
    const first = Math.floor(inPage / bs);
    const last = Math.floor((inPage + n - 1) / bs);
    const have = state === 'uptodate' || (inLargeFolio(m, pg) && stateAt(m, pg) !== 'partial') ? 2 ** nb - 1 : blockMask(m, pg, nb);
    let need = 0;
    let touched = 0;
    for (let b = first; b <= last; b += 1) {
      touched |= 2 ** b;
      const whole = inPage <= b * bs && inPage + n >= (b + 1) * bs;
      if (whole || (have & 2 ** b) !== 0) continue;
      if (hasData(inode.overlay, inode.size, pageStart(pg) + BigInt(b * bs), bs)) need |= 2 ** b;
    }
    if (need !== 0) {
      lockForBlocks(m, pg);
      submitIo(k, m, inode.ino, pg, { before: have, after: have | need, n: nb });
      const wait: FsWait = { kind: 'read', ref: folioRef(m, pg), need, n: nb };
      return sleepOn(inode.ino, wait, { kind: 'write', pos: at, written, total, wait } satisfies WriteResume, k);
    }
    // __block_commit_write: the written blocks are uptodate; the folio is once all of them are.
    writeBlocks(m, pg, touched, nb);
    const end = at + BigInt(n);
    const size = end > inode.size ? end : inode.size;
    const base = end > inode.size ? overlayGrow(inode.overlay, inode.size) : inode.overlay;
    k.t.own('inodes').set(inode.ino, inode.with({ overlay: overlayWrite(base, at, data.subarray(written, written + n)), size }));
    written += n;
    at = end;
  }
  return finishWrite(k, fileId, pos, at, written, 0);
}

/**
 * The order of the folio a write makes at page `pg` (not cached) with `left` bytes to go from `pos`:
 * generic_perform_write offers write_begin at most the rest of the largest folio (`chunk`,
 * `mapping_max_folio_size`), `fgf_set_order(len)` asks for the order of its power-of-two floor
 * (`filemap_get_order`: 0 below two pages), capped at the mapping's largest, and `__filemap_get_folio`
 * lowers it to the alignment of the index (`__ffs(index)`).
 */
function writeOrder(maxOrder: number, pg: number, pos: bigint, left: number): number {
  const chunk = PAGE_SIZE * 2 ** maxOrder;
  const len = Math.min(chunk - Number(pos % BigInt(chunk)), left);
  let order = Math.min(maxOrder, Math.max(0, 31 - Math.clz32(len) - 12));
  while (order > 0 && pg % 2 ** order !== 0) order -= 1;
  return order;
}

function finishWrite(k: Kern, fileId: FileId, pos: bigint | null, at: bigint, written: number, error: number): number {
  const file = liveFile(k, fileId);
  if (pos === null && written > 0) k.t.own('files').set(fileId, file.with({ pos: at }));
  if (written > 0) {
    const first = pageIndex(at - BigInt(written));
    const last = pageIndex(at - 1n);
    emit(k, { kind: 'pagecache', t: k.t.now, op: 'write', ino: file.ino, pages: [[first, last]], kept: [], detail: `${written} bytes, i_size ${inodeOf(k, file.ino).size}` });
  }
  return written > 0 ? written : error;
}

/** The bytes of the folio at `head` (`nr` pages) as the file holds them now. */
function folioBytes(inode: Inode, head: number, nr: number): Uint8Array {
  const out = new Uint8Array(nr * PAGE_SIZE);
  readFileBytes(inode.content, inode.overlay, inode.size, pageStart(head), out, 0, out.length);
  return out;
}

/**
 * The first half of `ext4_block_zero_eof(inode, eof, …)` (fs/ext4/inode.c `ext4_load_tail_bh`): the
 * tail of the block holding byte `eof` is to be zeroed through the cache. Its folio is created if
 * absent; the block is read first when it is not uptodate and is mapped (a hole needs nothing). So:
 * `wait` for a folio under another I/O (`locked`) or for the read just submitted (`read`; `readDone`:
 * it was, the task is back), else `ready` with the page whose block gets zeroed (null: `eof` is
 * block-aligned, or the block could not be read), to dirty once the caller has set the size.
 */
function eofBlock(k: Kern, inode: Inode, eof: bigint, readDone: boolean): { kind: 'wait'; wait: FsWait } | { kind: 'ready'; zeroed: number | null } {
  const bs = BigInt(inode.blockSize);
  if (eof % bs === 0n) return { kind: 'ready', zeroed: null };
  const m = mappingOf(k, inode.ino);
  const tail = pageIndex(eof);
  if (stateAt(m, tail) === 'locked') return { kind: 'wait', wait: { kind: 'locked', ref: folioRef(m, tail) } };
  if (inLargeFolio(m, tail)) return { kind: 'ready', zeroed: isCached(m, tail) ? tail : null };
  const nb = PAGE_SIZE / inode.blockSize;
  const bit = 2 ** Number((eof - pageStart(tail)) / bs);
  const have = blockMask(m, tail, nb);
  const mapped = hasData(inode.overlay, inode.size, pageStart(tail) + (eof - pageStart(tail)) / bs * bs, inode.blockSize);
  if ((have & bit) === 0 && mapped && !readDone) {
    lockForBlocks(m, tail);
    submitIo(k, m, inode.ino, tail, { before: have, after: have | bit, n: nb });
    return { kind: 'wait', wait: { kind: 'read', ref: folioRef(m, tail), need: bit, n: nb } };
  }
  if (!isCached(m, tail)) setBlocks(m, tail, 0, nb);
  return { kind: 'ready', zeroed: (blockMask(m, tail, nb) & bit) !== 0 ? tail : null };
}

/**
 * `ftruncate(fd, length)`: `length` < 0 → -EINVAL; a file not open for writing → -EINVAL
 * (`do_ftruncate`); past `s_maxbytes` → -EFBIG. Returns 0, an errno, or a `Sleep`.
 */
export function ftruncate(k: Kern, fileId: FileId, length: bigint, resume?: TruncateResume): number | Sleep {
  const file = liveFile(k, fileId);
  if (resume === undefined) {
    if (length < 0n) return -EINVAL;
    if ((file.fmode & FMODE_WRITE) === 0) return -EINVAL;
    if (length > MAX_BYTES) return -EFBIG;
  }
  const tailOk = resume === undefined || endWait(k, file.ino, resume.wait);
  const inode = inodeOf(k, file.ino);
  const m = mappingOf(k, inode.ino);
  const shrink = length <= inode.size;
  const first = pageIndex(length + BigInt(PAGE_SIZE - 1));
  // truncate_inode_pages_range locks every folio it removes: wait for those under I/O.
  const locked = shrink ? firstLockedFrom(m, first) : null;
  if (locked !== null) return sleepOn(inode.ino, { kind: 'locked', ref: folioRef(m, locked) }, { kind: 'truncate', wait: { kind: 'locked', ref: folioRef(m, locked) } } satisfies TruncateResume, k);
  // The block holding the end of the file is zeroed past it through the cache: on a shrink (or the
  // same size) the block of the new size (`ext4_truncate`), on a truncate up the block of the old one
  // (`ext4_setattr`, so that the grown file does not show what lay past its old end).
  const tail = eofBlock(k, inode, shrink ? length : inode.size, resume?.wait.kind === 'read');
  if (tail.kind !== 'ready') return sleepOn(inode.ino, tail.wait, { kind: 'truncate', wait: tail.wait } satisfies TruncateResume, k);
  // i_size_write, then truncate_pagecache (whole folios past the new size), then the tail zeroed.
  const r = shrink ? truncateFrom(m, first, (head, nr) => folioBytes(inode, head, nr)) : { removed: [], detached: [] };
  k.t.own('inodes').set(inode.ino, inode.with({ size: length, overlay: shrink ? overlayTruncate(inode.overlay, length) : overlayGrow(inode.overlay, inode.size) }));
  if (tail.zeroed !== null) markDirty(m, tail.zeroed);
  emit(k, {
    kind: 'pagecache', t: k.t.now, op: 'truncate', ino: inode.ino, pages: r.removed, kept: [],
    detail: `i_size ${inode.size} → ${length}${r.detached.length > 0 ? `; held folios detached: ${r.detached.map((d) => d.head).join(',')}` : ''}`,
  });
  // The tail block could not be read (ext4_truncate fails after i_size changed).
  return tailOk ? 0 : -EIO;
}

/** `fsync(fd)` (`vfs_fsync_range` → `file_write_and_wait_range`): every dirty page written back. */
export function fsync(k: Kern, fileId: FileId): number {
  const file = liveFile(k, fileId);
  const cleaned = cleanAll(mappingOf(k, file.ino));
  emit(k, { kind: 'pagecache', t: k.t.now, op: 'writeback', ino: file.ino, pages: toRuns(cleaned), kept: [] });
  return 0;
}
