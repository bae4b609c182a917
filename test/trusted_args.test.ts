/**
 * NULL pointer arguments of kfuncs, and which program types share a kfunc set. Expected values come
 * from kernel/bpf/verifier.c `check_kfunc_args` (6.18: a NULL pointer argument of a kfunc flagged
 * KF_TRUSTED_ARGS, of a release kfunc or a KF_RCU one is "Possibly NULL pointer passed to trusted
 * arg<i>", -EACCES, before the argument's type is looked at; 7.2.13: every kfunc, "… trusted R<n>";
 * before 7.0 a NULL struct pointer of any other kfunc is taken for memory: "arg#<i> pointer type STRUCT
 * <name> must point to scalar, or struct with scalar", -EINVAL) and kernel/bpf/btf.c
 * `bpf_prog_type_to_kfunc_hook` (LSM programs share TRACING's kfunc hook). The tiers' cases `pt_*`
 * (6.18.44) and `fpt_*` (7.2) are the same calls.
 */
import { describe, expect, test } from 'vitest';
import { program as P, Session, verify, type BpfObject, type KernelVersion } from '../src/index.ts';
import { kfuncAllowedIn } from '../src/model/kfunc/hooks.ts';

const EACCES = -13;
const EINVAL = -22;

/** A program of `section` calling `fn` with NULL for each of its `n` arguments. */
const nullCall = (fn: string, n: number, section: string): BpfObject => ({
  name: 'n', maps: [], globals: [], subprogs: [],
  programs: [{ name: 'p', section, locals: [], body: [P.call(fn, Array.from({ length: n }, () => P.NULL)), P.ret(P.imm(0))] }],
});
const verdict = (o: BpfObject, v: KernelVersion) => verify(o, v)[0];

describe('a NULL pointer argument of a kfunc', () => {
  test('6.18: a KF_TRUSTED_ARGS kfunc refuses it before the argument\'s type (a dynptr here)', () => {
    expect(verdict(nullCall('bpf_copy_from_user_task_dynptr', 5, 'syscall'), '6.18')).toMatchObject({ ok: false, message: 'Possibly NULL pointer passed to trusted arg0', errno: EACCES });
  });

  test('6.18: a release kfunc\'s arguments are trusted too', () => {
    expect(verdict(nullCall('bpf_task_release', 1, 'syscall'), '6.18')).toMatchObject({ ok: false, message: 'Possibly NULL pointer passed to trusted arg0', errno: EACCES });
  });

  test('6.18: another kfunc takes a NULL struct pointer for memory, which a task_struct cannot be', () => {
    expect(verdict(nullCall('bpf_copy_from_user_task_str', 5, 'syscall'), '6.18')).toMatchObject({ ok: false, message: 'arg#3 pointer type STRUCT task_struct must point to scalar, or struct with scalar', errno: EINVAL });
  });

  test('7.2: every kfunc is trusted, so the first NULL pointer is refused', () => {
    expect(verdict(nullCall('bpf_copy_from_user_task_str', 5, 'lsm.s/file_open'), '7.2')).toMatchObject({ ok: false, message: 'Possibly NULL pointer passed to trusted R1', errno: EACCES });
    // On 6.18 the same call with a NULL buffer of size 0 and no task is accepted, and runs.
    const s = new Session({ version: '6.18' });
    s.load(nullCall('bpf_copy_from_user_str', 4, 'syscall'));
    expect(s.progTestRun('p').retval).toBe(0);
    expect(verdict(nullCall('bpf_copy_from_user_str', 4, 'lsm.s/file_open'), '7.2')?.message).toBe('Possibly NULL pointer passed to trusted R1');
  });
});

describe('kfunc hooks: program types that share a kfunc set', () => {
  test('an LSM program may call a kfunc registered for TRACING (bpf_dynptr_from_skb), not one registered for XDP', () => {
    expect(verdict(nullCall('bpf_dynptr_from_skb', 3, 'lsm.s/file_open'), '7.2')?.message).toBe('Possibly NULL pointer passed to trusted R1');
    expect(verdict(nullCall('bpf_dynptr_from_xdp', 3, 'lsm.s/file_open'), '7.2')?.message).toBe('calling kernel function bpf_dynptr_from_xdp is not allowed');
  });

  test('the hooks of btf.c: TRACING with LSM, PERF_EVENT, TRACEPOINT and RAW_TRACEPOINT; the cgroup types together; no hook, no sharing', () => {
    expect(['LSM', 'PERF_EVENT', 'TRACEPOINT', 'RAW_TRACEPOINT', 'TRACING'].every((t) => kfuncAllowedIn(['TRACING'], t))).toBe(true);
    expect(kfuncAllowedIn(['SCHED_CLS'], 'LSM')).toBe(false);
    expect(kfuncAllowedIn(['CGROUP_SKB'], 'SOCK_OPS')).toBe(true);
    expect(kfuncAllowedIn(['SYSCALL'], 'EXT')).toBe(false);
    expect(kfuncAllowedIn(['UNSPEC'], 'EXT')).toBe(true);
  });
});
