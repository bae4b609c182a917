/**
 * Pattern content is defined byte by byte (`patternByte`); reads generate it a word at a time and
 * large reads copy generated pages from a memo (src/model/fs/content.ts). Both must give exactly the
 * defined bytes, at any alignment of the file offset and of the destination, across the 2^32-word
 * carry (byte 2^34) and beyond 2^53, and whatever the memo held before.
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { content, Session } from '../src/index.ts';
import { copyFileBytes, patternByte, PATTERN_MEMO_BYTES } from '../src/model/fs/content.ts';

/** The index of the first byte where `a` and `b` differ, or -1 (a plain loop: large arrays compare fast). */
const firstDiff = (a: Uint8Array, b: Uint8Array): number => {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return i;
  return -1;
};

const defined = (seed: number, off: bigint, n: number): Uint8Array => {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 1) out[i] = patternByte(seed, off + BigInt(i));
  return out;
};

describe('pattern content', () => {
  test('a read of any length at any offset and destination alignment gives the defined bytes', () => {
    const SIZE = 2n ** 63n - 1n;
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 0xffff_ffff }),
      fc.oneof(fc.bigInt({ min: 0n, max: 1n << 20n }), fc.constantFrom(2n ** 34n, 2n ** 53n, 2n ** 62n).chain((e) => fc.bigInt({ min: e - 9000n, max: e + 9000n }))),
      fc.integer({ min: 0, max: 9000 }), fc.integer({ min: 0, max: 7 }),
      (seed, off, n, pad) => {
        const c = content.pattern(seed);
        const dst = new Uint8Array(n + pad);
        copyFileBytes(c, SIZE, off, dst, pad, n);
        expect(firstDiff(dst.subarray(pad), defined(seed >>> 0, off, n))).toBe(-1);
        // Again: now from the memo of generated pages.
        const again = new Uint8Array(n + pad);
        copyFileBytes(c, SIZE, off, again, pad, n);
        expect(firstDiff(again.subarray(pad), dst.subarray(pad))).toBe(-1);
      },
    ), { numRuns: 100 });
  }, 120_000);

  test('a FILE dynptr\'s cached read past 2^53 gives the defined bytes (the reader passes the offset as a number only while exact)', () => {
    const s = new Session();
    s.createFile({ path: '/huge', content: content.pattern(5), size: 2n ** 62n });
    // Pages on both sides of 2^53 (a page index of 2^41), read at offsets a double cannot hold.
    const at = [2n ** 53n - 4096n * 3n + 4093n, 2n ** 53n + 1n, 2n ** 53n + 4096n * 5n + 7n, 2n ** 61n + 12345n];
    for (const off of at) s.populate('/huge', off - (off % 4096n), 2n * 4096n);
    expect(s.bpf_dynptr_from_file(s.open('/huge'), 0, 'd')).toBe(0);
    for (const off of at) {
      const dst = new Uint8Array(21);
      expect(s.bpf_dynptr_read(dst, 21, 'd', off, 0)).toBe(0);
      expect([...dst]).toEqual([...defined(5, off, 21)]);
    }
  });

  test('reads in any order from one content give the defined bytes, whatever pages and blocks of the memo they made before', () => {
    // A region past what the memo holds (so blocks are dropped), read by ranges that start and end
    // anywhere: each meets blocks of which some pages were made by earlier reads and some were not.
    const seed = 0x5eed;
    const REGION = PATTERN_MEMO_BYTES + 5 * 4096 + 123;
    const expected = defined(seed, 0n, REGION);
    fc.assert(fc.property(
      fc.array(fc.record({ off: fc.integer({ min: 0, max: REGION - 1 }), len: fc.integer({ min: 1, max: 200_000 }) }), { minLength: 1, maxLength: 12 }),
      (reads) => {
        const c = content.pattern(seed);
        for (const { off, len } of reads) {
          const n = Math.min(len, REGION - off);
          const dst = new Uint8Array(n);
          copyFileBytes(c, BigInt(REGION), BigInt(off), dst, 0, n);
          expect(firstDiff(dst, expected.subarray(off, off + n))).toBe(-1);
        }
      },
    ), { numRuns: 60 });
  }, 120_000);

  test('large reads give the defined bytes after the memo dropped pages, and bytes past EOF are zero', () => {
    const c = content.pattern(77);
    const size = BigInt(PATTERN_MEMO_BYTES + 40 * 4096);
    const all = new Uint8Array(Number(size) + 100);
    copyFileBytes(c, size, 0n, all, 0, all.length);
    expect(firstDiff(all.subarray(0, Number(size)), defined(77, 0n, Number(size)))).toBe(-1);
    expect(all.subarray(Number(size)).every((b) => b === 0)).toBe(true);
    const part = new Uint8Array(3 * 4096 + 5);
    copyFileBytes(c, size, 4093n, part, 0, part.length);
    expect(firstDiff(part, defined(77, 4093n, part.length))).toBe(-1);
  }, 120_000);
});
