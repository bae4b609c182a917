/**
 * Weak kfuncs and `bpf_ksym_exists` (src/model/program/ksym.ts). Expected values come from the sources:
 * libbpf 1.1.2 `bpf_object__resolve_ksym_func_btf_id` ignores -ESRCH for a weak extern; its
 * `RELO_EXTERN_VAR` writes 0 for an unresolved ksym's address and `RELO_EXTERN_FUNC` btf_id 0 for an
 * unresolved call; kernel/bpf/verifier.c `check_kfunc_call` skips a call with btf_id 0 and
 * `fixup_kfunc_call` refuses one left after dead code is removed ("invalid kernel function call not
 * eliminated in verifier pass", -EINVAL). Which kernel has which kfunc: `bpf_dynptr_from_file` and
 * `bpf_dynptr_file_discard` came in 6.19, `bpf_task_work_schedule_signal` is 7.0's name.
 */
import { describe, expect, test } from 'vitest';
import { ArgumentError, KfuncUnavailableError, program as P, renderC, Session, verify, type BpfObject, type Op } from '../src/index.ts';

const EINVAL = -22;
const { call, r, imm, ksym, goto, when, label, ret, mov, dynptr, ctxFile } = P;

/** An lsm.s/file_open program that records whether the kernel has bpf_dynptr_from_file, and uses it only then (unless `unguarded`). */
function reader(opts: { unguarded?: boolean; weak?: string[] } = {}): BpfObject {
  const body: Op[] = [
    mov('e', ksym('bpf_dynptr_from_file')), P.store('has', r('e')),
    ...(opts.unguarded === true ? [] : [goto('out', when('e', '==', imm(0)))]),
    call('bpf_dynptr_from_file', [ctxFile, imm(0), dynptr('d')], 'x'), call('bpf_dynptr_file_discard', [dynptr('d')]),
    label('out'), ret(imm(0)),
  ];
  return { name: 'k', maps: [], weak: opts.weak ?? ['bpf_dynptr_file_discard'], globals: [{ name: 'has', kind: 'u64' }], subprogs: [], programs: [{ name: 'p', section: 'lsm.s/file_open', locals: [], body }] };
}

function runOpen(version: '6.18' | '7.2', obj: BpfObject): bigint {
  const s = new Session({ version });
  s.createFile({ path: '/f', size: 100 });
  s.load(obj);
  s.spawn({ comm: 't', script: [{ sys: 'open', path: '/f', fd: 'a' }] });
  s.simulate();
  return s.global('has') as bigint;
}

describe('bpf_ksym_exists and weak kfuncs', () => {
  test('one object loads on a kernel with the kfunc and on one without: the test is 1 or 0', () => {
    expect(verify(reader(), '6.18')[0]?.ok).toBe(true);
    expect(verify(reader(), '7.2')[0]?.ok).toBe(true);
    expect(runOpen('6.18', reader())).toBe(0n);
    expect(runOpen('7.2', reader())).toBe(1n);
  });

  test('a call to an unresolved weak kfunc that a path reaches fails after the walk (-EINVAL)', () => {
    expect(verify(reader({ unguarded: true }), '6.18')[0]).toMatchObject({ ok: false, message: 'invalid kernel function call not eliminated in verifier pass', errno: EINVAL });
    // Where the kernel has it, the same call is an ordinary one.
    expect(verify(reader({ unguarded: true }), '7.2')[0]?.ok).toBe(true);
  });

  test('the result of a skipped call: no register was written, so reading it fails (R0 in C, a register the compiler chooses)', () => {
    const o: BpfObject = { name: 'r', maps: [], globals: [], subprogs: [], weak: ['bpf_dynptr_file_discard'], programs: [{ name: 'p', section: 'lsm.s/file_open', locals: [], body: [
      call('bpf_dynptr_file_discard', [dynptr('d')], 'e'), ret(r('e')),
    ] }] };
    const v = verify(o, '6.18')[0];
    expect(v?.ok).toBe(false);
    expect(v?.message).toMatch(/^R\d+ !read_ok$/);
    // The register is the compiler's (the host tier's lo_weak_r0: R0): compared register-blind.
    expect(v?.guessedRegisters).toBe(true);
  });

  test('a kfunc not declared weak still fails libbpf\'s extern resolution', () => {
    expect(verify(reader({ weak: [] }), '6.18')[0]).toMatchObject({ ok: false, message: "libbpf: extern (func ksym) 'bpf_dynptr_file_discard': not found in kernel or module BTFs", errno: EINVAL });
  });

  test('the C declares each weak kfunc __weak and tests it with bpf_ksym_exists', () => {
    const c = renderC(reader());
    expect(c).toMatch(/extern int bpf_dynptr_from_file\([^)]*\) __ksym __weak;/);
    expect(c).toMatch(/extern int bpf_dynptr_file_discard\([^)]*\) __ksym __weak;/);
    expect(c).toContain('bpf_ksym_exists(bpf_dynptr_from_file)');
  });

  test('an _impl kfunc on 7.x: the name is still in BTF with another prototype, so libbpf refuses it weak or not', () => {
    // 7.0's KF_IMPLICIT_ARGS: bpf_task_work_schedule_signal_impl stays, taking struct bpf_prog_aux *
    // (7.2.13's BTF; the guest tier's flo_impl_call and flo_impl_weak).
    const tested: BpfObject = { name: 'i', maps: [], globals: [{ name: 'has', kind: 'u64' }], subprogs: [], programs: [{ name: 'p', section: 'lsm/file_open', locals: [], body: [
      mov('e', ksym('bpf_task_work_schedule_signal_impl')), P.store('has', r('e')), ret(imm(0)),
    ] }] };
    const incompatible = "libbpf: extern (func ksym) 'bpf_task_work_schedule_signal_impl': func_proto [N] incompatible with kernel [M]";
    expect(verify(tested, '7.2')[0]).toMatchObject({ ok: false, message: incompatible, errno: EINVAL });
    expect(verify(tested, '7.0')[0]?.message).toBe(incompatible);
    expect(verify(tested, '6.18')[0]?.ok).toBe(true);
    // A kfunc removed without a trace would be left unresolved: bpf_dynptr_from_file is weak and absent on 6.18.
    expect(verify(reader(), '6.18')[0]?.ok).toBe(true);
  });

  test('a weak name or a tested name that is no kfunc is a typed error', () => {
    expect(() => verify({ ...reader(), weak: ['bpf_no_such_kfunc'] }, '7.2')).toThrow(ArgumentError);
    // bpf_map_lookup_elem is a helper: no __ksym extern to declare weak.
    expect(() => new Session().load({ ...reader(), weak: ['bpf_map_lookup_elem'] })).toThrow(/is a helper/);
  });

  test('an unverified load that reaches the call is a typed error, not a run of a kfunc the kernel lacks', () => {
    const s = new Session({ version: '6.18' });
    s.createFile({ path: '/f', size: 100 });
    s.load(reader({ unguarded: true }), { unverified: true });
    s.spawn({ comm: 't', script: [{ sys: 'open', path: '/f', fd: 'a' }] });
    expect(() => s.simulate()).toThrow(KfuncUnavailableError);
  });
});

describe('the prototypes the C declares', () => {
  test('bpf_path_d_path takes char *buf, as the kernel declares it (libbpf refuses void *: a pointer to void is not compatible with one to char)', () => {
    // Found by the conformance case l_ksym_all on 6.18.44: "func_proto [402] incompatible with kernel [65256]".
    const o: BpfObject = { name: 'd', maps: [], globals: [], subprogs: [], programs: [{ name: 'p', section: 'lsm/file_open', locals: [], body: [mov('e', ksym('bpf_path_d_path')), ret(imm(0))] }] };
    expect(renderC(o)).toContain('extern int bpf_path_d_path(const struct path *path, char *buf, __u64 buf__sz) __ksym __weak;');
  });
});
