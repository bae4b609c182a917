/**
 * `npm run bench`: the figures of the performance targets (issue 17, bench/README.md), each beside a
 * baseline measured in the same process, each the median of three rounds that alternate the model
 * and its baseline. Writes bench/results.json (with the machine: cores, CPU, Node, load average) and
 * the README's Performance table (bench/report.ts formats both from the same results).
 *
 * BENCH_TIME: milliseconds per tinybench measurement (default 400).
 */
import { cpus, loadavg } from 'node:os';
import { readFileSync, writeFileSync } from 'node:fs';
import { Bench } from 'tinybench';
import { bpf_dynptr_read, bpf_dynptr_size, content, NON_SLEEPABLE, type World } from '../src/index.ts';
import { caseSession, fileSession, manyTasksWorld, randomBytes, runCase, runToEnd, sleepsWorld } from './cases.ts';
import { performanceTable, README_END, README_START, type Results } from './report.ts';

const TIME = Number(process.env.BENCH_TIME ?? 400);
const ROUNDS = 3;

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1] ?? 0;
};

/** Operations per second of `fn`, which makes `ops` operations per call (tinybench: total ops / total time). */
async function rate(fn: () => void, ops: number): Promise<number> {
  const b = new Bench({ time: TIME, warmupTime: 100 });
  b.add('x', fn);
  await b.run();
  const r = b.tasks[0]?.result as { period?: number } | undefined;
  const period = r?.period ?? 0;
  return period > 0 ? (ops * 1000) / period : 0;
}

/** The model and its baseline, alternated for `ROUNDS` rounds: median rates and the median of the rounds' ratios (baseline / model). */
async function pair(model: () => void, modelOps: number, base: () => void, baseOps: number): Promise<{ model: number; base: number; slowdown: number }> {
  const m: number[] = [];
  const b: number[] = [];
  const ratio: number[] = [];
  for (let i = 0; i < ROUNDS; i += 1) {
    const x = await rate(model, modelOps);
    const y = await rate(base, baseOps);
    m.push(x);
    b.push(y);
    ratio.push(y / x);
  }
  return { model: median(m), base: median(b), slowdown: median(ratio) };
}

function ms(fn: () => unknown): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const loadStart = loadavg();
const log = (s: string): void => { process.stdout.write(`${s}\n`); };

// 1. Calls made the way a user makes them: one kfunc call per transition, through the Session and
// through the pure functions. A batch is 1,000 calls from the same starting world (so the trace a
// measurement builds stays at most 1,000 events). 16-byte reads go through the cached file in order
// (the reader moves to the next folio every 256 reads).
const BATCH = 1000;
const FILE = 256000;
const calls = await (async () => {
  const s = fileSession(content.pattern(1), FILE);
  const w0 = s.world;
  const dst = new Uint8Array(16);
  const pages = new Map<number, Uint8Array>();
  const bytes = randomBytes('baseline', 64 * 4096);
  for (let p = 0; p < 64; p += 1) pages.set(p, bytes.subarray(p * 4096, (p + 1) * 4096));
  // Baseline: a Map lookup and a 16-byte copy (what a cached 16-byte read must at least do).
  const baseline = (): void => {
    for (let i = 0; i < BATCH; i += 1) {
      const page = pages.get(i & 63) as Uint8Array;
      const off = (i * 16) & 4095;
      dst.set(page.subarray(off, off + 16));
    }
  };
  const sessionSize = (): void => {
    s.world = w0;
    for (let i = 0; i < BATCH; i += 1) s.bpf_dynptr_size('d');
  };
  const sessionRead = (): void => {
    s.world = w0;
    for (let i = 0; i < BATCH; i += 1) s.bpf_dynptr_read(dst, 16, 'd', i * 16, 0);
  };
  const pureSize = (): void => {
    let w: World = w0;
    for (let i = 0; i < BATCH; i += 1) w = bpf_dynptr_size(w, NON_SLEEPABLE, 'd').world;
  };
  const pureRead = (): void => {
    let w: World = w0;
    for (let i = 0; i < BATCH; i += 1) w = bpf_dynptr_read(w, NON_SLEEPABLE, dst, 16, 'd', i * 16, 0).world;
  };
  const out: Results['calls'] = { baselinePerSec: 0, session: { size: { perSec: 0, slowdown: 0 }, read16: { perSec: 0, slowdown: 0 } }, pure: { size: { perSec: 0, slowdown: 0 }, read16: { perSec: 0, slowdown: 0 } }, goals: { sizePerSec: 2e6, read16PerSec: 1e6, slowdown: 10 } };
  const bases: number[] = [];
  for (const [api, what, fn] of [['session', 'size', sessionSize], ['session', 'read16', sessionRead], ['pure', 'size', pureSize], ['pure', 'read16', pureRead]] as const) {
    const r = await pair(fn, BATCH, baseline, BATCH);
    out[api][what] = { perSec: r.model, slowdown: r.slowdown };
    bases.push(r.base);
    log(`${api} ${what}: ${(r.model / 1e6).toFixed(2)} M/s, baseline ${(r.base / 1e6).toFixed(1)} M/s, 1/${r.slowdown.toFixed(1)}`);
  }
  out.baselinePerSec = median(bases);
  return out;
})();

// 2. A 256 KiB read of a cached file through the Session (one call per transition), against
// Uint8Array.set of the same bytes, with `bytes` content and with `pattern` content.
const SIZE = 256 * 1024;
const bigRead = await (async () => {
  const src = randomBytes('read', SIZE);
  const dst = new Uint8Array(SIZE);
  const out: Results['bigRead'] = { bytes: SIZE, setPerSec: 0, bytesContent: { perSec: 0, ratio: 0 }, patternContent: { perSec: 0, ratio: 0 }, goals: { bytesContent: 0.8, patternContent: 0.5 } };
  const sets: number[] = [];
  for (const [what, c] of [['bytesContent', content.bytes(src)], ['patternContent', content.pattern(7)]] as const) {
    const s = fileSession(c, SIZE);
    const w0 = s.world;
    // Batches of 100 reads from the same starting world (the first read of each takes the folio).
    const read = (): void => {
      s.world = w0;
      for (let i = 0; i < 100; i += 1) s.bpf_dynptr_read(dst, SIZE, 'd', 0, 0);
    };
    const set100 = (): void => {
      for (let i = 0; i < 100; i += 1) dst.set(src);
    };
    const r = await pair(read, 100, set100, 100);
    out[what] = { perSec: r.model, ratio: 1 / r.slowdown };
    sets.push(r.base);
    log(`read 256 KiB ${what}: ${((r.model * SIZE) / 1e9).toFixed(1)} GB/s, Uint8Array.set ${((r.base * SIZE) / 1e9).toFixed(1)} GB/s, ${(1 / r.slowdown).toFixed(2)}`);
  }
  out.setPerSec = median(sets);
  return out;
})();

// 3. The scheduler: 10x the tasks, 10x the sleeps, each run to the end (seeded schedule); the time
// of the larger run over the time of the smaller one, measured alternately (median of 3).
function scale(small: () => World, large: () => World): Omit<Results['scheduler']['tasks'], 'what'> {
  const ws = small();
  const wl = large();
  const ts: number[] = [];
  const tl: number[] = [];
  const ratio: number[] = [];
  let stepsSmall = 0;
  let stepsLarge = 0;
  runToEnd(ws);
  for (let i = 0; i < ROUNDS; i += 1) {
    const a = ms(() => { stepsSmall = runToEnd(ws); });
    const b = ms(() => { stepsLarge = runToEnd(wl); });
    ts.push(a);
    tl.push(b);
    ratio.push(b / a);
  }
  const msSmall = median(ts);
  const msLarge = median(tl);
  return {
    small: { steps: stepsSmall, ms: msSmall, usPerStep: (msSmall * 1000) / stepsSmall },
    large: { steps: stepsLarge, ms: msLarge, usPerStep: (msLarge * 1000) / stepsLarge },
    ratio: median(ratio),
    goal: 12,
  };
}
const scheduler: Results['scheduler'] = {
  tasks: { ...scale(() => manyTasksWorld(100), () => manyTasksWorld(1000)), what: '100 vs 1,000 tasks (sleep, open, read 16 B, close, sleep)' },
  sleeps: { ...scale(() => sleepsWorld(1000), () => sleepsWorld(10_000)), what: 'one task, 1,000 vs 10,000 sleeps' },
};
for (const [k, v] of Object.entries(scheduler)) log(`scheduler ${k}: ${v.small.ms.toFixed(0)} ms vs ${v.large.ms.toFixed(0)} ms, ${v.ratio.toFixed(1)}x`);

// 4. The kernel case shape (the conformance guest tier's: bench/cases.ts): a task opens a file, the
// lsm/file_open hook makes a FILE dynptr of it, reads 16 bytes and discards it, the task closes the
// file and exits; a Session with the object loaded, a spawn and a simulate per case. Measured two
// ways: each case from the loaded world (as the tier runs independent cases), and one session
// keeping every case's history (its world grows case after case).
const CASES = 3000;
function caseRate(fromLoaded: boolean): { perSec: number; steps: number } {
  const rates: number[] = [];
  let steps = 0;
  for (let i = 0; i < ROUNDS; i += 1) {
    const s = caseSession();
    const loaded = s.world;
    for (let j = 0; j < 200; j += 1) runCase(s);
    if (fromLoaded) s.world = loaded;
    const before = s.world.choices.length;
    const t = ms(() => {
      for (let j = 0; j < CASES; j += 1) {
        if (fromLoaded) s.world = loaded;
        runCase(s);
      }
    });
    steps = fromLoaded ? s.world.choices.length - before : (s.world.choices.length - before) / CASES;
    rates.push((CASES * 1000) / t);
  }
  return { perSec: median(rates), steps };
}
const caseShape = ((): Results['caseShape'] => {
  const fresh = caseRate(true);
  const kept = caseRate(false);
  log(`case shape: ${fresh.perSec.toFixed(0)} cases/s from the loaded world, ${kept.perSec.toFixed(0)} cases/s keeping history (${fresh.steps} steps a case)`);
  return { fromLoaded: fresh.perSec, historyKept: kept.perSec, stepsPerCase: fresh.steps, casesPerRound: CASES, baselinePerSec: calls.baselinePerSec, goal: 20_000 };
})();

const cpu = cpus();
const results: Results = {
  calls, bigRead, scheduler, caseShape,
  machine: {
    cores: cpu.length, cpu: cpu[0]?.model ?? '?', node: process.version, platform: `${process.platform}/${process.arch}`,
    loadavgStart: loadStart.map((x) => Math.round(x * 100) / 100), loadavgEnd: loadavg().map((x) => Math.round(x * 100) / 100),
    benchTimeMs: TIME, rounds: ROUNDS,
  },
};
writeFileSync(new URL('./results.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);

// The README's Performance table, from the same results.
const readmeUrl = new URL('../README.md', import.meta.url);
const readme = readFileSync(readmeUrl, 'utf8');
const a = readme.indexOf(README_START);
const b = readme.indexOf(README_END);
if (a >= 0 && b > a) {
  writeFileSync(readmeUrl, `${readme.slice(0, a + README_START.length)}\n${performanceTable(results)}${readme.slice(b)}`);
} else {
  log(`README.md has no ${README_START} … ${README_END} section: not updated`);
}
log(performanceTable(results));
