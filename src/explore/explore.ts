/**
 * Exhaustive exploration of a world's schedules: depth-first over the scheduler's decisions (each
 * state's ready actions, as `readyActions` lists them), with
 *
 * - state hashing: a state is its canonical key (canon.ts) plus the observation of history the
 *   caller's outcomes read (`Observer`); a state met again is not explored again;
 * - a partial-order reduction: sleep sets over the footprints of footprint.ts (Godefroid 1996,
 *   "Partial-Order Methods for the Verification of Concurrent Systems", ch. 5, with state caching as
 *   in §5.4: a state stores the sleep set it was explored with, and a later visit with a smaller one
 *   explores the actions that slept the first time). After exploring action a from state s, every
 *   later sibling b independent of a carries a in its sleep set: the schedules b·…·a·… that a sleeps
 *   through are the same (state by state, see footprint.ts) as a·b·… explored before. The sleep sets
 *   prune transitions, never a terminal state (Godefroid, ch. 5: sleep sets keep every reachable
 *   deadlock, here every quiescent world), so the outcomes found are the same with and without them
 *   (properties/explore.test.ts checks that on generated scenarios);
 * - one restriction of the schedules (`requestOrder`, default on): the page reads of one read
 *   request (one readahead: same inode, same submission time) complete in the order they were
 *   submitted, as the folios of one bio complete in order (its end_io walks them in order); reads of
 *   different requests still complete in any order. Without it the completions of one 64-page
 *   request alone have 2^64 orders of states;
 * - bounds: states, transitions (steps carried out) and depth, each counted, never timed; an
 *   `interrupt` callback the caller may use for a wall-clock budget (the command line does). When a
 *   bound is hit the exploration stops and says which.
 *
 * The result is the explored graph: its nodes (states), its edges (the actions explored), its
 * terminal outcomes; `count` gives the schedules per outcome, `witness` a path to one.
 */
import { BudgetError, KernsimError } from '../model/kernel/errors.ts';
import { ReadLog } from '../model/world/footprint.ts';
import type { World } from '../model/world/state.ts';
import type { TraceEvent } from '../model/world/trace.ts';
import { twTransitions } from '../task_work/outcomes.ts';
import { readyActions, stepIndex, type Action } from '../scheduler/step.ts';
import { canonicalKey } from './canon.ts';
import { EVERYTHING, independent, newEvents, readsOf, writesOf, type Footprint } from './footprint.ts';

/** What the outcomes read of history (the trace), carried with each state (see explore.ts). */
export interface Observer<O> {
  readonly initial: O;
  /** The observation after a step whose new trace events are `events`. */
  next(prev: O, events: readonly TraceEvent[]): O;
  /** The observation as text (part of the state's key). */
  text(o: O): string;
  /** The keys a step with these events writes in the observation (for the reduction), e.g. `obs:fn`. */
  writes(events: readonly TraceEvent[]): string[];
}

/** An observer of nothing: outcomes that read only the final world. */
export const NO_OBSERVER: Observer<null> = { initial: null, next: () => null, text: () => '', writes: () => [] };

export interface ExploreOptions {
  /** The partial-order reduction (sleep sets); default true. */
  readonly reduction?: boolean;
  /** The reads of one request complete in order (see the module comment); default true. */
  readonly requestOrder?: boolean;
  /** Stop after this many distinct states (default 200,000). */
  readonly maxStates?: number;
  /** Stop after this many steps carried out (default 2,000,000). */
  readonly maxTransitions?: number;
  /** Cut a schedule longer than this (default 10,000 steps). */
  readonly maxDepth?: number;
  /** Asked every 256 steps with the counts so far: true stops the exploration (the caller's time budget). */
  readonly interrupt?: (stats: ExploreStats) => boolean;
  /**
   * Called with the initial world (`from` null) and with the two worlds of every step carried out
   * (revisits included): for a caller that inspects the explored worlds themselves, e.g. the states
   * of the task_work contexts (test/explore.test.ts), without going through the trace.
   */
  readonly onStep?: (from: World | null, to: World) => void;
  /**
   * The independence relation of the reduction (default footprint.ts `independent`). Only for
   * checking that a wrong relation is caught (test/explore.test.ts): a relation that lets dependent
   * steps commute loses outcomes.
   */
  readonly independent?: (a: Footprint, b: Footprint) => boolean;
}

export const EXPLORE_DEFAULTS = { maxStates: 200_000, maxTransitions: 2_000_000, maxDepth: 10_000 } as const;

/** Why an exploration stopped before the end. */
export type Bound = 'states' | 'transitions' | 'depth' | 'time' | 'interrupted';

export interface ExploreStats {
  /** Distinct states (terminal ones included). */
  states: number;
  /** Steps carried out. */
  transitions: number;
  /** Edges of the explored graph (a step to a state met before is an edge too). */
  edges: number;
  /** Terminal states: quiescent worlds, and steps the model stopped (errors). */
  terminals: number;
  /** Actions not taken because they were in a sleep set (the reduction). */
  slept: number;
  /** Visits of a state explored before (its key was known). */
  revisits: number;
  /** Edges back to a state on the current path (a cycle; none expected). */
  cycles: number;
  /** The longest schedule explored. */
  depth: number;
  /** The first bound hit, or null when the exploration is complete. */
  bound: Bound | null;
}

export interface Edge {
  /** The action's identity (`actionId`). */
  readonly action: string;
  readonly child: number;
}

export interface Node {
  readonly key: string;
  readonly edges: Edge[];
  /** The outcome of a terminal state (an index in `outcomes`), else null. */
  outcome: number | null;
  /** The sleep set it was explored with (action ids); null for a terminal. */
  sleep: Set<string> | null;
  /** Cut by the depth or time bound (not explored). */
  cut: boolean;
}

export interface Explored<V> {
  readonly nodes: readonly Node[];
  /** The distinct outcomes, by their key, in the order first reached. */
  readonly outcomes: readonly { readonly key: string; readonly value: V }[];
  readonly stats: ExploreStats;
  /** The BPF task_work states and transitions the explored steps went through (`STANDBY`, …, `T0`, …). */
  readonly coverage: ReadonlySet<string>;
}

/** An action's identity across states (renaming-invariant): `irq`, `task:101`, `io:/path:3`, `timer:101`, with `/stop` for an smp split (`irq/T2`, `irq/add`, `task:101/T5`, `task:101/call`). */
export function actionId(a: Action, w: World): string {
  switch (a.kind) {
    case 'irq': return a.stop === undefined ? 'irq' : `irq/${a.stop}`;
    case 'task': return a.stop === undefined ? `task:${a.pid}` : `task:${a.pid}/${a.stop}`;
    case 'io': return `io:${w.inodes.get(a.ino)?.path ?? a.ino}:${a.pgoff}`;
    case 'timer': return `timer:${a.pid}`;
  }
}

interface Ready {
  readonly id: string;
  readonly index: number;
  readonly action: Action;
}

/** The actions the exploration takes from `w`, in the order of `readyActions` (filtered by `requestOrder`). */
export function enabled(w: World, requestOrder: boolean): Ready[] {
  const acts = readyActions(w);
  let first: Set<string> | null = null;
  if (requestOrder && w.io.size > 1) {
    first = new Set();
    const seen = new Set<string>();
    for (const r of w.io.values()) {
      const batch = `${r.ino}@${r.submittedAt}`;
      if (seen.has(batch)) continue;
      seen.add(batch);
      first.add(`${r.ino}:${r.pgoff}`);
    }
  }
  const out: Ready[] = [];
  acts.forEach((a, index) => {
    if (first !== null && a.kind === 'io' && !first.has(`${a.ino}:${a.pgoff}`)) return;
    out.push({ id: actionId(a, w), index, action: a });
  });
  return out;
}

/** What made the action ready, beyond what its step reads. */
function readyReads(a: Action, w: World): string[] {
  switch (a.kind) {
    case 'irq': return ['Qhead'];
    case 'task': return [`T${a.pid}`];
    case 'io': {
      const reads = [`O${a.ino}:${a.pgoff}`, `W${w.inodes.get(a.ino)?.path ?? a.ino}:${a.pgoff}`];
      return a.at > w.clock.now ? [...reads, 'T*', 'O*'] : reads;
    }
    case 'timer': return a.at > w.clock.now ? [`T${a.pid}`, 'T*', 'O*'] : [`T${a.pid}`];
  }
}

/** One step of the exploration: the next world, or the error that stopped it. */
export type StepResult = { readonly ok: true; readonly world: World; readonly events: TraceEvent[]; readonly fp: Footprint | null } | { readonly ok: false; readonly error: KernsimError };

/**
 * Take ready action `r` from `w`, with its footprint (`obsWrites` names the observation keys of its
 * events); null `obsWrites`: no footprint (an exploration without the reduction reads none), so the
 * step runs without a read log, as an ordinary step does.
 */
export function takeStep(w: World, r: Ready, obsWrites: ((events: readonly TraceEvent[]) => string[]) | null): StepResult {
  const log = obsWrites === null ? undefined : new ReadLog();
  let next: World;
  try {
    next = stepIndex(w, r.index, log);
  } catch (e) {
    if (e instanceof KernsimError && !(e instanceof BudgetError)) return { ok: false, error: e };
    throw e;
  }
  const events = newEvents(w, next);
  if (obsWrites === null || log === undefined) return { ok: true, world: next, events, fp: null };
  const fp: Footprint = { reads: readsOf(w, log.keys, readyReads(r.action, w)), writes: writesOf(w, next, obsWrites(events)), all: false };
  return { ok: true, world: next, events, fp };
}

interface Frame<O> {
  readonly node: number;
  readonly world: World;
  readonly obs: O;
  readonly depth: number;
  readonly todo: Ready[];
  i: number;
  /** The sleep set the children start from (with their independence filter), and the actions done here. */
  readonly asleep: Map<string, Footprint>;
}

/**
 * Explore every schedule of `initial` (see the module comment). `outcome` names the outcome of a
 * terminal world (or of a step the model stopped: `stopped` is its error, `world` the world before
 * it) by a key, with a value to report.
 */
export function explore<O, V>(
  initial: World,
  observer: Observer<O>,
  outcome: (world: World, obs: O, stopped: KernsimError | null) => { key: string; value: V },
  opts: ExploreOptions = {},
): Explored<V> {
  const reduction = opts.reduction ?? true;
  const indep = opts.independent ?? independent;
  const requestOrder = opts.requestOrder ?? true;
  const maxStates = opts.maxStates ?? EXPLORE_DEFAULTS.maxStates;
  const maxTransitions = opts.maxTransitions ?? EXPLORE_DEFAULTS.maxTransitions;
  const maxDepth = opts.maxDepth ?? EXPLORE_DEFAULTS.maxDepth;
  const timeBudget = initial.budgets.time;
  const stats: ExploreStats = { states: 0, transitions: 0, edges: 0, terminals: 0, slept: 0, revisits: 0, cycles: 0, depth: 0, bound: null };
  const nodes: Node[] = [];
  const index = new Map<string, number>();
  const onStack = new Set<number>();
  const outcomes: { key: string; value: V }[] = [];
  const outcomeIndex = new Map<string, number>();
  const coverage = new Set<string>();

  const outcomeOf = (world: World, obs: O, stopped: KernsimError | null): number => {
    const o = outcome(world, obs, stopped);
    let i = outcomeIndex.get(o.key);
    if (i === undefined) {
      i = outcomes.length;
      outcomes.push(o);
      outcomeIndex.set(o.key, i);
    }
    return i;
  };
  const addNode = (key: string): number => {
    const i = nodes.length;
    nodes.push({ key, edges: [], outcome: null, sleep: null, cut: false });
    index.set(key, i);
    stats.states += 1;
    return i;
  };
  const cover = (events: readonly TraceEvent[]): void => {
    for (const e of events) if (e.kind === 'bpf_tw') { if (e.from !== '-') coverage.add(e.from); coverage.add(e.to); }
    for (const t of twTransitions(events)) coverage.add(t);
  };

  const stack: Frame<O>[] = [];
  /**
   * Arrive at `world` (with observation `obs`) from the node on top of the stack by action `via`
   * (null for the initial world) with sleep set `sleep`: push a frame when there is something to explore.
   */
  const arrive = (world: World, obs: O, depth: number, sleep: Map<string, Footprint>, via: string | null): void => {
    const key = `${canonicalKey(world)}|${observer.text(obs)}`;
    const parent = stack[stack.length - 1];
    let n = index.get(key);
    if (n !== undefined) {
      stats.revisits += 1;
      if (parent !== undefined && via !== null) { nodes[parent.node]?.edges.push({ action: via, child: n }); stats.edges += 1; }
      const node = nodes[n] as Node;
      if (onStack.has(n)) { stats.cycles += 1; return; }
      if (node.outcome !== null || node.cut || node.sleep === null) return;
      const stored = node.sleep;
      let covered = true;
      for (const a of stored) if (!sleep.has(a)) { covered = false; break; }
      if (covered) return;
      // Explore what slept the first time and is awake now; the children's sleep sets start from what
      // sleeps in both visits.
      const todo = enabled(world, requestOrder).filter((r) => stored.has(r.id) && !sleep.has(r.id));
      const asleep = new Map([...sleep].filter(([a]) => stored.has(a)));
      node.sleep = new Set(asleep.keys());
      if (todo.length > 0) { stack.push({ node: n, world, obs, depth, todo, i: 0, asleep }); onStack.add(n); }
      return;
    }
    n = addNode(key);
    if (parent !== undefined && via !== null) { nodes[parent.node]?.edges.push({ action: via, child: n }); stats.edges += 1; }
    if (depth > stats.depth) stats.depth = depth;
    const node = nodes[n] as Node;
    const ready = enabled(world, requestOrder);
    if (ready.length === 0) {
      node.outcome = outcomeOf(world, obs, null);
      stats.terminals += 1;
      return;
    }
    if (depth >= maxDepth || world.clock.now > timeBudget) {
      node.cut = true;
      stats.bound ??= depth >= maxDepth ? 'depth' : 'time';
      return;
    }
    node.sleep = new Set(sleep.keys());
    const todo = ready.filter((r) => !sleep.has(r.id));
    stats.slept += ready.length - todo.length;
    if (todo.length > 0) { stack.push({ node: n, world, obs, depth, todo, i: 0, asleep: new Map(sleep) }); onStack.add(n); }
  };

  opts.onStep?.(null, initial);
  arrive(initial, observer.initial, 0, new Map(), null);
  while (stack.length > 0) {
    const f = stack[stack.length - 1] as Frame<O>;
    const r = f.todo[f.i];
    if (r === undefined) {
      stack.pop();
      onStack.delete(f.node);
      continue;
    }
    f.i += 1;
    if (stats.states >= maxStates) { stats.bound = 'states'; break; }
    if (stats.transitions >= maxTransitions) { stats.bound = 'transitions'; break; }
    if (opts.interrupt !== undefined && stats.transitions % 256 === 0 && opts.interrupt(stats)) { stats.bound = 'interrupted'; break; }
    stats.transitions += 1;
    const res = takeStep(f.world, r, reduction ? (evs) => observer.writes(evs) : null);
    if (!res.ok) {
      // The model stopped this step: a terminal of its own (the world before the step, and the error).
      const key = `stopped|${nodes[f.node]?.key}|${r.id}`;
      let n = index.get(key);
      if (n === undefined) {
        n = addNode(key);
        (nodes[n] as Node).outcome = outcomeOf(f.world, f.obs, res.error);
        stats.terminals += 1;
      }
      nodes[f.node]?.edges.push({ action: r.id, child: n });
      stats.edges += 1;
      if (reduction) f.asleep.set(r.id, EVERYTHING);
      continue;
    }
    cover(res.events);
    opts.onStep?.(f.world, res.world);
    const fp = res.fp;
    const childSleep = new Map<string, Footprint>();
    if (fp !== null) for (const [a, afp] of f.asleep) if (indep(afp, fp)) childSleep.set(a, afp);
    arrive(res.world, observer.next(f.obs, res.events), f.depth + 1, childSleep, r.id);
    if (fp !== null) f.asleep.set(r.id, fp);
  }
  return { nodes, outcomes, stats, coverage };
}

/**
 * The number of explored schedules from each node that end in each outcome (a map per node), over the
 * explored graph without its back edges. Without the reduction and with no bound hit, every schedule
 * of the (request-ordered) world is counted.
 */
export function countSchedules(ex: Explored<unknown>): Map<number, bigint>[] {
  const n = ex.nodes.length;
  const counts: (Map<number, bigint> | undefined)[] = new Array(n);
  // Post-order over the DAG of first-visit edges (back edges to a node on the path are left out).
  const state = new Uint8Array(n); // 0 new, 1 open, 2 done
  for (let root = 0; root < n; root += 1) {
    if (state[root] !== 0) continue;
    const st: { v: number; e: number }[] = [{ v: root, e: 0 }];
    state[root] = 1;
    while (st.length > 0) {
      const top = st[st.length - 1] as { v: number; e: number };
      const node = ex.nodes[top.v] as Node;
      if (top.e < node.edges.length) {
        const c = (node.edges[top.e] as Edge).child;
        top.e += 1;
        if (state[c] === 0) { state[c] = 1; st.push({ v: c, e: 0 }); }
        continue;
      }
      const m = new Map<number, bigint>();
      if (node.outcome !== null) m.set(node.outcome, 1n);
      for (const e of node.edges) {
        if (state[e.child] !== 2) continue; // a back edge
        for (const [o, k] of counts[e.child] as Map<number, bigint>) m.set(o, (m.get(o) ?? 0n) + k);
      }
      counts[top.v] = m;
      state[top.v] = 2;
      st.pop();
    }
  }
  return counts as Map<number, bigint>[];
}

/** The actions of the first explored schedule from the initial state to outcome `o` (null if none). */
export function witnessPath(ex: Explored<unknown>, counts: readonly Map<number, bigint>[], o: number): string[] | null {
  if (!(counts[0]?.has(o) ?? false)) return null;
  const path: string[] = [];
  let v = 0;
  const seen = new Set<number>();
  while ((ex.nodes[v] as Node).outcome !== o) {
    if (seen.has(v)) return null;
    seen.add(v);
    const e = (ex.nodes[v] as Node).edges.find((x) => counts[x.child]?.has(o) === true && !seen.has(x.child));
    if (e === undefined) return null;
    path.push(e.action);
    v = e.child;
  }
  return path;
}

/**
 * Replay a path of action ids from `initial`: the choice indices (`listChooser` replays them), the
 * world reached, and the error when the last step stopped (the world is then the one before it).
 */
export function replayPath(initial: World, path: readonly string[], requestOrder = true): { choices: number[]; world: World; stopped: KernsimError | null } {
  let w = initial;
  const base = initial.choices.length;
  for (const id of path) {
    const r = enabled(w, requestOrder).find((x) => x.id === id) ?? enabled(w, false).find((x) => x.id === id);
    if (r === undefined) throw new KernsimError(`replay: no ready action ${id} (ready: ${readyActions(w).map((a) => actionId(a, w)).join(', ')})`);
    try {
      w = stepIndex(w, r.index);
    } catch (e) {
      // The step that stopped recorded nothing: its index ends the list (a value it chose is the default, 0).
      if (e instanceof KernsimError && !(e instanceof BudgetError)) return { choices: [...w.choices.slice(base), r.index], world: w, stopped: e };
      throw e;
    }
  }
  // The world's own record: the step indices and any value a step chose (bpf_get_prandom_u32: the default, 0).
  return { choices: w.choices.slice(base), world: w, stopped: null };
}
