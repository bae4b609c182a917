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

/** `s` as a JSON string, of its first `SHOWN` characters at most. */
const quoted = (s: string): string => JSON.stringify(s.length > SHOWN ? s.slice(0, SHOWN) : s);

/** A cycle met while writing a value (JSON cannot write one). */
const CYCLE = Symbol('cycle');

/**
 * The start of `value`'s JSON, as `JSON.stringify` writes it (its own `toJSON` called, properties
 * whose value JSON cannot write left out, a cycle refused), bigints written `1n` and byte arrays by
 * their length: written until it passes `SHOWN` characters, so that the message of a misuse costs the
 * same whatever the size of the value (an array is read no further than its first `SHOWN` items, a
 * string no further than its first `SHOWN` characters, an object's properties no further than its
 * first `SHOWN`, though the engine lists an object's keys whole for the walk). `cut`: whether it
 * stopped before the end. Null when JSON writes nothing for it.
 */
function jsonStart(value: unknown): { text: string; cut: boolean } | null {
  let out = '';
  let cut = false;
  const open: object[] = [];
  // Writes `v`; false when JSON writes nothing for it (an object then leaves the property out).
  const write = (raw: unknown, inArray: boolean): boolean => {
    let v = raw;
    if (typeof v === 'object' && v !== null && typeof (v as { toJSON?: unknown }).toJSON === 'function') v = (v as { toJSON(): unknown }).toJSON();
    if (typeof v === 'bigint') v = `${v}n`;
    else if (v instanceof Uint8Array) v = `Uint8Array(${v.length})`;
    if (typeof v === 'string') {
      if (v.length > SHOWN) cut = true;
      out += quoted(v);
      return true;
    }
    if (typeof v === 'number') out += Number.isFinite(v) ? String(v) : 'null';
    else if (typeof v === 'boolean') out += String(v);
    else if (v === null) out += 'null';
    else if (typeof v !== 'object') {
      if (!inArray) return false;
      out += 'null';
    } else {
      if (open.includes(v)) throw CYCLE;
      open.push(v);
      if (Array.isArray(v)) {
        out += '[';
        for (let i = 0; i < v.length; i += 1) {
          if (out.length > SHOWN) {
            cut = true;
            break;
          }
          if (i > 0) out += ',';
          write(v[i], true);
        }
        out += ']';
      } else {
        out += '{';
        let seen = 0;
        let first = true;
        const o = v as Record<string, unknown>;
        for (const key in o) {
          if (out.length > SHOWN || seen >= SHOWN) {
            cut = true;
            break;
          }
          seen += 1;
          if (!Object.hasOwn(o, key)) continue;
          const mark = out.length;
          out += `${first ? '' : ','}${JSON.stringify(key)}:`;
          if (write(o[key], false)) first = false;
          else out = out.slice(0, mark);
        }
        out += '}';
      }
      open.pop();
    }
    return true;
  };
  if (!write(value, false)) return null;
  return { text: out, cut: cut || out.length > SHOWN };
}

/** `value`'s JSON cut at `SHOWN` characters (the cut marked); a value JSON cannot hold (a cycle) by its tag. */
function asJson(value: unknown): string {
  try {
    const j = jsonStart(value);
    if (j === null) return String(value);
    return j.cut ? `${j.text.slice(0, SHOWN)}…` : j.text;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** A value as a message shows it: what it is, in at most about `SHOWN` characters. */
function show(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'string') {
    const text = quoted(value);
    return value.length > SHOWN || text.length > SHOWN ? `${text.slice(0, SHOWN)}… (${value.length} characters)` : text;
  }
  if (value instanceof Uint8Array) return `Uint8Array(${value.length})`;
  if (Array.isArray(value)) return `an array of ${value.length} item(s): ${asJson(value)}`;
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object' && value !== null) return asJson(value);
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
