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
import { parseScenario, program as P, runScenario, Session, verify, type BpfObject, type KernelVersion } from '../src/index.ts';
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

describe('RAW_TRACEPOINT and TRACING\'s kfunc hook (rawTpKfuncHook)', () => {
  // btf.c bpf_prog_type_to_kfunc_hook: raw_tp joined TRACING's hook with "bpf: allow calling kfuncs
  // from raw_tp programs" (7.0); before, only the common set. helpers.c registers generic_kfunc_set
  // (bpf_task_acquire) for TRACING; bpf_dynptr_size is common.
  test('6.18: a raw_tp program may not call bpf_task_acquire; 7.2: it may (and its NULL is then a trusted argument)', () => {
    expect(verdict(nullCall('bpf_task_acquire', 1, 'raw_tp/sys_enter'), '6.18')).toMatchObject({ ok: false, message: 'calling kernel function bpf_task_acquire is not allowed', errno: EACCES });
    expect(verdict(nullCall('bpf_task_acquire', 1, 'raw_tp/sys_enter'), '7.2')).toMatchObject({ ok: false, message: 'Possibly NULL pointer passed to trusted R1', errno: EACCES });
    // A common kfunc passes the program-type check on both.
    expect(verdict(nullCall('bpf_dynptr_size', 1, 'raw_tp/sys_enter'), '6.18')?.message).not.toContain('not allowed');
    // The other types of TRACING's hook had it before (6.12): tracepoint.
    expect(verdict(nullCall('bpf_task_acquire', 1, 'tracepoint/syscalls/sys_enter_openat'), '6.18')?.message).toBe('Possibly NULL pointer passed to trusted arg0');
  });

  test('a 6.18 build with the rule backported is the 6.18 row with rawTpKfuncHook', () => {
    expect(verify(nullCall('bpf_task_acquire', 1, 'raw_tp/sys_enter'), '6.18', { rawTpKfuncHook: true })[0]?.message).toBe('Possibly NULL pointer passed to trusted arg0');
  });
});

describe('a kernel build with another version\'s rule (WorldOptions.features)', () => {
  // A vendor 6.18.44 build with 7.0's "trusted args by default" (the host tier's fc-v1045): every
  // kfunc's NULL pointer is refused as trusted, in 6.18's words (arg<i>, not R<n>).
  const trusted = { kfuncTrustedDefault: true } as const;

  test('verify: 6.18 with trusted arguments refuses a NULL dynptr as a trusted argument, plain 6.18 does not', () => {
    const o = nullCall('bpf_dynptr_size', 1, 'syscall');
    expect(verify(o, '6.18', trusted)[0]).toMatchObject({ ok: false, message: 'Possibly NULL pointer passed to trusted arg0', errno: EACCES });
    expect(verify(o, '6.18')[0]?.message).not.toContain('trusted');
    // The untrusted NULL struct rule goes with it.
    expect(verify(nullCall('bpf_copy_from_user_task_str', 5, 'syscall'), '6.18', trusted)[0]).toMatchObject({ message: 'Possibly NULL pointer passed to trusted arg0', errno: EACCES });
  });

  test('a Session and its world carry the build\'s rules', () => {
    const s = new Session({ version: '6.18', features: trusted });
    expect(s.world.features.kfuncTrustedDefault).toBe(true);
    expect(s.world.features.dynptrBits).toBe(32);
    expect(new Session({ version: '6.18' }).world.features.kfuncTrustedDefault).toBe(false);
  });

  test.each([
    ['an unknown rule', { noSuchRule: true }],
    ['the version itself', { version: '7.2' }],
    ['a value no modelled version has', { dynptrBits: 16 }],
    ['a value of the wrong type', { kfuncTrustedDefault: 'yes' }],
    ['not an object', 'kfuncTrustedDefault'],
  ])('%s is an ArgumentError naming the option', (_what, features) => {
    // The message names the rule (or the option) and what it takes.
    const want = typeof features === 'string' ? /argument opts\.features: expected an object of VersionFeatures rules/ : /argument opts\.features\.\w+: expected (a rule of VersionFeatures|one of the values a modelled version has)/;
    expect(() => new Session({ version: '6.18', features: features as never })).toThrow(want);
    expect(() => verify(nullCall('bpf_dynptr_size', 1, 'syscall'), '6.18', features as never)).toThrow(new RegExp(want.source.replace('opts\\.', '')));
  });

  test('a scenario says it with `features`: its verifier expectation holds only with the rule', () => {
    const doc = (features?: object) => ({
      name: 'trusted', version: '6.18', ...(features === undefined ? {} : { features }), files: [], tasks: [],
      objects: [nullCall('bpf_dynptr_size', 1, 'syscall')],
      expect: { verifier: [{ program: 'p', ok: false, message: 'Possibly NULL pointer passed to trusted arg0' }] },
    });
    expect(runScenario(parseScenario(doc(trusted), 't')).ok).toBe(true);
    expect(runScenario(parseScenario(doc(), 't')).ok).toBe(false);
    expect(() => parseScenario(doc({ kfuncTrustedDefault: 'yes' }), 't')).toThrow(/features/);
  });
});
