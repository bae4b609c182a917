/**
 * P18 kptrs in map values: a `SEC("syscall")` program moves the running task's reference into and
 * out of a map value's kptr field while it updates, deletes and re-inserts elements, on 6.18 and 7.2,
 * in an ARRAY, a preallocated HASH, a BPF_F_NO_PREALLOC HASH, a PERCPU_ARRAY and a PERCPU_HASH (CPU 0's
 * copy, where the program runs). The oracle restates the kernel's rules here, without the model's code:
 *
 * - element memory (kernel/bpf/arraymap.c, hashtab.c): an ARRAY index is one memory for ever; a
 *   preallocated HASH pops new elements off a LIFO free list filled with elements 0..max-1 in order
 *   (`prealloc_init` → `pcpu_freelist_populate`: the last is popped first), and an update of a present
 *   key takes the per-CPU extra element (element max) and makes the old one the extra
 *   (`alloc_htab_elem` with `old_elem`); a NO_PREALLOC HASH allocates from a LIFO per-CPU cache
 *   (`bpf_mem_cache_alloc`, new memory when it is empty) before the old element goes back to it
 *   (`free_htab_elem`); a delete pushes the element back; a full HASH refuses a new key (-E2BIG), a
 *   missing key's delete is -ENOENT, an index past an ARRAY is -E2BIG. A PERCPU_ARRAY is an ARRAY's
 *   memory; a PERCPU_HASH has no extra element (`htab_has_extra_elems`) and updates a present key in
 *   place (`pcpu_copy_value`), its fields released as an ARRAY update's.
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
import { program as P, refSnapshot, Session, verify, type KernelVersion } from '../src/index.ts';
import { expectEqual } from './fast_expect.ts';
import { ABSENT, kptrBody, kptrMap, kptrSeqArb, type KOp, type KptrMapKind } from './kptr.ts';

type Kind = Exclude<KptrMapKind, 'lru_hash' | 'lru_percpu_hash'>;

const E2BIG = -7;
const ENOENT = -2;
const EINVAL = -22;

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
    if (kind === 'array' || kind === 'percpu_array') for (let i = 0; i < max; i += 1) this.elems.set(i, mem());
    // Preallocated: a HASH has one extra element besides its max, a PERCPU_HASH none (it updates in place).
    if (kind === 'hash' || kind === 'percpu_hash') for (let i = 0; i < max; i += 1) this.free.push(mem());
    if (kind === 'hash') this.extra = mem();
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
    // An array's memory, and a present PERCPU_HASH key's (pcpu_copy_value), is written in place.
    if (this.kind === 'array' || this.kind === 'percpu_array' || (this.kind === 'percpu_hash' && this.elems.has(key))) {
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
    } else if ((this.kind === 'hash' || this.kind === 'percpu_hash') && old === undefined) {
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
    if (this.kind === 'array' || this.kind === 'percpu_array') return EINVAL;
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

const caseArb = fc.record({ version: fc.constantFrom<KernelVersion>('6.18', '7.2'), seq: kptrSeqArb(['array', 'hash', 'hash_noprealloc', 'percpu_array', 'percpu_hash']) });

describe('P18 kptrs in map values', () => {
  test('P18 what bpf_kptr_xchg and a load find in a field after updates, deletes and re-inserts, and the references held, are the kernel\'s', () => {
    fc.assert(fc.property(caseArb, ({ version, seq }) => {
      const { max, ops } = seq;
      const kind = seq.kind as Kind;
      const obj = {
        name: 'kp', maps: [kptrMap(M, seq)], subprogs: [], globals: [{ name: 'rets', kind: 'u64s' as const, size: ops.length }, { name: 'val', kind: 'bytes' as const, size: 16 }],
        programs: [{ name: 'p', section: 'syscall', body: [...kptrBody(ops, M, 'val', 'rets'), P.ret(P.imm(0))] }],
      };
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
