/**
 * The verifier model against the selftest cases listed in SEMANTICS.md (file_reader_fail.c,
 * task_work_fail.c, verifier_async_cb_context.c) and the seed example.
 */
import { describe, expect, test } from 'vitest';
import { program as P, verify, type BpfObject, type KernelVersion, type Op, type Program } from '../src/index.ts';
import { directReaderObject, fileReaderObject } from '../examples/file_reader.ts';

const { r, imm, NULL, dynptr, buf, map, tw, cb, call, mov, label, goto, ret, when, ctxFile } = P;

function obj(programs: Program[], extra: Partial<BpfObject> = {}): BpfObject {
  return {
    name: 't',
    maps: [
      { name: 'arrmap', type: 'array', maxEntries: 1, valueSize: 128, taskWorkFields: 1 },
      { name: 'hmap', type: 'hash', maxEntries: 1, valueSize: 128, taskWorkFields: 1 },
    ],
    globals: [{ name: 'buf', kind: 'bytes', size: 64 }],
    programs,
    subprogs: [{ name: 'process_work', isStatic: true, body: [ret(imm(0))] }],
    ...extra,
  };
}

const one = (o: BpfObject, v?: KernelVersion) => {
  const [verdict] = verify(o, v);
  if (verdict === undefined) throw new Error('no verdict');
  return verdict;
};

const lsm = (body: Op[], section = 'lsm.s/file_open'): Program => ({ name: 'p', section, body });

describe('file_reader_fail.c', () => {
  test('a file dynptr that is never discarded: Unreleased reference id=', () => {
    const v = one(obj([lsm([call('bpf_dynptr_from_file', [ctxFile, imm(0), dynptr('d')]), ret(imm(0))])]));
    expect(v.ok).toBe(false);
    expect(v.message).toMatch(/^Unreleased reference id=\d+ alloc_insn=0$/);
  });

  test('discard of a non-file dynptr: Expected a dynptr of type file as arg #0', () => {
    const v = one(obj([lsm([
      call('bpf_dynptr_from_mem', [buf('buf'), imm(8), imm(0), dynptr('d')]),
      call('bpf_dynptr_file_discard', [dynptr('d')]),
      ret(imm(0)),
    ])]));
    expect(v.message).toBe('Expected a dynptr of type file as arg #0');
  });

  test('use after discard: Expected an initialized dynptr as arg #0 (R1 on 7.2)', () => {
    const o = obj([lsm([
      call('bpf_dynptr_from_file', [ctxFile, imm(0), dynptr('d')]),
      call('bpf_dynptr_file_discard', [dynptr('d')]),
      call('bpf_dynptr_size', [dynptr('d')]),
      ret(imm(0)),
    ])]);
    expect(one(o).message).toBe('Expected an initialized dynptr as arg #0');
    expect(one(o, '7.2').message).toBe('Expected an initialized dynptr as R1');
  });

  test('a read after discard names the dynptr argument: arg #2', () => {
    const v = one(obj([lsm([
      call('bpf_dynptr_from_file', [ctxFile, imm(0), dynptr('d')]),
      call('bpf_dynptr_file_discard', [dynptr('d')]),
      call('bpf_dynptr_read', [buf('buf'), imm(1), dynptr('d'), imm(0), imm(0)]),
      ret(imm(0)),
    ])]));
    expect(v.message).toBe('Expected an initialized dynptr as arg #2');
  });

  test('a clone shares the reference: discarding the clone invalidates the original', () => {
    const v = one(obj([lsm([
      call('bpf_dynptr_from_file', [ctxFile, imm(0), dynptr('d')]),
      call('bpf_dynptr_clone', [dynptr('d'), dynptr('c')]),
      call('bpf_dynptr_file_discard', [dynptr('c')]),
      call('bpf_dynptr_size', [dynptr('d')]),
      ret(imm(0)),
    ])]));
    expect(v.message).toBe('Expected an initialized dynptr as arg #0');
  });

  test('an unchecked bpf_get_task_exe_file result: Possibly NULL pointer passed to trusted arg0', () => {
    const v = one(obj([lsm([
      call('bpf_get_current_task_btf', [], 'r6'),
      call('bpf_get_task_exe_file', [r('r6')], 'r7'),
      call('bpf_dynptr_from_file', [r('r7'), imm(0), dynptr('d')]),
      call('bpf_dynptr_file_discard', [dynptr('d')]),
      call('bpf_put_file', [r('r7')]),
      ret(imm(0)),
    ])]));
    expect(v.message).toBe('Possibly NULL pointer passed to trusted arg0');
  });

  test('a file from bpf_get_task_exe_file that is never put: Unreleased reference', () => {
    const v = one(obj([lsm([
      call('bpf_get_current_task_btf', [], 'r6'),
      call('bpf_get_task_exe_file', [r('r6')], 'r7'),
      goto('out', when('r7', '==', NULL)),
      label('out'),
      ret(imm(0)),
    ])]));
    // check_kfunc_call: KF_RET_NULL takes id 1 for R0, then KF_ACQUIRE's acquire_reference takes 2.
    expect(v.message).toBe('Unreleased reference id=2 alloc_insn=1');
  });
});

describe('task_work_fail.c (perf_event programs)', () => {
  const sched = (twArg: P.Arg, mapArg: P.Arg): Op[] => [
    call('bpf_map_lookup_elem', [map('arrmap'), imm(0)], 'r6'),
    goto('out', when('r6', '==', NULL)),
    call('bpf_get_current_task_btf', [], 'r7'),
    mov('r8', P.addr('tw')),
    call('bpf_task_work_schedule_resume_impl', [r('r7'), twArg, mapArg, cb('process_work'), NULL]),
    label('out'),
    ret(imm(0)),
  ];
  // task_work_fail.c's no_map_task_work passes `&tw` of a stack `struct bpf_task_work tw`.
  const perf = (body: Op[]): BpfObject => obj([{ name: 'p', section: 'perf_event', body, locals: [P.local('tw', 'task_work')] }]);

  test('mismatch_map: doesn\'t match map pointer in R3', () => {
    expect(one(perf(sched(tw('r6'), map('hmap')))).message).toContain("doesn't match map pointer in R3");
  });
  test('no_map_task_work: arg#1 doesn\'t point to a map value (R2 on 7.0)', () => {
    const body = sched(tw('r8'), map('arrmap'));
    expect(one(perf(body)).message).toBe("arg#1 doesn't point to a map value");
  });
  test('task_work_null: Possibly NULL pointer passed to trusted arg1', () => {
    expect(one(perf(sched(NULL, map('arrmap')))).message).toBe('Possibly NULL pointer passed to trusted arg1');
  });
  test('map_null: Possibly NULL pointer passed to trusted arg2', () => {
    expect(one(perf(sched(tw('r6'), NULL))).message).toBe('Possibly NULL pointer passed to trusted arg2');
  });
  test('7.0 names registers: trusted R2, R2 doesn\'t point to a map value', () => {
    const v70 = (twArg: P.Arg, mapArg: P.Arg): Op[] => sched(twArg, mapArg).map((op) => (op.op === 'call' && op.fn === 'bpf_task_work_schedule_resume_impl'
      ? { ...op, fn: 'bpf_task_work_schedule_resume', args: op.args.slice(0, 4) } : op));
    expect(one(perf(v70(NULL, map('arrmap'))), '7.0').message).toBe('Possibly NULL pointer passed to trusted R2');
    expect(one(perf(v70(tw('r8'), map('arrmap'))), '7.0').message).toBe("R2 doesn't point to a map value");
  });
  test('a value pointer that was not NULL-checked: Possibly NULL pointer passed to trusted arg1', () => {
    const body = sched(tw('r6'), map('arrmap')).filter((op) => !(op.op === 'goto' && op.to === 'out'));
    expect(one(perf(body)).message).toBe('Possibly NULL pointer passed to trusted arg1');
  });
  test('a global (non-static) callback: callback function not static', () => {
    const o = { ...perf(sched(tw('r6'), map('arrmap'))), subprogs: [{ name: 'process_work', isStatic: false, body: [ret(imm(0))] }] };
    expect(one(o).message).toBe('callback function not static');
  });
  test('the well-formed program is accepted', () => {
    expect(one(perf(sched(tw('r6'), map('arrmap'))))).toMatchObject({ ok: true, message: null });
  });
});

describe('verifier_async_cb_context.c: task_work callbacks are sleepable', () => {
  test('scheduled from a non-sleepable fentry program, the callback\'s file dynptr gets the sleepable constructor', () => {
    const o: BpfObject = {
      ...obj([{ name: 'p', section: 'fentry/bpf_fentry_test1', body: [
        call('bpf_map_lookup_elem', [map('arrmap'), imm(0)], 'r6'),
        goto('out', when('r6', '==', NULL)),
        call('bpf_get_current_task_btf', [], 'r7'),
        call('bpf_task_work_schedule_resume_impl', [r('r7'), tw('r6'), map('arrmap'), cb('work'), NULL]),
        label('out'),
        ret(imm(0)),
      ] }]),
      subprogs: [{ name: 'work', isStatic: true, body: [ret(imm(0))] }],
    };
    expect(one(o).ok).toBe(true);
    const v = one(fileReaderObject());
    expect(v.ok).toBe(true);
    expect(v.specializations.map((s) => s.to)).toEqual(['bpf_dynptr_from_file_sleepable']);
  });
  test('a non-sleepable hook keeps the non-sleepable constructor', () => {
    const v = one(directReaderObject('lsm/file_open'));
    expect(v.ok).toBe(true);
    expect(v.specializations).toEqual([]);
  });
});

describe('the seed example', () => {
  test('is accepted on 6.19', () => {
    expect(verify(fileReaderObject()).map((v) => v.ok)).toEqual([true]);
  });
  test('moved into a non-LSM program, its callback may not call bpf_get_task_exe_file', () => {
    const o = fileReaderObject();
    const moved = { ...o, programs: o.programs.map((p) => ({ ...p, section: 'syscall' })) };
    expect(one(moved).message).toContain('calling kernel function bpf_get_task_exe_file is not allowed');
  });
  test('without the discard it is rejected', () => {
    const o = fileReaderObject();
    const noDiscard = { ...o, subprogs: o.subprogs.map((s) => ({ ...s, body: s.body.filter((op) => !(op.op === 'call' && op.fn === 'bpf_dynptr_file_discard')) })) };
    const v = one(noDiscard);
    expect(v.ok).toBe(false);
    expect(v.message).toMatch(/Leaking reference|Unreleased reference/);
  });
  test('without the discard and without the put: Unreleased reference', () => {
    const o = fileReaderObject();
    const bare = { ...o, subprogs: o.subprogs.map((s) => ({ ...s, body: s.body.filter((op) => !(op.op === 'call' && (op.fn === 'bpf_dynptr_file_discard' || op.fn === 'bpf_put_file'))) })) };
    expect(one(bare).message).toMatch(/^Unreleased reference id=\d+ alloc_insn=\d+/);
  });
  test('on 6.18 the loader cannot resolve bpf_dynptr_from_file; on 7.0 the _impl names are no kfuncs', () => {
    expect(one(fileReaderObject(), '6.18').message).toContain("'bpf_dynptr_from_file': not found in kernel or module BTFs");
    // 7.x's BTF keeps the _impl function under another prototype (KF_IMPLICIT_ARGS): libbpf finds the
    // name and refuses the extern's prototype (7.2.13's BTF; guest case flo_impl_call).
    expect(one(fileReaderObject('6.19'), '7.0').message).toContain("'bpf_task_work_schedule_signal_impl': func_proto [N] incompatible with kernel [M]");
    expect(one(fileReaderObject('7.0'), '7.0').ok).toBe(true);
  });
  test('file dynptr kfuncs are in the common kfunc set: a kprobe program may call them, not the LSM-only bpf_get_task_exe_file', () => {
    // kernel/bpf/helpers.c common_btf_ids (registered for BPF_PROG_TYPE_UNSPEC); fs/bpf_fs_kfuncs.c's
    // filter keeps bpf_get_task_exe_file to LSM programs. 7.2: a NULL file is then a trusted argument.
    const kprobe = (body: Op[]) => one(obj([{ name: 'p', section: 'kprobe/do_sys_open', body: [...body, ret(imm(0))] }]), '7.2');
    expect(kprobe([call('bpf_dynptr_from_file', [NULL, imm(0), dynptr('d')])]).message).toBe('Possibly NULL pointer passed to trusted R1');
    expect(kprobe([call('bpf_get_current_task_btf', [], 't'), call('bpf_get_task_exe_file', [r('t')], 'f')]).message).toBe('calling kernel function bpf_get_task_exe_file is not allowed');
  });
});

describe('control flow', () => {
  test('a bounded loop is walked to its bound; an unbounded one is an infinite loop', () => {
    const bounded = one(obj([lsm([mov('r1', imm(0)), label('top'), P.alu('add', 'r1', imm(1)), goto('top', when('r1', '<', imm(10))), ret(imm(0))])]));
    expect(bounded.ok).toBe(true);
    const unbounded = one(obj([lsm([mov('r1', imm(0)), label('top'), goto('top'), ret(imm(0))])]));
    expect(unbounded.message).toMatch(/^infinite loop detected at insn \d+$/);
  });
  test('reading a register never written: !read_ok', () => {
    expect(one(obj([lsm([ret(r('r5'))])])).message).toBe('R5 !read_ok');
  });
});

describe('7.2.13 release rules (kernel/bpf/verifier.c of Debian linux-source-7.2 7.2.13-1)', () => {
  // An LSM program slicing its file dynptr with a size read from a global: `__u32` zero-extends
  // ([0, 2^32 - 1]: check_mem_size_reg "unbounded"); `int` is sign-extended (smin < 0: "min value is
  // negative"); either way the kfunc pair's line follows, naming both registers on 7.2 (reg_arg_name).
  const sliceBy = (kind: 'u32' | 'int', v: KernelVersion) => one(obj([lsm([
    call('bpf_dynptr_from_file', [ctxFile, imm(0), dynptr('d')]), mov('len', P.glob('n')),
    call('bpf_dynptr_slice', [dynptr('d'), imm(0), buf('buf'), r('len')], 's'), call('bpf_dynptr_file_discard', [dynptr('d')]), ret(imm(0)),
  ])], { globals: [{ name: 'buf', kind: 'bytes', size: 64 }, { name: 'n', kind }] }), v);

  test('a size read from a __u32 global is unbounded; from an int global it may be negative', () => {
    const u = sliceBy('u32', '7.2');
    expect(u.ok).toBe(false);
    expect(u.log.slice(-2)).toEqual(["R4 unbounded memory access, use 'var &= const' or 'if (var < const)'", 'R3 and R4 memory, len pair leads to invalid memory access']);
    const i = sliceBy('int', '7.2');
    expect(i.log.slice(-2)).toEqual(["R4 min value is negative, either use unsigned or 'var &= const'", 'R3 and R4 memory, len pair leads to invalid memory access']);
    expect(sliceBy('u32', '6.19').log.at(-1)).toBe('arg#2 arg#3 memory, len pair leads to invalid memory access');
  });

  test('a helper writing over a dynptr is refused at its argument (check_stack_range_initialized, raw mode), on 7.x as on 6.x', () => {
    for (const v of ['6.19', '7.0', '7.2'] as const) {
      const verdict = one(obj([lsm([
        call('bpf_dynptr_from_file', [ctxFile, imm(0), dynptr('d')]),
        call('bpf_probe_read_kernel', [dynptr('d'), imm(8), NULL]), call('bpf_dynptr_file_discard', [dynptr('d')]), ret(imm(0)),
      ])]), v);
      expect(verdict.message).toMatch(/^potential write to dynptr at off=-\d+ disallowed$/);
    }
  });

  test('a stack pointer for a task argument is the catch-all memory argument; an unacquired file to a release kfunc', () => {
    const fp = one(obj([{ name: 'p', section: 'lsm.s/file_open', locals: [P.local('x', 'u64')], body: [
      call('bpf_get_task_exe_file', [P.addr('x')], 'f'), goto('o', when('f', '==', NULL)), call('bpf_put_file', [r('f')]), label('o'), ret(imm(0)),
    ] }]), '7.2');
    expect(fp.message).toBe('R1 pointer type STRUCT task_struct must point to scalar, or struct with scalar');
    expect(one(obj([lsm([call('bpf_put_file', [ctxFile]), ret(imm(0))])]), '7.2').message).toBe('release kfunc bpf_put_file expects referenced PTR_TO_BTF_ID passed to R1');
  });
});

describe('DIV and MOD by a constant (adjust_scalar_min_max_vals)', () => {
  /** An asm program: r1 = `value`, r1 `fn`= `by`, r1 &= 7, then a 2-byte store at fp-16 + r1 (aligned only when r1 is known even). */
  const prog = (value: number, fn: 'div' | 'mod', by: number): BpfObject => ({
    name: 'o', maps: [], globals: [], subprogs: [],
    programs: [{ name: 'p', section: 'syscall', asm: true, body: [
      mov('r1', imm(value)), P.alu(fn, 'r1', imm(by)), P.alu('and', 'r1', imm(7)), mov('r2', r('r10')), P.alu('add', 'r2', imm(-16)), P.alu('add', 'r2', r('r1')),
      mov('r3', imm(1)), P.st(2, r('r2'), 0, r('r3')), mov('r0', imm(0)), ret(r('r0')),
    ] }],
  });
  const message = (o: BpfObject, v: KernelVersion): string | null => verify(o, v)[0]?.message ?? null;
  const MISALIGNED = 'misaligned stack access off (0x0; 0x7)+-16+0 size 2';
  // 7.2.13 has no reg->off: var_off is fp-16 plus [0, 7] (tnum_add), printed whole (conformance fsx_v_stack4).
  const MISALIGNED_72 = 'misaligned stack access off (0xfffffffffffffff0; 0x7)+0 size 2';

  test('6.x: the result is unknown, even of two constants (no DIV/MOD case in is_safe_to_compute_dst_reg_range; the 6.18 host agrees, lv_div_const)', () => {
    expect(message(prog(100, 'div', 7), '6.18')).toBe(MISALIGNED);
    expect(message(prog(100, 'mod', 7), '6.19')).toBe(MISALIGNED);
  });

  test('7.x DIV: [umin / c, umax / c], so 100 / 7 is 14 (scalar_min_max_udiv); by 0 the result is 0', () => {
    expect(message(prog(100, 'div', 7), '7.2')).toBeNull();
    expect(message(prog(101, 'div', 0), '7.2')).toBeNull();
  });

  test('7.x MOD: a dividend below the divisor is unchanged, else [0, min(umax, c - 1)] — a range even for a constant (scalar_min_max_umod)', () => {
    expect(message(prog(4, 'mod', 7), '7.2')).toBeNull(); // 4 < 7: stays 4
    expect(message(prog(100, 'mod', 7), '7.2')).toBe(MISALIGNED_72); // 100 % 7 = 2, but the verifier knows [0, 6]
    expect(message(prog(100, 'mod', 7), '7.0')).toBe(MISALIGNED);
    // x % 0 = x: 3 stays a known 3, so the store is at the fixed, odd offset fp-13 (a constant var_off on 7.2).
    expect(message(prog(3, 'mod', 0), '7.2')).toBe('misaligned stack access off -13+0 size 2');
  });
});
