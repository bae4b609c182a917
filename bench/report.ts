/**
 * The shape of bench/results.json and the README's Performance table made from it (bench.ts writes
 * both; test/bench_report.test.ts checks the README quotes the recorded results).
 */

export interface Rate {
  /** Calls per second. */
  readonly perSec: number;
  /** How many times faster the baseline ran in the same rounds (median of the rounds' ratios). */
  readonly slowdown: number;
}

export interface Scale {
  readonly steps: number;
  readonly ms: number;
  readonly usPerStep: number;
  /** Map and Set calls a step makes (counted): the work of a step, apart from caches and GC. */
  readonly opsPerStep: number;
}

export interface Results {
  readonly calls: {
    /** A Map lookup and a 16-byte copy, per second. */
    baselinePerSec: number;
    session: { size: Rate; read16: Rate };
    pure: { size: Rate; read16: Rate };
    goals: { sizePerSec: number; read16PerSec: number; slowdown: number };
  };
  readonly bigRead: {
    bytes: number;
    /** `Uint8Array.set` of the same bytes, per second. */
    setPerSec: number;
    bytesContent: { perSec: number; ratio: number };
    patternContent: { perSec: number; ratio: number };
    goals: { bytesContent: number; patternContent: number };
  };
  readonly scheduler: {
    tasks: { what: string; small: Scale; large: Scale; ratio: number; goal: number };
    sleeps: { what: string; small: Scale; large: Scale; ratio: number; goal: number };
    /** The same at 10× the sizes, where both runs outgrow the collector's young generation. */
    longSleeps: { what: string; small: Scale; large: Scale; ratio: number; goal: number };
    longTasks: { what: string; small: Scale; large: Scale; ratio: number; goal: number };
    /** The tasks pair on a machine of several CPUs (the smp actions found at every step). */
    smpTasks: { what: string; small: Scale; large: Scale; ratio: number; goal: number };
  };
  readonly caseShape: {
    /** Cases per second, each from the world with the object loaded. */
    fromLoaded: number;
    /** Cases per second in one session that keeps every case's history. */
    historyKept: number;
    stepsPerCase: number; casesPerRound: number; baselinePerSec: number; goal: number;
  };
  /** The page cache as ranges: a whole huge file cached, and a cold read beside many cached pages. */
  readonly pagecache: {
    hugeFile: { bytes: number; ms: number; stateBytes: number; onePageMs: number; goals: { ms: number; bytes: number } };
    coldRead: { pagesCached: number; noneUs: number; cachedUs: number; ratio: number; goal: number };
  };
  /**
   * A map syscall against the map's size (bench/maps.ts writes it): µs of CPU a command `op` (an update or
   * a lookup of a present key, a batch lookup of up to `small` elements) on a map of `elements` keys whose
   * max_entries is `small` and `large`, by map type.
   */
  readonly maps?: {
    small: number; large: number; elements: number; rows: readonly { op: 'update' | 'lookup' | 'lookup_batch' | 'close'; type: string; smallUs: number; largeUs: number; ratio: number }[];
    /** A walk of a whole HASH map by BPF_MAP_GET_NEXT_KEY: µs a key with `smallKeys` and `largeKeys` keys. */
    walk?: { smallKeys: number; largeKeys: number; smallUs: number; largeUs: number; ratio: number };
    /** A walk by `bpf_for_each_map_elem` whose callback deletes each element: µs an element with `smallKeys` and `largeKeys` keys. */
    forEach?: { smallKeys: number; largeKeys: number; smallUs: number; largeUs: number; ratio: number };
    /** An update of a present key in a world of `smallMaps` and of `largeMaps` maps: µs. */
    manyMaps?: { smallMaps: number; largeMaps: number; smallUs: number; largeUs: number; ratio: number };
    /** An update of a map given by name among `smallObjects` and `largeObjects` loaded objects: µs. */
    byName?: { smallObjects: number; largeObjects: number; smallUs: number; largeUs: number; ratio: number };
    goal: number; cpu: string; loadavgStart: readonly number[];
  };
  /** A file created in a world of `smallFiles` and of `largeFiles` files: µs of CPU a `createFile` (bench/files.ts writes it). */
  readonly files?: {
    create: { smallFiles: number; largeFiles: number; smallUs: number; largeUs: number; ratio: number };
    goal: number; cpu: string; loadavgStart: readonly number[];
  };
  /**
   * Calls and steps against the size of the tables kept in insertion order (bench/tables.ts writes it):
   * a dynptr made and discarded (µs a call) and the kernel case shape (µs a case) in worlds of `small`
   * and `large` dynptr slots; a scheduler step with `small` and `large` reads in flight (µs); a fork
   * and two waits among `small` and `large` exited tasks (µs).
   */
  readonly tables?: {
    dynptr: { small: number; large: number; smallUs: number; largeUs: number; ratio: number };
    program: { small: number; large: number; smallUs: number; largeUs: number; ratio: number };
    io: { small: number; large: number; smallUs: number; largeUs: number; ratio: number };
    wait: { small: number; large: number; smallUs: number; largeUs: number; ratio: number };
    /** A task's `map_update` of the newest of `small` and `large` maps, named (µs a run); absent before stop 48. */
    mapName?: { small: number; large: number; smallUs: number; largeUs: number; ratio: number };
    /** A task's `set_global` and `prog_test_run` by name, of the newest of `small` and `large` objects (µs a run). */
    objects?: { small: number; large: number; smallUs: number; largeUs: number; ratio: number };
    /** A task's first task storage element among `small` and `large` other maps (µs a case). */
    taskStorage?: { small: number; large: number; smallUs: number; largeUs: number; ratio: number };
    /** A scheduler step of a task with `small` and `large` open files (µs). */
    fds?: { small: number; large: number; smallUs: number; largeUs: number; ratio: number };
    /** A scheduler step of a task with `small` and `large` task_works queued (µs); absent before stop 50. */
    works?: { small: number; large: number; smallUs: number; largeUs: number; ratio: number };
    /** A scheduler step from a world not the newest of its history, among `small` and `large` tasks (µs); absent before stop 49. */
    branch?: { small: number; large: number; smallUs: number; largeUs: number; ratio: number };
    /** A 16-byte FILE read that moves its reader's folio, among `small` and `large` folios other readers hold (µs); absent before stop 62. */
    folios?: { small: number; large: number; smallUs: number; largeUs: number; ratio: number };
    goal: number; cpu: string; loadavgStart: readonly number[];
  };
  /** `kernsim` start-up against `node -e 0` (bench/cli_startup.ts writes it). */
  readonly cliStartup?: { nodeMs: number; helpMs: number; helpRatio: number; goal: number; runMs: number; runRatio: number; runs: number };
  /**
   * The seed scenario explored completely (`kernsim explore examples/seed.json`; bench/explore.ts
   * writes it): CPU time with the reduction, against the goal of issue 18 (under 10 s); the state
   * space; the same exploration without the reduction as the baseline.
   */
  readonly exploreSeed?: { states: number; transitions: number; transitionsFull: number; schedules: string; cpuMs: number; cpuMsFull: number; goalMs: number; complete: boolean };
  /**
   * `npm run props` at 1,000 runs, timed from outside (bench/props.ts writes it): wall time of the whole
   * command, CPU time of everything it ran (null where it cannot be read), against the goal of issue 17;
   * since stop 44 the median of several whole runs (`wallMsAll`: each run's wall time, in order).
   */
  readonly props?: { runs: number; files: number; tests: number; workers: number; wallMs: number; cpuMs: number | null; goalMs: number; loadavgStart: readonly number[]; loadavgEnd: readonly number[]; cpu?: string; wallMsAll?: readonly number[]; refPerSecAll?: readonly number[] };
  readonly machine: {
    cores: number; cpu: string; node: string; platform: string;
    loadavgStart: readonly number[]; loadavgEnd: readonly number[];
    benchTimeMs: number; rounds: number; time: string;
  };
}

export const README_START = '<!-- bench:start (written by npm run bench from bench/results.json) -->';
export const README_END = '<!-- bench:end -->';

const M = (x: number): string => `${(x / 1e6).toFixed(2)} M/s`;
const met = (ok: boolean): string => (ok ? 'met' : '**not met**');

/** The README's table: every figure of bench/results.json with its baseline and goal. */
export function performanceTable(r: Results): string {
  const c = r.calls;
  const g = c.goals;
  const rows: string[][] = [];
  for (const [api, name] of [['session', 'Session'], ['pure', 'pure function']] as const) {
    const size = c[api].size;
    const read = c[api].read16;
    rows.push([`\`bpf_dynptr_size\`, ${name}, one call per transition`, M(size.perSec), `Map lookup + 16-byte copy: ${M(c.baselinePerSec)}`, `1/${size.slowdown.toFixed(1)}`, `≥ ${g.sizePerSec / 1e6} M/s, ≥ 1/${g.slowdown}`, met(size.perSec >= g.sizePerSec && size.slowdown <= g.slowdown)]);
    rows.push([`16-byte cached FILE \`bpf_dynptr_read\`, ${name}`, M(read.perSec), `Map lookup + 16-byte copy: ${M(c.baselinePerSec)}`, `1/${read.slowdown.toFixed(1)}`, `≥ ${g.read16PerSec / 1e6} M/s, ≥ 1/${g.slowdown}`, met(read.perSec >= g.read16PerSec && read.slowdown <= g.slowdown)]);
  }
  const b = r.bigRead;
  const gb = (perSec: number): string => `${((perSec * b.bytes) / 1e9).toFixed(1)} GB/s`;
  rows.push([`\`bpf_dynptr_read\` of ${b.bytes / 1024} KiB cached, \`bytes\` content`, gb(b.bytesContent.perSec), `\`Uint8Array.set\`: ${gb(b.setPerSec)}`, b.bytesContent.ratio.toFixed(2), `≥ ${b.goals.bytesContent}`, met(b.bytesContent.ratio >= b.goals.bytesContent)]);
  rows.push([`\`bpf_dynptr_read\` of ${b.bytes / 1024} KiB cached, \`pattern\` content`, gb(b.patternContent.perSec), `\`Uint8Array.set\`: ${gb(b.setPerSec)}`, b.patternContent.ratio.toFixed(2), `≥ ${b.goals.patternContent}`, met(b.patternContent.ratio >= b.goals.patternContent)]);
  for (const s of [r.scheduler.tasks, r.scheduler.sleeps, r.scheduler.longTasks, r.scheduler.longSleeps, r.scheduler.smpTasks]) {
    rows.push([`scheduler: ${s.what}`, `${s.large.ms.toFixed(0)} ms (${s.large.usPerStep.toFixed(1)} µs, ${s.large.opsPerStep.toFixed(2)} Map/Set calls a step)`, `${s.small.ms.toFixed(0)} ms (${s.small.usPerStep.toFixed(1)} µs, ${s.small.opsPerStep.toFixed(2)} Map/Set calls a step)`, `${s.ratio.toFixed(1)}×`, `≤ ${s.goal}×`, met(s.ratio <= s.goal)]);
  }
  const k = r.caseShape;
  for (const [how, rate] of [['each case from the loaded world', k.fromLoaded], ['one session keeping every case', k.historyKept]] as const) {
    rows.push([`kernel case shape (open, LSM hook, \`bpf_dynptr_from_file\`, 16-byte read, discard; spawn + simulate, ${k.stepsPerCase} steps), ${how}`, `${(rate / 1000).toFixed(1)} k cases/s`, `Map lookup + 16-byte copy: ${M(k.baselinePerSec)}`, `1 case = ${(k.baselinePerSec / rate).toFixed(0)} baseline ops`, `≥ ${k.goal / 1000} k cases/s`, met(rate >= k.goal)]);
  }
  const pc = r.pagecache;
  rows.push([`caching a whole 2^${Math.log2(pc.hugeFile.bytes)}-byte file (\`populate\`, from none cached)`, `${pc.hugeFile.ms.toFixed(3)} ms, +${(pc.hugeFile.stateBytes / 1024).toFixed(1)} KiB state`, `a one-page file: ${pc.hugeFile.onePageMs.toFixed(3)} ms`, `${(pc.hugeFile.ms / pc.hugeFile.onePageMs).toFixed(1)}×`, `< ${pc.hugeFile.goals.ms} ms, < ${pc.hugeFile.goals.bytes / 1e6} MB`, met(pc.hugeFile.ms < pc.hugeFile.goals.ms && pc.hugeFile.stateBytes < pc.hugeFile.goals.bytes)]);
  rows.push([`cold 16-byte FILE read (sleepable, I/O included) with ${pc.coldRead.pagesCached.toLocaleString('en')} pages cached`, `${pc.coldRead.cachedUs.toFixed(1)} µs`, `none cached: ${pc.coldRead.noneUs.toFixed(1)} µs`, `${pc.coldRead.ratio.toFixed(2)}×`, `≤ ${pc.coldRead.goal}×`, met(pc.coldRead.ratio <= pc.coldRead.goal)]);
  const mp = r.maps;
  if (mp !== undefined) {
    const what = { update: '`mapUpdate` of a present key', lookup: '`mapLookup` of a present key', lookup_batch: `\`mapLookupBatch\` of up to ${mp.small} elements`, close: '`mapClose` of its last fd' } as const;
    for (const m of mp.rows) rows.push([`${what[m.op]}, ${m.type.toUpperCase()} map of ${mp.elements} keys and ${mp.large.toLocaleString('en')} entries (\`bench/maps.ts\`, ${mp.cpu}, load ${mp.loadavgStart[0] ?? '?'} at the start)`, `${m.largeUs.toFixed(1)} µs`, `${mp.small} entries: ${m.smallUs.toFixed(1)} µs`, `${m.ratio.toFixed(2)}×`, `≤ ${mp.goal}×`, met(m.ratio <= mp.goal)]);
    const wm = mp.manyMaps;
    if (wm !== undefined) rows.push([`\`mapUpdate\` of a present key, a HASH map of ${mp.elements} keys in a world of ${wm.largeMaps.toLocaleString('en')} maps (\`bench/maps.ts\`, ${mp.cpu})`, `${wm.largeUs.toFixed(1)} µs`, `${wm.smallMaps} maps: ${wm.smallUs.toFixed(1)} µs`, `${wm.ratio.toFixed(2)}×`, `≤ ${mp.goal}×`, met(wm.ratio <= mp.goal)]);
    const w = mp.walk;
    if (w !== undefined) rows.push([`\`mapGetNextKey\` from NULL to -ENOENT, a HASH map of ${w.largeKeys.toLocaleString('en')} keys, a key (\`bench/maps.ts\`, ${mp.cpu})`, `${w.largeUs.toFixed(2)} µs`, `${w.smallKeys.toLocaleString('en')} keys: ${w.smallUs.toFixed(2)} µs`, `${w.ratio.toFixed(2)}×`, `≤ ${mp.goal}×`, met(w.ratio <= mp.goal)]);
    const bn = mp.byName;
    if (bn !== undefined) rows.push([`\`mapUpdate\` of a present key of a map given by name, among ${bn.largeObjects.toLocaleString('en')} loaded objects (\`bench/maps.ts\`, ${mp.cpu})`, `${bn.largeUs.toFixed(1)} µs`, `${bn.smallObjects} objects: ${bn.smallUs.toFixed(1)} µs`, `${bn.ratio.toFixed(2)}×`, `≤ ${mp.goal}×`, met(bn.ratio <= mp.goal)]);
    const fe = mp.forEach;
    if (fe !== undefined) rows.push([`\`bpf_for_each_map_elem\` whose callback deletes each element, a HASH map of ${fe.largeKeys.toLocaleString('en')} keys, an element (\`bench/maps.ts\`, ${mp.cpu})`, `${fe.largeUs.toFixed(1)} µs`, `${fe.smallKeys.toLocaleString('en')} keys: ${fe.smallUs.toFixed(1)} µs`, `${fe.ratio.toFixed(2)}×`, `≤ ${mp.goal}×`, met(fe.ratio <= mp.goal)]);
  }
  const fl = r.files;
  if (fl !== undefined) rows.push([`\`createFile\` in a world of ${fl.create.largeFiles.toLocaleString('en')} files (\`bench/files.ts\`, ${fl.cpu}, load ${fl.loadavgStart[0] ?? '?'} at the start)`, `${fl.create.largeUs.toFixed(1)} µs`, `${fl.create.smallFiles} files: ${fl.create.smallUs.toFixed(1)} µs`, `${fl.create.ratio.toFixed(2)}×`, `≤ ${fl.goal}×`, met(fl.create.ratio <= fl.goal)]);
  const tb = r.tables;
  if (tb !== undefined) {
    const where = `\`bench/tables.ts\`, ${tb.cpu}, load ${tb.loadavgStart[0] ?? '?'} at the start`;
    rows.push([`A FILE dynptr made and discarded through the Session, in a world of ${tb.dynptr.large.toLocaleString('en')} dynptr slots (${where})`, `${tb.dynptr.largeUs.toFixed(1)} µs a call`, `${tb.dynptr.small} slots: ${tb.dynptr.smallUs.toFixed(1)} µs`, `${tb.dynptr.ratio.toFixed(2)}×`, `≤ ${tb.goal}×`, met(tb.dynptr.ratio <= tb.goal)]);
    rows.push([`The kernel case shape in a world of ${tb.program.large.toLocaleString('en')} dynptr slots (${where})`, `${tb.program.largeUs.toFixed(0)} µs a case`, `${tb.program.small} slots: ${tb.program.smallUs.toFixed(0)} µs`, `${tb.program.ratio.toFixed(2)}×`, `≤ ${tb.goal}×`, met(tb.program.ratio <= tb.goal)]);
    rows.push([`A scheduler step with ${tb.io.large.toLocaleString('en')} page reads in flight (${where})`, `${tb.io.largeUs.toFixed(1)} µs`, `${tb.io.small} reads: ${tb.io.smallUs.toFixed(1)} µs`, `${tb.io.ratio.toFixed(2)}×`, `≤ ${tb.goal}×`, met(tb.io.ratio <= tb.goal)]);
    rows.push([`A fork and two waits among ${tb.wait.large.toLocaleString('en')} exited tasks (${where})`, `${tb.wait.largeUs.toFixed(1)} µs`, `${tb.wait.small} tasks: ${tb.wait.smallUs.toFixed(1)} µs`, `${tb.wait.ratio.toFixed(2)}×`, `≤ ${tb.goal}×`, met(tb.wait.ratio <= tb.goal)]);
    const mn = tb.mapName;
    if (mn !== undefined) rows.push([`A task's \`map_update\` of a map given by name, the newest of ${mn.large.toLocaleString('en')} maps (${where})`, `${mn.largeUs.toFixed(1)} µs a run`, `${mn.small} maps: ${mn.smallUs.toFixed(1)} µs`, `${mn.ratio.toFixed(2)}×`, `≤ ${tb.goal}×`, met(mn.ratio <= tb.goal)]);
    const ob = tb.objects;
    if (ob !== undefined) rows.push([`A task's \`set_global\` and \`prog_test_run\` by name, of the newest of ${ob.large.toLocaleString('en')} loaded objects (${where})`, `${ob.largeUs.toFixed(1)} µs a run`, `${ob.small} objects: ${ob.smallUs.toFixed(1)} µs`, `${ob.ratio.toFixed(2)}×`, `≤ ${tb.goal}×`, met(ob.ratio <= tb.goal)]);
    const ts = tb.taskStorage;
    if (ts !== undefined) rows.push([`A task's first task storage element (an \`lsm/file_open\` program) among ${ts.large.toLocaleString('en')} other maps (${where})`, `${ts.largeUs.toFixed(1)} µs a case`, `${ts.small} maps: ${ts.smallUs.toFixed(1)} µs`, `${ts.ratio.toFixed(2)}×`, `≤ ${tb.goal}×`, met(ts.ratio <= tb.goal)]);
    const fd = tb.fds;
    if (fd !== undefined) rows.push([`A scheduler step of a task with ${fd.large.toLocaleString('en')} open files (${where})`, `${fd.largeUs.toFixed(1)} µs`, `${fd.small} files: ${fd.smallUs.toFixed(1)} µs`, `${fd.ratio.toFixed(2)}×`, `≤ ${tb.goal}×`, met(fd.ratio <= tb.goal)]);
    const wk = tb.works;
    if (wk !== undefined) rows.push([`A scheduler step of a task with ${wk.large.toLocaleString('en')} task_works queued (${where})`, `${wk.largeUs.toFixed(1)} µs`, `${wk.small} works: ${wk.smallUs.toFixed(1)} µs`, `${wk.ratio.toFixed(2)}×`, `≤ ${tb.goal}×`, met(wk.ratio <= tb.goal)]);
    const br = tb.branch;
    if (br !== undefined) rows.push([`A scheduler step from a world that is not the newest of its history, among ${br.large.toLocaleString('en')} tasks (${where})`, `${br.largeUs.toFixed(1)} µs`, `${br.small} tasks: ${br.smallUs.toFixed(1)} µs`, `${br.ratio.toFixed(2)}×`, `≤ ${tb.goal}×`, met(br.ratio <= tb.goal)]);
    const fo = tb.folios;
    if (fo !== undefined) rows.push([`A 16-byte FILE read that moves its reader to another folio, among ${fo.large.toLocaleString('en')} folios other readers hold (${where})`, `${fo.largeUs.toFixed(1)} µs`, `${fo.small} folios: ${fo.smallUs.toFixed(1)} µs`, `${fo.ratio.toFixed(2)}×`, `≤ ${tb.goal}×`, met(fo.ratio <= tb.goal)]);
  }
  const c2 = r.cliStartup;
  if (c2 !== undefined) {
    rows.push([`\`kernsim --help\` start-up (median of ${c2.runs}; \`bench/cli_startup.ts\`, wall time)`, `${c2.helpMs.toFixed(0)} ms`, `\`node -e 0\`: ${c2.nodeMs.toFixed(0)} ms`, c2.helpRatio.toFixed(2), `≤ ${c2.goal}`, met(c2.helpRatio <= c2.goal)]);
  }
  const e = r.exploreSeed;
  if (e !== undefined) {
    rows.push([`\`kernsim explore examples/seed.json\`: every schedule (${e.states.toLocaleString('en')} states, ${e.transitions.toLocaleString('en')} transitions; \`bench/explore.ts\`)${e.complete ? '' : ', **incomplete**'}`, `${(e.cpuMs / 1000).toFixed(2)} s`, `without the reduction: ${(e.cpuMsFull / 1000).toFixed(2)} s (${e.transitionsFull.toLocaleString('en')} transitions)`, (e.cpuMs / e.cpuMsFull).toFixed(2), `complete, < ${e.goalMs / 1000} s`, met(e.complete && e.cpuMs < e.goalMs)]);
  }
  const p = r.props;
  if (p !== undefined) {
    const all = p.wallMsAll ?? [p.wallMs];
    const ref = p.refPerSecAll;
    const each = all.map((x, i) => `${(x / 1000).toFixed(1)} s${ref?.[i] === undefined ? '' : ` (baseline ${ref[i]} M/s)`}`).join(', ');
    const which = all.length > 1 ? `the median of ${all.length} runs in a row: ${each}` : 'one run';
    rows.push([`\`npm run props\`: ${p.runs.toLocaleString('en')} runs of every property (${p.tests} tests in ${p.files} files, ${p.workers} workers; \`bench/props.ts\`, ${p.cpu === undefined ? '' : `${p.cpu}, `}wall time, ${which}; load ${p.loadavgStart[0] ?? '?'} at the start of the median run)`, `${(p.wallMs / 1000).toFixed(1)} s`, p.cpuMs === null ? '—' : `CPU time of the run: ${(p.cpuMs / 1000).toFixed(1)} s`, p.cpuMs === null ? '—' : (p.wallMs / p.cpuMs).toFixed(2), `≤ ${p.goalMs / 1000} s`, met(p.wallMs <= p.goalMs)]);
  }
  const m = r.machine;
  const head = ['Measurement', 'Model', 'Baseline (same run)', 'Ratio', 'Goal', ''];
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [
    line(head),
    line(head.map(() => '---')),
    ...rows.map(line),
    '',
    `Machine: ${m.cores} cores (${m.cpu}), Node ${m.node}, ${m.platform}; load average ${m.loadavgStart.join(' / ')} at the start, ${m.loadavgEnd.join(' / ')} at the end; times are ${m.time.replace(/ \(.*\)$/, '')}; medians of ${m.rounds} rounds.`,
    '',
  ].join('\n');
}

/** `readme` with its Performance table replaced by the one made from `results` (unchanged without the markers). */
export function withPerformanceTable(readme: string, results: Results): string {
  const a = readme.indexOf(README_START);
  const b = readme.indexOf(README_END);
  if (a < 0 || b < a) return readme;
  return `${readme.slice(0, a + README_START.length)}\n${performanceTable(results)}${readme.slice(b)}`;
}
