/**
 * The kernel's character classes (lib/ctype.c `_ctype`, include/linux/ctype.h): ASCII as C's, and
 * Latin-1 above 0x7f — 0xa0 a space, 0xa1–0xbf and 0xd7, 0xf7 punctuation, 0xc0–0xff letters, 0x80–0x9f
 * nothing. The format checks and `bstr_printf` ask these of every byte, UTF-8's included.
 */
const U = 0x01;
const L = 0x02;
const D = 0x04;
const C = 0x08;
const P = 0x10;
const S = 0x20;
const SP = 0x80;

function table(): Uint8Array {
  const t = new Uint8Array(256);
  for (let c = 0; c < 32; c += 1) t[c] = C;
  for (let c = 9; c <= 13; c += 1) t[c] = C | S;
  t[32] = S | SP;
  for (let c = 33; c < 127; c += 1) t[c] = P;
  for (let c = 48; c <= 57; c += 1) t[c] = D;
  for (let c = 65; c <= 90; c += 1) t[c] = U;
  for (let c = 97; c <= 122; c += 1) t[c] = L;
  t[127] = C;
  t[160] = S | SP;
  for (let c = 161; c <= 191; c += 1) t[c] = P;
  for (let c = 192; c <= 222; c += 1) t[c] = U;
  for (let c = 223; c <= 255; c += 1) t[c] = L;
  t[215] = P;
  t[247] = P;
  return t;
}
const CTYPE = table();
const mask = (c: number): number => CTYPE[c & 0xff] as number;

export const isascii = (c: number): boolean => (c & 0xff) <= 0x7f;
export const isprint = (c: number): boolean => (mask(c) & (P | U | L | D | SP)) !== 0;
export const isspace = (c: number): boolean => (mask(c) & S) !== 0;
export const ispunct = (c: number): boolean => (mask(c) & P) !== 0;
export const isalnum = (c: number): boolean => (mask(c) & (U | L | D)) !== 0;
/** include/linux/ctype.h `isdigit`: '0' to '9' only. */
export const isdigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
/** include/linux/ctype.h `isxdigit` (`_D` or `_X`): '0' to '9', 'a' to 'f', 'A' to 'F'. */
export const isxdigit = (c: number): boolean => isdigit(c) || ((c & 0xff) >= 0x41 && (c & 0xff) <= 0x46) || ((c & 0xff) >= 0x61 && (c & 0xff) <= 0x66);
