/**
 * tools/testing/selftests/bpf/progs/task_kfunc_common.h (7.2.13): the hash map `__tasks_kfunc_map`
 * (key: a pid; value: `struct __tasks_kfunc_map_value { struct task_struct __kptr *task; }`) and its
 * two static helpers, inlined as ops. `bpf_probe_read_kernel(&pid, sizeof(pid), &p->pid)` is the
 * model's read of `p->pid` by name (model/btf/structs.ts): the C's status check after it cannot fail
 * there, and is left out. The pid and the local value are the stack variables `kpid` and `klocal`
 * (`TASKS_KFUNC_LOCALS`).
 */
import type { Local, MapDecl, Op } from '../src/index.ts';
import { addr, call, field, goto, imm, label, labels, local, map, mov, NULL, r, st, when } from './common.ts';
import { program as P } from '../src/index.ts';

export const TASKS_KFUNC_MAP: MapDecl = {
  name: '__tasks_kfunc_map', type: 'hash', maxEntries: 1, valueSize: 0, taskWorkFields: 0, kptrs: [{ name: 'task', type: 'task_struct' }],
};

/** `s32 pid` and `struct __tasks_kfunc_map_value local` of the helpers. */
export const TASKS_KFUNC_LOCALS: readonly Local[] = [local('kpid', 's32'), local('klocal', { bytes: 8 })];

const M = map(TASKS_KFUNC_MAP.name);

/** `dst = tasks_kfunc_map_value_lookup(p)`: the value of p's pid, or NULL. */
export function mapValueLookup(p: string, dst: string, prefix: string): Op[] {
  const L = labels(prefix);
  return [field(L('pid'), r(p), 'pid'), st(4, addr('kpid'), 0, r(L('pid'))), call('bpf_map_lookup_elem', [M, addr('kpid')], dst)];
}

/**
 * `status = tasks_kfunc_map_insert(p)`: insert p's pid (BPF_NOEXIST) with a NULL task, look it up
 * (NULL: delete it, -ENOENT), acquire p (NULL: -ENOENT) and move it into the value's kptr (an old
 * one there: released, -EEXIST); 0 when the task is in the map.
 */
export function mapInsert(p: string, status: string, prefix: string): Op[] {
  const L = labels(prefix);
  return [
    field(L('pid'), r(p), 'pid'), st(4, addr('kpid'), 0, r(L('pid'))),
    st(8, addr('klocal'), 0, imm(0)),
    call('bpf_map_update_elem', [M, addr('kpid'), addr('klocal'), imm(1)], status),
    goto(L('done'), when(status, '!=', imm(0))),
    call('bpf_map_lookup_elem', [M, addr('kpid')], L('v')),
    goto(L('found'), when(L('v'), '!=', NULL)),
    call('bpf_map_delete_elem', [M, addr('kpid')]), mov(status, imm(-2)), goto(L('done')),
    label(L('found')),
    call('bpf_task_acquire', [r(p)], L('acquired')),
    goto(L('got'), when(L('acquired'), '!=', NULL)), mov(status, imm(-2)), goto(L('done')),
    label(L('got')),
    call('bpf_kptr_xchg', [P.kptr(L('v'), 'task'), r(L('acquired'))], L('old')),
    mov(status, imm(0)),
    goto(L('done'), when(L('old'), '==', NULL)),
    call('bpf_task_release', [r(L('old'))]), mov(status, imm(-17)),
    label(L('done')),
  ];
}

/** `v = insert_lookup_task(task)` of task_kfunc_failure.c: NULL (here: `goto out`, return 0) unless the insert worked and the lookup finds it. */
export function insertLookup(task: string, v: string): Op[] {
  return [...mapInsert(task, 'status', 'ins'), goto('out', when('status', '!=', imm(0))), ...mapValueLookup(task, v, 'look'), goto('out', when(v, '==', NULL))];
}
