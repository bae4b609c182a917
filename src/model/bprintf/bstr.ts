/**
 * lib/vsprintf.c `bstr_printf` over a format `bpf_bprintf_prepare` accepted: the text, at most
 * `size - 1` bytes of it and a NUL written into `out`, and its whole length returned.
 *
 * `format_decode` reads a conversion's flags (`- + space # 0`; `0` pads numbers with zeros, not
 * `%c` nor strings), its width (clamped to 2^23 - 1, `set_field_width`) and its `l`/`ll`; `number`
 * prints it (a sign for `%d`/`%i` of a negative number, `+` or a space when asked; hex in the case of
 * `x` or `X`); the arguments are read from the binary buffer in the order and alignment prepare wrote
 * them (`get_arg`). A pointer conversion: `%px` the address in 16 lowercase hex digits (or its own
 * width, unpadded); `%p` and `%pK` of NULL the same, and `%p` of an error pointer; of anything else a
 * hash keyed at boot (for `%pK`, the address or zeros by `kptr_restrict`): 16 characters, or the width
 * when that is 16 or more, whose text the model does not know (a `NotModelledError` when it would land
 * in the buffer; counted when the buffer is already full); `%ps`/`%pS` a kernel symbol (not
 * modelled); any other (`%pks`, `%pi4`…) the text prepare wrote — copied only while the output has
 * room: once it is full, the kernel skips the copy and leaves the arguments where they are, so the
 * conversions after it read that text as their arguments, and may read bytes of the per-CPU buffer
 * prepare did not write (what an earlier call left: not modelled). After a pointer conversion, every
 * letter and digit that follows is skipped (`%pI6c` prints `%pI6`'s text). Precision, `*` widths and
 * `#` never reach here: prepare refuses them.
 */
import { NotModelledError } from '../kernel/errors.ts';
import { isalnum, isdigit } from '../kernel/charclass.ts';

const SIGN = 1;
const LEFT = 2;
const PLUS = 4;
const SPACE = 8;
const ZEROPAD = 16;
const SMALL = 32;
const SPECIAL = 64;
const FIELD_WIDTH_MAX = (1 << 23) - 1;
const ERR_START = (1n << 64n) - 4095n;

function specFlag(c: number): number {
  switch (c) {
    case 0x2d: return LEFT;
    case 0x2b: return PLUS;
    case 0x20: return SPACE;
    case 0x23: return SPECIAL;
    case 0x30: return ZEROPAD;
    default: return 0;
  }
}

interface Spec {
  flags: number;
  base: number;
  width: number;
}

/** `bstr_printf(out, size, fmt, bin)`: the length of the whole text (what fitted is in `out`, NUL-terminated). */
export function bstrPrintf(out: Uint8Array | null, size: number, fmt: Uint8Array, fmtLen: number, bin: Uint8Array | null, written: Uint8Array | null): number {
  const at = (i: number): number => (i < fmtLen ? (fmt[i] as number) : 0);
  // `end` of the kernel's buffer: the helper passes `out` of at least `size` bytes (null with size 0).
  const room = size;
  let pos = 0;
  const put = (c: number): void => {
    if (out !== null && pos < room) out[pos] = c;
    pos += 1;
  };
  // `n` bytes of `c`: written while there is room, counted all (a width may be 2^23).
  const pad = (c: number, n: number): void => {
    if (n <= 0) return;
    if (out !== null && pos < room) out.fill(c, pos, Math.min(room, pos + n));
    pos += n;
  };
  const bytes = (src: Uint8Array, from: number, n: number): void => {
    if (out !== null && pos < room) out.set(src.subarray(from, from + Math.min(n, room - pos)), pos);
    pos += n;
  };
  let args = 0;
  // A byte of the binary buffer prepare did not write is what an earlier call left there.
  const binByte = (i: number): number => {
    if (bin === null || i >= bin.length) throw new NotModelledError(`bstr_printf reading byte ${i} of the 512-byte binary buffer`, 'the kernel reads past what prepare wrote (after a prepared text it could not copy): what an earlier call left in its per-CPU buffer');
    if (written !== null && written[i] !== 1) throw new NotModelledError(`bstr_printf reading byte ${i} of the binary buffer, which this call did not write`, 'it holds what an earlier call on the CPU left in the kernel\'s per-CPU buffer');
    return bin[i] as number;
  };
  const getInt = (): number => {
    args = (args + 3) & ~3;
    const v = (binByte(args) | (binByte(args + 1) << 8) | (binByte(args + 2) << 16) | (binByte(args + 3) << 24)) >>> 0;
    args += 4;
    return v;
  };
  const getLong = (): bigint => {
    const lo = BigInt(getInt());
    const hi = BigInt(getInt());
    return (hi << 32n) | lo;
  };
  const strlen = (from: number): number => {
    let n = 0;
    while (binByte(from + n) !== 0) n += 1;
    return n;
  };

  const number = (num: bigint, spec: Spec): void => {
    let flags = spec.flags;
    let width = spec.width;
    if (flags & LEFT) flags &= ~ZEROPAD;
    let sign = 0;
    if (flags & SIGN) {
      if (BigInt.asIntN(64, num) < 0n) {
        sign = 0x2d;
        num = BigInt.asUintN(64, -BigInt.asIntN(64, num));
        width -= 1;
      } else if (flags & PLUS) {
        sign = 0x2b;
        width -= 1;
      } else if (flags & SPACE) {
        sign = 0x20;
        width -= 1;
      }
    }
    let digits = num.toString(spec.base).toUpperCase();
    if (flags & SMALL) digits = digits.toLowerCase();
    width -= digits.length;
    if (!(flags & (ZEROPAD | LEFT))) {
      pad(0x20, width);
      width = -1;
    }
    if (sign !== 0) put(sign);
    if (!(flags & LEFT)) {
      pad(flags & ZEROPAD ? 0x30 : 0x20, width);
      width = -1;
    }
    for (let i = 0; i < digits.length; i += 1) put(digits.charCodeAt(i));
    pad(0x20, width);
  };
  const pointerString = (ptr: bigint, spec: Spec): void => {
    const s: Spec = { flags: spec.flags | SMALL, base: 16, width: spec.width };
    if (s.width === -1) {
      s.width = 16;
      s.flags |= ZEROPAD;
    }
    number(ptr, s);
  };

  let p = 0;
  while (p < fmtLen) {
    const old = p;
    while (p < fmtLen && at(p) !== 0x25) p += 1;
    if (p !== old || p >= fmtLen) {
      bytes(fmt, old, p - old);
      continue;
    }
    const spec: Spec = { flags: 0, base: 10, width: -1 };
    for (;;) {
      p += 1;
      const f = specFlag(at(p));
      if (f === 0) break;
      spec.flags |= f;
    }
    if (isdigit(at(p))) {
      // skip_atoi in a C int (the kernel builds with wrapping overflow), then set_field_width.
      let w = 0;
      do {
        w = (Math.imul(w, 10) + at(p) - 0x30) | 0;
        p += 1;
      } while (isdigit(at(p)));
      spec.width = Math.max(-FIELD_WIDTH_MAX, Math.min(FIELD_WIDTH_MAX, w));
    }
    let long = false;
    if (at(p) === 0x6c) {
      long = true;
      p += at(p + 1) === 0x6c ? 2 : 1;
    }
    const conv = at(p);
    p += 1;
    switch (conv) {
      case 0x63: { // c
        let width = spec.width;
        if (!(spec.flags & LEFT)) {
          pad(0x20, width - 1);
          width = Math.min(width, 0);
        }
        const c = binByte(args);
        args += 1;
        put(c);
        pad(0x20, width - 1);
        break;
      }
      case 0x73: { // s
        const n = strlen(args);
        const from = args;
        args += n + 1;
        if (!(spec.flags & LEFT)) pad(0x20, spec.width - n);
        bytes(bin ?? new Uint8Array(0), from, n);
        if (spec.flags & LEFT) pad(0x20, spec.width - n);
        break;
      }
      case 0x70: { // p
        const ch = at(p);
        if (ch === 0x53 || ch === 0x73 || ch === 0x78 || ch === 0x4b || ch === 0x65 || !isalnum(ch)) {
          const ptr = getLong();
          if (ch === 0x53 || ch === 0x73) throw new NotModelledError(`%p${String.fromCharCode(ch)} (a kernel symbol)`, 'the model has no kernel symbols');
          if (ch === 0x78) pointerString(ptr, spec);
          else if (ptr === 0n || (ch !== 0x4b && ptr >= ERR_START)) pointerString(ptr, spec);
          else {
            // A hash keyed at boot (or, for %pK, the address or zeros by kptr_restrict): always 16
            // characters, or the width when that is 16 or more; their text only the kernel knows.
            const len = spec.width === -1 ? 16 : spec.width >= 16 ? spec.width : -1;
            if (len < 0 || pos < room) throw new NotModelledError(`%p${ch === 0x4b ? 'K' : ''} of a pointer other than NULL${len < 0 ? ` with a width of ${spec.width}` : ' where the text lands in the buffer'}`, 'the kernel prints a hash of it with a key drawn at boot (or, for %pK, the address or zeros by kptr_restrict)');
            pos += len;
          }
        } else if (pos < room) {
          // Text prepare wrote (%pks, %pus, %pi4…), copied only while the output has room.
          const n = strlen(args);
          bytes(bin ?? new Uint8Array(0), args, n);
          args += n + 1;
        }
        while (isalnum(at(p))) p += 1;
        break;
      }
      case 0x25: // %
        put(0x25);
        break;
      default: {
        // d i u x X (prepare lets nothing else through).
        const base = conv === 0x78 || conv === 0x58 ? 16 : 10;
        const flags = spec.flags | (conv === 0x78 ? SMALL : 0) | (conv === 0x64 || conv === 0x69 ? SIGN : 0);
        let num: bigint;
        if (long) num = getLong();
        else {
          const v = getInt();
          num = flags & SIGN ? BigInt.asUintN(64, BigInt(v | 0)) : BigInt(v);
        }
        number(num, { flags, base, width: spec.width });
      }
    }
  }
  if (out !== null && room > 0) out[pos < room ? pos : room - 1] = 0;
  return pos;
}
