/**
 * File contents. A file's bytes are never copied into the world: an inode holds a `Content`, which is
 * either a shared `Uint8Array` or a seeded pattern computed on demand, so a 1 TiB file costs nothing
 * until a page of it is read. Bytes at or past the inode size read as zero (the tail of the last page).
 */
import { ArgumentError } from '../kernel/errors.ts';

export type Content =
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array }
  | { readonly kind: 'pattern'; readonly seed: number }
  | { readonly kind: 'zero' };

export const content = {
  /** The given bytes (shared, never copied; do not change them afterwards). */
  bytes: (bytes: Uint8Array): Content => {
    if (!(bytes instanceof Uint8Array)) throw new ArgumentError('bytes', bytes, 'a Uint8Array');
    return { kind: 'bytes', bytes };
  },
  /** A deterministic pseudo-random byte at every offset, from `seed` (see `patternByte`). */
  pattern: (seed: number): Content => {
    if (typeof seed !== 'number' || !Number.isInteger(seed)) throw new ArgumentError('seed', seed, 'an integer (taken modulo 2^32)');
    return { kind: 'pattern', seed: seed >>> 0 };
  },
  /** All zero (a sparse file). */
  zero: (): Content => ({ kind: 'zero' }),
} as const;

/** A 32-bit avalanche mix (the finaliser of MurmurHash3). */
function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** The 32-bit word of a pattern file at word index `hi * 2^32 + lo`. */
function patternWord(seed: number, hi: number, lo: number): number {
  return mix32(mix32(seed ^ Math.imul(hi, 0x9e3779b1)) ^ lo);
}

/** The byte of a pattern file at `offset`: byte `offset & 3` of the word at `offset >> 2`. */
export function patternByte(seed: number, offset: bigint): number {
  const word = offset >> 2n;
  const w = patternWord(seed >>> 0, Number(word >> 32n), Number(word & 0xffff_ffffn));
  return (w >>> (Number(offset & 3n) * 8)) & 0xff;
}

/**
 * Copy `len` bytes of a file of `size` bytes, from `fileOff`, into `dst` at `dstOff`; bytes at or
 * past `size` are zero. `len` is small enough to be a number (it fits in the destination).
 */
export function copyFileBytes(
  c: Content, size: bigint, fileOff: bigint, dst: Uint8Array, dstOff: number, len: number,
): void {
  const inFile = fileOff >= size ? 0 : bytesBefore(size, fileOff, len);
  if (inFile < len) dst.fill(0, dstOff + inFile, dstOff + len);
  if (inFile === 0) return;
  switch (c.kind) {
    case 'zero':
      dst.fill(0, dstOff, dstOff + inFile);
      return;
    case 'bytes': {
      const start = Number(fileOff);
      const avail = Math.max(0, Math.min(inFile, c.bytes.length - start));
      if (avail > 0) dst.set(c.bytes.subarray(start, start + avail), dstOff);
      if (avail < inFile) dst.fill(0, dstOff + avail, dstOff + inFile);
      return;
    }
    case 'pattern': {
      let i = 0;
      let shift: number;
      let hi: number;
      let lo: number;
      if (fileOff <= MAX_EXACT) {
        // The same split in numbers while exact (no bigints to allocate).
        const off = Number(fileOff);
        const word = Math.floor(off / 4);
        shift = (off % 4) * 8;
        hi = Math.floor(word / 0x1_0000_0000);
        lo = word % 0x1_0000_0000;
      } else {
        const word = fileOff >> 2n;
        shift = Number(fileOff & 3n) * 8;
        hi = Number(word >> 32n);
        lo = Number(word & 0xffff_ffffn);
      }
      let w = patternWord(c.seed, hi, lo);
      while (i < inFile) {
        dst[dstOff + i] = (w >>> shift) & 0xff;
        i += 1;
        shift += 8;
        if (shift === 32 && i < inFile) {
          shift = 0;
          lo = (lo + 1) >>> 0;
          if (lo === 0) hi += 1;
          w = patternWord(c.seed, hi, lo);
        }
      }
      return;
    }
  }
}

const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);

/** How many of `len` bytes from `fileOff` (< `size`) lie before `size`. */
function bytesBefore(size: bigint, fileOff: bigint, len: number): number {
  const left = size - fileOff;
  return left < MAX_EXACT && Number(left) < len ? Number(left) : len;
}

/** The size a `bytes` content implies, for files created without an explicit size. */
export function contentLength(c: Content): bigint | undefined {
  return c.kind === 'bytes' ? BigInt(c.bytes.length) : undefined;
}
