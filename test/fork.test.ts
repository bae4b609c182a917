/**
 * fork() and the programs it runs. Expectations are worked out from the kernel source (7.2.13), not
 * from the model:
 *
 * - kernel/fork.c copy_process: dup_task_struct copies the parent's task_struct (pid and tgid
 *   included) with rcu_users 2; security_task_alloc (lsm/task_alloc, in the parent) comes before
 *   alloc_pid, which gives the task its pid and tgid; attach_pid (the pid is found from here on) comes
 *   before trace_task_newtask (tp_btf/task_newtask, in the parent); wake_up_new_task then.
 * - copy_files: the child's table names the same files, one reference more each; copy_mm (dup_mm):
 *   the new mm holds the same executable, one reference more.
 * - security/security.c security_task_alloc: call_int_hook stops at the first error, and on an error
 *   calls security_task_free (lsm/task_free) on the new task; copy_process frees it and fork returns
 *   the error. BPF LSM programs run from a trampoline, newest first (kernel/bpf/trampoline.c links each
 *   at the head of the hook's list; the 7.2 guest tier's fk_deny case shows it).
 * - kernel/exit.c do_wait: children in fork order (copy_process adds each at the tail of `children`),
 *   the first zombie reaped (release_task: unhashed, rcu_users - 1), its pid returned; none left:
 *   -ECHILD; otherwise TASK_INTERRUPTIBLE until __wake_up_parent, and a pending signal
 *   (signal_pending includes TIF_NOTIFY_SIGNAL) -ERESTARTSYS, restarted after the return to user mode.
 * - The clone syscall takes the exit signal out of the flags (kernel_clone_args.flags = clone_flags &
 *   ~CSIGNAL); glibc's fork passes CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD, so the hooks
 *   see 0x01200000.
 */
import { describe, expect, test } from 'vitest';
import { taskWorkAdd } from '../src/task_work/queue.ts';
import { runQueueOf } from '../src/model/world/world.ts';
import { ArgumentError, content, program as P, refSnapshot, Session, type BpfObject, type Op, type Syscall } from '../src/index.ts';

const { r, imm, NULL, call, ld, field, goto, when, label, ret, store, alu, ctxPtr } = P;
const EXE = '/bin/sh';
const DATA = '/data';
/** CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID. */
const GLIBC_FORK_FLAGS = 0x0100_0000n | 0x0020_0000n;
const EPERM = 1n;

/** `cur = bpf_get_current_pid_tgid() >> 32`. */
const currentPid = (dst: string): Op[] => [call('bpf_get_current_pid_tgid', [], dst), alu('rsh', dst, imm(32))];

/**
 * A program of `section` that records, about its task argument: current's pid, task->pid, task->tgid,
 * and (`full`: a trusted task and a clone_flags argument) clone_flags and whether bpf_task_acquire and
 * bpf_task_from_pid(task->pid) succeed; it returns `rv`.
 */
function recorder(name: string, section: string, rv = 0, full = true): BpfObject['programs'][number] {
  return {
    name, section, body: [
      ld('task', 8, ctxPtr, 0),
      ...currentPid('cur'), store(`${name}_cur`, r('cur')),
      field('tpid', r('task'), 'pid'), store(`${name}_pid`, r('tpid')),
      field('ttgid', r('task'), 'tgid'), store(`${name}_tgid`, r('ttgid')),
      ...(full ? [
        ld('flags', 8, ctxPtr, 8), store(`${name}_flags`, r('flags')),
        call('bpf_task_acquire', [r('task')], 'acq'), goto('no_acq', when('acq', '==', NULL)), store(`${name}_acquired`, imm(1)), call('bpf_task_release', [r('acq')]),
        label('no_acq'),
        call('bpf_task_from_pid', [r('tpid')], 'found'), goto('no_found', when('found', '==', NULL)),
        field('fpid', r('found'), 'pid'), store(`${name}_found`, r('fpid')), call('bpf_task_release', [r('found')]),
        label('no_found'),
      ] : []),
      ret(imm(rv)),
    ],
  };
}

const GLOBALS = (names: readonly string[]): BpfObject['globals'] =>
  names.flatMap((n) => ['cur', 'pid', 'tgid', 'flags', 'acquired', 'found'].map((f) => ({ name: `${n}_${f}`, kind: 'u64' as const })));

function world(programs: BpfObject['programs'], names: readonly string[], child: readonly Syscall[] = [{ sys: 'exit' }]): { s: Session; parent: number } {
  const s = new Session();
  s.createFile({ path: EXE, content: content.zero(), size: 4096 });
  s.createFile({ path: DATA, content: content.zero(), size: 4096 });
  s.load({ name: 'fork_hooks', maps: [], subprogs: [], globals: GLOBALS(names), programs });
  const parent = s.spawn({ comm: 'forker', exe: EXE, script: [{ sys: 'open', path: DATA, fd: 'd' }, { sys: 'fork', script: child }, { sys: 'sleep', ticks: 5 }, { sys: 'exit' }] });
  return { s, parent };
}

const g = (s: Session, name: string): bigint | undefined => s.global(name) as bigint | undefined;

describe('fork: copy_process as glibc fork() calls it', () => {
  test('the parent gets the child pid; the child is its own process (pid = tgid), of the parent, with its comm, and runs its script', () => {
    const { s, parent } = world([], [], [{ sys: 'sleep', ticks: 1 }, { sys: 'exit' }]);
    s.simulate();
    const child = Number(s.world.tasks.get(parent)?.results[1]);
    expect(child).toBeGreaterThan(parent);
    const c = s.world.tasks.get(child);
    expect(c?.parent).toBe(parent);
    expect(c?.tgid).toBe(child);
    expect(c?.comm).toBe('forker');
    expect(c?.results).toEqual([0n]); // its sleep returned 0 (exit has no result)
    expect(c?.state).toBe('dead');
    expect(c?.reaped).toBe(false); // nobody waited for it: a zombie
  });

  test('copy_files and copy_mm take one reference on each open file and on the executable; the child gives them back when it exits', () => {
    const { s, parent } = world([], [], [{ sys: 'sleep', ticks: 2 }, { sys: 'exit' }]);
    const exe = s.world.tasks.get(parent)?.mm?.exe_file as number;
    // Step until fork has returned in the parent.
    for (let i = 0; i < 50 && (s.world.tasks.get(parent)?.results.length ?? 0) < 2; i += 1) s.step();
    const child = Number(s.world.tasks.get(parent)?.results[1]);
    const data = s.world.tasks.get(parent)?.fds.get('d') as number;
    expect(s.world.tasks.get(child)?.state).toBe('runnable');
    expect(refSnapshot(s.world).files[exe]).toBe(2);
    expect(refSnapshot(s.world).files[data]).toBe(2);
    expect(s.world.tasks.get(child)?.fds.get('d')).toBe(data);
    expect(s.world.tasks.get(child)?.mm?.exe_file).toBe(exe);
    s.simulate();
    // Both exited: every reference is back (the files are freed).
    expect(refSnapshot(s.world).files[exe]).toBe(0);
    expect(refSnapshot(s.world).files[data]).toBe(0);
  });

  test('tp_btf/task_newtask runs once, in the parent, on the child: its own pid and tgid, found by pid, clone_flags of glibc fork', () => {
    const { s, parent } = world([recorder('nt', 'tp_btf/task_newtask')], ['nt']);
    s.simulate();
    const child = s.world.tasks.get(parent)?.results[1] as bigint;
    expect(g(s, 'nt_cur')).toBe(BigInt(parent));
    expect(g(s, 'nt_pid')).toBe(child);
    expect(g(s, 'nt_tgid')).toBe(child);
    expect(g(s, 'nt_flags')).toBe(GLIBC_FORK_FLAGS);
    expect(g(s, 'nt_acquired')).toBe(1n);
    expect(g(s, 'nt_found')).toBe(child); // attach_pid came first
    expect(s.events().filter((e) => e.kind === 'prog' && e.op === 'enter' && e.name === 'nt')).toHaveLength(1);
    expect(refSnapshot(s.world).tasks).toEqual({ [parent]: 0, [Number(child)]: 0 });
  });

  test('lsm/task_alloc runs before alloc_pid: the new task still holds its parent pid and tgid, so a lookup of that pid finds the parent', () => {
    const { s, parent } = world([recorder('ta', 'lsm/task_alloc')], ['ta']);
    s.simulate();
    expect(s.world.tasks.get(parent)?.results[1]).toBeGreaterThan(0n);
    expect(g(s, 'ta_cur')).toBe(BigInt(parent));
    expect(g(s, 'ta_pid')).toBe(BigInt(parent));
    expect(g(s, 'ta_tgid')).toBe(BigInt(parent));
    expect(g(s, 'ta_flags')).toBe(GLIBC_FORK_FLAGS);
    expect(g(s, 'ta_acquired')).toBe(1n); // rcu_users is 2 from dup_task_struct
    expect(g(s, 'ta_found')).toBe(BigInt(parent));
  });

  test('an lsm/task_alloc error fails the fork: lsm/task_free runs on the new task in the parent, no task_newtask, no child, no reference taken', () => {
    const deny = recorder('ta', 'lsm/task_alloc', -1);
    const second = recorder('tb', 'lsm/task_alloc');
    // Attached second, `deny` runs first; `second` then does not run.
    const { s, parent } = world([second, deny, recorder('tf', 'lsm/task_free', 0, false), recorder('nt', 'tp_btf/task_newtask')], ['ta', 'tb', 'tf', 'nt']);
    const exe = s.world.tasks.get(parent)?.mm?.exe_file as number;
    for (let i = 0; i < 50 && (s.world.tasks.get(parent)?.results.length ?? 0) < 2; i += 1) s.step();
    expect(s.world.tasks.get(parent)?.results[1]).toBe(-EPERM);
    expect([...s.world.tasks.keys()]).toEqual([parent]);
    // The run queue's index of children (what wait walks) has no child for it either.
    expect([...runQueueOf(s.world).childrenOf(parent)]).toEqual([]);
    const data = s.world.tasks.get(parent)?.fds.get('d') as number;
    expect(refSnapshot(s.world).files[exe]).toBe(1);
    expect(refSnapshot(s.world).files[data]).toBe(1);
    // call_int_hook stopped at the first error.
    expect(g(s, 'ta_cur')).toBe(BigInt(parent));
    expect(g(s, 'tb_cur')).toBe(0n);
    // security_task_free, from security_task_alloc, in the parent, on the task still holding the parent's pid.
    expect(g(s, 'tf_cur')).toBe(BigInt(parent));
    expect(g(s, 'tf_pid')).toBe(BigInt(parent));
    expect(g(s, 'nt_cur')).toBe(0n);
  });

  test('LSM programs on one hook run newest first: the one attached last runs before an earlier one refuses', () => {
    const { s, parent } = world([recorder('ta', 'lsm/task_alloc', -1), recorder('tb', 'lsm/task_alloc')], ['ta', 'tb']);
    s.simulate();
    expect(s.world.tasks.get(parent)?.results[1]).toBe(-EPERM);
    expect(g(s, 'tb_cur')).toBe(BigInt(parent));
    expect(g(s, 'ta_cur')).toBe(BigInt(parent));
  });

  test('a task_newtask program that returns non-zero changes nothing (a tracepoint)', () => {
    const { s, parent } = world([recorder('nt', 'tp_btf/task_newtask', 7)], ['nt']);
    s.simulate();
    const child = s.world.tasks.get(parent)?.results[1] as bigint;
    expect(child).toBeGreaterThan(0n);
    expect(s.world.tasks.get(Number(child))?.state).toBe('dead');
  });

  test('forks nest: in lsm/task_alloc a grandchild still holds its parent\'s members (pid, real_parent: the forker), in task_newtask its own', () => {
    const s = new Session();
    s.createFile({ path: EXE, content: content.zero(), size: 4096 });
    // Each program records, for the fork whose task->pid is not the first forker's: task->pid and task->real_parent->pid.
    const rec = (name: string, section: string): BpfObject['programs'][number] => ({
      name, section, body: [
        ld('task', 8, ctxPtr, 0), field('tp', r('task'), 'pid'), ld('first', 8, P.addr('forker'), 0), goto('out', when('tp', '==', r('first'))),
        store(`${name}_pid`, r('tp')), field('rp', r('task'), 'real_parent'), field('rpp', r('rp'), 'pid'), store(`${name}_ppid`, r('rpp')),
        label('out'), ret(imm(0)),
      ],
    });
    s.load({ name: 'nest', maps: [], subprogs: [], globals: ['forker', 'a_pid', 'a_ppid', 'n_pid', 'n_ppid'].map((name) => ({ name, kind: 'u64' as const })), programs: [rec('a', 'lsm/task_alloc'), rec('n', 'tp_btf/task_newtask')] });
    // The first fork (by the spawned task, whose own parent is outside the model) is skipped by pid.
    const top = s.spawn({ comm: 'sh', exe: EXE, script: [{ sys: 'set_global', global: 'forker', value: 'pid' }, { sys: 'fork', script: [{ sys: 'fork', script: [{ sys: 'exit' }] }, { sys: 'wait' }] }, { sys: 'wait' }] });
    s.simulate();
    const child = Number(s.world.tasks.get(top)?.results[1]);
    const grandchild = Number(s.world.tasks.get(child)?.results[0]);
    expect(grandchild).toBeGreaterThan(child);
    expect(['a_pid', 'a_ppid', 'n_pid', 'n_ppid'].map((v) => g(s, v))).toEqual([BigInt(child), BigInt(top), BigInt(grandchild), BigInt(child)]);
    expect(s.world.tasks.get(grandchild)?.parent).toBe(child);
  });

  test('how deep forks nest is bounded by a document\'s depth (LIMITS.depth): past it the script is refused with the place named', () => {
    let script: Syscall[] = [{ sys: 'exit' }];
    for (let i = 0; i < 20; i += 1) script = [{ sys: 'fork', script }];
    expect(() => new Session().spawn({ comm: 'x', script })).toThrow(ArgumentError);
    expect(() => new Session().spawn({ comm: 'x', script })).toThrow(/task\.script\[0\](\.script\[0\])+/);
  });
});

describe('wait: wait4(-1) reaps the children (kernel/exit.c do_wait)', () => {
  const session = (): Session => {
    const s = new Session();
    s.createFile({ path: EXE, content: content.zero(), size: 4096 });
    return s;
  };

  test('the parent sleeps until its child exits, then reaps it: its pid back, no longer found by pid', () => {
    const s = session();
    const parent = s.spawn({ comm: 'p', exe: EXE, script: [{ sys: 'fork', script: [{ sys: 'sleep', ticks: 10 }] }, { sys: 'wait' }, { sys: 'wait' }] });
    for (let i = 0; i < 50 && s.world.tasks.get(parent)?.state !== 'interruptible'; i += 1) s.step();
    expect(s.world.tasks.get(parent)?.wait).toEqual({ kind: 'child' });
    s.simulate();
    const [child, reaped, none] = s.world.tasks.get(parent)?.results ?? [];
    expect(reaped).toBe(child);
    expect(none).toBe(-10n); // -ECHILD: no child left
    expect(s.world.tasks.get(Number(child))?.reaped).toBe(true);
    s.inTask(null);
    expect(s.bpf_task_from_pid(Number(child))).toBeNull();
  });

  test('children are reaped oldest first; a child already dead is reaped at once; a task without children gets -ECHILD', () => {
    const s = session();
    const parent = s.spawn({ comm: 'p', exe: EXE, script: [
      { sys: 'fork', script: [{ sys: 'sleep', ticks: 20 }] }, { sys: 'fork', script: [{ sys: 'wait' }] }, { sys: 'sleep', ticks: 50 },
      { sys: 'wait' }, { sys: 'wait' },
    ] });
    s.simulate();
    const r = s.world.tasks.get(parent)?.results ?? [];
    expect([r[3], r[4]]).toEqual([r[0], r[1]]);
    expect(s.world.tasks.get(Number(r[1]))?.results).toEqual([-10n]); // the second child has no child
  });

  test('TIF_NOTIFY_SIGNAL breaks the wait: the task_work runs on the way out and the wait starts again', () => {
    const s = session();
    const parent = s.spawn({ comm: 'p', exe: EXE, script: [{ sys: 'fork', script: [{ sys: 'sleep', ticks: 10 }] }, { sys: 'wait' }] });
    for (let i = 0; i < 50 && s.world.tasks.get(parent)?.state !== 'interruptible'; i += 1) s.step();
    s.run((k) => taskWorkAdd(k, parent, { kind: 'note', label: 'sig' }, 'TWA_SIGNAL'));
    expect(s.world.tasks.get(parent)?.state).toBe('runnable');
    s.simulate();
    const ev = s.events();
    const restart = ev.findIndex((e) => e.kind === 'syscall' && e.op === 'restart' && e.pid === parent);
    const ran = ev.findIndex((e) => e.kind === 'task_work' && e.op === 'run' && e.pid === parent);
    expect(restart).toBeGreaterThan(-1);
    expect(ran).toBeGreaterThan(restart);
    const [child, reaped] = s.world.tasks.get(parent)?.results ?? [];
    expect(reaped).toBe(child);
  });
});

describe('the order programs on one hook run in (kernel/bpf/trampoline.c; tracepoints)', () => {
  // Each program takes the next rank from a counter and stores it: the order they ran in.
  const ranked = (name: string, section: string): BpfObject['programs'][number] => ({
    name, section, body: [
      ...currentPid('cur'), P.mov('want', P.glob('pid')), goto('out', when('cur', '!=', r('want'))),
      P.mov('k', P.glob('n')), alu('add', 'k', imm(1)), store('n', r('k')), store(`${name}_rank`, r('k')),
      label('out'), ret(imm(0)),
    ],
  });
  const ranks = (sections: readonly string[], script: Syscall[]): bigint[] => {
    const s = new Session();
    s.createFile({ path: EXE, content: content.zero(), size: 4096 });
    const names = sections.map((_, i) => `p${i}`);
    s.load({
      name: 'order', maps: [], subprogs: [], programs: sections.map((sec, i) => ranked(names[i] as string, sec)),
      globals: [{ name: 'pid', kind: 'int' }, { name: 'n', kind: 'u64' }, ...names.map((n) => ({ name: `${n}_rank`, kind: 'u64' as const }))],
    });
    s.spawn({ comm: 't', exe: EXE, script: [{ sys: 'set_global', global: 'pid', value: 'pid' }, ...script] });
    s.simulate();
    return names.map((n) => s.global(`${n}_rank`) as bigint);
  };

  test('fentry programs run newest first (the guest tier: ho_fentry)', () => {
    expect(ranks(['fentry/__x64_sys_nanosleep', 'fentry/__x64_sys_nanosleep'], [{ sys: 'sleep', ticks: 1 }])).toEqual([2n, 1n]);
  });

  test('tracepoint programs run in attach order, tp and tp_btf (the host tier: hk_tp_order, hk_tpbtf_order)', () => {
    expect(ranks(['tp/syscalls/sys_enter_nanosleep', 'tp/syscalls/sys_enter_nanosleep'], [{ sys: 'sleep', ticks: 1 }])).toEqual([1n, 2n]);
    expect(ranks(['tp_btf/task_newtask', 'tp_btf/task_newtask'], [{ sys: 'fork', script: [] }])).toEqual([1n, 2n]);
  });

  test('the sys_enter tracepoint runs before the handler\'s fentry, whatever the attach order (the guest tier: ho_enter_first)', () => {
    expect(ranks(['fentry/__x64_sys_nanosleep', 'tp/syscalls/sys_enter_nanosleep'], [{ sys: 'sleep', ticks: 1 }])).toEqual([2n, 1n]);
  });
});

describe('the sched tracepoints of a process\'s life: sched_process_fork and sched_process_exit', () => {
  // kernel/fork.c kernel_clone: copy_process (task_newtask inside it), then trace_sched_process_fork(current, p),
  // then wake_up_new_task. kernel/exit.c do_exit: exit_signals (PF_EXITING), trace_sched_process_exit(tsk,
  // group_dead), then exit_mm, exit_files, exit_task_work, exit_notify.
  const rank = (name: string, extra: Op[]): BpfObject['programs'][number]['body'] => [
    ld('n', 8, P.addr('counter'), 0), alu('add', 'n', imm(1)), P.st(8, P.addr('counter'), 0, r('n')), store(`${name}_rank`, r('n')), ...extra, ret(imm(0)),
  ];

  test('sched_process_fork runs in the parent after task_newtask, with the parent and the new task (its own pid, found by pid)', () => {
    const s = new Session();
    s.createFile({ path: EXE, content: content.zero(), size: 4096 });
    s.load({
      name: 'sched', maps: [], subprogs: [],
      globals: ['counter', 'nt_rank', 'pf_rank', 'pf_cur', 'pf_parent', 'pf_child', 'pf_found', 'pf_child_parent'].map((name) => ({ name, kind: 'u64' as const })),
      programs: [
        { name: 'pf', section: 'tp_btf/sched_process_fork', body: rank('pf', [
          ...currentPid('cur'), store('pf_cur', r('cur')),
          ld('parent', 8, ctxPtr, 0), field('pp', r('parent'), 'pid'), store('pf_parent', r('pp')),
          ld('child', 8, ctxPtr, 8), field('cp', r('child'), 'pid'), store('pf_child', r('cp')),
          field('cr', r('child'), 'real_parent'), field('crp', r('cr'), 'pid'), store('pf_child_parent', r('crp')),
          call('bpf_task_from_pid', [r('cp')], 'found'), goto('none', when('found', '==', NULL)), store('pf_found', imm(1)), call('bpf_task_release', [r('found')]), label('none'),
        ]) },
        { name: 'nt', section: 'tp_btf/task_newtask', body: rank('nt', []) },
      ],
    });
    const parent = s.spawn({ comm: 'forker', exe: EXE, script: [{ sys: 'fork', script: [{ sys: 'exit' }] }, { sys: 'wait' }, { sys: 'exit' }] });
    s.simulate();
    const child = s.world.tasks.get(parent)?.results[0];
    expect(child).toBeGreaterThan(BigInt(parent));
    expect([g(s, 'nt_rank'), g(s, 'pf_rank')]).toEqual([1n, 2n]);
    expect([g(s, 'pf_cur'), g(s, 'pf_parent'), g(s, 'pf_child'), g(s, 'pf_child_parent'), g(s, 'pf_found')]).toEqual([BigInt(parent), BigInt(parent), child, BigInt(parent), 1n]);
  });

  test('sched_process_exit runs in each exiting task, group_dead true, before exit_mm (its user memory still readable)', () => {
    const ADDR = 0x7000_0000n;
    const s = new Session();
    s.createFile({ path: EXE, content: content.zero(), size: 4096 });
    const bump = (v: string): Op[] => [ld('n', 8, P.addr(v), 0), alu('add', 'n', imm(1)), P.st(8, P.addr(v), 0, r('n'))];
    s.load({
      name: 'sched', maps: [], subprogs: [],
      globals: [...['runs', 'not_current', 'not_dead', 'unreadable'].map((name) => ({ name, kind: 'u64' as const })), { name: 'word', kind: 'bytes' as const, size: 8 }],
      programs: [{ name: 'pe', section: 'tp_btf/sched_process_exit', body: [
        ...bump('runs'),
        ld('task', 8, ctxPtr, 0), field('tp', r('task'), 'pid'), ...currentPid('cur'),
        goto('same', when('cur', '==', r('tp'))), ...bump('not_current'), label('same'),
        ld('dead', 8, ctxPtr, 8), goto('dead', when('dead', '==', imm(1))), ...bump('not_dead'), label('dead'),
        call('bpf_probe_read_user', [P.buf('word'), imm(8), imm(Number(ADDR))], 'rd'), goto('read', when('rd', '==', imm(0))), ...bump('unreadable'), label('read'),
        ret(imm(0)),
      ] }],
    });
    s.spawn({ comm: 'forker', exe: EXE, script: [{ sys: 'user_write', addr: ADDR, text: 'exiting!' }, { sys: 'fork', script: [{ sys: 'exit' }] }, { sys: 'wait' }, { sys: 'exit' }] });
    s.simulate();
    // The child (its memory a copy of its parent's) and the parent.
    expect(['runs', 'not_current', 'not_dead', 'unreadable'].map((v) => g(s, v))).toEqual([2n, 0n, 0n, 0n]);
    expect(new TextDecoder().decode(s.global('word') as Uint8Array)).toBe('exiting!');
  });
});
