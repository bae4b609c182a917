/**
 * What a scheduler step costs in counts, not in time: each size of a scheduler workload run under
 * valgrind's cachegrind, which counts the instructions the process executes and simulates its caches.
 * Node runs with `--predictable` (`CG_NODE_FLAGS` replaces it): V8 then compiles and collects on the
 * main thread, so the collector's work is counted too. On a machine whose speed drifts from minute to
 * minute, times of two sizes measured minutes apart say little; these counts vary less, though not
 * nothing: two runs of the same code gave 8,545 and 9,655 instructions a step for 100 tasks, 10,830
 * and 11,058 for 1,000 (bench/README.md, "Scheduler, stop 52").
 *
 *   npx tsx bench/cachegrind.ts tasks 100 1000      (or sleeps 1000 10000)
 *   npx tsx bench/cachegrind.ts read16              (a cached 16-byte read through the Session)
 *   npx tsx bench/cachegrind.ts case                (the kernel case shape, from the loaded world)
 *
 * Each size runs twice, after the same warm-up: with no measured steps, and with about 180,000; the
 * difference over the steps is what a step costs, the start-up of Node and of the model cancelling
 * out. The last-level cache is simulated at 2 MiB (16-way), the size of this machine's L2 (`--LL`): a
 * miss there is a read the core waits for. Four valgrind processes, two at a time: a few minutes.
 * valgrind must be installed (Debian: `apt-get install valgrind`).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const what = process.argv[2] ?? 'tasks';
/** The workloads of one size: a call or a case, not a scheduler pair. */
const single = what === 'read16' || what === 'case';
const sizes = single && process.argv.length === 3 ? [0] : (process.argv.length > 3 ? process.argv.slice(3) : ['100', '1000']).map(Number);
if (single ? sizes.length !== 1 : (what !== 'tasks' && what !== 'sleeps') || sizes.length !== 2 || !sizes.every((n) => Number.isSafeInteger(n) && n > 0)) {
  throw new Error(`usage: bench/cachegrind.ts tasks|sleeps <small> <large>, read16 or case (got ${process.argv.slice(2).join(' ')})`);
}
try {
  execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
} catch {
  throw new Error('bench/cachegrind.ts needs valgrind on the PATH (Debian: apt-get install valgrind)');
}

// A read is some 30 times cheaper than a step, a case some 20 times dearer: as many times more or
// fewer of them, for counts of the same weight.
const STEPS = what === 'read16' ? 1_000_000 : what === 'case' ? 6_000 : 180_000;
const WARM = what === 'read16' ? 1_000_000 : what === 'case' ? 3_000 : 54_000;
const child = fileURLToPath(new URL('./cachegrind_child.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'kernsim-cg-'));

interface Counts { steps: number; ir: number; d1: number; ll: number; llRead: number }

/** One valgrind run: the workload of `size` with `measured` steps (about) after the warm-up. */
function once(size: number, measured: number): Promise<Counts> {
  const out = join(dir, `cg.${size}.${measured}`);
  return new Promise((resolve, reject) => {
    const p = spawn('valgrind', ['--tool=cachegrind', '--cache-sim=yes', '--LL=2097152,16,64', `--cachegrind-out-file=${out}`,
      process.execPath, ...(process.env.CG_NODE_FLAGS ?? '--predictable').split(' ').filter(Boolean), '--import', 'tsx', child, what, String(size), String(WARM), String(measured)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b: Buffer) => { stdout += b.toString(); });
    p.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    p.on('error', reject);
    p.on('close', (code) => {
      const num = (re: RegExp): number => Number((re.exec(stderr)?.[1] ?? 'NaN').replaceAll(',', ''));
      const steps = Number(/steps (\d+)/.exec(stdout)?.[1]);
      const c = { steps, ir: num(/I\s+refs:\s+([\d,]+)/), d1: num(/D1\s+misses:\s+([\d,]+)/), ll: num(/LL misses:\s+([\d,]+)/), llRead: num(/LL misses:\s+[\d,]+\s+\(\s*([\d,]+) rd/) };
      if (code !== 0 || !Object.values(c).every(Number.isFinite)) reject(new Error(`valgrind on ${what} ${size} (${measured} steps) failed (exit ${code}):\n${stderr.slice(-2000)}`));
      else resolve(c);
    });
  });
}

async function size(n: number): Promise<{ ir: number; d1: number; ll: number; llRead: number }> {
  const [a, b] = await Promise.all([once(n, 0), once(n, STEPS)]);
  const steps = b.steps - a.steps;
  return { ir: (b.ir - a.ir) / steps, d1: (b.d1 - a.d1) / steps, ll: (b.ll - a.ll) / steps, llRead: (b.llRead - a.llRead) / steps };
}

try {
  if (single) {
    const r = await size(0);
    console.log(what === 'read16' ? `read16: per 16-byte cached read (Session), the difference of two runs over ${STEPS} reads` : `case: per kernel case from the loaded world, the difference of two runs over ${STEPS} cases`);
    console.log(`${'instr'.padStart(8)} ${'D1 misses'.padStart(10)} ${'LL misses'.padStart(10)}`);
    console.log(`${r.ir.toFixed(0).padStart(8)} ${r.d1.toFixed(2).padStart(10)} ${r.ll.toFixed(2).padStart(10)}`);
    process.exit(0);
  }
  const [small, large] = sizes as [number, number];
  const s = await size(small);
  const l = await size(large);
  const row = (name: string, x: typeof s): string => `${name.padEnd(8)} ${x.ir.toFixed(0).padStart(8)} ${x.d1.toFixed(1).padStart(10)} ${x.ll.toFixed(1).padStart(10)} ${x.llRead.toFixed(1).padStart(10)}`;
  console.log(`${what}: per step, the difference of two runs over about ${STEPS} steps`);
  console.log(`${'size'.padEnd(8)} ${'instr'.padStart(8)} ${'D1 misses'.padStart(10)} ${'LL misses'.padStart(10)} ${'(reads)'.padStart(10)}`);
  console.log(row(String(small), s));
  console.log(row(String(large), l));
  console.log(`ratio    ${(l.ir / s.ir).toFixed(2).padStart(8)} ${(l.d1 / s.d1).toFixed(2).padStart(10)} ${(l.ll / s.ll).toFixed(2).padStart(10)}`);
  console.log(`per-function counts: cg_annotate ${dir}/cg.<size>.<steps> (kept)`);
} catch (e) {
  rmSync(dir, { recursive: true, force: true });
  throw e;
}
