/**
 * Loads and stores through pointers (kernel/bpf/verifier.c `check_mem_access`,
 * `check_mem_region_access`, `__check_mem_access`, `check_stack_access_within_bounds`,
 * `check_ptr_alignment`) and pointer arithmetic (`adjust_ptr_min_max_vals`): which memory a
 * register may address, and what a load gives.
 */
import { aluScalar, constOf, isConst, known, tnumAddConst, tnumText, UNKNOWN, varConst, type Scalar } from './scalar.ts';
import { checkStackBounds, checkStackBoundsVar, frameOf, stackReadFixed, stackWriteFixed, stackWriteVar } from './stack.ts';
import { btfPointer, nullableType, top } from './state.ts';
import { hookArg, untrustedLsmHook } from '../program/hook_args.ts';
import { memberOf, type FieldName, type StructName } from '../btf/structs.ts';
import { walkedTrust, type Trust } from '../btf/walk.ts';
import { Reject, type AState, type AVal, type Checker } from './types.ts';
import { regTypeStr } from './regtype.ts';
import { checkMapFields, kptrLoad, kptrStore } from './kptr.ts';
import { mapAccess } from '../maps/alloc_check.ts';
import { readLE } from '../program/globals.ts';

/**
 * How a load or store reaches memory, where it matters (a map value's kptr field): a BPF_ATOMIC
 * instruction rather than BPF_MEM, inside an RCU critical section (`in_rcu_cs`), and the number of
 * the register a BPF_STX stores.
 */
export interface Access {
  readonly atomic?: boolean;
  readonly inRcuCs?: boolean;
  readonly valueRegno?: number;
}

/** `sizeof(struct pt_regs)` on x86-64: 21 registers of 8 bytes. */
const PT_REGS_SIZE = 168;

/** Program types whose context is a `struct __sk_buff`. */
const SKB_CTX_TYPES: readonly string[] = ['SCHED_CLS', 'SCHED_ACT', 'CGROUP_SKB', 'SOCKET_FILTER', 'LWT_IN', 'LWT_OUT', 'LWT_XMIT', 'LWT_SEG6LOCAL', 'SK_SKB'];

/** `BPF_MAX_VAR_OFF`: a variable offset must stay below 2^29. */
const MAX_VAR_OFF = 1n << 29n;

/**
 * `check_mem_region_access`: `off` (the fixed part) plus every value of the variable part, for
 * `size` bytes, inside `[0, memSize)`. The failing bound is named after the kernel's
 * `__check_mem_access` line.
 */
function checkRegion(c: Checker, kind: 'map' | 'mem' | 'key', regno: number, off: number, vo: Scalar | null, size: number, memSize: number, insn: number): void {
  const smin = vo === null ? 0n : vo.smin;
  const umax = vo === null ? 0n : vo.umax;
  const outside = (o: bigint): string | null => {
    if (o >= 0n && size > 0 && o + BigInt(size) <= BigInt(memSize)) return null;
    return kind === 'map' ? c.m.mapOutside(memSize, Number(o), size) : kind === 'key' ? c.m.keyOutside(memSize, Number(o), size) : c.m.memOutside(memSize, Number(o), size);
  };
  if (smin < 0n && (smin + BigInt(off) < 0n)) throw new Reject(c.m.minNegative(regno), insn);
  const lo = outside(smin + BigInt(off));
  if (lo !== null) throw new Reject(lo, insn, [c.m.minOutside(regno)]);
  if (umax >= MAX_VAR_OFF) throw new Reject(c.m.unbounded(regno), insn);
  const hi = outside(umax + BigInt(off));
  if (hi !== null) throw new Reject(hi, insn, [c.m.maxOutside(regno)]);
}

/**
 * `check_helper_mem_access` for a map value or memory: `size` bytes from the pointer; in a map value,
 * no special field (`check_map_access` with ACCESS_HELPER).
 */
export function checkRegionArg(c: Checker, v: Extract<AVal, { t: 'map_value' | 'mem' }>, regno: number, size: number, insn: number): void {
  if (size === 0) return;
  checkRegion(c, v.t === 'map_value' ? 'map' : 'mem', regno, v.off, v.var, size, v.size, insn);
  if (v.t === 'map_value') checkMapFields(c, v, 0, size, false, insn);
}

/** The register may not be dereferenced at all: scalars, NULL-able pointers, maps, functions. */
function notMemory(c: Checker, base: AVal, regno: number, insn: number): never {
  throw new Reject(c.m.invalidMemAccess(regno, regTypeStr(base)), insn);
}

/**
 * `check_ptr_alignment` → `check_generic_ptr_alignment`: the pointer's offset plus the access's
 * (`insnOff`) must be `size`-aligned in every value its variable part may take (`tnum_is_aligned`).
 * The stack is always strict; a map value or other memory only when the caller asks
 * (`strict_alignment_once`: a helper's MEM_ALIGNED argument), as the model's programs are not
 * loaded with BPF_F_STRICT_ALIGNMENT. The message names the pointer (`stack `, `value `, none for
 * memory) and prints the variable part, the constant offset where the version keeps one apart
 * (`regFixedOff`), and the access's offset.
 */
export function checkAlignment(c: Checker, base: AVal, insnOff: number, size: number, insn: number, strictOnce = false): void {
  if (base.t !== 'fp' && base.t !== 'map_value' && base.t !== 'mem') return;
  if ((base.t !== 'fp' && !strictOnce) || size === 1) return;
  const desc = base.t === 'fp' ? 'stack ' : base.t === 'map_value' ? 'value ' : '';
  const varValue = base.var === null ? 0n : BigInt.asUintN(64, base.var.tv);
  const varMask = base.var === null ? 0n : base.var.tm;
  const all = tnumAddConst(varValue, varMask, BigInt(base.off + insnOff));
  if (((all.value | all.mask) & BigInt(size - 1)) === 0n) return;
  // 7.2.13 has no reg->off: the pointer's constant offset is part of var_off.
  const folded = tnumAddConst(varValue, varMask, BigInt(base.off));
  const text = c.opts.features.regFixedOff ? `${tnumText(varValue, varMask)}+${base.off}+${insnOff}` : `${tnumText(folded.value, folded.mask)}+${insnOff}`;
  throw new Reject(`misaligned ${desc}access off ${text} size ${size}`, insn);
}

/** The value a load of `size` bytes at `base + off` gives (after its checks). */
export function checkLoad(c: Checker, s: AState, base: AVal, regno: number, off: number, size: number, signed: boolean, insn: number, access: Access = {}): AVal {
  switch (base.t) {
    case 'fp': {
      const o = base.off + off;
      checkAlignment(c, base, off, size, insn);
      if (base.var === null || isConst(base.var)) {
        const total = o + Number(varConst(base.var) ?? 0n);
        checkStackBounds(c, 'read from', regno, total, size, insn);
        const v = stackReadFixed(c, s, base.frame, total, size, insn);
        return v.t === 'scalar' ? narrow(v, size, signed) : v;
      }
      const { min, max } = checkStackBoundsVar(c, 'read from', regno, base, o, size, insn);
      // check_stack_read_var_off: every byte of the range must be readable.
      const f = frameOf(s, base.frame);
      for (let b = min; b < max; b += 1) {
        const spi = Math.trunc((-b - 1) / 8);
        const t = (f.stack.get(spi)?.types ?? 'IIIIIIII')[(((-b - 1) % 8) + 8) % 8];
        if (t === 'D' || t === 'T') throw new Reject(c.m.stackReadHelperVar(regno, `(0x0; 0x0)`, b - min, max - min), insn);
      }
      return narrow(UNKNOWN, size, signed);
    }
    case 'map_value': {
      if (base.maybeNull) notMemory(c, base, regno, insn);
      checkMapAccessType(c, base, base.off + off, size, false, insn);
      checkRegion(c, 'map', regno, base.off + off, base.var, size, base.size, insn);
      // check_map_access's special fields, then check_map_kptr_access for a kptr's own load.
      const kptr = checkMapFields(c, base, off, size, true, insn);
      if (kptr !== undefined) return kptrLoad(c, kptr, access.inRcuCs === true, access.atomic === true, insn);
      // check_mem_access: a load at a constant offset from a frozen read-only map (libbpf's .rodata)
      // is the value there (bpf_map_direct_read), sign-extended for BPF_MEMSX.
      const ro = c.frozen?.(base.map);
      if (ro !== undefined && access.atomic !== true && (base.var === null || isConst(base.var)) && [1, 2, 4, 8].includes(size)) {
        const at = base.off + off + Number(base.var === null ? 0n : (varConst(base.var) ?? 0n));
        return narrow(known(readLE(ro, at, size)), size, signed);
      }
      return narrow(UNKNOWN, size, signed);
    }
    case 'mem':
      if (base.maybeNull) notMemory(c, base, regno, insn);
      checkRegion(c, base.mapKey === true ? 'key' : 'mem', regno, base.off + off, base.var, size, base.size, insn);
      return narrow(UNKNOWN, size, signed);
    case 'ctx': {
      // BPF_PROG's hook arguments: 8-byte slots of the context of tracing and LSM programs
      // (btf_ctx_access), trusted for tp_btf and iterators and for LSM hooks but the untrusted ones
      // (`prog_args_trusted`), not for fentry/fexit. A hook whose prototype the model knows gives
      // its arguments' types (program/hook_args.ts): a task a trusted task pointer, or an untrusted
      // BTF pointer. Otherwise the model has no BTF: a tracing program's argument is a BTF pointer of
      // no known type; an LSM or raw tracepoint program's an unknown value (model).
      const o = base.off + off;
      if ((c.prog.type === 'TRACING' || c.prog.type === 'LSM' || c.prog.type === 'RAW_TRACEPOINT') && size === 8 && o % 8 === 0 && o >= 0 && o < 8 * 12) {
        const trusted = c.prog.type === 'LSM' ? !untrustedLsmHook(c.prog.hook) : c.prog.attachType === 'TRACE_RAW_TP' || c.prog.attachType === 'TRACE_ITER';
        const arg = c.prog.type === 'RAW_TRACEPOINT' ? null : hookArg(c.prog.hook, o / 8);
        if (arg === 'task') return btfPointer('task_struct', trusted ? 'trusted' : 'untrusted');
        if (arg === 'scalar') return UNKNOWN;
        return c.prog.type === 'TRACING' ? { t: 'btf', trusted } : UNKNOWN;
      }
      // A kprobe's context is the probed task's `struct pt_regs` (168 bytes on x86-64): an aligned
      // read inside it is a scalar (kernel/trace/bpf_trace.c kprobe_prog_is_valid_access).
      if (c.prog.type === 'KPROBE' && o >= 0 && o + size <= PT_REGS_SIZE && o % size === 0) return narrow(UNKNOWN, size, false);
      // A packet program's context (`struct __sk_buff`, `struct xdp_md`: bpf_skb_is_valid_access,
      // xdp_is_valid_access): the model reads `__sk_buff->len` (narrow loads allowed,
      // bpf_ctx_narrow_access_ok); the other fields, and the packet pointers data/data_end/data_meta
      // (direct packet access), are not modelled.
      const ctxSize = SKB_CTX_TYPES.includes(c.prog.type) ? 192 : c.prog.type === 'XDP' ? 24 : 0;
      if (ctxSize > 0 && o >= 0 && o + size <= ctxSize && [1, 2, 4, 8].includes(size) && o % size === 0) {
        if (ctxSize === 192 && o + size <= 4 && size <= 4) return narrow(UNKNOWN, size, false);
        throw new Reject(`R${regno} reads ${c.prog.type === 'XDP' ? 'xdp_md' : '__sk_buff'} at off=${o} size=${size}: the model reads only __sk_buff->len of a packet context (model)`, insn);
      }
      throw new Reject(c.m.ctxOutside(o, size), insn);
    }
    case 'task':
    case 'file':
      throw new Reject(`R${regno} load through a BTF pointer (${regTypeStr(base)}) is not modelled (model)`, insn);
    default:
      return notMemory(c, base, regno, insn);
  }
}

/**
 * `check_map_access_type`: programs may not write a map created with BPF_F_RDONLY_PROG (or an object's
 * `.rodata`), nor read one created with BPF_F_WRONLY_PROG (-EACCES), whatever the bounds (checked
 * after). `off` is the access's offset from the value's start.
 */
export function checkMapAccessType(c: Pick<Checker, 'obj'>, base: Extract<AVal, { t: 'map_value' }>, off: number, size: number, write: boolean, insn: number): void {
  const a = mapAccess(c.obj.maps.find((m) => m.name === base.map)?.flags ?? 0);
  if (write && (base.rdonly || !a.progWrite)) throw new Reject(`write into map forbidden, value_size=${base.size} off=${off} size=${size}`, insn);
  if (!write && !a.progRead) throw new Reject(`read from map forbidden, value_size=${base.size} off=${off} size=${size}`, insn);
}

/** A loaded value is zero-extended from `size` bytes (or sign-extended: BPF_MEMSX). */
function narrow(v: AVal, size: number, signed: boolean): AVal {
  if (v.t !== 'scalar' || size === 8) return v;
  const c = constOf(v);
  if (c !== undefined) {
    const bits = BigInt(size * 8);
    const m = BigInt.asUintN(Number(bits), c);
    return known(signed ? BigInt.asUintN(64, BigInt.asIntN(Number(bits), m)) : m);
  }
  if (signed) return UNKNOWN;
  return aluScalar('and', v, known((1n << BigInt(size * 8)) - 1n));
}

/** A store of `size` bytes at `base + off` of `value` (a register) or `imm` (an immediate). */
export function checkStore(c: Checker, s: AState, base: AVal, regno: number, off: number, size: number, value: AVal | null, imm: bigint | null, insn: number, access: Access = {}): AState {
  switch (base.t) {
    case 'fp': {
      const o = base.off + off;
      checkAlignment(c, base, off, size, insn);
      const fromCallee = base.frame !== top(s).frameno;
      if (base.var === null || isConst(base.var)) {
        const total = o + Number(varConst(base.var) ?? 0n);
        checkStackBounds(c, 'write to', regno, total, size, insn);
        return stackWriteFixed(c, s, base.frame, total, size, value, imm, regno, insn, fromCallee);
      }
      const { min, max } = checkStackBoundsVar(c, 'write to', regno, base, o, size, insn);
      const zero = value === null ? imm === 0n : value.t === 'scalar' && constOf(value) === 0n;
      return stackWriteVar(c, s, base.frame, min, max, zero, insn);
    }
    case 'map_value': {
      if (base.maybeNull) notMemory(c, base, regno, insn);
      checkMapAccessType(c, base, base.off + off, size, true, insn);
      checkRegion(c, 'map', regno, base.off + off, base.var, size, base.size, insn);
      const kptr = checkMapFields(c, base, off, size, true, insn);
      if (kptr !== undefined) {
        kptrStore(kptr, value, imm, access.valueRegno ?? 0, access.atomic === true, insn);
        return s;
      }
      if (value !== null && value.t !== 'scalar') throw new Reject(`R${regno} storing a pointer into a map value is not modelled (model)`, insn);
      return s;
    }
    case 'mem':
      if (base.maybeNull) notMemory(c, base, regno, insn);
      // check_mem_access, PTR_TO_MAP_KEY: a callback may not change the key it was given.
      if (base.mapKey === true) throw new Reject(`write to change key R${regno} not allowed`, insn);
      if (base.rdonly) throw new Reject(c.m.rdonlyWrite(regno, regTypeStr(base)), insn);
      checkRegion(c, 'mem', regno, base.off + off, base.var, size, base.size, insn);
      if (value !== null && value.t !== 'scalar') throw new Reject(`R${regno} storing a pointer into memory is not modelled (model)`, insn);
      return s;
    case 'ctx':
      throw new Reject(c.m.ctxOutside(base.off + off, size), insn);
    default:
      return notMemory(c, base, regno, insn);
  }
}

/**
 * `dst = base->field` (a CO-RE read of a member, model/btf/structs.ts): check_mem_access takes a
 * PTR_TO_BTF_ID that cannot be NULL to `check_ptr_to_btf_access`. A scalar member's load gives an
 * unknown scalar of its size (signed ones sign-extended by C), through any pointer to the structure
 * (an untrusted one's load becomes a BPF_PROBE_MEM read); a pointer member's gives a pointer as
 * trusted as model/btf/walk.ts says (`inRcuCs`: not sleepable, or inside a bpf_rcu_read_lock
 * section). Anything else — NULL-able, a scalar, a released pointer — is "R%d invalid mem access '…'".
 * A member of another structure, or a pointer of an unknown structure or of memory, would read at the
 * member's offset there, which the model does not know.
 */
export function checkField(base: AVal, regno: number, field: FieldName, inRcuCs: boolean, insn: number): AVal {
  const b = btfBase(base);
  if (b === null) {
    if (base.t === 'scalar' || (nullableType(base) && base.maybeNull === true)) throw new Reject(`R${regno} invalid mem access '${regTypeStr(base)}'`, insn);
    throw new Reject(`R${regno} ->${field} of ${regTypeStr(base)}: the model knows the members of struct task_struct, file and inode only (model)`, insn);
  }
  const member = memberOf(b.struct, field);
  if (member === undefined) throw new Reject(`R${regno} ->${field} of a struct ${b.struct} pointer: not a member of struct ${b.struct} the model knows (model)`, insn);
  if (member.kind === 'scalar') return narrow(UNKNOWN, member.size, member.signed);
  return btfPointer(member.to, walkedTrust(b.trust, b.struct, field, inRcuCs));
}

/** The structure and trust of a pointer that may be dereferenced (not NULL-able), or null when `v` is none. */
function btfBase(v: AVal): { struct: StructName; trust: Trust } | null {
  if (v.t === 'task' && !v.maybeNull) return { struct: 'task_struct', trust: v.walked ?? 'trusted' };
  if (v.t === 'file' && !v.maybeNull) return { struct: 'file', trust: 'trusted' };
  if (v.t === 'btf' && v.struct !== undefined && v.maybeNull !== true) return { struct: v.struct, trust: v.trusted ? 'trusted' : 'untrusted' };
  return null;
}

/**
 * `adjust_ptr_min_max_vals`: a pointer plus or minus a scalar. A constant goes into the fixed
 * offset; a variable one into the variable part. Arithmetic on NULL-able pointers, on maps,
 * functions and BTF pointers is refused.
 */
export function pointerArith(c: Checker, p: AVal, fn: string, b: Scalar, regno: number, insn: number): AVal {
  if (fn !== 'add' && fn !== 'sub') throw new Reject(c.m.pointerArith(regno, regTypeStr(p), `pointer arithmetic with ${fn} operator`), insn);
  if (p.t === 'scalar') return p;
  if (nullableType(p) && p.maybeNull) {
    throw new Reject(`R${regno} pointer arithmetic on ${regTypeStr(p)} prohibited, null-check it first`, insn);
  }
  if (p.t !== 'fp' && p.t !== 'map_value' && p.t !== 'mem' && p.t !== 'ctx') {
    throw new Reject(`R${regno} pointer arithmetic on ${regTypeStr(p)} prohibited`, insn);
  }
  const k = constOf(b);
  if (k !== undefined) {
    const d = Number(BigInt.asIntN(64, fn === 'add' ? k : -k));
    return { ...p, off: p.off + d };
  }
  if (p.t === 'ctx') throw new Reject(`R${regno} variable ctx access var_off=(0x0; 0x0) disallowed`, insn);
  if (fn === 'sub') throw new Reject(`R${regno} tried to subtract pointer from scalar`, insn);
  const cur = p.var ?? known(0n);
  return { ...p, var: aluScalar('add', cur, b) };
}
