/**
 * Task pointers walked by name: `task->real_parent`, `task->parent`, `task->group_leader`. Expected
 * values come from the kernel source (7.2.13), not from the model:
 *
 * - kernel/bpf/verifier.c `check_ptr_to_btf_access`: a pointer loaded from a trusted or RCU task is
 *   an RCU pointer (`rcu_ptr_`, never NULL) in an RCU read section when the member is listed in
 *   `BTF_TYPE_SAFE_RCU(struct task_struct)` (real_parent, group_leader), a plain `ptr_` otherwise
 *   (parent: its `__rcu` is no BTF type tag in a GCC-built kernel); outside an RCU read section (a
 *   sleepable program: `in_rcu_cs`) untrusted; from an untrusted pointer, untrusted.
 * - `check_kfunc_args`, KF_ARG_PTR_TO_BTF_ID: an argument that is no trusted register (neither
 *   referenced nor PTR_TRUSTED) is refused, "R%d must be referenced or trusted", unless the kfunc is
 *   KF_RCU (bpf_task_acquire), which takes an RCU pointer and refuses others: "R%d must be a rcu
 *   pointer".
 * - kernel/fork.c `copy_process`: dup_task_struct copies the parent's task_struct, so during
 *   `security_task_alloc` the new task's group_leader and real_parent are its parent's; after
 *   alloc_pid it leads its own group (`p->group_leader = p`), and under tasklist_lock its real_parent
 *   becomes current — before `trace_task_newtask`.
 */
import { describe, expect, test } from 'vitest';
import { content, NotModelledError, program as P, Session, verify, type BpfObject, type KernelVersion, type Op, type Syscall } from '../src/index.ts';

const { r, imm, NULL, call, ld, field, goto, when, label, ret, store, ctxPtr } = P;
const EXE = '/bin/sh';
const DATA = '/data';

/** Globals `<name>` (u64) each program stores into. */
const globals = (names: readonly string[]): BpfObject['globals'] => names.map((name) => ({ name, kind: 'u64' as const }));

/** A session whose task `forker` forks a child running `child`, then runs `parent` (after the fork). */
function forking(programs: BpfObject['programs'], names: readonly string[], child: readonly Syscall[], parent: readonly Syscall[] = [{ sys: 'wait' }, { sys: 'exit' }]): { s: Session; forker: number } {
  const s = new Session();
  s.createFile({ path: EXE, content: content.zero(), size: 4096 });
  s.createFile({ path: DATA, content: content.zero(), size: 4096 });
  s.load({ name: 'walks', maps: [], subprogs: [], globals: globals(names), programs });
  const forker = s.spawn({ comm: 'forker', exe: EXE, script: [{ sys: 'fork', script: child }, ...parent] });
  return { s, forker };
}

const g = (s: Session, name: string): bigint | undefined => s.global(name) as bigint | undefined;
const childOf = (s: Session, forker: number): number => Number(s.world.tasks.get(forker)?.results[0]);

describe('walking a task at run time: the task each member names', () => {
  test('tp_btf/task_newtask (after alloc_pid and the real_parent assignment): the child leads its group, its parent is the forking task, and bpf_task_acquire takes its real_parent', () => {
    const names = ['rp_pid', 'rp_tgid', 'p_pid', 'gl_pid', 'acquired'];
    const { s, forker } = forking([{
      name: 'newtask', section: 'tp_btf/task_newtask', body: [
        ld('task', 8, ctxPtr, 0),
        field('rp', r('task'), 'real_parent'), field('x', r('rp'), 'pid'), store('rp_pid', r('x')), field('y', r('rp'), 'tgid'), store('rp_tgid', r('y')),
        field('p', r('task'), 'parent'), field('z', r('p'), 'pid'), store('p_pid', r('z')),
        field('gl', r('task'), 'group_leader'), field('w', r('gl'), 'pid'), store('gl_pid', r('w')),
        call('bpf_task_acquire', [r('rp')], 'a'), goto('none', when('a', '==', NULL)), store('acquired', imm(1)), call('bpf_task_release', [r('a')]),
        label('none'), ret(imm(0)),
      ],
    }], names, [{ sys: 'exit' }]);
    s.simulate();
    const child = childOf(s, forker);
    expect(child).toBeGreaterThan(0);
    expect(names.map((n) => g(s, n))).toEqual([BigInt(forker), BigInt(forker), BigInt(forker), BigInt(child), 1n]);
  });

  test('lsm/task_alloc (before alloc_pid): the new task\'s group_leader is still its parent\'s, and its real_parent its parent\'s parent — outside the model for a spawned task', () => {
    const leader = forking([{
      name: 'alloc', section: 'lsm/task_alloc', body: [ld('task', 8, ctxPtr, 0), field('gl', r('task'), 'group_leader'), field('w', r('gl'), 'pid'), store('gl_pid', r('w')), ret(imm(0))],
    }], ['gl_pid'], [{ sys: 'exit' }]);
    leader.s.simulate();
    expect(g(leader.s, 'gl_pid')).toBe(BigInt(leader.forker));

    const parent = forking([{
      name: 'alloc', section: 'lsm/task_alloc', body: [ld('task', 8, ctxPtr, 0), field('rp', r('task'), 'real_parent'), field('w', r('rp'), 'pid'), store('rp_pid', r('w')), ret(imm(0))],
    }], ['rp_pid'], [{ sys: 'exit' }]);
    expect(() => parent.s.simulate()).toThrow(NotModelledError);
    expect(() => parent.s.simulate()).toThrow(/task->real_parent of task \d+ is not modelled: a spawned task's parent is outside the model/);
  });

  test('in the child (lsm/file_open, current): its real_parent is the forker while the forker lives; once the forker has exited, the kernel gave it to a reaper the model lacks', () => {
    const body: Op[] = [
      call('bpf_get_current_task_btf', [], 'c'), field('rp', r('c'), 'real_parent'), field('w', r('rp'), 'tgid'), store('rp_tgid', r('w')),
      field('gl', r('c'), 'group_leader'), field('v', r('gl'), 'pid'), store('gl_pid', r('v')), ret(imm(0)),
    ];
    const open: Syscall[] = [{ sys: 'open', path: DATA, fd: 'd' }, { sys: 'exit' }];
    const alive = forking([{ name: 'open', section: 'lsm/file_open', body }], ['rp_tgid', 'gl_pid'], open);
    alive.s.simulate();
    expect([g(alive.s, 'rp_tgid'), g(alive.s, 'gl_pid')]).toEqual([BigInt(alive.forker), BigInt(childOf(alive.s, alive.forker))]);

    const orphan = forking([{ name: 'open', section: 'lsm/file_open', body }], ['rp_tgid', 'gl_pid'], [{ sys: 'sleep', ticks: 10 }, ...open], [{ sys: 'exit' }]);
    expect(() => orphan.s.simulate()).toThrow(/task->real_parent of task \d+ is not modelled: its parent \d+ has exited/);
  });
});

/** The verifier's first message for `body` in `section` (null: accepted). */
function verdict(section: string, body: Op[], version: KernelVersion = '7.2'): string | null {
  const obj: BpfObject = { name: 'o', maps: [], subprogs: [], globals: [{ name: 'x', kind: 'u64' }], programs: [{ name: 'p', section, body: [...body, label('out'), ret(imm(0))] }] };
  return verify(obj, version)[0]?.message ?? null;
}
const arg: Op[] = [ld('task', 8, ctxPtr, 0)];
const cur: Op[] = [call('bpf_get_current_task_btf', [], 'task')];
/** `bpf_task_acquire(ptr)`, checked and released. */
const acquire = (ptr: string): Op[] => [call('bpf_task_acquire', [r(ptr)], 'a'), goto('out', when('a', '==', NULL)), call('bpf_task_release', [r('a')])];
/** `bpf_get_task_exe_file(ptr)`, checked and put. */
const exeFile = (ptr: string): Op[] => [call('bpf_get_task_exe_file', [r(ptr)], 'f'), goto('out', when('f', '==', NULL)), call('bpf_put_file', [r('f')])];

describe('the verifier: how trusted a walked task pointer is (check_ptr_to_btf_access)', () => {
  test.each(['6.18', '7.2'] as const)('%s: real_parent and group_leader are RCU pointers in a non-sleepable program: bpf_task_acquire (KF_RCU) takes them, walked again too', (v) => {
    expect(verdict('tp_btf/task_newtask', [...arg, field('rp', r('task'), 'real_parent'), ...acquire('rp')], v)).toBeNull();
    expect(verdict('tp_btf/task_newtask', [...arg, field('gl', r('task'), 'group_leader'), field('rp', r('gl'), 'real_parent'), ...acquire('rp')], v)).toBeNull();
    expect(verdict('lsm/file_open', [...cur, field('rp', r('task'), 'real_parent'), field('w', r('rp'), 'pid'), store('x', r('w'))], v)).toBeNull();
  });

  test('an RCU pointer is not trusted: a kfunc without KF_RCU refuses it, and it is not a reference to release', () => {
    expect(verdict('lsm/file_open', [...cur, field('rp', r('task'), 'real_parent'), ...exeFile('rp')])).toBe('R1 must be referenced or trusted');
    expect(verdict('tp_btf/task_newtask', [...arg, field('rp', r('task'), 'real_parent'), call('bpf_task_release', [r('rp')])])).toBe('release kfunc bpf_task_release expects referenced PTR_TO_BTF_ID passed to R1');
  });

  test('parent is in no list: a plain pointer, which even a KF_RCU kfunc refuses; walking a plain pointer stays plain', () => {
    expect(verdict('tp_btf/task_newtask', [...arg, field('p', r('task'), 'parent'), ...acquire('p')])).toBe('R1 must be a rcu pointer');
    expect(verdict('tp_btf/task_newtask', [...arg, field('p', r('task'), 'parent'), field('rp', r('p'), 'real_parent'), ...acquire('rp')])).toBe('R1 must be a rcu pointer');
    // A plain pointer can still be read through (its pid).
    expect(verdict('tp_btf/task_newtask', [...arg, field('p', r('task'), 'parent'), field('w', r('p'), 'pid'), store('x', r('w'))])).toBeNull();
  });

  test('a sleepable program is outside an RCU read section: every walked pointer is untrusted', () => {
    expect(verdict('lsm.s/file_open', [...cur, field('rp', r('task'), 'real_parent'), ...acquire('rp')])).toBe('R1 must be a rcu pointer');
    expect(verdict('lsm.s/file_open', [...cur, field('p', r('task'), 'parent'), ...exeFile('p')])).toBe('R1 must be referenced or trusted');
    expect(verdict('lsm.s/file_open', [...cur, field('gl', r('task'), 'group_leader'), field('w', r('gl'), 'tgid'), store('x', r('w'))])).toBeNull();
  });

  test('from an untrusted task (lsm/task_free), walked pointers are untrusted too', () => {
    expect(verdict('lsm/task_free', [...arg, field('gl', r('task'), 'group_leader'), ...acquire('gl')])).toBe('R1 must be a rcu pointer');
  });

  test('a walked pointer is never NULL-able, so its members load without a check; a NULL-able base is refused', () => {
    expect(verdict('lsm/file_open', [call('bpf_task_from_pid', [imm(1)], 't'), field('rp', r('t'), 'real_parent'), goto('out', when('t', '==', NULL)), call('bpf_task_release', [r('t')])]))
      .toBe("R1 invalid mem access 'ptr_or_null_'");
  });
});

describe('a file\'s inode (struct file f_inode, struct inode i_ino and i_size)', () => {
  // kernel/bpf/verifier.c: BTF_TYPE_SAFE_TRUSTED(struct file) { struct inode *f_inode; } — trusted
  // whenever the file is, in a sleepable program too; i_ino is an unsigned long, i_size a loff_t.
  const fileBody = (section: string): BpfObject => ({
    name: 'o', maps: [], subprogs: [], globals: ['size', 'same', 'other', 'exe_size'].map((name) => ({ name, kind: 'u64' as const })),
    programs: [{ name: 'p', section, body: [
      P.mov('f', P.ctxFile), field('i', r('f'), 'f_inode'), field('sz', r('i'), 'i_size'), store('size', r('sz')),
      field('ino', r('i'), 'i_ino'), field('i2', r('f'), 'f_inode'), field('ino2', r('i2'), 'i_ino'),
      P.mov('eq', imm(0)), goto('ne', when('ino', '!=', r('ino2'))), P.mov('eq', imm(1)), label('ne'), store('same', r('eq')),
      call('bpf_get_current_task_btf', [], 'cur'), call('bpf_get_task_exe_file', [r('cur')], 'exe'), goto('out', when('exe', '==', NULL)),
      field('ei', r('exe'), 'f_inode'), field('eino', r('ei'), 'i_ino'), field('esz', r('ei'), 'i_size'), store('exe_size', r('esz')),
      P.mov('df', imm(0)), goto('eqi', when('eino', '==', r('ino'))), P.mov('df', imm(1)), label('eqi'), store('other', r('df')),
      call('bpf_put_file', [r('exe')]),
      label('out'), ret(imm(0)),
    ] }],
  });

  test.each(['lsm/file_open', 'lsm.s/file_open'])('%s: the opened file\'s inode (its size, the same number twice) and the executable\'s (another inode, its size)', (section) => {
    const s = new Session({ version: '7.2' });
    s.createFile({ path: EXE, content: content.zero(), size: 8192 });
    s.createFile({ path: DATA, content: content.zero(), size: 12345 });
    s.load(fileBody(section));
    s.spawn({ comm: 'app', exe: EXE, script: [{ sys: 'open', path: DATA, fd: 'd' }, { sys: 'exit' }] });
    s.simulate();
    expect(['size', 'same', 'other', 'exe_size'].map((v) => g(s, v))).toEqual([12345n, 1n, 1n, 8192n]);
  });

  test('the verifier: f_inode is trusted (sleepable or not); through a released file it is a scalar; members of another structure are the model\'s limit', () => {
    expect(verdict('lsm.s/file_open', [P.mov('f', P.ctxFile), field('i', r('f'), 'f_inode'), field('n', r('i'), 'i_ino'), store('x', r('n'))])).toBeNull();
    expect(verdict('lsm/file_open', [
      call('bpf_get_current_task_btf', [], 'cur'), call('bpf_get_task_exe_file', [r('cur')], 'exe'), goto('out', when('exe', '==', NULL)),
      call('bpf_put_file', [r('exe')]), field('i', r('exe'), 'f_inode'),
    ])).toBe("R1 invalid mem access 'scalar'");
    expect(verdict('lsm/file_open', [P.mov('f', P.ctxFile), field('x', r('f'), 'pid')])).toMatch(/->pid of a struct file pointer: not a member of struct file the model knows \(model\)$/);
    expect(verdict('lsm/file_open', [call('bpf_get_current_task_btf', [], 'cur'), field('x', r('cur'), 'f_inode')])).toMatch(/not a member of struct task_struct the model knows \(model\)$/);
    // An inode is no task: process_kf_arg_ptr_to_btf_id, spelled per version.
    const acquireInode: Op[] = [P.mov('f', P.ctxFile), field('i', r('f'), 'f_inode'), call('bpf_task_acquire', [r('i')], 'a'), goto('out', when('a', '==', NULL)), call('bpf_task_release', [r('a')])];
    expect(verdict('lsm/file_open', acquireInode, '7.2')).toBe('kernel function bpf_task_acquire R1 expected pointer to STRUCT task_struct but R1 has a pointer to STRUCT inode');
    expect(verdict('lsm/file_open', acquireInode, '6.19')).toBe('kernel function bpf_task_acquire args#0 expected pointer to STRUCT task_struct but R1 has a pointer to STRUCT inode');
  });
});
