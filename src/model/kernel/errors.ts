/**
 * Errors thrown for misuse of the TypeScript API. A kernel error is never thrown: it is returned as a
 * negative errno, as the kernel returns it. These are for calls the kernel could never receive
 * (a fractional length, a handle that names nothing) and for detected bugs (use after free).
 */
export class KernsimError extends Error {
  override name = 'KernsimError';
}

/** The longest text of a value an error's message gives (a value can be as large as its caller made it). */
const SHOWN = 120;

/** `text`, cut at `SHOWN` characters (the cut marked, with the whole length). */
function clip(text: string): string {
  return text.length <= SHOWN ? text : `${text.slice(0, SHOWN)}… (${text.length} characters)`;
}

/** A value as JSON, bigints written `1n` and byte arrays by their length; a value JSON cannot hold (a cycle) by its tag. */
function asJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? `Uint8Array(${v.length})` : v)) ?? String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** A value as a message shows it: what it is, in at most about `SHOWN` characters. */
function show(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'string') return clip(JSON.stringify(value));
  if (value instanceof Uint8Array) return `Uint8Array(${value.length})`;
  if (Array.isArray(value)) return `an array of ${value.length} item(s): ${clip(asJson(value))}`;
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object' && value !== null) return clip(asJson(value));
  return String(value);
}

/** An argument of the wrong TypeScript shape: names the argument and the value received. */
export class ArgumentError extends KernsimError {
  override name = 'ArgumentError';
  constructor(readonly argument: string, readonly value: unknown, readonly expected: string) {
    super(`argument ${argument}: expected ${expected}, got ${show(value)}`);
  }
}

/** A handle (file, dynptr slot, inode, task) that names nothing in this world. */
export class UnknownHandleError extends KernsimError {
  override name = 'UnknownHandleError';
  constructor(readonly argument: string, readonly value: unknown, readonly kind: string) {
    super(`argument ${argument}: no ${kind} ${show(value)} in this world`);
  }
}

/**
 * A use of an object after its last reference was dropped. In the kernel this is memory corruption;
 * the model detects it and stops the transition (nothing of it is applied).
 */
export class UseAfterFreeError extends KernsimError {
  override name = 'UseAfterFreeError';
  constructor(readonly argument: string, readonly object: string) {
    super(`argument ${argument}: use after free of ${object}`);
  }
}

/**
 * A kernel code path the model follows that the kernel itself would not survive (a NULL pointer
 * dereference in a race window, or in the verifier at a load), or that hands a program memory that is
 * not what the verifier typed it as: like a use after free, the model stops the transition (or the
 * load) and names the kernel function and why, so that the program or interleaving that leads there
 * is a finding, not a crash.
 */
export class KernelBugError extends KernsimError {
  override name = 'KernelBugError';
  constructor(readonly where: string, readonly what: string) {
    super(`${where}: ${what}`);
  }
}

/**
 * Something the kernel would do that the model does not have (a program reading the parent of a task
 * whose parent is outside the model): names what and why, so that a run stops where its answer would
 * be made up.
 */
export class NotModelledError extends KernsimError {
  override name = 'NotModelledError';
  constructor(readonly what: string, readonly why: string) {
    super(`${what} is not modelled: ${why}`);
  }
}

/** A kfunc that the world's kernel version does not have: the loader would refuse the program. */
export class KfuncUnavailableError extends KernsimError {
  override name = 'KfuncUnavailableError';
  constructor(readonly kfunc: string, readonly version: string, readonly since: string, readonly until?: string) {
    super(`${kfunc} is not available on Linux ${version} (${until === undefined ? `first in ${since}` : `in ${since} up to, not including, ${until}`})`);
  }
}

/** The limits every run stays within (see budget.ts); each can be raised by the caller. */
export type BudgetName = 'steps' | 'time' | 'ops' | 'bytes';

/**
 * A run went past one of its budgets: scheduler steps, virtual time, operations in one program run,
 * or bytes allocated. Names the budget, its limit, what exceeded it and, from the scenario runner,
 * the scenario; says how to raise it.
 */
export class BudgetError extends KernsimError {
  override name = 'BudgetError';
  constructor(readonly budget: BudgetName, readonly limit: number, readonly detail: string, readonly scenario?: string) {
    super(`${scenario === undefined ? '' : `scenario ${JSON.stringify(scenario)}: `}the ${budget} budget (${limit}) is exhausted: ${detail}; raise it with --budget ${budget}=N (runScenario/Session option budgets: { ${budget}: N })`);
  }
}
