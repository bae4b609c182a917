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
  const streams = new Map<string, Arc4Stream>();
  return {
    choose(purpose, n) {
      let rng = streams.get(purpose);
      if (rng === undefined) {
        rng = new Arc4Stream(`${seed}/${purpose}`);
        streams.set(purpose, rng);
      }
      return rng.below(n);
    },
  };
}

/** seedrandom's constants: 48 bits to start with, 52 significant, below 2^53. */
const START = 2 ** 48;
const SIGNIFICANCE = 2 ** 52;
const OVERFLOW = 2 ** 53;

/**
 * The stream of `seedrandom(seed)`, the same values, without an allocation a draw. seedrandom makes
 * the ARC4 state from the seed (its key schedule, its first 256 bytes dropped) and gives it
 * (`state: true`); the values are made here from that state as its `prng()` makes them: six bytes,
 * then one more at a time until 52 bits are significant, shifted below 2^53. Its own `prng()` returns
 * each value, and each six bytes, as a number object (a double returned by a call that is not
 * inlined), and a run draws once a step (bench/README.md, "Scheduler, stop 53").
 */
export class Arc4Stream {
  readonly #s: Uint8Array;
  #i: number;
  #j: number;

  constructor(seed: string) {
    const state = seedrandom(seed, { state: true }).state();
    this.#s = Uint8Array.from(state.S);
    this.#i = state.i;
    this.#j = state.j;
  }

  /**
   * `Math.floor(seedrandom(seed)() * count)` for its next value: an index in [0, count). The value
   * stays in this method (a double returned from a call would be a number object).
   */
  below(count: number): number {
    let n = 0;
    for (let c = 0; c < 6; c += 1) n = n * 256 + this.#byte();
    let d = START;
    let x = 0;
    while (n < SIGNIFICANCE) {
      n = (n + x) * 256;
      d *= 256;
      x = this.#byte();
    }
    while (n >= OVERFLOW) {
      n /= 2;
      d /= 2;
      x >>>= 1;
    }
    return Math.floor(((n + x) / d) * count);
  }

  /** ARC4's next byte (seedrandom's `ARC4.g`): i steps, j adds S[i], the two swap, the byte is S[S[i] + S[j]]. */
  #byte(): number {
    const s = this.#s;
    const i = (this.#i + 1) & 255;
    const t = s[i] as number;
    const j = (this.#j + t) & 255;
    const u = s[j] as number;
    s[i] = u;
    s[j] = t;
    this.#i = i;
    this.#j = j;
    return s[(u + t) & 255] as number;
  }
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
