/**
 * Task references: bpf_task_acquire, bpf_task_release, bpf_task_from_pid, bpf_task_from_vpid, and
 * bpf_copy_from_user_task_str reading another task's memory. Expectations are worked out from the
 * kernel source (7.2.13), not from the model:
 *
 * - kernel/fork.c dup_task_struct: `rcu_users` starts at 2; kernel/exit.c release_task drops one
 *   (put_task_struct_rcu_user) and unhashes the pid (__unhash_process → detach_pid);
 *   kernel/sched/core.c finish_task_switch drops the other on a dead task's last switch.
 * - kernel/bpf/helpers.c: bpf_task_acquire = refcount_inc_not_zero(&p->rcu_users) ? p : NULL;
 *   bpf_task_release = put_task_struct_rcu_user; bpf_task_from_pid = find_task_by_pid_ns(pid,
 *   &init_pid_ns), then bpf_task_acquire; bpf_task_from_vpid the same in current's namespace.
 * - bpf_copy_from_user_task_str: flags other than BPF_F_PAD_ZEROS → -EINVAL; size 0 → 0;
 *   copy_remote_vm_str(tsk, …) (no mm: dst[0] = 0, -EFAULT); an error with BPF_F_PAD_ZEROS zeroes dst;
 *   success pads after the string with the flag; returns the string's length + 1.
 * - The verifier (kernel/bpf/verifier.c check_kfunc_args, check_reference_leak): messages as the
 *   host tier (6.18) and the guest tier (7.2) showed them (conformance kv_task_*, fv_task_*).
 */
import { describe, expect, test } from 'vitest';
import { content, program as P, refSnapshot, Session, verify, type BpfObject, type KernelVersion, type Op } from '../src/index.ts';
import { enc, FILL, hex, want } from './support/fill.ts';

const EXE = '/bin/t';
const PAGE = 0x7ffd_1000n;

function setup(): { s: Session; a: number; b: number } {
  const s = new Session({ sleepable: true });
  s.createFile({ path: EXE, content: content.zero(), size: 4096 });
  const a = s.spawn({ comm: 'a', exe: EXE, script: [] });
  const b = s.spawn({ comm: 'b', exe: EXE, script: [{ sys: 'sleep', ticks: 5 }] });
  s.inTask(a);
  return { s, a, b };
}

const usage = (s: Session, pid: number): number | undefined => refSnapshot(s.world).tasks[pid];

describe('bpf_task_from_pid / bpf_task_from_vpid: find_task_by_pid_ns, then bpf_task_acquire', () => {
  test('a live task is found and its rcu_users rises by one; bpf_task_release drops it', () => {
    const { s, b } = setup();
    expect(s.bpf_task_from_pid(b)).toBe(b);
    expect(usage(s, b)).toBe(1);
    expect(s.bpf_task_from_vpid(b)).toBe(b); // one pid namespace: a vpid is a pid
    expect(usage(s, b)).toBe(2);
    s.bpf_task_release(b);
    s.bpf_task_release(b);
    expect(usage(s, b)).toBe(0);
  });

  test('pids that name no task: 0 (the idle task is not in the pid idr), negative (an s32), one never handed out → NULL', () => {
    const { s, b } = setup();
    expect(s.bpf_task_from_pid(0)).toBeNull();
    expect(s.bpf_task_from_pid(0xffff_ffff)).toBeNull(); // (s32)-1
    expect(s.bpf_task_from_pid(0x8000_0000 + b)).toBeNull(); // negative: not b, though its low bits are
    expect(s.bpf_task_from_pid(b + 1000)).toBeNull();
    expect(s.bpf_task_from_vpid(0)).toBeNull();
    expect(refSnapshot(s.world).tasks).toEqual({ [b - 1]: 0, [b]: 0 });
  });

  test('a zombie (dead, not reaped) is still hashed: found, rcu_users 1 + 1; once reaped its pid is gone: NULL', () => {
    const { s, a, b } = setup();
    s.simulate();
    expect(s.taskState(b)).toBe('dead');
    s.inTask(a);
    expect(s.bpf_task_from_pid(b)).toBe(b);
    s.bpf_task_release(b);
    s.reap(b);
    expect(s.bpf_task_from_pid(b)).toBeNull();
    expect(usage(s, b)).toBe(0);
  });
});

describe('bpf_task_acquire: refcount_inc_not_zero(&p->rcu_users)', () => {
  test('a reaped task whose rcu_users reached 0 cannot be acquired: NULL', () => {
    const { s, a, b } = setup();
    s.simulate();
    s.reap(b);
    s.inTask(a);
    expect(s.bpf_task_acquire(b)).toBeNull();
    expect(usage(s, b)).toBe(0);
  });

  test('a reference taken before the reap keeps rcu_users above 0: another acquire succeeds until the last is released', () => {
    const { s, a, b } = setup();
    expect(s.bpf_task_acquire(b)).toBe(b);
    s.simulate();
    s.reap(b);
    s.inTask(a);
    expect(s.bpf_task_acquire(b)).toBe(b); // rcu_users 1 → 2
    s.bpf_task_release(b);
    s.bpf_task_release(b); // 0: the task_struct goes after a grace period
    expect(s.bpf_task_acquire(b)).toBeNull();
  });

  test('bpf_task_release without a reference is a misuse of the API (a typed error naming the argument and the pid)', () => {
    const { s, b } = setup();
    expect(() => s.bpf_task_release(b)).toThrow(new RegExp(`argument p: expected a task a reference was taken on .*got ${b}$`));
  });
});

describe('bpf_copy_from_user_task_str: copy_remote_vm_str of another task', () => {
  test('reads the memory of tsk, not of current', () => {
    const { s, a, b } = setup();
    s.writeUser(a, PAGE, 'mine\0');
    s.writeUser(b, PAGE, 'other task\0');
    const dst = new Uint8Array(16).fill(FILL);
    // strscpy copies whole words while 8 bytes of room remain: the word holding the NUL ("sk\0" and
    // five more bytes) is stored with the bytes after the NUL zeroed (lib/string.c sized_strscpy).
    expect(s.bpf_copy_from_user_task_str(dst, 16, PAGE, b, 0)).toBe(11);
    expect(hex(dst)).toBe(want('other task', 6));
  });

  test('flags, size 0, a cut string, BPF_F_PAD_ZEROS, no user memory, a kernel thread', () => {
    const { s, b } = setup();
    s.writeUser(b, PAGE, 'hello world\0');
    const dst = new Uint8Array(16).fill(FILL);
    expect(s.bpf_copy_from_user_task_str(dst, 16, PAGE, b, 2)).toBe(-22);
    expect(s.bpf_copy_from_user_task_str(dst, 0, PAGE, b, 0)).toBe(0);
    expect(hex(dst)).toBe(want('', 0));
    // Room for 5: strscpy copies 4 bytes and terminates: 4 + 1.
    expect(s.bpf_copy_from_user_task_str(dst, 5, PAGE, b, 0)).toBe(5);
    expect(hex(dst)).toBe(want('hell', 1));
    expect(s.bpf_copy_from_user_task_str(dst, 16, PAGE, b, 1)).toBe(12);
    expect(hex(dst)).toBe(want('hello world', 5));
    // Nothing mapped: -EFAULT; with the flag all of dst is zeroed.
    dst.fill(FILL);
    expect(s.bpf_copy_from_user_task_str(dst, 16, 0x1000n, b, 1)).toBe(-14);
    expect(hex(dst)).toBe(want('', 16));
    // A kernel thread has no mm: dst[0] = NUL, -EFAULT.
    const k = s.spawn({ comm: 'kthread', script: [] });
    dst.fill(FILL);
    expect(s.bpf_copy_from_user_task_str(dst, 16, PAGE, k, 0)).toBe(-14);
    expect(hex(dst)).toBe(want('', 1));
    expect(hex(enc(''))).toBe('');
  });
});

/** A SEC("syscall") object with `body`, and a global `out`. */
function object(body: Op[], section = 'syscall'): BpfObject {
  return {
    name: 'o', maps: [], subprogs: [], globals: [{ name: 'out', kind: 'bytes', size: 32 }, { name: 'rets', kind: 'u64s', size: 4 }],
    programs: [{ name: 'p', section, body: [...body, P.label('out'), P.ret(P.imm(0))] }],
  };
}
const { call, r, imm, NULL, goto, when, label } = P;
const verdict = (body: Op[], version: KernelVersion, section?: string): string | null => verify(object(body, section), version)[0]?.message ?? null;
const fromPid: Op[] = [call('bpf_task_from_pid', [imm(1)], 't')];
const checked = (rest: Op[]): Op[] => [...fromPid, goto('out', when('t', '==', NULL)), ...rest];

describe('the verifier: references taken must be released, NULL-able ones checked', () => {
  test('a program that releases what it took on every path is accepted', () => {
    expect(verdict(checked([call('bpf_task_release', [r('t')])]), '6.18')).toBeNull();
    expect(verdict(checked([call('bpf_task_acquire', [r('t')], 'u'), goto('rel', when('u', '==', NULL)), call('bpf_task_release', [r('u')]), label('rel'), call('bpf_task_release', [r('t')])]), '7.2')).toBeNull();
  });

  test('a reference still held at exit: Unreleased reference', () => {
    expect(verdict(checked([]), '6.18')).toMatch(/^Unreleased reference id=\d+ alloc_insn=\d+$/);
  });

  test('a NULL-able task passed on: Possibly NULL pointer, spelled per version', () => {
    expect(verdict([...fromPid, call('bpf_task_release', [r('t')])], '6.18')).toBe('Possibly NULL pointer passed to trusted arg0');
    expect(verdict([...fromPid, call('bpf_task_acquire', [r('t')], 'u')], '7.2')).toBe('Possibly NULL pointer passed to trusted R1');
  });

  test('releasing current (trusted, not a reference): 6.x after the arguments, 7.x at R1', () => {
    const body = [call('bpf_get_current_task_btf', [], 'c'), call('bpf_task_release', [r('c')])];
    expect(verdict(body, '6.18')).toBe('release kernel function bpf_task_release expects refcounted PTR_TO_BTF_ID');
    expect(verdict(body, '7.2')).toBe('release kfunc bpf_task_release expects referenced PTR_TO_BTF_ID passed to R1');
  });

  test('a released pointer is a scalar: 6.x classifies the argument first, 7.x looks at the release argument first', () => {
    const twice = checked([call('bpf_task_release', [r('t')]), call('bpf_task_release', [r('t')])]);
    expect(verdict(twice, '6.18')).toBe('arg#0 pointer type STRUCT task_struct must point to scalar, or struct with scalar');
    expect(verdict(twice, '7.2')).toBe('release kfunc bpf_task_release expects referenced PTR_TO_BTF_ID passed to R1');
    // No release kfunc: the catch-all memory argument on both.
    const after = checked([call('bpf_task_release', [r('t')]), call('bpf_task_acquire', [r('t')], 'u')]);
    expect(verdict(after, '7.2')).toBe('R1 pointer type STRUCT task_struct must point to scalar, or struct with scalar');
  });

  test('generic kfuncs are registered for tracing, LSM, tc, XDP, syscall and cgroup programs, not for socket filters or kprobes', () => {
    const body = checked([call('bpf_task_release', [r('t')])]);
    for (const section of ['socket', 'kprobe/do_sys_open']) expect(verdict(body, '6.18', section)).toBe('calling kernel function bpf_task_from_pid is not allowed');
    for (const section of ['tc', 'xdp', 'lsm/file_open', 'cgroup_skb/egress']) expect(verdict(body, '6.18', section)).toBeNull();
  });
});

describe('in a program: the reference taken, used and dropped', () => {
  test('bpf_task_from_pid of another task, bpf_copy_from_user_task_str through it, bpf_task_release: refs at baseline', () => {
    const { s, b } = setup();
    s.writeUser(b, PAGE, 'from b\0');
    s.load(object([
      call('bpf_task_from_pid', [imm(b)], 't'),
      goto('out', when('t', '==', NULL)),
      call('bpf_copy_from_user_task_str', [P.buf('out'), imm(16), imm(PAGE), r('t'), imm(0)], 'n'),
      P.storeAt('rets', 0, r('n')),
      call('bpf_task_release', [r('t')]),
    ]));
    const runner = s.spawn({ comm: 'runner', exe: EXE, script: [{ sys: 'prog_test_run', prog: 'p' }] });
    const before = refSnapshot(s.world);
    s.simulate();
    expect(s.taskResults(runner)).toEqual([0n]); // bpf(BPF_PROG_TEST_RUN)
    expect(s.global('rets')).toEqual(new Uint8Array([7, 0, 0, 0, 0, 0, 0, 0, ...new Array<number>(24).fill(0)]));
    // "from b\0" and the rest of its word zeroed by strscpy; `out` started as zeros anyway.
    expect(hex((s.global('out') as Uint8Array).subarray(0, 16))).toBe(hex(new Uint8Array([...enc('from b'), ...new Array<number>(10).fill(0)])));
    // Every task's rcu_users back where it was (b's reference dropped; b itself ran and died meanwhile).
    expect(refSnapshot(s.world).tasks).toEqual({ ...before.tasks, [runner]: 0 });
  });
});

describe('task->pid and task->tgid read by name (CO-RE; check_ptr_to_btf_access)', () => {
  test('through current and through a reference: the task\'s pid and tgid, sign-extended from pid_t', () => {
    const { s, b } = setup();
    s.load(object([
      call('bpf_get_current_task_btf', [], 'c'),
      P.field('p', r('c'), 'pid'), P.storeAt('rets', 0, r('p')),
      P.field('g', r('c'), 'tgid'), P.storeAt('rets', 1, r('g')),
      call('bpf_task_from_pid', [imm(b)], 't'),
      goto('out', when('t', '==', NULL)),
      P.field('q', r('t'), 'pid'), P.storeAt('rets', 2, r('q')),
      call('bpf_task_release', [r('t')]),
    ]));
    const runner = s.spawn({ comm: 'runner', exe: EXE, script: [{ sys: 'prog_test_run', prog: 'p' }] });
    s.simulate();
    const rets = new DataView((s.global('rets') as Uint8Array).buffer);
    // The runner is its own thread group leader: pid = tgid.
    expect([0, 8, 16].map((o) => rets.getBigUint64(o, true))).toEqual([BigInt(runner), BigInt(runner), BigInt(b)]);
  });

  test('the verifier: a NULL-able or released pointer is refused as check_mem_access refuses it; other bases are the model\'s limit', () => {
    expect(verdict([...fromPid, P.field('x', r('t'), 'pid'), goto('out', when('t', '==', NULL)), call('bpf_task_release', [r('t')])], '6.18')).toBe("R1 invalid mem access 'ptr_or_null_'");
    expect(verdict(checked([call('bpf_task_release', [r('t')]), P.field('x', r('t'), 'pid')]), '6.18')).toBe("R1 invalid mem access 'scalar'");
    expect(verdict([P.field('x', P.addr('out'), 'pid')], '6.18')).toMatch(/the model knows the members of struct task_struct, file and inode only \(model\)$/);
    // The value is an unknown s32: as a size it is refused for being possibly negative.
    expect(verdict([call('bpf_get_current_task_btf', [], 'c'), P.field('n', r('c'), 'pid'), call('bpf_probe_read_kernel', [P.buf('out'), r('n'), P.NULL])], '6.18')).toMatch(/^R2 min value is negative/);
  });

  test('a field the model does not know is a typed error naming it', () => {
    const bad = object([{ op: 'field', dst: 'x', base: r('t'), field: 'comm' } as unknown as Op]);
    expect(() => verify(bad, '6.18')).toThrow(/obj\.programs\[0\]\.body\[0\]\.field: expected "pid" or "tgid" or "real_parent" or "parent" or "group_leader" or "f_inode" or "i_ino" or "i_size", got "comm"/);
  });
});

