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
