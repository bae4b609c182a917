/**
 * `kernsim explore` (issue 18): the state machine of shared/semantics/task_work.md §2.4 reached by
 * exploring small scenarios on a machine of several CPUs; the smp splits leave the default schedule
 * as it was; the canonical key merges worlds that differ only by names; the litmus examples of
 * examples/explore/ hold with the classes they state (each derived in its description from the
 * semantics); bounds stop the exploration and say so; witnesses replay through `runScenario`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import murmur from 'murmurhash3js-revisited';
import { describe, expect, test } from 'vitest';
import { formatTrace, parseScenario, runScenario, Session, content, traceEvents, TW_STATES, type ScenarioInput, type World } from '../src/index.ts';
import { canonicalKey, canonicalText } from '../src/explore/canon.ts';
import { countSchedules, explore, replayPath, witnessPath, type Observer } from '../src/explore/explore.ts';
import { buildScenario } from '../src/scenario/run.ts';
import { DEFAULT_BUDGETS } from '../src/model/kernel/budget.ts';
import { murmur128, murmur128Words, streamDigest, streamFeed, streamStart } from '../src/explore/hash.ts';
import type { Footprint } from '../src/explore/footprint.ts';
import { exploreScenario } from '../src/explore/scenario.ts';
import { twTransitions } from '../src/task_work/outcomes.ts';
import { fileReaderObject } from '../examples/file_reader.ts';

const ROOT = join(import.meta.dirname, '..');
const EXPLORE = join(ROOT, 'examples/explore');
const load = (name: string): ScenarioInput => JSON.parse(readFileSync(join(EXPLORE, name), 'utf8')) as ScenarioInput;

describe('the state key', () => {
  test('MurmurHash3 x86_128 over words gives the reference (byte-wise) digests', () => {
    murmur.inputValidation = false;
    let x = 12345;
    for (let n = 0; n < 300; n += 1) {
      const b = new Uint8Array(n + 3);
      for (let i = 0; i < b.length; i += 1) { x = (x * 1103515245 + 12345) >>> 0; b[i] = x >>> 24; }
      const view = b.subarray(n % 3); // unaligned views too
      for (const seed of [0, 1, 0x9747b28c]) expect(murmur128(view, seed)).toBe(murmur.x86.hash128(view, seed));
    }
  });

  test('MurmurHash3 over 32-bit words, whole or fed in pieces, is the reference digest of their little-endian bytes', () => {
    murmur.inputValidation = false;
    let x = 777;
    const next = (): number => { x = (x * 1103515245 + 12345) >>> 0; return x; };
    const hex = (h: number[]): string => h.map((v) => (v >>> 0).toString(16).padStart(8, '0')).join('');
    for (let n = 0; n < 120; n += 1) {
      const words = Array.from({ length: n }, () => next() | 0); // as the key writes them: signed
      const bytes = new Uint8Array(n * 4);
      words.forEach((v, i) => { for (let k = 0; k < 4; k += 1) bytes[i * 4 + k] = (v >>> (8 * k)) & 255; });
      const ref = murmur.x86.hash128(bytes, 5);
      const h = [0, 0, 0, 0];
      murmur128Words(words, 0, n, h, 5);
      expect(hex(h)).toBe(ref);
      murmur128Words(new Uint32Array(words), 0, n, h, 5);
      expect(hex(h)).toBe(ref);
      // Fed in random pieces, with copies of the state taken on the way (an array's prefix).
      let s = streamStart(5);
      for (let i = 0; i < n;) {
        const k = Math.min(n - i, next() >>> 29);
        streamFeed(s, words, i, i + k);
        i += k;
        if ((next() & 1) === 1) s = s.slice();
      }
      streamDigest(s, h);
      expect(hex(h)).toBe(ref);
    }
  });

  test('two explored worlds have the same key exactly when they have the same canonical text', () => {
    // The key is a hash tree of the text (canon.ts): cached digests of values, arrays continued from
    // their prefixes, the reads in flight. Its partition of the worlds must be the text's.
    for (const f of ['delete_vs_irq_smp.json', 'sleepable_read_eio.json']) {
      const byKey = new Map<string, string>();
      const byText = new Map<string, string>();
      let worlds = 0;
      exploreScenario(parseScenario(load(f), f), {
        onStep: (_from, to) => {
          worlds += 1;
          const k = canonicalKey(to);
          const t = canonicalText(to);
          expect(byKey.get(k) ?? t).toBe(t);
          expect(byText.get(t) ?? k).toBe(k);
          byKey.set(k, t);
          byText.set(t, k);
        },
      });
      expect(byKey.size).toBeGreaterThan(100);
      expect(byKey.size).toBeLessThan(worlds); // worlds met again: the same key, which the check above compares
    }
  });

  test('two tasks opening files in either order give the same key; a different global gives another', () => {
    const world = (first: number, ran: bigint): Session => {
      const s = new Session();
      s.createFile({ path: '/a', content: content.zero(), size: 10 });
      s.load({ name: 'o', maps: [], globals: [{ name: 'ran', kind: 'int' }], programs: [], subprogs: [] });
      const a = s.spawn({ comm: 'a', script: [{ sys: 'open', path: '/a', fd: 'x' }] });
      const b = s.spawn({ comm: 'b', script: [{ sys: 'open', path: '/a', fd: 'x' }] });
      // Step each task once (its open), in the given order: file ids differ between the two orders.
      const pick = (pid: number) => (act: { kind: string; pid?: number }) => act.kind === 'task' && act.pid === pid;
      s.stepAction(pick(first === 0 ? a : b));
      s.stepAction(pick(first === 0 ? b : a));
      if (ran !== 0n) s.run((k) => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, ran, true); k.t.object(1)?.globals.set('ran', b); });
      return s;
    };
    const ab = world(0, 0n);
    const ba = world(1, 0n);
    expect(formatTrace(ab.world.trace)).not.toBe(formatTrace(ba.world.trace));
    expect(canonicalKey(ab.world)).toBe(canonicalKey(ba.world));
    expect(canonicalKey(world(0, 1n).world)).not.toBe(canonicalKey(ab.world));
  });

  test('a QUEUE map\'s ring is part of the key, written canonically: the two orders still merge, a different value does not', () => {
    const world = (first: number, v: number): Session => {
      const s = new Session();
      s.createFile({ path: '/a', content: content.zero(), size: 10 });
      const q = s.createMap({ type: 'queue', maxEntries: 2, valueSize: 4 });
      expect(s.mapUpdate(q, null, Uint8Array.of(v, 0, 0, 0))).toBe(0);
      const a = s.spawn({ comm: 'a', script: [{ sys: 'open', path: '/a', fd: 'x' }] });
      const b = s.spawn({ comm: 'b', script: [{ sys: 'open', path: '/a', fd: 'x' }] });
      const pick = (pid: number) => (act: { kind: string; pid?: number }) => act.kind === 'task' && act.pid === pid;
      s.stepAction(pick(first === 0 ? a : b));
      s.stepAction(pick(first === 0 ? b : a));
      return s;
    };
    expect(canonicalKey(world(0, 1).world)).toBe(canonicalKey(world(1, 1).world));
    expect(canonicalKey(world(0, 2).world)).not.toBe(canonicalKey(world(0, 1).world));
  });

  test('a BLOOM_FILTER\'s bits are part of the key, whatever order they were set in; other bits are another key', () => {
    const world = (values: readonly number[]): Session => {
      const s = new Session();
      const b = s.createMap({ type: 'bloom_filter', maxEntries: 4, valueSize: 4, flags: 64 });
      for (const v of values) expect(s.mapUpdate(b, null, Uint8Array.of(v, 0, 0, 0))).toBe(0);
      return s;
    };
    expect(canonicalKey(world([1, 2]).world)).toBe(canonicalKey(world([2, 1]).world));
    expect(canonicalKey(world([1, 3]).world)).not.toBe(canonicalKey(world([1, 2]).world));
  });
});

describe('the multi-CPU model of bpf_task_work', () => {
  // The small scenarios whose exploration together reaches the whole state machine.
  const MACHINE = ['delete_vs_irq_smp.json', 'exit_vs_irq_smp.json', 'second_schedule_busy.json', 'delete_vs_pending.json'];

  test('exploration reaches every state and every edge of the state machine (task_work.md §2.2, §2.4), read from the explored worlds', () => {
    // task_work.md §2.2, enum bpf_task_work_state: value and name. The model's list must be that enum.
    const KERNEL_ENUM: [number, string][] = [[0, 'BPF_TW_STANDBY'], [1, 'BPF_TW_PENDING'], [2, 'BPF_TW_SCHEDULING'], [3, 'BPF_TW_SCHEDULED'], [4, 'BPF_TW_RUNNING'], [5, 'BPF_TW_FREED']];
    expect(TW_STATES.map((st, i) => [i, `BPF_TW_${st}`])).toEqual(KERNEL_ENUM);
    const states = KERNEL_ENUM.map(([, name]) => name.replace('BPF_TW_', ''));
    // task_work.md §2.4: the kernel's summary (STANDBY → PENDING → SCHEDULING → SCHEDULED → RUNNING →
    // STANDBY; SCHEDULING → RUNNING; every other state → FREED, terminal) and T3 (SCHEDULING → STANDBY).
    const EDGES = [
      'STANDBY>PENDING', 'PENDING>SCHEDULING', 'SCHEDULING>SCHEDULED', 'SCHEDULED>RUNNING', 'RUNNING>STANDBY', 'SCHEDULING>RUNNING', 'SCHEDULING>STANDBY',
      ...states.filter((st) => st !== 'FREED').map((st) => `${st}>FREED`),
    ];
    // A step of the model may make several exchanges at once (a whole irq_work, a whole callback): a
    // change of state in one step must be a path of one or more edges of the table.
    const succ = (st: string): string[] => EDGES.filter((e) => e.startsWith(`${st}>`)).map((e) => e.slice(st.length + 1));
    const reachable = (from: string, to: string): boolean => {
      const seen = new Set<string>();
      const todo = succ(from);
      while (todo.length > 0) {
        const x = todo.pop() as string;
        if (x === to) return true;
        if (!seen.has(x)) { seen.add(x); todo.push(...succ(x)); }
      }
      return false;
    };
    const reached = new Set<string>();
    const edges = new Set<string>();
    const bad: string[] = [];
    const onStep = (from: World | null, to: World): void => {
      for (const c of to.twctx.values()) {
        reached.add(c.state);
        const before = from?.twctx.get(c.id);
        if (before === undefined) {
          // A context made in this step starts STANDBY (T0) and may have been scheduled in the same step.
          if (c.state !== 'STANDBY' && !reachable('STANDBY', c.state)) bad.push(`new > ${c.state}`);
        } else if (before.state !== c.state) {
          edges.add(`${before.state}>${c.state}`);
          if (!reachable(before.state, c.state)) bad.push(`${before.state} > ${c.state}`);
        }
      }
    };
    for (const f of MACHINE) {
      const ex = exploreScenario(parseScenario(load(f), f), { maxStates: 50_000, onStep });
      expect(ex.complete, f).toBe(true);
    }
    expect(bad).toEqual([]);
    expect(states.filter((st) => !reached.has(st))).toEqual([]);
    expect(EDGES.filter((e) => !edges.has(e))).toEqual([]);
  });

  test('the trace names every transition T0–T9 of task_work.md §2.4 in the explored steps', () => {
    const transitions = new Set<string>();
    for (const f of MACHINE) {
      const ex = exploreScenario(parseScenario(load(f), f), { maxStates: 50_000 });
      expect(ex.complete).toBe(true);
      for (const c of ex.coverage) if (c.startsWith('T')) transitions.add(c);
    }
    // task_work.md §2.4's rows, T0 to T9 (T7 and T8 are not rows of the table).
    expect([...transitions].sort()).toEqual(['T0', 'T1', 'T1x', 'T2', 'T2x', 'T3', 'T4', 'T5', 'T5x', 'T6', 'T9']);
  });

  test('each transition the trace names goes between the states of its row in the table', () => {
    // The rows of task_work.md §2.4: the from → to pairs each transition may show.
    const rows: Record<string, (from: string, to: string) => boolean> = {
      T0: (f, t) => f === '-' && t === 'STANDBY',
      T1: (f, t) => (f === 'STANDBY' && t === 'PENDING') || (f === 'FREED' && t === 'FREED'),
      T2: (f, t) => f === 'PENDING' && t === 'SCHEDULING',
      T2x: (f, t) => f === 'FREED' && t === 'FREED',
      T3: (f, t) => (f === 'SCHEDULING' && t === 'STANDBY') || (f === 'FREED' && t === 'FREED'),
      // SCHEDULING → SCHEDULED; or the exchange fails (the callback was quicker, or T9 raced) and the state stays.
      T4: (f, t) => (f === 'SCHEDULING' && t === 'SCHEDULED') || f === t,
      T5: (f, t) => (f === 'SCHEDULING' || f === 'SCHEDULED') && t === 'RUNNING',
      T5x: (f, t) => f === 'FREED' && t === 'FREED',
      T6: (f, t) => (f === 'RUNNING' && t === 'STANDBY') || (f === 'FREED' && t === 'FREED'),
      T9: (f, t) => t === 'FREED',
    };
    const sc = parseScenario(load('delete_vs_irq_smp.json'), 'x');
    const ex = exploreScenario(sc, {});
    const seen = new Set<string>();
    for (const c of ex.checks) for (const w of [c.witnesses.holds, c.witnesses.fails]) {
      for (const e of w === undefined ? [] : traceEvents(w.world.trace)) {
        if (e.kind !== 'bpf_tw' || e.tr === undefined) continue;
        seen.add(e.tr);
        expect(rows[e.tr]?.(e.from, e.to), `${e.tr}: ${e.from} → ${e.to}`).toBe(true);
      }
    }
    expect(seen.size).toBeGreaterThan(3);
  });

  test('a callback starts while its context is still SCHEDULING only on a machine of several CPUs', () => {
    // The outcome: whether some callback started from SCHEDULING (T5 before the irq_work's T4), read from the trace.
    const early: Observer<boolean> = {
      initial: false,
      next: (prev, events) => prev || events.some((e) => e.kind === 'bpf_tw' && e.tr === 'T5' && e.from === 'SCHEDULING'),
      text: (o) => (o ? 'early' : ''),
      writes: () => [],
    };
    const reach = (smp: boolean): string[] | null => {
      const doc = { ...load('exit_vs_irq_smp.json'), smp };
      const start = buildScenario(parseScenario(doc, 'x'), DEFAULT_BUDGETS).session.world;
      const ex = explore(start, early, (_w, obs) => ({ key: String(obs), value: obs }), {});
      const i = ex.outcomes.findIndex((o) => o.value);
      return i < 0 ? null : witnessPath(ex, countSchedules(ex), i);
    };
    expect(reach(false)).toBeNull();
    const path = reach(true);
    expect(path).not.toBeNull();
    // The path stops the irq_work after task_work_add (the SCHEDULING window) and runs the target first.
    expect(path).toContain('irq/add');
    const doc = load('exit_vs_irq_smp.json');
    const start = buildScenario(parseScenario(doc, 'x'), DEFAULT_BUDGETS).session.world;
    const { choices } = replayPath(start, path as string[]);
    const run = runScenario(parseScenario(doc, 'x'), { choices });
    const evs = traceEvents(run.session.world.trace);
    const t5 = evs.findIndex((e) => e.kind === 'bpf_tw' && e.tr === 'T5' && e.from === 'SCHEDULING');
    expect(t5).toBeGreaterThan(0);
    // The irq_work's exchange afterwards fails and changes nothing (T4 with the state unchanged).
    expect(evs.slice(t5).some((e) => e.kind === 'bpf_tw' && e.tr === 'T4' && e.from === e.to)).toBe(true);
  });

  test('with smp, the default schedule is the one-CPU schedule, event for event', () => {
    for (const f of readdirSync(join(ROOT, 'examples')).filter((n) => n.endsWith('.json'))) {
      const doc = JSON.parse(readFileSync(join(ROOT, 'examples', f), 'utf8')) as ScenarioInput;
      const one = runScenario(parseScenario(doc, f));
      const smp = runScenario(parseScenario({ ...doc, smp: true }, f));
      expect(formatTrace(smp.session.world.trace), f).toBe(formatTrace(one.session.world.trace));
      expect(smp.session.world.choices, f).toEqual(one.session.world.choices);
    }
  });

  test('a delete in the SCHEDULING window after which the callback path drops the last reference: the irq_work calls task_work_cancel(NULL)', () => {
    const doc = load('delete_vs_irq_smp.json');
    const ex = exploreScenario(parseScenario(doc, 'x'), {});
    const run = ex.checks.find((c) => c.what === 'run');
    expect(run?.found).toBe('sometimes');
    const w = run?.witnesses.fails;
    expect(w).toBeDefined();
    // The witness, replayed as a list of choices: the run stops at that step with a KernelBugError.
    const replayed = runScenario(parseScenario(doc, 'x'), { choices: w?.choices ?? [] });
    const stopped = replayed.checks.find((c) => c.what === 'run');
    expect(stopped?.actual).toMatch(/^stopped by KernelBugError: bpf_task_work_irq: .*task_work_cancel\(NULL/);
    // Before it: T9 while SCHEDULING, then T5x (the callback path's put), with the irq_work still to finish.
    const trs = twTransitions(traceEvents(replayed.session.world.trace));
    const i9 = trs.lastIndexOf('T9');
    expect(i9).toBeGreaterThan(trs.indexOf('T2'));
    expect(trs.slice(i9)).toContain('T5x');
    expect(trs).not.toContain('T4');
  });
});

describe('the litmus examples', () => {
  const files = readdirSync(EXPLORE).filter((n) => n.endsWith('.json')).sort();

  test.each(files)('%s: every stated class holds over every schedule', (f) => {
    const ex = exploreScenario(parseScenario(load(f), f), {});
    expect(ex.complete).toBe(true);
    for (const c of ex.checks) expect({ what: c.what, found: c.found }).toEqual({ what: c.what, found: c.stated });
    expect(ex.ok).toBe(true);
    // Each witness replays (kernsim trace FILE --choices) to the side it witnesses.
    for (const c of ex.checks) {
      for (const [side, w] of [['holds', c.witnesses.holds], ['fails', c.witnesses.fails]] as const) {
        if (w === undefined) continue;
        const r = runScenario(parseScenario(load(f), f), { choices: w.choices });
        expect(formatTrace(r.session.world.trace)).toBe(formatTrace(w.world.trace));
        expect({ what: c.what, side }).toBeTruthy();
      }
    }
  });
});

describe('the partial-order reduction', () => {
  test('finds the outcomes of the full exploration, and a relation that ignores reads is caught (it loses outcomes)', () => {
    // The same sleep sets with an independence relation that compares writes only (a step that reads
    // what another writes is taken to commute with it): dependent orders are pruned and outcomes lost.
    const hits = (k: string, set: ReadonlySet<string>): boolean => set.has(k) || (/^[A-Z]/.test(k) && set.has(`${k[0]}*`));
    const writesOnly = (a: Footprint, b: Footprint): boolean => {
      if (a.all || b.all) return false;
      for (const w of a.writes) if (hits(w, b.writes)) return false;
      return true;
    };
    const sc = parseScenario(load('delete_vs_irq_smp.json'), 'x');
    const keys = (ex: ReturnType<typeof exploreScenario>): string[] => ex.outcomes.map((o) => JSON.stringify(o.observed)).sort();
    const full = keys(exploreScenario(sc, { reduction: false }));
    expect(keys(exploreScenario(sc, {}))).toEqual(full);
    const wrong = keys(exploreScenario(sc, { independent: writesOnly }));
    expect(wrong.length).toBeLessThan(full.length);
    for (const k of wrong) expect(full).toContain(k);
  });
});

describe('bounds and sampling', () => {
  test('a states bound stops the exploration, samples seeded schedules, and leaves unseen classes undecided', () => {
    const sc = parseScenario(load('second_schedule_busy.json'), 'x');
    const a = exploreScenario(sc, { maxStates: 20, sample: 50, seed: 3 });
    expect(a.complete).toBe(false);
    expect(a.stats.bound).toBe('states');
    expect(a.sampled).toBe(50);
    const first = a.checks.find((c) => c.what.endsWith('call #0'));
    expect(first?.decided).toBe(false);
    expect(a.inconclusive).toBe(true);
    // The same seed samples the same schedules.
    const b = exploreScenario(sc, { maxStates: 20, sample: 50, seed: 3 });
    expect(b.checks.map((c) => [c.what, String(c.holds), String(c.fails)])).toEqual(a.checks.map((c) => [c.what, String(c.holds), String(c.fails)]));
  });

  test('the seed scenario is explored completely (its page reads complete in request order)', () => {
    const doc = JSON.parse(readFileSync(join(ROOT, 'examples/seed.json'), 'utf8')) as ScenarioInput;
    const ex = exploreScenario(parseScenario(doc, 'seed'), {});
    expect(ex.complete).toBe(true);
    expect(ex.stats.states).toBeGreaterThan(100);
    // The callback and its reads, in the schedules where the irq_work runs before the map's last user reference goes.
    expect(ex.checks.find((c) => c.what === 'global run_success')?.found).toBe('sometimes');
    expect(fileReaderObject().name).toBe('file_reader');
  });
});
