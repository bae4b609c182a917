/**
 * Byte comparisons for the properties: `expect(actual).toEqual(expected)` on typed arrays walks every
 * element as an object key (a quarter of the suite's time went there, measured with a CPU profile:
 * issue 17). `expectBytes` makes the same assertion at memcmp speed and, on a difference, lets vitest's
 * own `toEqual` report it — so a failure reads exactly as before.
 */
import { expect } from 'vitest';

export function expectBytes(actual: unknown, expected: Uint8Array, message?: string): void {
  if (
    actual instanceof Uint8Array && Object.getPrototypeOf(actual) === Object.getPrototypeOf(expected)
    && actual.length === expected.length && Buffer.compare(actual, expected) === 0
  ) return;
  expect(actual, message).toEqual(expected);
}

/**
 * `n` bytes, byte i being `f(i) & 0xff`: what `Uint8Array.from({ length: n }, f)` makes, by a loop (the
 * builtin reads each index of the array-like through its prototype chain: 15 times slower at 4 KiB).
 */
export function bytesFrom(n: number, f: (i: number) => number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 1) out[i] = f(i);
  return out;
}
