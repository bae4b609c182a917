/**
 * Generated conformance cases: fast-check generators of LOCAL dynptr op sequences with edge-biased
 * arguments (0, 1, the memory size and its neighbours, the u32 and u64 edges, 2^24, random u64). The
 * properties' own generators (properties/arbitraries.ts) are file-dynptr shaped (file sizes, cache
 * states) and have no LOCAL memory, so the arguments here are drawn the same way for LOCAL
 * dynptrs: constants known when the program is written, as the verifier wants for lengths.
 * Lengths paired with a buffer stay within it (the verifier pairs them).
 */
import fc from 'fast-check';
import { CaseBuilder, OUT, SBUF, SRC_MAX, type ConfCase, type Slot } from './cases/lib.ts';

const U64_MAX = (1n << 64n) - 1n;

type GenOp =
  | { k: 'read'; len: number; off: bigint; flags: bigint; slot: Slot }
  | { k: 'write'; len: number; off: bigint; flags: bigint; slot: Slot }
  | { k: 'adjust'; start: bigint; end: bigint; slot: Slot }
  | { k: 'size' | 'isNull' | 'isRdonly'; slot: Slot }
  | { k: 'clone'; from: Slot; to: Slot }
  | { k: 'slice'; off: bigint; sz: number; buf: boolean; rdwr: boolean; slot: Slot }
  | { k: 'data'; off: bigint; len: number; slot: Slot }
  | { k: 'fromMem'; size: number; flags: bigint; slot: Slot };

/** A u64 biased to the edges around `s` (the memory size) and the u32/u64 boundaries. */
function u64(s: number): fc.Arbitrary<bigint> {
  const S = BigInt(s);
  return fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(0n, 1n, 2n, S > 0n ? S - 1n : 0n, S, S + 1n, S / 2n, S / 2n + 1n) },
    { weight: 3, arbitrary: fc.constantFrom(0xffff_ffffn, 0x1_0000_0000n, 0x1_0000_0001n, 0x1_0000_0000n + S, 0x1_0000_0000n + S + 1n, U64_MAX, U64_MAX - 1n, 1n << 63n, (1n << 24n) - 1n, 1n << 24n, 0x7fff_ffffn, 0x8000_0000n, 0xffff_ffff_0000_0000n + S) },
    { weight: 2, arbitrary: fc.bigInt(0n, 300n) },
    { weight: 1, arbitrary: fc.bigInt(0n, U64_MAX) },
  );
}

/** A constant length within `max` (the buffer the verifier pairs it with), biased to the edges. */
function len(s: number, max: number): fc.Arbitrary<number> {
  const edges = [0, 1, 2, s - 1, s, s + 1, Math.floor(s / 2), max].filter((x) => x >= 0 && x <= max);
  return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...edges) }, { weight: 1, arbitrary: fc.integer({ min: 0, max }) });
}

const flagsArb: fc.Arbitrary<bigint> = fc.oneof(
  { weight: 8, arbitrary: fc.constant(0n) },
  { weight: 1, arbitrary: fc.constantFrom(1n, 2n, 1n << 32n, 1n << 63n, U64_MAX) },
);
const slotArb: fc.Arbitrary<Slot> = fc.oneof({ weight: 3, arbitrary: fc.constant<Slot>('d') }, { weight: 1, arbitrary: fc.constant<Slot>('e') });

function opArb(mem: number): fc.Arbitrary<GenOp> {
  const off = u64(mem);
  return fc.oneof(
    { weight: 5, arbitrary: fc.record({ k: fc.constant('read' as const), len: len(mem, OUT), off, flags: flagsArb, slot: slotArb }) },
    { weight: 3, arbitrary: fc.record({ k: fc.constant('write' as const), len: len(mem, SRC_MAX), off, flags: flagsArb, slot: slotArb }) },
    { weight: 4, arbitrary: fc.record({ k: fc.constant('adjust' as const), start: off, end: off, slot: slotArb }) },
    { weight: 3, arbitrary: fc.record({ k: fc.constantFrom('size' as const, 'isNull' as const, 'isRdonly' as const), slot: slotArb }) },
    { weight: 2, arbitrary: fc.record({ k: fc.constant('clone' as const), from: slotArb, to: slotArb }) },
    { weight: 3, arbitrary: fc.record({ k: fc.constant('slice' as const), off, sz: len(mem, SBUF), buf: fc.boolean(), rdwr: fc.boolean(), slot: slotArb }) },
    { weight: 2, arbitrary: fc.record({ k: fc.constant('data' as const), off, len: len(mem, 64), slot: slotArb }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('fromMem' as const), size: len(mem, mem), flags: flagsArb, slot: slotArb }) },
  );
}

export interface GenCase {
  readonly mem: number;
  readonly first: { size: number; flags: bigint };
  readonly ops: readonly GenOp[];
}

/** A whole case: the memory size, the first from_mem, then 2 to 24 ops. */
export const genCaseArb: fc.Arbitrary<GenCase> = fc.constantFrom(1, 4, 16, 16, 64, 255).chain((mem) => fc.record({
  mem: fc.constant(mem),
  first: fc.record({ size: len(mem, mem), flags: flagsArb }),
  ops: fc.array(opArb(mem), { minLength: 2, maxLength: 24 }),
}));

/** The case as a program value. A slot used before anything initialized it is retargeted to `d`. */
export function buildGenerated(id: string, g: GenCase): ConfCase {
  const b = new CaseBuilder(id, g.mem);
  b.fromMem(g.first.size, g.first.flags, 'd');
  let eInit = false;
  const use = (s: Slot): Slot => (s === 'e' && !eInit ? 'd' : s);
  for (const op of g.ops) {
    switch (op.k) {
      case 'read': b.read(op.len, op.off, op.flags, use(op.slot)); break;
      case 'write': b.write(op.off, op.len, op.flags, use(op.slot)); break;
      case 'adjust': b.adjust(op.start, op.end, use(op.slot)); break;
      case 'size': b.size(use(op.slot)); break;
      case 'isNull': b.isNull(use(op.slot)); break;
      case 'isRdonly': b.isRdonly(use(op.slot)); break;
      case 'clone': {
        const from = use(op.from);
        const to: Slot = from === 'd' ? 'e' : op.to === 'e' ? 'd' : op.to;
        b.clone(from, to);
        if (to === 'e') eInit = true;
        break;
      }
      // slice_rdwr is refused in SEC("syscall") programs (no packet writes): a verifier case, not generated.
      case 'slice': b.slice(op.off, op.sz, op.buf, use(op.slot), false); break;
      case 'data': b.data(op.off, op.len, use(op.slot)); break;
      case 'fromMem': b.fromMem(op.size, op.flags, op.slot); if (op.slot === 'e') eInit = true; break;
    }
  }
  return b.build('generated', `mem ${g.mem}, ${g.ops.length + 1} calls`, { generated: true });
}

/** `count` generated cases from `seed` (deterministic). */
export function generatedCases(count: number, seed: number): ConfCase[] {
  return fc.sample(genCaseArb, { numRuns: count, seed }).map((g, i) => buildGenerated(`g${i}`, g));
}
