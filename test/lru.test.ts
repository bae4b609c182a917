/**
 * LRU_HASH updates (kernel/bpf/hashtab.c `htab_lru_map_update_elem`, the same in 6.18 and 7.2.13): the
 * node is taken first (`prealloc_lru_pop`: a free one, or the list evicts an element when the map is
 * full), and only then is the key looked up and the flags checked, the node going back on an error.
 * The host tier's lru_* cases show 6.18 doing so.
 */
import { describe, expect, test } from 'vitest';
import { EEXIST, ENOENT, Session } from '../src/index.ts';

const BPF_ANY = 0;
const BPF_NOEXIST = 1;
const BPF_EXIST = 2;

function lru(max: number): { s: Session; id: number } {
  const s = new Session();
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

  test('a full map: an update of a present key, and one its flags refuse, still evict the least recently used', () => {
    const { s, id } = lru(2);
    expect(s.bpf_map_update_elem(id, 0, new Uint8Array(8), BPF_ANY)).toBe(0);
    expect(s.bpf_map_update_elem(id, 1, new Uint8Array(8), BPF_ANY)).toBe(0);
    expect(s.bpf_map_update_elem(id, 1, new Uint8Array(8), BPF_ANY)).toBe(0);
    expect(keys(s, id)).toEqual([1]);
    expect(s.bpf_map_update_elem(id, 0, new Uint8Array(8), BPF_ANY)).toBe(0);
    // Full again (0 and 1): key 1 is the least recently used now; NOEXIST on key 0 evicts it, then fails.
    expect(s.bpf_map_update_elem(id, 0, new Uint8Array(8), BPF_NOEXIST)).toBe(-EEXIST);
    expect(keys(s, id)).toEqual([0]);
  });
});
