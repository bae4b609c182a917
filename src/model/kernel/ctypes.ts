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

function toBigInt(value: unknown, argument: string): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isInteger(value)) {
    if (!Number.isSafeInteger(value)) {
      throw new ArgumentError(argument, value, 'an integer that a number holds exactly (use a bigint)');
    }
    return BigInt(value);
  }
  throw new ArgumentError(argument, value, 'an integer (number or bigint)');
}

/** The value of `value` converted to an unsigned C type of `bits` bits. */
export function toUnsigned(value: unknown, bits: 32 | 64, argument: string): bigint {
  // The common case, a small non-negative number, is its own value in either type.
  if (typeof value === 'number' && value >= 0 && value <= 0xffff_ffff && Number.isInteger(value)) {
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
