/**
 * Issue 12: open modes, posix_fadvise, readahead settings, writes and truncation, worked by hand from
 * the kernel rules quoted next to each (fs/open.c, fs/read_write.c,
 * mm/fadvise.c, mm/readahead.c, mm/truncate.c).
 */
import { describe, expect, test } from 'vitest';
import { content, EBADF, EINVAL, EIO, Session } from '../src/index.ts';
import { folioAt, type MappingState } from '../src/pagecache/index.ts';

const P = 4096;

function file(pages: number, opts: { readAheadKb?: number; blockSize?: number } = {}): Session {
  const s = new Session();
  s.createFile({ path: '/f', content: content.pattern(2), size: pages * P, ...opts });
  return s;
}

describe('open modes (fs/open.c do_dentry_open, fs/read_write.c)', () => {
  test('O_WRONLY: pread -EBADF (vfs_read); write works; a sleepable FILE reader -EINVAL with a WARN (__kernel_read: no FMODE_READ)', () => {
    const s = file(2);
    const w = s.open('/f', 'O_WRONLY');
    expect(s.pread(w, new Uint8Array(4), 0)).toBe(-EBADF);
    expect(s.pwrite(w, new Uint8Array([1, 2, 3]), 10)).toBe(3);
    s.sleepable(true);
    expect(s.bpf_dynptr_from_file(w, 0, 'd')).toBe(0);
    expect(s.bpf_dynptr_read(new Uint8Array(4), 4, 'd', 0, 0)).toBe(-EINVAL);
    expect(s.events().some((e) => e.kind === 'warn')).toBe(true);
    // The non-sleepable reader does not look at f_mode: the written page is cached and uptodate.
    s.sleepable(false);
    expect(s.bpf_dynptr_from_file(w, 0, 'n')).toBe(0);
    const got = new Uint8Array(3);
    expect(s.bpf_dynptr_read(got, 3, 'n', 10, 0)).toBe(0);
    expect([...got]).toEqual([1, 2, 3]);
  });

  test('O_RDONLY: write -EBADF (vfs_write: no FMODE_WRITE); ftruncate -EINVAL (do_ftruncate)', () => {
    const s = file(1);
    const r = s.open('/f');
    expect(s.pwrite(r, new Uint8Array(1), 0)).toBe(-EBADF);
    expect(s.ftruncate(r, 0)).toBe(-EINVAL);
    expect(s.world.inodes.get(1)?.size).toBe(BigInt(P));
  });

  test('O_APPEND: write(2) and pwrite both write at i_size (generic_write_checks)', () => {
    const s = file(1);
    const a = s.open('/f', 'O_RDWR|O_APPEND');
    expect(s.write(a, new Uint8Array([7]))).toBe(1);
    expect(s.pwrite(a, new Uint8Array([8]), 0)).toBe(1);
    expect(s.world.inodes.get(1)?.size).toBe(BigInt(P + 2));
    const got = new Uint8Array(2);
    expect(s.pread(a, got, P)).toBe(2);
    expect([...got]).toEqual([7, 8]);
  });
});

describe('readahead settings and advice (mm/readahead.c, mm/fadvise.c)', () => {
  test('read_ahead_kb: a 3-page read at 0 reads 8 pages with 128 KiB, 16 with 8192 KiB; files opened earlier keep their ra_pages', () => {
    // get_init_ra_size(req 3 → 4, max): 4 ≤ 32/32? no; 4 ≤ 32/4 → 8 pages; with max 2048: 4 ≤ 64 → 16.
    const s = file(32);
    const early = s.open('/f');
    s.setReadAheadKb('/f', 8192);
    const late = s.open('/f');
    expect(s.readahead(early).raPages).toBe(32);
    expect(s.readahead(late).raPages).toBe(2048);
    expect(s.pread(late, new Uint8Array(3 * P), 0)).toBe(3 * P);
    expect(s.pages('/f')).toEqual({ uptodate: '0-2,4-15', 'uptodate+ra': '3' });
    s.dropCaches();
    expect(s.pread(early, new Uint8Array(3 * P), 0)).toBe(3 * P);
    expect(s.pages('/f')).toEqual({ uptodate: '0-2,4-7', 'uptodate+ra': '3' });
  });

  test('RANDOM (FMODE_RANDOM) on one struct file: only the pages asked for; another struct file reads ahead as usual', () => {
    const s = file(16);
    const a = s.open('/f');
    const b = s.open('/f');
    expect(s.fadvise(a, 0, 0, 'RANDOM')).toBe(0);
    expect(s.pread(a, new Uint8Array(16), 0)).toBe(16);
    expect(s.pages('/f')).toEqual({ uptodate: '0' });
    expect(s.pread(b, new Uint8Array(16), 4 * P)).toBe(16);
    // b: a fresh file at page 4 with page 3 not cached: a small random read, page 4 only.
    expect(s.pages('/f')).toEqual({ uptodate: '0,4' });
    expect(s.fadvise(a, 0, 0, 'NORMAL')).toBe(0);
    s.dropCaches();
    expect(s.pread(a, new Uint8Array(16), 0)).toBe(16);
    expect(s.pages('/f')).toEqual({ uptodate: '0,2-3', 'uptodate+ra': '1' });
  });

  test('SEQUENTIAL doubles ra_pages; NORMAL sets it back to the device\'s', () => {
    const s = file(4);
    const f = s.open('/f');
    expect(s.fadvise(f, 0, 0, 'SEQUENTIAL')).toBe(0);
    expect(s.readahead(f).raPages).toBe(64);
    expect(s.fadvise(f, 0, 0, 'NORMAL')).toBe(0);
    expect(s.readahead(f).raPages).toBe(32);
  });

  test('WILLNEED reads the pages holding the range (partial ones included), no marker, f_ra untouched', () => {
    const s = file(16);
    const f = s.open('/f');
    const before = s.readahead(f);
    expect(s.fadvise(f, 2 * P + 100, 2 * P, 'WILLNEED')).toBe(0);
    s.finishIo();
    expect(s.pages('/f')).toEqual({ uptodate: '2-4' });
    expect(s.readahead(f)).toEqual(before);
  });

  test('DONTNEED drops whole pages only: the partial first and last pages stay, unless the range reaches EOF', () => {
    const s = file(8);
    const f = s.open('/f');
    s.populate('/f');
    expect(s.fadvise(f, 100, 3 * P, 'DONTNEED')).toBe(0); // bytes [100, 3P+100): whole pages 1-2
    expect(s.pages('/f')).toEqual({ uptodate: '0,3-7' });
    expect(s.fadvise(f, 5 * P + 1, 3 * P - 1, 'DONTNEED')).toBe(0); // reaches EOF (8P − 1): pages 6-7
    expect(s.pages('/f')).toEqual({ uptodate: '0,3-5' });
  });

  test('errors: an unknown advice or a negative length → -EINVAL, nothing changes', () => {
    const s = file(2);
    const f = s.open('/f');
    s.populate('/f');
    expect(s.fadvise(f, 0, 0, 9)).toBe(-EINVAL);
    expect(s.fadvise(f, 0, -1, 'DONTNEED')).toBe(-EINVAL);
    expect(s.pages('/f')).toEqual({ uptodate: '0-1' });
  });
});

describe('writes and truncation (mm/filemap.c generic_perform_write, mm/truncate.c, fs/ext4)', () => {
  test('dirty pages survive DONTNEED until written back; fsync makes them clean', () => {
    const s = file(4);
    const f = s.open('/f', 'O_RDWR');
    expect(s.pwrite(f, new Uint8Array(P), P)).toBe(P); // a whole page: no read before
    expect(s.pages('/f')).toEqual({ 'uptodate+dirty': '1' });
    expect(s.fsync(f)).toBe(0);
    expect(s.pages('/f')).toEqual({ uptodate: '1' });
    expect(s.fadvise(f, 0, 0, 'DONTNEED')).toBe(0);
    expect(s.pages('/f')).toEqual({});
  });

  test('a partial write of a cold page reads it first (one I/O); a write past EOF leaves a hole of zeros', () => {
    const s = file(2);
    const f = s.open('/f', 'O_RDWR');
    expect(s.pwrite(f, new Uint8Array([9]), 100)).toBe(1);
    expect(s.events().filter((e) => e.kind === 'io_submit').map((e) => (e.kind === 'io_submit' ? e.pgoff : -1))).toEqual([0]);
    expect(s.pwrite(f, new Uint8Array([5]), 5 * P)).toBe(1);
    expect(s.world.inodes.get(1)?.size).toBe(BigInt(5 * P + 1));
    const hole = new Uint8Array(8).fill(0xee);
    expect(s.pread(f, hole, 3 * P)).toBe(8);
    expect([...hole]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });

  test('a truncation removes a folio the non-sleepable reader holds; the reader still reads its old bytes until it moves; the sleepable reader sees the new EOF', () => {
    const s = file(4);
    const f = s.open('/f', 'O_RDWR');
    s.populate('/f');
    expect(s.bpf_dynptr_from_file(f, 0, 'n')).toBe(0);
    const old = new Uint8Array(8);
    expect(s.bpf_dynptr_read(old, 8, 'n', 3 * P + 8, 0)).toBe(0); // holds page 3
    expect(s.ftruncate(f, P)).toBe(0);
    expect(s.pages('/f')).toEqual({ uptodate: '0' });
    expect(s.refs().folioRefs).toBe(1); // the detached folio
    const again = new Uint8Array(8);
    expect(s.bpf_dynptr_read(again, 8, 'n', 3 * P + 8, 0)).toBe(0);
    expect(again).toEqual(old);
    // Moving to another folio drops the detached one; page 3 is gone from the cache.
    expect(s.bpf_dynptr_read(new Uint8Array(1), 1, 'n', 0, 0)).toBe(0);
    expect(s.bpf_dynptr_read(new Uint8Array(1), 1, 'n', 3 * P + 8, 0)).toBe(-14);
    s.sleepable(true);
    expect(s.bpf_dynptr_from_file(f, 0, 's')).toBe(0);
    expect(s.bpf_dynptr_read(new Uint8Array(8), 8, 's', P - 4, 0)).toBe(-EIO);
    s.sleepable(false);
    expect(s.bpf_dynptr_file_discard('n')).toBe(0);
    expect(s.bpf_dynptr_file_discard('s')).toBe(0);
    expect(s.refs().folioRefs).toBe(0);
  });

  test('truncating to an unaligned size reads the new last block into a folio that is not uptodate (ext4 zeroes its tail)', () => {
    const s = file(4);
    const f = s.open('/f', 'O_RDWR');
    expect(s.ftruncate(f, P + 10)).toBe(0);
    expect(s.pages('/f')).toEqual({ 'partial+dirty': '1' });
    // filemap_get_folio readers see it not uptodate; the buffered read path reads it without I/O.
    expect(s.bpf_dynptr_from_file(f, 0, 'n')).toBe(0);
    expect(s.bpf_dynptr_read(new Uint8Array(4), 4, 'n', P, 0)).toBe(-14);
    const before = s.events().filter((e) => e.kind === 'io_submit').length;
    const got = new Uint8Array(16).fill(0xee);
    expect(s.pread(f, got, P)).toBe(10);
    expect([...got.subarray(10)]).toEqual(new Array(6).fill(0xee));
    expect(s.events().filter((e) => e.kind === 'io_submit').length).toBe(before);
    expect(s.bpf_dynptr_file_discard('n')).toBe(0);
  });

  // fs/ext4/inode.c ext4_setattr, truncate up: ext4_block_zero_eof(inode, oldsize, …) zeroes the rest
  // of the block holding the old end through the cache (ext4_load_tail_bh: the folio made, the block
  // read); a read within that block then needs no I/O (block_is_partially_uptodate), so the folio stays
  // not uptodate: mincore does not count it (the 7.2 guest tier's sg42, seed 31337).
  test('a truncate up from an unaligned size zeroes the old end block through the cache: its folio dirty and not uptodate; a read inside that block leaves it so', () => {
    const s = new Session({ version: '7.2' });
    s.createFile({ path: '/f', content: content.pattern(2), size: P + 1000, blockSize: 1024 });
    const f = s.open('/f', 'O_RDWR');
    expect(s.ftruncate(f, 3 * P)).toBe(0);
    expect(s.pages('/f')).toEqual({ 'partial+dirty': '1' });
    expect(s.world.pagecache.get(1)?.blocks.get(1)).toBe(0b0001);
    const before = s.events().filter((e) => e.kind === 'io_submit').length;
    expect(s.pread(f, new Uint8Array(16), P + 1000)).toBe(16);
    expect(s.events().filter((e) => e.kind === 'io_submit').length).toBe(before);
    expect(s.pages('/f')).toEqual({ 'partial+dirty': '1' });
  });

  test('a truncate that takes a partial page out of the cache drops its uptodate blocks with it; one that keeps it keeps them', () => {
    const s = new Session({ version: '7.2' });
    s.createFile({ path: '/f', content: content.pattern(2), size: 3 * P + 1000, blockSize: 1024 });
    const f = s.open('/f', 'O_RDWR');
    // Up from an unaligned size: the old end block's page (3) is made partial, its first block uptodate.
    expect(s.ftruncate(f, 5 * P)).toBe(0);
    expect(s.pages('/f')).toEqual({ 'partial+dirty': '3' });
    const blocks = (): [number, number][] => [...(s.world.pagecache.get(1)?.blocks ?? new Map<number, number>())];
    expect(blocks()).toEqual([[3, 0b0001]]);
    // Down to the start of page 4: page 3 stays, and so does its mask.
    expect(s.ftruncate(f, 4 * P)).toBe(0);
    expect(s.pages('/f')).toEqual({ 'partial+dirty': '3' });
    expect(blocks()).toEqual([[3, 0b0001]]);
    // Down to the start of page 3, the last page cached: it leaves the cache, and its mask with it.
    expect(s.ftruncate(f, 3 * P)).toBe(0);
    expect(s.pages('/f')).toEqual({});
    expect(blocks()).toEqual([]);
  });

  test('a truncate up from a block-aligned size touches no folio', () => {
    const s = new Session({ version: '7.2' });
    s.createFile({ path: '/f', content: content.pattern(2), size: P + 1024, blockSize: 1024 });
    const f = s.open('/f', 'O_RDWR');
    expect(s.ftruncate(f, 3 * P)).toBe(0);
    expect(s.pages('/f')).toEqual({});
  });

  // fs/ext4/file.c ext4_write_checks (7.2.13): a write past the end first zeroes the old end's block
  // (ext4_block_zero_eof(inode, old_size, pos)); the 6.x rows have no such step (ext4ZeroEofOnWrite).
  test('a write past the end zeroes the old end block first on 7.2, not on 6.18', () => {
    for (const [version, want] of [['7.2', { 'partial+dirty': '0,2' }], ['6.18', { 'partial+dirty': '2' }]] as const) {
      const s = new Session({ version });
      s.createFile({ path: '/f', content: content.pattern(2), size: 1000, blockSize: 1024 });
      const f = s.open('/f', 'O_RDWR');
      expect(s.pwrite(f, new Uint8Array(8).fill(1), 2 * P + 100)).toBe(8);
      expect(s.pages('/f'), version).toEqual(want);
    }
  });

  // mm/filemap.c generic_perform_write offers write_begin the bytes up to the end of the largest folio;
  // ext4_da_write_begin → write_begin_get_folio → __filemap_get_folio(FGP_WRITEBEGIN |
  // fgf_set_order(len)): the order of len's power-of-two floor (0 below 8 KiB), capped at the mapping's
  // largest, lowered to the index's alignment, and lowered again while the range holds a cached page
  // (filemap_add_folio: -EEXIST). A large folio is uptodate only when all its buffers are
  // (__block_commit_write), which is what mincore counts (the 7.2 guest tier's sg266, seed 31337).
  describe('folios a write makes on a mapping with large folios (ext4, 7.x)', () => {
    const big = (): { s: Session; f: number } => {
      const s = new Session({ version: '7.2' });
      s.createFile({ path: '/f', content: content.pattern(2), size: 40 * P, blockSize: 1024, maxFolioOrder: 9 });
      return { s, f: s.open('/f', 'O_RDWR') };
    };
    const folio = (s: Session, page: number): { head: number; nr: number } | undefined => folioAt(s.world.pagecache.get(1) as MappingState, page);

    test('11884 bytes from inside page 26: an order-1 folio 26-27 left partial (page 26 is not all written), page 28 alone and uptodate, page 29 partial', () => {
      const { s, f } = big();
      expect(s.pwrite(f, new Uint8Array(11884).fill(5), 26 * P + 2549)).toBe(11884);
      expect(folio(s, 27)).toEqual({ head: 26, nr: 2 });
      expect(folio(s, 28)).toEqual({ head: 28, nr: 1 });
      expect(s.pages('/f')).toEqual({ 'partial+dirty': '26-27,29', 'uptodate+dirty': '28' });
    });

    test('16 KiB at page 8: one order-2 folio, all written: uptodate', () => {
      const { s, f } = big();
      expect(s.pwrite(f, new Uint8Array(4 * P).fill(5), 8 * P)).toBe(4 * P);
      expect(folio(s, 11)).toEqual({ head: 8, nr: 4 });
      expect(s.pages('/f')).toEqual({ 'uptodate+dirty': '8-11' });
    });

    test('16 KiB at page 3: order 2 lowered to the index (order 0), then 12 KiB left at page 4 (order 1), then page 6', () => {
      const { s, f } = big();
      expect(s.pwrite(f, new Uint8Array(4 * P).fill(5), 3 * P)).toBe(4 * P);
      expect([folio(s, 3), folio(s, 5), folio(s, 6)]).toEqual([{ head: 3, nr: 1 }, { head: 4, nr: 2 }, { head: 6, nr: 1 }]);
    });

    test('a cached page inside the range makes the folio smaller: page 9 cached, 16 KiB at page 8 → page 8 alone, page 9 as it was, 10-11 together', () => {
      const { s, f } = big();
      expect(s.pread(f, new Uint8Array(16), 9 * P)).toBe(16);
      expect(s.pwrite(f, new Uint8Array(4 * P).fill(5), 8 * P)).toBe(4 * P);
      expect([folio(s, 8), folio(s, 9), folio(s, 10)]).toEqual([{ head: 8, nr: 1 }, { head: 9, nr: 1 }, { head: 10, nr: 2 }]);
      expect(s.pages('/f')).toEqual({ 'uptodate+dirty': '8-11' });
    });

    test('a read of the partial large folio outside its uptodate blocks reads it whole (block_read_full_folio): then uptodate', () => {
      const { s, f } = big();
      expect(s.pwrite(f, new Uint8Array(11884).fill(5), 26 * P + 2549)).toBe(11884);
      const got = new Uint8Array(16);
      expect(s.pread(f, got, 26 * P)).toBe(16);
      expect(s.pages('/f')['uptodate+dirty']).toBe('26-28');
    });
  });

  describe('blocks smaller than a page (fs/buffer.c; ext4 with 1 KiB blocks, as on the guest)', () => {
    const ios = (s: Session): number[] => s.events().flatMap((e) => (e.kind === 'io_submit' ? [e.pgoff] : []));
    const blocksOf = (s: Session, page: number): number | undefined => s.world.pagecache.get(1)?.blocks.get(page);

    test('a partial write of a cold page reads only the block it partly covers; the folio is cached but not uptodate', () => {
      const s = file(4, { blockSize: 1024 });
      const f = s.open('/f', 'O_RDWR');
      // __block_write_begin_int: block 0 of page 1 is partly overwritten and mapped → read; blocks
      // 1-3 are not touched. __block_commit_write: not every block uptodate → no folio_mark_uptodate.
      expect(s.pwrite(f, new Uint8Array(50).fill(3), P + 100)).toBe(50);
      expect(ios(s)).toEqual([1]);
      expect(s.pages('/f')).toEqual({ 'partial+dirty': '1' });
      expect(blocksOf(s, 1)).toBe(0b0001);
      // filemap_get_folio readers (the non-sleepable FILE reader, mincore) see it not uptodate.
      expect(s.bpf_dynptr_from_file(f, 0, 'n')).toBe(0);
      expect(s.bpf_dynptr_read(new Uint8Array(4), 4, 'n', P + 100, 0)).toBe(-14);
      expect(s.bpf_dynptr_file_discard('n')).toBe(0);
      // A buffered read of the uptodate block only: block_is_partially_uptodate, no I/O, still partial.
      const got = new Uint8Array(60);
      expect(s.pread(f, got, P + 90)).toBe(60);
      expect([...got.subarray(10, 60)]).toEqual(new Array(50).fill(3));
      expect(ios(s)).toEqual([1]);
      expect(s.pages('/f')).toEqual({ 'partial+dirty': '1' });
      // A read reaching another block: ->read_folio reads the folio, which is then uptodate.
      expect(s.pread(f, new Uint8Array(8), P + 2000)).toBe(8);
      expect(ios(s)).toEqual([1, 1]);
      expect(s.pages('/f')).toEqual({ 'uptodate+dirty': '1' });
    });

    test('a write of whole blocks reads nothing; the folio is uptodate once every block is', () => {
      const s = file(4, { blockSize: 1024 });
      const f = s.open('/f', 'O_RDWR');
      expect(s.pwrite(f, new Uint8Array(1024).fill(1), 1024)).toBe(1024);
      expect(ios(s)).toEqual([]);
      expect(blocksOf(s, 0)).toBe(0b0010);
      expect(s.pwrite(f, new Uint8Array(2048).fill(2), 2048)).toBe(2048);
      expect(s.pages('/f')).toEqual({ 'partial+dirty': '0' });
      expect(blocksOf(s, 0)).toBe(0b1110);
      // The last block partly: read (mapped), then every block uptodate → the folio is.
      expect(s.pwrite(f, new Uint8Array(10).fill(4), 10)).toBe(10);
      expect(ios(s)).toEqual([0]);
      expect(s.pages('/f')).toEqual({ 'uptodate+dirty': '0' });
    });

    test('a partial write into a hole (past the old EOF) reads nothing: new blocks are zeroed around the write', () => {
      const s = file(1, { blockSize: 1024 });
      const f = s.open('/f', 'O_RDWR');
      expect(s.pwrite(f, new Uint8Array([7]), 2 * P + 1500)).toBe(1);
      expect(ios(s)).toEqual([]);
      expect(blocksOf(s, 2)).toBe(0b0010);
      const got = new Uint8Array(4).fill(0xee);
      expect(s.pread(f, got, 2 * P + 1499)).toBe(2);
      expect([...got]).toEqual([0, 7, 0xee, 0xee]);
      expect(ios(s)).toEqual([]);
    });

    test('with 4 KiB blocks a truncation\'s block read leaves the folio not uptodate; ->read_folio then needs no I/O (i_blkbits = folio shift: no partial check)', () => {
      const s = file(4);
      const f = s.open('/f', 'O_RDWR');
      expect(s.ftruncate(f, P + 10)).toBe(0);
      expect(blocksOf(s, 1)).toBe(0b1);
      expect(s.pread(f, new Uint8Array(4), P)).toBe(4);
      expect(ios(s)).toEqual([1]);
      expect(s.pages('/f')).toEqual({ 'uptodate+dirty': '1' });
    });
  });
});
