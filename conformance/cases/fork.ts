/**
 * Guest-tier fork cases (src/scheduler/fork.ts): the driver sets the pid filter of the listed
 * programs to itself, forks a child that exits at once, waits for it, and resets the filters (step
 * `fork`). The programs run in the parent while it forks (kernel/fork.c `copy_process`):
 * `lsm/task_alloc` before `alloc_pid` (the new task still holds its parent's pid and tgid),
 * `tp_btf/task_newtask` after `attach_pid`, and `lsm/task_free` when a task_alloc program refused
 * the fork (`security_task_alloc` → `security_task_free`). Each program stores what it saw into its
 * `<prog>_rets` (relations, never a pid: the guest's pids are not the model's) and counts its runs.
 */
import { program as P, type BpfObject, type Op } from '../../src/index.ts';
import type { CallRecord } from './lib.ts';
import { FRETS, pidFilterOps } from './file.ts';
import type { ScriptCase } from './script.ts';

const { r, imm, NULL, call, ld, field, goto, when, label, ret, mov, alu, storeAt, ctxPtr } = P;

export type Role = 'alloc' | 'deny' | 'free' | 'newtask' | 'walk' | 'walk_alloc' | 'pfork' | 'pexit' | 'grand_alloc' | 'grand_newtask';
const SECTION: Readonly<Record<Role, string>> = {
  alloc: 'lsm/task_alloc', deny: 'lsm/task_alloc', free: 'lsm/task_free', newtask: 'tp_btf/task_newtask', walk: 'tp_btf/task_newtask', walk_alloc: 'lsm/task_alloc',
  pfork: 'tp_btf/sched_process_fork', pexit: 'tp_btf/sched_process_exit', grand_alloc: 'lsm/task_alloc', grand_newtask: 'tp_btf/task_newtask',
};

/**
 * The filter of a program that runs in a child of the driver (sched_process_exit; a grandchild's
 * fork): current's real_parent is the driver. The filter is armed (non-zero) only around the step;
 * `notSelf` first leaves out the driver itself, so that the walk never starts from it (its parent is
 * outside the model).
 */
export function childOfDriverOps(pid: string, notSelf: boolean): Op[] {
  return [
    mov('want', P.glob(pid)), goto('out', when('want', '==', imm(0))),
    ...(notSelf ? [call('bpf_get_current_pid_tgid', [], 'me_tgid'), alu('rsh', 'me_tgid', imm(32)), goto('out', when('me_tgid', '==', r('want')))] : []),
    call('bpf_get_current_task_btf', [], 'me'), field('me_parent', r('me'), 'real_parent'), field('me_ppid', r('me_parent'), 'tgid'),
    goto('out', when('me_ppid', '!=', r('want'))),
  ];
}

/** `rets[i] = (a == b)`. */
function storeEq(rets: string, i: number, a: string, b: string, tag: string): Op[] {
  return [mov(`eq${tag}`, imm(0)), goto(`ne${tag}`, when(a, '!=', r(b))), mov(`eq${tag}`, imm(1)), label(`ne${tag}`), storeAt(rets, i, r(`eq${tag}`))];
}

/**
 * One program: its pid filter (the parent), then what it records. `alloc`/`newtask`: task->pid ==
 * current, task->tgid == current, clone_flags, bpf_task_acquire(task) succeeded, bpf_task_from_pid(
 * task->pid) found a task and its ->pid equals task->pid; `deny`: returns -EPERM; `free` (an untrusted
 * task): task->pid == current. Each counts its runs in rets[15].
 */
export function forkHookProgram(id: string, role: Role): { object: BpfObject; calls: CallRecord[] } {
  const rets = `${id}_rets`;
  const calls: CallRecord[] = [];
  const rec = (i: number, fn: string, text: string): void => { calls.push({ index: i, fn, text }); };
  /** `rets[i] = (base->path[0]->…->path[n-1] == cmp)`, recorded as `text`. */
  const memberEq = (i: number, base: string, path: readonly Parameters<typeof field>[2][], cmp: string, text: string): void => {
    let at = base;
    path.forEach((m, j) => {
      const dst = `m${i}_${j}`;
      body.push(field(dst, r(at), m));
      at = dst;
    });
    body.push(...storeEq(rets, i, at, cmp, `m${i}`));
    rec(i, 'members', text);
  };
  const body: Op[] = [
    ...(role === 'pexit' || role === 'grand_alloc' || role === 'grand_newtask' ? childOfDriverOps(`${id}_pid`, role !== 'pexit') : pidFilterOps(`${id}_pid`)),
    ld('cnt', 8, P.addr(rets), 15 * 8), alu('add', 'cnt', imm(1)), storeAt(rets, 15, r('cnt')),
    ld('task', 8, ctxPtr, 0),
    call('bpf_get_current_pid_tgid', [], 'cur'), alu('rsh', 'cur', imm(32)),
    field('tpid', r('task'), 'pid'), ...storeEq(rets, 0, 'tpid', 'cur', 'a'),
  ];
  rec(15, 'runs', role === 'pexit' ? 'runs of the program in the child' : 'runs of the program in the parent');
  rec(0, 'task->pid == current', 'task->pid == current->tgid');
  if (role === 'alloc' || role === 'newtask') {
    body.push(
      field('ttgid', r('task'), 'tgid'), ...storeEq(rets, 1, 'ttgid', 'cur', 'b'),
      ld('flags', 8, ctxPtr, 8), storeAt(rets, 2, r('flags')),
      mov('acq_ok', imm(0)), call('bpf_task_acquire', [r('task')], 'acq'), goto('no_acq', when('acq', '==', NULL)), mov('acq_ok', imm(1)), call('bpf_task_release', [r('acq')]),
      label('no_acq'), storeAt(rets, 3, r('acq_ok')),
      call('bpf_task_from_pid', [r('tpid')], 'found'), goto('no_found', when('found', '==', NULL)), storeAt(rets, 4, imm(1)),
      field('fpid', r('found'), 'pid'), call('bpf_task_release', [r('found')]), field('tpid2', r('task'), 'pid'), ...storeEq(rets, 5, 'fpid', 'tpid2', 'c'),
      label('no_found'),
    );
    rec(1, 'task->tgid == current', 'task->tgid == current->tgid');
    rec(2, 'clone_flags', 'clone_flags (ctx[1])');
    rec(3, 'bpf_task_acquire', 'bpf_task_acquire(task) != NULL');
    rec(4, 'bpf_task_from_pid', 'bpf_task_from_pid(task->pid) != NULL');
    rec(5, 'found->pid == task->pid', 'bpf_task_from_pid(task->pid)->pid == task->pid');
  }
  if (role === 'walk') {
    // The members src/model/btf/structs.ts reads, after copy_process set them (task_newtask).
    memberEq(1, 'task', ['real_parent', 'tgid'], 'cur', 'task->real_parent->tgid == current->tgid');
    memberEq(2, 'task', ['parent', 'pid'], 'cur', 'task->parent->pid == current->tgid');
    memberEq(3, 'task', ['group_leader', 'pid'], 'tpid', 'task->group_leader->pid == task->pid');
    body.push(
      field('rp', r('task'), 'real_parent'),
      mov('acq_ok', imm(0)), call('bpf_task_acquire', [r('rp')], 'acq'), goto('no_acq', when('acq', '==', NULL)), mov('acq_ok', imm(1)), call('bpf_task_release', [r('acq')]),
      label('no_acq'), storeAt(rets, 4, r('acq_ok')),
    );
    rec(4, 'bpf_task_acquire(real_parent)', 'bpf_task_acquire(task->real_parent) != NULL (an RCU pointer)');
    memberEq(5, 'task', ['group_leader', 'real_parent', 'tgid'], 'cur', 'task->group_leader->real_parent->tgid == current->tgid');
  }
  if (role === 'walk_alloc') {
    // Before alloc_pid: dup_task_struct copied the parent's group_leader.
    memberEq(1, 'task', ['group_leader', 'pid'], 'cur', 'task->group_leader->pid == current->tgid (the parent\'s, copied)');
    memberEq(2, 'task', ['group_leader', 'tgid'], 'cur', 'task->group_leader->tgid == current->tgid');
  }
  if (role === 'pfork') {
    // kernel_clone's trace_sched_process_fork(current, p): ctx[0] the parent (checked above as `task`), ctx[1] the child.
    body.push(ld('child', 8, ctxPtr, 8));
    memberEq(1, 'child', ['pid'], 'cur', 'child->pid == current->tgid (0: the child has its own pid)');
    memberEq(2, 'child', ['real_parent', 'tgid'], 'cur', 'child->real_parent->tgid == current->tgid');
    body.push(
      field('cpid', r('child'), 'pid'),
      call('bpf_task_from_pid', [r('cpid')], 'found'), goto('no_found', when('found', '==', NULL)), storeAt(rets, 3, imm(1)), call('bpf_task_release', [r('found')]),
      label('no_found'),
    );
    rec(3, 'bpf_task_from_pid(child->pid)', 'bpf_task_from_pid(child->pid) != NULL (attach_pid came before)');
    memberEq(4, 'child', ['group_leader', 'pid'], 'cpid', 'child->group_leader->pid == child->pid');
  }
  if (role === 'pexit') {
    // do_exit's trace_sched_process_exit(tsk, group_dead), in the exiting child.
    body.push(
      ld('dead', 8, ctxPtr, 8), storeAt(rets, 1, r('dead')),
      mov('acq_ok', imm(0)), call('bpf_task_acquire', [r('task')], 'acq'), goto('no_acq', when('acq', '==', NULL)), mov('acq_ok', imm(1)), call('bpf_task_release', [r('acq')]),
      label('no_acq'), storeAt(rets, 2, r('acq_ok')),
    );
    rec(1, 'group_dead', 'group_dead (ctx[1]): the child is its whole thread group');
    rec(2, 'bpf_task_acquire', 'bpf_task_acquire(task) != NULL (rcu_users still held)');
  }
  if (role === 'grand_alloc') {
    // The child forks: before alloc_pid the grandchild holds the child's members (dup_task_struct).
    memberEq(1, 'task', ['real_parent', 'tgid'], 'want', 'task->real_parent->tgid == the driver (the child\'s real_parent, copied)');
    memberEq(2, 'task', ['group_leader', 'pid'], 'cur', 'task->group_leader->pid == current->tgid (the child, copied)');
  }
  if (role === 'grand_newtask') {
    memberEq(1, 'task', ['real_parent', 'tgid'], 'cur', 'task->real_parent->tgid == current->tgid (the child)');
    memberEq(2, 'task', ['real_parent', 'real_parent', 'tgid'], 'want', 'task->real_parent->real_parent->tgid == the driver');
  }
  body.push(label('out'), ret(imm(role === 'deny' ? -1 : 0)));
  return {
    object: {
      name: id, maps: [], subprogs: [],
      globals: [{ name: rets, kind: 'u64s', size: FRETS }, { name: `${id}_pid`, kind: 'int' }],
      programs: [{ name: id, section: SECTION[role], body }],
    },
    calls: calls.sort((a, b) => a.index - b.index),
  };
}

function forkCase(id: string, rule: string, note: string, progs: readonly (readonly [string, Role])[], grand = false): ScriptCase {
  const built = progs.map(([p, role]) => ({ p, ...forkHookProgram(p, role) }));
  const object: BpfObject = {
    name: id, maps: [], subprogs: [], globals: built.flatMap((b) => b.object.globals), programs: built.flatMap((b) => b.object.programs),
  };
  const calls: Record<string, readonly CallRecord[]> = {};
  for (const b of built) calls[b.p] = b.calls;
  return { id, rule, note, object, programs: built.map((b) => b.p), steps: [{ k: 'fork', progs: built.map((b) => b.p), ...(grand ? { grand } : {}) }], calls };
}

/** The fork cases of the guest tier. */
export function forkCases(): ScriptCase[] {
  return [
    forkCase('fk_hooks', 'fork: task hooks',
      'lsm/task_alloc sees the new task with its parent\'s pid and tgid (not yet found by that pid as itself); tp_btf/task_newtask sees its own pid, found by pid; both in the parent, clone_flags CLONE_CHILD_SETTID|CLONE_CHILD_CLEARTID',
      [['fk_hooks_a', 'alloc'], ['fk_hooks_n', 'newtask']]),
    forkCase('fk_deny', 'fork: task_alloc refuses',
      'an lsm/task_alloc program returns -EPERM: fork fails with EPERM, lsm/task_free runs on the new task in the parent, task_newtask does not run; of two task_alloc programs the one attached last runs first (a trampoline runs its programs newest first)',
      [['fk_deny_d', 'deny'], ['fk_deny_a', 'alloc'], ['fk_deny_f', 'free'], ['fk_deny_n', 'newtask']]),
    forkCase('fk_sched', 'fork: sched_process_fork and sched_process_exit',
      'tp_btf/sched_process_fork runs in the parent after copy_process (task_newtask first), with the parent and the child (its own pid, found by pid, its real_parent the parent); tp_btf/sched_process_exit runs in the exiting child (task = current, group_dead 1)',
      [['fk_sched_n', 'newtask'], ['fk_sched_f', 'pfork'], ['fk_sched_x', 'pexit']]),
    forkCase('fk_grand', 'fork: a child forks (btf/walk.ts, copy_process)',
      'the driver\'s child forks a grandchild: in lsm/task_alloc the grandchild still holds the child\'s pid, group_leader and real_parent (the driver), copied by dup_task_struct; in tp_btf/task_newtask its real_parent is the child, whose real_parent is the driver',
      [['fk_grand_a', 'grand_alloc'], ['fk_grand_n', 'grand_newtask']], true),
    forkCase('fk_walk', 'fork: task members walked (btf/walk.ts)',
      'task->real_parent, ->parent and ->group_leader read by name: in task_newtask the new task leads its own group and its parents are the forking task, bpf_task_acquire takes the RCU pointer real_parent; in task_alloc its group_leader is still its parent\'s (dup_task_struct copied it)',
      [['fk_walk_a', 'walk_alloc'], ['fk_walk_n', 'walk']]),
  ];
}
