/**
 * The little-endian u32s of the BPF target as the model reads and writes them by their bytes
 * (program/globals.ts `readU32LE`, `writeU32LE`: ring buffer record headers, the key a
 * `bpf_for_each_map_elem` callback gets), against `DataView`'s, which the platform defines.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { readU32LE, writeU32LE } from '../src/model/program/globals.ts';

describe('u32 little-endian', () => {
  test('read: DataView.getUint32(at, true), unsigned (bit 31 set is 2^31 or more, never negative)', () => {
    const all = new Uint8Array([0xff, 0xff, 0xff, 0xff]);
    expect(readU32LE(all, 0)).toBe(4294967295);
    expect(readU32LE(new Uint8Array([0, 0, 0, 0x80]), 0)).toBe(2 ** 31);
    fc.assert(fc.property(fc.uint8Array({ minLength: 4, maxLength: 40 }), fc.nat(), (bytes, i) => {
      const at = i % (bytes.length - 3);
      expect(readU32LE(bytes, at)).toBe(new DataView(bytes.buffer, bytes.byteOffset).getUint32(at, true));
    }));
  });

  test('write: DataView.setUint32(at, v, true) of v modulo 2^32; the bytes around are left as they were', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 4, maxLength: 40 }), fc.nat(), fc.oneof(fc.nat({ max: 0xffff_ffff }), fc.integer({ min: -(2 ** 40), max: 2 ** 40 })), (bytes, i, v) => {
      const at = i % (bytes.length - 3);
      const got = bytes.slice();
      writeU32LE(got, at, v);
      const want = bytes.slice();
      // ToUint32 of an integer: v modulo 2^32, as `>>> 0` gives it.
      new DataView(want.buffer).setUint32(at, ((v % 2 ** 32) + 2 ** 32) % 2 ** 32, true);
      expect([...got]).toEqual([...want]);
    }));
  });
});
