/**
 * Charging a transition's allocations against the world's `bytes` budget (src/model/kernel/budget.ts).
 * The count only grows (it bounds the work of a run, not the memory in use at one time).
 */
import { BudgetError } from '../kernel/errors.ts';
import type { Kern } from './world.ts';

/** Count `bytes` allocated for `what`; past the budget, a `BudgetError` (the transition is not applied). */
export function charge(k: Kern, bytes: number, what: string): void {
  const limit = k.t.budgets.bytes;
  const total = k.t.allocated + bytes;
  if (total > limit) throw new BudgetError('bytes', limit, `${what} would bring the bytes allocated to ${total}`);
  k.t.allocated = total;
}
