/**
 * The path walk (kernel/bpf/verifier.c: `do_check`, `is_state_visited`, `push_stack`): every path of a
 * program, both sides of each branch whose outcome is not known, loops until their state repeats.
 */
import type { Arg, BpfObject, Cond, Subprog } from '../program/program.ts';
import { checkCall } from './calls.ts';
import { messages, type Messages } from './messages.ts';
import { cmpConst, aluConst } from './scalar.ts';
import { release, stateKey, withReg } from './state.ts';
import { Reject, type AState, type AVal, type Checker, type Frame, type Specialization, type VerifyOptions } from './types.ts';


const MAX_STATES = 100_000;


export class Walker implements Checker {
  readonly m: Messages;
  states = 0;
  #nextRef = 1;
  readonly specializations: Specialization[] = [];
  readonly verifiedCallbacks = new Set<string>();

  constructor(readonly obj: BpfObject, readonly opts: VerifyOptions) {
    this.m = messages(opts.features);
  }

  run(frame: Frame, init: AState): void {
    const labels = new Map<string, number>();
    frame.body.forEach((op, i) => { if (op.op === 'label') labels.set(op.name, i); });
    const seen = new Set<string>();
    // Depth-first over paths with an explicit stack (no recursion: a program with thousands of
    // branches must not overflow the JavaScript stack). A segment runs straight on until it returns,
    // meets a state seen before, or reaches a branch both of whose sides are possible: then it is
    // suspended (to continue on the fall-through side) and the taken side runs first, as
    // `push_stack` orders them. `onPath` holds the states of the segments on the current path (a state
    // met again on its own path is an infinite loop); a finished segment's states leave it.
    const onPath = new Set<string>();
    interface Segment { pc: number; s: AState; readonly local: string[] }
    const suspended: Segment[] = [];
    let cur: Segment | undefined = { pc: 0, s: init, local: [] };
    segments: while (cur !== undefined) {
      let pc = cur.pc;
      let s = cur.s;
      for (;;) {
        this.states += 1;
        if (this.states > MAX_STATES) throw new Reject(this.m.tooComplex(), pc);
        const key = `${pc}|${stateKey(s)}`;
        if (onPath.has(key)) throw new Reject(this.m.infiniteLoop(pc), pc);
        if (seen.has(key)) break;
        seen.add(key);
        onPath.add(key);
        cur.local.push(key);
        const op = frame.body[pc];
        if (op === undefined) throw new Reject(this.m.fellOff(), pc);
        switch (op.op) {
          case 'label':
            pc += 1;
            continue;
          case 'mov':
            s = withReg(s, op.dst, this.operand(s, op.src, pc));
            pc += 1;
            continue;
          case 'alu': {
            const a = this.readScalar(s, op.dst, pc);
            const b = this.operand(s, op.src, pc);
            const v = a.v !== undefined && b.t === 'scalar' && b.v !== undefined ? aluConst(op.fn, a.v, b.v) : undefined;
            s = withReg(s, op.dst, v === undefined ? { t: 'scalar' } : { t: 'scalar', v });
            pc += 1;
            continue;
          }
          case 'store':
            this.operand(s, op.src, pc);
            pc += 1;
            continue;
          case 'memcmp':
            for (const a of [op.a, op.aoff, op.b, op.boff, op.len]) this.operand(s, a, pc);
            s = withReg(s, op.dst, { t: 'scalar' });
            pc += 1;
            continue;
          case 'ret': {
            this.operand(s, op.src, pc);
            const leak = [...s.refs.entries()].sort((a, b) => a[0] - b[0])[0];
            if (leak !== undefined) throw new Reject(this.m.unreleased(leak[0], leak[1].insn), pc);
            break;
          }
          case 'goto': {
            const to = labels.get(op.to);
            if (to === undefined) throw new Reject(this.m.unknownLabel(op.to), pc);
            if (op.if === undefined) {
              pc = to;
              continue;
            }
            const [taken, fall] = this.branch(s, op.if, pc);
            if (taken !== null && fall !== null) {
              cur.pc = pc + 1;
              cur.s = fall;
              suspended.push(cur);
              cur = { pc: to, s: taken, local: [] };
              continue segments;
            }
            if (taken !== null) {
              s = taken;
              pc = to;
            } else if (fall !== null) {
              s = fall;
              pc += 1;
            }
            continue;
          }
          case 'call':
            s = checkCall(this, frame, s, op, pc);
            pc += 1;
            continue;
        }
        break;
      }
      // The segment ended (a return, or a state already explored): its states leave the path.
      for (const key of cur.local) onPath.delete(key);
      cur = suspended.pop();
    }
  }

  operand(s: AState, a: Arg, pc: number): AVal {
    if ('r' in a) {
      const v = s.regs.get(a.r);
      if (v === undefined) throw new Reject(this.m.notReadable(a.r), pc);
      return v;
    }
    if ('imm' in a) return { t: 'scalar', v: BigInt(a.imm) };
    if ('null' in a) return { t: 'null' };
    if ('global' in a) {
      const g = this.obj.globals.find((x) => x.name === a.global);
      return g?.kind === 'bytes' || g?.kind === 'u64s' ? { t: 'mem', maybeNull: false } : { t: 'scalar' };
    }
    if ('buf' in a) return { t: 'mem', maybeNull: false };
    if ('map' in a) return { t: 'map', map: a.map };
    if ('ctx' in a) return { t: 'file', ref: null, maybeNull: false };
    if ('cb' in a) return { t: 'func' };
    return { t: 'scalar' };
  }

  readScalar(s: AState, r: string, pc: number): { t: 'scalar'; v?: bigint } {
    const v = s.regs.get(r);
    if (v === undefined) throw new Reject(this.m.notReadable(r), pc);
    if (v.t !== 'scalar') return { t: 'scalar' };
    return v;
  }

  /** The states after a conditional jump is taken and after it falls through (null: impossible). */
  branch(s: AState, c: Cond, pc: number): [AState | null, AState | null] {
    const a = s.regs.get(c.r);
    if (a === undefined) throw new Reject(this.m.notReadable(c.r), pc);
    const b = this.operand(s, c.v, pc);
    const nullable = a.t === 'file' || a.t === 'map_value' || a.t === 'mem';
    if ((c.cmp === '==' || c.cmp === '!=') && (b.t === 'null' || (b.t === 'scalar' && b.v === 0n)) && (nullable || a.t === 'null')) {
      // On the NULL side an acquired reference is gone (mark_ptr_or_null_regs releases it).
      const ref = a.t === 'file' ? a.ref : null;
      const isNull = a.t === 'null' ? s : withReg(ref === null ? s : release(s, ref), c.r, { t: 'null' });
      const notNull = a.t === 'null' ? null : withReg(s, c.r, { ...a, maybeNull: false } as AVal);
      const canBeNull = a.t === 'null' || ('maybeNull' in a && a.maybeNull);
      const nullState = canBeNull ? isNull : null;
      return c.cmp === '==' ? [nullState, notNull] : [notNull, nullState];
    }
    if (a.t === 'scalar' && b.t === 'scalar' && a.v !== undefined && b.v !== undefined) {
      return cmpConst(c.cmp, a.v, b.v) ? [s, null] : [null, s];
    }
    return [s, s];
  }


  newRef(): number {
    return this.#nextRef++;
  }

  verifyCallback(caller: Frame, sub: Subprog, map: string, pc: number): void {
    const key = `${sub.name}|${map}`;
    if (this.verifiedCallbacks.has(key)) return;
    this.verifiedCallbacks.add(key);
    const init: AState = {
      regs: new Map<string, AVal>([['r1', { t: 'map', map }], ['r2', { t: 'scalar' }], ['r3', { t: 'map_value', map, maybeNull: false }]]),
      slots: new Map(),
      refs: new Map(),
    };
    try {
      this.run({ name: sub.name, body: sub.body, type: caller.type, sleepable: true, hookFile: false }, init);
    } catch (e) {
      if (e instanceof Reject) throw new Reject(`${e.msg} (in callback ${sub.name}, verified from insn ${pc} as sleepable)`, e.insn);
      throw e;
    }
  }
}
