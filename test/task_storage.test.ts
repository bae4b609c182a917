/**
 * TASK_STORAGE maps (src/model/maps/task_storage.ts). Expected values are worked out by hand from
 * kernel/bpf/bpf_task_storage.c, kernel/bpf/bpf_local_storage.c, include/linux/bpf_local_storage.h,
 * kernel/bpf/syscall.c and the verifier (7.2.13; the same answers in 6.18, whose recursion-guarded
 * variants agree when no program runs inside another's call).
 */
import { describe, expect, test } from 'vitest';
import { createMap, NotModelledError, program as P, Session, verify, type BpfObject, type MapDecl, type Op } from '../src/index.ts';
import { LOCAL_STORAGE_MAX_VALUE_SIZE } from '../src/model/maps/alloc_check.ts';

const EINVAL = -22;
const ENOENT = -2;
const EBADF = -9;
const E2BIG = -7;
const EOPNOTSUPP = -95;
const ENOTSUPP = -524;
const EPERM = -1;
const NO_PREALLOC = 1;
const F_CREATE = 1;

const decl = (o: Partial<MapDecl> = {}): MapDecl => ({ name: 'ts', type: 'task_storage', maxEntries: 0, valueSize: 8, taskWorkFields: 0, flags: NO_PREALLOC, ...o });
const obj = (body: Op[], o: { section?: string; maps?: MapDecl[] } = {}): BpfObject => ({
  name: 'o', subprogs: [], globals: [{ name: 'rets', kind: 'u64s', size: 16 }],
  maps: o.maps ?? [decl()],
  programs: [{ name: 'p', section: o.section ?? 'tc', locals: [P.local('v', { bytes: 16 }, 'zero')], body: [...body, P.label('out'), P.ret(P.imm(0))] }],
});
const cur: Op = P.call('bpf_get_current_task_btf', [], 't');
/** `rets[i] = reg ? *(u64 *)reg : -1`. */
const readOr = (i: number, reg: string): Op[] => [P.mov(`x${i}`, P.imm(-1)), P.goto(`z${i}`, P.when(reg, '==', P.imm(0))), P.ld(`x${i}`, 8, P.r(reg), 0), P.label(`z${i}`), P.storeAt('rets', i, P.r(`x${i}`))];
const get = (i: number, value: number | null, flags: number, task = P.r('t'), map = 'ts'): Op[] => [
  ...(value === null ? [] : [P.st(8, P.buf('v'), 0, P.imm(value))]),
  P.call('bpf_task_storage_get', [P.map(map), task, value === null ? P.NULL : P.buf('v'), P.imm(flags)], 'p'), ...readOr(i, 'p'),
];
function run(body: Op[], s = new Session(), o: { section?: string; maps?: MapDecl[] } = {}): bigint[] {
  s.load(obj(body, o));
  const r = s.progTestRun('p', { data: new Uint8Array(64) });
  expect(r.err).toBe(0);
  const g = s.global('rets') as Uint8Array;
  return Array.from({ length: 16 }, (_, i) => new DataView(g.buffer, g.byteOffset).getBigInt64(8 * i, true));
}

describe('creation (bpf_local_storage_map_alloc_check)', () => {
  const load = (o: Partial<MapDecl>): number => {
    try {
      return new Session().load(obj([], { maps: [decl(o)] }));
    } catch (e) {
      return (e as { errno: number }).errno;
    }
  };
  test('declared with BTF: BPF_F_NO_PREALLOC and no entries, a 4-byte key, a value; BPF_F_CLONE taken', () => {
    expect(load({})).toBeGreaterThan(0);
    expect(load({ flags: NO_PREALLOC | (1 << 9) })).toBeGreaterThan(0);
    expect(load({ flags: 0 })).toBe(EINVAL);
    expect(load({ maxEntries: 1 })).toBe(EINVAL);
    expect(load({ valueSize: 0 })).toBe(EINVAL);
    for (const f of [4, 64, 128, 1024]) expect(load({ flags: NO_PREALLOC | f })).toBe(EINVAL);
  });
  test('the largest value is U16_MAX less sizeof(struct bpf_local_storage_elem) (128): 65,407 bytes, then -E2BIG', () => {
    expect(LOCAL_STORAGE_MAX_VALUE_SIZE).toBe(65535 - 128);
    expect(load({ valueSize: 65407 })).toBeGreaterThan(0);
    // BPF_MAP_CREATE with BTF: -E2BIG; the -EINVAL tests come first.
    const create = (o: Partial<MapDecl>): number => new Session().run((k) => createMap(k, decl(o)));
    expect(create({ valueSize: 65408 })).toBe(E2BIG);
    expect(create({ valueSize: 65408, maxEntries: 1 })).toBe(EINVAL);
    // The object's load: libbpf tries again without BTF, which a task storage map needs: -EINVAL.
    expect(load({ valueSize: 65408 })).toBe(EINVAL);
  });
  test('a bare BPF_MAP_CREATE has no BTF: -EINVAL, however right the rest', () => {
    expect(new Session().createMap({ type: 'task_storage', maxEntries: 0, flags: NO_PREALLOC, valueSize: 8 })).toBe(EINVAL);
  });
  test('a task_work field is refused (map_check_btf, -EOPNOTSUPP) and libbpf\'s second try, without BTF, is -EINVAL; kptrs are not modelled (freed after a grace period)', () => {
    expect(new Session().run((k) => createMap(k, decl({ taskWorkFields: 1 })))).toBe(EOPNOTSUPP);
    expect(load({ taskWorkFields: 1 })).toBe(EINVAL);
    expect(() => new Session().load(obj([], { maps: [decl({ kptrs: [{ name: 'k', type: 'task_struct' }] })] }))).toThrow(NotModelledError);
  });
});

describe('bpf_task_storage_get and bpf_task_storage_delete', () => {
  test('NULL without F_CREATE; F_CREATE copies the value in once; writes are seen; delete 0 then -ENOENT; a new value is zeroed', () => {
    const body: Op[] = [
      cur, ...get(0, null, 0), ...get(1, 41, F_CREATE), P.goto('out', P.when('p', '==', P.imm(0))), P.st(8, P.r('p'), 0, P.imm(42)), ...get(2, 7, F_CREATE),
      P.call('bpf_task_storage_delete', [P.map('ts'), P.r('t')], 'd'), P.storeAt('rets', 3, P.r('d')),
      P.call('bpf_task_storage_delete', [P.map('ts'), P.r('t')], 'd'), P.storeAt('rets', 4, P.r('d')),
      ...get(5, null, 0), ...get(6, null, F_CREATE),
    ];
    expect(run(body).slice(0, 7)).toEqual([-1n, 41n, 42n, 0n, BigInt(ENOENT), -1n, 0n]);
  });
  test('a flag other than F_CREATE is NULL even for a present value; a NULL task: get NULL, delete -EINVAL', () => {
    const body: Op[] = [
      cur, ...get(0, 3, F_CREATE), ...get(1, null, 3), ...get(2, null, 2), ...get(3, 1, F_CREATE, P.NULL),
      P.call('bpf_task_storage_delete', [P.map('ts'), P.NULL], 'd'), P.storeAt('rets', 4, P.r('d')), ...get(5, null, 0),
    ];
    expect(run(body).slice(0, 6)).toEqual([3n, -1n, -1n, -1n, BigInt(EINVAL), 3n]);
  });
  test('a value lives with the task across runs; another map has its own', () => {
    const s = new Session();
    const maps = [decl(), decl({ name: 'ts2' })];
    s.load(obj([cur, ...get(0, 5, F_CREATE), ...get(1, null, 0, P.r('t'), 'ts2')], { maps }));
    s.progTestRun('p', { data: new Uint8Array(64) });
    const g = (): bigint[] => { const b = s.global('rets') as Uint8Array; return [0, 1].map((i) => new DataView(b.buffer, b.byteOffset).getBigInt64(8 * i, true)); };
    expect(g()).toEqual([5n, -1n]);
    s.progTestRun('p', { data: new Uint8Array(64) });
    // The second run finds the first run's value (the same task), still none in ts2.
    expect(g()).toEqual([5n, -1n]);
  });
  test('a pointer kept across a delete reads the old bytes; the new value is other memory', () => {
    const body: Op[] = [
      cur, ...get(0, 5, F_CREATE), P.mov('q', P.r('p')),
      P.call('bpf_task_storage_delete', [P.map('ts'), P.r('t')], 'd'),
      ...get(1, null, F_CREATE), P.goto('out', P.when('p', '==', P.imm(0))), P.st(8, P.r('p'), 0, P.imm(8)), ...readOr(2, 'q'), ...get(3, null, 0),
    ];
    expect(run(body).slice(0, 4)).toEqual([5n, 0n, 5n, 8n]);
  });
  test('an allocation that fails gives NULL (bpf_selem_alloc), and the next get tries again', () => {
    const s = new Session();
    s.load(obj([cur, ...get(0, 5, F_CREATE), ...get(1, 6, F_CREATE), ...get(2, 7, F_CREATE), ...get(3, 8, F_CREATE)]));
    s.injectAllocFailure(2);
    s.progTestRun('p', { data: new Uint8Array(64) });
    const b = s.global('rets') as Uint8Array;
    expect([0, 1, 2, 3].map((i) => new DataView(b.buffer, b.byteOffset).getBigInt64(8 * i, true))).toEqual([-1n, -1n, 7n, 7n]);
  });
  test('the task\'s struct bpf_local_storage is charged with its first element of any task storage map, and again once its last is deleted', () => {
    // What a test run charges, its programs' bodies apart: the bytes world.allocated grows by.
    const charged = (body: Op[]): number => {
      const s = new Session();
      // Maps of other types around the task storage maps: only the latter hold a task's elements.
      for (let i = 0; i < 3; i += 1) s.createMap({ type: 'hash', maxEntries: 4, valueSize: 8 });
      s.load(obj([cur, ...body], { maps: [decl(), decl({ name: 'ts2' }), decl({ name: 'ts3' })] }));
      const before = s.world.allocated;
      s.progTestRun('p', { data: new Uint8Array(64) });
      return s.world.allocated - before;
    };
    const del = (map: string): Op => P.call('bpf_task_storage_delete', [P.map(map), P.r('t')], 'd');
    const one = charged(get(0, null, F_CREATE));
    // An element: sizeof(struct bpf_local_storage_elem), 128 bytes, and the 8-byte value (bpf_selem_alloc's charge).
    const ELEM = 128 + 8;
    // A second and a third map's element find the task's storage allocated (bpf_local_storage_update).
    expect(charged([...get(0, null, F_CREATE), ...get(1, null, F_CREATE, P.r('t'), 'ts2')]) - one).toBe(ELEM);
    expect(charged([...get(0, null, F_CREATE), ...get(1, null, F_CREATE, P.r('t'), 'ts2'), ...get(2, null, F_CREATE, P.r('t'), 'ts3')]) - one).toBe(2 * ELEM);
    // The storage is freed with the task's last element (bpf_selem_unlink_storage_nolock): the next
    // element allocates it again; while another element is left, it is kept.
    const storage = charged([...get(0, null, F_CREATE), del('ts'), ...get(1, null, F_CREATE, P.r('t'), 'ts2')]) - one - ELEM;
    expect(storage).toBeGreaterThan(0);
    expect(charged([...get(0, null, F_CREATE), ...get(1, null, F_CREATE, P.r('t'), 'ts3'), del('ts'), ...get(2, null, F_CREATE, P.r('t'), 'ts2')]) - one).toBe(2 * ELEM);
  });
});

describe('user space: the key is a pidfd', () => {
  const session = (): Session => {
    const s = new Session();
    s.load(obj([cur, ...get(0, 1, F_CREATE)]));
    s.progTestRun('p', { data: new Uint8Array(64) });
    return s;
  };
  test('lookup, update and delete are -EBADF (no pidfd); BPF_F_LOCK -EINVAL; get_next_key and lookup_and_delete -ENOTSUPP; no batches', () => {
    const s = session();
    const v = new Uint8Array(8);
    expect(s.mapLookup('ts', 0, v)).toBe(EBADF);
    expect(s.mapLookup('ts', 0, v, 4)).toBe(EINVAL);
    expect(s.mapUpdate('ts', 1, v)).toBe(EBADF);
    expect(s.mapUpdate('ts', 1, v, 3)).toBe(EBADF);
    expect(s.mapUpdate('ts', 1, v, 4)).toBe(EINVAL);
    expect(s.mapDelete('ts', 2)).toBe(EBADF);
    expect(s.mapGetNextKey('ts', null)).toBe(ENOTSUPP);
    expect(s.mapGetNextKey('ts', 0)).toBe(ENOTSUPP);
    expect(s.mapLookupAndDelete('ts', 0, v)).toBe(ENOTSUPP);
    expect(s.mapLookupBatch('ts', null, 1).ret).toBe(ENOTSUPP);
    expect(s.mapFreeze('ts')).toBe(0);
    expect(s.mapUpdate('ts', 0, v)).toBe(EPERM);
    expect(s.mapDelete('ts', 0)).toBe(EPERM);
  });
  test('BPF_F_CPU on an update: -EBADF on 6.18 (only BPF_F_LOCK is looked at), -EINVAL on 7.2 (bpf_map_check_op_flags)', () => {
    const v = new Uint8Array(8);
    expect(session().mapUpdate('ts', 0, v, 8)).toBe(EBADF);
    const s = new Session({ version: '7.2' });
    s.load(obj([]));
    expect(s.mapUpdate('ts', 0, v, 8)).toBe(EINVAL);
    expect(s.mapUpdate('ts', 0, v, 0)).toBe(EBADF);
  });
});

describe('the verifier', () => {
  const refused = (body: Op[], o: { section?: string; maps?: MapDecl[] } = {}): string | null => verify(obj(body, o), '7.2')[0]?.message ?? null;
  test('a task storage map goes only to its helpers, which take no other map', () => {
    expect(refused([P.st(4, P.buf('v'), 0, P.imm(0)), P.call('bpf_map_lookup_elem', [P.map('ts'), P.buf('v')], 'n')])).toBe('cannot pass map_type 29 into func bpf_map_lookup_elem#1');
    expect(refused([cur, ...get(0, null, 0, P.r('t'), 'h')], { maps: [decl(), { name: 'h', type: 'hash', maxEntries: 4, valueSize: 8, taskWorkFields: 0 }] })).toBe('cannot pass map_type 1 into func bpf_task_storage_get#156');
  });
  test('the task: a task pointer or NULL; a scalar or stack pointer is refused', () => {
    expect(refused([cur, ...get(0, null, 0)])).toBe(null);
    expect(refused(get(0, null, 0, P.NULL))).toBe(null);
    expect(refused(get(0, null, 0, P.imm(1)))).toBe('R2 type=scalar expected=ptr_, trusted_ptr_, rcu_ptr_');
    expect(refused(get(0, null, 0, P.buf('v')))).toBe('R2 type=fp expected=ptr_, trusted_ptr_, rcu_ptr_');
  });
  test('the value must be NULL-checked; a sleepable program may use the map', () => {
    expect(refused([cur, P.call('bpf_task_storage_get', [P.map('ts'), P.r('t'), P.NULL, P.imm(1)], 'p'), P.ld('x', 8, P.r('p'), 0)])).toMatch(/invalid mem access 'map_value_or_null'/);
    expect(refused([cur, ...get(0, null, 0)], { section: 'syscall' })).toBe(null);
  });
});
