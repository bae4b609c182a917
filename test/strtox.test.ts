/**
 * `bpf_strtol` and `bpf_strtoul` (src/model/helpers/strtox.ts). The expected results are the kernel
 * selftest's (tools/testing/selftests/bpf/prog_tests/sysctl.c: its `bpf_strtoul`/`bpf_strtol` cases
 * and the values each program compares with), or worked out by hand from kernel/bpf/helpers.c
 * `__bpf_strtoull` and lib/kstrtox.c read in 7.2.13. The verifier's rules: ARG_CONST_SIZE (a zero
 * `buf_len`), MEM_ALIGNED and MEM_WRITE for `res`.
 */
import { describe, expect, test } from 'vitest';
import { ArgumentError, program as P, Session, verify, type BpfObject, type KernelVersion } from '../src/index.ts';

const EINVAL = -22;
const ERANGE = -34;
const latin1 = (s: string): Uint8Array => Uint8Array.from([...s].map((c) => c.charCodeAt(0)));

/** A call from the Session API: the return and the 8 bytes of res (filled with 0xee first) as a signed value. */
function call(fn: 'bpf_strtol' | 'bpf_strtoul', s: string, len: number = s.length, flags: number | bigint = 0): { ret: number; res: bigint } {
  const res = new Uint8Array(8).fill(0xee);
  const ret = new Session()[fn](latin1(s), len, flags, res);
  return { ret, res: new DataView(res.buffer).getBigInt64(0, true) };
}

describe('the selftest prog_tests/sysctl.c', () => {
  test('"bpf_strtoul one number string": "600\\0", 4 → 3, 600', () => {
    expect(call('bpf_strtoul', '600\0', 4)).toEqual({ ret: 3, res: 600n });
  });
  test('"bpf_strtoul multi number string": 3 and 600, then from buf + 3 (the space counts) 4 and 602', () => {
    expect(call('bpf_strtoul', '600 602\0', 8)).toEqual({ ret: 3, res: 600n });
    expect(call('bpf_strtoul', ' 602\0', 5)).toEqual({ ret: 4, res: 602n });
  });
  test('"bpf_strtoul supported base, ok": "077" in base 8 is 63', () => {
    expect(call('bpf_strtoul', '077\0', 4, 8)).toEqual({ ret: 3, res: 63n });
  });
  test('"bpf_strtoul unsupported base, EINVAL", and res is zeroed', () => {
    expect(call('bpf_strtoul', '600\0', 4, 3)).toEqual({ ret: EINVAL, res: 0n });
  });
  test('"bpf_strtoul buf with spaces only, EINVAL"', () => {
    expect(call('bpf_strtoul', '\t\n\f\r', 4).ret).toBe(EINVAL);
  });
  test('"bpf_strtoul negative number, EINVAL" and "bpf_strtol negative number, ok" (3, -6)', () => {
    expect(call('bpf_strtoul', '\n-6\0', 4).ret).toBe(EINVAL);
    expect(call('bpf_strtol', '\n-6\0', 4, 10)).toEqual({ ret: 3, res: -6n });
  });
  test('"bpf_strtol hex number, ok": "0xfe" → 4, 254', () => {
    expect(call('bpf_strtol', '0xfe', 4)).toEqual({ ret: 4, res: 254n });
  });
  test('"bpf_strtol max long" and "bpf_strtol overflow, ERANGE"', () => {
    expect(call('bpf_strtol', '9223372036854775807', 19)).toEqual({ ret: 19, res: 0x7fff_ffff_ffff_ffffn });
    expect(call('bpf_strtol', '9223372036854775808', 19).ret).toBe(ERANGE);
  });
});

describe('__bpf_strtoull and lib/kstrtox.c, by hand', () => {
  test('the signed range: LONG_MIN is taken, one below it is -ERANGE', () => {
    expect(call('bpf_strtol', '-9223372036854775808')).toEqual({ ret: 20, res: -(2n ** 63n) });
    expect(call('bpf_strtol', '-9223372036854775809').ret).toBe(ERANGE);
  });
  test('the unsigned range: ULONG_MAX, and ULONG_MAX + 1 is -ERANGE even with a sign (the parse fails first)', () => {
    expect(call('bpf_strtoul', '18446744073709551615')).toEqual({ ret: 20, res: -1n });
    expect(call('bpf_strtoul', '18446744073709551616').ret).toBe(ERANGE);
    expect(call('bpf_strtoul', '-18446744073709551616').ret).toBe(ERANGE);
  });
  test('"-0": strtol takes it (2, 0), strtoul refuses the sign', () => {
    expect(call('bpf_strtol', '-0')).toEqual({ ret: 2, res: 0n });
    expect(call('bpf_strtoul', '-0')).toEqual({ ret: EINVAL, res: 0n });
  });
  test('base 0: "0x" needs a hex digit after it to be hex; otherwise the 0 is octal', () => {
    expect(call('bpf_strtoul', '0x')).toEqual({ ret: 1, res: 0n });
    expect(call('bpf_strtoul', '0xg')).toEqual({ ret: 1, res: 0n });
    expect(call('bpf_strtoul', '0XAbC!')).toEqual({ ret: 5, res: 0xabcn });
    expect(call('bpf_strtoul', '0789')).toEqual({ ret: 2, res: 7n });
  });
  test('base 16 skips "0x" even with no digit after it, then finds none', () => {
    expect(call('bpf_strtoul', '0xg', 3, 16).ret).toBe(EINVAL);
    expect(call('bpf_strtoul', '0x1f', 4, 16)).toEqual({ ret: 4, res: 31n });
    expect(call('bpf_strtoul', 'ff', 2, 16)).toEqual({ ret: 2, res: 255n });
  });
  test('white space is the kernel\'s: \\v and Latin-1 0xa0 are skipped; a plus sign is not a sign', () => {
    expect(call('bpf_strtol', '\v -42 ')).toEqual({ ret: 5, res: -42n });
    expect(call('bpf_strtoul', '\xa05')).toEqual({ ret: 2, res: 5n });
    expect(call('bpf_strtol', '+5').ret).toBe(EINVAL);
    expect(call('bpf_strtol', '- 5').ret).toBe(EINVAL);
    expect(call('bpf_strtol', '-').ret).toBe(EINVAL);
  });
  test('at most 63 bytes after the white space and sign are parsed', () => {
    expect(call('bpf_strtoul', `${'0'.repeat(70)}1`)).toEqual({ ret: 63, res: 0n });
    expect(call('bpf_strtoul', `   ${'0'.repeat(62)}7`)).toEqual({ ret: 66, res: 7n });
    // A leading 0 makes base 0 octal: 9 is no digit there, 7 is.
    expect(call('bpf_strtol', `-${'0'.repeat(62)}9`)).toEqual({ ret: 63, res: 0n });
    expect(call('bpf_strtol', `-${'0'.repeat(62)}7`)).toEqual({ ret: 64, res: -7n });
  });
  test('a NUL or buf_len ends the number', () => {
    expect(call('bpf_strtol', '12\0 34')).toEqual({ ret: 2, res: 12n });
    expect(call('bpf_strtoul', '12345', 3)).toEqual({ ret: 3, res: 123n });
  });
  test('flags: a bit above the base mask, bit 63, or a base other than 0, 8, 10, 16 is -EINVAL', () => {
    for (const flags of [0x2a, 1n << 63n, 2, 17, 0x1f]) expect(call('bpf_strtoul', '5', 1, flags).ret).toBe(EINVAL);
    for (const flags of [0, 8, 10, 16]) expect(call('bpf_strtoul', '5', 1, flags)).toEqual({ ret: 1, res: 5n });
  });
  test('misuse of the API: a buffer shorter than buf_len, a res of fewer than 8 bytes', () => {
    const s = new Session();
    expect(() => s.bpf_strtol(latin1('12'), 3, 0, new Uint8Array(8))).toThrow(ArgumentError);
    expect(() => s.bpf_strtoul(latin1('12'), 2, 0, new Uint8Array(4))).toThrow(ArgumentError);
  });
});

/** A syscall program: bpf_strtol(s, len, 0, res + at), res a 16-byte stack variable or a global. */
function object(o: { len?: number; at?: number; res?: 'stack' | 'global' | 'rodata' } = {}): BpfObject {
  const where = o.res ?? 'stack';
  const res = where === 'stack' ? P.buf('res', o.at ?? 0) : P.buf('g', o.at ?? 0);
  return {
    name: 'o', maps: [], subprogs: [],
    globals: [
      { name: 's', kind: 'bytes', size: 3, init: '-42' },
      { name: 'g', kind: 'bytes', size: 16, ...(where === 'rodata' ? { init: 'x', rodata: true } : {}) },
      { name: 'ret', kind: 'u64' }, { name: 'val', kind: 'u64' },
    ],
    programs: [{ name: 'p', section: 'syscall', locals: [P.local('res', { bytes: 16 })], body: [
      P.call('bpf_strtol', [P.buf('s'), P.imm(o.len ?? 3), P.imm(0), res], 'n'),
      P.store('ret', P.r('n')),
      P.ld('v', 8, where === 'stack' ? P.buf('res') : P.buf('g'), 0), P.store('val', P.r('v')),
      P.ret(P.imm(0)),
    ] }],
  };
}

const message = (o: Parameters<typeof object>[0], version: KernelVersion): string | null => verify(object(o), version)[0]?.message ?? null;

describe('the verifier', () => {
  test('a program calls it and reads res back', () => {
    for (const res of ['stack', 'global'] as const) {
      const s = new Session({ version: '6.18' });
      s.load(object({ res }));
      s.spawn({ comm: 't', script: [{ sys: 'prog_test_run', prog: 'p' }] });
      s.simulate();
      expect([s.global('ret'), BigInt.asIntN(64, s.global('val') as bigint)]).toEqual([3n, -42n]);
    }
  });
  test('buf_len 0 is refused (ARG_CONST_SIZE), as the selftest "bpf_strtoul buf_len = 0, reject"', () => {
    expect(message({ len: 0 }, '6.18')).toBe('R2 invalid zero-sized read: u64=[0,0]');
  });
  test('res 4 bytes into an aligned stack slot: the fixed offset printed apart on 6.x, within var_off on 7.2', () => {
    // The 16-byte variable is the frame's only one: fp-16, so res + 4 is fp-12.
    expect(message({ at: 4 }, '6.18')).toBe('misaligned stack access off 0+-12+0 size 8');
    expect(message({ at: 4 }, '7.2')).toBe('misaligned stack access off -12+0 size 8');
  });
  test('res 4 bytes into a global: a map value is strict for this argument too', () => {
    // .bss: g (16 bytes) at 0, then ret and val.
    expect(message({ res: 'global', at: 4 }, '6.18')).toBe('misaligned value access off 0+4+0 size 8');
    expect(message({ res: 'global', at: 4 }, '7.2')).toBe('misaligned value access off 4+0 size 8');
    expect(message({ res: 'global', at: 8 }, '7.2')).toBe(null);
  });
  test('res running past the frame: a write (MEM_WRITE), checked before the alignment', () => {
    expect(message({ at: 12 }, '6.18')).toBe('invalid write to stack R4 off=-4 size=8');
  });
  test('res in .rodata: the helper writes it', () => {
    expect(message({ res: 'rodata' }, '6.18')).toMatch(/^write into map forbidden/);
  });
});
