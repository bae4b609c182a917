/**
 * The trace's storage (model/world/trace.ts): the frequent events kept as records of slots and made
 * again when read, the others kept as their objects. Whatever is appended, in whatever pieces and
 * from whichever earlier trace, is read back field for field and in the same key order.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { emptyTrace, Trace, TraceBuffer, type TraceEvent } from '../src/model/world/trace.ts';
import type { Syscall, WorkFn } from '../src/model/task/types.ts';

// Times that repeat (most events share the time of the one before) and any other.
const t = fc.oneof(fc.constantFrom(0, 1, 7), fc.nat(1_000_000));
// Pids on both sides of the ones a record's header holds (below 2^21).
const pid = fc.oneof(fc.integer({ min: 0, max: 1 << 22 }), fc.constantFrom((1 << 21) - 1, 1 << 21, 2 ** 40, -3));
const text = fc.string({ maxLength: 12 });
const tr = fc.constantFrom('T0', 'T1', 'T5', 'T6', 'T9' as const);

/** Events of every kind the trace keeps as records, each op and each optional field, in the key order of their emitters; and two kinds kept as objects. */
const event: fc.Arbitrary<TraceEvent> = fc.oneof(
  fc.record({ kind: fc.constant('syscall' as const), t, pid, op: fc.constantFrom('enter' as const, 'restart' as const), call: text }),
  fc.record({ kind: fc.constant('syscall' as const), t, pid, op: fc.constant('exit' as const), call: text, ret: text }),
  fc.record({
    kind: fc.constant('task' as const), t, pid,
    op: fc.constantFrom('spawn', 'fork', 'free', 'sleep', 'wake', 'user', 'exit_mm', 'exit_files', 'exit_task_work', 'dead', 'reap', 'signal_wake' as const),
    // Any text, and the ones a record keeps as a number (but for a sleep, whose number is a time).
    detail: fc.oneof(text, fc.constantFrom('returned to user mode', 'timer expired', '')),
  }),
  fc.record({ kind: fc.constant('task_work' as const), t, pid, op: fc.constantFrom('add', 'run', 'cancel', 'batch', 'exited' as const), work: text, detail: text }),
  fc.record({ kind: fc.constant('task_work' as const), t, pid, op: fc.constantFrom('add', 'run' as const), work: text, detail: text, tr }),
  fc.record({ kind: fc.constant('file' as const), t, op: fc.constantFrom('create', 'open', 'get', 'put', 'free' as const), file: fc.nat(), path: text, count: fc.nat(9) }),
  fc.record({ kind: fc.constant('file' as const), t, op: fc.constantFrom('open', 'put' as const), file: fc.nat(), path: text, count: fc.nat(9), detail: text }),
  fc.record({ kind: fc.constant('sleep' as const), t, reason: text }),
  fc.record({ kind: fc.constant('map' as const), t, op: fc.constant('update' as const), map: text, key: fc.integer({ min: -1, max: 9 }), ret: fc.integer({ min: -30, max: 0 }) }),
);

/** Each event as its JSON text: equal texts are equal fields in the same order. */
const json = (evs: readonly TraceEvent[]): string[] => evs.map((e) => JSON.stringify(e));

describe('the trace keeps its events', () => {
  test('appended in pieces (by a transition\'s buffer, by one made for another trace, as a list, or one by one), on branches: read back in order, at every index', () => {
    const how = fc.constantFrom('list' as const, 'buffer' as const, 'other' as const, 'one' as const);
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(), fc.array(event, { maxLength: 30 }), how, fc.nat()), { maxLength: 8 }), fc.nat(), (steps, probe) => {
      const traces: Trace[] = [emptyTrace];
      const lists: TraceEvent[][] = [[]];
      for (const [from, evs, via, other] of steps) {
        const i = from % traces.length;
        const base = traces[i] as Trace;
        let next: Trace;
        if (via === 'list') {
          next = base.appendAll(evs);
        } else if (via === 'one') {
          // A kfunc call's transition: one event, kept as its object without a buffer (`append`).
          next = base;
          for (const ev of evs) next = next.append(ev);
        } else {
          // A buffer counts its records as if it followed the trace it was made for.
          const buf = new TraceBuffer(via === 'buffer' ? base : (traces[other % traces.length] as Trace));
          for (const ev of evs) buf.push(ev);
          next = base.appendBuffer(buf);
        }
        traces.push(next);
        lists.push([...(lists[i] as TraceEvent[]), ...evs]);
      }
      traces.forEach((tr, i) => {
        const want = lists[i] as TraceEvent[];
        expect(tr.length).toBe(want.length);
        expect(json(tr.toArray())).toEqual(json(want));
        const j = want.length === 0 ? 0 : probe % want.length;
        expect(json(tr.from(j))).toEqual(json(want.slice(j)));
        for (let k = 0; k < want.length; k += 1) expect(JSON.stringify(tr.at(k))).toBe(JSON.stringify(want[k]));
        expect(tr.at(want.length)).toBeUndefined();
      });
    }), { numRuns: 150 });
  });

  test('a buffer made for one trace and appended to another counts its records from the other one\'s end', () => {
    const a = emptyTrace.appendAll([{ kind: 'sleep', t: 0, reason: 'x' }]);
    const b = emptyTrace.appendAll([{ kind: 'task', t: 1, pid: 2, op: 'user', detail: 'y' }, { kind: 'syscall', t: 1, pid: 2, op: 'enter', call: 'z' }]);
    const buf = new TraceBuffer(a);
    const ev: TraceEvent = { kind: 'file', t: 2, op: 'get', file: 3, path: '/p', count: 2 };
    buf.push(ev);
    const c = b.appendBuffer(buf);
    expect(c.at(2)).toEqual(ev);
    expect(c.from(1).map((e) => e.kind)).toEqual(['syscall', 'file']);
  });

  test('a buffer made for a trace of as many slots but other events is indexed again from the one it is appended to', () => {
    // One record of 3 slots (its header, which holds its pid; its t; its call) against 3 events of one slot each.
    const a = emptyTrace.appendAll([{ kind: 'syscall', t: 0, pid: 1, op: 'enter', call: 'c' }]);
    const b = emptyTrace.appendAll(Array.from({ length: 3 }, (_, i): TraceEvent => ({ kind: 'sleep', t: i, reason: `b${i}` })));
    expect(a.slots).toBe(b.slots);
    const evs = Array.from({ length: 40 }, (_, i): TraceEvent => (i % 2 === 0 ? { kind: 'sleep', t: i, reason: `r${i}` } : { kind: 'task', t: i, pid: 3, op: 'user', detail: 'u' }));
    const buf = new TraceBuffer(a);
    for (const ev of evs) buf.push(ev);
    const c = b.appendBuffer(buf);
    const want = [...b.toArray(), ...evs];
    for (let k = 0; k < want.length; k += 1) expect(JSON.stringify(c.at(k))).toBe(JSON.stringify(want[k]));
    expect(json(c.from(17))).toEqual(json(want.slice(17)));
  });

  test('a long run\'s events (several chunks of slots) read back', () => {
    const evs: TraceEvent[] = Array.from({ length: 20_000 }, (_, i) => (i % 3 === 0
      ? { kind: 'syscall', t: i, pid: i % 97, op: 'exit', call: `c${i % 7}`, ret: String(i % 5) }
      : i % 3 === 1 ? { kind: 'task', t: i, pid: i % 97, op: 'user', detail: 'returned to user mode' } : { kind: 'sleep', t: i, reason: `r${i}` }));
    const buf = new TraceBuffer(emptyTrace);
    for (const ev of evs) buf.push(ev);
    const tr = emptyTrace.appendBuffer(buf);
    expect(tr.length).toBe(evs.length);
    expect(tr.toArray()).toEqual(evs);
    expect(tr.at(12_345)).toEqual(evs[12_345]);
    expect(tr.from(19_990)).toEqual(evs.slice(19_990));
    // The same events in a buffer made for another trace: taken out of its chunks and written again.
    const other = emptyTrace.appendAll([{ kind: 'sleep', t: 0, reason: 'first' }]);
    const again = new TraceBuffer(emptyTrace);
    for (const ev of evs) again.push(ev);
    const tr2 = other.appendBuffer(again);
    expect(tr2.length).toBe(evs.length + 1);
    expect(tr2.from(1)).toEqual(evs);
    expect(tr2.at(12_346)).toEqual(evs[12_345]);
  });

  test('a syscall record given its return value as a number reads back with the value\'s decimal text, as if the text had been given', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), t), { minLength: 1, maxLength: 400 }), (rets) => {
      const buf = new TraceBuffer(emptyTrace);
      for (const [ret, at] of rets) buf.syscall(at, 7, 'exit', 'c', ret);
      const got = emptyTrace.appendBuffer(buf).toArray();
      // The text written out from the number by hand: its sign, then its digits.
      const text = (n: number): string => (n < 0 ? '-' : '') + [...Array.from({ length: 10 }, (_, d) => Math.floor(Math.abs(n) / 10 ** (9 - d)) % 10)].join('').replace(/^0+(?=.)/, '');
      expect(got).toEqual(rets.map(([ret, at]) => ({ kind: 'syscall', t: at, pid: 7, op: 'exit', call: 'c', ret: text(ret) })));
    }), { numRuns: 60 });
  });

  test('a syscall record given the syscall itself reads back with the syscall\'s text, as if the text had been given', () => {
    // The texts as the trace writes them (model/task/describe.ts), written out here by hand.
    const calls: [Syscall, string][] = [
      [{ sys: 'open', path: '/f', fd: 'f' }, 'open("/f") as f'],
      [{ sys: 'open', path: '/f', fd: 'g', flags: 'O_RDWR|O_APPEND' }, 'open("/f", O_RDWR|O_APPEND) as g'],
      [{ sys: 'read', fd: 'f', offset: 0, len: 16 }, 'pread(f, 16, 0)'],
      [{ sys: 'sleep', ticks: 2 }, 'nanosleep(2)'],
      [{ sys: 'exit' }, 'exit()'],
    ];
    const given = new TraceBuffer(emptyTrace);
    const want: TraceEvent[] = [];
    calls.forEach(([sys, text], i) => {
      given.syscall(i, 5, 'enter', sys);
      given.syscall(i, 5, 'exit', sys, String(-i));
      given.syscall(i, 5, 'restart', sys);
      want.push({ kind: 'syscall', t: i, pid: 5, op: 'enter', call: text }, { kind: 'syscall', t: i, pid: 5, op: 'exit', call: text, ret: String(-i) }, { kind: 'syscall', t: i, pid: 5, op: 'restart', call: text });
    });
    const tr = emptyTrace.appendBuffer(given);
    expect(json(tr.toArray())).toEqual(json(want));
    expect(JSON.stringify(tr.at(7))).toBe(JSON.stringify(want[7]));
  });

  test('a timer sleep\'s record, given the time it ends, reads back with its detail\'s text, among other events', () => {
    // The text as the trace writes it (model/task/describe.ts), written out here by hand.
    fc.assert(fc.property(fc.array(fc.oneof(fc.record({ until: fc.oneof(fc.nat(), fc.constant(2 ** 40)), t, pid }), event), { maxLength: 40 }), (items) => {
      const buf = new TraceBuffer(emptyTrace);
      const want: TraceEvent[] = [];
      for (const it of items) {
        if ('until' in it) {
          buf.timerSleep(it.t, it.pid, it.until);
          want.push({ kind: 'task', t: it.t, pid: it.pid, op: 'sleep', detail: `interruptible until t=${it.until}` });
        } else {
          buf.push(it);
          want.push(it);
        }
      }
      const tr = emptyTrace.appendBuffer(buf);
      expect(json(tr.toArray())).toEqual(json(want));
      for (let k = 0; k < want.length; k += 1) expect(JSON.stringify(tr.at(k))).toBe(JSON.stringify(want[k]));
    }), { numRuns: 150 });
  });

  test('a task_work record given the work\'s function reads back with its text, as if the text had been given', () => {
    const works: [WorkFn, string][] = [
      [{ kind: 'fput', file: 12 }, '____fput(file#12)'],
      [{ kind: 'bpf_task_work', ctx: 3 }, 'bpf_task_work_callback(ctx#3)'],
      [{ kind: 'note', label: 'a', then: { label: 'b', mode: 'TWA_RESUME' } }, 'note(a)'],
    ];
    const given = new TraceBuffer(emptyTrace);
    const want: TraceEvent[] = [];
    works.forEach(([fn, text], i) => {
      given.taskWork(i, 2, 'add', fn, 'TWA_RESUME = 0');
      given.taskWork(i, 2, 'run', fn, '', 'T5');
      given.taskWork(i, 2, 'cancel', fn, '');
      want.push({ kind: 'task_work', t: i, pid: 2, op: 'add', work: text, detail: 'TWA_RESUME = 0' }, { kind: 'task_work', t: i, pid: 2, op: 'run', work: text, detail: '', tr: 'T5' }, { kind: 'task_work', t: i, pid: 2, op: 'cancel', work: text, detail: '' });
    });
    const tr = emptyTrace.appendBuffer(given);
    expect(json(tr.toArray())).toEqual(json(want));
    expect(JSON.stringify(tr.at(4))).toBe(JSON.stringify(want[4]));
  });
});
