/**
 * `bpf_dynptr_check_off_len` (kernel/bpf/helpers.c): -E2BIG when `len > size` or `offset > size - len`,
 * in 64-bit arithmetic that never wraps (the subtraction only once `len <= size`). The model's
 * `checkOffLen` answers some cases without that subtraction (a size of 2^54 or more with an offset
 * and a length below 2^53 each); here every answer is checked against the kernel's two comparisons,
 * written out in bigints, on values around each boundary those shortcuts depend on.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { E2BIG } from '../src/index.ts';
import { checkOffLen } from '../src/model/dynptr/core.ts';

const U64_MAX = (1n << 64n) - 1n;
const kernel = (size: bigint, offset: bigint, len: bigint): number => (len > size || offset > size - len ? -E2BIG : 0);

/** 0, 1, and each of 2^52, 2^53, 2^54, 2^63 and 2^64 - 1 with its neighbours (in [0, 2^64)). */
const EDGES = [0n, 1n, ...[1n << 52n, 1n << 53n, 1n << 54n, 1n << 63n, U64_MAX].flatMap((x) => [x - 2n, x - 1n, x, x + 1n])].filter((x) => x >= 0n && x <= U64_MAX);
const u64 = fc.oneof(fc.constantFrom(...EDGES), fc.bigInt({ min: 0n, max: U64_MAX }), fc.bigInt({ min: 0n, max: 1n << 55n }));

describe('checkOffLen', () => {
  test('every triple of boundary values: the kernel\'s answer', () => {
    let bad = 0;
    for (const size of EDGES) for (const offset of EDGES) for (const len of EDGES) if (checkOffLen(size, offset, len) !== kernel(size, offset, len)) bad += 1;
    expect(bad).toBe(0);
  });

  test('sums just past the size, at sizes around 2^53 and 2^54: -E2BIG', () => {
    const half = (1n << 53n) - 1n;
    // Both below 2^53, their sum 2^54 - 2: past a size of 2^54 - 3, inside one of 2^54 - 2 and above.
    expect(checkOffLen((1n << 54n) - 3n, half, half)).toBe(-E2BIG);
    expect(checkOffLen((1n << 54n) - 2n, half, half)).toBe(0);
    expect(checkOffLen(1n << 53n, half, 2n)).toBe(-E2BIG);
    // A FILE dynptr's size: an offset of 2^53 and a length that reaches one past the end.
    expect(checkOffLen(U64_MAX, 1n << 53n, U64_MAX - (1n << 53n) + 1n)).toBe(-E2BIG);
    expect(checkOffLen(U64_MAX, 1n << 53n, U64_MAX - (1n << 53n))).toBe(0);
  });

  test('any u64 triple: the kernel\'s answer', () => {
    fc.assert(fc.property(u64, u64, u64, (size, offset, len) => {
      expect(checkOffLen(size, offset, len)).toBe(kernel(size, offset, len));
    }), { numRuns: 2000 });
  });
});
