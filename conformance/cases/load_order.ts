/**
 * libbpf's load order (src/scheduler/setup.ts `loadObject`; libbpf 1.1.2 `bpf_object__load`): the
 * object's externs, then every map, then each program (libbpf's own checks, then the verifier). The
 * loader loads a refused case's program alone (the others' autoload off), and libbpf still resolves
 * every extern and makes every map first: a refused map refuses every program of its object, with the
 * map's errno and libbpf's "map '…': failed to create: …" line; an extern only another program calls
 * refuses this one before its own problem. A section libbpf does not know fails with -EINVAL ("missing
 * BPF prog type"). Host tier (6.18, which has no bpf_dynptr_from_file): `lo_*`; guest tier (7.2): `flo_*`.
 */
import { program as P, type BpfObject, type MapDecl, type Op, type Program } from '../../src/index.ts';
import type { ConfCase } from './lib.ts';
import type { FileCase } from './file.ts';
import { refusedFileCase } from './file_verifier.ts';

const RULE = 'libbpf\'s load order (setup.ts loadObject)';

const prog = (name: string, body: Op[], section = 'tc'): Program => ({ name, section, locals: [], body: [...body, P.ret(P.imm(0))] });
const object = (id: string, programs: Program[], maps: MapDecl[] = []): BpfObject => ({ name: id, maps, globals: [], subprogs: [], programs });
const kase = (id: string, note: string, object: BpfObject): ConfCase => ({ id, rule: RULE, note, object, calls: [], verifier: true });
/** A program the verifier refuses: bpf_dynptr_size of a dynptr never initialized. */
const unreadable = (name: string): Program => prog(name, [P.call('bpf_dynptr_size', [P.dynptr('d')], 'n')]);
const hash = (name: string, maxEntries: number, valueSize = 8): MapDecl => ({ name, type: 'hash', maxEntries, valueSize, taskWorkFields: 0 });

export const loadOrderCases: readonly ConfCase[] = [
  kase('lo_map_first', 'a refused map (a hash of 0 entries, -EINVAL) and a program the verifier refuses: the map fails the load first',
    object('lo_map_first', [unreadable('lo_map_first')], [hash('lo_map_first_a', 4), hash('lo_map_first_b', 0)])),
  kase('lo_map_e2big', 'a hash whose value is 4 MiB (-E2BIG) refuses the program beside it, which the verifier accepts',
    object('lo_map_e2big', [prog('lo_map_e2big', [])], [hash('lo_map_e2big_m', 4, 1 << 22)])),
  // libbpf's second try without BTF (bpf_object__create_map): special fields the kernel refuses become
  // plain bytes; a task storage map, which needs BTF, is then -EINVAL whatever the first refusal was.
  kase('lo_retry_two_tw', 'an ARRAY value with two bpf_task_work fields: refused with BTF (-E2BIG), made again without it; the program loads',
    object('lo_retry_two_tw', [prog('lo_retry_two_tw', [], 'syscall')], [{ name: 'lo_retry_two_tw_m', type: 'array', maxEntries: 2, valueSize: 8, taskWorkFields: 2 }])),
  kase('lo_retry_percpu_tw', 'a PERCPU_ARRAY value with a bpf_task_work: refused with BTF (-EOPNOTSUPP), made again without it; the program loads',
    object('lo_retry_percpu_tw', [prog('lo_retry_percpu_tw', [], 'syscall')], [{ name: 'lo_retry_percpu_tw_m', type: 'percpu_array', maxEntries: 2, valueSize: 8, taskWorkFields: 1 }])),
  kase('lo_retry_ts_tw', 'a TASK_STORAGE value with a bpf_task_work: -EOPNOTSUPP with BTF, then -EINVAL without it (a task storage map needs BTF)',
    object('lo_retry_ts_tw', [prog('lo_retry_ts_tw', [], 'syscall')], [{ name: 'lo_retry_ts_tw_m', type: 'task_storage', maxEntries: 0, valueSize: 8, taskWorkFields: 1, flags: 1 }])),
  kase('lo_retry_ts_big', 'a TASK_STORAGE value of 65,408 bytes: -E2BIG with BTF, then -EINVAL without it (the BTF test comes before the size)',
    object('lo_retry_ts_big', [prog('lo_retry_ts_big', [], 'syscall')], [{ name: 'lo_retry_ts_big_m', type: 'task_storage', maxEntries: 0, valueSize: 65408, taskWorkFields: 0, flags: 1 }])),
  kase('lo_unknown_section', 'a section libbpf does not know: the type is left unset and bpf_object_load_prog fails with -EINVAL',
    object('lo_unknown_section', [prog('lo_unknown_section', [], 'kernsim_nosuch')])),
  kase('lo_extern_first', 'an unknown section, and another program calling a kfunc 6.18 lacks: the extern fails the load before the section is looked at',
    object('lo_extern_first', [prog('lo_extern_first', [], 'kernsim_nosuch'), prog('lo_extern_first_user', [
      P.call('bpf_get_current_task_btf', [], 'task'),
      P.call('bpf_dynptr_from_file', [P.NULL, P.imm(0), P.dynptr('d')], 'v0'),
    ])])),
];

/** A guest case (lsm/file_open programs, 7.2): `refusedFileCase`'s object with these maps and programs beside the case's. */
function fileCase(id: string, note: string, body: (g: (name: string) => string) => Op[], more: { readonly maps?: MapDecl[]; readonly programs?: Program[]; readonly section?: string } = {}): FileCase {
  const c = refusedFileCase(id, 'lsm/file_open', RULE, note, body);
  const [main] = c.object.programs;
  if (main === undefined) throw new Error(`${id}: no program`);
  const programs = [{ ...main, section: more.section ?? main.section }, ...(more.programs ?? [])];
  return { ...c, object: { ...c.object, maps: more.maps ?? [], programs } };
}

/**
 * The guest's (7.2): the same order, without an extern case. The model knows no kfunc 7.2's BTF lacks:
 * the `_impl` kfuncs it says 7.0 removed are still in 7.2's BTF (the counterparts of KF_IMPLICIT_ARGS
 * kfuncs, verifier.c `find_kfunc_impl_proto`) with a prototype of their own, so libbpf fails them with
 * "func_proto [N] incompatible with kernel [M]" (-EINVAL, as the model), not "not found".
 */
export function loadOrderFileCases(): FileCase[] {
  return [
    fileCase('flo_map_first', 'a refused map (a hash of 0 entries, -EINVAL) and a program the verifier refuses: the map fails the load first',
      () => [P.call('bpf_dynptr_size', [P.dynptr('d')], 'n')], { maps: [hash('flo_map_first_a', 4), hash('flo_map_first_b', 0)] }),
    fileCase('flo_map_e2big', 'a hash whose value is 4 MiB (-E2BIG) refuses the program beside it, which the verifier accepts',
      () => [], { maps: [hash('flo_map_e2big_m', 4, 1 << 22)] }),
    fileCase('flo_retry_ts_tw', 'a TASK_STORAGE value with a bpf_task_work: -EOPNOTSUPP with BTF, then -EINVAL without it',
      () => [], { maps: [{ name: 'flo_retry_ts_tw_m', type: 'task_storage', maxEntries: 0, valueSize: 8, taskWorkFields: 1, flags: 1 }] }),
    fileCase('flo_unknown_section', 'a section libbpf does not know: -EINVAL, "missing BPF prog type"', () => [], { section: 'kernsim_nosuch' }),
  ];
}
