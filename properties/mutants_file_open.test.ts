/**
 * Properties added to kill mutants (docs/properties.md, "Mutation testing"): FILE dynptr reads made by
 * an `lsm/file_open` or `lsm.s/file_open` program, of the file being opened (the hook's context) or
 * of the task's executable. Expected values come from SEMANTICS.md, computed here.
 */
import fc from 'fast-check';
import { describe, test } from 'vitest';
import { content, program as P, Session, type BpfObject } from '../src/index.ts';
import { expectIs } from './fast_expect.ts';

const { r, imm, NULL, dynptr, buf, call, label, goto, ret, when, store, ctxFile } = P;

const PAGE = 4096;
const EXE = '/bin/app';
const TRIGGER = '/tmp/trigger';
const EINVAL = -22n;
const EFAULT = -14n;

interface Case {
  readonly sleepable: boolean;
  readonly target: 'opened' | 'exe';
  /** Sizes of the executable and of the opened file, in whole pages plus a tail. */
  readonly pages: number;
  readonly tail: number;
  /** Pages of the target cached before the open (indices < pages). */
  readonly cached: readonly number[];
  readonly off: number;
  readonly len: number;
}

const arb: fc.Arbitrary<Case> = fc
  .record({
    sleepable: fc.boolean(),
    target: fc.constantFrom('opened' as const, 'exe' as const),
    pages: fc.integer({ min: 1, max: 3 }),
    tail: fc.integer({ min: 1, max: PAGE - 1 }),
    cached: fc.subarray([0, 1, 2, 3]),
    offFrac: fc.double({ min: 0, max: 1, noNaN: true }),
    len: fc.oneof(fc.constantFrom(0, 1, 100, PAGE - 1, PAGE, PAGE + 1), fc.integer({ min: 0, max: 2 * PAGE })),
  })
  .map(({ offFrac, ...c }) => {
    const size = c.pages * PAGE + c.tail;
    // Keep every page the read looks up inside the file (no page wholly past EOF).
    const len = Math.min(c.len, size - 1);
    const off = Math.floor(offFrac * (size - Math.max(len, 1)));
    return { ...c, len, off, cached: c.cached.filter((p) => p <= c.pages) };
  });

function object(c: Case): BpfObject {
  const exe = c.target === 'exe';
  return {
    name: 'open_reader',
    maps: [],
    globals: [{ name: 'from', kind: 'int', init: 12345 }, { name: 'ret', kind: 'int', init: 12345 }, { name: 'b', kind: 'bytes', size: 2 * PAGE }],
    programs: [{
      name: 'on_open', section: c.sleepable ? 'lsm.s/file_open' : 'lsm/file_open', body: [
        ...(exe ? [call('bpf_get_current_task_btf', [], 'r6'), call('bpf_get_task_exe_file', [r('r6')], 'r7'), goto('out', when('r7', '==', NULL))] : []),
        call('bpf_dynptr_from_file', [exe ? r('r7') : ctxFile, imm(0), dynptr('d')], 'r0'),
        store('from', r('r0')),
        call('bpf_dynptr_read', [buf('b'), imm(c.len), dynptr('d'), imm(c.off), imm(0)], 'r0'),
        store('ret', r('r0')),
        call('bpf_dynptr_file_discard', [dynptr('d')]),
        ...(exe ? [call('bpf_put_file', [r('r7')])] : []),
        label('out'),
        ret(imm(0)),
      ],
    }],
    subprogs: [],
  };
}

/** The pages a read of `[off, off + len)` looks up: at least the one at `off` ("A zero-length read still looks up the folio"). */
function touched(off: number, len: number): number[] {
  const out: number[] = [];
  for (let p = Math.floor(off / PAGE); p <= Math.floor((off + Math.max(len, 1) - 1) / PAGE); p += 1) out.push(p);
  return out;
}

describe('mutants: reads from a file_open hook', () => {
  test('mutants: a sleepable lsm.s/file_open reader of the file being opened gets -EINVAL; other readers follow the reader rules', () => {
    // SEMANTICS.md, observed on 7.2: "A sleepable `lsm.s/file_open` program reading **the file being
    // opened** gets `-EINVAL` for every read, cached or not, though `from_file` returned 0 … Reading
    // the exe file there works." Otherwise: "a page not in the page cache or not uptodate in a
    // **non-sleepable** reader → `-EFAULT`"; "sleepable reader waits for the page to be read" (0).
    fc.assert(fc.property(arb, (c) => {
      const s = new Session();
      const size = c.pages * PAGE + c.tail;
      s.createFile({ path: EXE, content: content.pattern(3), size });
      s.createFile({ path: TRIGGER, content: content.pattern(4), size });
      const path = c.target === 'exe' ? EXE : TRIGGER;
      for (const p of c.cached) s.populate(path, p * PAGE, PAGE);
      s.load(object(c));
      s.spawn({ comm: 'opener', exe: EXE, script: [{ sys: 'open', path: TRIGGER, fd: 't' }, { sys: 'close', fd: 't' }] });
      s.simulate();
      expectIs(s.global('from'), 0n);
      const cold = touched(c.off, c.len).some((p) => !c.cached.includes(p));
      const want = c.sleepable ? (c.target === 'opened' ? EINVAL : 0n) : cold ? EFAULT : 0n;
      expectIs(s.global('ret'), want);
    }));
  });
});
