/**
 * The path walk (kernel/bpf/verifier.c: `do_check`, `is_state_visited`, `push_stack`,
 * `check_func_call`, `prepare_func_exit`, `check_cond_jmp_op`): every path of a program, both sides of
 * each branch whose outcome is not known, loops until their state repeats, with a frame per
 * bpf-to-bpf call. A state is pruned at a prune point when an equal one (on the registers live there)
 * was seen; a state equal to one on its own path is an infinite loop, unless the path is an
 * open-coded iterator or a `bpf_loop` callback coming round again (they converge).
 */
import { E2BIG, EINVAL } from '../kernel/errno.ts';
import { frameLayout, type FrameLayout } from '../program/layout.ts';
import { globalSize, initialBytes, isScalarGlobal, readLE } from '../program/globals.ts';
import type { Arg, BpfObject, Op, Program, Subprog } from '../program/program.ts';
import { checkCall, type CallCtx } from './calls.ts';
import { buildCfg, type Cfg } from './cfg.ts';
import { startLoop, loopReturn, checkGlobalCallArgs, type LoopWalker } from './loops.ts';
import { initLocals } from './locals.ts';
import { checkField, checkLoad, checkStore, pointerArith } from './mem.ts';
import { Messages } from './messages.ts';
import { aluScalar, constOf, globalScalar, known, refine, UNKNOWN, type Scalar } from './scalar.ts';
import { dropFrameStack } from './stack.ts';
import { isObjPtr, mapRegs, newKeyMemo, nullableType, release, stateKey, top, widen, withReg, withoutRegs, type KeyMemo } from './state.ts';
import { Reject, type AState, type AVal, type FState, type ProgCtx, type Specialization, type VerifyOptions } from './types.ts';
import { kptrOffset } from './kptr.ts';
import { mapLayout } from '../maps/layout.ts';
import { asLoaded, type ObjectBtf } from '../btf/object.ts';
import { weakKfuncs } from '../program/ksym.ts';
import { availableIn } from '../kfunc/kfunc.ts';

/** `in_rcu_cs`: inside a bpf_rcu_read_lock section, or outside a sleepable program or callback. */
function inRcuCs(s: AState, f: FState, ctx: CallCtx): boolean {
  const sleepable = f.async ? true : ctx.sleepable;
  return (s.rcu ?? 0) > 0 || !sleepable;
}

/** `BPF_COMPLEXITY_LIMIT_INSNS`. */
const MAX_INSNS = 1_000_000;

/** Where a global lives: its section's array map, the offset in it, the section's size. */
interface GlobalPlace {
  readonly map: string;
  readonly off: number;
  readonly size: number;
  readonly rdonly: boolean;
}

/** A function of the object as the walk needs it. */
interface FnInfo {
  readonly def: Program | Subprog;
  readonly cfg: Cfg;
  readonly asm: boolean;
  /** The states seen at each of its prune points (by op). */
  readonly seen: Map<number, Seen>;
}

/** One pending path: where it continues, its state, and the prune-point states on its path. */
interface Branch {
  readonly pc: number;
  readonly s: AState;
  readonly path: PathNode | null;
}

/**
 * A state reached at a prune point (op `pc` of the function whose control flow is `cfg`). Its key
 * (`stateKey` on the registers live there) is made when first compared: a prune point reached once,
 * as most are in straight-line code, never needs it.
 */
interface Visit {
  readonly s: AState;
  /** The function (its control flow: one per function and walk) and the op. */
  readonly cfg: Cfg;
  readonly pc: number;
  readonly depths: boolean;
  key: string | null;
}

const keyOf = (v: Visit, memo: KeyMemo): string => (v.key ??= stateKey(v.s, v.cfg.live(v.pc), v.depths, memo));

/** The states seen at one prune point: the keys made so far, and the states whose keys were not needed yet. */
interface Seen {
  readonly keys: Set<string>;
  readonly unkeyed: Visit[];
}

/** The path being walked: where it is, its state, its prune-point states (changed as it goes). */
interface Cursor {
  pc: number;
  s: AState;
  path: PathNode | null;
}

interface PathNode {
  readonly visit: Visit;
  readonly parent: PathNode | null;
  /** At a loop's convergence point: where (function and op), and the state there. */
  readonly site?: string;
  readonly state?: AState;
}

/** The state of the previous visit of convergence point `site` on this path (`find_prev_entry`). */
function prevAt(p: PathNode | null, site: string): AState | null {
  for (let n = p; n !== null; n = n.parent) if (n.site === site && n.state !== undefined) return n.state;
  return null;
}

/** Whether an equal state was reached at the same prune point earlier on this path. */
function onPath(p: PathNode | null, v: Visit, memo: KeyMemo): boolean {
  for (let n = p; n !== null; n = n.parent) if (n.visit.cfg === v.cfg && n.visit.pc === v.pc && keyOf(n.visit, memo) === keyOf(v, memo)) return true;
  return false;
}

export class Walker implements LoopWalker {
  readonly m: Messages;
  states = 0;
  readonly specializations: Specialization[] = [];
  readonly log: string[] = [];
  /** Messages named a register the compiler chooses (a C variable): compare them register-blind. */
  registersGuessed = false;
  #id = 0;
  /** Each function's definition, control flow and dialect, computed once per verification. */
  readonly #fns = new Map<string, FnInfo>();
  readonly #layouts = new Map<string, FrameLayout>();
  readonly #keys = newKeyMemo();
  readonly #asyncDone = new Set<string>();
  readonly #globalDone = new Set<string>();
  readonly #globals = new Map<string, GlobalPlace>();
  /** The object's `.rodata` map as libbpf fills and freezes it before the programs load (its name, its bytes). */
  readonly #rodata: { readonly map: string; readonly bytes: Uint8Array } | null;
  prog: ProgCtx;
  readonly btf: ObjectBtf;
  readonly weak: ReadonlySet<string>;
  /** The first call to an unresolved weak kfunc a path reached (program/ksym.ts), or null. */
  unresolvedCall: number | null = null;

  constructor(readonly obj: BpfObject, readonly opts: VerifyOptions, prog: ProgCtx) {
    this.m = new Messages(opts.features);
    this.btf = opts.btf ?? asLoaded(obj).btf;
    this.weak = weakKfuncs(obj);
    this.prog = prog;
    // libbpf puts globals in .bss (zero), .data (initialized) and .rodata (const): one array map each.
    const sections = new Map<string, number>();
    for (const g of obj.globals) {
      const sec = 'rodata' in g && g.rodata === true ? '.rodata' : 'init' in g && g.init !== undefined && !(typeof g.init !== 'string' && typeof g.init !== 'object' && BigInt(g.init) === 0n) ? '.data' : '.bss';
      const size = globalSize(g);
      const align = isScalarGlobal(g) ? size : g.kind === 'u64s' ? 8 : 1;
      const at = Math.ceil((sections.get(sec) ?? 0) / align) * align;
      sections.set(sec, at + size);
      // libbpf names an internal map after the object, cut to fit BPF_OBJ_NAME_LEN with its suffix.
      this.#globals.set(g.name, { map: `${obj.name.slice(0, 15 - sec.length)}${sec}`, off: at, size: 0, rdonly: sec === '.rodata' });
    }
    for (const [name, p] of this.#globals) this.#globals.set(name, { ...p, size: sections.get(p.map.slice(p.map.lastIndexOf('.'))) ?? 0 });
    const ro = obj.globals.filter((g) => 'rodata' in g && g.rodata === true);
    const first = ro[0] === undefined ? undefined : this.#globals.get(ro[0].name);
    if (first === undefined) this.#rodata = null;
    else {
      const bytes = new Uint8Array(first.size);
      for (const g of ro) bytes.set(initialBytes(g), this.#globals.get(g.name)?.off ?? 0);
      this.#rodata = { map: first.map, bytes };
    }
  }

  /** The bytes of `map` when it is the object's frozen `.rodata` (`bpf_map_is_rdonly`), else undefined. */
  frozen(map: string): Uint8Array | undefined {
    return this.#rodata !== null && this.#rodata.map === map ? this.#rodata.bytes : undefined;
  }

  reachedUnresolved(insn: number): void {
    this.unresolvedCall ??= insn;
  }

  newId(): number {
    this.#id += 1;
    return this.#id;
  }

  fnDef(name: string): Program | Subprog {
    const f = this.obj.programs.find((p) => p.name === name) ?? this.obj.subprogs.find((s) => s.name === name);
    if (f === undefined) throw new Reject(`unknown function ${name} (model wording)`, null);
    return f;
  }

  /** Function `name`: its definition, its control flow, whether it is `asm` (one lookup per function). */
  private fn(name: string): FnInfo {
    let i = this.#fns.get(name);
    if (i === undefined) {
      const def = this.fnDef(name);
      i = { def, cfg: buildCfg(def), asm: 'asm' in def && def.asm === true, seen: new Map() };
      this.#fns.set(name, i);
    }
    return i;
  }

  cfg(name: string): Cfg {
    return this.fn(name).cfg;
  }

  layout(name: string): FrameLayout {
    let l = this.#layouts.get(name);
    if (l === undefined) {
      l = frameLayout(this.fnDef(name));
      this.#layouts.set(name, l);
    }
    return l;
  }

  isAsm(name: string): boolean {
    return this.fn(name).asm;
  }

  insn(fn: string, pc: number): number {
    return this.cfg(fn).insn[pc] ?? pc;
  }

  note(line: string): void {
    this.log.push(line);
  }

  regno(name: string): number {
    const m = /^r(\d+)$/.exec(name);
    if (m !== null) return Number(m[1]);
    this.registersGuessed = true;
    return 1;
  }

  /** The value of an operand in the running frame. */
  operand(s: AState, a: Arg, insn: number): AVal {
    const f = top(s);
    if ('r' in a) {
      if (a.r === 'r10') return { t: 'fp', frame: f.frameno, off: 0, var: null };
      const v = f.regs.get(a.r);
      // The kernel names the register: a C variable's is the compiler's choice (a guessed number).
      if (v === undefined) throw new Reject(this.m.notReadable(this.regno(a.r)), insn);
      return v;
    }
    if ('imm' in a) return known(BigInt(a.imm));
    if ('null' in a) return known(0n);
    if ('dynptr' in a || 'addr' in a || 'buf' in a) {
      const name = 'dynptr' in a ? a.dynptr : 'addr' in a ? a.addr : a.buf;
      const off = a.off ?? 0;
      const v = this.layout(f.fn).vars.get(name);
      if (v !== undefined) return { t: 'fp', frame: f.frameno, off: v.off + off, var: null };
      const g = this.#globals.get(name);
      if (g === undefined) throw new Reject(`unknown variable ${name} (model wording)`, insn);
      return { t: 'map_value', map: g.map, size: g.size, off: g.off + off, var: null, maybeNull: false, id: 0, rdonly: g.rdonly };
    }
    if ('global' in a) {
      const decl = this.obj.globals.find((x) => x.name === a.global);
      const g = this.#globals.get(a.global);
      if (decl === undefined || g === undefined) throw new Reject(`unknown global ${a.global} (model wording)`, insn);
      if (isScalarGlobal(decl)) {
        // A const volatile global: the verifier reads it from the frozen .rodata (bpf_map_direct_read),
        // an int sign-extended as the compiler widens it.
        const ro = this.frozen(g.map);
        if (ro === undefined || decl.rodata !== true) return globalScalar(decl.kind);
        const v = readLE(ro, g.off, globalSize(decl));
        return known(decl.kind === 'int' ? BigInt.asUintN(64, BigInt.asIntN(32, v)) : v);
      }
      return { t: 'map_value', map: g.map, size: g.size, off: g.off, var: null, maybeNull: false, id: 0, rdonly: g.rdonly };
    }
    if ('map' in a) return { t: 'map', map: a.map };
    if ('ctx' in a) return a.ctx === 'file' ? { t: 'file', ref: null, maybeNull: this.prog.ctxNullable, id: 0 } : { t: 'ctx', off: 0 };
    if ('cb' in a) {
      if (!this.btf.funcInfo) throw new Reject(this.m.missingFuncInfo(), insn, [], -EINVAL);
      return { t: 'func', name: a.cb };
    }
    if ('ksym' in a) {
      // bpf_ksym_exists: the branch on the weak symbol's address is known either way (program/ksym.ts).
      const def = this.opts.kfuncs[a.ksym];
      if (def === undefined || def.kind !== 'kfunc') throw new Reject(`bpf_ksym_exists(${a.ksym}): not a kfunc (model wording)`, insn);
      return known(availableIn(def, this.opts.features.version) ? 1n : 0n);
    }
    if ('tw' in a) return this.operand(s, { r: a.tw }, insn);
    if ('kptr' in a) {
      // `&v->field`: the value pointer plus the field's offset (pointer arithmetic when it is not 0).
      const v = this.operand(s, { r: a.kptr }, insn);
      const off = v.t === 'map_value' ? kptrOffset(this.opts.source ?? this.obj, v.map, a.field) : null;
      if (off === null) throw new Reject(`R${this.regno(a.kptr)} &->${a.field}: not a map value whose value has a kptr field ${a.field} (model)`, insn);
      return off === 0 ? v : pointerArith(this, v, 'add', known(BigInt(off)), this.regno(a.kptr), insn);
    }
    return UNKNOWN;
  }

  /** The register number a message gives an operand (its register, else a compiler's choice). */
  regOf(a: Arg): number {
    return 'r' in a ? this.regno(a.r) : this.regno('');
  }

  /** Run the program (or a separately verified function) from its first op in state `init`. */
  run(init: AState, ctx: CallCtx): void {
    const work: Branch[] = [{ pc: 0, s: init, path: null }];
    while (work.length > 0) {
      const b = work.pop() as Branch;
      this.walk(b, work, ctx);
    }
  }

  private walk(b0: Branch, work: Branch[], ctx: CallCtx): void {
    const at: Cursor = { pc: b0.pc, s: b0.s, path: b0.path };
    for (;;) {
      const r = this.step(at, work, ctx);
      if (r === false) return;
      if (r !== true) throw r;
    }
  }

  /** The path goes on at op `pc` in state `s`. */
  private advance(at: Cursor, pc: number, s: AState): true {
    at.pc = pc;
    at.s = s;
    return true;
  }

  /**
   * One op of the path at `at`: false when the path ends there, the rejection when it is refused
   * there. The rejection is returned, not thrown out of here: V8 gives a function its inline caches
   * (its feedback vector) only after it has run long enough, and a frame an exception unwinds does
   * not count; this function, the walk's largest, ran uncached in the interpreter.
   */
  private step(at: Cursor, work: Branch[], ctx: CallCtx): boolean | Reject {
    try {
      let pc = at.pc;
      let s = at.s;
      let path = at.path;
      const f = top(s);
      const { def, cfg, asm, seen: seenAt } = this.fn(f.fn);
      const body = def.body;
      const insn = cfg.insn[pc] ?? pc;
      this.states += 1;
      if (this.states > MAX_INSNS) throw new Reject(this.m.tooComplex(), insn, [], -E2BIG);
      const op = body[pc];
      if (op === undefined) throw new Reject(this.m.fellOff(), insn, [], -EINVAL);
      const converging = (op.op === 'call' && op.fn === 'bpf_iter_num_next') || (pc === 0 && f.loop !== null);
      if (cfg.prune.has(pc) || converging) {
        // A loop's convergence point: the scalars that changed since the previous iteration widen.
        const site = converging ? `${f.fn}:${pc}:${s.frames.map((x) => x.callsite).join(',')}` : undefined;
        if (site !== undefined) {
          const prev = prevAt(path, site);
          if (prev !== null) s = widen(prev, s);
        }
        const visit: Visit = { s, cfg, pc, depths: !converging, key: null };
        const seen = seenAt.get(pc);
        if (seen === undefined) seenAt.set(pc, { keys: new Set(), unkeyed: [visit] });
        else {
          for (const v of seen.unkeyed) seen.keys.add(keyOf(v, this.#keys));
          seen.unkeyed.length = 0;
          if (seen.keys.has(keyOf(visit, this.#keys))) {
            if (!converging && onPath(path, visit, this.#keys)) throw new Reject(this.m.infiniteLoop(insn), insn, [], -EINVAL);
            if ((this.opts.logLevel ?? 0) >= 2) this.log.push(this.m.safe(insn));
            return false;
          }
          seen.keys.add(keyOf(visit, this.#keys));
        }
        path = site === undefined ? { visit, parent: path } : { visit, parent: path, site, state: s };
        at.path = path;
      }
      switch (op.op) {
        case 'label':
          pc += 1;
          return this.advance(at, pc, s);
        case 'mov':
          s = withReg(s, op.dst, this.operand(s, op.src, insn));
          pc += 1;
          return this.advance(at, pc, s);
        case 'alu': {
          const a = this.operand(s, { r: op.dst }, insn);
          const v = this.operand(s, op.src, insn);
          let out: AVal;
          // 6.x: is_safe_to_compute_dst_reg_range has no case for DIV and MOD: the result is unknown,
          // even of two constants (`divModBounds`). The value is verified as written: in C, clang folds
          // arithmetic on compile-time constants first (x = 15; x /= 51 is x = 0 in the object).
          if (a.t === 'scalar' && v.t === 'scalar') out = (op.fn === 'div' || op.fn === 'mod') && !this.opts.features.divModBounds ? UNKNOWN : aluScalar(op.fn, a, v);
          else if (a.t !== 'scalar' && v.t === 'scalar') out = pointerArith(this, a, op.fn, v, this.regno(op.dst), insn);
          else if (a.t === 'scalar' && v.t !== 'scalar' && op.fn === 'add') out = pointerArith(this, v, 'add', a, this.regno(op.dst), insn);
          else if (a.t === 'scalar' && v.t !== 'scalar') throw new Reject(`R${this.regno(op.dst)} ${op.fn === 'sub' ? 'tried to subtract pointer from scalar' : `pointer arithmetic with ${op.fn} operator prohibited`}`, insn);
          else throw new Reject(`R${this.regno(op.dst)} pointer ${op.fn === 'add' ? '+=' : op.fn === 'sub' ? '-=' : op.fn} pointer prohibited`, insn);
          s = withReg(s, op.dst, out);
          pc += 1;
          return this.advance(at, pc, s);
        }
        case 'store': {
          const v = this.operand(s, op.src, insn);
          const base = this.operand(s, op.index === undefined ? { addr: op.global } : { addr: op.global, off: op.index * 8 }, insn);
          const decl = this.obj.globals.find((g) => g.name === op.global);
          const size = decl === undefined ? 8 : decl.kind === 'int' || decl.kind === 'u32' ? 4 : 8;
          s = checkStore(this, s, base, 0, 0, size, v, null, insn);
          pc += 1;
          return this.advance(at, pc, s);
        }
        case 'ld': {
          const base = this.operand(s, op.base, insn);
          const v = checkLoad(this, s, base, this.regOf(op.base), op.off ?? 0, op.size, op.signed === true, insn, { inRcuCs: inRcuCs(s, f, ctx) });
          s = withReg(s, op.dst, v);
          pc += 1;
          return this.advance(at, pc, s);
        }
        case 'field': {
          const base = this.operand(s, op.base, insn);
          s = withReg(s, op.dst, checkField(base, this.regOf(op.base), op.field, inRcuCs(s, f, ctx), insn));
          pc += 1;
          return this.advance(at, pc, s);
        }
        case 'st': {
          const base = this.operand(s, op.base, insn);
          const isImm = 'imm' in op.src || 'null' in op.src;
          const v = isImm ? null : this.operand(s, op.src, insn);
          const imm = 'imm' in op.src ? BigInt(op.src.imm) : 'null' in op.src ? 0n : null;
          s = checkStore(this, s, base, this.regOf(op.base), op.off ?? 0, op.size, v, imm, insn, { valueRegno: isImm ? 0 : this.regOf(op.src) });
          pc += 1;
          return this.advance(at, pc, s);
        }
        case 'atomic': {
          const base = this.operand(s, op.base, insn);
          const v = this.operand(s, op.src, insn);
          if (v.t !== 'scalar') throw new Reject(`R${this.regOf(op.src)} leaks addr into mem`, insn);
          checkLoad(this, s, base, this.regOf(op.base), op.off ?? 0, op.size, false, insn, { atomic: true });
          s = checkStore(this, s, base, this.regOf(op.base), op.off ?? 0, op.size, UNKNOWN, null, insn, { atomic: true });
          if (op.fetch !== undefined) s = withReg(s, op.fetch, op.size === 8 ? UNKNOWN : aluScalar('and', UNKNOWN, known(0xffffffffn)));
          pc += 1;
          return this.advance(at, pc, s);
        }
        case 'memcpy':
        case 'memset': {
          s = this.builtin(s, op, insn);
          pc += 1;
          return this.advance(at, pc, s);
        }
        case 'memcmp': {
          for (const a of [op.a, op.aoff, op.b, op.boff, op.len]) this.operand(s, a, insn);
          s = withReg(s, op.dst, UNKNOWN);
          pc += 1;
          return this.advance(at, pc, s);
        }
        case 'goto': {
          const to = cfg.labels.get(op.to);
          if (to === undefined) throw new Reject(this.m.unknownLabel(op.to), insn);
          if (op.if === undefined) {
            pc = to;
            return this.advance(at, pc, s);
          }
          const [taken, fall] = this.branch(s, op.if.r, op.if.cmp, op.if.v, insn);
          if (taken !== null && fall !== null) {
            work.push({ pc: to, s: taken, path });
            s = fall;
            pc += 1;
          } else if (taken !== null) {
            s = taken;
            pc = to;
          } else if (fall !== null) {
            s = fall;
            pc += 1;
          } else return false;
          return this.advance(at, pc, s);
        }
        case 'call': {
          // check_ld_imm: the ld_imm64 of a callback's address, before the call, needs func_info.
          if (!this.btf.funcInfo && op.args.some((a) => 'cb' in a)) throw new Reject(this.m.missingFuncInfo(), insn, [], -EINVAL);
          const cctx: CallCtx = { ...ctx, sleepable: f.async ? true : ctx.sleepable, asm };
          const sub = this.obj.subprogs.find((x) => x.name === op.fn);
          if (sub !== undefined) {
            // bpf_subprog_is_global: the linkage is func_info's; without it every function is static.
            if (!sub.isStatic && this.btf.funcInfo) {
              s = checkGlobalCallArgs(this, s, sub, op, insn, cctx);
              this.verifyGlobal(sub, cctx);
              if (asm) s = withoutRegs(s, ['r1', 'r2', 'r3', 'r4', 'r5']);
              const dst = op.dst ?? (asm ? 'r0' : undefined);
              if (dst !== undefined) s = withReg(s, dst, UNKNOWN);
              pc += 1;
              return this.advance(at, pc, s);
            }
            s = this.enter(s, sub, op, pc, insn, null);
            pc = 0;
            return this.advance(at, pc, s);
          }
          if (op.fn === 'bpf_loop' || op.fn === 'bpf_for_each_map_elem') {
            const r = startLoop(this, s, op, pc, insn, cctx, work, path);
            s = r.s;
            pc = r.pc;
            return this.advance(at, pc, s);
          }
          s = checkCall(this, cctx, s, op, insn);
          pc += 1;
          return this.advance(at, pc, s);
        }
        case 'ret': {
          const v = this.operand(s, op.src, insn);
          if (s.frames.length > 1) {
            const r = this.leave(s, v, insn, work, path);
            if (r === null) return false;
            s = r.s;
            pc = r.pc;
            return this.advance(at, pc, s);
          }
          const leak = [...s.refs.entries()].sort((a, b) => a[0] - b[0])[0];
          if (leak !== undefined) throw new Reject(this.m.unreleased(leak[0], leak[1].insn), insn, [], -EINVAL);
          // check_resource_leak, after the references: an RCU read section still open.
          if ((s.rcu ?? 0) > 0) throw new Reject('BPF_EXIT instruction in main prog cannot be used inside bpf_rcu_read_lock-ed region', insn, [], -EINVAL);
          return false;
        }
      }
    } catch (e) {
      if (e instanceof Reject) return e;
      throw e;
    }
  }

  /** A bpf-to-bpf call of a static function: a new frame with the arguments in its parameters. */
  enter(s: AState, sub: Subprog, op: Extract<Op, { op: 'call' }>, pc: number, insn: number, loop: FState['loop']): AState {
    const caller = top(s);
    if (s.frames.length >= 8) throw new Reject(this.m.tooManyFrames(s.frames.length + 1), insn, [], -E2BIG);
    const args = op.args.map((a) => this.operand(s, a, insn));
    const names = sub.params?.map((p) => p.name) ?? ['r1', 'r2', 'r3', 'r4', 'r5'];
    const regs = new Map<string, AVal>();
    names.forEach((n, i) => { const v = args[i]; if (v !== undefined) regs.set(n, v); });
    const callee: FState = { fn: sub.name, frameno: caller.frameno + 1, regs, stack: new Map(), callsite: pc, retDst: op.dst ?? (this.isAsm(caller.fn) ? 'r0' : null), loop, async: false };
    return initLocals(this, { ...s, frames: [...s.frames, callee] }, sub);
  }

  /** Return from a callee: its stack dies, R0 goes to the caller (or back to `bpf_loop`). */
  private leave(s0: AState, v: AVal, insn: number, work: Branch[], path: PathNode | null): { s: AState; pc: number } | null {
    const callee = top(s0);
    let s = dropFrameStack(s0, callee.frameno);
    if (callee.loop !== null) return loopReturn(this, s, callee, v, insn, work, path);
    s = { ...s, frames: s.frames.slice(0, -1) };
    const caller = top(s);
    // A pointer into the dead frame cannot survive the return.
    s = mapRegs(s, (x) => (x.t === 'fp' && x.frame === callee.frameno ? UNKNOWN : x));
    if (this.isAsm(caller.fn)) s = withoutRegs(s, ['r1', 'r2', 'r3', 'r4', 'r5']);
    if (callee.retDst !== null) s = withReg(s, callee.retDst, v);
    return { s, pc: callee.callsite + 1 };
  }

  /** `__builtin_memcpy`/`__builtin_memset`: the loads and stores clang makes of them, widest first. */
  private builtin(s0: AState, op: Extract<Op, { op: 'memcpy' | 'memset' }>, insn: number): AState {
    let s = s0;
    const dst = this.operand(s, op.dst, insn);
    const src = op.op === 'memcpy' ? this.operand(s, op.src, insn) : null;
    const offOf = (v: AVal | null): number => (v !== null && 'off' in v ? v.off : 0);
    let done = 0;
    while (done < op.len) {
      const left = op.len - done;
      const size = [8, 4, 2, 1].find((z) => z <= left && (offOf(dst) + done) % z === 0 && (src === null || (offOf(src) + done) % z === 0)) ?? 1;
      let val: AVal | null = null;
      let imm: bigint | null = null;
      if (src !== null) val = checkLoad(this, s, src, this.regOf(op.op === 'memcpy' ? op.src : op.dst), done, size, false, insn);
      else imm = BigInt((op as { val: number }).val & 0xff) * (size === 8 ? 0x0101010101010101n : size === 4 ? 0x01010101n : size === 2 ? 0x0101n : 1n);
      s = checkStore(this, s, dst, this.regOf(op.dst), done, size, val, imm, insn);
      done += size;
    }
    return s;
  }

  /**
   * The states after `r cmp v` is taken and after it falls through (null: impossible). A NULL
   * check of a pointer splits it: on the NULL side it and every copy (same id) are 0 (and an
   * acquired reference is gone: `mark_ptr_or_null_regs`), on the other they are not NULL.
   */
  branch(s: AState, r: string, cmp: string, vArg: Arg, insn: number): [AState | null, AState | null] {
    const a = this.operand(s, { r }, insn);
    const b = this.operand(s, vArg, insn);
    const zero = b.t === 'scalar' && constOf(b) === 0n;
    if ((cmp === '==' || cmp === '!=') && zero && a.t !== 'scalar') {
      if (!nullableType(a) || !a.maybeNull) {
        // A pointer that cannot be NULL is never equal to 0.
        return cmp === '==' ? [null, s] : [s, null];
      }
      const id = a.id;
      const same = (x: AVal): boolean => nullableType(x) && x.maybeNull === true && x.id === id && x.t === a.t;
      let isNull = mapRegs(s, (x) => (same(x) ? known(0n) : x));
      if (isObjPtr(a) && a.ref !== null) isNull = release(isNull, a.ref);
      // An acquired pointer's reference (its id is the reference: bpf_ringbuf_reserve) is gone on the NULL side.
      if (a.t === 'mem' && a.refObj !== null && a.refObj === a.id) isNull = release(isNull, a.refObj);
      const notNull = mapRegs(s, (x) => (same(x) ? ({ ...x, maybeNull: false } as AVal) : x));
      return cmp === '==' ? [isNull, notNull] : [notNull, isNull];
    }
    if (a.t === 'scalar' && b.t === 'scalar') {
      const t = refine(cmp, a, b, true);
      const f = refine(cmp, a, b, false);
      const apply = (res: [Scalar, Scalar] | null): AState | null => {
        if (res === null) return null;
        let n = withReg(s, r, res[0]);
        if ('r' in vArg && vArg.r !== 'r10') n = withReg(n, vArg.r, res[1]);
        return n;
      };
      return [apply(t), apply(f)];
    }
    return [s, s];
  }

  /** A global function is verified once, on its own, from its parameter types (`btf_prepare_func_args`). */
  verifyGlobal(sub: Subprog, ctx: CallCtx): void {
    if (this.#globalDone.has(sub.name)) return;
    this.#globalDone.add(sub.name);
    const regs = new Map<string, AVal>();
    (sub.params ?? []).forEach((p, i) => {
      const name = p.name;
      switch (p.type) {
        case 'dynptr': regs.set(name, { t: 'dynptr_ptr', kind: null }); break;
        case 'ctx': regs.set(name, { t: 'ctx', off: 0 }); break;
        case 'ptr': regs.set(name, { t: 'mem', size: 0, off: 0, var: null, rdonly: false, maybeNull: true, id: this.newId(), dynptrId: null, refObj: null }); break;
        default: regs.set(name, UNKNOWN);
      }
      void i;
    });
    const init: AState = { frames: [{ fn: sub.name, frameno: 0, regs, stack: new Map(), callsite: -1, retDst: null, loop: null, async: false }], refs: new Map() };
    this.run(initLocals(this, init, sub), { ...ctx, asm: false });
  }

  /** A task_work callback: its own sleepable program with the caller's type (`push_async_cb`). */
  verifyAsyncCallback(caller: CallCtx, sub: string, map: string, insn: number): void {
    const key = `${sub}|${map}`;
    if (this.#asyncDone.has(key)) return;
    this.#asyncDone.add(key);
    const def = this.fnDef(sub) as Subprog;
    const incoming: AVal[] = [{ t: 'map', map }, UNKNOWN, { t: 'map_value', map, size: mapLayout(this.obj.maps, map)?.size ?? 0, off: 0, var: null, maybeNull: false, id: 0, rdonly: false }];
    const names = def.params?.map((p) => p.name) ?? ['r1', 'r2', 'r3'];
    const regs = new Map<string, AVal>();
    names.forEach((n, i) => { const v = incoming[i]; if (v !== undefined) regs.set(n, v); });
    const init: AState = { frames: [{ fn: sub, frameno: 0, regs, stack: new Map(), callsite: -1, retDst: null, loop: null, async: true }], refs: new Map() };
    try {
      this.run(initLocals(this, init, def), { ...caller, sleepable: true, asm: false });
    } catch (e) {
      if (e instanceof Reject) throw new Reject(`${e.msg} (in callback ${sub}, verified from insn ${insn} as sleepable)`, e.insn, e.extra, e.errno);
      throw e;
    }
  }
}

/** A frame for the program itself: R1 the context (the hook's file for an LSM file hook), the stack empty. */
export function programFrame(prog: Program, hookFile: boolean, ctxNullable = false): FState {
  const regs = new Map<string, AVal>();
  regs.set('r1', hookFile ? { t: 'file', ref: null, maybeNull: ctxNullable, id: 0 } : { t: 'ctx', off: 0 });
  return { fn: prog.name, frameno: 0, regs, stack: new Map(), callsite: -1, retDst: null, loop: null, async: false };
}

