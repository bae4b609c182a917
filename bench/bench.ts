/**
 * `npm run bench`: the figures of the performance targets (issue 17, bench/README.md), each beside a
 * baseline measured in the same process. Times are CPU time of the process (user + system, GC
 * threads included), which other work on a shared machine disturbs far less than wall time; the model
 * and its baseline alternate batch by batch, so both see the same conditions. Each figure is the
 * median of three rounds, each round the median over its batches. Writes bench/results.json (with the
 * machine: cores, CPU, Node, load average) and the README's Performance table (bench/report.ts formats
 * both from the same results).
 *
 * BENCH_TIME: milliseconds of CPU time per round of a call or read measurement (default 400).
 */
import { cpus, loadavg } from 'node:os';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { bpf_dynptr_read, bpf_dynptr_size, cache, content, NON_SLEEPABLE, Session, stateBytes, type World } from '../src/index.ts';
import { caseSession, fileSession, manyTasksWorld, randomBytes, runCase, runToEnd, sleepsWorld } from './cases.ts';
import { performanceTable, README_END, README_START, withPerformanceTable, type Results } from './report.ts';

const TIME = Number(process.env.BENCH_TIME ?? 400);
const ROUNDS = 3;

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1] ?? 0;
};

/** CPU microseconds `fn` takes. */
function cpu(fn: () => unknown): number {
  const c0 = process.cpuUsage();
  fn();
  const c = process.cpuUsage(c0);
  return c.user + c.system;
}

/**
 * One round: batches of the model (`ops` operations each) and of its baseline, alternated until
 * `TIME` ms of CPU time are spent; the median rate of each and the median of the pairs' ratios
 * (baseline rate / model rate).
 */
function round(model: () => void, modelOps: number, base: () => void, baseOps: number): { model: number; base: number; slowdown: number } {
  for (let i = 0; i < 10; i += 1) {
    model();
    base();
  }
  const m: number[] = [];
  const b: number[] = [];
  const r: number[] = [];
  let spent = 0;
  while (spent < TIME * 1000 || m.length < 10) {
    const x = cpu(model);
    const y = cpu(base);
    spent += x + y;
    if (x <= 0 || y <= 0) continue;
    m.push((modelOps * 1e6) / x);
    b.push((baseOps * 1e6) / y);
    r.push(((baseOps * 1e6) / y) / ((modelOps * 1e6) / x));
  }
  return { model: median(m), base: median(b), slowdown: median(r) };
}

/** `ROUNDS` rounds: the medians of their medians. */
function pair(model: () => void, modelOps: number, base: () => void, baseOps: number): { model: number; base: number; slowdown: number } {
  const rounds = Array.from({ length: ROUNDS }, () => round(model, modelOps, base, baseOps));
  return { model: median(rounds.map((x) => x.model)), base: median(rounds.map((x) => x.base)), slowdown: median(rounds.map((x) => x.slowdown)) };
}

const loadStart = loadavg();
const log = (s: string): void => { process.stdout.write(`${s}\n`); };

// 1. Calls made the way a user makes them: one kfunc call per transition, through the Session and
// through the pure functions. A batch is 1,000 calls from the same starting world (so the trace a
// measurement builds stays at most 1,000 events). 16-byte reads go through the cached file in order
// (the reader moves to the next folio every 256 reads).
const BATCH = 1000;
const FILE = 256000;
const calls = ((): Results['calls'] => {
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
  // Warm up every workload first (the first measured would otherwise also pay the JIT's warm-up).
  for (const fn of [sessionSize, sessionRead, pureSize, pureRead, baseline]) {
    const until = process.cpuUsage().user + 200_000;
    while (process.cpuUsage().user < until) fn();
  }
  const bases: number[] = [];
  for (const [api, what, fn] of [['session', 'size', sessionSize], ['session', 'read16', sessionRead], ['pure', 'size', pureSize], ['pure', 'read16', pureRead]] as const) {
    const r = pair(fn, BATCH, baseline, BATCH);
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
const bigRead = ((): Results['bigRead'] => {
  const src = randomBytes('read', SIZE);
  const dst = new Uint8Array(SIZE);
  const out: Results['bigRead'] = { bytes: SIZE, setPerSec: 0, bytesContent: { perSec: 0, ratio: 0 }, patternContent: { perSec: 0, ratio: 0 }, goals: { bytesContent: 0.8, patternContent: 0.5 } };
  const sets: number[] = [];
  for (const [what, c] of [['bytesContent', content.bytes(src)], ['patternContent', content.pattern(7)]] as const) {
    const s = fileSession(c, SIZE);
    const w0 = s.world;
    // Batches of 20 reads from the same starting world (the first read of each takes the folio).
    const read = (): void => {
      s.world = w0;
      for (let i = 0; i < 20; i += 1) s.bpf_dynptr_read(dst, SIZE, 'd', 0, 0);
    };
    const set20 = (): void => {
      for (let i = 0; i < 20; i += 1) dst.set(src);
    };
    const r = pair(read, 20, set20, 20);
    out[what] = { perSec: r.model, ratio: 1 / r.slowdown };
    sets.push(r.base);
    log(`read 256 KiB ${what}: ${((r.model * SIZE) / 1e9).toFixed(1)} GB/s, Uint8Array.set ${((r.base * SIZE) / 1e9).toFixed(1)} GB/s, ${(1 / r.slowdown).toFixed(2)}`);
  }
  out.setPerSec = median(sets);
  return out;
})();

// 3. The scheduler: 10x the tasks, 10x the sleeps, each run to the end (seeded schedule); the time
// of the larger run over the time of the smaller one. The smaller world is run 10 times in a row per
// sample, so that a sample of each size makes the same number of steps: a single small run (a few
// ms) is too short to measure alone and can end before the collector's first scavenge, leaving the
// collection of its garbage to whatever runs next. Each timed sample comes after an untimed one of
// the same size, which pays for the garbage the other size left: without it, the small runs paid
// for the large run before them (up to twice their own time), and the ratio looked smaller than
// either size costs run after run. After a warm-up, each round alternates the two sizes seven times
// (the median of those ratios); the figure is the median of three rounds. Beside the times, the
// operations a step makes (Map and Set calls, counted on one run of each size): the time of a step
// also grows with the memory a run touches (caches, the garbage collector), its work should not.
function opsPerStep(w: World): number {
  type Fn = (this: unknown, ...a: unknown[]) => unknown;
  const protos: [Record<string, Fn>, string][] = [
    [Map.prototype as unknown as Record<string, Fn>, 'get'], [Map.prototype as unknown as Record<string, Fn>, 'set'],
    [Map.prototype as unknown as Record<string, Fn>, 'has'], [Map.prototype as unknown as Record<string, Fn>, 'delete'],
    [Set.prototype as unknown as Record<string, Fn>, 'add'], [Set.prototype as unknown as Record<string, Fn>, 'has'],
  ];
  let n = 0;
  const saved = protos.map(([p, name]) => p[name] as Fn);
  protos.forEach(([p, name], i) => {
    const orig = saved[i] as Fn;
    p[name] = function (this: unknown, ...a: unknown[]) { n += 1; return orig.apply(this, a); };
  });
  let steps = 1;
  try { steps = runToEnd(w); } finally { protos.forEach(([p, name], i) => { p[name] = saved[i] as Fn; }); }
  return n / steps;
}
function scale(small: () => World, large: () => World): Omit<Results['scheduler']['tasks'], 'what'> {
  const ws = small();
  const wl = large();
  const ts: number[] = [];
  const tl: number[] = [];
  const ratios: number[] = [];
  let stepsSmall = 0;
  let stepsLarge = 0;
  const reps = 10;
  for (let i = 0; i < 3; i += 1) {
    for (let j = 0; j < reps; j += 1) runToEnd(ws);
    runToEnd(wl);
  }
  for (let i = 0; i < ROUNDS; i += 1) {
    const r: number[] = [];
    for (let j = 0; j < 7; j += 1) {
      for (let n = 0; n < reps; n += 1) runToEnd(ws);
      const a = cpu(() => { for (let n = 0; n < reps; n += 1) stepsSmall = runToEnd(ws); }) / 1000 / reps;
      runToEnd(wl);
      const b = cpu(() => { stepsLarge = runToEnd(wl); }) / 1000;
      ts.push(a);
      tl.push(b);
      r.push(b / a);
    }
    ratios.push(median(r));
  }
  const msSmall = median(ts);
  const msLarge = median(tl);
  return {
    small: { steps: stepsSmall, ms: msSmall, usPerStep: (msSmall * 1000) / stepsSmall, opsPerStep: opsPerStep(ws) },
    large: { steps: stepsLarge, ms: msLarge, usPerStep: (msLarge * 1000) / stepsLarge, opsPerStep: opsPerStep(wl) },
    ratio: median(ratios),
    goal: 12,
  };
}
const scheduler: Results['scheduler'] = {
  tasks: { ...scale(() => manyTasksWorld(100), () => manyTasksWorld(1000)), what: '100 vs 1,000 tasks (sleep, open, read 16 B, close, sleep)' },
  sleeps: { ...scale(() => sleepsWorld(1000), () => sleepsWorld(10_000)), what: 'one task, 1,000 vs 10,000 sleeps' },
  longSleeps: { ...scale(() => sleepsWorld(1000, 10), () => sleepsWorld(10_000, 10)), what: '10 tasks, 1,000 vs 10,000 sleeps each' },
  longTasks: { ...scale(() => manyTasksWorld(1000), () => manyTasksWorld(10_000)), what: '1,000 vs 10,000 tasks' },
  smpTasks: { ...scale(() => manyTasksWorld(100, true), () => manyTasksWorld(1000, true)), what: '100 vs 1,000 tasks on an smp machine (`smp: true`: each task that may run a program may also stop at its next call)' },
};
for (const [k, v] of Object.entries(scheduler)) log(`scheduler ${k}: ${v.small.ms.toFixed(0)} ms vs ${v.large.ms.toFixed(0)} ms, ${v.ratio.toFixed(1)}x; ${v.small.opsPerStep.toFixed(2)} vs ${v.large.opsPerStep.toFixed(2)} Map/Set calls a step`);

// 4. The kernel case shape (the conformance guest tier's: bench/cases.ts): a task opens a file, the
// lsm/file_open hook makes a FILE dynptr of it, reads 16 bytes and discards it, the task closes the
// file and exits; a Session with the object loaded, a spawn and a simulate per case. Measured two
// ways: each case from the loaded world (as the tier runs independent cases), and one session
// keeping every case's history (its world grows case after case).
const CASES = 3000;
const CASE_BATCH = 100;
function caseRate(fromLoaded: boolean): { perSec: number; steps: number } {
  const rates: number[] = [];
  let steps = 0;
  for (let i = 0; i < ROUNDS; i += 1) {
    const s = caseSession();
    const loaded = s.world;
    for (let j = 0; j < 200; j += 1) runCase(s);
    if (fromLoaded) s.world = loaded;
    const batches: number[] = [];
    for (let done = 0; done < CASES; done += CASE_BATCH) {
      const us = cpu(() => {
        for (let j = 0; j < CASE_BATCH; j += 1) {
          if (fromLoaded) s.world = loaded;
          runCase(s);
        }
      });
      batches.push((CASE_BATCH * 1e6) / us);
    }
    // The steps of one case (the scheduler's choices it recorded).
    const before = s.world.choices.length;
    runCase(s);
    steps = s.world.choices.length - before;
    rates.push(median(batches));
  }
  return { perSec: median(rates), steps };
}
const caseShape = ((): Results['caseShape'] => {
  const fresh = caseRate(true);
  const kept = caseRate(false);
  log(`case shape: ${fresh.perSec.toFixed(0)} cases/s from the loaded world, ${kept.perSec.toFixed(0)} cases/s keeping history (${fresh.steps} steps a case)`);
  return { fromLoaded: fresh.perSec, historyKept: kept.perSec, stepsPerCase: fresh.steps, casesPerRound: CASES, baselinePerSec: calls.baselinePerSec, goal: 20_000 };
})();

// 5. The page cache as ranges: caching a whole 2^40-byte file (2^28 pages) from a world with none
// cached, against caching a one-page file the same way (CPU time, median of 51; the state's growth by
// `stateBytes`, the model's structural estimate); and a cold 16-byte read (sleepable: the read waits
// for its I/O) of a page not cached, in a file with no page cached and in one with 10^6 pages cached
// (pages [0, 10^6), the read 5,000 pages past them), alternated, median of each.
const pagecache = ((): Results['pagecache'] => {
  const budgets = { bytes: 2 ** 41 };
  const populateOf = (size: number): { us: () => number; grows: number } => {
    const s = new Session({ budgets });
    s.createFile({ path: '/big', content: content.zero(), size });
    const w0 = s.world;
    const us = (): number => {
      s.world = w0;
      return cpu(() => s.run((k) => cache.populateRuns(k, '/big')));
    };
    us();
    return { us, grows: stateBytes(s.world) - stateBytes(w0) };
  };
  const huge = populateOf(2 ** 40);
  const one = populateOf(4096);
  const hugeUs: number[] = [];
  const oneUs: number[] = [];
  for (let i = 0; i < 20; i += 1) { huge.us(); one.us(); }
  for (let i = 0; i < 51; i += 1) { hugeUs.push(huge.us()); oneUs.push(one.us()); }
  const coldOf = (cached: number): (() => number) => {
    const s = new Session({ sleepable: true, budgets });
    s.createFile({ path: '/f', content: content.zero(), size: (cached + 10_000) * 4096 });
    if (cached > 0) s.run((k) => cache.populateRuns(k, '/f', 0, cached * 4096));
    s.bpf_dynptr_from_file(s.open('/f'), 0, 'd');
    const w0 = s.world;
    const dst = new Uint8Array(16);
    const off = (cached + 5000) * 4096;
    return () => {
      s.world = w0;
      return cpu(() => { for (let i = 0; i < 10; i += 1) s.bpf_dynptr_read(dst, 16, 'd', off, 0); }) / 10;
    };
  };
  const none = coldOf(0);
  const many = coldOf(1_000_000);
  const noneUs: number[] = [];
  const manyUs: number[] = [];
  for (let i = 0; i < 50; i += 1) { none(); many(); }
  for (let i = 0; i < 101; i += 1) { noneUs.push(none()); manyUs.push(many()); }
  const out: Results['pagecache'] = {
    hugeFile: { bytes: 2 ** 40, ms: median(hugeUs) / 1000, stateBytes: huge.grows, onePageMs: median(oneUs) / 1000, goals: { ms: 1, bytes: 1e6 } },
    coldRead: { pagesCached: 1_000_000, noneUs: median(noneUs), cachedUs: median(manyUs), ratio: median(manyUs) / median(noneUs), goal: 2 },
  };
  log(`page cache: caching 2^40 bytes ${out.hugeFile.ms.toFixed(3)} ms, +${out.hugeFile.stateBytes} state bytes (one page: ${out.hugeFile.onePageMs.toFixed(3)} ms); cold read ${out.coldRead.cachedUs.toFixed(1)} µs with 10^6 pages cached vs ${out.coldRead.noneUs.toFixed(1)} µs with none (${out.coldRead.ratio.toFixed(2)}×)`);
  return out;
})();

const cores = cpus();
const resultsUrl = new URL('./results.json', import.meta.url);
// bench/cli_startup.ts, bench/maps.ts, bench/files.ts and bench/tables.ts (run after this), bench/explore.ts and bench/props.ts keep their entries in the same file: leave them as they are.
const previous = existsSync(resultsUrl) ? (JSON.parse(readFileSync(resultsUrl, 'utf8')) as Partial<Results>) : {};
const results: Results = {
  calls, bigRead, scheduler, caseShape, pagecache,
  ...(previous.cliStartup === undefined ? {} : { cliStartup: previous.cliStartup }),
  ...(previous.exploreSeed === undefined ? {} : { exploreSeed: previous.exploreSeed }),
  ...(previous.props === undefined ? {} : { props: previous.props }),
  ...(previous.maps === undefined ? {} : { maps: previous.maps }),
  ...(previous.files === undefined ? {} : { files: previous.files }),
  ...(previous.tables === undefined ? {} : { tables: previous.tables }),
  machine: {
    cores: cores.length, cpu: cores[0]?.model ?? '?', node: process.version, platform: `${process.platform}/${process.arch}`,
    loadavgStart: loadStart.map((x) => Math.round(x * 100) / 100), loadavgEnd: loadavg().map((x) => Math.round(x * 100) / 100),
    benchTimeMs: TIME, rounds: ROUNDS, time: 'CPU time of the process (process.cpuUsage: user + system)',
  },
};
writeFileSync(resultsUrl, `${JSON.stringify(results, null, 2)}\n`);

// The README's Performance table, from the same results.
const readmeUrl = new URL('../README.md', import.meta.url);
const readme = readFileSync(readmeUrl, 'utf8');
const updated = withPerformanceTable(readme, results);
if (updated === readme && !readme.includes(README_START)) log(`README.md has no ${README_START} … ${README_END} section: not updated`);
writeFileSync(readmeUrl, updated);
log(performanceTable(results));
