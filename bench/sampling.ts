/**
 * How the size benchmarks (bench/maps.ts, bench/files.ts, bench/cli_startup.ts) sum up their samples:
 * the median, and two sizes sampled alternately so that a drift of the machine's speed falls on both.
 */

/** The median of `xs` (the upper one of an even count), 0 for none. */
export const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? 0;

/** `small` and `large` alternated (`warm` pairs first, not kept), the medians of `samples` each, and their ratio. */
export function alternated(small: () => number, large: () => number, warm: number, samples: number): { smallUs: number; largeUs: number; ratio: number } {
  for (let i = 0; i < warm; i += 1) { small(); large(); }
  const s: number[] = [];
  const l: number[] = [];
  for (let i = 0; i < samples; i += 1) { s.push(small()); l.push(large()); }
  return { smallUs: median(s), largeUs: median(l), ratio: median(l) / median(s) };
}
