import { expect, test } from 'vitest';
import { content, Session, stateBytes } from '../src/index.ts';

const TIB = 1n << 40n;

test('a 1 TiB file of which 3 pages were read holds under 1 MiB of model state', () => {
  const s = new Session({ sleepable: true });
  s.createFile({ path: '/huge', content: content.pattern(1), size: TIB });
  const f = s.open('/huge');
  expect(s.bpf_dynptr_from_file(f, 0, 'd')).toBe(0);
  const buf = new Uint8Array(16);
  for (const off of [0n, TIB / 2n, TIB - 16n]) expect(s.bpf_dynptr_read(buf, 16, 'd', off, 0)).toBe(0);
  expect(s.bpf_dynptr_file_discard('d')).toBe(0);
  // Page 0: the initial window (pages 0-3, PG_readahead on 1); the two others are small random reads.
  expect(s.pages('/huge')).toEqual({ uptodate: `0,2-3,${Number(TIB / 2n / 4096n)},${Number((TIB - 1n) / 4096n)}`, 'uptodate+ra': '1' });
  expect(stateBytes(s.world)).toBeLessThan(1 << 20);
});

test('state size is flat in the file size for the same pages touched', () => {
  const sizes = [4096n, 1n << 30n, TIB].map((size) => {
    const s = new Session({ sleepable: true });
    s.createFile({ path: '/f', content: content.pattern(2), size });
    const f = s.open('/f');
    // POSIX_FADV_RANDOM: the read brings in the page it needs only, whatever the file's size.
    s.fadvise(f, 0, 0, 'RANDOM');
    s.bpf_dynptr_from_file(f, 0, 'd');
    s.bpf_dynptr_read(new Uint8Array(8), 8, 'd', 0, 0);
    s.bpf_dynptr_file_discard('d');
    return stateBytes(s.world);
  });
  // The only difference is the digits of the size: a few bytes, not a number of pages.
  expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThan(64);
});
