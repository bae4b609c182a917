/**
 * Per-CPU maps (kernel/bpf/arraymap.c, hashtab.c, syscall.c; the model's src/model/maps/percpu.ts):
 * a copy of each value per possible CPU, `round_up(value_size, 8)` bytes each. The expected bytes
 * below are worked from the kernel's functions: a program's update is `copy_map_value` into its CPU's
 * copy (CPU 0 in the model), a new PERCPU_HASH element zeroes the other CPUs' copies
 * (`pcpu_init_value`), user space reads every rounded copy (`copy_map_value_long`) and writes them from
 * `value + c × stride`, rounded before 7.0 and `value_size` bytes since; 7.x adds BPF_F_CPU and
 * BPF_F_ALL_CPUS (`bpf_map_check_op_flags`). The host tier's `pcpu_*` cases (6.18, 2 possible CPUs) and
 * the guest's `fpcpu_*` (7.2, one) show the kernels doing the same.
 */
import { describe, expect, test } from 'vitest';
import { ArgumentError, BudgetError, E2BIG, EEXIST, EINVAL, ENOENT, ERANGE, program as P, Session, traceEvents, verify, type KernelVersion } from '../src/index.ts';

const F_CPU = 8n;
const F_ALL_CPUS = 16n;
const cpu = (c: number): bigint => F_CPU | (BigInt(c) << 32n);

function percpu(type: 'percpu_array' | 'percpu_hash', cpus: number, version: KernelVersion = '7.2', valueSize = 4, maxEntries = 2): { s: Session; id: number } {
  const s = new Session({ cpus, version });
  const id = s.createMap({ name: 'm', type, maxEntries, valueSize }) as number;
  return { s, id };
}
/** `n` bytes counting up from `from`. */
const count = (n: number, from: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff);
/** What user space reads: `[err, bytes]`, the buffer starting as 0xee so that bytes left alone show. */
function look(s: Session, id: number | string, key: number, size: number, flags = 0n): [number, number[]] {
  const b = new Uint8Array(size).fill(0xee);
  return [s.mapLookup(id, key, b, flags), [...b]];
}
const E = 0xee;

describe('per-CPU values: a program writes CPU 0\'s copy, user space sees every CPU\'s', () => {
  test('PERCPU_ARRAY of 4-byte values on three CPUs: 8 bytes a CPU, the program\'s update in CPU 0\'s first 4', () => {
    const { s, id } = percpu('percpu_array', 3);
    expect(s.bpf_map_update_elem(id, 1, Uint8Array.of(1, 2, 3, 4), 0)).toBe(0);
    expect(look(s, id, 1, 26)).toEqual([0, [1, 2, 3, 4, 0, 0, 0, 0, ...new Array<number>(16).fill(0), E, E]]);
    // Past max_entries: -ENOENT, the buffer untouched.
    expect(look(s, id, 2, 24)).toEqual([-ENOENT, new Array<number>(24).fill(E)]);
  });

  test('a new PERCPU_HASH element from a program zeroes the other CPUs\' plain bytes, not their padding (6.18: user space wrote it)', () => {
    const { s, id } = percpu('percpu_hash', 2, '6.18', 4, 1);
    expect(s.mapUpdate(id, 7, count(16, 1), 0)).toBe(0);
    expect(s.bpf_map_delete_elem(id, 7)).toBe(0);
    // The memory comes back for key 8: CPU 0 gets the value, CPU 1's 4 bytes are zeroed, both paddings stay.
    expect(s.bpf_map_update_elem(id, 8, Uint8Array.of(9, 9, 9, 9), 0)).toBe(0);
    expect(look(s, id, 8, 16)).toEqual([0, [9, 9, 9, 9, 5, 6, 7, 8, 0, 0, 0, 0, 13, 14, 15, 16]]);
  });

  test('a present PERCPU_HASH key is updated in place: the same element memory, the other CPUs\' copies kept', () => {
    const { s, id } = percpu('percpu_hash', 2, '7.2', 8);
    expect(s.mapUpdate(id, 1, count(16, 1), 0)).toBe(0);
    const slot = s.world.maps.get(id)?.elems.get(1)?.slot;
    expect(s.bpf_map_update_elem(id, 1, count(8, 0x41), 0)).toBe(0);
    expect(s.world.maps.get(id)?.elems.get(1)?.slot).toBe(slot);
    expect(look(s, id, 1, 16)).toEqual([0, [...count(8, 0x41), ...count(8, 9)]]);
    // A HASH replaces the element (the extra element takes the key).
    const h = s.createMap({ name: 'h', type: 'hash', maxEntries: 2, valueSize: 8 }) as number;
    s.bpf_map_update_elem(h, 1, count(8, 1), 0);
    const hslot = s.world.maps.get(h)?.elems.get(1)?.slot;
    s.bpf_map_update_elem(h, 1, count(8, 2), 0);
    expect(s.world.maps.get(h)?.elems.get(1)?.slot).not.toBe(hslot);
  });

  test('a PERCPU_HASH has no extra element: max_entries element memories (htab_has_extra_elems)', () => {
    const { s, id } = percpu('percpu_hash', 2, '7.2', 8, 3);
    // The memory it has: used (slots) and not yet taken (fresh); a HASH of the same size has one more.
    const m = s.world.maps.get(id);
    expect((m?.slots.size ?? 0) + (m?.fresh ?? 0)).toBe(3);
    expect(m?.extra).toBeNull();
    const hid = s.createMap({ name: 'h', type: 'hash', maxEntries: 3, valueSize: 8 }) as number;
    const h = s.world.maps.get(hid);
    expect((h?.slots.size ?? 0) + (h?.fresh ?? 0)).toBe(4);
  });

  test('an update in place leaves the earlier world as it was', () => {
    const { s, id } = percpu('percpu_array', 2);
    const before = s.world;
    const seen = Uint8Array.from(before.maps.get(id)?.slots.get(0)?.data ?? []);
    s.bpf_map_update_elem(id, 0, Uint8Array.of(7, 7, 7, 7), 0);
    s.mapUpdate(id, 0, count(16, 1), 0);
    expect([...(before.maps.get(id)?.slots.get(0)?.data ?? [])]).toEqual([...seen]);
  });
});

describe('user space\'s rounded copies: padding written is read back before 7.0, not since', () => {
  test.each([['6.18', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]], ['7.2', [1, 2, 3, 4, 0, 0, 0, 0, 9, 10, 11, 12, 0, 0, 0, 0]]] as const)('%s', (version, want) => {
    for (const type of ['percpu_array', 'percpu_hash'] as const) {
      const { s, id } = percpu(type, 2, version);
      expect(s.mapUpdate(id, 0, count(16, 1), 0)).toBe(0);
      expect(look(s, id, 0, 16)).toEqual([0, [...want]]);
    }
  });
});

describe('the flags of user space\'s per-CPU syscalls', () => {
  test('6.18: anything above BPF_EXIST is -EINVAL (3, BPF_F_LOCK, BPF_F_CPU); BPF_NOEXIST on an array -EEXIST; a lookup takes no flag', () => {
    const { s, id } = percpu('percpu_array', 2, '6.18');
    const v = count(16, 1);
    expect([3n, 4n, F_CPU, cpu(1), F_ALL_CPUS].map((f) => s.mapUpdate(id, 0, v, f))).toEqual([-EINVAL, -EINVAL, -EINVAL, -EINVAL, -EINVAL]);
    expect(s.mapUpdate(id, 0, v, 1n)).toBe(-EEXIST);
    expect(s.mapUpdate(id, 2, v, 0n)).toBe(-E2BIG);
    expect(s.mapUpdate(id, 0, v, 2n)).toBe(0);
    expect([1n, 4n, F_CPU].map((f) => look(s, id, 0, 16, f)[0])).toEqual([-EINVAL, -EINVAL, -EINVAL]);
  });

  test('7.2: BPF_F_CPU reads and writes one CPU\'s value_size bytes; BPF_F_ALL_CPUS writes each; a CPU past the possible ones is -ERANGE', () => {
    const { s, id } = percpu('percpu_array', 3);
    expect(s.mapUpdate(id, 0, Uint8Array.of(1, 1, 1, 1), cpu(1))).toBe(0);
    expect(look(s, id, 0, 24)).toEqual([0, [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]]);
    expect(look(s, id, 0, 6, cpu(1))).toEqual([0, [1, 1, 1, 1, E, E]]);
    expect(s.mapUpdate(id, 0, Uint8Array.of(2, 2, 2, 2), F_ALL_CPUS)).toBe(0);
    expect(look(s, id, 0, 24)[1]).toEqual([2, 2, 2, 2, 0, 0, 0, 0, 2, 2, 2, 2, 0, 0, 0, 0, 2, 2, 2, 2, 0, 0, 0, 0]);
    expect(s.mapUpdate(id, 0, Uint8Array.of(3, 3, 3, 3), cpu(3))).toBe(-ERANGE);
    expect(look(s, id, 0, 4, cpu(3))[0]).toBe(-ERANGE);
    // Both flags, upper bits without BPF_F_CPU, BPF_F_ALL_CPUS on a lookup: -EINVAL (bpf_map_check_op_flags).
    expect(s.mapUpdate(id, 0, Uint8Array.of(3, 3, 3, 3), cpu(1) | F_ALL_CPUS)).toBe(-EINVAL);
    expect(s.mapUpdate(id, 0, count(24, 1), 1n << 32n)).toBe(-EINVAL);
    expect(look(s, id, 0, 24, F_ALL_CPUS)[0]).toBe(-EINVAL);
    // BPF_F_CPU on a map that is not per-CPU.
    const a = s.createMap({ name: 'a', type: 'array', maxEntries: 1, valueSize: 4 }) as number;
    expect(s.mapUpdate(a, 0, Uint8Array.of(1, 1, 1, 1), cpu(0))).toBe(-EINVAL);
  });

  test('7.2: the map\'s own test passes the low half up to BPF_F_ALL_CPUS, and compares BPF_NOEXIST and BPF_EXIST with the whole flags', () => {
    const { s, id } = percpu('percpu_array', 2);
    const v = count(16, 1);
    expect(s.mapUpdate(id, 0, v, 3n)).toBe(0);
    expect(s.mapUpdate(id, 0, v, 1n)).toBe(-EEXIST);
    expect(s.mapUpdate(id, 0, Uint8Array.of(5, 5, 5, 5), cpu(0) | 1n)).toBe(0);
    expect(s.mapUpdate(id, 0, v, 4n)).toBe(-EINVAL);
    const h = percpu('percpu_hash', 2);
    // BPF_EXIST with BPF_F_CPU on a missing key creates it: that CPU's value, the other CPU zeroed.
    expect(h.s.mapUpdate(h.id, 4, Uint8Array.of(6, 6, 6, 6), cpu(1) | 2n)).toBe(0);
    expect(look(h.s, h.id, 4, 16)[1]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 6, 6, 6, 6, 0, 0, 0, 0]);
    expect(h.s.mapUpdate(h.id, 5, v, 2n)).toBe(-ENOENT);
    expect(h.s.mapUpdate(h.id, 4, v, 1n)).toBe(-EEXIST);
  });

  test('a buffer shorter than bpf_map_value_size is an ArgumentError naming the size', () => {
    const { s, id } = percpu('percpu_array', 2);
    expect(() => s.mapLookup(id, 0, new Uint8Array(8))).toThrow(ArgumentError);
    expect(() => s.mapLookup(id, 0, new Uint8Array(8))).toThrow(/16 bytes.*2 possible CPU/);
    // With BPF_F_CPU one value_size is enough.
    expect(s.mapLookup(id, 0, new Uint8Array(4), cpu(1))).toBe(0);
  });
});

describe('bpf_map_lookup_percpu_elem', () => {
  test('any possible CPU\'s copy; NULL past them or for a missing key', () => {
    const { s, id } = percpu('percpu_hash', 2);
    s.bpf_map_update_elem(id, 1, Uint8Array.of(1, 1, 1, 1), 0);
    expect(s.bpf_map_lookup_percpu_elem(id, 1, 1)).toMatchObject({ key: 1, cpu: 1 });
    expect(s.bpf_map_lookup_percpu_elem(id, 1, 2)).toBeNull();
    expect(s.bpf_map_lookup_percpu_elem(id, 2, 0)).toBeNull();
    const a = s.createMap({ name: 'a', type: 'array', maxEntries: 1, valueSize: 4 }) as number;
    expect(() => s.bpf_map_lookup_percpu_elem(a, 0, 0)).toThrow(ArgumentError);
  });

  const obj = (type: 'array' | 'percpu_array') => ({
    name: 'o', maps: [{ name: 'm', type, maxEntries: 1, valueSize: 8, taskWorkFields: 0 }], globals: [], subprogs: [],
    programs: [{ name: 'p', section: 'syscall', body: [P.call('bpf_map_lookup_percpu_elem', [P.map('m'), P.imm(0), P.imm(1)], 'v'), P.ret(P.imm(0))] }],
  });

  test('the verifier takes a per-CPU map only (check_map_func_compatibility)', () => {
    expect(verify(obj('percpu_array'), '7.2')[0]?.ok).toBe(true);
    expect(verify(obj('array'), '7.2')[0]?.message).toBe('cannot pass map_type 2 into func bpf_map_lookup_percpu_elem#195');
  });

  test('a program writes CPU 1\'s copy through it, and user space sees it there', () => {
    const s = new Session({ cpus: 2, version: '7.2' });
    s.load({
      ...obj('percpu_array'),
      programs: [{ name: 'p', section: 'syscall', body: [
        P.call('bpf_map_lookup_percpu_elem', [P.map('m'), P.imm(0), P.imm(1)], 'v'), P.goto('out', P.when('v', '==', P.NULL)),
        P.st(8, P.r('v'), 0, P.imm(0x0102)), P.label('out'), P.ret(P.imm(0)),
      ] }],
    });
    const pid = s.spawn({ comm: 't', script: [{ sys: 'prog_test_run', prog: 'p' }] });
    s.simulate();
    expect(s.world.tasks.get(pid)?.results[0]).toBe(0n);
    expect(look(s, 'm', 0, 16)[1]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 2, 1, 0, 0, 0, 0, 0, 0]);
  });
});

describe('creating a per-CPU map (array_map_alloc_check, htab_map_alloc_check)', () => {
  test.each(['percpu_array', 'percpu_hash'] as const)('%s: a value over 32 KiB (PCPU_MIN_UNIT_SIZE) is -E2BIG, one of 32 KiB fits; BPF_F_NUMA_NODE is -EINVAL', (type) => {
    const s = new Session({ cpus: 2 });
    expect(s.createMap({ name: 'big', type, maxEntries: 1, valueSize: 32769 })).toBe(-E2BIG);
    expect(s.createMap({ name: 'fits', type, maxEntries: 1, valueSize: 32768 })).toBeGreaterThan(0);
    expect(s.createMap({ name: 'numa', type, maxEntries: 1, valueSize: 8, flags: 4 })).toBe(-EINVAL);
  });
});

describe('LRU_PERCPU_HASH (__htab_lru_percpu_map_update_elem): an LRU\'s nodes with per-CPU values', () => {
  const lruPercpu = (max: number, cpus = 1): { s: Session; id: number } => {
    const s = new Session({ cpus, version: '7.2' });
    return { s, id: s.createMap({ name: 'l', type: 'lru_percpu_hash', maxEntries: max, valueSize: 4 }) as number };
  };
  const keys = (s: Session, id: number): number[] => [...(s.world.maps.get(id)?.elems.keys() ?? [])].sort();

  test('BPF_EXIST takes no node: on a map of one, the only key is updated in place (an LRU_HASH evicts it and gives -ENOENT)', () => {
    const { s, id } = lruPercpu(1);
    expect(s.bpf_map_update_elem(id, 0, Uint8Array.of(1, 1, 1, 1), 0)).toBe(0);
    expect(s.bpf_map_update_elem(id, 0, Uint8Array.of(2, 2, 2, 2), 2)).toBe(0);
    expect(keys(s, id)).toEqual([0]);
    expect(look(s, id, 0, 8)[1]).toEqual([2, 2, 2, 2, 0, 0, 0, 0]);
    // BPF_NOEXIST takes a node first: the pop evicts key 0, which is then new.
    expect(s.bpf_map_update_elem(id, 0, Uint8Array.of(3, 3, 3, 3), 1)).toBe(0);
    expect(keys(s, id)).toEqual([0]);
  });

  test('a present key keeps its memory and gets its reference bit; bpf_map_lookup_percpu_elem sets the bit too', () => {
    const { s, id } = lruPercpu(4, 2);
    expect(s.bpf_map_update_elem(id, 1, Uint8Array.of(1, 1, 1, 1), 0)).toBe(0);
    const slot = s.world.maps.get(id)?.elems.get(1)?.slot as number;
    expect(s.world.maps.get(id)?.lru?.ref.get(slot)).toBe(0);
    expect(s.mapUpdate(id, 1, count(16, 1), 2)).toBe(0);
    expect(s.world.maps.get(id)?.elems.get(1)?.slot).toBe(slot);
    expect(s.world.maps.get(id)?.lru?.ref.get(slot)).toBe(1);
    expect(look(s, id, 1, 16)[1]).toEqual([1, 2, 3, 4, 0, 0, 0, 0, 9, 10, 11, 12, 0, 0, 0, 0]);
    expect(s.bpf_map_update_elem(id, 2, Uint8Array.of(2, 2, 2, 2), 0)).toBe(0);
    const slot2 = s.world.maps.get(id)?.elems.get(2)?.slot as number;
    expect(s.bpf_map_lookup_percpu_elem(id, 2, 1)).toMatchObject({ key: 2, cpu: 1 });
    expect(s.world.maps.get(id)?.lru?.ref.get(slot2)).toBe(1);
  });
});

describe('the memory of per-CPU elements is charged to the bytes budget', () => {
  test('a BPF_F_NO_PREALLOC PERCPU_HASH on 8192 CPUs: each new element is 8192 copies, and the budget stops the inserts', () => {
    const s = new Session({ cpus: 8192, budgets: { bytes: 1_000_000 } });
    const id = s.createMap({ name: 'n', type: 'percpu_hash', maxEntries: 1000, valueSize: 8, flags: 1 }) as number;
    // 8192 × 8 bytes (and the record's 64) an element: the 16th passes a million bytes.
    for (let key = 0; key < 15; key += 1) expect(s.bpf_map_update_elem(id, key, new Uint8Array(8), 0)).toBe(0);
    expect(() => s.bpf_map_update_elem(id, 15, new Uint8Array(8), 0)).toThrow(BudgetError);
  });
});

describe('a task\'s map_update syscall on a per-CPU map', () => {
  test('writes every CPU\'s copy with its zero value (user space\'s update), and the trace records it once', () => {
    const s = new Session({ cpus: 2, version: '7.2' });
    s.load({ name: 'o', maps: [{ name: 'm', type: 'percpu_array', maxEntries: 1, valueSize: 4, taskWorkFields: 0 }], globals: [], subprogs: [], programs: [] });
    expect(s.mapUpdate('m', 0, count(16, 1), 0)).toBe(0);
    const pid = s.spawn({ comm: 't', script: [{ sys: 'map_update', map: 'm', key: 0 }] });
    s.simulate();
    expect(s.world.tasks.get(pid)?.results[0]).toBe(0n);
    expect(look(s, 'm', 0, 16)[1]).toEqual(new Array<number>(16).fill(0));
    expect(traceEvents(s.world.trace).filter((e) => e.kind === 'map' && e.op === 'update').length).toBe(2);
  });
});
