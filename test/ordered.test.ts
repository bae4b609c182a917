/**
 * The world's tables kept in insertion order (dynptr slots, reads in flight, ring buffers, packets)
 * are `OrderedTree`s (src/model/world/ordered.ts): persistent, cloned in O(1) by a transition's first
 * write. Checked here against a `Map` (the order it iterates in, what it holds), a clone changed
 * apart from its original, the dynptr table's groups (the slots of a call frame) against the rule the
 * scheduler used before (a slot whose name ends in `@<frame>`), and worlds made from one world of many
 * dynptrs (issue 17: a call that makes one costs the same however many the world holds).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { OrderedTree, SMALL } from '../src/model/world/ordered.ts';
import { frameSlot, slotFrame } from '../src/model/dynptr/types.ts';
import { content, describeWorld, formatTrace, Session, type World } from '../src/index.ts';
import { CASE_SCRIPT, caseObject } from '../bench/cases.ts';

/**
 * Slot names as the model makes them (`d@3`, `fp-8@12`), a session's, and ones that only look like a
 * frame's; few of them, so that a key is often set again or deleted while present.
 */
const keyArb = fc.oneof(
  fc.tuple(fc.constantFrom('d', 'fp-8', 'x@y', ''), fc.constantFrom(0, 3, 12)).map(([n, f]) => frameSlot(f, n)),
  fc.constantFrom('d', 'a@', 'a@05', 'a@1e3', 'b@-1', '@', 'q@3x'),
);
/** Changes and clones, each of the copy made `at` (modulo the copies so far: the first table, then each clone). */
const opsArb = fc.array(fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('set' as const), at: fc.nat(), key: keyArb, v: fc.integer() }), weight: 6 },
  { arbitrary: fc.record({ op: fc.constant('delete' as const), at: fc.nat(), key: keyArb }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('clone' as const), at: fc.nat() }), weight: 1 },
), { maxLength: 300, size: 'medium' });

/** The keys of `m` in frame `f` by the scheduler's rule before the groups: the name ends in `@<f>`. */
const endsIn = (m: ReadonlyMap<string, number>, f: number): string[] => [...m.keys()].filter((k) => k.endsWith(`@${f}`));

function expectSame(t: OrderedTree<string, number>, m: Map<string, number>): void {
  expect([...t]).toEqual([...m]);
  expect([...t.keys()]).toEqual([...m.keys()]);
  expect([...t.values()]).toEqual([...m.values()]);
  expect(t.size).toBe(m.size);
  for (let f = 0; f <= 12; f += 1) expect([f, t.keysOf(f)]).toEqual([f, endsIn(m, f)]);
}

describe('OrderedTree', () => {
  test('it holds and iterates what a Map does; a clone and its original each keep their own changes', () => {
    fc.assert(fc.property(opsArb, (ops) => {
      // Each copy with the Map that says what it holds; a clone of any copy adds a pair.
      const pairs: [OrderedTree<string, number>, Map<string, number>][] = [[new OrderedTree<string, number>(slotFrame), new Map()]];
      for (const o of ops) {
        const [t, m] = pairs[o.at % pairs.length] as [OrderedTree<string, number>, Map<string, number>];
        if (o.op === 'clone') pairs.push([t.clone(), new Map(m)]);
        else if (o.op === 'set') { t.set(o.key, o.v); m.set(o.key, o.v); }
        else expect(t.delete(o.key)).toBe(m.delete(o.key));
        for (const key of ['d@0', 'd', 'a@05']) {
          expect(t.get(key)).toBe(m.get(key));
          expect(t.has(key)).toBe(m.has(key));
        }
      }
      // Every copy holds what was done to it, before and after its clones were made, and nothing else.
      for (const [t, m] of pairs) expectSame(t, m);
    }));
  });

  test('insertion numbers, and the keys two copies differ in, are those of the changes made to each (tables small enough for the array and large enough for the trees)', () => {
    // A key's version: a new one at each set (a new entry), the same in a clone (a shared entry).
    interface Model { m: Map<string, { v: number; ver: number; seq: number }>; next: number }
    const manyKeys = fc.oneof(keyArb, fc.nat(24).map((i) => `k${i}`));
    const ops = fc.array(fc.oneof(
      { arbitrary: fc.record({ op: fc.constant('set' as const), at: fc.nat(), key: manyKeys, v: fc.nat(2) }), weight: 6 },
      { arbitrary: fc.record({ op: fc.constant('delete' as const), at: fc.nat(), key: manyKeys }), weight: 3 },
      { arbitrary: fc.record({ op: fc.constant('clone' as const), at: fc.nat() }), weight: 1 },
      { arbitrary: fc.record({ op: fc.constant('clear' as const), at: fc.nat() }), weight: 1 },
    ), { maxLength: 200 });
    fc.assert(fc.property(ops, fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 12 }), (list, pairsToDiff) => {
      let ver = 0;
      const copies: [OrderedTree<string, number>, Model][] = [[new OrderedTree<string, number>(slotFrame), { m: new Map(), next: 0 }]];
      for (const o of list) {
        const [t, model] = copies[o.at % copies.length] as [OrderedTree<string, number>, Model];
        if (o.op === 'clone') copies.push([t.clone(), { m: new Map(model.m), next: model.next }]);
        else if (o.op === 'clear') { t.clear(); model.m.clear(); }
        else if (o.op === 'delete') expect(t.delete(o.key)).toBe(model.m.delete(o.key));
        else {
          t.set(o.key, o.v);
          ver += 1;
          const old = model.m.get(o.key);
          if (old === undefined) { model.m.set(o.key, { v: o.v, ver, seq: model.next }); model.next += 1; }
          else model.m.set(o.key, { v: o.v, ver, seq: old.seq });
        }
      }
      for (const [t, model] of copies) {
        const seqs: [string, number, number][] = [];
        t.forEachSeq((v, key, seq) => { seqs.push([key, v, seq]); });
        expect(seqs).toEqual([...model.m].map(([key, e]) => [key, e.v, e.seq]));
        for (const key of model.m.keys()) expect([key, t.seqOf(key)]).toEqual([key, model.m.get(key)?.seq]);
        expect(t.seqOf('absent')).toBeUndefined();
      }
      for (const [i, j] of pairsToDiff) {
        const [a, ma] = copies[i % copies.length] as [OrderedTree<string, number>, Model];
        const [b, mb] = copies[j % copies.length] as [OrderedTree<string, number>, Model];
        const got: string[] = [];
        OrderedTree.diffKeys(a, b, (key) => { got.push(key); });
        const keys = new Set([...ma.m.keys(), ...mb.m.keys()]);
        const want = [...keys].filter((key) => ma.m.get(key)?.ver !== mb.m.get(key)?.ver);
        expect(got.length).toBe(new Set(got).size);
        expect(got.sort()).toEqual(want.sort());
      }
    }));
  });

  test('two copies of a small table that both outgrow the array still share the entries neither changed', () => {
    const t = new OrderedTree<string, number>();
    for (let i = 0; i < SMALL - 1; i += 1) t.set(`k${i}`, i);
    const u = t.clone();
    for (let i = 0; i < 3; i += 1) {
      t.set(`t${i}`, i);
      u.set(`u${i}`, i);
    }
    u.set('k0', 0);
    const got: string[] = [];
    OrderedTree.diffKeys(t, u, (key) => { got.push(key); });
    expect(got.sort()).toEqual(['k0', 't0', 't1', 't2', 'u0', 'u1', 'u2']);
  });

  test('a table without groups lists none', () => {
    const t = new OrderedTree<string, number>();
    t.set('d@3', 1);
    expect([t.keysOf(3), [...t.keys()]]).toEqual([[], ['d@3']]);
  });
});

describe('dynptr slots of a call frame', () => {
  test('slotFrame names the frame whose slots the old rule (a name ending in @<frame>) gave', () => {
    const slotArb = fc.oneof(fc.string({ unit: fc.constantFrom('a', '@', '0', '1', '5', '-', 'e') }), keyArb);
    fc.assert(fc.property(slotArb, fc.nat(60), (slot, f) => {
      expect([slot, f, slotFrame(slot) === f]).toEqual([slot, f, slot.endsWith(`@${f}`)]);
    }));
  });

  test("a program's end drops its frame's slots and keeps the session's", () => {
    const s = new Session();
    s.createFile({ path: '/bin/driver', content: content.pattern(2), size: 8192 });
    s.createFile({ path: '/tmp/trigger', content: content.pattern(3), size: 4096 });
    s.populate('/tmp/trigger');
    for (const name of ['keep', 'also']) expect(s.bpf_dynptr_from_file(s.open('/tmp/trigger'), 0, name)).toBe(0);
    // lsm/file_open: a FILE dynptr `d` of the opened file in the program's frame, a read, a discard.
    s.load(caseObject());
    s.spawn({ comm: 'driver', exe: '/bin/driver', script: CASE_SCRIPT });
    s.simulate();
    // The program ran (its read is in the trace) and left no slot of its own.
    expect(formatTrace(s.world.trace)).toMatch(/bpf_dynptr_read\(.*\) = 0/);
    expect([...s.world.dynptrs.keys()]).toEqual(['keep', 'also']);
  });
});

describe('a world of many dynptrs', () => {
  test('dynptrs made from one world of 2,000: each new world has its own slot, the earlier one none of them; the order is the order of creation of the slots', () => {
    const s = new Session();
    s.createFile({ path: '/f', content: content.pattern(1), size: 4096 });
    const fd = s.open('/f');
    for (let i = 0; i < 2000; i += 1) expect(s.bpf_dynptr_from_file(fd, 0, `d${i}`)).toBe(0);
    // d5 is discarded (its slot then holds a null dynptr) and made again: it keeps its place, as a
    // present key of a Map does.
    expect(s.bpf_dynptr_file_discard('d5')).toBe(0);
    expect(s.world.dynptrs.get('d5')?.kind).toBe('null');
    expect(s.bpf_dynptr_from_file(fd, 0, 'd5')).toBe(0);
    const w0 = s.world;
    const names = ['a', 'b', 'c', 'd'];
    const made = names.map((name) => {
      s.world = w0;
      expect(s.bpf_dynptr_from_file(fd, 0, name)).toBe(0);
      return s.world;
    });
    const order = Array.from({ length: 2000 }, (_, i) => `d${i}`);
    expect([...w0.dynptrs.keys()]).toEqual(order);
    made.forEach((w, i) => {
      expect([...w.dynptrs.keys()]).toEqual([...order, names[i]]);
      // What a person reads lists them in the same order.
      const listed = describeWorld(w).split('\n').filter((l) => l.startsWith('  dynptr ')).map((l) => l.split(' ')[3]?.replace(/:$/, ''));
      expect(listed).toEqual([...order, names[i]]);
    });
  });
});

describe('a task\'s descriptors (Task.fds)', () => {
  test('step by step, each world keeps the descriptors its task had then; the exit closes them in the order they were opened', () => {
    const s = new Session();
    const paths = ['/c', '/a', '/b', '/d'];
    for (const p of paths) s.createFile({ path: p, content: content.pattern(1), size: 4096 });
    // Names whose sorted order is not the order of the opens.
    const names = ['z', 'a', 'm', 'b'];
    const pid = s.spawn({ comm: 'x', script: [...paths.map((path, i) => ({ sys: 'open' as const, path, fd: names[i] as string })), { sys: 'close', fd: 'a' }, { sys: 'close', fd: 'b' }, { sys: 'open', path: '/a', fd: 'a' }] });
    // Each world and the names its task holds open after the syscalls so far, worked out from the script.
    const seen: [World, string[]][] = [];
    const expected = [['z'], ['z', 'a'], ['z', 'a', 'm'], ['z', 'a', 'm', 'b'], ['z', 'm', 'b'], ['z', 'm'], ['z', 'm', 'a']];
    while (s.world.tasks.get(pid)?.state !== 'dead') {
      s.step();
      const done = s.world.tasks.get(pid)?.results.length ?? 0;
      if (done > 0 && done <= expected.length && seen.length < done) seen.push([s.world, expected[done - 1] as string[]]);
    }
    expect(seen.length).toBe(expected.length);
    for (const [w, open] of seen) expect([...(w.tasks.get(pid)?.fds.keys() ?? [])]).toEqual(open);
    expect(s.world.tasks.get(pid)?.fds.size).toBe(0);
    expect([...(s.world.tasks.get(pid)?.fds.entries() ?? [])]).toEqual([]);
    // close_files: the files in the order of their descriptors (handed out as they were opened).
    const puts = s.trace().split('\n').filter((l) => / put, f_count=0$/.test(l)).map((l) => /file#\d+ (\S+):/.exec(l)?.[1]);
    expect(puts.slice(-3)).toEqual(['/c', '/b', '/a']);
  });

  test('a task that closed every descriptor opens again into a table of its own: no other task, in any world, sees its files', () => {
    // A table left empty by a close (or by the exit) is the table a new task starts with, shared by all
    // (task/record.ts `closeFd`): an open after it must make the task's own again.
    const s = new Session();
    s.createFile({ path: '/f', content: content.pattern(1), size: 4096 });
    const script = [{ sys: 'open' as const, path: '/f', fd: 'a' }, { sys: 'close' as const, fd: 'a' }, { sys: 'open' as const, path: '/f', fd: 'b' }, { sys: 'open' as const, path: '/f', fd: 'c' }, { sys: 'close' as const, fd: 'b' }, { sys: 'sleep' as const, ticks: 1 }];
    const pids = [s.spawn({ comm: 'one', script }), s.spawn({ comm: 'two', script })];
    const fresh = s.spawn({ comm: 'idle', script: [{ sys: 'sleep', ticks: 50 }] });
    // The descriptors each task holds after each of its first five results, from the script (after the
    // sleep's, the exit closes 'c' with no result of its own).
    const expected = [['a'], [], ['b'], ['b', 'c'], ['c']];
    const seen: [World, number, number][] = [];
    for (let n = 0; n < 500 && pids.some((p) => s.world.tasks.get(p)?.state !== 'dead'); n += 1) {
      s.step();
      for (const pid of pids) {
        const done = s.world.tasks.get(pid)?.results.length ?? 0;
        if (done > 0 && done <= expected.length) seen.push([s.world, pid, done]);
      }
    }
    expect(new Set(seen.map(([, pid, done]) => `${pid}:${done}`)).size).toBe(2 * expected.length);
    for (const [w, pid, done] of seen) {
      expect([pid, done, ...(w.tasks.get(pid)?.fds.keys() ?? [])]).toEqual([pid, done, ...(expected[done - 1] as string[])]);
      expect(w.tasks.get(fresh)?.fds.size).toBe(0);
    }
    for (const pid of pids) expect(s.world.tasks.get(pid)?.fds.size).toBe(0);

    // The same in one transition (a run), where a record is copied once: each exit closes what its
    // task still held, 'c' for the two, nothing for the idle task.
    const r = new Session();
    r.createFile({ path: '/f', content: content.pattern(1), size: 4096 });
    const rp = [r.spawn({ comm: 'one', script }), r.spawn({ comm: 'two', script }), r.spawn({ comm: 'idle', script: [{ sys: 'sleep', ticks: 50 }] })];
    r.simulate();
    const closed = r.trace().split('\n').filter((l) => l.includes('exit_files')).map((l) => [/pid (\d+)/.exec(l)?.[1], /(\d+) open file/.exec(l)?.[1]]);
    expect(closed.sort()).toEqual(rp.map((p, i) => [String(p), i < 2 ? '1' : '0']).sort());
  });
});
