/**
 * A task's user memory (src/model/helpers/user.ts): the regions its writes left, kept in order of
 * address so that a byte, a read and a page are found by a binary search, and a read copies a region
 * at a time. Checked against the rule written out plainly: a write of n > 0 bytes replaces every
 * region it overlaps, whole; a byte is mapped when a region holds it; a page is mapped when a region
 * holds a byte of it; a read stops at the first byte not mapped.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { pageMapped, userByte, userRead } from '../src/model/helpers/user.ts';
import { Session, type ReadonlyTask } from '../src/index.ts';

const BASE = 3n * 4096n - 150n;
const writeArb = fc.record({ at: fc.nat(400), len: fc.nat(60), fill: fc.integer({ min: 1, max: 255 }) });
const readArb = fc.record({ at: fc.integer({ min: -20, max: 480 }), len: fc.nat(200) });

interface Region { addr: bigint; bytes: Uint8Array }

/** The rule, over regions in the order they were written, each byte found by a scan of them all. */
function oracleByte(regions: readonly Region[], addr: bigint): number | null {
  for (const r of regions) if (addr >= r.addr && addr < r.addr + BigInt(r.bytes.length)) return r.bytes[Number(addr - r.addr)]!;
  return null;
}

describe('user memory', () => {
  test('bytes, reads and pages are what the regions written hold, whatever the order and overlap of the writes', () => {
    fc.assert(fc.property(fc.array(writeArb, { maxLength: 25 }), fc.array(readArb, { minLength: 1, maxLength: 10 }), (writes, reads) => {
      const s = new Session();
      const pid = s.spawn({ comm: 'u', script: [] });
      let regions: Region[] = [];
      writes.forEach((w, i) => {
        const addr = BASE + BigInt(w.at);
        // Each write's bytes differ from every other's: fill, then its index, then the offset.
        const bytes = Uint8Array.from({ length: w.len }, (_, j) => (w.fill + i * 7 + j) & 0xff);
        s.writeUser(pid, addr, bytes);
        if (w.len === 0) return;
        const end = addr + BigInt(w.len);
        regions = [...regions.filter((r) => r.addr + BigInt(r.bytes.length) <= addr || r.addr >= end), { addr, bytes }];
      });
      const task = s.world.tasks.get(pid)!;
      const t = { mm: { exe_file: 1 }, userMem: task.userMem } as unknown as ReadonlyTask;
      for (let a = BASE - 10n; a < BASE + 480n; a += 1n) expect(userByte(t, a)).toBe(oracleByte(regions, a));
      for (const r of reads) {
        const addr = BASE + BigInt(r.at);
        const dst = new Uint8Array(r.len + 4).fill(0xcc);
        const n = userRead(t, addr, dst, 2, r.len);
        let want = 0;
        while (want < r.len && oracleByte(regions, addr + BigInt(want)) !== null) want += 1;
        expect(n).toBe(want);
        for (let j = 0; j < r.len + 4; j += 1) {
          expect(dst[j]).toBe(j >= 2 && j < 2 + n ? oracleByte(regions, addr + BigInt(j - 2)) : 0xcc);
        }
        const page = addr - (addr % 4096n);
        let mapped = false;
        for (let b = page; b < page + 4096n && !mapped; b += 1n) mapped = oracleByte(regions, b) !== null;
        expect(pageMapped(t, addr)).toBe(mapped);
      }
      // A task without mm has no user memory.
      expect(userRead({ ...t, mm: null } as unknown as ReadonlyTask, BASE, new Uint8Array(8), 0, 8)).toBe(0);
    }));
  });

  test('a page is mapped by a byte in it: not by a region that ends where the page begins, nor by one that begins where it ends', () => {
    const s = new Session();
    const pid = s.spawn({ comm: 'u', script: [] });
    const view = (): ReadonlyTask => ({ mm: { exe_file: 1 }, userMem: s.world.tasks.get(pid)!.userMem }) as unknown as ReadonlyTask;
    s.writeUser(pid, 2n * 4096n - 10n, new Uint8Array(10).fill(1));
    s.writeUser(pid, 3n * 4096n, new Uint8Array(3).fill(2));
    expect(pageMapped(view(), 2n * 4096n - 1n)).toBe(true);
    expect(pageMapped(view(), 2n * 4096n + 5n)).toBe(false);
    expect(pageMapped(view(), 3n * 4096n + 4095n)).toBe(true);
    s.writeUser(pid, 3n * 4096n - 1n, new Uint8Array(1).fill(3));
    expect(pageMapped(view(), 2n * 4096n + 5n)).toBe(true);
  });
});
