/**
 * Properties added to kill mutants (docs/properties.md, "Mutation testing"): direct access to dynptr
 * memory (`bpf_dynptr_slice`, `bpf_dynptr_slice_rdwr`, `bpf_dynptr_data`) and LOCAL reads after an
 * adjust, for LOCAL, FILE (secretmem too) and null dynptrs. Expected values from SEMANTICS.md,
 * computed here.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { expectBytes } from './bytes.ts';
import { content, Session } from '../src/index.ts';
import { patternByte } from '../src/model/fs/content.ts';
import { expectIs, expectEqual } from './fast_expect.ts';

const PAGE = 4096n;
const MAX_LOCAL = (1n << 24n) - 1n;

interface Case {
  readonly kind: 'local' | 'file' | 'secret' | 'null';
  readonly size: bigint;
  readonly start: bigint;
  readonly end: bigint;
  readonly off: bigint;
  readonly len: bigint;
  readonly cached: boolean;
  /** The FILE dynptr is made (and used) in a sleepable context: its reader reads cold pages in. */
  readonly sleepable: boolean;
}

const arb: fc.Arbitrary<Case> = fc
  .record({
    kind: fc.constantFrom('local' as const, 'file' as const, 'secret' as const, 'null' as const),
    size: fc.constantFrom(1n, 16n, 4095n, 4096n, 8193n),
    a: fc.nat({ max: 9000 }), b: fc.nat({ max: 9000 }),
    off: fc.oneof(fc.constantFrom(0n, 1n, 4095n, 4096n), fc.bigInt(0n, 9000n)),
    len: fc.oneof(fc.constantFrom(0n, 1n, 8n, 4096n), fc.bigInt(0n, 9000n)),
    cached: fc.boolean(),
    sleepable: fc.boolean(),
  })
  .map(({ a, b, size, ...c }) => {
    const x = BigInt(a) % (size + 1n);
    const y = BigInt(b) % (size + 1n);
    return { ...c, size, start: x < y ? x : y, end: x < y ? y : x };
  });

/** "`len > size` or `offset > size − len` → `-E2BIG` (64-bit arithmetic, no wrap)": true when in bounds. */
const inBounds = (size: bigint, off: bigint, len: bigint): boolean => len <= size && off + len <= size;

describe('mutants: slices and LOCAL reads', () => {
  test('mutants: slice, slice_rdwr and data give views, copies or NULL as SEMANTICS says', () => {
    // SEMANTICS.md: "`bpf_dynptr_slice(p, offset, buffer, buffer__szk)` | null → NULL; bounds → NULL |
    // FILE: copies into `buffer` through the reader and returns `buffer`, or NULL on any reader error";
    // "`bpf_dynptr_data` / `bpf_dynptr_slice_rdwr` | read-only → NULL | never a pointer for FILE";
    // "`bpf_dynptr_adjust` … offset += start; size = end − start"; a non-sleepable reader of a page
    // not uptodate, or of a secretmem mapping, fails ("→ `-EFAULT`"); "`bpf_dynptr_read` … 0 and the bytes".
    fc.assert(fc.property(arb, (c) => {
      const s = new Session({ sleepable: c.sleepable && c.kind === 'file' });
      const fileSize = 3n * PAGE;
      s.createFile({ path: '/f', content: content.pattern(11), size: fileSize, secretmem: c.kind === 'secret' });
      if (c.cached) s.populate('/f');
      const f = s.open('/f');
      const mem = new Uint8Array(Number(c.size) + 8);
      for (let i = 0; i < mem.length; i += 1) mem[i] = (i * 29 + 7) & 0xff;
      let size: bigint;
      if (c.kind === 'local') {
        expectIs(s.bpf_dynptr_from_mem(mem, c.size, 0, 'p'), 0);
        size = c.size;
      } else if (c.kind === 'null') {
        expectIs(s.bpf_dynptr_from_mem(mem, c.size, 1, 'p'), -22);
        size = 0n;
      } else {
        expectIs(s.bpf_dynptr_from_file(f, 0, 'p'), 0);
        size = (1n << 64n) - 1n;
      }
      let base = 0n;
      if (c.kind !== 'null') {
        // LOCAL: [start, end) of its memory; FILE: the same window of the file.
        expectIs(s.bpf_dynptr_adjust('p', c.start, c.end), 0);
        base = c.start;
        size = c.end - c.start;
      }
      const ok = c.kind !== 'null' && inBounds(size, c.off, c.len);
      const pos = base + c.off;
      const buffer = new Uint8Array(Number(c.len)).fill(0xa5);
      const slice = s.bpf_dynptr_slice('p', c.off, buffer, c.len) as Uint8Array | null;
      const rdwr = s.bpf_dynptr_slice_rdwr('p', c.off, new Uint8Array(Number(c.len)), c.len) as Uint8Array | null;
      const data = s.bpf_dynptr_data('p', c.off, c.len) as Uint8Array | null;
      const dst = new Uint8Array(Number(c.len) + 4).fill(0x5a);
      const read = s.bpf_dynptr_read(dst, c.len, 'p', c.off, 0);
      if (!ok) {
        expectEqual([slice, rdwr, data], [null, null, null]);
        expectIs(read, c.kind === 'null' ? -22 : -7);
        return;
      }
      if (c.kind === 'local') {
        const want = mem.subarray(Number(pos), Number(pos + c.len));
        for (const v of [slice, rdwr, data]) {
          // A view of the memory itself (writes through it reach the dynptr's memory).
          expect(v).not.toBeNull();
          expectIs(v!.buffer, mem.buffer);
          expectIs(v!.byteOffset, Number(pos));
          expectIs(v!.length, Number(c.len));
        }
        expectIs(read, 0);
        expectBytes(dst.subarray(0, Number(c.len)), want);
        expectIs(dst.subarray(Number(c.len)).every((x) => x === 0x5a), true);
        return;
      }
      // FILE: read-only, never a pointer; the slice copies through the reader.
      expect(rdwr).toBeNull();
      expect(data).toBeNull();
      const pages: bigint[] = [];
      for (let p = pos / PAGE; p <= (pos + (c.len > 0n ? c.len : 1n) - 1n) / PAGE; p += 1n) pages.push(p);
      // "sleepable reader waits for the page to be read"; "a page wholly past EOF → `-EFAULT`
      // non-sleepable, `-EIO` sleepable" (the windows here end before EOF).
      const sleeps = c.sleepable && c.kind === 'file';
      const fails = c.kind === 'secret' || (!c.cached && !sleeps) || pages.some((p) => p * PAGE >= fileSize);
      if (fails) {
        expect(slice).toBeNull();
        expectIs(read, sleeps ? -5 : -14);
        return;
      }
      const want = new Uint8Array(Number(c.len));
      for (let i = 0n; i < c.len; i += 1n) want[Number(i)] = pos + i < fileSize ? patternByte(11, pos + i) : 0;
      expectIs(slice, buffer);
      expectBytes(buffer, want);
      expectIs(read, 0);
      expectBytes(dst.subarray(0, Number(c.len)), want);
      // A FILE slice needs a buffer: with NULL it is NULL.
      expect(s.bpf_dynptr_slice('p', c.off, null, c.len)).toBeNull();
    }));
  });

  test('mutants: a LOCAL dynptr of exactly 2^24 − 1 bytes can be made; one byte more cannot', () => {
    // SEMANTICS.md: LOCAL dynptrs "have at most 2^24 − 1 bytes (`DYNPTR_MAX_SIZE`);
    // `bpf_dynptr_from_mem` with a larger size returns `-E2BIG` and nulls the dynptr".
    fc.assert(fc.property(fc.constantFrom(0n, 1n), (extra) => {
      const s = new Session();
      const mem = new Uint8Array(Number(MAX_LOCAL + extra));
      const got = s.bpf_dynptr_from_mem(mem, MAX_LOCAL + extra, 0, 'p');
      expectIs(got, extra === 0n ? 0 : -7);
      expectIs(s.bpf_dynptr_is_null('p'), extra !== 0n);
      if (extra === 0n) expect(s.bpf_dynptr_size('p')).toBe(MAX_LOCAL);
    }), { numRuns: 4 });
  });
});
