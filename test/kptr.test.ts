/**
 * Kptrs in map values (src/model/kptr, src/model/maps/layout.ts). Expected values come from the kernel
 * source (7.2.13): the value layout as C lays out the struct the model renders; the verifier's
 * messages from kernel/bpf/verifier.c `check_map_access`, `check_map_kptr_access`,
 * `btf_ld_kptr_type`, `map_kptr_match_type`, `process_kptr_func`, `check_func_arg` (the 6.18 wording
 * of the release argument was read off the host's log); what happens to a kptr when its element
 * memory is unlinked or overwritten from arraymap.c/hashtab.c (`bpf_obj_cancel_fields` on 7.2,
 * `bpf_obj_free_fields` before: the host tier's kp_* cases show 6.18 freeing).
 */
import { describe, expect, test } from 'vitest';
import {
  ArgumentError, EINVAL, NotModelledError, program as P, refSnapshot, renderC, Session, verify,
  type BpfObject, type KernelVersion, type MapDecl, type Op,
} from '../src/index.ts';
import { valueLayout } from '../src/model/maps/layout.ts';
import { KFUNCS } from '../src/model/kfuncs.ts';

const { r, imm, NULL, call, field, goto, when, label, ret, ld, st, kptr, map, atomicAdd, buf, storeAt, mov } = P;

const KM: MapDecl = { name: 'km', type: 'array', maxEntries: 2, valueSize: 8, taskWorkFields: 0, kptrs: [{ name: 'task', type: 'task_struct' }, { name: 'ut', type: 'task_struct', untrusted: true }] };
const PLAIN: MapDecl = { name: 'plain', type: 'array', maxEntries: 1, valueSize: 8, taskWorkFields: 0 };
const TW: MapDecl = { name: 'tw', type: 'array', maxEntries: 1, valueSize: 8, taskWorkFields: 1 };
const look = (m = 'km', key = 0, reg = 'v'): Op[] => [call('bpf_map_lookup_elem', [map(m), imm(key)], reg), goto('out', when(reg, '==', NULL))];
const acquire: Op[] = [call('bpf_get_current_task_btf', [], 'cur'), call('bpf_task_acquire', [r('cur')], 'a'), goto('out', when('a', '==', NULL))];

function verdict(body: Op[], version: KernelVersion, section = 'syscall'): string | null {
  const obj: BpfObject = { name: 'o', maps: [KM, PLAIN, TW], subprogs: [], globals: [{ name: 'b', kind: 'bytes', size: 64 }], programs: [{ name: 'p', section, body: [...body, label('out'), ret(imm(0))] }] };
  return verify(obj, version)[0]?.message ?? null;
}

describe('the value layout (the struct render.ts declares)', () => {
  test('data, then the special fields from the next multiple of 8, each 8 bytes; value_size covers them', () => {
    const l = valueLayout({ valueSize: 5, taskWorkFields: 1, kptrs: [{ name: 'a', type: 'task_struct' }, { name: 'b', type: 'file', untrusted: true }] });
    // char data[5]; struct bpf_task_work tw (aligned 8) at 8; two pointers at 16 and 24: sizeof 32.
    expect(l.size).toBe(32);
    expect(l.dataEnd).toBe(8);
    expect(l.fields.map((f) => [f.kind, f.off])).toEqual([['task_work', 8], ['kptr', 16], ['kptr', 24]]);
    expect(l.fields.filter((f) => f.kind === 'kptr').map((f) => f.kind === 'kptr' && f.ref)).toEqual([true, false]);
    // Without special fields the value is its data alone, unpadded.
    expect(valueLayout({ valueSize: 5, taskWorkFields: 0 })).toEqual({ size: 5, dataEnd: 5, fields: [] });
  });

  test('the rendered C declares the fields with their tags, and makes clang write the kernel structure (not a forward declaration)', () => {
    const c = renderC({ name: 'o', maps: [KM], globals: [], subprogs: [], programs: [{ name: 'p', section: 'syscall', body: [ret(imm(0))] }] });
    expect(c).toContain('\tstruct task_struct __kptr *task;');
    expect(c).toContain('\tstruct task_struct __kptr_untrusted *ut;');
    expect(c).toContain('struct task_struct *__kptr_type_task_struct __attribute__((used));');
  });
});

describe('the verifier: check_map_access and check_map_kptr_access', () => {
  test.each(['6.18', '7.2'] as const)('%s: loads and stores of the fields', (v) => {
    expect(verdict([...look(), ...acquire, st(8, kptr('v', 'task'), 0, r('a')), call('bpf_task_release', [r('a')])], v)).toBe('store to referenced kptr disallowed');
    expect(verdict([...look(), st(8, kptr('v', 'task'), 0, imm(0))], v)).toBe('store to referenced kptr disallowed');
    // An untrusted kptr takes a pointer of its type (current, trusted), or 0; BPF_ST of anything else is refused.
    expect(verdict([...look(), call('bpf_get_current_task_btf', [], 'cur'), st(8, kptr('v', 'ut'), 0, r('cur'))], v)).toBeNull();
    expect(verdict([...look(), st(8, kptr('v', 'ut'), 0, imm(0))], v)).toBeNull();
    expect(verdict([...look(), st(8, kptr('v', 'ut'), 0, imm(1))], v)).toBe('BPF_ST imm must be 0 when storing to kptr at off=16');
    // A pointer of another type: map_kptr_match_type.
    expect(verdict([...look(), call('bpf_get_current_task_btf', [], 'cur'), call('bpf_get_task_exe_file', [r('cur')], 'f'), goto('out', when('f', '==', NULL)),
      st(8, kptr('v', 'ut'), 0, r('f')), call('bpf_put_file', [r('f')])], v, 'lsm.s/file_open')).toMatch(/^invalid kptr access, R\d+ type=ptr_file expected=ptr_task_struct or untrusted_ptr_task_struct$/);
    expect(verdict([...look(), ld('x', 4, kptr('v', 'task'))], v)).toBe('kptr access size must be BPF_DW');
    expect(verdict([...look(), ld('x', 8, r('v'), 12)], v)).toBe('kptr access misaligned expected=8 off=12');
    expect(verdict([...look(), atomicAdd(8, kptr('v', 'ut'), imm(1))], v)).toBe('kptr in map can only be accessed using BPF_MEM instruction mode');
    expect(verdict([...look(), call('bpf_probe_read_kernel', [kptr('v', 'task'), imm(8), imm(0)], 'n')], v)).toBe('kptr cannot be accessed indirectly by helper');
    // The task_work field is accessed by no load or store; past the value, the bound is value_size (data and fields).
    expect(verdict([...look('tw'), ld('x', 8, r('v'), 8)], v)).toBe('bpf_task_work cannot be accessed directly by load/store');
    expect(verdict([...look('tw'), ld('x', 8, r('v'), 16)], v)).toBe('invalid access to map value, value_size=16 off=16 size=8');
    // The data before the fields is plain memory.
    expect(verdict([...look(), ld('x', 8, r('v'), 0), st(8, r('v'), 0, imm(7))], v)).toBeNull();
  });

  test.each(['6.18', '7.2'] as const)('%s: a load gives an RCU pointer inside an RCU critical section, an untrusted one outside; both maybe NULL', (v) => {
    const load = [...look(), ld('t', 8, kptr('v', 'task'))];
    const useAcquire = [goto('unl', when('t', '==', NULL)), call('bpf_task_acquire', [r('t')], 'b'), goto('unl', when('b', '==', NULL)), call('bpf_task_release', [r('b')]), label('unl')];
    // Sleepable: outside bpf_rcu_read_lock untrusted (KF_RCU bpf_task_acquire refuses it), inside an RCU pointer.
    expect(verdict([...load, ...useAcquire], v)).toBe('R1 must be a rcu pointer');
    expect(verdict([...look(), call('bpf_rcu_read_lock', []), ld('t', 8, kptr('v', 'task')), ...useAcquire, call('bpf_rcu_read_unlock', [])], v)).toBeNull();
    // Not sleepable: in an RCU critical section already.
    expect(verdict([...load, ...useAcquire], v, 'lsm/file_open')).toBeNull();
    // Maybe NULL until checked: read through, or passed to a kfunc.
    expect(verdict([...load, field('x', r('t'), 'pid')], v)).toBe("R1 invalid mem access 'untrusted_ptr_or_null_'");
    expect(verdict([...load, call('bpf_task_acquire', [r('t')], 'b')], v, 'lsm/file_open')).toBe(`Possibly NULL pointer passed to trusted ${v === '6.18' ? 'arg0' : 'R1'}`);
    // After the check an untrusted pointer's member is read (BPF_PROBE_MEM); the untrusted kptr field loads untrusted in any context.
    expect(verdict([...load, goto('out', when('t', '==', NULL)), field('x', r('t'), 'pid')], v)).toBeNull();
    expect(verdict([...look(), ld('t', 8, kptr('v', 'ut')), goto('out', when('t', '==', NULL)), call('bpf_task_acquire', [r('t')], 'b')], v, 'lsm/file_open')).toBe('R1 must be a rcu pointer');
    // The task still in the map is no reference to release (6.x: the trust check first; 7.x: the release check first).
    expect(verdict([...look(), call('bpf_rcu_read_lock', []), ld('t', 8, kptr('v', 'task')), goto('unl', when('t', '==', NULL)), call('bpf_task_release', [r('t')]), label('unl'), call('bpf_rcu_read_unlock', [])], v))
      .toBe(v === '6.18' ? 'R1 must be referenced or trusted' : 'release kfunc bpf_task_release expects referenced PTR_TO_BTF_ID passed to R1');
  });
});

describe('the verifier: bpf_kptr_xchg', () => {
  const xchgOut: Op[] = [call('bpf_kptr_xchg', [kptr('v', 'task'), NULL], 'o'), goto('out', when('o', '==', NULL)), call('bpf_task_release', [r('o')])];

  test.each(['6.18', '7.2'] as const)('%s: a reference moves in (released) and out (acquired)', (v) => {
    expect(verdict([...look(), ...acquire, call('bpf_kptr_xchg', [kptr('v', 'task'), r('a')], 'o'), goto('out', when('o', '==', NULL)), call('bpf_task_release', [r('o')])], v)).toBeNull();
    // The one put in is the map's now: every copy of it is a scalar, which the release kfunc refuses
    // (the host's v_kp_xchg_released and the guest's fv_kp_xchg_released).
    expect(verdict([...look(), ...acquire, call('bpf_kptr_xchg', [kptr('v', 'task'), r('a')], 'o'), call('bpf_task_release', [r('a')])], v))
      .toBe(v === '6.18' ? 'arg#0 pointer type STRUCT task_struct must point to scalar, or struct with scalar' : 'release kfunc bpf_task_release expects referenced PTR_TO_BTF_ID passed to R1');
    // The one taken out is the program's: kept past the exit, it leaks (the NULL-able result's id, then its reference's).
    expect(verdict([...look(), call('bpf_kptr_xchg', [kptr('v', 'task'), NULL], 'o')], v)).toBe('Unreleased reference id=3 alloc_insn=2');
  });

  test.each(['6.18', '7.2'] as const)('%s: the destination and the pointer put in', (v) => {
    expect(verdict([...look(), call('bpf_kptr_xchg', [r('v'), NULL], 'o'), goto('out', when('o', '==', NULL)), call('bpf_task_release', [r('o')])], v)).toBe("off=0 doesn't point to kptr");
    expect(verdict([...look(), call('bpf_kptr_xchg', [kptr('v', 'ut'), NULL], 'o')], v)).toBe("off=16 kptr isn't referenced kptr");
    expect(verdict([...look('plain'), call('bpf_kptr_xchg', [r('v'), NULL], 'o')], v)).toBe('R1 has no valid kptr');
    expect(verdict([call('bpf_kptr_xchg', [NULL, NULL], 'o')], v)).toBe('R1 type=scalar expected=map_value, ptr_, ptr_, rcu_ptr_');
    // current is trusted but held by no reference of the program's.
    expect(verdict([...look(), call('bpf_get_current_task_btf', [], 'cur'), call('bpf_kptr_xchg', [kptr('v', 'task'), r('cur')], 'o'), ...xchgOut.slice(1)], v))
      .toBe(v === '6.18' ? 'R2 must be referenced when passed to release function' : 'release helper bpf_kptr_xchg expects referenced PTR_TO_BTF_ID passed to R2');
    // Maybe NULL, and the wrong structure.
    expect(verdict([...look(), call('bpf_get_current_task_btf', [], 'cur'), call('bpf_task_acquire', [r('cur')], 'a'), call('bpf_kptr_xchg', [kptr('v', 'task'), r('a')], 'o')], v))
      .toBe(`Possibly NULL pointer passed to helper ${v === '6.18' ? 'arg2' : 'R2'}`);
    expect(verdict([...look(), call('bpf_get_current_task_btf', [], 'cur'), call('bpf_get_task_exe_file', [r('cur')], 'f'), goto('out', when('f', '==', NULL)),
      call('bpf_kptr_xchg', [kptr('v', 'task'), r('f')], 'o')], v, 'lsm.s/file_open')).toMatch(/^invalid kptr access, R\d+ type=ptr_file expected=ptr_task_struct$/);
  });
});

/** A syscall program: put current (acquired) into map `km`'s element 0, run `mid`, take it out of element `key`; rets[0] = taken != NULL. */
function roundTrip(version: KernelVersion, m: MapDecl, mid: Op[], key = 0): { got: bigint; usage: number } {
  const s = new Session({ version });
  const hash = m.type !== 'array';
  s.load({
    name: 'o', maps: [m], subprogs: [], globals: [{ name: 'rets', kind: 'u64s', size: 2 }, { name: 'val', kind: 'bytes', size: 16 }],
    programs: [{ name: 'p', section: 'syscall', body: [
      ...(hash ? [call('bpf_map_update_elem', [map(m.name), imm(0), buf('val'), imm(0)], 'u0')] : []),
      ...look(m.name), ...acquire,
      call('bpf_kptr_xchg', [kptr('v', 'task'), r('a')], 'o'), goto('in', when('o', '==', NULL)), call('bpf_task_release', [r('o')]), label('in'),
      ...mid,
      ...look(m.name, key, 'w'),
      call('bpf_kptr_xchg', [kptr('w', 'task'), NULL], 'g'), mov('got', imm(0)), goto('none', when('g', '==', NULL)), mov('got', imm(1)), call('bpf_task_release', [r('g')]),
      label('none'), storeAt('rets', 0, r('got')), label('out'), ret(imm(0)),
    ] }],
  });
  const pid = s.spawn({ comm: 'runner', script: [{ sys: 'prog_test_run', prog: 'p' }] });
  s.simulate();
  expect(s.taskResults(pid)).toEqual([0n]);
  return { got: new DataView((s.global('rets') as Uint8Array).buffer).getBigUint64(0, true), usage: refSnapshot(s.world).tasks[pid] ?? -1 };
}

const task = [{ name: 'task', type: 'task_struct' as const }];
const ARR: MapDecl = { name: 'km', type: 'array', maxEntries: 2, valueSize: 8, taskWorkFields: 0, kptrs: task };
const HASH: MapDecl = { ...ARR, type: 'hash' };
const update = (key: number): Op => call('bpf_map_update_elem', [map('km'), imm(key), buf('val'), imm(0)], `u${key}`);

describe('at run time: what unlinking or overwriting element memory does to its kptr', () => {
  test.each(['6.18', '7.2'] as const)('%s: a reference in and out of a field (the map holds it between)', (v) => {
    expect(roundTrip(v, ARR, [])).toEqual({ got: 1n, usage: 0 });
  });

  test('an ARRAY update: 6.18 frees the field (bpf_obj_free_fields drops the reference), 7.2 only cancels it (the task stays)', () => {
    expect(roundTrip('6.18', ARR, [update(0)])).toEqual({ got: 0n, usage: 0 });
    expect(roundTrip('7.2', ARR, [update(0)])).toEqual({ got: 1n, usage: 0 });
  });

  test('a HASH delete, and an insert taking the freed memory (LIFO): on 7.2 the new key\'s value has the old task', () => {
    const mid = [call('bpf_map_delete_elem', [map('km'), imm(0)], 'd'), update(1)];
    expect(roundTrip('6.18', HASH, mid, 1)).toEqual({ got: 0n, usage: 0 });
    expect(roundTrip('7.2', HASH, mid, 1)).toEqual({ got: 1n, usage: 0 });
    // BPF_F_NO_PREALLOC: the per-CPU cache gives the same memory back.
    expect(roundTrip('7.2', { ...HASH, noPrealloc: true }, mid, 1)).toEqual({ got: 1n, usage: 0 });
  });

  test('a HASH update of a present key moves it to the extra element: the replaced memory keeps the kptr on 7.2 (held, unseen) and the next update takes it back', () => {
    expect(roundTrip('6.18', HASH, [update(0)])).toEqual({ got: 0n, usage: 0 });
    // 7.2: the value now in key 0 is the extra element's (empty); the map still holds the task in the extra.
    expect(roundTrip('7.2', HASH, [update(0)])).toEqual({ got: 0n, usage: 1 });
    expect(roundTrip('7.2', HASH, [update(0), update(0)])).toEqual({ got: 1n, usage: 0 });
  });

  test('an LRU eviction: 6.18 frees the evicted element\'s kptr, 7.2 keeps it in the memory the next insert takes', () => {
    const lru: MapDecl = { ...ARR, type: 'lru_hash', maxEntries: 1 };
    expect(roundTrip('6.18', lru, [update(1)], 1)).toEqual({ got: 0n, usage: 0 });
    expect(roundTrip('7.2', lru, [update(1)], 1)).toEqual({ got: 1n, usage: 0 });
  });

  test('an untrusted kptr holds a plain pointer: stored, loaded back, read through; no reference counted', () => {
    const s = new Session({ version: '7.2' });
    s.load({
      name: 'o', maps: [KM], subprogs: [], globals: [{ name: 'rets', kind: 'u64s', size: 2 }],
      programs: [{ name: 'p', section: 'syscall', body: [
        ...look(), call('bpf_get_current_task_btf', [], 'cur'), st(8, kptr('v', 'ut'), 0, r('cur')),
        ld('t', 8, kptr('v', 'ut')), goto('out', when('t', '==', NULL)), field('pid', r('t'), 'pid'), storeAt('rets', 0, r('pid')),
        st(8, kptr('v', 'ut'), 0, imm(0)), ld('u', 8, kptr('v', 'ut')), mov('isnull', imm(1)), goto('z', when('u', '==', NULL)), mov('isnull', imm(0)), label('z'), storeAt('rets', 1, r('isnull')),
        label('out'), ret(imm(0)),
      ] }],
    });
    const pid = s.spawn({ comm: 'runner', script: [{ sys: 'prog_test_run', prog: 'p' }] });
    s.simulate();
    const rets = new DataView((s.global('rets') as Uint8Array).buffer);
    expect([rets.getBigUint64(0, true), rets.getBigUint64(8, true)]).toEqual([BigInt(pid), 1n]);
    expect(refSnapshot(s.world).tasks[pid]).toBe(0);
  });

  test('user space: a lookup copies the plain bytes only; an update copies them and leaves the kptr to the version\'s rule', () => {
    for (const [v, kept] of [['6.18', 0n], ['7.2', 1n]] as const) {
      const s = new Session({ version: v });
      const id = s.createMap({ name: 'km', type: 'array', maxEntries: 1, valueSize: 8, kptrs: task });
      const pid = s.spawn({ comm: 't', script: [{ sys: 'sleep', ticks: 10 }] });
      // Put the task in from the API (a reference it took, as a program would).
      expect(s.bpf_task_acquire(pid)).toBe(pid);
      expect(s.bpf_kptr_xchg({ map: id as number, key: 0, field: 0 }, pid)).toBeNull();
      const value = new Uint8Array(8).fill(0xaa);
      expect(s.mapUpdate(id as number, 0, value)).toBe(0);
      const back = new Uint8Array(8);
      expect(s.mapLookup(id as number, 0, back)).toBe(0);
      expect([...back]).toEqual(new Array<number>(8).fill(0xaa));
      // A buffer of the whole value_size (16: the kptr after the data): the kptr's bytes read as zeros
      // (check_and_init_map_value), whatever the buffer held.
      const whole = new Uint8Array(16).fill(0xee);
      expect(s.mapLookup(id as number, 0, whole)).toBe(0);
      expect([...whole]).toEqual([...new Array<number>(8).fill(0xaa), ...new Array<number>(8).fill(0)]);
      const out = s.bpf_kptr_xchg({ map: id as number, key: 0, field: 0 }, null);
      expect(out === null ? 0n : 1n).toBe(kept);
      if (out !== null) s.bpf_task_release(out);
      expect(refSnapshot(s.world).tasks[pid]).toBe(0);
    }
  });

  test('closing the last user reference frees no kptr (only timers, workqueues, task_work: map_release_uref)', () => {
    const s = new Session({ version: '6.18' });
    const id = s.createMap({ name: 'km', type: 'array', maxEntries: 1, valueSize: 8, kptrs: task });
    const pid = s.spawn({ comm: 't', script: [{ sys: 'sleep', ticks: 10 }] });
    s.bpf_task_acquire(pid);
    s.bpf_kptr_xchg({ map: id as number, key: 0, field: 0 }, pid);
    s.mapClose(id as number);
    expect(refSnapshot(s.world).tasks[pid]).toBe(1);
    expect(s.bpf_kptr_xchg({ map: id as number, key: 0, field: 0 }, null)).toBe(pid);
  });
});

describe('declaring kptrs: the kernel\'s map checks, and what the model does not model', () => {
  test('a ring buffer takes no value type (-EINVAL); a referenced kptr of a structure without a destructor is not modelled; names are distinct', () => {
    const s = new Session();
    expect(s.createMap({ name: 'rb', type: 'ringbuf', maxEntries: 4096, kptrs: task })).toBe(-EINVAL);
    // The kernel refuses the object's BTF (btf_parse_struct_metas); libbpf then loads it all without BTF.
    expect(() => s.createMap({ name: 'f', type: 'array', maxEntries: 1, kptrs: [{ name: 'f', type: 'file' }] })).toThrow(NotModelledError);
    expect(s.createMap({ name: 'uf', type: 'array', maxEntries: 1, kptrs: [{ name: 'f', type: 'file', untrusted: true }] })).toBeGreaterThan(0);
    expect(() => s.createMap({ name: 'd', type: 'array', maxEntries: 1, kptrs: [...task, ...task] })).toThrow(ArgumentError);
  });

  test('the API checks the field it is given: a referenced kptr field of the map', () => {
    const s = new Session();
    const id = s.createMap({ name: 'km', type: 'array', maxEntries: 1, valueSize: 8, kptrs: [{ name: 'ut', type: 'task_struct', untrusted: true }] }) as number;
    expect(() => s.bpf_kptr_xchg({ map: id, key: 0, field: 0 }, null)).toThrow(ArgumentError);
    expect(() => s.bpf_kptr_xchg({ map: id, key: 0, field: 3 }, null)).toThrow(ArgumentError);
  });

  test('bpf_kptr_xchg is declared as data like every helper (its page and explain come from it)', () => {
    const def = KFUNCS.bpf_kptr_xchg;
    expect(def.kind).toBe('helper');
    expect(def.args.map((a) => a.type)).toEqual(['kptr', 'task_or_null']);
  });
});
