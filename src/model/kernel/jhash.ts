/**
 * The Jenkins hash of the kernel (include/linux/jhash.h, Bob Jenkins' lookup3 as the kernel adapted
 * it): `jhash2`, the hash of an array of u32 words, which a hash map applies to a key whose size is a
 * multiple of 4 (kernel/bpf/hashtab.c `htab_map_hash`), and `jhash`, the hash of bytes, which a bloom
 * filter applies to a value whose size is not (kernel/bpf/bloom_filter.c `hash`). Every step is u32
 * arithmetic: JavaScript's bitwise operators work on 32 bits, and `>>> 0` makes a result unsigned.
 */

/** `JHASH_INITVAL`: the arbitrary start the kernel adds to the length and the seed. */
const JHASH_INITVAL = 0xdeadbeef;

const rol32 = (x: number, s: number): number => (x << s) | (x >>> (32 - s));

/** The three words of the state. */
type Abc = [number, number, number];

/** `__jhash_mix(a, b, c)`: three words added in are mixed into the state. */
function mix(s: Abc): void {
  let [a, b, c] = s;
  a = (a - c) ^ rol32(c, 4); c = (c + b) | 0;
  b = (b - a) ^ rol32(a, 6); a = (a + c) | 0;
  c = (c - b) ^ rol32(b, 8); b = (b + a) | 0;
  a = (a - c) ^ rol32(c, 16); c = (c + b) | 0;
  b = (b - a) ^ rol32(a, 19); a = (a + c) | 0;
  c = (c - b) ^ rol32(b, 4); b = (b + a) | 0;
  s[0] = a; s[1] = b; s[2] = c;
}

/** `__jhash_final(a, b, c)`: the last words are mixed; the hash is the third word, unsigned. */
function final(s: Abc): number {
  let [a, b, c] = s;
  c = (c ^ b) - rol32(b, 14);
  a = (a ^ c) - rol32(c, 11);
  b = (b ^ a) - rol32(a, 25);
  c = (c ^ b) - rol32(b, 16);
  a = (a ^ c) - rol32(c, 4);
  b = (b ^ a) - rol32(a, 14);
  c = (c ^ b) - rol32(b, 24);
  return c >>> 0;
}

/**
 * `jhash2(k, length, initval)`: the hash of the u32 words `k` with seed `initval`. The three words of
 * the state start at `JHASH_INITVAL + 4 × length + initval`; each group of three words but the last is
 * added and mixed (`__jhash_mix`); the last one to three words are added and mixed a final time
 * (`__jhash_final`); no word at all leaves the start. The hash is the third word.
 */
export function jhash2(k: readonly number[], initval: number): number {
  const start = (JHASH_INITVAL + k.length * 4 + initval) | 0;
  const s: Abc = [start, start, start];
  let i = 0;
  let left = k.length;
  for (; left > 3; left -= 3, i += 3) {
    s[0] = (s[0] + (k[i] as number)) | 0;
    s[1] = (s[1] + (k[i + 1] as number)) | 0;
    s[2] = (s[2] + (k[i + 2] as number)) | 0;
    mix(s);
  }
  if (left === 0) return s[2] >>> 0;
  if (left === 3) s[2] = (s[2] + (k[i + 2] as number)) | 0;
  if (left >= 2) s[1] = (s[1] + (k[i + 1] as number)) | 0;
  s[0] = (s[0] + (k[i] as number)) | 0;
  return final(s);
}

/**
 * `jhash(key, length, initval)`: the hash of `length` bytes. The state starts at
 * `JHASH_INITVAL + length + initval`; each block of 12 bytes but the last is added as three
 * little-endian u32 words (`get_unaligned` on x86-64) and mixed; the last 1 to 12 bytes are added byte
 * by byte into the same places (byte j of the block into word j / 4 at bit 8 × (j % 4)) and mixed a
 * final time; nothing left (a length of 0) leaves the start.
 */
export function jhash(key: Uint8Array, initval: number): number {
  const start = (JHASH_INITVAL + key.length + initval) | 0;
  const s: Abc = [start, start, start];
  let at = 0;
  let left = key.length;
  for (; left > 12; left -= 12, at += 12) {
    for (let w = 0; w < 3; w += 1) s[w] = (s[w] as number) + le32(key, at + 4 * w) | 0;
    mix(s);
  }
  if (left === 0) return s[2] >>> 0;
  for (let j = 0; j < left; j += 1) {
    const w = j >> 2;
    s[w] = ((s[w] as number) + ((key[at + j] as number) << (8 * (j & 3)))) | 0;
  }
  return final(s);
}

/** The little-endian u32 at `at` (as a signed 32-bit number: jhash's arithmetic takes either). */
export const le32 = (b: Uint8Array, at: number): number => ((b[at] as number) | ((b[at + 1] as number) << 8) | ((b[at + 2] as number) << 16) | ((b[at + 3] as number) << 24));
