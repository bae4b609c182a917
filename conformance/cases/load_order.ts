/**
 * libbpf's load order (src/scheduler/setup.ts `loadObject`; libbpf 1.1.2 `bpf_object__load`): the
 * object's externs, then every map, then each program (libbpf's own checks, then the verifier). The
 * loader loads a refused case's program alone (the others' autoload off), and libbpf still resolves
 * every extern and makes every map first: a refused map refuses every program of its object, with the
 * map's errno and libbpf's "map '…': failed to create: …" line; an extern only another program calls
 * refuses this one before its own problem. A section libbpf does not know fails with -EINVAL ("missing
 * BPF prog type"). Host tier (6.18, which has no bpf_dynptr_from_file).
 */
import { program as P, type BpfObject, type MapDecl, type Op, type Program } from '../../src/index.ts';
import type { ConfCase } from './lib.ts';

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
  kase('lo_unknown_section', 'a section libbpf does not know: the type is left unset and bpf_object_load_prog fails with -EINVAL',
    object('lo_unknown_section', [prog('lo_unknown_section', [], 'kernsim_nosuch')])),
  kase('lo_extern_first', 'an unknown section, and another program calling a kfunc 6.18 lacks: the extern fails the load before the section is looked at',
    object('lo_extern_first', [prog('lo_extern_first', [], 'kernsim_nosuch'), prog('lo_extern_first_user', [
      P.call('bpf_get_current_task_btf', [], 'task'),
      P.call('bpf_dynptr_from_file', [P.NULL, P.imm(0), P.dynptr('d')], 'v0'),
    ])])),
];
