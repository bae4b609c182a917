/**
 * Every nondeterministic choice the simulator makes goes through a chooser: which ready action runs
 * next (an irq_work, a task, an I/O completion, a timer). Index 0 is always the default, realistic
 * choice (irq_work first, then the task that ran last), so shrinking a list of choices moves a
 * failing schedule toward the ordinary one.
 */
import seedrandom from 'seedrandom';
import { ArgumentError } from '../model/kernel/errors.ts';

export interface Chooser {
  /** An index in `[0, n)` for the named purpose. */
  choose(purpose: string, n: number): number;
}

/** Always the default choice. */
export const defaultChooser: Chooser = { choose: () => 0 };

/**
 * Choices from a seed, with one named stream per purpose (`${seed}/${purpose}`), so adding a kind of
 * choice in one place does not shift the others.
 */
export function seededChooser(seed: string | number): Chooser {
  if (typeof seed !== 'string' && !Number.isSafeInteger(seed)) throw new ArgumentError('seed', seed, 'an integer or a string');
  const streams = new Map<string, seedrandom.PRNG>();
  return {
    choose(purpose, n) {
      let rng = streams.get(purpose);
      if (rng === undefined) {
        rng = seedrandom(`${seed}/${purpose}`);
        streams.set(purpose, rng);
      }
      return Math.floor(rng() * n);
    },
  };
}

/**
 * Choices from a list, in order (for replay and for fast-check, which generates and shrinks the
 * list). A value is taken modulo the number of options; past the end of the list, the default.
 */
export function listChooser(choices: readonly number[]): Chooser {
  if (!Array.isArray(choices)) throw new ArgumentError('choices', choices, 'an array of integers');
  const bad = choices.findIndex((c) => !Number.isSafeInteger(c));
  if (bad >= 0) throw new ArgumentError(`choices[${bad}]`, choices[bad], 'an integer');
  let i = 0;
  return {
    choose(_purpose, n) {
      const c = i < choices.length ? choices[i] ?? 0 : 0;
      i += 1;
      return ((c % n) + n) % n;
    },
  };
}
