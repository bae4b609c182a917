/**
 * Determinism of the scheduler (semantics/task_work.md §8.9: every nondeterministic point is an
 * explicit choice): the same seed gives a byte-identical trace, the recorded choices replay the same
 * run, the default chooser is index 0 at every step, and different seeds explore different schedules.
 */
import fc from 'fast-check';
import seedrandom from 'seedrandom';
import { describe, expect, test } from 'vitest';
import { Arc4Stream } from '../src/scheduler/chooser.ts';
import {
  content, defaultChooser, formatTrace, listChooser, program as P, readyActions, refSnapshot, seededChooser, Session,
  type BpfObject, type Chooser, type Syscall,
} from '../src/index.ts';

const { r, imm, NULL, map, tw, cb, call, store, label, goto, ret, when, dynptr, buf } = P;

const EXE = '/bin/app';
const TRIGGER = '/tmp/trigger';

/** `lsm/file_open` schedules signal task_work on `m[0]` (HASH); the callback reads its exe (cold: I/O). */
const OBJ: BpfObject = {
  name: 'det',
  maps: [{ name: 'm', type: 'hash', maxEntries: 1, valueSize: 8, taskWorkFields: 1 }],
  globals: [{ name: 'runs', kind: 'int' }, { name: 'byte', kind: 'bytes', size: 1 }, { name: 'val', kind: 'bytes', size: 16 }],
  programs: [{
    name: 'hook', section: 'lsm/file_open', body: [
      call('bpf_map_update_elem', [map('m'), imm(0), buf('val'), imm(1)], 'r0'),
      call('bpf_map_lookup_elem', [map('m'), imm(0)], 'r6'),
      goto('out', when('r6', '==', NULL)),
      call('bpf_get_current_task_btf', [], 'r7'),
      call('bpf_task_work_schedule_signal_impl', [r('r7'), tw('r6'), map('m'), cb('cb'), NULL], 'r0'),
      label('out'),
      ret(imm(0)),
    ],
  }],
  subprogs: [{
    name: 'cb', isStatic: true, body: [
      call('bpf_get_current_task_btf', [], 'r6'),
      call('bpf_get_task_exe_file', [r('r6')], 'r7'),
      goto('out', when('r7', '==', NULL)),
      call('bpf_dynptr_from_file', [r('r7'), imm(0), dynptr('d')], 'r0'),
      call('bpf_dynptr_read', [buf('byte'), imm(1), dynptr('d'), imm(4096), imm(0)], 'r0'),
      call('bpf_dynptr_file_discard', [dynptr('d')]),
      call('bpf_put_file', [r('r7')]),
      store('runs', imm(1)),
      label('out'),
      ret(imm(0)),
    ],
  }],
};

const open = (fd: string): Syscall => ({ sys: 'open', path: TRIGGER, fd });
const close = (fd: string): Syscall => ({ sys: 'close', fd });

/** Two tasks contending for one slot, with a delete, an update, sleeps and a read of a cold file. */
function scenario(): Session {
  const s = new Session();
  s.createFile({ path: EXE, content: content.pattern(3), size: 3 * 4096 });
  s.createFile({ path: TRIGGER, content: content.zero(), size: 16 });
  s.load(OBJ);
  s.spawn({ comm: 'a', exe: EXE, script: [open('t'), close('t'), { sys: 'task_work_add', label: 'n', mode: 'TWA_SIGNAL' }, open('u'), { sys: 'map_delete', map: 'm', key: 0 }, close('u'), { sys: 'sleep', ticks: 2 }, open('t'), close('t')] });
  s.spawn({ comm: 'b', exe: EXE, script: [{ sys: 'sleep', ticks: 1 }, open('t'), { sys: 'read', fd: 't', offset: 0, len: 16 }, { sys: 'map_update', map: 'm', key: 0 }, close('t'), open('t'), close('t'), { sys: 'map_close', map: 'm' }] });
  return s;
}

const traceOf = (s: Session): string => formatTrace(s.world.trace);
const runWith = (chooser: Chooser): Session => scenario().simulate(chooser);

describe('determinism', () => {
  test('the same seed gives a byte-identical trace, world clock and choices', () => {
    for (const seed of ['alpha', 'beta', 42]) {
      const a = runWith(seededChooser(seed));
      const b = runWith(seededChooser(seed));
      expect(traceOf(b)).toBe(traceOf(a));
      expect(b.world.choices).toEqual(a.world.choices);
      expect(b.world.clock.now).toBe(a.world.clock.now);
      expect(refSnapshot(b.world)).toEqual(refSnapshot(a.world));
    }
  });

  test('replaying world.choices with listChooser reproduces the identical trace', () => {
    for (let i = 0; i < 10; i += 1) {
      const a = runWith(seededChooser(`replay-${i}`));
      const b = runWith(listChooser(a.world.choices));
      expect(traceOf(b)).toBe(traceOf(a));
      expect(b.world.choices).toEqual(a.world.choices);
    }
  });

  test('stepping one action at a time with the same chooser gives the same world as simulate()', () => {
    const a = runWith(seededChooser('steps'));
    const b = scenario();
    const chooser = seededChooser('steps');
    let n = 0;
    while (b.step(chooser)) n += 1;
    expect(n).toBe(a.world.choices.length);
    expect(traceOf(b)).toBe(traceOf(a));
  });

  test('the default chooser takes index 0 at every step, and listChooser past its end does too', () => {
    const d = runWith(defaultChooser);
    expect(d.world.choices.every((c) => c === 0)).toBe(true);
    const l = runWith(listChooser([]));
    expect(traceOf(l)).toBe(traceOf(d));
    // A prefix of choices then the default.
    const seeded = runWith(seededChooser('prefix'));
    const prefix = seeded.world.choices.slice(0, 5);
    const p = runWith(listChooser(prefix));
    expect(p.world.choices.slice(0, 5)).toEqual(prefix);
    expect(p.world.choices.slice(5).every((c) => c === 0)).toBe(true);
  });

  test('different seeds give different schedules for a 2-task scenario', () => {
    const traces = new Set<string>();
    const choices = new Set<string>();
    for (let i = 0; i < 16; i += 1) {
      const s = runWith(seededChooser(i));
      traces.add(traceOf(s));
      choices.add(s.world.choices.join(','));
    }
    expect(choices.size).toBeGreaterThan(1);
    expect(traces.size).toBeGreaterThan(1);
  });

  test('every run, whatever the seed, ends quiescent with the references back at baseline', () => {
    for (let i = 0; i < 16; i += 1) {
      const s = runWith(seededChooser(`q-${i}`));
      expect(readyActions(s.world)).toEqual([]);
      const snap = refSnapshot(s.world);
      expect(Object.values(snap.progs)).toEqual([1]);
      expect(Object.values(snap.tasks).every((u) => u === 0)).toBe(true);
      expect(snap).toMatchObject({ twctx: {}, irqWork: 0, taskWorks: 0, ioInFlight: 0, liveFileStates: 0, folioRefs: 0 });
      expect(Object.values(snap.files).every((c) => c === 0)).toBe(true);
    }
  });
});

describe('seededChooser', () => {
  test('draws the numbers seedrandom draws for the stream `${seed}/${purpose}`', () => {
    // seedrandom itself is the oracle: the chooser makes its values from seedrandom's ARC4 state.
    // A count of 2^53 compares nearly every bit of a value, not only its first few.
    const count = fc.oneof(fc.integer({ min: 1, max: 1000 }), fc.constant(2 ** 53));
    fc.assert(fc.property(fc.string(), fc.array(count, { minLength: 1, maxLength: 600 }), (seed, counts) => {
      const lib = seedrandom(seed);
      const mine = new Arc4Stream(seed);
      for (const n of counts) expect(mine.below(n)).toBe(Math.floor(lib() * n));
    }), { numRuns: 60 });
  });

  test('each purpose has its own stream: index floor(value × n) of that stream', () => {
    const c = seededChooser(7);
    const step = seedrandom('7/step');
    const other = seedrandom('7/other');
    for (let i = 0; i < 500; i += 1) {
      const n = 1 + (i % 13);
      expect(c.choose('step', n)).toBe(Math.floor(step() * n));
      if (i % 3 === 0) expect(c.choose('other', n + 1)).toBe(Math.floor(other() * (n + 1)));
    }
  });
});

describe('the ready actions (default first)', () => {
  test('irq_work first, then the task that ran last, then the others by pid, then the earliest timed events', () => {
    const s = scenario();
    // Nothing ran yet: both tasks, by pid.
    expect(readyActions(s.world)).toEqual([{ kind: 'task', pid: 100 }, { kind: 'task', pid: 101 }]);
    // Let b (101) run first: it goes to sleep until t=1; a is then the only task, the timer follows.
    s.step(listChooser([1]));
    expect(readyActions(s.world)).toEqual([{ kind: 'task', pid: 100 }, { kind: 'timer', pid: 101, at: 1 }]);
    // a opens the trigger: the hook queues an irq_work; at the end of open, irq_work comes first,
    // then a (the task that ran last), then the timer.
    s.step(listChooser([0]));
    expect(readyActions(s.world).map((x) => x.kind)).toEqual(['irq', 'task', 'timer']);
    expect(readyActions(s.world)[1]).toEqual({ kind: 'task', pid: 100 });
  });

  test('a choice index is taken modulo the number of ready actions', () => {
    const a = scenario();
    a.step(listChooser([3])); // 2 actions: 3 % 2 = 1 → task 101
    const b = scenario();
    b.step(listChooser([1]));
    expect(traceOf(a)).toBe(traceOf(b));
    expect(a.world.current).toBe(101);
  });
});
