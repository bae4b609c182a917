/**
 * Guest-tier verifier cases: LSM programs the model refuses on 7.2, one per rule of the 7.2.13
 * verifier (kernel/bpf/verifier.c of Debian linux-source-7.2 7.2.13-1) that the model follows. The
 * kernel must refuse each too, and its verifier log must hold the model's message and every line the
 * model prints after it, in order (conformance/guest-tier.ts). A refused program never runs: the body
 * still sits behind the case's pid filter, as every guest program does. Each case gets an object of
 * its own (a refused program in a batch makes the driver load the batch again program by program).
 */
import { program as P, type BpfObject, type Local, type Op } from '../../src/index.ts';
import { pidFilterOps, type FileCase } from './file.ts';

type Section = 'lsm/file_open' | 'lsm.s/file_open' | 'lsm/task_free' | 'tp_btf/task_newtask';

/**
 * A case from a raw program body. `body` gets the case's global names (`g('n')` → `<id>_n`) and runs
 * after the pid filter; it ends with its own return. `globals` are named by their suffix.
 */
export function refusedFileCase(
  id: string, section: Section, rule: string, note: string,
  body: (g: (name: string) => string) => Op[],
  opts: { readonly globals?: readonly { readonly name: string; readonly kind: 'u32' | 'int' | 'bytes'; readonly size?: number }[]; readonly locals?: readonly Local[] } = {},
): FileCase {
  const g = (name: string): string => `${id}_${name}`;
  const globals: BpfObject['globals'] = [
    { name: g('pid'), kind: 'int' },
    ...(opts.globals ?? []).map((x) => (x.kind === 'bytes' ? { name: g(x.name), kind: 'bytes' as const, size: x.size ?? 64 } : { name: g(x.name), kind: x.kind })),
  ];
  const object: BpfObject = {
    name: id, maps: [], globals, subprogs: [],
    programs: [{ name: id, section, ...(opts.locals === undefined ? {} : { locals: [...opts.locals] }), body: [...pidFilterOps(g('pid')), ...body(g), P.label('out'), P.ret(P.imm(0))] }],
  };
  return { id, rule, note, object, calls: [], state: 'warm', verifier: true };
}

const { call, r, imm, NULL, dynptr, buf, mov, goto, when, label, ret, ctxFile } = P;

/** `bpf_dynptr_slice(&d, 0, buf, n)` over the hook's file, `n` read from a global of `kind`. */
const sliceBy = (id: string, kind: 'u32' | 'int', note: string): FileCase => refusedFileCase(id, 'lsm.s/file_open',
  `verifier (7.2): check_kfunc_args KF_ARG_PTR_TO_MEM_SIZE → check_kfunc_mem_size_reg → check_mem_size_reg`, note,
  (g) => [
    call('bpf_dynptr_from_file', [ctxFile, imm(0), dynptr('d')]),
    mov('n', P.glob(g('n'))),
    call('bpf_dynptr_slice', [dynptr('d'), imm(0), buf(g('buf')), r('n')], 's'),
    call('bpf_dynptr_file_discard', [dynptr('d')]),
    ret(imm(0)),
  ],
  { globals: [{ name: 'buf', kind: 'bytes', size: 64 }, { name: 'n', kind }] });

export function fileVerifierCases(): FileCase[] {
  return [
    refusedFileCase('fv_put_hook_file', 'lsm/file_open',
      'verifier (7.2): check_kfunc_args, KF_RELEASE of an unreferenced pointer',
      "bpf_put_file(file) of the hook's own argument (borrowed, not acquired) → `release kfunc bpf_put_file expects referenced PTR_TO_BTF_ID passed to R1` " +
        '(7.2.13 names the register; 6.x: `release kernel function … expects refcounted PTR_TO_BTF_ID`)',
      () => [call('bpf_put_file', [ctxFile]), ret(imm(0))]),
    refusedFileCase('fv_exe_file_stack', 'lsm.s/file_open',
      "verifier (7.2): get_kfunc_ptr_arg_type's catch-all KF_ARG_PTR_TO_MEM, checked in check_kfunc_args",
      'bpf_get_task_exe_file(&x), x a local `__u64`: a stack pointer for a `struct task_struct *` argument is memory, and the struct is not made of scalars → ' +
        '`R1 pointer type STRUCT task_struct must point to scalar, or struct with scalar`',
      () => [
        call('bpf_get_task_exe_file', [P.addr('x')], 'f'), goto('o', when('f', '==', NULL)), call('bpf_put_file', [r('f')]), label('o'), ret(imm(0)),
      ],
      { locals: [P.local('x', 'u64')] }),
    sliceBy('fv_slice_size_u32', 'u32',
      'bpf_dynptr_slice(&d, 0, buf, n) on a FILE dynptr, n read from a `__u32` global (zero-extended: [0, 2^32-1]) → ' +
        "`R4 unbounded memory access, use 'var &= const' or 'if (var < const)'`, then `R3 and R4 memory, len pair leads to invalid memory access` " +
        '(7.2.13 names both registers, reg_arg_name; 6.x: `arg#2 arg#3`)'),
    sliceBy('fv_slice_size_int', 'int',
      'bpf_dynptr_slice(&d, 0, buf, n) on a FILE dynptr, n read from an `int` global (sign-extended: smin < 0) → ' +
        "`R4 min value is negative, either use unsigned or 'var &= const'`, then `R3 and R4 memory, len pair leads to invalid memory access`"),
    refusedFileCase('fv_helper_writes_dynptr', 'lsm.s/file_open',
      'verifier (7.2): check_helper_call → check_stack_range_initialized, raw mode (ARG_PTR_TO_UNINIT_MEM)',
      'bpf_probe_read_kernel(&d, 8, NULL) over a live FILE dynptr → `potential write to dynptr at off=-16 disallowed`. ' +
        'The offset is compared exactly: `d` is the program\'s only stack object, so clang and the model both put it at fp-16',
      () => [
        call('bpf_dynptr_from_file', [ctxFile, imm(0), dynptr('d')]),
        call('bpf_probe_read_kernel', [dynptr('d'), imm(8), NULL]),
        call('bpf_dynptr_file_discard', [dynptr('d')]),
        ret(imm(0)),
      ]),
    ...taskRefCases(),
  ];
}

/** `bpf_task_from_pid(1)` into `t`, then `body` when it is not NULL (it must release `t`). */
const withTask = (body: Op[]): Op[] => [call('bpf_task_from_pid', [imm(1)], 't'), goto('o', when('t', '==', NULL)), ...body, label('o'), ret(imm(0))];

/**
 * The task reference kfuncs (kernel/bpf/helpers.c, generic_kfunc_set: LSM programs are in its tracing
 * hook) refused by the 7.2.13 verifier. check_kfunc_args looks at a release kfunc's R1 right after the
 * NULL check, before the argument's type (`releaseArgFirst`); a pointer released before is an unknown
 * scalar (release_reference), which a kfunc that is no release kfunc sends to the catch-all memory
 * argument.
 */
function taskRefCases(): FileCase[] {
  const rule = 'verifier (7.2): check_kfunc_args, task references';
  return [
    refusedFileCase('fv_task_leak', 'lsm/file_open', rule, 'bpf_task_from_pid never released → `Unreleased reference id=N alloc_insn=M`',
      () => withTask([])),
    refusedFileCase('fv_task_nocheck', 'lsm/file_open', rule, 'bpf_task_release of what bpf_task_from_pid returned, unchecked → `Possibly NULL pointer passed to trusted R1`',
      () => [call('bpf_task_from_pid', [imm(1)], 't'), call('bpf_task_release', [r('t')]), ret(imm(0))]),
    refusedFileCase('fv_task_release_current', 'lsm/file_open', rule,
      'bpf_task_release(bpf_get_current_task_btf()) → `release kfunc bpf_task_release expects referenced PTR_TO_BTF_ID passed to R1`',
      () => [call('bpf_get_current_task_btf', [], 'c'), call('bpf_task_release', [r('c')]), ret(imm(0))]),
    refusedFileCase('fv_task_release_twice', 'lsm/file_open', rule,
      'bpf_task_release twice: the second sees a scalar, and 7.2 checks the release argument first → `release kfunc bpf_task_release expects referenced PTR_TO_BTF_ID passed to R1` ' +
        '(6.18 classifies the argument first: `arg#0 pointer type STRUCT task_struct must point to scalar, or struct with scalar`, host case kv_task_release_twice)',
      () => withTask([call('bpf_task_release', [r('t')]), call('bpf_task_release', [r('t')])])),
    refusedFileCase('fv_task_exe_after_release', 'lsm/file_open', rule,
      'bpf_get_task_exe_file of a task already released (a scalar; no release kfunc) → `R1 pointer type STRUCT task_struct must point to scalar, or struct with scalar`',
      () => withTask([
        call('bpf_task_release', [r('t')]),
        call('bpf_get_task_exe_file', [r('t')], 'f'), goto('o', when('f', '==', NULL)), call('bpf_put_file', [r('f')]),
      ])),
    // Typed hook arguments (src/model/program/hook_args.ts): BPF_PROG's task is ctx[0].
    refusedFileCase('fv_task_newtask_leak', 'tp_btf/task_newtask', rule,
      'tp_btf/task_newtask: bpf_task_acquire(task), the hook\'s trusted task argument, never released → `Unreleased reference id=N alloc_insn=M`',
      () => [P.ld('task', 8, P.ctxPtr, 0), call('bpf_task_acquire', [r('task')], 'a'), ret(imm(0))]),
    refusedFileCase('fv_task_newtask_release_arg', 'tp_btf/task_newtask', rule,
      'tp_btf/task_newtask: bpf_task_release(task) of the hook\'s argument (trusted, not acquired) → `release kfunc bpf_task_release expects referenced PTR_TO_BTF_ID passed to R1`',
      () => [P.ld('task', 8, P.ctxPtr, 0), call('bpf_task_release', [r('task')]), ret(imm(0))]),
    // Task members walked by name (src/model/btf/walk.ts: check_ptr_to_btf_access).
    refusedFileCase('fv_walk_parent_plain', 'tp_btf/task_newtask', rule,
      'bpf_task_acquire(task->parent): parent is in no BTF_TYPE_SAFE list (and a GCC build\'s BTF has no __rcu tag), so the walk gives a plain ptr_, which a KF_RCU kfunc refuses → `R1 must be a rcu pointer`',
      () => [P.ld('task', 8, P.ctxPtr, 0), P.field('p', r('task'), 'parent'), call('bpf_task_acquire', [r('p')], 'a'), goto('o', when('a', '==', NULL)), call('bpf_task_release', [r('a')]), label('o'), ret(imm(0))]),
    refusedFileCase('fv_walk_rcu_untrusted_kfunc', 'lsm/file_open', rule,
      'bpf_get_task_exe_file(current->real_parent): an RCU pointer (BTF_TYPE_SAFE_RCU in a non-sleepable program) is no trusted register, and the kfunc is not KF_RCU → `R1 must be referenced or trusted`',
      () => [call('bpf_get_current_task_btf', [], 'c'), P.field('rp', r('c'), 'real_parent'), call('bpf_get_task_exe_file', [r('rp')], 'f'), goto('o', when('f', '==', NULL)), call('bpf_put_file', [r('f')]), label('o'), ret(imm(0))]),
    refusedFileCase('fv_copy_user_nonsleepable', 'lsm/file_open', rule,
      'bpf_copy_from_user (might_sleep) in a non-sleepable hook: 7.2 names the context → `sleepable helper bpf_copy_from_user#148 in non-sleepable prog` (6.18: `helper call might sleep in a non-sleepable prog`)',
      (g) => [call('bpf_copy_from_user', [P.buf(g('buf')), imm(8), imm(0x1000)], 'n'), ret(imm(0))], { globals: [{ name: 'buf', kind: 'bytes', size: 16 }] }),
    refusedFileCase('fv_walk_sleepable', 'lsm.s/file_open', rule,
      'bpf_task_acquire(current->real_parent) in a sleepable program: outside an RCU read section the walk gives an untrusted pointer → `R1 must be a rcu pointer`',
      () => [call('bpf_get_current_task_btf', [], 'c'), P.field('rp', r('c'), 'real_parent'), call('bpf_task_acquire', [r('rp')], 'a'), goto('o', when('a', '==', NULL)), call('bpf_task_release', [r('a')]), label('o'), ret(imm(0))]),
    refusedFileCase('fv_walk_release_rcu', 'tp_btf/task_newtask', rule,
      'bpf_task_release(task->real_parent): an RCU pointer holds no reference → `release kfunc bpf_task_release expects referenced PTR_TO_BTF_ID passed to R1`',
      () => [P.ld('task', 8, P.ctxPtr, 0), P.field('rp', r('task'), 'real_parent'), call('bpf_task_release', [r('rp')]), ret(imm(0))]),
    refusedFileCase('fv_walk_from_untrusted', 'lsm/task_free', rule,
      'bpf_task_acquire(task->group_leader) from lsm/task_free\'s untrusted task: what is walked from an untrusted pointer is untrusted → `R1 must be a rcu pointer`',
      () => [P.ld('task', 8, P.ctxPtr, 0), P.field('gl', r('task'), 'group_leader'), call('bpf_task_acquire', [r('gl')], 'a'), goto('o', when('a', '==', NULL)), call('bpf_task_release', [r('a')]), label('o'), ret(imm(0))]),
    refusedFileCase('fv_inode_to_task', 'lsm.s/file_open', rule,
      'bpf_task_acquire(file->f_inode) in a sleepable program: f_inode stays trusted outside an RCU read section (BTF_TYPE_SAFE_TRUSTED(struct file)), so the trust check passes and the structure does not → `kernel function bpf_task_acquire R1 expected pointer to STRUCT task_struct but R1 has a pointer to STRUCT inode`',
      () => [mov('f', ctxFile), P.field('i', r('f'), 'f_inode'), call('bpf_task_acquire', [r('i')], 'a'), goto('o', when('a', '==', NULL)), call('bpf_task_release', [r('a')]), label('o'), ret(imm(0))]),
    // RCU read sections (src/model/rcu): 7.2 counts them (6.18 refuses a nested lock: host v_rcu_nested).
    refusedFileCase('fv_rcu_nested_exit', 'lsm.s/file_open', rule,
      'two bpf_rcu_read_lock, one unlock: the sections nest (active_rcu_locks is a count on 7.2), one is still open at the exit → `BPF_EXIT instruction in main prog cannot be used inside bpf_rcu_read_lock-ed region`',
      () => [call('bpf_rcu_read_lock', []), call('bpf_rcu_read_lock', []), call('bpf_rcu_read_unlock', []), ret(imm(0))]),
    refusedFileCase('fv_rcu_outer_unlock', 'lsm.s/file_open', rule,
      'current->real_parent walked inside two nested sections stays an RCU pointer through the inner unlock; the outer unlock makes it untrusted → `R1 must be a rcu pointer`',
      () => [
        call('bpf_rcu_read_lock', []), call('bpf_rcu_read_lock', []), call('bpf_get_current_task_btf', [], 'c'), P.field('rp', r('c'), 'real_parent'),
        call('bpf_rcu_read_unlock', []), call('bpf_task_acquire', [r('rp')], 'a'), goto('o', when('a', '==', NULL)), call('bpf_task_release', [r('a')]), label('o'),
        call('bpf_rcu_read_unlock', []), call('bpf_task_acquire', [r('rp')], 'b'), goto('p', when('b', '==', NULL)), call('bpf_task_release', [r('b')]), label('p'), ret(imm(0)),
      ]),
    refusedFileCase('fv_task_free_rcu', 'lsm/task_free', rule,
      "lsm/task_free: its task is untrusted (kernel/bpf/bpf_lsm.c untrusted_lsm_hooks), and bpf_task_acquire (KF_RCU) takes only a trusted or RCU pointer → `R1 must be a rcu pointer`",
      () => [P.ld('task', 8, P.ctxPtr, 0), call('bpf_task_acquire', [r('task')], 'a'), goto('o', when('a', '==', NULL)), call('bpf_task_release', [r('a')]), label('o'), ret(imm(0))]),
  ];
}
