/**
 * File contents. A file's bytes are never copied into the world: an inode holds a `Content`, which is
 * either a shared `Uint8Array` or a seeded pattern computed on demand, so a 1 TiB file costs nothing
 * until a page of it is read. Bytes at or past the inode size read as zero (the tail of the last page).
 *
 * What writes and truncations change is an `Overlay` on top: the written extents (sorted, never
 * overlapping; a write trims what it covers, without copying) and the offset from which the original
 * content reads as zero (a truncation below it: mm/truncate.c zeroes the partial page, and blocks past
 * EOF are freed, so extending the file again shows zeros). Reading costs a binary search and the
 * extents the range meets; a write costs the extents it overlaps and one array copy of the list.
 */
import { ArgumentError } from '../kernel/errors.ts';

export type Content =
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array }
  | { readonly kind: 'pattern'; readonly seed: number }
  | { readonly kind: 'zero' };

/**
 * Pattern content, with a memo of the pages it has generated for large reads (`copyFileBytes`): a
 * 256 KiB read of cached pages then copies bytes, as the kernel copies from the page cache, instead of
 * computing 65,536 words. The memo keeps pages in blocks of `BLOCK_PAGES` pages (64 KiB), each page
 * generated the first time a read needs it, so that a read copies a block's run of pages with one
 * `Uint8Array.set`: a `set` a page cost some 50 ns each, as much again as the copy of 256 KiB
 * (bench/README.md, "Calls, stop 63"). It holds at most `PATTERN_MEMO_BLOCKS` blocks (1 MiB), dropped
 * oldest first; it is invisible (a page's bytes are a function of the seed and the page) and is not
 * part of the world (stateBytes does not count it).
 */
export class PatternContent {
  readonly kind = 'pattern' as const;
  readonly #blocks = new Map<number, MemoBlock>();
  constructor(readonly seed: number) {}

  /**
   * The bytes of block `block` (64 KiB from byte `block * BLOCK_BYTES`, below 2^53), of which those in
   * `[from, to)` (offsets in the block) are generated: the pages they meet are made if not yet.
   */
  block(block: number, from: number, to: number): Uint8Array {
    let b = this.#blocks.get(block);
    if (b === undefined) {
      b = { bytes: new Uint8Array(BLOCK_BYTES), made: 0 };
      if (this.#blocks.size >= PATTERN_MEMO_BLOCKS) this.#blocks.delete(this.#blocks.keys().next().value as number);
      this.#blocks.set(block, b);
    }
    const end = Math.ceil(to / PAGE_BYTES);
    for (let p = Math.floor(from / PAGE_BYTES); p < end; p += 1) {
      if ((b.made & (1 << p)) !== 0) continue;
      const word = (block * BLOCK_PAGES + p) * (PAGE_BYTES / 4);
      // A page's 1024 words never straddle a multiple of 2^32 words: one high half for the page.
      const hi = Math.floor(word / 0x1_0000_0000);
      fillWords(b.bytes, p * PAGE_BYTES, PAGE_BYTES / 4, this.seed, hi, word - hi * 0x1_0000_0000);
      b.made |= 1 << p;
    }
    return b.bytes;
  }
}
// The model keeps no instance of this class in immer (inodes live in hand-written tables); still, a
// prototype without its own `constructor` is what immer's plain-object test answers "no" to at once.
delete (PatternContent.prototype as { constructor?: unknown }).constructor;

/** A block of the memo: its bytes, and a bit a page for the pages generated in them. */
interface MemoBlock {
  readonly bytes: Uint8Array;
  made: number;
}

const PAGE_BYTES = 4096;
/** Pages in a block of the memo (at most 32: `MemoBlock.made` has a bit for each). */
const BLOCK_PAGES = 16;
const BLOCK_BYTES = BLOCK_PAGES * PAGE_BYTES;
const PATTERN_MEMO_BLOCKS = 16;
/** Bytes the memo holds at most. */
export const PATTERN_MEMO_BYTES = PATTERN_MEMO_BLOCKS * BLOCK_BYTES;

export const content = {
  /** The given bytes (shared, never copied; do not change them afterwards). */
  bytes: (bytes: Uint8Array): Content => {
    if (!(bytes instanceof Uint8Array)) throw new ArgumentError('bytes', bytes, 'a Uint8Array');
    return { kind: 'bytes', bytes };
  },
  /** A deterministic pseudo-random byte at every offset, from `seed` (see `patternByte`). */
  pattern: (seed: number): Content => {
    if (typeof seed !== 'number' || !Number.isInteger(seed)) throw new ArgumentError('seed', seed, 'an integer (taken modulo 2^32)');
    return new PatternContent(seed >>> 0);
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

const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);

/** `off` as a number when it is exactly one (below 2^53), else -1. */
export function exactOffset(off: bigint): number {
  return off <= MAX_EXACT ? Number(off) : -1;
}

/**
 * Copy `len` bytes of a file of `size` bytes, from `fileOff`, into `dst` at `dstOff`; bytes at or
 * past `size` are zero. `len` is small enough to be a number (it fits in the destination).
 * `exact`: `exactOffset(fileOff)`, when the caller has it (a conversion of a bigint to a number is
 * some 90 instructions, a tenth of a 16-byte read's copy, bench/README.md "Cases, stop 61").
 */
export function copyFileBytes(
  c: Content, size: bigint, fileOff: bigint, dst: Uint8Array, dstOff: number, len: number, exact = exactOffset(fileOff),
): void {
  const inFile = fileOff >= size ? 0 : bytesBefore(size, fileOff, exact, len);
  if (inFile < len) dst.fill(0, dstOff + inFile, dstOff + len);
  if (inFile === 0) return;
  switch (c.kind) {
    case 'zero':
      dst.fill(0, dstOff, dstOff + inFile);
      return;
    case 'bytes': {
      const start = exact >= 0 ? exact : Number(fileOff);
      const avail = Math.max(0, Math.min(inFile, c.bytes.length - start));
      if (avail > 0) dst.set(start === 0 && avail === c.bytes.length ? c.bytes : c.bytes.subarray(start, start + avail), dstOff);
      if (avail < inFile) dst.fill(0, dstOff + avail, dstOff + inFile);
      return;
    }
    case 'pattern':
      copyPattern(c, fileOff, exact, dst, dstOff, inFile);
      return;
  }
}

/** Whether this machine stores a 32-bit word's low byte first (then words are written whole). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Write `words` pattern words into `dst` from byte `at`, the first being word `hi * 2^32 + lo`
 * (`lo + words` stays below 2^32 or wraps once into `hi + 1`).
 */
function fillWords(dst: Uint8Array, at: number, words: number, seed: number, hi: number, lo: number): void {
  let base = mix32(seed ^ Math.imul(hi, 0x9e3779b1));
  let w = lo;
  // Whole words through a 32-bit view when it pays for itself (many words, aligned, little-endian).
  const aligned = words >= 32 && LITTLE_ENDIAN && (dst.byteOffset + at) % 4 === 0;
  const view = aligned ? new Int32Array(dst.buffer, dst.byteOffset + at, words) : null;
  for (let i = 0; i < words; i += 1) {
    // patternWord(seed, hi, w), with the mix of the high half made once.
    let x = base ^ w;
    x ^= x >>> 16;
    x = Math.imul(x, 0x85ebca6b);
    x ^= x >>> 13;
    x = Math.imul(x, 0xc2b2ae35);
    x ^= x >>> 16;
    if (view !== null) view[i] = x;
    else {
      const o = at + 4 * i;
      dst[o] = x;
      dst[o + 1] = x >>> 8;
      dst[o + 2] = x >>> 16;
      dst[o + 3] = x >>> 24;
    }
    w = (w + 1) >>> 0;
    if (w === 0) base = mix32(seed ^ Math.imul(hi + 1, 0x9e3779b1));
  }
}

/** Copy `len` bytes of pattern content from `fileOff` (all before EOF; `exact` as `copyFileBytes`) into `dst` at `dstOff`. */
function copyPattern(c: Extract<Content, { kind: 'pattern' }>, fileOff: bigint, exact: number, dst: Uint8Array, dstOff: number, len: number): void {
  if (len >= PAGE_BYTES && c instanceof PatternContent && exact >= 0 && exact + len <= Number.MAX_SAFE_INTEGER) {
    // A large read: block by block from the memo of generated pages.
    let off = exact;
    let i = 0;
    while (i < len) {
      const b = Math.floor(off / BLOCK_BYTES);
      const inBlock = off - b * BLOCK_BYTES;
      const n = Math.min(BLOCK_BYTES - inBlock, len - i);
      const src = c.block(b, inBlock, inBlock + n);
      dst.set(inBlock === 0 && n === BLOCK_BYTES ? src : src.subarray(inBlock, inBlock + n), dstOff + i);
      i += n;
      off += n;
    }
    return;
  }
  let shift: number;
  let hi: number;
  let lo: number;
  if (exact >= 0) {
    // The split in numbers while exact (no bigints to allocate).
    const off = exact;
    const word = Math.floor(off / 4);
    shift = (off % 4) * 8;
    hi = Math.floor(word / 0x1_0000_0000);
    // Not `word % 2 ** 32`: V8 computes a `%` by a divisor past int32 with fmod (some 8 ns more).
    lo = word - hi * 0x1_0000_0000;
  } else {
    const word = fileOff >> 2n;
    shift = Number(fileOff & 3n) * 8;
    hi = Number(word >> 32n);
    lo = Number(word & 0xffff_ffffn);
  }
  let i = 0;
  if (shift !== 0) {
    // The bytes before the next word boundary.
    const w = patternWord(c.seed, hi, lo);
    for (; shift < 32 && i < len; shift += 8, i += 1) dst[dstOff + i] = (w >>> shift) & 0xff;
    lo = (lo + 1) >>> 0;
    if (lo === 0) hi += 1;
  }
  const whole = Math.floor((len - i) / 4);
  if (whole > 0) {
    fillWords(dst, dstOff + i, whole, c.seed, hi, lo);
    i += 4 * whole;
    lo += whole;
    if (lo >= 0x1_0000_0000) {
      lo -= 0x1_0000_0000;
      hi += 1;
    }
  }
  if (i < len) {
    // The bytes after the last word boundary.
    const w = patternWord(c.seed, hi, lo);
    for (let sh = 0; i < len; sh += 8, i += 1) dst[dstOff + i] = (w >>> sh) & 0xff;
  }
}

/** How many of `len` bytes from `fileOff` (< `size`; `exact` as `copyFileBytes`) lie before `size`. */
function bytesBefore(size: bigint, fileOff: bigint, exact: number, len: number): number {
  if (size <= MAX_EXACT) {
    // In numbers (no bigint made): both are exact (`fileOff` is below `size`).
    const left = Number(size) - exact;
    return left < len ? left : len;
  }
  const left = size - fileOff;
  return left < MAX_EXACT && Number(left) < len ? Number(left) : len;
}

/** One written extent: `bytes` at file offset `off`. */
export interface Extent {
  readonly off: bigint;
  readonly bytes: Uint8Array;
}

export interface Overlay {
  /** Original content at or past this offset reads as zero; null when never truncated below it. */
  readonly zeroFrom: bigint | null;
  /** Written extents, sorted by offset, not overlapping. */
  readonly extents: readonly Extent[];
}

const end = (e: Extent): bigint => e.off + BigInt(e.bytes.length);

/** Index of the first extent that ends after `off`. */
function firstEndingAfter(extents: readonly Extent[], off: bigint): number {
  let lo = 0;
  let hi = extents.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (end(extents[mid] as Extent) <= off) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Copy `len` bytes of a file from `fileOff` into `dst` at `dstOff`: the original content, zeros past
 * `zeroFrom` and past `size`, the written extents on top. `exact`: as `copyFileBytes`.
 */
export function readFileBytes(
  c: Content, overlay: Overlay | null, size: bigint, fileOff: bigint, dst: Uint8Array, dstOff: number, len: number, exact = exactOffset(fileOff),
): void {
  if (overlay === null) {
    copyFileBytes(c, size, fileOff, dst, dstOff, len, exact);
    return;
  }
  const limit = overlay.zeroFrom !== null && overlay.zeroFrom < size ? overlay.zeroFrom : size;
  copyFileBytes(c, limit, fileOff, dst, dstOff, len, exact);
  const stop = fileOff + BigInt(len);
  for (let i = firstEndingAfter(overlay.extents, fileOff); i < overlay.extents.length; i += 1) {
    const e = overlay.extents[i] as Extent;
    if (e.off >= stop || e.off >= size) break;
    const from = e.off > fileOff ? e.off : fileOff;
    const to = [end(e), stop, size].reduce((a, b) => (a < b ? a : b));
    if (to <= from) continue;
    dst.set(e.bytes.subarray(Number(from - e.off), Number(to - e.off)), dstOff + Number(from - fileOff));
  }
}

/** The overlay after `bytes` are written at `off` (the bytes are kept, not copied). */
export function overlayWrite(o: Overlay | null, off: bigint, bytes: Uint8Array): Overlay {
  const extents = o?.extents ?? [];
  const stop = off + BigInt(bytes.length);
  const i = firstEndingAfter(extents, off);
  let j = i;
  const kept: Extent[] = [];
  while (j < extents.length && (extents[j] as Extent).off < stop) {
    const e = extents[j] as Extent;
    if (e.off < off) kept.push({ off: e.off, bytes: e.bytes.subarray(0, Number(off - e.off)) });
    if (end(e) > stop) kept.push({ off: stop, bytes: e.bytes.subarray(Number(stop - e.off)) });
    j += 1;
  }
  const mid = kept.filter((e) => e.off < off);
  const after = kept.filter((e) => e.off >= stop);
  return { zeroFrom: o?.zeroFrom ?? null, extents: [...extents.slice(0, i), ...mid, { off, bytes }, ...after, ...extents.slice(j)] };
}

/**
 * The overlay after i_size grows past `oldSize` (a write past EOF, a truncation up): the original
 * content from `oldSize` on reads as zero (a hole; only what is written there shows).
 */
export function overlayGrow(o: Overlay | null, oldSize: bigint): Overlay {
  const zeroFrom = o?.zeroFrom !== undefined && o.zeroFrom !== null && o.zeroFrom < oldSize ? o.zeroFrom : oldSize;
  return { zeroFrom, extents: o?.extents ?? [] };
}

/** The overlay after the file is truncated to `size`: extents cut there, the original zero from there. */
export function overlayTruncate(o: Overlay | null, size: bigint): Overlay {
  const extents = o?.extents ?? [];
  const i = firstEndingAfter(extents, size);
  const cut = extents.slice(0, i);
  const e = extents[i];
  if (e !== undefined && e.off < size) cut.push({ off: e.off, bytes: e.bytes.subarray(0, Number(size - e.off)) });
  const zeroFrom = o?.zeroFrom !== undefined && o.zeroFrom !== null && o.zeroFrom < size ? o.zeroFrom : size;
  return { zeroFrom, extents: cut };
}

/** The size a `bytes` content implies, for files created without an explicit size. */
export function contentLength(c: Content): bigint | undefined {
  return c.kind === 'bytes' ? BigInt(c.bytes.length) : undefined;
}

/** The most bytes one scripted write may carry (the model holds written bytes in memory). */
export const MAX_WRITE_LEN = 1 << 24;

/** The buffer of a scripted write: byte i is `(fill + 7 i) & 0xff` (the guest driver writes the same). */
export function writeBytes(len: number, fill = 0): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i += 1) out[i] = (fill + 7 * i) & 0xff;
  return out;
}

/**
 * Whether the file has data on disk in `[off, off + len)` (a block that is mapped, not a hole): below
 * i_size, and either below where the original content stops (`zeroFrom`) or written since.
 */
export function hasData(overlay: Overlay | null, size: bigint, off: bigint, len: number): boolean {
  if (off >= size) return false;
  if (overlay === null || overlay.zeroFrom === null || off < overlay.zeroFrom) return true;
  const stop = off + BigInt(len);
  return overlay.extents.some((e) => e.off < stop && e.off + BigInt(e.bytes.length) > off);
}
