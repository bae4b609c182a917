/**
 * A model of the BPF verifier for program values (kernel/bpf/verifier.c: `do_check`,
 * `check_kfunc_call`, `process_dynptr_func`, `check_reference_leak`, `check_map_field_pointer`,
 * `push_callback_call`). It walks **every** path of a program (both sides of each branch whose
 * outcome is not known, loops until their state repeats), tracking what each register holds, which
 * stack slots hold which dynptrs, and which references are held, and rejects with the kernel's
 * message where the kernel would. Callbacks are verified as their own frame: sleepable for
 * task_work, with the caller's program type.
 *
 * Instruction numbers are indices into the program's op list.
 */
import type { BpfObject, Program } from '../program/program.ts';
import { attachProblem, sectionInfo } from '../program/sections.ts';
import { ESRCH } from '../kernel/errno.ts';
import { availableIn } from '../kfunc/kfunc.ts';
import { Reject, type AVal, type Verdict, type VerifyOptions } from './types.ts';
import { Walker } from './walker.ts';

export type { AVal, Specialization, Verdict, VerifyOptions } from './types.ts';

/** Verify one program of an object. */
export function verifyProgram(obj: BpfObject, prog: Program, opts: VerifyOptions): Verdict {
  const w = new Walker(obj, opts);
  const info = sectionInfo(prog.section);
  const base = { program: prog.name, specializations: w.specializations };
  if (info === null) return { ...base, ok: false, message: w.m.unknownSection(prog.section), insn: null, states: 0 };
  // libbpf resolves the attach target (`bpf_lsm_<hook>` for lsm/) before the program is loaded.
  if (info.type === 'LSM' && info.hook !== null && attachProblem(prog.section) !== null) {
    return { ...base, ok: false, message: w.m.noAttachTarget(prog.name, info.hook.slice('lsm/'.length)), insn: null, states: 0, errno: -ESRCH };
  }
  // libbpf resolves every extern kfunc of the object before the kernel verifies anything.
  for (const body of [...obj.programs.map((p) => p.body), ...obj.subprogs.map((p) => p.body)]) {
    for (const [pc, op] of body.entries()) {
      if (op.op !== 'call') continue;
      const def = opts.kfuncs[op.fn];
      if (def !== undefined && !availableIn(def, opts.features.version)) {
        return { ...base, ok: false, message: w.m.missingKfunc(op.fn), insn: pc, states: 0 };
      }
    }
  }
  const regs = new Map<string, AVal>();
  if (info.hook === 'lsm/file_open') regs.set('r1', { t: 'file', ref: null, maybeNull: false });
  try {
    w.run({ name: prog.name, body: prog.body, type: info.type, sleepable: info.sleepable, hookFile: info.hook !== null }, { regs, slots: new Map(), refs: new Map() });
    return { ...base, ok: true, message: null, insn: null, states: w.states };
  } catch (e) {
    if (e instanceof Reject) return { ...base, ok: false, message: e.msg, insn: e.insn, states: w.states };
    throw e;
  }
}

/** Verify every program of an object (what `bpf_object__load` would do). */
export function verifyObject(obj: BpfObject, opts: VerifyOptions): Verdict[] {
  return obj.programs.map((p) => verifyProgram(obj, p, opts));
}

