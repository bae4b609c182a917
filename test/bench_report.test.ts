/**
 * The README's Performance table quotes bench/results.json (bench/report.ts makes the table from the
 * results; `npm run bench` writes both). This checks that they agree, not that the figures meet
 * their goals: performance is measured by the benchmark, never by a test.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { performanceTable, README_END, README_START, type Results } from '../bench/report.ts';

const root = new URL('..', import.meta.url);

describe('README Performance section', () => {
  test('the table between the bench markers is the one bench/report.ts makes from bench/results.json', () => {
    const results = JSON.parse(readFileSync(new URL('bench/results.json', root), 'utf8')) as Results;
    const readme = readFileSync(new URL('README.md', root), 'utf8');
    const a = readme.indexOf(README_START);
    const b = readme.indexOf(README_END);
    expect(a).toBeGreaterThanOrEqual(0);
    expect(b).toBeGreaterThan(a);
    expect(readme.slice(a + README_START.length, b)).toBe(`\n${performanceTable(results)}`);
  });
});
