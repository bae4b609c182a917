/**
 * The formatted-output helpers (src/model/bprintf). The expected texts and lengths are the kernel
 * selftest's (tools/testing/selftests/bpf/prog_tests/snprintf.c, EXP_*_OUT and EXP_*_RET; its
 * negative list for the verifier), or worked out by hand from the source read in 7.2.13
 * (kernel/bpf/helpers.c bpf_bprintf_prepare, lib/vsprintf.c bstr_printf, format_decode, number).
 */
import { describe, expect, test } from 'vitest';
import { NotModelledError, program as P, Session, traceEvents, verify, type BpfObject, type GlobalDecl, type KernelVersion } from '../src/index.ts';

type Val = number | bigint | { readonly s: string | readonly number[] };
const bytesOf = (s: string | readonly number[]): number[] => (typeof s === 'string' ? [...new TextEncoder().encode(s), 0] : [...s]);

/** A syscall program calling bpf_snprintf(out, size, fmt, data, 8 * vals) with the values stored in a stack array. */
function snprintfObject(fmt: string | readonly number[], vals: readonly Val[], size = 64, o: { dataLen?: number; writable?: boolean } = {}): BpfObject {
  const fb = bytesOf(fmt);
  const globals: GlobalDecl[] = [
    { name: 'fmt', kind: 'bytes', size: fb.length, init: fb, ...(o.writable === true ? {} : { rodata: true }) },
    { name: 'out', kind: 'bytes', size: 64, init: Array.from({ length: 64 }, () => 0xee) },
    { name: 'ret', kind: 'u64' },
  ];
  const body = vals.flatMap((v, i) => {
    if (typeof v !== 'object') return [P.st(8, P.buf('data'), i * 8, P.imm(BigInt.asIntN(64, BigInt(v))))];
    globals.push({ name: `s${i}`, kind: 'bytes', size: bytesOf(v.s).length, init: bytesOf(v.s) });
    return [P.mov(`p${i}`, P.buf(`s${i}`)), P.st(8, P.buf('data'), i * 8, P.r(`p${i}`))];
  });
  return {
    name: 'o', maps: [], subprogs: [], globals,
    programs: [{ name: 'p', section: 'syscall', ...(vals.length > 0 ? { locals: [P.local('data', { bytes: vals.length * 8 })] } : {}), body: [
      ...body,
      P.call('bpf_snprintf', [size === 0 ? P.NULL : P.buf('out'), P.imm(size), P.addr('fmt'), vals.length === 0 ? P.NULL : P.buf('data'), P.imm(o.dataLen ?? vals.length * 8)], 'n'),
      P.store('ret', P.r('n')), P.ret(P.imm(0)),
    ] }],
  };
}

function run(obj: BpfObject, version: KernelVersion = '7.2'): Session {
  const s = new Session({ version });
  s.load(obj);
  s.spawn({ comm: 't', script: [{ sys: 'prog_test_run', prog: 'p' }] });
  s.simulate();
  return s;
}

/** bpf_snprintf's result (signed) and the NUL-terminated text it left in `out`. */
function snprintf(fmt: string | readonly number[], vals: readonly Val[], size = 64): { ret: number; out: string } {
  const s = run(snprintfObject(fmt, vals, size));
  const out = s.global('out') as Uint8Array;
  const end = out.indexOf(0);
  return { ret: Number(BigInt.asIntN(64, s.global('ret') as bigint)), out: new TextDecoder('latin1').decode(out.subarray(0, end < 0 ? 64 : end)) };
}

describe('bpf_snprintf: the selftest test_snprintf\'s outputs', () => {
  test('integers: "%d %u %x %li %llu %lX"', () => {
    expect(snprintf('%d %u %x %li %llu %lX', [-8, 9, 150, -424242, 1337, 0xdabbad00])).toEqual({ out: '-8 9 96 -424242 1337 DABBAD00', ret: 30 });
  });
  test('IP addresses through pointers: "%pi4 %pI6"', () => {
    expect(snprintf('%pi4 %pI6', [{ s: [127, 0, 0, 1] }, { s: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1] }])).toEqual({ out: '127.000.000.001 0000:0000:0000:0000:0000:0000:0000:0001', ret: 56 });
  });
  test('strings and characters with widths and flags', () => {
    expect(snprintf('%s % 9c %+2c %-3c %04c %0c %+05s', [{ s: 'str1' }, 97, 98, 99, 100, 101, { s: 'longstr' }])).toEqual({ out: 'str1         a  b c      d e longstr', ret: 37 });
  });
  test('kernel pointers: %pK of NULL and %px print the value', () => {
    expect(snprintf('%pK %px ', [0, 0xffff00000add4e55n])).toEqual({ out: '0000000000000000 ffff00000add4e55 ', ret: 35 });
  });
  test('overflow: "%%overflow" into 6 bytes', () => {
    expect(snprintf('%%overflow', [], 6)).toEqual({ out: '%over', ret: 10 });
  });
  test('padding: "%5d %0900000X" into 10 bytes counts the whole width', () => {
    expect(snprintf('%5d %0900000X', [4, 4], 10)).toEqual({ out: '    4 000', ret: 900007 });
  });
  test('no values, and no buffer', () => {
    expect(snprintf('simple case', [])).toEqual({ out: 'simple case', ret: 12 });
    expect(snprintf('only interested in length %d', [60], 0).ret).toBe(29);
  });
  test('the output buffer past the NUL keeps its bytes', () => {
    const s = run(snprintfObject('ab', []));
    expect([...(s.global('out') as Uint8Array).subarray(0, 4)]).toEqual([0x61, 0x62, 0, 0xee]);
  });
});

describe('bpf_snprintf: what the source says beyond the selftest', () => {
  test('a prepared address is copied only while the output has room: once full, %d reads the address text as its int', () => {
    // "abcd" fills 4 bytes; %pI4's text "1.2.3.4" is neither counted nor stepped over, so %d reads
    // its first four bytes, "1.2." = 0x2e322e31 = 775040561: 4 + 1 + 9 characters, 15 with the NUL.
    expect(snprintf('abcd%pI4 %d', [{ s: [1, 2, 3, 4] }, 5], 4)).toEqual({ out: 'abc', ret: 15 });
    // With room, the address is printed and %d reads its own value.
    expect(snprintf('abcd%pI4 %d', [{ s: [1, 2, 3, 4] }, 5])).toEqual({ out: 'abcd1.2.3.4 5', ret: 14 });
  });
  test('letters and digits after a pointer conversion are skipped (%pI6c prints the long form)', () => {
    expect(snprintf('[%pI6c] [%pI4abc]', [{ s: [0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1] }, { s: [10, 0, 0, 1] }]).out).toBe('[2001:0db8:0000:0000:0000:0000:0000:0001] [10.0.0.1]');
  });
  test('without l, the low 32 bits (signed for %d); with l, 64', () => {
    expect(snprintf('%d %u %x %ld', [0x1_0000_0005n, -1, 0x1_2345_6789n, 0x1_0000_0005n]).out).toBe('5 4294967295 23456789 4294967301');
  });
  test('%p of NULL and of an error pointer print the value; of another pointer, a boot-time hash: not modelled', () => {
    // A width of its own replaces %px's 16 zero-padded digits (pointer_string pads only without one).
    expect(snprintf('%p|%p|', [0, -22]).out).toBe('0000000000000000|ffffffffffffffea|');
    expect(snprintf('%-20px|%20px', [0x1234, 0x1234]).out).toBe(`1234${' '.repeat(16)}|${' '.repeat(16)}1234`);
    expect(() => run(snprintfObject('%p', [0x1234]))).toThrow(NotModelledError);
    expect(() => run(snprintfObject('%ps', [0x1234]))).toThrow(NotModelledError);
  });
  test('strings that cannot be read are empty; an address that cannot be read is zeros', () => {
    expect(snprintf('[%s][%s][%pks][%pi4]', [0, 0x8000_0000_0000_0000n, 0x10, 0x8000_0000_0000_0000n]).out).toBe('[][][][000.000.000.000]');
  });
  test('the 512-byte binary buffer: a long string is cut to 511 bytes; nothing left for the next value is -ENOSPC', () => {
    const long = { s: 'x'.repeat(600) };
    expect(snprintf('%s', [long]).ret).toBe(512);
    expect(snprintf('%s %d', [long, 1])).toEqual({ ret: -28, out: '\xee'.repeat(64) });
  });
  test('data_len over 96 (13 values): the verifier accepts the format, the helper returns -EINVAL', () => {
    expect(snprintf('%d', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]).ret).toBe(-22);
  });
  test('the kernel\'s Latin-1 ctype: 0xa0 after %s is a space; the letter 0xc3 after %pI4 is skipped, 0xa9 kept', () => {
    const r = snprintf([0x25, 0x73, 0xa0, 0x25, 0x70, 0x49, 0x34, 0xc3, 0xa9, 0], [{ s: 'x' }, { s: [1, 2, 3, 4] }]);
    expect(r).toEqual({ out: 'x\xa01.2.3.4\xa9', ret: 11 });
  });
  test('a number conversion of a pointer to program memory: its address is the kernel\'s, not modelled', () => {
    expect(() => run(snprintfObject('%lx', [{ s: 'abc' }]))).toThrow(NotModelledError);
  });
});

describe('the verifier: check_reg_const_str and check_bpf_snprintf_call', () => {
  // test_snprintf_single.c: `const char fmt[10]` filled by user space; "0123456789" has no NUL.
  const single = (fmt: readonly number[], version: KernelVersion = '7.2') => verify(snprintfObject([...fmt, ...Array.from({ length: 10 - fmt.length }, () => 0)].slice(0, 10), [42], 0), version)[0];
  const b = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));
  test.each([
    ['valid %d', null],
    ['0123456789', 'string is not zero-terminated'],
    ['%d %d', 'Invalid format string'],
    ['%pi5', 'Invalid format string'],
    ['%a', 'Invalid format string'],
    ['%', 'Invalid format string'],
    ['%12345678', 'Invalid format string'],
    ['%--------', 'Invalid format string'],
    ['%lc', 'Invalid format string'],
    ['%llc', 'Invalid format string'],
    ['\x80', null],
    ['%\x80', 'Invalid format string'],
    ['\x01', 'Invalid format string'],
  ])('test_snprintf_negative: %j', (fmt, message) => {
    expect(single(b(fmt))?.message ?? null).toBe(message);
  });
  test('a format the program may write (.data): R3 does not point to a readonly map', () => {
    expect(verify(snprintfObject('x', [], 64, { writable: true }), '7.2')[0]?.message).toBe('R3 does not point to a readonly map\'');
  });
  test('data_len 12: -EINVAL with no message of its own, the log ending at the call', () => {
    expect(verify(snprintfObject('%d', [1, 2], 64, { dataLen: 12 }), '7.2')[0]?.message).toBe('call bpf_snprintf#165');
  });
});

describe('bpf_trace_printk and bpf_trace_vprintk: the line in the trace, its length returned', () => {
  const traceObject = (fmt: string, fmtSize?: number, who = true): BpfObject => ({
    name: 'o', maps: [], subprogs: [],
    globals: [{ name: 'fmt', kind: 'bytes', size: bytesOf(fmt).length, init: bytesOf(fmt), rodata: true }, { name: 'who', kind: 'bytes', size: 4, init: 'you' }, { name: 'ret', kind: 'u64' }],
    programs: [{ name: 'p', section: 'syscall', body: [
      P.call('bpf_trace_printk', [P.buf('fmt'), P.imm(fmtSize ?? bytesOf(fmt).length), who ? P.buf('who') : P.imm(1), P.imm(-3), P.imm(0x21)], 'n'),
      P.store('ret', P.r('n')), P.ret(P.imm(0)),
    ] }],
  });
  const lines = (s: Session): string[] => traceEvents(s.world.trace).flatMap((e) => (e.kind === 'printk' ? [e.text] : []));
  test('three values in registers', () => {
    const s = run(traceObject('hi %s %d %c'));
    expect(s.global('ret')).toBe(11n);
    expect(lines(s)).toEqual(['hi you -3 !']);
  });
  test('a fourth conversion, a bad one, no NUL within fmt_size: -EINVAL and no line', () => {
    for (const [fmt, size] of [['%d %d %d %d', undefined], ['a %o', undefined], ['abcdef', 4]] as const) {
      const s = run(traceObject(fmt, size, false));
      expect(BigInt.asIntN(64, s.global('ret') as bigint)).toBe(-22n);
      expect(lines(s)).toEqual([]);
    }
  });
  test('a line longer than the 1024-byte buffer: cut to 1023 bytes, the whole length returned', () => {
    const s = run(traceObject('%2000d', undefined, false));
    expect(s.global('ret')).toBe(2000n);
    expect(lines(s)[0]).toBe(' '.repeat(1023));
  });
  test('bpf_trace_vprintk from the Session API: values as numbers; data_len not a multiple of 8 is -EINVAL', () => {
    const s = new Session({ version: '7.2' });
    const fmt = new TextEncoder().encode('%d and %lu\0');
    expect(s.bpf_trace_vprintk(fmt, fmt.length, [7, 2n ** 40n], 16)).toBe(19); // "7 and 1099511627776"
    expect(s.bpf_trace_vprintk(fmt, fmt.length, [7, 8], 12)).toBe(-22);
    expect(s.bpf_snprintf(null, 0, fmt, [1, 2], 16)).toBe(8);
  });
});

describe('check_mem_size_reg: ARG_CONST_SIZE refuses 0, ARG_CONST_SIZE_OR_ZERO takes it; any size of 2^29 or more is unbounded', () => {
  const one = (call: ReturnType<typeof P.call>): BpfObject => ({
    name: 'o', maps: [], subprogs: [],
    globals: [{ name: 'buf', kind: 'bytes', size: 16 }, { name: 'fmt', kind: 'bytes', size: 2, init: 'x', rodata: true }],
    programs: [{ name: 'p', section: 'syscall', body: [call, P.ret(P.imm(0))] }],
  });
  test('bpf_get_current_comm, bpf_strncmp and bpf_trace_printk with a size of 0', () => {
    expect(verify(one(P.call('bpf_get_current_comm', [P.buf('buf'), P.imm(0)])), '7.2')[0]?.message).toBe('R2 invalid zero-sized read: u64=[0,0]');
    expect(verify(one(P.call('bpf_strncmp', [P.buf('buf'), P.imm(0), P.addr('fmt')])), '7.2')[0]?.message).toBe('R2 invalid zero-sized read: u64=[0,0]');
    expect(verify(one(P.call('bpf_trace_printk', [P.buf('fmt'), P.imm(0), P.imm(0), P.imm(0), P.imm(0)])), '7.2')[0]?.message).toBe('R2 invalid zero-sized read: u64=[0,0]');
  });
  test('bpf_probe_read_kernel and bpf_snprintf take 0', () => {
    expect(verify(one(P.call('bpf_probe_read_kernel', [P.buf('buf'), P.imm(0), P.imm(0)])), '7.2')[0]?.ok).toBe(true);
    expect(verify(one(P.call('bpf_snprintf', [P.NULL, P.imm(0), P.addr('fmt'), P.NULL, P.imm(0)])), '7.2')[0]?.ok).toBe(true);
  });
  test('a constant size of 2^29 is unbounded before the memory is looked at', () => {
    expect(verify(one(P.call('bpf_probe_read_kernel', [P.buf('buf'), P.imm(1 << 29), P.imm(0)])), '7.2')[0]?.message).toBe('R2 unbounded memory access, use \'var &= const\' or \'if (var < const)\'');
  });
});

describe('the selftests trace_printk and trace_vprintk (progs/trace_printk.c, progs/trace_vprintk.c)', () => {
  const z = (s: string): Uint8Array => new TextEncoder().encode(`${s}\0`);
  const lines = (s: Session): string[] => traceEvents(s.world.trace).flatMap((e) => (e.kind === 'printk' ? [new TextDecoder().decode(Uint8Array.from(e.text, (c) => c.charCodeAt(0)))] : []));
  test('"testing,testing %d\\n" and its UTF-8 twin print (a positive length and the line), "%\\x80\\n" is refused', () => {
    const s = new Session({ version: '7.2' });
    const fmt = z('testing,testing %d\n');
    const utf8 = z('中文,测试 %d\n');
    // "testing,testing 1\n": 15 + 1 + 1 + 1 characters; the UTF-8 one: 6 bytes, an ASCII comma, 6 bytes, a space, "1", "\n".
    expect(s.bpf_trace_printk(fmt, fmt.length, 1n, 0n, 0n)).toBe(18);
    expect(s.bpf_trace_printk(utf8, utf8.length, 1n, 0n, 0n)).toBe(16);
    expect(s.bpf_trace_printk(new Uint8Array([0x25, 0x80, 0x0a, 0]), 4, 0n, 0n, 0n)).toBe(-22);
    expect(lines(s)).toEqual(['testing,testing 1\n', '中文,测试 1\n']);
  });
  test('eleven values through bpf_trace_vprintk: the line holds "1,2,3,4,5,6,7,8,9,10"; a conversion with NULL data is -EINVAL', () => {
    const s = new Session({ version: '7.2' });
    const fmt = z('%s,%d,%s,%d,%s,%d,%s,%d,%s,%d %d\n');
    const vals = [z('1'), 2n, z('3'), 4n, z('5'), 6n, z('7'), 8n, z('9'), 10n, 1n];
    expect(s.bpf_trace_vprintk(fmt, fmt.length, vals, vals.length * 8)).toBe(23);
    expect(lines(s)).toEqual(['1,2,3,4,5,6,7,8,9,10 1\n']);
    const f = z('%pS\n');
    expect(s.bpf_trace_vprintk(f, f.length, null, 0)).toBe(-22);
  });
});
