/**
 * Properties added to kill mutants (docs/properties.md, "Mutation testing"): reads far into huge files.
 * P1's rule ("a successful read returns exactly the file's bytes at the dynptr's offset plus the read
 * offset", SEMANTICS.md `bpf_dynptr_read`), at the file positions where the model's arithmetic changes
 * form: around 2^34 (where a pattern file's 32-bit word index carries), 2^53 (beyond which a byte
 * offset is no longer exact in a JavaScript number) and the end of a 2^63 - 1 byte file (`loff_t`).
 * The expected bytes come from the oracle's byte source, one byte at a time.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { expectBytes } from './bytes.ts';
import { content, pageMap, Session } from '../src/index.ts';
import { byteSource, expectedBytes } from './oracle.ts';
import { expectIs } from './fast_expect.ts';

const SIZE = 2n ** 63n - 1n;
const EDGES = [2n ** 34n, 2n ** 35n, 2n ** 53n, 2n ** 53n + 2n ** 34n, 2n ** 62n, SIZE];

describe('mutants: reads far into huge files', () => {
  test('mutants: a read of cached pages across 2^34, 2^53 or up to EOF of a 2^63 - 1 byte pattern file returns the file\'s bytes', () => {
    fc.assert(fc.property(
      fc.constantFrom(...EDGES), fc.integer({ min: -5000, max: 0 }), fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 0, max: 0xffff_ffff }), fc.boolean(),
      (edge, before, len, seed, sleepable) => {
        const start = edge + BigInt(before);
        const n = start + BigInt(len) > SIZE ? Number(SIZE - start) : len;
        if (n <= 0) return;
        const s = new Session({ sleepable });
        s.createFile({ path: '/huge', content: content.pattern(seed), size: SIZE });
        s.populate('/huge', start, n);
        const f = s.open('/huge');
        expectIs(s.bpf_dynptr_from_file(f, 0, 'd'), 0);
        const dst = new Uint8Array(n);
        expectIs(s.bpf_dynptr_read(dst, n, 'd', start, 0), 0);
        expectBytes(dst, expectedBytes(byteSource({ kind: 'pattern', seed }, SIZE), start, n));
      },
    ));
  });

  test('mutants: after a read, a non-sleepable reader holds the folio of the last byte it read, and only that one; a sleepable one holds none', () => {
    // SEMANTICS.md, the reader: non-sleepable "keeps at most one folio referenced between fetches and
    // reuses it while the next fetch falls inside it; a range that crosses folios is copied piecewise":
    // the folio it keeps is the one its last piece came from; sleepable: "**no folio is held** after
    // the call". pageMap shows a referenced page as 'uptodate+ref'.
    fc.assert(fc.property(
      fc.constantFrom(0n, 2n ** 34n, 2n ** 53n, 2n ** 62n), fc.array(fc.tuple(fc.integer({ min: 0, max: 5 * 4096 }), fc.integer({ min: 1, max: 3 * 4096 })), { minLength: 1, maxLength: 4 }), fc.boolean(),
      (base, reads, sleepable) => {
        const size = base + 8n * 4096n;
        const s = new Session({ sleepable });
        s.createFile({ path: '/f', content: content.pattern(5), size });
        // Every page of the file cached, so every read takes the path that copies in one go.
        s.populate('/f', base, 8 * 4096);
        const f = s.open('/f');
        expectIs(s.bpf_dynptr_from_file(f, 0, 'd'), 0);
        for (const [off, n] of reads) {
          const at = base + BigInt(off);
          expectIs(s.bpf_dynptr_read(new Uint8Array(n), n, 'd', at, 0), 0);
          const last = (at + BigInt(n) - 1n) / 4096n;
          expectIs(pageMap(s.world, '/f')['uptodate+ref'], sleepable ? undefined : String(last));
        }
        expectIs(s.bpf_dynptr_file_discard('d'), 0);
        expect(pageMap(s.world, '/f')['uptodate+ref']).toBeUndefined();
      },
    ));
  });

  test('mutants: a non-sleepable read inside the cached last page, partly or wholly past EOF, returns 0 and zeros past EOF', () => {
    // SEMANTICS.md, "Observed on real kernels": "FILE size is U64_MAX, so offsets past EOF are not
    // bounds errors: a read that crosses EOF inside the cached last page returns 0 and the bytes past
    // EOF are zeros". The file's bytes come from the oracle's byte source, which reads zero past EOF.
    fc.assert(fc.property(
      fc.constantFrom(1n, 100n, 4095n, 4097n, 2n ** 53n + 10n, 2n ** 63n - 1n), fc.integer({ min: 0, max: 4095 }), fc.integer({ min: 0, max: 4096 }), fc.constantFrom('pattern' as const, 'zero' as const), fc.integer({ min: 0, max: 0xffff_ffff }),
      (size, startInPage, n, kind, seed) => {
        const lastPage = (size - 1n) / 4096n;
        const start = lastPage * 4096n + BigInt(startInPage);
        const len = Math.min(n, Number(lastPage * 4096n + 4096n - start));
        const s = new Session({ sleepable: false });
        s.createFile({ path: '/f', content: kind === 'pattern' ? content.pattern(seed) : content.zero(), size });
        s.populate('/f', lastPage * 4096n, 1);
        const f = s.open('/f');
        expectIs(s.bpf_dynptr_from_file(f, 0, 'd'), 0);
        const dst = new Uint8Array(len).fill(0xa5);
        expectIs(s.bpf_dynptr_read(dst, len, 'd', start, 0), 0);
        const src = kind === 'pattern' ? byteSource({ kind: 'pattern', seed }, size) : byteSource({ kind: 'zero' }, size);
        expectBytes(dst, expectedBytes(src, start, len));
      },
    ));
  });
});
