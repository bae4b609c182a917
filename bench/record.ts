/**
 * One entry of bench/results.json written by the benchmark that measures it (bench/cli_startup.ts,
 * bench/explore.ts, bench/props.ts), the other entries left as they are, and the README's Performance
 * table made again from the whole file (bench/report.ts) once `npm run bench` has written its part.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withPerformanceTable, type Results } from './report.ts';

export function recordEntry(root: string, key: keyof Results, value: unknown): void {
  const file = join(root, 'bench/results.json');
  const results = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  results[key] = value;
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  if (results.machine !== undefined) {
    const readme = join(root, 'README.md');
    writeFileSync(readme, withPerformanceTable(readFileSync(readme, 'utf8'), results as unknown as Results));
  }
}
