/**
 * C integer types. Arguments arrive as JavaScript numbers or bigints and are converted as C converts
 * an integer to an unsigned type: modulo 2^bits, so `-1` as a `u32` is 4294967295 and as a `u64` is
 * 2^64 - 1. Arithmetic on converted values is done in `bigint`, so nothing wraps unless the kernel's
 * own C wraps. A value that is not an integer at all is a TypeScript misuse and throws.
 */
import { ArgumentError } from './errors.ts';

export type Int = number | bigint;

export const U32_MAX = 0xffff_ffffn;
export const U64_MAX = 0xffff_ffff_ffff_ffffn;
export const S64_MAX = 0x7fff_ffff_ffff_ffffn;

/** An argument's name, or what holds it (a kfunc's argument spec: its name is read only for an error). */
export type ArgName = string | { readonly name: string };

function toBigInt(value: unknown, argument: ArgName): bigint {
  if (typeof value === 'bigint') return value;
  const name = typeof argument === 'string' ? argument : argument.name;
  if (typeof value === 'number' && Number.isInteger(value)) {
    if (!Number.isSafeInteger(value)) {
      throw new ArgumentError(name, value, 'an integer that a number holds exactly (use a bigint)');
    }
    return BigInt(value);
  }
  throw new ArgumentError(name, value, 'an integer (number or bigint)');
}

/** The value of `value` converted to an unsigned C type of `bits` bits (`argument`: the name an error gives). */
export function toUnsigned(value: unknown, bits: 32 | 64, argument: ArgName): bigint {
  // The common case, an integer number in [0, 2^32), is its own value in either type (`>>> 0` keeps
  // exactly those: it truncates a fraction and wraps anything outside).
  if (typeof value === 'number' && value >>> 0 === value) {
    return value < SMALL.length ? (SMALL[value] as bigint) : BigInt(value);
  }
  return BigInt.asUintN(bits, toBigInt(value, argument));
}

/** 0n … 4095n, made once: most integer arguments are small, and a bigint made per call is garbage. */
const SMALL: readonly bigint[] = Array.from({ length: 4096 }, (_, i) => BigInt(i));

export const toU32 = (value: unknown, argument: string): bigint => toUnsigned(value, 32, argument);
export const toU64 = (value: unknown, argument: string): bigint => toUnsigned(value, 64, argument);

/** A negative errno returned through an unsigned return type of `bits` bits (C's conversion). */
export function errnoAsUnsigned(ret: number, bits: 32 | 64): bigint {
  return BigInt.asUintN(bits, BigInt(ret));
}

/** The C integer types a scenario or an API argument may spell out as text. */
export type IntKind = 'u32' | 's32' | 'u64' | 's64' | 'loff' | 'reg64';

/**
 * The range of each kind: `loff` is a non-negative `loff_t` (file sizes and offsets); `reg64` is a
 * 64-bit register or immediate (`ld_imm64`), written signed or unsigned: `-1` and `0xffffffffffffffff`
 * are the same bits.
 */
export const INT_RANGES: Readonly<Record<IntKind, readonly [bigint, bigint]>> = {
  u32: [0n, U32_MAX],
  s32: [-(1n << 31n), (1n << 31n) - 1n],
  u64: [0n, U64_MAX],
  s64: [-(1n << 63n), S64_MAX],
  loff: [0n, S64_MAX],
  reg64: [-(1n << 63n), U64_MAX],
};

/** Whether `v` is in an `int`'s range (`INT_RANGES.s32`): the values a JS number holds as a small integer. */
export const isS32 = (v: bigint): boolean => v >= -0x8000_0000n && v < 0x8000_0000n;

/** Decimal or hexadecimal, with an optional minus sign: `-0x1`, `9007199254740993`, `0xffffffffffffffff`. */
export const INT_TEXT = /^-?(0[xX][0-9a-fA-F]{1,32}|[0-9]{1,40})$/;

/**
 * The one parser of integers written as text (JSON cannot hold integers past 2^53 exactly): the sign
 * is read first and applied to the magnitude, so `-0x1` is -1 (`BigInt('-0x1')` throws). Returns the
 * value, or a sentence saying what was expected when the text is not an integer of `kind`.
 */
export function parseIntText(text: string, kind: IntKind): bigint | string {
  const [lo, hi] = INT_RANGES[kind];
  if (!INT_TEXT.test(text)) return `an integer as decimal or 0x… text (${kind})`;
  const negative = text.startsWith('-');
  const magnitude = BigInt(negative ? text.slice(1) : text);
  const v = negative ? -magnitude : magnitude;
  if (v < lo || v > hi) return `an integer in [${lo}, ${hi}] (${kind})`;
  return v;
}

/** The value of `value` converted to a signed 64-bit C type (`loff_t`): modulo 2^64, then signed. */
export function toInt64(value: unknown, argument: string): bigint {
  return BigInt.asIntN(64, toBigInt(value, argument));
}
