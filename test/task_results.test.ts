/**
 * A task's syscall results (src/model/task/record.ts): a persistent list, newest first, that a task's
 * copies share. Each copy records its own results; every earlier copy keeps what it had; a value of
 * any 64-bit return, in an int's range or not, reads back exactly as it was recorded.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { TaskRecord } from '../src/model/task/record.ts';
import { run, seededChooser, Session } from '../src/index.ts';

/** Returns of every width a syscall may give (a long), the edges of an int's range most often. */
const retArb = fc.oneof(
  fc.constantFrom(0n, -1n, 2n ** 31n - 1n, 2n ** 31n, -(2n ** 31n), -(2n ** 31n) - 1n, 2n ** 63n - 1n, -(2n ** 63n)),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  fc.integer().map(BigInt),
);

const newTask = (): TaskRecord => new TaskRecord({ pid: 1, comm: 't', mm: null, script: [] });

describe('a task record\'s results', () => {
  test('each copy records its own results, in order, exactly; every earlier copy keeps what it held', () => {
    // A tree of copies: each op copies one version made so far and records returns on the copy.
    const opsArb = fc.array(fc.record({ from: fc.nat(), rets: fc.array(retArb, { maxLength: 6 }) }), { maxLength: 30 });
    fc.assert(fc.property(opsArb, (ops) => {
      const versions: { task: TaskRecord; want: bigint[] }[] = [{ task: newTask(), want: [] }];
      for (const o of ops) {
        const base = versions[o.from % versions.length]!;
        const task = base.task.clone();
        // Read before the new results, so that a stale read would show.
        expect(task.results).toEqual(base.want);
        for (const r of o.rets) task.addResult(r);
        versions.push({ task, want: [...base.want, ...o.rets] });
      }
      for (const v of versions) {
        expect(v.task.results).toEqual(v.want);
        expect(v.task.results.every((r) => typeof r === 'bigint')).toBe(true);
      }
    }));
  });

  test('results read before more are recorded are not changed by them', () => {
    const t = newTask();
    t.addResult(5n);
    const before = t.results;
    t.addResult(2n ** 40n);
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
