/**
 * User space's `bpf(BPF_MAP_LOOKUP_AND_DELETE_ELEM)` (kernel/bpf/syscall.c `map_lookup_and_delete_elem`,
 * hashtab.c `__htab_map_lookup_and_delete_elem`): flags other than BPF_F_LOCK, and BPF_F_LOCK without a
 * spin lock, are -EINVAL; a map that is not a hash map is -ENOTSUPP; a missing key -ENOENT; else the
 * value comes out as a lookup gives it and the element is deleted as `bpf_map_delete_elem` deletes it.
 * The host tier's `pcpu_sys_lad_*` cases and the guest's `fpcpu_sys_lad_*` show the kernels doing the same.
 */
import { describe, expect, test } from 'vitest';
import { EINVAL, ENOENT, ENOTSUPP, refSnapshot, Session } from '../src/index.ts';

const look = (s: Session, id: number, key: number, size: number, flags = 0n): [number, number[]] => {
  const b = new Uint8Array(size).fill(0xee);
  return [s.mapLookupAndDelete(id, key, b, flags), [...b]];
};

describe('BPF_MAP_LOOKUP_AND_DELETE_ELEM', () => {
  test('a HASH element comes out and is gone; flags are -EINVAL and leave it; a missing key -ENOENT', () => {
    const s = new Session();
    const id = s.createMap({ name: 'h', type: 'hash', maxEntries: 4, valueSize: 4 }) as number;
    expect(s.bpf_map_update_elem(id, 1, Uint8Array.of(1, 2, 3, 4), 0)).toBe(0);
    expect(look(s, id, 1, 4, 1n)).toEqual([-EINVAL, [0xee, 0xee, 0xee, 0xee]]);
    expect(look(s, id, 1, 4, 4n)[0]).toBe(-EINVAL);
    expect(look(s, id, 1, 6)).toEqual([0, [1, 2, 3, 4, 0xee, 0xee]]);
    expect(s.world.maps.get(id)?.elems.has(1)).toBe(false);
    expect(look(s, id, 1, 4)[0]).toBe(-ENOENT);
  });

  test('an ARRAY has none: -ENOTSUPP, the element stays', () => {
    const s = new Session();
    const id = s.createMap({ name: 'a', type: 'array', maxEntries: 1, valueSize: 4 }) as number;
    expect(look(s, id, 0, 4)[0]).toBe(-ENOTSUPP);
    expect(s.world.maps.get(id)?.elems.has(0)).toBe(true);
  });

  test('a PERCPU_HASH gives every CPU\'s copy', () => {
    const s = new Session({ cpus: 2 });
    const id = s.createMap({ name: 'p', type: 'percpu_hash', maxEntries: 2, valueSize: 4 }) as number;
    expect(s.mapUpdate(id, 3, Uint8Array.from({ length: 16 }, (_, i) => i + 1), 0)).toBe(0);
    // 6.19 (the default) copies user space's rounded bytes in: the padding comes back out.
    expect(look(s, id, 3, 16)).toEqual([0, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]]);
    expect(s.world.maps.get(id)?.elems.size).toBe(0);
  });

  test.each([['6.18', 0], ['7.2', 1]] as const)('%s: the deleted element\'s kptr is freed (6.18) or left in its memory (7.2), as a delete does', (version, kept) => {
    const s = new Session({ version });
    const id = s.createMap({ name: 'k', type: 'hash', maxEntries: 2, valueSize: 8, kptrs: [{ name: 'task', type: 'task_struct' }] }) as number;
    const pid = s.spawn({ comm: 't', script: [{ sys: 'sleep', ticks: 10 }] });
    expect(s.bpf_map_update_elem(id, 0, new Uint8Array(8), 0)).toBe(0);
    expect(s.bpf_task_acquire(pid)).toBe(pid);
    expect(s.bpf_kptr_xchg({ map: id, key: 0, field: 0 }, pid)).toBeNull();
    expect(look(s, id, 0, 16)).toEqual([0, [...new Array<number>(16).fill(0)]]);
    expect(refSnapshot(s.world).tasks[pid]).toBe(kept);
  });
});
