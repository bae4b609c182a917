/**
 * FILE dynptrs (bpf_dynptr_from_file, file reader, discard) — SEMANTICS.md "Dynptrs" table, the
 * reader paragraph, "Page cache" and the FILE rows of "Observed on real kernels". File bytes are
 * held by the test (content.bytes) so every expected byte is computed here, not taken from the model.
 */
import { describe, expect, test } from 'vitest';
import {
  content, E2BIG, EFAULT, EINVAL, EIO, ENOMEM, ERANGE, KfuncUnavailableError, PAGE_SIZE, Session, UseAfterFreeError,
  type FileId,
} from '../src/index.ts';

const U64 = 2n ** 64n;
const U64_MAX_V = U64 - 1n;
const P = 4096;

/** Deterministic, non-zero-heavy file bytes, independent of the model's pattern generator. */
function bytesOf(n: number, salt = 0): Uint8Array {
  const b = new Uint8Array(n);
  let x = (0x9e3779b9 ^ salt) >>> 0;
  for (let i = 0; i < n; i += 1) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    b[i] = (x >>> 24) | 1; // never 0, so zeros mean "past EOF"
  }
  return b;
}

interface Setup {
  s: Session;
  f: FileId;
  data: Uint8Array;
  path: string;
}

/**
 * A session with a file of `size` bytes at `/f` (held as `data`), opened as `f`, and a FILE dynptr
 * `d` built in the given context. `warm` populates the whole file first.
 */
function fileSetup(size: number, opts: { sleepable?: boolean; warm?: boolean; ioLatency?: number; secretmem?: boolean } = {}): Setup {
  const s = new Session();
  const data = bytesOf(size);
  const path = '/f';
  s.createFile({ path, content: content.bytes(data), ioLatency: opts.ioLatency ?? 100, secretmem: opts.secretmem ?? false });
  const f = s.open(path);
  if (opts.warm === true) s.populate(path);
  s.sleepable(opts.sleepable ?? false);
  expect(s.bpf_dynptr_from_file(f, 0, 'd')).toBe(0);
  return { s, f, data, path };
}

/** Expected bytes of `[off, off + len)` of a file: `data` then zeros past EOF. */
function expected(data: Uint8Array, off: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  const inFile = data.subarray(Math.min(off, data.length), Math.min(off + len, data.length));
  out.set(inFile, 0);
  return out;
}

describe('bpf_dynptr_from_file', () => {
  test('a fresh FILE dynptr: not null, read-only, size U64_MAX', () => {
    const { s } = fileSetup(100, { warm: true });
    expect(s.bpf_dynptr_is_null('d')).toBe(false);
    expect(s.bpf_dynptr_is_rdonly('d')).toBe(true);
    expect(s.bpf_dynptr_size('d')).toBe(U64_MAX_V);
  });

  test('flags ≠ 0 → -EINVAL; then size/read/adjust → -EINVAL and discard → 0', () => {
    const s = new Session();
    s.createFile({ path: '/f', content: content.bytes(bytesOf(100)) });
    s.populate('/f');
    const f = s.open('/f');
    expect(s.bpf_dynptr_from_file(f, 1, 'd')).toBe(-EINVAL);
    expect(s.bpf_dynptr_is_null('d')).toBe(true);
    expect(s.bpf_dynptr_size('d')).toBe(U64 - 22n);
    const dst = new Uint8Array([5, 5, 5, 5]);
    expect(s.bpf_dynptr_read(dst, 4, 'd', 0, 0)).toBe(-EINVAL);
    expect(dst).toEqual(new Uint8Array([5, 5, 5, 5]));
    expect(s.bpf_dynptr_adjust('d', 0, 1)).toBe(-EINVAL);
    expect(s.bpf_dynptr_file_discard('d')).toBe(0);
    expect(s.refs().liveFileStates).toBe(0);
  });

  test('flags -1 (0xffffffff as u32) → -EINVAL and null', () => {
    const s = new Session();
    s.createFile({ path: '/f', content: content.bytes(bytesOf(10)) });
    const f = s.open('/f');
    expect(s.bpf_dynptr_from_file(f, -1, 'd')).toBe(-EINVAL);
    expect(s.bpf_dynptr_is_null('d')).toBe(true);
  });

  test('an injected allocation failure → -ENOMEM and null; the next call succeeds', () => {
    const s = new Session();
    s.createFile({ path: '/f', content: content.bytes(bytesOf(10)) });
    const f = s.open('/f');
    s.injectAllocFailure();
    expect(s.bpf_dynptr_from_file(f, 0, 'd')).toBe(-ENOMEM);
    expect(s.bpf_dynptr_is_null('d')).toBe(true);
    expect(s.refs().liveFileStates).toBe(0);
    expect(s.bpf_dynptr_file_discard('d')).toBe(0);
    expect(s.bpf_dynptr_from_file(f, 0, 'd')).toBe(0);
    expect(s.bpf_dynptr_is_null('d')).toBe(false);
    expect(s.refs().liveFileStates).toBe(1);
  });

  test('takes no file reference of its own', () => {
    const { s, f } = fileSetup(10);
    expect(s.refs().files[f]).toBe(1);
    expect(s.bpf_dynptr_file_discard('d')).toBe(0);
    expect(s.refs().files[f]).toBe(1);
  });

  test("a '6.18' world has no bpf_dynptr_from_file: KfuncUnavailableError", () => {
    const s = new Session({ version: '6.18' });
    s.createFile({ path: '/f', content: content.bytes(bytesOf(10)) });
    const f = s.open('/f');
    expect(() => s.bpf_dynptr_from_file(f, 0, 'd')).toThrow(KfuncUnavailableError);
  });

  test('size stays U64_MAX regardless of the file size (an empty file too)', () => {
    const s = new Session();
    s.createFile({ path: '/e', content: content.bytes(new Uint8Array(0)) });
    expect(s.bpf_dynptr_from_file(s.open('/e'), 0, 'd')).toBe(0);
    expect(s.bpf_dynptr_size('d')).toBe(U64_MAX_V);
  });
});

describe('FILE: read-only everywhere', () => {
  test('write → -EINVAL, and the bytes are not written anywhere', () => {
    const { s, data } = fileSetup(100, { warm: true });
    const before = data.slice();
    expect(s.bpf_dynptr_write('d', 0, new Uint8Array([0, 0, 0, 0]), 4, 0)).toBe(-EINVAL);
    expect(s.bpf_dynptr_write('d', 0, null, 0, 0)).toBe(-EINVAL);
    expect(data).toEqual(before);
    const dst = new Uint8Array(4);
    expect(s.bpf_dynptr_read(dst, 4, 'd', 0, 0)).toBe(0);
    expect(dst).toEqual(before.slice(0, 4));
  });

  test('data → NULL', () => {
    const { s } = fileSetup(100, { warm: true });
    expect(s.bpf_dynptr_data('d', 0, 4)).toBeNull();
    expect(s.bpf_dynptr_data('d', 0, 0)).toBeNull();
  });

  test('slice_rdwr → NULL even with a buffer, and the buffer is untouched', () => {
    const { s } = fileSetup(100, { warm: true });
    const buf = new Uint8Array(4);
    expect(s.bpf_dynptr_slice_rdwr('d', 0, buf, 4)).toBeNull();
    expect(buf).toEqual(new Uint8Array(4));
  });
});

describe('FILE: bpf_dynptr_slice', () => {
  test('copies into the buffer and returns that buffer', () => {
    const { s, data } = fileSetup(3 * P, { warm: true });
    const buf = new Uint8Array(16);
    const r = s.bpf_dynptr_slice('d', P - 8, buf, 16);
    expect(r).toBe(buf);
    expect(buf).toEqual(data.slice(P - 8, P + 8));
  });

  test('NULL buffer → NULL', () => {
    const { s } = fileSetup(100, { warm: true });
    expect(s.bpf_dynptr_slice('d', 0, null, 4)).toBeNull();
  });

  test('NULL on a reader error (uncached page, non-sleepable)', () => {
    const { s } = fileSetup(3 * P);
    const buf = new Uint8Array(8);
    expect(s.bpf_dynptr_slice('d', 0, buf, 8)).toBeNull();
  });

  test('NULL on a reader error (page wholly past EOF, sleepable)', () => {
    const { s } = fileSetup(100, { sleepable: true });
    expect(s.bpf_dynptr_slice('d', 2 * P, new Uint8Array(4), 4)).toBeNull();
  });

  test('NULL out of bounds after an adjust', () => {
    const { s } = fileSetup(100, { warm: true });
    expect(s.bpf_dynptr_adjust('d', 10, 20)).toBe(0);
    expect(s.bpf_dynptr_slice('d', 5, new Uint8Array(8), 8)).toBeNull();
  });

  test('sleepable slice of a cold page reads it in and returns the bytes; the sleepable reader holds nothing', () => {
    const { s, data, path } = fileSetup(2 * P, { sleepable: true });
    const buf = new Uint8Array(10);
    expect(s.bpf_dynptr_slice('d', P + 5, buf, 10)).toBe(buf);
    expect(buf).toEqual(data.slice(P + 5, P + 15));
    // Page 1 of a fresh file with page 0 not cached: a small random read (page_cache_sync_ra), page 1 only.
    expect(s.pages(path)).toEqual({ uptodate: '1' });
  });
});

describe('FILE: bpf_dynptr_read bounds and arguments', () => {
  test('a warm read returns the file bytes', () => {
    const { s, data } = fileSetup(3 * P + 17, { warm: true });
    const dst = new Uint8Array(2 * P + 10);
    expect(s.bpf_dynptr_read(dst, dst.length, 'd', 100, 0)).toBe(0);
    expect(dst).toEqual(data.slice(100, 100 + dst.length));
  });

  test('flags ≠ 0 → -EINVAL', () => {
    const { s } = fileSetup(100, { warm: true });
    expect(s.bpf_dynptr_read(new Uint8Array(4), 4, 'd', 0, 1)).toBe(-EINVAL);
  });

  test('a destination shorter than len by one byte is a misuse naming dst (the verifier pairs the two); as long as len, a read', () => {
    const { s, data } = fileSetup(100, { warm: true });
    for (const len of [1, 16, 100]) {
      expect(() => s.bpf_dynptr_read(new Uint8Array(len - 1), len, 'd', 0, 0)).toThrow(new RegExp(`argument dst: .*a buffer of at least ${len} bytes`));
      const dst = new Uint8Array(len);
      expect(s.bpf_dynptr_read(dst, len, 'd', 0, 0)).toBe(0);
      expect(dst).toEqual(data.slice(0, len));
    }
  });

  test('dst NULL → -EINVAL (also for len 0)', () => {
    const { s } = fileSetup(100, { warm: true });
    expect(s.bpf_dynptr_read(null, 0, 'd', 0, 0)).toBe(-EINVAL);
  });

  test('u64 bounds: len 1 @ 2^64 - 1 → -E2BIG; @ -1 → -E2BIG', () => {
    const { s } = fileSetup(100, { warm: true });
    expect(s.bpf_dynptr_read(new Uint8Array(1), 1, 'd', U64_MAX_V, 0)).toBe(-E2BIG);
    expect(s.bpf_dynptr_read(new Uint8Array(1), 1, 'd', -1, 0)).toBe(-E2BIG);
  });

  test('u64 bounds: len 1 @ 2^64 - 2 passes the bounds and fails in the reader (-EFAULT, past EOF)', () => {
    const { s } = fileSetup(100, { warm: true });
    expect(s.bpf_dynptr_read(new Uint8Array(1), 1, 'd', U64 - 2n, 0)).toBe(-EFAULT);
  });

  test('observed in the seed: adjust to [4097, 4098): 1 byte ok, 2 bytes → -E2BIG, 1 @ 1 → -E2BIG', () => {
    const { s, data } = fileSetup(3 * P, { warm: true });
    expect(s.bpf_dynptr_adjust('d', 4097, 4098)).toBe(0);
    expect(s.bpf_dynptr_size('d')).toBe(1n);
    const dst = new Uint8Array(2);
    expect(s.bpf_dynptr_read(dst, 1, 'd', 0, 0)).toBe(0);
    expect(dst[0]).toBe(data[4097]);
    expect(s.bpf_dynptr_read(dst, 2, 'd', 0, 0)).toBe(-E2BIG);
    expect(s.bpf_dynptr_read(dst, 1, 'd', 1, 0)).toBe(-E2BIG);
  });
});

describe('FILE: bpf_dynptr_adjust', () => {
  test('adjust(0, S+1) past EOF → 0 (size is U64_MAX)', () => {
    const S = 5000;
    const { s } = fileSetup(S, { warm: true });
    expect(s.bpf_dynptr_adjust('d', 0, S + 1)).toBe(0);
    expect(s.bpf_dynptr_size('d')).toBe(BigInt(S + 1));
  });

  test('start > end → -EINVAL; end > size after narrowing → -ERANGE', () => {
    const { s } = fileSetup(100, { warm: true });
    expect(s.bpf_dynptr_adjust('d', 2, 1)).toBe(-EINVAL);
    expect(s.bpf_dynptr_adjust('d', 0, 50)).toBe(0);
    expect(s.bpf_dynptr_adjust('d', 0, 51)).toBe(-ERANGE);
    expect(s.bpf_dynptr_adjust('d', 60, 51)).toBe(-EINVAL);
    expect(s.bpf_dynptr_size('d')).toBe(50n);
  });

  test('(0, U64_MAX) → 0 on a fresh FILE dynptr; (0, 2^64) wraps to (0, 0)', () => {
    const { s } = fileSetup(100, { warm: true });
    expect(s.bpf_dynptr_adjust('d', 0, U64_MAX_V)).toBe(0);
    expect(s.bpf_dynptr_size('d')).toBe(U64_MAX_V);
    expect(s.bpf_dynptr_adjust('d', 0, U64)).toBe(0);
    expect(s.bpf_dynptr_size('d')).toBe(0n);
  });

  test('a large 64-bit size survives (no 32-bit truncation of the FILE state)', () => {
    const { s } = fileSetup(100, { warm: true });
    expect(s.bpf_dynptr_adjust('d', 1, 2n ** 40n + 1n)).toBe(0);
    expect(s.bpf_dynptr_size('d')).toBe(2n ** 40n);
  });

  test('the offset moves the reads: after adjust(10, 60) a read at 5 returns file byte 15', () => {
    const { s, data } = fileSetup(100, { warm: true });
    expect(s.bpf_dynptr_adjust('d', 10, 60)).toBe(0);
    const dst = new Uint8Array(3);
    expect(s.bpf_dynptr_read(dst, 3, 'd', 5, 0)).toBe(0);
    expect(dst).toEqual(data.slice(15, 18));
  });
});

describe('FILE: reads around EOF', () => {
  test('a read crossing EOF inside the cached last page → 0 with zeros past EOF', () => {
    const S = P + 904; // last page is page 1, EOF at 5000
    const { s, data } = fileSetup(S, { warm: true });
    const dst = new Uint8Array(200).fill(0xcc);
    expect(s.bpf_dynptr_read(dst, 200, 'd', S - 50, 0)).toBe(0);
    expect(dst).toEqual(expected(data, S - 50, 200));
    expect(dst.subarray(50)).toEqual(new Uint8Array(150));
  });

  test('a read wholly past EOF inside the last page (still cached) → 0, all zeros', () => {
    const S = P + 904;
    const { s } = fileSetup(S, { warm: true });
    const dst = new Uint8Array(8).fill(0xcc);
    expect(s.bpf_dynptr_read(dst, 8, 'd', S + 10, 0)).toBe(0);
    expect(dst).toEqual(new Uint8Array(8));
  });

  test('a page wholly past EOF, non-sleepable → -EFAULT', () => {
    const { s } = fileSetup(P + 904, { warm: true });
    expect(s.bpf_dynptr_read(new Uint8Array(4), 4, 'd', 2 * P, 0)).toBe(-EFAULT);
  });

  test('a page wholly past EOF, sleepable → -EIO, and no read is issued for it', () => {
    const { s, path } = fileSetup(P + 904, { sleepable: true, warm: true });
    expect(s.bpf_dynptr_read(new Uint8Array(4), 4, 'd', 2 * P, 0)).toBe(-EIO);
    expect(s.events().filter((e) => e.kind === 'io_submit')).toHaveLength(0);
    expect(s.pages(path)).toEqual({ uptodate: '0-1' });
  });

  test('a sleepable read on an empty file → -EIO', () => {
    const s = new Session({ sleepable: true });
    s.createFile({ path: '/e', content: content.bytes(new Uint8Array(0)) });
    expect(s.bpf_dynptr_from_file(s.open('/e'), 0, 'd')).toBe(0);
    expect(s.bpf_dynptr_read(new Uint8Array(1), 1, 'd', 0, 0)).toBe(-EIO);
  });

  test('a file of exactly 2 pages: a read crossing from page 1 into page 2 → -EFAULT / -EIO', () => {
    const warmNs = fileSetup(2 * P, { warm: true });
    expect(warmNs.s.bpf_dynptr_read(new Uint8Array(8), 8, 'd', 2 * P - 4, 0)).toBe(-EFAULT);
    const warmS = fileSetup(2 * P, { warm: true, sleepable: true });
    expect(warmS.s.bpf_dynptr_read(new Uint8Array(8), 8, 'd', 2 * P - 4, 0)).toBe(-EIO);
  });

  test('a sleepable cold read crossing EOF in the last page → -EIO after the bytes before EOF (observed on 7.2)', () => {
    const S = 2 * P + 1;
    const { s, data } = fileSetup(S, { sleepable: true });
    const dst = new Uint8Array(64).fill(0xcc);
    expect(s.bpf_dynptr_read(dst, 64, 'd', S - 32, 0)).toBe(-EIO);
    expect(dst.subarray(0, 32)).toEqual(data.subarray(S - 32, S));
    expect(dst.subarray(32)).toEqual(new Uint8Array(32).fill(0xcc));
  });
});

describe('FILE: non-sleepable reader and the page cache', () => {
  test('a read of an evicted page → -EFAULT', () => {
    const { s, path } = fileSetup(3 * P, { warm: true });
    expect(s.evict(path, P, P)).toEqual([1]);
    expect(s.bpf_dynptr_read(new Uint8Array(4), 4, 'd', P + 10, 0)).toBe(-EFAULT);
    // Neighbouring cached pages still read.
    expect(s.bpf_dynptr_read(new Uint8Array(4), 4, 'd', 2 * P, 0)).toBe(0);
  });

  test('observed: len 0 at an evicted page → -EFAULT too', () => {
    const { s, path } = fileSetup(3 * P, { warm: true });
    s.evict(path, P, P);
    expect(s.bpf_dynptr_read(new Uint8Array(0), 0, 'd', P + 10, 0)).toBe(-EFAULT);
    expect(s.bpf_dynptr_read(new Uint8Array(0), 0, 'd', 10, 0)).toBe(0);
  });

  test('a cold file → -EFAULT and no I/O is issued', () => {
    const { s, path } = fileSetup(3 * P);
    expect(s.bpf_dynptr_read(new Uint8Array(4), 4, 'd', 0, 0)).toBe(-EFAULT);
    expect(s.pages(path)).toEqual({});
    expect(s.events().some((e) => e.kind === 'io_submit')).toBe(false);
    expect(s.world.clock.now).toBe(0);
  });

  test('a read from a cached page into an uncached one → -EFAULT; dst not cleared, earlier bytes written', () => {
    const { s, data, path } = fileSetup(3 * P);
    s.populate(path, 0, P); // page 0 only
    const dst = new Uint8Array(32).fill(0xcc);
    expect(s.bpf_dynptr_read(dst, 32, 'd', P - 12, 0)).toBe(-EFAULT);
    // The 12 bytes of page 0 were copied before page 1 failed.
    expect(dst.subarray(0, 12)).toEqual(data.slice(P - 12, P));
    // The rest of dst is as the caller left it (not cleared).
    expect(dst.subarray(12)).toEqual(new Uint8Array(20).fill(0xcc));
  });

  test('a failed read leaves an earlier successful read\'s dst alone (dst not cleared on error)', () => {
    const { s } = fileSetup(3 * P);
    const dst = new Uint8Array(8).fill(0x5a);
    expect(s.bpf_dynptr_read(dst, 8, 'd', 0, 0)).toBe(-EFAULT);
    expect(dst).toEqual(new Uint8Array(8).fill(0x5a));
  });

  test('secretmem → -EFAULT, even with the pages cached', () => {
    const { s } = fileSetup(2 * P, { warm: true, secretmem: true });
    const dst = new Uint8Array(4).fill(0xcc);
    expect(s.bpf_dynptr_read(dst, 4, 'd', 0, 0)).toBe(-EFAULT);
    expect(dst).toEqual(new Uint8Array(4).fill(0xcc));
    expect(s.refs().folioRefs).toBe(0);
  });
});

describe('FILE: sleepable reader', () => {
  test('cold pages: 0, bytes match, pages uptodate, one I/O latency for the readahead window', () => {
    const lat = 37;
    const { s, data, path } = fileSetup(4 * P, { sleepable: true, ioLatency: lat });
    expect(s.world.clock.now).toBe(0);
    const dst = new Uint8Array(2 * P + 20);
    const off = P + 10; // bytes [P+10, 3P+30): pages 1, 2, 3
    expect(s.bpf_dynptr_read(dst, dst.length, 'd', off, 0)).toBe(0);
    expect(dst).toEqual(data.slice(off, off + dst.length));
    // page_cache_sync_ra at page 1 of a fresh file, page 0 not cached: the 3 requested pages, submitted together.
    expect(s.world.clock.now).toBe(lat);
    // No folio is held after a sleepable read (__kernel_read).
    expect(s.pages(path)).toEqual({ uptodate: '1-3' });
    expect(s.refs().folioRefs).toBe(0);
    expect(s.bpf_dynptr_file_discard('d')).toBe(0);
    expect(s.pages(path)).toEqual({ uptodate: '1-3' });
  });

  test('warm pages: no I/O and no time passes', () => {
    const { s, data } = fileSetup(2 * P, { sleepable: true, warm: true });
    const dst = new Uint8Array(P);
    expect(s.bpf_dynptr_read(dst, P, 'd', 100, 0)).toBe(0);
    expect(dst).toEqual(data.slice(100, 100 + P));
    expect(s.world.clock.now).toBe(0);
    expect(s.events().some((e) => e.kind === 'io_submit')).toBe(false);
  });

  test('only the uncached pages are read: time advances by ioLatency for each', () => {
    const lat = 50;
    const { s, path, data } = fileSetup(4 * P, { sleepable: true, ioLatency: lat });
    s.populate(path, P, P); // page 1 warm
    const dst = new Uint8Array(3 * P);
    expect(s.bpf_dynptr_read(dst, 3 * P, 'd', 0, 0)).toBe(0);
    expect(dst).toEqual(data.slice(0, 3 * P));
    // A miss at page 0: the initial window (4 pages for 3 requested, clipped at EOF) skips the cached page 1.
    expect(s.world.clock.now).toBe(lat);
    const submitted = s.events().flatMap((e) => (e.kind === 'io_submit' ? [e.pgoff] : []));
    expect(submitted).toEqual([0, 2, 3]);
  });

  test('a sleepable dynptr keeps faulting pages in even when later evicted', () => {
    const { s, path, data } = fileSetup(2 * P, { sleepable: true });
    expect(s.bpf_dynptr_read(new Uint8Array(4), 4, 'd', 0, 0)).toBe(0);
    expect(s.bpf_dynptr_read(new Uint8Array(4), 4, 'd', P, 0)).toBe(0); // moves the reader off page 0
    expect(s.evict(path, 0, P)).toEqual([0]);
    const dst = new Uint8Array(4);
    expect(s.bpf_dynptr_read(dst, 4, 'd', 8, 0)).toBe(0);
    expect(dst).toEqual(data.slice(8, 12));
  });

  test('the reader is fixed at construction: a non-sleepable dynptr used from a sleepable context still → -EFAULT', () => {
    const { s } = fileSetup(2 * P); // built non-sleepable
    s.sleepable(true);
    expect(s.bpf_dynptr_read(new Uint8Array(4), 4, 'd', 0, 0)).toBe(-EFAULT);
  });

  test('a readahead I/O error is not final: the reader reads the folio again itself, and only that error is returned', () => {
    const lat = 10;
    const { s, path, data, f } = fileSetup(2 * P, { sleepable: true, ioLatency: lat });
    s.injectIoError(path, P + 1); // one failure: the readahead's
    const dst = new Uint8Array(8).fill(0xcc);
    expect(s.bpf_dynptr_read(dst, 8, 'd', P + 100, 0)).toBe(0);
    expect(dst).toEqual(data.slice(P + 100, P + 108));
    expect(s.world.clock.now).toBe(2 * lat); // readahead, then filemap_read_folio
    expect(s.pages(path)).toEqual({ uptodate: '1' });
    expect(s.readahead(f).raPages).toBe(32);
  });

  test('two failures → -EIO (filemap_read_folio), the page not uptodate, ra_pages / 4; a later read succeeds', () => {
    const lat = 10;
    const { s, path, data, f } = fileSetup(2 * P, { sleepable: true, ioLatency: lat });
    s.injectIoError(path, P + 1, 2);
    const dst = new Uint8Array(8).fill(0xcc);
    expect(s.bpf_dynptr_read(dst, 8, 'd', P + 100, 0)).toBe(-EIO);
    expect(dst).toEqual(new Uint8Array(8).fill(0xcc));
    expect(s.pages(path)).toEqual({ failed: '1' });
    expect(s.refs().folioRefs).toBe(0);
    expect(s.refs().ioInFlight).toBe(0);
    expect(s.readahead(f).raPages).toBe(8); // shrink_readahead_size_eio
    // The next read finds the failed folio and reads it again.
    expect(s.bpf_dynptr_read(dst, 8, 'd', P + 100, 0)).toBe(0);
    expect(dst).toEqual(data.slice(P + 100, P + 108));
    expect(s.pages(path)).toEqual({ uptodate: '1' });
    expect(s.world.clock.now).toBe(3 * lat);
  });

  test('an I/O error on a later page: earlier bytes copied, then -EIO (a short read), the failing page not uptodate', () => {
    const { s, path, data } = fileSetup(3 * P, { sleepable: true });
    // Three failures of page 1: the readahead's, the re-read while page 0 is still to copy (its error
    // is dropped: filemap_get_pages returns the folios before it), and the re-read after.
    s.injectIoError(path, P, 3);
    const dst = new Uint8Array(16).fill(0xcc);
    expect(s.bpf_dynptr_read(dst, 16, 'd', P - 8, 0)).toBe(-EIO);
    expect(dst.subarray(0, 8)).toEqual(data.slice(P - 8, P));
    expect(dst.subarray(8)).toEqual(new Uint8Array(8).fill(0xcc));
    const pages = s.pages(path);
    expect(pages.uptodate).toBe('0,2');
    expect(pages.failed).toBe('1');
  });

  test('secretmem → -EFAULT in a sleepable context too, with no I/O', () => {
    const { s } = fileSetup(2 * P, { sleepable: true, secretmem: true });
    expect(s.bpf_dynptr_read(new Uint8Array(4), 4, 'd', 0, 0)).toBe(-EFAULT);
    expect(s.events().some((e) => e.kind === 'io_submit')).toBe(false);
  });
});

describe('FILE: the reader holds one folio', () => {
  test('folioRefs is 1 after a multi-page read and 0 after discard', () => {
    const { s } = fileSetup(3 * P, { warm: true });
    expect(s.refs().folioRefs).toBe(0);
    expect(s.bpf_dynptr_read(new Uint8Array(2 * P), 2 * P, 'd', 100, 0)).toBe(0);
    expect(s.refs().folioRefs).toBe(1);
    expect(s.bpf_dynptr_read(new Uint8Array(4), 4, 'd', 0, 0)).toBe(0);
    expect(s.refs().folioRefs).toBe(1);
    expect(s.bpf_dynptr_file_discard('d')).toBe(0);
    expect(s.refs().folioRefs).toBe(0);
    expect(s.refs().liveFileStates).toBe(0);
  });

  test('the held page is the last one read and is not evicted', () => {
    const { s, path, data } = fileSetup(3 * P, { warm: true });
    expect(s.bpf_dynptr_read(new Uint8Array(P), P, 'd', P + 1, 0)).toBe(0); // pages 1, 2: holds 2
    expect(s.pages(path)).toEqual({ uptodate: '0-1', 'uptodate+ref': '2' });
    const evicted = s.evict(path);
    expect(evicted).toEqual([0, 1]);
    expect(s.pages(path)).toEqual({ 'uptodate+ref': '2' });
    expect(s.dropCaches()).toBe(0);
    const dst = new Uint8Array(4);
    expect(s.bpf_dynptr_read(dst, 4, 'd', 2 * P + 4, 0)).toBe(0);
    expect(dst).toEqual(data.slice(2 * P + 4, 2 * P + 8));
    // After discard the page is evictable.
    expect(s.bpf_dynptr_file_discard('d')).toBe(0);
    expect(s.evict(path)).toEqual([2]);
    expect(s.pages(path)).toEqual({});
  });

  test('two FILE dynptrs on one page hold two references', () => {
    const { s, f } = fileSetup(P, { warm: true });
    expect(s.bpf_dynptr_from_file(f, 0, 'e')).toBe(0);
    expect(s.bpf_dynptr_read(new Uint8Array(1), 1, 'd', 0, 0)).toBe(0);
    expect(s.bpf_dynptr_read(new Uint8Array(1), 1, 'e', 0, 0)).toBe(0);
    expect(s.refs().folioRefs).toBe(2);
    expect(s.bpf_dynptr_file_discard('d')).toBe(0);
    expect(s.refs().folioRefs).toBe(1);
    expect(s.bpf_dynptr_file_discard('e')).toBe(0);
    expect(s.refs().folioRefs).toBe(0);
  });

  test('a failed non-sleepable read drops the previously held folio', () => {
    const { s, path } = fileSetup(3 * P);
    s.populate(path, 0, P);
    expect(s.bpf_dynptr_read(new Uint8Array(1), 1, 'd', 0, 0)).toBe(0);
    expect(s.refs().folioRefs).toBe(1);
    expect(s.bpf_dynptr_read(new Uint8Array(1), 1, 'd', P, 0)).toBe(-EFAULT);
    expect(s.refs().folioRefs).toBe(0);
  });
});

describe('FILE: clone shares state', () => {
  test('clone of FILE: adjust through one moves the other', () => {
    const { s, data } = fileSetup(2 * P, { warm: true });
    expect(s.bpf_dynptr_clone('d', 'c')).toBe(0);
    expect(s.bpf_dynptr_is_rdonly('c')).toBe(true);
    expect(s.bpf_dynptr_adjust('d', 100, 200)).toBe(0);
    expect(s.bpf_dynptr_size('c')).toBe(100n);
    const dst = new Uint8Array(4);
    expect(s.bpf_dynptr_read(dst, 4, 'c', 0, 0)).toBe(0);
    expect(dst).toEqual(data.slice(100, 104));
    expect(s.bpf_dynptr_adjust('c', 10, 20)).toBe(0);
    expect(s.bpf_dynptr_size('d')).toBe(10n);
    expect(s.bpf_dynptr_read(dst, 4, 'd', 0, 0)).toBe(0);
    expect(dst).toEqual(data.slice(110, 114));
  });

  test('discard through one clone: use of the other throws UseAfterFreeError', () => {
    const { s } = fileSetup(2 * P, { warm: true });
    expect(s.bpf_dynptr_clone('d', 'c')).toBe(0);
    expect(s.bpf_dynptr_file_discard('c')).toBe(0);
    expect(s.bpf_dynptr_is_null('c')).toBe(true);
    expect(() => s.bpf_dynptr_read(new Uint8Array(4), 4, 'd', 0, 0)).toThrow(UseAfterFreeError);
    expect(() => s.bpf_dynptr_size('d')).toThrow(UseAfterFreeError);
    expect(() => s.bpf_dynptr_adjust('d', 0, 1)).toThrow(UseAfterFreeError);
    expect(() => s.bpf_dynptr_file_discard('d')).toThrow(UseAfterFreeError);
    expect(s.refs().liveFileStates).toBe(0);
  });

  test('a clone of a FILE dynptr allocates no state of its own', () => {
    const { s } = fileSetup(P, { warm: true });
    expect(s.bpf_dynptr_clone('d', 'c')).toBe(0);
    expect(s.refs().liveFileStates).toBe(1);
  });
});

describe('FILE: file lifetime', () => {
  test("reading after the file's last fput throws UseAfterFreeError", () => {
    const { s, f } = fileSetup(P, { warm: true });
    expect(s.bpf_dynptr_read(new Uint8Array(1), 1, 'd', 0, 0)).toBe(0);
    s.fput(f);
    expect(s.refs().files[f]).toBe(0);
    const worldBefore = s.world;
    expect(() => s.bpf_dynptr_read(new Uint8Array(1), 1, 'd', 0, 0)).toThrow(UseAfterFreeError);
    expect(s.world).toBe(worldBefore); // the failed transition is not applied
  });

  test('with an extra reference the file outlives one fput and reads still work', () => {
    const { s, f, data } = fileSetup(P, { warm: true });
    s.get_file(f);
    s.fput(f);
    const dst = new Uint8Array(4);
    expect(s.bpf_dynptr_read(dst, 4, 'd', 0, 0)).toBe(0);
    expect(dst).toEqual(data.slice(0, 4));
  });

  test('PAGE_SIZE is 4096', () => {
    expect(PAGE_SIZE).toBe(P);
  });
});
