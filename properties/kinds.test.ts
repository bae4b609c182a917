/**
 * P9 verifier soundness over the dynptr kinds of issue 14: programs of RINGBUF, SKB and XDP dynptrs
 * (with a clone, a second ring record, a LOCAL or an SKB_META dynptr), the dynptr kfuncs, the ring
 * buffer helpers and the packet helpers, run on packets as `BPF_PROG_TEST_RUN` builds them — the
 * generator of the host conformance tier (conformance/generate-kinds.ts), whose programs the real
 * kernel runs too. A program the verifier model accepts runs to its end without a fault and leaves
 * no ring record reserved (every reservation is submitted or discarded, even a failed one); each
 * mutation the verifier exists to refuse is refused, and misbehaves when run anyway.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { expectIs } from './fast_expect.ts';
import { renderC, Session, UseAfterFreeError, verify, type BpfObject } from '../src/index.ts';
import { acceptedOrSkip, loaded619 } from './harness.ts';
import { buildKindCase, genKindArb, type GenKindCase, type KindMutation } from '../conformance/generate-kinds.ts';
import type { ConfCase } from '../conformance/cases/lib.ts';

/** Load and run the case (unverified: as the kernel would run it without its verifier). */
function run(c: ConfCase, unverified = false): Session {
  return runLoaded(loaded619(c.object, unverified), c);
}

/** Run the loaded case: its test run, or a task that runs it once and exits. */
function runLoaded(s: Session, c: ConfCase): Session {
  if (c.run !== undefined) {
    const ctx = c.run.ctx === undefined ? undefined : { ...(c.run.ctx.data === undefined ? {} : { data: c.run.ctx.data }), ...(c.run.ctx.dataEnd === undefined ? {} : { dataEnd: c.run.ctx.dataEnd }) };
    s.progTestRun(c.id, { data: c.run.data, dataSizeOut: c.run.dataSizeOut, ...(ctx === undefined ? {} : { ctx }) });
  } else {
    s.spawn({ comm: 'p9', script: [{ sys: 'prog_test_run', prog: c.id }, { sys: 'exit' }] });
    s.simulate();
  }
  return s;
}

const busy = (s: Session, c: ConfCase): number => (c.rings ?? []).reduce((n, r) => n + s.ringbuf(r).busy, 0);
const explain = (obj: BpfObject): string => renderC(obj);
/**
 * A ring dynptr in d whose clone in e is live until the release, in a `syscall` program (always run:
 * a packet program's test run may refuse its packet); ops that need a packet are dropped.
 */
const withClone = (g: GenKindCase): GenKindCase => ({
  ...g, family: 'ring', second: 'clone', section: 'syscall', packet: null,
  ops: g.ops.filter((op) => op.k !== 'pull' && op.k !== 'adjustHead' && op.k !== 'ctxLen' && !(op.k === 'slice' && op.rdwr)),
});

describe('P9 verifier soundness: RINGBUF, SKB and XDP dynptrs in programs', () => {
  test('P9 an accepted program over the new kinds runs to its end without a fault and leaves no ring record reserved', () => {
    const mutations: KindMutation[] = ['none', 'none', 'drop_release', 'use_clone_after_release'];
    fc.assert(fc.property(genKindArb, fc.constantFrom(...mutations), (g, mutation) => {
      const c = buildKindCase('p', mutation === 'use_clone_after_release' ? withClone(g) : g, mutation);
      const s = acceptedOrSkip(() => loaded619(c.object));
      try {
        runLoaded(s, c);
      } catch (e) {
        throw new Error(`accepted, then faulted: ${e instanceof Error ? e.message : String(e)}\n${explain(c.object)}`);
      }
      expectIs([...s.world.tasks.values()].every((t) => t.state === 'dead'), true);
      expectIs(busy(s, c), 0, () => explain(c.object));
      expectIs(s.world.dynptrs.size, 0);
    }), { maxSkipsPerRun: 1000 });
  });

  test('P9 the generated programs (slices used at once, rdwr only where packets are writable, every record released) are accepted', () => {
    fc.assert(fc.property(genKindArb, (g) => {
      const c = buildKindCase('p', g);
      const [v] = verify(c.object, '6.19');
      expectIs(v?.ok, true, () => `${v?.message ?? ''}\n${explain(c.object)}`);
    }));
  });

  test('P9 a ring record never released: "Unreleased reference", and run anyway, the record stays reserved', () => {
    fc.assert(fc.property(genKindArb.filter((g) => g.family === 'ring' || g.second === 'ring'), (g) => {
      const c = buildKindCase('w', g, 'drop_release');
      const [v] = verify(c.object, '6.19');
      expectIs(v?.ok, false);
      expect(v?.message ?? '').toMatch(/^Unreleased reference id=\d+ alloc_insn=\d+$/);
      const s = run(c, true);
      // A failed reservation (size, flags, a full ring) reserves nothing: then nothing is left over.
      const reserved = s.events().filter((e) => e.kind === 'kfunc' && e.name === 'bpf_ringbuf_reserve_dynptr' && e.ret === '0').length;
      expectIs(busy(s, c), reserved);
    }), { numRuns: Math.min(100, Number(process.env.KERNSIM_RUNS ?? 100)) });
  });

  test('P9 a clone read after its record was released: refused, and run anyway, a use after free', () => {
    fc.assert(fc.property(genKindArb, (g0) => {
      const g: GenKindCase = { ...withClone(g0), first: { size: 64n, flags: 0n }, ops: [] };
      const c = buildKindCase('w', g, 'use_clone_after_release');
      const [v] = verify(c.object, '6.19');
      expectIs(v?.ok, false);
      expect(v?.message ?? '').toMatch(/^Expected an initialized dynptr as arg #2$/);
      expect(() => run(c, true)).toThrow(UseAfterFreeError);
    }), { numRuns: Math.min(50, Number(process.env.KERNSIM_RUNS ?? 100)) });
  });
});
