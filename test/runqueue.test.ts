/**
 * The engine's indexes give what their definitions give (issue 17):
 * - the scheduler's ready actions, found through the run queue (model/task/runqueue.ts), are the
 *   list the scheduler's rule defines (written here from the world's tasks and reads in flight, the
 *   way src/scheduler/step.ts defined it before the run queue), at every step of generated scenarios,
 *   after branches (a step from an earlier world) and after kfunc calls that sleep;
 * - `run` (all steps in one transition) gives the world `step` after `step` gives;
 * - a persistent log (world/log.ts) and an id table (world/idtable.ts) behave as an array and a `Map`
 *   copied at every change; the run queue's set of pids (`IntSet`) as a sorted array.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { content, DEFAULT_BUDGETS, formatTrace, listChooser, parseScenario, program as P, readyActions, refSnapshot, run, seededChooser, Session, step, type BpfObject, type Chooser, type World } from '../src/index.ts';
import { buildScenario } from '../src/scenario/run.ts';
import { GONE, IdTable, type Change } from '../src/model/world/idtable.ts';
import { Log } from '../src/model/world/log.ts';
import { IntSet, RunQueue } from '../src/model/task/runqueue.ts';
import { runQueueOf } from '../src/model/world/world.ts';
import type { Syscall } from '../src/model/task/types.ts';
import type { ReadonlyTask } from '../src/model/task/types.ts';
import { buildTaskWorkWorld, twScenario } from '../properties/scenarios.ts';
import { definedActions } from './support/ready_actions.ts';

/** Many tasks that sleep, read a cold file (so reads are in flight) and open a file, in a session. */
function busy(tasks: number, smp = false): Session {
  const s = new Session({ smp });
  s.createFile({ path: '/f', content: content.pattern(4), size: 6 * 4096 });
  if (smp) {
    // A task that forks children which open a file: a branch to a world before a fork moves the run
    // queue to a world without the child (filed nowhere, its marks gone with it).
    const child: Syscall[] = [{ sys: 'open', path: '/f', fd: 'g' }, { sys: 'close', fd: 'g' }];
    s.spawn({ comm: 'forker', script: [{ sys: 'sleep', ticks: 2 }, { sys: 'fork', script: child }, { sys: 'fork', script: child }, { sys: 'wait' }, { sys: 'wait' }] });
  }
  for (let i = 0; i < tasks; i += 1) {
    s.spawn({ comm: `t${i}`, script: [
      { sys: 'sleep', ticks: i % 3 },
      { sys: 'open', path: '/f', fd: 'f' },
      { sys: 'read', fd: 'f', offset: (i % 6) * 4096, len: 100 + i },
      { sys: 'sleep', ticks: (i * 7) % 5 },
      { sys: 'close', fd: 'f' },
    ] });
  }
  return s;
}

/** `start` stepped one step at a time by `chooser` until nothing is ready (what `run` does in one transition). */
function stepped(start: World, chooser: Chooser): World {
  let w = start;
  for (;;) {
    const r = step(w, chooser);
    if (r.done) return w;
    w = r.world;
  }
}

describe('the run queue gives the ready actions their definition gives', () => {
  // On an smp machine the irq_work and the tasks may stop part-way: more actions to choose among.
  for (const smp of [false, true]) test(`at every step of generated task_work scenarios, under listed schedules${smp ? ', on an smp machine' : ''}`, () => {
    let stops = 0;
    fc.assert(fc.property(twScenario, fc.array(fc.nat({ max: smp ? 9 : 7 }), { maxLength: 60 }), (sc, choices) => {
      let w = buildTaskWorkWorld(sc, { smp }).world;
      const chooser = listChooser(choices);
      for (let n = 0; n < 400; n += 1) {
        const actions = readyActions(w);
        expect(actions).toEqual(definedActions(w));
        if (actions.some((a) => a.kind === 'task' && a.stop === 'T5')) stops += 1;
        const r = step(w, chooser);
        if (r.done) break;
        w = r.world;
      }
    }), { numRuns: 60 });
    // On several CPUs some worlds had a callback about to start (the filtered tasks were not always none).
    if (smp) expect(stops).toBeGreaterThan(0);
  }, 120_000);

  test('on an smp machine, with forks and exits through attached sched_process_exit programs, and after branches', () => {
    let merged = 0;
    for (const file of ['process_lifecycle.json', 'task_storage.json']) {
      const sc = parseScenario(JSON.parse(readFileSync(new URL(`../examples/${file}`, import.meta.url), 'utf8')), file);
      for (const seed of ['a', 'b', 'c', 'd']) {
        const worlds: World[] = [];
        let w = buildScenario({ ...sc, smp: true }, DEFAULT_BUDGETS).session.world;
        const chooser = seededChooser(seed);
        for (let n = 0; n < 3000; n += 1) {
          const actions = readyActions(w);
          expect(actions).toEqual(definedActions(w));
          // A task in do_exit that stops at a call, beside others that stop at one for another reason.
          const calls = actions.filter((a) => a.kind === 'task' && a.stop === 'call');
          if (calls.length > 1 && calls.some((a) => a.kind === 'task' && w.tasks.get(a.pid)?.stack.some((x) => x.a === 'do_exit') === true)) merged += 1;
          worlds.push(w);
          const r = step(w, chooser);
          if (r.done) break;
          w = r.world;
        }
        for (const i of [1, worlds.length >> 1, worlds.length - 2]) {
          const b = worlds[i] as World;
          const r = step(b, seededChooser(`branch-${seed}-${i}`));
          expect(readyActions(r.world)).toEqual(definedActions(r.world));
          expect(readyActions(w)).toEqual(definedActions(w));
        }
      }
    }
    expect(merged).toBeGreaterThan(0);
  });

  test('on an smp machine, a task stopped inside task_work_run with a BPF work still in its batch', () => {
    // Two contexts (elements 0 and 1) scheduled on the opener: its task_work_run takes both works in
    // one batch; stopped at the first callback's helper call, the second is in the batch only.
    const { r, imm, NULL, map, tw, cb, call, label, goto, ret, when } = P;
    const schedule = (key: number, next: string) => [
      call('bpf_map_lookup_elem', [map('twmap'), imm(key)], 'r6'),
      goto(next, when('r6', '==', NULL)),
      call('bpf_task_work_schedule_signal', [r('r7'), tw('r6'), map('twmap'), cb('cb')], 'r0'),
      label(next),
    ];
    const obj: BpfObject = {
      name: 'tw_two',
      maps: [{ name: 'twmap', type: 'array', maxEntries: 2, valueSize: 8, taskWorkFields: 1 }],
      globals: [],
      programs: [{ name: 'hook', section: 'lsm/file_open', body: [call('bpf_get_current_task_btf', [], 'r7'), ...schedule(0, 'second'), ...schedule(1, 'out'), ret(imm(0))] }],
      subprogs: [{ name: 'cb', isStatic: true, body: [call('bpf_get_current_task_btf', [], 'r6'), ret(imm(0))] }],
    };
    const s = new Session({ version: '7.2', smp: true });
    s.createFile({ path: '/tmp/trigger', content: content.zero(), size: 16 });
    s.load(obj);
    s.spawn({ comm: 'opener', script: [{ sys: 'open', path: '/tmp/trigger', fd: 't' }, { sys: 'close', fd: 't' }] });
    s.spawn({ comm: 'other', script: [{ sys: 'sleep', ticks: 1 }, { sys: 'open', path: '/tmp/trigger', fd: 't' }, { sys: 'close', fd: 't' }] });
    const start = s.world;
    let batchOnly = 0;
    for (let seed = 0; seed < 60; seed += 1) {
      let w = start;
      const chooser = seededChooser(seed);
      for (let n = 0; n < 400; n += 1) {
        const actions = readyActions(w);
        expect(actions).toEqual(definedActions(w));
        for (const a of actions) {
          if (a.kind !== 'task' || a.stop !== 'T5') continue;
          if (![...(w.tasks.get(a.pid)?.works.queue ?? [])].some((x) => x.fn.kind === 'bpf_task_work')) batchOnly += 1;
        }
        const r = step(w, chooser);
        if (r.done) break;
        w = r.world;
      }
    }
    expect(batchOnly).toBeGreaterThan(0);
  });

  for (const smp of [false, true]) test(`with many tasks, sleeps and reads in flight, and after branching from earlier worlds${smp ? ', on an smp machine' : ''}`, () => {
    const worlds: World[] = [];
    let w = busy(12, smp).world;
    const chooser = seededChooser('rq');
    let forks = 0;
    for (let n = 0; n < 2000; n += 1) {
      expect(readyActions(w)).toEqual(definedActions(w));
      worlds.push(w);
      const r = step(w, chooser);
      if (r.done) break;
      if (r.world.tasks.size > w.tasks.size) {
        // Back to the world before the fork: the run queue moves there, and files the child nowhere.
        forks += 1;
        expect(readyActions(w)).toEqual(definedActions(w));
      }
      w = r.world;
    }
    expect(forks).toBe(smp ? 2 : 0);
    expect(worlds.length).toBeGreaterThan(100);
    // A step from an earlier world: its run queue describes a later one and is rebuilt.
    for (const i of [3, 50, 17, worlds.length - 2, 0]) {
      const b = worlds[i] as World;
      expect(readyActions(b)).toEqual(definedActions(b));
      const r = step(b, seededChooser(`branch-${i}`));
      expect(readyActions(r.world)).toEqual(definedActions(r.world));
      // The later world still steps as its own definition says.
      expect(readyActions(w)).toEqual(definedActions(w));
    }
  });

  test("each task's children, as wait walks them: the tasks it forked not yet reaped, in fork order, after branches too", () => {
    // By definition (kernel/fork.c, kernel/exit.c `do_wait`): the tasks whose parent is `pid` and that
    // are not reaped, in the order they were forked (pids count up).
    const defined = (w: World, pid: number): number[] => [...w.tasks.values()].filter((t) => t.parent === pid && !t.reaped).map((t) => t.pid).sort((a, b) => a - b);
    // Scripts of forks (whose children may fork in turn), waits and sleeps.
    const leaf: fc.Arbitrary<Syscall> = fc.oneof(fc.constant({ sys: 'wait' as const }), fc.nat(2).map((ticks) => ({ sys: 'sleep' as const, ticks })));
    const script = (depth: number): fc.Arbitrary<Syscall[]> => fc.array(depth === 0 ? leaf : fc.oneof(leaf, script(depth - 1).map((s) => ({ sys: 'fork' as const, script: s }))), { maxLength: 5 });
    fc.assert(fc.property(fc.array(script(2), { minLength: 1, maxLength: 3 }), fc.nat(), (scripts, seed) => {
      const s = new Session();
      scripts.forEach((sc, i) => s.spawn({ comm: `p${i}`, script: sc }));
      const chooser = seededChooser(`children-${seed}`);
      const worlds: World[] = [];
      let w = s.world;
      for (let n = 0; n < 400; n += 1) {
        worlds.push(w);
        const r = step(w, chooser);
        if (r.done) break;
        w = r.world;
        // The run queue the step brought along, and one built from the world.
        for (const rq of [runQueueOf(w), RunQueue.of(w.io, w.tasks, w.clock.now, w.smp)]) {
          for (const t of w.tasks.values()) expect([t.pid, [...rq.childrenOf(t.pid)]]).toEqual([t.pid, defined(w, t.pid)]);
        }
      }
      // A step from an earlier world (its run queue rebuilt) waits as the definition says too.
      const b = worlds[seed % worlds.length] as World;
      const r = step(b, seededChooser(`branch-${seed}`)).world;
      for (const t of r.tasks.values()) expect([t.pid, [...runQueueOf(r).childrenOf(t.pid)]]).toEqual([t.pid, defined(r, t.pid)]);
    }), { numRuns: 60 });
  });

  test('after a kfunc call that sleeps for a read (the clock jumps while tasks wait)', () => {
    const s = busy(4);
    s.step(seededChooser(1));
    s.step(seededChooser(2));
    s.createFile({ path: '/g', content: content.pattern(1), size: 4096 });
    const f = s.open('/g');
    s.sleepable().bpf_dynptr_from_file(f, 0, 'd');
    s.bpf_dynptr_read(new Uint8Array(8), 8, 'd', 0, 0);
    expect(readyActions(s.world)).toEqual(definedActions(s.world));
    s.simulate(seededChooser(3));
    expect(readyActions(s.world)).toEqual([]);
  });
});

describe('the run queue files a task by its latest state', () => {
  const task = (pid: number, state: ReadonlyTask['state'], wait: ReadonlyTask['wait']): ReadonlyTask => ({ pid, state, wait } as unknown as ReadonlyTask);
  test('a timer moved to another time, a page wait moved to another page, a task made runnable', () => {
    const rq = RunQueue.of({ forEachSeq: () => undefined }, { eachValue: () => undefined }, 0, false);
    rq.syncTask(task(100, 'interruptible', { kind: 'timer', until: 5 }));
    rq.syncTask(task(101, 'io_wait', { kind: 'page', ino: 1, pgoff: 2 }));
    expect(rq.nextGroup()?.at).toBe(5);
    rq.syncTask(task(100, 'interruptible', { kind: 'timer', until: 9 }));
    expect(rq.nextGroup()?.at).toBe(9);
    expect(rq.nextGroup()?.timers).toEqual([100]);
    rq.syncTask(task(101, 'io_wait', { kind: 'page', ino: 1, pgoff: 3 }));
    expect(rq.waitersOf('1:2')).toEqual([]);
    expect(rq.waitersOf('1:3')).toEqual([101]);
    rq.advance(9);
    expect(rq.dueTimers.size).toBe(1);
    expect(rq.nextGroup()).toBeNull();
    rq.syncTask(task(100, 'runnable', null));
    expect(rq.dueTimers.size).toBe(0);
    expect(rq.runnable.size).toBe(1);
  });
});

describe('run makes the steps step makes', () => {
  test('the same final world (trace, choices, clock, references, task results) as stepping one at a time, on one CPU and on several', () => {
    fc.assert(fc.property(twScenario, fc.integer({ min: 0, max: 1000 }), fc.boolean(), (sc, seed, smp) => {
      const a = buildTaskWorkWorld(sc, { smp });
      const start = a.world;
      const end = run(start, seededChooser(seed));
      const w = stepped(start, seededChooser(seed));
      expect(formatTrace(end.trace)).toBe(formatTrace(w.trace));
      expect(end.choices).toEqual(w.choices);
      expect(end.clock.now).toBe(w.clock.now);
      expect(refSnapshot(end)).toEqual(refSnapshot(w));
      expect([...end.tasks.values()].map((t) => [t.pid, t.state, [...t.results]])).toEqual([...w.tasks.values()].map((t) => [t.pid, t.state, [...t.results]]));
      // And `start` is as it was: running it again gives the same.
      expect(formatTrace(run(start, seededChooser(seed)).trace)).toBe(formatTrace(end.trace));
    }), { numRuns: 60 });
  }, 120_000);

  test('the same values a program draws from the chooser (bpf_get_prandom_u32), on one CPU and on several', () => {
    const { r, imm, call, store, ret } = P;
    const obj: BpfObject = {
      name: 'draws', maps: [], globals: [{ name: 'x', kind: 'int' }], subprogs: [],
      programs: [{ name: 'hook', section: 'lsm/file_open', body: [call('bpf_get_prandom_u32', [], 'r0'), store('x', r('r0')), ret(imm(0))] }],
    };
    let drawn = 0;
    for (const smp of [false, true]) {
      const s = new Session({ smp });
      s.createFile({ path: '/f', content: content.zero(), size: 16 });
      s.load(obj);
      for (let i = 0; i < 3; i += 1) s.spawn({ comm: `t${i}`, script: [{ sys: 'open', path: '/f', fd: 'f' }, { sys: 'sleep', ticks: i }, { sys: 'open', path: '/f', fd: 'g' }] });
      const start = s.world;
      for (const seed of [1, 2, 3, 4]) {
        const end = run(start, seededChooser(seed));
        const w = stepped(start, seededChooser(seed));
        expect([...end.choices]).toEqual([...w.choices]);
        expect(formatTrace(end.trace)).toBe(formatTrace(w.trace));
        const x = (v: World) => [...v.objects.values()][0]?.globals.get('x');
        expect(x(end)).toEqual(x(w));
        // A seeded chooser's draws are not all 0 (what the default chooser would give).
        if (x(end)?.some((b) => b !== 0) === true) drawn += 1;
      }
    }
    expect(drawn).toBeGreaterThan(4);
  });

  test('a run that throws leaves its starting world as it was', () => {
    const s = new Session();
    s.spawn({ comm: 'a', script: [{ sys: 'sleep', ticks: 1 }, { sys: 'close', fd: 'nope' }, { sys: 'sleep', ticks: 1 }] });
    s.spawn({ comm: 'b', script: [{ sys: 'sleep', ticks: 2 }] });
    const start = s.world;
    const before = readyActions(start);
    expect(() => run(start, seededChooser(1), { maxSteps: 3 })).toThrow(/no quiescence after 3 steps/);
    expect(readyActions(start)).toEqual(before);
    expect(readyActions(start)).toEqual(definedActions(start));
    const end = run(start, seededChooser(1));
    expect(readyActions(end)).toEqual([]);
  });
});

describe('persistent structures', () => {
  test('a log: appends from any version see only their own values (appendOwned: from an array given up, as a transition gives its events)', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(), fc.array(fc.integer(), { maxLength: 4 }), fc.boolean()), { maxLength: 40 }), (ops) => {
      const logs: Log<number>[] = [Log.empty()];
      const arrays: number[][] = [[]];
      for (const [from, xs, owned] of ops) {
        const i = from % logs.length;
        const l = logs[i] as Log<number>;
        logs.push(owned ? l.appendOwned([...xs]) : xs.length === 1 ? l.append(xs[0] as number) : l.appendAll(xs));
        arrays.push([...(arrays[i] as number[]), ...xs]);
      }
      logs.forEach((l, i) => {
        expect(l.toArray()).toEqual(arrays[i]);
        expect(l.length).toBe(arrays[i]?.length);
        expect(JSON.parse(JSON.stringify(l))).toEqual(arrays[i]);
        const a = arrays[i] as number[];
        if (a.length > 0) expect(l.at(a.length - 1)).toBe(a[a.length - 1]);
      });
    }));
  });

  test('an id table: changes from any version give what a copied Map gives, in key order', () => {
    const change = fc.tuple(fc.oneof(fc.nat({ max: 40 }), fc.nat({ max: 5000 }), fc.nat({ max: 2 ** 29 })), fc.oneof(fc.string(), fc.constant(GONE)));
    // A few changes per apply (its copied nodes in a list) and up to 400 (past 32 copies, in a set).
    const changes = fc.oneof(fc.array(change, { maxLength: 6 }), fc.array(change, { minLength: 40, maxLength: 400 }));
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(), changes), { maxLength: 30 }), (ops) => {
      const tables: IdTable<string>[] = [new IdTable()];
      const maps: Map<number, string>[] = [new Map()];
      for (const [from, changes] of ops) {
        const i = from % tables.length;
        const m = new Map(maps[i]);
        const c = new Map<number, Change<string>>();
        for (const [k, v] of changes) {
          c.set(k, v);
        }
        for (const [k, v] of c) if (v === GONE) m.delete(k); else m.set(k, v);
        tables.push(IdTable.apply(tables[i] as IdTable<string>, c));
        maps.push(m);
      }
      tables.forEach((t, i) => {
        const m = maps[i] as Map<number, string>;
        expect(t.size).toBe(m.size);
        expect([...t.entries()]).toEqual([...m.entries()].sort((a, b) => a[0] - b[0]));
        for (const k of m.keys()) expect(t.get(k)).toBe(m.get(k));
      });
    }));
  });
});

describe('IntSet (the run queue\'s sets of pids)', () => {
  test('has, size, kth and rank are those of a sorted array of its elements, through every growth of its capacity', () => {
    // Values up to 3,000: capacities 128 to 4,096, a set grown while it holds elements.
    const op = fc.record({ add: fc.boolean(), x: fc.oneof(fc.nat(140), fc.nat(3000)) });
    fc.assert(fc.property(fc.array(op, { maxLength: 400 }), fc.nat(), (ops, probe) => {
      const set = new IntSet();
      let want: number[] = [];
      for (const { add, x } of ops) {
        if (add) { set.add(x); if (!want.includes(x)) want = [...want, x].sort((a, b) => a - b); }
        else { set.delete(x); want = want.filter((y) => y !== x); }
        expect(set.size).toBe(want.length);
        expect(set.has(x)).toBe(add);
        if (want.length > 0) expect(set.kth(probe % want.length)).toBe(want[probe % want.length]);
        // rank: how many are below, for a value in the set, one next to it, and one past every capacity.
        for (const y of [x, x + 1, probe % 5000]) expect(set.rank(y)).toBe(want.filter((z) => z < y).length);
      }
      want.forEach((x, r) => expect(set.kth(r)).toBe(x));
    }), { numRuns: 200 });
  });

  test('a dense set of 20,000 with holes: every kth and every rank, words full and words with their top bit', () => {
    const set = new IntSet();
    const want: number[] = [];
    for (let x = 20_000; x >= 0; x -= 1) set.add(x);
    for (let x = 0; x <= 20_000; x += 1) {
      // Holes: every 7th integer, and bit 31 of every third word (the sign bit of an int32).
      if (x % 7 === 3 || (x % 32 === 31 && (x >> 5) % 3 === 0)) set.delete(x);
      else want.push(x);
    }
    expect(set.size).toBe(want.length);
    let bad = 0;
    want.forEach((x, r) => { if (set.kth(r) !== x) bad += 1; });
    expect(bad).toBe(0);
    let below = 0;
    let j = 0;
    for (let x = 0; x <= 20_040; x += 1) {
      while (j < want.length && (want[j] as number) < x) j += 1;
      if (set.rank(x) !== j) below += 1;
    }
    expect(below).toBe(0);
  });
});
