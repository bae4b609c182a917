/**
 * Worlds are values: a transition returns a new world and leaves the one it started from exactly as
 * it was (the model runs immer without auto-freeze, so this is what keeps it honest), and the same
 * inputs give the same world.
 */
import { Immer } from 'immer';
import { describe, expect, test } from 'vitest';
import { cache, content, createWorld, describeWorld, files, formatTrace, kfuncsOf, NON_SLEEPABLE, refSnapshot, Session, SLEEPABLE, stateBytes, transact, type CallContext, type World } from '../src/index.ts';
import { begin, emit, end, transactWith } from '../src/model/world/world.ts';
import { TaskRecord } from '../src/model/task/record.ts';
import { fileReaderObject, scenario } from '../examples/file_reader.ts';

/** Everything observable about a world, as text. */
function fingerprint(w: World): string {
  const tasks = [...w.tasks.values()].map((t) => JSON.stringify({ ...t, flags: t.flags, fds: [...t.fds], stack: t.stack.length, userMem: t.userMem.length, results: t.results }, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)));
  return [describeWorld(w), formatTrace(w.trace), JSON.stringify(refSnapshot(w)), String(stateBytes(w)), ...tasks, JSON.stringify([...w.choices]), String(w.clock.now)].join('\n');
}

describe('worlds are values', () => {
  test('stepping a scenario leaves every earlier world unchanged', () => {
    const s = scenario({ object: fileReaderObject(), cache: 'cold' });
    const history: [World, string][] = [];
    for (let i = 0; i < 400 && s.step(); i += 1) history.push([s.world, fingerprint(s.world)]);
    expect(history.length).toBeGreaterThan(50);
    for (const [w, before] of history) expect(fingerprint(w)).toBe(before);
  });

  test('a transition ends once (its events are kept by the new trace), and transitions from one world each keep their own events', () => {
    const w0 = createWorld();
    const k = begin(w0, NON_SLEEPABLE);
    emit(k, { kind: 'warn', t: 0, what: 'once' });
    const w1 = end(k);
    expect(() => end(k)).toThrow(/a transition ended twice/);
    // Two transitions from the same world each have their own chunk; a step from either leaves the other as it was.
    const k2 = begin(w0, NON_SLEEPABLE);
    emit(k2, { kind: 'warn', t: 0, what: 'other' });
    const w2 = end(k2);
    const k3 = begin(w1, NON_SLEEPABLE);
    emit(k3, { kind: 'warn', t: 0, what: 'after' });
    const w3 = end(k3);
    expect([w0, w1, w2, w3].map((w) => formatTrace(w.trace).split('\n').filter((l) => l !== '').length)).toEqual([0, 1, 1, 2]);
    expect(formatTrace(w2.trace)).toContain('other');
    expect(formatTrace(w3.trace)).not.toContain('other');
  });

  test('the same scenario run twice gives the same final world', () => {
    const a = scenario({ object: fileReaderObject(), cache: 'cold' }).simulate();
    const b = scenario({ object: fileReaderObject(), cache: 'cold' }).simulate();
    expect(fingerprint(b.world)).toBe(fingerprint(a.world));
  });
});

describe('a transition copies only what it changes (src/model/tables.ts)', () => {
  function warm(ctx: CallContext = SLEEPABLE): World {
    return transact(createWorld(), ctx, (k) => {
      files.createInode(k, { path: '/f', content: content.pattern(3), size: 3 * 4096 });
      cache.populateRange(k, '/f');
      kfuncsOf(k).bpf_dynptr_from_file(files.openFile(k, '/f'), 0, 'd');
    }).world;
  }

  test('files created from one world of many: each world has its own paths, the earlier one none of the later\'s', () => {
    // The paths are a B+ tree cloned by each transition that adds one (src/pagecache/btree.ts): a
    // clone written to in place of a copy would show the new paths in the world it was cloned from.
    const s = new Session();
    for (let i = 0; i < 3000; i += 1) s.createFile({ path: `/f${i}`, content: content.pattern(1), size: 16 });
    const w0 = s.world;
    const made = ['/a', '/f2999x', '/g/0', '/f1500 '].map((path) => {
      s.world = w0;
      s.createFile({ path, content: content.pattern(2), size: 16 });
      return { path, world: s.world };
    });
    expect(w0.paths.size).toBe(3000);
    for (const { path, world } of made) {
      expect([path, w0.paths.has(path), world.paths.size, world.paths.has(path), world.paths.has('/f0'), world.paths.has('/f2999')]).toEqual([path, false, 3001, true, true, true]);
      for (const other of made) if (other.path !== path) expect([path, other.path, world.paths.has(other.path)]).toEqual([path, other.path, false]);
    }
    // Made from the same world, each new file has the same next inode number.
    expect(new Set(made.map(({ path, world }) => world.paths.get(path))).size).toBe(1);
    s.world = made[0]?.world as World;
    expect(() => s.createFile({ path: '/a', content: content.pattern(2), size: 16 })).toThrow(/a path not yet created/);
  });

  test('kfunc calls on the hot tables leave the immer state and the untouched tables shared', () => {
    const w = warm(NON_SLEEPABLE);
    const dst = new Uint8Array(8);
    const next = transact(w, NON_SLEEPABLE, (k) => kfuncsOf(k).bpf_dynptr_read(dst, 8, 'd', 4096, 0)).world;
    expect(next).not.toBe(w);
    for (const name of ['tasks', 'maps', 'progs', 'ids', 'faults', 'inodes', 'paths', 'files', 'dynptrs', 'io'] as const) expect(next[name], name).toBe(w[name]);
    // The non-sleepable read moved the reader to page 1: its state and the page references changed.
    expect(next.fileStates).not.toBe(w.fileStates);
    expect(next.pagecache).not.toBe(w.pagecache);
    expect(next.trace.length).toBe(w.trace.length + 1);
  });

  test('a sleepable read of cached pages changes only the file (its f_ra.prev_pos): no folio is held', () => {
    const w = warm(SLEEPABLE);
    const next = transact(w, SLEEPABLE, (k) => kfuncsOf(k).bpf_dynptr_read(new Uint8Array(8), 8, 'd', 4096, 0)).world;
    for (const name of ['tasks', 'maps', 'progs', 'ids', 'faults', 'inodes', 'paths', 'dynptrs', 'io', 'fileStates', 'pagecache'] as const) expect(next[name], name).toBe(w[name]);
    expect(next.files).not.toBe(w.files);
    expect([...next.files.values()][0]?.ra.prevPos).toBe(4096n + 8n);
  });

  test('a transition that changes nothing and logs nothing is the same world', () => {
    const w = warm();
    expect(transact(w, SLEEPABLE, () => 0).world).toBe(w);
  });

  test('an auto-freezing immer gives a frozen cold state (what immer drafts), with the hot tables and the trace in the new world', () => {
    const s = new Session();
    s.load(fileReaderObject());
    const w = s.world;
    const map = [...w.maps.keys()][0];
    const next = transactWith(new Immer({ autoFreeze: true }), w, SLEEPABLE, (k) => kfuncsOf(k).bpf_map_update_elem(map ?? -1, 0, new Uint8Array(8), 0));
    expect(next.result).toBe(0);
    expect(next.world.maps).not.toBe(w.maps);
    expect(Object.isFrozen(next.world.maps)).toBe(true);
    expect(Object.isFrozen(w.maps)).toBe(false);
    expect(next.world.files).toBe(w.files);
    expect(next.world.trace.length).toBe(w.trace.length + 1);
    expect(formatTrace(next.world.trace)).toContain('bpf_map_update_elem');
  });
});

describe("a transition's copy of a task (src/model/task/record.ts)", () => {
  // A task in the middle of a BPF test run whose program made a bpf-to-bpf call inside a bpf_loop:
  // every optional field of a syscall activity and of a frame is set.
  function busyTask(): TaskRecord {
    const t = new TaskRecord({ pid: 7, comm: 'busy', mm: null, script: [{ sys: 'prog_test_run', prog: 'p' }] });
    const callerStack = new Uint8Array(512).fill(1);
    t.pushActivity({ a: 'syscall', sys: { sys: 'prog_test_run', prog: 'p' }, stage: 1, ret: null, scratch: 3, hooks: 1, packet: 4, resume: { at: 1 } });
    t.pushActivity({
      a: 'prog', started: true,
      frame: {
        id: 9, prog: 2, fn: 'cb', callback: false, pc: 5, regs: { r1: 1n, r6: { ptr: 'ctx' } }, resume: null, sleepable: false, ctxFile: null, twCtx: null,
        stack: new Uint8Array(512).fill(2), spills: { [-8]: { ptr: 'ctx' } },
        callers: [{ id: 8, fn: 'main', pc: 3, regs: { r6: 6n }, stack: callerStack, spills: { [-16]: { ptr: 'ctx' } }, dst: 'r0', loop: { i: 1, nr: 4, cb: 'cb', ctx: null, start: 2 } }],
        entry: 'main', ctxPacket: 4, ctxArgs: [1n, 2n],
      },
    });
    return t;
  }

  test('keeps every field of every activity, deeply equal', () => {
    const t = busyTask();
    expect(t.clone().stack).toEqual(t.stack);
  });

  test('changing the copy the way the interpreter does leaves the original as it was', () => {
    const t = busyTask();
    const before = structuredClone(t.stack);
    const c = t.clone();
    const sys = c.stack[0];
    const prog = c.stack[1];
    if (sys?.a !== 'syscall' || prog?.a !== 'prog') throw new Error('unexpected stack');
    sys.stage = 2;
    sys.packet = 5;
    const f = prog.frame;
    f.pc = 6;
    f.regs.r1 = 2n;
    (f.spills as Record<number, unknown>)[-8] = null;
    const caller = f.callers?.[0];
    if (caller === undefined || caller.loop === null) throw new Error('unexpected frame');
    caller.regs.r6 = 7n;
    caller.loop.i = 2;
    (caller.spills as Record<number, unknown>)[-16] = null;
    f.callers?.pop();
    expect(t.stack).toEqual(before);
  });

  test('its flags: the copy starts with the original\'s, and each changes its own', () => {
    const t = busyTask();
    t.notifyResume = true;
    t.pfExiting = true;
    const c = t.clone();
    expect(c.flags).toEqual({ notifySignal: false, notifyResume: true, pfExiting: true });
    c.notifySignal = true;
    c.notifyResume = false;
    expect(c.flags).toEqual({ notifySignal: true, notifyResume: false, pfExiting: true });
    expect(t.flags).toEqual({ notifySignal: false, notifyResume: true, pfExiting: true });
    expect([t.notifyPending, c.notifyPending]).toEqual([true, true]);
    c.notifySignal = false;
    expect(c.notifyPending).toBe(false);
    // A read is a frozen copy: it does not change with the task, and cannot change it.
    const seen = t.flags;
    t.pfExiting = false;
    expect(seen.pfExiting).toBe(true);
    expect(Object.isFrozen(seen)).toBe(true);
    // The record's JSON keeps the flags, after the state, as a plain field did.
    expect(Object.keys(JSON.parse(JSON.stringify(t, (_k, v) => (typeof v === 'bigint' ? String(v) : v))) as object).slice(6, 9)).toEqual(['state', 'flags', 'usage']);
  });
});
