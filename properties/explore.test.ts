/**
 * P15 exploration (src/explore, issue 18), over small generated task_work scenarios (the property
 * suite's: tasks that open the trigger, whose hook schedules task_work on them, delete or update the
 * element, sleep, exit, drop the map's user reference), on one CPU and on several:
 *
 * - every witness replays to the outcome it claims: the choice list the explorer gives, run through
 *   `listChooser` by the ordinary scheduler, ends in a world with that outcome (or stops with that
 *   error);
 * - the partial-order reduction finds the same outcomes as the exploration without it.
 *
 * The outcome here is computed by this file, not by the explorer: the callback's runs and the
 * schedule calls' returns read from the trace (in order), each task's syscall results, the reference
 * counts, and the error that stopped the run, if any.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, test } from 'vitest';
import { KernsimError, listChooser, refSnapshot, traceEvents, type Syscall, type TraceEvent, type World } from '../src/index.ts';
import { countSchedules, explore, replayPath, witnessPath, type Explored, type ExploreOptions, type Observer } from '../src/explore/explore.ts';
import { run, step } from '../src/scheduler/step.ts';
import { buildTaskWorkWorld, twScenario, type TwScenario } from './scenarios.ts';

/**
 * Small scenarios: at most two tasks of at most three syscalls (two on several CPUs, where every
 * program call is a point another CPU may act at), an exploration each. A fork's child (a third task)
 * only exits: with its own syscalls the state space outgrows the bound. Only the first fork stays. On
 * one CPU, two tasks each forking and opening the trigger are 76,039 states, three forks with one
 * open 105,293 (seed 22780), one fork with opens about 2,000; on several CPUs two forking tasks and
 * their two children are about 73,000 states (seed 10882).
 * On several CPUs with an LRU_HASH map only the first task opens the trigger (the second's opens and
 * closes are left out): the map has one node, so each open's update evicts element 0 and inserts it
 * again (`htab_lru_map_update_elem` takes the node first), its task_work cancelled wherever it is, and
 * two tasks opening once are about 52,000 states there (seed 26163), twice each about 290,000.
 */
const small = fc.record({ sc: twScenario, smp: fc.boolean() }).map(({ sc, smp }) => {
  let forks = 0;
  const scripts = sc.scripts.slice(0, 2).map((x, task) => x.slice(0, smp ? 2 : 3).flatMap((c): Syscall[] => {
    if (smp && sc.mapType === 'lru_hash' && task > 0 && (c.sys === 'open' || c.sys === 'close')) return [];
    if (c.sys !== 'fork') return [c];
    forks += 1;
    return forks > 1 ? [] : [{ sys: 'fork', script: [] }];
  }));
  return { sc: { ...sc, scripts } as TwScenario, smp };
});

/**
 * Fewer runs than the other properties: each run explores a state space (also without the
 * reduction in the second property; the reduced exploration is made once for both, `Explorations`),
 * up to a few seconds on a loaded machine. At most 50, so that `npm run props`
 * (KERNSIM_RUNS=1000) stays well inside the props timeout (600 s) on a loaded 2-core machine: 40 runs
 * took 130–145 s there while a conformance guest ran.
 */
const RUNS = Math.min(50, Math.max(10, Math.ceil(Number(process.env.KERNSIM_RUNS ?? 100) / 5)));
const BOUND = { maxStates: 50_000 };

interface Obs { readonly cbRuns: number; readonly schedules: readonly string[] }

/** What the outcome reads of history: callback runs (a count) and the schedule kfuncs' returns (in order). */
const observer: Observer<Obs> = {
  initial: { cbRuns: 0, schedules: [] },
  next(prev, events) {
    let { cbRuns, schedules } = prev;
    for (const e of events) {
      if (e.kind === 'prog' && e.op === 'enter' && e.name === 'cb') cbRuns += 1;
      if (e.kind === 'kfunc' && e.name.startsWith('bpf_task_work_schedule')) schedules = [...schedules, e.ret];
    }
    return cbRuns === prev.cbRuns && schedules === prev.schedules ? prev : { cbRuns, schedules };
  },
  text: (o) => `${o.cbRuns}|${o.schedules.join(',')}`,
  writes: (events) => (events.some((e) => e.kind === 'kfunc' && e.name.startsWith('bpf_task_work_schedule')) ? ['obs:schedule'] : []),
};

/** The outcome of a final world, from the world and its whole trace (not from the explorer's observation). */
function outcomeOf(w: World, stopped: KernsimError | null): string {
  const evs: TraceEvent[] = traceEvents(w.trace);
  const cbRuns = evs.filter((e) => e.kind === 'prog' && e.op === 'enter' && e.name === 'cb').length;
  const schedules = evs.flatMap((e) => (e.kind === 'kfunc' && e.name.startsWith('bpf_task_work_schedule') ? [e.ret] : []));
  const results = [...w.tasks.values()].map((t) => t.results.join(','));
  const refs = refSnapshot(w);
  const refText = JSON.stringify({ ...refs, files: Object.values(refs.files), twctx: Object.values(refs.twctx) });
  return `cb ${cbRuns}; schedules ${schedules.join(',')}; results ${results.join('/')}; refs ${refText}; ${stopped === null ? 'completed' : `stopped ${stopped.name}`}`;
}

/** A scenario's start world and its exploration (with the reduction unless `opts` says otherwise). */
interface Run { readonly start: World; readonly ex: Explored<null> }

function exploreRun(start: World, opts: ExploreOptions = {}): Run {
  return { start, ex: explore(start, observer, (w, _o, stopped) => ({ key: outcomeOf(w, stopped), value: null }), { ...BOUND, ...opts }) };
}

/**
 * The reduced exploration of each generated scenario, made once for both properties: fast-check gives
 * both the same inputs (the same seed and number of runs), and an exploration is a pure function of
 * the scenario, so the second property to meet a scenario reads the first one's. Either property run
 * alone makes its own, and each checks on it everything it checks. Keyed by the scenario's text.
 */
class Explorations {
  readonly #runs = new Map<string, Run>();

  reduced(sc: TwScenario, smp: boolean): Run {
    const key = JSON.stringify({ sc, smp }, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
    let r = this.#runs.get(key);
    if (r === undefined) {
      r = exploreRun(buildTaskWorkWorld(sc, { smp }).world);
      this.#runs.set(key, r);
    }
    return r;
  }

  clear(): void {
    this.#runs.clear();
  }
}

/** The final world of the ordinary scheduler under `choices` (or, when a step stops, the world before it and the error). */
function replay(start: World, choices: readonly number[]): { world: World; stopped: KernsimError | null } {
  // The ordinary scheduler's run; a run that stops (an error) is stepped again, one world at a time,
  // to find the world the error left (run() gives only its own last world).
  try {
    return { world: run(start, listChooser(choices)), stopped: null };
  } catch (e) {
    if (!(e instanceof KernsimError)) throw e;
  }
  const chooser = listChooser(choices);
  let w = start;
  try {
    for (;;) {
      const r = step(w, chooser);
      if (r.done) return { world: w, stopped: null };
      w = r.world;
    }
  } catch (e) {
    if (e instanceof KernsimError) return { world: w, stopped: e };
    throw e;
  }
}

describe('P15 exploration', () => {
  const explorations = new Explorations();
  // The worker goes on to other files (isolate: false): it need not keep the explored graphs.
  afterAll(() => explorations.clear());

  test('P15 every witness replays through listChooser to the outcome it claims', () => {
    fc.assert(fc.property(small, ({ sc, smp }) => {
      const { start, ex } = explorations.reduced(sc, smp);
      expect(ex.stats.bound).toBeNull();
      const counts = countSchedules(ex);
      ex.outcomes.forEach((o, i) => {
        const path = witnessPath(ex, counts, i);
        expect(path).not.toBeNull();
        const { choices } = replayPath(start, path as string[]);
        const r = replay(start, choices);
        expect(outcomeOf(r.world, r.stopped)).toBe(o.key);
      });
    }), { numRuns: RUNS });
  });

  test('P15 the partial-order reduction finds the same outcomes as the exploration without it', () => {
    fc.assert(fc.property(small, ({ sc, smp }) => {
      const reduced = explorations.reduced(sc, smp);
      const out = ({ ex }: Run): string[] => {
        expect(ex.stats.bound).toBeNull();
        return ex.outcomes.map((o) => o.key).sort();
      };
      expect(out(reduced)).toEqual(out(exploreRun(reduced.start, { reduction: false })));
    }), { numRuns: RUNS });
  });
});
