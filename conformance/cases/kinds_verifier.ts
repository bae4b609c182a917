/**
 * Verifier cases over the kinds of issue 14: programs the model rejects, each with the kernel's
 * message (6.18 spells arguments `arg #N`): references of ring buffer records and RINGBUF dynptrs,
 * dynptr types per argument, the program types of the constructors and helpers, packet slices
 * invalidated by helpers that change packets, read-only packets, map types of the ring helpers.
 */
import { program as P } from '../../src/index.ts';
import { KindBuilder, type Section } from './kinds.ts';
import type { ConfCase } from './lib.ts';

const V = (id: string, sec: Section): KindBuilder => new KindBuilder(`kv_${id}`, sec);
const rule = 'verifier';
const v = { verifier: true } as const;

export const kindVerifierCases: readonly ConfCase[] = [
  V('rb_unreleased', 'syscall').reserveDynptr(16).build(rule, 'a RINGBUF dynptr never submitted or discarded: Unreleased reference', v),
  V('rb_unreleased_failed', 'syscall').reserveDynptr(16, 1).isNull().build(rule, 'a failed reservation must be released too', v),
  V('rb_release_twice', 'syscall').reserveDynptr(16).submitDynptr().discardDynptr().build(rule, 'released twice', v),
  V('rb_use_after_submit', 'syscall').reserveDynptr(16).submitDynptr().read(1, 0).build(rule, 'a read after the submit', v),
  V('rb_clone_after_submit', 'syscall').reserveDynptr(16).clone().submitDynptr().read(1, 0, 0, 'e').build(rule, 'a clone dies with the record it shares', v),
  V('rb_overwrite', 'syscall').reserveDynptr(16).reserveDynptr(8).submitDynptr().build(rule, 'a reservation into a slot holding a live RINGBUF dynptr', v),
  V('rb_submit_local', 'syscall').fromMem(16, 'd').submitDynptr().build(rule, 'bpf_ringbuf_submit_dynptr of a LOCAL dynptr: Expected a dynptr of type ringbuf', v),
  V('rb_submit_uninit', 'syscall').submitDynptr().build(rule, 'bpf_ringbuf_submit_dynptr of an uninitialized slot', v),
  V('rb_map_type', 'syscall').raw(P.call('bpf_map_lookup_elem', [P.map('kv_rb_map_type_rb'), P.imm(0)], 'x')).ringQuery(0)
    .build(rule, 'a ring buffer map to bpf_map_lookup_elem: cannot pass map_type 27', v),
  V('rb_submit_slice', 'syscall').reserveDynptr(16).data(0, 8)
    .raw(P.goto('skip', P.when('p1', '==', P.NULL))).raw(P.call('bpf_ringbuf_submit', [P.r('p1'), P.imm(0)])).raw(P.label('skip')).discardDynptr()
    .build(rule, 'bpf_ringbuf_submit of a dynptr slice: type=mem expected=ringbuf_mem', v),
  V('rb_reserve_leak', 'syscall').raw(P.call('bpf_ringbuf_reserve', [P.map('kv_rb_reserve_leak_rb'), P.imm(8), P.imm(0)], 'p')).ringQuery(0)
    .build(rule, 'a record from bpf_ringbuf_reserve never submitted: Unreleased reference', { ...v, ring: true }),
  V('rb_reserve_nocheck', 'syscall').raw(P.call('bpf_ringbuf_reserve', [P.map('kv_rb_reserve_nocheck_rb'), P.imm(8), P.imm(0)], 'p'))
    .raw(P.call('bpf_ringbuf_submit', [P.r('p'), P.imm(0)]))
    .build(rule, 'submit without the NULL check: the record may be NULL', { ...v, ring: true }),
  V('rb_reserve_var', 'syscall').raw(P.call('bpf_get_prandom_u32', [], 'n')).raw(P.alu('and', 'n', P.imm(15)))
    .raw(P.call('bpf_ringbuf_reserve', [P.map('kv_rb_reserve_var_rb'), P.r('n'), P.imm(0)], 'p')).raw(P.goto('skip', P.when('p', '==', P.NULL)))
    .raw(P.call('bpf_ringbuf_discard', [P.r('p'), P.imm(0)])).raw(P.label('skip'))
    .build(rule, 'bpf_ringbuf_reserve with a size that is not a known constant', { ...v, ring: true }),
  V('rb_reserve_oob', 'syscall').raw(P.call('bpf_ringbuf_reserve', [P.map('kv_rb_reserve_oob_rb'), P.imm(8), P.imm(0)], 'p')).raw(P.goto('skip', P.when('p', '==', P.NULL)))
    .raw(P.st(1, P.r('p'), 8, P.imm(1))).raw(P.call('bpf_ringbuf_discard', [P.r('p'), P.imm(0)])).raw(P.label('skip'))
    .build(rule, 'a store past the reserved record', { ...v, ring: true }),
  V('skb_in_xdp', 'xdp').fromSkb().build(rule, 'bpf_dynptr_from_skb in an XDP program: not allowed', v),
  V('xdp_in_tc', 'tc').fromXdp().build(rule, 'bpf_dynptr_from_xdp in a tc program: not allowed', v),
  V('skb_meta_cgroup', 'cgroup_skb/egress').fromSkbMeta().build(rule, 'bpf_dynptr_from_skb_meta outside tc: not allowed', v),
  V('skb_in_syscall', 'syscall').fromSkb().build(rule, 'bpf_dynptr_from_skb in a syscall program: not allowed', v),
  V('pull_in_xdp', 'xdp').pullData(0).build(rule, 'bpf_skb_pull_data in an XDP program: the program type has no such helper', v),
  V('pull_in_cgroup', 'cgroup_skb/egress').pullData(0).build(rule, 'bpf_skb_pull_data in cgroup_skb', v),
  V('adjust_head_in_tc', 'tc').adjustHead(0).build(rule, 'bpf_xdp_adjust_head in tc', v),
  V('slice_rdwr_cgroup', 'cgroup_skb/egress').fromSkb().slice(0, 4, true, true).build(rule, 'bpf_dynptr_slice_rdwr in cgroup_skb: the prog does not allow writes to packet data', v),
  V('slice_rdwr_socket', 'socket').fromSkb().slice(0, 4, true, true).build(rule, 'bpf_dynptr_slice_rdwr in socket_filter', v),
  V('slice_ro_write', 'tc').fromSkb().slice(0, 4, true, false, 'd', { load: false, store: 1 }).build(rule, 'a store through bpf_dynptr_slice: cannot write into rdonly_mem', v),
  V('slice_after_pull', 'tc').fromSkb().slice(0, 4, true, false)
    .pullData(0).raw(P.goto('skip', P.when('p1', '==', P.NULL))).raw(P.ld('x', 1, P.r('p1'), 0)).raw(P.label('skip'))
    .build(rule, 'a packet slice used after bpf_skb_pull_data: invalid mem access', v),
  V('slice_after_write', 'tc').fromSkb().slice(0, 4, true, false).write(0, 1)
    .raw(P.goto('skip', P.when('p1', '==', P.NULL))).raw(P.ld('x', 1, P.r('p1'), 0)).raw(P.label('skip'))
    .build(rule, 'a packet slice used after bpf_dynptr_write to the SKB dynptr: invalid mem access', v),
  V('slice_after_adjust_head', 'xdp').fromXdp().slice(0, 4, true, false).adjustHead(0)
    .raw(P.goto('skip', P.when('p1', '==', P.NULL))).raw(P.ld('x', 1, P.r('p1'), 0)).raw(P.label('skip'))
    .build(rule, 'an XDP slice used after bpf_xdp_adjust_head: invalid mem access', v),
  V('slice_oob', 'tc').fromSkb().slice(0, 4, true, false)
    .raw(P.goto('skip', P.when('p1', '==', P.NULL))).raw(P.ld('x', 1, P.r('p1'), 4)).raw(P.label('skip'))
    .build(rule, 'a load past the slice\'s buffer__szk', v),
  V('ctx_misaligned', 'tc').raw(P.ld('y', 4, P.ctxPtr, 2))
    .build(rule, 'a misaligned __sk_buff load: invalid bpf_context access', v),
  V('ctx_past_end', 'xdp').raw(P.ld('y', 4, P.ctxPtr, 24))
    .build(rule, 'an xdp_md load past the structure: invalid bpf_context access', v),
  V('rb_output_array', 'syscall').map({ name: 'kv_rb_output_array_arr', type: 'array', maxEntries: 1, valueSize: 8, taskWorkFields: 0 }).raw(P.call('bpf_ringbuf_output', [P.map('kv_rb_output_array_arr'), P.buf('kv_rb_output_array_src'), P.imm(4), P.imm(0)], 'x'))
    .build(rule, 'bpf_ringbuf_output with an array map: cannot pass map_type 2', v),
  V('percpu_lookup_array', 'syscall').map({ name: 'kv_percpu_lookup_array_arr', type: 'array', maxEntries: 1, valueSize: 8, taskWorkFields: 0 })
    .raw(P.call('bpf_map_lookup_percpu_elem', [P.map('kv_percpu_lookup_array_arr'), P.imm(0), P.imm(0)], 'x'))
    .build(rule, 'bpf_map_lookup_percpu_elem with an array map (not per-CPU): cannot pass map_type 2', v),
  // Task references (kernel/bpf/helpers.c generic_kfunc_set): check_kfunc_args, the leak check at exit.
  V('task_leak', 'syscall').raw(P.call('bpf_task_from_pid', [P.imm(1)], 't')).raw(P.goto('skip', P.when('t', '==', P.NULL))).raw(P.label('skip'))
    .build(rule, 'bpf_task_from_pid without bpf_task_release: Unreleased reference', v),
  V('task_release_nocheck', 'syscall').raw(P.call('bpf_task_from_pid', [P.imm(1)], 't')).raw(P.call('bpf_task_release', [P.r('t')]))
    .build(rule, 'bpf_task_release of a task bpf_task_from_pid may have returned NULL: Possibly NULL pointer passed to trusted arg0', v),
  V('task_acquire_nocheck', 'syscall').raw(P.call('bpf_task_from_pid', [P.imm(1)], 't')).raw(P.call('bpf_task_acquire', [P.r('t')], 'u'))
    .build(rule, 'bpf_task_acquire (KF_RCU) of a NULL-able task: Possibly NULL pointer passed to trusted arg0', v),
  V('task_release_current', 'syscall').raw(P.call('bpf_get_current_task_btf', [], 't')).raw(P.call('bpf_task_release', [P.r('t')]))
    .build(rule, 'bpf_task_release of current (trusted, not a reference): the release kfunc expects a refcounted pointer', v),
  V('task_release_twice', 'syscall').raw(P.call('bpf_task_from_pid', [P.imm(1)], 't')).raw(P.goto('skip', P.when('t', '==', P.NULL)))
    .raw(P.call('bpf_task_release', [P.r('t')])).raw(P.call('bpf_task_release', [P.r('t')])).raw(P.label('skip'))
    .build(rule, 'bpf_task_release twice: the first release made every copy of the pointer a scalar', v),
  V('task_in_socket', 'socket').taskRef('bpf_task_from_pid', 'self')
    .build(rule, 'bpf_task_from_pid in a socket filter: generic kfuncs are not registered for SOCKET_FILTER', v),
  V('task_arith_null', 'syscall').raw(P.call('bpf_task_from_pid', [P.imm(1)], 't')).raw(P.alu('add', 't', P.imm(8))).raw(P.goto('skip', P.when('t', '==', P.NULL)))
    .raw(P.call('bpf_task_release', [P.r('t')])).raw(P.label('skip'))
    .build(rule, 'pointer arithmetic on what bpf_task_from_pid returned, before the NULL check: an acquired pointer is ptr_or_null_ (no PTR_TRUSTED flag)', v),
  // A reference lives in every copy of its pointer: a stack slot it was spilled to, a register it was
  // moved to; releasing one copy makes every copy a scalar; each reference is tracked on its own.
  V('task_spill_fill', 'syscall').local(P.local('slot', 'u64')).raw(P.call('bpf_task_from_pid', [P.imm(1)], 't')).raw(P.st(8, P.addr('slot'), 0, P.r('t')))
    .raw(P.ld('u', 8, P.addr('slot'), 0)).raw(P.goto('skip', P.when('u', '==', P.NULL))).raw(P.call('bpf_task_release', [P.r('u')])).raw(P.label('skip'))
    .build(rule, 'a task reference spilled to the stack and filled back, NULL-checked and released through the copy: accepted', v),
  V('task_spill_check_orig', 'syscall').local(P.local('slot', 'u64')).raw(P.call('bpf_task_from_pid', [P.imm(1)], 't')).raw(P.st(8, P.addr('slot'), 0, P.r('t')))
    .raw(P.goto('skip', P.when('t', '==', P.NULL))).raw(P.ld('u', 8, P.addr('slot'), 0)).raw(P.call('bpf_task_release', [P.r('u')])).raw(P.label('skip'))
    .build(rule, 'the NULL check of the register covers the spilled copy (same id): accepted', v),
  V('task_copy_release_both', 'syscall').raw(P.call('bpf_task_from_pid', [P.imm(1)], 't')).raw(P.mov('u', P.r('t'))).raw(P.goto('skip', P.when('t', '==', P.NULL)))
    .raw(P.call('bpf_task_release', [P.r('t')])).raw(P.call('bpf_task_release', [P.r('u')])).raw(P.label('skip'))
    .build(rule, 'releasing a copy of a released reference: the copy became a scalar', v),
  V('task_two_refs', 'syscall').raw(P.call('bpf_task_from_pid', [P.imm(1)], 't')).raw(P.call('bpf_task_from_pid', [P.imm(2)], 'u'))
    .raw(P.goto('a', P.when('t', '==', P.NULL))).raw(P.call('bpf_task_release', [P.r('t')])).raw(P.label('a'))
    .raw(P.goto('skip', P.when('u', '==', P.NULL))).raw(P.call('bpf_task_release', [P.r('u')])).raw(P.label('skip'))
    .build(rule, 'two task references, each checked and released: accepted', v),
  V('task_two_refs_leak', 'syscall').raw(P.call('bpf_task_from_pid', [P.imm(1)], 't')).raw(P.call('bpf_task_from_pid', [P.imm(2)], 'u'))
    .raw(P.goto('skip', P.when('t', '==', P.NULL))).raw(P.call('bpf_task_release', [P.r('t')])).raw(P.label('skip'))
    .build(rule, 'two task references, the second never released: Unreleased reference (its id)', v),
  V('task_field_nocheck', 'syscall').raw(P.call('bpf_task_from_pid', [P.imm(1)], 't')).raw(P.field('x', P.r('t'), 'pid'))
    .raw(P.goto('skip', P.when('t', '==', P.NULL))).raw(P.call('bpf_task_release', [P.r('t')])).raw(P.label('skip'))
    .build(rule, 't->pid before the NULL check of what bpf_task_from_pid returned: invalid mem access \'ptr_or_null_\'', v),
  V('task_field_released', 'syscall').raw(P.call('bpf_task_from_pid', [P.imm(1)], 't')).raw(P.goto('skip', P.when('t', '==', P.NULL)))
    .raw(P.call('bpf_task_release', [P.r('t')])).raw(P.field('x', P.r('t'), 'pid')).raw(P.label('skip'))
    .build(rule, 't->pid after bpf_task_release(t): t is a scalar now, invalid mem access \'scalar\'', v),
  V('task_str_tc', 'tc').copyFromUserTaskStr(0, 8, 0x1000, 0)
    .build(rule, 'bpf_copy_from_user_task_str (KF_SLEEPABLE) in a tc program', v),
  V('copy_user_tc', 'tc').raw(P.call('bpf_copy_from_user', [P.buf('kv_copy_user_tc_mem'), P.imm(8), P.imm(0x1000)], 'n'))
    .build(rule, 'bpf_copy_from_user (might_sleep) in a tc program: 6.18 says "helper call might sleep in a non-sleepable prog" (7.2: "sleepable helper bpf_copy_from_user#148 in non-sleepable prog"; the model said the 7.2 text for every version)', v),
];

