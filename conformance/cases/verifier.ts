/**
 * Verifier cases: programs the model rejects. The kernel must refuse them too, with a log (verifier
 * or libbpf) containing the model's message (6.18 spells arguments `arg #N`).
 */
import { program as P } from '../../src/index.ts';
import { CaseBuilder, type ConfCase } from './lib.ts';

const V = (id: string): CaseBuilder => new CaseBuilder(`v_${id}`);
const rule = 'verifier';

export const verifierCases: readonly ConfCase[] = [
  V('read_uninit').read(1, 0).build(rule, 'bpf_dynptr_read (helper) of a dynptr never initialized', { verifier: true }),
  V('write_uninit').write(0, 1).build(rule, 'bpf_dynptr_write (helper) of a dynptr never initialized', { verifier: true }),
  V('data_uninit').data(0, 1).build(rule, 'bpf_dynptr_data (helper) of a dynptr never initialized', { verifier: true }),
  V('adjust_uninit').adjust(0, 1).build(rule, 'bpf_dynptr_adjust (kfunc) of a dynptr never initialized', { verifier: true }),
  V('size_uninit').size().build(rule, 'bpf_dynptr_size (kfunc) of a dynptr never initialized', { verifier: true }),
  V('clone_uninit').clone('e', 'd').build(rule, 'bpf_dynptr_clone of a source never initialized', { verifier: true }),
  V('slice_uninit').slice(0, 1, true).build(rule, 'bpf_dynptr_slice of a dynptr never initialized', { verifier: true }),
  V('read_other_uninit').fromMem(16).read(1, 0, 0, 'e')
    .build(rule, 'the other slot is still uninitialized after a from_mem into d', { verifier: true }),
  V('slice_rdwr_syscall').fromMem(16).slice(0, 16, true, 'd', true)
    .build(rule, 'bpf_dynptr_slice_rdwr needs a program type that may write packet data (not syscall)', { verifier: true }),
  V('slice_rdwr_null_buf').fromMem(16).slice(0, 1, false, 'd', true)
    .build(rule, 'bpf_dynptr_slice_rdwr without a buffer: refused the same way', { verifier: true }),
  V('from_file_618')
    .raw(P.call('bpf_get_current_task_btf', [], 'task'))
    .raw(P.call('bpf_dynptr_from_file', [P.NULL, P.imm(0), P.dynptr('d')], 'v0'))
    .build(rule, '6.18 has no bpf_dynptr_from_file: libbpf cannot resolve the extern', { verifier: true }),
  V('exe_file_syscall')
    .raw(P.call('bpf_get_current_task_btf', [], 'task'))
    .raw(P.call('bpf_get_task_exe_file', [P.r('task')], 'f'))
    .raw(P.goto('out', P.when('f', '==', P.NULL)))
    .raw(P.call('bpf_put_file', [P.r('f')]))
    .raw(P.label('out'))
    .build(rule, 'fs kfuncs are for LSM programs only (bpf_fs_kfuncs_filter)', { verifier: true }),
  // check_mem_size_reg: a helper's ARG_CONST_SIZE may not be 0 (ARG_CONST_SIZE_OR_ZERO may), and any
  // size, a constant too, of 2^29 (BPF_MAX_VAR_SIZ) or more is unbounded, before the memory is looked at.
  V('comm_zero').raw(P.call('bpf_get_current_comm', [P.buf('v_comm_zero_out'), P.imm(0)]))
    .build(rule, 'bpf_get_current_comm(out, 0): ARG_CONST_SIZE, R2 invalid zero-sized read', { verifier: true }),
  V('probe_read_huge').raw(P.call('bpf_probe_read_kernel', [P.buf('v_probe_read_huge_out'), P.imm(1 << 29), P.imm(0)]))
    .build(rule, 'bpf_probe_read_kernel(out, 1 << 29, 0): a constant size of 2^29 is unbounded (not an access past out)', { verifier: true }),
  // check_kfunc_args, KF_ARG_PTR_TO_MEM_SIZE → check_kfunc_mem_size_reg → check_mem_size_reg: the size's
  // own line, then the pair line (6.x: `arg#2 arg#3`; 7.2.13 names the registers, checked by the guest tier).
  V('slice_size_u32').fromMem(16).loadGlobal('n', 'n', 'u32')
    .raw(P.call('bpf_dynptr_slice', [P.dynptr('d'), P.imm(0), P.buf('v_slice_size_u32_sbuf'), P.r('n')], 's'))
    .build(rule, "bpf_dynptr_slice(&d, 0, sbuf, n), n from a __u32 global: R4 unbounded memory access, then the memory, len pair's line", { verifier: true }),
  V('slice_size_int').fromMem(16).loadGlobal('n', 'n', 'int')
    .raw(P.call('bpf_dynptr_slice', [P.dynptr('d'), P.imm(0), P.buf('v_slice_size_int_sbuf'), P.r('n')], 's'))
    .build(rule, "bpf_dynptr_slice(&d, 0, sbuf, n), n from an int global: R4 min value is negative, then the memory, len pair's line", { verifier: true }),
  // check_helper_call → check_stack_range_initialized in raw mode: d is the only stack object (fp-16 for clang and the model).
  V('helper_writes_dynptr').fromMem(16).raw(P.call('bpf_probe_read_kernel', [P.dynptr('d'), P.imm(8), P.NULL]))
    .build(rule, 'bpf_probe_read_kernel(&d, 8, NULL) over a live dynptr: potential write to dynptr at off=-16', { verifier: true }),
];
