/**
 * `npm run bench` (after bench/bench.ts), or alone `npm run bench:cli`: how fast the `kernsim` command
 * starts, as ratios to `node -e 0` measured in the same run, alternating the commands so that the
 * machine's load falls on both alike. Medians of BENCH_CLI_RUNS runs (default 30) each. Adds the
 * entry `cliStartup` to bench/results.json, leaving the other entries as they are.
 *
 * - `kernsim --help`: answered by dist/cli/help.js alone (goal: within 2× of `node -e 0`);
 * - `kernsim run examples/bounds.json`: the whole model loaded and one scenario run (for information).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { recordEntry } from './record.ts';
import { median } from './sampling.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = Number(process.env.BENCH_CLI_RUNS ?? 30);

if (!existsSync(join(ROOT, 'dist/cli/help.js'))) spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { stdio: 'inherit' });

const commands: Record<string, string[]> = {
  node: ['-e', '0'],
  help: [join(ROOT, 'bin/kernsim.mjs'), '--help'],
  run: [join(ROOT, 'bin/kernsim.mjs'), 'run', join(ROOT, 'examples/bounds.json')],
};

function once(args: string[]): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}`);
  return Number(process.hrtime.bigint() - t) / 1e6;
}

const times: Record<string, number[]> = { node: [], help: [], run: [] };
for (let i = 0; i < 3; i += 1) for (const args of Object.values(commands)) once(args);
for (let i = 0; i < RUNS; i += 1) for (const [k, args] of Object.entries(commands)) times[k]?.push(once(args));
const nodeMs = median(times.node ?? []);
const helpMs = median(times.help ?? []);
const runMs = median(times.run ?? []);
const entry = { nodeMs, helpMs, helpRatio: helpMs / nodeMs, goal: 2, runMs, runRatio: runMs / nodeMs, runs: RUNS };

recordEntry(ROOT, 'cliStartup', entry);
console.log(`kernsim --help: ${helpMs.toFixed(0)} ms, node -e 0: ${nodeMs.toFixed(0)} ms, ratio ${entry.helpRatio.toFixed(2)} (goal 2)`);
console.log(`kernsim run examples/bounds.json: ${runMs.toFixed(0)} ms, ratio ${entry.runRatio.toFixed(2)} to node -e 0`);
