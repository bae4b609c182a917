/**
 * The Jenkins hash of the kernel (include/linux/jhash.h, Bob Jenkins' lookup3 as the kernel adapted
 * it): `jhash2`, the hash of an array of u32 words, which a hash map applies to a key whose size is a
 * multiple of 4 (kernel/bpf/hashtab.c `htab_map_hash`). Every step is u32 arithmetic: JavaScript's
 * bitwise operators work on 32 bits, and `>>> 0` makes a result unsigned.
 */

/** `JHASH_INITVAL`: the arbitrary start the kernel adds to the length and the seed. */
const JHASH_INITVAL = 0xdeadbeef;

const rol32 = (x: number, s: number): number => (x << s) | (x >>> (32 - s));

/**
 * `jhash2(k, length, initval)`: the hash of the u32 words `k` with seed `initval`. The three words of
 * the state start at `JHASH_INITVAL + 4 × length + initval`; each group of three words but the last is
 * added and mixed (`__jhash_mix`); the last one to three words are added and mixed a final time
 * (`__jhash_final`); no word at all leaves the start. The hash is the third word.
 */
export function jhash2(k: readonly number[], initval: number): number {
  let a = (JHASH_INITVAL + k.length * 4 + initval) | 0;
  let b = a;
  let c = a;
  let i = 0;
  let left = k.length;
  for (; left > 3; left -= 3, i += 3) {
    a = (a + (k[i] as number)) | 0;
    b = (b + (k[i + 1] as number)) | 0;
    c = (c + (k[i + 2] as number)) | 0;
    // __jhash_mix
    a = (a - c) ^ rol32(c, 4); c = (c + b) | 0;
    b = (b - a) ^ rol32(a, 6); a = (a + c) | 0;
    c = (c - b) ^ rol32(b, 8); b = (b + a) | 0;
    a = (a - c) ^ rol32(c, 16); c = (c + b) | 0;
    b = (b - a) ^ rol32(a, 19); a = (a + c) | 0;
    c = (c - b) ^ rol32(b, 4); b = (b + a) | 0;
  }
  if (left === 0) return c >>> 0;
  if (left === 3) c = (c + (k[i + 2] as number)) | 0;
  if (left >= 2) b = (b + (k[i + 1] as number)) | 0;
  a = (a + (k[i] as number)) | 0;
  // __jhash_final
  c = (c ^ b) - rol32(b, 14);
  a = (a ^ c) - rol32(c, 11);
  b = (b ^ a) - rol32(a, 25);
  c = (c ^ b) - rol32(b, 16);
  a = (a ^ c) - rol32(c, 4);
  b = (b ^ a) - rol32(a, 14);
  c = (c ^ b) - rol32(b, 24);
  return c >>> 0;
}
