/**
 * The buffered read path: fs/read_write.c (`__kernel_read`, `vfs_read`) into mm/filemap.c
 * (`filemap_read`, `filemap_get_pages`, `filemap_get_read_batch`, `filemap_update_page`,
 * `filemap_read_folio`), with readahead from readahead.ts. One place for every sleepable reader: the
 * FILE dynptr's sleepable fetch (lib/buildid.c `freader_fetch` → `__kernel_read`) and a task's `pread`.
 *
 * `filemap_read` copies `[pos, min(pos + count, i_size))`:
 * - it stops at EOF before any lookup; a read starting at or past EOF copies nothing;
 * - per round, `filemap_get_pages` collects the consecutive cached folios from `pos` (a batch ends
 *   after a folio not uptodate or one marked `PG_readahead`); none cached → `page_cache_sync_ra`;
 *   a marked last folio → `page_cache_async_ra`; a last folio under I/O → the reader drops its
 *   reference and sleeps until it is unlocked (`folio_put_wait_locked`), then copies the folios
 *   before it or looks again; a last folio whose read failed → the reader reads it again itself,
 *   holding it (`filemap_read_folio`), and a second failure is -EIO (`shrink_readahead_size_eio`);
 * - `i_size` is read again after the folios are uptodate; afterwards `f_ra.prev_pos` is the end of the
 *   bytes copied (unchanged when nothing was copied);
 * - the result is the bytes copied, or the error when nothing was.
 * No folio is held when it returns.
 */
import { allBlocksUptodate, blockMask, folioAt, stateAt, folioGet, folioPut, folioRef, hasReadahead, isAttached, isUptodate, markUptodate, pageIndex, pageStart, PAGE_SIZE, type FolioRef, type Mapping, type MappingState } from '../../pagecache/index.ts';
import { EBADF, EINVAL, EIO } from '../kernel/errno.ts';
import { S64_MAX } from '../kernel/ctypes.ts';
import { inodeOf, liveFile, mappingOf } from './files.ts';
import { readFolio, Sleep } from './io.ts';
import { asyncRa, syncRa, type MutRa, type RaCtl } from './readahead.ts';
import { FMODE_CAN_READ, FMODE_RANDOM, FMODE_READ, type FileId, type FileObj } from './types.ts';
import { emit, type Kern } from '../world/world.ts';

/** `MAX_RW_COUNT`: `INT_MAX & PAGE_MASK`, the most one read or write moves. */
export const MAX_RW_COUNT = 0x7fff_f000;

/** Receives the bytes of `[fileOff, fileOff + n)` as they are copied, `at` bytes into the read. */
export type Sink = (fileOff: bigint, n: number, at: number) => void;

/** A folio of a batch, as the reader holds it. */
interface Held {
  readonly ref: FolioRef;
  readonly nr: number;
}

/** What a sleeping `filemap_read` waits for. */
interface Wait {
  /** `locked`: another read's I/O (no reference held); `read`: its own read of a failed folio (held). */
  readonly kind: 'locked' | 'read';
  readonly folio: Held;
  /** The batch's folios before it: held across the sleep, copied after it. */
  readonly prefix: readonly Held[];
}

/** How a sleeping `filemap_read` continues. */
export interface FilemapResume {
  readonly kind: 'filemap_read';
  readonly pos: bigint;
  readonly count: number;
  readonly copied: number;
  readonly lastPos: bigint;
  readonly wait: Wait;
}

export function isFilemapResume(x: unknown): x is FilemapResume {
  return typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'filemap_read';
}

type Pages = { readonly batch: readonly Held[] } | { readonly err: number } | { readonly wait: Wait };

/** `filemap_get_read_batch`: the consecutive cached folios from `index` up to `last`. */
function readBatch(m: Mapping, index: number, last: number): Held[] {
  const out: Held[] = [];
  let p = index;
  while (p <= last) {
    const f = folioAt(m, p);
    if (f === undefined) break;
    out.push({ ref: folioRef(m, p), nr: f.nr });
    if (!isUptodate(m, p) || hasReadahead(m, p)) break;
    p = f.head + f.nr;
  }
  return out;
}

/**
 * fs/buffer.c `block_is_partially_uptodate` as `filemap_range_uptodate` calls it: the blocks of the
 * folio at `head` (`nr` pages) that `[pos, pos + count)` covers are all uptodate, and the range does
 * not reach both its first and its last block.
 */
function partiallyUptodate(m: MappingState, head: number, nr: number, pos: bigint, count: number, bs: number): boolean {
  const fpos = pageStart(head);
  const size = nr * PAGE_SIZE;
  let from: number;
  let cnt = count;
  if (fpos > pos) {
    cnt -= Number(fpos - pos);
    from = 0;
  } else from = Number(pos - fpos);
  if (from === 0 && cnt >= size) return false;
  const to = from + Math.min(size - from, cnt);
  if (from < bs && to > size - bs) return false;
  const nb = PAGE_SIZE / bs;
  for (let b = Math.floor(from / bs); b * bs < to; b += 1) {
    const page = head + Math.floor(b / nb);
    if ((blockMask(m, page, nb) & 2 ** (b % nb)) === 0) return false;
  }
  return true;
}

/** `filemap_get_pages` for the rest of the request, `count` bytes from `pos`. */
function getPages(c: RaCtl, pos: bigint, count: number): Pages {
  const { m } = c;
  const index = pageIndex(pos);
  const lastIndex = pageIndex(pos + BigInt(count) + BigInt(PAGE_SIZE - 1));
  let batch = readBatch(m, index, lastIndex - 1);
  if (batch.length === 0) {
    syncRa(c, index, lastIndex - index);
    batch = readBatch(m, index, lastIndex - 1);
  }
  if (batch.length === 0) {
    // filemap_create_folio: readahead added nothing here; read the page alone.
    readFolio(c.k, m, c.inode.ino, index);
    const f = folioAt(m, index) as { head: number; nr: number };
    return { wait: { kind: 'read', folio: { ref: folioRef(m, index), nr: f.nr }, prefix: [] } };
  }
  const last = batch[batch.length - 1] as Held;
  if (hasReadahead(m, last.ref.head)) asyncRa(c, last.ref.head, lastIndex - last.ref.head);
  if (isUptodate(m, last.ref.head)) return { batch };
  if (stateAt(m, last.ref.head) === 'partial') {
    const bs = c.inode.blockSize;
    const nb = PAGE_SIZE / bs;
    // filemap_update_page → filemap_range_uptodate: with blocks smaller than the folio, a read of
    // uptodate blocks only copies them as they are (block_is_partially_uptodate).
    if (bs < PAGE_SIZE * last.nr && partiallyUptodate(m, last.ref.head, last.nr, pos, count, bs)) return { batch };
    // ->read_folio (fs/buffer.c block_read_full_folio): every buffer uptodate → uptodate without I/O.
    if (allBlocksUptodate(m, last.ref.head, nb)) {
      markUptodate(m, last.ref.head);
      return { batch };
    }
  }
  const prefix = batch.slice(0, -1);
  if (stateAt(m, last.ref.head) === 'locked') return { wait: { kind: 'locked', folio: last, prefix } };
  // filemap_update_page: unlocked and not uptodate (a failed read): read it again, holding it.
  readFolio(c.k, m, c.inode.ino, last.ref.head);
  return { wait: { kind: 'read', folio: last, prefix } };
}

function store(k: Kern, file: FileObj, ra: MutRa): void {
  k.t.own('files').set(file.id, file.with({ ra: { ...ra } }));
}

/**
 * `filemap_read` (through `ext4_file_read_iter` / `generic_file_read_iter`): copy up to `count` bytes
 * from `pos` to `sink`. Returns the bytes copied, a negative errno, or a `Sleep` to continue with
 * `resume` set to its `resume`.
 */
export function filemapRead(k: Kern, fileId: FileId, pos: bigint, count: number, sink: Sink, resume?: FilemapResume): number | Sleep {
  if (resume === undefined) {
    // generic_file_read_iter: an empty read returns at once; then filemap_read refuses a negative position.
    if (count === 0) return 0;
    if (pos < 0n) return -EINVAL;
  }
  const file = liveFile(k, fileId);
  const inode = inodeOf(k, file.ino);
  const m = mappingOf(k, inode.ino);
  const ra: MutRa = { ...file.ra };
  const c: RaCtl = { k, file: fileId, ra, inode, m, random: (file.fmode & FMODE_RANDOM) !== 0 };
  let at = resume?.pos ?? pos;
  let copied = resume?.copied ?? 0;
  let lastPos = resume?.lastPos ?? file.ra.prevPos;
  const total = resume?.count ?? count;
  let error = 0;
  let batch: readonly Held[] | null = null;
  let held = false;

  if (resume !== undefined) {
    const w = resume.wait;
    held = true;
    if (w.kind === 'locked') {
      // folio_put_wait_locked returned: look again, after copying the folios before it.
      batch = w.prefix.length > 0 ? w.prefix : null;
    } else {
      const f = w.folio.ref;
      const attached = isAttached(m, f);
      // folio_wait_locked_killable: locked again by another reader meanwhile: wait on.
      if (attached && stateAt(m, f.head) === 'locked') return new Sleep({ ino: inode.ino, pgoff: f.head }, resume);
      const ok = attached && isUptodate(m, f.head);
      // On success the folio joins the batch (its reference is dropped after the copy).
      if (ok) batch = [...w.prefix, w.folio];
      else {
        folioPut(m, f);
        if (attached) {
          // filemap_read_folio: the read failed again. shrink_readahead_size_eio.
          ra.raPages = Math.floor(ra.raPages / 4);
          if (w.prefix.length === 0) error = -EIO;
        }
        batch = w.prefix.length > 0 ? w.prefix : null;
      }
      if (error !== 0) held = false;
    }
    if (batch === null) held = false;
  }

  for (let rounds = 0; error === 0; rounds += 1) {
    const left = total - copied;
    if (left <= 0) break;
    if (batch === null) {
      if (at >= inode.size) break;
      const r = getPages(c, at, left);
      if ('err' in r) {
        error = r.err;
        break;
      }
      if ('wait' in r) {
        for (const h of r.wait.prefix) folioGet(m, h.ref);
        if (r.wait.kind === 'read') folioGet(m, r.wait.folio.ref);
        store(k, file, ra);
        const next: FilemapResume = { kind: 'filemap_read', pos: at, count: total, copied, lastPos, wait: r.wait };
        return new Sleep({ ino: inode.ino, pgoff: r.wait.folio.ref.head }, next);
      }
      batch = r.batch;
    }
    // i_size is read again once the folios are uptodate.
    const isize = inodeOf(k, inode.ino).size;
    if (at < isize) {
      const endOffset = isize < at + BigInt(total - copied) ? isize : at + BigInt(total - copied);
      for (const h of batch) {
        const fpos = pageStart(h.ref.head);
        if (endOffset < fpos) break;
        const fend = fpos + BigInt(h.nr * PAGE_SIZE);
        const n = Number((endOffset < fend ? endOffset : fend) - at);
        if (n <= 0) continue;
        sink(at, n, copied);
        copied += n;
        at += BigInt(n);
        lastPos = at;
      }
    }
    if (held) for (const h of batch) folioPut(m, h.ref);
    held = false;
    batch = null;
    if (at >= isize) break;
  }
  ra.prevPos = lastPos;
  store(k, file, ra);
  return copied > 0 ? copied : error;
}

/**
 * `__kernel_read(file, buf, count, &pos)` (fs/read_write.c): the kernel's own read of a file, without
 * `rw_verify_area` (no LSM `file_permission`, no position check of its own). In order: `count`
 * clamped to `MAX_RW_COUNT`; no `FMODE_READ` → -EINVAL (and a one-time WARN: a kernel read of a file
 * not opened for reading); no `FMODE_CAN_READ` (the file is still in its `security_file_open`) →
 * -EINVAL; then `->read_iter` = `filemap_read`.
 */
export function kernelRead(k: Kern, fileId: FileId, pos: bigint, count: number, sink: Sink, resume?: FilemapResume): number | Sleep {
  if (resume !== undefined) return filemapRead(k, fileId, pos, count, sink, resume);
  const file = liveFile(k, fileId);
  if ((file.fmode & FMODE_READ) === 0) {
    emit(k, { kind: 'warn', t: k.t.now, what: `__kernel_read: file#${fileId} not opened for reading (WARN_ON_ONCE)` });
    return -EINVAL;
  }
  if ((file.fmode & FMODE_CAN_READ) === 0) return -EINVAL;
  return filemapRead(k, fileId, pos, Math.min(count, MAX_RW_COUNT), sink);
}

/**
 * `vfs_read` for `pread64(fd, buf, count, pos)` (fs/read_write.c): no `FMODE_READ` → -EBADF; no
 * `FMODE_CAN_READ` → -EINVAL; `rw_verify_area` (a negative position, or `pos + count` past the
 * largest `loff_t` → -EINVAL); `count` clamped to `MAX_RW_COUNT`; then the read.
 */
export function vfsPread(k: Kern, fileId: FileId, pos: bigint, count: number | bigint, sink: Sink, resume?: FilemapResume): number | Sleep {
  const big = BigInt(count);
  const n = big > BigInt(MAX_RW_COUNT) ? MAX_RW_COUNT : Number(big);
  if (resume !== undefined) return filemapRead(k, fileId, pos, n, sink, resume);
  const file = liveFile(k, fileId);
  if ((file.fmode & FMODE_READ) === 0) return -EBADF;
  if ((file.fmode & FMODE_CAN_READ) === 0) return -EINVAL;
  if (pos < 0n || big < 0n || pos + big > S64_MAX) return -EINVAL;
  return filemapRead(k, fileId, pos, n, sink);
}
