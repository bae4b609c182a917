/**
 * A scenario's expectations over all its schedules (`kernsim explore`, and `kernsim run` for a
 * scenario that states classes): for each expectation, in how many explored schedules it holds and
 * in how many it does not, its class (herd7's Always / Sometimes / Never), the values it took, and a
 * witness for each side: the list of choices that replays it (`listChooser`, `kernsim trace FILE
 * --choices …`) with its final world (its trace and timeline).
 *
 * Past a bound the exploration is incomplete: random schedules (seeded) are sampled as well, and a
 * class is only as sure as what was seen (`decided`): a `sometimes` seen is certain, an `always` or a
 * `never` not contradicted is not.
 */
import { BudgetError, KernsimError } from '../model/kernel/errors.ts';
import { budgetsWith, type Budgets } from '../model/kernel/budget.ts';
import type { World } from '../model/world/state.ts';
import { listChooser, seededChooser, type Chooser } from '../scheduler/chooser.ts';
import { run as runScheduler, step as stepScheduler } from '../scheduler/step.ts';
import {
  buildScenario, loadChecks, observeCompletion, observeExpectations, parseScenario, verifierVerdicts,
  type Check, type Observed, type Scenario,
} from '../scenario/run.ts';
import type { ExpectClass } from '../scenario/schema.ts';
import { countSchedules, explore, replayPath, witnessPath, type ExploreOptions, type ExploreStats, type Observer } from './explore.ts';

export type FoundClass = ExpectClass;

export interface Witness {
  /** The scheduler's choices: `listChooser(choices)` (or `--choices`) replays the schedule. */
  readonly choices: readonly number[];
  /** The world at its end (for a stopped run, the world before the step the model stopped). */
  readonly world: World;
}

export interface ClassifiedCheck {
  readonly what: string;
  readonly expected: string;
  /** The class the scenario states (`always` when it states none). */
  readonly stated: ExpectClass;
  /** The class found over the explored (and sampled) schedules. */
  readonly found: FoundClass;
  /** Schedules in which the expectation held / did not. */
  readonly holds: bigint;
  readonly fails: bigint;
  /** The values it took (what the runs showed), with their schedule counts. */
  readonly values: readonly { readonly actual: string; readonly schedules: bigint }[];
  /** Whether `found` is certain: the exploration was complete, or both sides were seen. */
  readonly decided: boolean;
  /** Found as stated (undecided counts as not refuted: see `ScenarioExploration.inconclusive`). */
  readonly ok: boolean;
  /** A schedule in which it held and one in which it did not, when there are. */
  readonly witnesses: { readonly holds?: Witness; readonly fails?: Witness };
}

export interface ScenarioExploration {
  readonly scenario: Scenario;
  readonly stats: ExploreStats;
  /** Every schedule was explored (no bound hit). */
  readonly complete: boolean;
  /** Random schedules run past a bound (0 when complete). */
  readonly sampled: number;
  /** The load checks (they do not depend on the schedule). */
  readonly loadChecks: readonly Check[];
  /** The run's completion (`expect.completes`) and each expectation, classified. */
  readonly checks: readonly ClassifiedCheck[];
  /** The distinct outcomes (each expectation's value), with their schedule counts. */
  readonly outcomes: readonly { readonly schedules: bigint; readonly observed: readonly Observed[] }[];
  /** All explored schedules (the sum over outcomes). */
  readonly schedules: bigint;
  /** The BPF task_work states and transitions the explored steps went through. */
  readonly coverage: ReadonlySet<string>;
  /** Every check found as stated and every load as expected. */
  readonly ok: boolean;
  /** Some expected class could not be confirmed (a bound was hit and what was seen does not refute it). */
  readonly inconclusive: boolean;
}

export interface ExploreScenarioOptions extends ExploreOptions {
  /** Limits of each run (default `DEFAULT_BUDGETS`). */
  readonly budgets?: Partial<Budgets>;
  /** Random schedules to sample past a bound (default 1,000; 0: none). */
  readonly sample?: number;
  /** The seed of the samples (default 1). */
  readonly seed?: number | string;
}

/** What the expectations read of the trace: the returns of the kfuncs `expect.calls` names, the runs of the programs `expect.runs` names. */
interface Obs {
  readonly calls: ReadonlyMap<string, readonly string[]>;
  readonly runs: ReadonlyMap<string, number>;
}

function observerOf(sc: Scenario): Observer<Obs> {
  const calls = new Map<string, number>();
  for (const c of sc.expect?.calls ?? []) calls.set(c.fn, Math.max(calls.get(c.fn) ?? 0, (c.nth ?? 0) + 1));
  const runs = new Set((sc.expect?.runs ?? []).map((r) => r.program));
  const initial: Obs = { calls: new Map([...calls.keys()].map((fn) => [fn, []])), runs: new Map([...runs].map((p) => [p, 0])) };
  return {
    initial,
    next(prev, events) {
      let c: Map<string, readonly string[]> | null = null;
      let r: Map<string, number> | null = null;
      for (const e of events) {
        if (e.kind === 'kfunc') {
          const max = calls.get(e.name);
          if (max === undefined) continue;
          const seen = (c ?? prev.calls).get(e.name) ?? [];
          if (seen.length >= max) continue;
          c ??= new Map(prev.calls);
          c.set(e.name, [...seen, e.ret]);
        } else if (e.kind === 'prog' && e.op === 'enter' && runs.has(e.name)) {
          r ??= new Map(prev.runs);
          r.set(e.name, (r.get(e.name) ?? 0) + 1);
        }
      }
      return c === null && r === null ? prev : { calls: c ?? prev.calls, runs: r ?? prev.runs };
    },
    text(o) {
      let s = '';
      for (const [fn, rets] of o.calls) s += `${fn}=${rets.join(',')};`;
      for (const [p, n] of o.runs) s += `${p}#${n};`;
      return s;
    },
    writes(events) {
      // Appending to a call's list is ordered; a run count only adds (counts commute).
      const out: string[] = [];
      for (const e of events) if (e.kind === 'kfunc' && calls.has(e.name)) out.push(`obs:${e.name}`);
      return out;
    },
  };
}

/** Ids in a check's text (`file#3`, `ctx#2`) name objects a renaming may swap: left out of an outcome's key. */
const normalize = (s: string): string => s.replace(/#\d+/g, '#');

interface Outcome {
  readonly observed: readonly Observed[];
}

function outcomeKey(observed: readonly Observed[]): string {
  return observed.map((o) => `${o.holds ? '+' : '-'}${normalize(o.actual)}`).join('\u0001');
}

/**
 * Explore `scenario` (a parsed scenario, or any document `parseScenario` accepts): every schedule,
 * classified per expectation (see the module comment).
 */
export function exploreScenario(scenario: Scenario, opts: ExploreScenarioOptions = {}): ScenarioExploration {
  const sc = parseScenario(scenario, typeof scenario?.name === 'string' ? scenario.name : 'scenario');
  const budgets = budgetsWith(opts.budgets, 'opts.budgets');
  try {
    return exploreChecked(sc, budgets, opts);
  } catch (e) {
    if (e instanceof BudgetError && e.scenario === undefined) throw new BudgetError(e.budget, e.limit, e.detail, sc.name);
    throw e;
  }
}

function exploreChecked(sc: Scenario, budgets: Budgets, opts: ExploreScenarioOptions): ScenarioExploration {
  const version = sc.version ?? '6.19';
  const { session, loads } = buildScenario(sc, budgets);
  const initial = session.world;
  const verdicts = verifierVerdicts(sc, version);
  const observer = observerOf(sc);
  const evaluate = (w: World, stopped: KernsimError | null): Observed[] => {
    session.world = w;
    return [observeCompletion(sc, stopped), ...observeExpectations(sc, session, verdicts)];
  };
  const ex = explore<Obs, Outcome>(initial, observer, (w, _obs, stopped) => {
    const observed = evaluate(w, stopped);
    return { key: outcomeKey(observed), value: { observed } };
  }, opts);
  const counts = countSchedules(ex);
  const root = counts[0] ?? new Map<number, bigint>();
  const complete = ex.stats.bound === null;
  const requestOrder = opts.requestOrder ?? true;

  // Outcomes: explored ones with their counts, then (past a bound) sampled ones.
  interface Found { observed: readonly Observed[]; schedules: bigint; path: string[] | null; choices: readonly number[] | null; world: World | null }
  const found: Found[] = ex.outcomes.map((o, i) => ({ observed: o.value.observed, schedules: root.get(i) ?? 0n, path: null, choices: null, world: null }));
  const byKey = new Map(ex.outcomes.map((o, i) => [o.key, i]));
  const witnessOf = (i: number): Witness | undefined => {
    const f = found[i] as Found;
    if (f.choices !== null && f.world !== null) return { choices: f.choices, world: f.world };
    const path = witnessPath(ex, counts, i);
    if (path === null) return undefined;
    const r = replayPath(initial, path, requestOrder);
    f.choices = r.choices;
    f.world = r.world;
    return { choices: r.choices, world: r.world };
  };
  let sampled = 0;
  if (!complete && (opts.sample ?? 1000) > 0) {
    const n = opts.sample ?? 1000;
    for (let i = 0; i < n; i += 1) {
      const s = sampleOne(initial, seededChooser(`${opts.seed ?? 1}/${i}`));
      if (s === null) continue;
      sampled += 1;
      session.world = s.world;
      const observed = evaluate(s.world, s.stopped);
      const key = outcomeKey(observed);
      let j = byKey.get(key);
      if (j === undefined) {
        j = found.length;
        byKey.set(key, j);
        found.push({ observed, schedules: 0n, path: null, choices: s.choices, world: s.world });
      }
      const f = found[j] as Found;
      f.schedules += 1n;
      if (f.choices === null && witnessPath(ex, counts, j) === null) { f.choices = s.choices; f.world = s.world; }
    }
  }

  const nChecks = found[0]?.observed.length ?? 0;
  const checks: ClassifiedCheck[] = [];
  for (let c = 0; c < nChecks; c += 1) {
    let holds = 0n;
    let fails = 0n;
    let holdsAt = -1;
    let failsAt = -1;
    const values = new Map<string, bigint>();
    found.forEach((f, i) => {
      const o = f.observed[c] as Observed;
      if (o.holds) { holds += f.schedules; if (holdsAt < 0) holdsAt = i; } else { fails += f.schedules; if (failsAt < 0) failsAt = i; }
      values.set(o.actual, (values.get(o.actual) ?? 0n) + f.schedules);
    });
    const first = (found[0] as Found).observed[c] as Observed;
    const foundClass: FoundClass = holdsAt >= 0 && failsAt >= 0 ? 'sometimes' : holdsAt >= 0 ? 'always' : 'never';
    const stated: ExpectClass = first.class ?? 'always';
    const decided = complete || foundClass === 'sometimes';
    const refuted = (stated === 'always' && failsAt >= 0) || (stated === 'never' && holdsAt >= 0);
    const ok = decided ? foundClass === stated : !refuted;
    const witnesses: { holds?: Witness; fails?: Witness } = {};
    if (holdsAt >= 0 && foundClass !== 'always') { const w = witnessOf(holdsAt); if (w !== undefined) witnesses.holds = w; }
    if (failsAt >= 0) { const w = witnessOf(failsAt); if (w !== undefined) witnesses.fails = w; }
    if (holdsAt >= 0 && foundClass === 'always' && stated !== 'always') { const w = witnessOf(holdsAt); if (w !== undefined) witnesses.holds = w; }
    checks.push({ what: first.what, expected: first.expected, stated, found: foundClass, holds, fails, values: [...values].map(([actual, schedules]) => ({ actual, schedules })), decided, ok, witnesses });
  }
  const lc = loadChecks(sc, loads);
  const inconclusive = checks.some((c) => !c.decided && c.ok);
  const schedules = found.reduce((a, f) => a + f.schedules, 0n);
  return {
    scenario: sc, stats: ex.stats, complete, sampled, loadChecks: lc, checks,
    outcomes: found.map((f) => ({ schedules: f.schedules, observed: f.observed })), schedules, coverage: ex.coverage,
    ok: lc.every((c) => c.ok) && checks.every((c) => c.ok), inconclusive,
  };
}

/** One run under `chooser`: its choices, its final world (or the one before a stopped step), and the error. Null past a budget. */
function sampleOne(initial: World, chooser: Chooser): { choices: number[]; world: World; stopped: KernsimError | null } | null {
  const choices: number[] = [];
  const rec: Chooser = { choose: (purpose, n) => { const c = chooser.choose(purpose, n); choices.push(c); return c; } };
  try {
    const w = runScheduler(initial, rec);
    return { choices, world: w, stopped: null };
  } catch (e) {
    if (e instanceof BudgetError || !(e instanceof KernsimError)) {
      if (e instanceof BudgetError) return null;
      throw e;
    }
    // Again step by step, to keep the world before the step that stopped.
    let w = initial;
    const again = listChooser(choices);
    try {
      for (;;) {
        const r = stepScheduler(w, again);
        if (r.done) break;
        w = r.world;
      }
    } catch (err) {
      if (err instanceof KernsimError && !(err instanceof BudgetError)) return { choices, world: w, stopped: err };
      throw err;
    }
    return { choices, world: w, stopped: e };
  }
}

