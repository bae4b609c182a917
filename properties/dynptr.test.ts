/**
 * Property suite for the dynptr kfuncs: the model against the independent oracle (oracle.ts).
 * fast-check's seed and run count come from vitest.setup.ts (KERNSIM_SEED, KERNSIM_RUNS); no property
 * passes its own. Replay a failure: KERNSIM_SEED=<seed> KERNSIM_PATH=<path> npm run props -- -t '<name>'.
 * See docs/properties.md.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { expectEqual, expectIs } from './fast_expect.ts';
import { expectBytes } from './bytes.ts';
import { content, formatTrace, KernsimError, refSnapshot, Session } from '../src/index.ts';
import {
  cacheState, fileOffArg, fileSpec, fileSpecMaybeSecret, fillBytes, ioFaults, kindOp, kindSpec, refOp, localSize, MAX_IO_LEN, opSequence, oversizedLocal,
  kindArg, PAGE, resolveFileOff, resolveKindArg, resolveU64, smallLen, smallOff, u64Arg, U64_MAX, type KindArg, type KindSpec, type U64Arg,
} from './arbitraries.ts';
import { buildWorld, cacheOf, fileBounds, markedPages, oracleStates, runKindOps, runOps, pageStates, refsNonNegative, sameStates, sessionOn, type FileSetup } from './harness.ts';
import * as O from './oracle.ts';

const SLOT = 'p';

/** Fill a destination with a sentinel; `extra` bytes past `len` must never be written. */
function sentinelBuf(len: bigint, sentinel: number, extra = 8): Uint8Array {
  return new Uint8Array(Number(len) + extra).fill(sentinel);
}

function allEqual(a: Uint8Array, b: number): boolean {
  return a.every((x) => x === b);
}

/** The bytes of a LOCAL dynptr's memory at `offset`, and a pattern to fill it with. */
function localBuf(size: bigint, seed = 0): Uint8Array {
  const b = new Uint8Array(Number(size));
  for (let i = 0; i < b.length; i += 1) b[i] = (i * 13 + seed * 7 + (i >> 8)) & 0xff;
  return b;
}

/** A pair of adjust bounds: often folded into [0, size] and ordered, sometimes raw edges. */
const pairArg = fc.record({ a: u64Arg, b: u64Arg, fold: fc.integer({ min: 0, max: 4 }) });
type PairArg = { a: U64Arg; b: U64Arg; fold: number };
function resolvePair(p: PairArg, size: bigint): [bigint, bigint] {
  let s = resolveU64(p.a, size);
  let e = resolveU64(p.b, size);
  if (p.fold > 0) {
    s %= size + 1n;
    e %= size + 1n;
    if (s > e) [s, e] = [e, s];
  }
  return [s, e];
}

/** A LOCAL dynptr's offset, observed through `bpf_dynptr_data(p, 0, 0)` (a view at offset 0). */
function localOffset(s: Session, slot: string, base: Uint8Array): number | null {
  // (KfuncRet of the 'ptr' kfuncs types as `never` at the moment: cast to what they return.)
  const v = s.bpf_dynptr_data(slot, 0, 0) as Uint8Array | null;
  return v === null ? null : v.byteOffset - base.byteOffset;
}


/** Two files, their cache states, and an operation sequence over them. */
const twoFilesAndOps = fc.tuple(fileSpec, fileSpec, cacheState(6), cacheState(6), opSequence(2, 6));
const setupsOf = (f0: FileSetup['spec'], f1: FileSetup['spec'], c0: FileSetup['cached'], c1: FileSetup['cached']): FileSetup[] =>
  [{ spec: f0, cached: c0 }, { spec: f1, cached: c1 }];

// -------------------------------------------------------------------------------------------------
describe('P1 read returns the file bytes', () => {
  test('P1 a successful FILE read returns exactly the file bytes at dynptr offset + read offset', () => {
    fc.assert(
      fc.property(
        fc.record({
          file: fileSpec, sleepable: fc.boolean(), at: fileOffArg, inFile: fc.integer({ min: 0, max: 3 }), fit: fc.boolean(),
          off: smallOff, len: smallLen, cached: cacheState(5), sentinel: fc.integer({ min: 0, max: 255 }),
        }),
        ({ file, sleepable, at, inFile, fit, off: offArg, len, cached, sentinel }) => {
          // The file offset read from is an edge; mostly inside the file (reads of pages past EOF
          // fail, and P1 is about the bytes). It is split into dynptr offset + read offset.
          const raw = resolveFileOff(at, file.size);
          const fileOff = inFile > 0 && file.size > 0n ? raw % file.size : raw;
          const off = offArg <= fileOff ? offArg : fileOff;
          const start = fileOff - off;
          const first = O.pageOf(fileOff);
          const window = O.pagesTouched(fileOff, len);
          // Non-sleepable readers need the window warm; sleepable ones get a cold-to-warm window.
          const pages = sleepable ? cached.map((r) => first + r) : window;
          const setup: FileSetup = { spec: file, cached: pages };
          const built = buildWorld([setup]);
          const f = built.files[0]!;
          const s = sessionOn(built.world, sleepable);
          expectIs(s.bpf_dynptr_from_file(f.id, 0, SLOT), 0);
          // Adjust to [start, U64_MAX) or to exactly the bytes read ([start, start + off + len)).
          const end = fit ? start + off + len : U64_MAX;
          let view = O.fromFile(0n).view;
          const adj = O.adjust(view, start, end);
          expectIs(adj.ret, 0);
          view = adj.view;
          expectIs(s.bpf_dynptr_adjust(SLOT, start, end), 0);
          expectIs(O.readBounds(view, len, off, 0n), 0);
          const want = O.fileRead(cacheOf(setup), fileOff, len, sleepable);
          const dst = sentinelBuf(len, sentinel);
          const ret = s.bpf_dynptr_read(dst, len, SLOT, off, 0);
          expectIs(ret, want.ret);
          if (ret === 0) {
            expectBytes(dst.subarray(0, Number(len)), O.expectedBytes(f.at, fileOff, Number(len)));
            expectIs(allEqual(dst.subarray(Number(len)), sentinel), true);
          }
        },
      ),
    );
  });
});

// -------------------------------------------------------------------------------------------------
describe('P2 bounds', () => {
  const target = fc.constantFrom('local' as const, 'file' as const, 'nullFlags' as const, 'nullBig' as const, 'nullFile' as const);
  const opKind = fc.constantFrom('read' as const, 'write' as const, 'slice' as const, 'adjust' as const);
  const flags = fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constantFrom(1, 4, 0x8000_0000) });

  test('P2 bounds: read, write, slice and adjust return the oracle errno (LOCAL and FILE)', () => {
    fc.assert(
      fc.property(
        fc.record({
          target, size: localSize, oversized: oversizedLocal, file: fileSpecMaybeSecret, sleepable: fc.boolean(), cached: cacheState(4),
          fstart: fc.option(fileOffArg, { freq: 3 }), pre: fc.array(pairArg, { maxLength: 2 }),
          op: opKind, a: u64Arg, b: u64Arg, flags, nullBuf: fc.integer({ min: 0, max: 7 }), sentinel: fc.integer({ min: 0, max: 255 }),
        }),
        (g) => {
          const setup: FileSetup = { spec: g.file, cached: g.cached };
          const built = buildWorld([setup]);
          const f = built.files[0]!;
          const s = sessionOn(built.world, g.sleepable);
          const buf = localBuf(g.target === 'nullBig' ? 16n : g.size);
          const orig = buf.slice();

          // Construct.
          let c: { ret: number; view: O.View };
          let ret: number;
          switch (g.target) {
            case 'local': c = O.fromMem(g.size, 0n); ret = s.bpf_dynptr_from_mem(buf, g.size, 0, SLOT); break;
            case 'nullFlags': c = O.fromMem(g.size, 1n); ret = s.bpf_dynptr_from_mem(buf, g.size, 1, SLOT); break;
            case 'nullBig': c = O.fromMem(g.oversized, 0n); ret = s.bpf_dynptr_from_mem(buf, g.oversized, 0, SLOT); break;
            case 'file': c = O.fromFile(0n); ret = s.bpf_dynptr_from_file(f.id, 0, SLOT); break;
            case 'nullFile': c = O.fromFile(1n); ret = s.bpf_dynptr_from_file(f.id, 1, SLOT); break;
          }
          expectIs(ret, c.ret);
          let view = c.view;
          expectIs(s.bpf_dynptr_is_null(SLOT), view.kind === 'null');

          // FILE: first move to an offset that matters for the file (its page and EOF edges).
          if (g.fstart !== null && view.kind === 'file') {
            const start = resolveFileOff(g.fstart, g.file.size);
            const r = O.adjust(view, start, view.size);
            expectIs(s.bpf_dynptr_adjust(SLOT, start, view.size), r.ret);
            view = r.view;
          }
          // Earlier adjusts compose.
          for (const p of g.pre) {
            const [start, end] = resolvePair(p, view.kind === 'null' ? 0n : view.size);
            const r = O.adjust(view, start, end);
            expectIs(s.bpf_dynptr_adjust(SLOT, start, end), r.ret);
            view = r.view;
          }

          const size = view.kind === 'null' ? 0n : view.size;
          const cacheM = cacheOf(setup);
          switch (g.op) {
            case 'read': {
              const len = resolveU64(g.a, size);
              const off = resolveU64(g.b, size, len);
              const b = O.readBounds(view, len, off, BigInt(g.flags));
              if (b !== 0) {
                const dst = sentinelBuf(0n, g.sentinel);
                expectIs(s.bpf_dynptr_read(dst, len, SLOT, off, g.flags), b);
                expectIs(allEqual(dst, g.sentinel), true);
              } else if (view.kind === 'local') {
                const dst = sentinelBuf(len, g.sentinel);
                expectIs(s.bpf_dynptr_read(dst, len, SLOT, off, g.flags), 0);
                const from = Number(view.offset + off);
                expectEqual(dst.subarray(0, Number(len)), orig.subarray(from, from + Number(len)));
              } else if (view.kind === 'file') {
                if (g.nullBuf === 0) {
                  expectIs(s.bpf_dynptr_read(null, len, SLOT, off, g.flags), O.EINVAL); // "FILE: dst NULL → -EINVAL"
                  break;
                }
                if (len > MAX_IO_LEN) break; // no program can pass such a buffer
                const dst = sentinelBuf(len, g.sentinel);
                const want = O.fileRead(cacheM, view.offset + off, len, g.sleepable);
                expectIs(s.bpf_dynptr_read(dst, len, SLOT, off, g.flags), want.ret);
                if (want.ret === 0) expectBytes(dst.subarray(0, Number(len)), O.expectedBytes(f.at, view.offset + off, Number(len)));
              }
              break;
            }
            case 'write': {
              const len = resolveU64(g.a, size);
              const off = resolveU64(g.b, size, len);
              const w = O.writeBounds(view, off, len);
              const src = localBuf(w === 0 ? len : 8n, 99);
              expectIs(s.bpf_dynptr_write(SLOT, off, src, len, 0), w);
              if (w === 0 && view.kind === 'local') {
                const from = Number(view.offset + off);
                expectBytes(buf.subarray(from, from + Number(len)), src.subarray(0, Number(len)));
                // Nothing outside the written range changed.
                expectEqual(buf.subarray(0, from), orig.subarray(0, from));
                expectEqual(buf.subarray(from + Number(len)), orig.subarray(from + Number(len)));
              } else {
                expectEqual(buf, orig);
              }
              break;
            }
            case 'slice': {
              const len = resolveU64(g.a, size);
              const off = resolveU64(g.b, size, len);
              const ok = O.sliceBounds(view, off, len);
              if (!ok) {
                expect(s.bpf_dynptr_slice(SLOT, off, sentinelBuf(0n, g.sentinel), len)).toBeNull();
              } else if (view.kind === 'local') {
                const r = s.bpf_dynptr_slice(SLOT, off, null, len) as Uint8Array | null;
                expect(r).not.toBeNull();
                expectIs(r!.buffer, buf.buffer);
                expectIs(r!.byteOffset - buf.byteOffset, Number(view.offset + off));
                expectIs(r!.length, Number(len));
              } else if (view.kind === 'file') {
                if (g.nullBuf === 0) {
                  expect(s.bpf_dynptr_slice(SLOT, off, null, len)).toBeNull();
                  break;
                }
                if (len > MAX_IO_LEN) break;
                const want = O.fileRead(cacheM, view.offset + off, len, g.sleepable);
                const buffer = sentinelBuf(len, g.sentinel, 0);
                const r = s.bpf_dynptr_slice(SLOT, off, buffer, len);
                if (want.ret === 0) {
                  expectIs(r, buffer);
                  expectBytes(buffer, O.expectedBytes(f.at, view.offset + off, Number(len)));
                } else {
                  expect(r).toBeNull();
                }
              }
              break;
            }
            case 'adjust': {
              const start = resolveU64(g.b, size);
              const end = resolveU64(g.a, size);
              const r = O.adjust(view, start, end);
              expectIs(s.bpf_dynptr_adjust(SLOT, start, end), r.ret);
              if (r.view.kind !== 'null') expectIs(s.bpf_dynptr_size(SLOT), BigInt.asUintN(64, r.view.size));
              if (r.view.kind === 'file') expectEqual(fileBounds(s.world, SLOT), { offset: r.view.offset, size: r.view.size });
              if (r.view.kind === 'local') expectIs(localOffset(s, SLOT, buf), Number(r.view.offset));
              break;
            }
          }
        },
      ),
    );
  });

  test('P2 every op of a generated sequence returns what the oracle predicts', () => {
    fc.assert(
      fc.property(
        twoFilesAndOps,
        ([f0, f1, c0, c1, ops]) => {
          const setups = setupsOf(f0, f1, c0, c1);
          const built = buildWorld(setups);
          const r = runOps(built.world, built, setups, ops);
          const bad = r.steps.filter((st) => st.got !== st.want);
          expectEqual(bad, []);
        },
      ),
    );
  });
});

// -------------------------------------------------------------------------------------------------
describe('P3 adjust algebra', () => {
  const kind = fc.constantFrom('local' as const, 'file' as const);

  test('P3 two successive adjusts equal one adjust with composed bounds', () => {
    fc.assert(
      fc.property(
        fc.record({ kind, size: localSize, file: fileSpec, p1: pairArg, p2: pairArg }),
        ({ kind: k, size: localSz, file, p1, p2 }) => {
          const built = buildWorld([{ spec: file }]);
          const f = built.files[0]!;
          const s = sessionOn(built.world, true);
          const buf = localBuf(localSz);
          const make = (slot: string): O.View => {
            if (k === 'local') {
              expectIs(s.bpf_dynptr_from_mem(buf, localSz, 0, slot), 0);
              return O.fromMem(localSz, 0n).view;
            }
            expectIs(s.bpf_dynptr_from_file(f.id, 0, slot), 0);
            return O.fromFile(0n).view;
          };
          const bounds = (slot: string): unknown => (k === 'local' ? { offset: localOffset(s, slot, buf), size: s.bpf_dynptr_size(slot) } : fileBounds(s.world, slot));
          const v0 = make('x');
          make('y');
          const size0 = v0.kind === 'null' ? 0n : v0.size;
          const [s1, e1] = resolvePair(p1, size0);
          const r1 = s.bpf_dynptr_adjust('x', s1, e1);
          expectIs(r1, O.adjust(v0, s1, e1).ret);
          if (r1 !== 0) return;
          const afterFirst = bounds('x');
          const [s2, e2] = resolvePair(p2, e1 - s1);
          const r2 = s.bpf_dynptr_adjust('x', s2, e2);
          if (r2 !== 0) {
            // A failed adjust changes nothing.
            expectEqual(bounds('x'), afterFirst);
            return;
          }
          expectIs(s.bpf_dynptr_adjust('y', s1 + s2, s1 + e2), 0);
          expectEqual(bounds('y'), bounds('x'));
          expectIs(s.bpf_dynptr_size('x'), e2 - s2);
        },
      ),
    );
  });

  test('P3 a LOCAL clone keeps its own bounds after the original is adjusted', () => {
    fc.assert(
      fc.property(
        fc.record({ size: localSize, pre: fc.option(pairArg), p: pairArg, q: pairArg }),
        ({ size, pre, p, q }) => {
          const s = sessionOn(buildWorld([]).world, false);
          const buf = localBuf(size);
          expectIs(s.bpf_dynptr_from_mem(buf, size, 0, 'd'), 0);
          let v = O.fromMem(size, 0n).view;
          if (pre !== null) {
            const [a, b] = resolvePair(pre, size);
            const r = O.adjust(v, a, b);
            expectIs(s.bpf_dynptr_adjust('d', a, b), r.ret);
            v = r.view;
          }
          const bounds = (slot: string) => ({ offset: localOffset(s, slot, buf), size: s.bpf_dynptr_size(slot) });
          expectIs(s.bpf_dynptr_clone('d', 'c'), 0);
          const cloneBefore = bounds('c');
          expectEqual(cloneBefore, bounds('d'));
          const vs = v.kind === 'null' ? 0n : v.size;
          const [a, b] = resolvePair(p, vs);
          const r = O.adjust(v, a, b);
          expectIs(s.bpf_dynptr_adjust('d', a, b), r.ret);
          expectEqual(bounds('c'), cloneBefore);
          // And the other way round: adjusting the clone leaves the original alone.
          const origAfter = bounds('d');
          const [c1, c2] = resolvePair(q, vs);
          s.bpf_dynptr_adjust('c', c1, c2);
          expectEqual(bounds('d'), origAfter);
        },
      ),
    );
  });

  test('P3 a FILE clone shares its bounds with the original (shared state)', () => {
    fc.assert(
      fc.property(
        fc.record({
          file: fileSpec, pre: fc.option(pairArg),
          adjusts: fc.array(fc.record({ via: fc.constantFrom('d' as const, 'c' as const), p: pairArg }), { minLength: 1, maxLength: 4 }),
          len: fc.bigInt(0n, 16n), discardVia: fc.constantFrom('d' as const, 'c' as const),
        }),
        ({ file, pre, adjusts, len, discardVia }) => {
          const built = buildWorld([{ spec: file }]);
          const f = built.files[0]!;
          const s = sessionOn(built.world, true);
          const baseline = refSnapshot(s.world);
          expectIs(s.bpf_dynptr_from_file(f.id, 0, 'd'), 0);
          let v = O.fromFile(0n).view;
          if (pre !== null) {
            const [a, b] = resolvePair(pre, U64_MAX);
            const r = O.adjust(v, a, b);
            expectIs(s.bpf_dynptr_adjust('d', a, b), r.ret);
            v = r.view;
          }
          expectIs(s.bpf_dynptr_clone('d', 'c'), 0);
          for (const { via, p } of adjusts) {
            const vs = v.kind === 'null' ? 0n : v.size;
            const [a, b] = resolvePair(p, vs);
            const r = O.adjust(v, a, b);
            expectIs(s.bpf_dynptr_adjust(via, a, b), r.ret);
            v = r.view;
            if (v.kind !== 'file') throw new Error('unreachable');
            const want = { offset: v.offset, size: v.size };
            expectEqual(fileBounds(s.world, 'd'), want);
            expectEqual(fileBounds(s.world, 'c'), want);
          }
          // Reads through either see the same bytes.
          const vs = v.kind === 'null' ? 0n : v.size;
          const n = len <= vs ? len : vs;
          const d1 = sentinelBuf(n, 0x5a);
          const d2 = sentinelBuf(n, 0x5a);
          expectIs(s.bpf_dynptr_read(d1, n, 'd', 0, 0), s.bpf_dynptr_read(d2, n, 'c', 0, 0));
          expectEqual(d1, d2);
          // "discarding one invalidates all": the shared state is released once.
          expectIs(s.bpf_dynptr_file_discard(discardVia), 0);
          expectEqual(refSnapshot(s.world), baseline);
        },
      ),
    );
  });
});

// -------------------------------------------------------------------------------------------------
describe('P4 sleepable vs -EFAULT', () => {
  const NP = 6;
  /** Reads relative to a base page, with evictions between them. */
  const action = fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('read' as const), rel: fc.bigInt(0n, BigInt(NP) * PAGE - 1n), len: smallLen }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('evict' as const), page: fc.integer({ min: 0, max: NP - 1 }) }) },
  );
  const arb = fc.record({
    file: fileSpec, base: fileOffArg, viaAdjust: fc.boolean(), cached: cacheState(NP), faults: ioFaults(NP),
    actions: fc.array(action, { minLength: 1, maxLength: 5 }),
  });

  type Gen = typeof arb extends fc.Arbitrary<infer T> ? T : never;
  function run(sleepable: boolean, g: Gen): void {
    const basePage = O.pageOf(resolveFileOff(g.base, g.file.size));
    const baseOff = O.pageStartOf(basePage);
    const setup: FileSetup = {
      spec: g.file,
      cached: g.cached.map((r) => basePage + r),
      faults: sleepable ? g.faults.map(([r, n]) => [basePage + r, n] as const) : [],
    };
    const built = buildWorld([setup]);
    const f = built.files[0]!;
    const s = sessionOn(built.world, sleepable);
    const cacheM = cacheOf(setup);
    const reader: O.ReaderModel = { folio: null };
    expectIs(s.bpf_dynptr_from_file(f.id, 0, SLOT), 0);
    let dynOff = 0n;
    if (g.viaAdjust) {
      expectIs(s.bpf_dynptr_adjust(SLOT, baseOff, U64_MAX), 0);
      dynOff = baseOff;
    }
    for (const a of g.actions) {
      if (a.kind === 'evict') {
        s.evict(f.path, O.pageStartOf(basePage + a.page), PAGE);
        const held = new Set<number>(reader.folio === null ? [] : [reader.folio]);
        O.evict(cacheM, basePage + a.page, held);
        continue;
      }
      const fileOff = baseOff + a.rel;
      const before = pageStates(s.world, f.path);
      const want = O.fileRead(cacheM, fileOff, a.len, sleepable, reader);
      const ret = s.bpf_dynptr_read(new Uint8Array(Number(a.len)), a.len, SLOT, fileOff - dynOff, 0);
      expectIs(ret, want.ret);
      const after = pageStates(s.world, f.path);
      if (!sleepable) {
        // -EFAULT iff a touched page is not uptodate; and no page state changes either way.
        expectIs(ret === O.EFAULT, want.touched.some((p) => before.get(p) !== 'uptodate'));
        expectIs(sameStates(before, after), true);
      } else {
        // Readahead, I/O and its errors as the oracle computes them: every page's state, the
        // PG_readahead markers, the file's prev_pos; no folio held afterwards.
        expectEqual(after, oracleStates(cacheM));
        expectEqual(markedPages(s.world, f.path), cacheM.marked);
        expectIs(s.readahead(f.id).prevPos, cacheM.ra.prevPos);
        expectIs(s.readahead(f.id).raPages, cacheM.ra.raPages);
        expectIs(refSnapshot(s.world).folioRefs, 0);
      }
      expectIs(refsNonNegative(s.world), true);
    }
  }

  test('P4 a non-sleepable read fails with -EFAULT iff a page is not uptodate, and changes no page state', () => {
    fc.assert(fc.property(arb, (g) => run(false, g)));
  });

  test('P4 a sleepable read reads ahead, waits and fails as filemap_read does: every page state, marker and prev_pos as the oracle computes', () => {
    fc.assert(fc.property(arb, (g) => run(true, g)));
  });
});

// -------------------------------------------------------------------------------------------------
describe('P5 failed reads leave dst as SEMANTICS says', () => {
  test('P5 a failed read does not clear dst: bytes from the failing page on keep the sentinel', () => {
    const NP = 5;
    fc.assert(
      fc.property(
        fc.record({
          file: fileSpec, sleepable: fc.boolean(), base: fileOffArg, cached: cacheState(NP), faults: ioFaults(NP),
          // Mostly unrestricted (reader failures), sometimes narrowed (bounds failures).
          narrow: fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.bigInt(0n, 3n * PAGE) }),
          off: smallOff, len: fc.oneof(smallLen, fc.bigInt(PAGE + 1n, 3n * PAGE)), sentinel: fc.integer({ min: 0, max: 255 }),
        }),
        (g) => {
          const basePage = O.pageOf(resolveFileOff(g.base, g.file.size));
          const baseOff = O.pageStartOf(basePage);
          const setup: FileSetup = {
            spec: g.file,
            cached: g.cached.map((r) => basePage + r),
            faults: g.faults.map(([r, n]) => [basePage + r, n] as const),
          };
          const built = buildWorld([setup]);
          const f = built.files[0]!;
          const s = sessionOn(built.world, g.sleepable);
          expectIs(s.bpf_dynptr_from_file(f.id, 0, SLOT), 0);
          const end = g.narrow === null ? U64_MAX : baseOff + g.narrow;
          expectIs(s.bpf_dynptr_adjust(SLOT, baseOff, end), 0);
          const view = O.adjust(O.fromFile(0n).view, baseOff, end).view;
          const len = g.len;
          const dst = sentinelBuf(len, g.sentinel);
          const ret = s.bpf_dynptr_read(dst, len, SLOT, g.off, 0);
          const bounds = O.readBounds(view, len, g.off, 0n);
          if (bounds !== 0) {
            expectIs(ret, bounds);
            expectIs(allEqual(dst, g.sentinel), true);
            return;
          }
          const fileOff = baseOff + g.off;
          const want = O.fileRead(cacheOf(setup), fileOff, len, g.sleepable);
          expectIs(ret, want.ret);
          const n = Number(len);
          expectIs(allEqual(dst.subarray(n), g.sentinel), true);
          const exp = O.expectedBytes(f.at, fileOff, n);
          if (ret === 0) {
            expectBytes(dst.subarray(0, n), exp);
            return;
          }
          if (want.eofAt !== undefined) {
            expectEqual(dst.subarray(0, want.eofAt), exp.subarray(0, want.eofAt));
            expectIs(allEqual(dst.subarray(want.eofAt, n), g.sentinel), true);
            return;
          }
          const from = Math.min(n, O.untouchedFrom(fileOff, want.failPage!));
          expectIs(allEqual(dst.subarray(from, n), g.sentinel), true);
          // Each earlier page's piece is either copied whole or left alone.
          for (const p of want.touched) {
            if (p >= want.failPage!) break;
            const a = Math.max(0, Number(O.pageStartOf(p) - fileOff));
            const b = Math.min(from, Number(O.pageStartOf(p + 1) - fileOff));
            const piece = dst.subarray(a, b);
            const copied = piece.every((x, i) => x === exp[a + i]);
            expectIs(copied || allEqual(piece, g.sentinel), true);
          }
        },
      ),
    );
  });
});

// -------------------------------------------------------------------------------------------------
describe('P6 reference counts', () => {
  test('P6 after any op sequence and discards of live file dynptrs, refSnapshot equals the baseline', () => {
    fc.assert(
      fc.property(
        twoFilesAndOps,
        ([f0, f1, c0, c1, ops]) => {
          const setups = setupsOf(f0, f1, c0, c1);
          const built = buildWorld(setups);
          const baseline = refSnapshot(built.world);
          expectIs(baseline.folioRefs, 0);
          expectIs(baseline.liveFileStates, 0);
          expectIs(baseline.ioInFlight, 0);
          const r = runOps(built.world, built, setups, ops, (w, i) => {
            // "keeps at most one folio referenced": never more folio references than live readers.
            const mid = refSnapshot(w);
            if (mid.folioRefs > mid.liveFileStates) throw new Error(`step ${i}: ${mid.folioRefs} folio refs for ${mid.liveFileStates} readers`);
            // Reads may stay in flight after a call (async readahead nobody waited for), never a reference.
          });
          expectIs(r.negativeRefsAt, -1);
          const s = sessionOn(r.world, false);
          for (const slot of r.liveFileSlots) expect(s.bpf_dynptr_file_discard(slot)).toBe(0);
          s.finishIo();
          expectIs(refsNonNegative(s.world), true);
          expectEqual(refSnapshot(s.world), baseline);
        },
      ),
    );
  });
});

describe('P6 references over every kind', () => {
  test('P6 every reserved ring record and FILE state is released exactly once: afterwards no reference is left, and user space reads exactly the submitted records', () => {
    fc.assert(
      fc.property(
        fc.record({ pages: fc.constantFrom(1, 2), ops: fc.array(refOp, { maxLength: 30, size: 'medium' }), discardAtEnd: fc.boolean(), flags: fc.constantFrom(0, 1, 2) }),
        ({ pages, ops, discardAtEnd, flags }) => {
          const r = runKindOps(pages * 4096, ops, (w, busy, i) => {
            // The model's reserved records are the oracle's, after every step.
            const mid = refSnapshot(w);
            if (mid.ringbufBusy !== busy) throw new Error(`step ${i}: ${mid.ringbufBusy} reserved records, the oracle has ${busy}`);
          });
          expectEqual(r.mismatches, []);
          const s = r.session;
          // Release what is left, as the verifier demands of every path.
          for (const { slot, rec } of r.liveRings) {
            if (discardAtEnd) s.bpf_ringbuf_discard_dynptr(slot, flags);
            else s.bpf_ringbuf_submit_dynptr(slot, flags);
            O.ringCommit(r.ring, rec, BigInt(flags), discardAtEnd);
          }
          for (const slot of r.liveFiles) expectIs(s.bpf_dynptr_file_discard(slot), 0);
          const end = refSnapshot(s.world);
          expectIs(end.ringbufBusy, 0);
          expectIs(end.liveFileStates, 0);
          expectIs(end.folioRefs, 0);
          expectIs(s.ringbuf(r.map).wakeups, r.ring.wakeups);
          // User space now reads every submitted record not yet read, in order, and catches up with the producer.
          const got = s.ringbufConsume(r.map);
          const want = O.ringConsume(r.ring);
          expectEqual(got.map((b) => Buffer.from(b).toString('hex')), want.map((b) => Buffer.from(b).toString('hex')));
          const info = s.ringbuf(r.map);
          expectIs(info.consumerPos, info.producerPos);
          expectIs(info.producerPos, r.ring.prod);
        },
      ),
    );
  });
});

// -------------------------------------------------------------------------------------------------
describe('P8 determinism', () => {
  test('P8 the same op sequence from the same world gives a byte-identical trace', () => {
    fc.assert(
      fc.property(
        fc.tuple(fileSpec, fileSpec, cacheState(6), cacheState(6), ioFaults(6), opSequence(2, 6)),
        ([f0, f1, c0, c1, faults, ops]) => {
          const setups: FileSetup[] = [{ spec: f0, cached: c0, faults }, { spec: f1, cached: c1 }];
          const built = buildWorld(setups);
          const a = runOps(built.world, built, setups, ops);
          const b = runOps(built.world, built, setups, ops);
          expectIs(formatTrace(b.world.trace), formatTrace(a.world.trace));
          expectEqual(b.steps, a.steps);
        },
      ),
    );
  });
});

// -------------------------------------------------------------------------------------------------
// Every kind (issue 14): the bounds property over RINGBUF, SKB, SKB_META and XDP dynptrs.
describe('P2 bounds over every kind', () => {
  const SKB_WRITABLE: ReadonlySet<string> = new Set(['SCHED_CLS', 'SCHED_ACT', 'LWT_XMIT']);
  const SKB_L2: ReadonlySet<string> = new Set(['SCHED_CLS', 'SCHED_ACT']);
  const VAL = 0x5c;
  /** The LOCAL dynptr on the other side of a bpf_dynptr_copy. */
  const PARTNER = 4096;
  /** Kernel memory the probe reads copy from: as long as the longest packet. */
  const KADDR = 0xffff_8880_0010_0000n;
  const kmem = fillBytes(0x6b, 3520 + 18 * 4096);

  /** Byte arrays equal (vitest's deep equality is slow on packets of 70 KB). */
  function same(a: Uint8Array | null, b: Uint8Array): boolean {
    return a !== null && a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;
  }

  /** The object under the dynptr as the oracle holds it, and how to read the model's. */
  interface Backing {
    readonly kind: KindSpec['kind'];
    /** Packet bytes (SKB, XDP), metadata (SKB_META) or the record (RINGBUF), from offset 0. */
    readonly bytes: Uint8Array;
    readonly pkt: O.PacketModel | null;
    readonly model: () => Uint8Array;
  }

  /** Build the dynptr `p` of `spec` (null when `nullIt`), checking every constructor's result. */
  function build(s: Session, spec: KindSpec, seed: number, nullIt: boolean): { view: O.KindView | null; back: Backing } | null {
    const flags = nullIt ? 1 : 0;
    switch (spec.kind) {
      case 'ringbuf': {
        const map = s.createMap({ type: 'ringbuf', maxEntries: spec.pages * 4096 });
        const m = O.ringModel(spec.pages * 4096);
        spec.before.forEach((n, i) => {
          const want = O.ringReserve(m, BigInt(n), 0n);
          expectIs(s.bpf_ringbuf_reserve_dynptr(map, n, 0, 't'), want.ret);
          if (want.rec === null) return;
          const bytes = fillBytes(seed + i, n);
          expectIs(s.bpf_dynptr_write('t', 0, bytes, n, 0), 0);
          want.rec.bytes.set(bytes);
          s.bpf_ringbuf_submit_dynptr('t', 0);
          O.ringCommit(m, want.rec, 0n, false);
          expectEqual(s.ringbufConsume(map), O.ringConsume(m));
        });
        const want = O.ringReserve(m, BigInt(spec.size), BigInt(flags));
        expectIs(s.bpf_ringbuf_reserve_dynptr(map, spec.size, flags, SLOT), want.ret);
        const rec = want.rec;
        const view: O.KindView | null = rec === null ? null : { kind: 'ringbuf', offset: 0n, size: BigInt(spec.size), rdonly: false };
        // A clone at the record's full size, to read the whole record whatever the ops adjust.
        if (rec !== null) expect(s.bpf_dynptr_clone(SLOT, 'whole')).toBe(0);
        const model = (): Uint8Array => {
          const out = new Uint8Array(spec.size);
          expectIs(s.bpf_dynptr_read(out, spec.size, 'whole', 0, 0), 0);
          return out;
        };
        // A fresh ring's sample is what the data area held there (a wrapped ring: old bytes).
        return { view, back: { kind: 'ringbuf', bytes: rec?.bytes ?? new Uint8Array(0), pkt: null, model } };
      }
      case 'skb': {
        const data = fillBytes(seed, spec.len);
        const l2 = SKB_L2.has(spec.progType);
        const want = O.skbLayout(spec.len, spec.linear, l2, spec.progType.startsWith('LWT_'));
        const id = s.packet({ kind: 'skb', data, linear: spec.linear, progType: spec.progType });
        if (want.ret !== 0) {
          expectIs(id, want.ret);
          return null;
        }
        expectIs(s.bpf_dynptr_from_skb(id, flags, SLOT), nullIt ? O.EINVAL : 0);
        const bytes = data.slice(l2 ? 0 : 14);
        const pkt: O.PacketModel = { kind: 'skb', bytes, headlen: want.headlen, pieces: [], meta: new Uint8Array(0) };
        const view: O.KindView | null = nullIt ? null : { kind: 'skb', offset: 0n, size: BigInt(want.size), rdonly: !SKB_WRITABLE.has(spec.progType) };
        return { view, back: { kind: 'skb', bytes, pkt, model: () => s.packetView(id).data } };
      }
      case 'skb_meta': {
        const meta = fillBytes(seed, spec.metaLen);
        const id = s.packet({ kind: 'skb', data: fillBytes(seed + 1, 64), meta });
        expectIs(s.bpf_dynptr_from_skb_meta(id, flags, SLOT), nullIt ? O.EINVAL : 0);
        const bytes = meta.slice();
        const view: O.KindView | null = nullIt ? null : { kind: 'skb_meta', offset: 0n, size: BigInt(spec.metaLen), rdonly: false };
        return { view, back: { kind: 'skb_meta', bytes, pkt: null, model: () => s.packetView(id).meta } };
      }
      case 'xdp': {
        const data = fillBytes(seed, spec.len);
        const want = O.xdpLayout(spec.len, spec.meta, spec.linear);
        const id = s.packet({ kind: 'xdp', data, meta: spec.meta, linear: spec.linear });
        if (want.ret !== 0) {
          expectIs(id, want.ret);
          return null;
        }
        expectEqual(s.packetView(id).frags, want.pieces.slice(1));
        expectIs(s.bpf_dynptr_from_xdp(id, flags, SLOT), nullIt ? O.EINVAL : 0);
        const bytes = data.slice(spec.meta);
        const pkt: O.PacketModel = { kind: 'xdp', bytes, headlen: want.pieces[0] ?? 0, pieces: want.pieces, meta: data.slice(0, spec.meta) };
        const view: O.KindView | null = nullIt ? null : { kind: 'xdp', offset: 0n, size: BigInt(bytes.length), rdonly: false };
        return { view, back: { kind: 'xdp', bytes, pkt, model: () => s.packetView(id).data } };
      }
    }
  }

  /** `bpf_dynptr_adjust` of the dynptr at `SLOT` (its bounds resolved against the current view), checked against the oracle: the view after it. */
  function adjusted(s: Session, view: O.KindView | null, o: { readonly start: KindArg; readonly end: KindArg }): O.KindView | null {
    const size = view === null ? 0n : view.size;
    const start = resolveKindArg(o.start, size);
    const end = resolveKindArg(o.end, size);
    const want = O.kindAdjust(view, start, end);
    expectIs(s.bpf_dynptr_adjust(SLOT, start, end), want.ret);
    return want.view;
  }

  /** Where a direct or copied slice lands: 'direct' for memory kinds, the packet rule for SKB and XDP. */
  function sliceKind(back: Backing, pos: number, len: number, buffer: boolean): 'direct' | 'copy' | 'null' {
    return back.pkt === null ? 'direct' : O.packetSlice(back.pkt, pos, len, buffer);
  }

  /** A write of `src` at `pos` as the oracle applies it: 0 or -EFAULT (XDP above 0xffff). */
  function oracleWrite(back: Backing, pos: number, src: Uint8Array, len: number): number {
    if (back.pkt !== null) {
      const r = O.packetWrite(back.pkt, pos, src, len);
      if (r === 0) back.bytes.set(src.subarray(0, len), pos);
      return r;
    }
    back.bytes.set(src.subarray(0, len), pos);
    return 0;
  }

  test('P2 read, write, slice, data, adjust, memset, copy (to and from LOCAL) and probe_read_kernel on RINGBUF, SKB, SKB_META and XDP dynptrs return what the oracle predicts', () => {
    fc.assert(
      fc.property(
        fc.record({
          spec: kindSpec, seed: fc.integer({ min: 0, max: 0xffff }), nullIt: fc.integer({ min: 0, max: 9 }),
          ops: fc.array(kindOp, { minLength: 1, maxLength: 5 }), sentinel: fc.integer({ min: 0, max: 255 }),
        }),
        (g) => {
          const s = new Session();
          const built = build(s, g.spec, g.seed, g.nullIt === 0);
          if (built === null) return;
          const { back } = built;
          let view = built.view;
          for (const o of g.ops) {
            const size = view === null ? 0n : view.size;
            if (o.op === 'adjust') {
              view = adjusted(s, view, o);
              if (view !== null) {
                expectIs(s.bpf_dynptr_size(SLOT), view.size);
                expectIs(s.bpf_dynptr_is_rdonly(SLOT), view.rdonly);
              }
              continue;
            }
            const len = resolveKindArg(o.len, size);
            const off = resolveKindArg(o.off, size, len);
            const pos = view === null ? 0 : Number(view.offset + off);
            const n = Number(len);
            switch (o.op) {
              case 'read': {
                const b = view === null || o.flags !== 0 ? O.EINVAL : O.kindBounds(view, off, len, false);
                const dst = sentinelBuf(b === 0 ? len : 0n, g.sentinel);
                const want = b !== 0 ? b : back.pkt === null ? 0 : O.packetRead(back.pkt, pos, n);
                expectIs(s.bpf_dynptr_read(dst, len, SLOT, off, o.flags), want);
                if (want === 0) expectIs(same(dst.subarray(0, n), back.bytes.subarray(pos, pos + n)), true);
                else expectIs(allEqual(dst, g.sentinel), true);
                break;
              }
              case 'write': {
                const b = O.kindBounds(view, off, len, true);
                const flagsOk = view === null || O.kindWriteFlagsOk(view.kind, BigInt(o.flags));
                const src = fillBytes(g.sentinel, b === 0 ? n : 4);
                const want = b !== 0 ? b : !flagsOk ? O.EINVAL : oracleWrite(back, pos, src, n);
                expectIs(s.bpf_dynptr_write(SLOT, off, src, len, o.flags), want);
                break;
              }
              case 'slice':
              case 'slice_rdwr': {
                const rdwr = o.op === 'slice_rdwr';
                const ok = view !== null && !(rdwr && view.rdonly) && O.kindBounds(view, off, len, false) === 0;
                const buffer = o.buffer && ok ? sentinelBuf(len, g.sentinel, 0) : null;
                const got = (rdwr ? s.bpf_dynptr_slice_rdwr(SLOT, off, buffer, len) : s.bpf_dynptr_slice(SLOT, off, buffer, len)) as Uint8Array | null;
                const want = ok ? sliceKind(back, pos, n, buffer !== null) : 'null';
                if (want === 'null') {
                  expect(got).toBeNull();
                  break;
                }
                expect(got).not.toBeNull();
                expectIs(got === buffer, want === 'copy');
                expectIs(got!.length, n);
                expectIs(same(got, back.bytes.subarray(pos, pos + n)), true);
                if (rdwr && n > 0) {
                  // Write through it: a direct view changes the object, a copy does not.
                  got!.fill(VAL);
                  if (want === 'direct') back.bytes.fill(VAL, pos, pos + n);
                }
                break;
              }
              case 'data': {
                const ok = view !== null && O.kindBounds(view, off, len, true) === 0 && view.kind === 'ringbuf';
                const got = s.bpf_dynptr_data(SLOT, off, len) as Uint8Array | null;
                if (!ok) expect(got).toBeNull();
                else expectIs(same(got, back.bytes.subarray(pos, pos + n)), true);
                break;
              }
              case 'memset': {
                const direct = view !== null && !view.rdonly && O.kindBounds(view, off, len, false) === 0 && sliceKind(back, pos, n, false) === 'direct';
                let want: number;
                if (direct) want = oracleWrite(back, pos, new Uint8Array(n).fill(VAL), n);
                else if (view !== null && view.rdonly) want = O.EINVAL;
                else if (O.kindBounds(view ?? { kind: g.spec.kind, offset: 0n, size: 0n, rdonly: false }, off, len, false) !== 0) want = O.E2BIG;
                else {
                  want = 0;
                  for (let at = 0; at < n && want === 0; at += 256) {
                    const chunk = Math.min(256, n - at);
                    want = oracleWrite(back, pos + at, new Uint8Array(chunk).fill(VAL), chunk);
                  }
                }
                expectIs(s.bpf_dynptr_memset(SLOT, off, len, VAL), want);
                break;
              }
              case 'copy_in':
              case 'copy_out': {
                // bpf_dynptr_copy (kernel/bpf/helpers.c) with a LOCAL dynptr of PARTNER bytes at offset 0 on the
                // other side. A LOCAL range in bounds always has a direct slice; the kind's range has one when
                // bpf_dynptr_slice{,_rdwr}(…, NULL, len) gives a pointer into it. Both direct: memmove, 0. Else the
                // path through the side that has one: __bpf_dynptr_write into the kind (copy_in) or
                // __bpf_dynptr_read out of it (copy_out), with their errors; a LOCAL range out of bounds is -E2BIG
                // whichever path is taken (its own bounds check, or the check before the chunks).
                const into = o.op === 'copy_in';
                const partner = fillBytes(g.seed + 7, PARTNER);
                expectIs(s.bpf_dynptr_from_mem(partner, PARTNER, 0, 'l'), 0);
                const localOk = len <= BigInt(PARTNER);
                const kindDirect = view !== null && !(into && view.rdonly) && O.kindBounds(view, off, len, false) === 0 && sliceKind(back, pos, n, false) === 'direct';
                const before = partner.slice();
                let want: number;
                if (!localOk) want = O.E2BIG;
                else if (kindDirect) {
                  want = 0;
                  if (into) back.bytes.set(before.subarray(0, n), pos);
                } else if (into) {
                  const b = O.kindBounds(view, off, len, true);
                  want = b !== 0 ? b : oracleWrite(back, pos, before, n);
                } else {
                  const b = O.kindBounds(view, off, len, false);
                  want = b !== 0 ? b : back.pkt === null ? 0 : O.packetRead(back.pkt, pos, n);
                }
                expectIs(into ? s.bpf_dynptr_copy(SLOT, off, 'l', 0, len) : s.bpf_dynptr_copy('l', 0, SLOT, off, len), want);
                if (want === 0 && !into) expectIs(same(partner.subarray(0, n), back.bytes.subarray(pos, pos + n)), true);
                if (into) expectIs(same(partner, before), true);
                break;
              }
              case 'probe_kernel': {
                // bpf_probe_read_kernel_dynptr (kernel/trace/bpf_trace.c, __bpf_dynptr_copy) from mapped kernel
                // memory: a writable direct slice of the range → copied in one go; else the range out of bounds
                // (a null dynptr has size 0) → -E2BIG; else 256-byte chunks, each read (never faults here) then
                // written with __bpf_dynptr_write — a read-only dynptr is -EINVAL only at the first chunk (an empty
                // range copies nothing: 0), and a failing chunk keeps the ones before it.
                s.mapKernelMemory(KADDR, kmem);
                const direct = view !== null && !view.rdonly && O.kindBounds(view, off, len, false) === 0 && sliceKind(back, pos, n, false) === 'direct';
                let want: number;
                if (direct) want = oracleWrite(back, pos, kmem, n);
                else if (O.kindBounds(view ?? { kind: g.spec.kind, offset: 0n, size: 0n, rdonly: false }, off, len, false) !== 0) want = O.E2BIG;
                else {
                  want = 0;
                  for (let at = 0; at < n && want === 0; at += 256) {
                    const chunk = Math.min(256, n - at);
                    want = view === null || view.rdonly ? O.EINVAL : oracleWrite(back, pos + at, kmem.subarray(at, at + chunk), chunk);
                  }
                }
                expectIs(s.bpf_probe_read_kernel_dynptr(SLOT, off, len, KADDR), want);
                break;
              }
            }
            // After every op the object holds what the oracle holds (and an SKB's linear part ends where it says).
            if (g.nullIt !== 0 && back.kind !== 'ringbuf') expectIs(same(back.model(), back.bytes), true);
            if (back.pkt?.kind === 'skb' && g.spec.kind === 'skb') expectIs(s.packetView(s.world.packets.keys().next().value as number).linear, back.pkt.headlen);
          }
          if (back.kind === 'ringbuf' && built.view !== null) expectIs(same(back.model(), back.bytes), true);
        },
      ),
    );
  });
  // The user-memory kfuncs of src/model/dynptr/probe_read.ts (kernel/trace/bpf_trace.c): the destination's
  // bounds (its current view, after adjust; read-only; null) and what the copy brings from the calling
  // task's user memory (mapped, mapped only in part, not mapped), the string variants' count with the NUL,
  // and copy_from_user's need of a sleepable context. The copy functions are O.userCopy.
  const USER_KFUNCS = {
    probe_read_user: { fn: 'nofault', str: false, sleepable: false },
    probe_read_user_str: { fn: 'str_nofault', str: true, sleepable: false },
    copy_from_user: { fn: 'sleepable', str: false, sleepable: true },
    copy_from_user_str: { fn: 'str_sleepable', str: true, sleepable: true },
    copy_from_user_task: { fn: 'task', str: false, sleepable: true },
    copy_from_user_task_str: { fn: 'task_str', str: true, sleepable: true },
  } as const satisfies Record<string, { fn: O.UserCopyFn; str: boolean; sleepable: boolean }>;
  type UserKfunc = keyof typeof USER_KFUNCS;
  const UADDR = 0x7ffd_0000n;
  /** Mostly lengths that cross the 256-byte chunks (cheap: user memory is read byte by byte), sometimes the kind edges. */
  const smallLen = fc.oneof(fc.constantFrom(0, 1, 2, 255, 256, 257, 511, 512, 513), fc.integer({ min: 0, max: 700 }));
  const userLen: fc.Arbitrary<KindArg | { readonly fit: number }> = fc.oneof(
    { weight: 3, arbitrary: smallLen.map((fit) => ({ fit })) },
    { weight: 1, arbitrary: smallLen.map((v): KindArg => ({ raw: BigInt(v) })) },
    { weight: 1, arbitrary: kindArg },
  );
  type UserOp =
    | {
      readonly op: 'user'; readonly kf: UserKfunc; readonly off: KindArg | { readonly room: number }; readonly len: KindArg | { readonly fit: number };
      /** all: the whole range mapped; short: mapped up to `cut`/2^20 of it; page: mapped to the end of the source's page (the next page has nothing); none: the address is not mapped. */
      readonly src: 'all' | 'short' | 'page' | 'none'; readonly cut: number; readonly nul: number | null; readonly kthread: boolean;
      /** Where in its page the source starts: the _task string copy goes page by page (its words count from each piece's start). */
      readonly shift: number;
    }
    | { readonly op: 'adjust'; readonly start: KindArg; readonly end: KindArg };
  const userOp: fc.Arbitrary<UserOp> = fc.oneof(
    { weight: 3, arbitrary: fc.record({
      op: fc.constant('user' as const), kf: fc.constantFrom(...(Object.keys(USER_KFUNCS) as UserKfunc[])), len: userLen,
      // Mostly in bounds ({ room }: a fraction of size - len), else the kind edges.
      off: fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: 1 << 20 }).map((room) => ({ room })) }, { weight: 1, arbitrary: kindArg }),
      src: fc.constantFrom('all' as const, 'all' as const, 'short' as const, 'page' as const, 'none' as const), cut: fc.integer({ min: 0, max: (1 << 20) - 1 }),
      nul: fc.option(fc.oneof(fc.constantFrom(0, 1, 3, 7, 8, 254, 255, 256, 257, 510, 511), fc.integer({ min: 0, max: 700 })), { freq: 3 }),
      kthread: fc.integer({ min: 0, max: 4 }).map((v) => v === 0),
      shift: fc.oneof(fc.constant(0), { weight: 2, arbitrary: fc.constantFrom(4095, 4093, 4088, 4087, 4084) }, fc.integer({ min: 0, max: 4095 })),
    }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('adjust' as const), start: kindArg, end: kindArg }) },
  );

  /** A world with a user task `pid` (kfunc calls run as it) and a kernel thread (no mm), made once: worlds are immutable. */
  let base: { world: Session['world']; pid: number; kthread: number } | null = null;
  function userWorld(): { world: Session['world']; pid: number; kthread: number } {
    if (base !== null) return base;
    const s = new Session();
    s.createFile({ path: '/bin/t', content: content.zero(), size: 4096 });
    const pid = s.spawn({ comm: 't', exe: '/bin/t', script: [] });
    const kthread = s.spawn({ comm: 'k', script: [] });
    base = { world: s.world, pid, kthread };
    return base;
  }

  test('P2 probe_read_user, copy_from_user and their _str and _task variants into RINGBUF, SKB, SKB_META and XDP dynptrs: bounds, result and bytes as the oracle predicts', () => {
    fc.assert(
      fc.property(
        fc.record({
          spec: kindSpec, seed: fc.integer({ min: 0, max: 0xffff }), nullIt: fc.integer({ min: 0, max: 9 }), sleepable: fc.boolean(),
          ops: fc.array(userOp, { minLength: 1, maxLength: 3 }),
        }),
        (g) => {
          const { world, pid, kthread } = userWorld();
          const s = sessionOn(world, g.sleepable).inTask(pid);
          const built = build(s, g.spec, g.seed, g.nullIt === 0);
          if (built === null) return;
          const { back } = built;
          let view = built.view;
          /** Bytes of the object a fault left to the architecture (how far the copy got): not compared. */
          const unknown = new Uint8Array(back.bytes.length);
          let anyUnknown = false;
          const put = (pos: number, bytes: Uint8Array, len: number): number => {
            const r = oracleWrite(back, pos, bytes, len);
            if (r === 0 && anyUnknown) unknown.fill(0, pos, pos + len);
            return r;
          };
          const forget = (from: number, to: number): void => {
            if (to > from) { unknown.fill(1, from, to); anyUnknown = true; }
          };
          const agrees = (got: Uint8Array): boolean => {
            if (!anyUnknown) return same(got, back.bytes);
            if (got.length !== back.bytes.length) return false;
            for (let i = 0; i < got.length; i += 1) if (unknown[i] === 0 && got[i] !== back.bytes[i]) return false;
            return true;
          };
          for (const [step, o] of g.ops.entries()) {
            const size = view === null ? 0n : view.size;
            if (o.op === 'adjust') {
              view = adjusted(s, view, o);
              continue;
            }
            const k = USER_KFUNCS[o.kf];
            // { fit }: a small length folded into the view's size.
            const len = 'fit' in o.len ? BigInt(o.len.fit) % (size + 1n) : resolveKindArg(o.len, size);
            const off = 'room' in o.off ? (len <= size ? ((size - len) * BigInt(o.off.room)) >> 20n : 0n) : resolveKindArg(o.off, size, len);
            // The user memory: bytes with no NUL but at `nul`, mapped over the range (all), a part of it (short), to its page's end, or nowhere.
            const whole = len <= BigInt(kmem.length) ? Number(len) : 0;
            const mapped = o.src === 'none' ? 0 : o.src === 'all' ? whole + 3 : o.src === 'page' ? 4096 - o.shift : Math.floor((whole * o.cut) / (1 << 20));
            const user = fillBytes(g.seed + step, mapped).map((b) => (b === 0 ? 0x7f : b));
            // page: the NUL among the last 16 mapped bytes, so its word often reaches into the next page (nothing mapped there).
            const nul = o.nul === null ? null : o.src === 'page' ? Math.max(0, mapped - 1 - (o.nul % 16)) : o.nul;
            if (nul !== null && nul < mapped) user[nul] = 0;
            const addr = UADDR + BigInt(step) * 0x10_0000n + BigInt(o.shift);
            if (mapped > 0) s.writeUser(pid, addr, user);
            const target = o.kthread ? kthread : pid;
            const call = (): number => {
              switch (o.kf) {
                case 'probe_read_user': return s.bpf_probe_read_user_dynptr(SLOT, off, len, addr);
                case 'probe_read_user_str': return s.bpf_probe_read_user_str_dynptr(SLOT, off, len, addr);
                case 'copy_from_user': return s.bpf_copy_from_user_dynptr(SLOT, off, len, addr);
                case 'copy_from_user_str': return s.bpf_copy_from_user_str_dynptr(SLOT, off, len, addr);
                case 'copy_from_user_task': return s.bpf_copy_from_user_task_dynptr(SLOT, off, len, addr, target);
                case 'copy_from_user_task_str': return s.bpf_copy_from_user_task_str_dynptr(SLOT, off, len, addr, target);
              }
            };
            if (k.sleepable && !g.sleepable) {
              // KF_SLEEPABLE: the verifier refuses a non-sleepable program calling it, whatever the arguments.
              expect(call).toThrow(KernsimError);
            } else {
              // The current task's memory, or tsk's: a kernel thread has no mm (only the _task variants take one).
              const src = o.kthread && (o.kf === 'copy_from_user_task' || o.kf === 'copy_from_user_task_str') ? null : user;
              const n = Number(len);
              const pos = view === null ? 0 : Number(view.offset + off);
              // __bpf_dynptr_copy{,_str}: a writable direct slice of [off, off + len) → the copy function fills it and
              // its result is returned; else out of bounds (a null dynptr has size 0) → -E2BIG; else 256-byte chunks
              // read into a buffer (an error returned before anything of the chunk is written), then __bpf_dynptr_write
              // (-EINVAL for a read-only or null dynptr, the kind's errors); the string chunks overlap by one byte,
              // the next starting on the previous one's NUL, and stop at the first chunk that ends early.
              const direct = view !== null && !view.rdonly && O.kindBounds(view, off, len, false) === 0 && sliceKind(back, pos, n, false) === 'direct';
              let want: number;
              let zeroTail = false;
              if (direct) {
                const c = O.userCopy(k.fn, src, n, addr);
                want = c.ret;
                if (c.exact) {
                  // The string functions' bytes include the zeros their word store put after the NUL.
                  back.bytes.set(c.bytes, pos);
                  if (anyUnknown) unknown.fill(0, pos, pos + c.bytes.length);
                } else {
                  forget(pos, pos + n);
                  zeroTail = k.fn === 'sleepable';
                }
              } else if (O.kindBounds(view ?? { kind: g.spec.kind, offset: 0n, size: 0n, rdonly: false }, off, len, false) !== 0) {
                want = O.E2BIG;
              } else if (!k.str) {
                want = 0;
                for (let at = 0; at < n && want === 0; at += 256) {
                  const chunk = Math.min(256, n - at);
                  const c = O.userCopy(k.fn, src === null ? null : src.subarray(Math.min(at, src.length)), chunk, addr + BigInt(at));
                  want = c.ret !== 0 ? c.ret : view === null || view.rdonly ? O.EINVAL : put(pos + at, c.bytes, chunk);
                }
              } else {
                want = 0;
                for (let at = 0; at < n;) {
                  const chunk = Math.min(256, n - at);
                  const c = O.userCopy(k.fn, src === null ? null : src.subarray(Math.min(at, src.length)), chunk, addr + BigInt(at));
                  // Only the string and its NUL (c.ret bytes) of the chunk buffer reach the dynptr.
                  if (c.ret < 0) { want = c.ret; break; }
                  const w = view === null || view.rdonly ? O.EINVAL : put(pos + at, c.bytes, c.ret);
                  if (w !== 0) { want = w; break; }
                  if (c.ret < chunk || chunk === 1) { want = at + c.ret; break; }
                  at += chunk - 1;
                  want = at;
                }
              }
              expectIs(call(), want);
              if (zeroTail) {
                // copy_from_user: whatever was copied is the user's bytes, and everything after it is zeroed.
                const got = back.model().subarray(pos, pos + n);
                let z = n;
                while (z > 0 && got[z - 1] === 0) z -= 1;
                let p = 0;
                while (p < Math.min(n, user.length) && got[p] === user[p]) p += 1;
                expectIs(z <= p, true);
              }
            }
            // After every call the object holds what the oracle holds (but the bytes a fault left to the architecture).
            if (g.nullIt !== 0 && back.kind !== 'ringbuf') expectIs(agrees(back.model()), true);
            if (back.pkt?.kind === 'skb' && g.spec.kind === 'skb') expectIs(s.packetView(s.world.packets.keys().next().value as number).linear, back.pkt.headlen);
          }
          if (back.kind === 'ringbuf' && built.view !== null) expectIs(agrees(back.model()), true);
        },
      ),
    );
  });
});
