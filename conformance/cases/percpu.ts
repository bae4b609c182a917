/**
 * Per-CPU maps on the kernel (kernel/bpf/arraymap.c, hashtab.c; the model's src/model/maps/percpu.ts):
 * each element has a copy of its value per possible CPU. The program runs on CPU 0 (the host's loader
 * pins itself there; the guest has one CPU), so `bpf_map_lookup_elem` and `bpf_map_update_elem` reach
 * CPU 0's copy, and `bpf_map_lookup_percpu_elem` reaches any CPU's: NULL past the possible CPUs (the
 * host has 2, the guest 1).
 *
 * Each case is a sequence of steps in one program, each recording one word: a pointer's presence
 * (1 / 0), a helper's return value, or the 8 bytes a pointer reads (`ABSENT` when the pointer is NULL).
 * Pointers are kept in variables and used after later calls, so a read through a pointer taken before
 * an update shows whether the update wrote the same memory (a PERCPU_HASH updates in place) and what
 * a new element found in memory a deleted one left (`pcpu_init_value` zeroes the other CPUs' copies).
 */
import { program as P, type BpfObject, type MapDecl, type Op } from '../../src/index.ts';
import type { KOp, KptrSeq } from '../../properties/kptr.ts';
import { kptrSeqObject } from './kptr.ts';
import { FRETS, pidFilterOps, type FileCase } from './file.ts';
import type { CallRecord, ConfCase, SysMapOp } from './lib.ts';

/** What a read through a NULL pointer records. */
const ABSENT = 0xdeadn;

export type Step =
  /** `bpf_map_update_elem(&map, &key, &val, flags)` (BPF_ANY unless given) with `val` holding `value`: its return value. */
  | { readonly k: 'update'; readonly key: number; readonly value: number; readonly flags?: number }
  | { readonly k: 'delete'; readonly key: number }
  /** `p = bpf_map_lookup_percpu_elem(&map, &key, cpu)` (or `bpf_map_lookup_elem` without `cpu`): 1 / 0. */
  | { readonly k: 'ptr'; readonly p: string; readonly key: number; readonly cpu?: number }
  /** `if (p) *(u64 *)p = value` (`size` 4: a u32): 1 when written, 0 when p is NULL. */
  | { readonly k: 'write'; readonly p: string; readonly value: number; readonly size?: 4 | 8 }
  /** `*(u64 *)p` (`size` 4: a u32), or ABSENT. */
  | { readonly k: 'read'; readonly p: string; readonly size?: 4 | 8 }
  /** `bpf_get_smp_processor_id()`: the CPU the program runs on. */
  | { readonly k: 'cpu' };

export interface PercpuSeq {
  readonly id: string;
  /** The map (`valueSize` 8 unless given). */
  readonly map: Pick<MapDecl, 'type' | 'maxEntries'> & { readonly valueSize?: number; readonly flags?: number };
  readonly steps: readonly Step[];
  readonly note: string;
  /** User space's map syscalls after the program (host only: the loader's `@sys` lines). */
  readonly sys?: readonly Omit<SysMapOp, 'map'>[];
}

function stepText(s: Step): string {
  switch (s.k) {
    case 'update': return `update(${s.key}, 0x${s.value.toString(16)}${s.flags === undefined || s.flags === 0 ? '' : `, ${s.flags}`})`;
    case 'delete': return `delete(${s.key})`;
    case 'ptr': return s.cpu === undefined ? `${s.p} = lookup(${s.key}) != NULL` : `${s.p} = lookup_percpu(${s.key}, cpu ${s.cpu}) != NULL`;
    case 'write': return `*${s.p} = 0x${s.value.toString(16)}`;
    case 'read': return `*${s.p}`;
    case 'cpu': return 'bpf_get_smp_processor_id()';
  }
}

function body(q: PercpuSeq, m: string, val: string, rets: string): { ops: Op[]; calls: CallRecord[] } {
  const ops: Op[] = [];
  const calls: CallRecord[] = [];
  q.steps.forEach((s, i) => {
    const res = `res${i}`;
    switch (s.k) {
      case 'update':
        ops.push(P.st(8, P.addr(val), 0, P.imm(s.value)), P.call('bpf_map_update_elem', [P.map(m), P.imm(s.key), P.buf(val), P.imm(s.flags ?? 0)], res));
        break;
      case 'delete':
        ops.push(P.call('bpf_map_delete_elem', [P.map(m), P.imm(s.key)], res));
        break;
      case 'ptr':
        ops.push(
          s.cpu === undefined ? P.call('bpf_map_lookup_elem', [P.map(m), P.imm(s.key)], s.p) : P.call('bpf_map_lookup_percpu_elem', [P.map(m), P.imm(s.key), P.imm(s.cpu)], s.p),
          P.mov(res, P.imm(0)), P.goto(`S${i}`, P.when(s.p, '==', P.NULL)), P.mov(res, P.imm(1)), P.label(`S${i}`),
        );
        break;
      case 'write':
        ops.push(P.mov(res, P.imm(0)), P.goto(`S${i}`, P.when(s.p, '==', P.NULL)), P.st(s.size ?? 8, P.r(s.p), 0, P.imm(s.value)), P.mov(res, P.imm(1)), P.label(`S${i}`));
        break;
      case 'read':
        ops.push(P.mov(res, P.imm(ABSENT)), P.goto(`S${i}`, P.when(s.p, '==', P.NULL)), P.ld(res, s.size ?? 8, P.r(s.p), 0), P.label(`S${i}`));
        break;
      case 'cpu':
        ops.push(P.call('bpf_get_smp_processor_id', [], res));
        break;
    }
    ops.push(P.storeAt(rets, i, P.r(res)));
    const fn = s.k === 'update' ? 'bpf_map_update_elem' : s.k === 'delete' ? 'bpf_map_delete_elem' : s.k === 'cpu' ? 'bpf_get_smp_processor_id' : s.k === 'ptr' ? (s.cpu === undefined ? 'bpf_map_lookup_elem' : 'bpf_map_lookup_percpu_elem') : 'ld';
    calls.push({ index: i, fn, text: stepText(s) });
  });
  return { ops, calls };
}

function object(id: string, q: PercpuSeq, guest: boolean): { object: BpfObject; calls: CallRecord[] } {
  const g = (n: string): string => `${id}_${n}`;
  const { ops, calls } = body(q, g('map'), g('val'), g('rets'));
  if (q.steps.length > FRETS) throw new Error(`${id}: ${q.steps.length} results, the guest records ${FRETS}`);
  const valueSize = q.map.valueSize ?? 8;
  const object: BpfObject = {
    name: id, maps: [{ name: g('map'), type: q.map.type, maxEntries: q.map.maxEntries, valueSize, taskWorkFields: 0, ...(q.map.flags === undefined ? {} : { flags: q.map.flags }) }], subprogs: [],
    globals: [{ name: g('rets'), kind: 'u64s', size: FRETS }, { name: g('val'), kind: 'bytes', size: Math.max(8, Math.ceil(valueSize / 8) * 8) }, ...(guest ? [{ name: g('pid'), kind: 'int' as const }] : [])],
    programs: [{ name: id, section: guest ? 'lsm/file_open' : 'syscall', body: [...(guest ? pidFilterOps(g('pid')) : []), ...ops, P.label('out'), P.ret(P.imm(0))] }],
  };
  return { object, calls };
}

const RULE = 'per-CPU maps: a copy per possible CPU (maps/percpu.ts)';

const SEQS: readonly PercpuSeq[] = [
  {
    id: 'array', map: { type: 'percpu_array', maxEntries: 2 },
    note: 'a program\'s update writes its CPU\'s copy (array_map_update_elem: this_cpu_ptr), CPU 0 (bpf_get_smp_processor_id); CPU 1\'s copy, written through bpf_map_lookup_percpu_elem, stays; CPUs past the possible ones and keys past max_entries give NULL',
    steps: [
      { k: 'cpu' }, { k: 'ptr', p: 'c1', key: 0, cpu: 1 }, { k: 'write', p: 'c1', value: 0x1111 }, { k: 'ptr', p: 'c0', key: 0, cpu: 0 },
      { k: 'update', key: 0, value: 0x2222 }, { k: 'read', p: 'c1' }, { k: 'read', p: 'c0' }, { k: 'ptr', p: 'v', key: 0 }, { k: 'read', p: 'v' },
      { k: 'ptr', p: 'c2', key: 0, cpu: 2 }, { k: 'ptr', p: 'cx', key: 0, cpu: 0xffffffff }, { k: 'ptr', p: 'k2', key: 2, cpu: 0 }, { k: 'ptr', p: 'k1', key: 1, cpu: 1 }, { k: 'read', p: 'k1' },
    ],
  },
  {
    id: 'hash_inplace', map: { type: 'percpu_hash', maxEntries: 2 },
    note: 'a present key is updated in place (pcpu_copy_value): a pointer taken before the update reads the new value (a HASH\'s would read the old element), and CPU 1\'s copy keeps what was written there',
    steps: [
      { k: 'update', key: 1, value: 0x2222 }, { k: 'ptr', p: 'v', key: 1 }, { k: 'ptr', p: 'c1', key: 1, cpu: 1 }, { k: 'read', p: 'c1' }, { k: 'write', p: 'c1', value: 0x3333 },
      { k: 'update', key: 1, value: 0x4444 }, { k: 'read', p: 'v' }, { k: 'read', p: 'c1' }, { k: 'ptr', p: 'w', key: 1, cpu: 0 }, { k: 'read', p: 'w' },
    ],
  },
  {
    id: 'hash_reuse', map: { type: 'percpu_hash', maxEntries: 2 },
    note: 'a deleted element\'s memory goes back to the free list and the next new key takes it (LIFO): pcpu_init_value writes CPU 0\'s copy and zeroes CPU 1\'s, which a pointer kept from before shows',
    steps: [
      { k: 'update', key: 1, value: 0x2222 }, { k: 'ptr', p: 'v', key: 1 }, { k: 'ptr', p: 'c1', key: 1, cpu: 1 }, { k: 'write', p: 'c1', value: 0x3333 },
      { k: 'delete', key: 1 }, { k: 'ptr', p: 'gone', key: 1, cpu: 1 }, { k: 'update', key: 2, value: 0x5555 }, { k: 'read', p: 'c1' }, { k: 'read', p: 'v' },
      { k: 'update', key: 3, value: 0x6666 }, { k: 'update', key: 4, value: 0x7777 }, { k: 'ptr', p: 'c4', key: 3, cpu: 1 }, { k: 'read', p: 'c4' },
    ],
  },
];

/** `n` bytes of `b` (the pattern a lookup's buffer starts with, so bytes the kernel leaves are seen). */
const fill = (n: number, b = 0xee): Uint8Array => new Uint8Array(n).fill(b);
/** A value of `n` bytes counting up from `from` (every byte distinct, the padding after value_size too). */
const count = (n: number, from: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff);
const lookup = (key: number, size: number, flags = 0n): Omit<SysMapOp, 'map'> => ({ op: 'lookup', key, flags, bytes: fill(size) });
const lookupAndDelete = (key: number, size: number, flags = 0n): Omit<SysMapOp, 'map'> => ({ op: 'lookup_and_delete', key, flags, bytes: fill(size) });
const update = (key: number, bytes: Uint8Array, flags = 0n): Omit<SysMapOp, 'map'> => ({ op: 'update', key, flags, bytes });
const BPF_F_CPU = 8n;

/**
 * User space's view (host only: the loader's map syscalls, 6.18 on 2 possible CPUs). A value of 4 or 12
 * bytes rounds to 8 or 16 a CPU: the buffers are every CPU's copy plus 8 bytes the kernel must leave.
 */
const SYS_SEQS: readonly PercpuSeq[] = [
  {
    id: 'sys_array', map: { type: 'percpu_array', maxEntries: 2, valueSize: 4 },
    note: 'bpf_percpu_array_copy / _update: every CPU\'s rounded copy end to end (the padding user space wrote is read back before 7.0); flags above BPF_EXIST, BPF_F_LOCK and BPF_F_CPU (not before 7.0) are -EINVAL, BPF_NOEXIST -EEXIST, an index past max_entries -E2BIG (update) or -ENOENT (lookup)',
    steps: [{ k: 'ptr', p: 'c1', key: 1, cpu: 1 }, { k: 'update', key: 0, value: 0x2222 }],
    sys: [
      lookup(0, 24), update(0, count(16, 1)), lookup(0, 24), update(0, count(16, 0x41), 1n), update(0, count(16, 0x51), 2n), lookup(0, 24),
      update(0, count(16, 0x61), 3n), update(0, count(16, 0x61), 4n), update(2, count(16, 0x61)), lookup(2, 24), lookup(0, 24, 4n), lookup(0, 24, BPF_F_CPU),
      update(0, count(16, 0x71), BPF_F_CPU | (1n << 32n)), lookup(1, 24),
    ],
  },
  {
    id: 'sys_hash', map: { type: 'percpu_hash', maxEntries: 2, valueSize: 12 },
    note: 'bpf_percpu_hash_copy / _update: a new key from user space gets every CPU\'s copy from the buffer, a present one is written in place; BPF_NOEXIST, BPF_EXIST and a full map as a program\'s update',
    steps: [{ k: 'update', key: 1, value: 0x2222 }, { k: 'ptr', p: 'c1', key: 1, cpu: 1 }, { k: 'write', p: 'c1', value: 0x3333 }],
    sys: [
      lookup(1, 40), lookup(5, 40), update(2, count(32, 1), 1n), lookup(2, 40), update(3, count(32, 0x41)), update(2, count(32, 0x51), 2n), lookup(2, 40),
      update(7, count(32, 0x61), 2n), update(1, count(32, 0x61), 1n), lookup(1, 40, 1n), update(1, count(32, 0x71), 3n), lookup(1, 40),
    ],
  },
];

const BPF_F_ALL_CPUS = 16n;
const cpuFlag = (c: number): bigint => BPF_F_CPU | (BigInt(c) << 32n);

/**
 * `bpf(BPF_MAP_LOOKUP_AND_DELETE_ELEM)` on maps of every kind (the same on both tiers: the buffers fit
 * any CPU count up to 2): a hash map's element copied out as a lookup copies it and deleted, -ENOENT
 * then; any flag -EINVAL (BPF_F_LOCK: no value has a spin lock); an array -ENOTSUPP.
 */
const LAD_SEQS: readonly PercpuSeq[] = [
  {
    id: 'sys_lad_hash', map: { type: 'hash', maxEntries: 4 },
    note: '__htab_map_lookup_and_delete_elem on a HASH: the value out, the element gone (a lookup and a second lookup-and-delete find nothing), flags refused, a key user space inserted',
    steps: [{ k: 'update', key: 1, value: 0x1111 }, { k: 'update', key: 2, value: 0x2222 }],
    sys: [
      lookupAndDelete(1, 16), lookup(1, 16), lookupAndDelete(1, 16), lookupAndDelete(2, 16, 4n), lookupAndDelete(2, 16, 1n), lookup(2, 16),
      update(3, count(8, 0x31)), lookupAndDelete(3, 16), lookupAndDelete(2, 8),
    ],
  },
  {
    id: 'sys_lad_lru', map: { type: 'lru_hash', maxEntries: 4 },
    note: 'an LRU_HASH\'s element out and its node freed (htab_lru_push_free); the freed node takes the next key',
    steps: [{ k: 'update', key: 1, value: 0x1111 }, { k: 'update', key: 2, value: 0x2222 }],
    sys: [lookupAndDelete(2, 16), update(5, count(8, 0x51)), lookup(5, 16), lookupAndDelete(5, 16), lookup(1, 16)],
  },
  {
    id: 'sys_lad_array', map: { type: 'array', maxEntries: 2 },
    note: 'an ARRAY has no lookup-and-delete: -ENOTSUPP (the element stays)',
    steps: [{ k: 'update', key: 0, value: 0x1111 }],
    sys: [lookupAndDelete(0, 16), lookup(0, 16)],
  },
  {
    id: 'sys_lad_pcpu', map: { type: 'percpu_hash', maxEntries: 2 },
    note: 'a PERCPU_HASH\'s every CPU\'s copy out, then the element gone',
    steps: [{ k: 'update', key: 1, value: 0x1111 }, { k: 'ptr', p: 'c1', key: 1, cpu: 1 }, { k: 'write', p: 'c1', value: 0x2222 }],
    sys: [lookupAndDelete(1, 24), lookup(1, 24), lookupAndDelete(1, 24)],
  },
];

/**
 * The same on the guest (7.2, one possible CPU): an update copies `value_size` bytes of each CPU's
 * copy (the padding stays zero), BPF_F_CPU reads or writes one CPU's `value_size` bytes (CPU 1 is
 * -ERANGE), BPF_F_ALL_CPUS writes one value into each, `bpf_map_check_op_flags` refuses both at once,
 * upper bits without BPF_F_CPU and BPF_F_ALL_CPUS on a lookup, and the map's own test lets BPF_NOEXIST |
 * BPF_EXIST through and compares BPF_NOEXIST and BPF_EXIST with the whole flags.
 */
const GUEST_SYS_SEQS: readonly PercpuSeq[] = [
  {
    id: 'sys_array', map: { type: 'percpu_array', maxEntries: 2, valueSize: 4 },
    note: '7.2: bpf_map_check_op_flags, BPF_F_CPU and BPF_F_ALL_CPUS; value_size bytes copied (the padding user space wrote is not kept)',
    steps: [{ k: 'update', key: 0, value: 0x2222 }],
    sys: [
      lookup(0, 16), update(0, count(8, 1)), lookup(0, 16), update(0, count(8, 0x41), 3n), lookup(0, 16), update(0, count(8, 0x51), 1n),
      update(0, count(4, 0x61), cpuFlag(0)), lookup(0, 8, cpuFlag(0)), update(0, count(4, 0x71), cpuFlag(1)), lookup(0, 8, cpuFlag(1)),
      update(0, count(4, 0x81), BPF_F_ALL_CPUS), lookup(0, 16), update(0, count(8, 1), cpuFlag(0) | BPF_F_ALL_CPUS), update(0, count(8, 1), 1n << 32n),
      lookup(0, 16, BPF_F_ALL_CPUS), update(0, count(8, 1), 4n), update(0, count(8, 1), 17n), update(2, count(8, 1)), lookup(2, 16), update(0, count(4, 0x91), cpuFlag(0) | 1n), lookup(0, 16),
    ],
  },
  {
    id: 'sys_hash', map: { type: 'percpu_hash', maxEntries: 3, valueSize: 12 },
    note: '7.2: a new key with BPF_F_CPU and BPF_EXIST is created (check_flags compares the whole flags), a present one with BPF_F_CPU and BPF_NOEXIST updated in place',
    steps: [{ k: 'update', key: 1, value: 0x2222 }],
    sys: [
      lookup(1, 24), update(2, count(16, 1), 1n), lookup(2, 24), update(7, count(12, 0x31), cpuFlag(0) | 2n), lookup(7, 24), update(1, count(16, 0x41), 1n),
      update(1, count(12, 0x51), cpuFlag(0) | 1n), lookup(1, 24), update(5, count(16, 0x61), 2n), update(9, count(16, 0x71)), lookup(9, 24), update(2, count(12, 0x81), BPF_F_ALL_CPUS), lookup(2, 24, cpuFlag(0)),
    ],
  },
];

/**
 * A kptr in CPU 0's copy (properties/kptr.ts ops: `in` stores the running task, `out` takes the field
 * out and records whether it held one): an update of the element releases its fields, in place for a
 * PERCPU_HASH ("bpf: Free special fields when update [lru_,]percpu_hash maps", 6.18 stable): 6.18
 * frees the kptr, 7.2 only cancels the fields and the kptr stays.
 */
const KPTR: readonly { readonly id: string; readonly q: KptrSeq; readonly note: string }[] = [
  {
    id: 'kptr_hash', note: 'a PERCPU_HASH update of a present key releases its kptr in place (6.18 frees it: out finds NULL; 7.2 cancels: out finds the task); a delete and a new key in the same memory show what stayed',
    q: { kind: 'percpu_hash', max: 2, ops: [{ k: 'update', key: 0 }, { k: 'in', key: 0 }, { k: 'update', key: 0 }, { k: 'out', key: 0 }, { k: 'in', key: 0 }, { k: 'delete', key: 0 }, { k: 'update', key: 1 }, { k: 'out', key: 1 }] satisfies KOp[] },
  },
  {
    id: 'kptr_array', note: 'a PERCPU_ARRAY update releases the kptr of CPU 0\'s copy, as an ARRAY\'s (6.18 frees, 7.2 cancels)',
    q: { kind: 'percpu_array', max: 2, ops: [{ k: 'in', key: 1 }, { k: 'update', key: 1 }, { k: 'out', key: 1 }, { k: 'in', key: 1 }, { k: 'out', key: 1 }] satisfies KOp[] },
  },
];

/**
 * What a host and a guest case of a sequence share: its note, object, calls and map syscalls (on the
 * case's map), and the generated mark.
 */
function seqCase(id: string, q: PercpuSeq, guest: boolean, rule: string, generated: boolean): ConfCase {
  const sys = (q.sys ?? []).map((o) => ({ ...o, map: `${id}_map` }));
  return {
    id, rule, note: `${q.steps.map(stepText).join('; ')}${sys.length > 0 ? `; then from user space ${sys.length} map syscalls` : ''}: ${q.note}`, ...object(id, q, guest),
    ...(sys.length > 0 ? { sys } : {}), ...(generated ? { generated: true } : {}),
  };
}

/** A host case (6.18, `SEC("syscall")`) of a sequence, the id given whole. */
export function percpuHostCase(id: string, q: PercpuSeq, rule = RULE, generated = false): ConfCase {
  return seqCase(id, q, false, rule, generated);
}

/** A guest case (7.2, `lsm/file_open`) of a sequence. */
export function percpuGuestCase(id: string, q: PercpuSeq, rule = `${RULE} (7.2)`, generated = false): FileCase {
  return { ...seqCase(id, q, true, rule, generated), state: 'warm' };
}

export const percpuCases: readonly ConfCase[] = [
  ...[...SEQS, ...SYS_SEQS, ...LAD_SEQS].map((q) => percpuHostCase(`pcpu_${q.id}`, q)),
  ...KPTR.map((c): ConfCase => ({ id: `pcpu_${c.id}`, rule: RULE, note: c.note, ...kptrSeqObject(`pcpu_${c.id}`, c.q, false) })),
];

export function percpuFileCases(): FileCase[] {
  return [
    ...[...SEQS, ...GUEST_SYS_SEQS, ...LAD_SEQS].map((q) => percpuGuestCase(`fpcpu_${q.id}`, q)),
    ...KPTR.map((c): FileCase => ({ id: `fpcpu_${c.id}`, rule: `${RULE} (7.2)`, note: c.note, ...kptrSeqObject(`fpcpu_${c.id}`, c.q, true), state: 'warm' })),
  ];
}
