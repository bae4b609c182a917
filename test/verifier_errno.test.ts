/**
 * The errno a refused load fails with: the return of the verifier check that refused it
 * (kernel/bpf/verifier.c, 7.2.13), not one errno for every refusal. Memory accesses and a register's
 * type (`check_reg_type`) give -EACCES; call arguments, references and the program's shape -EINVAL;
 * `bpf_for_each_map_elem` of a map without a walk -ENOTSUPP. Each expectation names the function
 * whose `return` it is; the conformance tiers compare every refused load's errno with the kernel's.
 */
import { describe, expect, test } from 'vitest';
import { program as P, Session, verify, type BpfObject, type MapDecl, type Op } from '../src/index.ts';

const EACCES = -13;
const EINVAL = -22;
const ENOTSUPP = -524;

const obj = (body: Op[], maps: MapDecl[] = [], section = 'tc'): BpfObject => ({
  name: 'o', maps, globals: [], subprogs: [{ name: 'cb', isStatic: true, returns: 'long', params: [{ name: 'm', type: 'map' }, { name: 'k', type: 'ptr' }, { name: 'val', type: 'ptr' }, { name: 'c', type: 'ptr' }], body: [P.ret(P.imm(0))] }],
  programs: [{ name: 'p', section, locals: [P.local('v', { bytes: 16 }), P.local('u', { bytes: 8 })], body: [...body, P.ret(P.imm(0))] }],
});
const errnoOf = (o: BpfObject): number | null => {
  const [v] = verify(o, '7.2');
  if (v === undefined || v.ok) return null;
  return v.errno ?? EACCES;
};
const queue: MapDecl = { name: 'q', type: 'queue', maxEntries: 4, valueSize: 8, taskWorkFields: 0 };
const hash: MapDecl = { name: 'h', type: 'hash', maxEntries: 4, valueSize: 8, taskWorkFields: 0 };

describe('the errno of a refused load', () => {
  test('check_stack_access_within_bounds: an end past the frame pointer -EINVAL, a start below the stack -EACCES', () => {
    // 16 bytes from fp-8: the start is in the stack, the end 8 bytes past it.
    expect(errnoOf(obj([P.st(8, P.buf('v'), 8, P.imm(0)), P.call('bpf_map_peek_elem', [P.map('q'), P.buf('v', 8)], 'n')], [{ ...queue, valueSize: 16 }]))).toBe(EINVAL);
    // A pointer 520 bytes below the frame pointer: check_stack_slot_within_bounds.
    expect(errnoOf(obj([P.mov('x', P.FP), P.alu('add', 'x', P.imm(-520)), P.call('bpf_map_push_elem', [P.map('q'), P.r('x'), P.imm(0)], 'n')], [queue]))).toBe(EACCES);
  });
  test('check_map_func_compatibility -EINVAL; set_map_elem_callback_state -ENOTSUPP', () => {
    expect(errnoOf(obj([P.call('bpf_map_pop_elem', [P.map('h'), P.buf('v')], 'n')], [hash]))).toBe(EINVAL);
    expect(errnoOf(obj([P.st(8, P.buf('v'), 0, P.imm(0)), P.call('bpf_map_push_elem', [P.map('h'), P.buf('v'), P.imm(0)], 'n')], [hash]))).toBe(EINVAL);
    expect(errnoOf(obj([P.call('bpf_for_each_map_elem', [P.map('q'), P.cb('cb'), P.NULL, P.imm(0)], 'n')], [queue]))).toBe(ENOTSUPP);
  });
  test('check_reg_type -EACCES; process_dynptr_func -EINVAL; check_reference_leak -EINVAL', () => {
    expect(errnoOf(obj([P.call('bpf_map_push_elem', [P.map('q'), P.imm(1), P.imm(0)], 'n')], [queue]))).toBe(EACCES);
    expect(errnoOf(obj([P.call('bpf_dynptr_size', [P.dynptr('d')], 'n')], [], 'syscall'))).toBe(EINVAL);
    expect(errnoOf(obj([P.call('bpf_get_current_pid_tgid', [], 'x'), P.alu('and', 'x', P.imm(0xffff)), P.call('bpf_task_from_pid', [P.r('x')], 't')], [], 'syscall'))).toBe(EINVAL);
  });
  test('a memory access of a map value past its end: -EACCES (check_map_access)', () => {
    expect(errnoOf(obj([P.st(4, P.buf('u'), 0, P.imm(0)), P.call('bpf_map_lookup_elem', [P.map('h'), P.buf('u')], 'p'), P.goto('out', P.when('p', '==', P.imm(0))), P.ld('x', 8, P.r('p'), 8), P.label('out')], [hash]))).toBe(EACCES);
  });
  test('before the verifier, libbpf: no BTF attach target -EINVAL (libbpf_prepare_prog_load), an empty or unknown one -ESRCH', () => {
    const sec = (section: string) => verify({ name: 'o', maps: [], globals: [], subprogs: [], programs: [{ name: 'p', section, body: [P.ret(P.imm(0))] }] }, '7.2')[0];
    expect(sec('tp_btf')).toMatchObject({ ok: false, errno: EINVAL, message: "libbpf: prog 'p': no BTF-based attach target is specified, use bpf_program__set_attach_target()" });
    expect(sec('lsm')).toMatchObject({ ok: false, errno: EINVAL });
    expect(sec('tp_btf/')).toMatchObject({ ok: false, errno: -3, message: "libbpf: prog 'p': failed to find kernel BTF type ID of '': -3" });
    expect(sec('lsm/file_opne')).toMatchObject({ ok: false, errno: -3 });
  });
  test('the Session\'s LoadError carries it', () => {
    const s = new Session({ version: '7.2' });
    expect(() => s.load(obj([P.call('bpf_map_pop_elem', [P.map('h'), P.buf('v')], 'n')], [hash]))).toThrow(expect.objectContaining({ errno: EINVAL }));
  });
});
