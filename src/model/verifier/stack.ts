/**
 * The stack slot rules (kernel/bpf/verifier.c): writes (`check_stack_write_fixed_off`,
 * `check_stack_write_var_off`, `save_register_state`), reads (`check_stack_read_fixed_off`,
 * `check_stack_range_initialized`), and the dynptr slots (`dynptr_get_spi`,
 * `is_dynptr_reg_valid_uninit`/`_init`, `mark_stack_slots_dynptr`, `destroy_if_dynptr_stack_slot`).
 *
 * A slot is 8 bytes; `spi` 0 is the slot just below the frame pointer. Each byte has a type: I
 * (STACK_INVALID, never written), M (STACK_MISC), Z (STACK_ZERO), S (a spilled register), D
 * (STACK_DYNPTR), T (STACK_ITER). The program is privileged (CAP_BPF, CAP_PERFMON: the selftests'
 * RUN_TESTS keeps them), so reading an uninitialized byte is allowed (`allow_uninit_stack`) and gives
 * an unknown value.
 */
import { EACCES, EINVAL } from '../kernel/errno.ts';
import { MAX_BPF_STACK } from '../program/layout.ts';
import { constOf, isConst, known, tnumStr, UNKNOWN } from './scalar.ts';
import { invalidateSlices, refHeld, withSlots } from './state.ts';
import { Reject, type AState, type AVal, type Checker, type DynptrSlot, type FState, type StackSlot } from './types.ts';

export const EMPTY_SLOT: StackSlot = { types: 'IIIIIIII', spilled: null, dynptr: null, iter: null };

/** `__get_spi`: the slot of the byte at `off` (negative) from the frame pointer. */
export function spiOf(off: number): number {
  return Math.trunc((-off - 1) / 8);
}

/** The index in a slot's `types` of the byte at `off`. */
function byteOf(off: number): number {
  return (((-off - 1) % 8) + 8) % 8;
}

export function frameOf(s: AState, frameno: number): FState {
  const f = s.frames.find((x) => x.frameno === frameno);
  if (f === undefined) throw new Error(`no verifier frame ${frameno}`);
  return f;
}

function slot(f: FState, spi: number): StackSlot {
  return f.stack.get(spi) ?? EMPTY_SLOT;
}

const REFCOUNTED = new Set(['ringbuf', 'file']);

/** `dynptr_type_refcounted`. */
export function dynptrRefcounted(kind: string): boolean {
  return REFCOUNTED.has(kind);
}

/**
 * `destroy_if_dynptr_stack_slot`: a write into a dynptr's slot destroys the dynptr (both slots become
 * invalid, its slices unknown); a refcounted dynptr may not be destroyed this way.
 */
export function destroyIfDynptr(c: Checker, s: AState, frameno: number, spi: number, insn: number): AState {
  const f = frameOf(s, frameno);
  const sl = slot(f, spi);
  if (sl.dynptr === null || sl.types[0] !== 'D') return s;
  const first = sl.dynptr.first ? spi : spi + 1;
  const d = slot(f, first).dynptr as DynptrSlot;
  const stack = new Map(f.stack);
  stack.set(first, EMPTY_SLOT);
  stack.set(first - 1, EMPTY_SLOT);
  const next = withSlots(s, frameno, stack);
  // A refcounted dynptr may not be destroyed this way — unless (7.x) a clone still holds the
  // reference: then only this dynptr and its own slices go.
  if (d.ref !== null && dynptrRefcounted(d.kind) && !(c.opts.features.dynptrRules7 && refHeld(next, d.ref))) throw new Reject(c.m.overwriteReferenced(), insn, [], -EINVAL);
  return invalidateSlices(next, d.id);
}

/** The bytes `[off, off + size)` of a frame's stack: their types, for a message's byte index. */
function typesAt(f: FState, off: number, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < size; i += 1) out.push(slot(f, spiOf(off + i)).types[byteOf(off + i)] ?? 'I');
  return out;
}

/**
 * The errno of an access of the stack's `[min, max)` outside it (`check_stack_access_within_bounds`):
 * a start outside `[-512, -1]` is -EACCES (`check_stack_slot_within_bounds`), an end past the frame
 * pointer -EINVAL.
 */
export function stackBoundsErrno(min: number, max: number): number {
  return min < -MAX_BPF_STACK || min > -1 ? -EACCES : max > 0 ? -EINVAL : -EACCES;
}

/** `check_stack_access_within_bounds` for a constant offset: inside `[-512, 0)`. */
export function checkStackBounds(c: Checker, what: 'read from' | 'write to', regno: number, off: number, size: number, insn: number): void {
  if (off < -MAX_BPF_STACK || off + size > 0 || size < 0) throw new Reject(c.m.stackBounds(what, regno, off, size), insn, [], stackBoundsErrno(off, off + size));
}

/** The variable-offset form: `[smin + off, smax + off + size)`. */
export function checkStackBoundsVar(c: Checker, what: 'read from' | 'write to', regno: number, v: Extract<AVal, { t: 'fp' }>, off: number, size: number, insn: number): { min: number; max: number } {
  const vo = v.var ?? known(0n);
  if (vo.smax >= 1n << 29n || vo.smin <= -(1n << 29n)) throw new Reject(`invalid unbounded variable-offset ${what} stack R${regno}`, insn);
  const min = Number(vo.smin) + off;
  const max = Number(vo.smax) + off + size;
  if (min < -MAX_BPF_STACK || max > 0) throw new Reject(c.m.stackBoundsVar(what, regno, tnumStr(vo), off, size), insn, [], stackBoundsErrno(min, max));
  return { min, max };
}

/** Mark bytes `[off, off + size)` with `type` (M or Z), scrubbing a spill or iterator in their slots. */
function markBytes(f: FState, stack: Map<number, StackSlot>, off: number, size: number, type: 'M' | 'Z'): void {
  for (let i = 0; i < size; i += 1) {
    const spi = spiOf(off + i);
    const sl = stack.get(spi) ?? slot(f, spi);
    let types = sl.types;
    // A write into a slot holding a spilled register or an iterator makes its other bytes MISC.
    if (sl.spilled !== null || sl.types.includes('S') || sl.types.includes('T')) types = types.replace(/[ST]/g, 'M');
    const b = byteOf(off + i);
    types = types.slice(0, b) + type + types.slice(b + 1);
    stack.set(spi, { types, spilled: null, dynptr: null, iter: null });
  }
}

/**
 * `check_stack_write_fixed_off`: a store of `size` bytes at `off` (constant) of frame `frameno`.
 * `value` is the stored register (null for an immediate: `imm`). An 8-byte aligned store of a
 * register (or immediate) spills it: the slot remembers the value.
 */
export function stackWriteFixed(c: Checker, s0: AState, frameno: number, off: number, size: number, value: AVal | null, imm: bigint | null, regno: number, insn: number, fromCallee: boolean): AState {
  let s = destroyIfDynptr(c, s0, frameno, spiOf(off), insn);
  const f = frameOf(s, frameno);
  const stack = new Map(f.stack);
  const spi = spiOf(off);
  const aligned = off % 8 === 0;
  const v = value ?? (imm === null ? UNKNOWN : known(imm));
  if (aligned && size === 8) {
    if (v.t !== 'scalar' && v.t === 'fp' && fromCallee) throw new Reject('cannot spill pointers to stack into stack frame of the caller', insn, [], -EINVAL);
    stack.set(spi, { types: 'SSSSSSSS', spilled: v, dynptr: null, iter: null });
  } else if (v.t !== 'scalar') {
    throw new Reject(c.m.spillSize(), insn);
  } else {
    markBytes(f, stack, off, size, constOf(v) === 0n ? 'Z' : 'M');
  }
  s = withSlots(s, frameno, stack);
  return s;
}

/** `check_stack_write_var_off`: a store at a variable offset destroys dynptrs and spills in its range. */
export function stackWriteVar(c: Checker, s0: AState, frameno: number, min: number, max: number, zero: boolean, insn: number): AState {
  let s = s0;
  for (let spi = spiOf(max - 1); spi <= spiOf(min); spi += 1) s = destroyIfDynptr(c, s, frameno, spi, insn);
  const f = frameOf(s, frameno);
  const stack = new Map(f.stack);
  for (let o = min; o < max; o += 1) {
    const sl = stack.get(spiOf(o)) ?? slot(f, spiOf(o));
    const b = byteOf(o);
    const keepZero = zero && sl.types[b] === 'Z';
    const types = sl.types.slice(0, b) + (keepZero ? 'Z' : 'M') + sl.types.slice(b + 1);
    stack.set(spiOf(o), { types, spilled: null, dynptr: null, iter: null });
  }
  return withSlots(s, frameno, stack);
}

/** `check_stack_read_fixed_off`: the value a load of `size` bytes at `off` gives. */
export function stackReadFixed(c: Checker, s: AState, frameno: number, off: number, size: number, insn: number): AVal {
  const f = frameOf(s, frameno);
  const sl = slot(f, spiOf(off));
  if (sl.spilled !== null && sl.types === 'SSSSSSSS') {
    if (size === 8 && off % 8 === 0) return sl.spilled;
    if (sl.spilled.t !== 'scalar') throw new Reject(c.m.fillSize(), insn);
    // A narrowing fill of a spilled scalar from the slot's start (little-endian:
    // `bpf_stack_narrow_access_ok`) keeps the value; the caller coerces it to the size
    // (`coerce_reg_to_size`). Elsewhere in the slot the value is unknown.
    return off % 8 === 0 ? sl.spilled : UNKNOWN;
  }
  const types = typesAt(f, off, size);
  let zeros = 0;
  for (let i = 0; i < size; i += 1) {
    const t = types[i];
    if (t === 'Z') zeros += 1;
    else if (t === 'M' || t === 'I' || t === 'S') continue;
    else throw new Reject(c.m.stackRead(off, i, size), insn);
  }
  return zeros === size ? known(0n) : UNKNOWN;
}

/**
 * `check_stack_range_initialized`: the bytes a helper or kfunc reads from the stack (`[min, max)`)
 * must be initialized (or, privileged, never written), never a dynptr or iterator; `write` then
 * marks them MISC (the helper may write anything).
 */
export function stackRangeRead(c: Checker, s: AState, frameno: number, v: Extract<AVal, { t: 'fp' }>, min: number, max: number, regno: number, insn: number): void {
  const f = frameOf(s, frameno);
  const minOff = min;
  for (let o = min; o < max; o += 1) {
    const sl = slot(f, spiOf(o));
    const t = sl.types[byteOf(o)] ?? 'I';
    if (t === 'M' || t === 'Z' || t === 'I') continue;
    if (t === 'S' && sl.spilled !== null) continue;
    if (v.var === null || isConst(v.var)) throw new Reject(c.m.stackReadHelper(regno, minOff, o - minOff, max - min), insn);
    throw new Reject(c.m.stackReadHelperVar(regno, tnumStr(v.var), o - minOff, max - min), insn);
  }
}

/** The offset of the first STACK_DYNPTR byte in `[min, max)`, or null. */
export function stackDynptrByte(s: AState, frameno: number, min: number, max: number): number | null {
  const f = frameOf(s, frameno);
  for (let o = min; o < max; o += 1) if (slot(f, spiOf(o)).types[byteOf(o)] === 'D') return o;
  return null;
}

/** A helper's write of `[min, max)` (raw-mode memory: `check_mem_access` of each byte as BPF_B writes). */
export function stackRangeWrite(c: Checker, s0: AState, frameno: number, min: number, max: number, insn: number): AState {
  let s = s0;
  for (let o = min; o < max; o += 1) s = destroyIfDynptr(c, s, frameno, spiOf(o), insn);
  const f = frameOf(s, frameno);
  const stack = new Map(f.stack);
  markBytes(f, stack, min, max - min, 'M');
  return withSlots(s, frameno, stack);
}

// ---------------------------------------------------------------------------------------------
// Dynptr slots
// ---------------------------------------------------------------------------------------------

/**
 * `dynptr_get_spi`: the upper slot of the dynptr a stack pointer names, or the message the kernel
 * prints (a variable offset; an offset that is not 8-aligned or leaves no room for two slots).
 */
export function dynptrSpi(c: Checker, v: Extract<AVal, { t: 'fp' }>): number | string {
  if (v.var !== null && !isConst(v.var)) return c.m.dynptrVarOff();
  const off = v.off + Number(v.var === null ? 0n : (constOf(v.var) ?? 0n));
  if (off % 8 !== 0) return c.m.dynptrOffset(off);
  const spi = spiOf(off);
  if (spi < 1) return c.m.dynptrOffset(off);
  return spi;
}

/** `is_dynptr_reg_valid_init`: both slots hold the same dynptr, the upper one first. */
export function dynptrAt(s: AState, frameno: number, spi: number): DynptrSlot | null {
  const f = frameOf(s, frameno);
  const a = slot(f, spi);
  const b = slot(f, spi - 1);
  if (a.dynptr === null || !a.dynptr.first || a.types !== 'DDDDDDDD' || b.types !== 'DDDDDDDD') return null;
  return a.dynptr;
}

/**
 * `mark_stack_slots_dynptr`: the constructor's two 8-byte writes (each may destroy a dynptr there,
 * `cannot overwrite referenced dynptr` for a refcounted one), then both slots hold the new dynptr.
 */
export function markDynptr(c: Checker, s0: AState, frameno: number, spi: number, kind: string, ref: number | null, id: number, insn: number): AState {
  let s = destroyIfDynptr(c, s0, frameno, spi, insn);
  s = destroyIfDynptr(c, s, frameno, spi - 1, insn);
  const f = frameOf(s, frameno);
  const stack = new Map(f.stack);
  stack.set(spi, { types: 'DDDDDDDD', spilled: null, dynptr: { kind, first: true, id, ref }, iter: null });
  stack.set(spi - 1, { types: 'DDDDDDDD', spilled: null, dynptr: { kind, first: false, id, ref }, iter: null });
  return withSlots(s, frameno, stack);
}

/** `unmark_stack_slots_dynptr` for a non-refcounted dynptr (a refcounted one goes through `release`). */
export function unmarkDynptr(s: AState, frameno: number, spi: number): AState {
  const f = frameOf(s, frameno);
  const d = slot(f, spi).dynptr;
  const stack = new Map(f.stack);
  stack.set(spi, EMPTY_SLOT);
  stack.set(spi - 1, EMPTY_SLOT);
  const next = withSlots(s, frameno, stack);
  return d === null ? next : invalidateSlices(next, d.id);
}

/**
 * A frame returns: its stack dies, and the slices of the dynptrs on it. A refcounted dynptr's
 * reference stays acquired: the reference check at program exit finds it (`check_reference_leak`).
 */
export function dropFrameStack(s: AState, frameno: number): AState {
  const f = frameOf(s, frameno);
  let next = withSlots(s, frameno, new Map());
  for (const sl of f.stack.values()) {
    const d = sl.dynptr;
    if (d === null || !d.first) continue;
    next = invalidateSlices(next, d.id);
  }
  return next;
}

/** STACK_ITER slot of an iterator at `spi` (`is_iter_reg_valid_init`). */
export function iterAt(s: AState, frameno: number, spi: number): StackSlot['iter'] {
  const sl = slot(frameOf(s, frameno), spi);
  return sl.types === 'TTTTTTTT' ? sl.iter : null;
}

export function markIter(s: AState, frameno: number, spi: number, it: NonNullable<StackSlot['iter']> | null): AState {
  const f = frameOf(s, frameno);
  const stack = new Map(f.stack);
  stack.set(spi, it === null ? EMPTY_SLOT : { types: 'TTTTTTTT', spilled: null, dynptr: null, iter: it });
  return withSlots(s, frameno, stack);
}
