/**
 * `npm run bench:props [times]`: the property suite as `npm run props` runs it (1,000 runs of every
 * property, vitest's `props` project on every core), run `times` times in a row (default 3) and timed
 * from outside — the wall time of each whole command (start-up, imports and tests), and the CPU time of
 * everything it ran (the children's user + system time, read from /proc/self/stat after they have been
 * waited for: Linux only; null elsewhere). The figure is the median run (by wall time): one run moves
 * with the machine by a fifth or more (bench/README.md). The goal: at most 45 s on an idle
 * 2-core machine. Writes `props` in bench/results.json (the other entries are left as they are) and so
 * the README's Performance table. Never run by a test.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { recordEntry } from './record.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = 1000;

/** User + system CPU ms of this process's children that have ended (fields 16 and 17 of /proc/self/stat). */
function childrenCpuMs(): number | null {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the command's name: field 3 is at index 0, so cutime (16) and cstime (17) are at 13 and 14.
    const ticks = Number(fields[13]) + Number(fields[14]);
    return Number.isFinite(ticks) ? (ticks * 1000) / 100 : null; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

const TIMES = Number(process.argv[2] ?? '3');
if (!Number.isInteger(TIMES) || TIMES < 1 || TIMES > 20) throw new Error(`times: an integer from 1 to 20, got ${process.argv[2]}`);

interface Run { wallMs: number; cpuMs: number | null; refPerSec: number; loadavgStart: number[]; loadavgEnd: number[]; files: number; tests: number }
const round2 = (xs: readonly number[]): number[] => xs.map((x) => Math.round(x * 100) / 100);

/**
 * The machine's speed just before a run: bench.ts's baseline (a Map lookup and a 16-byte copy), as
 * many as one second of CPU allows, in millions a second. On this shared machine it moves by a third
 * within minutes, and a run's time with it: printed and recorded beside each run's time.
 */
function referencePerSec(): number {
  const pages = new Map<number, Uint8Array>();
  for (let p = 0; p < 64; p += 1) pages.set(p, new Uint8Array(4096).fill(p));
  const dst = new Uint8Array(16);
  const cpuUs = (): number => { const u = process.cpuUsage(); return u.user + u.system; };
  const t0 = cpuUs();
  let n = 0;
  while (cpuUs() - t0 < 1_000_000) {
    for (let i = 0; i < 100_000; i += 1, n += 1) {
      const page = pages.get(n & 63) as Uint8Array;
      const off = (n * 16) & 4095;
      dst.set(page.subarray(off, off + 16));
    }
  }
  return Math.round(n / (cpuUs() - t0) * 100) / 100;
}

/** One whole `npm run props`, timed; throws when a test fails. */
function once(): Run {
  const refPerSec = referencePerSec();
  const load0 = loadavg();
  const cpu0 = childrenCpuMs();
  const t0 = process.hrtime.bigint();
  const dir = mkdtempSync(join(tmpdir(), 'kernsim-props-'));
  const file = join(dir, 'report.json');
  const out = spawnSync('npm', ['run', 'props', '--', '--reporter=json', `--outputFile=${file}`], {
    cwd: ROOT, env: { ...process.env, KERNSIM_RUNS: String(RUNS) }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024,
  });
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu1 = childrenCpuMs();
  if (!existsSync(file)) throw new Error(`npm run props wrote no report (exit ${out.status})\n${out.stderr.slice(-4000)}`);
  const report = JSON.parse(readFileSync(file, 'utf8')) as { numTotalTests: number; numPassedTests: number; numFailedTests: number; testResults: unknown[] };
  rmSync(dir, { recursive: true, force: true });
  if (out.status !== 0 || report.numFailedTests > 0) throw new Error(`npm run props failed (exit ${out.status}): ${report.numFailedTests} failed\n${out.stderr.slice(-4000)}`);
  const run: Run = {
    wallMs: Math.round(wallMs), refPerSec, cpuMs: cpu0 === null || cpu1 === null ? null : Math.round(cpu1 - cpu0),
    loadavgStart: round2(load0), loadavgEnd: round2(loadavg()), files: report.testResults.length, tests: report.numPassedTests,
  };
  console.log(`npm run props: ${(run.wallMs / 1000).toFixed(1)} s wall, ${run.cpuMs === null ? '?' : (run.cpuMs / 1000).toFixed(1)} s CPU; the baseline before it ${run.refPerSec} M/s; load ${run.loadavgStart.join(' / ')} → ${run.loadavgEnd.join(' / ')}`);
  return run;
}

const all: Run[] = [];
for (let i = 0; i < TIMES; i += 1) all.push(once());
// The median run by wall time (the lower middle one of an even number).
const median = [...all].sort((a, b) => a.wallMs - b.wallMs)[Math.floor((all.length - 1) / 2)] as Run;
const props = {
  runs: RUNS,
  files: median.files,
  tests: median.tests,
  workers: availableParallelism(),
  cpu: cpus()[0]?.model ?? '?',
  wallMs: median.wallMs,
  cpuMs: median.cpuMs,
  goalMs: 45_000,
  loadavgStart: median.loadavgStart,
  loadavgEnd: median.loadavgEnd,
  /** Every run's wall time, in the order they ran (the figure is their median). */
  wallMsAll: all.map((r) => r.wallMs),
  /** The baseline's rate (M/s) just before each run, in the same order: the machine's speed. */
  refPerSecAll: all.map((r) => r.refPerSec),
};
recordEntry(ROOT, 'props', props);
console.log(`npm run props (${RUNS} runs, ${props.tests} tests in ${props.files} files, ${props.workers} workers), the median of ${all.length}: ${(props.wallMs / 1000).toFixed(1)} s wall (all: ${props.wallMsAll.map((x) => (x / 1000).toFixed(1)).join(', ')} s), ${props.cpuMs === null ? '?' : (props.cpuMs / 1000).toFixed(1)} s CPU (goal ≤ 45 s wall)`);
