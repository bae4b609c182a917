/**
 * The verifier-only selftest files as program values: file_reader_fail.c, task_work_fail.c,
 * verifier_vfs_accept.c, verifier_vfs_reject.c and verifier_async_cb_context.c (RUN_TESTS: each
 * program loaded alone). Programs that walk kernel structures the model does not know, take typed
 * hook arguments it does not know, or use timers or workqueues are not expressible; each says so.
 */
import type { BpfObject, KernelVersion, Local, Op, Program, Subprog } from '../src/index.ts';
import { addr, buf, call, cb, ctxFile, ctxPtr, dynptr, dynptrRead, EACCES, field, goto, imm, label, ld, local, map, mov, NULL, r, ret, store, tw, when } from './common.ts';
import { judgedBy72, type Selftest, type SelftestFile } from './lib.ts';

interface Def {
  readonly fn: string;
  readonly sec: string;
  readonly msgs?: readonly string[];
  readonly success?: boolean;
  readonly locals?: readonly Local[];
  readonly body?: readonly Op[];
  readonly notExpressible?: string;
  readonly note?: string;
  /** The 7.2.13 release's differing `__msg` lines (RELEASE_7_2): judged by them, at 7.2; `msgs` become `newest`. */
  readonly r72?: readonly string[];
}

function maker(file: SelftestFile, source: string, version: KernelVersion, base: Omit<BpfObject, 'programs' | 'name'> & { subprogs: readonly Subprog[] }) {
  return (d: Def): Selftest => {
    const common = { file, fn: d.fn, source, version, expect: d.success === true ? { kind: 'success' as const, msgs: d.msgs ?? [] } : { kind: 'failure' as const, msgs: d.msgs ?? [] }, ...(d.note === undefined ? {} : { note: d.note }) };
    if (d.body === undefined) return { ...common, notExpressible: d.notExpressible ?? 'not written' };
    const prog: Program = { name: d.fn, section: d.sec, body: d.body, ...(d.locals === undefined ? {} : { locals: d.locals }) };
    const t: Selftest = { ...common, object: { name: file.replace('.c', ''), ...base, programs: [prog] } };
    return d.r72 === undefined ? t : judgedBy72(t, d.r72, 'a bpf-next message after 7.2.13');
  };
}

const exeFile: Op[] = [call('bpf_get_current_task_btf', [], 'task'), call('bpf_get_task_exe_file', [r('task')], 'file')];

// ---------------------------------------------------------------------------------------------
const FR = maker('file_reader_fail.c', 'stored copy id 54660046549 (R-style messages; openSUSE/kernel@3d781fff has the same)', '7.0', {
  maps: [], globals: [{ name: 'err', kind: 'int' }, { name: 'user_ptr', kind: 'u64' }], subprogs: [],
});

export const FILE_READER_FAIL: Selftest[] = [
  FR({ fn: 'on_nanosleep_unreleased_ref', sec: 'lsm/file_open', msgs: ['Unreleased reference id='], locals: [local('dynptr', 'dynptr')],
    body: [...exeFile, goto('ret0', when('file', '==', NULL)), call('bpf_dynptr_from_file', [r('file'), imm(0), dynptr('dynptr')], 'e'), store('err', r('e')),
      goto('ret1', when('e', '!=', imm(0))), label('ret0'), ret(imm(0)), label('ret1'), ret(imm(1))] }),
  FR({ fn: 'xdp_wrong_dynptr_type', sec: 'xdp', msgs: ['Expected a dynptr of type file as R1'], locals: [local('dynptr', 'dynptr')],
    body: [call('bpf_dynptr_from_xdp', [P_CTX(), imm(0), dynptr('dynptr')]), call('bpf_dynptr_file_discard', [dynptr('dynptr')]), ret(imm(0))] }),
  FR({ fn: 'xdp_no_dynptr_type', sec: 'xdp', msgs: ['Expected an initialized dynptr as R1'], locals: [local('dynptr', 'dynptr')],
    body: [call('bpf_dynptr_file_discard', [dynptr('dynptr')]), ret(imm(0))] }),
  FR({ fn: 'use_file_dynptr_after_put_file', sec: 'lsm/file_open', msgs: ['Leaking reference id={{[0-9]+}} alloc_insn={{[0-9]+}}. Release it first.'],
    locals: [local('dynptr', 'dynptr'), local('buf', { bytes: 64 })],
    body: [...exeFile, goto('ret0', when('file', '==', NULL)), call('bpf_dynptr_from_file', [r('file'), imm(0), dynptr('dynptr')], 'e'), goto('out', when('e', '!=', imm(0))),
      call('bpf_put_file', [r('file')]), dynptrRead(buf('buf'), 64, dynptr('dynptr')), ret(imm(0)),
      label('out'), call('bpf_dynptr_file_discard', [dynptr('dynptr')]), call('bpf_put_file', [r('file')]), label('ret0'), ret(imm(0))] }),
  FR({ fn: 'use_file_dynptr_slice_after_put_file', sec: 'lsm/file_open', msgs: ['Leaking reference id={{[0-9]+}} alloc_insn={{[0-9]+}}. Release it first.'],
    locals: [local('dynptr', 'dynptr'), local('buf', { bytes: 1 })],
    body: [...exeFile, goto('ret0', when('file', '==', NULL)), call('bpf_dynptr_from_file', [r('file'), imm(0), dynptr('dynptr')], 'e'), goto('out', when('e', '!=', imm(0))),
      call('bpf_dynptr_slice', [dynptr('dynptr'), imm(0), buf('buf'), imm(1)], 'data'), goto('out', when('data', '==', NULL)),
      call('bpf_put_file', [r('file')]), ld('c', 1, r('data'), 0, ), ret(r('c')),
      label('out'), call('bpf_dynptr_file_discard', [dynptr('dynptr')]), call('bpf_put_file', [r('file')]), label('ret0'), ret(imm(0))] }),
];

function P_CTX(): { ctx: 'ctx' } {
  return { ctx: 'ctx' };
}

// ---------------------------------------------------------------------------------------------
/** `struct elem { char data[128]; struct bpf_task_work tw; }` maps and `process_work`, as task_work*.c declare them. */
const ELEM = 128;
const processWork: Subprog = {
  name: 'process_work', isStatic: true, params: [{ name: 'map', type: 'map' }, { name: 'key', type: 'ptr' }, { name: 'value', type: 'ptr' }],
  body: [call('bpf_copy_from_user_str', [r('value'), imm(ELEM), mov_global('user_ptr'), imm(0)]), ret(imm(0))],
};
function mov_global(name: string): { global: string } {
  return { global: name };
}

const TWF = maker('task_work_fail.c', 'torvalds/linux@637315cb400eed1dbe721954fea437a61a2d65b2', '7.0', {
  maps: [
    { name: 'hmap', type: 'hash', maxEntries: 1, valueSize: ELEM, taskWorkFields: 1 },
    { name: 'arrmap', type: 'array', maxEntries: 1, valueSize: ELEM, taskWorkFields: 1 },
  ],
  globals: [{ name: 'user_ptr', kind: 'u64' }, { name: 'key', kind: 'int' }],
  subprogs: [processWork],
});
const lookupArr: Op[] = [call('bpf_get_current_task_btf', [], 'task'), call('bpf_map_lookup_elem', [map('arrmap'), addr('key')], 'work'), goto('ret0', when('work', '==', NULL))];
const resume = (twArg: Parameters<typeof call>[1][number], mapArg: Parameters<typeof call>[1][number]): Op => call('bpf_task_work_schedule_resume', [r('task'), twArg, mapArg, cb('process_work')]);

export const TASK_WORK_FAIL: Selftest[] = [
  TWF({ fn: 'mismatch_map', sec: 'perf_event', msgs: ["doesn't match map pointer in R3"], body: [...lookupArr, resume(tw('work'), map('hmap')), label('ret0'), ret(imm(0))] }),
  TWF({ fn: 'no_map_task_work', sec: 'perf_event', msgs: ["R2 doesn't point to a map value"], locals: [local('tw', 'task_work')],
    body: [call('bpf_get_current_task_btf', [], 'task'), resume(addr('tw'), map('hmap')), ret(imm(0))] }),
  TWF({ fn: 'task_work_null', sec: 'perf_event', msgs: ['Possibly NULL pointer passed to trusted R2'],
    body: [call('bpf_get_current_task_btf', [], 'task'), resume(NULL, map('hmap')), ret(imm(0))] }),
  TWF({ fn: 'map_null', sec: 'perf_event', msgs: ['Possibly NULL pointer passed to trusted R3'], body: [...lookupArr, resume(tw('work'), NULL), label('ret0'), ret(imm(0))] }),
];

// ---------------------------------------------------------------------------------------------
const BTF = 'walks a kernel structure through a BTF pointer (the model reads a task\'s pid, tgid, real_parent, parent and group_leader, a file\'s f_inode and an inode\'s i_ino and i_size by name, no other member of task, file, dentry, inode, path or fs_struct)';
const AFTER_72 = 'judged by a bpf-next rule the 7.2.13 release has not (pointers walked from a referenced file become invalid when it is released; the release\'s copy has neither program, and 7.2.13 accepts a load through the inode after bpf_put_file: guest case file_inode), and the model follows 7.2.13';
const HOOK_ARG = 'takes a typed hook argument the model does not know (src/model/program/hook_args.ts knows task arguments and lsm/file_open\'s file)';

const VA = maker('verifier_vfs_accept.c', 'kernel-patches/bpf@2e810dce9e6308a9930db8ddac0804c6b88fb80d', '7.0', { maps: [], globals: [{ name: 'buf', kind: 'bytes', size: 64 }], subprogs: [] });
const getPut: Op[] = [...exeFile, goto('ret0', when('file', '==', NULL)), call('bpf_put_file', [r('file')]), label('ret0'), ret(imm(0))];

export const VFS_ACCEPT: Selftest[] = [
  VA({ fn: 'get_task_exe_file_and_put_kfunc_from_current_sleepable', sec: 'lsm.s/file_open', success: true, body: getPut }),
  VA({ fn: 'get_task_exe_file_and_put_kfunc_from_current_non_sleepable', sec: 'lsm/file_open', success: true, body: getPut }),
  VA({
    fn: 'get_task_exe_file_and_put_kfunc_from_argument', sec: 'lsm.s/task_alloc', success: true,
    note: 'the hook\'s task argument (ctx[0], trusted: src/model/program/hook_args.ts)',
    body: [ld('task', 8, ctxPtr, 0), call('bpf_get_task_exe_file', [r('task')], 'file'), goto('ret0', when('file', '==', NULL)), call('bpf_put_file', [r('file')]), label('ret0'), ret(imm(0))],
  }),
  VA({ fn: 'path_d_path_from_path_argument', sec: 'lsm.s/inode_getattr', success: true, notExpressible: HOOK_ARG }),
  VA({ fn: 'path_d_path_from_file_argument', sec: 'lsm.s/file_open', success: true, notExpressible: `${BTF} (&file->f_path)` }),
  VA({ fn: 'inode_rename', sec: 'lsm.s/inode_rename', success: true, notExpressible: `${HOOK_ARG}; ${BTF} (new_dentry->d_inode->i_ino)` }),
  VA({ fn: 'f_inode_walk_used_before_put_file', sec: 'lsm.s/file_open', success: true, notExpressible: AFTER_72 }),
];

const VR = maker('verifier_vfs_reject.c', 'kernel-patches/bpf@2e810dce9e6308a9930db8ddac0804c6b88fb80d', '7.0', { maps: [], globals: [{ name: 'buf', kind: 'bytes', size: 4096 }], subprogs: [] });

export const VFS_REJECT: Selftest[] = [
  VR({ fn: 'get_task_exe_file_kfunc_null', sec: 'lsm.s/file_open', msgs: ['Possibly NULL pointer passed to trusted R1'],
    body: [call('bpf_get_task_exe_file', [NULL], 'file'), goto('ret0', when('file', '==', NULL)), call('bpf_put_file', [r('file')]), label('ret0'), ret(imm(0))] }),
  VR({ fn: 'get_task_exe_file_kfunc_fp', sec: 'lsm.s/inode_getxattr', msgs: ['R1 type=fp expected=ptr_, trusted_ptr_, rcu_ptr_'], r72: ['R1 pointer type STRUCT task_struct must point to scalar, or struct with scalar'], locals: [local('x', 'u64')],
    body: [call('bpf_get_task_exe_file', [addr('x')], 'file'), goto('ret0', when('file', '==', NULL)), call('bpf_put_file', [r('file')]), label('ret0'), ret(imm(0))] }),
  VR({ fn: 'get_task_exe_file_kfunc_untrusted', sec: 'lsm.s/file_open', msgs: ['R1 must be referenced or trusted'],
    note: '`bpf_get_current_task_btf()->parent` in a sleepable program: walked outside an RCU read section, untrusted (src/model/btf/walk.ts)',
    body: [call('bpf_get_current_task_btf', [], 'cur'), field('parent', r('cur'), 'parent'), call('bpf_get_task_exe_file', [r('parent')], 'acquired'),
      goto('ret0', when('acquired', '==', NULL)), call('bpf_put_file', [r('acquired')]), label('ret0'), ret(imm(0))] }),
  VR({ fn: 'get_task_exe_file_kfunc_unreleased', sec: 'lsm.s/file_open', msgs: ['Unreleased reference'],
    body: [...exeFile, goto('ret0', when('file', '==', NULL)), label('ret0'), ret(imm(0))] }),
  VR({ fn: 'put_file_kfunc_unacquired', sec: 'lsm.s/file_open', msgs: ['release function bpf_put_file expects referenced PTR_TO_BTF_ID passed to R1'], r72: ['release kfunc bpf_put_file expects referenced PTR_TO_BTF_ID passed to R1'],
    body: [call('bpf_put_file', [ctxFile]), ret(imm(0))] }),
  VR({ fn: 'path_d_path_kfunc_null', sec: 'lsm.s/file_open', msgs: ['Possibly NULL pointer passed to trusted R1'],
    body: [call('bpf_path_d_path', [NULL, buf('buf'), imm(4096)]), ret(imm(0))] }),
  VR({ fn: 'path_d_path_kfunc_untrusted_from_argument', sec: 'lsm.s/task_alloc', msgs: ['dereference of modified untrusted_ptr_'], notExpressible: `${HOOK_ARG}; ${BTF} (task->fs->root)` }),
  VR({ fn: 'path_d_path_kfunc_untrusted_from_current', sec: 'lsm.s/file_open', msgs: ['dereference of modified untrusted_ptr_'], notExpressible: `${BTF} (current->fs->pwd)` }),
  VR({ fn: 'path_d_path_kfunc_type_mismatch', sec: 'lsm.s/file_open', msgs: ['bpf_path_d_path R1 expected pointer to STRUCT path but R1 has a pointer to STRUCT file'], notExpressible: `${BTF} (&file->f_task_work)` }),
  VR({ fn: 'path_d_path_kfunc_invalid_buf_sz', sec: 'lsm.s/file_open', msgs: ['invalid access to map value, value_size=4096 off=0 size=8192'], notExpressible: `${BTF} (&file->f_path)` }),
  VR({ fn: 'path_d_path_kfunc_non_lsm', sec: 'fentry/vfs_open', msgs: ['calling kernel function bpf_path_d_path is not allowed'],
    note: 'BPF_PROG(…, struct path *path, struct file *f): `path` is loaded from the context (ctx[0]); the model does not type it, and the call is refused before its arguments are checked',
    body: [ld('path', 8, P_CTX(), 0), call('bpf_path_d_path', [r('path'), buf('buf'), imm(4096)]), ret(imm(0))] }),
  VR({ fn: 'inode_rename', sec: 'lsm.s/inode_rename', msgs: ["invalid mem access 'trusted_ptr_or_null_'"], notExpressible: `${HOOK_ARG}; ${BTF} (new_dentry->d_inode)` }),
  VR({ fn: 'f_inode_walk_used_after_put_file', sec: 'lsm.s/file_open', msgs: ["invalid mem access 'scalar'"], notExpressible: AFTER_72 }),
];

// ---------------------------------------------------------------------------------------------
const TIMER = 'uses bpf_timer (bpf_timer_init, bpf_timer_set_callback): timers are not modelled';
const WQ = 'uses bpf_wq (bpf_wq_init, bpf_wq_set_callback): workqueues are not modelled';

const taskWorkCb: Subprog = {
  name: 'task_work_cb', isStatic: true, params: [{ name: 'map', type: 'map' }, { name: 'key', type: 'ptr' }, { name: 'value', type: 'ptr' }], locals: [local('data', 'u32')],
  body: [call('bpf_copy_from_user', [addr('data'), imm(4), NULL]), ret(imm(0))],
};
const AC = maker('verifier_async_cb_context.c', 'kernel-patches/bpf@38faf3f7c6b0abf0c17488ff7d97cd7a62dc81bb', '7.0', {
  maps: [{ name: 'task_work_map', type: 'array', maxEntries: 1, valueSize: 0, taskWorkFields: 1 }], globals: [], subprogs: [taskWorkCb],
});
const scheduleFromProg: Op[] = [
  st4zero('key'), call('bpf_map_lookup_elem', [map('task_work_map'), addr('key')], 'val'), goto('ret0', when('val', '==', NULL)),
  call('bpf_get_current_task_btf', [], 'task'), goto('ret0', when('task', '==', NULL)),
  call('bpf_task_work_schedule_resume', [r('task'), tw('val'), map('task_work_map'), cb('task_work_cb')]), label('ret0'), ret(imm(0)),
];
function st4zero(name: string): Op {
  return { op: 'st', size: 4, base: { addr: name }, off: 0, src: { imm: 0 } };
}

export const ASYNC_CB: Selftest[] = [
  AC({ fn: 'timer_non_sleepable_prog', sec: 'fentry/bpf_fentry_test1', msgs: ['sleepable helper bpf_copy_from_user#{{[0-9]+}} in non-sleepable prog'], notExpressible: TIMER }),
  AC({ fn: 'timer_sleepable_prog', sec: 'lsm.s/file_open', msgs: ['sleepable helper bpf_copy_from_user#{{[0-9]+}} in non-sleepable prog'], notExpressible: TIMER }),
  AC({ fn: 'wq_non_sleepable_prog', sec: 'fentry/bpf_fentry_test1', success: true, notExpressible: WQ }),
  AC({ fn: 'wq_sleepable_prog', sec: 'lsm.s/file_open', success: true, notExpressible: WQ }),
  AC({ fn: 'wq_global_rcu_prog', sec: 'fentry/bpf_fentry_test1', msgs: ['R1 must be a rcu pointer'], notExpressible: `${WQ} (the kptr its global function reads is modelled: task_work_global_rcu_prog)` }),
  AC({ fn: 'wq_global_rcu_lock_prog', sec: 'fentry/bpf_fentry_test1', success: true, notExpressible: `${WQ} (the kptr its global function reads is modelled: task_work_global_rcu_prog)` }),
  AC({ fn: 'wq_global_no_rcu_prog', sec: 'fentry/bpf_fentry_test1', success: true, notExpressible: WQ }),
  AC({ fn: 'task_work_non_sleepable_prog', sec: 'fentry/bpf_fentry_test1', success: true, locals: [local('key', 's32')], body: scheduleFromProg }),
  AC({ fn: 'task_work_sleepable_prog', sec: 'lsm.s/file_open', success: true, locals: [local('key', 's32')], body: scheduleFromProg }),
];

/**
 * task_work_global_rcu_prog: the task_work callback (sleepable) calls the global `wq_global_acquire`,
 * which loads `val->task` from `wq_map` outside an RCU read section: untrusted, and bpf_task_acquire
 * (KF_RCU) refuses it. `wq_map`'s value is `struct bpf_wq w; struct task_struct __kptr *task;`; the
 * model has no `bpf_wq`, so `w` is 16 plain bytes (the function never touches it; `task` keeps its
 * offset, 16).
 */
const wqGlobalAcquire: Subprog = {
  name: 'wq_global_acquire', isStatic: false, params: [], locals: [local('key', 's32')],
  body: [
    st4zero('key'), call('bpf_map_lookup_elem', [map('wq_map'), addr('key')], 'val'), goto('ret0', when('val', '==', NULL)),
    { op: 'ld', dst: 'task', size: 8, base: { kptr: 'val', field: 'task' } }, goto('ret0', when('task', '==', NULL)),
    call('bpf_task_acquire', [r('task')], 'acquired'), goto('ret0', when('acquired', '==', NULL)), call('bpf_task_release', [r('acquired')]),
    label('ret0'), ret(imm(0)),
  ],
};
const AC_WQ = maker('verifier_async_cb_context.c', 'kernel-patches/bpf@38faf3f7c6b0abf0c17488ff7d97cd7a62dc81bb', '7.0', {
  maps: [{ name: 'task_work_map', type: 'array', maxEntries: 1, valueSize: 0, taskWorkFields: 1 },
    { name: 'wq_map', type: 'array', maxEntries: 1, valueSize: 16, taskWorkFields: 0, kptrs: [{ name: 'task', type: 'task_struct' }] }],
  globals: [],
  subprogs: [wqGlobalAcquire, { name: 'task_work_global_rcu_cb', isStatic: true, params: [{ name: 'map', type: 'map' }, { name: 'key', type: 'ptr' }, { name: 'value', type: 'ptr' }], body: [call('wq_global_acquire', [], 'x'), ret(r('x'))] }],
});
ASYNC_CB.push(AC_WQ({
  fn: 'task_work_global_rcu_prog', sec: 'fentry/bpf_fentry_test1', msgs: ['R1 must be a rcu pointer'], locals: [local('key', 's32')],
  note: '`wq_map`\'s `struct bpf_wq w` is 16 plain bytes in the model (no bpf_wq field); the global function reads only `task`, at the same offset',
  body: [
    st4zero('key'), call('bpf_map_lookup_elem', [map('task_work_map'), addr('key')], 'val'), goto('ret0', when('val', '==', NULL)),
    call('bpf_get_current_task_btf', [], 'task'), goto('ret0', when('task', '==', NULL)),
    call('bpf_task_work_schedule_resume', [r('task'), tw('val'), map('task_work_map'), cb('task_work_global_rcu_cb')]), label('ret0'), ret(imm(0)),
  ],
}));

void EACCES;
void mov;
