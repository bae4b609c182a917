/**
 * QUEUE and STACK maps (src/model/maps/queue_stack.ts). Expected values are worked out by hand from
 * kernel/bpf/queue_stack_maps.c and kernel/bpf/syscall.c (7.2.13; the same in 6.18) and the
 * verifier's check_map_func_compatibility, set_map_elem_callback_state and record_func_map.
 */
import { describe, expect, test } from 'vitest';
import { ArgumentError, program as P, Session, verify, type BpfObject, type MapDecl, type Op } from '../src/index.ts';
import { qsValues } from '../src/model/maps/queue_stack.ts';

const EINVAL = -22;
const E2BIG = -7;
const ENOENT = -2;
const BPF_EXIST = 2;

const u64 = (v: number): Uint8Array => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(v), true);
  return b;
};
const val = (b: Uint8Array): number => Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true));

/** A session with a QUEUE or STACK map made by user space (`bpf(BPF_MAP_CREATE)`), and the map's id. */
function session(type: 'queue' | 'stack', maxEntries: number, valueSize = 8, flags = 0): [Session, number] {
  const s = new Session({ version: '6.18' });
  const id = s.createMap({ type, maxEntries, valueSize, flags });
  expect(id).toBeGreaterThan(0);
  return [s, id];
}

describe('creation (queue_stack_map_alloc_check)', () => {
  const create = (o: Partial<MapDecl> & { type: 'queue' | 'stack' }): number => new Session().createMap({ maxEntries: 4, valueSize: 8, ...o });
  test('no key, some entries and a value; only BPF_F_NUMA_NODE and the access flags', () => {
    expect(create({ type: 'queue' })).toBeGreaterThan(0);
    expect(create({ type: 'stack', flags: 4 | 128 })).toBeGreaterThan(0);
    expect(create({ type: 'queue', keySize: 4 })).toBe(EINVAL);
    expect(create({ type: 'queue', maxEntries: 0 })).toBe(EINVAL);
    expect(create({ type: 'stack', valueSize: 0 })).toBe(EINVAL);
    for (const flags of [1, 2, 64, 1024, 128 | 256]) expect(create({ type: 'queue', flags })).toBe(EINVAL);
  });
  test('a value of 4 MiB is taken, one byte more is -E2BIG (KMALLOC_MAX_SIZE)', () => {
    expect(create({ type: 'queue', maxEntries: 1, valueSize: 1 << 22 })).toBeGreaterThan(0);
    expect(create({ type: 'queue', maxEntries: 1, valueSize: (1 << 22) + 1 })).toBe(E2BIG);
  });
});

describe('user space: push, peek and pop with a NULL key', () => {
  test('a queue is first in, first out; a stack last in, first out', () => {
    for (const [type, order] of [['queue', [1, 2, 3]], ['stack', [3, 2, 1]]] as const) {
      const [s, q] = session(type, 3);
      for (const v of [1, 2, 3]) expect(s.mapUpdate(q, null, u64(v))).toBe(0);
      const out = new Uint8Array(8);
      expect(s.mapLookup(q, null, out)).toBe(0);
      expect(val(out)).toBe(order[0]);
      const popped = order.map(() => (s.mapLookupAndDelete(q, null, out) === 0 ? val(out) : -1));
      expect(popped).toEqual(order);
    }
  });
  test('full: -E2BIG, or with BPF_EXIST the oldest value goes (the bottom of a stack too)', () => {
    const [q, qid] = session('queue', 2);
    const [st, sid] = session('stack', 2);
    for (const [s, id] of [[q, qid], [st, sid]] as const) {
      expect([s.mapUpdate(id, null, u64(1)), s.mapUpdate(id, null, u64(2)), s.mapUpdate(id, null, u64(3)), s.mapUpdate(id, null, u64(4), BPF_EXIST)]).toEqual([0, 0, E2BIG, 0]);
    }
    const out = new Uint8Array(8);
    const drain = (s: Session, id: number): number[] => [0, 1, 2].map(() => (s.mapLookupAndDelete(id, null, out) === 0 ? val(out) : -1));
    expect(drain(q, qid)).toEqual([2, 4, -1]);
    expect(drain(st, sid)).toEqual([4, 2, -1]);
  });
  test('empty: -ENOENT, and user space\'s buffer is not written', () => {
    const [s, q] = session('stack', 1);
    const out = new Uint8Array(8).fill(0xee);
    expect([s.mapLookup(q, null, out), s.mapLookupAndDelete(q, null, out)]).toEqual([ENOENT, ENOENT]);
    expect([...out]).toEqual(new Array(8).fill(0xee));
  });
  test('what a queue refuses: a key, any flag on a peek or pop, BPF_NOEXIST or BPF_F_LOCK on a push; delete and get_next_key', () => {
    const [s, q] = session('queue', 2);
    expect(s.mapUpdate(q, null, u64(5))).toBe(0);
    const out = new Uint8Array(8);
    expect([s.mapLookup(q, 0, out), s.mapUpdate(q, 0, u64(1)), s.mapLookupAndDelete(q, 0, out), s.mapDelete(q, 0), s.mapDelete(q, null), s.mapGetNextKey(q, null), s.mapGetNextKey(q, 0)]).toEqual(new Array(7).fill(EINVAL));
    expect([s.mapLookup(q, null, out, 4), s.mapLookupAndDelete(q, null, out, 4), s.mapUpdate(q, null, u64(1), 1), s.mapUpdate(q, null, u64(1), 4), s.mapUpdate(q, null, u64(1), 3)]).toEqual(new Array(5).fill(EINVAL));
    expect(s.mapLookupAndDelete(q, null, out)).toBe(0);
    expect(val(out)).toBe(5);
  });
  test('the batch commands: -ENOTSUPP (no batch ops)', () => {
    const [s, q] = session('queue', 2);
    expect(s.mapLookupBatch(q, null, 1).ret).toBe(-524);
    expect(s.mapUpdateBatch(q, [0], u64(1)).ret).toBe(-524);
  });
  test('a NULL key for a map that has keys is a misuse of the API, named', () => {
    const s = new Session();
    const h = s.createMap({ name: 'h', type: 'hash', maxEntries: 2, valueSize: 8 });
    expect(() => s.mapLookup(h, null, new Uint8Array(8))).toThrow(ArgumentError);
    expect(() => s.mapUpdate(h, null, new Uint8Array(8))).toThrow(/a key: map h is a hash map/);
  });
});

/** A syscall program on `maps` (the first named q) with `body`. */
function program(maps: readonly Omit<MapDecl, 'taskWorkFields'>[], body: readonly Op[]): BpfObject {
  return {
    name: 'o', globals: [{ name: 'rets', kind: 'u64s', size: 8 }],
    maps: maps.map((m) => ({ taskWorkFields: 0, ...m })),
    subprogs: [{ name: 'cb', isStatic: true, returns: 'long', params: [{ name: 'm', type: 'map' }, { name: 'k', type: 'ptr' }, { name: 'v', type: 'ptr' }, { name: 'c', type: 'ptr' }], body: [P.ret(P.imm(0))] }],
    programs: [{ name: 'p', section: 'syscall', locals: [P.local('v', { bytes: 16 }, 'zero')], body: [...body, P.ret(P.imm(0))] }],
  };
}
const Q = { name: 'q', type: 'queue' as const, maxEntries: 2, valueSize: 8 };
const message = (o: BpfObject): string | null => verify(o, '6.18')[0]?.message ?? null;

describe('programs', () => {
  test('push, peek and pop; empty: -ENOENT and the program\'s value zeroed', () => {
    const s = new Session({ version: '6.18' });
    s.load(program([Q], [
      P.st(8, P.buf('v'), 0, P.imm(42)), P.call('bpf_map_push_elem', [P.map('q'), P.buf('v'), P.imm(0)], 'a'), P.storeAt('rets', 0, P.r('a')),
      P.st(8, P.buf('v'), 0, P.imm(7)), P.call('bpf_map_peek_elem', [P.map('q'), P.buf('v')], 'b'), P.storeAt('rets', 1, P.r('b')), P.ld('x', 8, P.buf('v'), 0), P.storeAt('rets', 2, P.r('x')),
      P.call('bpf_map_pop_elem', [P.map('q'), P.buf('v')], 'c'), P.storeAt('rets', 3, P.r('c')),
      P.st(8, P.buf('v'), 0, P.imm(7)), P.call('bpf_map_pop_elem', [P.map('q'), P.buf('v')], 'd'), P.storeAt('rets', 4, P.r('d')), P.ld('y', 8, P.buf('v'), 0), P.storeAt('rets', 5, P.r('y')),
    ]));
    s.spawn({ comm: 't', script: [{ sys: 'prog_test_run', prog: 'p' }] });
    s.simulate();
    const r = s.global('rets') as Uint8Array;
    const dv = new DataView(r.buffer, r.byteOffset);
    expect([0, 1, 2, 3, 4, 5].map((i) => dv.getBigInt64(8 * i, true))).toEqual([0n, 0n, 42n, 0n, BigInt(ENOENT), 0n]);
  });
  test('the verifier: a queue takes only its helpers, the helpers only a queue or stack', () => {
    expect(message(program([Q], [P.call('bpf_map_lookup_elem', [P.map('q'), P.buf('v')])]))).toBe('invalid zero-sized read');
    expect(message(program([{ name: 'h', type: 'hash', maxEntries: 2, valueSize: 8 }], [P.call('bpf_map_push_elem', [P.map('h'), P.buf('v'), P.imm(0)])]))).toBe('cannot pass map_type 1 into func bpf_map_push_elem#87');
    expect(message(program([{ name: 'a', type: 'array', maxEntries: 2, valueSize: 8 }], [P.call('bpf_map_pop_elem', [P.map('a'), P.buf('v')])]))).toBe('cannot pass map_type 2 into func bpf_map_pop_elem#88');
    expect(message(program([Q], [P.call('bpf_for_each_map_elem', [P.map('q'), P.cb('cb'), P.NULL, P.imm(0)])]))).toBe('callback function not allowed for map');
  });
  test('BPF_F_RDONLY_PROG: push and pop change the map (write into map forbidden), a peek does not', () => {
    const ro = { ...Q, flags: 128 };
    expect(message(program([ro], [P.call('bpf_map_pop_elem', [P.map('q'), P.buf('v')])]))).toBe('write into map forbidden');
    expect(message(program([ro], [P.call('bpf_map_push_elem', [P.map('q'), P.buf('v'), P.imm(0)])]))).toBe('write into map forbidden');
    expect(message(program([ro], [P.call('bpf_map_peek_elem', [P.map('q'), P.buf('v')])]))).toBeNull();
  });
  test('the value is the map\'s value_size: 16 bytes from the last 8 of a 16-byte variable run past the frame', () => {
    expect(message(program([{ ...Q, valueSize: 16 }], [P.call('bpf_map_pop_elem', [P.map('q'), P.buf('v', 8)])]))).toBe('invalid write to stack R2 off=-8 size=16');
  });
});

describe('immutability', () => {
  test('a world taken before a push or pop keeps its values', () => {
    const [s, q] = session('queue', 3);
    expect(s.mapUpdate(q, null, u64(1))).toBe(0);
    const before = s.world;
    expect(s.mapUpdate(q, null, u64(2))).toBe(0);
    expect(s.mapLookupAndDelete(q, null, new Uint8Array(8))).toBe(0);
    const values = (w: typeof before): number[] => {
      const m = w.maps.get(q);
      return m === undefined ? [] : qsValues(m as never).map(val);
    };
    expect(values(before)).toEqual([1]);
    expect(values(s.world)).toEqual([2]);
  });
});
