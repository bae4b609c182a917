/**
 * Generated formats for the formatted-output helpers (src/model/bprintf): a format of plain text
 * (ASCII, a tab, UTF-8 and lone Latin-1 bytes) and up to six conversions — flags from `0 + - space`,
 * a width, `%d %i %u %x %X` with `l` or `ll`, `%c`, `%s`, `%pks` (a global's string, or an address
 * that cannot be read), `%px`, `%pK` and `%p` of NULL, `%pi4 %pI4 %pi6 %pI6` (a global's bytes,
 * sometimes followed by letters the conversion swallows), `%%` — now and then a conversion the kernel
 * refuses (`%o`, `%#x`, `%.2d`, `%lc`, `%pa`, `%` followed by a byte above 0x7f: one case in five) or one value
 * too few (one in ten).
 * Each case calls `bpf_snprintf` (a buffer of 0 to 64 bytes), `bpf_trace_printk` (three values) or
 * `bpf_trace_vprintk`; the kernel's result and the buffer are compared with the model's, and a format
 * the model's verifier refuses (`bpf_snprintf`) must be refused by the kernel with the same message.
 * Host (6.18): `SEC("syscall")`; guest (7.2): `lsm/file_open`.
 */
import fc from 'fast-check';
import { NotModelledError, Session, verify } from '../src/index.ts';
import { printfGuestCase, printfHostCase, type PrintfSeq, type PVal } from './cases/printf.ts';
import type { FileCase } from './cases/file.ts';
import type { ConfCase } from './cases/lib.ts';

const RULE = 'formatted output: generated formats';
const enc = (s: string): number[] => [...new TextEncoder().encode(s)];

/** One piece of a format: its bytes and the values it takes. */
interface Piece {
  readonly bytes: readonly number[];
  readonly vals: readonly PVal[];
}

const number = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }).map((n) => BigInt(n)),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }),
  fc.constantFrom(0n, -1n, 2n ** 31n, 2n ** 32n + 5n, -(2n ** 63n)),
);
const flags = fc.array(fc.constantFrom('0', '+', '-', ' '), { maxLength: 3 }).map((f) => f.join(''));
const width = fc.oneof(fc.constant(''), fc.integer({ min: 1, max: 24 }).map(String), fc.constant('100'));
const ipBytes = (n: number): fc.Arbitrary<number[]> => fc.array(fc.integer({ min: 0, max: 255 }), { minLength: n, maxLength: n });
const text = fc.array(fc.oneof(
  { arbitrary: fc.integer({ min: 0x20, max: 0x7e }).filter((c) => c !== 0x25).map((c) => [c]), weight: 8 },
  { arbitrary: fc.constantFrom([0x09], enc('é'), enc('€'), [0xa0], [0xa9], [0xc3], [0x85]), weight: 1 },
), { maxLength: 6 }).map((cs) => cs.flat());

const piece: fc.Arbitrary<Piece> = fc.oneof(
  { arbitrary: fc.tuple(flags, width, fc.constantFrom('', 'l', 'll'), fc.constantFrom('d', 'i', 'u', 'x', 'X'), number).map(([f, w, l, c, v]) => ({ bytes: enc(`%${f}${w}${l}${c}`), vals: [v] })), weight: 6 },
  { arbitrary: fc.tuple(flags, width, fc.integer({ min: 1, max: 255 })).map(([f, w, v]) => ({ bytes: enc(`%${f}${w}c`), vals: [v] })), weight: 2 },
  // A string ends at a space, punctuation or the end (else -EINVAL): mostly it does.
  { arbitrary: fc.tuple(flags, width, fc.constantFrom('s', 'pks'), fc.oneof(fc.string({ maxLength: 12 }).map((s): PVal => ({ s })), fc.constantFrom<PVal>(0, 0x8000_0000_0000_0000n)), fc.constantFrom(' ', '|', ':', ' ', '')).map(([f, w, c, v, end]) => ({ bytes: enc(`%${f}${w}${c}${end}`), vals: [v] })), weight: 3 },
  { arbitrary: fc.tuple(flags, width, number).map(([f, w, v]) => ({ bytes: enc(`%${f}${w}px`), vals: [v] })), weight: 1 },
  { arbitrary: fc.tuple(fc.constantFrom('pK', 'p '), fc.constantFrom<PVal>(0, -22, -4095)).map(([c, v]) => ({ bytes: enc(`%${c}`), vals: [c === 'pK' ? 0 : v] })), weight: 1 },
  { arbitrary: fc.tuple(fc.constantFrom('pi4', 'pI4', 'pi6', 'pI6'), fc.constantFrom('', 'c', 'x1', '.')).chain(([c, after]) => ipBytes(c.endsWith('4') ? 4 : 16).map((b) => ({ bytes: enc(`%${c}${after}`), vals: [{ s: b }] }))), weight: 2 },
  { arbitrary: fc.constant({ bytes: enc('%%'), vals: [] }), weight: 1 },
);
/** A conversion the kernel refuses (one case in five has one). */
const bad: fc.Arbitrary<Piece> = fc.oneof(
  fc.constantFrom('%o', '%#x', '%.2d', '%lc', '%pa', '%5%').map((s) => ({ bytes: enc(s), vals: [1n] })),
  fc.constant({ bytes: [0x25, 0xc3, 0xa9], vals: [1n] }),
);

export const printfSeqArb: fc.Arbitrary<PrintfSeq> = fc.record({
  fn: fc.constantFrom<PrintfSeq['fn']>('bpf_snprintf', 'bpf_snprintf', 'bpf_snprintf', 'bpf_trace_printk', 'bpf_trace_vprintk'),
  parts: fc.array(fc.tuple(text, piece), { minLength: 1, maxLength: 6 }),
  tail: text,
  size: fc.oneof(fc.constant(64), fc.integer({ min: 0, max: 64 })),
  short: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
  refuse: fc.tuple(fc.integer({ min: 0, max: 4 }), bad, fc.nat()).map(([k, b, at]) => (k === 0 ? [b, at] as const : null)),
}).map(({ fn, parts, tail, size, short, refuse }): PrintfSeq => {
  if (refuse !== null) parts.splice(refuse[1] % (parts.length + 1), 0, [[], refuse[0]]);
  const fmt = [...parts.flatMap(([t, p]) => [...t, ...p.bytes]), ...tail];
  let vals = parts.flatMap(([, p]) => p.vals);
  if (fn === 'bpf_trace_printk') vals = vals.slice(0, 3);
  // One value too few, now and then (the verifier's or the helper's -EINVAL).
  if (short && vals.length > 0 && fn !== 'bpf_trace_printk') vals = vals.slice(0, vals.length - 1);
  const seq: PrintfSeq = { id: '', fn, fmt, vals, ...(fn === 'bpf_snprintf' ? { size } : {}), note: `generated (${fn}, ${vals.length} values, ${fmt.length}-byte format)` };
  return seq;
});

/** The model's verifier refuses the program (a case loaded alone on the guest). */
function refused(c: ConfCase | FileCase): boolean {
  return verify(c.object, '6.18').some((r) => !r.ok);
}

/**
 * The formats the model predicts: not those whose text depends on what the kernel alone knows (a
 * pointer's hash, bytes an earlier call left in the per-CPU buffer: a NotModelledError).
 */
function modelled(q: PrintfSeq): boolean {
  const c = printfHostCase('m', q);
  const s = new Session({ version: '6.18' });
  try {
    s.load(c.object);
    s.spawn({ comm: 'm', script: [{ sys: 'prog_test_run', prog: 'm' }] });
    s.simulate();
  } catch (e) {
    if (e instanceof NotModelledError) return false;
  }
  return true;
}

/** `count` formats from `seed` (deterministic), the ones the model predicts. */
function sample(count: number, seed: number): PrintfSeq[] {
  return fc.sample(printfSeqArb, { numRuns: 2 * count + 10, seed }).filter(modelled).slice(0, count);
}

/** `count` generated host cases from `seed` (deterministic). */
export function generatedPrintfCases(count: number, seed: number): ConfCase[] {
  return sample(count, seed).map((q, i) => {
    const c = printfHostCase(`gpf${i}`, q, RULE, true);
    return refused(c) ? { ...c, verifier: true } : c;
  });
}

/** `count` generated guest cases from `seed` (deterministic). */
export function generatedPrintfFileCases(count: number, seed: number): FileCase[] {
  return sample(count, seed).map((q, i) => {
    const c = printfGuestCase(`fgpf${i}`, q, `${RULE} (7.2)`, true);
    return refused(c) ? { ...c, verifier: true } : c;
  });
}
