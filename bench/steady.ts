/**
 * One scheduler workload of one size, run back to back until its cost per step is steady: the CPU
 * time of a step (bench/README.md, "Scheduler, stop 26"). `npm run bench` times the small and the
 * large size alternately in one process; this measures one size in a process of its own, after a
 * warm-up, so that neither size runs in a heap the other one shaped.
 *
 *   npx tsx bench/steady.ts tasks 100      (or tasks 1000, sleeps 1000, sleeps 10000)
 *
 * It prints the median of 9 samples of CPU time (user + system, every thread of the process) per
 * step, each sample at least 40,000 steps, after 200,000 steps of warm-up.
 */
import { manyTasksWorld, runToEnd, sleepsWorld } from './cases.ts';

const what = process.argv[2] ?? 'tasks';
const size = Number(process.argv[3] ?? 100);
if ((what !== 'tasks' && what !== 'sleeps') || !Number.isSafeInteger(size) || size < 1) {
  throw new Error(`usage: bench/steady.ts tasks|sleeps <size> (got ${process.argv.slice(2).join(' ')})`);
}
const world = what === 'tasks' ? manyTasksWorld(size) : sleepsWorld(size);
const stepsPerRun = runToEnd(world);
const runs = (steps: number): number => Math.max(1, Math.ceil(steps / stepsPerRun));

for (let i = runs(200_000); i > 0; i -= 1) runToEnd(world);
const perSample = runs(40_000);
const samples: number[] = [];
for (let s = 0; s < 9; s += 1) {
  const c0 = process.cpuUsage();
  let steps = 0;
  for (let i = 0; i < perSample; i += 1) steps += runToEnd(world);
  const c = process.cpuUsage(c0);
  samples.push((c.user + c.system) / steps);
}
samples.sort((a, b) => a - b);
console.log(`${what} ${size}: ${(samples[4] as number).toFixed(3)} µs of CPU a step (median of 9 samples of ${perSample * stepsPerRun} steps; ${stepsPerRun} steps a run)`);
