/**
 * kernel/bpf/helpers.c `bpf_bprintf_prepare`: the check of a BPF format string, and the binary
 * arguments `bstr_printf` formats from. The verifier runs it with no arguments (the format only:
 * `check_bpf_snprintf_call`); the helpers run it with theirs.
 *
 * The format is read up to its NUL (none within `fmt_size`: -EINVAL). Each byte must be printable or
 * a space; a conversion takes an argument (more conversions than arguments: -EINVAL) and is one of:
 * flags `0 + - space`, a width, then `%p` (a pointer; `%pK`, `%px`, `%ps`, `%pS`; `%pks`, `%pus`: a
 * kernel or user string; `%pB`; `%pi4 %pI4 %pi6 %pI6`: an address read from memory), `%s`, `%c`, or
 * `[l[l]]` then `d i u x X`. Nothing else: no precision, no `#`, no `%o`, no `%lc`.
 *
 * With arguments, each is written into the 512-byte binary buffer as `bstr_printf` will read it: a
 * 4- or 8-byte number at a 4-byte boundary; a `%c` as one byte; a string (`%s`, `%pks`, `%pus`)
 * copied with its NUL (`bpf_trace_copy_string`; one that faults is the empty string); an address
 * (`%pi4`…) already formatted as text. No room left: -ENOSPC.
 *
 * Before the fix "bpf: allow UTF-8 literals in bpf_bprintf_prepare()" every byte above 0x7f was
 * -EINVAL; since, one is accepted in plain text and refused only right after a `%`.
 */
import { EINVAL, ENOSPC } from '../kernel/errno.ts';
import { NotModelledError } from '../kernel/errors.ts';
import { isascii, isprint, ispunct, isspace } from '../kernel/charclass.ts';
import { formatIp } from './ip.ts';

export const MAX_BPRINTF_VARARGS = 12;
export const MAX_BPRINTF_BUF = 1024;
export const MAX_BPRINTF_BIN_ARGS = 512;
export const MAX_TRACE_PRINTK_VARARGS = 3;

/** An argument: a number, or memory of the BPF program a pointer points at (its address is the kernel's own). */
export type PrintfArg = bigint | Uint8Array;

/** How the arguments' memory is read (the helper's world). */
export interface PrintfIo {
  /** `bpf_trace_copy_string`: at most `room` bytes of the string at `arg` into `dst` at `at`; the count with its NUL, or an errno. */
  str(ptype: 's' | 'k' | 'u', arg: PrintfArg, dst: Uint8Array, at: number, room: number): number;
  /** `copy_from_kernel_nofault` of `n` bytes at `arg` into `dst`: 0 or an errno. */
  mem(arg: PrintfArg, dst: Uint8Array, n: number): number;
}

/** A checked format: its length (to its NUL) and, with arguments, the binary buffer. */
export interface Prepared {
  readonly fmtLen: number;
  readonly bin: Uint8Array | null;
  /**
   * Which bytes of `bin` this call wrote (1) — the rest (alignment padding) keeps what an earlier call
   * on the CPU left in the kernel's per-CPU buffer, which the model does not know.
   */
  readonly written: Uint8Array | null;
}

/** The address a number conversion prints. A pointer to program memory has one only the kernel knows. */
export function argValue(a: PrintfArg | undefined, what: string): bigint {
  if (a === undefined) return 0n;
  if (typeof a === 'bigint') return BigInt.asUintN(64, a);
  throw new NotModelledError(`${what} of a pointer to BPF program memory`, 'the address is the kernel\'s to choose (a stack or a map value); pass a number');
}

/**
 * `bpf_bprintf_prepare(fmt, fmt_size, raw_args, num_args)`: a negative errno, or the checked format.
 * `args` null: the verifier's check (nothing is read). `utf8`: the version has the UTF-8 fix.
 */
export function bprintfPrepare(fmt: Uint8Array, fmtSize: number, args: readonly PrintfArg[] | null, numArgs: number, utf8: boolean, io: PrintfIo | null): number | Prepared {
  const limit = Math.min(fmtSize, fmt.length);
  const fmtLen = fmt.subarray(0, limit).indexOf(0);
  if (fmtLen < 0) return -EINVAL;
  const at = (i: number): number => (i < fmtLen ? (fmt[i] as number) : 0);
  const bin = args !== null && numArgs > 0 ? new Uint8Array(MAX_BPRINTF_BIN_ARGS) : null;
  const dv = bin === null ? null : new DataView(bin.buffer);
  const written = bin === null ? null : new Uint8Array(MAX_BPRINTF_BIN_ARGS);
  const wrote = (from: number, n: number): void => {
    written?.fill(1, from, Math.min(MAX_BPRINTF_BIN_ARGS, from + n));
  };
  const end = MAX_BPRINTF_BIN_ARGS;
  let tmp = 0;
  let numSpec = 0;
  const arg = (): PrintfArg | undefined => args?.[numSpec];
  // A number into the buffer (the kernel's `nocopy_fmt`): 4-aligned, 4 or 8 bytes.
  const putNumber = (size: number, v: bigint): number => {
    if (dv === null) return 0;
    tmp = (tmp + 3) & ~3;
    if (end - tmp < size) return -ENOSPC;
    if (size === 8) dv.setBigUint64(tmp, BigInt.asUintN(64, v), true);
    else dv.setUint32(tmp, Number(BigInt.asUintN(32, v)), true);
    wrote(tmp, size);
    tmp += size;
    return 0;
  };
  const endsField = (c: number): boolean => c === 0 || isspace(c) || ispunct(c);
  for (let i = 0; i < fmtLen; i += 1) {
    let c = at(i);
    if (utf8 ? isascii(c) && !isprint(c) && !isspace(c) : (!isprint(c) && !isspace(c)) || !isascii(c)) return -EINVAL;
    if (c !== 0x25 /* % */) continue;
    if (at(i + 1) === 0x25) {
      i += 1;
      continue;
    }
    if (numSpec >= numArgs) return -EINVAL;
    i += 1;
    c = at(i);
    if (utf8 && !isascii(c)) return -EINVAL;
    // The optional "[0 +-][num]" width field.
    while (at(i) === 0x30 || at(i) === 0x2b || at(i) === 0x2d || at(i) === 0x20) i += 1;
    if (at(i) >= 0x31 && at(i) <= 0x39) {
      i += 1;
      while (at(i) >= 0x30 && at(i) <= 0x39) i += 1;
    }
    let ptype = 0;
    if (at(i) === 0x70 /* p */) {
      const n = at(i + 1);
      if (endsField(n)) {
        const e = putNumber(8, bin === null ? 0n : argValue(arg(), '%p'));
        if (e < 0) return e;
        numSpec += 1;
        continue;
      }
      if ((n === 0x6b /* k */ || n === 0x75 /* u */) && at(i + 2) === 0x73 /* s */) {
        ptype = n;
        i += 2;
      } else if (n === 0x4b /* K */ || n === 0x78 /* x */ || n === 0x73 /* s */ || n === 0x53 /* S */) {
        const e = putNumber(8, bin === null ? 0n : argValue(arg(), `%p${String.fromCharCode(n)}`));
        if (e < 0) return e;
        i += 1;
        numSpec += 1;
        continue;
      } else if (n === 0x42 /* B */) {
        if (bin !== null) throw new NotModelledError('%pB (a symbol and offset, printed while the arguments are prepared)', 'the model has no kernel symbols');
        i += 1;
        numSpec += 1;
        continue;
      } else {
        // Only %pi4, %pI4, %pi6 and %pI6.
        const v = at(i + 2);
        if ((n !== 0x69 && n !== 0x49) || (v !== 0x34 && v !== 0x36)) return -EINVAL;
        i += 2;
        if (bin !== null && io !== null) {
          const len = v === 0x34 ? 4 : 16;
          if (end - tmp < len) return -ENOSPC;
          const ip = new Uint8Array(len);
          const a = arg();
          if (a === undefined || io.mem(a, ip, len) < 0) ip.fill(0);
          const text = formatIp(n === 0x49, ip);
          if (end - tmp < text.length + 1) throw new NotModelledError(`%p${String.fromCharCode(n, v)} with ${end - tmp} bytes left of the binary buffer`, 'the kernel writes past the end of its buffer');
          bin.set(text, tmp);
          bin[tmp + text.length] = 0;
          wrote(tmp, text.length + 1);
          tmp += text.length + 1;
        }
        numSpec += 1;
        continue;
      }
    } else if (at(i) === 0x73 /* s */) {
      ptype = 0x73;
    } else if (at(i) === 0x63 /* c */) {
      if (bin !== null) {
        if (end === tmp) return -ENOSPC;
        bin[tmp] = Number(argValue(arg(), '%c') & 0xffn);
        wrote(tmp, 1);
        tmp += 1;
      }
      numSpec += 1;
      continue;
    }
    if (ptype !== 0) {
      // A string: %s, %pks, %pus.
      if (!endsField(at(i + 1))) return -EINVAL;
      if (bin !== null && io !== null) {
        if (end === tmp) return -ENOSPC;
        const a = arg();
        let n = a === undefined ? -EINVAL : io.str(ptype === 0x6b ? 'k' : ptype === 0x75 ? 'u' : 's', a, bin, tmp, end - tmp);
        if (n < 0) {
          bin[tmp] = 0;
          n = 1;
        }
        wrote(tmp, n);
        tmp += n;
      }
      numSpec += 1;
      continue;
    }
    let size = 4;
    if (at(i) === 0x6c /* l */) {
      size = 8;
      i += 1;
    }
    if (at(i) === 0x6c) i += 1;
    const conv = at(i);
    if (conv !== 0x69 && conv !== 0x64 && conv !== 0x75 && conv !== 0x78 && conv !== 0x58) return -EINVAL;
    const e = putNumber(size, bin === null ? 0n : argValue(arg(), `%${String.fromCharCode(conv)}`));
    if (e < 0) return e;
    numSpec += 1;
  }
  return { fmtLen, bin, written };
}
