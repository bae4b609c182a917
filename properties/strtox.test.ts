/**
 * `bpf_strtol` and `bpf_strtoul` (src/model/helpers/strtox.ts) against an oracle that restates the
 * kernel's rules with regular expressions and JavaScript's own BigInt parser, not the model's byte
 * loop: the string is `buf_len` bytes as Latin-1 text; white space `[\t\n\v\f\r \xa0]*` and one `-`
 * are skipped; of the rest at most 63 characters count, up to a NUL; base 0 is 16 before
 * `0[xX][0-9a-fA-F]`, 8 before `0`, else 10, and base 16 drops a leading `0[xX]`; the digits are the
 * longest run of the base's; their value must fit 64 bits (-ERANGE), and a run of none is -EINVAL.
 */
import fc from 'fast-check';
import { describe, test } from 'vitest';
import { Session } from '../src/index.ts';
import { expectEqual } from './fast_expect.ts';
import { strtoxBytes, strtoxFlags } from './strtox.ts';

const EINVAL = -22;
const ERANGE = -34;

/** The oracle: the return and `*res` (0 on an error). */
function oracle(fn: 'bpf_strtol' | 'bpf_strtoul', bytes: readonly number[], len: number, flags: bigint): { ret: number; res: bigint } {
  const fail = (ret: number): { ret: number; res: bigint } => ({ ret, res: 0n });
  const base = Number(flags & 0x1fn);
  if (len === 0 || ![0, 8, 10, 16].includes(base) || flags >> 5n !== 0n) return fail(EINVAL);
  const text = String.fromCharCode(...bytes.slice(0, len));
  const lead = /^[\t\n\v\f\r \xa0]*-?/.exec(text)?.[0] ?? '';
  if (lead.length === text.length) return fail(EINVAL);
  const body = text.slice(lead.length, lead.length + 63).split('\0')[0] ?? '';
  const radix = base !== 0 ? base : /^0[xX][0-9a-fA-F]/.test(body) ? 16 : body.startsWith('0') ? 8 : 10;
  const skip = radix === 16 && /^0[xX]/.test(body) ? 2 : 0;
  const digitRe = radix === 8 ? /^[0-7]*/ : radix === 10 ? /^[0-9]*/ : /^[0-9a-fA-F]*/;
  const digits = digitRe.exec(body.slice(skip))?.[0] ?? '';
  if (digits.length === 0) return fail(EINVAL);
  const value = BigInt(`${radix === 8 ? '0o' : radix === 16 ? '0x' : ''}${digits}`);
  if (value >= 2n ** 64n) return fail(ERANGE);
  const negative = lead.endsWith('-');
  const ret = lead.length + skip + digits.length;
  if (fn === 'bpf_strtoul') return negative ? fail(EINVAL) : { ret, res: value };
  const v = negative ? -value : value;
  return v < -(2n ** 63n) || v >= 2n ** 63n ? fail(ERANGE) : { ret, res: v };
}

describe('bpf_strtol and bpf_strtoul against the regular-expression oracle', () => {
  test('the return and *res agree for every string, length and flags', () => {
    const s = new Session();
    fc.assert(fc.property(fc.constantFrom('bpf_strtol' as const, 'bpf_strtoul' as const), strtoxBytes, fc.nat(), strtoxFlags, (fn, bytes, l, flags) => {
      const len = bytes.length === 0 ? 0 : l % (bytes.length + 1);
      const res = new Uint8Array(8).fill(0xee);
      const ret = s[fn](Uint8Array.from(bytes), len, flags, res);
      const got = { ret, res: fn === 'bpf_strtol' ? new DataView(res.buffer).getBigInt64(0, true) : new DataView(res.buffer).getBigUint64(0, true) };
      expectEqual(got, oracle(fn, bytes, len, flags), () => `${fn}(${JSON.stringify(String.fromCharCode(...bytes))}, ${len}, ${flags})`);
    }));
  });
});
