/**
 * Generated inputs for `bpf_strtol` and `bpf_strtoul` (src/model/helpers/strtox.ts): strings of
 * digits, hex letters, `0x`, signs, the kernel's white space (Latin-1 0xa0 among it), NUL and other
 * bytes, long numbers at the 64-bit bounds and runs of zeros past the 63-byte copy
 * (properties/strtox.ts); `buf_len` from 1 to the string's length, bases 0, 8, 10, 16 and now and
 * then flags the helper refuses; `res` on the stack or in a global. The kernel's return and `*res` are
 * compared with the model's. Host (6.18): `SEC("syscall")`; guest (7.2): `lsm/file_open`.
 */
import fc from 'fast-check';
import { strtoxBytes, strtoxFlags } from '../properties/strtox.ts';
import { strtoxGuestCase, strtoxHostCase, type StrtoxSeq } from './cases/strtox.ts';
import type { FileCase } from './cases/file.ts';
import type { ConfCase } from './cases/lib.ts';

const RULE = 'string to integer: generated inputs';

const seqArb: fc.Arbitrary<StrtoxSeq> = fc.record({
  fn: fc.constantFrom<StrtoxSeq['fn']>('bpf_strtol', 'bpf_strtoul'),
  s: strtoxBytes.filter((b) => b.length > 0),
  cut: fc.nat(),
  flags: strtoxFlags,
  res: fc.constantFrom<'stack' | 'global'>('stack', 'stack', 'global'),
}).map(({ fn, s, cut, flags, res }) => {
  // buf_len 1 to the whole string (0 is the verifier's), the whole string most often.
  const len = cut % 3 === 0 ? 1 + (cut % s.length) : s.length;
  return { id: '', fn, s, len, flags, res, note: `generated (${fn}, ${len} of ${s.length} bytes, flags ${flags})` };
});

const sample = (count: number, seed: number): StrtoxSeq[] => fc.sample(seqArb, { numRuns: count, seed });

/** `count` generated host cases from `seed` (deterministic). */
export function generatedStrtoxCases(count: number, seed: number): ConfCase[] {
  return sample(count, seed).map((q, i) => strtoxHostCase(`gsx${i}`, q, RULE, true));
}

/** `count` generated guest cases from `seed` (deterministic). */
export function generatedStrtoxFileCases(count: number, seed: number): FileCase[] {
  return sample(count, seed).map((q, i) => strtoxGuestCase(`fgsx${i}`, q, `${RULE} (7.2)`, true));
}
