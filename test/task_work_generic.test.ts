/**
 * The kernel's generic task_work (semantics/task_work.md §3.2, §4; §8 items 4-6), driven through the
 * scheduler with `note` works (the `task_work_add` syscall of a task script) and, for works queued
 * by someone else, `taskWorkAdd` inside a session transition.
 *
 * Every expected value is taken from the semantics documents, not from model output.
 */
import { describe, expect, test } from 'vitest';
import { content, ESRCH, EBADF, listChooser, readyActions, refSnapshot, Session, type Syscall, type TraceEvent } from '../src/index.ts';
import { taskWorkAdd, taskWorkCancel } from '../src/task_work/queue.ts';
import type { TwaMode } from '../src/model/task/types.ts';

const EXE = '/bin/app';
const DATA = '/data/cold';

function newSession(): Session {
  const s = new Session();
  s.createFile({ path: EXE, content: content.pattern(1), size: 3 * 4096 });
  s.createFile({ path: DATA, content: content.pattern(2), size: 2 * 4096 });
  return s;
}

type TwEvent = Extract<TraceEvent, { kind: 'task_work' }>;
type SysEvent = Extract<TraceEvent, { kind: 'syscall' }>;

/** Labels of the note works in the order the task ran them. */
function runOrder(s: Session, pid?: number): string[] {
  return s.events()
    .filter((e): e is TwEvent => e.kind === 'task_work' && e.op === 'run' && (pid === undefined || e.pid === pid))
    .map((e) => e.work)
    .filter((w) => w.startsWith('note('))
    .map((w) => w.slice(5, -1));
}

const idx = (evs: TraceEvent[], pred: (e: TraceEvent) => boolean): number => evs.findIndex(pred);
const runOf = (label: string) => (e: TraceEvent): boolean => e.kind === 'task_work' && e.op === 'run' && e.work === `note(${label})`;
const sysExit = (pid: number, n: number) => (evs: TraceEvent[]): number => {
  let seen = 0;
  return evs.findIndex((e) => e.kind === 'syscall' && e.pid === pid && e.op === 'exit' && ++seen === n);
};

const add = (label: string, mode: TwaMode, then?: { label: string; mode: TwaMode }): Syscall =>
  then === undefined ? { sys: 'task_work_add', label, mode } : { sys: 'task_work_add', label, mode, then };

/** The reference counts every scenario must return to (nothing held, nothing queued). */
function expectQuiet(s: Session): void {
  const snap = refSnapshot(s.world);
  expect(snap.irqWork).toBe(0);
  expect(snap.taskWorks).toBe(0);
  expect(Object.values(snap.tasks).every((u) => u === 0)).toBe(true);
  expect(Object.values(snap.files).every((c) => c === 0)).toBe(true);
  expect(snap.twctx).toEqual({});
}

describe('ordering: LIFO per batch, works added during a run go to the next batch', () => {
  test('works run newest first (task_work_add pushes at the list head)', () => {
    const s = newSession();
    const A = s.spawn({ comm: 'a', exe: EXE, script: [add('a', 'TWA_NONE'), add('b', 'TWA_NONE'), add('c', 'TWA_RESUME')] });
    s.simulate();
    // §4.1: "Run the taken works in list order, newest first".
    expect(runOrder(s, A)).toEqual(['c', 'b', 'a']);
    // One batch took all three (a single atomic take of the whole list).
    const batches = s.events().filter((e): e is TwEvent => e.kind === 'task_work' && e.op === 'batch' && e.work.includes('note('));
    expect(batches).toHaveLength(1);
    expectQuiet(s);
  });

  test('a work added by a running work runs in the next round, after the rest of the current batch', () => {
    const s = newSession();
    const A = s.spawn({
      comm: 'a', exe: EXE,
      script: [add('a', 'TWA_NONE'), add('b', 'TWA_NONE', { label: 'b-child', mode: 'TWA_NONE' }), add('c', 'TWA_RESUME')],
    });
    s.simulate();
    // Batch 1 is [c, b, a]; b adds b-child to the fresh list, which the next outer iteration takes
    // (§4.1), so b-child runs after a even though it is the newest work.
    expect(runOrder(s, A)).toEqual(['c', 'b', 'a', 'b-child']);
    // And it still ran in the same return to user mode (task_work_run drains until empty).
    const evs = s.events();
    const child = idx(evs, runOf('b-child'));
    const nextUser = evs.findIndex((e, i) => i > idx(evs, runOf('c')) && e.kind === 'task' && e.op === 'user');
    expect(child).toBeLessThan(nextUser);
    expectQuiet(s);
  });

  test('a chain of works each adding one more is drained in the same pass', () => {
    const s = newSession();
    const A = s.spawn({ comm: 'a', exe: EXE, script: [add('x', 'TWA_RESUME', { label: 'y', mode: 'TWA_SIGNAL' }), add('z', 'TWA_NONE')] });
    s.simulate();
    const evs = s.events();
    const firstExit = sysExit(A, 1)(evs);
    const secondEnter = evs.findIndex((e) => e.kind === 'syscall' && e.op === 'enter' && e.call.includes('z'));
    expect(idx(evs, runOf('x'))).toBeGreaterThan(firstExit);
    expect(idx(evs, runOf('y'))).toBeGreaterThan(idx(evs, runOf('x')));
    expect(idx(evs, runOf('y'))).toBeLessThan(secondEnter);
    expectQuiet(s);
  });
});

describe('notification modes', () => {
  test('TWA_NONE does not run at return to user mode; it runs when another flag triggers task_work_run', () => {
    const s = newSession();
    const A = s.spawn({
      comm: 'a', exe: EXE,
      script: [add('quiet', 'TWA_NONE'), { sys: 'close', fd: 'none' }, { sys: 'close', fd: 'none' }, add('loud', 'TWA_RESUME'), { sys: 'close', fd: 'none' }],
    });
    s.simulate();
    const evs = s.events();
    const quietRun = idx(evs, runOf('quiet'));
    // §4.2: TWA_NONE "Runs only when something else calls task_work_run".
    expect(quietRun).toBeGreaterThan(sysExit(A, 3)(evs));
    // It runs at the return to user mode of the TWA_RESUME add (the 4th syscall), with that work,
    // newest first.
    expect(quietRun).toBeGreaterThan(sysExit(A, 4)(evs));
    expect(quietRun).toBeLessThan(sysExit(A, 5)(evs));
    expect(runOrder(s, A)).toEqual(['loud', 'quiet']);
    expect(s.taskResults(A)).toEqual([0n, BigInt(-EBADF), BigInt(-EBADF), 0n, BigInt(-EBADF)]);
    expectQuiet(s);
  });

  test('TWA_RESUME runs at the very next return to user mode, before the next syscall', () => {
    const s = newSession();
    const A = s.spawn({ comm: 'a', exe: EXE, script: [add('r', 'TWA_RESUME'), { sys: 'close', fd: 'none' }] });
    s.simulate();
    const evs = s.events();
    const run = idx(evs, runOf('r'));
    expect(run).toBeGreaterThan(sysExit(A, 1)(evs));
    const user = evs.findIndex((e, i) => i > run && e.kind === 'task' && e.pid === A && e.op === 'user');
    const nextEnter = evs.findIndex((e, i) => i > sysExit(A, 1)(evs) && e.kind === 'syscall' && e.op === 'enter');
    expect(run).toBeLessThan(user);
    expect(user).toBeLessThan(nextEnter);
    expectQuiet(s);
  });

  test('whichever flag is handled first drains works of both modes in one batch', () => {
    const s = newSession();
    const A = s.spawn({ comm: 'a', exe: EXE, script: [{ sys: 'sleep', ticks: 50 }] });
    s.step(); // A sleeps (interruptible) until t=50
    expect(s.taskState(A)).toBe('interruptible');
    s.run((k) => taskWorkAdd(k, A, { kind: 'note', label: 'resume' }, 'TWA_RESUME'));
    s.run((k) => taskWorkAdd(k, A, { kind: 'note', label: 'signal' }, 'TWA_SIGNAL'));
    s.simulate();
    expect(runOrder(s, A)).toEqual(['signal', 'resume']);
    const batches = s.events().filter((e): e is TwEvent => e.kind === 'task_work' && e.op === 'batch' && e.work.includes('note('));
    expect(batches).toHaveLength(1);
    expectQuiet(s);
  });
});

describe('TWA_SIGNAL breaks an interruptible sleep, TWA_RESUME does not', () => {
  const SLEEP = 100;

  function sleeperAndPoker(mode: TwaMode): { s: Session; A: number } {
    const s = newSession();
    const A = s.spawn({ comm: 'sleeper', exe: EXE, script: [{ sys: 'sleep', ticks: SLEEP }] });
    const B = s.spawn({ comm: 'poker', exe: EXE, script: [{ sys: 'close', fd: 'none' }] });
    s.step(); // A enters nanosleep and blocks
    expect(s.taskState(A)).toBe('interruptible');
    // B (running on another CPU) queues a work on the sleeper.
    const r = s.run((k) => taskWorkAdd(k, A, { kind: 'note', label: 'poke' }, mode).ret);
    expect(r).toBe(0);
    expect(B).toBeGreaterThan(A);
    return { s, A };
  }

  test('TWA_SIGNAL: woken before the timer, the syscall restarts, the work runs, the sleep continues to its original end', () => {
    const { s, A } = sleeperAndPoker('TWA_SIGNAL');
    // §4.2: set_notify_signal wakes a TASK_INTERRUPTIBLE target.
    expect(s.taskState(A)).toBe('runnable');
    s.simulate();
    const evs = s.events();
    const run = evs.find(runOf('poke'));
    // The work ran at t=0, long before the timer.
    expect(run?.t).toBe(0);
    // §4.3: no real signal is pending, so the syscall is restarted, not failed with EINTR.
    const restart = evs.findIndex((e) => e.kind === 'syscall' && e.pid === A && e.op === 'restart');
    expect(restart).toBeGreaterThanOrEqual(0);
    expect(restart).toBeLessThan(evs.findIndex(runOf('poke')));
    // The restarted nanosleep ends at the original end time, and user space sees success.
    const exit = evs.find((e): e is SysEvent => e.kind === 'syscall' && e.pid === A && e.op === 'exit' && e.call.startsWith('nanosleep'));
    expect(exit?.t).toBe(SLEEP);
    expect(exit?.ret).toBe('0');
    expect(s.taskResults(A)[0]).toBe(0n);
    expectQuiet(s);
  });

  test('TWA_RESUME: the sleeper is not woken; the work runs when the sleep ends by itself', () => {
    const { s, A } = sleeperAndPoker('TWA_RESUME');
    // §4.2: "A blocked task is not woken".
    expect(s.taskState(A)).toBe('interruptible');
    s.simulate();
    const evs = s.events();
    expect(evs.some((e) => e.kind === 'syscall' && e.pid === A && e.op === 'restart')).toBe(false);
    const run = evs.findIndex(runOf('poke'));
    const exit = evs.findIndex((e) => e.kind === 'syscall' && e.pid === A && e.op === 'exit' && e.call.startsWith('nanosleep'));
    expect(evs[run]?.t).toBe(SLEEP);
    expect(run).toBeGreaterThan(exit);
    expectQuiet(s);
  });

  test('TWA_NONE does not wake the sleeper either, and the work waits for some later task_work_run', () => {
    const { s, A } = sleeperAndPoker('TWA_NONE');
    expect(s.taskState(A)).toBe('interruptible');
    s.simulate();
    const evs = s.events();
    const run = evs.findIndex(runOf('poke'));
    // Nothing else set a flag: it runs only in exit_task_work.
    const exitTw = evs.findIndex((e) => e.kind === 'task' && e.pid === A && e.op === 'exit_task_work');
    expect(run).toBeGreaterThan(exitTw);
    expectQuiet(s);
  });

  test('TWA_SIGNAL does not interrupt an uninterruptible (I/O) wait', () => {
    const s = newSession();
    const A = s.spawn({ comm: 'reader', exe: EXE, script: [{ sys: 'open', path: DATA, fd: 'd' }, { sys: 'read', fd: 'd', offset: 0, len: 4096 }, { sys: 'close', fd: 'd' }] });
    while (s.taskState(A) !== 'io_wait') s.step();
    s.run((k) => taskWorkAdd(k, A, { kind: 'note', label: 'sig' }, 'TWA_SIGNAL'));
    // §4.4: "TASK_UNINTERRUPTIBLE sleeper: neither mode interrupts it."
    expect(s.taskState(A)).toBe('io_wait');
    // The only ready actions are I/O completions (the readahead window's reads, all due at once).
    const ready = readyActions(s.world).map((a) => a.kind);
    expect(ready.length).toBeGreaterThan(0);
    expect(ready.every((kind) => kind === 'io')).toBe(true);
    s.simulate();
    const evs = s.events();
    const readExit = evs.findIndex((e) => e.kind === 'syscall' && e.pid === A && e.op === 'exit' && e.call.startsWith('pread'));
    expect(evs.findIndex(runOf('sig'))).toBeGreaterThan(readExit);
    expect(s.taskResults(A)[1]).toBe(4096n);
    expectQuiet(s);
  });

  // §4.2: "`signal_pending()` is true while TIF_NOTIFY_SIGNAL is set, so interruptible sleeps are
  // broken"; §8.5. A task that enters nanosleep while TIF_NOTIFY_SIGNAL is already set must not sleep.
  test('TWA_SIGNAL pending when an interruptible sleep starts: the sleep is broken at once', () => {
    const s = newSession();
    const A = s.spawn({ comm: 'a', exe: EXE, script: [{ sys: 'close', fd: 'none' }, { sys: 'sleep', ticks: SLEEP }] });
    s.step(); // close: to the end of the syscall
    s.step(); // back in user mode
    expect(s.world.tasks.get(A)?.stack).toHaveLength(0);
    s.run((k) => taskWorkAdd(k, A, { kind: 'note', label: 'early' }, 'TWA_SIGNAL'));
    s.simulate();
    const run = s.events().find(runOf('early'));
    expect(run?.t).toBe(0);
  });
});

describe('exit', () => {
  test('exit_task_work runs pending works after exit_mm and exit_files; then task_work_add returns -ESRCH', () => {
    const s = newSession();
    const A = s.spawn({ comm: 'a', exe: EXE, script: [add('pending', 'TWA_NONE'), { sys: 'open', path: DATA, fd: 'd' }] });
    s.simulate();
    const evs = s.events();
    const exitMm = evs.findIndex((e) => e.kind === 'task' && e.pid === A && e.op === 'exit_mm');
    const exitFiles = evs.findIndex((e) => e.kind === 'task' && e.pid === A && e.op === 'exit_files');
    const exitTw = evs.findIndex((e) => e.kind === 'task' && e.pid === A && e.op === 'exit_task_work');
    const run = evs.findIndex(runOf('pending'));
    const dead = evs.findIndex((e) => e.kind === 'task' && e.pid === A && e.op === 'dead');
    // §4.5 order: exit_mm, …, exit_files, …, exit_task_work.
    expect(exitMm).toBeGreaterThan(0);
    expect(exitMm).toBeLessThan(exitFiles);
    expect(exitFiles).toBeLessThan(exitTw);
    expect(run).toBeGreaterThan(exitTw);
    expect(run).toBeLessThan(dead);
    // Works added after PF_EXITING but before exit_task_work (the final fput of the exe held by mm
    // and of the fd closed by exit_files) succeed and run in exit_task_work (§4.5).
    const fputAdds = evs.filter((e): e is TwEvent => e.kind === 'task_work' && e.pid === A && e.op === 'add' && e.work.startsWith('____fput'));
    expect(fputAdds).toHaveLength(2);
    expect(fputAdds.every((e) => e.detail === 'TWA_RESUME = 0')).toBe(true);
    const fputRuns = evs.filter((e, i) => i > exitTw && e.kind === 'task_work' && e.pid === A && e.op === 'run' && e.work.startsWith('____fput'));
    expect(fputRuns).toHaveLength(2);
    // The sentinel: task_work_add now fails with -ESRCH, whatever the mode.
    expect(s.taskState(A)).toBe('dead');
    for (const mode of ['TWA_NONE', 'TWA_RESUME', 'TWA_SIGNAL'] as const) {
      expect(s.run((k) => taskWorkAdd(k, A, { kind: 'note', label: 'late' }, mode).ret)).toBe(-ESRCH);
    }
    expect(s.world.tasks.get(A)?.works.queue).toHaveLength(0);
    expectQuiet(s);
  });

  test('a work added while exit_task_work runs still runs (the run drains until empty)', () => {
    const s = newSession();
    const A = s.spawn({ comm: 'a', exe: EXE, script: [add('p', 'TWA_NONE', { label: 'child', mode: 'TWA_RESUME' })] });
    s.simulate();
    expect(runOrder(s, A)).toEqual(['p', 'child']);
    const evs = s.events();
    const exited = evs.findIndex((e) => e.kind === 'task_work' && e.pid === A && e.op === 'exited');
    expect(evs.findIndex(runOf('child'))).toBeLessThan(exited);
    expectQuiet(s);
  });

  test('a dead task refuses task_work_add with -ESRCH, before and after it is reaped', () => {
    const s = newSession();
    const A = s.spawn({ comm: 'a', exe: EXE, script: [] });
    s.simulate();
    expect(s.run((k) => taskWorkAdd(k, A, { kind: 'note', label: 'x' }, 'TWA_SIGNAL').ret)).toBe(-ESRCH);
    s.reap(A);
    expect(s.run((k) => taskWorkAdd(k, A, { kind: 'note', label: 'x' }, 'TWA_RESUME').ret)).toBe(-ESRCH);
  });
});

describe('task_work_cancel', () => {
  test('a queued work is unlinked (true) and never runs; a second cancel finds nothing (false)', () => {
    const s = newSession();
    const A = s.spawn({ comm: 'a', exe: EXE, script: [{ sys: 'sleep', ticks: 10 }] });
    s.step();
    const keep = s.run((k) => taskWorkAdd(k, A, { kind: 'note', label: 'keep' }, 'TWA_NONE').work);
    const drop = s.run((k) => taskWorkAdd(k, A, { kind: 'note', label: 'drop' }, 'TWA_NONE').work);
    expect(keep).not.toBeNull();
    expect(drop).not.toBeNull();
    expect(s.run((k) => taskWorkCancel(k, A, drop?.id ?? -1))).toBe(true);
    expect(s.run((k) => taskWorkCancel(k, A, drop?.id ?? -1))).toBe(false);
    s.simulate();
    expect(runOrder(s, A)).toEqual(['keep']);
    expectQuiet(s);
  });

  test('a work already taken by task_work_run (run) cannot be cancelled (false)', () => {
    const s = newSession();
    const A = s.spawn({ comm: 'a', exe: EXE, script: [{ sys: 'sleep', ticks: 10 }, { sys: 'close', fd: 'none' }] });
    s.step();
    const w = s.run((k) => taskWorkAdd(k, A, { kind: 'note', label: 'gone' }, 'TWA_SIGNAL').work);
    // Run until the work ran (A returned to user mode after the restarted sleep's work).
    while (!s.events().some(runOf('gone'))) s.step();
    expect(s.run((k) => taskWorkCancel(k, A, w?.id ?? -1))).toBe(false);
    s.simulate();
    expect(runOrder(s, A)).toEqual(['gone']);
    expectQuiet(s);
  });

  test('cancel never touches another task\'s list', () => {
    const s = newSession();
    const A = s.spawn({ comm: 'a', exe: EXE, script: [{ sys: 'sleep', ticks: 10 }] });
    const B = s.spawn({ comm: 'b', exe: EXE, script: [{ sys: 'sleep', ticks: 10 }] });
    s.step(listChooser([0]));
    s.step(listChooser([0]));
    const w = s.run((k) => taskWorkAdd(k, A, { kind: 'note', label: 'mine' }, 'TWA_NONE').work);
    expect(s.run((k) => taskWorkCancel(k, B, w?.id ?? -1))).toBe(false);
    s.simulate();
    expect(runOrder(s, A)).toEqual(['mine']);
    expect(runOrder(s, B)).toEqual([]);
    expectQuiet(s);
  });
});
