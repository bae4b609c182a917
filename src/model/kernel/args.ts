/**
 * Checking the arguments of the public API (the `Session` methods, the pure functions of src/index.ts):
 * a value of the wrong shape is an `ArgumentError` naming the argument — and, inside a structured
 * argument, the place (`obj.programs[0].body[3].src`) — and what was expected, never an internal
 * `TypeError`. Structured arguments are checked against the formats' zod schemas (`checkData`: plain
 * data, bigints allowed where integers are; `checkShape`: any JavaScript value, e.g. with a
 * `Uint8Array`); the small checks below cover the rest. A new public method validates its arguments
 * with one of these at its start.
 */
import type { z } from 'zod';
import { ArgumentError } from './errors.ts';
import { WorldValue } from '../world/state.ts';
import { problemsOf, validateWith, type Problem } from './validate.ts';

/** `/programs/0/body/3` → `.programs[0].body[3]`. */
function jsPath(pointer: string): string {
  return pointer.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? `[${s}]` : /^[A-Za-z_$][\w$]*$/.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`)).join('');
}

function valueAt(v: unknown, pointer: string): unknown {
  let cur = v;
  for (const raw of pointer.split('/').slice(1)) {
    const k = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, k)) return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

function fail(argument: string, value: unknown, problems: readonly Problem[]): never {
  const [first] = problems;
  if (first === undefined) throw new ArgumentError(argument, value, 'a valid value');
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem(s))` : '';
  throw new ArgumentError(`${argument}${jsPath(first.path)}`, valueAt(value, first.path), `${first.expected}${more}`);
}

/**
 * `value` as plain data of `schema` (parsed: defaults filled, integer text read), or an ArgumentError.
 * `more`: the problems of a value of the right shape that its schema cannot see (JSON Pointers into it).
 */
export function checkData<S extends z.ZodType>(argument: string, schema: S, value: unknown, more?: (v: z.output<S>) => readonly Problem[]): z.output<S> {
  const r = validateWith(schema, value);
  if (!r.ok) fail(argument, value, r.problems);
  const extra = more?.(r.value) ?? [];
  if (extra.length > 0) fail(argument, value, extra);
  return r.value;
}

/** `value` checked against `schema` as it is (not copied: for values holding typed arrays and the like). */
export function checkShape<S extends z.ZodType>(argument: string, schema: S, value: unknown): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  fail(argument, value, problemsOf(schema, value, r.error.issues as unknown as Parameters<typeof problemsOf>[2]));
}

export function checkString(argument: string, value: unknown): string {
  if (typeof value !== 'string') throw new ArgumentError(argument, value, 'a string');
  return value;
}

export function checkBoolean(argument: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new ArgumentError(argument, value, 'true or false');
  return value;
}

export function checkFunction(argument: string, value: unknown): void {
  if (typeof value !== 'function') throw new ArgumentError(argument, value, 'a function');
}

/** An integer a number holds exactly, at least `min`. */
export function checkInt(argument: string, value: unknown, min = 0): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) throw new ArgumentError(argument, value, `an integer >= ${min}`);
  return value;
}

/** An options object (or undefined). */
export function checkOptions(argument: string, value: unknown, keys: readonly string[]): void {
  if (value === undefined) return;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ArgumentError(argument, value, `an options object ({ ${keys.join(', ')} })`);
  for (const k of Object.keys(value)) if (!keys.includes(k)) throw new ArgumentError(`${argument}.${k}`, (value as Record<string, unknown>)[k], `no such option (known: ${keys.join(', ') || 'none'})`);
}

/** A world (a value made by `createWorld` or a transition of one). */
export function checkWorld(argument: string, value: unknown): void {
  // A value of the world's class, not one of its shape: a copy (`{ ...world }`) or a parse of one has
  // the fields, not what a transition reads besides them (its run queue, its log of choices).
  if (!WorldValue.is(value)) throw new ArgumentError(argument, value, 'a world made by createWorld or by a transition (not a copy of one)');
}

/** A calling context (`SLEEPABLE`, `NON_SLEEPABLE`, or `{ sleepable, … }`). */
export function checkContext(argument: string, value: unknown): void {
  const c = value as { sleepable?: unknown } | null;
  if (c === null || typeof c !== 'object' || typeof c.sleepable !== 'boolean') throw new ArgumentError(argument, value, 'a calling context (SLEEPABLE, NON_SLEEPABLE)');
}

/** A chooser (`defaultChooser`, `seededChooser(seed)`, `listChooser(choices)`, or `{ choose(purpose, n) }`). */
export function checkChooser(argument: string, value: unknown): void {
  const c = value as { choose?: unknown } | null;
  if (c === null || typeof c !== 'object' || typeof c.choose !== 'function') throw new ArgumentError(argument, value, 'a chooser ({ choose(purpose, n) })');
}
