/**
 * Kptr op sequences as programs (P18, properties/kptr.test.ts; the generated conformance cases,
 * conformance/generate-kptr.ts): on keys 0-2 of one map with a referenced task kptr `task`, each op
 * records what it saw in `<rets>[i]`:
 * - `in`: look the element up, `bpf_task_acquire(current)`, `bpf_kptr_xchg` it in: 1 when the field
 *   held a task (released), 0 when NULL;
 * - `out`: `bpf_kptr_xchg(&v->task, NULL)`: 1 when it held a task (released), 0 when NULL;
 * - `load`: inside bpf_rcu_read_lock, the field loaded (an RCU pointer), acquired and released: 1 / 0;
 * - `update` (BPF_ANY) and `delete`: the helper's return value;
 * a lookup that finds no element records 2.
 */
import fc from 'fast-check';
import { program as P, type MapDecl, type Op } from '../src/index.ts';

export type KptrMapKind = 'array' | 'hash' | 'hash_noprealloc' | 'lru_hash' | 'percpu_array' | 'percpu_hash' | 'lru_percpu_hash';
export interface KOp {
  readonly k: 'in' | 'out' | 'load' | 'update' | 'delete';
  readonly key: number;
}
export interface KptrSeq {
  readonly kind: KptrMapKind;
  readonly max: number;
  readonly ops: readonly KOp[];
}

/** What a lookup that found no element records. */
export const ABSENT = 2;

/**
 * `kinds`: the map kinds to draw from. A hash map starts empty, so its sequence starts by inserting
 * keys 0 to max-1 (or fewer): the ops after it then meet elements, and the element memory a delete,
 * an update or an eviction frees is met again.
 */
export function kptrSeqArb(kinds: readonly KptrMapKind[]): fc.Arbitrary<KptrSeq> {
  const op = fc.record({ k: fc.constantFrom<KOp['k']>('in', 'out', 'load', 'update', 'delete', 'in', 'out'), key: fc.integer({ min: 0, max: 2 }) });
  return fc.record({
    kind: fc.constantFrom(...kinds),
    max: fc.integer({ min: 1, max: 3 }),
    filled: fc.integer({ min: 0, max: 3 }),
    ops: fc.array(op, { minLength: 1, maxLength: 10 }),
  }).map(({ kind, max, filled, ops }) => {
    const prefix: KOp[] = kind === 'array' || kind === 'percpu_array' ? [] : Array.from({ length: Math.min(filled, max) }, (_, key) => ({ k: 'update', key }));
    return { kind, max, ops: [...prefix, ...ops] };
  });
}

/** The map of a sequence, named `name`. */
export function kptrMap(name: string, s: KptrSeq): MapDecl {
  return {
    name, type: s.kind === 'hash_noprealloc' ? 'hash' : s.kind, maxEntries: s.max, valueSize: 8, taskWorkFields: 0,
    ...(s.kind === 'hash_noprealloc' ? { noPrealloc: true } : {}), kptrs: [{ name: 'task', type: 'task_struct' }],
  };
}

/** The ops of a sequence over map `m`, `val` (16 bytes: the value bpf_map_update_elem copies) and `rets` (a u64 per op); falls through at the end. */
export function kptrBody(ops: readonly KOp[], m: string, val: string, rets: string): Op[] {
  const { r, imm, NULL, call, goto, when, label, ld, mov, storeAt, kptr, map, buf } = P;
  const body: Op[] = [];
  ops.forEach((op, i) => {
    const L = (s: string): string => `${s}${i}`;
    const v = L('v');
    const res = L('res');
    const lookup: Op[] = [mov(res, imm(ABSENT)), call('bpf_map_lookup_elem', [map(m), imm(op.key)], v), goto(L('done'), when(v, '==', NULL))];
    switch (op.k) {
      case 'update': body.push(call('bpf_map_update_elem', [map(m), imm(op.key), buf(val), imm(0)], res)); break;
      case 'delete': body.push(call('bpf_map_delete_elem', [map(m), imm(op.key)], res)); break;
      case 'in':
        body.push(...lookup, call('bpf_get_current_task_btf', [], L('cur')), call('bpf_task_acquire', [r(L('cur'))], L('a')), goto(L('done'), when(L('a'), '==', NULL)),
          call('bpf_kptr_xchg', [kptr(v, 'task'), r(L('a'))], L('o')), mov(res, imm(0)), goto(L('done'), when(L('o'), '==', NULL)), mov(res, imm(1)), call('bpf_task_release', [r(L('o'))]));
        break;
      case 'out':
        body.push(...lookup, call('bpf_kptr_xchg', [kptr(v, 'task'), NULL], L('o')), mov(res, imm(0)), goto(L('done'), when(L('o'), '==', NULL)), mov(res, imm(1)), call('bpf_task_release', [r(L('o'))]));
        break;
      case 'load':
        // Inside a section the field is an RCU pointer that bpf_task_acquire takes (then released).
        body.push(...lookup, call('bpf_rcu_read_lock', []), ld(L('t'), 8, kptr(v, 'task'), 0), mov(res, imm(0)), goto(L('unlock'), when(L('t'), '==', NULL)), mov(res, imm(1)),
          call('bpf_task_acquire', [r(L('t'))], L('b')), goto(L('unlock'), when(L('b'), '==', NULL)), call('bpf_task_release', [r(L('b'))]),
          label(L('unlock')), call('bpf_rcu_read_unlock', []));
        break;
    }
    body.push(label(L('done')), storeAt(rets, i, r(res)));
  });
  return body;
}
