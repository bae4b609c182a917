/**
 * Sequences for BLOOM_FILTER maps: the property (bloom.test.ts) and the generated conformance cases
 * (conformance/generate-bloom.ts) draw from these. A filter of few entries and hashes (so that false
 * positives happen), values of sizes that take each hash path (a multiple of 4: jhash2; else jhash,
 * under and over a 12-byte block), drawn from a small pool so that a peek often asks about a value
 * pushed before; a program's pushes (flags mostly 0) and peeks, then user space's.
 */
import fc from 'fast-check';

export type BloomOp = { readonly op: 'push'; readonly v: number; readonly flags: number } | { readonly op: 'peek'; readonly v: number };

const value = fc.integer({ min: 0, max: 40 });
const op: fc.Arbitrary<BloomOp> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('push' as const), v: value, flags: fc.constantFrom(0, 0, 0, 0, 0, 0, 1, 2, 4) }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('peek' as const), v: value }), weight: 3 },
);

export const bloomSeqArb = fc.record({
  /** Mostly 64 bits (false positives are common), sometimes 128 to 512. */
  max: fc.oneof({ arbitrary: fc.integer({ min: 1, max: 6 }), weight: 3 }, { arbitrary: fc.integer({ min: 7, max: 64 }), weight: 1 }),
  /** map_extra: the number of hashes (0: 5). */
  mapExtra: fc.integer({ min: 0, max: 4 }),
  size: fc.constantFrom(4, 8, 3, 5, 12, 13, 16, 27),
  calls: fc.array(op, { maxLength: 40 }),
  sys: fc.array(op, { maxLength: 10 }),
});
