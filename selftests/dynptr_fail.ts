/**
 * tools/testing/selftests/bpf/progs/dynptr_fail.c as program values. Run by prog_tests/dynptr.c with
 * RUN_TESTS: each program loaded alone, `__failure`/`__success` and its `__msg` lines against the
 * verifier log. Its messages name registers, as 7.x does: judged on 7.0.
 *
 * Two 7.x copies were read: kernel-patches/bpf-rc@e1d84a37 (the newest, 98 programs) and the file at
 * commit 08dbfad3f504 (94 programs; quoted whole by a stored transliteration, id 61521635785, which
 * names that SOURCE-COMMIT). bpf-rc carries series under review on top of 08dbfad3: four programs
 * exist only there (not judged: `newest` without an expectation) and three expectations differ
 * (judged by 08dbfad3's; `newest` records bpf-rc's). kernel-patches/bpf@063c589b is the 6.19-era
 * copy (`arg #N` messages); notes say where it differs. The 7.2.13 release's copy (RELEASE_7_2, read
 * later: 94 programs, 08dbfad3's set) differs from 08dbfad3 in four expectations: those cases are
 * judged by 7.2.13's, at 7.2, and 08dbfad3's become `newest` (7.3-rc7 has 08dbfad3's rules).
 *
 * `get_map_val_dynptr` is a plain `static` function: clang inlines it, so it is inlined here too
 * (`getMapVal`).
 */
import type { Arg, BpfObject, Local, Op, Program, Subprog } from '../src/index.ts';
import {
  addr, alu, buf, call, cb, ctxPtr, dynptr, dynptrData, dynptrRead, dynptrWrite, E2BIG, FP, glob, goto, imm, label, ld, local, map, memcpy, mov, NULL, r, ret,
  ringbufDiscard, ringbufReserve, ringbufSubmit, SK_DROP, SK_PASS, st, store, when, XDP_DROP, XDP_PASS,
} from './common.ts';
import { judgedBy72, type Selftest } from './lib.ts';

/** The judged copy. */
const SOURCE = 'commit 08dbfad3f5040f5bdb6c529da20d6d4e81fefd72 (quoted by a stored transliteration, id 61521635785)';
/** The newest copy, with series under review. */
const RC = 'kernel-patches/bpf-rc@e1d84a37cba984388988d2f1ddc84561413f0db2';
const FILE = 'dynptr_fail.c';
/** Why 08dbfad3's expectation is not 7.2's. */
const NEWER = 'a bpf-next rule after 7.2.13 (in 7.3-rc7): a helper\'s raw-mode write destroys the dynptr it overlaps, and a kfunc\'s constant size is checked before its bounds';

const MAPS: BpfObject['maps'] = [
  { name: 'array_map1', type: 'array', maxEntries: 1, valueSize: 16, taskWorkFields: 0 },
  { name: 'array_map2', type: 'array', maxEntries: 1, valueSize: 24, taskWorkFields: 0 },
  { name: 'array_map3', type: 'array', maxEntries: 1, valueSize: 4, taskWorkFields: 0 },
  { name: 'array_map4', type: 'array', maxEntries: 1, valueSize: 8, taskWorkFields: 0 },
  { name: 'ringbuf', type: 'ringbuf', maxEntries: 4096, valueSize: 0, taskWorkFields: 0 },
];
const GLOBALS: BpfObject['globals'] = [{ name: 'err', kind: 'int' }, { name: 'val', kind: 'int' }];

/** `struct sample { int pid; long value; char comm[16]; }`. */
const SAMPLE = 32;
/** `struct ethhdr`; `h_proto` at 12. */
const ETH = 14;

interface Def {
  readonly fn: string;
  readonly sec: string;
  readonly msgs?: readonly string[];
  readonly success?: boolean;
  readonly locals?: readonly Local[];
  readonly body: readonly Op[];
  readonly subprogs?: readonly Subprog[];
  readonly globals?: BpfObject['globals'];
  readonly asm?: boolean;
  readonly logLevel?: number;
  readonly note?: string;
  /** bpf-rc's differing expectation (`msgs`), or bpf-rc only (`only`); why it reads as a series under review. */
  readonly rc?: { readonly msgs?: readonly string[]; readonly only?: true; readonly why: string };
  /** The 7.2.13 release's differing `__msg` lines (RELEASE_7_2): judged by them, at 7.2; `msgs` become `newest`. */
  readonly r72?: readonly string[];
}

function tcase(d: Def): Selftest {
  const prog: Program = { name: d.fn, section: d.sec, body: d.body, ...(d.locals === undefined ? {} : { locals: d.locals }), ...(d.asm === true ? { asm: true } : {}) };
  const object: BpfObject = { name: 'dynptr_fail', maps: MAPS, globals: [...GLOBALS, ...(d.globals ?? [])], programs: [prog], subprogs: d.subprogs ?? [] };
  const t: Selftest = {
    file: FILE, fn: d.fn, source: SOURCE, version: '7.0', object,
    expect: d.success === true ? { kind: 'success', msgs: d.msgs ?? [] } : { kind: 'failure', msgs: d.msgs ?? [] },
    ...(d.logLevel === undefined ? {} : { logLevel: d.logLevel }),
    ...(d.note === undefined ? {} : { note: d.note }),
    ...(d.rc === undefined ? {} : {
      newest: { source: RC, why: d.rc.why, ...(d.rc.only === true ? {} : { expect: { kind: 'failure' as const, msgs: d.rc.msgs ?? [] } }) },
    }),
  };
  return d.r72 === undefined ? t : judgedBy72(t, d.r72, NEWER);
}

let n = 0;
/**
 * The inlined `get_map_val_dynptr(ptr)`: update `array_map3[0]` with `val`, look it up and make a
 * LOCAL dynptr over the 4-byte value; on a NULL lookup it returns -ENOENT: control goes to `onNull`.
 */
function getMapVal(slot: Arg, onNull: string): Op[] {
  n += 1;
  const mv = `map_val${n}`;
  return [
    st(4, addr('key'), 0, imm(0)),
    call('bpf_map_update_elem', [map('array_map3'), addr('key'), addr('val'), imm(0)]),
    call('bpf_map_lookup_elem', [map('array_map3'), addr('key')], mv),
    goto(onNull, when(mv, '==', NULL)),
    call('bpf_dynptr_from_mem', [r(mv), imm(4), imm(0), slot]),
  ];
}
const KEY = local('key', 'u32');
const D = (name: string): Local => local(name, 'dynptr');
const B = (name: string, bytes: number, init?: Local['init']): Local => local(name, { bytes }, init);
const ret0: Op[] = [label('ret0'), ret(imm(0))];
const fromSkb = (slot: Arg, dst?: string): Op => call('bpf_dynptr_from_skb', [ctxPtr, imm(0), slot], dst);
const fromSkbMeta = (slot: Arg, dst?: string): Op => call('bpf_dynptr_from_skb_meta', [ctxPtr, imm(0), slot], dst);
const fromXdp = (slot: Arg, dst?: string): Op => call('bpf_dynptr_from_xdp', [ctxPtr, imm(0), slot], dst);
const slice = (slot: Arg, off: number, bufArg: Arg, len: Arg | number, dst: string, rdwr = false): Op => call(rdwr ? 'bpf_dynptr_slice_rdwr' : 'bpf_dynptr_slice', [slot, imm(off), bufArg, typeof len === 'number' ? imm(len) : len], dst);
/** `bpf_skb_pull_data(skb, skb->len)`: `len` is the first field of `struct __sk_buff`. */
const pullData = (dst: string): Op[] => [ld('skb_len', 4, ctxPtr, 0), call('bpf_skb_pull_data', [ctxPtr, r('skb_len')], dst)];
const adjustHead = (dst: string): Op => call('bpf_xdp_adjust_head', [ctxPtr, imm(-ETH)], dst);
const STR_HELLO: BpfObject['globals'] = [{ name: 'str_hello', kind: 'bytes', size: 7, init: 'hello!', rodata: true }];
const STR_X: BpfObject['globals'] = [{ name: 'str_x', kind: 'bytes', size: 2, init: 'x', rodata: true }];

const cbParams = [{ name: 'index', type: 'u32' as const }, { name: 'data', type: 'ptr' as const }];

/** The two-branch shape of the pruning tests (asm): reserve at fp-16, `mid` on the r0 == 0 path, discard. */
function pruningBody(mid: Op[]): Op[] {
  return [
    mov('r9', imm(0xeb9f)), mov('r6', map('ringbuf')), mov('r1', r('r6')), mov('r2', imm(8)), mov('r3', imm(0)), mov('r4', FP), alu('add', 'r4', imm(-16)),
    call('bpf_ringbuf_reserve_dynptr', [r('r1'), r('r2'), r('r3'), r('r4')], 'r0'),
    goto('jmp1', when('r0', '==', imm(0))), goto('jmp2'),
    label('jmp1'), ...mid,
    label('jmp2'), mov('r1', FP), alu('add', 'r1', imm(-16)), mov('r2', imm(0)),
    call('bpf_ringbuf_discard_dynptr', [r('r1'), r('r2')], 'r0'),
    ret(imm(0)),
  ];
}

/** `map[0] = 0` then `r = &map[0]` in asm: r8 = fp-8 (the key), r0 the value or exit. */
function asmLookup(mapReg: string, third: 'r3=fp-24' | 'r3=key'): Op[] {
  return [
    mov('r1', r(mapReg)), mov('r2', FP), alu('add', 'r2', imm(-8)), mov('r9', imm(0)), st(8, r('r2'), 0, r('r9')),
    ...(third === 'r3=fp-24' ? [mov('r3', FP), alu('add', 'r3', imm(-24))] : [mov('r3', r('r2'))]),
  ];
}

export const DYNPTR_FAIL: Selftest[] = [
  tcase({ fn: 'ringbuf_missing_release1', sec: '?raw_tp', msgs: ['Unreleased reference id=1'], locals: [D('ptr')].map((l) => ({ ...l, init: 'zero' as const })),
    body: [ringbufReserve(glob('val'), dynptr('ptr')), ret(imm(0))] }),
  tcase({ fn: 'ringbuf_missing_release2', sec: '?raw_tp', msgs: ['Unreleased reference id=3'], locals: [D('ptr1'), D('ptr2')],
    body: [ringbufReserve(imm(SAMPLE), dynptr('ptr1')), ringbufReserve(imm(SAMPLE), dynptr('ptr2')), dynptrData(dynptr('ptr1'), 0, SAMPLE, 'sample'),
      goto('ok', when('sample', '!=', NULL)), ringbufDiscard(dynptr('ptr1')), ringbufDiscard(dynptr('ptr2')), ret(imm(0)),
      label('ok'), ringbufSubmit(dynptr('ptr1')), ret(imm(0))] }),
  tcase({ fn: 'ringbuf_missing_release_callback', sec: '?raw_tp', msgs: ['Unreleased reference id'],
    rc: { msgs: ['cannot overwrite referenced dynptr'], why: 'the series that destroys the dynptrs of a returning frame (with referenced_dynptr_lost_on_subprog_return)' },
    body: [call('bpf_loop', [imm(10), cb('missing_release_callback_fn'), NULL, imm(0)]), ret(imm(0))],
    subprogs: [{ name: 'missing_release_callback_fn', isStatic: true, params: cbParams, locals: [D('ptr')], body: [ringbufReserve(glob('val'), dynptr('ptr')), ret(imm(0))] }] }),
  tcase({ fn: 'ringbuf_release_uninit_dynptr', sec: '?raw_tp', msgs: ['Expected an initialized dynptr as R1'], locals: [D('ptr')],
    body: [ringbufSubmit(dynptr('ptr')), ret(imm(0))] }),
  tcase({ fn: 'use_after_invalid', sec: '?raw_tp', msgs: ['Expected an initialized dynptr as R3'], locals: [D('ptr'), B('read_data', 64)],
    body: [ringbufReserve(imm(64), dynptr('ptr')), dynptrRead(buf('read_data'), 64, dynptr('ptr')), ringbufSubmit(dynptr('ptr')), dynptrRead(buf('read_data'), 64, dynptr('ptr')), ret(imm(0))] }),
  tcase({ fn: 'ringbuf_invalid_api', sec: '?raw_tp', msgs: ['type=mem expected=ringbuf_mem'], locals: [D('ptr')],
    body: [ringbufReserve(imm(SAMPLE), dynptr('ptr')), dynptrData(dynptr('ptr'), 0, SAMPLE, 'sample'), goto('done', when('sample', '==', NULL)),
      st(4, r('sample'), 0, imm(123)), call('bpf_ringbuf_submit', [r('sample'), imm(0)]), label('done'), ringbufDiscard(dynptr('ptr')), ret(imm(0))] }),
  tcase({ fn: 'add_dynptr_to_map1', sec: '?raw_tp', msgs: ['invalid read from stack'], locals: [D('ptr'), local('key', 's32', 'zero')],
    body: [ringbufReserve(glob('val'), dynptr('ptr')), call('bpf_map_update_elem', [map('array_map1'), addr('key'), dynptr('ptr'), imm(0)]), ringbufSubmit(dynptr('ptr')), ret(imm(0))] }),
  tcase({ fn: 'add_dynptr_to_map2', sec: '?raw_tp', msgs: ['invalid read from stack'], locals: [B('x', 24), local('key', 's32', 'zero')],
    note: '`struct test_info { int x; struct bpf_dynptr ptr; } x`: a 24-byte stack variable with the dynptr at offset 8',
    body: [ringbufReserve(glob('val'), addr('x', 8)), call('bpf_map_update_elem', [map('array_map2'), addr('key'), addr('x'), imm(0)]), ringbufSubmit(addr('x', 8)), ret(imm(0))] }),
  tcase({ fn: 'data_slice_out_of_bounds_ringbuf', sec: '?raw_tp', msgs: ['value is outside of the allowed memory range'], locals: [D('ptr')],
    body: [ringbufReserve(imm(8), dynptr('ptr')), dynptrData(dynptr('ptr'), 0, 8, 'data'), goto('done', when('data', '==', NULL)),
      ld('v', 1, r('data'), 8), store('val', r('v')), label('done'), ringbufSubmit(dynptr('ptr')), ret(imm(0))] }),
  tcase({ fn: 'data_slice_out_of_bounds_skb', sec: '?tc', msgs: ['value is outside of the allowed memory range'], locals: [D('ptr'), B('buffer', ETH, 'zero')],
    body: [fromSkb(dynptr('ptr')), slice(dynptr('ptr'), 0, buf('buffer'), ETH, 'hdr', true), goto('ok', when('hdr', '!=', NULL)), ret(imm(SK_DROP)),
      label('ok'), st(1, r('hdr'), ETH, imm(1)), ret(imm(SK_PASS))] }),
  tcase({ fn: 'data_slice_out_of_bounds_skb_meta', sec: '?tc', msgs: ['value is outside of the allowed memory range'], locals: [D('meta')],
    body: [fromSkbMeta(dynptr('meta')), slice(dynptr('meta'), 0, NULL, 1, 'md', true), goto('ok', when('md', '!=', NULL)), ret(imm(SK_DROP)),
      label('ok'), st(1, r('md'), 1, imm(42)), ret(imm(SK_PASS))] }),
  tcase({ fn: 'data_slice_out_of_bounds_map_value', sec: '?raw_tp', msgs: ['value is outside of the allowed memory range'], locals: [local('map_val', 'u32'), D('ptr'), KEY],
    body: [...getMapVal(dynptr('ptr'), 'after'), label('after'), dynptrData(dynptr('ptr'), 0, 4, 'data'), goto('ret0', when('data', '==', NULL)),
      ld('v', 1, r('data'), 5), store('val', r('v')), ...ret0] }),
  tcase({ fn: 'data_slice_use_after_release1', sec: '?raw_tp', msgs: ["invalid mem access 'scalar'"], locals: [D('ptr')],
    body: [ringbufReserve(imm(SAMPLE), dynptr('ptr')), dynptrData(dynptr('ptr'), 0, SAMPLE, 'sample'), goto('done', when('sample', '==', NULL)),
      st(4, r('sample'), 0, imm(123)), ringbufSubmit(dynptr('ptr')), ld('v', 4, r('sample'), 0), store('val', r('v')), ret(imm(0)),
      label('done'), ringbufDiscard(dynptr('ptr')), ret(imm(0))] }),
  tcase({ fn: 'data_slice_use_after_release2', sec: '?raw_tp', msgs: ["invalid mem access 'scalar'"], locals: [D('ptr1'), D('ptr2')],
    body: [ringbufReserve(imm(64), dynptr('ptr1')), ringbufReserve(imm(SAMPLE), dynptr('ptr2')), dynptrData(dynptr('ptr2'), 0, SAMPLE, 'sample'),
      goto('done', when('sample', '==', NULL)), st(4, r('sample'), 0, imm(23)), ringbufSubmit(dynptr('ptr2')), st(4, r('sample'), 0, imm(23)),
      ringbufSubmit(dynptr('ptr1')), ret(imm(0)), label('done'), ringbufDiscard(dynptr('ptr2')), ringbufDiscard(dynptr('ptr1')), ret(imm(0))] }),
  tcase({ fn: 'data_slice_missing_null_check1', sec: '?raw_tp', msgs: ["invalid mem access 'mem_or_null'"], locals: [D('ptr')],
    body: [ringbufReserve(imm(8), dynptr('ptr')), dynptrData(dynptr('ptr'), 0, 8, 'data'), st(1, r('data'), 0, imm(3)), ringbufSubmit(dynptr('ptr')), ret(imm(0))] }),
  tcase({ fn: 'data_slice_missing_null_check2', sec: '?raw_tp', msgs: ["invalid mem access 'mem_or_null'"], locals: [D('ptr')],
    body: [ringbufReserve(imm(16), dynptr('ptr')), dynptrData(dynptr('ptr'), 0, 8, 'data1'), dynptrData(dynptr('ptr'), 0, 8, 'data2'),
      goto('skip', when('data1', '==', NULL)), st(8, r('data2'), 0, imm(3)), label('skip'), ringbufDiscard(dynptr('ptr')), ret(imm(0))] }),
  tcase({ fn: 'invalid_helper1', sec: '?raw_tp', msgs: ['invalid read from stack'], locals: [D('ptr'), KEY], globals: STR_HELLO,
    body: [...getMapVal(dynptr('ptr'), 'after'), label('after'), call('bpf_strncmp', [dynptr('ptr'), imm(16), addr('str_hello')]), ret(imm(0))] }),
  tcase({ fn: 'invalid_helper2', sec: '?raw_tp', msgs: ['cannot pass in dynptr at an offset=-8'], locals: [D('ptr'), B('read_data', 64), KEY],
    body: [...getMapVal(dynptr('ptr'), 'after'), label('after'), dynptrRead(buf('read_data'), 64, dynptr('ptr', 8)), ret(imm(0))] }),
  tcase({ fn: 'invalid_write1', sec: '?raw_tp', msgs: ['Expected an initialized dynptr as R1'], locals: [D('ptr'), local('x', 'u8', 'zero'), KEY],
    body: [...getMapVal(dynptr('ptr'), 'after'), label('after'), memcpy(dynptr('ptr'), addr('x'), 1), dynptrData(dynptr('ptr'), 0, 1, 'data'), ret(imm(0))] }),
  tcase({ fn: 'invalid_write2', sec: '?raw_tp', msgs: ['cannot overwrite referenced dynptr'], locals: [D('ptr'), B('read_data', 64), local('x', 'u8', 'zero')],
    body: [ringbufReserve(imm(64), dynptr('ptr')), memcpy(dynptr('ptr', 8), addr('x'), 1), dynptrRead(buf('read_data'), 64, dynptr('ptr')), ringbufSubmit(dynptr('ptr')), ret(imm(0))] }),
  tcase({ fn: 'invalid_write3', sec: '?raw_tp', msgs: ['cannot overwrite referenced dynptr'], locals: [D('ptr'), B('stack_buf', 16), local('x', 'u8', 'zero')],
    body: [ringbufReserve(imm(8), dynptr('ptr')), memcpy(buf('stack_buf'), addr('val'), 4), ld('len', 1, buf('stack_buf'), 0), alu('and', 'len', imm(0xf)),
      mov('p', dynptr('ptr')), alu('add', 'p', r('len')), memcpy(r('p'), addr('x'), 1), ringbufSubmit(dynptr('ptr')), ret(imm(0))] }),
  tcase({ fn: 'invalid_write4', sec: '?raw_tp', msgs: ['cannot overwrite referenced dynptr'], locals: [D('ptr')],
    body: [ringbufReserve(imm(64), dynptr('ptr')), call('bpf_loop', [imm(10), cb('invalid_write4_callback'), dynptr('ptr'), imm(0)]), ringbufSubmit(dynptr('ptr')), ret(imm(0))],
    subprogs: [{ name: 'invalid_write4_callback', isStatic: true, params: cbParams, body: [st(4, r('data'), 0, imm(123)), ret(imm(0))] }] }),
  tcase({ fn: 'global', sec: '?raw_tp', msgs: ['type=map_value expected=fp'], globals: [{ name: 'global_dynptr', kind: 'bytes', size: 16 }],
    body: [ringbufReserve(imm(16), addr('global_dynptr')), ringbufDiscard(addr('global_dynptr')), ret(imm(0))] }),
  tcase({ fn: 'invalid_read1', sec: '?raw_tp', msgs: ['invalid read from stack'], locals: [D('ptr')],
    rc: { msgs: ['invalid read from stack', 'Verification failed: Memory Safety: Direct read of dynptr stack state', 'verifier-managed dynptr state', 'Use dynptr helpers or kfuncs'], why: 'a verifier-diagnostics series (three extra lines after the error)' },
    body: [ringbufReserve(imm(64), dynptr('ptr')), ld('v', 4, dynptr('ptr'), 0), store('val', r('v')), ringbufDiscard(dynptr('ptr')), ret(imm(0))] }),
  tcase({ fn: 'invalid_read2', sec: '?raw_tp', msgs: ['cannot pass in dynptr at an offset'], locals: [D('ptr'), B('read_data', 64), KEY],
    body: [...getMapVal(dynptr('ptr'), 'after'), label('after'), dynptrRead(buf('read_data'), 64, dynptr('ptr', 1)), ret(imm(0))] }),
  tcase({ fn: 'invalid_read3', sec: '?raw_tp', msgs: ['invalid read from stack'], locals: [D('ptr1'), D('ptr2')],
    body: [ringbufReserve(imm(16), dynptr('ptr1')), ringbufReserve(imm(16), dynptr('ptr2')), memcpy(addr('val'), dynptr('ptr1', 8), 4),
      ringbufDiscard(dynptr('ptr1')), ringbufDiscard(dynptr('ptr2')), ret(imm(0))] }),
  tcase({ fn: 'invalid_read4', sec: '?raw_tp', msgs: ['invalid read from stack'], locals: [D('ptr')],
    body: [ringbufReserve(imm(64), dynptr('ptr')), call('bpf_loop', [imm(10), cb('invalid_read4_callback'), dynptr('ptr'), imm(0)]), ringbufSubmit(dynptr('ptr')), ret(imm(0))],
    subprogs: [{ name: 'invalid_read4_callback', isStatic: true, params: cbParams, body: [ld('v', 4, r('data'), 0), store('val', r('v')), ret(imm(0))] }] }),
  tcase({ fn: 'invalid_offset', sec: '?raw_tp', msgs: ['cannot pass in dynptr at an offset=0'], locals: [D('ptr')],
    body: [ringbufReserve(imm(64), dynptr('ptr', 16)), ringbufDiscard(dynptr('ptr')), ret(imm(0))] }),
  tcase({ fn: 'release_twice', sec: '?raw_tp', msgs: ['Expected an initialized dynptr as R1'], locals: [D('ptr')],
    note: 'kernel-patches/bpf@063c589b expects "arg 1 is an unacquired reference"',
    body: [ringbufReserve(imm(16), dynptr('ptr')), ringbufDiscard(dynptr('ptr')), ringbufDiscard(dynptr('ptr')), ret(imm(0))] }),
  tcase({ fn: 'release_twice_callback', sec: '?raw_tp', msgs: ['Expected an initialized dynptr as R1'], locals: [D('ptr')],
    note: 'kernel-patches/bpf@063c589b expects "arg 1 is an unacquired reference"',
    body: [ringbufReserve(imm(32), dynptr('ptr')), ringbufDiscard(dynptr('ptr')), call('bpf_loop', [imm(10), cb('release_twice_callback_fn'), dynptr('ptr'), imm(0)]), ret(imm(0))],
    subprogs: [{ name: 'release_twice_callback_fn', isStatic: true, params: cbParams, body: [ringbufDiscard(r('data')), ret(imm(0))] }] }),
  tcase({ fn: 'dynptr_from_mem_invalid_api', sec: '?raw_tp', msgs: ['Unsupported reg type fp for bpf_dynptr_from_mem data'], locals: [D('ptr'), local('x', 's32', 'zero')],
    body: [call('bpf_dynptr_from_mem', [addr('x'), imm(4), imm(0), dynptr('ptr')]), ret(imm(0))] }),
  tcase({ fn: 'dynptr_from_dynptr_data', sec: '?raw_tp', msgs: ['Unsupported reg type mem for bpf_dynptr_from_mem data'], locals: [D('ptr'), D('ptr2'), KEY],
    body: [...getMapVal(dynptr('ptr'), 'ret0'), dynptrData(dynptr('ptr'), 0, 4, 'data'), goto('ret0', when('data', '==', NULL)),
      call('bpf_dynptr_from_mem', [r('data'), imm(4), imm(0), dynptr('ptr2')]), ...ret0] }),
  tcase({ fn: 'dynptr_from_dynptr_slice', sec: '?tc', msgs: ['Unsupported reg type mem for bpf_dynptr_from_mem data'], locals: [D('ptr'), D('ptr2'), B('buffer', ETH, 'zero')],
    body: [fromSkb(dynptr('ptr')), slice(dynptr('ptr'), 0, buf('buffer'), ETH, 'hdr', true), goto('ok', when('hdr', '!=', NULL)), ret(imm(SK_DROP)),
      label('ok'), call('bpf_dynptr_from_mem', [r('hdr'), imm(ETH), imm(0), dynptr('ptr2')]), ret(imm(SK_PASS))] }),
  tcase({ fn: 'dynptr_pruning_overwrite', sec: '?tc', asm: true, logLevel: 2, msgs: ['cannot overwrite referenced dynptr'],
    body: pruningBody([st(8, FP, -16, r('r9'))]) }),
  tcase({ fn: 'dynptr_pruning_stacksafe', sec: '?tc', asm: true, logLevel: 2, success: true, msgs: ['12: safe'],
    body: pruningBody([mov('r9', r('r9'))]) }),
  tcase({ fn: 'dynptr_pruning_type_confusion', sec: '?tc', asm: true, logLevel: 2, msgs: ['cannot overwrite referenced dynptr'],
    body: [
      mov('r6', map('array_map4')), mov('r7', map('ringbuf')), ...asmLookup('r6', 'r3=fp-24'),
      mov('r9', imm(0xeb9feb9f)), st(8, FP, -16, r('r9')), st(8, FP, -24, r('r9')), mov('r9', imm(0)), mov('r4', imm(0)), mov('r8', r('r2')),
      call('bpf_map_update_elem', [r('r1'), r('r2'), r('r3'), r('r4')], 'r0'),
      mov('r1', r('r6')), mov('r2', r('r8')), call('bpf_map_lookup_elem', [r('r1'), r('r2')], 'r0'),
      goto('tjmp1', when('r0', '!=', imm(0))), ret(r('r0')),
      label('tjmp1'), mov('r8', r('r0')), mov('r1', r('r7')), mov('r2', imm(8)), mov('r3', imm(0)), mov('r4', FP), alu('add', 'r4', imm(-16)),
      ld('r0', 8, r('r0'), 0), call('bpf_ringbuf_reserve_dynptr', [r('r1'), r('r2'), r('r3'), r('r4')], 'r0'),
      goto('tjmp2', when('r0', '==', imm(0))), ...Array.from({ length: 7 }, () => mov('r8', r('r8'))), goto('tjmp3'),
      label('tjmp2'), st(8, FP, -8, r('r9')), st(8, FP, -16, r('r9')), mov('r1', r('r8')), alu('add', 'r1', imm(8)), mov('r2', imm(0)), mov('r3', imm(0)),
      mov('r4', FP), alu('add', 'r4', imm(-16)), call('bpf_dynptr_from_mem', [r('r1'), r('r2'), r('r3'), r('r4')], 'r0'),
      label('tjmp3'), mov('r1', FP), alu('add', 'r1', imm(-16)), mov('r2', imm(0)), call('bpf_ringbuf_discard_dynptr', [r('r1'), r('r2')], 'r0'), ret(imm(0)),
    ] }),
  tcase({ fn: 'dynptr_var_off_overwrite', sec: '?tc', asm: true, logLevel: 2, msgs: ['dynptr has to be at a constant offset'],
    body: [
      mov('r9', imm(16)), st(4, FP, -4, r('r9')), ld('r8', 4, FP, -4), goto('vjmp1', when('r8', '>=', imm(0))), mov('r0', imm(1)), ret(r('r0')),
      label('vjmp1'), goto('vjmp2', when('r8', '<=', imm(16))), mov('r0', imm(1)), ret(r('r0')),
      label('vjmp2'), alu('and', 'r8', imm(16)), mov('r1', map('ringbuf')), mov('r2', imm(8)), mov('r3', imm(0)), mov('r4', FP), alu('add', 'r4', imm(-32)), alu('add', 'r4', r('r8')),
      call('bpf_ringbuf_reserve_dynptr', [r('r1'), r('r2'), r('r3'), r('r4')], 'r0'),
      mov('r9', imm(0xeb9f)), st(8, FP, -16, r('r9')), mov('r1', FP), alu('add', 'r1', imm(-32)), alu('add', 'r1', r('r8')), mov('r2', imm(0)),
      call('bpf_ringbuf_discard_dynptr', [r('r1'), r('r2')], 'r0'), ret(imm(0)),
    ] }),
  tcase({ fn: 'dynptr_partial_slot_invalidate', sec: '?tc', asm: true, logLevel: 2, msgs: ['cannot overwrite referenced dynptr'],
    body: [
      mov('r6', map('ringbuf')), mov('r7', map('array_map4')), ...asmLookup('r7', 'r3=key'), mov('r4', imm(0)), mov('r8', r('r2')),
      call('bpf_map_update_elem', [r('r1'), r('r2'), r('r3'), r('r4')], 'r0'),
      mov('r1', r('r7')), mov('r2', r('r8')), call('bpf_map_lookup_elem', [r('r1'), r('r2')], 'r0'),
      goto('sjmp1', when('r0', '!=', imm(0))), ret(r('r0')),
      label('sjmp1'), mov('r7', r('r0')), mov('r1', r('r6')), mov('r2', imm(8)), mov('r3', imm(0)), mov('r4', FP), alu('add', 'r4', imm(-24)),
      call('bpf_ringbuf_reserve_dynptr', [r('r1'), r('r2'), r('r3'), r('r4')], 'r0'),
      st(8, FP, -16, r('r9')), mov('r1', r('r7')), mov('r2', imm(8)), mov('r3', imm(0)), mov('r4', FP), alu('add', 'r4', imm(-16)),
      call('bpf_dynptr_from_mem', [r('r1'), r('r2'), r('r3'), r('r4')], 'r0'),
      mov('r1', FP), alu('add', 'r1', imm(-512)), mov('r2', imm(488)), mov('r3', FP), alu('add', 'r3', imm(-24)), mov('r4', imm(0)), mov('r5', imm(0)),
      call('bpf_dynptr_read', [r('r1'), r('r2'), r('r3'), r('r4'), r('r5')], 'r0'),
      mov('r8', imm(1)), goto('sjmp2', when('r0', '!=', imm(0))), mov('r8', imm(0)),
      label('sjmp2'), mov('r1', FP), alu('add', 'r1', imm(-24)), mov('r2', imm(0)), call('bpf_ringbuf_discard_dynptr', [r('r1'), r('r2')], 'r0'), ret(imm(0)),
    ] }),
  tcase({ fn: 'dynptr_overwrite_unref', sec: '?raw_tp', success: true, locals: [D('ptr'), KEY],
    body: [...getMapVal(dynptr('ptr'), 'ret0'), ...getMapVal(dynptr('ptr'), 'ret0'), ...getMapVal(dynptr('ptr'), 'ret0'), ...ret0] }),
  tcase({ fn: 'dynptr_invalidate_slice_reinit', sec: '?raw_tp', msgs: ["invalid mem access 'scalar'"], locals: [D('ptr'), KEY],
    body: [...getMapVal(dynptr('ptr'), 'ret0'), dynptrData(dynptr('ptr'), 0, 1, 'p'), goto('ret0', when('p', '==', NULL)), ...getMapVal(dynptr('ptr'), 'ret0'),
      ld('v', 1, r('p'), 0), ret(r('v')), ...ret0] }),
  tcase({ fn: 'dynptr_invalidate_slice_or_null', sec: '?raw_tp', msgs: ['R{{[0-9]+}} type=scalar expected=percpu_ptr_'], locals: [D('ptr'), KEY],
    body: [...getMapVal(dynptr('ptr'), 'ret0'), dynptrData(dynptr('ptr'), 0, 1, 'p'), st(1, dynptr('ptr'), 0, imm(0)), call('bpf_this_cpu_ptr', [r('p')]), ...ret0] }),
  tcase({ fn: 'dynptr_invalidate_slice_failure', sec: '?raw_tp', msgs: ["R{{[0-9]+}} invalid mem access 'scalar'"], locals: [D('ptr1'), D('ptr2'), KEY],
    body: [...getMapVal(dynptr('ptr1'), 'ret0'), ...getMapVal(dynptr('ptr2'), 'ret0'), dynptrData(dynptr('ptr1'), 0, 1, 'p1'), goto('ret0', when('p1', '==', NULL)),
      dynptrData(dynptr('ptr2'), 0, 1, 'p2'), goto('ret0', when('p2', '==', NULL)), st(1, dynptr('ptr1'), 0, imm(0)), ld('v', 1, r('p1'), 0), ret(r('v')), ...ret0] }),
  tcase({ fn: 'dynptr_invalidate_slice_success', sec: '?raw_tp', success: true, locals: [D('ptr1'), D('ptr2'), KEY],
    body: [...getMapVal(dynptr('ptr1'), 'ret1'), ...getMapVal(dynptr('ptr2'), 'ret1'), dynptrData(dynptr('ptr1'), 0, 1, 'p1'), goto('ret1', when('p1', '==', NULL)),
      dynptrData(dynptr('ptr2'), 0, 1, 'p2'), goto('ret1', when('p2', '==', NULL)), st(1, dynptr('ptr1'), 0, imm(0)), ld('v', 1, r('p2'), 0), ret(r('v')),
      label('ret1'), ret(imm(1))] }),
  tcase({ fn: 'dynptr_overwrite_ref', sec: '?raw_tp', msgs: ['cannot overwrite referenced dynptr'], locals: [D('ptr'), KEY],
    body: [ringbufReserve(imm(64), dynptr('ptr')), ...getMapVal(dynptr('ptr'), 'fail'), ret(imm(0)), label('fail'), ringbufDiscard(dynptr('ptr')), ret(imm(0))] }),
  tcase({ fn: 'dynptr_read_into_slot', sec: '?raw_tp', msgs: ['cannot overwrite referenced dynptr'], r72: ['potential write to dynptr at off=-16'], locals: [B('data', 64)],
    note: '`union { struct { char _pad[48]; struct bpf_dynptr ptr; }; char buf[64]; } data`: a 64-byte stack variable, the dynptr at offset 48',
    body: [ringbufReserve(imm(64), addr('data', 48)), dynptrRead(buf('data'), 64, addr('data', 48)), ret(imm(0))] }),
  tcase({ fn: 'skb_invalid_slice_write', sec: '?tc', msgs: ['R{{[0-9]+}} cannot write into rdonly_mem'], locals: [D('ptr'), B('buffer', ETH, 'zero')],
    body: [fromSkb(dynptr('ptr')), slice(dynptr('ptr'), 0, buf('buffer'), ETH, 'hdr'), goto('ok', when('hdr', '!=', NULL)), ret(imm(SK_DROP)),
      label('ok'), st(2, r('hdr'), 12, imm(1)), ret(imm(SK_PASS))] }),
  tcase({ fn: 'skb_meta_invalid_slice_write', sec: '?tc', msgs: ['R{{[0-9]+}} cannot write into rdonly_mem'], locals: [D('meta')],
    body: [fromSkbMeta(dynptr('meta')), slice(dynptr('meta'), 0, NULL, 1, 'md'), goto('ok', when('md', '!=', NULL)), ret(imm(SK_DROP)),
      label('ok'), st(1, r('md'), 0, imm(42)), ret(imm(SK_PASS))] }),
  ...skbSliceInvalidation(),
  tcase({ fn: 'xdp_invalid_data_slice1', sec: '?xdp', msgs: ["invalid mem access 'scalar'"], locals: [D('ptr'), B('buffer', ETH, 'zero')],
    body: [fromXdp(dynptr('ptr')), slice(dynptr('ptr'), 0, buf('buffer'), ETH, 'hdr'), goto('ok', when('hdr', '!=', NULL)), ret(imm(SK_DROP)),
      label('ok'), ld('v', 2, r('hdr'), 12), store('val', r('v')), adjustHead('e'), goto('drop', when('e', '!=', imm(0))), ld('v2', 2, r('hdr'), 12), store('val', r('v2')),
      ret(imm(XDP_PASS)), label('drop'), ret(imm(XDP_DROP))] }),
  tcase({ fn: 'xdp_invalid_data_slice2', sec: '?xdp', msgs: ["invalid mem access 'scalar'"], locals: [D('ptr'), B('buffer', ETH, 'zero')],
    body: [fromXdp(dynptr('ptr')), slice(dynptr('ptr'), 0, buf('buffer'), ETH, 'hdr', true), goto('ok', when('hdr', '!=', NULL)), ret(imm(SK_DROP)),
      label('ok'), st(2, r('hdr'), 12, imm(9)), adjustHead('e'), goto('drop', when('e', '!=', imm(0))), st(2, r('hdr'), 12, imm(1)),
      ret(imm(XDP_PASS)), label('drop'), ret(imm(XDP_DROP))] }),
  tcase({ fn: 'skb_invalid_ctx', sec: '?xdp', msgs: ['calling kernel function bpf_dynptr_from_skb is not allowed'], locals: [D('ptr')],
    body: [fromSkb(dynptr('ptr')), ret(imm(0))] }),
  tcase({ fn: 'skb_meta_invalid_ctx', sec: '?raw_tp', msgs: ['calling kernel function bpf_dynptr_from_skb_meta is not allowed'], locals: [D('meta')],
    body: [fromSkbMeta(dynptr('meta')), ret(imm(0))] }),
  tcase({ fn: 'skb_invalid_ctx_fentry', sec: 'fentry/skb_tx_error', msgs: ['must be referenced or trusted'], locals: [D('ptr')],
    note: 'BPF_PROG(…, void *skb): the hook argument is loaded from the context (ctx[0])',
    body: [ld('skb', 8, ctxPtr, 0), call('bpf_dynptr_from_skb', [r('skb'), imm(0), dynptr('ptr')]), ret(imm(0))] }),
  tcase({ fn: 'skb_invalid_ctx_fexit', sec: 'fexit/skb_tx_error', msgs: ['must be referenced or trusted'], locals: [D('ptr')],
    note: 'BPF_PROG(…, void *skb): the hook argument is loaded from the context (ctx[0])',
    body: [ld('skb', 8, ctxPtr, 0), call('bpf_dynptr_from_skb', [r('skb'), imm(0), dynptr('ptr')]), ret(imm(0))] }),
  tcase({ fn: 'uninit_write_into_slot', sec: '?raw_tp', msgs: ['cannot overwrite referenced dynptr'], r72: ['potential write to dynptr at off=-16'], locals: [B('data', 80)],
    note: '`struct { char buf[64]; struct bpf_dynptr ptr; } data`: 80 bytes, the dynptr at 64',
    body: [ringbufReserve(imm(80), addr('data', 64)), call('bpf_get_current_comm', [buf('data'), imm(80)]), ret(imm(0))] }),
  tcase({ fn: 'xdp_invalid_ctx', sec: '?raw_tp', msgs: ['calling kernel function bpf_dynptr_from_xdp is not allowed'], locals: [D('ptr')],
    body: [fromXdp(dynptr('ptr')), ret(imm(0))] }),
  tcase({ fn: 'dynptr_slice_var_len1', sec: '?tc', msgs: ['must be a known constant', 'requires this memory size to be a verifier-known constant'], r72: ['unbounded memory access'], locals: [D('ptr'), B('buffer', ETH, 'zero')],
    globals: [{ name: 'hdr_size', kind: 'u32', init: ETH }],
    note: '`__u32 hdr_size`: its 4-byte load is in [0, 2^32 - 1], unbounded for a size. kernel-patches/bpf@063c589b (6.19-era) expects the same as 7.2.13',
    body: [fromSkb(dynptr('ptr')), mov('hs', glob('hdr_size')), slice(dynptr('ptr'), 0, buf('buffer'), r('hs'), 'hdr'), goto('ok', when('hdr', '!=', NULL)), ret(imm(SK_DROP)),
      label('ok'), ret(imm(SK_PASS))] }),
  tcase({ fn: 'dynptr_slice_var_len2', sec: '?tc', msgs: ['must be a known constant', 'requires this memory size to be a verifier-known constant'], r72: ['must be a known constant'], locals: [B('buffer', ETH, 'zero'), D('ptr')],
    globals: [{ name: 'hdr_size', kind: 'u32', init: ETH }],
    body: [fromSkb(dynptr('ptr')), mov('hs', glob('hdr_size')), goto('pass', when('hs', '>', imm(ETH))), slice(dynptr('ptr'), 0, buf('buffer'), r('hs'), 'hdr', true),
      goto('ok', when('hdr', '!=', NULL)), ret(imm(SK_DROP)), label('ok'), st(2, r('hdr'), 12, imm(12)), label('pass'), ret(imm(SK_PASS))] }),
  tcase({ fn: 'dynptr_slice_commuted_invalidate', sec: '?raw_tp', msgs: ["invalid mem access 'scalar'"], locals: [D('ptr')],
    note: 'the 3-instruction asm fragment (dst = 0; dst += src; src = 0) is written as the same three ops',
    body: [ringbufReserve(imm(4), dynptr('ptr')), dynptrData(dynptr('ptr'), 0, 4, 'slice'), goto('done', when('slice', '==', NULL)),
      mov('derived', imm(0)), alu('add', 'derived', r('slice')), mov('slice', imm(0)), ringbufDiscard(dynptr('ptr')), ld('v', 4, r('derived'), 0), store('val', r('v')), ret(imm(0)),
      label('done'), ringbufDiscard(dynptr('ptr')), ret(imm(0))] }),
  tcase({ fn: 'invalid_data_slices', sec: '?raw_tp', msgs: ["invalid mem access 'scalar'"], locals: [D('ptr'), KEY],
    body: [...getMapVal(dynptr('ptr'), 'ret0'), dynptrData(dynptr('ptr'), 0, 4, 'slice'), goto('ret0', when('slice', '==', NULL)),
      call('bpf_loop', [imm(10), cb('callback'), dynptr('ptr'), imm(0)]), st(4, r('slice'), 0, imm(1)), ...ret0],
    subprogs: [{ name: 'callback', isStatic: true, params: cbParams, body: [st(4, r('data'), 0, imm(123)), ret(imm(0))] }] }),
  tcase({ fn: 'invalid_slice_rdwr_rdonly', sec: 'cgroup_skb/ingress', msgs: ['the prog does not allow writes to packet data'], locals: [B('buffer', ETH, 'zero'), D('ptr')],
    body: [fromSkb(dynptr('ptr')), slice(dynptr('ptr'), 0, buf('buffer'), ETH, 'hdr', true), ret(imm(0))] }),
  ...['dynptr_adjust_invalid', 'dynptr_is_null_invalid', 'dynptr_is_rdonly_invalid', 'dynptr_size_invalid'].map((fn) => tcase({
    fn, sec: '?raw_tp', msgs: ['Expected an initialized dynptr as R1'], locals: [local('ptr', 'dynptr', 'zero')],
    body: [fn === 'dynptr_adjust_invalid' ? call('bpf_dynptr_adjust', [dynptr('ptr'), imm(1), imm(2)]) : call(`bpf_${fn.replace('_invalid', '')}`, [dynptr('ptr')]), ret(imm(0))],
  })),
  tcase({ fn: 'clone_invalid1', sec: '?raw_tp', msgs: ['Expected an initialized dynptr as R1'], locals: [local('ptr1', 'dynptr', 'zero'), D('ptr2')],
    body: [call('bpf_dynptr_clone', [dynptr('ptr1'), dynptr('ptr2')]), ret(imm(0))] }),
  tcase({ fn: 'clone_invalid2', sec: '?xdp', msgs: ['cannot overwrite referenced dynptr'], locals: [D('ptr1'), D('clone')],
    body: [fromXdp(dynptr('ptr1')), ringbufReserve(imm(64), dynptr('clone')), call('bpf_dynptr_clone', [dynptr('ptr1'), dynptr('clone')]), ringbufSubmit(dynptr('clone')), ret(imm(0))] }),
  ...cloneInvalidation(),
  tcase({ fn: 'referenced_dynptr_lost_on_subprog_return', sec: '?raw_tp', msgs: ['cannot overwrite referenced dynptr'],
    rc: { only: true, why: 'the series that destroys the dynptrs of a returning frame' },
    body: [call('reserve_dynptr_in_subprog', []), ret(imm(0))],
    subprogs: [{ name: 'reserve_dynptr_in_subprog', isStatic: true, params: [], returns: 'void', locals: [D('ptr')], body: [ringbufReserve(glob('val'), dynptr('ptr')), ret(imm(0))] }] }),
  ...subprogSlices(),
  tcase({ fn: 'clone_skb_packet_data', sec: '?tc', msgs: ["invalid mem access 'scalar'"], locals: [B('buffer', 4, 'zero'), D('clone'), D('ptr')],
    body: [fromSkb(dynptr('ptr')), call('bpf_dynptr_clone', [dynptr('ptr'), dynptr('clone')]), slice(dynptr('clone'), 0, buf('buffer'), 4, 'data', true),
      goto('ok', when('data', '!=', NULL)), ret(imm(XDP_DROP)), label('ok'), ...pullData('e'), goto('drop', when('e', '!=', imm(0))), st(4, r('data'), 0, imm(123)), ret(imm(0)),
      label('drop'), ret(imm(SK_DROP))] }),
  tcase({ fn: 'clone_skb_packet_meta', sec: '?tc', msgs: ["invalid mem access 'scalar'"], locals: [D('clone'), D('meta')],
    body: [fromSkbMeta(dynptr('meta')), call('bpf_dynptr_clone', [dynptr('meta'), dynptr('clone')]), slice(dynptr('clone'), 0, NULL, 1, 'md', true),
      goto('ok', when('md', '!=', NULL)), ret(imm(SK_DROP)), label('ok'), ...pullData('e'), goto('drop', when('e', '!=', imm(0))), st(1, r('md'), 0, imm(42)), ret(imm(0)),
      label('drop'), ret(imm(SK_DROP))] }),
  tcase({ fn: 'clone_xdp_packet_data', sec: '?xdp', msgs: ["invalid mem access 'scalar'"], locals: [B('buffer', 4, 'zero'), D('clone'), D('ptr')],
    body: [fromXdp(dynptr('ptr')), call('bpf_dynptr_clone', [dynptr('ptr'), dynptr('clone')]), slice(dynptr('clone'), 0, buf('buffer'), 4, 'data', true),
      goto('ok', when('data', '!=', NULL)), ret(imm(XDP_DROP)), label('ok'), adjustHead('e'), goto('drop', when('e', '!=', imm(0))), st(4, r('data'), 0, imm(123)), ret(imm(0)),
      label('drop'), ret(imm(XDP_DROP))] }),
  tcase({ fn: 'test_dynptr_skb_small_buff', sec: '?cgroup_skb/egress', msgs: ['memory, len pair leads to invalid memory access'], locals: [D('ptr'), B('buffer', 8, 'zero')],
    body: [fromSkb(dynptr('ptr'), 'e'), goto('ok', when('e', '==', imm(0))), store('err', imm(1)), ret(imm(1)),
      label('ok'), slice(dynptr('ptr'), 0, buf('buffer'), 9, 'data'), goto('null', when('data', '==', NULL)), ret(imm(1)), label('null'), ret(imm(0))] }),
  tcase({ fn: 'test_dynptr_reg_type', sec: '?raw_tp', msgs: ['R1 expected pointer to stack or const struct bpf_dynptr'],
    note: '`struct task_struct *current = NULL` passed to a global function taking `const struct bpf_dynptr *`; kernel-patches/bpf@063c589b expects "arg#0 expected pointer to stack or const struct bpf_dynptr"',
    rc: { msgs: ['R1 type=trusted_ptr_ expected=fp, dynptr_ptr'], why: 'passes bpf_get_current_task_btf() instead of NULL and expects the type-mismatch line of a process_dynptr_func rework' },
    body: [mov('current', imm(0)), call('global_call_bpf_dynptr', [r('current')]), ret(imm(0))],
    subprogs: [{ name: 'global_call_bpf_dynptr', isStatic: false, params: [{ name: 'dynptr', type: 'dynptr' }], returns: 'long', body: [mov('ret', imm(0)), ret(r('ret'))] }] }),
  ...cloneHoldsRef(),
];

/** Packet-data and metadata slices invalidated by writes and packet-changing helpers (tc programs). */
function skbSliceInvalidation(): Selftest[] {
  const writeData: Local = local('write_data', { bytes: 64 }, 'hello there, world!!');
  const hdrRead = (v: string): Op[] => [ld(v, 2, r('hdr'), 12), store('val', r(v))];
  return [
    tcase({ fn: 'skb_invalid_data_slice1', sec: '?tc', msgs: ["invalid mem access 'scalar'"], locals: [D('ptr'), B('buffer', ETH, 'zero')],
      body: [fromSkb(dynptr('ptr')), slice(dynptr('ptr'), 0, buf('buffer'), ETH, 'hdr'), goto('ok', when('hdr', '!=', NULL)), ret(imm(SK_DROP)),
        label('ok'), ...hdrRead('v'), ...pullData('e'), goto('drop', when('e', '!=', imm(0))), ...hdrRead('v2'), ret(imm(SK_PASS)), label('drop'), ret(imm(SK_DROP))] }),
    tcase({ fn: 'skb_invalid_data_slice2', sec: '?tc', msgs: ["invalid mem access 'scalar'"], locals: [D('ptr'), B('buffer', ETH, 'zero')],
      body: [fromSkb(dynptr('ptr')), slice(dynptr('ptr'), 0, buf('buffer'), ETH, 'hdr', true), goto('ok', when('hdr', '!=', NULL)), ret(imm(SK_DROP)),
        label('ok'), st(2, r('hdr'), 12, imm(123)), ...pullData('e'), goto('drop', when('e', '!=', imm(0))), st(2, r('hdr'), 12, imm(1)), ret(imm(SK_PASS)), label('drop'), ret(imm(SK_DROP))] }),
    tcase({ fn: 'skb_invalid_data_slice3', sec: '?tc', msgs: ["invalid mem access 'scalar'"], locals: [writeData, D('ptr'), B('buffer', ETH, 'zero')],
      body: [fromSkb(dynptr('ptr')), slice(dynptr('ptr'), 0, buf('buffer'), ETH, 'hdr'), goto('ok', when('hdr', '!=', NULL)), ret(imm(SK_DROP)),
        label('ok'), ...hdrRead('v'), dynptrWrite(dynptr('ptr'), 0, buf('write_data'), 64), ...hdrRead('v2'), ret(imm(SK_PASS))] }),
    tcase({ fn: 'skb_invalid_data_slice4', sec: '?tc', msgs: ["invalid mem access 'scalar'"], locals: [writeData, D('ptr'), B('buffer', ETH, 'zero')],
      body: [fromSkb(dynptr('ptr')), slice(dynptr('ptr'), 0, buf('buffer'), ETH, 'hdr', true), goto('ok', when('hdr', '!=', NULL)), ret(imm(SK_DROP)),
        label('ok'), st(2, r('hdr'), 12, imm(123)), dynptrWrite(dynptr('ptr'), 0, buf('write_data'), 64), st(2, r('hdr'), 12, imm(1)), ret(imm(SK_PASS))] }),
    ...([
      ['ro_skb_slice_invalid_after_metadata_write', 'data', false, 'meta', 'write'],
      ['rw_skb_slice_invalid_after_metadata_write', 'data', true, 'meta', 'write'],
      ['ro_skb_meta_slice_invalid_after_payload_write', 'meta', false, 'data', 'write'],
      ['rw_skb_meta_slice_invalid_after_payload_write', 'meta', true, 'data', 'write'],
      ['ro_skb_meta_slice_invalid_after_payload_helper', 'meta', false, '', 'pull'],
      ['rw_skb_meta_slice_invalid_after_payload_helper', 'meta', true, '', 'pull'],
      ['ro_skb_meta_slice_invalid_after_metadata_write', 'meta', false, 'meta', 'write'],
      ['rw_skb_meta_slice_invalid_after_metadata_write', 'meta', true, 'meta', 'write'],
    ] as const).map(([fn, sliceOf, rw, writeTo, how]) => tcase({
      fn, sec: '?tc', msgs: ["invalid mem access 'scalar'"], globals: STR_X,
      locals: how === 'pull' ? [D('meta')] : fn.includes('metadata_write') && sliceOf === 'meta' ? [D('meta')] : [D('data'), D('meta')],
      note: fn.startsWith('ro_skb_slice') || fn.startsWith('rw_skb_slice') || fn.endsWith('metadata_write') && sliceOf === 'meta'
        ? 'kernel-patches/bpf@063c589b (6.19-era) has this program as a __success test (skb_*valid_data_slice3/4)' : undefined,
      body: [
        ...(how === 'pull' || (fn.includes('metadata_write') && sliceOf === 'meta') ? [] : [fromSkb(dynptr('data'))]),
        fromSkbMeta(dynptr('meta')),
        slice(dynptr(sliceOf), 0, NULL, 1, 'd', rw), goto('ok', when('d', '!=', NULL)), ret(imm(SK_DROP)),
        label('ok'),
        ...(how === 'pull' ? [...pullData('e'), goto('drop', when('e', '!=', imm(0)))] : [dynptrWrite(dynptr(writeTo), 0, addr('str_x'), 1)]),
        ...(rw ? [st(1, r('d'), 0, imm(42))] : [ld('v', 1, r('d'), 0), store('val', r('v'))]),
        ret(imm(SK_PASS)),
        ...(how === 'pull' ? [label('drop'), ret(imm(SK_DROP))] : []),
      ],
    })),
  ];
}

/** Invalidating a dynptr invalidates its clones and their slices (ringbuf). */
function cloneInvalidation(): Selftest[] {
  const rd = B('read_data', 64);
  return [
    tcase({ fn: 'clone_invalidate1', sec: '?raw_tp', msgs: ['Expected an initialized dynptr as R3'], locals: [D('clone'), D('ptr'), rd],
      body: [ringbufReserve(glob('val'), dynptr('ptr')), call('bpf_dynptr_clone', [dynptr('ptr'), dynptr('clone')]), ringbufSubmit(dynptr('ptr')), dynptrRead(buf('read_data'), 64, dynptr('clone')), ret(imm(0))] }),
    tcase({ fn: 'clone_invalidate2', sec: '?raw_tp', msgs: ['Expected an initialized dynptr as R3'], locals: [D('ptr'), D('clone'), rd],
      body: [ringbufReserve(glob('val'), dynptr('ptr')), call('bpf_dynptr_clone', [dynptr('ptr'), dynptr('clone')]), ringbufSubmit(dynptr('clone')), dynptrRead(buf('read_data'), 64, dynptr('ptr')), ret(imm(0))] }),
    tcase({ fn: 'clone_invalidate3', sec: '?raw_tp', msgs: ['Expected an initialized dynptr as R3'], locals: [D('ptr'), D('clone1'), D('clone2'), rd],
      body: [ringbufReserve(glob('val'), dynptr('ptr')), call('bpf_dynptr_clone', [dynptr('ptr'), dynptr('clone1')]), call('bpf_dynptr_clone', [dynptr('ptr'), dynptr('clone2')]),
        ringbufSubmit(dynptr('clone2')), dynptrRead(buf('read_data'), 64, dynptr('clone1')), ret(imm(0))] }),
    tcase({ fn: 'clone_invalidate4', sec: '?raw_tp', msgs: ["invalid mem access 'scalar'"], locals: [D('ptr'), D('clone')],
      body: [ringbufReserve(glob('val'), dynptr('ptr')), call('bpf_dynptr_clone', [dynptr('ptr'), dynptr('clone')]), dynptrData(dynptr('clone'), 0, 4, 'data'),
        goto('ret0', when('data', '==', NULL)), ringbufSubmit(dynptr('ptr')), st(4, r('data'), 0, imm(123)), ...ret0] }),
    tcase({ fn: 'clone_invalidate5', sec: '?raw_tp', msgs: ["invalid mem access 'scalar'"], locals: [D('ptr'), D('clone')],
      body: [ringbufReserve(glob('val'), dynptr('ptr')), dynptrData(dynptr('ptr'), 0, 4, 'data'), goto('ret0', when('data', '==', NULL)),
        call('bpf_dynptr_clone', [dynptr('ptr'), dynptr('clone')]), ringbufSubmit(dynptr('clone')), st(4, r('data'), 0, imm(123)), ...ret0] }),
    tcase({ fn: 'clone_invalidate6', sec: '?raw_tp', msgs: ["invalid mem access 'scalar'"], locals: [D('ptr'), D('clone1'), D('clone2')],
      body: [ringbufReserve(glob('val'), dynptr('ptr')), call('bpf_dynptr_clone', [dynptr('ptr'), dynptr('clone1')]), call('bpf_dynptr_clone', [dynptr('ptr'), dynptr('clone2')]),
        dynptrData(dynptr('clone1'), 0, 4, 'data'), goto('ret0', when('data', '==', NULL)), ringbufSubmit(dynptr('clone2')), st(4, r('data'), 0, imm(123)), ...ret0] }),
  ];
}

/** Slices across bpf-to-bpf calls (only in kernel-patches/bpf-rc): `static __noinline void f(struct bpf_dynptr *ptr, int **data)`. */
function subprogSlices(): Selftest[] {
  const params = [{ name: 'ptr', type: 'ptr' as const }, { name: 'data', type: 'ptr' as const }];
  const cloneSlice: Subprog = { name: 'clone_slice_in_subprog', isStatic: true, params, returns: 'void', locals: [D('clone')],
    body: [call('bpf_dynptr_clone', [r('ptr'), dynptr('clone')]), dynptrData(dynptr('clone'), 0, 4, 'd'), st(8, r('data'), 0, r('d')), ret(imm(0))] };
  const callerSlice: Subprog = { name: 'caller_slice_in_subprog', isStatic: true, params, returns: 'void', locals: [D('clone')],
    body: [dynptrData(r('ptr'), 0, 4, 'd'), st(8, r('data'), 0, r('d')), call('bpf_dynptr_clone', [r('ptr'), dynptr('clone')]), ret(imm(0))] };
  const locals = [D('ptr'), local('data', 'u64', 'zero')];
  const useData: Op[] = [ld('dp', 8, addr('data'), 0), goto('skip', when('dp', '==', NULL)), st(4, r('dp'), 0, imm(123)), label('skip')];
  const note = '`int *data = NULL` is a stack variable the callee stores the slice pointer into';
  const rc = { only: true as const, why: 'slices across bpf-to-bpf calls: the series that kills the slices of a returning frame\'s dynptrs' };
  return [
    tcase({ fn: 'caller_dynptr_slice_across_subprog_valid', sec: '?raw_tp', success: true, locals, note, rc, subprogs: [callerSlice],
      body: [ringbufReserve(glob('val'), dynptr('ptr')), call('caller_slice_in_subprog', [dynptr('ptr'), addr('data')]), ...useData, ringbufSubmit(dynptr('ptr')), ret(imm(0))] }),
    tcase({ fn: 'callee_dynptr_slice_invalid_after_return', sec: '?raw_tp', msgs: ["invalid mem access 'scalar'"], locals, note, rc, subprogs: [cloneSlice],
      body: [ringbufReserve(glob('val'), dynptr('ptr')), call('clone_slice_in_subprog', [dynptr('ptr'), addr('data')]), ...useData, ringbufSubmit(dynptr('ptr')), ret(imm(0))] }),
    tcase({ fn: 'caller_dynptr_slice_release_after_subprog_invalid', sec: '?raw_tp', msgs: ["invalid mem access 'scalar'"], locals, note, rc, subprogs: [callerSlice],
      body: [ringbufReserve(glob('val'), dynptr('ptr')), call('caller_slice_in_subprog', [dynptr('ptr'), addr('data')]), ringbufSubmit(dynptr('ptr')), ...useData, ret(imm(0))] }),
  ];
}

/** Overwriting a referenced dynptr while a clone holds the reference (7.x). */
function cloneHoldsRef(): Selftest[] {
  const note = 'a clone holding the reference lets the original be overwritten (in 08dbfad3; not in kernel-patches/bpf@063c589b)';
  const locals = [D('ptr'), D('clone')];
  const base: Op[] = [ringbufReserve(imm(64), dynptr('ptr')), call('bpf_dynptr_clone', [dynptr('ptr'), dynptr('clone')])];
  const baseVal: Op[] = [ringbufReserve(glob('val'), dynptr('ptr'))];
  return [
    tcase({ fn: 'dynptr_overwrite_ref_with_clone', sec: '?raw_tp', success: true, locals, note, body: [...base, st(1, dynptr('ptr'), 0, imm(0)), ringbufDiscard(dynptr('clone')), ret(imm(0))] }),
    tcase({ fn: 'dynptr_overwrite_ref_last_clone', sec: '?raw_tp', msgs: ['cannot overwrite referenced dynptr'], locals, note, body: [...base, st(1, dynptr('ptr'), 0, imm(0)), st(1, dynptr('clone'), 0, imm(0)), ret(imm(0))] }),
    tcase({ fn: 'dynptr_overwrite_clone_with_original', sec: '?raw_tp', success: true, locals, note, body: [...base, st(1, dynptr('clone'), 0, imm(0)), ringbufDiscard(dynptr('ptr')), ret(imm(0))] }),
    tcase({ fn: 'dynptr_overwrite_ref_invalidate_slice', sec: '?raw_tp', msgs: ["invalid mem access 'scalar'"], locals, note,
      body: [...baseVal, dynptrData(dynptr('ptr'), 0, 4, 'data'), goto('ret0', when('data', '==', NULL)), call('bpf_dynptr_clone', [dynptr('ptr'), dynptr('clone')]),
        st(1, dynptr('ptr'), 0, imm(0)), st(4, r('data'), 0, imm(123)), ...ret0] }),
    tcase({ fn: 'dynptr_overwrite_ref_clone_slice_valid', sec: '?raw_tp', success: true, locals, note,
      body: [...baseVal, call('bpf_dynptr_clone', [dynptr('ptr'), dynptr('clone')]), dynptrData(dynptr('clone'), 0, 4, 'data'), goto('ok', when('data', '!=', NULL)),
        ringbufDiscard(dynptr('clone')), ret(imm(0)), label('ok'), st(1, dynptr('ptr'), 0, imm(0)), st(4, r('data'), 0, imm(123)), ringbufDiscard(dynptr('clone')), ret(imm(0))] }),
  ];
}

void E2BIG;
