/**
 * RCU read sections a program opens (src/model/rcu; kernel/bpf/verifier.c `check_kfunc_call`,
 * `check_helper_call`, `check_resource_leak`, `invalidate_rcu_protected_refs`), in `SEC("syscall")`
 * programs, which are sleepable: outside a section a walked member is untrusted, inside one
 * `group_leader` and `real_parent` are RCU pointers. Host tier (6.18: a nested lock is refused); the
 * guest's (7.2: sections nest) are in file_verifier.ts.
 */
import { program as P, type Op } from '../../src/index.ts';
import { CaseBuilder, type ConfCase } from './lib.ts';

const { call, r, imm, NULL, field, goto, when, label, buf, mov, storeAt, alu } = P;
const lock = call('bpf_rcu_read_lock', []);
const unlock = call('bpf_rcu_read_unlock', []);
/** `l = current->group_leader` (the loader leads its own group). */
const leader: Op[] = [call('bpf_get_current_task_btf', [], 'cur'), field('l', r('cur'), 'group_leader')];
/** `a = bpf_task_acquire(l); if (a) bpf_task_release(a);` */
const acquire: Op[] = [call('bpf_task_acquire', [r('l')], 'a'), goto('none', when('a', '==', NULL)), call('bpf_task_release', [r('a')]), label('none')];

const rule = 'verifier: RCU read sections (rcu/)';
const refused = (id: string, note: string, ops: readonly Op[]): ConfCase => {
  const b = new CaseBuilder(`v_rcu_${id}`);
  for (const op of ops) b.raw(op);
  return b.build(rule, note, { verifier: true });
};

/** The accepted case: inside a section, bpf_task_acquire(current->group_leader) succeeds and names current. */
function acquiredInSection(): ConfCase {
  const id = 'rcu_leader';
  const rets = `${id}_rets`;
  const b = new CaseBuilder(id);
  const ops: Op[] = [
    lock, ...leader, call('bpf_task_acquire', [r('l')], 'a'), unlock,
    mov('ok', imm(0)), goto('none', when('a', '==', NULL)), mov('ok', imm(1)),
    field('apid', r('a'), 'pid'), call('bpf_get_current_pid_tgid', [], 'me'), alu('rsh', 'me', imm(32)),
    mov('same', imm(0)), goto('diff', when('apid', '!=', r('me'))), mov('same', imm(1)), label('diff'), storeAt(rets, 1, r('same')),
    call('bpf_task_release', [r('a')]),
    label('none'), storeAt(rets, 0, r('ok')),
  ];
  for (const op of ops) b.raw(op);
  const c = b.build('RCU read sections (rcu/)', 'a sleepable program: inside bpf_rcu_read_lock, current->group_leader is an RCU pointer bpf_task_acquire takes; the task it gives is current');
  return { ...c, calls: [{ index: 0, fn: 'bpf_task_acquire', text: 'bpf_task_acquire(current->group_leader) != NULL inside the section' }, { index: 1, fn: 'field', text: 'acquired->pid == current->tgid' }] };
}

export const rcuCases: readonly ConfCase[] = [
  acquiredInSection(),
  refused('outside', 'bpf_task_acquire(current->group_leader) with no section in a sleepable program: untrusted → R1 must be a rcu pointer', [...leader, ...acquire]),
  refused('after_unlock', 'current->group_leader walked inside a section, acquired after it: bpf_rcu_read_unlock made it untrusted → R1 must be a rcu pointer', [lock, ...leader, unlock, ...acquire]),
  refused('nested', '6.18: a lock inside a section → nested rcu read lock (kernel function bpf_rcu_read_lock)', [lock, lock, unlock, unlock]),
  refused('exit_locked', 'the program returns inside a section → BPF_EXIT instruction in main prog cannot be used inside bpf_rcu_read_lock-ed region', [lock]),
  refused('unmatched', 'an unlock with no section → unmatched rcu read unlock (kernel function bpf_rcu_read_unlock)', [unlock]),
  refused('sleepable_kfunc', 'bpf_copy_from_user_str inside a section → kernel func bpf_copy_from_user_str is sleepable within rcu_read_lock region',
    [lock, call('bpf_copy_from_user_str', [buf('v_rcu_sleepable_kfunc_out'), imm(16), imm(0), imm(0)]), unlock]),
  refused('sleepable_helper', 'bpf_copy_from_user inside a section → sleepable helper bpf_copy_from_user#148 in rcu_read_lock region',
    [lock, call('bpf_copy_from_user', [buf('v_rcu_sleepable_helper_out'), imm(16), imm(0)], 'n'), unlock]),
];
