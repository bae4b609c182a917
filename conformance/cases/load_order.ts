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

const prog = (name: string, body: Op[], section = 'tc', locals: Program['locals'] = []): Program => ({ name, section, locals, body: [...body, P.ret(P.imm(0))] });
const object = (id: string, programs: Program[], maps: MapDecl[] = []): BpfObject => ({ name: id, maps, globals: [], subprogs: [], programs });
const kase = (id: string, note: string, object: BpfObject): ConfCase => ({ id, rule: RULE, note, object, calls: [], verifier: true });
/** A program the verifier refuses: bpf_dynptr_size of a dynptr never initialized. */
const unreadable = (name: string): Program => prog(name, [P.call('bpf_dynptr_size', [P.dynptr('d')], 'n')]);
const hash = (name: string, maxEntries: number, valueSize = 8): MapDecl => ({ name, type: 'hash', maxEntries, valueSize, taskWorkFields: 0 });

/**
 * An object with a HASH map `<id>_m` whose value is 8 bytes and `struct file __kptr *f` (untrusted:
 * `__kptr_untrusted`), and a syscall program `<id>` that inserts key 0 (from the global `<id>_val`),
 * looks it up into `v` and runs `body` (then returns 0), beside more maps.
 */
function btfObject(id: string, body: Op[], locals: Program['locals'] = [], more: MapDecl[] = [], untrusted = false): BpfObject {
  const m = `${id}_m`;
  const map: MapDecl = { name: m, type: 'hash', maxEntries: 4, valueSize: 8, taskWorkFields: 0, kptrs: [{ name: 'f', type: 'file', ...(untrusted ? { untrusted } : {}) }] };
  return {
    name: id, maps: [map, ...more], globals: [{ name: `${id}_val`, kind: 'bytes', size: 16 }], subprogs: [],
    programs: [prog(id, [
      P.call('bpf_map_update_elem', [P.map(m), P.imm(0), P.buf(`${id}_val`), P.imm(0)], 'u'),
      P.call('bpf_map_lookup_elem', [P.map(m), P.imm(0)], 'v'), P.goto('out', P.when('v', '==', P.NULL)),
      ...body, P.label('out'),
    ], 'syscall', locals)],
  };
}

export const loadOrderCases: readonly ConfCase[] = [
  kase('lo_map_first', 'a refused map (a hash of 0 entries, -EINVAL) and a program the verifier refuses: the map fails the load first',
    object('lo_map_first', [unreadable('lo_map_first')], [hash('lo_map_first_a', 4), hash('lo_map_first_b', 0)])),
  kase('lo_map_e2big', 'a hash whose value is 4 MiB (-E2BIG) refuses the program beside it, which the verifier accepts',
    object('lo_map_e2big', [prog('lo_map_e2big', [])], [hash('lo_map_e2big_m', 4, 1 << 22)])),
  // libbpf's second try without BTF (bpf_object__create_map): special fields the kernel refuses become
  // plain bytes; a task storage map, which needs BTF, is then -EINVAL whatever the first refusal was.
  kase('lo_two_tw', 'an ARRAY value with two bpf_task_work fields: the parse fails (-E2BIG) and map_check_btf ignores it, so the map is made with BTF and no fields; the program loads',
    object('lo_two_tw', [prog('lo_two_tw', [], 'syscall')], [{ name: 'lo_two_tw_m', type: 'array', maxEntries: 2, valueSize: 8, taskWorkFields: 2 }])),
  kase('lo_retry_percpu_tw', 'a PERCPU_ARRAY value with a bpf_task_work: refused with BTF (-EOPNOTSUPP), made again without it; the program loads',
    object('lo_retry_percpu_tw', [prog('lo_retry_percpu_tw', [], 'syscall')], [{ name: 'lo_retry_percpu_tw_m', type: 'percpu_array', maxEntries: 2, valueSize: 8, taskWorkFields: 1 }])),
  kase('lo_retry_xchg', 'a PERCPU_ARRAY value with a bpf_task_work and a task kptr, made again without BTF: bpf_kptr_xchg on it is refused (process_kptr_func)',
    object('lo_retry_xchg', [prog('lo_retry_xchg', [
      P.call('bpf_map_lookup_elem', [P.map('lo_retry_xchg_m'), P.imm(0)], 'v'), P.goto('out', P.when('v', '==', P.NULL)),
      P.call('bpf_kptr_xchg', [P.kptr('v', 't'), P.NULL], 'o'), P.label('out'),
    ], 'syscall')], [{ name: 'lo_retry_xchg_m', type: 'percpu_array', maxEntries: 2, valueSize: 8, taskWorkFields: 1, kptrs: [{ name: 't', type: 'task_struct' }] }])),
  kase('lo_two_tw_use', 'an ARRAY value with two bpf_task_work fields: made with BTF and no fields (the parse fails, map_check_btf ignores it); scheduling a task_work on it is refused',
    { ...object('lo_two_tw_use', [prog('lo_two_tw_use', [
      P.call('bpf_map_lookup_elem', [P.map('lo_two_tw_use_m'), P.imm(0)], 'v'), P.goto('out', P.when('v', '==', P.NULL)),
      P.call('bpf_get_current_task_btf', [], 't'),
      P.call('bpf_task_work_schedule_signal_impl', [P.r('t'), P.tw('v'), P.map('lo_two_tw_use_m'), P.cb('lo_two_tw_use_cb'), P.NULL], 'e'), P.label('out'),
    ], 'syscall')], [{ name: 'lo_two_tw_use_m', type: 'array', maxEntries: 1, valueSize: 8, taskWorkFields: 2 }]),
    subprogs: [{ name: 'lo_two_tw_use_cb', isStatic: true, body: [P.ret(P.imm(0))] }] }),
  kase('lo_retry_tw_use', 'a bpf_task_work in a BPF_F_RDONLY_PROG ARRAY: -EACCES with BTF, made again without it; scheduling a task_work on it is refused (the map has no BTF)',
    { ...object('lo_retry_tw_use', [prog('lo_retry_tw_use', [
      P.call('bpf_map_lookup_elem', [P.map('lo_retry_tw_use_m'), P.imm(0)], 'v'), P.goto('out', P.when('v', '==', P.NULL)),
      P.call('bpf_get_current_task_btf', [], 't'),
      P.call('bpf_task_work_schedule_signal_impl', [P.r('t'), P.tw('v'), P.map('lo_retry_tw_use_m'), P.cb('lo_retry_tw_use_cb'), P.NULL], 'e'), P.label('out'),
    ], 'syscall')], [{ name: 'lo_retry_tw_use_m', type: 'array', maxEntries: 1, valueSize: 8, taskWorkFields: 1, flags: 1 << 7 }]),
    subprogs: [{ name: 'lo_retry_tw_use_cb', isStatic: true, body: [P.ret(P.imm(0))] }] }),
  kase('lo_retry_ts_tw', 'a TASK_STORAGE value with a bpf_task_work: -EOPNOTSUPP with BTF, then -EINVAL without it (a task storage map needs BTF)',
    object('lo_retry_ts_tw', [prog('lo_retry_ts_tw', [], 'syscall')], [{ name: 'lo_retry_ts_tw_m', type: 'task_storage', maxEntries: 0, valueSize: 8, taskWorkFields: 1, flags: 1 }])),
  kase('lo_retry_ts_big', 'a TASK_STORAGE value of 65,408 bytes: -E2BIG with BTF, then -EINVAL without it (the BTF test comes before the size)',
    object('lo_retry_ts_big', [prog('lo_retry_ts_big', [], 'syscall')], [{ name: 'lo_retry_ts_big_m', type: 'task_storage', maxEntries: 0, valueSize: 65408, taskWorkFields: 0, flags: 1 }])),
  // An object whose BTF the kernel refuses (model/btf/object.ts): a referenced kptr of struct file has
  // no destructor (btf_parse_kptr, -ENOENT at BPF_BTF_LOAD), and libbpf loads the object without BTF.
  kase('lo_btf_plain', 'a referenced file kptr refuses the object\'s BTF: the map is made without fields, and the program stores 5 in the field\'s bytes and reads it back',
    btfObject('lo_btf_plain', [P.st(8, P.kptr('v', 'f'), 0, P.imm(5)), P.ld('x', 8, P.kptr('v', 'f')), P.ret(P.r('x'))])),
  kase('lo_btf_xchg', 'bpf_kptr_xchg on the file kptr field of a map made without BTF: refused (process_kptr_func)',
    btfObject('lo_btf_xchg', [P.call('bpf_kptr_xchg', [P.kptr('v', 'f'), P.NULL], 'o')])),
  kase('lo_btf_global', 'without func_info a global function is verified as a static one: its pointer argument is the caller\'s stack (7 read through it)',
    { ...btfObject('lo_btf_global', [P.st(8, P.addr('x'), 0, P.imm(7)), P.call('lo_btf_global_g', [P.addr('x')], 'a'), P.ret(P.r('a'))], [{ name: 'x', type: 'u64', init: 'zero' }]),
      subprogs: [{ name: 'lo_btf_global_g', isStatic: false, returns: 'int', params: [{ name: 'p', type: 'ptr' }], body: [P.ld('y', 8, P.r('p')), P.ret(P.r('y'))] }] }),
  kase('lo_btf_callback', 'without func_info a callback\'s address is refused: bpf_loop with a static callback (check_ld_imm, -EINVAL)',
    { ...btfObject('lo_btf_callback', [P.call('bpf_loop', [P.imm(3), P.cb('lo_btf_callback_cb'), P.NULL, P.imm(0)], 'n'), P.ret(P.r('n'))]),
      subprogs: [{ name: 'lo_btf_callback_cb', isStatic: true, params: [{ name: 'i', type: 'u32' }, { name: 'c', type: 'ptr' }], body: [P.ret(P.imm(0))] }] }),
  kase('lo_btf_ts', 'a task storage map beside a file kptr: made without BTF, which it needs (-EINVAL); the load fails at the map',
    btfObject('lo_btf_ts', [], [], [{ name: 'lo_btf_ts_s', type: 'task_storage', maxEntries: 0, valueSize: 8, taskWorkFields: 0, flags: 1 }])),
  kase('lo_btf_untrusted', 'an untrusted file kptr needs no destructor: the BTF loads, and bpf_loop\'s callback runs 3 times',
    { ...btfObject('lo_btf_untrusted', [P.call('bpf_loop', [P.imm(3), P.cb('lo_btf_untrusted_cb'), P.NULL, P.imm(0)], 'n'), P.ret(P.r('n'))], [], [], true),
      subprogs: [{ name: 'lo_btf_untrusted_cb', isStatic: true, params: [{ name: 'i', type: 'u32' }, { name: 'c', type: 'ptr' }], body: [P.ret(P.imm(0))] }] }),
  // Weak kfuncs (model/program/ksym.ts): bpf_task_work_schedule_signal is 7.0's name; 6.18 lacks it.
  kase('lo_weak_dead', 'a weak kfunc 6.18 lacks, called only where bpf_ksym_exists said yes: libbpf leaves it unresolved, the branch is dead, the program loads (returns 7)',
    object('lo_weak_dead', [{ name: 'lo_weak_dead', section: 'syscall', locals: [], body: [
      P.mov('e', P.ksym('bpf_task_work_schedule_signal')), P.goto('skip', P.when('e', '==', P.imm(0))),
      P.call('bpf_task_work_schedule_signal', [P.NULL, P.NULL, P.NULL, P.NULL], 'x'),
      P.label('skip'), P.ret(P.imm(7)),
    ] }])),
  kase('lo_weak_reached', 'a weak kfunc 6.18 lacks, called on every path: the verifier walks past the call (btf_id 0) and fixup_kfunc_call refuses it (-EINVAL)',
    { ...object('lo_weak_reached', [prog('lo_weak_reached', [P.call('bpf_task_work_schedule_signal', [P.NULL, P.NULL, P.NULL, P.NULL])], 'syscall')]), weak: ['bpf_task_work_schedule_signal'] }),
  kase('lo_weak_r0', 'the result of a call to a weak kfunc 6.18 lacks, returned: the skipped call wrote no R0, which nothing wrote before (R0 !read_ok)',
    { ...object('lo_weak_r0', [{ name: 'lo_weak_r0', section: 'syscall', locals: [], body: [
      P.call('bpf_task_work_schedule_signal', [P.NULL, P.NULL, P.NULL, P.NULL], 'e'), P.ret(P.r('e')),
    ] }]), weak: ['bpf_task_work_schedule_signal'] }),
  kase('lo_unknown_section', 'a section libbpf does not know: the type is left unset and bpf_object_load_prog fails with -EINVAL',
    object('lo_unknown_section', [prog('lo_unknown_section', [], 'kernsim_nosuch')])),
  kase('lo_extern_first', 'an unknown section, and another program calling a kfunc 6.18 lacks: the extern fails the load before the section is looked at',
    object('lo_extern_first', [prog('lo_extern_first', [], 'kernsim_nosuch'), prog('lo_extern_first_user', [
      P.call('bpf_get_current_task_btf', [], 'task'),
      P.call('bpf_dynptr_from_file', [P.NULL, P.imm(0), P.dynptr('d')], 'v0'),
    ])])),
];

/** A guest case (lsm/file_open programs, 7.2): `refusedFileCase`'s object with these maps and programs beside the case's. */
function fileCase(id: string, note: string, body: (g: (name: string) => string) => Op[], more: { readonly maps?: MapDecl[]; readonly programs?: Program[]; readonly section?: string; readonly subprogs?: BpfObject['subprogs']; readonly globals?: readonly { readonly name: string; readonly kind: 'u32' | 'int' }[] } = {}): FileCase {
  const c = refusedFileCase(id, 'lsm/file_open', RULE, note, body, more.globals === undefined ? {} : { globals: more.globals });
  const [main] = c.object.programs;
  if (main === undefined) throw new Error(`${id}: no program`);
  const programs = [{ ...main, section: more.section ?? main.section }, ...(more.programs ?? [])];
  return { ...c, object: { ...c.object, maps: more.maps ?? [], programs, subprogs: more.subprogs ?? [] } };
}

/** A HASH map `<id>_m` whose value is 8 bytes and a referenced `struct file __kptr *f`: the object's BTF is refused. */
const fileKptrMap = (id: string): MapDecl => ({ name: `${id}_m`, type: 'hash', maxEntries: 4, valueSize: 8, taskWorkFields: 0, kptrs: [{ name: 'f', type: 'file' }] });

/**
 * The guest's (7.2): the same order. The model knows no kfunc 7.2's BTF lacks, but the `_impl` kfuncs it
 * says 7.0 removed are still in 7.2's BTF (the counterparts of KF_IMPLICIT_ARGS kfuncs, verifier.c
 * `find_kfunc_impl_proto`) with a prototype of their own, so libbpf fails them with "func_proto [N]
 * incompatible with kernel [M]" (-EINVAL), weak or not (kfunc `keptInBtf`): `flo_impl_*`.
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
    fileCase('flo_btf_xchg', 'a referenced file kptr refuses the object\'s BTF; bpf_kptr_xchg on the field of the map made without BTF is refused',
      () => [P.call('bpf_map_lookup_elem', [P.map('flo_btf_xchg_m'), P.imm(0)], 'v'), P.goto('out', P.when('v', '==', P.NULL)), P.call('bpf_kptr_xchg', [P.kptr('v', 'f'), P.NULL], 'o')],
      { maps: [fileKptrMap('flo_btf_xchg')] }),
    fileCase('flo_btf_callback', 'a referenced file kptr refuses the object\'s BTF; without func_info, bpf_loop\'s callback address is refused',
      () => [P.call('bpf_loop', [P.imm(3), P.cb('flo_btf_callback_cb'), P.NULL, P.imm(0)], 'n')],
      { maps: [fileKptrMap('flo_btf_callback')], subprogs: [{ name: 'flo_btf_callback_cb', isStatic: true, params: [{ name: 'i', type: 'u32' }, { name: 'c', type: 'ptr' }], body: [P.ret(P.imm(0))] }] }),
    fileCase('flo_two_tw_use', 'an ARRAY value with two bpf_task_work fields: made with BTF and no fields (the parse fails, map_check_btf ignores it); scheduling a task_work on it is refused',
      () => [
        P.call('bpf_map_lookup_elem', [P.map('flo_two_tw_use_m'), P.imm(0)], 'v'), P.goto('out', P.when('v', '==', P.NULL)),
        P.call('bpf_get_current_task_btf', [], 't'),
        P.call('bpf_task_work_schedule_signal', [P.r('t'), P.tw('v'), P.map('flo_two_tw_use_m'), P.cb('flo_two_tw_use_cb')], 'e'),
      ],
      { maps: [{ name: 'flo_two_tw_use_m', type: 'array', maxEntries: 1, valueSize: 8, taskWorkFields: 2 }], subprogs: [{ name: 'flo_two_tw_use_cb', isStatic: true, body: [P.ret(P.imm(0))] }] }),
    fileCase('flo_retry_tw_use', 'a bpf_task_work in a BPF_F_RDONLY_PROG ARRAY: -EACCES with BTF, made again without it; scheduling a task_work on it is refused (the map has no BTF)',
      () => [
        P.call('bpf_map_lookup_elem', [P.map('flo_retry_tw_use_m'), P.imm(0)], 'v'), P.goto('out', P.when('v', '==', P.NULL)),
        P.call('bpf_get_current_task_btf', [], 't'),
        P.call('bpf_task_work_schedule_signal', [P.r('t'), P.tw('v'), P.map('flo_retry_tw_use_m'), P.cb('flo_retry_tw_use_cb')], 'e'),
      ],
      { maps: [{ name: 'flo_retry_tw_use_m', type: 'array', maxEntries: 1, valueSize: 8, taskWorkFields: 1, flags: 1 << 7 }], subprogs: [{ name: 'flo_retry_tw_use_cb', isStatic: true, body: [P.ret(P.imm(0))] }] }),
    // shared/semantics/task_work.md Q3: check_kfunc_args compares the map argument with the
    // bpf_task_work's map only when its record has a task_work or workqueue field. A map whose record
    // holds a kptr is let through; the call itself stays behind a global the verifier cannot know (0
    // at run time): the model stops at it (bpf_task_work_schedule's map_val from the other map's
    // record). A map with no record at all oopses the verifier: conformance/cases/oops.ts.
    fileCase('flo_tw_kptr_map', 'bpf_task_work_schedule_signal(task, &a->tw, &b, cb) where b\'s value holds a task kptr and no bpf_task_work: the verifier does not compare the maps, the program loads',
      (g) => [
        P.mov('go', P.glob(g('go'))), P.goto('out', P.when('go', '==', P.imm(0))),
        P.call('bpf_map_lookup_elem', [P.map('flo_tw_kptr_map_a'), P.imm(0)], 'v'), P.goto('out', P.when('v', '==', P.NULL)),
        P.call('bpf_get_current_task_btf', [], 't'),
        P.call('bpf_task_work_schedule_signal', [P.r('t'), P.tw('v'), P.map('flo_tw_kptr_map_b'), P.cb('flo_tw_kptr_map_cb')], 'e'),
      ],
      {
        maps: [{ name: 'flo_tw_kptr_map_a', type: 'array', maxEntries: 1, valueSize: 8, taskWorkFields: 1 }, { name: 'flo_tw_kptr_map_b', type: 'array', maxEntries: 1, valueSize: 8, taskWorkFields: 0, kptrs: [{ name: 'k', type: 'task_struct' }] }],
        subprogs: [{ name: 'flo_tw_kptr_map_cb', isStatic: true, body: [P.ret(P.imm(0))] }],
        globals: [{ name: 'go', kind: 'int' }],
      }),
    // 7.0's KF_IMPLICIT_ARGS kept the _impl functions in BTF with another prototype (kfunc `keptInBtf`).
    fileCase('flo_impl_call', 'a call of bpf_task_work_schedule_signal_impl (6.18\'s name): 7.2\'s BTF keeps the name with a struct bpf_prog_aux * argument, so libbpf refuses the extern\'s prototype (-EINVAL)',
      () => [
        P.call('bpf_map_lookup_elem', [P.map('flo_impl_call_m'), P.imm(0)], 'v'), P.goto('out', P.when('v', '==', P.NULL)), P.call('bpf_get_current_task_btf', [], 't'),
        P.call('bpf_task_work_schedule_signal_impl', [P.r('t'), P.tw('v'), P.map('flo_impl_call_m'), P.cb('flo_impl_call_cb'), P.NULL], 'e'),
      ],
      { maps: [{ name: 'flo_impl_call_m', type: 'array', maxEntries: 1, valueSize: 8, taskWorkFields: 1 }], subprogs: [{ name: 'flo_impl_call_cb', isStatic: true, body: [P.ret(P.imm(0))] }] }),
    fileCase('flo_impl_weak', 'bpf_ksym_exists(bpf_task_work_schedule_signal_impl): weak, but 7.2\'s BTF has the name with another prototype, and libbpf refuses it all the same (-EINVAL)',
      (g) => [P.mov('e', P.ksym('bpf_task_work_schedule_signal_impl')), P.store(g('pid'), P.r('e'))]),
    fileCase('flo_btf_ts', 'a task storage map beside a referenced file kptr: made without BTF, which it needs (-EINVAL)',
      () => [], { maps: [fileKptrMap('flo_btf_ts'), { name: 'flo_btf_ts_s', type: 'task_storage', maxEntries: 0, valueSize: 8, taskWorkFields: 0, flags: 1 }] }),
  ];
}
