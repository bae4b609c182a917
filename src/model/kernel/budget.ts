/**
 * Budgets: the limits a run stays within, so that no input makes kernsim hang or exhaust memory.
 * Each is a property of the world (set when it is created, `WorldOptions.budgets`), checked where the
 * work happens, and raised by the caller when a bigger run is meant (`--budget steps=…` on the
 * command line, `budgets` in `runScenario`'s and `Session`'s options). Going past one throws a
 * `BudgetError` naming it.
 */
import { ArgumentError, type BudgetName } from './errors.ts';

export interface Budgets {
  /** Scheduler steps of one `run` (a livelock or a very long scenario). */
  readonly steps: number;
  /** Virtual time, in ticks, the clock may reach. */
  readonly time: number;
  /** Operations of one program run (the verifier bounds loops; an unverified program may not end). */
  readonly ops: number;
  /**
   * Bytes the modelled machine allocates, counted as they are asked for: page-cache pages (4096 each,
   * when populated or read), preallocated map values (each rounded up to 8 bytes, plus 64 for the
   * model's record of the element), byte globals, and generated file contents (scenario files).
   */
  readonly bytes: number;
}

export const BUDGET_NAMES: readonly BudgetName[] = ['steps', 'time', 'ops', 'bytes'];

export const DEFAULT_BUDGETS: Budgets = Object.freeze({
  steps: 1_000_000,
  time: 1e12,
  ops: 1_000_000,
  bytes: 256 * 1024 * 1024,
});

/** `DEFAULT_BUDGETS` with `over` applied; each value must be a positive integer a number holds exactly. */
export function budgetsWith(over: unknown, argument = 'budgets'): Budgets {
  if (over === undefined) return DEFAULT_BUDGETS;
  if (over === null || typeof over !== 'object' || Array.isArray(over)) throw new ArgumentError(argument, over, `an object with some of ${BUDGET_NAMES.join(', ')}`);
  const out: Record<string, number> = { ...DEFAULT_BUDGETS };
  for (const [k, v] of Object.entries(over)) {
    if (!(BUDGET_NAMES as readonly string[]).includes(k)) throw new ArgumentError(`${argument}.${k}`, v, `one of the budgets ${BUDGET_NAMES.join(', ')}`);
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw new ArgumentError(`${argument}.${k}`, v, 'a positive integer');
    out[k] = v;
  }
  return Object.freeze(out) as unknown as Budgets;
}

/** `steps=1000,bytes=1e9` (the command line's spelling) as budgets; throws ArgumentError naming the part. */
export function parseBudgetText(text: string): Partial<Budgets> {
  const out: Record<string, number> = {};
  for (const part of text.split(',')) {
    const m = /^([a-z]+)=([0-9]+(?:\.[0-9]+)?(?:e[0-9]+)?)$/.exec(part.trim());
    if (m === null) throw new ArgumentError('--budget', part, `NAME=N with NAME one of ${BUDGET_NAMES.join(', ')}`);
    const [, name = '', num = ''] = m;
    if (!(BUDGET_NAMES as readonly string[]).includes(name)) throw new ArgumentError('--budget', name, `one of ${BUDGET_NAMES.join(', ')}`);
    const v = Number(num);
    if (!Number.isSafeInteger(v) || v < 1) throw new ArgumentError(`--budget ${name}`, num, 'a positive integer below 2^53');
    out[name] = v;
  }
  return out as Partial<Budgets>;
}
