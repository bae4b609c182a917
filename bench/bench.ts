/**
 * `npm run bench`: how fast the model runs, each figure as a ratio against a baseline measured in the
 * same process (tinybench). Writes bench/results.json and prints a table. See bench/README.md.
 */
import { writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { Immer } from 'immer';
import { Bench } from 'tinybench';
import { content, kfuncsOf, refSnapshot, run, seededChooser, Session, SLEEPABLE, stateBytes, transact, verify } from '../src/index.ts';
import { transactWith } from '../src/model/world.ts';
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
// what a call minimally must: the model's calls look up on average four table entries (dynptr slot,
// FILE state, and for a read the file, inode and page) and allocate four objects (the argument
// array, the converted arguments, the trace event and its recorded arguments).
{
  const w = warmWorld();
  const dst = new Uint8Array(8);
  const N = 3000;
  const model = await opsPerSecond('small ops', () => {
    transact(w, SLEEPABLE, (k) => {
      const kf = kfuncsOf(k);
      for (let i = 0; i < N; i += 1) {
        kf.bpf_dynptr_read(dst, 8, 'd', 8 * (i % 400), 0);
        kf.bpf_dynptr_adjust('d', 0, 1_000_000);
        kf.bpf_dynptr_size('d');
      }
    });
  }) * 3 * N;
  const tables = [0, 1, 2, 3].map((t) => new Map<number, { n: number }>([[t, { n: t }], [t + 10, { n: 1 }]]));
  let sink = 0;
  const base = await opsPerSecond('map lookups', () => {
    for (let i = 0; i < 3 * N; i += 1) {
      let acc = 0;
      for (let t = 0; t < 4; t += 1) acc += tables[t]?.get(t)?.n ?? 0;
      const args = [i, acc];
      const conv = args.map((x) => x + 1);
      const ev = { t: i, args: conv };
      const raw = [ev.t, acc];
      sink += raw.length + ev.args.length;
    }
  }) * 3 * N;
  results.smallOps = { kfuncCallsPerSec: model, baselinePerSec: base, slowdown: base / model, goalCallsPerSec: 1_000_000, goalSlowdown: 5, sink };
  row('small kfunc calls (read 8 B, adjust, size)', `${(model / 1e6).toFixed(2)} M/s`, `${(base / 1e6).toFixed(1)} M/s`, `1/${(base / model).toFixed(1)}`);
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

// 6. immer's auto-freeze: the same transition with an immer instance that freezes and one that does not.
{
  const w = warmWorld();
  const dst = new Uint8Array(8);
  const step = (engine: Immer) => (): void => { transactWith(engine, w, SLEEPABLE, (k) => kfuncsOf(k).bpf_dynptr_read(dst, 8, 'd', 0, 0)); };
  const on = await opsPerSecond('autofreeze on', step(new Immer({ autoFreeze: true })));
  const off = await opsPerSecond('autofreeze off', step(new Immer({ autoFreeze: false })));
  results.autoFreeze = { onPerSec: on, offPerSec: off, ratio: off / on };
  row('immer auto-freeze on vs off (one read per transition)', `${(on / 1e3).toFixed(0)} k/s on`, `${(off / 1e3).toFixed(0)} k/s off`, (off / on).toFixed(2));
}

results.machine = { node: process.version, platform: `${process.platform}/${process.arch}`, benchTimeMs: TIME };
writeFileSync(new URL('./results.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i]?.length ?? 0), ['what', 'model', 'baseline', 'ratio'][i]?.length ?? 0));
const line = (r: string[]): string => `| ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
console.log(line(['what', 'model', 'baseline', 'ratio']));
console.log(line(widths.map((n) => '-'.repeat(n))));
for (const r of rows) console.log(line(r));
