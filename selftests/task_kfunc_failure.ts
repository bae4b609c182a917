/**
 * tools/testing/selftests/bpf/progs/task_kfunc_failure.c of the 7.2.13 release (RELEASE_7_2), run by
 * prog_tests/task_kfunc.c with RUN_TESTS: each program loaded alone against its `__failure __msg`.
 * Written for 7.2 (its messages name registers).
 *
 * `BPF_PROG(name, struct task_struct *task, u64 clone_flags)` reads its arguments from the context:
 * `task` is `ctx[0]` (a trusted task in tp_btf/task_newtask, an untrusted one in lsm/task_free:
 * src/model/program/hook_args.ts), `clone_flags` `ctx[1]`, kept on the stack where the program takes
 * its address; `task->pid` is a member read by name (model/btf/structs.ts). Every object has the
 * file's map `__tasks_kfunc_map` (task_kfunc_common.ts: its kptr field, the helpers inlined).
 * Programs that need `bpf_obj_new`/`bpf_obj_drop` or loads of other members (`task->comm`) are not
 * expressible: each says which.
 */
import type { Local, Op } from '../src/index.ts';
import { addr, call, ctxPtr, field, goto, imm, label, ld, local, NULL, r, ret, st, when } from './common.ts';
import { RELEASE_7_2, type Selftest } from './lib.ts';
import { insertLookup, mapInsert, mapValueLookup, TASKS_KFUNC_LOCALS, TASKS_KFUNC_MAP } from './task_kfunc_common.ts';
import { program as P } from '../src/index.ts';

const FILE = 'task_kfunc_failure.c' as const;
const SEC = 'tp_btf/task_newtask';

interface Def {
  readonly fn: string;
  readonly sec?: string;
  readonly msg: string;
  readonly locals?: readonly Local[];
  readonly body?: readonly Op[];
  readonly notExpressible?: string;
  readonly note?: string;
}

function T(d: Def): Selftest {
  const common = { file: FILE, fn: d.fn, source: RELEASE_7_2, version: '7.2' as const, expect: { kind: 'failure' as const, msgs: [d.msg] }, ...(d.note === undefined ? {} : { note: d.note }) };
  if (d.body === undefined) return { ...common, notExpressible: d.notExpressible ?? 'not written' };
  return {
    ...common,
    object: {
      name: 'task_kfunc_failure', maps: [TASKS_KFUNC_MAP], subprogs: [], globals: [],
      programs: [{ name: d.fn, section: d.sec ?? SEC, body: [...d.body, label('out'), ret(imm(0))], locals: [...TASKS_KFUNC_LOCALS, ...(d.locals ?? [])] }],
    },
  };
}

/** `task` = ctx[0]. */
const task: Op = ld('task', 8, ctxPtr, 0);
/** `if (!x) return 0;` then `bpf_task_release(x)`. */
const releaseChecked = (x: string): Op[] => [goto('out', when(x, '==', NULL)), call('bpf_task_release', [r(x)])];

const COMM = 'task->comm (a char array member, passed as memory): the model reads a task\'s pid, tgid and task pointer members by name, no array';
/** `v->task` of the value `v` insert_lookup_task gave: a load of the kptr field. */
const vTask = (dst: string): Op => ld(dst, 8, P.kptr('v', 'task'), 0);

export const TASK_KFUNC_FAILURE: Selftest[] = [
  T({
    fn: 'task_kfunc_acquire_untrusted', msg: 'Possibly NULL pointer passed to trusted R1',
    note: 'v->task in a non-sleepable program is an RCU pointer that may be NULL (btf_ld_kptr_type)',
    body: [task, ...insertLookup('task', 'v'), vTask('t'), call('bpf_task_acquire', [r('t')], 'acquired'), ...releaseChecked('acquired')],
  }),
  T({
    fn: 'task_kfunc_acquire_fp', msg: 'R1 pointer type STRUCT task_struct must point',
    note: '`stack_task` (the address of the stack copy of clone_flags) is a stack variable; its address is the argument',
    locals: [local('clone_flags', 'u64'), local('stack_task', 'u64')],
    body: [ld('cf', 8, ctxPtr, 8), st(8, addr('clone_flags'), 0, r('cf')), st(8, addr('stack_task'), 0, addr('clone_flags')), call('bpf_task_acquire', [addr('stack_task')], 'acquired'), ...releaseChecked('acquired')],
  }),
  T({
    fn: 'task_kfunc_acquire_unsafe_kretprobe', sec: 'kretprobe/free_task', msg: 'calling kernel function bpf_task_acquire is not allowed',
    note: 'BPF_PROG in a kretprobe reads ctx[0] of the struct pt_regs: a scalar',
    body: [task, call('bpf_task_acquire', [r('task')], 'acquired'), ...releaseChecked('acquired')],
  }),
  T({
    fn: 'task_kfunc_acquire_unsafe_kretprobe_rcu', sec: 'kretprobe/free_task', msg: 'calling kernel function bpf_task_acquire is not allowed',
    note: 'bpf_rcu_read_lock is a common kfunc (every program type), so the section is accepted; bpf_task_acquire is not a kprobe\'s',
    body: [
      task, call('bpf_rcu_read_lock', []), goto('has', when('task', '!=', NULL)), call('bpf_rcu_read_unlock', []), goto('out'),
      label('has'), call('bpf_task_acquire', [r('task')], 'acquired'), goto('unlock', when('acquired', '==', NULL)), call('bpf_task_release', [r('acquired')]),
      label('unlock'), call('bpf_rcu_read_unlock', []),
    ],
  }),
  T({ fn: 'task_kfunc_acquire_null', msg: 'Possibly NULL pointer passed to trusted R1', body: [call('bpf_task_acquire', [NULL], 'acquired'), ...releaseChecked('acquired')] }),
  T({
    fn: 'task_kfunc_acquire_unreleased', msg: 'Unreleased reference',
    note: '`__sink(acquired)` (an empty asm keeping the value alive) has no counterpart: the reference is leaked either way',
    body: [task, call('bpf_task_acquire', [r('task')], 'acquired')],
  }),
  T({
    fn: 'task_kfunc_xchg_unreleased', msg: 'Unreleased reference',
    body: [task, ...insertLookup('task', 'v'), call('bpf_kptr_xchg', [P.kptr('v', 'task'), NULL], 'kptr'), goto('out', when('kptr', '==', NULL))],
  }),
  T({
    fn: 'task_kfunc_acquire_release_no_null_check', msg: 'Possibly NULL pointer passed to trusted R1',
    body: [task, call('bpf_task_acquire', [r('task')], 'acquired'), call('bpf_task_release', [r('acquired')])],
  }),
  T({ fn: 'task_kfunc_release_untrusted', msg: 'Possibly NULL pointer passed to trusted R1', body: [task, ...insertLookup('task', 'v'), vTask('t'), call('bpf_task_release', [r('t')])] }),
  T({
    fn: 'task_kfunc_release_fp', msg: 'release kfunc bpf_task_release expects referenced PTR_TO_BTF_ID passed to R1',
    locals: [local('clone_flags', 'u64')],
    body: [ld('cf', 8, ctxPtr, 8), st(8, addr('clone_flags'), 0, r('cf')), call('bpf_task_release', [addr('clone_flags')])],
  }),
  T({
    fn: 'task_kfunc_release_null', msg: 'Possibly NULL pointer passed to trusted R1',
    note: 'the insert written out: update (BPF_NOEXIST, returning its status), lookup, acquire, exchange; `old` released unchecked',
    body: [
      task, field('pid', r('task'), 'pid'), st(4, addr('kpid'), 0, r('pid')), st(8, addr('klocal'), 0, imm(0)),
      call('bpf_map_update_elem', [P.map('__tasks_kfunc_map'), addr('kpid'), addr('klocal'), imm(1)], 'status'), goto('out', when('status', '!=', imm(0))),
      call('bpf_map_lookup_elem', [P.map('__tasks_kfunc_map'), addr('kpid')], 'v'), goto('out', when('v', '==', NULL)),
      call('bpf_task_acquire', [r('task')], 'acquired'), goto('out', when('acquired', '==', NULL)),
      call('bpf_kptr_xchg', [P.kptr('v', 'task'), r('acquired')], 'old'), call('bpf_task_release', [r('old')]),
    ],
  }),
  T({ fn: 'task_kfunc_release_unacquired', msg: 'release kfunc bpf_task_release expects referenced PTR_TO_BTF_ID passed to R1', body: [task, call('bpf_task_release', [r('task')])] }),
  T({ fn: 'task_kfunc_obj_drop_with_kptr', msg: 'bpf_obj_drop cannot be used in tracing programs on types with NMI unsafe fields', notExpressible: 'bpf_obj_new/bpf_obj_drop of a local object with a kptr field: not modelled' }),
  T({ fn: 'task_kfunc_obj_drop_nmi_with_kptr', msg: 'bpf_obj_drop cannot be used in tracing programs on types with NMI unsafe fields', notExpressible: 'bpf_obj_new/bpf_obj_drop of a local object with a kptr field: not modelled' }),
  T({ fn: 'task_kfunc_from_pid_no_null_check', msg: 'Possibly NULL pointer passed to trusted R1', body: [task, field('pid', r('task'), 'pid'), call('bpf_task_from_pid', [r('pid')], 'acquired'), call('bpf_task_release', [r('acquired')])] }),
  T({ fn: 'task_kfunc_from_vpid_no_null_check', msg: 'Possibly NULL pointer passed to trusted R1', body: [task, field('pid', r('task'), 'pid'), call('bpf_task_from_vpid', [r('pid')], 'acquired'), call('bpf_task_release', [r('acquired')])] }),
  T({
    fn: 'task_kfunc_from_lsm_task_free', sec: 'lsm/task_free', msg: 'R1 must be a rcu pointer',
    note: "lsm/task_free is in kernel/bpf/bpf_lsm.c's untrusted_lsm_hooks: its task is untrusted, and bpf_task_acquire (KF_RCU) wants a trusted or RCU pointer",
    body: [task, call('bpf_task_acquire', [r('task')], 'acquired'), ...releaseChecked('acquired')],
  }),
  T({ fn: 'task_access_comm1', msg: 'access beyond the end of member comm', notExpressible: COMM }),
  T({ fn: 'task_access_comm2', msg: 'access beyond the end of member comm', notExpressible: COMM }),
  T({ fn: 'task_access_comm3', msg: 'write into memory', notExpressible: COMM }),
  T({ fn: 'task_access_comm4', sec: 'fentry/__set_task_comm', msg: 'R1 type=ptr_ expected', notExpressible: COMM }),
  T({
    fn: 'task_kfunc_release_in_map', msg: 'release kfunc bpf_task_release expects referenced PTR_TO_BTF_ID passed to R1',
    body: [
      task, ...mapInsert('task', 'status', 'ins'), goto('out', when('status', '!=', imm(0))), ...mapValueLookup('task', 'v', 'look'), goto('out', when('v', '==', NULL)),
      call('bpf_rcu_read_lock', []), vTask('local'), goto('none', when('local', '!=', NULL)), call('bpf_rcu_read_unlock', []), goto('out'),
      label('none'), call('bpf_task_release', [r('local')]), call('bpf_rcu_read_unlock', []),
    ],
  }),
];
