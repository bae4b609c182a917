/**
 * LRU_HASH updates on the host (6.18; 7.2.13 reads the same): `htab_lru_map_update_elem` takes its
 * node first (`prealloc_lru_pop`: a free one, else the list evicts an element), and only then looks
 * the key up and checks the flags, giving the node back on an error. In a full map an update of a
 * present key, or one its flags refuse, still evicts, and the element evicted may be the key's own.
 */
import { program as P, type BpfObject, type Op } from '../../src/index.ts';
import type { CallRecord, ConfCase } from './lib.ts';

const BPF_ANY = 0;
const BPF_NOEXIST = 1;
const BPF_EXIST = 2;

/** Updates of (key, flags) then lookups of `probe` keys (1 when found) into `<id>_rets`. */
function lruCase(id: string, max: number, updates: readonly [number, number][], probe: readonly number[], note: string): ConfCase {
  const m = `${id}_map`;
  const rets = `${id}_rets`;
  const body: Op[] = [];
  const calls: CallRecord[] = [];
  let n = 0;
  for (const [key, flags] of updates) {
    const i = n;
    n += 1;
    body.push(P.call('bpf_map_update_elem', [P.map(m), P.imm(key), P.buf(`${id}_val`), P.imm(flags)], `u${i}`), P.storeAt(rets, i, P.r(`u${i}`)));
    calls.push({ index: i, fn: 'bpf_map_update_elem', text: `bpf_map_update_elem(&lru, &${key}, val, ${['BPF_ANY', 'BPF_NOEXIST', 'BPF_EXIST'][flags]})` });
  }
  for (const key of probe) {
    const i = n;
    n += 1;
    body.push(P.call('bpf_map_lookup_elem', [P.map(m), P.imm(key)], `l${i}`), P.mov(`p${i}`, P.imm(0)), P.goto(`L${i}`, P.when(`l${i}`, '==', P.NULL)), P.mov(`p${i}`, P.imm(1)), P.label(`L${i}`), P.storeAt(rets, i, P.r(`p${i}`)));
    calls.push({ index: i, fn: 'bpf_map_lookup_elem', text: `bpf_map_lookup_elem(&lru, &${key}) != NULL` });
  }
  const object: BpfObject = {
    name: id, maps: [{ name: m, type: 'lru_hash', maxEntries: max, valueSize: 8, taskWorkFields: 0 }],
    globals: [{ name: rets, kind: 'u64s', size: 16 }, { name: `${id}_val`, kind: 'bytes', size: 8 }], subprogs: [],
    programs: [{ name: id, section: 'syscall', body: [...body, P.ret(P.imm(0))] }],
  };
  return { id, rule: 'LRU_HASH: the node before the flags (htab_lru_map_update_elem)', note, object, calls };
}

export const lruCases: readonly ConfCase[] = [
  lruCase('lru_exist_self', 1, [[0, BPF_ANY], [0, BPF_EXIST]], [0],
    'an LRU of one entry: BPF_EXIST on its only key evicts that key to get a node, then finds it missing → -ENOENT, and the map is empty'),
  lruCase('lru_noexist_self', 1, [[0, BPF_ANY], [0, BPF_NOEXIST]], [0],
    'an LRU of one entry: BPF_NOEXIST on its only key evicts it first, so the key is new → 0'),
  lruCase('lru_any_full', 2, [[0, BPF_ANY], [1, BPF_ANY], [1, BPF_ANY]], [0, 1],
    'a full LRU of two: updating key 1 (present) takes a node by evicting the least recently used, key 0'),
  lruCase('lru_refused_evicts', 2, [[0, BPF_ANY], [1, BPF_ANY], [1, BPF_NOEXIST]], [0, 1],
    'a full LRU of two: BPF_NOEXIST on key 1 (present) → -EEXIST, but key 0 was evicted for the node first'),
];
