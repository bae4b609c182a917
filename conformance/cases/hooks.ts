/**
 * The order programs on one hook run in (program/sections.ts `runsNewestFirst`): a trampoline's
 * (fentry, LSM) newest first; a tracepoint's (`tp/`, `tp_btf/`) in attach order; nanosleep's
 * `sys_enter` tracepoint before the fentry of its handler. Each program takes the next rank from a
 * counter of the case and stores it.
 *
 * Host tier (6.18): programs attached while the loader forks or sleeps (`ConfCase.hook`) instead of a
 * test run: `tp_btf/task_newtask` in the parent during fork (cases/fork.ts `forkHookProgram`: the new
 * task's own pid and tgid, found by `bpf_task_from_pid`, the clone flags of glibc's fork) and the
 * tracepoints' order. The host refuses fentry programs (BPF_PROG_LOAD: -EPERM), so fentry's order is
 * checked on the guest (7.2): script cases whose step `nanosleep` makes one nanosleep(2) syscall.
 */
import { program as P, type BpfObject, type Op } from '../../src/index.ts';
import { forkHookProgram } from './fork.ts';
import { FRETS, pidFilterOps } from './file.ts';
import type { CallRecord, ConfCase } from './lib.ts';
import type { ScriptCase } from './script.ts';

/** A program of `section` that takes the next rank (rets[15] + 1) and stores it in rets[slot]. */
function ranked(id: string, name: string, section: string, slot: number): BpfObject['programs'][number] {
  const rets = `${id}_rets`;
  const body: Op[] = [
    ...pidFilterOps(`${id}_pid`),
    P.ld('n', 8, P.addr(rets), 15 * 8), P.alu('add', 'n', P.imm(1)), P.storeAt(rets, 15, P.r('n')), P.storeAt(rets, slot, P.r('n')),
    P.label('out'), P.ret(P.imm(0)),
  ];
  return { name, section, body };
}

/** A case of programs (in the object's, so attach, order) that each record their rank. */
function orderCase(id: string, action: 'fork' | 'sleep', note: string, sections: readonly string[]): ConfCase {
  const programs = sections.map((sec, i) => ranked(id, `${id}_${String.fromCharCode(97 + i)}`, sec, i));
  const calls: CallRecord[] = sections.map((sec, i) => ({ index: i, fn: 'rank', text: `the rank of program ${String.fromCharCode(97 + i)} (${sec}, attached ${i + 1}${i === 0 ? 'st' : i === 1 ? 'nd' : 'rd'})` }));
  const object: BpfObject = {
    name: id, maps: [], subprogs: [], programs,
    globals: [{ name: `${id}_rets`, kind: 'u64s', size: FRETS }, { name: `${id}_pid`, kind: 'int' }],
  };
  return { id, rule: 'hooks: the order programs run in', note, object, calls, hook: { action } };
}

export const hookCases: ConfCase[] = [
  (() => {
    const { object, calls } = forkHookProgram('hk_newtask', 'newtask');
    return {
      id: 'hk_newtask', rule: 'fork: tp_btf/task_newtask', object, calls, hook: { action: 'fork' as const },
      note: 'in the parent, on the new task: its own pid (not current\'s), tgid = pid, clone_flags CLONE_CHILD_SETTID|CLONE_CHILD_CLEARTID, bpf_task_acquire and bpf_task_from_pid(task->pid) find it',
    };
  })(),
  ...([
    ['hk_pfork', 'pfork', 'fork: tp_btf/sched_process_fork', 'in the parent, back in kernel_clone: the parent and the child (its own pid, found by pid, its real_parent the parent, leading its own group)'],
    ['hk_pexit', 'pexit', 'fork: tp_btf/sched_process_exit', 'in the exiting child (task = current, found by its real_parent): group_dead 1, bpf_task_acquire(task) succeeds'],
  ] as const).map(([id, role, rule, note]) => ({ id, rule, note, ...forkHookProgram(id, role), hook: { action: 'fork' as const } })),
  (() => {
    const { object, calls } = forkHookProgram('hk_walk', 'walk');
    return {
      id: 'hk_walk', rule: 'fork: task members walked (btf/walk.ts)', object, calls, hook: { action: 'fork' as const },
      note: 'tp_btf/task_newtask reads task->real_parent, ->parent, ->group_leader by name: the forking task, the new task itself; bpf_task_acquire takes the RCU pointer real_parent',
    };
  })(),
  orderCase('hk_tp_order', 'sleep', 'two tp/syscalls/sys_enter_nanosleep programs: in attach order (bpf_prog_array_copy appends)', ['tp/syscalls/sys_enter_nanosleep', 'tp/syscalls/sys_enter_nanosleep']),
  orderCase('hk_tpbtf_order', 'fork', 'two tp_btf/task_newtask programs: in attach order (tracepoint_probe_register appends)', ['tp_btf/task_newtask', 'tp_btf/task_newtask']),
  orderCase('hk_fork_order', 'fork', 'sched_process_fork attached before task_newtask runs after it: copy_process\'s tracepoint, then kernel_clone\'s', ['tp_btf/sched_process_fork', 'tp_btf/task_newtask']),
  // A target that does not exist: libbpf finds no BTF type for it and the load fails with -ESRCH;
  // no target at all (no '/'): libbpf_prepare_prog_load refuses it with -EINVAL.
  ...([
    ['hk_v_tp_typo', 'tp_btf/task_newtsk', 'a tp_btf tracepoint that does not exist (no btf_trace_task_newtsk typedef in the BTF)'],
    ['hk_v_lsm_typo', 'lsm/file_opne', 'an LSM hook that does not exist (no bpf_lsm_file_opne function in the BTF)'],
    ['hk_v_tp_empty', 'tp_btf/', 'an empty tp_btf target: looked up, found nowhere (-ESRCH)'],
    ['hk_v_tp_none', 'tp_btf', 'SEC("tp_btf") without a target: "no BTF-based attach target is specified" (-EINVAL)'],
    ['hk_v_lsm_none', 'lsm', 'SEC("lsm") without a hook (-EINVAL)'],
  ] as const).map(([id, section, note]): ConfCase => ({
    id, rule: 'hooks: attach targets libbpf resolves', note, verifier: true, calls: [],
    object: { name: id, maps: [], subprogs: [], globals: [{ name: `${id}_rets`, kind: 'u64s', size: FRETS }], programs: [{ name: id, section, body: [P.ret(P.imm(0))] }] },
  })),
];

/** A guest script case: programs that each store their rank (`<prog>_rets[0]`) from the case's counter `<id>_n`, run by one nanosleep. */
function orderScript(id: string, note: string, sections: readonly string[]): ScriptCase {
  const names = sections.map((_, i) => `${id}_${String.fromCharCode(97 + i)}`);
  const calls: Record<string, readonly CallRecord[]> = {};
  const programs = sections.map((section, i) => {
    const name = names[i] as string;
    calls[name] = [{ index: 0, fn: 'rank', text: `the rank of ${name} (${section}, attached ${i + 1}${i === 0 ? 'st' : 'nd'})` }];
    const body: Op[] = [
      ...pidFilterOps(`${name}_pid`),
      P.mov('n', P.glob(`${id}_n`)), P.alu('add', 'n', P.imm(1)), P.store(`${id}_n`, P.r('n')), P.storeAt(`${name}_rets`, 0, P.r('n')),
      P.label('out'), P.ret(P.imm(0)),
    ];
    return { name, section, body };
  });
  const object: BpfObject = {
    name: id, maps: [], subprogs: [], programs,
    globals: [
      { name: `${id}_n`, kind: 'int' },
      ...names.flatMap((n): BpfObject['globals'] => [{ name: `${n}_rets`, kind: 'u64s', size: FRETS }, { name: `${n}_pid`, kind: 'int' }]),
    ],
  };
  return { id, rule: 'hooks: the order programs run in', note, object, programs: names, steps: [{ k: 'nanosleep', progs: names }], calls, compareGlobals: [`${id}_n`] };
}

/** The guest tier's: fentry, which the host refuses. */
export function hookOrderScriptCases(): ScriptCase[] {
  return [
    orderScript('ho_fentry', 'two fentry programs on __x64_sys_nanosleep: the one attached last runs first (trampoline.c: hlist_add_head)', ['fentry/__x64_sys_nanosleep', 'fentry/__x64_sys_nanosleep']),
    orderScript('ho_enter_first', 'an fentry program attached before a sys_enter tracepoint program: the tracepoint (syscall entry) runs first', ['fentry/__x64_sys_nanosleep', 'tp/syscalls/sys_enter_nanosleep']),
  ];
}
