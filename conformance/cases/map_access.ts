/**
 * Who may read and write a map (src/model/maps/alloc_check.ts `mapAccess`): programs, by the map's
 * BPF_F_RDONLY_PROG and BPF_F_WRONLY_PROG (the verifier's `check_map_access_type` for loads, stores
 * and helpers' memory arguments, `record_func_map` for `bpf_map_update_elem` and
 * `bpf_map_delete_elem`); user space, by BPF_F_RDONLY and BPF_F_WRONLY (the fd's mode: `map_get_sys_perms`
 * refuses each syscall that needs the other with -EPERM). Built on the per-CPU sequences (percpu.ts).
 */
import { program as P, type Arg, type GlobalDecl, type Op } from '../../src/index.ts';
import { percpuGuestCase, percpuHostCase, type PercpuSeq } from './percpu.ts';
import type { FileCase } from './file.ts';
import type { ConfCase, SysMapOp } from './lib.ts';

const RDONLY = 8;
const WRONLY = 16;
const RDONLY_PROG = 128;
const WRONLY_PROG = 256;
const RULE = 'map access flags (maps/alloc_check.ts mapAccess)';

type Sys = Omit<SysMapOp, 'map'>;
const buf = (n: number, b = 0xee): Uint8Array => new Uint8Array(n).fill(b);
const lookup = (key: number): Sys => ({ op: 'lookup', key, flags: 0n, bytes: buf(8) });
const update = (key: number, b: number): Sys => ({ op: 'update', key, flags: 0n, bytes: buf(8, b) });
const del = (key: number): Sys => ({ op: 'delete', key, flags: 0n, bytes: buf(4) });
const lad = (key: number): Sys => ({ op: 'lookup_and_delete', key, flags: 0n, bytes: buf(8) });
const nextKey = (key: number): Sys => ({ op: 'next_key', key, flags: 0n, bytes: buf(4) });

/** A sequence, with ops put in the program after its steps (`extra`), and whether the verifier should refuse it. */
interface AccessSeq extends PercpuSeq { readonly extra?: readonly Op[]; readonly globals?: readonly GlobalDecl[]; readonly reject?: boolean }

const SEQS: readonly AccessSeq[] = [
  {
    id: 'ro_store', map: { type: 'array', maxEntries: 2, flags: RDONLY_PROG }, reject: true,
    steps: [{ k: 'ptr', p: 'p0', key: 0 }, { k: 'write', p: 'p0', value: 7 }],
    note: 'a store into a BPF_F_RDONLY_PROG map\'s value: write into map forbidden (check_map_access_type, before the bounds)',
  },
  {
    id: 'ro_update', map: { type: 'array', maxEntries: 2, flags: RDONLY_PROG }, reject: true, steps: [{ k: 'update', key: 0, value: 7 }],
    note: 'bpf_map_update_elem of a BPF_F_RDONLY_PROG map: write into map forbidden (record_func_map)',
  },
  {
    id: 'ro_delete', map: { type: 'hash', maxEntries: 2, flags: RDONLY_PROG }, reject: true, steps: [{ k: 'delete', key: 0 }],
    note: 'bpf_map_delete_elem of a BPF_F_RDONLY_PROG map: write into map forbidden',
  },
  {
    id: 'ro_helper_dst', map: { type: 'array', maxEntries: 2, flags: RDONLY_PROG }, reject: true, steps: [{ k: 'ptr', p: 'p0', key: 0 }],
    extra: [P.goto('skip', P.when('p0', '==', P.NULL)), P.call('bpf_probe_read_kernel', [P.r('p0'), P.imm(8), P.imm(0)]), P.label('skip')],
    note: 'a BPF_F_RDONLY_PROG map\'s value as a helper\'s destination: write into map forbidden (check_helper_mem_access)',
  },
  {
    id: 'rodata_helper_dst', map: { type: 'array', maxEntries: 1 }, reject: true, steps: [{ k: 'ptr', p: 'p0', key: 0 }],
    globals: [{ name: 'ro', kind: 'bytes', size: 8, init: 'abcdefg', rodata: true }],
    extra: [P.call('bpf_probe_read_kernel', [P.buf('ro'), P.imm(8), P.imm(0)])],
    note: 'a const global (.rodata, which libbpf creates BPF_F_RDONLY_PROG) as a helper\'s destination: write into map forbidden, as for a map value',
  },
  {
    id: 'rodata_dead', map: { type: 'array', maxEntries: 1 }, steps: [{ k: 'ptr', p: 'p0', key: 0 }],
    globals: [{ name: 'dbg', kind: 'u32', init: 0, rodata: true }, { name: 'ro', kind: 'bytes', size: 8, init: 'abcdefg', rodata: true }],
    extra: [P.mov('d', P.glob('dbg')), P.goto('skipd', P.when('d', '==', P.imm(0))), P.call('bpf_probe_read_kernel', [P.buf('ro'), P.imm(8), P.imm(0)]), P.label('skipd')],
    note: 'a const volatile flag of 0 (.rodata, frozen by libbpf): the verifier reads it (bpf_map_direct_read), the branch is known, and the code it skips, a write into .rodata, is never verified',
  },
  {
    id: 'rodata_live', map: { type: 'array', maxEntries: 1 }, reject: true, steps: [{ k: 'ptr', p: 'p0', key: 0 }],
    globals: [{ name: 'dbg', kind: 'u32', init: 1, rodata: true }, { name: 'ro', kind: 'bytes', size: 8, init: 'abcdefg', rodata: true }],
    extra: [P.mov('d', P.glob('dbg')), P.goto('skipd', P.when('d', '==', P.imm(0))), P.call('bpf_probe_read_kernel', [P.buf('ro'), P.imm(8), P.imm(0)]), P.label('skipd')],
    note: 'the same flag of 1: the write into .rodata is reached and refused',
  },
  {
    id: 'rodata_bytes', map: { type: 'array', maxEntries: 1 }, steps: [{ k: 'ptr', p: 'p0', key: 0 }],
    globals: [{ name: 'ro', kind: 'bytes', size: 8, init: [0, 0, 7, 0, 0, 0, 0, 0], rodata: true }],
    extra: [P.mov('q', P.addr('ro')), P.ld('b', 1, P.r('q'), 2), P.goto('skipb', P.when('b', '==', P.imm(7))), P.call('bpf_probe_read_kernel', [P.buf('ro'), P.imm(8), P.imm(0)]), P.label('skipb')],
    note: 'a byte of a const array read at a known offset is its value: the branch on it is known too',
  },
  {
    id: 'ro_read', map: { type: 'array', maxEntries: 2, flags: RDONLY_PROG }, steps: [{ k: 'ptr', p: 'p0', key: 1 }, { k: 'read', p: 'p0' }],
    sys: [update(1, 0x11), lookup(1), nextKey(0)],
    note: 'a BPF_F_RDONLY_PROG map is read by programs and written by user space',
  },
  {
    id: 'wo_load', map: { type: 'array', maxEntries: 2, flags: WRONLY_PROG }, reject: true,
    steps: [{ k: 'ptr', p: 'p0', key: 0 }, { k: 'read', p: 'p0' }],
    note: 'a load from a BPF_F_WRONLY_PROG map\'s value: read from map forbidden',
  },
  {
    id: 'wo_helper_src', map: { type: 'hash', maxEntries: 2, flags: WRONLY_PROG }, reject: true, steps: [{ k: 'update', key: 0, value: 7 }, { k: 'ptr', p: 'p0', key: 0 }],
    extra: [P.goto('skip', P.when('p0', '==', P.NULL)), P.call('bpf_map_update_elem', [P.map('ma_wo_helper_src_map'), P.imm(1), P.r('p0'), P.imm(0)]), P.label('skip')],
    note: 'a BPF_F_WRONLY_PROG map\'s value as a helper\'s source (bpf_map_update_elem\'s value): read from map forbidden',
  },
  {
    id: 'wo_write', map: { type: 'hash', maxEntries: 2, flags: WRONLY_PROG | 64 }, steps: [{ k: 'update', key: 0, value: 7 }, { k: 'ptr', p: 'p0', key: 0 }, { k: 'write', p: 'p0', value: 9 }],
    sys: [lookup(0), update(1, 0x22), nextKey(1)],
    note: 'a BPF_F_WRONLY_PROG map is written by programs (updates, stores) and read by user space',
  },
  {
    id: 'null_value', map: { type: 'hash', maxEntries: 2 }, reject: true, steps: [{ k: 'delete', key: 0 }],
    extra: [P.call('bpf_map_update_elem', [P.map('ma_null_value_map'), P.imm(1), P.NULL, P.imm(0)])],
    note: 'bpf_map_update_elem\'s value is ARG_PTR_TO_MAP_VALUE, which may not be NULL (the model took NULL for a value of zeros)',
  },
  {
    id: 'scalar_key', map: { type: 'hash', maxEntries: 2 }, reject: true, steps: [{ k: 'delete', key: 0 }],
    extra: [P.mov('x', P.imm(1)), P.call('bpf_map_lookup_elem', [P.map('ma_scalar_key_map'), P.r('x')], 'y')],
    note: 'a register holding a number as a helper\'s key: it is passed as the pointer it is not (the model took it for the key)',
  },
  {
    id: 'freeze', map: { type: 'hash', maxEntries: 4, flags: 64 }, steps: [{ k: 'update', key: 0, value: 7 }],
    sys: [update(1, 0x11), { op: 'freeze', key: 0, flags: 0n, bytes: buf(4) }, update(2, 0x22), del(0), lad(1), lookup(0), nextKey(9),
      { op: 'freeze', key: 0, flags: 0n, bytes: buf(4) }, { op: 'update_batch', key: 0, flags: 0n, bytes: Uint8Array.from([1, 0, 0, 0, 0xee, 0xee, 0xee, 0xee, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 9, 9, 9, 9, 9, 9, 9, 9]) }],
    note: 'BPF_MAP_FREEZE: from then on user space\'s updates, deletes, lookups-and-deletes and batch updates are -EPERM (map_get_sys_perms), its reads go on; a second freeze is -EPERM too',
  },
  {
    id: 'freeze_ro', map: { type: 'array', maxEntries: 2, flags: 8 }, steps: [{ k: 'update', key: 0, value: 7 }],
    sys: [{ op: 'freeze', key: 0, flags: 0n, bytes: buf(4) }, lookup(0)],
    note: 'a read-only fd may not freeze: -EPERM',
  },
  {
    id: 'sys_rdonly', map: { type: 'hash', maxEntries: 4, flags: RDONLY }, steps: [{ k: 'update', key: 0, value: 7 }, { k: 'delete', key: 1 }],
    sys: [lookup(0), update(1, 0x33), del(0), lad(0), nextKey(9), lookup(0)],
    note: 'BPF_F_RDONLY: user space\'s fd is read-only (bpf_get_file_flag): lookups and next keys, but updates, deletes and lookup-and-delete -EPERM; programs write as they like',
  },
  {
    id: 'sys_wronly', map: { type: 'hash', maxEntries: 4, flags: WRONLY }, steps: [{ k: 'update', key: 0, value: 7 }],
    sys: [lookup(0), nextKey(9), lad(0), update(1, 0x44), del(0), { op: 'lookup', key: 0, flags: 1n, bytes: buf(8) }],
    note: 'BPF_F_WRONLY: user space\'s fd is write-only: updates and deletes, but lookups, next keys and lookup-and-delete -EPERM (before 7.0 a lookup\'s unknown flag is -EINVAL first)',
  },
];

/** The case with its extra ops put before the program's end. */
function withExtra<T extends ConfCase>(c: T, q: AccessSeq): T {
  if (q.extra === undefined && q.reject !== true) return c;
  const prog = c.object.programs[0];
  if (prog === undefined) return c;
  const at = prog.body.findIndex((op) => op.op === 'label' && op.name === 'out');
  const body = q.extra === undefined ? prog.body : [...prog.body.slice(0, at), ...q.extra, ...prog.body.slice(at)];
  const globals = [...c.object.globals, ...(q.globals ?? []).map((g) => ({ ...g, name: `${c.id}_${g.name}` }))];
  const own = (name: string): boolean => q.globals?.some((g) => g.name === name) === true;
  const arg = (a: Arg): Arg => ('buf' in a && own(a.buf) ? { buf: `${c.id}_${a.buf}` } : 'addr' in a && own(a.addr) ? { addr: `${c.id}_${a.addr}` } : 'global' in a && own(a.global) ? { global: `${c.id}_${a.global}` } : a);
  const rename = (op: Op): Op => (op.op === 'call' ? { ...op, args: op.args.map(arg) } : op.op === 'mov' ? { ...op, src: arg(op.src) } : op);
  return { ...c, object: { ...c.object, globals, programs: [{ ...prog, body: body.map(rename) }] }, ...(q.reject === true ? { verifier: true } : {}) };
}

export const mapAccessCases: readonly ConfCase[] = SEQS.map((q) => withExtra(percpuHostCase(`ma_${q.id}`, q, RULE), q));

export function mapAccessFileCases(): FileCase[] {
  return SEQS.map((q) => {
    const id = `fma_${q.id}`;
    // The guest's map is named after its case.
    const extra = q.extra?.map((op) => (op.op === 'call' && (op.fn === 'bpf_map_update_elem' || op.fn === 'bpf_map_lookup_elem') ? { ...op, args: [P.map(`${id}_map`), ...op.args.slice(1)] } : op));
    return withExtra(percpuGuestCase(id, q, `${RULE} (7.2)`), { ...q, ...(extra === undefined ? {} : { extra }) });
  });
}
