/**
 * "Did you mean …": the closest of a list of known names to a name that is not one of them, by edit
 * distance (fastest-levenshtein), when it is close enough to be a typo.
 */
import { distance } from 'fastest-levenshtein';

/** The known names nearest to `name` (at most 3), or [] when none is within a typo's distance. */
export function nearest(name: string, known: Iterable<string>): string[] {
  const limit = Math.max(2, Math.floor(name.length / 3));
  const scored: [string, number][] = [];
  for (const k of known) {
    if (Math.abs(k.length - name.length) > limit) continue;
    const d = distance(name, k);
    if (d <= limit) scored.push([k, d]);
  }
  scored.sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
  return scored.slice(0, 3).map(([k]) => k);
}

/** `; did you mean "a"?` (or `"a" or "b"`), or '' when nothing is near. */
export function didYouMean(name: string, known: Iterable<string>): string {
  const near = nearest(name, known);
  return near.length === 0 ? '' : `; did you mean ${near.map((n) => JSON.stringify(n)).join(' or ')}?`;
}
