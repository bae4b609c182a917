/**
 * What a scheduler step allocates and what a run keeps, in bytes, for a workload's two sizes in one
 * process: counts that do not drift with the machine's speed, as times do.
 *
 *   npx tsx bench/alloc_scale.ts tasks 100 1000      (or sleeps 1000 10000)
 *
 * - Allocated: V8's sampling heap profiler (one sample every 32 bytes, objects the collector has
 *   already freed counted too) over about 200,000 steps of whole runs, after a warm-up; by function,
 *   the largest first. A function the compiler inlined is counted in its caller (`NODE_OPTIONS=
 *   --no-turbo-inlining` names each one, at some cost to what is measured).
 * - Kept: the heap after a full collection with ten ended runs held, less the heap without them,
 *   over their steps: what a run's world keeps (its trace, choices, tasks) that a collection copies;
 *   by function, the sampling heap profiler's samples of those runs still alive after it. Apart, what
 *   they keep off the heap: the stores of typed arrays (a long run's logs keep their numbers in them).
 */
import { Session } from 'node:inspector/promises';
import v8 from 'node:v8';
import vm from 'node:vm';
import { manyTasksWorld, runToEnd, sleepsWorld } from './cases.ts';
import { run, seededChooser, type World } from '../src/index.ts';

const what = process.argv[2] ?? 'tasks';
const sizes = (process.argv.length > 3 ? process.argv.slice(3) : ['100', '1000']).map(Number);
if ((what !== 'tasks' && what !== 'sleeps') || sizes.length !== 2 || !sizes.every((n) => Number.isSafeInteger(n) && n > 0)) {
  throw new Error(`usage: bench/alloc_scale.ts tasks|sleeps <small> <large> (got ${process.argv.slice(2).join(' ')})`);
}
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

interface AllocNode { callFrame: { functionName: string; url: string }; selfSize: number; children: AllocNode[] }

/** Bytes allocated per step, in all and by `function file`, for the workload of `size`. */
async function allocated(world: World): Promise<{ total: number; by: Map<string, number> }> {
  for (let n = 0; n < 60_000;) n += runToEnd(world);
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.enable');
  await session.post('HeapProfiler.startSampling', { samplingInterval: 32, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  let steps = 0;
  while (steps < 200_000) steps += runToEnd(world);
  const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: AllocNode } };
  session.disconnect();
  const by = byFunction(profile.head, steps);
  return { total: [...by.values()].reduce((x, y) => x + y, 0), by };
}

/** A sampling heap profile's bytes per step by `function file`. */
function byFunction(head: AllocNode, steps: number): Map<string, number> {
  const by = new Map<string, number>();
  const visit = (node: AllocNode): void => {
    if (node.selfSize > 0) {
      const cf = node.callFrame;
      const file = cf.url.replace(/^.*\/(src|bench|node_modules)\//, '$1/');
      const key = `${cf.functionName === '' ? '(anonymous)' : cf.functionName} ${file}`;
      by.set(key, (by.get(key) ?? 0) + node.selfSize / steps);
    }
    for (const c of node.children) visit(c);
  };
  visit(head);
  return by;
}

/**
 * Bytes a run keeps per step: ten ended runs held through a full collection, in all (the heap with
 * them less the heap without) and by the function that allocated them (the sampling heap profiler's
 * samples still alive then). The steps are counted on a run before (the same seed makes the same
 * run): a held world's `choices` is not read, which would make and keep an array of them.
 */
async function kept(world: World): Promise<{ total: number; external: number; by: Map<string, number> }> {
  const steps = 10 * runToEnd(world);
  const held: World[] = [];
  gc();
  gc();
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.enable');
  await session.post('HeapProfiler.startSampling', { samplingInterval: 32 });
  const before = process.memoryUsage();
  for (let i = 0; i < 10; i += 1) held.push(run(world, seededChooser(1)));
  gc();
  gc();
  const after = process.memoryUsage();
  const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: AllocNode } };
  session.disconnect();
  if (held.length !== 10) throw new Error('the runs were not held');
  return { total: (after.heapUsed - before.heapUsed) / steps, external: (after.arrayBuffers - before.arrayBuffers) / steps, by: byFunction(profile.head, steps) };
}

const make = (n: number): World => (what === 'tasks' ? manyTasksWorld(n) : sleepsWorld(n));
const [small, large] = sizes as [number, number];
const ws = make(small);
const wl = make(large);
const a = await allocated(ws);
const b = await allocated(wl);
const ka = await kept(ws);
const kb = await kept(wl);
console.log(`${what}: bytes per step, ${small} then ${large}`);
console.log(`allocated ${a.total.toFixed(0).padStart(6)} ${b.total.toFixed(0).padStart(6)}`);
console.log(`kept      ${ka.total.toFixed(0).padStart(6)} ${kb.total.toFixed(0).padStart(6)}`);
// A long run's logs keep their numbers in typed arrays (model/world/log.ts `Packed`), whose stores are
// outside the collector's heap: memory it neither copies nor scans, counted apart.
console.log(`kept off the heap ${ka.external.toFixed(0).padStart(6)} ${kb.external.toFixed(0).padStart(6)}`);
/** The rows of two profiles by function, the largest at the larger size first. */
function table(x: Map<string, number>, y: Map<string, number>): void {
  const rows = [...new Set([...x.keys(), ...y.keys()])].map((k) => ({ k, p: x.get(k) ?? 0, q: y.get(k) ?? 0 }));
  rows.sort((r, t) => t.q - r.q);
  for (const { k, p, q } of rows.slice(0, Number(process.env.ROWS ?? 25))) console.log(`${p.toFixed(1).padStart(8)} ${q.toFixed(1).padStart(8)}  ${k}`);
}
console.log('allocated by function (the largest at the larger size first):');
table(a.by, b.by);
console.log('kept by function (the largest at the larger size first):');
table(ka.by, kb.by);
