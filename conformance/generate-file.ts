/**
 * Generated guest-tier cases: fast-check op sequences (read, adjust, size, clone, slice, is_rdonly) on a FILE dynptr over the
 * driver's executable, with offsets biased to the page and EOF edges, over a warm, cold or partial
 * cache, in a non-sleepable (`lsm/file_open`) or sleepable (`lsm.s/file_open`) program.
 */
import fc from 'fast-check';
import { FileCaseBuilder, FOUT, type CacheState, type ExeLayout, type FileCase } from './cases/file.ts';

const PG = 4096;
const U64_MAX = (1n << 64n) - 1n;

type GenOp =
  | { k: 'read'; len: number; off: bigint; clone: boolean }
  | { k: 'adjust'; start: bigint; end: bigint; clone: boolean }
  | { k: 'size'; clone: boolean }
  | { k: 'clone' }
  | { k: 'slice'; off: bigint; sz: number; clone: boolean }
  | { k: 'rdonly'; clone: boolean };

interface GenCase {
  ctx: 'lsm' | 'lsm.s';
  state: CacheState;
  ops: GenOp[];
}

function offsets(L: ExeLayout): fc.Arbitrary<bigint> {
  const S = BigInt(L.size);
  const D = BigInt(L.dataStart);
  const P = BigInt(PG);
  const last = ((S - 1n) / P) * P;
  const edges = [0n, 1n, P - 1n, P, P + 1n, D - 1n, D, D + 1n, D + P - 1n, D + P, D + 2n * P - 8n, D + 3n * P, S - 1n, S, S + 1n, S - 64n,
    last, last - 1n, last + P - 1n, last + P, last + P + 1n, last + 2n * P];
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...edges) },
    { weight: 1, arbitrary: fc.constantFrom(1n << 32n, (1n << 32n) + D, U64_MAX, U64_MAX - 1n, 1n << 63n, S + 2n) },
    { weight: 2, arbitrary: fc.bigInt(D - 64n, S + 2n * P) },
    { weight: 1, arbitrary: fc.bigInt(0n, 300n) },
  );
}

const lens: fc.Arbitrary<number> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(0, 1, 2, 8, 64, 100, FOUT) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: FOUT }) },
);

function stateArb(L: ExeLayout): fc.Arbitrary<CacheState> {
  const first = L.dataStart / PG;
  const lastPg = Math.floor((L.size - 1) / PG);
  const range = fc.integer({ min: first, max: lastPg }).chain((a) => fc.integer({ min: a, max: Math.min(lastPg, a + 3) }).map((b) => [a, b] as const));
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant<CacheState>('warm') },
    { weight: 2, arbitrary: fc.constant<CacheState>('cold') },
    { weight: 3, arbitrary: fc.array(range, { minLength: 1, maxLength: 3 }).map((pages): CacheState => ({ pages })) },
  );
}

function caseArb(L: ExeLayout): fc.Arbitrary<GenCase> {
  const off = offsets(L);
  const clone = fc.boolean();
  const op: fc.Arbitrary<GenOp> = fc.oneof(
    { weight: 6, arbitrary: fc.record({ k: fc.constant('read' as const), len: lens, off, clone }) },
    { weight: 2, arbitrary: fc.record({ k: fc.constant('adjust' as const), start: off, end: off, clone }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('size' as const), clone }) },
    { weight: 1, arbitrary: fc.constant({ k: 'clone' as const }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('slice' as const), off, sz: fc.constantFrom(1, 16, 64), clone }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('rdonly' as const), clone }) },
  );
  return fc.record({
    ctx: fc.constantFrom('lsm' as const, 'lsm.s' as const),
    state: stateArb(L),
    ops: fc.array(op, { minLength: 1, maxLength: 12 }),
  });
}

/** `count` generated cases from `seed` (deterministic for a given exe layout). */
export function generatedFileCases(count: number, seed: number, L: ExeLayout): FileCase[] {
  return fc.sample(caseArb(L), { numRuns: count, seed }).map((g, i) => {
    const b = new FileCaseBuilder(`fg${i}`, g.ctx);
    for (const o of g.ops) {
      switch (o.k) {
        case 'read': b.read(o.len, o.off, o.clone); break;
        case 'adjust': b.adjust(o.start, o.end, o.clone); break;
        case 'size': b.size(o.clone); break;
        case 'clone': b.clone(); break;
        case 'slice': b.slice(o.off, o.sz, o.clone); break;
        case 'rdonly': b.isRdonly(o.clone); break;
      }
    }
    return b.build('generated', `${g.ctx}, ${typeof g.state === 'string' ? g.state : 'partial'}, ${g.ops.length} ops`, g.state, { generated: true });
  });
}
