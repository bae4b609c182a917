/**
 * Where a scheduler step's cost grows with the world: CPU profiles (node:inspector, one sample every
 * 50 µs) of a workload's small and large size, each after a warm-up, in one process, with the self
 * time of each function per step, and the functions whose cost grows most listed first.
 *
 *   npx tsx bench/profile_scale.ts tasks 100 1000      (or sleeps 1000 10000)
 *
 * A profiler's sample lands where the core waits: a function that reads a task's state first in a
 * step shows the cache misses of that read. By function, not by line: tsx runs each file of the model
 * as one line. The figures include the profiler's own cost; compare the two columns, not either one
 * with bench.ts.
 */
import { Session } from 'node:inspector/promises';
import { manyTasksWorld, runToEnd, sleepsWorld } from './cases.ts';

const what = process.argv[2] ?? 'tasks';
const sizes = (process.argv.length > 3 ? process.argv.slice(3) : ['100', '1000']).map(Number);
if ((what !== 'tasks' && what !== 'sleeps') || sizes.length !== 2 || !sizes.every((n) => Number.isSafeInteger(n) && n > 0)) {
  throw new Error(`usage: bench/profile_scale.ts tasks|sleeps <small> <large> (got ${process.argv.slice(2).join(' ')})`);
}

interface ProfileNode { callFrame: { functionName: string; url: string }; hitCount: number }
interface Profile { nodes: ProfileNode[]; startTime: number; endTime: number; samples: number[] }

/** Nanoseconds of self time per step, by `function file`, for the workload of `size` (about 360,000 steps profiled). */
async function profile(size: number): Promise<Map<string, number>> {
  const world = what === 'tasks' ? manyTasksWorld(size) : sleepsWorld(size);
  const perRun = runToEnd(world);
  for (let n = perRun; n < 540_000; n += perRun) runToEnd(world);
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 50 });
  await session.post('Profiler.start');
  let steps = 0;
  while (steps < 360_000) steps += runToEnd(world);
  const { profile: p } = (await session.post('Profiler.stop')) as unknown as { profile: Profile };
  session.disconnect();
  const usPerSample = (p.endTime - p.startTime) / p.samples.length;
  const out = new Map<string, number>();
  for (const node of p.nodes) {
    if (node.hitCount === 0) continue;
    const cf = node.callFrame;
    const file = cf.url.replace(/^.*\/(src|bench|node_modules)\//, '$1/');
    const key = `${cf.functionName === '' ? '(anonymous)' : cf.functionName} ${file}`;
    out.set(key, (out.get(key) ?? 0) + (node.hitCount * usPerSample * 1000) / steps);
  }
  return out;
}

const [small, large] = sizes as [number, number];
const a = await profile(small);
const b = await profile(large);
const total = (m: Map<string, number>): number => [...m.values()].reduce((s, v) => s + v, 0);
console.log(`${what}: ns of self time per step, ${small} then ${large} (totals ${total(a).toFixed(0)} and ${total(b).toFixed(0)})`);
const rows = [...new Set([...a.keys(), ...b.keys()])].map((k) => ({ k, x: a.get(k) ?? 0, y: b.get(k) ?? 0 }));
rows.sort((p, q) => q.y - q.x - (p.y - p.x));
for (const { k, x, y } of rows.slice(0, Number(process.env.ROWS ?? 30))) console.log(`${x.toFixed(1).padStart(8)} ${y.toFixed(1).padStart(8)} ${(y - x >= 0 ? '+' : '') + (y - x).toFixed(1).padStart(7)}  ${k}`);
