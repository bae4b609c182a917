/**
 * A task's syscall results (src/model/task/record.ts): a list through a world's log of results
 * (world/log.ts `appendLinked`), which the task's copies share and all the tasks of a world append
 * to. Each copy records its own results; every earlier copy keeps what it had; a value of any 64-bit
 * return, in an int's range or not, reads back exactly as it was recorded, on branches from earlier
 * worlds and across the log's chunks.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { TaskRecord } from '../src/model/task/record.ts';
import { EMPTY_LINKED, type LinkedEnd } from '../src/model/world/log.ts';
import { run, seededChooser, Session } from '../src/index.ts';

/** Returns of every width a syscall may give (a long), the edges of an int's range most often. */
const retArb = fc.oneof(
  fc.constantFrom(0n, -1n, 2n ** 31n - 1n, 2n ** 31n, -(2n ** 31n), -(2n ** 31n) - 1n, 2n ** 63n - 1n, -(2n ** 63n)),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  fc.integer().map(BigInt),
);

const newTask = (): TaskRecord => new TaskRecord({ pid: 1, comm: 't', mm: null, script: [] });
type Cursor = LinkedEnd;
const newLog = (from: Cursor = EMPTY_LINKED): Cursor => ({ head: from.head, length: from.length });

describe('a task record\'s results', () => {
  test('each copy records its own results, in order, exactly; every earlier copy keeps what it held', () => {
    // A tree of worlds of two tasks: each op takes a world made so far and makes a new one from it (a
    // transition: a branch when that world was stepped before), whose copies of the tasks record
    // returns through the log of results moved on from that world's: the first task's, or both
    // tasks' alternately.
    const opsArb = fc.array(fc.record({ from: fc.nat(), both: fc.boolean(), rets: fc.array(retArb, { maxLength: 6 }) }), { maxLength: 30 });
    fc.assert(fc.property(opsArb, (ops) => {
      const worlds: { tasks: TaskRecord[]; want: bigint[][]; log: Cursor }[] = [{ tasks: [newTask(), newTask()], want: [[], []], log: newLog() }];
      for (const o of ops) {
        const base = worlds[o.from % worlds.length]!;
        const tasks = base.tasks.map((t) => t.clone());
        // Read before the new results, so that a stale read would show.
        for (const [j, t] of tasks.entries()) expect(t.results).toEqual(base.want[j]);
        const log = newLog(base.log);
        const want = base.want.map((w) => [...w]);
        for (const r of o.rets) {
          tasks[0]!.addResult(log, r);
          want[0]!.push(r);
          if (o.both) {
            tasks[1]!.addResult(log, -r);
            want[1]!.push(-r);
          }
        }
        worlds.push({ tasks, want, log });
      }
      for (const w of worlds) {
        for (const [j, t] of w.tasks.entries()) {
          expect(t.results).toEqual(w.want[j]);
          expect(t.results.every((r) => typeof r === 'bigint')).toBe(true);
        }
      }
    }));
  });

  test('lists across many chunks of the log: three tasks interleaved, and a branch from the middle', () => {
    // 3 × 3,000 results of two slots each fill several chunks of the log (4,096 slots each).
    const log = newLog();
    const tasks = [newTask(), newTask(), newTask()];
    const want: bigint[][] = [[], [], []];
    let mid: { tasks: TaskRecord[]; want: bigint[][]; log: Cursor } | null = null;
    for (let i = 0; i < 3000; i += 1) {
      for (const [j, t] of tasks.entries()) {
        const r = BigInt(i * 3 + j) * (i % 2 === 0 ? 1n : 2n ** 33n);
        t.addResult(log, r);
        want[j]!.push(r);
      }
      if (i === 1499) mid = { tasks: tasks.map((t) => t.clone()), want: want.map((w) => [...w]), log: newLog(log) };
    }
    if (mid === null) throw new Error('no middle');
    // The branch appends from the middle of a chunk the main line has filled past it.
    for (const [j, t] of mid.tasks.entries()) for (let i = 0; i < 2000; i += 1) {
      t.addResult(mid.log, BigInt(-i - j));
      mid.want[j]!.push(BigInt(-i - j));
    }
    for (const [j, t] of tasks.entries()) expect(t.results).toEqual(want[j]);
    for (const [j, t] of mid.tasks.entries()) expect(t.results).toEqual(mid.want[j]);
  });

  test("a world's log of results holds a slot for each small result of its tasks, from step to step and on a branch", () => {
    const s = new Session();
    const script = Array.from({ length: 40 }, () => ({ sys: 'sleep' as const, ticks: 1 }));
    const pids = [s.spawn({ comm: 'a', script }), s.spawn({ comm: 'b', script: script.slice(0, 25) })];
    // Every result is a sleep's 0, and the entry before it in its task's list is near: one slot each.
    const slots = (w: typeof s.world): number => pids.reduce((n, pid) => n + (w.tasks.get(pid)?.results.length ?? 0), 0);
    const worlds = [s.world];
    while (s.step()) worlds.push(s.world);
    worlds.push(s.world);
    expect(slots(s.world)).toBe(40 + 25);
    for (const w of worlds) expect(w.results.length).toBe(slots(w));
    // A run from a world of the middle of that history: its log goes on from that world's.
    const mid = worlds[Math.floor(worlds.length / 2)]!;
    const end = run(mid, seededChooser(3));
    expect(end.results.length).toBe(slots(end));
    for (const pid of pids) expect(end.tasks.get(pid)?.results).toEqual(s.world.tasks.get(pid)?.results);
  });

  test('entries far from the one before them in their list, and values of every width, between entries of one slot', () => {
    const log = newLog();
    const [a, b] = [newTask(), newTask()];
    const want = new Map<TaskRecord, bigint[]>([[a, []], [b, []]]);
    // The log's length as its format gives it (world/log.ts): an entry is one slot when its value is a
    // number of [-8192, 8192) and the entry before it in its list is fewer than 32,768 slots back, else two.
    let slots = 0;
    const last = new Map<TaskRecord, number>();
    const add = (t: TaskRecord, r: bigint): void => {
      t.addResult(log, r);
      want.get(t)!.push(r);
      const prev = last.get(t);
      const one = r >= -8192n && r < 8192n && (prev === undefined || slots - prev < 32_768);
      last.set(t, slots);
      slots += one ? 1 : 2;
    };
    add(a, 7n);
    // 32,767 results of b: a's next entry is exactly 32,768 slots from its first, one too far for one slot.
    for (let i = 0; i < 32_767; i += 1) add(b, BigInt((i % 16_384) - 8_192));
    add(a, 5n);
    // 32,765 more after a's entry of two slots: a's next is 32,767 slots back, the farthest one slot holds.
    for (let i = 0; i < 32_765; i += 1) add(b, 1n);
    add(a, 4n);
    add(a, -8_193n);
    add(a, 8_191n);
    add(a, 8_192n);
    add(a, -(2n ** 63n));
    add(b, 0n);
    add(a, -8_192n);
    expect(a.results).toEqual(want.get(a));
    expect(b.results).toEqual(want.get(b));
    expect(log.length).toBe(slots);
  });

  test('results read before more are recorded are not changed by them', () => {
    const t = newTask();
    const log = newLog();
    t.addResult(log, 5n);
    const before = t.results;
    t.addResult(log, 2n ** 40n);
    expect(before).toEqual([5n]);
    expect(t.results).toEqual([5n, 2n ** 40n]);
    expect(Object.isFrozen(t.results)).toBe(true);
  });

  test('a run from an earlier world gives the same results as the first one, and leaves the earlier world as it was', () => {
    // open → fd 3, pread of 16 bytes of a 4,096-byte file → 16, close → 0, nanosleep → 0, then exit.
    const s = new Session();
    s.createFile({ path: '/f', size: 4096 });
    s.populate('/f');
    const pid = s.spawn({ comm: 't', script: [
      { sys: 'open', path: '/f', fd: 'f' }, { sys: 'read', fd: 'f', offset: 0, len: 16 },
      { sys: 'close', fd: 'f' }, { sys: 'sleep', ticks: 1 },
    ] });
    const start = s.world;
    const a = run(start, seededChooser(7));
    const b = run(start, seededChooser(7));
    expect(start.tasks.get(pid)?.results).toEqual([]);
    expect(a.tasks.get(pid)?.results).toEqual([3n, 16n, 0n, 0n]);
    expect(b.tasks.get(pid)?.results).toEqual([3n, 16n, 0n, 0n]);
  });
});
