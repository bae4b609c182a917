/**
 * Guest-tier script cases over the data file (conformance/cases/script.ts): hand-written ones for each
 * rule of the reader, readahead, fadvise, writes and truncation, and fast-check-generated ones that mix
 * a task's syscalls with a sleepable reader (`lsm.s/mmap_file`) and a later non-sleepable reader
 * (`lsm/mmap_file`) of other pages with no eviction between, so that the readahead the first did is
 * visible to the second and in the residency.
 *
 * Waits: a driver sleep (`sleep` step, 200 ms) comes before every non-sleepable reader and every
 * `POSIX_FADV_DONTNEED`, where a page still under readahead I/O would change the outcome (a locked
 * page is -EFAULT to `filemap_get_folio` readers and is not dropped); the driver also waits before
 * `mincore`. A DONTNEED is only generated while no written page may be dirty (writeback after it is
 * asynchronous).
 */
import fc from 'fast-check';
import { FileCaseBuilder } from './cases/file.ts';
import { exitPendingCase, scriptCase, taskWorkMapCase, type ScriptCase, type Step } from './cases/script.ts';
import type { FileCase } from './cases/file.ts';

const PG = 4096;
/** The data file: 48 whole pages and 1000 bytes (its last page, 48, is partial). */
export const DATA_SIZE = 48 * PG + 1000;
/** Out buffer of script readers: reads of up to 4 pages (readahead windows grow with the request). */
export const SOUT = 4 * PG;
const SETTLE: Step = { k: 'sleep', ms: 200 };

type Mode = 'r' | 'w' | 'rw';

const B = (id: string, ctx: 'mmap' | 'mmap.s' | 'open' | 'open.s'): FileCaseBuilder => new FileCaseBuilder(id, ctx, 0, SOUT);

/** Hand-written script cases, one rule each. */
export function handScriptCases(): ScriptCase[] {
  const S = DATA_SIZE;
  const out: ScriptCase[] = [];
  const open = (mode: Mode, fd = 0, append = false): Step => ({ k: 'open', fd, mode, ...(append ? { append } : {}) });
  const mm = (prog: string, fd = 0): Step => ({ k: 'mmap', fd, prog });
  const add = (id: string, rule: string, note: string, readers: FileCaseBuilder[], steps: Step[]): void => {
    out.push(scriptCase(id, rule, note, readers, steps));
  };
  // Readahead windows (notes §4.5), then a non-sleepable reader of pages the window brought in.
  add('s_ra16', 'readahead: sync window', '16 bytes at 0: pages 0-3 read (4× the request), marker on 1; the non-sleepable reader gets pages 1-3, -EFAULT on 4',
    [B('s_ra16_s', 'mmap.s').read(16, 0), B('s_ra16_n', 'mmap').read(16, PG).read(16, 3 * PG).read(16, 4 * PG).read(0, 5 * PG)],
    [open('r'), mm('s_ra16_s'), SETTLE, mm('s_ra16_n'), { k: 'close', fd: 0 }]);
  add('s_ra3p', 'readahead: sync window', '3 pages at 0: 4 → 16 pages with read_ahead_kb 8192 (8 with 128)',
    [B('s_ra3p_s', 'mmap.s').read(3 * PG, 0), B('s_ra3p_n', 'mmap').read(16, 15 * PG).read(16, 16 * PG)],
    [open('r'), mm('s_ra3p_s'), SETTLE, mm('s_ra3p_n'), { k: 'close', fd: 0 }]);
  add('s_rand10', 'readahead: small random read', '16 bytes at page 10 of a fresh file: only page 10',
    [B('s_rand10_s', 'mmap.s').read(16, 10 * PG), B('s_rand10_n', 'mmap').read(16, 10 * PG).read(16, 11 * PG)],
    [open('r'), mm('s_rand10_s'), SETTLE, mm('s_rand10_n'), { k: 'close', fd: 0 }]);
  add('s_async', 'readahead: async window', '16 bytes at 0 then at page 1 (the marker): the next window from page 4, marked on its first folio',
    [B('s_async_s', 'mmap.s').read(16, 0).read(16, PG).read(16, 5 * PG), B('s_async_n', 'mmap').read(16, 4 * PG).read(16, 19 * PG).read(16, 20 * PG)],
    [open('r'), mm('s_async_s'), SETTLE, mm('s_async_n'), { k: 'close', fd: 0 }]);
  add('s_seqpread', 'readahead: prev_pos', 'a pread of page 3 then a program read at page 4: sequential (prev_pos), a new window at 4',
    [B('s_seqpread_s', 'mmap.s').read(16, 4 * PG), B('s_seqpread_n', 'mmap').read(16, 7 * PG).read(16, 8 * PG)],
    [open('r'), { k: 'pread', fd: 0, off: 3 * PG, len: 100 }, SETTLE, mm('s_seqpread_s'), SETTLE, mm('s_seqpread_n'), { k: 'close', fd: 0 }]);
  add('s_eof', 'readahead: EOF', 'a read near EOF: the window stops at the page of the last byte; crossing EOF → -EIO after the bytes before it',
    [B('s_eof_s', 'mmap.s').read(16, 46 * PG).read(64, S - 10).read(1, S).read(0, S + PG), B('s_eof_n', 'mmap').read(16, 48 * PG).read(64, S - 10).read(1, 49 * PG)],
    [open('r'), { k: 'pread', fd: 0, off: 45 * PG, len: 16 }, SETTLE, mm('s_eof_s'), SETTLE, mm('s_eof_n'), { k: 'close', fd: 0 }]);
  add('s_zero', 'reader: zero length', 'a zero-length sleepable read is 0 and reads nothing; non-sleepable: -EFAULT on a cold page',
    [B('s_zero_s', 'mmap.s').read(0, 0).read(0, 5 * PG), B('s_zero_n', 'mmap').read(0, 0).read(0, 5 * PG)],
    [open('r'), mm('s_zero_s'), SETTLE, mm('s_zero_n'), { k: 'close', fd: 0 }]);
  add('s_neg', 'reader: negative position', 'a sleepable read at 2^63: filemap_read refuses a negative position (-EINVAL); non-sleepable -EFAULT',
    [B('s_neg_s', 'mmap.s').read(1, 1n << 63n).read(0, 1n << 63n), B('s_neg_n', 'mmap').read(1, 1n << 63n)],
    [open('r'), mm('s_neg_s'), SETTLE, mm('s_neg_n'), { k: 'close', fd: 0 }]);
  // fadvise, per struct file.
  add('s_random', 'fadvise: RANDOM', 'POSIX_FADV_RANDOM on the reader\'s file: only the pages asked for',
    [B('s_random_s', 'mmap.s').read(16, 0).read(3 * PG, 8 * PG), B('s_random_n', 'mmap').read(16, PG).read(16, 11 * PG)],
    [open('r'), { k: 'fadvise', fd: 0, off: 0, len: 0, advice: 1 }, mm('s_random_s'), SETTLE, mm('s_random_n'), { k: 'close', fd: 0 }]);
  add('s_random_other', 'fadvise: RANDOM', 'POSIX_FADV_RANDOM on another struct file of the inode: no effect on this one',
    [B('s_random_other_s', 'mmap.s').read(16, 0), B('s_random_other_n', 'mmap').read(16, 3 * PG)],
    [open('r'), open('r', 1), { k: 'fadvise', fd: 1, off: 0, len: 0, advice: 1 }, mm('s_random_other_s'), SETTLE, mm('s_random_other_n', 1), { k: 'close', fd: 0 }, { k: 'close', fd: 1 }]);
  add('s_seq', 'fadvise: SEQUENTIAL', 'POSIX_FADV_SEQUENTIAL doubles ra_pages (the window limit)',
    [B('s_seq_s', 'mmap.s').read(4 * PG, 0), B('s_seq_n', 'mmap').read(16, 15 * PG).read(16, 16 * PG)],
    [open('r'), { k: 'fadvise', fd: 0, off: 0, len: 0, advice: 2 }, mm('s_seq_s'), SETTLE, mm('s_seq_n'), { k: 'close', fd: 0 }]);
  add('s_willneed', 'fadvise: WILLNEED', 'POSIX_FADV_WILLNEED reads the range (partial pages included), no marker; a reader then finds it cached',
    [B('s_willneed_n', 'mmap').read(16, 20 * PG).read(16, 23 * PG).read(16, 24 * PG)],
    [open('r'), { k: 'fadvise', fd: 0, off: 20 * PG + 100, len: 3 * PG, advice: 3 }, SETTLE, mm('s_willneed_n'), { k: 'close', fd: 0 }]);
  add('s_dontneed', 'fadvise: DONTNEED', 'POSIX_FADV_DONTNEED drops whole pages only (the partial first and last pages stay), unless the range reaches EOF',
    [B('s_dontneed_n', 'mmap').read(16, 0).read(16, PG).read(16, 2 * PG).read(16, 3 * PG)],
    [open('r'), { k: 'pread', fd: 0, off: 0, len: 4 * PG }, SETTLE, { k: 'fadvise', fd: 0, off: 100, len: 2 * PG, advice: 4 }, mm('s_dontneed_n'), { k: 'close', fd: 0 }]);
  add('s_badadvice', 'fadvise: errors', 'an unknown advice → -EINVAL', [],
    [open('r'), { k: 'fadvise', fd: 0, off: 0, len: 0, advice: 9 }, { k: 'close', fd: 0 }]);
  // Open modes.
  add('s_wronly', 'open modes: O_WRONLY', 'an O_WRONLY file: pread -EBADF; the sleepable reader -EINVAL (no FMODE_READ); mmap -EACCES after the hook; the non-sleepable reader reads the cache',
    [B('s_wronly_s', 'mmap.s').read(16, 0).read(0, 0), B('s_wronly_n', 'mmap').read(16, 0)],
    [open('w'), { k: 'pread', fd: 0, off: 0, len: 16 }, { k: 'pwrite', fd: 0, off: 0, len: 100, fill: 3 }, mm('s_wronly_s'), SETTLE, mm('s_wronly_n'), { k: 'close', fd: 0 }]);
  add('s_rdonly_w', 'open modes: O_RDONLY', 'an O_RDONLY file: write -EBADF, ftruncate -EINVAL', [],
    [open('r'), { k: 'pwrite', fd: 0, off: 0, len: 10, fill: 1 }, { k: 'trunc', fd: 0, len: 10 }, { k: 'close', fd: 0 }]);
  // Files that change.
  add('s_append', 'writes: append', 'O_APPEND write extends the file; the sleepable reader reads past the old EOF, the new bytes come from the cache',
    [B('s_append_s', 'mmap.s').read(64, S - 32).read(16, S + 200).read(16, S + 2000), B('s_append_n', 'mmap').read(64, S - 32).read(16, 49 * PG)],
    [open('rw', 0, true), { k: 'pwrite', fd: 0, off: null, len: 3000, fill: 5 }, mm('s_append_s'), SETTLE, mm('s_append_n'), { k: 'close', fd: 0 }]);
  add('s_pwrite_cold', 'writes: partial page', 'a partial pwrite of a cold page reads it first; written pages are cached and dirty (DONTNEED keeps them until written back)',
    [B('s_pwrite_cold_n', 'mmap').read(16, 5 * PG).read(16, 5 * PG + 100).read(16, 6 * PG)],
    [open('rw'), { k: 'pwrite', fd: 0, off: 5 * PG + 100, len: 50, fill: 9 }, { k: 'fsync', fd: 0 }, SETTLE, mm('s_pwrite_cold_n'), { k: 'close', fd: 0 }]);
  add('s_trunc', 'truncate', 'ftruncate below cached pages: pages past the new size are gone; reads past it -EIO / -EFAULT; the partial last block is read and zeroed',
    [B('s_trunc_s', 'mmap.s').read(16, 0), B('s_trunc_n', 'mmap').read(16, 2 * PG).read(16, 3 * PG).read(16, 2 * PG + 50)],
    [open('rw'), mm('s_trunc_s'), SETTLE, { k: 'trunc', fd: 0, len: 2 * PG + 40 }, SETTLE, mm('s_trunc_n'), { k: 'close', fd: 0 }]);
  add('s_trunc_read', 'truncate', 'reads after ftruncate: a sleepable read across the new EOF → -EIO after the bytes before it; past it → -EIO',
    [B('s_trunc_read_s', 'mmap.s').read(64, 10 * PG - 20).read(16, 12 * PG).read(0, 12 * PG)],
    [open('rw'), { k: 'trunc', fd: 0, len: 10 * PG }, mm('s_trunc_read_s'), { k: 'close', fd: 0 }]);
  add('s_trunc_grow', 'truncate', 'ftruncate up: a hole past the old EOF reads as zeros',
    [B('s_trunc_grow_s', 'mmap.s').read(64, S - 32).read(32, 60 * PG), B('s_trunc_grow_n', 'mmap').read(64, S - 32).read(16, 60 * PG)],
    [open('rw'), { k: 'trunc', fd: 0, len: 64 * PG }, mm('s_trunc_grow_s'), SETTLE, mm('s_trunc_grow_n'), { k: 'close', fd: 0 }]);
  // ext4_block_zero_eof (fs/ext4/inode.c, fs/ext4/file.c): the rest of the block holding an unaligned
  // end is zeroed through the cache, its folio left partial; a read inside that block copies it as it
  // is (block_is_partially_uptodate), so the folio stays partial and mincore does not count it.
  add('s_trunc_up_eof', 'truncate', 'ftruncate up from the unaligned size: the old EOF block is read and zeroed past the end in a partial folio; a pread inside that block leaves it partial (not resident)', [],
    [open('rw'), { k: 'trunc', fd: 0, len: S + 3 * PG }, { k: 'pread', fd: 0, off: S - 16, len: 16 }, { k: 'close', fd: 0 }]);
  add('s_write_eof', 'writes: past EOF', 'a pwrite two pages past the unaligned EOF: the old EOF block is zeroed first (ext4_write_checks, 7.x); the written page is partial too; a pread inside the zeroed block leaves it partial', [],
    [open('rw'), { k: 'pwrite', fd: 0, off: S + 2 * PG + 100, len: 100, fill: 3 }, { k: 'pread', fd: 0, off: S - 16, len: 16 }, { k: 'close', fd: 0 }]);
  // write_begin_get_folio: a folio sized for the bytes the write offers (fgf_set_order), aligned.
  add('s_pw_large', 'writes: large folios', '11884 bytes from inside page 26: folio 26-27 (order 1) partial, 28 uptodate, 29 partial; 8192 bytes at page 32: folio 32-33 uptodate; then a pread of page 26 reads folio 26-27 whole', [],
    [open('rw'), { k: 'pwrite', fd: 0, off: 26 * PG + 2549, len: 11884, fill: 7 }, { k: 'pwrite', fd: 0, off: 32 * PG, len: 2 * PG, fill: 8 },
      { k: 'pwrite', fd: 0, off: 40 * PG + 2549, len: 11884, fill: 9 }, { k: 'pread', fd: 0, off: 40 * PG, len: 16 }, { k: 'close', fd: 0 }]);
  // Partial writes of pages not cached, and what the readers see of them afterwards.
  const P5 = 5 * PG;
  add('s_pw_nread', 'writes: partial page', 'a partial pwrite of a cold page, then the non-sleepable reader at, inside and after the written bytes',
    [B('s_pw_nread_n', 'mmap').read(16, P5).read(16, P5 + 100).read(16, P5 + 4000)],
    [open('rw'), { k: 'pwrite', fd: 0, off: P5 + 100, len: 50, fill: 11 }, SETTLE, mm('s_pw_nread_n'), { k: 'close', fd: 0 }]);
  add('s_pw_sread', 'writes: partial page', 'a partial pwrite of a cold page, then a sleepable read across the written bytes',
    [B('s_pw_sread_s', 'mmap.s').read(64, P5 + 80), B('s_pw_sread_n', 'mmap').read(16, P5 + 100)],
    [open('rw'), { k: 'pwrite', fd: 0, off: P5 + 100, len: 50, fill: 12 }, mm('s_pw_sread_s'), SETTLE, mm('s_pw_sread_n'), { k: 'close', fd: 0 }]);
  add('s_pw_warm', 'writes: partial page', 'a partial pwrite of a cached page: it stays uptodate',
    [B('s_pw_warm_n', 'mmap').read(16, P5).read(16, P5 + 100)],
    [open('rw'), { k: 'fadvise', fd: 0, off: 0, len: 0, advice: 1 }, { k: 'pread', fd: 0, off: P5, len: 16 }, { k: 'pwrite', fd: 0, off: P5 + 100, len: 50, fill: 13 }, SETTLE, mm('s_pw_warm_n'), { k: 'close', fd: 0 }]);
  add('s_pw_pread', 'writes: partial page', 'a partial pwrite of a cold page, then a pread of it, then the non-sleepable reader',
    [B('s_pw_pread_n', 'mmap').read(16, P5).read(16, P5 + 100)],
    [open('rw'), { k: 'pwrite', fd: 0, off: P5 + 100, len: 50, fill: 14 }, { k: 'pread', fd: 0, off: P5, len: 16 }, SETTLE, mm('s_pw_pread_n'), { k: 'close', fd: 0 }]);
  add('s_pw_synced', 'writes: partial page', 'a partial pwrite of a cold page, fsync, DONTNEED, then a sleepable read: the bytes come back from the disk',
    [B('s_pw_synced_s', 'mmap.s').read(64, P5 + 80)],
    [open('rw'), { k: 'pwrite', fd: 0, off: P5 + 100, len: 50, fill: 15 }, { k: 'fsync', fd: 0 }, SETTLE, { k: 'fadvise', fd: 0, off: 0, len: 0, advice: 4 }, mm('s_pw_synced_s'), { k: 'close', fd: 0 }]);
  add('s_pw_eofpage', 'writes: partial page', 'a partial pwrite of the cold last page (EOF inside it)',
    [B('s_pw_eofpage_n', 'mmap').read(16, 48 * PG).read(16, 48 * PG + 500)],
    [open('rw'), { k: 'pwrite', fd: 0, off: 48 * PG + 500, len: 20, fill: 16 }, SETTLE, mm('s_pw_eofpage_n'), { k: 'close', fd: 0 }]);
  // The file being opened (lsm/file_open's own file): do_dentry_open sets FMODE_CAN_READ after
  // security_file_open returns, so __kernel_read refuses it; filemap_get_folio does not look at f_mode.
  const ob = (prog: string, mode: Mode, fd = 1): Step => ({ k: 'open', fd, mode, prog });
  add('s_opening_s', 'reader: the file being opened', 'a sleepable reader of the file lsm.s/file_open is opening: -EINVAL (no FMODE_CAN_READ yet), even for cached pages, and no readahead',
    [B('s_opening_s_s', 'open.s').read(16, 0).read(16, 20 * PG).read(0, 0).size()],
    [open('r'), { k: 'pread', fd: 0, off: 0, len: 16 }, SETTLE, ob('s_opening_s_s', 'r'), SETTLE, { k: 'close', fd: 1 }, { k: 'close', fd: 0 }]);
  add('s_opening_n', 'reader: the file being opened', 'a non-sleepable reader of the file lsm/file_open is opening reads cached pages (f_mode is not looked at); -EFAULT on a cold one',
    [B('s_opening_n_n', 'open').read(16, 0).read(16, PG).read(16, 30 * PG)],
    [open('r'), { k: 'pread', fd: 0, off: 0, len: 16 }, SETTLE, ob('s_opening_n_n', 'r'), { k: 'close', fd: 1 }, { k: 'close', fd: 0 }]);
  add('s_opening_w', 'reader: the file being opened', 'lsm.s/file_open on an O_WRONLY open: -EINVAL (no FMODE_READ: __kernel_read WARNs), nothing read',
    [B('s_opening_w_s', 'open.s').read(16, 0)],
    [ob('s_opening_w_s', 'w', 0), SETTLE, { k: 'close', fd: 0 }]);
  add('s_opening_rw', 'reader: the file being opened', 'lsm.s/file_open on an O_RDWR open of a cold file: -EINVAL; then the same file open: a later sleepable reader reads',
    [B('s_opening_rw_s', 'open.s').read(16, 0), B('s_opening_rw_m', 'mmap.s').read(16, 0)],
    [ob('s_opening_rw_s', 'rw', 0), SETTLE, mm('s_opening_rw_m'), SETTLE, { k: 'close', fd: 0 }]);
  // FILE clone / slice / is_rdonly over the data file.
  add('s_clone', 'file: clone, slice, is_rdonly', 'a FILE clone shares the reader; slice copies into the buffer; is_rdonly true',
    [B('s_clone_s', 'mmap.s').clone().isRdonly(true).adjust(PG, 3 * PG, true).read(16, 0, true).slice(100, 64, false).size(), B('s_clone_n', 'mmap').clone().slice(PG, 16, true).read(16, 2 * PG).isRdonly()],
    [open('r'), mm('s_clone_s'), SETTLE, mm('s_clone_n'), { k: 'close', fd: 0 }]);
  // The task that exits with work pending.
  out.push(exitPendingCase('s_exitpending'), exitPendingCase('s_exitpending2', 2), exitPendingCase('s_exitpending3', 3));
  return out;
}

/** Hand-written HASH / LRU task_work cases (exe-style: run by opening the trigger). */
export function taskWorkMapCases(): FileCase[] {
  return [
    taskWorkMapCase('twm_h_resched', 'hash', { resched: true }, 'HASH: the callback deletes its own element and schedules through its value pointer: 0, and it runs a second time'),
    taskWorkMapCase('twm_h_reuse', 'hash', { resched: true, reuse: true }, 'HASH: …then key 1 takes the freed memory and its pending context: scheduling on it is -EBUSY; two runs'),
    taskWorkMapCase('twm_hn_resched', 'hash', { resched: true, noPrealloc: true }, 'HASH with BPF_F_NO_PREALLOC: deleting its own element and rescheduling: 0, a second run'),
    taskWorkMapCase('twm_hn_reuse', 'hash', { resched: true, reuse: true, noPrealloc: true }, 'HASH with BPF_F_NO_PREALLOC: the freed memory is reused by key 1 (-EBUSY on it)'),
    taskWorkMapCase('twm_l_resched', 'lru_hash', { resched: true }, 'LRU_HASH: deleting its own element and rescheduling: 0, a second run'),
    taskWorkMapCase('twm_l_reuse', 'lru_hash', { resched: true, reuse: true }, 'LRU_HASH: the freed node is reused by key 1 (-EBUSY on it)'),
    taskWorkMapCase('twm_h_update', 'hash', { then: 'update' }, 'HASH: an update of the scheduled key replaces the element and cancels the work: no run'),
    taskWorkMapCase('twm_l_update', 'lru_hash', { then: 'update' }, 'LRU_HASH: an update of the scheduled key cancels the work: no run'),
    taskWorkMapCase('twm_h_delete', 'hash', { then: 'delete' }, 'HASH: a delete of the scheduled key cancels the work: no run'),
    taskWorkMapCase('twm_hn_update', 'hash', { then: 'update', noPrealloc: true }, 'HASH with BPF_F_NO_PREALLOC: an update cancels the work: no run'),
  ];
}

// ---------------------------------------------------------------------------------------------
// Generated
// ---------------------------------------------------------------------------------------------

type ROp =
  | { k: 'read'; len: number; off: bigint; clone: boolean }
  | { k: 'adjust'; start: bigint; end: bigint }
  | { k: 'size' }
  | { k: 'clone' }
  | { k: 'slice'; off: bigint; sz: number }
  | { k: 'rdonly' };

type Pre =
  | { k: 'fadvise'; fd: number; off: number; len: number; advice: number }
  | { k: 'pread'; fd: number; off: number; len: number }
  | { k: 'pwrite'; off: number | null; len: number; fill: number }
  | { k: 'trunc'; len: number }
  | { k: 'fsync' };

interface GenScript {
  mode: Mode;
  append: boolean;
  second: boolean;
  pre: Pre[];
  sOps: ROp[];
  mid: Pre[];
  nOps: ROp[];
  nFd: number;
}

function pageEdges(size: number): bigint[] {
  const S = BigInt(size);
  const P = BigInt(PG);
  const last = ((S - 1n) / P) * P;
  return [0n, 1n, P - 16n, P, P + 1n, 2n * P, 3n * P, 4n * P - 1n, 4n * P, 5n * P, 7n * P, 8n * P, 10n * P, 15n * P, 16n * P, 19n * P, 20n * P,
    24n * P, 31n * P, 32n * P, 40n * P, last - P, last, last + 100n, S - 1n, S - 16n, S, S + 1n, last + P, last + 2n * P];
}

function roff(): fc.Arbitrary<bigint> {
  const edges = pageEdges(DATA_SIZE);
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...edges) },
    { weight: 2, arbitrary: fc.bigInt(0n, BigInt(DATA_SIZE + 2 * PG)) },
    { weight: 1, arbitrary: fc.constantFrom(1n << 63n, (1n << 64n) - 1n, 1n << 32n) },
  );
}

const rlen: fc.Arbitrary<number> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(0, 1, 16, 64, 512, PG, 2 * PG, 3 * PG, SOUT) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: SOUT }) },
);

function rops(sleepable: boolean): fc.Arbitrary<ROp[]> {
  const off = roff();
  const small = fc.bigInt(0n, BigInt(DATA_SIZE));
  return fc.array(fc.oneof(
    { weight: 8, arbitrary: fc.record({ k: fc.constant('read' as const), len: sleepable ? rlen : fc.constantFrom(0, 1, 16, 64, 512), off, clone: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('adjust' as const), start: small, end: fc.oneof(small, fc.constant((1n << 64n) - 1n)) }) },
    { weight: 1, arbitrary: fc.constant({ k: 'size' as const }) },
    { weight: 1, arbitrary: fc.constant({ k: 'clone' as const }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('slice' as const), off, sz: fc.constantFrom(1, 16, 64) }) },
    { weight: 1, arbitrary: fc.constant({ k: 'rdonly' as const }) },
  ), { minLength: 1, maxLength: 6 });
}

function preArb(writable: boolean, readable: boolean, second: boolean): fc.Arbitrary<Pre> {
  const pgOff = fc.oneof(fc.integer({ min: 0, max: 52 }).map((p) => p * PG), fc.integer({ min: 0, max: DATA_SIZE + 2 * PG }));
  const len = fc.oneof(fc.constantFrom(0, 1, 100, PG, 3 * PG, 8 * PG), fc.integer({ min: 0, max: 16 * PG }));
  const fd = second ? fc.constantFrom(0, 1) : fc.constant(0);
  const opts: fc.WeightedArbitrary<Pre>[] = [
    { weight: 3, arbitrary: fc.record({ k: fc.constant('fadvise' as const), fd, off: pgOff, len, advice: fc.constantFrom(0, 1, 2, 3, 4, 5, 9) }) },
  ];
  if (readable || second) opts.push({ weight: 3, arbitrary: fc.record({ k: fc.constant('pread' as const), fd: readable ? fd : fc.constant(1), off: pgOff, len: fc.integer({ min: 0, max: 4 * PG }) }) });
  if (writable) {
    opts.push(
      { weight: 2, arbitrary: fc.record({ k: fc.constant('pwrite' as const), off: fc.oneof(pgOff, fc.constant(null)), len: fc.integer({ min: 0, max: 3 * PG }), fill: fc.integer({ min: 0, max: 255 }) }) },
      { weight: 2, arbitrary: fc.record({ k: fc.constant('trunc' as const), len: fc.oneof(fc.integer({ min: 0, max: 60 }).map((p) => p * PG), fc.integer({ min: 0, max: 60 * PG })) }) },
      { weight: 1, arbitrary: fc.constant({ k: 'fsync' as const }) },
    );
  }
  return fc.oneof(...opts);
}

function genArb(): fc.Arbitrary<GenScript> {
  return fc.record({
    mode: fc.constantFrom<Mode>('r', 'r', 'r', 'rw', 'rw', 'w'),
    append: fc.boolean(),
    second: fc.boolean(),
  }).chain(({ mode, append, second }) => {
    const writable = mode !== 'r';
    const readable = mode !== 'w';
    return fc.record({
      mode: fc.constant(mode), append: fc.constant(append && writable), second: fc.constant(second),
      pre: fc.array(preArb(writable, readable, second), { maxLength: 3 }),
      sOps: rops(true),
      mid: fc.array(preArb(writable, readable, second), { maxLength: 2 }),
      nOps: rops(false),
      nFd: second ? fc.constantFrom(0, 1) : fc.constant(0),
    });
  });
}

function applyOps(b: FileCaseBuilder, ops: readonly ROp[]): FileCaseBuilder {
  let cloned = false;
  for (const o of ops) {
    // A second clone into the same slot would overwrite a referenced dynptr (the verifier refuses it).
    if (o.k === 'clone' && cloned) continue;
    if (o.k === 'clone') cloned = true;
    switch (o.k) {
      case 'read': b.read(o.len, o.off, o.clone); break;
      case 'adjust': b.adjust(o.start, o.end); break;
      case 'size': b.size(); break;
      case 'clone': b.clone(); break;
      case 'slice': b.slice(o.off, o.sz, true); break;
      case 'rdonly': b.isRdonly(true); break;
    }
  }
  return b;
}

/** The steps of pre/mid operations, with the settling sleeps and the dirty-page rule for DONTNEED. */
function preSteps(ps: readonly Pre[], state: { dirty: boolean }): Step[] {
  const out: Step[] = [];
  for (const p of ps) {
    switch (p.k) {
      case 'fadvise':
        if (p.advice === 4) {
          if (state.dirty) break;
          out.push(SETTLE);
        }
        out.push({ k: 'fadvise', fd: p.fd, off: p.off, len: p.len, advice: p.advice });
        break;
      case 'pread': out.push({ k: 'pread', fd: p.fd, off: p.off, len: p.len }); break;
      case 'pwrite': state.dirty = true; out.push({ k: 'pwrite', fd: 0, off: p.off, len: p.len, fill: p.fill }); break;
      case 'trunc': state.dirty = true; out.push({ k: 'trunc', fd: 0, len: p.len }); break;
      case 'fsync': state.dirty = false; out.push({ k: 'fsync', fd: 0 }); break;
    }
  }
  return out;
}

/** `count` generated script cases from `seed`. */
export function generatedScriptCases(count: number, seed: number): ScriptCase[] {
  return fc.sample(genArb(), { numRuns: count, seed }).map((g, i) => {
    const id = `sg${i}`;
    const state = { dirty: false };
    const steps: Step[] = [{ k: 'open', fd: 0, mode: g.mode, ...(g.append ? { append: true } : {}) }];
    if (g.second) steps.push({ k: 'open', fd: 1, mode: 'r' });
    steps.push(...preSteps(g.pre, state), { k: 'mmap', fd: 0, prog: `${id}_s` }, ...preSteps(g.mid, state), SETTLE, { k: 'mmap', fd: g.nFd, prog: `${id}_n` });
    steps.push({ k: 'close', fd: 0 });
    if (g.second) steps.push({ k: 'close', fd: 1 });
    const sb = applyOps(B(`${id}_s`, 'mmap.s'), g.sOps);
    const nb = applyOps(B(`${id}_n`, 'mmap'), g.nOps);
    return scriptCase(id, 'generated (script)', `${g.mode}${g.append ? '|append' : ''}${g.second ? ', 2 files' : ''}: ${g.pre.length} + ${g.mid.length} syscalls, ${g.sOps.length} sleepable + ${g.nOps.length} non-sleepable ops`,
      [sb, nb], steps, { generated: true });
  });
}
