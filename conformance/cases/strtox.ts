/**
 * `bpf_strtol` and `bpf_strtoul` on the kernel (src/model/helpers/strtox.ts). The string is a global
 * (`<id>_s`), `res` an 8-byte slot on the stack (filled with 0xee first, so the helper's `*res = 0`
 * on an error is seen) or in a global; `<id>_rets` holds the return and `*res`. The first cases are
 * the selftest prog_tests/sysctl.c's `bpf_strtoul`/`bpf_strtol` ones, with its expected results.
 * Verifier cases: `buf_len` 0 (ARG_CONST_SIZE), `res` misaligned (MEM_ALIGNED), past the stack, or in
 * read-only memory.
 */
import { program as P, type BpfObject, type GlobalDecl, type Local, type Op } from '../../src/index.ts';
import { FRETS, pidFilterOps, type FileCase } from './file.ts';
import type { CallRecord, ConfCase } from './lib.ts';

const RULE = 'string to integer: bpf_strtol, bpf_strtoul (helpers/strtox.ts)';

export interface StrtoxSeq {
  readonly id: string;
  readonly fn: 'bpf_strtol' | 'bpf_strtoul';
  /** The global's bytes (a string: Latin-1, one byte a character; no NUL added). */
  readonly s: string | readonly number[];
  /** buf's offset in the string (default 0) and buf_len (default the bytes after it). */
  readonly off?: number;
  readonly len?: number;
  readonly flags?: number | bigint;
  /** Where res is: the stack (default), a global, a `.rodata` global; `at`: its offset there (misaligned: 4). */
  readonly res?: 'stack' | 'global' | 'rodata';
  readonly at?: number;
  readonly reject?: boolean;
  readonly note: string;
}

const SEQS: readonly StrtoxSeq[] = [
  // prog_tests/sysctl.c.
  { id: 'one', fn: 'bpf_strtoul', s: '600\0', len: 4, note: 'selftest "bpf_strtoul one number string": 3, 600' },
  { id: 'multi1', fn: 'bpf_strtoul', s: '600 602\0', len: 8, note: 'selftest "bpf_strtoul multi number string", first call: 3, 600' },
  { id: 'multi2', fn: 'bpf_strtoul', s: '600 602\0', off: 3, len: 5, note: 'selftest "bpf_strtoul multi number string", second call from buf + 3: 4 (the space counts), 602' },
  { id: 'base8', fn: 'bpf_strtoul', s: '077\0', len: 4, flags: 8, note: 'selftest "bpf_strtoul supported base, ok": 3, 63' },
  { id: 'base3', fn: 'bpf_strtoul', s: '600\0', len: 4, flags: 3, note: 'selftest "bpf_strtoul unsupported base, EINVAL"; res is zeroed' },
  { id: 'spaces', fn: 'bpf_strtoul', s: '\t\n\f\r', len: 4, note: 'selftest "bpf_strtoul buf with spaces only, EINVAL"' },
  { id: 'neg_ul', fn: 'bpf_strtoul', s: '\n-6\0', len: 4, note: 'selftest "bpf_strtoul negative number, EINVAL"' },
  { id: 'neg_l', fn: 'bpf_strtol', s: '\n-6\0', len: 4, flags: 10, note: 'selftest "bpf_strtol negative number, ok": 3, -6' },
  { id: 'hex', fn: 'bpf_strtol', s: '0xfe', len: 4, note: 'selftest "bpf_strtol hex number, ok": 4, 254' },
  { id: 'max', fn: 'bpf_strtol', s: '9223372036854775807', len: 19, note: 'selftest "bpf_strtol max long": 19, LONG_MAX' },
  { id: 'over', fn: 'bpf_strtol', s: '9223372036854775808', len: 19, note: 'selftest "bpf_strtol overflow, ERANGE"' },
  // Beyond the selftests.
  { id: 'min', fn: 'bpf_strtol', s: '-9223372036854775808', note: 'LONG_MIN: its magnitude negated is itself, not positive: 20' },
  { id: 'below_min', fn: 'bpf_strtol', s: '-9223372036854775809', note: 'one below LONG_MIN: -ERANGE' },
  { id: 'ul_max', fn: 'bpf_strtoul', s: '18446744073709551615', note: 'ULONG_MAX: 20' },
  { id: 'ul_over', fn: 'bpf_strtoul', s: '18446744073709551616', note: 'ULONG_MAX + 1: -ERANGE' },
  { id: 'ul_neg_over', fn: 'bpf_strtoul', s: '-99999999999999999999', note: 'a negative number that overflows: the parse\'s -ERANGE comes before the sign\'s -EINVAL' },
  { id: 'ul_neg_zero', fn: 'bpf_strtoul', s: '-0', note: '"-0": the sign alone is refused, -EINVAL' },
  { id: 'l_neg_zero', fn: 'bpf_strtol', s: '-0', note: '"-0" for strtol: 2, 0' },
  { id: 'x_nodigit', fn: 'bpf_strtoul', s: '0x', note: 'base 0, "0x" with no hex digit after: octal, "0" is parsed: 1' },
  { id: 'x_nodigit16', fn: 'bpf_strtoul', s: '0xg', flags: 16, note: 'base 16 skips "0x" even with no digit after, then finds none: -EINVAL' },
  { id: 'x_upper', fn: 'bpf_strtoul', s: '0XAbC!', note: '"0X" and mixed-case digits: 5, 0xabc' },
  { id: 'b16_plain', fn: 'bpf_strtoul', s: 'ff', flags: 16, note: 'base 16 without a prefix: 2, 255' },
  { id: 'oct_89', fn: 'bpf_strtoul', s: '0789', note: 'base 0 with a leading 0 is octal: "07" is parsed, 8 stops it' },
  { id: 'b10_hexletters', fn: 'bpf_strtol', s: '12ab', flags: 10, note: 'letters are digits only below the base: 2, 12' },
  { id: 'nbsp', fn: 'bpf_strtoul', s: [0xa0, 0x35], note: 'Latin-1 0xa0 is a space in the kernel\'s ctype: skipped, 2, 5' },
  { id: 'vtab', fn: 'bpf_strtol', s: '\v -42 ', note: 'a vertical tab and a space before the sign: 5, -42' },
  { id: 'cut63', fn: 'bpf_strtoul', s: `${'0'.repeat(70)}1`, note: 'the digits are copied into 64 bytes with a NUL: 63 zeros are parsed, the 1 never seen' },
  { id: 'cut63_spaces', fn: 'bpf_strtoul', s: `   ${'0'.repeat(62)}7`, note: 'the 63 bytes count from after the white space: 66, 7' },
  { id: 'nul', fn: 'bpf_strtol', s: '12\0 34', note: 'a NUL inside buf_len ends the number: 2, 12' },
  { id: 'len_cut', fn: 'bpf_strtoul', s: '12345', len: 3, note: 'buf_len ends the number: 3, 123' },
  { id: 'flag_bit', fn: 'bpf_strtoul', s: '5', flags: 0x2a, note: 'a flag bit above the base mask: -EINVAL' },
  { id: 'flag_high', fn: 'bpf_strtoul', s: '5', flags: 1n << 63n, note: 'bit 63 of flags: -EINVAL' },
  { id: 'minus', fn: 'bpf_strtol', s: '-', note: 'a sign and nothing after it: -EINVAL' },
  { id: 'minus_space', fn: 'bpf_strtol', s: '- 5', note: 'a space after the sign: no digit, -EINVAL' },
  { id: 'plus', fn: 'bpf_strtol', s: '+5', note: 'a plus sign is not a sign here: -EINVAL' },
  { id: 'global', fn: 'bpf_strtol', s: '-0x10', res: 'global', note: 'res in a global (a map value): -16' },
  // The verifier.
  { id: 'v_zero', fn: 'bpf_strtoul', s: '600\0', len: 0, reject: true, note: 'selftest "bpf_strtoul buf_len = 0, reject": ARG_CONST_SIZE' },
  { id: 'v_stack4', fn: 'bpf_strtol', s: '1', at: 4, reject: true, note: 'res 4 bytes into an 8-aligned stack slot: MEM_ALIGNED' },
  { id: 'v_value4', fn: 'bpf_strtoul', s: '1', res: 'global', at: 4, reject: true, note: 'res 4 bytes into a global: misaligned even in a map value (strict for this argument)' },
  { id: 'v_past', fn: 'bpf_strtol', s: '1', at: 12, reject: true, note: 'res 12 bytes into a 16-byte stack variable: 4 of its 8 bytes are past the frame' },
  { id: 'v_rodata', fn: 'bpf_strtol', s: '1', res: 'rodata', reject: true, note: 'res in .rodata: the helper writes it (MEM_WRITE)' },
];

const bytesOf = (s: StrtoxSeq['s']): number[] => (typeof s === 'string' ? [...s].map((c) => c.charCodeAt(0) & 0xff) : [...s]);

function object(id: string, q: StrtoxSeq, guest: boolean): { object: BpfObject; calls: CallRecord[] } {
  const g = (n: string): string => `${id}_${n}`;
  const s = bytesOf(q.s);
  const off = q.off ?? 0;
  const len = q.len ?? s.length - off;
  const where = q.res ?? 'stack';
  const globals: GlobalDecl[] = [
    { name: g('rets'), kind: 'u64s', size: FRETS },
    { name: g('s'), kind: 'bytes', size: Math.max(s.length, 1), init: s },
    ...(where === 'global' ? [{ name: g('res'), kind: 'u64s' as const, size: 2 }] : []),
    ...(where === 'rodata' ? [{ name: g('res'), kind: 'bytes' as const, size: 16, init: Array.from({ length: 16 }, () => 0xee), rodata: true }] : []),
    ...(guest ? [{ name: g('pid'), kind: 'int' as const }] : []),
  ];
  const locals: Local[] = where === 'stack' ? [P.local('res', { bytes: 16 }, Array.from({ length: 16 }, () => 0xee))] : [];
  const res = where === 'stack' ? P.buf('res', q.at ?? 0) : P.buf(g('res'), q.at ?? 0);
  const body: Op[] = [];
  if (where === 'global') body.push(P.st(8, P.buf(g('res')), 0, P.imm(0x1122334455667788n)));
  body.push(
    P.call(q.fn, [P.buf(g('s'), off), P.imm(len), P.imm(BigInt.asIntN(64, BigInt(q.flags ?? 0))), res], 'n'),
    P.storeAt(g('rets'), 0, P.r('n')),
    P.ld('v', 8, where === 'stack' ? P.buf('res') : P.buf(g('res')), 0),
    P.storeAt(g('rets'), 1, P.r('v')),
  );
  const shown = typeof q.s === 'string' ? JSON.stringify(q.s.slice(off, off + len)) : '(bytes)';
  const calls: CallRecord[] = [{ index: 0, fn: q.fn, text: `${q.fn}(${shown}, ${len}, ${q.flags ?? 0}, &res)` }];
  const object: BpfObject = {
    name: id, maps: [], globals, subprogs: [],
    programs: [{ name: id, section: guest ? 'lsm/file_open' : 'syscall', ...(locals.length > 0 ? { locals } : {}), body: [...(guest ? pidFilterOps(g('pid')) : []), ...body, P.label('out'), P.ret(P.imm(0))] }],
  };
  return { object, calls };
}

const caseOf = (id: string, q: StrtoxSeq, guest: boolean, rule: string, generated: boolean): ConfCase => ({
  id, rule, note: q.note, ...object(id, q, guest), ...(q.reject === true ? { verifier: true } : {}), ...(generated ? { generated: true } : {}),
});

/** A host case (6.18, `SEC("syscall")`). */
export const strtoxHostCase = (id: string, q: StrtoxSeq, rule = RULE, generated = false): ConfCase => caseOf(id, q, false, rule, generated);

/** A guest case (7.2, `lsm/file_open`). */
export const strtoxGuestCase = (id: string, q: StrtoxSeq, rule = `${RULE} (7.2)`, generated = false): FileCase => ({ ...caseOf(id, q, true, rule, generated), state: 'warm' });

export const strtoxCases: readonly ConfCase[] = SEQS.map((q) => strtoxHostCase(`sx_${q.id}`, q));

export function strtoxFileCases(): FileCase[] {
  return SEQS.map((q) => strtoxGuestCase(`fsx_${q.id}`, q));
}
