/**
 * Generated task_work scenarios (pure arbitraries plus the builder that turns one into a world).
 * The object is like selftests/bpf/progs/task_work.c: the `lsm/file_open` hook finds (HASH: inserts)
 * element 0 of `twmap` and schedules `cb` on the opener; the callback counts its runs and reads
 * its exe file through a FILE dynptr (sleeping when the page is cold).
 */
import fc from 'fast-check';
import { content, program as P, Session, type BpfObject, type Syscall, type World } from '../src/index.ts';
import { worldCache } from './harness.ts';

const { r, imm, NULL, map, tw, cb, call, mov, alu, store, label, goto, ret, when, glob, dynptr, buf } = P;

export interface TwScenario {
  /**
   * 6.19 (`_impl` names; a context's last reference frees it at once) or 7.2 (plain names; dropped
   * in an irq_work handler, it is destroyed by an irq_work of its own: `twDestroyDeferred`).
   */
  readonly version: '6.19' | '7.2';
  readonly mapType: 'array' | 'hash' | 'lru_hash';
  readonly mode: 'signal' | 'resume';
  readonly cold: boolean;
  readonly scripts: readonly (readonly Syscall[])[];
}

const EXE = '/bin/app';
const TRIGGER = '/tmp/trigger';

/** The BPF object of a scenario. */
export function objectOf(sc: TwScenario): BpfObject {
  const plain = sc.version !== '6.19';
  const fn = `bpf_task_work_schedule_${sc.mode}${plain ? '' : '_impl'}`;
  return {
    name: 'tw_props',
    maps: [{ name: 'twmap', type: sc.mapType, maxEntries: 1, valueSize: 8, taskWorkFields: 1 }],
    // `val`: a value to update with (value_size 16: the data and the bpf_task_work field).
    globals: [{ name: 'runs', kind: 'int' }, { name: 'byte', kind: 'bytes', size: 1 }, { name: 'val', kind: 'bytes', size: 16 }],
    programs: [{ name: 'hook', section: 'lsm/file_open', body: [
      ...(sc.mapType === 'array' ? [] : [call('bpf_map_update_elem', [map('twmap'), imm(0), buf('val'), imm(1)])]),
      call('bpf_map_lookup_elem', [map('twmap'), imm(0)], 'r6'),
      goto('out', when('r6', '==', NULL)),
      call('bpf_get_current_task_btf', [], 'r7'),
      call(fn, [r('r7'), tw('r6'), map('twmap'), cb('cb'), ...(plain ? [] : [NULL])], 'r0'),
      label('out'),
      ret(imm(0)),
    ] }],
    subprogs: [{ name: 'cb', isStatic: true, body: [
      mov('r9', glob('runs')), alu('add', 'r9', imm(1)), store('runs', r('r9')),
      call('bpf_get_current_task_btf', [], 'r6'),
      call('bpf_get_task_exe_file', [r('r6')], 'r7'),
      goto('out', when('r7', '==', NULL)),
      call('bpf_dynptr_from_file', [r('r7'), imm(0), dynptr('d')], 'r0'),
      call('bpf_dynptr_read', [buf('byte'), imm(1), dynptr('d'), imm(4096), imm(0)], 'r0'),
      call('bpf_dynptr_file_discard', [dynptr('d')]),
      call('bpf_put_file', [r('r7')]),
      label('out'),
      ret(imm(0)),
    ] }],
  };
}

/** One step of a task's script; opens are paired with closes so named descriptors stay free. */
const step: fc.Arbitrary<Syscall[]> = fc.oneof(
  fc.constant<Syscall[]>([{ sys: 'open', path: TRIGGER, fd: 't' }, { sys: 'close', fd: 't' }]),
  fc.constant<Syscall[]>([{ sys: 'open', path: TRIGGER, fd: 't' }, { sys: 'sleep', ticks: 50 }, { sys: 'close', fd: 't' }]),
  fc.constant<Syscall[]>([{ sys: 'map_delete', map: 'twmap', key: 0 }]),
  fc.constant<Syscall[]>([{ sys: 'map_update', map: 'twmap', key: 0 }]),
  fc.nat({ max: 120 }).map<Syscall[]>((ticks) => [{ sys: 'sleep', ticks }]),
  fc.constant<Syscall[]>([{ sys: 'map_close', map: 'twmap' }]),
  fc.constant<Syscall[]>([{ sys: 'exit' }]),
  // A child that opens the trigger (its hook schedules on the child), waited for or left a zombie.
  fc.boolean().map<Syscall[]>((wait) => [
    { sys: 'fork', script: [{ sys: 'open', path: TRIGGER, fd: 't' }, { sys: 'sleep', ticks: 10 }, { sys: 'close', fd: 't' }] },
    ...(wait ? [{ sys: 'wait' as const }] : []),
  ]),
  // Plain works queued with TWA_NONE wait for the next task_work_run: a batch of several works.
  fc.constantFrom('TWA_RESUME' as const, 'TWA_SIGNAL' as const).map<Syscall[]>((mode) => [
    { sys: 'task_work_add', label: 'first', mode: 'TWA_NONE' }, { sys: 'task_work_add', label: 'second', mode: 'TWA_NONE' },
    { sys: 'task_work_add', label: 'third', mode },
  ]),
);

const script: fc.Arbitrary<Syscall[]> = fc.array(step, { minLength: 1, maxLength: 5 }).map((steps) => {
  // A map_close may appear once per world; later ones are dropped by the builder.
  return steps.flat();
});

export const twScenario: fc.Arbitrary<TwScenario> = fc.record({
  version: fc.constantFrom('6.19' as const, '7.2' as const),
  mapType: fc.constantFrom('array' as const, 'hash' as const, 'lru_hash' as const),
  mode: fc.constantFrom('signal' as const, 'resume' as const),
  cold: fc.boolean(),
  scripts: fc.array(script, { minLength: 1, maxLength: 3 }),
});

/**
 * The session of scenario `sc`: its loaded world (shared, see `loadedWorld`; `fresh`: built anew)
 * and one task per script (a second `map_close` in the world is dropped).
 */
export function buildTaskWorkWorld(sc: TwScenario, opts: { readonly smp?: boolean; readonly fresh?: boolean } = {}): Session {
  const s = new Session({ version: sc.version, ...(opts.smp === true ? { smp: true } : {}) });
  s.world = opts.fresh === true ? loadWorld(sc, opts.smp === true) : loadedWorld(sc, opts.smp === true);
  let closed = false;
  sc.scripts.forEach((sys, i) => {
    const kept = sys.filter((x) => {
      if (x.sys !== 'map_close') return true;
      if (closed) return false;
      closed = true;
      return true;
    });
    s.spawn({ comm: `t${i}`, exe: EXE, script: kept });
  });
  return s;
}

/** The world of a scenario before its tasks: the files, the cache and the object loaded. */
function loadWorld(sc: TwScenario, smp: boolean): World {
  const s = new Session({ version: sc.version, ...(smp ? { smp: true } : {}) });
  s.createFile({ path: EXE, content: content.pattern(5), size: 3 * 4096 });
  s.createFile({ path: TRIGGER, content: content.zero(), size: 16 });
  if (!sc.cold) s.populate(EXE);
  s.load(objectOf(sc));
  return s.world;
}

/**
 * `loadWorld` made once per process for each of its 48 inputs (version, map type, mode, cache, CPUs): the
 * scenarios that start alike share one. P8 builds one of its worlds `fresh` to check that building
 * again gives the same.
 */
const loaded = worldCache();

function loadedWorld(sc: TwScenario, smp: boolean): World {
  return loaded(`${sc.version}/${sc.mapType}/${sc.mode}/${sc.cold}/${smp}`, () => loadWorld(sc, smp));
}

/**
 * A `syscall` program that schedules signal-mode task_work on element 0 of `twmap` for the current
 * task (6.18/6.19 `_impl` names), with a callback that counts its runs in the global `runs`: the
 * smallest object the task_work properties load when they drive the kfuncs themselves.
 */
export function syscallTaskWorkObject(mapType: 'array' | 'hash' | 'lru_hash', maxEntries = 1): BpfObject {
  return {
    name: 'tw_direct',
    maps: [{ name: 'twmap', type: mapType, maxEntries, valueSize: 8, taskWorkFields: 1 }],
    globals: [{ name: 'runs', kind: 'int' }],
    programs: [{ name: 'prog', section: 'syscall', body: [
      call('bpf_map_lookup_elem', [map('twmap'), imm(0)], 'r6'),
      goto('out', when('r6', '==', NULL)),
      call('bpf_get_current_task_btf', [], 'r7'),
      call('bpf_task_work_schedule_signal_impl', [r('r7'), tw('r6'), map('twmap'), cb('cb'), NULL], 'r0'),
      label('out'),
      ret(imm(0)),
    ] }],
    subprogs: [{ name: 'cb', isStatic: true, body: [mov('r9', glob('runs')), alu('add', 'r9', imm(1)), store('runs', r('r9')), ret(imm(0))] }],
  };
}
