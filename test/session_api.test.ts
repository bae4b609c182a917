/**
 * The Session API that needs no internals (issue 15): calling kfuncs as a loaded program calls them,
 * taking one chosen scheduler action, a task's state, a task_work slot's context, page states as
 * data, user-space map operations, and a global of a chosen object. Expected values come from the
 * semantics (SEMANTICS.md, semantics/task_work.md) and the kernel functions named at each test.
 */
import { describe, expect, test } from 'vitest';
import {
  ArgumentError, content, E2BIG, EBUSY, EEXIST, EFAULT, EINVAL, ENOENT, program as P, refSnapshot, Session,
  UnknownHandleError, type BpfObject,
} from '../src/index.ts';

const { call, r, imm, NULL, map, tw, cb, label, goto, ret, when, store } = P;
const BPF_NOEXIST = 1;
const BPF_EXIST = 2;
const BPF_F_LOCK = 4;

/** The README's demo: `lsm/file_open` schedules `work` on arrmap[0]; `work` sets `ran`. */
function demo(name = 'demo', init = 0): BpfObject {
  return {
    name,
    globals: [{ name: 'ran', kind: 'int', init }],
    maps: [{ name: 'arrmap', type: 'array', maxEntries: 1, valueSize: 8, taskWorkFields: 1 }],
    programs: [{ name: 'on_open', section: 'lsm/file_open', body: [
      call('bpf_map_lookup_elem', [map('arrmap'), imm(0)], 'r6'),
      goto('out', when('r6', '==', NULL)),
      call('bpf_get_current_task_btf', [], 'r7'),
      call('bpf_task_work_schedule_signal_impl', [r('r7'), tw('r6'), map('arrmap'), cb('work'), NULL], 'r0'),
      label('out'), ret(imm(0)),
    ] }],
    subprogs: [{ name: 'work', isStatic: true, body: [store('ran', imm(1)), ret(imm(0))] }],
  };
}

/** A session with /bin/app, the demo object loaded (not attached to anything that runs), and a task that sleeps. */
function withTask(): { s: Session; pid: number } {
  const s = new Session();
  s.createFile({ path: '/bin/app', content: content.pattern(3), size: 8192 });
  s.load(demo());
  const pid = s.spawn({ comm: 'app', exe: '/bin/app', script: [{ sys: 'sleep', ticks: 50 }, { sys: 'exit' }] });
  return { s, pid };
}

describe('asProgram: kfuncs called as a loaded program calls them', () => {
  test('a schedule records the program (it holds a reference while the work is pending); a second one is -EBUSY', () => {
    const { s, pid } = withTask();
    const p = s.asProgram('demo', 'on_open', { task: pid });
    expect(p.name).toBe('on_open');
    expect(p.sleepable).toBe(false); // lsm/ is not sleepable
    expect(p.bpf_task_work_schedule_signal_impl(pid, p.slot('arrmap', 0), p.map('arrmap'), 'work', null)).toBe(0);
    // semantics/task_work.md §1: the pending work holds a reference on the program (prog->aux).
    expect(refSnapshot(s.world).progs[p.prog]).toBe(2);
    // §1.1: a context not in STANDBY refuses a second schedule.
    expect(p.bpf_task_work_schedule_signal_impl(pid, p.slot('arrmap', 0), p.map('arrmap'), 'work', null)).toBe(-EBUSY);
    const last = s.events().filter((e) => e.kind === 'kfunc').at(-1);
    expect(last?.kind === 'kfunc' ? last.ctx : '').toBe(`pid ${pid} on_open:`);
    s.simulate();
    expect(s.global('ran')).toBe(1n); // the callback ran on the task's way back to user mode
    expect(refSnapshot(s.world).progs[p.prog]).toBe(1);
  });

  test('a sleepable program waits for I/O where a non-sleepable one gets -EFAULT (SEMANTICS.md: file dynptr reads)', () => {
    const s = new Session();
    s.createFile({ path: '/data', content: content.pattern(1), size: 3 * 4096 });
    const obj: BpfObject = {
      name: 'o', maps: [], globals: [], subprogs: [],
      programs: [
        { name: 'plain', section: 'lsm/file_open', body: [ret(imm(0))] },
        { name: 'sleepy', section: 'lsm.s/file_open', body: [ret(imm(0))] },
      ],
    };
    const id = s.load(obj);
    const f = s.open('/data');
    const buf = new Uint8Array(8);
    const plain = s.asProgram(id, 'plain');
    expect(plain.sleepable).toBe(false);
    expect(plain.bpf_dynptr_from_file(f, 0, 'd')).toBe(0);
    expect(plain.bpf_dynptr_read(buf, 8, 'd', 4096, 0)).toBe(-EFAULT);
    expect(plain.bpf_dynptr_file_discard('d')).toBe(0);
    const sleepy = s.asProgram(id, 'sleepy');
    expect(sleepy.sleepable).toBe(true);
    expect(sleepy.bpf_dynptr_from_file(f, 0, 'd')).toBe(0);
    expect(sleepy.bpf_dynptr_read(buf, 8, 'd', 4096, 0)).toBe(0);
    expect(sleepy.bpf_dynptr_file_discard('d')).toBe(0);
  });

  test('names that match nothing are typed errors', () => {
    const { s } = withTask();
    expect(() => s.asProgram('nope', 'on_open')).toThrow(UnknownHandleError);
    expect(() => s.asProgram('demo', 'nope')).toThrow(UnknownHandleError);
    expect(() => s.asProgram('demo', 'on_open', { task: 999 })).toThrow(UnknownHandleError);
    expect(() => s.asProgram('demo', 'on_open').map('nope')).toThrow(UnknownHandleError);
    s.load(demo());
    expect(() => s.asProgram('demo', 'on_open')).toThrow(/2 are loaded/);
  });
});

describe('stepAction: one chosen scheduler action in one call', () => {
  test('runs the chosen task first, and says which actions were ready when none matches', () => {
    const s = new Session();
    const a = s.spawn({ comm: 'a', script: [{ sys: 'sleep', ticks: 5 }] });
    const b = s.spawn({ comm: 'b', script: [{ sys: 'sleep', ticks: 5 }] });
    expect(s.readyActions()).toEqual([{ kind: 'task', pid: a }, { kind: 'task', pid: b }]);
    expect(s.stepAction(b)).toEqual({ kind: 'task', pid: b });
    const entered = s.events().filter((e) => e.kind === 'syscall' && e.op === 'enter');
    expect(entered.map((e) => (e.kind === 'syscall' ? e.pid : -1))).toEqual([b]);
    expect(s.taskState(b)).toBe('interruptible');
    expect(s.taskState(a)).toBe('runnable');
    expect(() => s.stepAction('irq')).toThrow(ArgumentError);
    expect(() => s.stepAction('irq')).toThrow(`ready: task ${a}`);
    expect(s.stepAction((act) => act.kind === 'task')).toEqual({ kind: 'task', pid: a });
    expect(() => s.stepAction('bogus' as 'irq')).toThrow(ArgumentError);
  });

  test('irq_work and timed events by kind', () => {
    const { s, pid } = withTask();
    const p = s.asProgram('demo', 'on_open', { task: pid });
    expect(p.bpf_task_work_schedule_signal_impl(pid, p.slot('arrmap', 0), p.map('arrmap'), 'work', null)).toBe(0);
    expect(s.taskWork('arrmap', 0)?.state).toBe('PENDING');
    expect(s.stepAction('irq')).toEqual({ kind: 'irq' });
    // §2: the irq_work moves PENDING → SCHEDULING → SCHEDULED (task_work_add succeeded).
    expect(s.taskWork('arrmap', 0)?.state).toBe('SCHEDULED');
    s.stepAction(pid); // the signal's kick: the callback runs on the way back to user mode (a preemption point)
    expect(s.global('ran')).toBe(1n);
    expect(s.taskState(pid)).toBe('runnable');
    s.stepAction(pid); // sleep(50)
    expect(s.taskState(pid)).toBe('interruptible');
    expect(s.stepAction('timer')).toMatchObject({ kind: 'timer', pid, at: 50 });
    s.simulate();
    expect(s.taskState(pid)).toBe('dead');
    expect(s.taskResults(pid)).toEqual([0n]); // sleep returned 0; exit never returns
    expect(() => s.taskState(12345)).toThrow(UnknownHandleError);
  });
});

describe('taskWork: the context in a map element\'s task_work slot', () => {
  test('null before the first schedule; then its state, mode, task and callback; an ARRAY update detaches and cancels it', () => {
    const { s, pid } = withTask();
    expect(s.taskWork('arrmap', 0)).toBeNull();
    const p = s.asProgram('demo', 'on_open', { task: pid });
    p.bpf_task_work_schedule_signal_impl(pid, p.slot('arrmap', 0), p.map('arrmap'), 'work', null);
    const info = s.taskWork('arrmap', 0);
    expect(info).toMatchObject({ state: 'PENDING', mode: 'TWA_SIGNAL', task: pid, callback: 'work' });
    // §4.5: every ARRAY update frees the element's special fields: the pending work is cancelled.
    expect(s.mapUpdate('arrmap', 0, new Uint8Array(8))).toBe(0);
    expect(s.taskWork('arrmap', 0)).toBeNull();
    expect(s.taskWork(info?.ctx ?? -1)?.state).toBe('FREED');
    s.simulate();
    expect(s.global('ran')).toBe(0n);
    expect(() => s.taskWork('arrmap', 1)).toThrow(UnknownHandleError);
    expect(s.taskWork(999)).toBeNull();
  });
});

describe('pageStates: the page cache as data', () => {
  test('each cached page with its state and reader references, ascending', () => {
    const s = new Session();
    s.createFile({ path: '/f', content: content.pattern(2), size: 4 * 4096 });
    expect(s.pageStates('/f')).toEqual([]);
    s.populate('/f', 2 * 4096, 4096);
    s.populate('/f', 0, 4096);
    expect(s.pageStates('/f')).toEqual([{ page: 0, state: 'uptodate', refs: 0 }, { page: 2, state: 'uptodate', refs: 0 }]);
    const f = s.open('/f');
    s.bpf_dynptr_from_file(f, 0, 'd');
    expect(s.bpf_dynptr_read(new Uint8Array(4), 4, 'd', 2 * 4096, 0)).toBe(0);
    // lib/freader.c: the reader keeps a reference on the folio it read until the discard.
    expect(s.pageStates('/f')).toEqual([{ page: 0, state: 'uptodate', refs: 0 }, { page: 2, state: 'uptodate', refs: 1 }]);
    s.bpf_dynptr_file_discard('d');
    expect(s.pageStates('/f')[1]).toEqual({ page: 2, state: 'uptodate', refs: 0 });
    // Two failures: the readahead's read of page 1, then filemap_read_folio's own re-read.
    s.injectIoError('/f', 4096, 2);
    s.sleepable();
    s.bpf_dynptr_from_file(f, 0, 'e');
    expect(s.bpf_dynptr_read(new Uint8Array(4), 4, 'e', 4096, 0)).toBe(-5); // -EIO
    s.bpf_dynptr_file_discard('e');
    expect(s.pageStates('/f').find((p) => p.page === 1)?.state).toBe('failed');
    expect(() => s.pageStates('/nope')).toThrow(UnknownHandleError);
  });
});

describe('mapUpdate / mapDelete / mapLookup: bpf(2) from user space (kernel/bpf/syscall.c)', () => {
  function maps(): Session {
    const s = new Session();
    s.load({
      name: 'm', globals: [], subprogs: [],
      maps: [
        { name: 'h', type: 'hash', maxEntries: 2, valueSize: 4, taskWorkFields: 0 },
        { name: 'a', type: 'array', maxEntries: 2, valueSize: 4, taskWorkFields: 0 },
        { name: 'l', type: 'lru_hash', maxEntries: 2, valueSize: 4, taskWorkFields: 0 },
      ],
      programs: [{ name: 'p', section: 'syscall', body: [ret(imm(0))] }],
    });
    return s;
  }

  test('HASH: the flags, a full map, lookup copies the value, delete', () => {
    const s = maps();
    const v = new Uint8Array(4);
    expect(s.mapLookup('h', 1, v)).toBe(-ENOENT);
    expect(s.mapUpdate('h', 1, Uint8Array.of(1, 2, 3, 4), BPF_NOEXIST)).toBe(0);
    expect(s.mapLookup('h', 1, v)).toBe(0);
    expect([...v]).toEqual([1, 2, 3, 4]);
    expect(s.mapUpdate('h', 1, Uint8Array.of(9, 9, 9, 9), BPF_NOEXIST)).toBe(-EEXIST);
    expect(s.mapUpdate('h', 7, Uint8Array.of(9, 9, 9, 9), BPF_EXIST)).toBe(-ENOENT);
    expect(s.mapUpdate('h', 2, Uint8Array.of(5, 5, 5, 5))).toBe(0);
    expect(s.mapUpdate('h', 3, Uint8Array.of(5, 5, 5, 5))).toBe(-E2BIG); // full, and not LRU
    // syscall.c map_update_elem: BPF_F_LOCK on a value without a bpf_spin_lock, before the map's checks.
    expect(s.mapUpdate('h', 3, Uint8Array.of(5, 5, 5, 5), BPF_F_LOCK)).toBe(-EINVAL);
    expect(s.mapLookup('h', 1, v, BPF_F_LOCK)).toBe(-EINVAL);
    expect(s.mapLookup('h', 1, v, 8)).toBe(-EINVAL);
    expect(s.mapDelete('h', 1)).toBe(0);
    expect(s.mapDelete('h', 1)).toBe(-ENOENT);
    expect(s.trace()).toContain('map h: update key 1 = 0');
    expect(s.trace()).toContain('map h: delete key 1 = -2');
  });

  test('ARRAY: out-of-range keys, no delete', () => {
    const s = maps();
    const v = new Uint8Array(4);
    expect(s.mapLookup('a', 1, v)).toBe(0);
    expect([...v]).toEqual([0, 0, 0, 0]); // array_map_alloc: zeroed
    expect(s.mapLookup('a', 2, v)).toBe(-ENOENT);
    expect(s.mapUpdate('a', 2, v)).toBe(-E2BIG);
    expect(s.mapUpdate('a', 0, v, BPF_NOEXIST)).toBe(-EEXIST);
    // syscall.c checks BPF_F_LOCK first, where a program's bpf_map_update_elem (arraymap.c) gets -E2BIG.
    expect(s.mapUpdate('a', 2, v, BPF_F_LOCK)).toBe(-EINVAL);
    expect(s.mapDelete('a', 0)).toBe(-EINVAL);
  });

  test('LRU_HASH: a lookup from user space does not make an element recently used; a program\'s does', () => {
    const evicted = (programLookup: boolean): number[] => {
      const s = maps();
      s.mapUpdate('l', 1, new Uint8Array(4));
      s.mapUpdate('l', 2, new Uint8Array(4));
      if (programLookup) expect(s.asProgram('m', 'p').bpf_map_lookup_elem(s.mapId('l'), 1)).not.toBeNull();
      else expect(s.mapLookup('l', 1, new Uint8Array(4))).toBe(0);
      expect(s.mapUpdate('l', 3, new Uint8Array(4))).toBe(0);
      return [1, 2, 3].filter((k) => s.mapLookup('l', k, new Uint8Array(4)) === -ENOENT);
    };
    expect(evicted(false)).toEqual([1]);
    expect(evicted(true)).toEqual([2]);
  });

  test('misuse is a typed error', () => {
    const s = maps();
    expect(() => s.mapUpdate('h', 1, new Uint8Array(2))).toThrow(ArgumentError);
    expect(() => s.mapLookup('h', 1, new Uint8Array(2))).toThrow(ArgumentError);
    expect(() => s.mapUpdate('nope', 1, new Uint8Array(4))).toThrow(UnknownHandleError);
    expect(() => s.mapDelete(999, 1)).toThrow(UnknownHandleError);
    expect(() => s.mapUpdate('h', 1.5, new Uint8Array(4))).toThrow(ArgumentError);
  });
});

describe('global(obj, name)', () => {
  test('reads the named object; global(name) keeps reading the first object that has it', () => {
    const s = new Session();
    s.load(demo('first', 1));
    const second = s.load(demo('second', 2));
    expect(s.global('ran')).toBe(1n);
    expect(s.global('second', 'ran')).toBe(2n);
    expect(s.global(second, 'ran')).toBe(2n);
    expect(s.global('first', 'nope')).toBeUndefined();
    expect(() => s.global('third', 'ran')).toThrow(UnknownHandleError);
    expect(() => s.global(99, 'ran')).toThrow(UnknownHandleError);
    expect(() => s.mapId('arrmap')).toThrow(ArgumentError); // two objects have one
    expect(s.mapId('arrmap', second)).not.toBe(s.mapId('arrmap', 'first'));
  });
});

describe('mapId(name)', () => {
  test('each world answers with its own objects: a later load of the same map name makes it ambiguous there, not in the world before', () => {
    const s = new Session();
    s.load(demo('first', 1));
    const w1 = s.world;
    const id = s.mapId('arrmap');
    const second = s.load(demo('second', 2));
    expect(() => s.mapId('arrmap')).toThrow(/2 maps have it/);
    const other = s.mapId('arrmap', second);
    expect(other).not.toBe(id);
    s.world = w1;
    expect(s.mapId('arrmap')).toBe(id);
    expect(() => s.mapId('arrmap', 'second')).toThrow(UnknownHandleError);
    expect(() => s.mapId('nope')).toThrow(UnknownHandleError);
  });
  test('a map createMap made is a map of the world: found by its name, and a name it shares with an object\'s map is ambiguous', () => {
    const s = new Session();
    const solo = s.createMap({ type: 'hash', maxEntries: 4, valueSize: 8, name: 'solo' });
    expect(s.mapId('solo')).toBe(solo);
    expect(s.mapUpdate('solo', 1, new Uint8Array(8))).toBe(0);
    expect(s.mapLookup(solo as number, 1, new Uint8Array(8))).toBe(0);
    const rb = s.createMap({ type: 'ringbuf', maxEntries: 4096, name: 'rb' });
    expect(s.ringbuf('rb')).toEqual(s.ringbuf(rb as number));
    const obj = s.load(demo('first', 1));
    const mine = s.mapId('arrmap', obj);
    const made = s.createMap({ type: 'array', maxEntries: 4, valueSize: 8, name: 'arrmap' });
    expect(() => s.mapId('arrmap')).toThrow(new RegExp(`2 maps have it, ids ${mine}, ${made}:`));
    expect(s.mapId('arrmap', obj)).toBe(mine);
  });
});

describe('kfunc methods', () => {
  test('a method taken off a session calls the kfunc on that session, not on another one', () => {
    // SEMANTICS.md (LOCAL dynptrs): bpf_dynptr_from_mem makes a dynptr of the buffer's size;
    // bpf_dynptr_size of a slot that was never initialized is a misuse (a typed error).
    const a = new Session();
    const b = new Session();
    const { bpf_dynptr_from_mem, bpf_dynptr_size } = a;
    expect(bpf_dynptr_from_mem(new Uint8Array(24), 24, 0, 'd')).toBe(0);
    expect(bpf_dynptr_size('d')).toBe(24n);
    expect(a.bpf_dynptr_size('d')).toBe(24n);
    expect(() => b.bpf_dynptr_size('d')).toThrow(UnknownHandleError);
    // Read twice, the method is the same function; each session has its own.
    expect(a.bpf_dynptr_size).toBe(bpf_dynptr_size);
    expect(b.bpf_dynptr_size).not.toBe(a.bpf_dynptr_size);
    expect(Object.keys(a)).not.toContain('bpf_dynptr_size');
  });
});
