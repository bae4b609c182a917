/**
 * LRU_HASH maps (kernel/bpf/hashtab.c `htab_lru_map_update_elem`, kernel/bpf/bpf_lru_list.c; the same
 * in 6.18.44 and 7.2.13): the node is taken first (`prealloc_lru_pop`: from the local free list, which
 * a refill fills from the global free list or by evicting elements), and only then is the key looked
 * up and the flags checked, the node going back on an error. The expected keys below were worked by
 * hand from the kernel's functions (flush, rotations, `target_free` = clamp(⌊⌊max / CPUs⌋ / 2⌋, 1,
 * 128), the shrink from inactive's tail), not read off the model; the host tier's `lru_*` cases (two
 * possible CPUs) and the guest's `fl_*` (one) show the kernels doing the same.
 */
import { describe, expect, test } from 'vitest';
import { ArgumentError, EEXIST, EINVAL, ENOENT, LRU_LIST_NAMES, lruNodes, parseScenario, ScenarioError, Session } from '../src/index.ts';

const BPF_ANY = 0;
const BPF_NOEXIST = 1;
const BPF_EXIST = 2;

function lru(max: number, cpus = 1): { s: Session; id: number } {
  const s = new Session({ cpus });
  const id = s.createMap({ name: 'l', type: 'lru_hash', maxEntries: max, valueSize: 8 }) as number;
  return { s, id };
}
const keys = (s: Session, id: number): number[] => [...(s.world.maps.get(id)?.elems.keys() ?? [])].sort();

describe('LRU_HASH: the node before the flags', () => {
  test('an LRU of one entry: BPF_EXIST on its only key evicts the key for its node, then finds it missing', () => {
    const { s, id } = lru(1);
    expect(s.bpf_map_update_elem(id, 0, new Uint8Array(8), BPF_ANY)).toBe(0);
    expect(s.bpf_map_update_elem(id, 0, new Uint8Array(8), BPF_EXIST)).toBe(-ENOENT);
    expect(keys(s, id)).toEqual([]);
    // And BPF_NOEXIST on it finds it new.
    expect(s.bpf_map_update_elem(id, 0, new Uint8Array(8), BPF_ANY)).toBe(0);
    expect(s.bpf_map_update_elem(id, 0, new Uint8Array(8), BPF_NOEXIST)).toBe(0);
    expect(keys(s, id)).toEqual([0]);
  });

  test('a full map of two: an update of a present key, and one its flags refuse, still evict (inactive\'s tail)', () => {
    const { s, id } = lru(2);
    expect(s.bpf_map_update_elem(id, 0, new Uint8Array(8), BPF_ANY)).toBe(0);
    expect(s.bpf_map_update_elem(id, 1, new Uint8Array(8), BPF_ANY)).toBe(0);
    expect(s.bpf_map_update_elem(id, 1, new Uint8Array(8), BPF_ANY)).toBe(0);
    expect(keys(s, id)).toEqual([1]);
    expect(s.bpf_map_update_elem(id, 0, new Uint8Array(8), BPF_ANY)).toBe(0);
    // Full again (0 and 1): the refill flushes key 0 to inactive's head, key 1 (rotated from active,
    // its bit cleared) is at the tail; NOEXIST on key 0 evicts key 1, then fails.
    expect(s.bpf_map_update_elem(id, 0, new Uint8Array(8), BPF_NOEXIST)).toBe(-EEXIST);
    expect(keys(s, id)).toEqual([0]);
  });
});

describe('LRU_HASH: which keys a refill evicts (bpf_lru_list.c)', () => {
  const u = (s: Session, id: number, key: number, flags = BPF_ANY): number => s.bpf_map_update_elem(id, key, new Uint8Array(8), flags) as number;

  test('keys 1-5 into a map of four: target_free 2 on one CPU evicts two at the second refill, 1 on two CPUs evicts one', () => {
    for (const [cpus, left] of [[1, [3, 4, 5]], [2, [2, 3, 4, 5]]] as const) {
      const { s, id } = lru(4, cpus);
      for (const k of [1, 2, 3, 4, 5]) expect(u(s, id, k)).toBe(0);
      expect(keys(s, id)).toEqual(left);
    }
  });

  test('the lists after keys 1-4 on one CPU: two refills of two nodes each, the first pending pair flushed to inactive', () => {
    // Populate: free [3, 2, 1, 0] (element 3 first). Refill 1 takes 3 and 2 (keys 1, 2); refill 2 flushes
    // pending [2, 3] (key 2's node first) to inactive, oldest first, and takes 1 and 0 (keys 3, 4).
    const { s, id } = lru(4, 1);
    for (const k of [1, 2, 3, 4]) u(s, id, k);
    const l = s.world.maps.get(id)?.lru;
    if (l === null || l === undefined) throw new Error('no LRU');
    const at = (name: (typeof LRU_LIST_NAMES)[number]): number[] => lruNodes(l, LRU_LIST_NAMES.indexOf(name) as 0 | 1 | 2 | 3 | 4);
    expect(at('inactive')).toEqual([2, 3]);
    expect(at('local_pending')).toEqual([0, 1]);
    expect([at('active'), at('free'), at('local_free')]).toEqual([[], [], []]);
    expect([...(s.world.maps.get(id)?.elems ?? [])].map(([k, e]) => [k, e.slot]).sort((a, b) => (a[0] as number) - (b[0] as number))).toEqual([[1, 3], [2, 2], [3, 1], [4, 0]]);
  });

  test('a program\'s lookup sets the reference bit: the refill promotes the key to active and evicts others', () => {
    const { s, id } = lru(4, 1);
    for (const k of [1, 2, 3, 4]) u(s, id, k);
    expect(s.bpf_map_lookup_elem(id, 1)).not.toBeNull();
    u(s, id, 5);
    expect(keys(s, id)).toEqual([1, 4, 5]);
    // User space's lookup sets no bit (htab_lru_map_lookup_elem_sys): then 1 and 2 go.
    const b = lru(4, 1);
    for (const k of [1, 2, 3, 4]) u(b.s, b.id, k);
    expect(b.s.mapLookup(b.id, 1, new Uint8Array(8))).toBe(0);
    u(b.s, b.id, 5);
    expect(keys(b.s, b.id)).toEqual([3, 4, 5]);
  });

  test('updating a key again: its own pop evicts it, so it is new (BPF_EXIST: -ENOENT)', () => {
    const a = lru(4, 1);
    for (const k of [1, 2, 3, 4, 1]) expect(u(a.s, a.id, k)).toBe(0);
    expect(keys(a.s, a.id)).toEqual([1, 3, 4]);
    const b = lru(4, 1);
    for (const k of [1, 2, 3, 4]) u(b.s, b.id, k);
    expect(u(b.s, b.id, 1, BPF_EXIST)).toBe(-ENOENT);
    expect(keys(b.s, b.id)).toEqual([3, 4]);
  });

  test('every node referenced: nothing on inactive after the rotations, so one node is evicted from active\'s tail', () => {
    // After 1-4 on one CPU: inactive [2, 1], pending [4, 3]. The refill for 5 flushes 4 and 3 to active
    // (their bits set), rotates 1 and 2 to active too (bits set), finds no free node and nothing to
    // shrink on inactive, and evicts active's tail: key 3.
    const { s, id } = lru(4, 1);
    for (const k of [1, 2, 3, 4]) u(s, id, k);
    for (const k of [1, 2, 3, 4]) s.bpf_map_lookup_elem(id, k);
    expect(u(s, id, 5)).toBe(0);
    expect(keys(s, id)).toEqual([1, 2, 4, 5]);
  });

  test('a map of two on two CPUs: target_free clamps to 1', () => {
    const { s, id } = lru(2, 2);
    for (const k of [1, 2, 3, 4]) u(s, id, k);
    expect(keys(s, id)).toEqual([3, 4]);
  });

  test('the possible CPUs are a world option: 1 to 8192, at least 2 on an smp machine', () => {
    expect(new Session({ smp: true }).world.cpus).toBe(2);
    expect(new Session().world.cpus).toBe(1);
    for (const cpus of [0, -1, 1.5, 8193, Number.NaN]) expect(() => new Session({ cpus })).toThrow(ArgumentError);
    expect(() => new Session({ smp: true, cpus: 1 })).toThrow(/opts\.cpus/);
  });

  test('BPF_F_NO_COMMON_LRU on another hash map, or with BPF_F_NUMA_NODE, is -EINVAL (htab_map_alloc_check)', () => {
    expect(new Session().createMap({ name: 'h', type: 'hash', maxEntries: 4, valueSize: 8, flags: 2 })).toBe(-EINVAL);
    expect(new Session().createMap({ name: 'p', type: 'lru_hash', maxEntries: 4, valueSize: 8, flags: 2 | 4 })).toBe(-EINVAL);
  });
  test('a scenario names its possible CPUs; "smp" with fewer than two is refused where it is written', () => {
    const doc = { name: 'c', files: [], objects: [], tasks: [] };
    expect(parseScenario({ ...doc, cpus: 4 }, 'c.json').cpus).toBe(4);
    expect(() => parseScenario({ ...doc, smp: true, cpus: 1 }, 'c.json')).toThrow(ScenarioError);
    expect(() => parseScenario({ ...doc, smp: true, cpus: 1 }, 'c.json')).toThrow(/\/cpus/);
    expect(() => parseScenario({ ...doc, cpus: 0 }, 'c.json')).toThrow(ScenarioError);
  });
});

describe('LRU_HASH with BPF_F_NO_COMMON_LRU: lists per CPU, the model on CPU 0 (bpf_percpu_lru_*)', () => {
  // Worked by hand from bpf_percpu_lru_populate (CPU 0 owns max_entries / CPUs nodes), pop_free
  // (rotate on every pop, 4 nodes a walk; evict up to 4 from inactive's tail only when the free list
  // is empty; the node to inactive's head) and htab_map_alloc's rounding.
  function pcpu(max: number, cpus: number): { s: Session; id: number } {
    const s = new Session({ cpus });
    const id = s.createMap({ name: 'p', type: 'lru_hash', maxEntries: max, valueSize: 8, flags: 2 }) as number;
    return { s, id };
  }
  const u = (s: Session, id: number, key: number, flags = BPF_ANY): number => s.bpf_map_update_elem(id, key, new Uint8Array(8), flags) as number;

  test('max_entries is rounded up to a multiple of the CPUs, and CPU 0 holds its share only', () => {
    const a = pcpu(3, 2);
    expect(a.s.world.maps.get(a.id)?.maxEntries).toBe(4);
    // Two nodes on CPU 0: each shrink (4 wanted) empties inactive, so keys 1-5 leave key 5 alone.
    for (const k of [1, 2, 3, 4, 5]) expect(u(a.s, a.id, k)).toBe(0);
    expect(keys(a.s, a.id)).toEqual([5]);
    expect(pcpu(4, 2).s.world.maps.get(pcpu(4, 2).id)?.maxEntries).toBe(4);
    expect(pcpu(5, 4).s.world.maps.get(pcpu(5, 4).id)?.maxEntries).toBe(8);
  });

  test('the rotation on every pop promotes a looked-up key before the shrink; user space\'s lookup does not', () => {
    const a = pcpu(4, 1);
    for (const k of [1, 2, 3, 4]) u(a.s, a.id, k);
    a.s.bpf_map_lookup_elem(a.id, 1);
    u(a.s, a.id, 5);
    u(a.s, a.id, 6);
    expect(keys(a.s, a.id)).toEqual([1, 5, 6]);
    const b = pcpu(4, 1);
    for (const k of [1, 2, 3, 4]) u(b.s, b.id, k);
    b.s.mapLookup(b.id, 1, new Uint8Array(8));
    u(b.s, b.id, 5);
    u(b.s, b.id, 6);
    expect(keys(b.s, b.id)).toEqual([5, 6]);
  });

  test('a rotation looks at 4 nodes, going on where the last stopped: with 8 nodes, key 1 is reached and kept', () => {
    const a = pcpu(8, 1);
    for (let k = 1; k <= 8; k += 1) u(a.s, a.id, k);
    a.s.bpf_map_lookup_elem(a.id, 1);
    u(a.s, a.id, 9);
    expect(keys(a.s, a.id)).toEqual([1, 6, 7, 8, 9]);
  });

  test('a key\'s own pop evicts it: BPF_ANY inserts it anew, BPF_EXIST fails with -ENOENT and leaves the map empty', () => {
    const a = pcpu(4, 1);
    for (const k of [1, 2, 3, 4, 1]) expect(u(a.s, a.id, k)).toBe(0);
    expect(keys(a.s, a.id)).toEqual([1]);
    const b = pcpu(4, 1);
    for (const k of [1, 2, 3, 4]) u(b.s, b.id, k);
    expect(u(b.s, b.id, 1, BPF_EXIST)).toBe(-ENOENT);
    expect(keys(b.s, b.id)).toEqual([]);
  });
});
