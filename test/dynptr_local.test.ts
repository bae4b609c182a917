/**
 * LOCAL dynptrs (bpf_dynptr_from_mem) and the generic offset/length rules every dynptr shares
 * (SEMANTICS.md, "Dynptrs" table and "Observed on real kernels", generic rows).
 * Expected values come from SEMANTICS.md or are computed here from the memory the test holds.
 */
import { describe, expect, test } from 'vitest';
import { DYNPTR_MAX_SIZE, E2BIG, EINVAL, ERANGE, Session } from '../src/index.ts';

const U64 = 2n ** 64n;
const U64_MAX_V = U64 - 1n;
const NULL_SIZE_U64 = U64 - 22n; // -EINVAL converted to u64
const NULL_SIZE_U32 = 2n ** 32n - 22n; // -EINVAL converted to u32 = 4294967274

/** `n` bytes 1, 2, 3, … (mod 256, never 0 so a zero byte means "not written"). */
function mem(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i % 255) + 1);
}

/** A session with a LOCAL dynptr `d` over a fresh `n`-byte buffer, which it returns. */
function local(n = 16, opts: ConstructorParameters<typeof Session>[0] = {}): { s: Session; m: Uint8Array } {
  const s = new Session(opts);
  const m = mem(n);
  expect(s.bpf_dynptr_from_mem(m, n, 0, 'd')).toBe(0);
  return { s, m };
}

/** A null dynptr in slot `slot` (from_mem with flags ≠ 0). */
function makeNull(s: Session, slot = 'n'): void {
  expect(s.bpf_dynptr_from_mem(new Uint8Array(4), 4, 1, slot)).toBe(-EINVAL);
  expect(s.bpf_dynptr_is_null(slot)).toBe(true);
}

describe('bpf_dynptr_from_mem', () => {
  test('DYNPTR_MAX_SIZE is 2^24 - 1', () => {
    expect(DYNPTR_MAX_SIZE).toBe(2n ** 24n - 1n);
  });

  test('size 2^24 - 1 is accepted: writable, not null, size as given', () => {
    const s = new Session();
    const n = 2 ** 24 - 1;
    expect(s.bpf_dynptr_from_mem(new Uint8Array(n), n, 0, 'd')).toBe(0);
    expect(s.bpf_dynptr_is_null('d')).toBe(false);
    expect(s.bpf_dynptr_is_rdonly('d')).toBe(false);
    expect(s.bpf_dynptr_size('d')).toBe(BigInt(n));
  });

  test('size 2^24 → -E2BIG and the dynptr is null', () => {
    const s = new Session();
    expect(s.bpf_dynptr_from_mem(new Uint8Array(16), 2 ** 24, 0, 'd')).toBe(-E2BIG);
    expect(s.bpf_dynptr_is_null('d')).toBe(true);
    expect(s.bpf_dynptr_size('d')).toBe(NULL_SIZE_U64);
  });

  test('size -1 (2^64 - 1 as u64) → -E2BIG and null', () => {
    const s = new Session();
    expect(s.bpf_dynptr_from_mem(new Uint8Array(16), -1, 0, 'd')).toBe(-E2BIG);
    expect(s.bpf_dynptr_is_null('d')).toBe(true);
  });

  test('flags ≠ 0 → -EINVAL and the dynptr is null', () => {
    const s = new Session();
    expect(s.bpf_dynptr_from_mem(mem(8), 8, 1, 'd')).toBe(-EINVAL);
    expect(s.bpf_dynptr_is_null('d')).toBe(true);
    expect(s.bpf_dynptr_from_mem(mem(8), 8, 2n ** 63n, 'e')).toBe(-EINVAL);
    expect(s.bpf_dynptr_is_null('e')).toBe(true);
  });

  test('size is checked before flags: too large and flags ≠ 0 → -E2BIG', () => {
    const s = new Session();
    expect(s.bpf_dynptr_from_mem(new Uint8Array(16), 2 ** 24, 1, 'd')).toBe(-E2BIG);
    expect(s.bpf_dynptr_is_null('d')).toBe(true);
  });

  test('a failed constructor nulls a slot that held a LOCAL dynptr', () => {
    const { s } = local(8);
    expect(s.bpf_dynptr_from_mem(mem(8), 8, 1, 'd')).toBe(-EINVAL);
    expect(s.bpf_dynptr_is_null('d')).toBe(true);
  });

  test('size 0 is a valid, non-null empty dynptr', () => {
    const s = new Session();
    expect(s.bpf_dynptr_from_mem(new Uint8Array(0), 0, 0, 'd')).toBe(0);
    expect(s.bpf_dynptr_is_null('d')).toBe(false);
    expect(s.bpf_dynptr_size('d')).toBe(0n);
    expect(s.bpf_dynptr_read(null, 0, 'd', 0, 0)).toBe(0);
    expect(s.bpf_dynptr_read(new Uint8Array(1), 1, 'd', 0, 0)).toBe(-E2BIG);
  });
});

describe('bpf_dynptr_read (LOCAL)', () => {
  test('copies the bytes at the offset', () => {
    const { s, m } = local(16);
    const dst = new Uint8Array(5);
    expect(s.bpf_dynptr_read(dst, 5, 'd', 3, 0)).toBe(0);
    expect(dst).toEqual(m.slice(3, 8));
  });

  test('the whole dynptr (len = size at offset 0) → 0', () => {
    const { s, m } = local(16);
    const dst = new Uint8Array(16);
    expect(s.bpf_dynptr_read(dst, 16, 'd', 0, 0)).toBe(0);
    expect(dst).toEqual(m);
  });

  test('null src → -EINVAL, dst untouched', () => {
    const s = new Session();
    makeNull(s);
    const dst = new Uint8Array([9, 9]);
    expect(s.bpf_dynptr_read(dst, 2, 'n', 0, 0)).toBe(-EINVAL);
    expect(dst).toEqual(new Uint8Array([9, 9]));
  });

  test('flags ≠ 0 → -EINVAL, dst untouched', () => {
    const { s } = local(8);
    const dst = new Uint8Array([9, 9]);
    expect(s.bpf_dynptr_read(dst, 2, 'd', 0, 1)).toBe(-EINVAL);
    expect(dst).toEqual(new Uint8Array([9, 9]));
  });

  test('flags are checked before the bounds: out of bounds with flags ≠ 0 → -EINVAL', () => {
    const { s } = local(8);
    expect(s.bpf_dynptr_read(new Uint8Array(16), 16, 'd', 0, 1)).toBe(-EINVAL);
  });

  test('len > size → -E2BIG', () => {
    const { s } = local(8);
    expect(s.bpf_dynptr_read(new Uint8Array(9), 9, 'd', 0, 0)).toBe(-E2BIG);
  });

  test('offset + len one past the end → -E2BIG, dst untouched', () => {
    const { s } = local(8);
    const dst = new Uint8Array([7, 7, 7]);
    expect(s.bpf_dynptr_read(dst, 3, 'd', 6, 0)).toBe(-E2BIG);
    expect(dst).toEqual(new Uint8Array([7, 7, 7]));
  });

  test('observed: len 0 @ size → 0', () => {
    const { s } = local(8);
    expect(s.bpf_dynptr_read(null, 0, 'd', 8, 0)).toBe(0);
    expect(s.bpf_dynptr_read(new Uint8Array(0), 0, 'd', 8, 0)).toBe(0);
  });

  test('observed: len 0 @ size + 1 → -E2BIG', () => {
    const { s } = local(8);
    expect(s.bpf_dynptr_read(null, 0, 'd', 9, 0)).toBe(-E2BIG);
  });

  test('observed: len 1 @ 0xffffffff → -E2BIG', () => {
    const { s } = local(8);
    expect(s.bpf_dynptr_read(new Uint8Array(1), 1, 'd', 0xffffffff, 0)).toBe(-E2BIG);
  });

  test('the read is relative to an adjusted view', () => {
    const { s, m } = local(16);
    expect(s.bpf_dynptr_adjust('d', 4, 12)).toBe(0);
    const dst = new Uint8Array(3);
    expect(s.bpf_dynptr_read(dst, 3, 'd', 2, 0)).toBe(0);
    expect(dst).toEqual(m.slice(6, 9));
    expect(s.bpf_dynptr_read(new Uint8Array(9), 9, 'd', 0, 0)).toBe(-E2BIG);
    expect(s.bpf_dynptr_read(new Uint8Array(8), 8, 'd', 0, 0)).toBe(0);
  });
});

describe('u64 edges (6.19: offsets and lengths are u64, no wrap-around)', () => {
  test('offset 2^64 - 1 with len 1 → -E2BIG (offset + len wraps to 0 in u64)', () => {
    const { s } = local(8);
    expect(s.bpf_dynptr_read(new Uint8Array(1), 1, 'd', U64_MAX_V, 0)).toBe(-E2BIG);
  });

  test('len 2^64 - 1 at offset 1 → -E2BIG (sum wraps to 0)', () => {
    const { s } = local(8);
    expect(s.bpf_dynptr_read(new Uint8Array(8), U64_MAX_V, 'd', 1, 0)).toBe(-E2BIG);
  });

  test('offset 2^64 - 8 with len 8 → -E2BIG (sum is exactly 2^64)', () => {
    const { s } = local(8);
    expect(s.bpf_dynptr_read(new Uint8Array(8), 8, 'd', U64 - 8n, 0)).toBe(-E2BIG);
  });

  test('offset -1 is converted to 2^64 - 1 → -E2BIG', () => {
    const { s } = local(8);
    expect(s.bpf_dynptr_read(null, 0, 'd', -1, 0)).toBe(-E2BIG);
    expect(s.bpf_dynptr_read(new Uint8Array(1), 1, 'd', -1n, 0)).toBe(-E2BIG);
  });

  test('offset 2^32 + 1 is not truncated on 6.19 → -E2BIG', () => {
    const { s } = local(8);
    expect(s.bpf_dynptr_read(new Uint8Array(1), 1, 'd', 2 ** 32 + 1, 0)).toBe(-E2BIG);
  });

  test('offset 2^64 + 1 (bigint) is converted modulo 2^64 to 1', () => {
    const { s, m } = local(8);
    const dst = new Uint8Array(1);
    expect(s.bpf_dynptr_read(dst, 1, 'd', U64 + 1n, 0)).toBe(0);
    expect(dst[0]).toBe(m[1]);
  });

  test('adjust(0, -1): end converted to 2^64 - 1 → -ERANGE', () => {
    const { s } = local(8);
    expect(s.bpf_dynptr_adjust('d', 0, -1)).toBe(-ERANGE);
  });

  test('adjust(-1, 0): start converted to 2^64 - 1 > end → -EINVAL', () => {
    const { s } = local(8);
    expect(s.bpf_dynptr_adjust('d', -1, 0)).toBe(-EINVAL);
  });

  test('write at offset 2^64 - 1 with len 1 → -E2BIG, memory unchanged', () => {
    const { s, m } = local(8);
    const before = m.slice();
    expect(s.bpf_dynptr_write('d', U64_MAX_V, new Uint8Array([0]), 1, 0)).toBe(-E2BIG);
    expect(m).toEqual(before);
  });
});

describe("a '6.18' world: u32 offsets, lengths and sizes", () => {
  const v618 = { version: '6.18' } as const;

  test('offset 2^32 + 1 becomes 1', () => {
    const { s, m } = local(8, v618);
    const dst = new Uint8Array(1);
    expect(s.bpf_dynptr_read(dst, 1, 'd', 2 ** 32 + 1, 0)).toBe(0);
    expect(dst[0]).toBe(m[1]);
  });

  test('len 2^32 + 2 becomes 2', () => {
    const { s, m } = local(8, v618);
    const dst = new Uint8Array(2);
    expect(s.bpf_dynptr_read(dst, 2n ** 32n + 2n, 'd', 3, 0)).toBe(0);
    expect(dst).toEqual(m.slice(3, 5));
  });

  test('observed rows hold on 6.18 too: len 0 @ size → 0, @ size+1 → -E2BIG, len 1 @ 0xffffffff → -E2BIG', () => {
    const { s } = local(8, v618);
    expect(s.bpf_dynptr_read(null, 0, 'd', 8, 0)).toBe(0);
    expect(s.bpf_dynptr_read(null, 0, 'd', 9, 0)).toBe(-E2BIG);
    expect(s.bpf_dynptr_read(new Uint8Array(1), 1, 'd', 0xffffffff, 0)).toBe(-E2BIG);
  });

  test('adjust with start 2^32 + 1 and end 2^32 + 3 becomes (1, 3)', () => {
    const { s, m } = local(8, v618);
    expect(s.bpf_dynptr_adjust('d', 2 ** 32 + 1, 2 ** 32 + 3)).toBe(0);
    expect(s.bpf_dynptr_size('d')).toBe(2n);
    const dst = new Uint8Array(2);
    expect(s.bpf_dynptr_read(dst, 2, 'd', 0, 0)).toBe(0);
    expect(dst).toEqual(m.slice(1, 3));
  });

  test('size of a null dynptr → -EINVAL as u32 (4294967274)', () => {
    const s = new Session(v618);
    makeNull(s);
    expect(s.bpf_dynptr_size('n')).toBe(NULL_SIZE_U32);
    expect(s.bpf_dynptr_size('n')).toBe(4294967274n);
  });

  test('from_mem size -1 (0xffffffff as u32) → -E2BIG and null', () => {
    const s = new Session(v618);
    expect(s.bpf_dynptr_from_mem(new Uint8Array(8), -1, 0, 'd')).toBe(-E2BIG);
    expect(s.bpf_dynptr_is_null('d')).toBe(true);
  });
});

describe('bpf_dynptr_write (LOCAL)', () => {
  test('copies the bytes into the memory at the offset', () => {
    const { s, m } = local(8);
    const expected = m.slice();
    expected.set([0xaa, 0xbb, 0xcc], 2);
    expect(s.bpf_dynptr_write('d', 2, new Uint8Array([0xaa, 0xbb, 0xcc]), 3, 0)).toBe(0);
    expect(m).toEqual(expected);
  });

  test('writes only len bytes of a larger source', () => {
    const { s, m } = local(8);
    const expected = m.slice();
    expected.set([0xaa], 7);
    expect(s.bpf_dynptr_write('d', 7, new Uint8Array([0xaa, 0xbb]), 1, 0)).toBe(0);
    expect(m).toEqual(expected);
  });

  test('write is relative to the adjusted view', () => {
    const { s, m } = local(8);
    const expected = m.slice();
    expected[5] = 0xee;
    expect(s.bpf_dynptr_adjust('d', 4, 8)).toBe(0);
    expect(s.bpf_dynptr_write('d', 1, new Uint8Array([0xee]), 1, 0)).toBe(0);
    expect(m).toEqual(expected);
  });

  test('null dst → -EINVAL', () => {
    const s = new Session();
    makeNull(s);
    expect(s.bpf_dynptr_write('n', 0, new Uint8Array([1]), 1, 0)).toBe(-EINVAL);
  });

  test('out of bounds → -E2BIG, memory unchanged', () => {
    const { s, m } = local(8);
    const before = m.slice();
    expect(s.bpf_dynptr_write('d', 6, new Uint8Array([1, 2, 3]), 3, 0)).toBe(-E2BIG);
    expect(s.bpf_dynptr_write('d', 0, new Uint8Array(9), 9, 0)).toBe(-E2BIG);
    expect(m).toEqual(before);
  });

  test('flags ≠ 0 in bounds → -EINVAL, memory unchanged', () => {
    const { s, m } = local(8);
    const before = m.slice();
    expect(s.bpf_dynptr_write('d', 0, new Uint8Array([0, 0]), 2, 1)).toBe(-EINVAL);
    expect(m).toEqual(before);
  });

  test('flags are checked after the bounds for LOCAL: out of bounds with flags ≠ 0 → -E2BIG', () => {
    const { s, m } = local(8);
    const before = m.slice();
    expect(s.bpf_dynptr_write('d', 7, new Uint8Array([0, 0]), 2, 1)).toBe(-E2BIG);
    expect(m).toEqual(before);
  });

  test('len 0 at size → 0; at size + 1 → -E2BIG', () => {
    const { s } = local(8);
    expect(s.bpf_dynptr_write('d', 8, null, 0, 0)).toBe(0);
    expect(s.bpf_dynptr_write('d', 9, null, 0, 0)).toBe(-E2BIG);
  });
});

describe('bpf_dynptr_adjust (LOCAL)', () => {
  test('null → -EINVAL', () => {
    const s = new Session();
    makeNull(s);
    expect(s.bpf_dynptr_adjust('n', 0, 0)).toBe(-EINVAL);
  });

  test('narrows to [start, end): size = end - start', () => {
    const { s } = local(16);
    expect(s.bpf_dynptr_adjust('d', 3, 10)).toBe(0);
    expect(s.bpf_dynptr_size('d')).toBe(7n);
  });

  test('a second adjust is relative to the current view', () => {
    const { s, m } = local(16);
    expect(s.bpf_dynptr_adjust('d', 2, 10)).toBe(0);
    expect(s.bpf_dynptr_adjust('d', 1, 3)).toBe(0);
    expect(s.bpf_dynptr_size('d')).toBe(2n);
    const dst = new Uint8Array(2);
    expect(s.bpf_dynptr_read(dst, 2, 'd', 0, 0)).toBe(0);
    expect(dst).toEqual(m.slice(3, 5));
    // The old view's end is gone: the original size 8 does not fit any more.
    expect(s.bpf_dynptr_adjust('d', 0, 3)).toBe(-ERANGE);
  });

  test('start > end → -EINVAL, view unchanged', () => {
    const { s } = local(16);
    expect(s.bpf_dynptr_adjust('d', 5, 4)).toBe(-EINVAL);
    expect(s.bpf_dynptr_size('d')).toBe(16n);
  });

  test('observed: start > end → -EINVAL even when end > size too', () => {
    const { s } = local(16);
    expect(s.bpf_dynptr_adjust('d', 20, 17)).toBe(-EINVAL);
    expect(s.bpf_dynptr_size('d')).toBe(16n);
  });

  test('end > size → -ERANGE, view unchanged', () => {
    const { s } = local(16);
    expect(s.bpf_dynptr_adjust('d', 0, 17)).toBe(-ERANGE);
    expect(s.bpf_dynptr_size('d')).toBe(16n);
  });

  test('start > size (with start ≤ end) → -ERANGE', () => {
    const { s } = local(16);
    expect(s.bpf_dynptr_adjust('d', 17, 17)).toBe(-ERANGE);
    expect(s.bpf_dynptr_adjust('d', 17, 30)).toBe(-ERANGE);
    expect(s.bpf_dynptr_size('d')).toBe(16n);
  });

  test('observed: (size, size) → 0 and size 0', () => {
    const { s } = local(16);
    expect(s.bpf_dynptr_adjust('d', 16, 16)).toBe(0);
    expect(s.bpf_dynptr_size('d')).toBe(0n);
    expect(s.bpf_dynptr_read(null, 0, 'd', 0, 0)).toBe(0);
    expect(s.bpf_dynptr_read(new Uint8Array(1), 1, 'd', 0, 0)).toBe(-E2BIG);
  });

  test('(0, size) → 0, nothing changes', () => {
    const { s, m } = local(16);
    expect(s.bpf_dynptr_adjust('d', 0, 16)).toBe(0);
    expect(s.bpf_dynptr_size('d')).toBe(16n);
    const dst = new Uint8Array(16);
    expect(s.bpf_dynptr_read(dst, 16, 'd', 0, 0)).toBe(0);
    expect(dst).toEqual(m);
  });
});

describe('bpf_dynptr_size, is_null, is_rdonly', () => {
  test('size of a LOCAL dynptr is its size', () => {
    const { s } = local(13);
    expect(s.bpf_dynptr_size('d')).toBe(13n);
  });

  test('size of a null dynptr → -EINVAL as u64 (2^64 - 22) on the default 6.19', () => {
    const s = new Session();
    expect(s.world.version).toBe('6.19');
    makeNull(s);
    expect(s.bpf_dynptr_size('n')).toBe(NULL_SIZE_U64);
    expect(s.bpf_dynptr_size('n')).toBe(18446744073709551594n);
  });

  test('is_null: false for LOCAL, true after a failed constructor', () => {
    const { s } = local(4);
    expect(s.bpf_dynptr_is_null('d')).toBe(false);
    expect(s.bpf_dynptr_from_mem(mem(4), 2 ** 24, 0, 'd')).toBe(-E2BIG);
    expect(s.bpf_dynptr_is_null('d')).toBe(true);
  });

  test('is_rdonly: false for a from_mem dynptr, false for null', () => {
    const { s } = local(4);
    expect(s.bpf_dynptr_is_rdonly('d')).toBe(false);
    makeNull(s);
    expect(s.bpf_dynptr_is_rdonly('n')).toBe(false);
  });
});

describe('bpf_dynptr_clone (LOCAL)', () => {
  test('null → -EINVAL and the clone is set null', () => {
    const { s } = local(8);
    // 'c' starts as a live LOCAL dynptr so that "set null" is observable.
    expect(s.bpf_dynptr_from_mem(mem(4), 4, 0, 'c')).toBe(0);
    makeNull(s);
    expect(s.bpf_dynptr_clone('n', 'c')).toBe(-EINVAL);
    expect(s.bpf_dynptr_is_null('c')).toBe(true);
    expect(s.bpf_dynptr_size('c')).toBe(NULL_SIZE_U64);
  });

  test('the clone has the same view and the same memory', () => {
    const { s, m } = local(16);
    expect(s.bpf_dynptr_adjust('d', 2, 10)).toBe(0);
    expect(s.bpf_dynptr_clone('d', 'c')).toBe(0);
    expect(s.bpf_dynptr_size('c')).toBe(8n);
    expect(s.bpf_dynptr_is_rdonly('c')).toBe(false);
    const dst = new Uint8Array(8);
    expect(s.bpf_dynptr_read(dst, 8, 'c', 0, 0)).toBe(0);
    expect(dst).toEqual(m.slice(2, 10));
    // A write through the clone lands in the shared memory and is seen through the original.
    expect(s.bpf_dynptr_write('c', 0, new Uint8Array([0xfe]), 1, 0)).toBe(0);
    expect(m[2]).toBe(0xfe);
    const one = new Uint8Array(1);
    expect(s.bpf_dynptr_read(one, 1, 'd', 0, 0)).toBe(0);
    expect(one[0]).toBe(0xfe);
  });

  test('the clone keeps its own bounds after the original is adjusted', () => {
    const { s, m } = local(16);
    expect(s.bpf_dynptr_clone('d', 'c')).toBe(0);
    expect(s.bpf_dynptr_adjust('d', 4, 6)).toBe(0);
    expect(s.bpf_dynptr_size('d')).toBe(2n);
    expect(s.bpf_dynptr_size('c')).toBe(16n);
    const dst = new Uint8Array(16);
    expect(s.bpf_dynptr_read(dst, 16, 'c', 0, 0)).toBe(0);
    expect(dst).toEqual(m);
  });

  test('the original keeps its bounds after the clone is adjusted', () => {
    const { s } = local(16);
    expect(s.bpf_dynptr_clone('d', 'c')).toBe(0);
    expect(s.bpf_dynptr_adjust('c', 8, 8)).toBe(0);
    expect(s.bpf_dynptr_size('c')).toBe(0n);
    expect(s.bpf_dynptr_size('d')).toBe(16n);
  });
});

describe('bpf_dynptr_slice, slice_rdwr, data (LOCAL)', () => {
  test('slice returns a view that aliases the memory', () => {
    const { s, m } = local(16);
    const v = s.bpf_dynptr_slice('d', 4, null, 4) as Uint8Array | null; // cast: the declared return type (KfuncRet) is never under tsc 7
    expect(v).not.toBeNull();
    expect(v).toEqual(m.slice(4, 8));
    m[5] = 0x77;
    expect(v?.[1]).toBe(0x77);
  });

  test('slice ignores the buffer for LOCAL (the view is not the buffer)', () => {
    const { s, m } = local(16);
    const buf = new Uint8Array(4);
    const v = s.bpf_dynptr_slice('d', 0, buf, 4) as Uint8Array | null; // cast: the declared return type (KfuncRet) is never under tsc 7
    expect(v).not.toBe(buf);
    expect(v).toEqual(m.slice(0, 4));
    expect(buf).toEqual(new Uint8Array(4));
  });

  test('slice of null → NULL; out of bounds → NULL; len 0 @ size → empty view', () => {
    const { s } = local(8);
    makeNull(s);
    expect(s.bpf_dynptr_slice('n', 0, null, 1)).toBeNull();
    expect(s.bpf_dynptr_slice('d', 5, null, 4)).toBeNull();
    expect(s.bpf_dynptr_slice('d', U64_MAX_V, null, 1)).toBeNull();
    expect(s.bpf_dynptr_slice('d', 8, null, 0)).toHaveLength(0);
    expect(s.bpf_dynptr_slice('d', 9, null, 0)).toBeNull();
  });

  test('slice is relative to the adjusted view', () => {
    const { s, m } = local(16);
    expect(s.bpf_dynptr_adjust('d', 6, 12)).toBe(0);
    expect(s.bpf_dynptr_slice('d', 2, null, 4)).toEqual(m.slice(8, 12));
    expect(s.bpf_dynptr_slice('d', 3, null, 4)).toBeNull();
  });

  test('slice_rdwr returns a writable view: writes land in the memory', () => {
    const { s, m } = local(16);
    const v = s.bpf_dynptr_slice_rdwr('d', 10, null, 2) as Uint8Array | null; // cast: the declared return type (KfuncRet) is never under tsc 7
    expect(v).toEqual(m.slice(10, 12));
    v?.set([0x11, 0x22]);
    expect(m[10]).toBe(0x11);
    expect(m[11]).toBe(0x22);
  });

  test('slice_rdwr of null → NULL; out of bounds → NULL', () => {
    const { s } = local(8);
    makeNull(s);
    expect(s.bpf_dynptr_slice_rdwr('n', 0, null, 1)).toBeNull();
    expect(s.bpf_dynptr_slice_rdwr('d', 0, null, 9)).toBeNull();
  });

  test('data returns a view that aliases the memory', () => {
    const { s, m } = local(16);
    const v = s.bpf_dynptr_data('d', 1, 3) as Uint8Array | null; // cast: the declared return type (KfuncRet) is never under tsc 7
    expect(v).toEqual(m.slice(1, 4));
    v?.fill(0);
    expect(m.slice(1, 4)).toEqual(new Uint8Array(3));
    expect(m[0]).toBe(1);
    expect(m[4]).toBe(5);
  });

  test('data of null → NULL; out of bounds → NULL', () => {
    const { s } = local(8);
    makeNull(s);
    expect(s.bpf_dynptr_data('n', 0, 1)).toBeNull();
    expect(s.bpf_dynptr_data('d', 8, 1)).toBeNull();
    expect(s.bpf_dynptr_data('d', 0, 9)).toBeNull();
    expect(s.bpf_dynptr_data('d', -1, 1)).toBeNull();
  });

  test('data through a clone aliases the same memory as the original', () => {
    const { s, m } = local(8);
    expect(s.bpf_dynptr_clone('d', 'c')).toBe(0);
    const v = s.bpf_dynptr_data('c', 0, 8) as Uint8Array | null; // cast: the declared return type (KfuncRet) is never under tsc 7
    v?.set([0xab], 7);
    expect(m[7]).toBe(0xab);
  });
});

describe('any op on a null dynptr → -EINVAL (observed)', () => {
  test('read, write, adjust, size, clone', () => {
    const s = new Session();
    makeNull(s);
    expect(s.bpf_dynptr_read(null, 0, 'n', 0, 0)).toBe(-EINVAL);
    expect(s.bpf_dynptr_write('n', 0, null, 0, 0)).toBe(-EINVAL);
    expect(s.bpf_dynptr_adjust('n', 0, 0)).toBe(-EINVAL);
    expect(s.bpf_dynptr_size('n')).toBe(NULL_SIZE_U64);
    expect(s.bpf_dynptr_clone('n', 'c')).toBe(-EINVAL);
  });
});
