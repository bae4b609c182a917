/**
 * `bpf_strtol` and `bpf_strtoul` (kernel/bpf/helpers.c), over the kernel's integer parser
 * (lib/kstrtox.c). The mechanism, in the kernel's order (`__bpf_strtoull`):
 *
 * 1. `buf_len` 0, a base other than 0, 8, 10 or 16 (`flags & 0x1f`), or any other bit of `flags`
 *    → -EINVAL.
 * 2. Leading white space is skipped (the kernel's `isspace`: `\t \n \v \f \r`, space, and Latin-1's
 *    0xa0), then one `-`. Nothing left of `buf_len` → -EINVAL.
 * 3. At most 63 of the bytes left are copied into a 64-byte buffer and a NUL put after them: the
 *    parse never sees more (a longer run of digits is cut there), and it stops at a NUL in `buf`.
 * 4. `_parse_integer_fixup_radix`: base 0 is 16 for `0x`/`0X` followed by a hex digit, 8 for any
 *    other leading `0`, else 10; with base 16 a leading `0x` is skipped (even with no digit after).
 * 5. `_parse_integer`: digits (`0-9`, `a-f`, `A-F`) below the base, as many as there are; a value
 *    past 2^64 - 1 → -ERANGE (the digits after it are still counted); no digit → -EINVAL.
 * 6. The return is the bytes consumed: the white space, the sign, a skipped `0x` and the digits.
 *
 * `bpf_strtoul` refuses a sign after parsing (-EINVAL, so an overflowing negative number is
 * -ERANGE); `bpf_strtol` takes -2^63..2^63 - 1 (-ERANGE beyond). `*res` is set to 0 first, then to
 * the value on success: a failed call leaves 0 there.
 */
import { EINVAL, ERANGE } from '../kernel/errno.ts';
import { ArgumentError } from '../kernel/errors.ts';
import { isspace, isxdigit } from '../kernel/charclass.ts';
import { defineKfunc } from '../kfunc/kfunc.ts';
import { writeLE } from '../program/globals.ts';

/** kernel/bpf/helpers.c `BPF_STRTOX_BASE_MASK`. */
const BASE_MASK = 0x1fn;
/** `__bpf_strtoull`'s local copy: `char str[64]`, so 63 bytes and a NUL. */
const STR_MAX = 63;
/** lib/kstrtox.c `_tolower`: the case bit set (`c | 0x20`), for letters only meaningful. */
const lower = (c: number): number => c | 0x20;

/**
 * `_parse_integer_fixup_radix` over `s` (NUL-terminated: a byte past its end reads as 0): the base
 * and where the digits start.
 */
export function fixupRadix(s: Uint8Array, base: number): { readonly base: number; readonly at: number } {
  const at = (i: number): number => s[i] ?? 0;
  let b = base;
  if (b === 0) b = at(0) === 0x30 ? (lower(at(1)) === 0x78 && isxdigit(at(2)) ? 16 : 8) : 10;
  return { base: b, at: b === 16 && at(0) === 0x30 && lower(at(1)) === 0x78 ? 2 : 0 };
}

/**
 * `_parse_integer` from `s[from]`: the digits read, their value (modulo nothing: a value past
 * 2^64 - 1 sets `overflow`, as `check_mul_overflow`/`check_add_overflow` do, and reads on).
 */
export function parseInteger(s: Uint8Array, from: number, base: number): { readonly len: number; readonly value: bigint; readonly overflow: boolean } {
  const big = BigInt(base);
  let value = 0n;
  let overflow = false;
  let len = 0;
  for (let i = from; i < s.length; i += 1) {
    const c = s[i] as number;
    const lc = lower(c);
    const digit = c >= 0x30 && c <= 0x39 ? c - 0x30 : lc >= 0x61 && lc <= 0x66 ? lc - 0x61 + 10 : -1;
    if (digit < 0 || digit >= base) break;
    value = value * big + BigInt(digit);
    if (value > 0xffff_ffff_ffff_ffffn) {
      overflow = true;
      value = 0xffff_ffff_ffff_ffffn;
    }
    len += 1;
  }
  return { len, value, overflow };
}

/** What `__bpf_strtoull` found: a negative errno, or the bytes consumed, the magnitude and its sign. */
export type Strtoull = { readonly err: number } | { readonly consumed: number; readonly value: bigint; readonly negative: boolean };

/** `__bpf_strtoull(buf, buf_len, flags)`: the steps in this file's comment. */
export function strtoull(buf: Uint8Array, bufLen: number, flags: bigint): Strtoull {
  const base = Number(BigInt.asUintN(64, flags) & BASE_MASK);
  if (bufLen === 0) return { err: -EINVAL };
  if (base !== 0 && base !== 8 && base !== 10 && base !== 16) return { err: -EINVAL };
  if ((BigInt.asUintN(64, flags) & ~BASE_MASK) !== 0n) return { err: -EINVAL };
  let cur = 0;
  while (cur < bufLen && isspace(buf[cur] as number)) cur += 1;
  const negative = cur < bufLen && buf[cur] === 0x2d;
  if (negative) cur += 1;
  const left = bufLen - cur;
  if (left === 0) return { err: -EINVAL };
  // The local copy: at most 63 bytes, then a NUL (the parse stops at the first NUL).
  const copied = buf.subarray(cur, cur + Math.min(left, STR_MAX));
  const nul = copied.indexOf(0);
  const str = nul < 0 ? copied : copied.subarray(0, nul);
  const radix = fixupRadix(str, base);
  const p = parseInteger(str, radix.at, radix.base);
  if (p.overflow) return { err: -ERANGE };
  if (p.len === 0) return { err: -EINVAL };
  return { consumed: cur + radix.at + p.len, value: p.value, negative };
}

/**
 * What both helpers do: `*res = 0`, `__bpf_strtoull`, then `pick` turns what it parsed into the value
 * to store (a bigint) or an errno (a number); the return is the bytes consumed or the errno.
 */
function parseInto(buf: Uint8Array, bufLen: bigint, flags: bigint, res: Uint8Array, pick: (r: { readonly value: bigint; readonly negative: boolean }) => bigint | number): number {
  const n = Number(bufLen);
  if (buf.length < n) throw new ArgumentError('buf', buf, `a buffer of at least ${n} bytes (the verifier pairs it with buf_len)`);
  if (res.length < 8) throw new ArgumentError('res', res, 'an 8-byte buffer (ARG_PTR_TO_FIXED_SIZE_MEM of sizeof(long))');
  writeLE(res, 0, 8, 0n);
  const r = strtoull(buf, n, flags);
  if ('err' in r) return r.err;
  const v = pick(r);
  if (typeof v === 'number') return v;
  writeLE(res, 0, 8, v);
  return r.consumed;
}

const ARGS = (res: string) => [
  { name: 'buf', type: 'mem', size: 1, cType: 'const char *' },
  { name: 'buf_len', type: 'u64', nonZero: true, cType: 'size_t' },
  { name: 'flags', type: 'u64' },
  { name: 'res', type: 'mem', out: true, fixedSize: 8, aligned: true, cType: res },
] as const;

const COMMON_CHECKS = [
  'buf_len 0 is refused by the verifier (ARG_CONST_SIZE); res must be 8 writable bytes, 8-aligned (MEM_ALIGNED)',
  'a base (flags & 0x1f) other than 0, 8, 10, 16, or another bit of flags → -EINVAL',
  'only white space and a sign, or no digit after them → -EINVAL',
  'a value past 2^64 - 1 → -ERANGE',
];
const COMMON_EFFECTS = [
  '*res = 0 first; on success the value',
  'white space (the kernel\'s isspace, 0xa0 included) and one "-" are skipped; at most 63 bytes after them are parsed, up to a NUL',
  'base 0: "0x" and a hex digit → 16, a leading 0 → 8, else 10; base 16 skips a "0x"',
];

/** `bpf_strtol(buf, buf_len, flags, res)`: a signed integer at the start of `buf`. */
export const bpf_strtol = defineKfunc({
  name: 'bpf_strtol',
  mirrors: 'kernel/bpf/helpers.c: bpf_strtol, __bpf_strtoll, __bpf_strtoull; lib/kstrtox.c: _parse_integer_fixup_radix, _parse_integer_limit',
  kind: 'helper',
  since: '6.18',
  summary: 'Parse a signed integer at the start of `buf` (at most `buf_len` bytes) into `*res`.',
  args: ARGS('long *'),
  ret: 'int',
  returns: 'the bytes consumed (white space, the sign and the digits), or a negative errno',
  flags: [],
  checks: [...COMMON_CHECKS, 'a value outside -2^63..2^63 - 1 → -ERANGE'],
  effects: COMMON_EFFECTS,
  confidence: 'H (source: 7.2.13, the same in 6.18; the selftest prog_tests/sysctl.c\'s bpf_strtol cases are the unit tests)',
  impl(_k, buf, bufLen, flags, res) {
    return parseInto(buf, bufLen, flags, res, (r) => {
      const v = r.negative ? -r.value : r.value;
      // (long long)-_res > 0 or (long long)_res < 0: outside the signed range.
      return v !== BigInt.asIntN(64, v) ? -ERANGE : v;
    });
  },
});

/** `bpf_strtoul(buf, buf_len, flags, res)`: an unsigned integer at the start of `buf`. */
export const bpf_strtoul = defineKfunc({
  name: 'bpf_strtoul',
  mirrors: 'kernel/bpf/helpers.c: bpf_strtoul, __bpf_strtoull; lib/kstrtox.c: _parse_integer_fixup_radix, _parse_integer_limit',
  kind: 'helper',
  since: '6.18',
  summary: 'Parse an unsigned integer at the start of `buf` (at most `buf_len` bytes) into `*res`.',
  args: ARGS('unsigned long *'),
  ret: 'int',
  returns: 'the bytes consumed (white space and the digits), or a negative errno',
  flags: [],
  checks: [...COMMON_CHECKS, 'a "-" before the number → -EINVAL (after the parse: an overflowing one is -ERANGE)'],
  effects: COMMON_EFFECTS,
  confidence: 'H (source: 7.2.13, the same in 6.18; the selftest prog_tests/sysctl.c\'s bpf_strtoul cases are the unit tests)',
  impl(_k, buf, bufLen, flags, res) {
    return parseInto(buf, bufLen, flags, res, (r) => (r.negative ? -EINVAL : r.value));
  },
});
