/**
 * The formatted-output helpers (kernel/bpf/helpers.c `bpf_snprintf`; kernel/trace/bpf_trace.c
 * `bpf_trace_printk`, `bpf_trace_vprintk`): each checks its format and arguments with
 * `bpf_bprintf_prepare` (prepare.ts) and formats with `bstr_printf` (bstr.ts). `bpf_snprintf` writes
 * into the program's buffer and returns the text's length with its NUL; the two `trace` helpers
 * format into a 1024-byte buffer, put it in the kernel's trace buffer (a `printk` event of the trace,
 * as `trace_bpf_trace_printk` writes the line `/sys/kernel/tracing/trace_pipe` shows) and return the
 * text's length without the NUL.
 */
import { EFAULT, EINVAL } from '../kernel/errno.ts';
import { ArgumentError } from '../kernel/errors.ts';
import { defineKfunc } from '../kfunc/kfunc.ts';
import { kernelSource } from '../helpers/kernel_mem.ts';
import { strncpyFromUserNofault } from '../helpers/user.ts';
import { current } from '../helpers/current.ts';
import { taskOf } from '../task/task.ts';
import { emit, type Kern } from '../world/world.ts';
import { bstrPrintf } from './bstr.ts';
import { bprintfPrepare, MAX_BPRINTF_BUF, MAX_BPRINTF_VARARGS, MAX_TRACE_PRINTK_VARARGS, type PrintfArg, type PrintfIo } from './prepare.ts';

/** The arguments' memory, read as `bpf_trace_copy_string` and `copy_from_kernel_nofault` read it. */
function io(k: Kern, name: string): PrintfIo {
  return {
    str(ptype, arg, dst, at, room) {
      // x86-64 has no CONFIG_ARCH_HAS_NON_OVERLAPPING_ADDRESS_SPACE: %s reads kernel memory, as %pks.
      if (ptype !== 'u') {
        const src = kernelSource(k, arg, true, name);
        return src.copy(dst, at, src.addr, room);
      }
      // %pus: the current task's user memory; program memory is at a kernel address (access_ok fails).
      if (arg instanceof Uint8Array) return -EFAULT;
      return strncpyFromUserNofault(taskOf(k, current(k, name)), dst, at, arg, room);
    },
    mem(arg, dst, n) {
      const src = kernelSource(k, arg, false, name);
      return src.copy(dst, 0, src.addr, n);
    },
  };
}

/** A helper's u64 argument as the format reads it: a number, or program memory a pointer points at. */
function printfArg(v: unknown, name: string): PrintfArg {
  if (v instanceof Uint8Array) return v;
  if (v === null) return 0n;
  if (typeof v === 'bigint') return BigInt.asUintN(64, v);
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt.asUintN(64, BigInt(v));
  throw new ArgumentError(name, v, 'a number (bigint) or memory (a Uint8Array a pointer points at)');
}

/** The `data_len / 8` values of `data` (`-EINVAL` for a length that is not a multiple of 8, over 96 bytes, or with no data). */
function dataArgs(data: readonly PrintfArg[] | null, dataLen: bigint): readonly PrintfArg[] | number {
  if (dataLen % 8n !== 0n || dataLen > BigInt(MAX_BPRINTF_VARARGS * 8) || (dataLen !== 0n && data === null)) return -EINVAL;
  const n = Number(dataLen / 8n);
  if (data !== null && data.length < n) throw new ArgumentError('data', data, `${n} values (data_len ${dataLen}; the verifier checks that many bytes)`);
  return data === null ? [] : data.slice(0, n);
}

const DATA_LEN_CHECK = 'data_len not a multiple of 8, over 96 (12 values), or not 0 with data NULL → -EINVAL';
const TRACE_RETURNS = 'the length of the text without its NUL (over 1023 when the line was cut), or a negative errno';
const TRACE_CONFIDENCE = 'H (source); the conformance tiers read the line back from the kernel\'s trace buffer (a tracefs instance) and compare it';

/** Format into the trace helpers' 1024-byte buffer, put the line in the trace, return its length. */
function tracePrint(k: Kern, name: string, fmt: Uint8Array, fmtSize: bigint, args: readonly PrintfArg[], numArgs: number): number {
  if (fmt.length < Number(fmtSize)) throw new ArgumentError('fmt', fmt, `a buffer of at least ${fmtSize} bytes (the verifier pairs it with fmt_size)`);
  const p = bprintfPrepare(fmt, Number(fmtSize), args, numArgs, k.features.bprintfUtf8, io(k, name));
  if (typeof p === 'number') return p;
  const buf = new Uint8Array(MAX_BPRINTF_BUF);
  const n = bstrPrintf(buf, MAX_BPRINTF_BUF, fmt, p.fmtLen, p.bin, p.written);
  const end = buf.indexOf(0);
  emit(k, { kind: 'printk', t: k.t.now, pid: k.ctx.task ?? null, text: String.fromCharCode(...buf.subarray(0, end < 0 ? buf.length : end)) });
  return n;
}

export const bpf_snprintf = defineKfunc({
  name: 'bpf_snprintf',
  mirrors: 'kernel/bpf/helpers.c: bpf_snprintf, bpf_bprintf_prepare; lib/vsprintf.c: bstr_printf',
  kind: 'helper',
  since: '6.18',
  summary: 'Format `data_len / 8` u64 values with the constant format `fmt` into `str` (at most `str_size` bytes, NUL-terminated); the length of the whole text with its NUL.',
  args: [
    { name: 'str', type: 'mem_or_null', out: true, size: 1, cType: 'char *' },
    { name: 'str_size', type: 'u32' },
    { name: 'fmt', type: 'const_str' },
    { name: 'data', type: 'u64s', size: 4 },
    { name: 'data_len', type: 'u32' },
  ],
  ret: 'int',
  returns: 'the length of the whole text with its NUL (more than str_size when it was cut), or a negative errno',
  flags: [],
  checks: [
    DATA_LEN_CHECK,
    'the format (bpf_bprintf_prepare): a byte that is neither printable nor a space (before the UTF-8 fix, any byte above 0x7f), more conversions than values, or a conversion other than [0 +-][width] %d %i %u %x %X (with l or ll), %c, %s, %p, %pK, %px, %ps, %pS, %pB, %pks, %pus, %pi4, %pI4, %pi6, %pI6 → -EINVAL (the verifier checks the format first: "Invalid format string")',
    'the values\' 512-byte binary buffer full (long strings) → -ENOSPC',
  ],
  effects: [
    'str gets the text, cut to str_size - 1 bytes and a NUL (nothing with str_size 0)',
    'a string that cannot be read (%s, %pks, %pus) prints as empty; an address for %pi4… that cannot be read prints as zeros',
  ],
  confidence: 'H (source; the selftest test_snprintf\'s outputs); not modelled: the text of %p and %pK of a pointer other than NULL (a boot-time hash: its length is counted past the buffer), %ps, %pS and %pB (kernel symbols)',
  impl(k, str, strSize, fmt, data, dataLen) {
    const args = dataArgs(data, dataLen);
    if (typeof args === 'number') return args;
    if (str !== null && str.length < Number(strSize)) throw new ArgumentError('str', str, `a buffer of at least ${strSize} bytes (the verifier pairs it with str_size)`);
    if (str === null && strSize !== 0n) throw new ArgumentError('str_size', strSize, '0 with str NULL (the verifier refuses a NULL buffer of a size)');
    const p = bprintfPrepare(fmt, 0xffff_ffff, args, args.length, k.features.bprintfUtf8, io(k, 'bpf_snprintf'));
    if (typeof p === 'number') return p;
    return bstrPrintf(str, Number(strSize), fmt, p.fmtLen, p.bin, p.written) + 1;
  },
});

export const bpf_trace_printk = defineKfunc({
  name: 'bpf_trace_printk',
  mirrors: 'kernel/trace/bpf_trace.c: bpf_trace_printk; kernel/bpf/helpers.c: bpf_bprintf_prepare; lib/vsprintf.c: bstr_printf',
  kind: 'helper',
  since: '6.18',
  summary: 'Format up to three values with `fmt` (`fmt_size` bytes, NUL within) and put the line in the kernel\'s trace buffer; the length of the text.',
  args: [
    { name: 'fmt', type: 'mem', size: 1, cType: 'const char *' },
    { name: 'fmt_size', type: 'u32', nonZero: true },
    { name: 'arg1', type: 'any', unsafe: true, cType: '__u64' },
    { name: 'arg2', type: 'any', unsafe: true, cType: '__u64' },
    { name: 'arg3', type: 'any', unsafe: true, cType: '__u64' },
  ],
  ret: 'int',
  returns: TRACE_RETURNS,
  flags: [],
  checks: [
    'no NUL within fmt_size bytes, or the format refused by bpf_bprintf_prepare (as bpf_snprintf\'s, with three values: a fourth conversion is -EINVAL) → -EINVAL, nothing printed; the verifier does not read the format',
  ],
  effects: ['the text, cut to 1023 bytes, is a `printk` event of the trace (the line trace_pipe shows after "bpf_trace_printk: ")'],
  confidence: TRACE_CONFIDENCE,
  impl(k, fmt, fmtSize, a1, a2, a3) {
    const args = [printfArg(a1, 'arg1'), printfArg(a2, 'arg2'), printfArg(a3, 'arg3')];
    return tracePrint(k, 'bpf_trace_printk', fmt, fmtSize, args, MAX_TRACE_PRINTK_VARARGS);
  },
});

export const bpf_trace_vprintk = defineKfunc({
  name: 'bpf_trace_vprintk',
  mirrors: 'kernel/trace/bpf_trace.c: bpf_trace_vprintk; kernel/bpf/helpers.c: bpf_bprintf_prepare; lib/vsprintf.c: bstr_printf',
  kind: 'helper',
  since: '6.18',
  summary: 'Format `data_len / 8` u64 values with `fmt` (`fmt_size` bytes, NUL within) and put the line in the kernel\'s trace buffer; the length of the text.',
  args: [
    { name: 'fmt', type: 'mem', size: 1, cType: 'const char *' },
    { name: 'fmt_size', type: 'u32', nonZero: true },
    { name: 'data', type: 'u64s', size: 3 },
    { name: 'data_len', type: 'u32' },
  ],
  ret: 'int',
  returns: TRACE_RETURNS,
  flags: [],
  checks: [
    DATA_LEN_CHECK,
    'no NUL within fmt_size bytes, or the format refused by bpf_bprintf_prepare → -EINVAL; the verifier does not read the format',
  ],
  effects: ['the text, cut to 1023 bytes, is a `printk` event of the trace'],
  confidence: TRACE_CONFIDENCE,
  impl(k, fmt, fmtSize, data, dataLen) {
    const args = dataArgs(data, dataLen);
    if (typeof args === 'number') return args;
    return tracePrint(k, 'bpf_trace_vprintk', fmt, fmtSize, args, args.length);
  },
});
