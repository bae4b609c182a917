/**
 * RCU read sections a program opens (src/model/rcu): bpf_rcu_read_lock / bpf_rcu_read_unlock. Expected
 * verdicts come from kernel/bpf/verifier.c (7.2.13): `check_kfunc_call` counts the sections
 * (`active_rcu_locks`; 6.x before "bpf: support nested rcu critical sections" refuses a nested lock —
 * the 6.18 host does), refuses an unlock without a lock, a sleepable kfunc inside a section (after its
 * arguments); `check_helper_call` a sleepable helper inside one (`in_sleepable_context`);
 * `check_resource_leak` an exit inside one; `invalidate_rcu_protected_refs` makes the RCU pointers
 * untrusted at the outermost unlock; `in_rcu_cs` makes walked members RCU pointers inside a section of
 * a sleepable program. The 6.18 messages were also read off the host's verifier log.
 */
import { describe, expect, test } from 'vitest';
import { content, program as P, Session, verify, type BpfObject, type KernelVersion, type Op } from '../src/index.ts';

const { r, imm, NULL, call, field, goto, when, label, ret, store, buf } = P;
const lock = call('bpf_rcu_read_lock', []);
const unlock = call('bpf_rcu_read_unlock', []);
/** `p = current->real_parent` (or another member). */
const walk = (m: 'real_parent' | 'parent' = 'real_parent'): Op[] => [call('bpf_get_current_task_btf', [], 'cur'), field('p', r('cur'), m)];
/** `a = bpf_task_acquire(p); if (a) bpf_task_release(a);` */
const acquire: Op[] = [call('bpf_task_acquire', [r('p')], 'a'), goto('none', when('a', '==', NULL)), call('bpf_task_release', [r('a')]), label('none')];

function verdict(body: Op[], version: KernelVersion, section = 'syscall'): string | null {
  const obj: BpfObject = {
    name: 'o', maps: [], subprogs: [], globals: [{ name: 'b', kind: 'bytes', size: 16 }, { name: 'x', kind: 'u64' }],
    programs: [{ name: 'p', section, body: [...body, label('out'), ret(imm(0))] }],
  };
  return verify(obj, version)[0]?.message ?? null;
}

describe('bpf_rcu_read_lock sections: the verifier', () => {
  test.each(['6.18', '7.2'] as const)('%s: in a sleepable program, a walked member is an RCU pointer inside a section, untrusted after it', (v) => {
    expect(verdict([lock, ...walk(), ...acquire, unlock], v)).toBeNull();
    expect(verdict([lock, ...walk(), unlock, ...acquire], v)).toBe('R1 must be a rcu pointer');
    expect(verdict([...walk(), ...acquire], v)).toBe('R1 must be a rcu pointer');
    // parent is in no BTF_TYPE_SAFE list: a plain pointer even inside a section.
    expect(verdict([lock, ...walk('parent'), ...acquire, unlock], v)).toBe('R1 must be a rcu pointer');
  });

  test.each(['6.18', '7.2'] as const)('%s: an exit inside a section, an unlock without a lock, sleepable calls inside a section are refused', (v) => {
    expect(verdict([lock], v)).toBe('BPF_EXIT instruction in main prog cannot be used inside bpf_rcu_read_lock-ed region');
    expect(verdict([unlock], v)).toBe('unmatched rcu read unlock (kernel function bpf_rcu_read_unlock)');
    expect(verdict([lock, call('bpf_copy_from_user_str', [buf('b'), imm(16), imm(0), imm(0)]), unlock], v)).toBe('kernel func bpf_copy_from_user_str is sleepable within rcu_read_lock region');
    expect(verdict([lock, call('bpf_copy_from_user', [buf('b'), imm(16), imm(0)]), unlock], v)).toBe('sleepable helper bpf_copy_from_user#148 in rcu_read_lock region');
    // Outside a section the same calls are fine in a sleepable program.
    expect(verdict([call('bpf_copy_from_user', [buf('b'), imm(16), imm(0)], 'n')], v)).toBeNull();
  });

  test('nesting: refused on 6.18; counted on 7.2, where only the outermost unlock ends the section', () => {
    expect(verdict([lock, lock, unlock, unlock], '6.18')).toBe('nested rcu read lock (kernel function bpf_rcu_read_lock)');
    expect(verdict([lock, lock, unlock, unlock], '7.2')).toBeNull();
    expect(verdict([lock, lock, ...walk(), unlock, ...acquire, unlock], '7.2')).toBeNull();
    expect(verdict([lock, lock, ...walk(), unlock, unlock, ...acquire], '7.2')).toBe('R1 must be a rcu pointer');
    expect(verdict([lock, lock, unlock], '7.2')).toBe('BPF_EXIT instruction in main prog cannot be used inside bpf_rcu_read_lock-ed region');
  });

  test('a non-sleepable program is in an RCU section already: a section changes nothing there, and its unlock still makes its RCU pointers untrusted', () => {
    expect(verdict([...walk(), ...acquire], '7.2', 'lsm/file_open')).toBeNull();
    expect(verdict([lock, ...walk(), unlock, ...acquire], '7.2', 'lsm/file_open')).toBe('R1 must be a rcu pointer');
  });
});

describe('bpf_rcu_read_lock sections: at run time', () => {
  test('a sleepable program takes a reference on its task\'s parent inside a section', () => {
    const s = new Session({ version: '7.2' });
    s.createFile({ path: '/bin/sh', content: content.zero(), size: 4096 });
    s.createFile({ path: '/data', content: content.zero(), size: 4096 });
    s.load({
      name: 'o', maps: [], subprogs: [], globals: [{ name: 'ppid', kind: 'u64' }],
      programs: [{ name: 'p', section: 'lsm.s/file_open', body: [
        lock, ...walk(), call('bpf_task_acquire', [r('p')], 'a'), unlock,
        goto('out', when('a', '==', NULL)), field('pp', r('a'), 'pid'), store('ppid', r('pp')), call('bpf_task_release', [r('a')]),
        label('out'), ret(imm(0)),
      ] }],
    });
    const forker = s.spawn({ comm: 'forker', exe: '/bin/sh', script: [{ sys: 'fork', script: [{ sys: 'open', path: '/data', fd: 'd' }, { sys: 'exit' }] }, { sys: 'wait' }, { sys: 'exit' }] });
    s.simulate();
    expect(s.global('ppid')).toBe(BigInt(forker));
    const calls = s.events().filter((e) => e.kind === 'kfunc').map((e) => (e.kind === 'kfunc' ? e.name : ''));
    expect(calls.filter((f) => f.startsWith('bpf_rcu_read_'))).toEqual(['bpf_rcu_read_lock', 'bpf_rcu_read_unlock']);
  });
});
