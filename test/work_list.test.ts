/**
 * A task's task_works as a persistent list (src/model/task/work_list.ts): the kernel's LIFO list
 * (kernel/task_work.c: `task_work_add` links at the head, `task_work_run` detaches the list and walks
 * it from the head, `task_work_cancel` unlinks one), shared by a task's copies instead of copied.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { WorkList } from '../src/model/task/work_list.ts';
import { formatTrace, Session, type Syscall } from '../src/index.ts';

interface W { readonly id: number }

const opsArb = fc.array(fc.oneof(
  { arbitrary: fc.constant({ op: 'add' as const }), weight: 5 },
  // The work at a position of the list, or (at the list's length) one it does not hold.
  { arbitrary: fc.record({ op: fc.constant('remove' as const), at: fc.nat() }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('rest' as const) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('back' as const), at: fc.nat() }), weight: 1 },
), { maxLength: 80, size: 'medium' });

describe('WorkList', () => {
  test('it is the array a LIFO list is (add = unshift, remove = splice, rest = drop the first); every earlier list keeps what it held', () => {
    fc.assert(fc.property(opsArb, (ops) => {
      // Each version made so far, with the array it should hold (an independent model: plain arrays).
      const versions: { list: WorkList<W>; want: readonly W[] }[] = [{ list: WorkList.empty<W>(), want: [] }];
      let cur = versions[0]!;
      let next = 0;
      for (const o of ops) {
        if (o.op === 'add') {
          const w = { id: next++ };
          cur = { list: cur.list.add(w), want: [w, ...cur.want] };
        } else if (o.op === 'remove') {
          const id = cur.want[o.at % (cur.want.length + 1)]?.id ?? next + 1;
          const r = cur.list.remove(id);
          const i = cur.want.findIndex((w) => w.id === id);
          if (i < 0) { expect(r).toBeNull(); continue; }
          expect(r?.work).toBe(cur.want[i]);
          cur = { list: r!.list, want: [...cur.want.slice(0, i), ...cur.want.slice(i + 1)] };
        } else if (o.op === 'rest') {
          expect(cur.list.head).toBe(cur.want[0]);
          cur = { list: cur.list.rest, want: cur.want.slice(1) };
        } else {
          cur = versions[o.at % versions.length]!;
          continue;
        }
        versions.push(cur);
      }
      for (const v of versions) {
        expect(v.list.toArray()).toEqual(v.want);
        expect([...v.list]).toEqual(v.want);
        expect(v.list.length).toBe(v.want.length);
        expect(v.list.head).toBe(v.want[0]);
      }
    }));
  });

  test('the empty list: no head, its rest is empty, nothing to remove', () => {
    const e = WorkList.empty<W>();
    expect(e.head).toBeUndefined();
    expect(e.rest.length).toBe(0);
    expect(e.remove(0)).toBeNull();
    expect(e.add({ id: 1 }).rest).toBe(e);
  });
});

/** A task that queues `n` works it is never told of (`TWA_NONE`), then sleeps. */
function queued(n: number): { s: Session; pid: number } {
  const s = new Session();
  const adds: Syscall[] = Array.from({ length: n }, (_, i) => ({ sys: 'task_work_add', label: `w${i}`, mode: 'TWA_NONE' }));
  const pid = s.spawn({ comm: 'x', script: [...adds, { sys: 'sleep', ticks: 1 }, { sys: 'sleep', ticks: 1 }] });
  // A few steps a syscall (bounded: a list that miscounts must fail here, not hang).
  for (let i = 0; i < 4 * n && s.world.tasks.get(pid)?.works.queue.length !== n; i += 1) s.step();
  expect(s.world.tasks.get(pid)?.works.queue.length).toBe(n);
  return { s, pid };
}

describe("a task's queued works (Task.works.queue)", () => {
  test("a step that leaves the works alone shares the task's list; each world keeps the works its task had then, newest first", () => {
    const { s, pid } = queued(300);
    const w0 = s.world;
    const before = w0.tasks.get(pid)!.works.queue;
    s.step();
    expect(s.world).not.toBe(w0);
    expect(s.world.tasks.get(pid)).not.toBe(w0.tasks.get(pid));
    expect(s.world.tasks.get(pid)!.works.queue).toBe(before);
    expect([...before].map((w) => w.fn.kind === 'note' ? w.fn.label : '?')).toEqual(Array.from({ length: 300 }, (_, i) => `w${299 - i}`));
  });

  test('at exit the works run newest first, each once, and the earlier worlds still hold them', () => {
    const { s, pid } = queued(40);
    const w0 = s.world;
    for (let i = 0; i < 100 && s.world.tasks.get(pid)?.state !== 'dead' && s.world.tasks.get(pid) !== undefined; i += 1) s.step();
    const runs = formatTrace(s.world.trace).split('\n').filter((l) => /task_work run .*note\(/.test(l)).map((l) => /note\((\w+)\)/.exec(l)?.[1]);
    expect(runs).toEqual(Array.from({ length: 40 }, (_, i) => `w${39 - i}`));
    expect(w0.tasks.get(pid)!.works.queue.length).toBe(40);
  });
});
