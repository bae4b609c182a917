/**
 * Assertions for hot property loops. Each `expect(...)` of vitest costs about a microsecond before its
 * matcher runs (it copies its state with `Object.defineProperties` on every call, and chai wraps the
 * assertion in proxies): a CPU profile of the property suite found 9 % of its time there (issue 17).
 * These helpers first decide the passing case with a check that implies the matcher's own verdict
 * (`Object.is` is what `toBe` compares with; two plain data trees equal key by key are `toEqual`),
 * and otherwise call the real matcher: a failure reads exactly as before, and no verdict can change.
 */
import { expect } from 'vitest';

/** A failure's message, or a function that makes it (made only on a failure: some show a whole program). */
export type Message = string | (() => string);
const text = (m: Message | undefined): string | undefined => (typeof m === 'function' ? m() : m);

/** `expect(actual, message).toBe(expected)`. */
export function expectIs(actual: unknown, expected: unknown, message?: Message): void {
  if (Object.is(actual, expected)) return;
  expect(actual, text(message)).toBe(expected);
}

/**
 * Whether `a` and `b` are the same plain data: primitives equal by `Object.is`, byte arrays of one
 * class with the same bytes (as `expectBytes` compares them), maps with equal values under the same
 * keys, arrays of the same length without holes or extra properties, and objects whose prototype is
 * `Object.prototype` with the same string keys (no symbol keys), all equal in turn. `true` implies
 * vitest's `toEqual` passes; anything else (class instances, other typed arrays, sets, trees deeper
 * than 64) answers `false`, and the caller asks vitest.
 */
export function plainEqual(a: unknown, b: unknown, depth = 0): boolean {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return Object.is(a, b);
  // Byte arrays as `expectBytes` (bytes.ts) compares them: same class, same length, same bytes.
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && Object.getPrototypeOf(a) === Object.getPrototypeOf(b)
      && a.length === b.length && Buffer.compare(a, b) === 0;
  }
  // (Objects are walked even when identical: vitest's iterable check runs before its identity check.)
  if (depth > 64) return false;
  // Maps as vitest's iterable check compares them: the same size, each key of one in the other with an
  // equal value (vitest reads no other property of a map).
  if (a instanceof Map || b instanceof Map) {
    if (!(a instanceof Map && b instanceof Map) || Object.getPrototypeOf(a) !== Map.prototype || Object.getPrototypeOf(b) !== Map.prototype || a.size !== b.size) return false;
    for (const [k, v] of a) if (!b.has(k) || !plainEqual(v, b.get(k), depth + 1)) return false;
    return true;
  }
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || Object.getPrototypeOf(a) !== Array.prototype || Object.getPrototypeOf(b) !== Array.prototype) return false;
    if (a.length !== b.length || Object.keys(a).length !== a.length || Object.keys(b).length !== b.length) return false;
    if (Object.getOwnPropertySymbols(a).length !== 0 || Object.getOwnPropertySymbols(b).length !== 0) return false;
    for (let i = 0; i < a.length; i += 1) if (!plainEqual(a[i], b[i], depth + 1)) return false;
    return true;
  }
  if (Array.isArray(b) || Object.getPrototypeOf(a) !== Object.prototype || Object.getPrototypeOf(b) !== Object.prototype) return false;
  if (Object.getOwnPropertySymbols(a).length !== 0 || Object.getOwnPropertySymbols(b).length !== 0) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
    if (!plainEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], depth + 1)) return false;
  }
  return true;
}

/** `expect(actual, message).toEqual(expected)`. */
export function expectEqual(actual: unknown, expected: unknown, message?: Message): void {
  if (plainEqual(actual, expected)) return;
  expect(actual, text(message)).toEqual(expected);
}

/**
 * `expect(actual, message).toMatchObject(expected)` for an `expected` whose values are primitives:
 * each key an own property of `actual` with the same value (`Object.is`, which implies vitest's
 * `equals`), else the matcher itself judges.
 */
export function expectMatch(actual: unknown, expected: Readonly<Record<string, string | number | boolean | null>>, message?: Message): void {
  if (typeof actual === 'object' && actual !== null
    && Object.entries(expected).every(([k, v]) => Object.prototype.hasOwnProperty.call(actual, k) && Object.is((actual as Record<string, unknown>)[k], v))) return;
  expect(actual, text(message)).toMatchObject(expected);
}

/**
 * `expect(actual, message).toMatch(expected)`: a string that matches the pattern (`String.prototype.match`,
 * as vitest tests it) or contains the text, else the matcher itself judges.
 */
export function expectMatches(actual: unknown, expected: RegExp | string, message?: Message): void {
  if (typeof actual === 'string' && (typeof expected === 'string' ? actual.includes(expected) : actual.match(expected) !== null)) return;
  expect(actual, text(message)).toMatch(expected);
}

/**
 * `expect(f).toThrow(cls)`: `f` is called once; when it does not throw an instance of `cls`, vitest
 * judges the same outcome (the value returned or thrown), so the failure reads as before.
 */
export function expectThrows(f: () => unknown, cls: abstract new (...args: never[]) => unknown, message?: string): void {
  let threw = false;
  let thrown: unknown;
  let returned: unknown;
  try {
    returned = f();
  } catch (e) {
    threw = true;
    thrown = e;
  }
  if (threw && thrown instanceof cls) return;
  expect(() => {
    if (threw) throw thrown;
    return returned;
  }, message).toThrow(cls as never);
}
