/**
 * MurmurHash3 x86_128 (Austin Appleby's public-domain reference, `MurmurHash3_x86_128`) over a byte
 * array read as little-endian 32-bit words, or over a run of 32-bit words (each taken as its four
 * little-endian bytes, on any platform), whole or fed in pieces: the canonical keys' digests
 * (canon.ts). Not a cryptographic hash — none is needed: no adversary picks the states, and among
 * 10^7 distinct inputs (the states and the parts of them canon.ts digests) two share a 128-bit digest
 * with odds below 10^-24 (n^2 / 2^129). Written here rather than taken from a package because the
 * packages read the input a byte at a time (about twice as slow on the 256 KiB buffers an exploration
 * hashes) and cannot go on from a saved state; test/explore.test.ts checks every form against
 * murmurhash3js-revisited, a byte-wise implementation that matches the reference.
 */

const C1 = 0x239b961b;
const C2 = 0xab0e9789;
const C3 = 0x38b34ae5;
const C4 = 0xa1e38b93;

const rotl = (x: number, r: number): number => (x << r) | (x >>> (32 - r));

function fmix(h: number): number {
  let x = h ^ (h >>> 16);
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  return x ^ (x >>> 16);
}

/** A 128-bit digest: the reference's h1..h4 (as signed 32-bit numbers). */
export type Digest128 = number[];

/** 32-bit words: a typed array, or an array of numbers (each taken modulo 2^32). */
export type Words = Uint32Array | readonly number[];

/** Mix the whole 16-byte blocks `w[from, to)` (to - from a multiple of 4) into `h` (h1..h4). */
function body(w: Words, from: number, to: number, h: number[]): void {
  let h1 = h[0] as number;
  let h2 = h[1] as number;
  let h3 = h[2] as number;
  let h4 = h[3] as number;
  for (let i = from; i < to; i += 4) {
    let k1 = w[i] as number;
    let k2 = w[i + 1] as number;
    let k3 = w[i + 2] as number;
    let k4 = w[i + 3] as number;
    k1 = Math.imul(rotl(Math.imul(k1, C1), 15), C2);
    h1 ^= k1;
    h1 = (Math.imul((rotl(h1, 19) + h2) | 0, 5) + 0x561ccd1b) | 0;
    k2 = Math.imul(rotl(Math.imul(k2, C2), 16), C3);
    h2 ^= k2;
    h2 = (Math.imul((rotl(h2, 17) + h3) | 0, 5) + 0x0bcaa747) | 0;
    k3 = Math.imul(rotl(Math.imul(k3, C3), 17), C4);
    h3 ^= k3;
    h3 = (Math.imul((rotl(h3, 15) + h4) | 0, 5) + 0x96cd1c35) | 0;
    k4 = Math.imul(rotl(Math.imul(k4, C4), 18), C1);
    h4 ^= k4;
    h4 = (Math.imul((rotl(h4, 13) + h1) | 0, 5) + 0x32ac3b17) | 0;
  }
  h[0] = h1;
  h[1] = h2;
  h[2] = h3;
  h[3] = h4;
}

/** Mix one 16-byte block (k1..k4) into `h`. */
function block(h: number[], k1: number, k2: number, k3: number, k4: number): void {
  let h1 = h[0] as number;
  let h2 = h[1] as number;
  let h3 = h[2] as number;
  let h4 = h[3] as number;
  h1 ^= Math.imul(rotl(Math.imul(k1, C1), 15), C2);
  h1 = (Math.imul((rotl(h1, 19) + h2) | 0, 5) + 0x561ccd1b) | 0;
  h2 ^= Math.imul(rotl(Math.imul(k2, C2), 16), C3);
  h2 = (Math.imul((rotl(h2, 17) + h3) | 0, 5) + 0x0bcaa747) | 0;
  h3 ^= Math.imul(rotl(Math.imul(k3, C3), 17), C4);
  h3 = (Math.imul((rotl(h3, 15) + h4) | 0, 5) + 0x96cd1c35) | 0;
  h4 ^= Math.imul(rotl(Math.imul(k4, C4), 18), C1);
  h4 = (Math.imul((rotl(h4, 13) + h1) | 0, 5) + 0x32ac3b17) | 0;
  h[0] = h1;
  h[1] = h2;
  h[2] = h3;
  h[3] = h4;
}

/** The tail's lanes (k1..k4, each 0 when the tail has no byte in it) and the finalization, for `len` bytes. */
function finish(h: number[], len: number, r: number, k1: number, k2: number, k3: number, k4: number): void {
  let h1 = h[0] as number;
  let h2 = h[1] as number;
  let h3 = h[2] as number;
  let h4 = h[3] as number;
  if (r > 12) h4 ^= Math.imul(rotl(Math.imul(k4, C4), 18), C1);
  if (r > 8) h3 ^= Math.imul(rotl(Math.imul(k3, C3), 17), C4);
  if (r > 4) h2 ^= Math.imul(rotl(Math.imul(k2, C2), 16), C3);
  if (r > 0) h1 ^= Math.imul(rotl(Math.imul(k1, C1), 15), C2);
  h1 ^= len;
  h2 ^= len;
  h3 ^= len;
  h4 ^= len;
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  h1 = fmix(h1);
  h2 = fmix(h2);
  h3 = fmix(h3);
  h4 = fmix(h4);
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  h[0] = h1;
  h[1] = h2;
  h[2] = h3;
  h[3] = h4;
}

/** The digest of the bytes `b` with `seed`, into `h`. */
function bytesInto(b: Uint8Array, seed: number, h: number[]): void {
  const len = b.length;
  const blocks = len >>> 4;
  // Whole 16-byte blocks as words (a copy when the bytes are not 4-aligned in their buffer).
  const w = (b.byteOffset & 3) === 0 ? new Uint32Array(b.buffer, b.byteOffset, blocks * 4) : new Uint32Array(b.slice(0, blocks * 16).buffer);
  h.fill(seed | 0, 0, 4);
  body(w, 0, blocks * 4, h);
  // The tail: up to 15 bytes, into the lanes from the last one down.
  const t = blocks * 16;
  const r = len & 15;
  const k = [0, 0, 0, 0];
  for (let i = r - 1; i >= 0; i -= 1) k[i >>> 2] = (k[i >>> 2] as number) ^ ((b[t + i] as number) << ((i & 3) * 8));
  finish(h, len, r, k[0] as number, k[1] as number, k[2] as number, k[3] as number);
}

/**
 * The digest of the words `w[from, to)` with `seed`, into `h`: the MurmurHash3 of their bytes, each
 * word as four little-endian bytes (so the same on every platform).
 */
export function murmur128Words(w: Words, from: number, to: number, h: number[], seed = 0): void {
  const n = to - from;
  const end = from + (n & ~3);
  h.fill(seed | 0, 0, 4);
  body(w, from, end, h);
  const r = (n & 3) * 4;
  finish(h, n * 4, r, r > 0 ? (w[end] as number) : 0, r > 4 ? (w[end + 1] as number) : 0, r > 8 ? (w[end + 2] as number) : 0, 0);
}

/**
 * A digest of words fed in pieces (`streamFeed`), equal to `murmur128Words` of all of them: h1..h4,
 * up to three words not yet in a block, their number, and the number of words fed. A copy
 * (`slice`) goes on from the same point.
 */
export type MurmurStream = number[];

export function streamStart(seed = 0): MurmurStream {
  const h = seed | 0;
  return [h, h, h, h, 0, 0, 0, 0, 0];
}

/** Feed the words `w[from, to)`. */
export function streamFeed(s: MurmurStream, w: Words, from: number, to: number): void {
  let i = from;
  let nt = s[7] as number;
  while (nt !== 0 && i < to) {
    if (nt === 3) {
      block(s, s[4] as number, s[5] as number, s[6] as number, w[i] as number);
      nt = 0;
    } else {
      s[4 + nt] = w[i] as number;
      nt += 1;
    }
    i += 1;
  }
  if (nt === 0) {
    const end = i + ((to - i) & ~3);
    body(w, i, end, s);
    for (i = end; i < to; i += 1) {
      s[4 + nt] = w[i] as number;
      nt += 1;
    }
  }
  s[7] = nt;
  s[8] = ((s[8] as number) + (to - from)) | 0;
}

/** The digest of what `s` was fed, into `h` (`s` is unchanged). */
export function streamDigest(s: MurmurStream, h: number[]): void {
  h[0] = s[0] as number;
  h[1] = s[1] as number;
  h[2] = s[2] as number;
  h[3] = s[3] as number;
  const nt = s[7] as number;
  finish(h, (s[8] as number) * 4, nt * 4, s[4] as number, s[5] as number, s[6] as number, 0);
}

/** The code unit of each hex digit. */
const HEX_CODES = Array.from({ length: 16 }, (_, i) => i.toString(16).charCodeAt(0));

/**
 * A digest as 32 hex digits (the reference's h1..h4 order), made as one string from its code units
 * (a key is made for every explored state; joining pieces made a tree of strings to flatten again).
 */
export function digestHex(h: Digest128): string {
  const codes = new Array<number>(32);
  for (let j = 0; j < 4; j += 1) {
    const x = h[j] as number;
    for (let k = 0; k < 8; k += 1) codes[j * 8 + k] = HEX_CODES[(x >>> (28 - 4 * k)) & 15] as number;
  }
  return String.fromCharCode(...codes);
}

/** The 128-bit MurmurHash3 (x86 flavour) of `b` with `seed`, as 32 hex digits (the reference's h1..h4 order). */
export function murmur128(b: Uint8Array, seed = 0): string {
  const h = [0, 0, 0, 0];
  bytesInto(b, seed, h);
  return digestHex(h);
}

/** The 128-bit MurmurHash3 of `b` with `seed`, as a digest. */
export function murmur128Digest(b: Uint8Array, seed = 0): Digest128 {
  const h = [0, 0, 0, 0];
  bytesInto(b, seed, h);
  return h;
}
