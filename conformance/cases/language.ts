/**
 * The program language on the kernel: hand-written `SEC("syscall")` programs that use stack
 * variables, loads and stores of every size through stack, global and map-value pointers,
 * variable offsets, memcpy/memset, loops (bounded, `bpf_loop`, open-coded iterators), bpf-to-bpf
 * and global calls, atomics and spilled pointers. Each stores what it computed into its global
 * `<id>_res` (64 bytes), compared byte for byte with the model's; the program's return value is
 * compared too. The rejected ones (`verifier: true`) check the verifier's stack and memory rules:
 * the kernel must refuse them with the model's message (register numbers of C variables are the
 * compiler's: compared register-blind).
 */
import { ALL_KFUNCS, program as P, type BpfObject, type Local, type MapDecl, type Op, type Subprog } from '../../src/index.ts';
import { RETS, type ConfCase } from './lib.ts';
import { pidFilterOps, type FileCase } from './file.ts';

const { r, imm, NULL, call, mov, alu, ld, st, goto, when, label, ret, addr, local, cb, dynptr, buf, memcpy, memset } = P;

interface Spec {
  readonly locals?: readonly Local[];
  readonly body: (res: string, id: string) => Op[];
  readonly subprogs?: (id: string) => Subprog[];
  readonly maps?: (id: string) => MapDecl[];
  readonly globals?: (id: string) => BpfObject['globals'];
  readonly verifier?: boolean;
  /** Written as BPF assembly (registers r0-r10): what C cannot say (an access outside every object). */
  readonly asm?: boolean;
}

/** One case: globals `<id>_rets` (unused here; the runner reads it) and `<id>_res` (the results). */
function lang(id: string, rule: string, note: string, spec: Spec): ConfCase {
  const res = `${id}_res`;
  const object: BpfObject = {
    name: id,
    maps: spec.maps?.(id) ?? [],
    globals: [{ name: `${id}_rets`, kind: 'u64s', size: RETS }, { name: res, kind: 'bytes', size: 64 }, ...(spec.globals?.(id) ?? [])],
    programs: [{ name: id, section: 'syscall', body: spec.body(res, id), ...(spec.locals === undefined ? {} : { locals: spec.locals }), ...(spec.asm === true ? { asm: true } : {}) }],
    subprogs: spec.subprogs?.(id) ?? [],
  };
  return { id, rule, note, object, calls: [], ...(spec.verifier === true ? { verifier: true } : {}) };
}

/** `res[8k .. 8k+8) = v`. */
const out = (res: string, k: number, v: string): Op => st(8, addr(res), 8 * k, r(v));

const MEM = 'language: stack, global and map memory';
const LOOPS = 'language: loops and calls';
const HELPERS = 'language: helpers';
const STACK = 'language: verifier stack and memory rules';

/**
 * Every kfunc of the model's but those a kernel keeps under another prototype (`keptInBtf`: flo_impl_*),
 * for `l_ksym_all`: each declared `__weak` with the model's prototype, so that the load also checks
 * every prototype against the kernel's BTF (libbpf refuses an incompatible one, weak or not).
 */
const TESTED_KFUNCS: readonly string[] = Object.values(ALL_KFUNCS).filter((d) => d.kind === 'kfunc' && d.keptInBtf !== true).map((d) => d.name);

export const languageCases: readonly ConfCase[] = [
  lang('l_stack_sizes', MEM, 'an 8-byte store to a stack u64, then 1/2/4/8-byte loads at each offset, signed and not', {
    locals: [local('a', 'u64', 'zero'), local('b', 'u32', 'zero'), local('c', 'u16', 'zero')],
    body: (res) => [
      mov('x', imm(0x8877665544332211n)), st(8, addr('a'), 0, r('x')),
      ld('v0', 1, addr('a'), 0), ld('v1', 2, addr('a'), 2), ld('v2', 4, addr('a'), 4), { op: 'ld', dst: 'v3', size: 1, base: addr('a'), off: 7, signed: true },
      { op: 'ld', dst: 'v4', size: 2, base: addr('a'), off: 6, signed: true }, { op: 'ld', dst: 'v5', size: 4, base: addr('a'), off: 4, signed: true },
      st(4, addr('b'), 0, imm(-2)), ld('v6', 4, addr('b'), 0), st(2, addr('c'), 0, imm(0xbeef)), { op: 'ld', dst: 'v7', size: 2, base: addr('c'), off: 0, signed: true },
      out(res, 0, 'v0'), out(res, 1, 'v1'), out(res, 2, 'v2'), out(res, 3, 'v3'), out(res, 4, 'v4'), out(res, 5, 'v5'), out(res, 6, 'v6'), out(res, 7, 'v7'),
      ret(imm(0)),
    ],
  }),
  lang('l_stack_array_var', MEM, 'a 32-byte stack array read at a variable, bounded offset in a bounded loop (sum of its bytes), then copied out', {
    locals: [local('arr', { bytes: 32 }, 'the quick brown fox jumps over')],
    body: (res) => [
      mov('i', imm(0)), mov('sum', imm(0)),
      label('top'), goto('done', when('i', '>=', imm(32))),
      mov('p', addr('arr')), alu('add', 'p', r('i')), ld('c', 1, r('p'), 0), alu('add', 'sum', r('c')), alu('add', 'i', imm(1)), goto('top'),
      label('done'), out(res, 0, 'sum'), memcpy(addr(res, 8), addr('arr'), 32), ret(r('sum')),
    ],
  }),
  lang('l_global_sizes', MEM, 'stores of 1, 2, 4 and 8 bytes into a global, loads of other sizes over them', {
    body: (res) => [
      mov('x', imm(0x0102030405060708n)), st(8, addr(res), 0, r('x')), st(1, addr(res), 1, imm(0xff)), st(2, addr(res), 2, imm(0xaaaa)), st(4, addr(res), 8, imm(0x11223344)),
      ld('a', 8, addr(res), 0), ld('b', 4, addr(res), 4), { op: 'ld', dst: 'c', size: 1, base: addr(res), off: 1, signed: true },
      out(res, 2, 'a'), out(res, 3, 'b'), out(res, 4, 'c'), ret(imm(0)),
    ],
  }),
  lang('l_memcpy_memset', MEM, 'memset inside a stack buffer, memcpy of the buffer into a global', {
    locals: [local('b', { bytes: 24 }, 'abcdefghijklmnopqrstuvw')],
    body: (res) => [memset(addr('b', 4), 0xab, 8), memcpy(addr(res), addr('b'), 24), memset(addr(res, 32), 0x5a, 16), ret(imm(0))],
  }),
  lang('l_map_value_var', MEM, 'an array map value: stores at variable, bounded offsets (i & 24), loads back, then the value copied out', {
    maps: (id) => [{ name: `${id}_m`, type: 'array', maxEntries: 1, valueSize: 32, taskWorkFields: 0 }],
    locals: [local('key', 'u32', 'zero')],
    body: (res, id) => [
      call('bpf_map_lookup_elem', [P.map(`${id}_m`), addr('key')], 'v'), goto('out', when('v', '==', NULL)),
      mov('i', imm(0)),
      label('top'), goto('copy', when('i', '>=', imm(4))),
      mov('o', r('i')), alu('mul', 'o', imm(8)), alu('and', 'o', imm(24)), mov('p', r('v')), alu('add', 'p', r('o')), mov('val', r('i')), alu('mul', 'val', imm(0x1111)), st(8, r('p'), 0, r('val')),
      alu('add', 'i', imm(1)), goto('top'),
      label('copy'), ld('a', 4, r('v'), 12), out(res, 4, 'a'), memcpy(addr(res), r('v'), 32),
      label('out'), ret(imm(0)),
    ],
  }),
  lang('l_spill_fill', MEM, 'a map value pointer spilled to the stack (8-byte store of a pointer) and filled back before the access', {
    maps: (id) => [{ name: `${id}_m`, type: 'array', maxEntries: 1, valueSize: 8, taskWorkFields: 0 }],
    locals: [local('key', 'u32', 'zero'), local('slot', 'u64', 'zero')],
    body: (res, id) => [
      call('bpf_map_lookup_elem', [P.map(`${id}_m`), addr('key')], 'v'), goto('out', when('v', '==', NULL)),
      st(8, addr('slot'), 0, r('v')), ld('w', 8, addr('slot'), 0), st(8, r('w'), 0, imm(77)), ld('x', 8, r('v'), 0), out(res, 0, 'x'),
      label('out'), ret(imm(0)),
    ],
  }),
  lang('l_bpf_loop', LOOPS, 'bpf_loop with a static callback summing the index into a stack variable (10 calls); a callback that stops at index 3', {
    locals: [local('acc', 'u64', 'zero')],
    subprogs: (id) => [
      { name: `${id}_sum`, isStatic: true, params: [{ name: 'index', type: 'u32' }, { name: 'ctx', type: 'ptr' }], body: [ld('a', 8, r('ctx'), 0), alu('add', 'a', r('index')), st(8, r('ctx'), 0, r('a')), ret(imm(0))] },
      { name: `${id}_stop`, isStatic: true, params: [{ name: 'index', type: 'u32' }, { name: 'ctx', type: 'ptr' }], body: [goto('stop', when('index', '==', imm(3))), ret(imm(0)), label('stop'), ret(imm(1))] },
    ],
    body: (res, id) => [
      call('bpf_loop', [imm(10), cb(`${id}_sum`), addr('acc'), imm(0)], 'n'), ld('a', 8, addr('acc'), 0),
      call('bpf_loop', [imm(10), cb(`${id}_stop`), NULL, imm(0)], 'm'),
      out(res, 0, 'n'), out(res, 1, 'a'), out(res, 2, 'm'), ret(imm(0)),
    ],
  }),
  lang('l_iter_num', LOOPS, 'an open-coded iterator over [2, 7) summing its values (bpf_for)', {
    locals: [local('it', 'iter_num')],
    body: (res) => [
      mov('sum', imm(0)), mov('cnt', imm(0)),
      call('bpf_iter_num_new', [addr('it'), imm(2), imm(7)], 'e'),
      label('top'), call('bpf_iter_num_next', [addr('it')], 'p'), goto('end', when('p', '==', NULL)),
      ld('v', 4, r('p'), 0), alu('add', 'sum', r('v')), alu('add', 'cnt', imm(1)), goto('top'),
      label('end'), call('bpf_iter_num_destroy', [addr('it')]),
      out(res, 0, 'sum'), out(res, 1, 'cnt'), out(res, 2, 'e'), ret(imm(0)),
    ],
  }),
  lang('l_subprogs', LOOPS, 'a static noinline function with an early return and a pointer argument; a global function with scalar arguments', {
    locals: [local('x', 'u64', 'zero')],
    subprogs: (id) => [
      { name: `${id}_f`, isStatic: true, returns: 'long', params: [{ name: 'a', type: 'u64' }, { name: 'p', type: 'ptr' }], body: [
        goto('big', when('a', '>', imm(5))), st(8, r('p'), 0, r('a')), ret(imm(1)),
        label('big'), mov('b', r('a')), alu('mul', 'b', imm(2)), ret(r('b')),
      ] },
      { name: `${id}_g`, isStatic: false, returns: 'int', params: [{ name: 'x', type: 'u64' }, { name: 'y', type: 'u64' }], body: [mov('s', r('x')), alu('add', 's', r('y')), alu('and', 's', imm(0xffff)), ret(r('s'))] },
    ],
    body: (res, id) => [
      call(`${id}_f`, [imm(3), addr('x')], 'a'), call(`${id}_f`, [imm(9), addr('x')], 'b'), ld('c', 8, addr('x'), 0), call(`${id}_g`, [imm(40000), imm(30000)], 'd'),
      out(res, 0, 'a'), out(res, 1, 'b'), out(res, 2, 'c'), out(res, 3, 'd'), ret(r('b')),
    ],
  }),
  lang('l_atomics', MEM, 'atomic add, fetch-add, or, and, xor on a global and on a stack variable', {
    locals: [local('s', 'u64', 'zero')],
    body: (res) => [
      mov('one', imm(5)), P.atomicAdd(8, addr(res), r('one')), P.atomicAdd(8, addr(res), r('one'), 'old'),
      { op: 'atomic', fn: 'or', size: 8, base: addr(res, 8), src: imm(0xf0) }, { op: 'atomic', fn: 'xor', size: 8, base: addr(res, 16), src: imm(0xff) },
      { op: 'atomic', fn: 'and', size: 8, base: addr(res, 8), src: imm(0x30) },
      P.atomicAdd(8, addr('s'), r('one')), ld('sv', 8, addr('s'), 0), out(res, 3, 'old'), out(res, 4, 'sv'), ret(imm(0)),
    ],
  }),
  lang('l_strncmp', HELPERS, 'bpf_strncmp of a stack buffer with constant strings (equal, less, greater)', {
    locals: [local('s', { bytes: 6 }, 'hello')],
    globals: (id) => [
      { name: `${id}_hello`, kind: 'bytes', size: 6, init: 'hello', rodata: true },
      { name: `${id}_help`, kind: 'bytes', size: 5, init: 'help', rodata: true },
      { name: `${id}_hell`, kind: 'bytes', size: 5, init: 'hell', rodata: true },
    ],
    body: (res, id) => [
      call('bpf_strncmp', [addr('s'), imm(6), addr(`${id}_hello`)], 'a'), call('bpf_strncmp', [addr('s'), imm(6), addr(`${id}_help`)], 'b'), call('bpf_strncmp', [addr('s'), imm(6), addr(`${id}_hell`)], 'c'),
      out(res, 0, 'a'), out(res, 1, 'b'), out(res, 2, 'c'), ret(imm(0)),
    ],
  }),
  lang('l_probe_read_kernel', HELPERS, 'bpf_probe_read_kernel of the program\'s own memory (0); of a user address (-ERANGE, dst zeroed); of an unmapped canonical kernel address (-EFAULT)', {
    locals: [local('dst', { bytes: 8 }, 'zero')],
    globals: (id) => [{ name: `${id}_src`, kind: 'bytes', size: 8, init: [1, 2, 3, 4, 5, 6, 7, 8] }],
    body: (res, id) => [
      call('bpf_probe_read_kernel', [addr('dst'), imm(8), addr(`${id}_src`)], 'a'), ld('x', 8, addr('dst'), 0),
      call('bpf_probe_read_kernel', [addr('dst'), imm(8), imm(0x1000)], 'b'), ld('y', 8, addr('dst'), 0),
      call('bpf_probe_read_kernel', [addr('dst'), imm(8), imm(0xffff_8000_0000_0000n)], 'c'),
      out(res, 0, 'a'), out(res, 1, 'x'), out(res, 2, 'b'), out(res, 3, 'y'), out(res, 4, 'c'), ret(imm(0)),
    ],
  }),
  lang('l_dynptr_in_struct', HELPERS, 'a LOCAL dynptr at offset 8 of a stack struct, its slice read through a pointer, a write through it', {
    locals: [local('s', { bytes: 24 }, 'zero')],
    globals: (id) => [{ name: `${id}_mem`, kind: 'bytes', size: 16, init: 'dynptr memory!' }],
    body: (res, id) => [
      call('bpf_dynptr_from_mem', [buf(`${id}_mem`), imm(16), imm(0), dynptr('s', 8)], 'e'),
      call('bpf_dynptr_data', [dynptr('s', 8), imm(4), imm(8)], 'p'), goto('out', when('p', '==', NULL)),
      ld('w', 8, r('p'), 0), st(1, r('p'), 1, imm(0x21)), call('bpf_dynptr_size', [dynptr('s', 8)], 'n'),
      out(res, 0, 'e'), out(res, 1, 'w'), out(res, 2, 'n'), memcpy(addr(res, 24), buf(`${id}_mem`), 16),
      label('out'), ret(imm(0)),
    ],
  }),
  // Rejected: the verifier's stack and memory rules.
  lang('lv_read_dynptr_slot', STACK, 'a 4-byte load from a dynptr\'s slot (STACK_DYNPTR bytes are not readable)', {
    verifier: true, locals: [local('d', 'dynptr')], globals: (id) => [{ name: `${id}_g`, kind: 'bytes', size: 16 }],
    body: (_res, id) => [call('bpf_dynptr_from_mem', [buf(`${id}_g`), imm(8), imm(0), dynptr('d')], 'z'), ld('v', 4, dynptr('d'), 0), ret(r('v'))],
  }),
  lang('lv_partial_overwrite', STACK, 'a byte store into a dynptr\'s slot destroys it: a later use finds no dynptr', {
    verifier: true, locals: [local('d', 'dynptr')], globals: (id) => [{ name: `${id}_g`, kind: 'bytes', size: 16 }],
    body: (_res, id) => [call('bpf_dynptr_from_mem', [buf(`${id}_g`), imm(8), imm(0), dynptr('d')], 'z'), st(1, dynptr('d'), 0, imm(0)), call('bpf_dynptr_size', [dynptr('d')], 'q'), ret(imm(0))],
  }),
  lang('lv_dynptr_at_offset', STACK, 'a dynptr passed 8 bytes into its slots', {
    verifier: true, locals: [local('d', 'dynptr'), local('b', { bytes: 64 })], globals: (id) => [{ name: `${id}_g`, kind: 'bytes', size: 16 }],
    body: (_res, id) => [call('bpf_dynptr_from_mem', [buf(`${id}_g`), imm(8), imm(0), dynptr('d')], 'z'), call('bpf_dynptr_read', [buf('b'), imm(8), dynptr('d', 8), imm(0), imm(0)], 'q'), ret(imm(0))],
  }),
  lang('lv_from_mem_stack', STACK, 'bpf_dynptr_from_mem over stack memory (only map values are accepted)', {
    verifier: true, locals: [local('d', 'dynptr'), local('x', 'u64', 'zero')],
    body: () => [call('bpf_dynptr_from_mem', [addr('x'), imm(8), imm(0), dynptr('d')], 'z'), ret(imm(0))],
  }),
  lang('lv_helper_reads_slot', STACK, 'a helper reading a dynptr\'s slot as memory', {
    verifier: true, locals: [local('d', 'dynptr')], globals: (id) => [{ name: `${id}_g`, kind: 'bytes', size: 16 }],
    body: (_res, id) => [call('bpf_dynptr_from_mem', [buf(`${id}_g`), imm(8), imm(0), dynptr('d')], 'z'), call('bpf_dynptr_write', [dynptr('d'), imm(0), dynptr('d'), imm(8), imm(0)], 'q'), ret(imm(0))],
  }),
  lang('lv_slice_oob', STACK, 'a load past the end of a 4-byte slice', {
    verifier: true, locals: [local('d', 'dynptr')], globals: (id) => [{ name: `${id}_g`, kind: 'bytes', size: 16 }],
    body: (_res, id) => [call('bpf_dynptr_from_mem', [buf(`${id}_g`), imm(8), imm(0), dynptr('d')], 'z'), call('bpf_dynptr_data', [dynptr('d'), imm(0), imm(4)], 'p'), goto('o', when('p', '==', NULL)), ld('v', 1, r('p'), 5), label('o'), ret(imm(0))],
  }),
  lang('lv_slice_no_null_check', STACK, 'a slice used without its NULL check', {
    verifier: true, locals: [local('d', 'dynptr')], globals: (id) => [{ name: `${id}_g`, kind: 'bytes', size: 16 }],
    body: (_res, id) => [call('bpf_dynptr_from_mem', [buf(`${id}_g`), imm(8), imm(0), dynptr('d')], 'z'), call('bpf_dynptr_data', [dynptr('d'), imm(0), imm(4)], 'p'), ld('v', 1, r('p'), 0), ret(r('v'))],
  }),
  lang('lv_slice_after_destroy', STACK, 'a slice used after a store destroyed its dynptr', {
    verifier: true, locals: [local('d', 'dynptr')], globals: (id) => [{ name: `${id}_g`, kind: 'bytes', size: 16 }],
    body: (_res, id) => [call('bpf_dynptr_from_mem', [buf(`${id}_g`), imm(8), imm(0), dynptr('d')], 'z'), call('bpf_dynptr_data', [dynptr('d'), imm(0), imm(4)], 'p'), goto('o', when('p', '==', NULL)), st(1, dynptr('d'), 0, imm(0)), ld('v', 1, r('p'), 0), label('o'), ret(imm(0))],
  }),
  lang('lv_stack_oob', STACK, 'a load 8 bytes above the frame pointer (asm: in C it is undefined, and clang drops it)', {
    verifier: true, asm: true,
    body: () => [ld('r0', 8, P.FP, 8), ret(r('r0'))],
  }),
  lang('lv_stack_below', STACK, 'a store 520 bytes below the frame pointer (asm)', {
    verifier: true, asm: true,
    body: () => [mov('r1', imm(1)), st(8, P.FP, -520, r('r1')), mov('r0', imm(0)), ret(r('r0'))],
  }),
  lang('lv_div_const', STACK, 'asm: 100 / 7 & 7 as a stack offset for a 2-byte store: 6.18 has no DIV bounds (the result is unknown, so the store may be misaligned); 7.x knows 14', {
    verifier: true, asm: true,
    body: () => [mov('r1', imm(100)), alu('div', 'r1', imm(7)), alu('and', 'r1', imm(7)), mov('r2', r('r10')), alu('add', 'r2', imm(-16)), alu('add', 'r2', r('r1')),
      mov('r3', imm(1)), st(2, r('r2'), 0, r('r3')), mov('r0', imm(0)), ret(r('r0'))],
  }),
  lang('lv_map_value_oob', STACK, 'a store one byte past a map value', {
    verifier: true, locals: [local('key', 'u32', 'zero')], maps: (id) => [{ name: `${id}_m`, type: 'array', maxEntries: 1, valueSize: 8, taskWorkFields: 0 }],
    body: (_res, id) => [call('bpf_map_lookup_elem', [P.map(`${id}_m`), addr('key')], 'v'), goto('o', when('v', '==', NULL)), st(1, r('v'), 8, imm(1)), label('o'), ret(imm(0))],
  }),
  lang('lv_iter_leak', STACK, 'an iterator never destroyed', {
    verifier: true, locals: [local('it', 'iter_num')],
    body: () => [call('bpf_iter_num_new', [addr('it'), imm(0), imm(3)], 'e'), ret(imm(0))],
  }),
  lang('lv_loop_cb_ret', STACK, 'a bpf_loop callback returning 2', {
    verifier: true,
    subprogs: (id) => [{ name: `${id}_cb`, isStatic: true, params: [{ name: 'index', type: 'u32' }, { name: 'ctx', type: 'ptr' }], body: [ret(imm(2))] }],
    body: (_res, id) => [call('bpf_loop', [imm(3), cb(`${id}_cb`), NULL, imm(0)], 'n'), ret(imm(0))],
  }),
  // The answers go to <id>_out, which the guest tier compares too (it compares no <id>_res).
  lang('l_ksym_all', 'language: weak kfuncs (bpf_ksym_exists)', `bpf_ksym_exists of every kfunc the model has (${TESTED_KFUNCS.length}), one u64 each in <id>_out: which the kernel's BTF has, and every prototype the model writes accepted by libbpf`, {
    globals: (id) => [{ name: `${id}_out`, kind: 'bytes', size: 8 * TESTED_KFUNCS.length }],
    body: (_res, id) => [
      ...TESTED_KFUNCS.flatMap((fn, i) => [mov(`k${i}`, P.ksym(fn)), st(8, addr(`${id}_out`), 8 * i, r(`k${i}`))]),
      ret(imm(0)),
    ],
  }),
  lang('l_ksym', 'language: weak kfuncs (bpf_ksym_exists)', 'bpf_ksym_exists of bpf_task_work_schedule_signal (7.0\'s name), bpf_dynptr_from_file (6.19) and bpf_task_acquire: 0, 0, 1 on 6.18; 1, 1, 1 on 7.2', {
    body: (res) => [
      mov('a', P.ksym('bpf_task_work_schedule_signal')), mov('b', P.ksym('bpf_dynptr_from_file')), mov('c', P.ksym('bpf_task_acquire')),
      out(res, 0, 'a'), out(res, 1, 'b'), out(res, 2, 'c'), ret(imm(0)),
    ],
  }),
];

/**
 * A language case for the guest tier (7.2): the same program as an `lsm.s/file_open` program (sleepable,
 * as `SEC("syscall")` is), run when the driver opens its trigger. It starts with the driver's pid test,
 * and each `return x` of the program stores x in `<id>_ret` and returns 0 (an LSM hook returns 0 or an
 * errno). Cases in assembly are left out: they read registers the pid test clobbers. A case whose
 * object `refused` says the model's verifier refuses is a verifier case (loaded alone, its verdict compared).
 */
export function languageFileCase(c: ConfCase, id: string, refused: (o: BpfObject) => boolean): FileCase | null {
  const prog = c.object.programs[0];
  if (prog === undefined || prog.asm === true || c.object.programs.length !== 1) return null;
  const body: Op[] = [
    ...pidFilterOps(`${c.id}_pid`).map((op) => (op.op === 'goto' ? { ...op, to: 'nopid' } : op)),
    ...prog.body.flatMap((op): Op[] => (op.op === 'ret' ? [P.store(`${c.id}_ret`, op.src), P.ret(P.imm(0))] : [op])),
    P.label('nopid'), P.ret(P.imm(0)),
  ];
  const object = renamed({
    ...c.object,
    globals: [...c.object.globals, { name: `${c.id}_ret`, kind: 'u64' as const }, { name: `${c.id}_pid`, kind: 'int' as const }],
    programs: [{ ...prog, section: 'lsm.s/file_open', body }],
  }, c.id, id);
  return { id, rule: `${c.rule} (7.2)`, note: c.note, object, calls: [], state: 'warm', ...(c.generated === true ? { generated: true } : {}), ...(refused(object) ? { verifier: true } : {}) };
}

/** `v` with every string that is `from` or starts with `from_` (the case's names) renamed to `to`. */
function renamed<T>(v: T, from: string, to: string): T {
  const walk = (x: unknown): unknown => {
    if (typeof x === 'string') return x === from ? to : x.startsWith(`${from}_`) ? `${to}${x.slice(from.length)}` : x;
    if (Array.isArray(x)) return x.map(walk);
    if (x !== null && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, y]) => [k, walk(y)]));
    return x;
  };
  return walk(v) as T;
}

/** The hand-written language cases on the guest (`l_x` as `fln_x`, `lv_x` as `flnv_x`), those not in assembly. */
export function languageFileCases(refused: (o: BpfObject) => boolean): FileCase[] {
  return languageCases.flatMap((c) => languageFileCase(c, `fln${c.id.slice(1)}`, refused) ?? []);
}
