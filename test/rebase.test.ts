/**
 * A step from another world of the same history moves the history's run queue to that world
 * (src/model/world/rebase.ts) from the two worlds' differences, found without a walk of what their
 * tables share (`IdTable.diffKeys`, `OrderedTree.diffKeys`). Checked here:
 * - the two diffs against their definitions (the keys whose entries differ, worked out from `Map`s
 *   and from the tables' own lookups), between any two versions of generated tables;
 * - random walks over the tree of worlds a session's history makes (each step taken from any world
 *   made so far: earlier worlds, siblings, worlds at other clocks): at every world stepped, the ready
 *   actions, each task's children and each page's waiters are what their definitions give from the
 *   world's tasks and reads in flight, and what an index built anew from the world gives;
 * - the same walk gives the same worlds (traces, choices) as stepping each world with an index built
 *   for it alone.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { content, formatTrace, listChooser, readyActions, seededChooser, Session, step, type World } from '../src/index.ts';
import { GONE, IdTable, type Change } from '../src/model/world/idtable.ts';
import { OrderedTree } from '../src/model/world/ordered.ts';
import { RunQueue, type EventGroup } from '../src/model/task/runqueue.ts';
import { NON_SLEEPABLE, runQueueOf, transact } from '../src/model/world/world.ts';
import { MOVE_BELOW } from '../src/model/world/rebase.ts';
import { stepTask } from '../src/scheduler/step.ts';
import { ioKey } from '../src/model/fs/types.ts';
import { definedActions } from './support/ready_actions.ts';
import type { ReadonlyTask, Syscall } from '../src/model/task/types.ts';

describe('the diffs of persistent tables', () => {
  test('IdTable.diffKeys gives the keys whose values differ, between any two versions', () => {
    // Keys of one level (below 16), of a few levels, and far apart (tries of different heights).
    const key = fc.oneof(fc.nat({ max: 15 }), fc.nat({ max: 600 }), fc.nat({ max: 2 ** 29 }));
    const change = fc.tuple(key, fc.oneof(fc.constantFrom('a', 'b', 'c'), fc.constant(GONE)));
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(), fc.array(change, { maxLength: 8 })), { maxLength: 25 }), fc.nat(), fc.nat(), (ops, x, y) => {
      const tables: IdTable<string>[] = [new IdTable()];
      const maps: Map<number, string>[] = [new Map()];
      for (const [from, changes] of ops) {
        const i = from % tables.length;
        const c = new Map<number, Change<string>>(changes);
        const m = new Map(maps[i]);
        for (const [k, v] of c) if (v === GONE) m.delete(k); else m.set(k, v);
        tables.push(IdTable.apply(tables[i] as IdTable<string>, c));
        maps.push(m);
      }
      const [a, b] = [x % tables.length, y % tables.length];
      const ma = maps[a] as Map<number, string>;
      const mb = maps[b] as Map<number, string>;
      const defined = [...new Set([...ma.keys(), ...mb.keys()])].filter((k) => ma.get(k) !== mb.get(k)).sort((p, q) => p - q);
      const got: number[] = [];
      IdTable.diffKeys(tables[a] as IdTable<string>, tables[b] as IdTable<string>, (k) => got.push(k));
      expect(got.sort((p, q) => p - q)).toEqual(defined);
    }));
  });

  test('OrderedTree.diffKeys gives the keys whose values or places differ, between any two versions', () => {
    const op = fc.record({ at: fc.nat(), key: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), v: fc.option(fc.constantFrom(1, 2), { nil: undefined }) });
    fc.assert(fc.property(fc.array(op, { maxLength: 60 }), fc.nat(), fc.nat(), (ops, x, y) => {
      const trees: OrderedTree<string, number>[] = [new OrderedTree()];
      for (const { at, key, v } of ops) {
        const t = (trees[at % trees.length] as OrderedTree<string, number>).clone();
        if (v === undefined) t.delete(key);
        else t.set(key, v);
        trees.push(t);
      }
      const a = trees[x % trees.length] as OrderedTree<string, number>;
      const b = trees[y % trees.length] as OrderedTree<string, number>;
      // A key differs when one has it and the other not, or when its value or its place differs.
      const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
      const defined = keys.filter((k) => a.get(k) !== b.get(k) || a.seqOf(k) !== b.seqOf(k));
      const got: string[] = [];
      OrderedTree.diffKeys(a, b, (k) => got.push(k));
      // Every difference is reported. A key set again to the same value keeps its place but gets a
      // new entry, which may be reported too (harmless: filing it again changes nothing); no key
      // that neither table has is.
      for (const k of defined) expect(got).toContain(k);
      for (const k of got) expect(keys).toContain(k);
      expect(new Set(got).size).toBe(got.length);
    }));
  });
});

/** Each task's children (not reaped, by pid: the fork order) and each page's waiters, by definition. */
function definedRelations(w: World): { children: [number, number[]][]; waiters: [string, number[]][] } {
  const tasks = [...w.tasks.values()];
  const children = tasks.map((t): [number, number[]] => [t.pid, tasks.filter((c) => c.parent === t.pid && !c.reaped).map((c) => c.pid).sort((a, b) => a - b)]);
  const pages = new Set<string>();
  for (const r of w.io.values()) pages.add(ioKey(r.ino, r.pgoff));
  for (const t of tasks) if (t.wait?.kind === 'page') pages.add(ioKey(t.wait.ino, t.wait.pgoff));
  const waiters = [...pages].sort().map((p): [string, number[]] => [p, tasks.filter((t) => t.state === 'io_wait' && t.wait?.kind === 'page' && ioKey(t.wait.ino, t.wait.pgoff) === p).map((t) => t.pid).sort((a, b) => a - b)]);
  return { children, waiters };
}

function relationsOf(rq: RunQueue, w: World): ReturnType<typeof definedRelations> {
  const d = definedRelations(w);
  return { children: d.children.map(([pid]) => [pid, [...rq.childrenOf(pid)]]), waiters: d.waiters.map(([p]) => [p, rq.waitersOf(p)]) };
}

/**
 * Tasks that sleep (several of them until the same tick), read a cold file (reads in flight, tasks
 * waiting on the same pages), fork children that fork and wait, and exit: a history whose worlds
 * differ in clocks, reads, children and waiters.
 */
const leaf: fc.Arbitrary<Syscall> = fc.oneof(
  fc.constant({ sys: 'wait' as const }),
  fc.nat(3).map((ticks) => ({ sys: 'sleep' as const, ticks })),
  fc.nat(3).map((page) => ({ sys: 'read' as const, fd: 'f', offset: page * 4096, len: 64 })),
);
const script = (depth: number): fc.Arbitrary<Syscall[]> => fc.array(depth === 0 ? leaf : fc.oneof(leaf, leaf, script(depth - 1).map((s) => ({ sys: 'fork' as const, script: s }))), { maxLength: 5 });

/**
 * A session whose worlds are large enough to have their history's run queue moved to them: one
 * built anew is cheaper when a quarter or more of a world's tasks and reads differ (`MOVE_BELOW`),
 * so 16 times as many tasks as the differences of a step ran and exited first.
 */
function sized(smp = false): Session {
  const s = new Session({ smp });
  for (let i = 0; i < 16 * MOVE_BELOW; i += 1) s.spawn({ comm: `done${i}`, script: [] });
  s.simulate();
  return s;
}

/** The tasks of `scripts`, each opening the file first (a forked child has its parent's descriptors). */
function session(scripts: Syscall[][], smp = false): Session {
  const s = sized(smp);
  s.createFile({ path: '/f', content: content.pattern(3), size: 4 * 4096 });
  scripts.forEach((sc, i) => s.spawn({ comm: `p${i}`, script: [{ sys: 'open', path: '/f', fd: 'f' }, ...sc] }));
  return s;
}

/** `w` stepped by `choices` in order. */
function replay(w: World, choices: readonly number[]): World {
  let x = w;
  for (const c of choices) x = step(x, listChooser([c])).world;
  return x;
}

describe('a step from any world of a history', () => {
  test('a run queue a transition holds is not moved to another world meanwhile', () => {
    const s = sized();
    const pids = Array.from({ length: 6 }, (_, i) => s.spawn({ comm: `t${i}`, script: [{ sys: 'sleep', ticks: i % 3 }, { sys: 'sleep', ticks: 1 }] }));
    const start = s.world;
    const later = replay(start, [0, 0, 0, 1, 0]);
    const w = replay(start, [2]);
    // A transition from `w` (which owns the history's run queue) that, while it runs, asks for the
    // ready actions of another world of the history, and then lets a task of `w` run.
    const runs = pids[1] as number;
    expect(w.tasks.get(runs)?.state).toBe('runnable');
    const { world: after } = transact(w, NON_SLEEPABLE, (k) => {
      expect(readyActions(later)).toEqual(definedActions(later));
      stepTask(k, runs);
    });
    expect(after.tasks.get(runs)?.state).not.toBe('runnable');
    expect(readyActions(after)).toEqual(definedActions(after));
    expect(readyActions(later)).toEqual(definedActions(later));
  });

  test('the index moved to the world stepped gives what the definitions give, and what an index built for it gives (on one CPU and on several)', () => {
    let crossed = 0;
    // A pick is a world made so far, or (null, as often) the newest: the walk goes deep and branches.
    const picks = fc.array(fc.option(fc.nat(), { freq: 2 }), { minLength: 60, maxLength: 150 });
    fc.assert(fc.property(fc.array(script(2), { minLength: 1, maxLength: 5 }), picks, fc.nat(), fc.boolean(), (scripts, picks, seed, smp) => {
      const worlds: World[] = [session(scripts, smp).world];
      for (const [n, pick] of picks.entries()) {
        const w = worlds[pick === null ? worlds.length - 1 : pick % worlds.length] as World;
        const rq = runQueueOf(w);
        expect(rq.owner).toBe(w);
        const fresh = RunQueue.of(w.io, w.tasks, w.clock.now, w.smp);
        expect(readyActions(w)).toEqual(definedActions(w));
        expect(relationsOf(rq, w)).toEqual(definedRelations(w));
        expect(relationsOf(fresh, w)).toEqual(definedRelations(w));
        const r = step(w, seededChooser(`${seed}-${n}`));
        if (r.done) continue;
        if (worlds.some((x) => x.clock.now !== r.world.clock.now)) crossed += 1;
        worlds.push(r.world);
      }
    }), { numRuns: 80 });
    // The walks met worlds of other clocks (so the index moved back and forth in time).
    expect(crossed).toBeGreaterThan(100);
  }, 120_000);

  test('two branches that gave one insertion number to different reads: the index moved between them files both', () => {
    const start = session([[{ sys: 'read', fd: 'f', offset: 0, len: 64 }], [{ sys: 'read', fd: 'f', offset: 4096, len: 64 }]]).world;
    const [p0, p1] = [...start.tasks.values()].filter((t) => t.comm.startsWith('p')).map((t) => t.pid) as [number, number];
    // Run `pid` until a read of page `pgoff` is in flight.
    const submit = (w0: World, pid: number, pgoff: number): World => {
      let w = w0;
      while (!w.io.has(`1:${pgoff}`)) w = step(w, listChooser([readyActions(w).findIndex((a) => a.kind === 'task' && a.pid === pid)])).world;
      return w;
    };
    // Branch A: p1's read of page 1 first. Branch B: p0's of page 0 and its read-ahead (pages 1 to
    // 3), then the completion of page 3 (the clock moves to it): the others are due then.
    const a = submit(start, p1, 1);
    let b = submit(start, p0, 0);
    b = step(b, listChooser([readyActions(b).findIndex((x) => x.kind === 'io' && x.pgoff === 3)])).world;
    // The collision: A's read of page 1 has the insertion number of B's read of page 0, due.
    expect(a.io.seqOf('1:1')).toBe(b.io.seqOf('1:0'));
    expect(b.io.get('1:0')?.completesAt).toBeLessThanOrEqual(b.clock.now);
    for (const w of [a, b, a, b]) {
      expect(readyActions(w)).toEqual(definedActions(w));
      expect(runQueueOf(w).owner).toBe(w);
    }
  });

  test('the walk makes the worlds that stepping each world with an index of its own makes', () => {
    fc.assert(fc.property(fc.array(script(1), { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { minLength: 1, maxLength: 60 }), (scripts, picks) => {
      const start = session(scripts).world;
      const worlds: World[] = [start];
      for (const [n, pick] of picks.entries()) {
        const r = step(worlds[pick % worlds.length] as World, seededChooser(n));
        if (!r.done) worlds.push(r.world);
      }
      for (const w of worlds) {
        // Replayed alone from the start, by its own choices, one step at a time (an index that
        // only ever moves forward).
        let x = session(scripts).world;
        x = replay(x, w.choices.slice(start.choices.length));
        expect(formatTrace(x.trace)).toBe(formatTrace(w.trace));
        expect(readyActions(x)).toEqual(readyActions(w));
      }
    }), { numRuns: 40 });
  }, 120_000);

  test("a parent's children filed again in fork order when the index moves back across its waits", () => {
    const s = sized();
    const parent = s.spawn({ comm: 'parent', script: [
      { sys: 'fork', script: [] }, { sys: 'fork', script: [] }, { sys: 'fork', script: [] },
      { sys: 'sleep', ticks: 1 }, { sys: 'wait' }, { sys: 'wait' }, { sys: 'wait' },
    ] });
    const worlds: World[] = [s.world];
    for (;;) {
      const r = step(worlds[worlds.length - 1] as World, listChooser([]));
      if (r.done) break;
      worlds.push(r.world);
    }
    // The parent reaped its three children, one by one.
    expect(worlds.map((w) => definedRelations(w).children.find(([pid]) => pid === parent)?.[1].length)).toContain(3);
    expect((worlds[worlds.length - 1] as World).tasks.get(parent)?.results.slice(4)).toHaveLength(3);
    for (const w of [...worlds].reverse()) expect(relationsOf(runQueueOf(w), w)).toEqual(definedRelations(w));
  });

  test('a long history of many ticks, due timers left pending while the clock moves on, stepped back in any order', () => {
    // Timers of several lengths; the chooser often takes the last ready action (the earliest future
    // event: the clock moves while due timers wait), so many ticks hold timers due and not yet run.
    const s = sized();
    for (let i = 0; i < 30; i += 1) s.spawn({ comm: `s${i}`, script: Array.from({ length: 8 }, () => ({ sys: 'sleep' as const, ticks: 1 + (i % 7) })) });
    let n = 0;
    const chooser = { choose: (_: string, count: number): number => (n++ % 3 === 0 ? 0 : count - 1) };
    let w = s.world;
    const worlds: World[] = [w];
    for (let i = 0; i < 3000; i += 1) {
      const r = step(w, chooser);
      if (r.done) break;
      w = r.world;
      worlds.push(w);
    }
    expect(new Set(worlds.map((x) => x.clock.now)).size).toBeGreaterThan(40);
    const order = fc.sample(fc.shuffledSubarray([...worlds.keys()], { minLength: worlds.length }), { numRuns: 1, seed: 49 })[0] as number[];
    for (const i of [...worlds.keys()].reverse().concat(order)) {
      const x = worlds[i] as World;
      expect(readyActions(x)).toEqual(definedActions(x));
    }
  });

  test('retreat finds a timer that fell due long ago among many ticks whose timers ran since', () => {
    const task = (pid: number, state: ReadonlyTask['state'], until: number | null): ReadonlyTask =>
      ({ pid, parent: null, reaped: false, state, wait: until === null ? null : { kind: 'timer', until } } as unknown as ReadonlyTask);
    const rq = RunQueue.of({ forEachSeq: () => undefined }, { eachValue: () => undefined }, 0, false);
    rq.syncTask(task(100, 'interruptible', 1));
    rq.advance(1);
    // Tick after tick, another task's timer falls due and runs (its record of the tick is gone).
    for (let t = 2; t < 300; t += 1) {
      rq.syncTask(task(101, 'interruptible', t));
      rq.advance(t);
      expect(rq.dueTimers.has(101)).toBe(true);
      rq.syncTask(task(101, 'runnable', null));
    }
    expect([rq.dueTimers.has(100), rq.dueTimers.size]).toEqual([true, 1]);
    // Back before tick 1: task 100's timer is pending again, at its time.
    rq.retreat(0);
    expect(rq.dueTimers.size).toBe(0);
    expect(rq.nextGroup()?.at).toBe(1);
    expect(rq.timersOf(rq.nextGroup() as EventGroup)).toEqual([100]);
  });

  test('a step across a clock move in both directions, with many timers due at one tick', () => {
    const s = sized();
    for (let i = 0; i < 40; i += 1) s.spawn({ comm: `s${i}`, script: [{ sys: 'sleep', ticks: 1 + (i % 2) }, { sys: 'sleep', ticks: 1 }] });
    let w = s.world;
    const worlds: World[] = [w];
    for (let i = 0; i < 300; i += 1) {
      const r = step(w, { choose: () => 0 });
      if (r.done) break;
      w = r.world;
      worlds.push(w);
    }
    const ticks = new Set(worlds.map((x) => x.clock.now));
    expect(ticks.size).toBeGreaterThan(2);
    // From the last world back to the first, then forward by threes, then every other one.
    const order = [...worlds.keys()].reverse().concat([...worlds.keys()].filter((i) => i % 3 === 0), [...worlds.keys()].filter((i) => i % 2 === 1));
    for (const i of order) {
      const x = worlds[i] as World;
      expect(readyActions(x)).toEqual(definedActions(x));
    }
  });
});
