/**
 * Properties added to kill mutants (docs/properties.md, "Mutation testing"): what the verifier rejects,
 * on generated programs with one known defect, and that the same programs without it are accepted.
 *
 * Rules and messages: SEMANTICS.md "Verifier messages (selftests)" (file_reader_fail.c, task_work_fail.c,
 * verifier_async_cb_context.c) and "Program types that may call bpf_dynptr_from_file"; semantics/
 * task_work.md §3.3 (load-time errors and their messages, 6.18/6.19 and 7.0 spellings), §5 (KF_TRUSTED_ARGS:
 * `task`, `tw`, `map__map` non-NULL; the callback is a static subprogram, verified as sleepable, and must
 * release what it acquires; `bpf_get_task_exe_file` / `bpf_put_file` only in LSM programs), §6.2
 * (task_work_fail.c cases with their 6.18/6.19 and 7.0 messages), §7 (the verifier specializes
 * `bpf_dynptr_from_file` to `_sleepable` in a sleepable context); §0 / SEMANTICS.md "Version" (which
 * kfunc names exist in which version). docs/conformance.md: `bpf_dynptr_slice_rdwr` needs a program type
 * that may write packet data (observed on 6.18). Two messages read in kernel/bpf/verifier.c:
 * `check_kfunc_call` prints "calling kernel function %s is not allowed" for a kfunc outside the program
 * type's set (-EACCES); `destroy_if_dynptr_stack_slot` prints "cannot overwrite referenced dynptr" when a
 * slot holding a refcounted dynptr (a FILE dynptr or its clone) is written. The expected message is computed here from the version's
 * spelling: 6.18/6.19 name arguments (`arg #0`, `trusted arg1`, `arg#1`), 7.x registers (R<n+1>).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { expectEqual, expectIs, expectMatch, expectMatches } from './fast_expect.ts';
import { program as P, verify, type BpfObject, type KernelVersion, type Op } from '../src/index.ts';

const { r, imm, NULL, map, tw, cb, call, buf, dynptr, label, goto, ret, when, mov, alu } = P;

type Version = '6.19' | '7.0' | '7.2';
const byArg = (v: KernelVersion): boolean => v === '6.18' || v === '6.19';

/** "Possibly NULL pointer passed to trusted arg<i>" (6.18/6.19) or "… trusted R<i+1>" (7.x). */
const possiblyNull = (v: KernelVersion, i: number): string => `Possibly NULL pointer passed to trusted ${byArg(v) ? `arg${i}` : `R${i + 1}`}`;
const notMapValue = (v: KernelVersion, i: number): string => `${byArg(v) ? `arg#${i}` : `R${i + 1}`} doesn't point to a map value`;
const notInitialized = (v: KernelVersion, i: number): string => `Expected an initialized dynptr as ${byArg(v) ? `arg #${i}` : `R${i + 1}`}`;
const notFileKind = (v: KernelVersion, i: number): string => `Expected a dynptr of type file as ${byArg(v) ? `arg #${i}` : `R${i + 1}`}`;

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// ---------------------------------------------------------------------------------------------
// task_work programs

type TwDefect =
  | 'none' | 'tw_null' | 'map_null' | 'task_null' | 'tw_not_map_value' | 'map_mismatch' | 'no_tw_field'
  | 'no_null_check' | 'map_not_map' | 'cb_not_static' | 'cb_not_func' | 'cb_leak';

type CbBody = 'count' | 'copy_from_user' | 'file_read';

interface TwProg {
  readonly version: Version | '6.18';
  readonly section: 'perf_event' | 'syscall' | 'lsm/file_open' | 'lsm.s/file_open' | 'fentry/do_sys_open';
  readonly mapType: 'array' | 'hash' | 'lru_hash';
  readonly mode: 'signal' | 'resume';
  readonly cbBody: CbBody;
  readonly defect: TwDefect;
}

const LSM = (s: TwProg['section']): boolean => s.startsWith('lsm');

const twArb: fc.Arbitrary<TwProg> = fc.record({
  version: fc.constantFrom('6.18' as const, '6.19' as const, '7.0' as const, '7.2' as const),
  section: fc.constantFrom('perf_event' as const, 'syscall' as const, 'lsm/file_open' as const, 'lsm.s/file_open' as const, 'fentry/do_sys_open' as const),
  mapType: fc.constantFrom('array' as const, 'hash' as const, 'lru_hash' as const),
  mode: fc.constantFrom('signal' as const, 'resume' as const),
  cbBody: fc.constantFrom<CbBody>('count', 'copy_from_user', 'file_read'),
  defect: fc.constantFrom<TwDefect>('none', 'none', 'tw_null', 'map_null', 'task_null', 'tw_not_map_value', 'map_mismatch', 'no_tw_field', 'no_null_check', 'map_not_map', 'cb_not_static', 'cb_not_func', 'cb_leak'),
}).map((g) => (g.cbBody === 'file_read' && (!LSM(g.section) || g.version === '6.18') ? { ...g, cbBody: 'count' as const } : g))
  // The exe-file kfuncs the leaking callback calls exist only for LSM programs.
  .map((g) => (g.defect === 'cb_leak' && !LSM(g.section) ? { ...g, section: 'lsm/file_open' as const } : g));

/** The callback: counts its runs; or copies a user string (a sleepable kfunc); or reads the exe through a file dynptr. */
function callbackBody(g: TwProg): Op[] {
  const count: Op[] = [mov('r9', imm(1)), alu('add', 'r9', imm(1))];
  const body: Op[] = [...count];
  if (g.cbBody === 'copy_from_user') body.push(call('bpf_copy_from_user_str', [buf('buf'), imm(8), imm(0x1000), imm(0)], 'r0'));
  if (g.cbBody === 'file_read' || g.defect === 'cb_leak') {
    body.push(call('bpf_get_current_task_btf', [], 'r6'), call('bpf_get_task_exe_file', [r('r6')], 'r7'), goto('done', when('r7', '==', NULL)));
    if (g.cbBody === 'file_read') {
      body.push(
        call('bpf_dynptr_from_file', [r('r7'), imm(0), dynptr('d')], 'r0'),
        call('bpf_dynptr_read', [buf('buf'), imm(8), dynptr('d'), imm(0), imm(0)], 'r0'),
        call('bpf_dynptr_file_discard', [dynptr('d')]),
      );
    }
    if (g.defect !== 'cb_leak') body.push(call('bpf_put_file', [r('r7')]));
    body.push(label('done'));
  }
  body.push(ret(imm(0)));
  return body;
}

function twObject(g: TwProg): BpfObject {
  const plain = g.version === '7.0' || g.version === '7.2';
  const fn = `bpf_task_work_schedule_${g.mode}${plain ? '' : '_impl'}`;
  const from = g.defect === 'no_tw_field' ? 'plain' : 'twmap';
  const mapArg = g.defect === 'map_null' ? NULL : g.defect === 'map_mismatch' ? map('other') : g.defect === 'map_not_map' ? r('r7') : map(from);
  const twArg = g.defect === 'tw_null' ? NULL : g.defect === 'tw_not_map_value' ? P.addr('stack_tw') : tw('r6');
  const taskArg = g.defect === 'task_null' ? NULL : r('r7');
  const cbArg = g.defect === 'cb_not_func' ? imm(0) : cb('cb');
  const args = [taskArg, twArg, mapArg, cbArg, ...(plain ? [] : [NULL])];
  const body: Op[] = [
    call('bpf_map_lookup_elem', [map(from), imm(0)], 'r6'),
    ...(g.defect === 'no_null_check' ? [] : [goto('out', when('r6', '==', NULL))]),
    call('bpf_get_current_task_btf', [], 'r7'),
    call(fn, args, 'r0'),
    label('out'),
    ret(imm(0)),
  ];
  return {
    name: 'twgen',
    maps: [
      { name: 'twmap', type: g.mapType, maxEntries: 1, valueSize: 16, taskWorkFields: 1 },
      { name: 'other', type: 'hash', maxEntries: 1, valueSize: 16, taskWorkFields: 1 },
      { name: 'plain', type: 'array', maxEntries: 1, valueSize: 16, taskWorkFields: 0 },
    ],
    globals: [{ name: 'buf', kind: 'bytes', size: 16 }],
    // task_work_fail.c's no_map_task_work: `&tw` of a stack `struct bpf_task_work`.
    programs: [{ name: 'prog', section: g.section, body, locals: [P.local('stack_tw', 'task_work')] }],
    subprogs: [{ name: 'cb', isStatic: g.defect !== 'cb_not_static', body: callbackBody(g) }],
  };
}

/** The expected verdict: null for accepted, else a pattern the message must match. */
function twExpected(g: TwProg): RegExp | null {
  const v = g.version;
  switch (g.defect) {
    case 'none': return null;
    case 'tw_null': return new RegExp(`^${escape(possiblyNull(v, 1))}$`);
    case 'no_null_check': return new RegExp(`^${escape(possiblyNull(v, 1))}$`);
    case 'map_null': return new RegExp(`^${escape(possiblyNull(v, 2))}$`);
    case 'task_null': return new RegExp(`^${escape(possiblyNull(v, 0))}$`);
    case 'tw_not_map_value': return new RegExp(`^${escape(notMapValue(v, 1))}$`);
    case 'map_mismatch': return /doesn't match map pointer in R3/;
    case 'no_tw_field': return /^map 'plain' has no valid bpf_task_work$/;
    case 'map_not_map': return /^pointer in R3 isn't map pointer$/;
    case 'cb_not_static': return /^callback function not static$/;
    case 'cb_not_func': return byArg(v) ? /^arg3 expected pointer to func$/ : /expected pointer to func$/; // 7.x spelling not known
    case 'cb_leak': return /^Unreleased reference id=\d+ alloc_insn=\d+/;
  }
}

describe('mutants: the verifier on task_work programs', () => {
  test('mutants: task_work_fail.c defects are rejected with the version\'s message; a well-formed program is accepted, its callback verified as sleepable', () => {
    fc.assert(fc.property(twArb, (g) => {
      const obj = twObject(g);
      const [v] = verify(obj, g.version);
      expectIs(v?.program, 'prog');
      const want = twExpected(g);
      if (want === null) {
        // verifier_async_cb_context.c: a task_work callback is sleepable even when scheduled from a
        // non-sleepable program (perf_event, fentry, lsm/), so bpf_copy_from_user_str is fine in it.
        expectMatch(v, { ok: true, message: null, insn: null });
        // §7: the call site of bpf_dynptr_from_file in the (sleepable) callback is specialized.
        const spec = v!.specializations.filter((s) => s.to === 'bpf_dynptr_from_file_sleepable');
        expectIs(spec.length, g.cbBody === 'file_read' ? 1 : 0);
        if (g.cbBody === 'file_read') expectMatch(spec[0], { from: 'bpf_dynptr_from_file', insn: obj.subprogs[0]!.body.findIndex((o) => o.op === 'call' && o.fn === 'bpf_dynptr_from_file') });
      } else {
        expectIs(v?.ok, false);
        expectMatches(v?.message ?? '', want);
        expectIs(typeof v?.insn, 'number');
      }
    }));
  });

  test('mutants: the kfunc names of another version are refused; the exe-file kfuncs only in LSM programs', () => {
    // SEMANTICS.md "Version": 7.0 renames the task_work kfuncs and removes the _impl names; 6.18 has
    // no file dynptr. task_work.md §5.7: bpf_get_task_exe_file / bpf_put_file are allowed only in LSM
    // programs (bpf_fs_kfuncs_filter).
    fc.assert(fc.property(twArb, fc.boolean(), (g0, swapNames) => {
      const g: TwProg = { ...g0, defect: 'none' };
      const plain = g.version === '7.0' || g.version === '7.2';
      const obj = twObject(g);
      if (swapNames) {
        const wrong = `bpf_task_work_schedule_${g.mode}${plain ? '_impl' : ''}`;
        const args = plain ? [r('r7'), tw('r6'), map('twmap'), cb('cb'), NULL] : [r('r7'), tw('r6'), map('twmap'), cb('cb')];
        const body = obj.programs[0]!.body.map((o) => (o.op === 'call' && o.fn.startsWith('bpf_task_work_schedule') ? call(wrong, args, 'r0') : o));
        const [v] = verify({ ...obj, programs: [{ ...obj.programs[0]!, body }] }, g.version);
        expectIs(v?.ok, false);
        expect(v?.message ?? '').toContain(wrong);
        return;
      }
      // The exe file from a non-LSM program's callback: refused (the callback runs with the program's type).
      const withFile: TwProg = { ...g, cbBody: 'file_read' };
      const [v] = verify(twObject(withFile), g.version);
      if (LSM(g.section) && g.version !== '6.18') expectMatch(v, { ok: true });
      else {
        expectIs(v?.ok, false);
        expectMatches(v?.message ?? '', g.version === '6.18' ? /bpf_dynptr_(from_file|file_discard)/ : /bpf_get_task_exe_file/);
      }
    }));
  });
});

// ---------------------------------------------------------------------------------------------
// dynptr programs

type DynOp = 'read' | 'write' | 'adjust' | 'size' | 'is_null' | 'is_rdonly' | 'clone' | 'slice' | 'data' | 'discard';
/** The index of the dynptr argument of each operation. */
const DYNPTR_ARG: Readonly<Record<DynOp, number>> = { read: 2, write: 0, adjust: 0, size: 0, is_null: 0, is_rdonly: 0, clone: 0, slice: 0, data: 0, discard: 0 };

function dynCall(o: DynOp, slot: string, cloneTo = 'c'): Op {
  switch (o) {
    case 'read': return call('bpf_dynptr_read', [buf('buf'), imm(4), dynptr(slot), imm(0), imm(0)], 'r0');
    case 'write': return call('bpf_dynptr_write', [dynptr(slot), imm(0), buf('buf'), imm(4), imm(0)], 'r0');
    case 'adjust': return call('bpf_dynptr_adjust', [dynptr(slot), imm(0), imm(4)], 'r0');
    case 'size': return call('bpf_dynptr_size', [dynptr(slot)], 'r0');
    case 'is_null': return call('bpf_dynptr_is_null', [dynptr(slot)], 'r0');
    case 'is_rdonly': return call('bpf_dynptr_is_rdonly', [dynptr(slot)], 'r0');
    case 'clone': return call('bpf_dynptr_clone', [dynptr(slot), dynptr(cloneTo)], 'r0');
    case 'slice': return call('bpf_dynptr_slice', [dynptr(slot), imm(0), buf('buf'), imm(4)], 'r0');
    case 'data': return call('bpf_dynptr_data', [dynptr(slot), imm(0), imm(4)], 'r0');
    case 'discard': return call('bpf_dynptr_file_discard', [dynptr(slot)]);
  }
}

type DynDefect = 'none' | 'no_discard' | 'use_after_discard' | 'never_initialized' | 'discard_local' | 'kprobe' | 'overwrite_file' | 'put_unchecked' | 'slice_rdwr';

interface DynProg {
  readonly version: Version;
  readonly section: 'lsm/file_open' | 'lsm.s/file_open';
  readonly ops: readonly DynOp[];
  readonly useOp: DynOp;
  readonly defect: DynDefect;
}

const dynOps: readonly DynOp[] = ['read', 'write', 'adjust', 'size', 'is_null', 'is_rdonly', 'clone', 'slice', 'data'];

const dynArb: fc.Arbitrary<DynProg> = fc.record({
  version: fc.constantFrom<Version>('6.19', '7.0', '7.2'),
  section: fc.constantFrom('lsm/file_open' as const, 'lsm.s/file_open' as const),
  ops: fc.array(fc.constantFrom(...dynOps), { maxLength: 4 }),
  useOp: fc.constantFrom(...dynOps),
  defect: fc.constantFrom<DynDefect>('none', 'none', 'no_discard', 'use_after_discard', 'never_initialized', 'discard_local', 'kprobe', 'overwrite_file', 'put_unchecked', 'slice_rdwr'),
});

function dynObject(g: DynProg): BpfObject {
  if (g.defect === 'no_discard') {
    // file_reader_fail.c: a FILE dynptr over a file the program did not acquire (here the hook's
    // argument), never discarded.
    const body: Op[] = [call('bpf_dynptr_from_file', [P.ctxFile, imm(0), dynptr('d')], 'r0'), ...g.ops.map((o, i) => dynCall(o, 'd', `c${i}`)), ret(imm(0))];
    return { name: 'dyngen', maps: [], globals: [{ name: 'buf', kind: 'bytes', size: 16 }], programs: [{ name: 'prog', section: g.section, body }], subprogs: [] };
  }
  const body: Op[] = [
    call('bpf_get_current_task_btf', [], 'r6'),
    call('bpf_get_task_exe_file', [r('r6')], 'r7'),
    ...(g.defect === 'put_unchecked' ? [] : [goto('out', when('r7', '==', NULL))]),
    call('bpf_dynptr_from_file', [r('r7'), imm(0), dynptr('d')], 'r0'),
  ];
  // Each clone goes to a slot of its own.
  g.ops.forEach((o, i) => body.push(dynCall(o, 'd', `c${i}`)));
  if (g.defect === 'never_initialized') body.push(dynCall(g.useOp, 'x'));
  if (g.defect === 'overwrite_file') body.push(call('bpf_dynptr_from_mem', [buf('buf'), imm(8), imm(0), dynptr('d')], 'r0'));
  if (g.defect === 'slice_rdwr') body.push(call('bpf_dynptr_slice_rdwr', [dynptr('d'), imm(0), buf('buf'), imm(4)], 'r0'));
  if (g.defect === 'discard_local') body.push(call('bpf_dynptr_from_mem', [buf('buf'), imm(8), imm(0), dynptr('m')], 'r0'), dynCall('discard', 'm'));
  body.push(dynCall('discard', 'd'));
  if (g.defect === 'use_after_discard') body.push(dynCall(g.useOp, 'd'));
  body.push(call('bpf_put_file', [r('r7')]), label('out'), ret(imm(0)));
  const section = g.defect === 'kprobe' ? 'kprobe/do_sys_open' : g.section;
  return { name: 'dyngen', maps: [], globals: [{ name: 'buf', kind: 'bytes', size: 16 }], programs: [{ name: 'prog', section, body }], subprogs: [] };
}

/** A clone of the FILE dynptr holds its reference when the original is overwritten, and the version lets it (7.x). */
const cloneHoldsRef = (g: DynProg): boolean => (g.version === '7.0' || g.version === '7.2') && g.ops.includes('clone');

function dynExpected(g: DynProg): RegExp | null {
  const v = g.version;
  switch (g.defect) {
    case 'none': return null;
    case 'no_discard': return /^Unreleased reference id=\d+ alloc_insn=0$/; // the from_file call, op 0
    case 'use_after_discard':
    case 'never_initialized': return new RegExp(`^${escape(notInitialized(v, DYNPTR_ARG[g.useOp]))}$`);
    case 'discard_local': return new RegExp(`^${escape(notFileKind(v, 0))}$`);
    case 'kprobe': return /^calling kernel function bpf_get_task_exe_file is not allowed$/;
    // 7.x (dynptr_fail.c's dynptr_overwrite_ref_with_clone): while a clone holds the reference the
    // original may be overwritten; the program then fails where it discards the (now LOCAL) original.
    case 'overwrite_file': return cloneHoldsRef(g) ? new RegExp(`^${escape(notFileKind(v, 0))}$`) : /^cannot overwrite referenced dynptr$/;
    case 'put_unchecked': return new RegExp(`^${escape(possiblyNull(v, 0))}$`);
    case 'slice_rdwr': return /^the prog does not allow writes to packet data$/;
  }
}

describe('mutants: the verifier on file dynptr programs', () => {
  test('mutants: file_reader_fail.c defects and their kin are rejected with the version\'s message; the well-formed program is accepted', () => {
    fc.assert(fc.property(dynArb, (g) => {
      const obj = dynObject(g);
      const [v] = verify(obj, g.version);
      const want = dynExpected(g);
      if (want === null) {
        expectMatch(v, { ok: true, message: null, insn: null });
        // §7: from_file is specialized in a sleepable program (lsm.s/), not in lsm/.
        const sleepable = g.section === 'lsm.s/file_open';
        expectEqual(v!.specializations, sleepable ? [{ insn: 3, from: 'bpf_dynptr_from_file', to: 'bpf_dynptr_from_file_sleepable' }] : []);
      } else {
        expectIs(v?.ok, false);
        expectMatches(v?.message ?? '', want);
        // The rejected instruction is the defective one where it is a single call.
        const at = obj.programs[0]!.body;
        if (g.defect === 'discard_local') expectIs(v?.insn, at.findIndex((o) => o.op === 'call' && o.fn === 'bpf_dynptr_file_discard'));
        if (g.defect === 'overwrite_file') expectIs(v?.insn, at.findIndex((o) => o.op === 'call' && o.fn === (cloneHoldsRef(g) ? 'bpf_dynptr_file_discard' : 'bpf_dynptr_from_mem')));
        if (g.defect === 'kprobe') expectIs(v?.insn, 1);
      }
    }));
  });

  test('mutants: a LOCAL dynptr needs no release, and a clone of a FILE dynptr is released with it', () => {
    // SEMANTICS.md: only a FILE dynptr holds a reference that must be discarded ("Unreleased reference"
    // for a file dynptr not discarded); clones share the state, "discarding one invalidates all".
    fc.assert(fc.property(fc.constantFrom<Version>('6.19', '7.0'), fc.array(fc.constantFrom(...dynOps), { maxLength: 4 }), fc.constantFrom(...dynOps), fc.boolean(), (version, ops, useOp, viaClone) => {
      const local: Op[] = [call('bpf_dynptr_from_mem', [buf('buf'), imm(8), imm(0), dynptr('m')], 'r0'), ...ops.map((o) => dynCall(o, 'm')), ret(imm(0))]; // LOCAL clones hold nothing: 'c' may be overwritten
      const [a] = verify({ name: 'l', maps: [], globals: [{ name: 'buf', kind: 'bytes', size: 16 }], programs: [{ name: 'p', section: 'syscall', body: local }], subprogs: [] }, version);
      expectMatch(a, { ok: true });
      const g: DynProg = { version, section: 'lsm/file_open', ops: ['clone'], useOp, defect: 'none' };
      const obj = dynObject(g);
      const body = [...obj.programs[0]!.body];
      const discardAt = body.findIndex((o) => o.op === 'call' && o.fn === 'bpf_dynptr_file_discard');
      // Discard through the clone, then use the original (or the reverse): both are gone.
      body[discardAt] = dynCall('discard', viaClone ? 'c0' : 'd');
      body.splice(discardAt + 1, 0, dynCall(useOp, viaClone ? 'd' : 'c0', 'c1'));
      const [v] = verify({ ...obj, programs: [{ ...obj.programs[0]!, body }] }, version);
      expectIs(v?.ok, false);
      expectIs(v?.message, notInitialized(version, DYNPTR_ARG[useOp]));
      expectIs(v?.insn, discardAt + 1);
    }));
  });
});

// ---------------------------------------------------------------------------------------------
// sections, paths, constants

/**
 * libbpf's section table (tools/lib/bpf/libbpf.c `section_defs`): the program type and whether the
 * program is sleepable (SEC_SLEEPABLE: `lsm.s+`, `fentry.s+`, `syscall`). A section libbpf does not
 * know is refused before the kernel sees the program.
 */
const SECTIONS: readonly (readonly [string, string | null, boolean])[] = [
  ['lsm/file_open', 'LSM', false], ['lsm.s/file_open', 'LSM', true], ['fentry/do_sys_open', 'TRACING', false],
  ['fentry.s/do_sys_open', 'TRACING', true], ['fexit/do_sys_open', 'TRACING', false], ['tp_btf/sched_switch', 'TRACING', false],
  ['kprobe/do_sys_open', 'KPROBE', false], ['tracepoint/syscalls/sys_enter_openat', 'TRACEPOINT', false], ['syscall', 'SYSCALL', true],
  ['perf_event', 'PERF_EVENT', false], ['socket', 'SOCKET_FILTER', false], ['tc', 'SCHED_CLS', false], ['classifier', 'SCHED_CLS', false],
  ['xdp', 'XDP', false], ['no_such_section', null, false], ['lsm/', null, false], ['bogus/x', null, false],
];

const one = (section: string, body: Op[]): BpfObject => ({
  name: 'one', maps: [], globals: [{ name: 'buf', kind: 'bytes', size: 16 }], programs: [{ name: 'p', section, body }], subprogs: [],
});

describe('mutants: the verifier on program sections, paths and constants', () => {
  test('mutants: the section decides the program type and sleepability: sleepable kfuncs, bpf_dynptr_from_file (every type), writable slices (packet types only)', () => {
    // kernel/bpf/helpers.c: bpf_dynptr_from_file is in `common_btf_ids` (the common kfunc hook: every
    // program type, KPROBE too, whatever the kfunc's page says); KF_SLEEPABLE kfuncs only in sleepable
    // programs (P9's `program must be sleepable to call sleepable kfunc`); docs/conformance.md: slice_rdwr
    // needs direct packet write access (verifier.c may_access_direct_pkt_data: of the model's types,
    // SCHED_CLS and XDP).
    fc.assert(fc.property(fc.constantFrom<Version>('6.19', '7.0'), fc.constantFrom('sleepable', 'from_file', 'slice_rdwr'), (version, what) => {
     for (const [section, type, sleepable] of SECTIONS) {
      let body: Op[];
      if (what === 'sleepable') body = [call('bpf_copy_from_user_str', [buf('buf'), imm(8), imm(0x1000), imm(0)], 'r0'), ret(imm(0))];
      else if (what === 'from_file') body = [call('bpf_dynptr_from_file', [NULL, imm(0), dynptr('d')], 'r0'), ret(imm(0))];
      else body = [call('bpf_dynptr_from_mem', [buf('buf'), imm(8), imm(0), dynptr('m')], 'r0'), call('bpf_dynptr_slice_rdwr', [dynptr('m'), imm(0), buf('buf'), imm(4)], 'r0'), ret(imm(0))];
      const [v] = verify(one(section, body), version);
      expectIs(v?.program, 'p');
      if (type === null) {
        expectMatch(v, { ok: false, insn: null, states: 0 });
        // `lsm/` matches libbpf's `lsm+` entry but names no attach target: libbpf cannot find BTF for ''.
        expect(v?.message ?? '').toContain(section === 'lsm/' ? "failed to find kernel BTF type ID of ''" : section);
        continue;
      }
      if (what === 'sleepable') {
        if (sleepable) expectMatch(v, { ok: true });
        else expectMatch(v, { ok: false, insn: 0, message: 'program must be sleepable to call sleepable kfunc bpf_copy_from_user_str' });
      } else if (what === 'from_file') {
        // A NULL file is refused by KF_TRUSTED_ARGS, once the kfunc is allowed, as it is in every type.
        expectMatch(v, { ok: false, insn: 0, message: possiblyNull(version, 0) });
      } else if (type === 'SCHED_CLS' || type === 'XDP') {
        expectMatch(v, { ok: true });
      } else {
        expectMatch(v, { ok: false, insn: 1, message: 'the prog does not allow writes to packet data' });
      }
     }
    }));
  });

  const U = (x: bigint): bigint => BigInt.asUintN(64, x);
  const S = (x: bigint): bigint => BigInt.asIntN(64, x);
  const ALU = { add: (a: bigint, b: bigint) => U(a + b), sub: (a: bigint, b: bigint) => U(a - b), and: (a: bigint, b: bigint) => U(a) & U(b), or: (a: bigint, b: bigint) => U(a) | U(b), rsh: (a: bigint, b: bigint) => U(a) >> b, lsh: (a: bigint, b: bigint) => U(a << b) } as const;
  const CMP = {
    '==': (a: bigint, b: bigint) => U(a) === U(b), '!=': (a: bigint, b: bigint) => U(a) !== U(b), '<': (a: bigint, b: bigint) => U(a) < U(b),
    '<=': (a: bigint, b: bigint) => U(a) <= U(b), '>': (a: bigint, b: bigint) => U(a) > U(b), '>=': (a: bigint, b: bigint) => U(a) >= U(b),
    's<': (a: bigint, b: bigint) => S(a) < S(b), 's>': (a: bigint, b: bigint) => S(a) > S(b),
  } as const;
  const val = fc.oneof(fc.bigInt({ min: 0n, max: 8n }), fc.constantFrom(2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n, 2n ** 32n), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }));

  test('mutants: a branch whose outcome the constants decide is not explored on its dead side (a leak there is not reported); unknown values explore both', () => {
    // The verifier follows both sides of a conditional jump unless the registers' known constant values
    // decide it (verifier.c is_branch_taken); 64-bit ALU on constants wraps modulo 2^64 (BPF_ALU64).
    // The dead side here leaks a file reference ("Unreleased reference"), so the program is accepted iff
    // the jump over it is always taken. Shift amounts stay below 64 (larger ones the kernel refuses).
    // Every ALU operation and every comparison on each generated triple; the compared constant is the
    // ALU result itself, one off it, or any value, so that equal and adjacent values come up.
    fc.assert(fc.property(val, val, val, fc.constantFrom(-1n, 0n, 1n, null), fc.boolean(), (a, b0, c0, delta, unknown) => {
      for (const fn of Object.keys(ALU) as (keyof typeof ALU)[]) {
        const b = fn === 'rsh' || fn === 'lsh' ? b0 % 64n : b0;
        const c = delta === null ? c0 : U(ALU[fn](a, b) + delta);
        for (const cmp of Object.keys(CMP) as (keyof typeof CMP)[]) {
          const body: Op[] = [
            unknown ? call('bpf_get_current_pid_tgid', [], 'r8') : mov('r8', imm(a)),
            alu(fn, 'r8', imm(b)),
            goto('skip', when('r8', cmp, imm(c))),
            call('bpf_get_current_task_btf', [], 'r6'),
            call('bpf_get_task_exe_file', [r('r6')], 'r7'),
            label('skip'),
            ret(imm(0)),
          ];
          const [v] = verify(one('lsm/file_open', body), '6.19');
          // Known: the constants decide. Unknown: the verifier tracks bounds and known bits
          // (tnum, umin/umax), so it may prove a side dead; it must explore the leak side whenever a
          // concrete value reaches it (sampled here at the edges and at random).
          const samples = [0n, 1n, a, b0, c0, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n, 2n ** 32n, U(c0 - 1n), U(c0 + 1n)];
          const leakReachable = unknown ? samples.some((x) => !CMP[cmp](ALU[fn](x, b), c)) : !CMP[cmp](ALU[fn](a, b), c);
          if (!unknown && !leakReachable) expectMatch(v, { ok: true });
          // id 2: KF_RET_NULL gives R0 id 1, the acquired reference takes 2 (check_kfunc_call).
          if (leakReachable) expectMatch(v, { ok: false, message: 'Unreleased reference id=2 alloc_insn=4', insn: 6 });
        }
      }
    }));
  });

  test('mutants: a NULL check releases the reference on its NULL side; a register never written, a jump to nowhere, no exit and an endless loop are refused', () => {
    // verifier.c: on the NULL side of `if (file == NULL)` the acquired reference is gone
    // (mark_ptr_or_null_regs), so returning there leaks nothing; reading a register never written is
    // refused (check_reg_arg, "!read_ok"); so is a program whose last instruction is not an exit or a
    // jump, and a loop whose state repeats (is_state_visited, "infinite loop detected").
    fc.assert(fc.property(fc.constantFrom('null_side', 'unread', 'nowhere', 'no_exit', 'loop') , fc.constantFrom('==', '!=') , (what, cmp) => {
      let body: Op[];
      switch (what) {
        case 'null_side':
          body = [call('bpf_get_current_task_btf', [], 'r6'), call('bpf_get_task_exe_file', [r('r6')], 'r7'),
            goto('other', when('r7', cmp === '==' ? '!=' : '==', NULL)),
            // Here r7 is NULL (cmp '==' jumped away when not NULL) or not NULL.
            ...(cmp === '==' ? [ret(imm(0))] : [call('bpf_put_file', [r('r7')]), ret(imm(0))]),
            label('other'),
            ...(cmp === '==' ? [call('bpf_put_file', [r('r7')]), ret(imm(0))] : [ret(imm(0))])];
          break;
        case 'unread': body = [mov('r1', r('r9')), ret(imm(0))]; break;
        case 'nowhere': body = [goto('missing'), ret(imm(0))]; break;
        case 'no_exit': body = [mov('r1', imm(1))]; break;
        case 'loop': body = [label('top'), mov('r1', imm(1)), goto('top')]; break;
      }
      const [v] = verify(one('lsm/file_open', body), '6.19');
      if (what === 'null_side') expectMatch(v, { ok: true });
      else {
        expectIs(v?.ok, false);
        if (what === 'unread') expectMatches(v?.message ?? '', /r9 !read_ok$/i);
        if (what === 'loop') expectMatches(v?.message ?? '', /^infinite loop detected at insn \d+$/);
      }
    }));
  });
});

describe('mutants: the verifier on NULL checks and on the callback frame', () => {
  test('mutants: only a comparison with NULL (or 0) proves a map value non-NULL; the callback starts with R1-R3 set and R4/R5 unset', () => {
    // task_work.md §5.2: `tw` must be non-NULL (KF_TRUSTED_ARGS: "Possibly NULL pointer passed to trusted
    // arg1"); a lookup result is proven non-NULL by `== NULL`/`!= NULL` (0 is NULL) on the path where it is
    // not NULL (verifier.c mark_ptr_or_null_regs), not by a comparison with another constant.
    // §1.2: "R1 = CONST_PTR_TO_MAP, R2 = PTR_TO_MAP_KEY, R3 = PTR_TO_MAP_VALUE … R4 and R5 are not
    // initialized" in the callback, whose value is the element holding the bpf_task_work (non-NULL).
    fc.assert(fc.property(
      fc.constantFrom('eq_null', 'eq_zero', 'ne_null', 'ne_zero', 'eq_one', 'ne_one'),
      fc.constantFrom('count', 'read_r1r2r3', 'read_r4', 'read_r5', 'reschedule'),
      fc.constantFrom<Version>('6.19', '7.0'),
      (check, cbUse, version) => {
        const plain = version !== '6.19';
        const fn = `bpf_task_work_schedule_signal${plain ? '' : '_impl'}`;
        const sched = (task: string, twReg: string, mapArg: ReturnType<typeof map>): Op => call(fn, [r(task), tw(twReg), mapArg, cb('cb'), ...(plain ? [] : [NULL])], 'r0');
        const v0 = check.endsWith('null') ? NULL : check.endsWith('zero') ? imm(0) : imm(1);
        // eq_*: jump to out when equal; ne_*: jump to the schedule when not equal, else out.
        const body: Op[] = check.startsWith('eq')
          ? [call('bpf_map_lookup_elem', [map('twmap'), imm(0)], 'r6'), goto('out', when('r6', '==', v0)), call('bpf_get_current_task_btf', [], 'r7'), sched('r7', 'r6', map('twmap')), label('out'), ret(imm(0))]
          : [call('bpf_map_lookup_elem', [map('twmap'), imm(0)], 'r6'), goto('go', when('r6', '!=', v0)), goto('out'), label('go'), call('bpf_get_current_task_btf', [], 'r7'), sched('r7', 'r6', map('twmap')), label('out'), ret(imm(0))];
        const cbBody: Op[] = cbUse === 'count' ? [ret(imm(0))]
          : cbUse === 'read_r1r2r3' ? [mov('r6', r('r1')), mov('r7', r('r2')), mov('r8', r('r3')), ret(imm(0))]
          : cbUse === 'read_r4' ? [mov('r6', r('r4')), ret(imm(0))]
          : cbUse === 'read_r5' ? [mov('r6', r('r5')), ret(imm(0))]
          : [call('bpf_get_current_task_btf', [], 'r7'), sched('r7', 'r3', r('r1') as ReturnType<typeof map>), ret(imm(0))];
        const obj: BpfObject = {
          name: 'nullcheck',
          maps: [{ name: 'twmap', type: 'hash', maxEntries: 1, valueSize: 16, taskWorkFields: 1 }],
          globals: [],
          programs: [{ name: 'prog', section: 'perf_event', body }],
          subprogs: [{ name: 'cb', isStatic: true, body: cbBody }],
        };
        const [v] = verify(obj, version);
        if (check.endsWith('one')) {
          expectMatch(v, { ok: false, message: possiblyNull(version, 1) });
        } else if (cbUse === 'read_r4' || cbUse === 'read_r5') {
          expectIs(v?.ok, false);
          expectMatches(v?.message ?? '', new RegExp(`^${cbUse === 'read_r4' ? 'r4' : 'r5'} !read_ok`, 'i'));
        } else {
          expectMatch(v, { ok: true, message: null });
        }
      },
    ));
  });
});

describe('mutants: the verifier on malformed calls', () => {
  test('mutants: calls with the wrong kind of argument, unknown functions and released or unacquired references are refused; the lowest leaked reference is reported', () => {
    // Refusals (verifier.c): a dynptr argument that is not a stack dynptr ("arg#%d expected pointer to
    // stack or const struct bpf_dynptr", process_dynptr_func); a release kfunc on a reference the program
    // did not acquire ("release kernel function %s expects refcounted PTR_TO_BTF_ID"); a released file used
    // again (release_reference invalidates every copy); a callback that names no subprogram; a tw register
    // never written or not holding a map value (task_work.md §3.3); a kfunc libbpf cannot resolve, or a
    // call with another argument count than the kfunc's BTF. With two references leaked,
    // check_reference_leak reports the first acquired (the file's: id 2, after the id KF_RET_NULL gave R0).
    const cases: Record<string, { body: Op[]; want: RegExp | null }> = {
      dynptr_not_slot: { body: [call('bpf_dynptr_size', [buf('buf')], 'r0'), ret(imm(0))], want: /expected pointer to stack or const struct bpf_dynptr$/ },
      // A helper's dynptr argument is type-checked first (check_func_arg → check_reg_type with the dynptr
      // types PTR_TO_STACK, CONST_PTR_TO_DYNPTR); dynptr_fail.c's `global` expects "type=map_value expected=fp".
      dynptr_uninit_not_slot: { body: [call('bpf_dynptr_from_mem', [buf('buf'), imm(8), imm(0), buf('buf')], 'r0'), ret(imm(0))], want: /^R4 type=map_value expected=fp, dynptr_ptr$/ },
      // 7.x spells it as 7.2.13's verifier_vfs_reject.c put_file_kfunc_unacquired expects.
      put_unacquired: { body: [call('bpf_put_file', [P.ctxFile]), ret(imm(0))], want: /^release (kernel function|kfunc) bpf_put_file expects/ },
      use_after_put: { body: [call('bpf_get_current_task_btf', [], 'r6'), call('bpf_get_task_exe_file', [r('r6')], 'r7'), goto('out', when('r7', '==', NULL)), call('bpf_put_file', [r('r7')]), call('bpf_dynptr_from_file', [r('r7'), imm(0), dynptr('d')], 'r0'), call('bpf_dynptr_file_discard', [dynptr('d')]), label('out'), ret(imm(0))], want: /./ },
      task_as_file: { body: [call('bpf_get_current_task_btf', [], 'r6'), call('bpf_dynptr_from_file', [r('r6'), imm(0), dynptr('d')], 'r0'), call('bpf_dynptr_file_discard', [dynptr('d')]), ret(imm(0))], want: /./ },
      scalar_as_file: { body: [mov('r6', imm(5)), call('bpf_dynptr_from_file', [r('r6'), imm(0), dynptr('d')], 'r0'), call('bpf_dynptr_file_discard', [dynptr('d')]), ret(imm(0))], want: /./ },
      pointer_as_int: { body: [call('bpf_dynptr_from_mem', [buf('buf'), buf('buf'), imm(0), dynptr('m')], 'r0'), ret(imm(0))], want: /./ },
      unknown_kfunc: { body: [call('bpf_no_such_kfunc', [], 'r0'), ret(imm(0))], want: /bpf_no_such_kfunc/ },
      arg_count: { body: [call('bpf_dynptr_size', [dynptr('d'), imm(0)], 'r0'), ret(imm(0))], want: /./ },
      two_leaks: { body: [call('bpf_get_current_task_btf', [], 'r6'), call('bpf_get_task_exe_file', [r('r6')], 'r7'), goto('out', when('r7', '==', NULL)), call('bpf_dynptr_from_file', [r('r7'), imm(0), dynptr('d')], 'r0'), ret(imm(0)), label('out'), ret(imm(0))], want: /^Unreleased reference id=2 alloc_insn=1$/ },
      local_ok: { body: [call('bpf_dynptr_from_mem', [buf('buf'), imm(8), imm(0), dynptr('m')], 'r0'), call('bpf_dynptr_read', [buf('buf'), imm(4), dynptr('m'), imm(0), imm(0)], 'r0'), ret(imm(0))], want: null },
    };
    fc.assert(fc.property(fc.constantFrom(...Object.keys(cases)), fc.constantFrom<Version>('6.19', '7.0'), (name, version) => {
      const c = cases[name]!;
      const [v] = verify(one('lsm/file_open', c.body), version);
      if (c.want === null) expectMatch(v, { ok: true });
      else {
        expectIs(v?.ok, false);
        expectMatches(v?.message ?? '', c.want);
        if (name === 'put_unacquired') {
          expectIs(v?.message, byArg(version) ? 'release kernel function bpf_put_file expects refcounted PTR_TO_BTF_ID' : 'release kfunc bpf_put_file expects referenced PTR_TO_BTF_ID passed to R1');
        }
      }
    }));
  });

  test('mutants: a task_work call whose tw register was never written, holds no map value, or whose callback names no subprogram is refused', () => {
    fc.assert(fc.property(fc.constantFrom('tw_unset', 'tw_task', 'cb_missing'), fc.constantFrom<Version>('6.19', '7.0'), (what, version) => {
      const plain = version !== '6.19';
      const fn = `bpf_task_work_schedule_resume${plain ? '' : '_impl'}`;
      const body: Op[] = [
        call('bpf_map_lookup_elem', [map('twmap'), imm(0)], 'r6'),
        goto('out', when('r6', '==', NULL)),
        call('bpf_get_current_task_btf', [], 'r7'),
        call(fn, [r('r7'), tw(what === 'tw_unset' ? 'r9' : what === 'tw_task' ? 'r7' : 'r6'), map('twmap'), cb(what === 'cb_missing' ? 'nope' : 'cb'), ...(plain ? [] : [NULL])], 'r0'),
        label('out'),
        ret(imm(0)),
      ];
      const obj: BpfObject = { name: 't', maps: [{ name: 'twmap', type: 'array', maxEntries: 1, valueSize: 16, taskWorkFields: 1 }], globals: [], programs: [{ name: 'p', section: 'syscall', body }], subprogs: [{ name: 'cb', isStatic: true, body: [ret(imm(0))] }] };
      const [v] = verify(obj, version);
      expectIs(v?.ok, false);
      if (what === 'tw_unset') expectMatches(v?.message ?? '', /^r9 !read_ok$/i);
      if (what === 'tw_task') expectIs(v?.message, notMapValue(version, 1));
      if (what === 'cb_missing') expectMatches(v?.message ?? '', /expected pointer to func$/);
    }));
  });
});
