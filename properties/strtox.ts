/**
 * Inputs for `bpf_strtol`/`bpf_strtoul`: the property (strtox.test.ts) and the generated conformance
 * cases (conformance/generate-strtox.ts) draw from these.
 */
import fc from 'fast-check';

/** Strings (Latin-1 bytes) made of what the parser looks at: digits, hex letters, x, signs, white space, NUL, others. */
const piece = fc.oneof(
  { arbitrary: fc.constantFrom(...'0123456789'), weight: 10 },
  { arbitrary: fc.constantFrom(...'abcdefABCDEF'), weight: 3 },
  { arbitrary: fc.constantFrom('0x', '0X', 'x', 'X', '-', '-', '+', ' ', '\t', '\n', '\v', '\f', '\r', '\xa0', '\0', 'g', 'z', '.', '\x85', '\xff'), weight: 3 },
  { arbitrary: fc.constantFrom('18446744073709551615', '18446744073709551616', '9223372036854775807', '9223372036854775808', 'ffffffffffffffff', '10000000000000000', '1777777777777777777777', '2000000000000000000000', '0'.repeat(60)), weight: 1 },
);
export const strtoxBytes: fc.Arbitrary<number[]> = fc.array(piece, { maxLength: 14 }).map((p) => [...p.join('')].map((c) => c.charCodeAt(0)));
export const strtoxFlags: fc.Arbitrary<bigint> = fc.oneof(
  { arbitrary: fc.constantFrom(0n, 8n, 10n, 16n), weight: 8 },
  { arbitrary: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), weight: 1 },
  { arbitrary: fc.integer({ min: 0, max: 0x3f }).map(BigInt), weight: 1 },
);

