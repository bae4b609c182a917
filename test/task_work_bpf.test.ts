/**
 * The BPF task_work kfuncs and their state machine (semantics/task_work.md §1-§3, §4.5, §7.6, §8;
 * SEMANTICS.md "task_work and bpf_task_work"): every transition, the schedule errnos in the kernel's
 * order, cancellation in each state, the maps that may hold a `bpf_task_work`, the callback's context,
 * the reference-count and exactly-once invariants, and the 6.19 / 7.0 kfunc names.
 *
 * Expected values come from the semantics documents.
 */
import { describe, expect, test } from 'vitest';
import {
  ArgumentError, LoadError, content, createMap, EBADF, EBUSY, ENOMEM, EOPNOTSUPP, KfuncUnavailableError, listChooser, loadObject,
  program as P, refSnapshot, seededChooser, Session, type BpfObject, type KernelVersion, type Op,
  type Syscall, type TraceEvent, type World, taskWorkOutcomes, type MapDecl,
} from '../src/index.ts';

type MapType = MapDecl['type'];

const { r, imm, NULL, map, tw, cb, call, mov, alu, store, label, goto, ret, when, glob, dynptr, buf } = P;

const EXE = '/bin/app';
const TRIGGER = '/tmp/trigger';
const BPF_NOEXIST = 1;

type TwType = 'array' | 'hash' | 'lru_hash';
type Mode = 'signal' | 'resume';

interface ObjOpts {
  readonly version?: KernelVersion;
  readonly mapType?: TwType;
  readonly mode?: Mode;
  /** The hook schedules twice in a row (the second return goes to `ret2`). */
  readonly twice?: boolean;
  /** The callback schedules on its own slot again (the return goes to `cb_sched`). */
  readonly cbReschedules?: boolean;
  /** The callback deletes (HASH, LRU) or overwrites (ARRAY) its own element. */
  readonly cbFreesOwnElem?: boolean;
  /** The callback reads byte 0 of its exe file through a FILE dynptr (`cb_read`). */
  readonly cbReadsExe?: boolean;
  readonly cbRet?: number;
}

/** The schedule kfunc for a version and mode (§0, §1.1). */
function schedFn(version: KernelVersion, mode: Mode): { fn: string; extra: P.Arg[] } {
  const impl = version === '6.18' || version === '6.19';
  return { fn: `bpf_task_work_schedule_${mode}${impl ? '_impl' : ''}`, extra: impl ? [NULL] : [] };
}

const MAP = 'twmap';

/**
 * An object like selftests/bpf/progs/task_work.c: `lsm/file_open` (optionally filtered on the pid in
 * `filter`) finds `twmap[0]` (inserting it with BPF_NOEXIST in a hash map) and schedules `cb` on the
 * current task. The callback records who ran it and whether it got the exe file.
 */
function taskWorkObject(o: ObjOpts = {}): BpfObject {
  const version = o.version ?? '6.19';
  const type = o.mapType ?? 'array';
  const s = schedFn(version, o.mode ?? 'signal');
  const schedule = (dst: string, slot: string): Op[] => [
    call('bpf_get_current_task_btf', [], 'r7'),
    call(s.fn, [r('r7'), tw(slot), map(MAP), cb('cb'), ...s.extra], 'r0'),
    store(dst, r('r0')),
  ];
  const hook: Op[] = [
    call('bpf_get_current_pid_tgid', [], 'r1'),
    alu('rsh', 'r1', imm(32)),
    mov('r2', glob('filter')),
    goto('go', when('r2', '==', imm(0))),
    goto('out', when('r1', '!=', r('r2'))),
    label('go'),
    ...(type === 'array' ? [] : [call('bpf_map_update_elem', [map(MAP), imm(0), buf('val'), imm(BPF_NOEXIST)], 'r0')]),
    call('bpf_map_lookup_elem', [map(MAP), imm(0)], 'r6'),
    goto('out', when('r6', '==', NULL)),
    ...schedule('ret1', 'r6'),
    ...(o.twice === true ? schedule('ret2', 'r6') : []),
    label('out'),
    ret(imm(0)),
  ];
  const cbBody: Op[] = [
    call('bpf_get_current_pid_tgid', [], 'r0'),
    store('cb_pid', r('r0')),
    mov('r9', glob('cb_runs')),
    alu('add', 'r9', imm(1)),
    store('cb_runs', r('r9')),
    call('bpf_get_current_task_btf', [], 'r6'),
    call('bpf_get_task_exe_file', [r('r6')], 'r7'),
    goto('noexe', when('r7', '==', NULL)),
    ...(o.cbReadsExe === true ? [
      call('bpf_dynptr_from_file', [r('r7'), imm(0), dynptr('d')], 'r0'),
      call('bpf_dynptr_read', [buf('byte'), imm(1), dynptr('d'), imm(0), imm(0)], 'r0'),
      store('cb_read', r('r0')),
      call('bpf_dynptr_file_discard', [dynptr('d')]),
    ] : []),
    call('bpf_put_file', [r('r7')]),
    mov('r8', imm(1)),
    goto('after'),
    label('noexe'),
    mov('r8', imm(2)),
    label('after'),
    store('cb_exe', r('r8')),
    ...(o.cbReschedules === true ? schedule('cb_sched', 'r3') : []),
    ...(o.cbFreesOwnElem === true
      ? [type === 'array'
        ? call('bpf_map_update_elem', [map(MAP), imm(0), buf('val'), imm(0)], 'r0')
        : call('bpf_map_delete_elem', [map(MAP), imm(0)], 'r0'), store('cb_free', r('r0'))]
      : []),
    store('cb_done', imm(1)),
    ret(imm(o.cbRet ?? 0)),
  ];
  const ints = ['filter', 'ret1', 'ret2', 'cb_pid', 'cb_runs', 'cb_exe', 'cb_sched', 'cb_free', 'cb_read', 'cb_done'];
  return {
    name: 'task_work_test',
    maps: [{ name: MAP, type, maxEntries: 1, valueSize: 16, taskWorkFields: 1 }],
    globals: [...ints.map((name) => ({ name, kind: name === 'cb_pid' ? 'u64' as const : 'int' as const, init: name === 'ret1' || name === 'ret2' || name === 'cb_sched' ? 1 : 0 })), { name: 'byte', kind: 'bytes' as const, size: 1 }, { name: 'val', kind: 'bytes' as const, size: 24 }],
    programs: [{ name: 'hook', section: 'lsm/file_open', body: hook }],
    subprogs: [{ name: 'cb', isStatic: true, body: cbBody }],
  };
}

function setup(o: ObjOpts = {}): Session {
  const s = new Session({ version: o.version ?? '6.19' });
  s.createFile({ path: EXE, content: content.pattern(7), size: 3 * 4096 });
  s.createFile({ path: TRIGGER, content: content.zero(), size: 16 });
  s.load(taskWorkObject(o));
  return s;
}

const OPEN: Syscall = { sys: 'open', path: TRIGGER, fd: 't' };
const CLOSE: Syscall = { sys: 'close', fd: 't' };
/** A second descriptor, for a second open before the first is closed (a named fd is a slot). */
const OPEN2: Syscall = { sys: 'open', path: TRIGGER, fd: 't2' };
const CLOSE2: Syscall = { sys: 'close', fd: 't2' };
const MAP_CLOSE: Syscall = { sys: 'map_close', map: MAP };

const OBJ = 'task_work_test';
const progId = (s: Session, name = 'hook'): number => s.asProgram(OBJ, name).prog;
const mapId = (s: Session): number => s.mapId(MAP);
const g = (s: Session, name: string): bigint => s.global(name) as bigint;
const pidTgid = (pid: number): bigint => (BigInt(pid) << 32n) | BigInt(pid);

type TwEv = Extract<TraceEvent, { kind: 'bpf_tw' }>;
const twEvents = (evs: TraceEvent[]): TwEv[] => evs.filter((e): e is TwEv => e.kind === 'bpf_tw');
/** The state changes, `FROM→TO` (the "ctx freed" bookkeeping events keep the state and are left out). */
const transitions = (s: Session, ctx?: number): string[] =>
  twEvents(s.events()).filter((e) => e.from !== e.to && (ctx === undefined || e.ctx === ctx)).map((e) => `${e.from}→${e.to}`);
const ctxFreed = (s: Session, ctx: number): boolean => twEvents(s.events()).some((e) => e.ctx === ctx && e.refcnt === 0 && e.why.includes('ctx freed'));
const schedRets = (s: Session): string[] =>
  s.events().filter((e): e is Extract<TraceEvent, { kind: 'kfunc' }> => e.kind === 'kfunc' && e.name.startsWith('bpf_task_work_schedule')).map((e) => e.ret);
const cbEnters = (s: Session): Extract<TraceEvent, { kind: 'prog' }>[] =>
  s.events().filter((e): e is Extract<TraceEvent, { kind: 'prog' }> => e.kind === 'prog' && e.op === 'enter' && e.name === 'cb');

const FULL_CYCLE = ['-→STANDBY', 'STANDBY→PENDING', 'PENDING→SCHEDULING', 'SCHEDULING→SCHEDULED', 'SCHEDULED→RUNNING', 'RUNNING→STANDBY'];

/** Step once with the ready action that matches `pick` (`'irq'`, a pid, `'io'`, `'timer'`). */
function stepPick(s: Session, pick: 'irq' | 'io' | 'timer' | number): void {
  s.stepAction(pick);
}
function drive(s: Session, picks: readonly ('irq' | 'io' | 'timer' | number)[]): Session {
  for (const p of picks) stepPick(s, p);
  return s.simulate();
}

/** Drop the loader's user reference on the map (what `map_close` does from user space). */
function closeMap(s: Session): void {
  if ((s.world.maps.get(mapId(s))?.usercnt ?? 0) > 0) s.mapClose(MAP);
}

/**
 * §8 / brief: the baseline every scenario returns to once everything ran and the map's last user
 * reference is gone: each program holds only its loader reference, no task is referenced, no ctx is
 * left, no irq_work or task_work is queued, every file is released.
 */
function expectBaseline(s: Session): void {
  closeMap(s);
  const snap = refSnapshot(s.world);
  for (const refs of Object.values(snap.progs)) expect(refs).toBe(1);
  for (const usage of Object.values(snap.tasks)) expect(usage).toBe(0);
  expect(snap.twctx).toEqual({});
  expect(snap.irqWork).toBe(0);
  expect(snap.taskWorks).toBe(0);
  expect(snap.liveFileStates).toBe(0);
  if ([...s.world.tasks.values()].every((t) => t.state === 'dead')) {
    for (const c of Object.values(snap.files)) expect(c).toBe(0);
  }
}

const outcomes = taskWorkOutcomes;

/** Schedule from program `prog` running in task `as` (on another CPU), targeting `target`. */
function scheduleAs(s: Session, as: number, target: number, mode: Mode = 'signal', key = 0): number {
  const p = s.asProgram(OBJ, 'hook', { task: as });
  const v = s.world.version;
  if (v === '6.18' || v === '6.19') {
    return mode === 'signal'
      ? p.bpf_task_work_schedule_signal_impl(target, p.slot(MAP, key), p.map(MAP), 'cb', null)
      : p.bpf_task_work_schedule_resume_impl(target, p.slot(MAP, key), p.map(MAP), 'cb', null);
  }
  return mode === 'signal'
    ? p.bpf_task_work_schedule_signal(target, p.slot(MAP, key), p.map(MAP), 'cb')
    : p.bpf_task_work_schedule_resume(target, p.slot(MAP, key), p.map(MAP), 'cb');
}

// ---------------------------------------------------------------------------------------------

describe('the state machine (§2.2, §2.4)', () => {
  test.each(['array', 'hash', 'lru_hash'] as const)('%s, signal mode: STANDBY → PENDING → SCHEDULING → SCHEDULED → RUNNING → STANDBY', (mapType) => {
    const s = setup({ mapType });
    const A = s.spawn({ comm: 'app', exe: EXE, script: [OPEN, CLOSE, MAP_CLOSE] });
    s.simulate();
    expect(schedRets(s)).toEqual(['0']);
    // Then the uref drop (map_close) frees the STANDBY ctx (T9 from STANDBY).
    expect(transitions(s)).toEqual([...FULL_CYCLE, 'STANDBY→FREED']);
    expect(ctxFreed(s, 1)).toBe(true);
    expect(g(s, 'cb_runs')).toBe(1n);
    expect(g(s, 'cb_pid')).toBe(pidTgid(A));
    // TWA_SIGNAL, queued from the irq_work (§2.6: task_work_add is always called from irq_work).
    const evs = s.events();
    const irqRun = evs.findIndex((e) => e.kind === 'irq_work' && e.op === 'run');
    const add = evs.findIndex((e) => e.kind === 'task_work' && e.op === 'add' && e.work.startsWith('bpf_task_work_callback'));
    expect(add).toBeGreaterThan(irqRun);
    expect(evs[add]?.kind === 'task_work' && evs[add].detail).toBe('TWA_SIGNAL = 0');
    expectBaseline(s);
  });

  test('resume mode: the same cycle, queued with TWA_RESUME, run before the syscall returns to user mode', () => {
    const s = setup({ mapType: 'hash', mode: 'resume' });
    const A = s.spawn({ comm: 'app', exe: EXE, script: [OPEN, CLOSE] });
    s.simulate();
    expect(transitions(s)).toEqual(FULL_CYCLE);
    const evs = s.events();
    const add = evs.find((e) => e.kind === 'task_work' && e.op === 'add' && e.work.startsWith('bpf_task_work_callback'));
    expect(add?.kind === 'task_work' && add.detail).toBe('TWA_RESUME = 0');
    const openExit = evs.findIndex((e) => e.kind === 'syscall' && e.op === 'exit' && e.call.startsWith('open'));
    const cbEnter = evs.findIndex((e) => e.kind === 'prog' && e.name === 'cb' && e.op === 'enter');
    const user = evs.findIndex((e, i) => i > openExit && e.kind === 'task' && e.pid === A && e.op === 'user');
    expect(cbEnter).toBeGreaterThan(openExit);
    expect(cbEnter).toBeLessThan(user);
    expectBaseline(s);
  });

  test('references along the way (§2.3): map-ref 1, +1 cb-ref, +1 prog and +1 task while scheduled; all back after the callback', () => {
    const s = setup();
    const A = s.spawn({ comm: 'app', exe: EXE, script: [OPEN, CLOSE] });
    const P1 = progId(s);
    while (!s.world.irqWork.length) s.step();
    // PENDING: the kfunc returned 0, an irq_work is queued.
    let snap = refSnapshot(s.world);
    expect(s.taskWork(1)?.state).toBe('PENDING');
    expect(snap.twctx).toEqual({ 1: 2 });
    expect(snap.progs[P1]).toBe(2);
    expect(snap.tasks[A]).toBe(1);
    expect(snap.irqWork).toBe(1);
    stepPick(s, 'irq');
    snap = refSnapshot(s.world);
    expect(s.taskWork(1)?.state).toBe('SCHEDULED');
    expect(snap).toMatchObject({ twctx: { 1: 2 }, irqWork: 0, taskWorks: 1 });
    s.simulate();
    snap = refSnapshot(s.world);
    // STANDBY again: only the map's own reference is left (§2.3 "refcnt starts at 1").
    expect(s.taskWork(1)?.state).toBe('STANDBY');
    expect(snap.twctx).toEqual({ 1: 1 });
    expect(snap.progs[P1]).toBe(1);
    expect(snap.tasks[A]).toBe(0);
    expectBaseline(s);
  });

  test('the refcount of a ctx never leaves {0, 1, 2} and each slot has at most one ctx (§8.1)', () => {
    const s = setup({ mapType: 'hash', twice: true, cbReschedules: true });
    s.spawn({ comm: 'a', exe: EXE, script: [OPEN, CLOSE, OPEN, { sys: 'map_delete', map: MAP, key: 0 }, OPEN2, CLOSE, CLOSE2] });
    s.spawn({ comm: 'b', exe: EXE, script: [OPEN, { sys: 'map_update', map: MAP, key: 0 }, OPEN2, CLOSE, CLOSE2] });
    const chooser = seededChooser('refcnt');
    for (let n = 0; n < 10_000 && s.step(chooser); n += 1) {
      const live = [...s.world.twctx.values()].filter((c) => !c.freed);
      for (const c of live) expect([1, 2]).toContain(c.refcnt);
      const attached = [...s.world.maps.values()].flatMap((m) => [...m.slots.values()].map((e) => e.tw).filter((x) => x !== null));
      expect(new Set(attached).size).toBe(attached.length);
    }
    expectBaseline(s);
  });
});

describe('schedule errors, in the kernel\'s order (§3.1)', () => {
  test('-EBADF when the program\'s refcount is 0, before -ENOMEM (the allocation is not attempted)', () => {
    const s = setup();
    const P1 = progId(s);
    s.spawn({ comm: 'app', exe: EXE, script: [OPEN, CLOSE, OPEN, CLOSE, OPEN, CLOSE] });
    s.injectAllocFailure();
    s.run((k) => { const p = k.s.progs.get(P1); if (p) p.refs = 0; });
    // First open: the program "is going away" → -EBADF; nothing allocated, nothing queued.
    while (schedRets(s).length < 1) s.step();
    expect(schedRets(s)).toEqual([`-EBADF`]);
    expect(g(s, 'ret1')).toBe(BigInt(-EBADF));
    expect(s.world.faults.alloc).toBe(1);
    expect(s.world.twctx.size).toBe(0);
    expect(s.world.irqWork).toHaveLength(0);
    s.run((k) => { const p = k.s.progs.get(P1); if (p) p.refs = 1; });
    // Second open: first use of the slot and the allocation fails → -ENOMEM, no ctx, no refs taken.
    while (schedRets(s).length < 2) s.step();
    expect(schedRets(s)[1]).toBe('-ENOMEM');
    expect(g(s, 'ret1')).toBe(BigInt(-ENOMEM));
    expect(s.world.twctx.size).toBe(0);
    expect(refSnapshot(s.world).progs[P1]).toBe(1);
    // Third open: succeeds.
    s.simulate();
    expect(schedRets(s)).toEqual(['-EBADF', '-ENOMEM', '0']);
    expect(g(s, 'cb_runs')).toBe(1n);
    expectBaseline(s);
  });

  test('-ENOMEM only on first use: once the slot has a ctx, scheduling allocates nothing', () => {
    const s = setup();
    s.spawn({ comm: 'app', exe: EXE, script: [OPEN, CLOSE, OPEN, CLOSE] });
    while (g(s, 'cb_runs') < 1n) s.step();
    s.injectAllocFailure();
    s.simulate();
    expect(schedRets(s)).toEqual(['0', '0']);
    expect(s.world.faults.alloc).toBe(1);
    expect(g(s, 'cb_runs')).toBe(2n);
    // One ctx served both schedules.
    expect(twEvents(s.events()).every((e) => e.ctx === 1)).toBe(true);
    expectBaseline(s);
  });

  test('-ENOMEM again after an ARRAY update detached the ctx (the next schedule allocates a new one, T0)', () => {
    const s = setup();
    s.spawn({ comm: 'app', exe: EXE, script: [OPEN, CLOSE, { sys: 'map_update', map: MAP, key: 0 }, OPEN, CLOSE, OPEN, CLOSE] });
    while (schedRets(s).length < 1 || g(s, 'cb_runs') < 1n) s.step();
    s.injectAllocFailure();
    s.simulate();
    expect(schedRets(s)).toEqual(['0', '-ENOMEM', '0']);
    expect(transitions(s, 1)).toEqual([...FULL_CYCLE, 'STANDBY→FREED']);
    expect(transitions(s, 2)).toEqual(FULL_CYCLE);
    expect(g(s, 'cb_runs')).toBe(2n);
    expectBaseline(s);
  });

  test('-EBADF when the target task was reaped; a zombie (exited, not reaped) is accepted, then the work is dropped silently', () => {
    const s = setup();
    const A = s.spawn({ comm: 'victim', exe: EXE, script: [] });
    const B = s.spawn({ comm: 'scheduler', exe: EXE, script: [] });
    s.simulate();
    expect(s.taskState(A)).toBe('dead');
    // Zombie: bpf_task_acquire still works (§3.1 last bullet): 0, then T3 in the irq_work.
    expect(scheduleAs(s, B, A)).toBe(0);
    s.simulate();
    expect(transitions(s)).toEqual(['-→STANDBY', 'STANDBY→PENDING', 'PENDING→SCHEDULING', 'SCHEDULING→STANDBY']);
    const add = s.events().find((e) => e.kind === 'task_work' && e.op === 'add' && e.pid === A && e.work.startsWith('bpf_task_work_callback'));
    expect(add?.kind === 'task_work' && add.detail).toBe('TWA_SIGNAL = -ESRCH');
    expect(cbEnters(s)).toHaveLength(0);
    // Reaped: rcu_users is 0 → -EBADF, and nothing changes.
    s.reap(A);
    const before = refSnapshot(s.world);
    const nEvents = twEvents(s.events()).length;
    expect(scheduleAs(s, B, A)).toBe(-EBADF);
    expect(refSnapshot(s.world)).toEqual(before);
    expect(twEvents(s.events())).toHaveLength(nEvents);
    expectBaseline(s);
  });

  // §2.3: "bpf_task_acquire(task) increments task->rcu_users if it is non-zero, otherwise it fails",
  // and the ctx's task ref is released with put_task_struct_rcu_user. A ctx that still holds its task
  // ref keeps rcu_users above 0 after the parent reaps the task, so another schedule is accepted.
  test('a reaped task whose rcu_users is still held by a pending ctx can be acquired again (0, not -EBADF)', () => {
    const s = new Session();
    s.createFile({ path: EXE, content: content.pattern(7), size: 4096 });
    const obj = taskWorkObject();
    s.load({ ...obj, maps: [{ ...obj.maps[0] as MapDecl, maxEntries: 2 }] });
    const A = s.spawn({ comm: 'victim', exe: EXE, script: [] });
    const B = s.spawn({ comm: 'scheduler', exe: EXE, script: [] });
    s.simulate();
    expect(scheduleAs(s, B, A, 'signal', 0)).toBe(0); // PENDING: holds a task ref (rcu_users > 0)
    expect(s.world.tasks.get(A)?.usage).toBe(1);
    s.reap(A);
    expect(scheduleAs(s, B, A, 'signal', 1)).toBe(0);
  });

  test('-EBUSY for a second schedule while PENDING (twice in the same program run), nothing changed by it', () => {
    const s = setup({ twice: true });
    s.spawn({ comm: 'app', exe: EXE, script: [OPEN, CLOSE] });
    s.simulate();
    expect(schedRets(s)).toEqual(['0', '-EBUSY']);
    expect(g(s, 'ret2')).toBe(BigInt(-EBUSY));
    // T1x leaves no transition behind: exactly one cycle, one callback.
    expect(transitions(s)).toEqual(FULL_CYCLE);
    expect(g(s, 'cb_runs')).toBe(1n);
    expectBaseline(s);
  });

  test('-EBUSY while PENDING from a later syscall (the irq_work has not run yet)', () => {
    const s = setup();
    const A = s.spawn({ comm: 'app', exe: EXE, script: [OPEN, OPEN2, CLOSE, CLOSE2] });
    // open #1 → back to user mode with the irq_work still queued → open #2.
    drive(s, [A, A, A]);
    expect(schedRets(s)).toEqual(['0', '-EBUSY']);
    expect(g(s, 'cb_runs')).toBe(1n);
    expectBaseline(s);
  });

  test('-EBUSY while SCHEDULED (the work is queued on A, which has not run since; B schedules on the same slot)', () => {
    const s = setup();
    const A = s.spawn({ comm: 'app', exe: EXE, script: [OPEN, CLOSE] });
    const B = s.spawn({ comm: 'other', exe: EXE, script: [OPEN, CLOSE] });
    drive(s, [A, 'irq', B]);
    expect(schedRets(s)).toEqual(['0', '-EBUSY']);
    // B's open ran while the ctx was SCHEDULED.
    const evs = s.events();
    const scheduled = evs.findIndex((e) => e.kind === 'bpf_tw' && e.to === 'SCHEDULED');
    const busy = evs.findIndex((e) => e.kind === 'kfunc' && e.ret === '-EBUSY');
    const running = evs.findIndex((e) => e.kind === 'bpf_tw' && e.to === 'RUNNING');
    expect(scheduled).toBeLessThan(busy);
    expect(busy).toBeLessThan(running);
    expect(g(s, 'cb_runs')).toBe(1n);
    expect(g(s, 'cb_pid')).toBe(pidTgid(A));
    expectBaseline(s);
  });

  test('a task in user mode with the work queued runs it before its next syscall (the kick of task_work_add)', () => {
    const s = setup();
    const A = s.spawn({ comm: 'app', exe: EXE, script: [OPEN, OPEN2, CLOSE, CLOSE2] });
    drive(s, [A, A, 'irq', A]);
    // The second open finds the slot STANDBY again: the callback ran first.
    expect(schedRets(s)).toEqual(['0', '0']);
    expect(g(s, 'cb_runs')).toBe(2n);
    expectBaseline(s);
  });

  test('-EBUSY while RUNNING, from inside its own callback (§2.5); the slot is usable again afterwards', () => {
    const s = setup({ cbReschedules: true });
    s.spawn({ comm: 'app', exe: EXE, script: [OPEN, CLOSE, OPEN, CLOSE] });
    s.simulate();
    expect(g(s, 'cb_sched')).toBe(BigInt(-EBUSY));
    expect(schedRets(s)).toEqual(['0', '-EBUSY', '0', '-EBUSY']);
    expect(g(s, 'cb_runs')).toBe(2n);
    expect(transitions(s)).toEqual([...FULL_CYCLE, ...FULL_CYCLE.slice(1)]);
    expectBaseline(s);
  });

  test('-EBUSY once the map has no user references: the fresh ctx is detached and freed (§2.5)', () => {
    const s = setup();
    const P1 = progId(s);
    const A = s.spawn({ comm: 'app', exe: EXE, script: [MAP_CLOSE, OPEN, CLOSE] });
    s.simulate();
    expect(schedRets(s)).toEqual(['-EBUSY']);
    expect(transitions(s)).toEqual(['-→STANDBY', 'STANDBY→PENDING', 'PENDING→FREED']);
    expect(ctxFreed(s, 1)).toBe(true);
    expect(s.taskWork(MAP, 0)).toBeNull();
    expect(refSnapshot(s.world)).toMatchObject({ twctx: {}, irqWork: 0, progs: { [P1]: 1 }, tasks: { [A]: 0 } });
    expect(cbEnters(s)).toHaveLength(0);
    expectBaseline(s);
  });

  test('-ENOMEM comes before the usercnt check: with no user references and a failing allocation, -ENOMEM', () => {
    const s = setup();
    s.spawn({ comm: 'app', exe: EXE, script: [MAP_CLOSE, OPEN, CLOSE, OPEN2, CLOSE2] });
    s.injectAllocFailure();
    s.simulate();
    expect(schedRets(s)).toEqual(['-ENOMEM', '-EBUSY']);
    expect(cbEnters(s)).toHaveLength(0);
    expectBaseline(s);
  });

  test('a refused schedule (-EBUSY, slot not STANDBY) changes nothing observable (§8.2)', () => {
    const s = setup();
    const A = s.spawn({ comm: 'target', exe: EXE, script: [{ sys: 'sleep', ticks: 5 }] });
    const B = s.spawn({ comm: 'scheduler', exe: EXE, script: [] });
    s.step();
    expect(scheduleAs(s, B, A, 'resume')).toBe(0);
    for (const state of ['PENDING', 'SCHEDULED'] as const) {
      if (state === 'SCHEDULED') stepPick(s, 'irq');
      expect(s.taskWork(1)?.state).toBe(state);
      const before = refSnapshot(s.world);
      const n = twEvents(s.events()).length;
      expect(scheduleAs(s, B, A, 'signal')).toBe(-EBUSY);
      expect(scheduleAs(s, A, A, 'resume')).toBe(-EBUSY);
      expect(refSnapshot(s.world)).toEqual(before);
      expect(twEvents(s.events())).toHaveLength(n);
      expect(s.taskWork(1)?.mode).toBe('TWA_RESUME');
    }
    s.simulate();
    expect(g(s, 'cb_runs')).toBe(1n);
    expectBaseline(s);
  });

  test('0, then a silent drop, when the target exited before the irq_work ran (T3)', () => {
    const s = setup();
    const A = s.spawn({ comm: 'app', exe: EXE, script: [OPEN, { sys: 'exit' }] });
    // A opens, returns to user mode, and runs all of exit() (PF_EXITING, exit_mm, exit_files,
    // exit_task_work: the sentinel) before the irq_work runs.
    drive(s, [A, A, A, A, A, A]);
    expect(schedRets(s)).toEqual(['0']);
    expect(g(s, 'ret1')).toBe(0n);
    const evs = s.events();
    const dead = evs.findIndex((e) => e.kind === 'task' && e.pid === A && e.op === 'dead');
    const irq = evs.findIndex((e) => e.kind === 'irq_work' && e.op === 'run');
    expect(dead).toBeLessThan(irq);
    expect(transitions(s)).toEqual(['-→STANDBY', 'STANDBY→PENDING', 'PENDING→SCHEDULING', 'SCHEDULING→STANDBY']);
    expect(cbEnters(s)).toHaveLength(0);
    expect(outcomes(evs)).toMatchObject({ scheduled: 1, ran: 0, dropped: 1, cancelled: 0, open: 0 });
    // The ctx is reusable (STANDBY, map-ref only) and the prog and task refs were dropped.
    expect(refSnapshot(s.world).twctx).toEqual({ 1: 1 });
    expectBaseline(s);
  });
});

describe('cancellation (T9; §2.5 "Element delete / replace", "uref drop cancels everything")', () => {
  const cancelOps: readonly [string, TwType, Syscall][] = [
    ['HASH map_delete', 'hash', { sys: 'map_delete', map: MAP, key: 0 }],
    ['LRU_HASH map_delete', 'lru_hash', { sys: 'map_delete', map: MAP, key: 0 }],
    ['HASH map_update (replace)', 'hash', { sys: 'map_update', map: MAP, key: 0 }],
    ['ARRAY map_update', 'array', { sys: 'map_update', map: MAP, key: 0 }],
    ['map_close (last user reference)', 'array', MAP_CLOSE],
  ];

  test.each(cancelOps)('%s while PENDING: the irq_work finds FREED and drops the last ref; the callback never runs', (_n, mapType, op) => {
    const s = setup({ mapType });
    const A = s.spawn({ comm: 'app', exe: EXE, script: [OPEN, op, CLOSE] });
    drive(s, [A, A, A]); // open; back to user mode with the irq_work queued; the cancelling syscall
    expect(transitions(s, 1)).toEqual(['-→STANDBY', 'STANDBY→PENDING', 'PENDING→FREED']);
    const free = twEvents(s.events()).find((e) => e.ctx === 1 && e.refcnt === 0);
    expect(free?.why).toContain('irq_work');
    expect(cbEnters(s)).toHaveLength(0);
    expect(outcomes(s.events())).toMatchObject({ scheduled: 1, ran: 0, dropped: 0, cancelled: 1, open: 0 });
    expectBaseline(s);
  });

  test.each(cancelOps.filter(([, , op]) => op.sys !== 'map_close'))('%s: the next schedule gets a new ctx and runs', (_n, mapType, op) => {
    const s = setup({ mapType });
    const A = s.spawn({ comm: 'app', exe: EXE, script: [OPEN, op, OPEN2, CLOSE, CLOSE2] });
    drive(s, [A, A, A]);
    expect(schedRets(s)).toEqual(['0', '0']);
    expect(transitions(s, 2)).toEqual(FULL_CYCLE);
    expect(g(s, 'cb_runs')).toBe(1n);
    expectBaseline(s);
  });

  test('map_close while PENDING: later schedules get -EBUSY (§8.7)', () => {
    const s = setup();
    const A = s.spawn({ comm: 'app', exe: EXE, script: [OPEN, MAP_CLOSE, OPEN2, CLOSE, CLOSE2] });
    drive(s, [A, A, A]);
    expect(schedRets(s)).toEqual(['0', '-EBUSY']);
    expect(cbEnters(s)).toHaveLength(0);
    expectBaseline(s);
  });

  test('SCHEDULED, cancel irq_work first: task_work_cancel unlinks the work, both refs dropped, nothing runs', () => {
    const s = setup({ mapType: 'hash' });
    const A = s.spawn({ comm: 'app', exe: EXE, script: [OPEN, CLOSE] });
    const B = s.spawn({ comm: 'deleter', exe: EXE, script: [{ sys: 'map_delete', map: MAP, key: 0 }] });
    // A's open schedules; irq_work adds the task_work (SCHEDULED); B's map_delete (T9 from SCHEDULED
    // queues bpf_task_work_cancel_scheduled); the cancel irq_work runs before A runs again.
    drive(s, [A, 'irq', B, 'irq']);
    const evs = s.events();
    expect(transitions(s)).toEqual(['-→STANDBY', 'STANDBY→PENDING', 'PENDING→SCHEDULING', 'SCHEDULING→SCHEDULED', 'SCHEDULED→FREED']);
    // The cancel went through a second irq_work (§2.4 T9, §2.6).
    const irqs = evs.filter((e) => e.kind === 'irq_work' && e.op === 'run').map((e) => e.kind === 'irq_work' && e.work);
    expect(irqs).toEqual(['bpf_task_work_irq(ctx#1)', 'bpf_task_work_cancel_scheduled(ctx#1)']);
    expect(evs.some((e) => e.kind === 'task_work' && e.op === 'cancel' && e.pid === A)).toBe(true);
    // The callback was never started and no run of the work happened.
    expect(evs.some((e) => e.kind === 'task_work' && e.op === 'run' && e.work.startsWith('bpf_task_work_callback'))).toBe(false);
    expect(cbEnters(s)).toHaveLength(0);
    expect(ctxFreed(s, 1)).toBe(true);
    expect(outcomes(evs)).toMatchObject({ scheduled: 1, cancelled: 1, ran: 0, open: 0 });
    expectBaseline(s);
  });

  test('SCHEDULED, target first: the work runs but sees FREED (T5x) and skips the BPF callback; the cancel irq_work finds nothing to unlink', () => {
    const s = setup({ mapType: 'hash' });
    const A = s.spawn({ comm: 'app', exe: EXE, script: [OPEN, CLOSE] });
    const B = s.spawn({ comm: 'deleter', exe: EXE, script: [{ sys: 'map_delete', map: MAP, key: 0 }] });
    // A's work is SCHEDULED; B deletes (cancel irq_work queued); A runs first and meets FREED.
    drive(s, [A, 'irq', B, A]);
    const evs = s.events();
    expect(evs.some((e) => e.kind === 'task_work' && e.op === 'run' && e.work.startsWith('bpf_task_work_callback'))).toBe(true);
    expect(evs.some((e) => e.kind === 'task_work' && e.op === 'cancel')).toBe(false);
    expect(cbEnters(s)).toHaveLength(0);
    expect(transitions(s)).not.toContain('FREED→RUNNING');
    expect(ctxFreed(s, 1)).toBe(true);
    expect(outcomes(evs)).toMatchObject({ scheduled: 1, cancelled: 1, ran: 0, open: 0 });
    expectBaseline(s);
  });

  test.each(['array', 'hash'] as const)('%s: RUNNING, the callback frees its own element: it completes; the ctx is freed when it ends', (mapType) => {
    const s = setup({ mapType, cbFreesOwnElem: true });
    s.spawn({ comm: 'app', exe: EXE, script: [OPEN, CLOSE, OPEN, CLOSE] });
    s.simulate();
    expect(g(s, 'cb_free')).toBe(0n);
    expect(g(s, 'cb_done')).toBe(1n);
    expect(transitions(s, 1)).toEqual(['-→STANDBY', 'STANDBY→PENDING', 'PENDING→SCHEDULING', 'SCHEDULING→SCHEDULED', 'SCHEDULED→RUNNING', 'RUNNING→FREED']);
    const evs = s.events();
    const freed = evs.findIndex((e) => e.kind === 'bpf_tw' && e.ctx === 1 && e.refcnt === 0);
    const cbExit = evs.findIndex((e) => e.kind === 'prog' && e.op === 'exit' && e.name === 'cb');
    expect(freed).toBeGreaterThan(cbExit);
    // The second open finds a fresh element without a ctx: a new ctx (T0), run again.
    expect(schedRets(s)).toEqual(['0', '0']);
    expect(transitions(s, 2).slice(0, 6)).toEqual(FULL_CYCLE.slice(0, 5).concat('RUNNING→FREED'));
    expect(outcomes(evs)).toMatchObject({ scheduled: 2, ran: 2, cancelled: 0, open: 0 });
    expectBaseline(s);
  });

  test('RUNNING, deleted by another task while the callback sleeps on I/O: the callback completes its reads', () => {
    const s = setup({ mapType: 'hash', cbReadsExe: true });
    const A = s.spawn({ comm: 'app', exe: EXE, script: [OPEN, CLOSE] });
    const B = s.spawn({ comm: 'deleter', exe: EXE, script: [{ sys: 'map_delete', map: MAP, key: 0 }] });
    // A runs until its callback blocks on the cold exe page.
    while (s.taskState(A) !== 'io_wait') stepPick(s, s.readyActions().some((a) => a.kind === 'irq') ? 'irq' : A);
    expect(s.taskWork(1)?.state).toBe('RUNNING');
    stepPick(s, B); // map_delete: RUNNING → FREED
    expect(s.taskWork(1)?.state).toBe('FREED');
    s.simulate();
    expect(g(s, 'cb_read')).toBe(0n); // sleepable reader: the page was read in
    expect(g(s, 'cb_done')).toBe(1n);
    expect(transitions(s)).toEqual([...FULL_CYCLE.slice(0, 5), 'RUNNING→FREED']);
    expect(ctxFreed(s, 1)).toBe(true);
    expectBaseline(s);
  });

  test('SCHEDULING is not observable between steps: the irq_work does PENDING → SCHEDULING → SCHEDULED/STANDBY atomically', () => {
    // The kernel's SCHEDULING window (task_work_add in progress, §2.4 T2-T4) lets a T9 or a T5 race in;
    // the model runs the whole irq_work as one step, so a cancel can find PENDING or SCHEDULED but never
    // SCHEDULING, and T5 never starts from SCHEDULING. This records that limitation of the linearization.
    for (const seed of ['s1', 's2', 's3', 's4', 's5', 's6']) {
      const s = setup({ mapType: 'hash' });
      s.spawn({ comm: 'a', exe: EXE, script: [OPEN, CLOSE, OPEN, { sys: 'map_delete', map: MAP, key: 0 }, OPEN2, CLOSE, CLOSE2] });
      s.spawn({ comm: 'b', exe: EXE, script: [OPEN, { sys: 'map_update', map: MAP, key: 0 }, OPEN2, MAP_CLOSE, CLOSE, CLOSE2] });
      const chooser = seededChooser(seed);
      while (s.step(chooser)) {
        for (const c of s.world.twctx.values()) expect(c.state).not.toBe('SCHEDULING');
      }
      const tr = transitions(s);
      expect(tr).not.toContain('SCHEDULING→RUNNING');
      expect(tr).not.toContain('SCHEDULING→FREED');
      // Every SCHEDULING is left within the same irq_work.
      const evs = twEvents(s.events());
      evs.forEach((e, i) => {
        if (e.to === 'SCHEDULING') expect(['SCHEDULED', 'STANDBY']).toContain(evs[i + 1]?.to);
      });
      expectBaseline(s);
    }
  });
});

describe('maps that may hold a bpf_task_work (§2.1, §3.3)', () => {
  const objWith = (type: MapType, taskWorkFields: number): BpfObject => ({
    name: `m_${type}_${taskWorkFields}`,
    maps: [{ name: 'm', type, maxEntries: 4, valueSize: 8, taskWorkFields }],
    globals: [], programs: [], subprogs: [],
  });

  /** `Session.load` throws a LoadError carrying the errno of the refused map. */
  const loadErrno = (obj: BpfObject): number | null => {
    try {
      new Session().load(obj);
      return null;
    } catch (e) {
      expect(e).toBeInstanceOf(LoadError);
      return (e as LoadError).errno;
    }
  };

  test.each(['array', 'hash', 'lru_hash'] as const)('%s with one bpf_task_work: created', (type) => {
    const s = new Session();
    expect(s.run((k) => loadObject(k, objWith(type, 1)).ret)).toBe(0);
    const m = [...s.world.maps.values()][0];
    expect(m?.type).toBe(type);
    expect(m?.taskWork).toBe(true);
    expect(() => new Session().load(objWith(type, 1))).not.toThrow();
  });

  // (A ring buffer has no value: its creation rules, a bpf_task_work value included, are in test/ringbuf.test.ts.)
  /** BPF_MAP_CREATE of the object's map as declared, with its BTF. */
  const createErrno = (obj: BpfObject): number => new Session().run((k) => Math.min(0, createMap(k, obj.maps[0] as MapDecl)));
  /**
   * The object's load: libbpf makes a map the kernel refused with BTF again without it, the field's
   * 8 bytes then plain bytes of the value (`create_no_btf` in the trace), and the load goes on.
   */
  const retried = (obj: BpfObject): void => {
    const s = new Session();
    expect(loadErrno(obj)).toBeNull();
    s.load(obj);
    expect(s.events().flatMap((e) => (e.kind === 'map' ? [e.op] : []))).toEqual(['create', 'create_no_btf']);
    const m = [...s.world.maps.values()][0];
    expect(m?.taskWork).toBe(false);
    expect(m?.valueSize).toBe(8 + 8 * obj.maps[0]!.taskWorkFields);
  };

  test.each(['percpu_array', 'percpu_hash'] as const)('%s with a bpf_task_work: -EOPNOTSUPP at map creation (libbpf then makes it without BTF); fine without one', (type) => {
    expect(createErrno(objWith(type, 1))).toBe(-EOPNOTSUPP);
    retried(objWith(type, 1));
    expect(new Session().run((k) => loadObject(k, objWith(type, 0)).ret)).toBe(0);
  });

  test.each(['array', 'hash', 'lru_hash'] as const)('%s with two bpf_task_work fields: made with BTF and no fields (the parse fails, -E2BIG, and map_check_btf keeps the error as the record)', (type) => {
    // syscall.c map_check_btf checks the record only when btf_parse_fields succeeded (!IS_ERR_OR_NULL);
    // the singleton's -E2BIG is not returned. Found by the host tier (lo_retry_tw_use: no retry line).
    expect(createErrno(objWith(type, 2))).toBe(0);
    const s = new Session();
    s.load(objWith(type, 2));
    expect(s.events().flatMap((e) => (e.kind === 'map' ? [e.op] : []))).toEqual(['create']);
    const m = [...s.world.maps.values()][0];
    expect(m?.taskWork).toBe(false);
    expect(m?.valueSize).toBe(8 + 8 * 2);
  });
});

describe('the callback (§1.2, §1.3, §8.8)', () => {
  test('runs as the target task, not as the scheduling one (bpf_get_current_pid_tgid)', () => {
    const s = setup();
    const A = s.spawn({ comm: 'target', exe: EXE, script: [{ sys: 'sleep', ticks: 10 }] });
    const B = s.spawn({ comm: 'scheduler', exe: EXE, script: [] });
    s.step(); // A sleeps
    expect(scheduleAs(s, B, A, 'resume')).toBe(0);
    s.simulate();
    expect(g(s, 'cb_runs')).toBe(1n);
    expect(g(s, 'cb_pid')).toBe(pidTgid(A));
    expect(cbEnters(s).map((e) => e.pid)).toEqual([A]);
    expect(g(s, 'cb_exe')).toBe(1n); // A's mm, A's exe file
    expectBaseline(s);
  });

  test('TWA_SIGNAL work scheduled on a sleeping target wakes it: the callback runs before the timer; TWA_RESUME waits for it', () => {
    const run = (mode: Mode): { t: number | undefined; restarted: boolean } => {
      const s = setup();
      const A = s.spawn({ comm: 'target', exe: EXE, script: [{ sys: 'sleep', ticks: 100 }] });
      const B = s.spawn({ comm: 'scheduler', exe: EXE, script: [] });
      s.step();
      expect(scheduleAs(s, B, A, mode)).toBe(0);
      s.simulate();
      expect(g(s, 'cb_pid')).toBe(pidTgid(A));
      expectBaseline(s);
      return { t: cbEnters(s)[0]?.t, restarted: s.events().some((e) => e.kind === 'syscall' && e.op === 'restart') };
    };
    expect(run('signal')).toEqual({ t: 0, restarted: true });
    expect(run('resume')).toEqual({ t: 100, restarted: false });
  });

  test('is sleepable: a read of a cold page through a FILE dynptr waits for I/O and returns 0', () => {
    const s = setup({ cbReadsExe: true });
    const A = s.spawn({ comm: 'app', exe: EXE, script: [OPEN, CLOSE] });
    s.simulate();
    expect(g(s, 'cb_read')).toBe(0n);
    expect(cbEnters(s)[0]?.detail).toContain('sleepable');
    expect(s.events().some((e) => e.kind === 'task' && e.pid === A && e.op === 'sleep' && e.detail.includes('bpf_dynptr_read'))).toBe(true);
    expectBaseline(s);
  });

  test('its return value is ignored: a callback returning -EINVAL changes nothing but its own exit line', () => {
    const runWith = (cbRet: number): Session => {
      const s = setup({ cbRet });
      s.spawn({ comm: 'app', exe: EXE, script: [OPEN, CLOSE, OPEN, CLOSE] });
      return s.simulate();
    };
    const ok = runWith(0);
    const bad = runWith(-22);
    expect(bad.world.tasks.get(100)?.results).toEqual(ok.world.tasks.get(100)?.results);
    expect(transitions(bad)).toEqual(transitions(ok));
    expect(schedRets(bad)).toEqual(['0', '0']);
    expect(g(bad, 'cb_runs')).toBe(2n);
    const strip = (s: Session): string[] => s.trace().split('\n').filter((l) => !l.includes('end cb'));
    expect(strip(bad)).toEqual(strip(ok));
    expect(bad.trace()).toContain('end cb = -22 (ignored)');
    expectBaseline(ok);
    expectBaseline(bad);
  });

  test('at exit: queued before the task entered exit(), the callback runs in exit_task_work after exit_mm and gets a NULL exe file (§4.5, §7.6)', () => {
    const s = setup();
    const A = s.spawn({ comm: 'app', exe: EXE, script: [OPEN, { sys: 'exit' }] });
    // A opens (PENDING), returns to user mode, calls exit(): PF_EXITING, exit_mm; only then does the
    // irq_work add the task_work; exit_task_work runs it with no mm.
    drive(s, [A, A, A, A, 'irq']);
    expect(schedRets(s)).toEqual(['0']);
    expect(g(s, 'cb_runs')).toBe(1n);
    expect(g(s, 'cb_exe')).toBe(2n); // bpf_get_task_exe_file returned NULL: no mm
    const evs = s.events();
    const exitMm = evs.findIndex((e) => e.kind === 'task' && e.pid === A && e.op === 'exit_mm');
    const exitTw = evs.findIndex((e) => e.kind === 'task' && e.pid === A && e.op === 'exit_task_work');
    const cbAt = evs.findIndex((e) => e.kind === 'prog' && e.op === 'enter' && e.name === 'cb');
    expect(exitMm).toBeLessThan(exitTw);
    expect(exitTw).toBeLessThan(cbAt);
    expect(evs.find((e) => e.kind === 'kfunc' && e.name === 'bpf_get_task_exe_file')).toMatchObject({ ret: 'NULL' });
    expect(outcomes(evs)).toMatchObject({ scheduled: 1, ran: 1, open: 0 });
    expectBaseline(s);
  });

  // §4.2: with TIF_NOTIFY_SIGNAL set, "signal_pending() is true … so interruptible sleeps are broken".
  // The irq_work adds the TWA_SIGNAL work while the task is in user mode: it runs before the task's
  // next syscall (nanosleep), at t=0, not after the timer.
  test('a TWA_SIGNAL callback pending when the target enters an interruptible sleep runs without waiting for the timer', () => {
    const s = setup();
    s.spawn({ comm: 'app', exe: EXE, script: [OPEN, { sys: 'sleep', ticks: 100 }, CLOSE] });
    s.simulate(listChooser([0, 1, 0]));
    expect(g(s, 'cb_runs')).toBe(1n);
    expect(cbEnters(s)[0]?.t).toBe(0);
  });
});

describe('invariants over many schedules', () => {
  /** A 2-task scenario with contention, deletes, updates, an exit racing its own work, and map_close. */
  function contended(seed: string): Session {
    const s = setup({ mapType: 'hash', twice: true });
    s.spawn({ comm: 'a', exe: EXE, script: [OPEN, CLOSE, OPEN, { sys: 'map_delete', map: MAP, key: 0 }, OPEN2, CLOSE, CLOSE2, OPEN, { sys: 'exit' }] });
    s.spawn({ comm: 'b', exe: EXE, script: [OPEN, { sys: 'map_update', map: MAP, key: 0 }, { sys: 'sleep', ticks: 3 }, OPEN2, CLOSE, CLOSE2, OPEN, CLOSE] });
    s.spawn({ comm: 'c', exe: EXE, script: [OPEN, { sys: 'exit' }] });
    return s.simulate(seededChooser(seed));
  }

  test('every schedule that returned 0 ends in exactly one of: ran once / dropped / cancelled; refs back to baseline', () => {
    const seen = { ran: 0, dropped: 0, cancelled: 0 };
    for (let i = 0; i < 40; i += 1) {
      const s = contended(`inv-${i}`);
      const o = outcomes(s.events());
      // FREED is terminal: no state change out of it (§2.2).
      expect(transitions(s).filter((t) => t.startsWith('FREED→'))).toEqual([]);
      expect(o.open).toBe(0);
      expect(o.ran + o.dropped + o.cancelled).toBe(o.scheduled);
      expect(o.cbRuns).toBe(o.ran);
      expect(Number(g(s, 'cb_runs'))).toBe(o.ran);
      seen.ran += o.ran;
      seen.dropped += o.dropped;
      seen.cancelled += o.cancelled;
      expectBaseline(s);
    }
    // The exploration reached each kind of outcome.
    expect(seen.ran).toBeGreaterThan(0);
    expect(seen.cancelled).toBeGreaterThan(0);
    expect(seen.dropped).toBeGreaterThan(0);
  });

  test('with no delete, no update, live targets and user references kept: each successful schedule runs exactly once (task_work_stress "no_delete")', () => {
    for (let i = 0; i < 20; i += 1) {
      const s = setup({ mapType: 'hash', twice: true });
      const script = [OPEN, CLOSE, OPEN, CLOSE, OPEN, CLOSE, { sys: 'sleep', ticks: 5 } as const];
      s.spawn({ comm: 'a', exe: EXE, script });
      s.spawn({ comm: 'b', exe: EXE, script });
      s.simulate(seededChooser(`stress-${i}`));
      const rets = schedRets(s);
      const ok = rets.filter((x) => x === '0').length;
      expect(rets.filter((x) => x !== '0' && x !== '-EBUSY')).toEqual([]);
      expect(rets.filter((x) => x === '-EBUSY').length).toBeGreaterThan(0);
      expect(Number(g(s, 'cb_runs'))).toBe(ok);
      expect(outcomes(s.events())).toMatchObject({ scheduled: ok, ran: ok, dropped: 0, cancelled: 0, open: 0 });
      expectBaseline(s);
    }
  });
});

describe('kernel versions (§0; SEMANTICS.md "Version")', () => {
  test('7.0: the _impl kfuncs are gone: a program calling one is refused at load, and does not run if forced in (KfuncUnavailableError)', () => {
    const s = new Session({ version: '7.0' });
    s.createFile({ path: EXE, content: content.pattern(7), size: 4096 });
    s.createFile({ path: TRIGGER, content: content.zero(), size: 16 });
    const old = taskWorkObject({ version: '6.19' }); // the 6.19 object, with the _impl call
    let err: unknown = null;
    try {
      s.load(old);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LoadError);
    expect(String((err as Error).message)).toContain('bpf_task_work_schedule_signal_impl');
    expect(s.world.objects.size).toBe(0);
    // Forced in without verification, the call itself is unavailable at run time.
    s.load(old, { unverified: true });
    s.spawn({ comm: 'app', exe: EXE, script: [OPEN, CLOSE] });
    const before: World = s.world;
    expect(() => s.simulate()).toThrow(KfuncUnavailableError);
    expect(s.world).toBe(before);
    const A = [...s.world.tasks.keys()][0] ?? -1;
    const p = s.asProgram(OBJ, 'hook', { task: A });
    expect(() => p.bpf_task_work_schedule_signal_impl(A, p.slot(MAP, 0), p.map(MAP), 'cb', null)).toThrow(KfuncUnavailableError);
    expect(() => p.bpf_task_work_schedule_resume_impl(A, p.slot(MAP, 0), p.map(MAP), 'cb', null)).toThrow(KfuncUnavailableError);
  });

  test.each(['signal', 'resume'] as const)('7.0: bpf_task_work_schedule_%s (4 arguments, aux implicit) works end to end', (mode) => {
    const s = setup({ version: '7.0', mode });
    const A = s.spawn({ comm: 'app', exe: EXE, script: [OPEN, CLOSE] });
    s.simulate();
    expect(schedRets(s)).toEqual(['0']);
    expect(s.events().some((e) => e.kind === 'kfunc' && e.name === `bpf_task_work_schedule_${mode}` && e.args.length === 4)).toBe(true);
    expect(g(s, 'cb_pid')).toBe(pidTgid(A));
    expect(transitions(s)).toEqual(FULL_CYCLE);
    expectBaseline(s);
  });

  test('7.0: the same errno rules (-EBUSY on a second schedule)', () => {
    const s = setup({ version: '7.0', twice: true });
    s.spawn({ comm: 'app', exe: EXE, script: [OPEN, CLOSE] });
    s.simulate();
    expect(schedRets(s)).toEqual(['0', '-EBUSY']);
    expectBaseline(s);
  });

  test('7.0: passing a 5th argument to the 4-argument kfunc is refused', () => {
    const s = new Session({ version: '7.0' });
    s.createFile({ path: EXE, content: content.pattern(7), size: 4096 });
    const obj = taskWorkObject({ version: '7.0' });
    s.load(obj);
    const A = s.spawn({ comm: 'app', exe: EXE, script: [] });
    const p = s.asProgram(OBJ, 'hook', { task: A });
    const f = p.bpf_task_work_schedule_signal as unknown as (...a: unknown[]) => number;
    expect(() => f(A, p.slot(MAP, 0), p.map(MAP), 'cb', null)).toThrow(ArgumentError);
  });

  test.each(['6.18', '6.19'] as const)('%s: the _impl names work and the 4-argument names do not exist yet', (version) => {
    const s = setup({ version });
    const A = s.spawn({ comm: 'app', exe: EXE, script: [OPEN, CLOSE] });
    s.simulate();
    expect(schedRets(s)).toEqual(['0']);
    expect(g(s, 'cb_runs')).toBe(1n);
    const p = s.asProgram(OBJ, 'hook', { task: A });
    expect(() => p.bpf_task_work_schedule_signal(A, p.slot(MAP, 0), p.map(MAP), 'cb')).toThrow(KfuncUnavailableError);
    expect(() => p.bpf_task_work_schedule_resume(A, p.slot(MAP, 0), p.map(MAP), 'cb')).toThrow(KfuncUnavailableError);
    expectBaseline(s);
  });
});
