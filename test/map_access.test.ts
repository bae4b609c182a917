/**
 * Who may read and write a map (src/model/maps/alloc_check.ts `mapAccess`), read in kernel/bpf/syscall.c
 * (`bpf_get_file_flag`, `map_get_sys_perms` in each map syscall, `map_check_btf`) and verifier.c
 * (`check_map_access_type`, `record_func_map`, `check_helper_mem_access`, `check_kfunc_mem_size_reg`).
 * The host tier's `ma_*` cases (6.18) and the guest's `fma_*` (7.2) show the kernels doing the same.
 */
import { describe, expect, test } from 'vitest';
import { EACCES, EINVAL, ENOENT, EPERM, program as P, Session, verify, type BpfObject, type Op } from '../src/index.ts';

const RDONLY = 8;
const WRONLY = 16;
const RDONLY_PROG = 128;
const WRONLY_PROG = 256;

const obj = (flags: number, body: readonly Op[], type: 'array' | 'hash' = 'array', taskWorkFields = 0): BpfObject => ({
  name: 'o', maps: [{ name: 'm', type, maxEntries: 2, valueSize: 8, taskWorkFields, flags }], globals: [{ name: 'val', kind: 'bytes', size: 8 }], subprogs: [],
  programs: [{ name: 'p', section: 'syscall', body: [...body, P.label('out'), P.ret(P.imm(0))] }],
});
const lookup: Op[] = [P.call('bpf_map_lookup_elem', [P.map('m'), P.imm(0)], 'v'), P.goto('out', P.when('v', '==', P.NULL))];
const verdict = (o: BpfObject): string | null => { const [v] = verify(o, '6.18'); return v?.ok === true ? null : (v?.message ?? '?'); };

describe('programs: BPF_F_RDONLY_PROG and BPF_F_WRONLY_PROG', () => {
  test('a read-only map is read, not written: stores, updates, deletes, a helper\'s destination', () => {
    expect(verdict(obj(RDONLY_PROG, [...lookup, P.ld('x', 8, P.r('v'), 0)]))).toBeNull();
    expect(verdict(obj(RDONLY_PROG, [...lookup, P.st(4, P.r('v'), 4, P.imm(1))]))).toBe('write into map forbidden, value_size=8 off=4 size=4');
    // check_map_access_type comes before the bounds.
    expect(verdict(obj(RDONLY_PROG, [...lookup, P.st(8, P.r('v'), 8, P.imm(1))]))).toBe('write into map forbidden, value_size=8 off=8 size=8');
    expect(verdict(obj(RDONLY_PROG, [P.call('bpf_map_update_elem', [P.map('m'), P.imm(0), P.buf('val'), P.imm(0)], 'r')]))).toBe('write into map forbidden');
    expect(verdict(obj(RDONLY_PROG, [P.call('bpf_map_delete_elem', [P.map('m'), P.imm(0)], 'r')], 'hash'))).toBe('write into map forbidden');
    expect(verdict(obj(RDONLY_PROG, [...lookup, P.call('bpf_probe_read_kernel', [P.r('v'), P.imm(8), P.imm(0)])]))).toBe('write into map forbidden, value_size=8 off=0 size=8');
  });

  test('a write-only map is written, not read: loads and a helper\'s source', () => {
    expect(verdict(obj(WRONLY_PROG, [...lookup, P.st(8, P.r('v'), 0, P.imm(1))]))).toBeNull();
    expect(verdict(obj(WRONLY_PROG, [...lookup, P.ld('x', 2, P.r('v'), 6)]))).toBe('read from map forbidden, value_size=8 off=6 size=2');
    expect(verdict(obj(WRONLY_PROG, [...lookup, P.call('bpf_map_update_elem', [P.map('m'), P.imm(1), P.r('v'), P.imm(0)], 'r')], 'hash'))).toBe('read from map forbidden, value_size=8 off=0 size=8');
  });

  test('a value with special fields may not be read-only or write-only for programs: -EACCES (map_check_btf)', () => {
    const s = new Session();
    expect(s.createMap({ type: 'hash', maxEntries: 2, taskWorkFields: 1, flags: RDONLY_PROG })).toBe(-EACCES);
    expect(s.createMap({ type: 'array', maxEntries: 2, kptrs: [{ name: 't', type: 'task_struct' }], flags: WRONLY_PROG })).toBe(-EACCES);
    expect(s.createMap({ type: 'hash', maxEntries: 2, flags: RDONLY_PROG | WRONLY_PROG })).toBe(-EINVAL);
  });
});

describe('user space: BPF_F_RDONLY and BPF_F_WRONLY', () => {
  test('a read-only fd reads and walks; its updates, deletes and lookups-and-deletes are -EPERM', () => {
    const s = new Session();
    const m = s.createMap({ type: 'hash', maxEntries: 2, flags: RDONLY }) as number;
    expect(s.bpf_map_update_elem(m, 1, new Uint8Array(8).fill(3), 0)).toBe(0);
    expect([s.mapUpdate(m, 0, new Uint8Array(8)), s.mapDelete(m, 1), s.mapLookupAndDelete(m, 1, new Uint8Array(8))]).toEqual([-EPERM, -EPERM, -EPERM]);
    const b = new Uint8Array(8);
    expect([s.mapLookup(m, 1, b), [...b], s.mapGetNextKey(m, null)]).toEqual([0, [3, 3, 3, 3, 3, 3, 3, 3], 1]);
  });

  test('a write-only fd writes; its lookups, next keys and lookups-and-deletes are -EPERM, a lookup\'s bad flag first before 7.0', () => {
    for (const version of ['6.18', '7.2'] as const) {
      const s = new Session({ version });
      const m = s.createMap({ type: 'hash', maxEntries: 2, flags: WRONLY }) as number;
      expect([s.mapUpdate(m, 1, new Uint8Array(8)), s.mapLookup(m, 1, new Uint8Array(8)), s.mapGetNextKey(m, null), s.mapLookupAndDelete(m, 1, new Uint8Array(8))]).toEqual([0, -EPERM, -EPERM, -EPERM]);
      expect(s.mapLookup(m, 1, new Uint8Array(8), 1n)).toBe(version === '6.18' ? -EINVAL : -EPERM);
      expect([s.mapDelete(m, 1), s.mapDelete(m, 1)]).toEqual([0, -ENOENT]);
    }
  });

  test('a task\'s map syscalls go through its fd too', () => {
    const s = new Session();
    s.load(obj(RDONLY, [], 'hash'));
    const pid = s.spawn({ comm: 'u', script: [{ sys: 'map_update', map: 'm', key: 0 }, { sys: 'map_delete', map: 'm', key: 0 }, { sys: 'map_get_next_key', map: 'm' }] });
    s.simulate();
    expect(s.world.tasks.get(pid)?.results).toEqual([BigInt(-EPERM), BigInt(-EPERM), BigInt(-ENOENT)]);
  });
});

describe('.rodata: libbpf freezes it before the programs load, so the verifier reads it (bpf_map_direct_read)', () => {
  const prog = (dbg: number, kind: 'u32' | 'int' = 'u32'): BpfObject => ({
    name: 'o', maps: [], subprogs: [],
    globals: [{ name: 'dbg', kind, init: dbg, rodata: true }, { name: 'ro', kind: 'bytes', size: 8, init: [1, 2, 3, 4, 5, 6, 7, 8], rodata: true }],
    programs: [{ name: 'p', section: 'syscall', body: [
      P.mov('d', P.glob('dbg')), P.goto('skip', P.when('d', '!=', P.imm(kind === 'int' ? -1 : 0))),
      P.call('bpf_probe_read_kernel', [P.buf('ro'), P.imm(8), P.imm(0)]), P.label('skip'), P.ret(P.imm(0)),
    ] }],
  });
  const verdict = (o: BpfObject): string | null => { const [v] = verify(o, '6.18'); return v?.ok === true ? null : (v?.message ?? '?'); };

  test('a const volatile flag is known: the branch it decides is known, and the code it skips is never verified', () => {
    expect(verdict(prog(5))).toBeNull();
    expect(verdict(prog(0))).toBe('write into map forbidden, value_size=12 off=4 size=8');
    // An int is sign-extended as the compiler widens it: -1 compares equal to -1.
    expect(verdict(prog(-1, 'int'))).toBe('write into map forbidden, value_size=12 off=4 size=8');
    expect(verdict(prog(7, 'int'))).toBeNull();
  });

  test('a byte of a const array at a known offset is its value; a store into .rodata is refused', () => {
    const o = (off: number): BpfObject => ({ ...prog(1), programs: [{ name: 'p', section: 'syscall', body: [
      P.mov('q', P.addr('ro')), P.ld('b', 1, P.r('q'), off), P.goto('skip', P.when('b', '==', P.imm(3))),
      P.call('bpf_probe_read_kernel', [P.buf('ro'), P.imm(8), P.imm(0)]), P.label('skip'), P.ret(P.imm(0)),
    ] }] });
    expect(verdict(o(2))).toBeNull();
    expect(verdict(o(3))).toBe('write into map forbidden, value_size=12 off=4 size=8');
    expect(verdict({ ...prog(1), programs: [{ name: 'p', section: 'syscall', body: [P.store('dbg', P.imm(1)), P.ret(P.imm(0))] }] })).toMatch(/^write into map forbidden, value_size=12 off=0 size=4$/);
  });
});

describe('BPF_MAP_FREEZE (syscall.c map_freeze)', () => {
  test('a frozen map takes no more writes from user space (-EPERM), reads go on, programs still write; a second freeze is -EPERM', () => {
    const s = new Session();
    const m = s.createMap({ type: 'hash', maxEntries: 4 }) as number;
    expect(s.mapUpdate(m, 1, new Uint8Array(8))).toBe(0);
    expect(s.mapFreeze(m)).toBe(0);
    expect([s.mapUpdate(m, 2, new Uint8Array(8)), s.mapDelete(m, 1), s.mapLookupAndDelete(m, 1, new Uint8Array(8)), s.mapUpdateBatch(m, [3], new Uint8Array(8)).ret, s.mapFreeze(m)]).toEqual([-EPERM, -EPERM, -EPERM, -EPERM, -EPERM]);
    expect([s.mapLookup(m, 1, new Uint8Array(8)), s.mapGetNextKey(m, null)]).toEqual([0, 1]);
    expect(s.bpf_map_update_elem(m, 2, new Uint8Array(8), 0)).toBe(0);
  });

  test('a read-only fd may not freeze; a value with special fields may not be frozen (-ENOTSUPP)', () => {
    const s = new Session();
    expect(s.mapFreeze(s.createMap({ type: 'hash', maxEntries: 4, flags: RDONLY }) as number)).toBe(-EPERM);
    expect(s.mapFreeze(s.createMap({ type: 'array', maxEntries: 4, taskWorkFields: 1 }) as number)).toBe(-524);
  });
});
