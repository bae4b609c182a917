/**
 * Operations on a verifier state: the running frame, its registers, references, and the changes
 * releases and invalidations make (verifier.c `release_reference`, `mark_reg_invalid`,
 * `invalidate_dynptr`, `bpf_for_each_reg_in_vstate`), and the key pruning compares states by.
 */
import { RegFile } from './regs.ts';
import { UNKNOWN, type Scalar } from './scalar.ts';
import type { AState, AVal, FState, RefInfo, StackSlot } from './types.ts';
import type { StructName } from '../btf/structs.ts';
import type { Trust } from '../btf/walk.ts';

/** A PTR_TO_BTF_ID of a task or a file: the BTF pointers that may be references the program holds. */
export type ObjPtr = Extract<AVal, { t: 'task' | 'file' }>;
export const isObjPtr = (v: AVal): v is ObjPtr => v.t === 'task' || v.t === 'file';
/** A register type that may carry PTR_MAYBE_NULL: a map value, memory, a task, a file, a BTF pointer (a kptr). */
export type NullablePtr = Extract<AVal, { t: 'map_value' | 'mem' | 'task' | 'file' | 'btf' }>;
export const nullableType = (v: AVal): v is NullablePtr => v.t === 'map_value' || v.t === 'mem' || v.t === 'btf' || isObjPtr(v);

export function top(s: AState): FState {
  const f = s.frames[s.frames.length - 1];
  if (f === undefined) throw new Error('verifier state without frames');
  return f;
}

export function withTop(s: AState, f: FState): AState {
  const frames = s.frames.slice();
  frames[frames.length - 1] = f;
  return { ...s, frames };
}

export function withFrameAt(s: AState, i: number, f: FState): AState {
  const frames = s.frames.slice();
  frames[i] = f;
  return { ...s, frames };
}

export function withReg(s: AState, r: string, v: AVal): AState {
  const f = top(s);
  return withTop(s, { ...f, regs: RegFile.of(f.regs).with(r, v) });
}

export function withoutRegs(s: AState, names: readonly string[]): AState {
  const f = top(s);
  let regs = RegFile.of(f.regs);
  for (const n of names) regs = regs.without(n);
  return withTop(s, { ...f, regs });
}

export function withRef(s: AState, id: number, r: RefInfo): AState {
  const refs = new Map(s.refs);
  refs.set(id, r);
  return { ...s, refs };
}

export function withSlots(s: AState, frame: number, slots: ReadonlyMap<number, StackSlot>): AState {
  const i = s.frames.findIndex((f) => f.frameno === frame);
  const f = s.frames[i];
  if (f === undefined) return s;
  return withFrameAt(s, i, { ...f, stack: slots });
}

/** Apply `fn` to every register and spilled register of every frame (`bpf_for_each_reg_in_vstate`). */
export function mapRegs(s: AState, fn: (v: AVal) => AVal): AState {
  let changed = false;
  const frames = s.frames.map((f) => {
    let regs: RegFile | null = null;
    for (const [k, v] of f.regs) {
      const n = fn(v);
      if (n !== v) regs = (regs ?? RegFile.of(f.regs)).with(k, n);
    }
    let stack: Map<number, StackSlot> | null = null;
    for (const [spi, slot] of f.stack) {
      if (slot.spilled === null) continue;
      const n = fn(slot.spilled);
      if (n !== slot.spilled) {
        stack ??= new Map(f.stack);
        stack.set(spi, { ...slot, spilled: n });
      }
    }
    if (regs === null && stack === null) return f;
    changed = true;
    return { ...f, regs: regs ?? f.regs, stack: stack ?? f.stack };
  });
  return changed ? { ...s, frames } : s;
}

/** `mark_reg_invalid` for a privileged program: the register becomes an unknown scalar. */
export const INVALID: Scalar = UNKNOWN;

/** Slices of dynptr `dynptrId` become unknown scalars (`invalidate_dynptr` / `destroy_if_dynptr_stack_slot`). */
export function invalidateSlices(s: AState, dynptrId: number): AState {
  return mapRegs(s, (v) => (v.t === 'mem' && v.dynptrId === dynptrId ? INVALID : v));
}

/** `clear_all_pkt_pointers`: the packet slices of the given kinds become unknown scalars. */
export function invalidatePacket(s: AState, kinds: readonly ('data' | 'meta')[]): AState {
  return mapRegs(s, (v) => (v.t === 'mem' && v.pkt !== undefined && kinds.includes(v.pkt) ? INVALID : v));
}

/**
 * Release reference `id` (`release_reference`): every register holding it becomes an unknown
 * scalar, every stack slot holding it (dynptrs, iterators) uninitialized, and the slices of those
 * dynptrs unknown.
 */
export function release(s: AState, id: number): AState {
  const refs = new Map(s.refs);
  refs.delete(id);
  const dynptrIds = new Set<number>();
  const frames = s.frames.map((f) => {
    let stack: Map<number, StackSlot> | null = null;
    for (const [spi, slot] of f.stack) {
      if ((slot.dynptr !== null && slot.dynptr.ref === id) || (slot.iter !== null && slot.iter.ref === id)) {
        if (slot.dynptr !== null) dynptrIds.add(slot.dynptr.id);
        stack ??= new Map(f.stack);
        stack.set(spi, { types: 'IIIIIIII', spilled: null, dynptr: null, iter: null });
      }
    }
    return stack === null ? f : { ...f, stack };
  });
  let next: AState = { ...s, frames, refs };
  next = mapRegs(next, (v) => {
    if (isObjPtr(v) && v.ref === id) return INVALID;
    if (v.t === 'mem' && (v.refObj === id || (v.dynptrId !== null && dynptrIds.has(v.dynptrId)))) return INVALID;
    return v;
  });
  return next;
}

/** Does any register or slot of the state still hold reference `id`? (a clone keeps a dynptr's reference). */
export function refHeld(s: AState, id: number): boolean {
  for (const f of s.frames) {
    for (const slot of f.stack.values()) if (slot.dynptr?.ref === id || slot.iter?.ref === id) return true;
  }
  return false;
}

/**
 * `widen_imprecise_scalars` (called from `process_iter_next_call`; callbacks get the same effect from
 * `states_equal` ignoring imprecise scalars): at a loop's convergence point, a scalar — in a register
 * or spilled to the stack — that differs from the previous iteration's becomes unknown, and a stack
 * byte that was zero in one and written in the other becomes MISC. The model does not track
 * precision (`mark_chain_precision`): every scalar is widened. Where the kernel keeps a precise one,
 * its loop does not converge either (states differ every iteration); where a widened scalar is used
 * as an offset or size later, the model refuses what needs it bounded.
 */
export function widen(old: AState, cur: AState): AState {
  let changed = false;
  const frames = cur.frames.map((f) => {
    const o = old.frames.find((x) => x.frameno === f.frameno && x.fn === f.fn);
    if (o === undefined) return f;
    let regs: RegFile | null = null;
    for (const [k, v] of f.regs) {
      const ov = o.regs.get(k);
      if (v.t === 'scalar' && ov !== undefined && ov.t === 'scalar' && valKey(v) !== valKey(ov)) regs = (regs ?? RegFile.of(f.regs)).with(k, UNKNOWN);
    }
    let stack: Map<number, StackSlot> | null = null;
    for (const [spi, sl] of f.stack) {
      const os = o.stack.get(spi);
      if (os === undefined) continue;
      let next = sl;
      if (sl.spilled !== null && sl.spilled.t === 'scalar' && os.spilled !== null && os.spilled.t === 'scalar' && valKey(sl.spilled) !== valKey(os.spilled)) next = { ...next, spilled: UNKNOWN };
      if (sl.types !== os.types && /^[MZ]+$/.test(sl.types.replace(/I/g, '')) && /^[MZ]+$/.test(os.types.replace(/I/g, ''))) {
        let types = '';
        for (let i = 0; i < sl.types.length; i += 1) {
          const a = sl.types[i] ?? 'I';
          const b = os.types[i] ?? 'I';
          types += a !== b && (a === 'Z' || b === 'Z') && a !== 'I' && b !== 'I' ? 'M' : a;
        }
        if (types !== sl.types) next = { ...next, types };
      }
      if (next !== sl) {
        stack ??= new Map(f.stack);
        stack.set(spi, next);
      }
    }
    if (regs === null && stack === null) return f;
    changed = true;
    return { ...f, regs: regs ?? f.regs, stack: stack ?? f.stack };
  });
  return changed ? { ...cur, frames } : cur;
}

function valKey(v: AVal): string {
  switch (v.t) {
    case 'scalar': return v.tm === 0n ? `k${v.tv}` : `s${v.umin}:${v.umax}:${v.smin}:${v.smax}:${v.tv}:${v.tm}`;
    case 'fp': return `fp${v.frame}:${v.off}${v.var === null ? '' : `+${valKey(v.var)}`}`;
    case 'map_value': return `mv${v.map}:${v.off}:${v.maybeNull ? 'n' : ''}${v.id}${v.var === null ? '' : `+${valKey(v.var)}`}`;
    case 'mem': return `mem${v.size}:${v.off}:${v.rdonly ? 'r' : ''}${v.ringbuf === true ? 'R' : ''}${v.mapKey === true ? 'K' : ''}${v.maybeNull ? 'n' : ''}${v.pkt ?? ''}${v.id}:${v.dynptrId}:${v.refObj}${v.var === null ? '' : `+${valKey(v.var)}`}`;
    case 'ctx': return `ctx${v.off}`;
    case 'map': return `map${v.map}`;
    case 'task':
    case 'file': return `${v.t}${v.ref}:${v.maybeNull ? 'n' : ''}${v.id}${v.walked ?? ''}`;
    case 'func': return `func${v.name}`;
    case 'dynptr_ptr': return `dp${v.kind}`;
    case 'btf': return `${v.trusted ? 'btf+' : 'btf'}${v.struct === undefined ? '' : `:${v.struct}`}${v.maybeNull === true ? `:n${v.id ?? 0}` : ''}`;
  }
}

function slotKey(slot: StackSlot, depths: boolean): string {
  return `${slot.types}${slot.spilled === null ? '' : `/${valKey(slot.spilled)}`}${slot.dynptr === null ? '' : `/d${slot.dynptr.kind}:${slot.dynptr.first ? 1 : 0}:${slot.dynptr.id}:${slot.dynptr.ref}`}${slot.iter === null ? '' : `/i${slot.iter.active ? 1 : 0}:${slot.iter.ref}:${depths ? slot.iter.depth : ''}`}`;
}

/**
 * The keys of values and stack slots made so far in one walk. Values and slots never change and are
 * shared by the states that hold them, so each one's key is made once.
 */
export interface KeyMemo {
  readonly vals: WeakMap<AVal, string>;
  /** Slot keys with iterator depths, and without. */
  readonly slots: WeakMap<StackSlot, string>;
  readonly slotsNoDepth: WeakMap<StackSlot, string>;
  /** A frame's stack as key text, with iterator depths and without. */
  readonly stacks: WeakMap<ReadonlyMap<number, StackSlot>, string>;
  readonly stacksNoDepth: WeakMap<ReadonlyMap<number, StackSlot>, string>;
  /** A frame's register names, sorted. */
  readonly names: WeakMap<ReadonlyMap<string, AVal>, readonly string[]>;
}

export const newKeyMemo = (): KeyMemo => ({
  vals: new WeakMap(), slots: new WeakMap(), slotsNoDepth: new WeakMap(), stacks: new WeakMap(), stacksNoDepth: new WeakMap(), names: new WeakMap(),
});

function stackKey(memo: KeyMemo, stack: ReadonlyMap<number, StackSlot>, depths: boolean): string {
  const m = depths ? memo.stacks : memo.stacksNoDepth;
  let k = m.get(stack);
  if (k === undefined) {
    const spis = [...stack.keys()].sort((x, y) => x - y);
    k = spis.map((spi) => `${spi}:${memoSlotKey(memo, stack.get(spi) as StackSlot, depths)}`).join(',');
    m.set(stack, k);
  }
  return k;
}

function sortedNames(memo: KeyMemo, regs: ReadonlyMap<string, AVal>): readonly string[] {
  let n = memo.names.get(regs);
  if (n === undefined) {
    // Register names are distinct: sorting the names orders the pairs as sorting the pairs by name would.
    n = [...regs.keys()].sort();
    memo.names.set(regs, n);
  }
  return n;
}

function memoValKey(memo: KeyMemo, v: AVal): string {
  let k = memo.vals.get(v);
  if (k === undefined) {
    k = valKey(v);
    memo.vals.set(v, k);
  }
  return k;
}

function memoSlotKey(memo: KeyMemo, slot: StackSlot, depths: boolean): string {
  const m = depths ? memo.slots : memo.slotsNoDepth;
  let k = m.get(slot);
  if (k === undefined) {
    k = slotKey(slot, depths);
    m.set(slot, k);
  }
  return k;
}

/**
 * The key of a state for pruning (`states_equal`, exact): `live` limits the running frame's
 * registers to the ones read later (the kernel's liveness marks); the other frames are compared
 * whole.
 */
export function stateKey(s: AState, live: ReadonlySet<string> | null, depths: boolean, memo: KeyMemo): string {
  const parts: string[] = [];
  s.frames.forEach((f, i) => {
    const inner = i === s.frames.length - 1;
    const regs: string[] = [];
    for (const k of sortedNames(memo, f.regs)) if (!inner || live === null || live.has(k)) regs.push(`${k}=${memoValKey(memo, f.regs.get(k) as AVal)}`);
    parts.push(`${f.fn}@${f.callsite}:${f.retDst ?? ''}[${regs.join(',')}][${stackKey(memo, f.stack, depths)}]${f.loop === null ? '' : `L${f.loop.callsite}:${depths ? f.loop.depth : ''}`}`);
  });
  const refs = [...s.refs.entries()].sort((a, b) => a[0] - b[0]).map(([k, r]) => `${k}:${r.kind}:${r.parent}`);
  return `${parts.join('|')}#${refs.join(',')}${s.rcu === undefined || s.rcu === 0 ? '' : `#rcu${s.rcu}`}`;
}

/**
 * `invalidate_rcu_protected_refs` (the outermost bpf_rcu_read_unlock): every RCU pointer, in a
 * register or spilled, becomes untrusted (MEM_RCU and PTR_MAYBE_NULL cleared, PTR_UNTRUSTED set).
 */
export function invalidateRcu(s: AState): AState {
  return mapRegs(s, (v) => (v.t === 'task' && v.walked === 'rcu' ? btfPointer('task_struct', 'untrusted') : v));
}

/**
 * A pointer to `struct` of trust `t` (src/model/btf/walk.ts), as the model's registers hold it: tasks
 * and files have their own types (the kfuncs take them; a task not trusted but RCU or plain says so
 * in `walked`), an untrusted task and an inode are BTF pointers (no kfunc of the model takes an inode;
 * the only way to one, `file->f_inode`, gives a trusted or an untrusted pointer).
 */
export function btfPointer(struct: StructName, t: Trust): AVal {
  if (struct === 'task_struct') {
    if (t === 'untrusted') return { t: 'btf', trusted: false, struct };
    return t === 'trusted' ? { t: 'task', ref: null, maybeNull: false, id: 0 } : { t: 'task', ref: null, maybeNull: false, id: 0, walked: t };
  }
  if (struct === 'file' && t === 'trusted') return { t: 'file', ref: null, maybeNull: false, id: 0 };
  return { t: 'btf', trusted: t === 'trusted', struct };
}
