/**
 * P18 kptrs in map values: a `SEC("syscall")` program moves the running task's reference into and
 * out of a map value's kptr field while it updates, deletes and re-inserts elements, on 6.18 and 7.2,
 * in an ARRAY, a preallocated HASH and a BPF_F_NO_PREALLOC HASH. The oracle restates the kernel's
 * rules here, without the model's code:
 *
 * - element memory (kernel/bpf/arraymap.c, hashtab.c): an ARRAY index is one memory for ever; a
 *   preallocated HASH pops new elements off a LIFO free list filled with elements 0..max-1 in order
 *   (`prealloc_init` → `pcpu_freelist_populate`: the last is popped first), and an update of a present
 *   key takes the per-CPU extra element (element max) and makes the old one the extra
 *   (`alloc_htab_elem` with `old_elem`); a NO_PREALLOC HASH allocates from a LIFO per-CPU cache
 *   (`bpf_mem_cache_alloc`, new memory when it is empty) before the old element goes back to it
 *   (`free_htab_elem`); a delete pushes the element back; a full HASH refuses a new key (-E2BIG), a
 *   missing key's delete is -ENOENT, an index past an ARRAY is -E2BIG.
 * - the fields of memory unlinked or overwritten (a delete, a replaced element, an ARRAY update):
 *   6.18 frees them (`bpf_obj_free_fields`: the kptr cleared, its reference dropped); 7.2 only cancels
 *   them (`bpf_obj_cancel_fields`: the kptr stays in the memory, and whichever key that memory holds
 *   next has it). `copy_map_value` never writes a kptr.
 * - `bpf_kptr_xchg` swaps the field's pointer (the reference moves with it); a load of the field
 *   inside bpf_rcu_read_lock gives its pointer, an RCU pointer bpf_task_acquire takes.
 *
 * Each op records what it saw; at the end, the running task's references are exactly the fields
 * holding it (every reference the program took it put into a field or released).
 */
import fc from 'fast-check';
import { describe, test } from 'vitest';
import { program as P, refSnapshot, Session, verify, type KernelVersion, type MapDecl, type Op } from '../src/index.ts';
import { expectEqual } from './fast_expect.ts';

type Kind = 'array' | 'hash' | 'hash_noprealloc';
type KOp =
  | { readonly k: 'in' | 'out' | 'load' | 'update' | 'delete'; readonly key: number };

const E2BIG = -7;
const ENOENT = -2;
const EINVAL = -22;
/** A lookup that found no element. */
const ABSENT = 2;

/** The oracle's map: memory ids, which hold the task, and the keys linking them. */
class OracleMap {
  readonly holds = new Map<number, boolean>();
  readonly elems = new Map<number, number>();
  readonly free: number[] = [];
  extra: number | null = null;
  next = 0;

  constructor(readonly kind: Kind, readonly max: number, readonly cancelOnly: boolean) {
    const mem = (): number => {
      const id = this.next;
      this.next += 1;
      this.holds.set(id, false);
      return id;
    };
    if (kind === 'array') for (let i = 0; i < max; i += 1) this.elems.set(i, mem());
    if (kind === 'hash') {
      for (let i = 0; i < max; i += 1) this.free.push(mem());
      this.extra = mem();
    }
  }

  /** Unlinking or overwriting memory: 6.18 frees its kptr, 7.2 leaves it. */
  private release(m: number): void {
    if (!this.cancelOnly) this.holds.set(m, false);
  }

  private alloc(): number {
    const m = this.free.pop();
    if (m !== undefined) return m;
    const id = this.next;
    this.next += 1;
    this.holds.set(id, false);
    return id;
  }

  update(key: number): number {
    if (this.kind === 'array') {
      const m = this.elems.get(key);
      if (m === undefined) return E2BIG;
      this.release(m);
      return 0;
    }
    const old = this.elems.get(key);
    if (old === undefined && this.elems.size >= this.max) return E2BIG;
    let m: number;
    if (old !== undefined && this.kind === 'hash') {
      m = this.extra as number;
      this.release(old);
      this.extra = old;
    } else if (this.kind === 'hash' && old === undefined) {
      m = this.free.pop() as number;
    } else {
      m = this.alloc();
      if (old !== undefined) {
        this.release(old);
        this.free.push(old);
      }
    }
    this.elems.set(key, m);
    return 0;
  }

  delete(key: number): number {
    if (this.kind === 'array') return EINVAL;
    const m = this.elems.get(key);
    if (m === undefined) return ENOENT;
    this.elems.delete(key);
    this.release(m);
    this.free.push(m);
    return 0;
  }

  /** What `op` records. */
  run(op: KOp): number {
    switch (op.k) {
      case 'update': return this.update(op.key);
      case 'delete': return this.delete(op.key);
      default: {
        const m = this.elems.get(op.key);
        if (m === undefined) return ABSENT;
        const had = this.holds.get(m) === true;
        if (op.k === 'in') this.holds.set(m, true);
        if (op.k === 'out') this.holds.set(m, false);
        return had ? 1 : 0;
      }
    }
  }

  held(): number {
    let n = 0;
    for (const h of this.holds.values()) if (h) n += 1;
    return n;
  }
}

const M = 'km';

/** The program: each op in turn, its result in rets[i] (an error as its u64). */
function program(ops: readonly KOp[]): Op[] {
  const { r, imm, NULL, call, goto, when, label, ld, mov, storeAt, kptr, map, buf } = P;
  const body: Op[] = [];
  ops.forEach((op, i) => {
    const L = (s: string): string => `${s}${i}`;
    const v = L('v');
    const res = L('res');
    const lookup: Op[] = [mov(res, imm(ABSENT)), call('bpf_map_lookup_elem', [map(M), imm(op.key)], v), goto(L('done'), when(v, '==', NULL))];
    switch (op.k) {
      case 'update': body.push(call('bpf_map_update_elem', [map(M), imm(op.key), buf('val'), imm(0)], res)); break;
      case 'delete': body.push(call('bpf_map_delete_elem', [map(M), imm(op.key)], res)); break;
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
    body.push(label(L('done')), storeAt('rets', i, r(res)));
  });
  return [...body, P.ret(P.imm(0))];
}

const caseArb = fc.record({
  version: fc.constantFrom<KernelVersion>('6.18', '7.2'),
  kind: fc.constantFrom<Kind>('array', 'hash', 'hash_noprealloc'),
  max: fc.integer({ min: 1, max: 3 }),
  ops: fc.array(fc.record({ k: fc.constantFrom('in', 'out', 'load', 'update', 'delete', 'in', 'out'), key: fc.integer({ min: 0, max: 2 }) }), { minLength: 1, maxLength: 10 }),
}) as fc.Arbitrary<{ version: KernelVersion; kind: Kind; max: number; ops: KOp[] }>;

describe('P18 kptrs in map values', () => {
  test('P18 what bpf_kptr_xchg and a load find in a field after updates, deletes and re-inserts, and the references held, are the kernel\'s', () => {
    fc.assert(fc.property(caseArb, ({ version, kind, max, ops }) => {
      const decl: MapDecl = {
        name: M, type: kind === 'array' ? 'array' : 'hash', maxEntries: max, valueSize: 8, taskWorkFields: 0,
        ...(kind === 'hash_noprealloc' ? { noPrealloc: true } : {}), kptrs: [{ name: 'task', type: 'task_struct' }],
      };
      const obj = { name: 'kp', maps: [decl], subprogs: [], globals: [{ name: 'rets', kind: 'u64s' as const, size: ops.length }, { name: 'val', kind: 'bytes' as const, size: 16 }], programs: [{ name: 'p', section: 'syscall', body: program(ops) }] };
      // Every program here holds no reference past its end: the verifier accepts it.
      expectEqual(verify(obj, version)[0]?.message ?? null, null);
      const s = new Session({ version });
      s.load(obj);
      const pid = s.spawn({ comm: 'runner', script: [{ sys: 'prog_test_run', prog: 'p' }] });
      s.simulate();
      const oracle = new OracleMap(kind, max, version === '7.2');
      const want = ops.map((op) => BigInt.asUintN(64, BigInt(oracle.run(op))));
      const bytes = s.global('rets') as Uint8Array;
      const got = ops.map((_, i) => new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(i * 8, true));
      expectEqual(got, want);
      expectEqual(refSnapshot(s.world).tasks[pid], oracle.held());
    }));
  });
});
