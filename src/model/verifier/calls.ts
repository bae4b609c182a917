/**
 * A call's checks (kernel/bpf/verifier.c: `check_kfunc_call`, `check_kfunc_args`,
 * `process_dynptr_func`, `check_map_field_pointer`, `check_reference_leak` on release) and its effects
 * on references, dynptr stack slots and the destination register.
 */
import { availableIn } from '../kfunc/kfunc.ts';
import type { ArgSpec } from '../kfunc/types.ts';
import type { Arg, Op } from '../program/program.ts';
import type { ProgType } from '../program/sections.ts';
import { release, withReg, withRef, withSlot } from './state.ts';
import { Reject, type AState, type AVal, type Checker, type Frame } from './types.ts';

/** Program types with direct packet write access (verifier.c `may_access_direct_pkt_data`, the ones the model knows). */
const PKT_WRITE_TYPES: readonly ProgType[] = ['SCHED_CLS', 'XDP'];

/** The checks and effects of one call, in the kernel's order. */
export function checkCall(w: Checker, frame: Frame, s0: AState, op: Extract<Op, { op: 'call' }>, pc: number): AState {
  const m = w.m;
  const def = w.opts.kfuncs[op.fn];
  if (def === undefined) throw new Reject(m.unknownFunc(op.fn), pc);
  if (!availableIn(def, w.opts.features.version)) throw new Reject(m.missingKfunc(op.fn), pc);
  if (def.progTypes !== undefined && !def.progTypes.includes(frame.type)) throw new Reject(m.notAllowed(op.fn), pc);
  if (def.flags.includes('KF_SLEEPABLE') && !frame.sleepable) throw new Reject(m.sleepableOnly(op.fn), pc);
  if (op.args.length !== def.args.length) throw new Reject(`${op.fn}: expected ${def.args.length} arguments (model wording)`, pc);
  let s = s0;
  let twMap: string | null = null;
  let twArg = -1;
  let newSlot: { slot: string; kind: 'local' | 'file' | 'clone'; from?: string } | null = null;
  let released: number | null = null;
  let fileArg: number | null = null;
  def.args.forEach((spec: ArgSpec, i: number) => {
    const a = op.args[i] as Arg;
    switch (spec.type) {
      case 'dynptr': {
        if (!('dynptr' in a)) throw new Reject(m.notDynptrSlot(i), pc);
        const slot = s.slots.get(a.dynptr);
        if (slot === undefined) throw new Reject(m.notInitialized(i), pc);
        if (spec.dynptrKind !== undefined && slot.kind !== spec.dynptrKind) throw new Reject(m.wrongDynptrType(i, spec.dynptrKind), pc);
        if (def.flags.includes('KF_RELEASE')) released = slot.ref;
        if (def.name === 'bpf_dynptr_clone') newSlot = { slot: '', kind: 'clone', from: a.dynptr };
        return;
      }
      case 'dynptr_uninit': {
        if (!('dynptr' in a)) throw new Reject(m.notDynptrSlot(i), pc);
        const slot = s.slots.get(a.dynptr);
        if (slot !== undefined && slot.ref !== null) throw new Reject(m.overwriteReferenced(), pc);
        if (newSlot !== null && newSlot.kind === 'clone') newSlot = { ...newSlot, slot: a.dynptr };
        else newSlot = { slot: a.dynptr, kind: def.name === 'bpf_dynptr_from_file' ? 'file' : 'local' };
        return;
      }
      case 'file':
      case 'task': {
        const v = w.operand(s, a, pc);
        if (v.t === 'null' || ('maybeNull' in v && v.maybeNull)) throw new Reject(m.possiblyNull(i), pc);
        if (v.t === 'scalar') throw new Reject(m.releasedOrScalar(i, 'scalar'), pc);
        if (v.t !== spec.type) throw new Reject(m.wrongPointer(i, spec.type, v.t), pc);
        if (v.t === 'file') {
          if (v.ref !== null && !s.refs.has(v.ref)) throw new Reject(m.releasedOrScalar(i, 'scalar'), pc);
          if (def.flags.includes('KF_RELEASE')) {
            if (v.ref === null) throw new Reject(`release kernel function ${op.fn} expects refcounted PTR_TO_BTF_ID`, pc);
            const child = [...s.refs.entries()].find(([, r]) => r.parent === v.ref);
            if (child !== undefined) throw new Reject(m.leakingChild(child[0], child[1].insn), pc);
            released = v.ref;
          }
          fileArg = v.ref;
        }
        return;
      }
      case 'tw': {
        twArg = i;
        if ('null' in a) throw new Reject(m.possiblyNull(i), pc);
        if (!('tw' in a)) throw new Reject(m.notMapValue(i), pc);
        const v = s.regs.get(a.tw);
        if (v === undefined) throw new Reject(m.notReadable(a.tw), pc);
        if (v.t === 'null' || (v.t === 'map_value' && v.maybeNull)) throw new Reject(m.possiblyNull(i), pc);
        if (v.t !== 'map_value') throw new Reject(m.notMapValue(i), pc);
        const decl = w.obj.maps.find((x) => x.name === v.map);
        if (decl === undefined || decl.taskWorkFields !== 1) throw new Reject(m.noTaskWorkField(v.map), pc);
        twMap = v.map;
        return;
      }
      case 'map': {
        if ('null' in a) throw new Reject(m.possiblyNull(i), pc);
        const v = w.operand(s, a, pc);
        if (v.t !== 'map') throw new Reject(`pointer in ${`R${i + 1}`} isn't map pointer`, pc);
        if (twMap !== null && v.map !== twMap) throw new Reject(m.mapMismatch(twArg, i), pc);
        return;
      }
      case 'callback': {
        if (!('cb' in a)) throw new Reject(m.notCallback(i), pc);
        const sub = w.obj.subprogs.find((x) => x.name === a.cb);
        if (sub === undefined) throw new Reject(m.notCallback(i), pc);
        if (!sub.isStatic) throw new Reject(m.notStatic(), pc);
        w.verifyCallback(frame, sub, twMap ?? '', pc);
        return;
      }
      case 'aux':
        return;
      default: {
        const v = w.operand(s, a, pc);
        if ((spec.type === 'u8' || spec.type === 'u32' || spec.type === 'u64' || spec.type === 'dsize') && v.t !== 'scalar') {
          throw new Reject(m.wrongPointer(i, 'scalar', v.t), pc);
        }
      }
    }
  });
  // check_kfunc_call: a writable slice needs a program type that may write packet data
  // (may_access_direct_pkt_data(env, NULL, BPF_WRITE)); found by the host conformance tier on 6.18.
  if (def.name === 'bpf_dynptr_slice_rdwr' && !PKT_WRITE_TYPES.includes(frame.type)) throw new Reject(m.noPacketWrite(), pc);
  // Effects on references and dynptr slots.
  if (released !== null) s = release(s, released);
  if (newSlot !== null) {
    const ns = newSlot as { slot: string; kind: 'local' | 'file' | 'clone'; from?: string };
    if (ns.kind === 'clone') {
      const src = ns.from === undefined ? undefined : s.slots.get(ns.from);
      if (src !== undefined) s = withSlot(s, ns.slot, src);
    } else if (ns.kind === 'file') {
      const id = w.newRef();
      s = withRef(s, id, { kind: 'dynptr', insn: pc, parent: fileArg });
      s = withSlot(s, ns.slot, { kind: 'file', ref: id });
      if (frame.sleepable) w.specializations.push({ insn: pc, from: op.fn, to: 'bpf_dynptr_from_file_sleepable' });
    } else {
      s = withSlot(s, ns.slot, { kind: 'local', ref: null });
    }
  }
  if (op.dst !== undefined) {
    let v: AVal;
    switch (def.ret) {
      case 'file': {
        const id = w.newRef();
        s = withRef(s, id, { kind: 'file', insn: pc, parent: null });
        v = { t: 'file', ref: id, maybeNull: def.flags.includes('KF_RET_NULL') };
        break;
      }
      case 'task': v = { t: 'task' }; break;
      case 'map_value': {
        const a0 = op.args[0];
        v = { t: 'map_value', map: a0 !== undefined && 'map' in a0 ? a0.map : '?', maybeNull: true };
        break;
      }
      case 'ptr': v = { t: 'mem', maybeNull: true }; break;
      default: v = { t: 'scalar' };
    }
    s = withReg(s, op.dst, v);
  }
  return s;
}

