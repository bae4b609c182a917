/**
 * The formatted-output helpers on the kernel (src/model/bprintf): `bpf_snprintf` into `<id>_out`
 * (64 bytes, filled with 0xee first, so what it leaves is seen), `bpf_trace_printk` and
 * `bpf_trace_vprintk` (their return: the length of the line). The format is a `.rodata` string; the
 * values (`data`) a stack array the program fills with numbers and with pointers to its globals.
 * Several cases are the kernel selftest `test_snprintf`'s. Verifier cases: the format checked at load
 * (`check_bpf_snprintf_call`: "Invalid format string"), the format's memory (`check_reg_const_str`).
 */
import { program as P, type BpfObject, type GlobalDecl, type Op } from '../../src/index.ts';
import { FRETS, pidFilterOps, type FileCase } from './file.ts';
import type { CallRecord, ConfCase, UserPages } from './lib.ts';

const RULE = 'formatted output: bpf_snprintf, bpf_trace_printk, bpf_trace_vprintk (bprintf/)';

/** A value: a number, a pointer to a global holding these bytes (a string gets its NUL), or a user address. */
export type PVal = number | bigint | { readonly s: string | readonly number[] };

export interface PrintfSeq {
  readonly id: string;
  readonly fn: 'bpf_snprintf' | 'bpf_trace_printk' | 'bpf_trace_vprintk';
  /** The format's bytes (a string is UTF-8), its NUL added unless `noNul`. */
  readonly fmt: string | readonly number[];
  readonly noNul?: boolean;
  /** The format in `.data` instead of `.rodata` (a global the program may write). */
  readonly writable?: boolean;
  readonly vals: readonly PVal[];
  /** bpf_snprintf's str_size (default 64; 0 with a NULL buffer). */
  readonly size?: number;
  /** data_len (default 8 a value); `null`: data NULL; -1: a global's value (unbounded). */
  readonly dataLen?: number | null;
  /** The trace helpers' fmt_size (default the format's bytes with its NUL). */
  readonly fmtSize?: number;
  readonly reject?: boolean;
  /** Host only (user memory, the model's task being the loader). */
  readonly hostOnly?: boolean;
  readonly note: string;
}

const OUT = 64;
const USER = 0x7ffd_7000n;
const LONG = 'x'.repeat(600);

const SEQS: readonly PrintfSeq[] = [
  { id: 'num', fn: 'bpf_snprintf', fmt: '%d %u %x %li %llu %lX', vals: [-8, 9, 150, -424242, 1337, 0xdabbad00], note: 'test_snprintf\'s integers: "-8 9 96 -424242 1337 DABBAD00", 30' },
  { id: 'ip', fn: 'bpf_snprintf', fmt: '%pi4 %pI6', vals: [{ s: [127, 0, 0, 1] }, { s: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1] }], note: 'test_snprintf\'s addresses, read through pointers to globals: "127.000.000.001 0000:…:0001", 56' },
  { id: 'str', fn: 'bpf_snprintf', fmt: '%s % 9c %+2c %-3c %04c %0c %+05s', vals: [{ s: 'str1' }, 97, 98, 99, 100, 101, { s: 'longstr' }], note: 'test_snprintf\'s strings and characters: widths pad with spaces (a 0 flag does not pad %c or %s), 37' },
  { id: 'over', fn: 'bpf_snprintf', fmt: '%%overflow', vals: [], size: 6, dataLen: null, note: 'test_snprintf: cut to 5 bytes and a NUL; the whole length, 10' },
  { id: 'pad', fn: 'bpf_snprintf', fmt: '%5d %0900000X', vals: [4, 4], size: 10, note: 'test_snprintf: a width of 900000 is counted, not written past the buffer: 900007' },
  { id: 'nobuf', fn: 'bpf_snprintf', fmt: 'only interested in length %d', vals: [60], size: 0, note: 'test_snprintf: a NULL buffer of size 0: only the length, 29' },
  { id: 'ptr_null', fn: 'bpf_snprintf', fmt: '%pK %px %p|%-20px|%p', vals: [0, 0xffff00000add4e55n, 0, 0x1234, -22], note: '%pK and %p of NULL and %p of an error pointer print the pointer (no hash); %px in 16 hex digits, or its own width' },
  { id: 'ip6c', fn: 'bpf_snprintf', fmt: '[%pI6c] [%pI4abc]', vals: [{ s: [0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1] }, { s: [10, 0, 0, 1] }], note: 'after an address the letters and digits that follow are skipped: %pI6c prints %pI6\'s long form, "abc" vanishes' },
  { id: 'full_ip', fn: 'bpf_snprintf', fmt: 'abcd%pI4 %d', vals: [{ s: [1, 2, 3, 4] }, 5], size: 4, note: 'bstr_printf copies a prepared address only while the output has room: once full it neither counts it nor moves past it, so %d reads the address text "1.2." as its int' },
  { id: 'widths', fn: 'bpf_snprintf', fmt: '|%-8s|%8s|%+d|% d|%05d|%-5d|%x|%X|%lld|%llx|', vals: [{ s: 'ab' }, { s: 'cd' }, 7, 7, -42, 3, 0xbeef, 0xbeef, -1, -1], note: 'flags and widths: left and right, a sign, a space, zeros after the sign; 64-bit values with ll' },
  { id: 'int_trunc', fn: 'bpf_snprintf', fmt: '%d %u %x %ld', vals: [0x1_0000_0005n, -1, 0x1_2345_6789n, 0x1_0000_0005n], note: 'a conversion without l prints the low 32 bits (signed for %d); with l all 64' },
  { id: 'bad_str', fn: 'bpf_snprintf', fmt: '[%s][%s][%pks][%pi4]', vals: [0, 0x8000_0000_0000_0000n, 0x10, 0x8000_0000_0000_0000n], note: 'strings and an address that cannot be read (NULL, a non-canonical address): empty strings, a zero address' },
  { id: 'long_str', fn: 'bpf_snprintf', fmt: '%s', vals: [{ s: LONG }], note: 'a 600-byte string is cut to the 511 bytes the binary buffer holds with its NUL: 512' },
  { id: 'enospc', fn: 'bpf_snprintf', fmt: '%s %d', vals: [{ s: LONG }, 1], note: 'a string filling the 512-byte binary buffer leaves no room for the next value: -ENOSPC, the buffer untouched' },
  { id: 'enospc_c', fn: 'bpf_snprintf', fmt: '%s%c', vals: [{ s: LONG }, 65], note: 'no room for a %c either: -ENOSPC' },
  { id: 'toolong_data', fn: 'bpf_snprintf', fmt: '%d', vals: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13], note: 'data_len 104 (13 values): the verifier checks the format against 13, the helper refuses more than 12: -EINVAL' },
  { id: 'utf8', fn: 'bpf_snprintf', fmt: 'café %d€', vals: [3], note: 'UTF-8 in plain text (accepted since "bpf: allow UTF-8 literals in bpf_bprintf_prepare()")' },
  { id: 'latin1', fn: 'bpf_snprintf', fmt: [0x25, 0x73, 0xa0, 0x25, 0x70, 0x49, 0x34, 0xc3, 0xa9], vals: [{ s: 'x' }, { s: [1, 2, 3, 4] }], note: 'the kernel\'s Latin-1 ctype: 0xa0 after %s is a space (accepted); after %pI4 the letter 0xc3 is skipped with the conversion and 0xa9 (punctuation) printed' },
  { id: 'pus', fn: 'bpf_snprintf', fmt: '[%pus][%pus][%pks]', vals: [USER, USER + 4096n - 3n, USER], hostOnly: true, note: '%pus reads the task\'s user memory (a string running into the PROT_NONE page faults: empty); %pks of a user address is -ERANGE: empty' },
  { id: 'tp', fn: 'bpf_trace_printk', fmt: 'hi %s %d %c', vals: [{ s: 'you' }, -3, 0x21], note: 'bpf_trace_printk: three values in registers; the length of the line, 11' },
  { id: 'tp_nl', fn: 'bpf_trace_printk', fmt: 'Testing,testing %d\n', vals: [1, 0, 0], note: 'the selftest trace_printk\'s format: a line ending in a newline, as bpf_printk\'s usually do' },
  { id: 'tp_four', fn: 'bpf_trace_printk', fmt: '%d %d %d %d', vals: [1, 2, 3], note: 'a fourth conversion: only three values, -EINVAL' },
  { id: 'tp_bad', fn: 'bpf_trace_printk', fmt: 'a %o', vals: [8, 0, 0], note: 'a format the verifier does not read: %o is -EINVAL at run time' },
  { id: 'tp_nonul', fn: 'bpf_trace_printk', fmt: 'abcdef', vals: [0, 0, 0], fmtSize: 4, note: 'no NUL within fmt_size: -EINVAL' },
  { id: 'tp_ctl', fn: 'bpf_trace_printk', fmt: 'tab\there\x07', vals: [0, 0, 0], note: 'a tab is a space; BEL is neither printable nor a space: -EINVAL' },
  { id: 'tp_long', fn: 'bpf_trace_printk', fmt: '%s%s', vals: [{ s: LONG }, { s: LONG }, 0], note: 'two 600-byte strings: the first fills the 512-byte binary buffer, the second finds no room: -ENOSPC' },
  { id: 'tp_wide', fn: 'bpf_trace_printk', fmt: '%2000d', vals: [1, 0, 0], note: 'a line longer than the 1024-byte buffer: the whole length, 2000' },
  { id: 'vp', fn: 'bpf_trace_vprintk', fmt: '%d %d %d %d %s', vals: [1, 22, 333, 4444, { s: 'five' }], note: 'bpf_trace_vprintk: five values from an array, 17' },
  { id: 'vp_nl', fn: 'bpf_trace_vprintk', fmt: 'two\nlines %d\n', vals: [7], note: 'a newline inside the text and one at its end: the trace buffer holds both' },
  { id: 'vp_len', fn: 'bpf_trace_vprintk', fmt: '%d', vals: [1, 2], dataLen: 12, note: 'data_len 12, not a multiple of 8: -EINVAL at run time (the verifier checks it for bpf_snprintf only)' },
  { id: 'vp_null', fn: 'bpf_trace_vprintk', fmt: 'no values', vals: [], dataLen: null, note: 'data NULL and data_len 0: the text alone, 9' },
  // The verifier.
  { id: 'v_two', fn: 'bpf_snprintf', fmt: '%d %d', vals: [1], reject: true, note: 'test_snprintf_negative: more conversions than values: Invalid format string' },
  { id: 'v_pi5', fn: 'bpf_snprintf', fmt: '%pi5', vals: [1], reject: true, note: 'test_snprintf_negative: %pi5' },
  { id: 'v_lc', fn: 'bpf_snprintf', fmt: '%lc', vals: [1], reject: true, note: 'test_snprintf_negative: %lc' },
  { id: 'v_hash', fn: 'bpf_snprintf', fmt: '%#x', vals: [1], reject: true, note: 'the # flag is not among the ones prepare skips' },
  { id: 'v_prec', fn: 'bpf_snprintf', fmt: '%.3d', vals: [1], reject: true, note: 'no precision' },
  { id: 'v_ctl', fn: 'bpf_snprintf', fmt: 'a\x01', vals: [], dataLen: null, reject: true, note: 'test_snprintf_negative: a control byte' },
  { id: 'v_pct_utf8', fn: 'bpf_snprintf', fmt: [0x25, 0xc3, 0xa9], vals: [1], reject: true, note: 'a byte above 0x7f right after %' },
  { id: 'v_s_letter', fn: 'bpf_snprintf', fmt: [0x25, 0x73, 0xc3, 0xa9], vals: [{ s: 'x' }], reject: true, note: '%s followed by 0xc3, a letter in the kernel\'s Latin-1 ctype: Invalid format string' },
  { id: 'v_writable', fn: 'bpf_snprintf', fmt: 'x', vals: [], dataLen: null, writable: true, reject: true, note: 'a format in .data: R3 does not point to a readonly map' },
  { id: 'v_tp_zero', fn: 'bpf_trace_printk', fmt: 'x', vals: [0, 0, 0], fmtSize: 0, reject: true, note: 'bpf_trace_printk\'s fmt_size is ARG_CONST_SIZE: 0 is refused' },
  { id: 'v_vp_var', fn: 'bpf_trace_vprintk', fmt: '%d', vals: [1], dataLen: -1, reject: true, note: 'a data_len the verifier cannot bound (the value a global holds): refused' },
  { id: 'v_len12', fn: 'bpf_snprintf', fmt: '%d', vals: [1, 2], dataLen: 12, reject: true, note: 'data_len 12: check_bpf_snprintf_call\'s -EINVAL, with no message of its own' },
];

function fmtBytes(q: PrintfSeq): number[] {
  const b = typeof q.fmt === 'string' ? [...new TextEncoder().encode(q.fmt)] : [...q.fmt];
  return q.noNul === true ? b : [...b, 0];
}

function object(id: string, q: PrintfSeq, guest: boolean): { object: BpfObject; calls: CallRecord[] } {
  const g = (n: string): string => `${id}_${n}`;
  const fmt = fmtBytes(q);
  const globals: GlobalDecl[] = [
    { name: g('rets'), kind: 'u64s', size: FRETS },
    { name: g('fmt'), kind: 'bytes', size: fmt.length, init: fmt, ...(q.writable === true ? {} : { rodata: true }) },
    ...(guest ? [{ name: g('pid'), kind: 'int' as const }] : []),
  ];
  if (q.fn === 'bpf_snprintf') globals.push({ name: g('out'), kind: 'bytes', size: OUT, init: Array.from({ length: OUT }, () => 0xee) });
  const body: Op[] = [];
  // Each pointer value: a global of its bytes, its address in a register.
  const valArg = (v: PVal, i: number): ReturnType<typeof P.imm> => {
    if (typeof v === 'object') {
      const bytes = typeof v.s === 'string' ? [...new TextEncoder().encode(v.s), 0] : [...v.s];
      globals.push({ name: g(`s${i}`), kind: 'bytes', size: bytes.length, init: bytes });
      body.push(P.mov(`p${i}`, P.buf(g(`s${i}`))));
      return P.r(`p${i}`);
    }
    return P.imm(BigInt.asIntN(64, BigInt(v)));
  };
  const locals = q.fn === 'bpf_trace_printk' || q.vals.length === 0 ? [] : [P.local('data', { bytes: q.vals.length * 8 })];
  let call: Op;
  if (q.fn === 'bpf_trace_printk') {
    const a = [0, 1, 2].map((i) => valArg(q.vals[i] ?? 0, i));
    call = P.call('bpf_trace_printk', [P.buf(g('fmt')), P.imm(q.fmtSize ?? fmt.length), ...a], 'n');
  } else {
    q.vals.forEach((v, i) => body.push(P.st(8, P.buf('data'), i * 8, valArg(v, i))));
    const len = q.dataLen === undefined ? q.vals.length * 8 : q.dataLen;
    const data = len === null || q.vals.length === 0 ? P.NULL : P.buf('data');
    // data_len -1: the value of a global, which the verifier cannot bound.
    if (len === -1) {
      globals.push({ name: g('len'), kind: 'u64' });
      body.push(P.mov('len', P.glob(g('len'))));
    }
    const lenArg = len === -1 ? P.r('len') : P.imm(len ?? 0);
    if (q.fn === 'bpf_snprintf') {
      const size = q.size ?? OUT;
      call = P.call('bpf_snprintf', [size === 0 ? P.NULL : P.buf(g('out')), P.imm(size), P.addr(g('fmt')), data, lenArg], 'n');
    } else call = P.call('bpf_trace_vprintk', [P.buf(g('fmt')), P.imm(q.fmtSize ?? fmt.length), data, lenArg], 'n');
  }
  body.push(call, P.storeAt(g('rets'), 0, P.r('n')));
  const calls: CallRecord[] = [{ index: 0, fn: q.fn, text: `${q.fn}(… "${typeof q.fmt === 'string' ? q.fmt : '(bytes)'}" …)` }];
  const object: BpfObject = {
    name: id, maps: [], globals, subprogs: [],
    programs: [{ name: id, section: guest ? 'lsm/file_open' : 'syscall', ...(locals.length > 0 ? { locals } : {}), body: [...(guest ? pidFilterOps(g('pid')) : []), ...body, P.label('out'), P.ret(P.imm(0))] }],
  };
  return { object, calls };
}

function userPages(): UserPages[] {
  const bytes = new Uint8Array(4096).fill(0x41);
  bytes.set(new TextEncoder().encode('user string\0'), 0);
  return [{ addr: USER, bytes }];
}

const caseOf = (id: string, q: PrintfSeq, guest: boolean, rule: string, generated: boolean): ConfCase => ({
  id, rule, note: q.note, ...object(id, q, guest), ...(q.reject === true ? { verifier: true } : {}), ...(q.hostOnly === true && !guest ? { user: userPages() } : {}),
  ...(generated ? { generated: true } : {}),
});

/** A host case (6.18, `SEC("syscall")`). */
export const printfHostCase = (id: string, q: PrintfSeq, rule = RULE, generated = false): ConfCase => caseOf(id, q, false, rule, generated);

/** A guest case (7.2, `lsm/file_open`). */
export const printfGuestCase = (id: string, q: PrintfSeq, rule = `${RULE} (7.2)`, generated = false): FileCase => ({ ...caseOf(id, q, true, rule, generated), state: 'warm' });

export const printfCases: readonly ConfCase[] = SEQS.map((q) => printfHostCase(`pf_${q.id}`, q));

export function printfFileCases(): FileCase[] {
  return SEQS.filter((q) => q.hostOnly !== true).map((q) => printfGuestCase(`fpf_${q.id}`, q));
}
