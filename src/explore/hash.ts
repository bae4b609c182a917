/**
 * MurmurHash3 x86_128 (Austin Appleby's public-domain reference, `MurmurHash3_x86_128`) over a byte
 * array, read as little-endian 32-bit words: the canonical keys' digest (canon.ts). Not a
 * cryptographic hash — none is needed: no adversary picks the states, and two of 10^6 states share
 * a 128-bit digest with odds near 10^-27. Written here rather than taken from a package because the
 * packages read the input a byte at a time (about twice as slow on the 256 KiB buffers an exploration
 * hashes); test/explore.test.ts checks it against murmurhash3js-revisited, a byte-wise implementation
 * that matches the reference.
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

const hex = (x: number): string => (x >>> 0).toString(16).padStart(8, '0');

/** The 128-bit MurmurHash3 (x86 flavour) of `b` with `seed`, as 32 hex digits (the reference's h1..h4 order). */
export function murmur128(b: Uint8Array, seed = 0): string {
  const len = b.length;
  const blocks = len >>> 4;
  // Whole 16-byte blocks as words (a copy when the bytes are not 4-aligned in their buffer).
  const w = (b.byteOffset & 3) === 0 ? new Uint32Array(b.buffer, b.byteOffset, blocks * 4) : new Uint32Array(b.slice(0, blocks * 16).buffer);
  let h1 = seed | 0;
  let h2 = h1;
  let h3 = h1;
  let h4 = h1;
  for (let i = 0; i < blocks * 4; i += 4) {
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
  // The tail: up to 15 bytes, into the lanes from the last one down.
  const t = blocks * 16;
  const byte = (i: number): number => b[t + i] as number;
  const r = len & 15;
  if (r > 12) {
    let k4 = 0;
    for (let i = r - 1; i >= 12; i -= 1) k4 ^= byte(i) << ((i - 12) * 8);
    h4 ^= Math.imul(rotl(Math.imul(k4, C4), 18), C1);
  }
  if (r > 8) {
    let k3 = 0;
    for (let i = Math.min(r, 12) - 1; i >= 8; i -= 1) k3 ^= byte(i) << ((i - 8) * 8);
    h3 ^= Math.imul(rotl(Math.imul(k3, C3), 17), C4);
  }
  if (r > 4) {
    let k2 = 0;
    for (let i = Math.min(r, 8) - 1; i >= 4; i -= 1) k2 ^= byte(i) << ((i - 4) * 8);
    h2 ^= Math.imul(rotl(Math.imul(k2, C2), 16), C3);
  }
  if (r > 0) {
    let k1 = 0;
    for (let i = Math.min(r, 4) - 1; i >= 0; i -= 1) k1 ^= byte(i) << (i * 8);
    h1 ^= Math.imul(rotl(Math.imul(k1, C1), 15), C2);
  }
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
  return hex(h1) + hex(h2) + hex(h3) + hex(h4);
}
