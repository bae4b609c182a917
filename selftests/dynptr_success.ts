/**
 * tools/testing/selftests/bpf/progs/dynptr_success.c as program values (torvalds/linux@5c42715e),
 * judged as prog_tests/dynptr.c judges them: the object is loaded with the tested program turned on
 * (and every program without `?`, which loads in every subtest), the program is triggered, and
 * `err` must be 0. Triggers: SETUP_SYSCALL_SLEEP (`usleep(1)`: the nanosleep tracepoint and the
 * fentry of `__x64_sys_nanosleep` fire), SETUP_SKB_PROG / SETUP_XDP_PROG (BPF_PROG_TEST_RUN with a
 * packet), SETUP_SKB_PROG_TP (a test run of another program makes `kfree_skb` fire).
 *
 * `bpf_memcmp` (static inline, a `bpf_for` loop) and the `test_dynptr_probe*` helpers (inlined with
 * their function pointer) are inlined here as clang inlines them.
 */
import { content, Session, traceEvents, type Arg, type BpfObject, type KernelVersion, type Local, type Op, type Program, type Subprog, type Syscall } from '../src/index.ts';
import {
  addr, alu, buf, call, cb, ctxPtr, dynptr, dynptrData, dynptrRead, dynptrWrite, E2BIG, EINVAL, ERANGE_, glob, goto, imm, label, ld, local, map, memset, mov, NULL, pidFilter, r,
  ret, ringbufDiscard, ringbufReserve, ringbufSubmit, st, store, when, XDP_DROP, XDP_PASS,
} from './success_common.ts';
import type { Selftest } from './lib.ts';

const SOURCE = 'torvalds/linux@5c42715e63a3cd1c69107402aefa136e3a324fab';
const SAMPLE = 32; // struct ringbuf_sample { int pid; int seq; long value; char comm[16]; }
const HELLO = 'hello there, world!!';

/**
 * `bpf_for(i, start, end) { body }` over iterator `it`: `body` may `goto brk_<tag>` to leave the loop
 * (`break`), and `goto esc_<tag>` to leave it for label `escape` (a `goto` out of the loop): either
 * way the iterator's cleanup (`__attribute__((cleanup))`: bpf_iter_num_destroy) runs first.
 */
export function bpfFor(tag: string, i: string, start: Arg, end: Arg, body: Op[], escape?: string): Op[] {
  const it = addr(`it_${tag}`);
  return [
    call('bpf_iter_num_new', [it, start, end]),
    label(`top_${tag}`), call('bpf_iter_num_next', [it], `t_${tag}`), goto(`brk_${tag}`, when(`t_${tag}`, '==', NULL)),
    ld(i, 4, r(`t_${tag}`), 0), { op: 'ld', dst: i, size: 4, base: r(`t_${tag}`), off: 0, signed: true },
    mov(`lo_${tag}`, start), goto(`brk_${tag}`, when(i, 's<', r(`lo_${tag}`))), mov(`hi_${tag}`, end), goto(`brk_${tag}`, when(i, 's>=', r(`hi_${tag}`))),
    ...body, goto(`top_${tag}`),
    ...(escape === undefined ? [] : [label(`esc_${tag}`), call('bpf_iter_num_destroy', [it]), goto(escape)]),
    label(`brk_${tag}`), call('bpf_iter_num_destroy', [it]),
  ];
}

/** `dst = bpf_memcmp(a, b, len)` (a `bpf_for` loop over signed chars). */
export function bpfMemcmp(tag: string, a: Arg, b: Arg, len: Arg, dst: string): Op[] {
  return [
    mov(dst, imm(0)),
    ...bpfFor(tag, `i_${tag}`, imm(0), len, [
      mov(`pa_${tag}`, a), alu('add', `pa_${tag}`, r(`i_${tag}`)), { op: 'ld', dst: `ca_${tag}`, size: 1, base: r(`pa_${tag}`), signed: true },
      mov(`pb_${tag}`, b), alu('add', `pb_${tag}`, r(`i_${tag}`)), { op: 'ld', dst: `cb_${tag}`, size: 1, base: r(`pb_${tag}`), signed: true },
      goto(`eq_${tag}`, when(`ca_${tag}`, '==', r(`cb_${tag}`))),
      mov(dst, imm(1)), goto(`brk_${tag}`, when(`ca_${tag}`, 's>', r(`cb_${tag}`))), mov(dst, imm(-1)), goto(`brk_${tag}`),
      label(`eq_${tag}`),
    ]),
  ];
}
export const iterLocal = (tag: string): Local => local(`it_${tag}`, 'iter_num');

/** `err = err ?: <call into v>`: the call only when err is 0. */
function orElse(tag: string, ops: Op[], v: string): Op[] {
  return [mov(v, glob('err')), goto(`skip_${tag}`, when(v, '!=', imm(0))), ...ops, store('err', r(v)), label(`skip_${tag}`)];
}

// ---------------------------------------------------------------------------------------------

const globals: BpfObject['globals'] = [
  { name: 'pid', kind: 'int' }, { name: 'err', kind: 'int' }, { name: 'val', kind: 'int' },
  { name: 'memset_zero_data', kind: 'bytes', size: 18, init: 'data to be zeroed' },
  { name: 'memset_notzero_data', kind: 'bytes', size: 23, init: 'data to be overwritten' },
  { name: 'memset_zero_offset_data', kind: 'bytes', size: 28, init: 'data to be zeroed partially' },
  { name: 'memset_zero_adjusted_data', kind: 'bytes', size: 28, init: 'data to be zeroed partially' },
  { name: 'memset_overflow_data', kind: 'bytes', size: 21, init: 'memset overflow data' },
  { name: 'user_ptr', kind: 'u64' },
  { name: 'expected_str', kind: 'bytes', size: 384 },
  { name: 'test_len', kind: 'bytes', size: 28, init: [0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 255, 0, 0, 0, 0, 1, 0, 0, 1, 1, 0, 0] },
];
const maps: BpfObject['maps'] = [
  { name: 'ringbuf', type: 'ringbuf', maxEntries: 4096, valueSize: 0, taskWorkFields: 0 },
  { name: 'array_map', type: 'array', maxEntries: 1, valueSize: 4, taskWorkFields: 0 },
];

type Setup = 'SYSCALL_SLEEP' | 'SKB_PROG' | 'SKB_PROG_TP' | 'XDP_PROG';
interface Def extends Omit<Program, 'name' | 'section'> { readonly fn: string; readonly sec: string; readonly setup: Setup; readonly subs?: readonly Subprog[] }

const TP = '?tp/syscalls/sys_enter_nanosleep';
const D = (name: string): Local => local(name, 'dynptr');
const B = (name: string, bytes: number, init?: Local['init']): Local => local(name, { bytes }, init);
const fail = (code: number, to = 'done'): Op[] => [store('err', imm(code)), goto(to)];
const done: Op[] = [label('done')];

const defs: Def[] = [
  { fn: 'test_read_write', sec: TP, setup: 'SYSCALL_SLEEP', locals: [B('write_data', 64, HELLO), B('read_data', 64, 'zero'), D('ptr')], body: [
    ...pidFilter('ret0'), ringbufReserve(imm(64), dynptr('ptr')),
    dynptrWrite(dynptr('ptr'), 0, buf('write_data'), 64, 'e'), store('err', r('e')),
    ...orElse('rd', [dynptrRead(buf('read_data'), 64, dynptr('ptr'), 0, 'e2')], 'e2'),
    mov('i', imm(0)), label('loop'), goto('end', when('i', '>=', imm(64))),
    mov('pr', buf('read_data')), alu('add', 'pr', r('i')), ld('cr', 1, r('pr'), 0), mov('pw', buf('write_data')), alu('add', 'pw', r('i')), ld('cw', 1, r('pw'), 0),
    goto('next', when('cr', '==', r('cw'))), store('err', imm(1)), goto('end'), label('next'), alu('add', 'i', imm(1)), goto('loop'),
    label('end'), ringbufDiscard(dynptr('ptr')), label('ret0'), ret(imm(0)),
  ] },
  { fn: 'test_dynptr_data', sec: TP, setup: 'SYSCALL_SLEEP', locals: [local('key', 'u32', 'zero'), local('val', 'u32', [235, 0, 0, 0]), D('ptr')], body: [
    ...pidFilter('ret0'), call('bpf_map_update_elem', [map('array_map'), addr('key'), addr('val'), imm(0)]),
    call('bpf_map_lookup_elem', [map('array_map'), addr('key')], 'map_val'), goto('have', when('map_val', '!=', NULL)), store('err', imm(1)), ret(imm(0)),
    label('have'), call('bpf_dynptr_from_mem', [r('map_val'), imm(4), imm(0), dynptr('ptr')]),
    dynptrData(dynptr('ptr'), 5, 1, 'd1'), goto('c2', when('d1', '==', NULL)), store('err', imm(2)), ret(imm(0)),
    label('c2'), dynptrData(dynptr('ptr'), 0, 5, 'd2'), goto('c3', when('d2', '==', NULL)), store('err', imm(3)), ret(imm(0)),
    label('c3'), dynptrData(dynptr('ptr'), 0, 4, 'data'), goto('c4', when('data', '!=', NULL)), store('err', imm(4)), ret(imm(0)),
    label('c4'), st(4, r('data'), 0, imm(999)), call('bpf_probe_read_kernel', [addr('val'), imm(4), r('data')], 'e'), store('err', r('e')), goto('ret0', when('e', '!=', imm(0))),
    ld('v', 4, addr('val'), 0), ld('dv', 4, r('data'), 0), goto('ret0', when('v', '==', r('dv'))), store('err', imm(5)), label('ret0'), ret(imm(0)),
  ] },
  { fn: 'test_ringbuf', sec: TP, setup: 'SYSCALL_SLEEP', locals: [D('ptr')], subs: [{
    name: 'ringbuf_callback', isStatic: true, params: [{ name: 'index', type: 'u32' }, { name: 'data', type: 'ptr' }], body: [
      dynptrData(r('data'), 0, SAMPLE, 'sample'), goto('ok', when('sample', '!=', NULL)), store('err', imm(2)), ret(imm(0)),
      label('ok'), ld('p', 4, r('sample'), 0), alu('add', 'p', r('index')), st(4, r('sample'), 0, r('p')), ret(imm(0))] }],
  body: [
    ...pidFilter('ret0'), store('val', imm(100)), mov('v', glob('val')), ringbufReserve(r('v'), dynptr('ptr'), 'e'), store('err', r('e')),
    mov('sample', NULL), goto('chk', when('e', '!=', imm(0))), dynptrData(dynptr('ptr'), 0, SAMPLE, 'sample'),
    label('chk'), goto('have', when('sample', '!=', NULL)), ...fail(1),
    label('have'), st(4, r('sample'), 0, imm(10)), call('bpf_loop', [imm(10), cb('ringbuf_callback'), dynptr('ptr'), imm(0)]),
    ld('p', 4, r('sample'), 0), goto('done', when('p', '==', imm(55))), store('err', imm(2)),
    ...done, ringbufDiscard(dynptr('ptr')), label('ret0'), ret(imm(0)),
  ] },
  { fn: 'test_skb_readonly', sec: '?cgroup_skb/egress', setup: 'SKB_PROG', locals: [B('write_data', 2, [1, 2]), D('ptr')], body: [
    call('bpf_dynptr_from_skb', [ctxPtr, imm(0), dynptr('ptr')], 'e'), goto('ok', when('e', '==', imm(0))), store('err', imm(1)), ret(imm(1)),
    label('ok'), dynptrWrite(dynptr('ptr'), 0, buf('write_data'), 2, 'w'), goto('ret1', when('w', '==', imm(EINVAL))), store('err', imm(2)), label('ret1'), ret(imm(1)),
  ] },
  { fn: 'test_dynptr_skb_data', sec: '?cgroup_skb/egress', setup: 'SKB_PROG', locals: [D('ptr')], body: [
    call('bpf_dynptr_from_skb', [ctxPtr, imm(0), dynptr('ptr')], 'e'), goto('ok', when('e', '==', imm(0))), store('err', imm(1)), ret(imm(1)),
    label('ok'), dynptrData(dynptr('ptr'), 0, 1, 'data'), goto('ret1', when('data', '==', NULL)), store('err', imm(2)), label('ret1'), ret(imm(1)),
  ] },
  { fn: 'test_dynptr_skb_meta_data', sec: '?tc', setup: 'SKB_PROG', locals: [D('meta')], body: [
    store('err', imm(1)), call('bpf_dynptr_from_skb_meta', [ctxPtr, imm(0), dynptr('meta')], 'e'), goto('ret1', when('e', '!=', imm(0))),
    store('err', imm(2)), dynptrData(dynptr('meta'), 0, 1, 'md'), goto('ret1', when('md', '!=', NULL)), store('err', imm(0)), label('ret1'), ret(imm(1)),
  ] },
  { fn: 'test_dynptr_skb_meta_flags', sec: '?tc', setup: 'SKB_PROG', locals: [D('meta'), local('b', 'u8')], body: [
    store('err', imm(1)), call('bpf_dynptr_from_skb_meta', [ctxPtr, imm(-1), dynptr('meta')], 'e1'), goto('ret1', when('e1', '!=', imm(EINVAL))),
    store('err', imm(2)), call('bpf_dynptr_from_skb_meta', [ctxPtr, imm(0), dynptr('meta')], 'e2'), goto('ret1', when('e2', '!=', imm(0))),
    store('err', imm(3)), call('bpf_dynptr_read', [addr('b'), imm(0), dynptr('meta'), imm(0), imm(-1)], 'e3'), goto('ret1', when('e3', '!=', imm(EINVAL))),
    store('err', imm(4)), call('bpf_dynptr_write', [dynptr('meta'), imm(0), addr('b'), imm(0), imm(-1)], 'e4'), goto('ret1', when('e4', '!=', imm(EINVAL))),
    store('err', imm(0)), label('ret1'), ret(imm(1)),
  ] },
  { fn: 'test_adjust', sec: 'tp/syscalls/sys_enter_nanosleep', setup: 'SYSCALL_SLEEP', locals: [D('ptr')], body: [
    ...pidFilter('ret0'), ringbufReserve(imm(64), dynptr('ptr'), 'e'), store('err', r('e')), goto('s1', when('e', '==', imm(0))), ...fail(1),
    label('s1'), call('bpf_dynptr_size', [dynptr('ptr')], 'sz'), goto('s2', when('sz', '==', imm(64))), ...fail(2),
    label('s2'), call('bpf_dynptr_size', [dynptr('ptr')], 'sz2'), call('bpf_dynptr_adjust', [dynptr('ptr'), imm(10), r('sz2')], 'a1'), store('err', r('a1')), goto('s3', when('a1', '==', imm(0))), ...fail(3),
    label('s3'), call('bpf_dynptr_size', [dynptr('ptr')], 'sz3'), goto('s4', when('sz3', '==', imm(54))), ...fail(4),
    label('s4'), call('bpf_dynptr_adjust', [dynptr('ptr'), imm(10), imm(15)], 'a2'), store('err', r('a2')), goto('s5', when('a2', '==', imm(0))), ...fail(5),
    label('s5'), call('bpf_dynptr_size', [dynptr('ptr')], 'sz4'), goto('done', when('sz4', '==', imm(5))), ...fail(6),
    ...done, ringbufDiscard(dynptr('ptr')), label('ret0'), ret(imm(0)),
  ] },
  { fn: 'test_adjust_err', sec: 'tp/syscalls/sys_enter_nanosleep', setup: 'SYSCALL_SLEEP', locals: [B('write_data', 45, HELLO), D('ptr')], body: [
    ...pidFilter('ret0'), ringbufReserve(imm(64), dynptr('ptr'), 'e'), goto('s1', when('e', '==', imm(0))), ...fail(1),
    label('s1'), call('bpf_dynptr_adjust', [dynptr('ptr'), imm(5), imm(1)], 'a1'), goto('s2', when('a1', '==', imm(EINVAL))), ...fail(2),
    label('s2'), call('bpf_dynptr_adjust', [dynptr('ptr'), imm(65), imm(65)], 'a2'), goto('s3', when('a2', '==', imm(ERANGE_))), ...fail(3),
    label('s3'), call('bpf_dynptr_adjust', [dynptr('ptr'), imm(0), imm(65)], 'a3'), goto('s4', when('a3', '==', imm(ERANGE_))), ...fail(4),
    label('s4'), call('bpf_dynptr_adjust', [dynptr('ptr'), imm(20), imm(64)], 'a4'), goto('s5', when('a4', '==', imm(0))), ...fail(5),
    label('s5'), dynptrWrite(dynptr('ptr'), 0, buf('write_data'), 45, 'w'), goto('s6', when('w', '==', imm(E2BIG))), ...fail(6),
    label('s6'), ringbufSubmit(dynptr('ptr')), ret(imm(0)),
    ...done, ringbufDiscard(dynptr('ptr')), label('ret0'), ret(imm(0)),
  ] },
  { fn: 'test_zero_size_dynptr', sec: 'tp/syscalls/sys_enter_nanosleep', setup: 'SYSCALL_SLEEP', locals: [local('write_data', 'u8', [120]), local('read_data', 'u8'), D('ptr')], body: [
    ...pidFilter('ret0'), ringbufReserve(imm(64), dynptr('ptr'), 'e'), goto('s1', when('e', '==', imm(0))), ...fail(1),
    label('s1'), call('bpf_dynptr_adjust', [dynptr('ptr'), imm(64), imm(64)], 'a'), goto('s2', when('a', '==', imm(0))), ...fail(2),
    label('s2'), dynptrRead(addr('read_data'), 1, dynptr('ptr'), 0, 'r1x'), goto('s3', when('r1x', '==', imm(E2BIG))), ...fail(3),
    label('s3'), dynptrWrite(dynptr('ptr'), 0, addr('write_data'), 1, 'w1'), goto('s4', when('w1', '==', imm(E2BIG))), ...fail(4),
    label('s4'), dynptrRead(addr('read_data'), 0, dynptr('ptr'), 0, 'r0x'), goto('s5', when('r0x', '==', imm(0))), ...fail(5),
    label('s5'), dynptrWrite(dynptr('ptr'), 0, addr('write_data'), 0, 'w0'), goto('s6', when('w0', '==', imm(0))), ...fail(6),
    label('s6'), store('err', imm(0)), ...done, ringbufDiscard(dynptr('ptr')), label('ret0'), ret(imm(0)),
  ] },
  { fn: 'test_dynptr_is_null', sec: 'tp/syscalls/sys_enter_nanosleep', setup: 'SYSCALL_SLEEP', locals: [D('ptr1'), D('ptr2')], body: [
    ...pidFilter('ret0'), ringbufReserve(imm(4), dynptr('ptr1'), 'e1', imm(123)), goto('s1', when('e1', '==', imm(EINVAL))), ...fail(1, 'exit_early'),
    label('s1'), call('bpf_dynptr_is_null', [dynptr('ptr1')], 'n1'), goto('s2', when('n1', '!=', imm(0))), ...fail(2, 'exit_early'),
    label('s2'), ringbufReserve(imm(4), dynptr('ptr2'), 'e2'), goto('s3', when('e2', '==', imm(0))), ...fail(3, 'exit'),
    label('s3'), call('bpf_dynptr_is_null', [dynptr('ptr2')], 'n2'), goto('exit', when('n2', '==', imm(0))), store('err', imm(4)),
    label('exit'), ringbufDiscard(dynptr('ptr2')), label('exit_early'), ringbufDiscard(dynptr('ptr1')), label('ret0'), ret(imm(0)),
  ] },
  { fn: 'test_dynptr_is_rdonly', sec: 'cgroup_skb/egress', setup: 'SKB_PROG', locals: [D('ptr1'), D('ptr2'), D('ptr3')], body: [
    call('bpf_dynptr_from_skb', [ctxPtr, imm(123), dynptr('ptr1')], 'e1'), goto('s1', when('e1', '==', imm(EINVAL))), store('err', imm(1)), ret(imm(0)),
    label('s1'), call('bpf_dynptr_is_rdonly', [dynptr('ptr1')], 'o1'), goto('s2', when('o1', '==', imm(0))), store('err', imm(2)), ret(imm(0)),
    label('s2'), call('bpf_dynptr_from_skb', [ctxPtr, imm(0), dynptr('ptr2')], 'e2'), goto('s3', when('e2', '==', imm(0))), store('err', imm(3)), ret(imm(0)),
    label('s3'), call('bpf_dynptr_is_rdonly', [dynptr('ptr2')], 'o2'), goto('s4', when('o2', '!=', imm(0))), store('err', imm(4)), ret(imm(0)),
    label('s4'), ringbufReserve(imm(64), dynptr('ptr3'), 'e3'), goto('s5', when('e3', '==', imm(0))), ...fail(5),
    label('s5'), call('bpf_dynptr_is_rdonly', [dynptr('ptr3')], 'o3'), goto('done', when('o3', '==', imm(0))), store('err', imm(6)),
    ...done, ringbufDiscard(dynptr('ptr3')), ret(imm(0)),
  ] },
  { fn: 'test_dynptr_clone', sec: 'cgroup_skb/egress', setup: 'SKB_PROG', locals: [D('ptr1'), D('ptr2')], body: [
    call('bpf_dynptr_from_skb', [ctxPtr, imm(0), dynptr('ptr1')], 'e1'), goto('s1', when('e1', '==', imm(0))), store('err', imm(1)), ret(imm(0)),
    label('s1'), call('bpf_dynptr_size', [dynptr('ptr1')], 'sz1'), call('bpf_dynptr_adjust', [dynptr('ptr1'), imm(2), r('sz1')], 'a'), goto('s2', when('a', '==', imm(0))), store('err', imm(2)), ret(imm(0)),
    label('s2'), call('bpf_dynptr_clone', [dynptr('ptr1'), dynptr('ptr2')], 'c'), goto('s3', when('c', '==', imm(0))), store('err', imm(3)), ret(imm(0)),
    label('s3'), call('bpf_dynptr_size', [dynptr('ptr1')], 'size'), call('bpf_dynptr_size', [dynptr('ptr2')], 'sz2'), goto('s4', when('sz2', '==', r('size'))), store('err', imm(4)), ret(imm(0)),
    label('s4'), call('bpf_dynptr_is_rdonly', [dynptr('ptr2')], 'o2'), call('bpf_dynptr_is_rdonly', [dynptr('ptr1')], 'o1'), goto('s5', when('o2', '==', r('o1'))), store('err', imm(5)), ret(imm(0)),
    label('s5'), call('bpf_dynptr_adjust', [dynptr('ptr1'), imm(5), imm(5)]), call('bpf_dynptr_size', [dynptr('ptr2')], 'sz3'), goto('ret0', when('sz3', '==', r('size'))), store('err', imm(6)),
    label('ret0'), ret(imm(0)),
  ] },
  { fn: 'test_dynptr_skb_no_buff', sec: '?cgroup_skb/egress', setup: 'SKB_PROG', locals: [D('ptr')], body: [
    call('bpf_dynptr_from_skb', [ctxPtr, imm(0), dynptr('ptr')], 'e'), goto('ok', when('e', '==', imm(0))), store('err', imm(1)), ret(imm(1)),
    label('ok'), call('bpf_dynptr_slice', [dynptr('ptr'), imm(0), NULL, imm(1)], 'data'), goto('null', when('data', '==', NULL)), ret(imm(1)), label('null'), ret(imm(0)),
  ] },
  { fn: 'test_dynptr_skb_strcmp', sec: '?cgroup_skb/egress', setup: 'SKB_PROG', locals: [D('ptr')], body: [
    call('bpf_dynptr_from_skb', [ctxPtr, imm(0), dynptr('ptr')], 'e'), goto('ok', when('e', '==', imm(0))), store('err', imm(1)), ret(imm(1)),
    label('ok'), call('bpf_dynptr_slice', [dynptr('ptr'), imm(0), NULL, imm(10)], 'data'), goto('ret1', when('data', '==', NULL)),
    call('bpf_strncmp', [r('data'), imm(10), addr('str_foo')]), label('ret1'), ret(imm(1)),
  ] },
  { fn: 'test_dynptr_skb_tp_btf', sec: 'tp_btf/kfree_skb', setup: 'SKB_PROG_TP', locals: [B('write_data', 2, [1, 2]), D('ptr')], body: [
    ld('skb', 8, ctxPtr, 0), call('bpf_dynptr_from_skb', [r('skb'), imm(0), dynptr('ptr')], 'e'), goto('ok', when('e', '==', imm(0))), store('err', imm(1)), ret(imm(1)),
    label('ok'), dynptrWrite(dynptr('ptr'), 0, buf('write_data'), 2, 'w'), goto('ret1', when('w', '==', imm(EINVAL))), store('err', imm(2)), label('ret1'), ret(imm(1)),
  ] },
  { fn: 'test_dynptr_copy', sec: TP, setup: 'SYSCALL_SLEEP', locals: [B('data', 21, HELLO), B('buf', 32, 'zero'), D('src'), D('dst'), iterLocal('c1'), iterLocal('c2')], body: [
    ringbufReserve(imm(21), dynptr('src')), ringbufReserve(imm(21), dynptr('dst')),
    dynptrWrite(dynptr('src'), 0, buf('data'), 21, 'e'), store('err', r('e')),
    ...orElse('cp1', [call('bpf_dynptr_copy', [dynptr('dst'), imm(0), dynptr('src'), imm(0), imm(21)], 'x1')], 'x1'),
    ...orElse('rd1', [dynptrRead(buf('buf'), 21, dynptr('dst'), 0, 'x2')], 'x2'),
    ...orElse('mc1', bpfMemcmp('c1', buf('data'), buf('buf'), imm(21), 'x3'), 'x3'),
    ...orElse('cp2', [call('bpf_dynptr_copy', [dynptr('dst'), imm(3), dynptr('src'), imm(5), imm(16)], 'x4')], 'x4'),
    ...orElse('rd2', [dynptrRead(buf('buf'), 16, dynptr('dst'), 3, 'x5')], 'x5'),
    ...orElse('mc2', bpfMemcmp('c2', buf('data', 5), buf('buf'), imm(16), 'x6'), 'x6'),
    ringbufDiscard(dynptr('src')), ringbufDiscard(dynptr('dst')), ret(imm(0)),
  ] },
  xdpCopy(),
  ...memsetTests(),
  memsetXdpChunks(),
  ...probeTests(),
];

/** test_dynptr_copy_xdp: 200 chunks of 20 bytes between a ringbuf dynptr and a non-contiguous xdp one. */
function xdpCopy(): Def {
  const len = 20;
  const chunks = 200;
  const readBack = (tag: string, from: string, base: number): Op[] => bpfFor(tag, `i_${tag}`, imm(0), imm(tag === 'r3' ? chunks - 1 : chunks), [
    memset(buf('buf'), 0, 32), mov(`o_${tag}`, r(`i_${tag}`)), alu('mul', `o_${tag}`, imm(len)), alu('add', `o_${tag}`, imm(base)),
    call('bpf_dynptr_read', [addr('buf'), imm(len), dynptr(from), r(`o_${tag}`), imm(0)], `e_${tag}`), store('err', r(`e_${tag}`)), goto(`esc_${tag}`, when(`e_${tag}`, '!=', imm(0))),
    ...bpfMemcmp(`m_${tag}`, buf('data'), buf('buf'), imm(len), `c_${tag}`), goto(`esc_${tag}`, when(`c_${tag}`, '!=', imm(0))),
  ], 'out');
  const writeAll = (tag: string, src: Arg): Op[] => bpfFor(tag, `i_${tag}`, imm(0), imm(chunks), [
    mov(`o_${tag}`, r(`i_${tag}`)), alu('mul', `o_${tag}`, imm(len)), dynptrWrite(dynptr('ptr_buf'), r(`o_${tag}`), src, len, `e_${tag}`), store('err', r(`e_${tag}`)), goto(`esc_${tag}`, when(`e_${tag}`, '!=', imm(0))),
  ], 'out');
  return { fn: 'test_dynptr_copy_xdp', sec: 'xdp', setup: 'XDP_PROG',
    locals: [D('ptr_buf'), D('ptr_xdp'), B('data', 20, 'qwertyuiopasdfghjkl'), B('buf', 32, 'zero'), ...['w1', 'r1', 'w2', 'r2', 'r3', 'm_r1', 'm_r2', 'm_r3'].map(iterLocal)],
    body: [
      call('bpf_dynptr_from_xdp', [ctxPtr, imm(0), dynptr('ptr_xdp')]), call('bpf_dynptr_size', [dynptr('ptr_xdp')], 'xdp_data_size'),
      ringbufReserve(imm(len * chunks), dynptr('ptr_buf')),
      ...writeAll('w1', buf('data')),
      call('bpf_dynptr_copy', [dynptr('ptr_xdp'), imm(0), dynptr('ptr_buf'), imm(0), imm(len * chunks)], 'c1'), store('err', r('c1')), goto('out', when('c1', '!=', imm(0))),
      ...readBack('r1', 'ptr_xdp', 0),
      memset(buf('buf'), 0, 32), ...writeAll('w2', buf('buf')),
      call('bpf_dynptr_copy', [dynptr('ptr_buf'), imm(0), dynptr('ptr_xdp'), imm(0), imm(len * chunks)], 'c2'), store('err', r('c2')), goto('out', when('c2', '!=', imm(0))),
      ...readBack('r2', 'ptr_buf', 0),
      call('bpf_dynptr_copy', [dynptr('ptr_xdp'), imm(2), dynptr('ptr_xdp'), imm(len), imm(len * (chunks - 1))], 'c3'), store('err', r('c3')), goto('out', when('c3', '!=', imm(0))),
      ...readBack('r3', 'ptr_xdp', 2),
      mov('far', r('xdp_data_size')), alu('sub', 'far', imm(3000)),
      call('bpf_dynptr_copy', [dynptr('ptr_xdp'), r('far'), dynptr('ptr_xdp'), imm(0), imm(len * chunks)], 'c4'), goto('out', when('c4', '==', imm(E2BIG))), store('err', imm(1)),
      label('out'), ringbufDiscard(dynptr('ptr_buf')), ret(imm(XDP_DROP)),
    ] };
}

/** The bpf_dynptr_memset tests over LOCAL dynptrs of globals (and a read-only cgroup skb dynptr). */
function memsetTests(): Def[] {
  const over = (g: string, size: number, mode: 'zero' | 'notzero' | 'offset' | 'adjusted'): Op[] => {
    const expected = mode === 'notzero' ? [memset(buf('expected'), 42, size)] : [];
    const set = mode === 'offset' ? [call('bpf_dynptr_memset', [dynptr('ptr'), imm(8), imm(4), imm(0)], 'x')]
      : mode === 'adjusted' ? [] : [call('bpf_dynptr_memset', [dynptr('ptr'), imm(0), imm(size), imm(mode === 'notzero' ? 42 : 0)], 'x')];
    return [
      ...expected,
      call('bpf_dynptr_from_mem', [buf(g), imm(size), imm(0), dynptr('ptr')], 'e'), store('err', r('e')),
      ...(mode === 'adjusted' ? [...orElse('adj', [call('bpf_dynptr_adjust', [dynptr('ptr'), imm(4), imm(8)], 'a')], 'a'),
        ...orElse('ms', [call('bpf_dynptr_size', [dynptr('ptr')], 'sz'), call('bpf_dynptr_memset', [dynptr('ptr'), imm(0), r('sz'), imm(0)], 'x')], 'x')] : orElse('ms', set, 'x')),
      ...orElse('cmp', bpfMemcmp('m', buf(mode === 'zero' ? 'zeroes' : 'expected'), buf(g), imm(size), 'c'), 'c'),
      ret(imm(0)),
    ];
  };
  const overflow = (fn: string, off: number, extra: number): Def => ({ fn, sec: TP, setup: 'SYSCALL_SLEEP', locals: [D('ptr')], body: [
    call('bpf_dynptr_from_mem', [buf('memset_overflow_data'), imm(21), imm(0), dynptr('ptr')], 'e'), store('err', r('e')),
    call('bpf_dynptr_memset', [dynptr('ptr'), imm(off), imm(21 + extra), imm(0)], 'x'), goto('ret0', when('x', '==', imm(E2BIG))), store('err', imm(1)), label('ret0'), ret(imm(0)),
  ] });
  return [
    { fn: 'test_dynptr_memset_zero', sec: TP, setup: 'SYSCALL_SLEEP', locals: [B('zeroes', 32, 'zero'), D('ptr'), iterLocal('m')], body: over('memset_zero_data', 18, 'zero') },
    { fn: 'test_dynptr_memset_notzero', sec: TP, setup: 'SYSCALL_SLEEP', locals: [D('ptr'), B('expected', 32), iterLocal('m')], body: over('memset_notzero_data', 23, 'notzero') },
    { fn: 'test_dynptr_memset_zero_offset', sec: TP, setup: 'SYSCALL_SLEEP', locals: [B('expected', 28, 'data to \0\0\0\0eroed partially'), D('ptr'), iterLocal('m')], body: over('memset_zero_offset_data', 28, 'offset') },
    { fn: 'test_dynptr_memset_zero_adjusted', sec: TP, setup: 'SYSCALL_SLEEP', locals: [B('expected', 28, 'data\0\0\0\0be zeroed partially'), D('ptr'), iterLocal('m')], body: over('memset_zero_adjusted_data', 28, 'adjusted') },
    overflow('test_dynptr_memset_overflow', 0, 1),
    overflow('test_dynptr_memset_overflow_offset', 1, 0),
    { fn: 'test_dynptr_memset_readonly', sec: '?cgroup_skb/egress', setup: 'SKB_PROG', locals: [D('ptr')], body: [
      call('bpf_dynptr_from_skb', [ctxPtr, imm(0), dynptr('ptr')], 'e'), store('err', r('e')), call('bpf_dynptr_size', [dynptr('ptr')], 'sz'),
      call('bpf_dynptr_memset', [dynptr('ptr'), imm(0), r('sz'), imm(0)], 'x'), goto('ret0', when('x', '==', imm(EINVAL))), store('err', imm(1)), label('ret0'), ret(imm(0)),
    ] },
  ];
}

/** test_dynptr_memset_xdp_chunks. */
function memsetXdpChunks(): Def {
  return { fn: 'test_dynptr_memset_xdp_chunks', sec: 'xdp', setup: 'XDP_PROG', locals: [D('ptr_xdp'), B('expected_buf', 32), B('buf', 32), iterLocal('ch'), iterLocal('mc')], body: [
    memset(buf('expected_buf'), 42, 32), call('bpf_dynptr_from_xdp', [ctxPtr, imm(0), dynptr('ptr_xdp')]), call('bpf_dynptr_size', [dynptr('ptr_xdp')], 'data_sz'),
    call('bpf_dynptr_memset', [dynptr('ptr_xdp'), imm(0), r('data_sz'), imm(42)], 'e'), store('err', r('e')), goto('chunks', when('e', '==', imm(0))),
    goto('out', when('data_sz', '<', imm(65536))), store('err', imm(0)), goto('out'),
    label('chunks'),
    ...bpfFor('ch', 'i', imm(0), imm(200), [
      mov('offset', r('i')), alu('mul', 'offset', imm(32)), goto('esc_ch', when('offset', '>=', r('data_sz'))),
      mov('left', r('data_sz')), alu('sub', 'left', r('offset')), mov('chunk_sz', imm(32)), goto('small', when('left', '>=', imm(32))), mov('chunk_sz', r('left')), label('small'),
      call('bpf_dynptr_read', [addr('buf'), r('chunk_sz'), dynptr('ptr_xdp'), r('offset'), imm(0)], 'rd'), store('err', r('rd')), goto('esc_ch', when('rd', '!=', imm(0))),
      ...bpfMemcmp('mc', buf('buf'), buf('expected_buf'), imm(32), 'c'), store('err', r('c')), goto('esc_ch', when('c', '!=', imm(0))),
    ], 'out'),
    label('out'), ret(imm(XDP_DROP)),
  ] };
}

/** The probe-read / copy-from-user programs: `test_dynptr_probe[_str][_xdp]` inlined with their read function. */
function probeTests(): Def[] {
  const lens = (tag: string, body: (len: string) => Op[]): Op[] => bpfFor(tag, `i_${tag}`, imm(0), imm(7), [
    mov(`lp_${tag}`, buf('test_len')), mov(`li_${tag}`, r(`i_${tag}`)), alu('mul', `li_${tag}`, imm(4)), alu('add', `lp_${tag}`, r(`li_${tag}`)), ld(`len_${tag}`, 4, r(`lp_${tag}`), 0),
    ...body(`len_${tag}`),
  ]);
  const readFn = (fn: string, dp: Arg, off: Arg, len: string, src: Arg, dst: string): Op[] => fn.startsWith('bpf_copy_from_user_task')
    ? [call('bpf_get_current_task_btf', [], 'task'), call(fn, [dp, off, r(len), src, r('task')], dst)]
    : [call(fn, [dp, off, r(len), src], dst)];
  /** test_dynptr_probe: raw bytes into a ringbuf dynptr. */
  const probe = (tag: string, fn: string, src: Arg): Op[] => [
    ...pidFilter(`end_${tag}`), ringbufReserve(imm(384), dynptr(`ptr_buf_${tag}`), `e_${tag}`), store('err', r(`e_${tag}`)),
    ...lens(tag, (len) => [
      ...orElse(`rf_${tag}`, readFn(fn, dynptr(`ptr_buf_${tag}`), imm(0), len, src, `x_${tag}`), `x_${tag}`),
      goto(`brk_${tag}`, when(len, '>', imm(384))),
      ...orElse(`rd_${tag}`, [dynptrRead(buf('buf'), r(len), dynptr(`ptr_buf_${tag}`), 0, `y_${tag}`)], `y_${tag}`),
      mov(`ev_${tag}`, glob('err')), goto(`bad_${tag}`, when(`ev_${tag}`, '!=', imm(0))),
      ...bpfMemcmp(`mc_${tag}`, buf('expected_str'), buf('buf'), r(len), `c_${tag}`), goto(`good_${tag}`, when(`c_${tag}`, '==', imm(0))),
      label(`bad_${tag}`), store('err', imm(1)), label(`good_${tag}`),
      memset(buf('buf'), 0, 384),
      ...orElse(`wr_${tag}`, [dynptrWrite(dynptr(`ptr_buf_${tag}`), 0, buf('buf'), r(len), `z_${tag}`)], `z_${tag}`),
    ]),
    ringbufDiscard(dynptr(`ptr_buf_${tag}`)), label(`end_${tag}`),
  ];
  /** test_dynptr_probe_str: NUL-terminated strings into a ringbuf dynptr. */
  const probeStr = (tag: string, fn: string, src: Arg): Op[] => [
    ...pidFilter(`end_${tag}`), ringbufReserve(imm(384), dynptr(`ptr_buf_${tag}`)),
    ...lens(tag, (len) => [
      ...readFn(fn, dynptr(`ptr_buf_${tag}`), imm(0), len, src, `cnt_${tag}`), alu('and', `cnt_${tag}`, imm(0xffffffff)),
      goto(`same_${tag}`, when(`cnt_${tag}`, '==', r(len))), store('err', imm(1)), label(`same_${tag}`),
      goto(`top_${tag}`, when(len, '>', imm(384))),
      ...orElse(`rd_${tag}`, [dynptrRead(buf('buf'), r(len), dynptr(`ptr_buf_${tag}`), 0, `y_${tag}`)], `y_${tag}`),
      goto(`top_${tag}`, when(len, '==', imm(0))),
      mov(`ev_${tag}`, glob('err')), goto(`bad_${tag}`, when(`ev_${tag}`, '!=', imm(0))),
      mov(`l1_${tag}`, r(len)), alu('sub', `l1_${tag}`, imm(1)),
      ...bpfMemcmp(`mc_${tag}`, buf('expected_str'), buf('buf'), r(`l1_${tag}`), `c_${tag}`), goto(`bad_${tag}`, when(`c_${tag}`, '!=', imm(0))),
      mov(`pl_${tag}`, buf('buf')), alu('add', `pl_${tag}`, r(`l1_${tag}`)), ld(`last_${tag}`, 1, r(`pl_${tag}`), 0), goto(`good_${tag}`, when(`last_${tag}`, '==', imm(0))),
      label(`bad_${tag}`), store('err', imm(1)), label(`good_${tag}`),
    ]),
    ringbufDiscard(dynptr(`ptr_buf_${tag}`)), label(`end_${tag}`),
  ];
  /** The xdp halves: the same reads into an xdp dynptr near a fragment's end (offset 4096 - 256 - 320 - 32 on 4K pages). */
  const xdpOff = 4096 - 256 - 320 - 32;
  const probeXdp = (tag: string, fn: string, src: Arg, str: boolean): Op[] => [
    ...pidFilter(`end_${tag}`), call('bpf_dynptr_from_xdp', [ctxPtr, imm(0), dynptr(`ptr_xdp_${tag}`)], `e_${tag}`), store('err', r(`e_${tag}`)),
    ...(str ? [goto(`end_${tag}`, when(`e_${tag}`, '!=', imm(0)))] : []),
    ...lens(tag, (len) => str ? [
      ...readFn(fn, dynptr(`ptr_xdp_${tag}`), imm(xdpOff), len, src, `cnt_${tag}`), alu('and', `cnt_${tag}`, imm(0xffffffff)),
      goto(`same_${tag}`, when(`cnt_${tag}`, '==', r(len))), store('err', imm(1)), label(`same_${tag}`), goto(`top_${tag}`, when(len, '>', imm(384))),
      ...orElse(`rd_${tag}`, [dynptrRead(buf('buf'), r(len), dynptr(`ptr_xdp_${tag}`), xdpOff, `y_${tag}`)], `y_${tag}`),
      goto(`top_${tag}`, when(len, '==', imm(0))),
      mov(`ev_${tag}`, glob('err')), goto(`bad_${tag}`, when(`ev_${tag}`, '!=', imm(0))), mov(`l1_${tag}`, r(len)), alu('sub', `l1_${tag}`, imm(1)),
      ...bpfMemcmp(`mc_${tag}`, buf('expected_str'), buf('buf'), r(`l1_${tag}`), `c_${tag}`), goto(`bad_${tag}`, when(`c_${tag}`, '!=', imm(0))),
      mov(`pl_${tag}`, buf('buf')), alu('add', `pl_${tag}`, r(`l1_${tag}`)), ld(`last_${tag}`, 1, r(`pl_${tag}`), 0), goto(`good_${tag}`, when(`last_${tag}`, '==', imm(0))),
      label(`bad_${tag}`), store('err', imm(1)), label(`good_${tag}`),
      memset(buf('buf'), 0, 384), ...orElse(`wr_${tag}`, [dynptrWrite(dynptr(`ptr_xdp_${tag}`), xdpOff, buf('buf'), r(len), `z_${tag}`)], `z_${tag}`),
    ] : [
      ...orElse(`rf_${tag}`, readFn(fn, dynptr(`ptr_xdp_${tag}`), imm(xdpOff), len, src, `x_${tag}`), `x_${tag}`), goto(`top_${tag}`, when(len, '>', imm(384))),
      ...orElse(`rd_${tag}`, [dynptrRead(buf('buf'), r(len), dynptr(`ptr_xdp_${tag}`), xdpOff, `y_${tag}`)], `y_${tag}`),
      mov(`ev_${tag}`, glob('err')), goto(`bad_${tag}`, when(`ev_${tag}`, '!=', imm(0))),
      ...bpfMemcmp(`mc_${tag}`, buf('expected_str'), buf('buf'), r(len), `c_${tag}`), goto(`good_${tag}`, when(`c_${tag}`, '==', imm(0))),
      label(`bad_${tag}`), store('err', imm(1)), label(`good_${tag}`),
      memset(buf('buf'), 0, 384), ...orElse(`wr_${tag}`, [dynptrWrite(dynptr(`ptr_xdp_${tag}`), xdpOff, buf('buf'), r(len), `z_${tag}`)], `z_${tag}`),
    ]),
    label(`end_${tag}`),
  ];
  // Each half declares `char buf[384]` in its own inlined scope: clang gives both the same stack
  // bytes (they are never live together), so the translation has one `buf`.
  const localsFor = (tags: readonly string[], xdp: readonly string[]): Local[] => [
    B('buf', 384),
    ...tags.flatMap((t) => [D(`ptr_buf_${t}`), iterLocal(t), iterLocal(`mc_${t}`)]),
    ...xdp.flatMap((t) => [D(`ptr_xdp_${t}`), iterLocal(t), iterLocal(`mc_${t}`)]),
  ];
  const userPtr = glob('user_ptr');
  const kernelStr = buf('expected_str');
  const xdpProg = (fn: string, read: string, src: Arg, str: boolean): Def => ({ fn, sec: 'xdp', setup: 'XDP_PROG', locals: localsFor(['a'], ['x']), body: [
    ...(str ? probeStr('a', read, src) : probe('a', read, src)), mov('ev', glob('err')), goto('pass', when('ev', '!=', imm(0))), ...probeXdp('x', read, src, str), label('pass'), ret(imm(XDP_PASS)),
  ] });
  const fentryProg = (fn: string, read: string, str: boolean): Def => ({ fn, sec: 'fentry.s/__x64_sys_nanosleep', setup: 'SYSCALL_SLEEP', locals: localsFor(['a'], []), body: [
    ...(str ? probeStr('a', read, userPtr) : probe('a', read, userPtr)), ret(imm(0)),
  ] });
  return [
    xdpProg('test_probe_read_user_dynptr', 'bpf_probe_read_user_dynptr', userPtr, false),
    xdpProg('test_probe_read_kernel_dynptr', 'bpf_probe_read_kernel_dynptr', kernelStr, false),
    xdpProg('test_probe_read_user_str_dynptr', 'bpf_probe_read_user_str_dynptr', userPtr, true),
    xdpProg('test_probe_read_kernel_str_dynptr', 'bpf_probe_read_kernel_str_dynptr', kernelStr, true),
    fentryProg('test_copy_from_user_dynptr', 'bpf_copy_from_user_dynptr', false),
    fentryProg('test_copy_from_user_str_dynptr', 'bpf_copy_from_user_str_dynptr', true),
    fentryProg('test_copy_from_user_task_dynptr', 'bpf_copy_from_user_task_dynptr', false),
    fentryProg('test_copy_from_user_task_str_dynptr', 'bpf_copy_from_user_task_str_dynptr', true),
  ];
}

const OBJECT: BpfObject = {
  name: 'dynptr_success', maps,
  globals: [...globals, { name: 'str_foo', kind: 'bytes', size: 4, init: 'foo', rodata: true }],
  programs: defs.map((d): Program => ({ name: d.fn, section: d.sec, body: d.body, ...(d.locals === undefined ? {} : { locals: d.locals }) })),
  subprogs: defs.flatMap((d) => d.subs ?? []),
};

const USER_PTR = 0x7ffe0000;
const EXPECTED = `${'a'.repeat(383)}`;

/**
 * prog_tests/dynptr.c: set `pid`, load with the program on, set `user_ptr`, `test_len[0] = 384` and
 * `expected_str` (383 'a' and a NUL), trigger, then `err == 0`.
 */
export function check(fn: string, setup: Setup, obj: BpfObject = OBJECT): (version: KernelVersion) => string[] {
  return (version) => {
    const s = new Session({ version });
    s.createFile({ path: '/bin/test_progs', content: content.zero(), size: 4096 });
    // The driver loads the object with the tested program turned on and attaches only that program.
    s.load(obj, { autoload: [fn], attach: [fn] });
    // SETUP_SKB_PROG_TP: any SCHED_CLS program's test run frees its skb, which fires kfree_skb; the
    // driver uses test_pkt_access.bpf.o (what it does to the packet does not matter here).
    if (setup === 'SKB_PROG_TP') s.load(AUX_TC);
    const trigger: Syscall[] = setup === 'SYSCALL_SLEEP' ? [{ sys: 'sleep', ticks: 1 }]
      : setup === 'SKB_PROG' ? [{ sys: 'prog_test_run', prog: fn, data: 'pkt_v4' }]
        : setup === 'XDP_PROG' ? [{ sys: 'prog_test_run', prog: fn, data: { size: 5000 } }]
          : [{ sys: 'prog_test_run', prog: 'test_pkt_access', data: 'pkt_v4' }];
    s.spawn({ comm: 'test_progs', exe: '/bin/test_progs', script: [
      { sys: 'set_global', global: 'pid', value: 'pid' }, { sys: 'user_write', addr: USER_PTR, text: EXPECTED }, { sys: 'set_global', global: 'user_ptr', value: USER_PTR },
      ...trigger, { sys: 'exit' },
    ] });
    s.run((k) => {
      const first = [...k.t.objects.keys()][0];
      const o = first === undefined ? undefined : k.t.object(first);
      const es = o?.globals.get('expected_str');
      if (es !== undefined) { const c = es.slice(); c.fill(0x61, 0, 383); c[383] = 0; o?.globals.set('expected_str', c); }
      const tl = o?.globals.get('test_len');
      if (tl !== undefined) { const c = tl.slice(); new DataView(c.buffer).setUint32(0, 384, true); o?.globals.set('test_len', c); }
    });
    s.simulate();
    const failed: string[] = [];
    // ASSERT_OK(bpf_prog_test_run_opts(...)): the test run itself must succeed (data_out holds 64 bytes).
    for (const e of traceEvents(s.world.trace)) if (e.kind === 'test_run' && e.err !== 0) failed.push(`test_run of ${e.prog} = ${e.err}`);
    if (setup !== 'SYSCALL_SLEEP' && !traceEvents(s.world.trace).some((e) => e.kind === 'test_run')) failed.push('no test run happened');
    if (s.global('dynptr_success', 'err') !== 0n) failed.push(`err = ${String(s.global('dynptr_success', 'err'))}`);
    return failed;
  };
}

/** A SCHED_CLS program for SETUP_SKB_PROG_TP's test run (the driver's test_pkt_access.bpf.o, reduced to its return). */
const AUX_TC: BpfObject = { name: 'test_pkt_access', maps: [], globals: [], subprogs: [], programs: [{ name: 'test_pkt_access', section: 'tc', body: [ret(imm(0))] }] };

export { OBJECT as DYNPTR_SUCCESS_OBJECT };

export const DYNPTR_SUCCESS: Selftest[] = defs.map((d): Selftest => ({
  file: 'dynptr_success.c', fn: d.fn, source: SOURCE, version: '6.19', object: OBJECT,
  ...(d.sec.startsWith('?') ? {} : { note: 'not a `?` section: loaded in every subtest of prog_tests/dynptr.c' }),
  expect: {
    kind: 'runtime', driver: `prog_tests/dynptr.c (SETUP_${d.setup}): err == 0`, check: check(d.fn, d.setup),
  },
}));

void ringbufSubmit;
