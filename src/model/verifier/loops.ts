/**
 * Loops the verifier lets a program write (kernel/bpf/verifier.c): `bpf_loop` with a callback
 * (`push_callback_call`, `set_loop_callback_state`, `prepare_func_exit` for a callback) — the
 * callback is verified as called any number of times: the path that skips it continues after the
 * call at once, the callback runs in a frame of its own over the caller's stack (its context is
 * usually a pointer into it), and each return comes round to run it again until the state repeats;
 * and the arguments of a call to a global function (`btf_check_func_arg_match`), which is verified
 * on its own. Open-coded iterators (`bpf_iter_num_*`) are checked in calls.ts and converge in the
 * walker (`is_state_visited` at `bpf_iter_num_next`).
 */
import { E2BIG, EINVAL, ENOTSUPP } from '../kernel/errno.ts';
import type { Op, Subprog } from '../program/program.ts';
import type { CallCtx } from './calls.ts';
import { regTypeStr } from './regtype.ts';
import { constOf, range, UNKNOWN } from './scalar.ts';
import { dynptrAt, dynptrSpi } from './stack.ts';
import { top, withReg, withoutRegs } from './state.ts';
import { Reject, type AState, type AVal, type FState } from './types.ts';
import type { CallWalker } from './calls.ts';
import type { FrameLayout } from '../program/layout.ts';
import { initLocals } from './locals.ts';
import { mapLayout } from '../maps/layout.ts';
import { isBloom, isQueueStack, isTaskStorage } from '../maps/alloc_check.ts';

/** What the loop rules need of the walker. */
export interface LoopWalker extends CallWalker {
  isAsm(fn: string): boolean;
  layout(fn: string): FrameLayout;
}

interface Branch {
  readonly pc: number;
  readonly s: AState;
  readonly path: { readonly parent: unknown } | null;
}

/**
 * The callback frame of a `bpf_loop` call: R1 the index (below nr_loops), R2 the context. Of a
 * `bpf_for_each_map_elem` call (`map`; `set_map_elem_callback_state`): R1 the map, R2 its key
 * (PTR_TO_MAP_KEY, read-only), R3 its value, R4 the context.
 */
function callbackFrame(w: LoopWalker, s: AState, cb: Subprog, callsite: number, dst: string | null, ctxVal: AVal, insn: number, depth: number, map?: string): AState {
  const caller = top(s);
  if (s.frames.length >= 8) throw new Reject(w.m.tooManyFrames(s.frames.length + 1), insn, [], -E2BIG);
  const names = cb.params?.map((p) => p.name) ?? (map === undefined ? ['r1', 'r2'] : ['r1', 'r2', 'r3', 'r4']);
  const args: AVal[] = map === undefined ? [range(0n, 0xffffffffn), ctxVal] : [
    { t: 'map', map },
    { t: 'mem', size: w.obj.maps.find((m) => m.name === map)?.keySize ?? 4, off: 0, var: null, rdonly: true, maybeNull: false, id: 0, dynptrId: null, refObj: null, mapKey: true },
    { t: 'map_value', map, size: mapLayout(w.obj.maps, map)?.size ?? 0, off: 0, var: null, maybeNull: false, id: 0, rdonly: false },
    ctxVal,
  ];
  const regs = new Map<string, AVal>();
  names.forEach((n, i) => { const v = args[i]; if (v !== undefined) regs.set(n, v); });
  const loop = { callsite, dst, cb: cb.name, ctx: ctxVal, depth, ...(map === undefined ? {} : { map }) };
  const frame: FState = { fn: cb.name, frameno: caller.frameno + 1, regs, stack: new Map(), callsite, retDst: dst, loop, async: false };
  return initLocals(w, { ...s, frames: [...s.frames, frame] }, cb);
}

/** The caller's state just after the `bpf_loop` call: R0 (or the C destination) unknown. */
function afterCall(w: LoopWalker, s0: AState, dst: string | null, asm: boolean): AState {
  let s = asm ? withoutRegs(s0, ['r1', 'r2', 'r3', 'r4', 'r5']) : s0;
  if (dst !== null) s = withReg(s, dst, UNKNOWN);
  void w;
  return s;
}

/**
 * `bpf_loop(nr_loops, callback_fn, callback_ctx, flags)` and `bpf_for_each_map_elem(map,
 * callback_fn, callback_ctx, flags)`: checks the arguments, queues the callback's first run, and
 * returns the state of the path that does not call it (the walker goes on after the call).
 */
export function startLoop(w: LoopWalker, s: AState, op: Extract<Op, { op: 'call' }>, pc: number, insn: number, ctx: CallCtx, work: Branch[], path: Branch['path']): { s: AState; pc: number } {
  const def = w.opts.kfuncs[op.fn];
  if (def === undefined) throw new Reject(w.m.unknownFunc(op.fn), insn);
  const each = op.fn === 'bpf_for_each_map_elem';
  const [nrA, cbA, ctxA, flagsA] = op.args;
  if (nrA === undefined || cbA === undefined || ctxA === undefined || flagsA === undefined || op.args.length !== 4) throw new Reject(`${op.fn}: expected 4 arguments (model wording)`, insn);
  const nr = w.operand(s, nrA, insn);
  if (!each && nr.t !== 'scalar') throw new Reject(w.m.typeMismatch(1, regTypeStr(nr), 'scalar'), insn);
  if (each && nr.t !== 'map') throw new Reject(w.m.typeMismatch(1, regTypeStr(nr), 'map_ptr'), insn);
  if (!('cb' in cbA)) throw new Reject(w.m.typeMismatch(2, regTypeStr(w.operand(s, cbA, insn)), 'func'), insn);
  const cb = w.obj.subprogs.find((x) => x.name === cbA.cb);
  if (cb === undefined) throw new Reject(w.m.notCallback(1), insn, [], -EINVAL);
  if (!cb.isStatic) throw new Reject(w.m.notStatic(), insn, [], -EINVAL);
  const ctxVal = w.operand(s, ctxA, insn);
  if (ctxVal.t !== 'fp' && !(ctxVal.t === 'scalar' && constOf(ctxVal) === 0n)) throw new Reject(w.m.typeMismatch(3, regTypeStr(ctxVal), 'fp'), insn);
  const flags = w.operand(s, flagsA, insn);
  if (flags.t !== 'scalar') throw new Reject(w.m.typeMismatch(4, regTypeStr(flags), 'scalar'), insn);
  const map = nr.t === 'map' ? nr.map : undefined;
  // set_map_elem_callback_state, before check_map_func_compatibility: a map whose ops have no
  // map_for_each_callback (a ring buffer, a queue, a stack, a bloom filter, a task storage) → -ENOTSUPP (conformance qs_v_foreach).
  const decl = map === undefined ? undefined : w.obj.maps.find((x) => x.name === map);
  if (decl !== undefined && (decl.type === 'ringbuf' || isQueueStack(decl) || isBloom(decl) || isTaskStorage(decl))) throw new Reject('callback function not allowed for map', insn, [], -ENOTSUPP);
  const asm = w.isAsm(top(s).fn);
  const dst = op.dst ?? (asm ? 'r0' : null);
  work.push({ pc: 0, s: callbackFrame(w, s, cb, pc, dst, ctxVal, insn, 0, map), path });
  return { s: afterCall(w, s, dst, asm), pc: pc + 1 };
}

/**
 * A `bpf_loop` callback returns: R0 must be 0 or 1; the callback may run again (queued: the same
 * frame over the caller's new state), or the loop ends and the caller continues after the call.
 */
export function loopReturn(w: LoopWalker, s0: AState, callee: FState, v: AVal, insn: number, work: Branch[], path: Branch['path']): { s: AState; pc: number } {
  if (v.t !== 'scalar') throw new Reject(`At callback return the register R0 is not a known value (${regTypeStr(v)})`, insn, [], -EINVAL);
  if (v.smin < 0n || v.umax > 1n) throw new Reject(w.m.callbackRet(String(v.smin), String(v.smax)), insn, [], -EINVAL);
  const loop = callee.loop;
  if (loop === null) throw new Reject('not a callback (model)', insn);
  const s = { ...s0, frames: s0.frames.slice(0, -1) };
  const cb = w.obj.subprogs.find((x) => x.name === loop.cb) as Subprog;
  work.push({ pc: 0, s: callbackFrame(w, s, cb, loop.callsite, loop.dst, loop.ctx, insn, loop.depth + 1, loop.map), path });
  return { s: afterCall(w, s, loop.dst, w.isAsm(top(s).fn)), pc: loop.callsite + 1 };
}

/** `btf_check_func_arg_match`: a call of a global function, each argument against its parameter's type. */
export function checkGlobalCallArgs(w: LoopWalker, s: AState, sub: Subprog, op: Extract<Op, { op: 'call' }>, insn: number, ctx: CallCtx): AState {
  const params = sub.params ?? [];
  if (op.args.length !== params.length) throw new Reject(`${sub.name}: expected ${params.length} arguments (model wording)`, insn);
  params.forEach((p, i) => {
    const v = w.operand(s, op.args[i] as (typeof op.args)[number], insn);
    switch (p.type) {
      case 'dynptr': {
        if (v.t === 'dynptr_ptr') return;
        if (v.t !== 'fp') {
          throw new Reject(w.m.notDynptrSlot(i), insn, [], -EINVAL);
        }
        const spi = dynptrSpi(w, v);
        if (typeof spi === 'string') throw new Reject(spi, insn, [w.m.notInitialized(i)], -EINVAL);
        if (dynptrAt(s, v.frame, spi) === null) throw new Reject(w.m.notInitialized(i), insn, [], -EINVAL);
        return;
      }
      case 'ctx':
        if (v.t !== 'ctx') throw new Reject(`arg#${i} expects pointer to ctx`, insn, [], -EINVAL);
        return;
      case 'ptr':
        return;
      default:
        if (v.t !== 'scalar') throw new Reject(`R${i + 1} is not a scalar`, insn, [], -EINVAL);
    }
  });
  void ctx;
  return s;
}
