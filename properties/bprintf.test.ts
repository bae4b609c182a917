/**
 * The formatted-output helpers (src/model/bprintf) against an oracle that restates C's printf for
 * what `bpf_bprintf_prepare` lets through, without the model's code: a number conversion
 * `%[-+ 0][width][l|ll]{d,i,u,x,X}` prints the value's low 32 bits (64 with `l`), signed for `d`/`i`,
 * with a `-` for a negative one, else `+` or a space when asked (`d`/`i` only); padded to the width
 * with spaces on the left, zeros after the sign (`0`), or spaces on the right (`-`, which wins over
 * `0`). `%[-][width]s` and `%[-][width]c` pad with spaces only. `bpf_snprintf` writes the text cut to
 * `str_size - 1` bytes and a NUL, and returns its length plus one. And a metamorphic property: the
 * verifier accepts `bpf_snprintf`'s format exactly when the helper, given the same number of values,
 * does not return -EINVAL.
 */
import fc from 'fast-check';
import { describe, test } from 'vitest';
import { program as P, Session, verify } from '../src/index.ts';
import { expectEqual, expectIs } from './fast_expect.ts';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const latin1 = (b: Uint8Array): string => String.fromCharCode(...b);

/** C's printf of one number conversion (the oracle). */
function printfNumber(flags: string, width: number | null, len: '' | 'l' | 'll', conv: 'd' | 'i' | 'u' | 'x' | 'X', v: bigint): string {
  const signed = conv === 'd' || conv === 'i';
  const bits = len === '' ? 32 : 64;
  const val = signed ? BigInt.asIntN(bits, v) : BigInt.asUintN(bits, v);
  const mag = val < 0n ? -val : val;
  let digits = conv === 'x' ? mag.toString(16) : conv === 'X' ? mag.toString(16).toUpperCase() : mag.toString(10);
  const sign = val < 0n ? '-' : signed && flags.includes('+') ? '+' : signed && flags.includes(' ') ? ' ' : '';
  const w = width ?? 0;
  if (flags.includes('-')) return (sign + digits).padEnd(w, ' ');
  if (flags.includes('0')) digits = digits.padStart(w - sign.length, '0');
  return (sign + digits).padStart(w, ' ');
}

/** What bpf_snprintf leaves: the text cut to size - 1 and its length plus one. */
function cut(text: string, size: number): { out: string; ret: number } {
  return { out: size === 0 ? '' : text.slice(0, size - 1), ret: text.length + 1 };
}

function snprintf(s: Session, fmt: string, vals: readonly (bigint | Uint8Array)[], size: number): { out: string; ret: number } {
  const str = size === 0 ? null : new Uint8Array(size).fill(0xee);
  const ret = s.bpf_snprintf(str, size, enc(`${fmt}\0`), vals, vals.length * 8);
  if (str === null) return { out: '', ret };
  const end = str.indexOf(0);
  return { out: latin1(str.subarray(0, end < 0 ? size : end)), ret };
}

const flagsArb = fc.array(fc.constantFrom('-', '+', ' ', '0'), { maxLength: 4 }).map((f) => f.join(''));
const widthArb = fc.option(fc.integer({ min: 1, max: 40 }), { nil: null });
const plain = fc.stringMatching(/^[a-zA-Z0-9 .,:|]{0,6}$/);
const sizeArb = fc.oneof(fc.constant(128), fc.integer({ min: 0, max: 80 }));

describe('bpf_snprintf against C\'s printf', () => {
  test('a number conversion between plain texts, cut to the buffer', () => {
    fc.assert(fc.property(plain, flagsArb, widthArb, fc.constantFrom('' as const, 'l' as const, 'll' as const), fc.constantFrom('d' as const, 'i' as const, 'u' as const, 'x' as const, 'X' as const),
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }), plain, sizeArb, (a, flags, width, len, conv, v, b, size) => {
        const s = new Session({ version: '7.2' });
        const want = `${a}${printfNumber(flags, width, len, conv, v)}${b}`;
        expectEqual(snprintf(s, `${a}%${flags}${width ?? ''}${len}${conv}${b}`, [BigInt.asUintN(64, v)], size), cut(want, size));
      }));
  });

  test('strings and characters pad with spaces, never zeros', () => {
    const text = fc.stringMatching(/^[ -~]{0,20}$/).filter((t) => !t.includes('%'));
    fc.assert(fc.property(flagsArb, widthArb, text, fc.integer({ min: 0x21, max: 0x7e }), flagsArb, widthArb, sizeArb, (f1, w1, str, ch, f2, w2, size) => {
      const s = new Session({ version: '7.2' });
      const pad = (t: string, flags: string, w: number | null): string => (flags.includes('-') ? t.padEnd(w ?? 0, ' ') : t.padStart(w ?? 0, ' '));
      const want = `[${pad(str, f1, w1)}] [${pad(String.fromCharCode(ch), f2, w2)}]`;
      expectEqual(snprintf(s, `[%${f1}${w1 ?? ''}s] [%${f2}${w2 ?? ''}c]`, [enc(`${str}\0`), BigInt(ch)], size), cut(want, size));
    }));
  });
});

describe('the verifier and the helper agree on a format', () => {
  test('bpf_snprintf\'s format is refused at load exactly when the helper would return -EINVAL for as many values', () => {
    const piece = fc.oneof(
      fc.constantFrom('%d', '%5u', '%-x', '%+lld', '%lX', '%c', '%s ', '%px', '%pK', '%pi4', '%%', '%pks|'),
      fc.constantFrom('%o', '%#x', '%.2d', '%lc', '%pa', '%5%', '%s1', '%', '%ll', '%p5', '\x01', '\x7f'),
      fc.stringMatching(/^[a-z ]{1,4}$/),
    );
    fc.assert(fc.property(fc.array(piece, { minLength: 1, maxLength: 5 }), fc.integer({ min: 0, max: 6 }), (pieces, n) => {
      const fmt = pieces.join('');
      const bytes = [...enc(fmt), 0];
      const obj = {
        name: 'o', maps: [], subprogs: [],
        globals: [{ name: 'fmt', kind: 'bytes' as const, size: bytes.length, init: bytes, rodata: true }],
        programs: [{ name: 'p', section: 'syscall', locals: [P.local('data', { bytes: 48 }, 'zero')], body: [
          P.call('bpf_snprintf', [P.NULL, P.imm(0), P.addr('fmt'), P.buf('data'), P.imm(n * 8)], 'r'), P.ret(P.imm(0)),
        ] }],
      };
      const verdict = verify(obj, '7.2')[0];
      // The helper with n zeros (a zero is a NULL pointer for %s and %pi4: an empty string, a zero
      // address), into a buffer the text fits in: a full one makes bstr_printf skip a prepared text
      // without stepping over it, and read bytes of the per-CPU buffer prepare did not write.
      const ret = new Session({ version: '7.2' }).bpf_snprintf(new Uint8Array(1024), 1024, new Uint8Array(bytes), Array.from({ length: n }, () => 0n), n * 8);
      expectIs(verdict?.ok === true, ret !== -22);
      if (verdict?.ok !== true) expectIs(verdict?.message, 'Invalid format string');
    }));
  });
});
