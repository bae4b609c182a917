/**
 * The task reference kfuncs of kernel/bpf/helpers.c: a program takes a reference on a
 * `struct task_struct` (`rcu_users`, task.ts `rcuUsers`), uses the task, and drops it. The verifier
 * makes it drop every reference it took (KF_ACQUIRE / KF_RELEASE), and refuses a NULL-able one where
 * a task is needed until the program has checked it.
 */
import { defineKfunc } from '../kfunc/kfunc.ts';
import { registerKfuncs } from '../kfunc/registry.ts';
import type { Kern } from '../world/world.ts';
import { taskPut, taskTryget } from './task.ts';
import type { Pid } from './types.ts';

/**
 * The program types the kernel registers `generic_kfunc_set` for (kernel/bpf/helpers.c
 * `kfunc_init`); kernel/bpf/btf.c `bpf_prog_type_to_kfunc_hook` puts each in its hook, and the types
 * that share a hook may call them too (kfunc/hooks.ts): TRACING's (tracepoint, perf event, LSM, and
 * raw tracepoint from 7.0) and the cgroup hook (every cgroup program type and sock_ops).
 */
const GENERIC_KFUNC_TYPES = ['TRACING', 'SCHED_CLS', 'XDP', 'STRUCT_OPS', 'SYSCALL', 'CGROUP_SKB'];

const RELEASE = 'release it with bpf_task_release (the verifier refuses a program that keeps it past its end)';

/**
 * `find_task_by_pid_ns(pid, &init_pid_ns)`, then `bpf_task_acquire`: the model has one pid namespace.
 * A task is findable from `attach_pid` (a forked task has no pid yet while `lsm/task_alloc` runs, and
 * has one when `tp_btf/task_newtask` runs) until it is reaped (`release_task` → `__unhash_process` detaches its
 * pid): a zombie is found. Pids are positive; 0 and negative ones name nobody.
 */
function fromPid(k: Kern, pid: bigint): Pid | null {
  const n = Number(BigInt.asIntN(32, pid));
  if (n <= 0) return null;
  const t = k.t.tasks.get(n);
  if (t === undefined || t.reaped || t.forking) return null;
  return taskTryget(k, n, 'pid') ? n : null;
}

export const bpf_task_acquire = defineKfunc({
  name: 'bpf_task_acquire',
  mirrors: 'kernel/bpf/helpers.c: bpf_task_acquire',
  kind: 'kfunc',
  since: '6.18', // in the kernel since 6.2; 6.18 is the oldest version modelled
  kernelProgTypes: GENERIC_KFUNC_TYPES,
  summary: 'Take a reference on the task `p`; NULL when its last one is gone.',
  args: [{ name: 'p', type: 'task' }],
  ret: 'task',
  flags: ['KF_ACQUIRE', 'KF_RCU', 'KF_RET_NULL'],
  checks: [
    'p may be NULL (not checked yet) → the verifier refuses the program',
    'rcu_users is 0 (the task was reaped and no one holds a reference: refcount_inc_not_zero fails) → NULL',
  ],
  effects: [`rcu_users rises by one; ${RELEASE}`],
  confidence: 'H (source)',
  impl(k, p) {
    return taskTryget(k, p, 'p') ? p : null;
  },
});

export const bpf_task_release = defineKfunc({
  name: 'bpf_task_release',
  mirrors: 'kernel/bpf/helpers.c: bpf_task_release; kernel/exit.c: put_task_struct_rcu_user',
  kind: 'kfunc',
  since: '6.18',
  kernelProgTypes: GENERIC_KFUNC_TYPES,
  summary: 'Drop a reference bpf_task_acquire or bpf_task_from_pid took.',
  args: [{ name: 'p', type: 'task' }],
  ret: 'void',
  flags: ['KF_RELEASE'],
  checks: [
    'p is not a reference the program holds (current from bpf_get_current_task_btf, one already released, NULL-able) → the verifier refuses the program',
  ],
  effects: ['rcu_users drops by one; at 0 the task_struct is freed after an RCU grace period (delayed_put_task_struct)'],
  confidence: 'H (source)',
  impl(k, p) {
    taskPut(k, p, 'p');
    return undefined;
  },
});

export const bpf_task_from_pid = defineKfunc({
  name: 'bpf_task_from_pid',
  mirrors: 'kernel/bpf/helpers.c: bpf_task_from_pid; kernel/pid.c: find_task_by_pid_ns',
  kind: 'kfunc',
  since: '6.18',
  kernelProgTypes: GENERIC_KFUNC_TYPES,
  summary: 'Find the task with pid `pid` (the root pid namespace) and take a reference on it.',
  args: [{ name: 'pid', type: 'u32', cType: 's32' }],
  ret: 'task',
  flags: ['KF_ACQUIRE', 'KF_RET_NULL'],
  checks: [
    'no task has that pid (0, a negative pid, one never used, or a task already reaped: release_task unhashed it) → NULL',
    'the task\'s rcu_users is 0 → NULL (bpf_task_acquire)',
  ],
  effects: [`a zombie (exited, not yet reaped) is found too; rcu_users rises by one; ${RELEASE}`],
  confidence: 'H (source); the model has one pid namespace',
  impl(k, pid) {
    return fromPid(k, pid);
  },
});

export const bpf_task_from_vpid = defineKfunc({
  name: 'bpf_task_from_vpid',
  mirrors: 'kernel/bpf/helpers.c: bpf_task_from_vpid; kernel/pid.c: find_task_by_vpid',
  kind: 'kfunc',
  since: '6.18',
  kernelProgTypes: GENERIC_KFUNC_TYPES,
  summary: 'Find the task with pid `vpid` in the current task\'s pid namespace and take a reference on it.',
  args: [{ name: 'vpid', type: 'u32', cType: 's32' }],
  ret: 'task',
  flags: ['KF_ACQUIRE', 'KF_RET_NULL'],
  checks: [
    'current has no active pid namespace (its pid already detached) → NULL; a program of the model never runs that late',
    'as bpf_task_from_pid: no task has that pid in the namespace, or its rcu_users is 0 → NULL',
  ],
  effects: [`the model has one pid namespace, so a vpid is a pid; rcu_users rises by one; ${RELEASE}`],
  confidence: 'H (source); the model has one pid namespace',
  impl(k, vpid) {
    return fromPid(k, vpid);
  },
});

export const TASK_KFUNCS = registerKfuncs({ bpf_task_acquire, bpf_task_release, bpf_task_from_pid, bpf_task_from_vpid });

type TaskKfuncs = typeof TASK_KFUNCS;
declare module '../kfunc/registry.ts' {
  interface KfuncRegistry extends TaskKfuncs {}
}
