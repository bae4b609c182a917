/**
 * `npm run bench`: how fast the model runs, each figure as a ratio against a baseline measured in the
 * same process (tinybench). Writes bench/results.json and prints a table. See bench/README.md.
 */
import { writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { Immer } from 'immer';
import { Bench } from 'tinybench';
import { content, kfuncsOf, refSnapshot, run, seededChooser, Session, SLEEPABLE, stateBytes, transact, verify } from '../src/index.ts';
import { transactWith } from '../src/model/world/world.ts';
import { fileWorld, warmWorld } from './world.ts';
import { buildWorld, genProgram, genWorld, toObject } from '../properties/programs.ts';
import { exeBytes, fileReaderObject } from '../examples/file_reader.ts';

const TIME = Number(process.env.BENCH_TIME ?? 600);

async function opsPerSecond(name: string, fn: () => void): Promise<number> {
  const b = new Bench({ time: TIME, warmupTime: 100 });
  b.add(name, fn);
  await b.run();
  const r = b.tasks[0]?.result as { throughput?: { mean: number } } | undefined;
  return r?.throughput?.mean ?? 0;
}

const results: Record<string, unknown> = {};

/**
 * What one call of `run` (making `calls` kfunc calls) costs in Map lookups and allocated bytes, per
 * kfunc call. Lookups are counted by wrapping `Map.prototype.get`/`has` for one run. Bytes are the
 * growth of the heap over one run (the median of several). `objectBytes` is the same measure for the
 * baseline's object `{ a, b, c }`, so the baseline allocates as many bytes as the model.
 */
function callCost(run: () => void, calls: number): { lookups: number; bytes: number; objectBytes: number } {
  const proto = Map.prototype as unknown as Record<'get' | 'has', (this: Map<unknown, unknown>, key: unknown) => unknown>;
  const { get, has } = proto;
  let lookups = 0;
  proto.get = function (key) { lookups += 1; return get.call(this, key); };
  proto.has = function (key) { lookups += 1; return has.call(this, key); };
  try { run(); } finally { proto.get = get; proto.has = has; }
  let retained: unknown;
  // A collection during a run shrinks the heap (or, promoting, grows it by more): the median of 21
  // runs is a run without one.
  const heapGrowth = (fn: () => unknown): number => {
    const grew: number[] = [];
    for (let trial = 0; trial < 21; trial += 1) {
      const before = process.memoryUsage().heapUsed;
      retained = fn();
      grew.push(process.memoryUsage().heapUsed - before);
    }
    grew.sort((a, b) => a - b);
    return grew[10] ?? 0;
  };
  const bytes = heapGrowth(() => { run(); return 0; }) / calls;
  const objects = 100_000;
  const objectBytes = heapGrowth(() => {
    let o: unknown;
    for (let i = 0; i < objects; i += 1) o = { a: i, b: i, c: i };
    return o;
  }) / objects;
  return { lookups: lookups / calls, bytes, objectBytes: retained === undefined ? 0 : objectBytes };
}
const rows: [string, string, string, string][] = [];
const row = (what: string, value: string, baseline: string, ratio: string): void => { rows.push([what, value, baseline, ratio]); };

// 1. Read throughput: a 256000-byte read from a warm cache against Uint8Array.set of the same bytes.
{
  const src = exeBytes('bench');
  const w = fileWorld(content.bytes(src), src.length);
  const dst = new Uint8Array(256000);
  const model = await opsPerSecond('read 256000', () => { transact(w, SLEEPABLE, (k) => kfuncsOf(k).bpf_dynptr_read(dst, 256000, 'd', 0, 0)); });
  const limit = await opsPerSecond('Uint8Array.set 256000', () => { dst.set(src); });
  results.readThroughput = { modelOpsPerSec: model, modelMBps: (model * 256000) / 1e6, limitOpsPerSec: limit, limitMBps: (limit * 256000) / 1e6, ratio: model / limit, goal: 0.5 };
  row('bpf_dynptr_read 256000 B (warm)', `${((model * 256000) / 1e6).toFixed(0)} MB/s`, `${((limit * 256000) / 1e6).toFixed(0)} MB/s`, (model / limit).toFixed(2));
}

// 2. Small-op rate: read 8 bytes, adjust, size, batched in one transition, against a baseline doing
// the same number of Map lookups and allocating as much memory, both measured on the model's batch
// itself (see `callCost`): what a call must at least cost if its rules were free.
{
  const w = warmWorld();
  const dst = new Uint8Array(8);
  const N = 3000;
  const batch = (): void => {
    transact(w, SLEEPABLE, (k) => {
      const kf = kfuncsOf(k);
      for (let i = 0; i < N; i += 1) {
        kf.bpf_dynptr_read(dst, 8, 'd', 8 * (i % 400), 0);
        kf.bpf_dynptr_adjust('d', 0, 1_000_000);
        kf.bpf_dynptr_size('d');
      }
    });
  };
  const model = await opsPerSecond('small ops', batch) * 3 * N;
  const cost = callCost(batch, 3 * N);
  const lookups = Math.round(cost.lookups);
  const allocs = Math.round(cost.bytes / cost.objectBytes);
  const tables = [0, 1, 2, 3].map((t) => new Map<number, { n: number }>([[t, { n: t }], [t + 10, { n: 1 }]]));
  // The baseline's objects are stored (in a ring of 1,024 slots), as the model stores what it makes
  // (events, records): an object that is never stored can be optimised away by the JIT, and then the
  // baseline would allocate nothing (measured: 51 ns a call with them dropped, 110-120 ns kept).
  const ring = new Array<unknown>(1024).fill(null);
  const base = await opsPerSecond('baseline', () => {
    for (let i = 0; i < 3 * N; i += 1) {
      let acc = 0;
      for (let l = 0; l < lookups; l += 1) acc += tables[l & 3]?.get(l & 3)?.n ?? 0;
      for (let a = 0; a < allocs; a += 1) ring[(i * 16 + a) & 1023] = { a: i, b: acc, c: a };
    }
  }) * 3 * N;
  const sink = ring.length;
  results.smallOps = {
    kfuncCallsPerSec: model, baselinePerSec: base, slowdown: base / model, goalCallsPerSec: 1_000_000, goalSlowdown: 5,
    perCall: { mapLookups: cost.lookups, bytesAllocated: cost.bytes, baselineObjectBytes: cost.objectBytes, baselineAllocations: allocs }, sink,
  };
  row('small kfunc calls (read 8 B, adjust, size)', `${(model / 1e6).toFixed(2)} M/s`, `${(base / 1e6).toFixed(1)} M/s (${lookups} lookups + ${allocs} allocations a call)`, `1/${(base / model).toFixed(1)}`);
}

// 3. Scheduler: events per second, 100 tasks opening a file (the hook schedules task_work), reading
// and closing it.
{
  const s = new Session();
  s.createFile({ path: '/usr/bin/file_reader_test', content: content.bytes(exeBytes('file_reader')) });
  s.createFile({ path: '/tmp/trigger', content: content.zero(), size: 16 });
  s.load(fileReaderObject());
  for (let i = 0; i < 100; i += 1) {
    s.spawn({ comm: `t${i}`, exe: '/usr/bin/file_reader_test', script: [
      { sys: 'open', path: '/tmp/trigger', fd: 't' }, { sys: 'read', fd: 't', offset: 0, len: 16 }, { sys: 'close', fd: 't' },
    ] });
  }
  const start = s.world;
  let events = 0;
  const perSec = await opsPerSecond('scheduler', () => {
    const end = run(start, seededChooser(1));
    events = end.trace.length - start.trace.length;
  });
  results.scheduler = { tasks: 100, eventsPerRun: events, runsPerSec: perSec, eventsPerSec: events * perSec };
  row('scheduler: 100 tasks open/read/close + task_work', `${(events * perSec / 1e3).toFixed(0)} k events/s`, '-', '-');
}

// 4. Property throughput: generated programs verified, run and checked per second (P9's core loop).
{
  const cases = fc.sample(fc.tuple(genProgram(['none', 'drop_discard', 'drop_put']), genWorld), { numRuns: 200, seed: 42 });
  let i = 0;
  const perSec = await opsPerSecond('property core loop', () => {
    const [g, wld] = cases[i++ % cases.length] ?? cases[0]!;
    const obj = toObject(g);
    const ok = verify(obj)[0]?.ok === true;
    const s = buildWorld(wld, obj, !ok).simulate();
    refSnapshot(s.world);
  });
  results.propertyThroughput = { programsPerSec: perSec };
  row('property core loop (verify + run + check a program)', `${perSec.toFixed(0)} programs/s`, '-', '-');
}

// 5. Scale: state bytes and time per read for the same pages touched in files of 4 KiB, 1 GiB, 1 TiB;
// and for 1, 1,000 and 100,000 cached pages.
{
  const scale: Record<string, unknown>[] = [];
  const dst = new Uint8Array(8);
  for (const [label, size, cached] of [['4 KiB', 4096n, 1], ['1 GiB', 1n << 30n, 1], ['1 TiB', 1n << 40n, 1], ['1 page', 1n << 30n, 1], ['1,000 pages', 1n << 30n, 1000], ['100,000 pages', 1n << 30n, 100_000]] as const) {
    const w = fileWorld(content.pattern(1), size, cached * 4096);
    const perSec = await opsPerSecond(label, () => { transact(w, SLEEPABLE, (k) => kfuncsOf(k).bpf_dynptr_read(dst, 8, 'd', 0, 0)); });
    scale.push({ label, fileBytes: String(size), cachedPages: cached, stateBytes: stateBytes(w), usPerRead: 1e6 / perSec });
    row(`scale: ${label}${cached > 1 ? ' cached' : ` file`}`, `${(stateBytes(w) / 1024).toFixed(1)} KiB state`, `${(1e6 / perSec).toFixed(1)} µs/read`, '-');
  }
  results.scale = scale;
}

// 6. immer's auto-freeze: the same transition with an immer instance that freezes and one that does
// not. kfunc calls on the hot tables do not use immer (src/model/world/tables.ts), so the transition is one
// that does: an update of the ARRAY map holding a bpf_task_work (maps are immer state), in the world
// of the scheduler benchmark.
{
  const s = new Session();
  s.load(fileReaderObject());
  const w = s.world;
  const map = [...w.maps.keys()][0] ?? 0;
  const value = new Uint8Array(8);
  const step = (engine: Immer) => (): void => { transactWith(engine, w, SLEEPABLE, (k) => kfuncsOf(k).bpf_map_update_elem(map, 0, value, 0)); };
  const on = await opsPerSecond('autofreeze on', step(new Immer({ autoFreeze: true })));
  const off = await opsPerSecond('autofreeze off', step(new Immer({ autoFreeze: false })));
  results.autoFreeze = { onPerSec: on, offPerSec: off, ratio: off / on };
  row('immer auto-freeze on vs off (a map update per transition)', `${(on / 1e3).toFixed(0)} k/s on`, `${(off / 1e3).toFixed(0)} k/s off`, (off / on).toFixed(2));
}

results.machine = { node: process.version, platform: `${process.platform}/${process.arch}`, benchTimeMs: TIME };
writeFileSync(new URL('./results.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i]?.length ?? 0), ['what', 'model', 'baseline', 'ratio'][i]?.length ?? 0));
const line = (r: string[]): string => `| ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
console.log(line(['what', 'model', 'baseline', 'ratio']));
console.log(line(widths.map((n) => '-'.repeat(n))));
for (const r of rows) console.log(line(r));
