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
import type { AnyKfunc, ArgSpec } from '../kfunc.ts';
import type { Arg, BpfObject, Cond, Op, Program, Subprog } from '../program.ts';
import { sectionInfo, type ProgType } from '../program.ts';
import { availableIn } from '../kfunc.ts';
import type { VersionFeatures } from '../version.ts';
import { messages, type Messages } from './messages.ts';

/** What a register holds, as the verifier sees it. */
export type AVal =
  | { readonly t: 'scalar'; readonly v?: bigint }
  | { readonly t: 'null' }
  | { readonly t: 'task' }
  /** A file: `ref` when acquired (must be released), `maybeNull` until checked. */
  | { readonly t: 'file'; readonly ref: number | null; readonly maybeNull: boolean }
  | { readonly t: 'map'; readonly map: string }
  | { readonly t: 'map_value'; readonly map: string; readonly maybeNull: boolean }
  | { readonly t: 'mem'; readonly maybeNull: boolean }
  | { readonly t: 'func' };

interface Slot {
  readonly kind: 'local' | 'file';
  readonly ref: number | null;
}

interface RefInfo {
  readonly kind: 'file' | 'dynptr';
  readonly insn: number;
  /** For a file dynptr: the file reference it was made from. */
  readonly parent: number | null;
}

interface AState {
  readonly regs: ReadonlyMap<string, AVal>;
  readonly slots: ReadonlyMap<string, Slot>;
  readonly refs: ReadonlyMap<number, RefInfo>;
}

export interface Specialization {
  readonly insn: number;
  readonly from: string;
  readonly to: string;
}

export interface Verdict {
  readonly program: string;
  readonly ok: boolean;
  /** The rejection message, as the kernel (or libbpf) prints it. */
  readonly message: string | null;
  readonly insn: number | null;
  /** Call sites whose kfunc the verifier replaced (`bpf_dynptr_from_file` → `_sleepable`). */
  readonly specializations: readonly Specialization[];
  /** States explored. */
  readonly states: number;
}

export interface VerifyOptions {
  readonly features: VersionFeatures;
  /** The kfunc and helper table (the full one lives above the model: `ALL_KFUNCS`). */
  readonly kfuncs: Readonly<Record<string, AnyKfunc>>;
  /** Maps declared by the object, for task_work field checks. */
}

class Reject extends Error {
  constructor(readonly msg: string, readonly insn: number | null) {
    super(msg);
  }
}

const MAX_STATES = 100_000;

/** Program types with direct packet write access (verifier.c `may_access_direct_pkt_data`, the ones the model knows). */
const PKT_WRITE_TYPES: readonly ProgType[] = ['SCHED_CLS', 'XDP'];

interface Frame {
  readonly name: string;
  readonly body: readonly Op[];
  readonly type: ProgType;
  readonly sleepable: boolean;
  readonly hookFile: boolean;
}

class Walker {
  readonly m: Messages;
  states = 0;
  nextRef = 1;
  readonly specializations: Specialization[] = [];
  readonly verifiedCallbacks = new Set<string>();

  constructor(readonly obj: BpfObject, readonly opts: VerifyOptions) {
    this.m = messages(opts.features);
  }

  run(frame: Frame, init: AState): void {
    const labels = new Map<string, number>();
    frame.body.forEach((op, i) => { if (op.op === 'label') labels.set(op.name, i); });
    const seen = new Set<string>();
    const walk = (pc0: number, s0: AState, path: Set<string>): void => {
      let pc = pc0;
      let s = s0;
      const local = new Set<string>();
      for (;;) {
        this.states += 1;
        if (this.states > MAX_STATES) throw new Reject(this.m.tooComplex(), pc);
        const key = `${pc}|${stateKey(s)}`;
        if (path.has(key) || local.has(key)) throw new Reject(this.m.infiniteLoop(pc), pc);
        if (seen.has(key)) return;
        seen.add(key);
        local.add(key);
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
            return;
          }
          case 'goto': {
            const to = labels.get(op.to);
            if (to === undefined) throw new Reject(this.m.unknownLabel(op.to), pc);
            if (op.if === undefined) {
              pc = to;
              continue;
            }
            const [taken, fall] = this.branch(s, op.if, pc);
            const nextPath = new Set([...path, ...local]);
            if (taken !== null && fall !== null) {
              walk(to, taken, nextPath);
              s = fall;
              pc += 1;
              continue;
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
            s = this.call(frame, s, op, pc);
            pc += 1;
            continue;
        }
      }
    };
    walk(0, init, new Set());
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

  call(frame: Frame, s0: AState, op: Extract<Op, { op: 'call' }>, pc: number): AState {
    const m = this.m;
    const def = this.opts.kfuncs[op.fn];
    if (def === undefined) throw new Reject(m.unknownFunc(op.fn), pc);
    if (!availableIn(def, this.opts.features.version)) throw new Reject(m.missingKfunc(op.fn), pc);
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
          const v = this.operand(s, a, pc);
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
          const decl = this.obj.maps.find((x) => x.name === v.map);
          if (decl === undefined || decl.taskWorkFields !== 1) throw new Reject(m.noTaskWorkField(v.map), pc);
          twMap = v.map;
          return;
        }
        case 'map': {
          if ('null' in a) throw new Reject(m.possiblyNull(i), pc);
          const v = this.operand(s, a, pc);
          if (v.t !== 'map') throw new Reject(`pointer in ${`R${i + 1}`} isn't map pointer`, pc);
          if (twMap !== null && v.map !== twMap) throw new Reject(m.mapMismatch(twArg, i), pc);
          return;
        }
        case 'callback': {
          if (!('cb' in a)) throw new Reject(m.notCallback(i), pc);
          const sub = this.obj.subprogs.find((x) => x.name === a.cb);
          if (sub === undefined) throw new Reject(m.notCallback(i), pc);
          if (!sub.isStatic) throw new Reject(m.notStatic(), pc);
          this.verifyCallback(frame, sub, twMap ?? '', pc);
          return;
        }
        case 'aux':
          return;
        default: {
          const v = this.operand(s, a, pc);
          if ((spec.type === 'u32' || spec.type === 'u64' || spec.type === 'dsize') && v.t !== 'scalar') {
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
        const id = this.nextRef++;
        s = withRef(s, id, { kind: 'dynptr', insn: pc, parent: fileArg });
        s = withSlot(s, ns.slot, { kind: 'file', ref: id });
        if (frame.sleepable) this.specializations.push({ insn: pc, from: op.fn, to: 'bpf_dynptr_from_file_sleepable' });
      } else {
        s = withSlot(s, ns.slot, { kind: 'local', ref: null });
      }
    }
    if (op.dst !== undefined) {
      let v: AVal;
      switch (def.ret) {
        case 'file': {
          const id = this.nextRef++;
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

function stateKey(s: AState): string {
  const regs = [...s.regs.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}:${JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x))}`);
  const slots = [...s.slots.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}:${v.kind}/${v.ref}`);
  const refs = [...s.refs.keys()].sort((a, b) => a - b);
  return `${regs.join(',')}|${slots.join(',')}|${refs.join(',')}`;
}

function withReg(s: AState, r: string, v: AVal): AState {
  const regs = new Map(s.regs);
  regs.set(r, v);
  return { ...s, regs };
}

function withSlot(s: AState, slot: string, v: Slot): AState {
  const slots = new Map(s.slots);
  slots.set(slot, v);
  return { ...s, slots };
}

function withRef(s: AState, id: number, r: RefInfo): AState {
  const refs = new Map(s.refs);
  refs.set(id, r);
  return { ...s, refs };
}

/** Release reference `id`: every slot holding it becomes uninitialized, every register holding it a scalar. */
function release(s: AState, id: number): AState {
  const refs = new Map(s.refs);
  refs.delete(id);
  const slots = new Map([...s.slots].filter(([, v]) => v.ref !== id));
  const regs = new Map([...s.regs].map(([k, v]): [string, AVal] => [k, v.t === 'file' && v.ref === id ? { t: 'scalar' } : v]));
  return { regs, slots, refs };
}

function aluConst(fn: string, a: bigint, b: bigint): bigint | undefined {
  const U = (x: bigint): bigint => BigInt.asUintN(64, x);
  switch (fn) {
    case 'add': return U(a + b);
    case 'sub': return U(a - b);
    case 'and': return U(a) & U(b);
    case 'or': return U(a) | U(b);
    case 'rsh': return U(a) >> (b & 63n);
    case 'lsh': return U(a << (b & 63n));
    default: return undefined;
  }
}

function cmpConst(cmp: string, a: bigint, b: bigint): boolean {
  const U = (x: bigint): bigint => BigInt.asUintN(64, x);
  const S = (x: bigint): bigint => BigInt.asIntN(64, x);
  switch (cmp) {
    case '==': return U(a) === U(b);
    case '!=': return U(a) !== U(b);
    case '<': return U(a) < U(b);
    case '<=': return U(a) <= U(b);
    case '>': return U(a) > U(b);
    case '>=': return U(a) >= U(b);
    case 's<': return S(a) < S(b);
    case 's>': return S(a) > S(b);
    default: return false;
  }
}

/** Verify one program of an object. */
export function verifyProgram(obj: BpfObject, prog: Program, opts: VerifyOptions): Verdict {
  const w = new Walker(obj, opts);
  const info = sectionInfo(prog.section);
  const base = { program: prog.name, specializations: w.specializations };
  if (info === null) return { ...base, ok: false, message: w.m.unknownSection(prog.section), insn: null, states: 0 };
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
