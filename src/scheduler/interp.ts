/**
 * The BPF program interpreter. A frame runs as the current task until the program returns or a call
 * must sleep (a sleepable read of a page not uptodate): then the frame keeps its place and the
 * call's continuation, the task waits for the page, and the frame is continued when it runs again.
 *
 * The frame is a call stack: a bpf-to-bpf call (a static or global function of the object) pushes
 * the caller (its registers, its 512-byte stack, where it continues) and runs the callee with its
 * arguments in the parameter registers; `bpf_loop` pushes its caller the same way and runs the
 * callback once per index (kernel/bpf/bpf_iter.c `bpf_loop`). Memory (stack, globals, map values,
 * slices) is src/model/memory; a dynptr lives in the dynptr table under the key of its stack slot,
 * so a store into its slots ends it, as in the verifier.
 */
import { ArgumentError, BudgetError, KernsimError, NotModelledError, UnknownHandleError } from '../model/kernel/errors.ts';
import { argBits, attempt, availableIn, convertArgs, type AnyKfunc, type ArgSpec, type RingSample, type TwRef } from '../model/kfunc/kfunc.ts';
import { locateSlice } from '../model/dynptr/locate.ts';
import { frameSlot, type Dynptr } from '../model/dynptr/types.ts';
import { dropFrameSlots } from '../model/dynptr/core.ts';
import { ctxField } from '../model/packet/run.ts';
import { KfuncEvent } from '../model/kfunc/event.ts';
import { Sleep } from '../model/fs/io.ts';
import { Preempt } from '../model/kfunc/preempt.ts';
import { copy, destroyDynptrs, fill, filled, isPointer, load, needPointer, offsetPointer, spill, store, view, type MemEnv, type Pointer } from '../model/memory/memory.ts';
import { isScalarGlobal, scalarValue, writeU32LE } from '../model/program/globals.ts';
import { frameLayout, type FrameLayout } from '../model/program/layout.ts';
import type { Arg, BpfObject, Op, Program, Subprog } from '../model/program/program.ts';
import type { Caller, Frame, RegVal, Task } from '../model/task/types.ts';
import { memberValue } from '../model/btf/values.ts';
import type { KptrRef } from '../model/kptr/types.ts';
import { kptrAt, kptrField, mapLayout } from '../model/maps/layout.ts';
import { eachNext } from '../model/maps/foreach.ts';
import { peekWrites } from '../model/maps/bloom.ts';
import type { EachCursor } from '../model/maps/types.ts';
import type { LoadedObject } from '../model/program/loaded.ts';
import { emit, emitTask, withContext, type CallContext, type Kern } from '../model/world/world.ts';
import { ALL_KFUNCS } from '../task_work/kfuncs.ts';
import { settle } from '../task_work/settle.ts';
import { defaultChooser, type Chooser } from './chooser.ts';


/** Nested bpf-to-bpf calls (the kernel's limit, MAX_CALL_FRAMES). */
const MAX_CALL_FRAMES = 8;

export type FrameResult = { readonly done: true; readonly ret: bigint } | { readonly done: false };

function objectOf(k: Kern, frame: Frame): LoadedObject {
  const prog = k.cold.progs.get(frame.prog);
  // This transition's own copy of the object: the program's writes to its globals go there.
  const obj = prog === undefined ? undefined : k.t.object(prog.obj);
  if (obj === undefined) throw new KernsimError(`frame ${frame.id}: program #${frame.prog} is not loaded`);
  return obj;
}


/** A compiled function: its ops, labels and frame layout, looked up once per run. */
interface Fn {
  readonly name: string;
  readonly def: Program | Subprog;
  readonly body: readonly Op[];
  readonly labels: ReadonlyMap<string, number>;
  readonly layout: FrameLayout;
  /** Stack variable at each offset where one starts. */
  readonly at: ReadonlyMap<number, string>;
}

function compile(def: Program | Subprog): Fn {
  const labels = new Map<string, number>();
  def.body.forEach((op, i) => { if (op.op === 'label') labels.set(op.name, i); });
  const layout = frameLayout(def);
  const at = new Map<number, string>();
  for (const v of layout.vars.values()) at.set(v.off, v.name);
  return { name: def.name, def, body: def.body, labels, layout, at };
}

/**
 * The compiled functions of each loaded object's definition, by name, made on first use. A cache of a
 * pure function of a value the world never changes (an object's definition, as loaded): no caller can
 * tell it is there, and every run of a program after the first finds its function compiled (compiling
 * on every run was about a tenth of the interpreter's time in the task_work properties' short runs).
 */
const compiledFns = new WeakMap<BpfObject, Map<string, Fn>>();

function compiledFn(obj: BpfObject, name: string): Fn {
  let fns = compiledFns.get(obj);
  if (fns === undefined) {
    fns = new Map();
    compiledFns.set(obj, fns);
  }
  let f = fns.get(name);
  if (f === undefined) {
    const def = obj.programs.find((p) => p.name === name) ?? obj.subprogs.find((s) => s.name === name);
    if (def === undefined) throw new UnknownHandleError('fn', name, `program or function of ${obj.name}`);
    f = compile(def);
    fns.set(name, f);
  }
  return f;
}

/** The interpreter's view of one run: the frame, its object, and the functions it has looked up. */
class Run implements MemEnv {
  readonly #fns = new Map<string, Fn>();
  /** Which function each live call frame id runs (for its stack's variable names). */
  readonly #fnOfFrame = new Map<number, string>();

  constructor(readonly k: Kern, readonly task: Task, readonly frame: Frame, readonly obj: LoadedObject, readonly chooser: Chooser) {
    this.#fnOfFrame.set(frame.id, frame.fn);
    for (const c of frame.callers ?? []) this.#fnOfFrame.set(c.id, c.fn);
  }

  get def(): BpfObject {
    return this.obj.def;
  }

  fn(name: string): Fn {
    let f = this.#fns.get(name);
    if (f === undefined) {
      f = compiledFn(this.def, name);
      this.#fns.set(name, f);
    }
    return f;
  }

  enter(id: number, fn: string): void {
    this.#fnOfFrame.set(id, fn);
  }

  slotKey(frameId: number, off: number): string {
    const fn = this.#fnOfFrame.get(frameId);
    const name = fn === undefined ? undefined : this.fn(fn).at.get(off);
    return frameSlot(frameId, name ?? `fp${off}`);
  }

  /** The stack pointer to variable `name` of the running function, or null when it has none. */
  local(name: string, off: number): Pointer | null {
    const v = this.fn(this.frame.fn).layout.vars.get(name);
    return v === undefined ? null : { ptr: 'stack', frame: this.frame.id, off: v.off + off };
  }

  globalPtr(name: string, off: number): Pointer {
    if (!this.obj.globals.has(name)) throw new UnknownHandleError('global', name, `global or stack variable of ${this.frame.fn}`);
    return { ptr: 'global', obj: this.obj.id, name, off };
  }
}

function readReg(run: Run, name: string): RegVal {
  if (name === 'r10') return { ptr: 'stack', frame: run.frame.id, off: 0 };
  // An own property only: a register named `constructor` or `toString` is an ordinary name.
  const v = Object.prototype.hasOwnProperty.call(run.frame.regs, name) ? run.frame.regs[name] : undefined;
  if (v === undefined) throw new ArgumentError(name, undefined, `an initialized register in ${run.frame.fn}`);
  return v;
}

function setReg(run: Run, name: string, v: RegVal): void {
  if (name === 'r10') throw new ArgumentError('dst', name, 'a register other than the read-only frame pointer r10');
  run.frame.regs[name] = v;
}

function mapIdOf(obj: LoadedObject, name: string): number {
  const id = obj.maps.get(name);
  if (id === undefined) throw new UnknownHandleError('map', name, `map of ${obj.def.name}`);
  return id;
}

/** The value of an operand as a register would hold it. */
function valueOf(run: Run, a: Arg): RegVal {
  if ('r' in a) return readReg(run, a.r);
  if ('imm' in a) return BigInt.asUintN(64, BigInt(a.imm));
  if ('null' in a) return null;
  if ('dynptr' in a) {
    const p = run.local(a.dynptr, a.off ?? 0);
    if (p === null) throw new UnknownHandleError('dynptr', a.dynptr, `stack variable of ${run.frame.fn}`);
    return p;
  }
  if ('buf' in a) return run.local(a.buf, a.off ?? 0) ?? run.globalPtr(a.buf, a.off ?? 0);
  if ('addr' in a) return run.local(a.addr, a.off ?? 0) ?? run.globalPtr(a.addr, a.off ?? 0);
  if ('global' in a) {
    const decl = run.def.globals.find((g) => g.name === a.global);
    const bytes = run.obj.globals.get(a.global);
    if (decl === undefined || bytes === undefined) throw new UnknownHandleError('global', a.global, `global of ${run.def.name}`);
    return isScalarGlobal(decl) ? BigInt.asUintN(64, scalarValue(decl, bytes)) : run.globalPtr(a.global, 0);
  }
  if ('map' in a) return { ptr: 'map', map: mapIdOf(run.obj, a.map) };
  if ('ctx' in a) {
    if (a.ctx === 'ctx') return { ptr: 'ctx' };
    return run.frame.ctxFile === null ? null : { ptr: 'file', file: run.frame.ctxFile };
  }
  if ('cb' in a) return { ptr: 'func', name: a.cb };
  if ('ksym' in a) {
    // bpf_ksym_exists: whether libbpf resolved the weak kfunc (model/program/ksym.ts).
    const def = (ALL_KFUNCS as Record<string, AnyKfunc>)[a.ksym];
    if (def === undefined || def.kind !== 'kfunc') throw new ArgumentError('ksym', a.ksym, 'a kfunc');
    return availableIn(def, run.k.features.version) ? 1n : 0n;
  }
  if ('kptr' in a) {
    // `&v->field`: the value pointer, at the kptr field's offset in the value struct the object
    // declares (a map made without BTF has the same bytes, with no field the kernel knows of).
    const v = readReg(run, a.kptr);
    if (v === null || typeof v !== 'object' || v.ptr !== 'map_value') throw new ArgumentError(a.kptr, v, 'a map value pointer (&->' + a.field + ')');
    const name = run.k.cold.maps.get(v.map)?.name;
    const layout = name === undefined ? null : mapLayout(run.def.maps, name);
    const f = layout === null ? undefined : kptrField(layout, a.field);
    if (f === undefined) throw new ArgumentError('field', a.field, `a kptr field of the map value in ${a.kptr}`);
    return { ...v, off: (v.off ?? 0) + f.off };
  }
  throw new ArgumentError('operand', a, 'a value operand');
}

function scalar(v: RegVal, what: string): bigint {
  // NULL is the value 0 (C passes it to an integer parameter as 0, and the verifier sees a scalar 0).
  if (v === null) return 0n;
  if (typeof v !== 'bigint') throw new ArgumentError(what, v === null ? 'NULL' : typeof v === 'object' ? `${v.ptr} pointer` : v, 'a scalar');
  return v;
}

/** A pointer operand, or a scalar address the program computed (an unverified run). */
function pointerOf(run: Run, a: Arg, what: string): Pointer {
  return needPointer(valueOf(run, a), what);
}

/** The byte length a kfunc memory argument needs: its size argument's value, else its whole memory. */
function memLen(run: Run, def: AnyKfunc, spec: ArgSpec, args: readonly Arg[]): number {
  if (spec.fixedSize !== undefined) return spec.fixedSize;
  if (spec.size === undefined) return 0;
  const a = args[spec.size];
  const sizeSpec = def.args[spec.size];
  const v = a === undefined ? 0n : scalar(valueOf(run, a), sizeSpec?.name ?? 'size');
  // The prototype's width: a __u32 size passes its low 32 bits.
  return Number(BigInt.asUintN(argBits(sizeSpec?.type ?? 'u64', run.k.features.dynptrBits), v));
}

/** Whether this call writes a memory argument its prototype writes: a bloom filter's peek reads it (maps/bloom.ts `peekWrites`). */
function argWritten(run: Run, def: AnyKfunc, spec: ArgSpec, args: readonly Arg[]): boolean {
  if (spec.out !== true) return false;
  if (spec.mapValue !== true || args[0] === undefined) return true;
  const m = valueOf(run, args[0]);
  return peekWrites(def.name, m !== null && typeof m === 'object' && m.ptr === 'map' ? run.k.cold.maps.get(m.map)?.type : undefined);
}

/** The kfunc argument for one operand, by the argument's declared type. */
function toKfuncArg(run: Run, def: AnyKfunc, i: number, args: readonly Arg[]): unknown {
  const spec = def.args[i] as ArgSpec;
  const a = args[i] as Arg;
  switch (spec.type) {
    case 'dynptr':
    case 'dynptr_uninit': {
      const p = valueOf(run, a);
      if (!isPointer(p) || p.ptr !== 'stack') throw new ArgumentError(spec.name, a, 'a pointer to a dynptr on the stack');
      return run.slotKey(p.frame, p.off);
    }
    case 'tw': {
      if ('null' in a) return null;
      const v = 'tw' in a ? readReg(run, a.tw) : valueOf(run, a);
      if (v === null || typeof v !== 'object' || v.ptr !== 'map_value') throw new ArgumentError(spec.name, v, 'a map value pointer');
      return { map: v.map, key: v.key, slot: v.slot } satisfies TwRef;
    }
    case 'callback': {
      const v = valueOf(run, a);
      if (v === null || typeof v !== 'object' || v.ptr !== 'func') throw new ArgumentError(spec.name, a, 'a callback function');
      return v.name;
    }
    case 'aux':
      return null;
    case 'choice': {
      // The chooser's pick is recorded with the schedule's, so a list of choices replays it.
      const c = run.chooser.choose(def.name, 2 ** 32);
      run.k.t.choose(c);
      return BigInt(c);
    }
    case 'any': {
      const v = valueOf(run, a);
      if (spec.unsafe === true) return isPointer(v) ? view(run, v, 0) : v;
      return v;
    }
    default:
      break;
  }
  const v = valueOf(run, a);
  switch (spec.type) {
    case 'u8':
    case 'u32':
    case 'u64':
    case 'dsize':
      if (spec.byRef === true && isPointer(v)) return BigInt.asIntN(32, load(run, v, 4, false));
      return scalar(v, spec.name);
    case 'mem':
    case 'mem_or_null':
    case 'const_str':
    case 'percpu':
    case 'iter':
    case 'iter_uninit':
      if (v === null || v === 0n) {
        if (spec.type === 'mem_or_null' || spec.type === 'percpu') return null;
        // A NULL of size 0 passes the verifier (check_kfunc_mem_size_reg, check_mem_size_reg): no bytes.
        if (spec.type === 'mem' && spec.size !== undefined && memLen(run, def, spec, args) === 0) return new Uint8Array(0);
        throw new ArgumentError(spec.name, 'NULL', 'a memory pointer');
      }
      if (isPointer(v)) {
        const len = spec.type === 'iter' || spec.type === 'iter_uninit' ? 8 : memLen(run, def, spec, args);
        if (v.ptr === 'stack' && (argWritten(run, def, spec, args) || spec.type === 'iter_uninit')) destroyDynptrs(run, v.frame, v.off, Math.max(len, 1));
        return view(run, v, len);
      }
      throw new ArgumentError(spec.name, v, 'a memory pointer');
    case 'u64s': {
      // Each 8 bytes a number, or a pointer the program stored there (a spill): the memory it points at.
      if (v === null || v === 0n) return null;
      if (!isPointer(v)) throw new ArgumentError(spec.name, v, 'a memory pointer or NULL');
      const len = memLen(run, def, spec, args);
      // The data_len bytes must lie inside the memory (view throws otherwise), which bounds the loop.
      view(run, v, len);
      const out: (bigint | Uint8Array)[] = [];
      for (let at = 0; at + 8 <= len; at += 8) {
        const p = offsetPointer(v, BigInt(at));
        const spilled = filled(run, p);
        if (spilled === undefined) out.push(load(run, p, 8, false));
        else if (spilled === null || typeof spilled === 'bigint') out.push(spilled ?? 0n);
        else if (isPointer(spilled)) out.push(view(run, spilled, 0));
        else throw new NotModelledError(`${spec.name}[${at / 8}]: a ${spilled.ptr} pointer as a value`, 'the model gives values the memory a pointer points at (a stack, a map value, a global)');
      }
      return out;
    }
    case 'skb':
    case 'xdp_md':
      if (v !== null && typeof v === 'object' && v.ptr === 'ctx' && run.frame.ctxPacket !== undefined) return run.frame.ctxPacket;
      // A tracing program's `struct sk_buff *` argument (tp_btf): a trusted pointer to the skb.
      if (v !== null && typeof v === 'object' && v.ptr === 'skb') return v.packet;
      throw new ArgumentError(spec.name, v, 'the program\'s packet context (a run with packet data)');
    case 'ringbuf_mem':
      if (v !== null && typeof v === 'object' && v.ptr === 'ring' && (v.off ?? 0) === 0) return { map: v.map, rec: v.rec };
      throw new ArgumentError(spec.name, v, 'a record bpf_ringbuf_reserve returned, at offset 0 (the verifier refuses anything else)');
    case 'file':
    case 'path':
      if (v !== null && typeof v === 'object' && v.ptr === 'file') return v.file;
      throw new ArgumentError(spec.name, v, 'a file pointer (the verifier refuses NULL for trusted arguments)');
    case 'task':
      if (v !== null && typeof v === 'object' && v.ptr === 'task') return v.pid;
      throw new ArgumentError(spec.name, v, 'a task pointer');
    case 'map':
      if (v !== null && typeof v === 'object' && v.ptr === 'map') return v.map;
      throw new ArgumentError(spec.name, v, 'a map pointer');
    case 'task_or_null':
    case 'task_ptr_or_null':
      if (v === null || v === 0n) return null;
      if (typeof v === 'object' && v.ptr === 'task') return v.pid;
      throw new ArgumentError(spec.name, v, 'a task pointer or NULL');
    case 'kptr': {
      // `&value->field`: the kptr field at the pointer's offset (the verifier makes it one).
      if (v === null || typeof v !== 'object' || v.ptr !== 'map_value') throw new ArgumentError(spec.name, v, 'a pointer to a kptr field of a map value');
      const layout = run.k.cold.maps.get(v.map)?.layout;
      const f = layout === undefined ? undefined : kptrAt(layout, v.off ?? 0);
      if (f === undefined) throw new ArgumentError(spec.name, v, 'a pointer to a kptr field of a map value');
      if ((v.cpu ?? 0) !== 0) throw new NotModelledError(`${spec.name}: the kptr field ${f.name} in CPU ${v.cpu}'s copy of a per-CPU value`, 'the model keeps the kptrs of CPU 0\'s copy only');
      return { map: v.map, key: v.key, slot: v.slot, field: f.index } satisfies KptrRef;
    }
    default:
      throw new ArgumentError(spec.name, a, `an operand for ${spec.type}`);
  }
}

function toRegVal(def: AnyKfunc, v: unknown): RegVal {
  switch (def.ret) {
    case 'int':
    case 'long':
      return BigInt.asUintN(64, BigInt(v as number));
    case 'dsize':
    case 'u64':
      return v as bigint;
    case 'bool':
      return v === true ? 1n : 0n;
    case 'ptr':
      return v === null ? null : { ptr: 'mem', bytes: v as Uint8Array, off: 0 };
    case 'task':
      return v === null ? null : { ptr: 'task', pid: v as number };
    case 'file':
      return v === null ? null : { ptr: 'file', file: v as number };
    case 'map_value': {
      if (v === null) return null;
      const r = v as TwRef;
      return { ptr: 'map_value', map: r.map, key: r.key, slot: r.slot ?? -1, off: 0, ...(r.cpu === undefined ? {} : { cpu: r.cpu }) };
    }
    case 'ringbuf_mem':
      return v === null ? null : { ptr: 'ring', map: (v as RingSample).map, rec: (v as RingSample).rec, off: 0 };
    case 'void':
      return 0n;
  }
}

/**
 * The pointer a kfunc's returned memory stands for: the caller's own buffer (a slice copied into
 * `buffer__opt` is that stack or global memory), a place in a ring record or a packet (a direct
 * slice of a RINGBUF, SKB, SKB_META or XDP dynptr: looked up in the world at each access), or else
 * the view itself (LOCAL memory, an iterator's value).
 */
function slicePointer(run: Run, def: AnyKfunc, args: readonly Arg[], raw: readonly unknown[], v: Uint8Array): RegVal {
  for (let i = 0; i < def.args.length; i += 1) {
    const spec = def.args[i] as ArgSpec;
    const b = raw[i];
    if ((spec.type === 'mem' || spec.type === 'mem_or_null') && b instanceof Uint8Array && b.buffer === v.buffer && b.byteOffset === v.byteOffset) {
      const p = valueOf(run, args[i] as Arg);
      if (isPointer(p)) return p;
    }
  }
  if (def.args[0]?.type === 'dynptr' && typeof raw[0] === 'string') {
    const d = run.k.t.dynptrs.get(raw[0]) as Dynptr | undefined;
    const at = d === undefined ? null : locateSlice(run.k, d, v);
    if (at !== null) return at.kind === 'ring' ? { ptr: 'ring', map: at.map, rec: at.rec, off: at.off } : { ptr: 'pkt', packet: at.packet, piece: at.piece, off: at.off };
  }
  return { ptr: 'mem', bytes: v, off: 0 };
}

/**
 * A load from the context: a packet program's `__sk_buff` field the model knows (`len`), or a
 * tracing program's hook argument (`ctx[i]`, 8 bytes each: `BPF_PROG`'s arguments).
 */
function ctxLoad(run: Run, off: number, size: number): RegVal {
  const f = run.frame;
  if (f.ctxPacket !== undefined) {
    const v = ctxField(run.k, f.ctxPacket, off, size);
    if (v !== null) return v;
  }
  if (f.ctxArgs !== undefined && size === 8 && off % 8 === 0) {
    const v = f.ctxArgs[off / 8];
    if (v !== undefined) return v;
  }
  throw new ArgumentError('ctx', `off=${off} size=${size}`, 'a context field the model reads (__sk_buff->len, a tracing program\'s hook argument)');
}

const U64 = (x: bigint): bigint => BigInt.asUintN(64, x);
const S64 = (x: bigint): bigint => BigInt.asIntN(64, x);

/** BPF ALU64 semantics (kernel/bpf/core.c): division by zero gives 0, modulo by zero the dividend. */
export function aluOp(fn: string, a: bigint, b: bigint): bigint {
  switch (fn) {
    case 'add': return U64(a + b);
    case 'sub': return U64(a - b);
    case 'and': return U64(a) & U64(b);
    case 'or': return U64(a) | U64(b);
    case 'xor': return U64(a) ^ U64(b);
    case 'rsh': return U64(a) >> (b & 63n);
    case 'lsh': return U64(a << (b & 63n));
    case 'arsh': return U64(S64(a) >> (b & 63n));
    case 'mul': return U64(a * b);
    case 'div': return U64(b) === 0n ? 0n : U64(a) / U64(b);
    case 'mod': return U64(b) === 0n ? U64(a) : U64(a) % U64(b);
    default: throw new ArgumentError('fn', fn, 'an ALU operation');
  }
}

function sameObject(a: RegVal, b: RegVal): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  return JSON.stringify(a, (_k, x: unknown) => (x instanceof Uint8Array ? `buf${x.byteOffset}:${x.length}` : typeof x === 'bigint' ? `${x}` : x)) === JSON.stringify(b, (_k, x: unknown) => (x instanceof Uint8Array ? `buf${x.byteOffset}:${x.length}` : typeof x === 'bigint' ? `${x}` : x));
}

function compare(cmp: string, a: RegVal, b: RegVal): boolean {
  if (cmp === '==' || cmp === '!=') {
    // A pointer is never NULL or 0; two pointers are equal when they are the same place.
    const isZero = (x: RegVal): boolean => x === null || x === 0n;
    const eq = typeof a === 'bigint' && typeof b === 'bigint' ? a === b : isZero(a) || isZero(b) ? isZero(a) && isZero(b) : sameObject(a, b);
    return cmp === '==' ? eq : !eq;
  }
  const x = scalar(a, 'comparison');
  const y = scalar(b, 'comparison');
  switch (cmp) {
    case '<': return U64(x) < U64(y);
    case '<=': return U64(x) <= U64(y);
    case '>': return U64(x) > U64(y);
    case '>=': return U64(x) >= U64(y);
    case 's<': return S64(x) < S64(y);
    case 's<=': return S64(x) <= S64(y);
    case 's>': return S64(x) > S64(y);
    case 's>=': return S64(x) >= S64(y);
    default: throw new ArgumentError('cmp', cmp, 'a comparison');
  }
}

function bytesOf(run: Run, v: RegVal, len: number, what: string): { bytes: Uint8Array; at: number } {
  const p = needPointer(v, what);
  const view0 = view(run, p, len);
  return { bytes: view0, at: 0 };
}

/** The calling context of a frame's kfunc calls. */
export function frameContext(task: Task, frame: Frame): CallContext {
  return { sleepable: frame.sleepable, task: task.pid, prog: frame.prog, label: `pid ${task.pid} ${frame.entry ?? frame.fn}:` };
}

/** Save the running function as a caller and start `fn` with `args` in its parameter registers. */
function callFunction(run: Run, fn: string, args: readonly RegVal[], dst: string | null, loop: Caller['loop']): void {
  const frame = run.frame;
  const callers = frame.callers ?? (frame.callers = []);
  if (callers.length + 1 >= MAX_CALL_FRAMES) throw new KernsimError(`${frame.fn}: more than ${MAX_CALL_FRAMES} nested calls (the verifier refuses it)`);
  callers.push({ id: frame.id, fn: frame.fn, pc: frame.pc, regs: frame.regs, stack: frame.stack ?? null, ...(frame.spills === undefined ? {} : { spills: frame.spills }), dst, loop });
  const callee = run.fn(fn);
  const params = (callee.def as Subprog).params;
  const names = params !== undefined ? params.map((p) => p.name) : ['r1', 'r2', 'r3', 'r4', 'r5'];
  const regs: Record<string, RegVal> = {};
  names.forEach((n, i) => { const v = args[i]; if (v !== undefined) regs[n] = v; });
  frame.id = run.k.t.nextId('frame');
  frame.fn = fn;
  frame.pc = 0;
  frame.regs = regs;
  frame.stack = null;
  delete frame.spills;
  run.enter(frame.id, fn);
  initLocals(run);
}

/** Store the initial bytes of the running function's initialized stack variables. */
function initLocals(run: Run): void {
  const fn = run.fn(run.frame.fn);
  for (const v of fn.layout.vars.values()) {
    const init = v.local.init;
    if (init === undefined) continue;
    const bytes = init === 'zero' ? new Uint8Array(v.size) : typeof init === 'string' ? new TextEncoder().encode(init) : Uint8Array.from(init);
    const full = new Uint8Array(v.size);
    full.set(bytes.subarray(0, v.size));
    for (let i = 0; i < v.size; i += 1) store(run, { ptr: 'stack', frame: run.frame.id, off: v.off + i }, 1, BigInt(full[i] ?? 0));
  }
}

/**
 * Return `value` from the running function: to the caller (its destination register), or, for a
 * `bpf_loop` callback, to the loop, which calls the callback again or finishes. Returns true when
 * the run's first function returned (the program is done).
 */
function returnFrom(run: Run, value: bigint): boolean {
  const frame = run.frame;
  const callers = frame.callers ?? [];
  const caller = callers.pop();
  if (caller === undefined) return true;
  dropFrameSlots(run.k, frame.id);
  frame.id = caller.id;
  frame.fn = caller.fn;
  frame.pc = caller.pc;
  frame.regs = caller.regs;
  frame.stack = caller.stack;
  if (caller.spills === undefined) delete frame.spills;
  else frame.spills = caller.spills;
  if (caller.loop !== null && caller.loop.each !== undefined) {
    // bpf_for_each_map_elem: the next element, unless the callback stopped the walk.
    const l = caller.loop;
    const each = l.each as { map: number; cursor: EachCursor };
    const next = value !== 0n ? null : eachNext(run.k, each.map, each.cursor);
    if (next !== null) {
      callFunction(run, l.cb, eachArgs(each.map, next, l.ctx), caller.dst, { ...l, i: l.i + 1, each: { map: each.map, cursor: next.cursor } });
      return false;
    }
    finishHelper(run, 'bpf_for_each_map_elem', [each.map, l.cb, null, 0n], l.i + 1, caller.dst);
  } else if (caller.loop !== null) {
    const l = caller.loop;
    const stop = value !== 0n;
    const next = l.i + 1;
    if (!stop && next < l.nr) {
      callFunction(run, l.cb, [BigInt(next), l.ctx], caller.dst, { ...l, i: next });
      return false;
    }
    finishHelper(run, 'bpf_loop', [BigInt(l.nr), l.cb, null, 0n], stop ? l.i + 1 : l.nr, caller.dst);
  } else if (caller.dst !== null) setReg(run, caller.dst, value);
  frame.pc += 1;
  return false;
}

/**
 * The end of a helper that called back into the program (`bpf_loop`, `bpf_for_each_map_elem`): its
 * event in the trace, and its result in `dst`.
 */
function finishHelper(run: Run, name: 'bpf_loop' | 'bpf_for_each_map_elem', args: unknown[], ret: number, dst: string | null): void {
  const def = (ALL_KFUNCS as Record<string, AnyKfunc>)[name] as AnyKfunc;
  emit(run.k, new KfuncEvent(run.k.t.now, def, args, ret, run.k.features.dynptrBits, frameContext(run.task, run.frame).label ?? ''));
  if (dst !== null) setReg(run, dst, BigInt.asUintN(64, BigInt(ret)));
}

/** The four arguments of a helper that calls back (`bpf_loop`, `bpf_for_each_map_elem`): the first as it is, the callback's name, the context, the flags. */
function callbackArgs(run: Run, op: Extract<Op, { op: 'call' }>): { first: RegVal; cb: string; ctx: RegVal; flags: bigint } {
  const [firstA, cbA, ctxA, flagsA] = op.args;
  if (firstA === undefined || cbA === undefined || ctxA === undefined || flagsA === undefined) throw new ArgumentError(`${op.fn} arguments`, op.args.length, '4 arguments');
  const cbv = valueOf(run, cbA);
  if (cbv === null || typeof cbv !== 'object' || cbv.ptr !== 'func') throw new ArgumentError('callback_fn', cbA, 'a callback function');
  return { first: valueOf(run, firstA), cb: cbv.name, ctx: valueOf(run, ctxA), flags: scalar(valueOf(run, flagsA), 'flags') };
}

/** `bpf_loop`: its checks, then the first call of the callback (or the result when it is not called). */
function startLoop(run: Run, op: Extract<Op, { op: 'call' }>): boolean {
  const { first, cb, ctx, flags } = callbackArgs(run, op);
  const nr = BigInt.asUintN(32, scalar(first, 'nr_loops'));
  const early = flags !== 0n ? -22 : nr > BigInt(1 << 23) ? -7 : nr === 0n ? 0 : null;
  if (early !== null) {
    finishHelper(run, 'bpf_loop', [nr, cb, null, flags], early, op.dst ?? null);
    return false;
  }
  callFunction(run, cb, [0n, ctx], op.dst ?? null, { i: 0, nr: Number(nr), cb, ctx, start: run.frame.pc });
  return true;
}

/** The callback's arguments for an element of map `map`: the map, its key (a copy: the verifier lets it only be read), its value (CPU 0's copy), the context. */
function eachArgs(map: number, e: { key: number; slot: number }, ctx: RegVal): RegVal[] {
  const key = new Uint8Array(4);
  writeU32LE(key, 0, e.key);
  return [{ ptr: 'map', map }, { ptr: 'mem', bytes: key }, { ptr: 'map_value', map, key: e.key, slot: e.slot }, ctx];
}

/**
 * `bpf_for_each_map_elem`: flags other than 0 are -EINVAL; then the callback gets the walk's first
 * element (maps/foreach.ts), or the result is 0 for an empty map.
 */
function startEach(run: Run, op: Extract<Op, { op: 'call' }>): boolean {
  const { first: mapv, cb, ctx, flags } = callbackArgs(run, op);
  if (mapv === null || typeof mapv !== 'object' || mapv.ptr !== 'map') throw new ArgumentError('map', op.args[0], 'a map');
  const e = flags !== 0n ? null : eachNext(run.k, mapv.map, null);
  if (e === null) {
    finishHelper(run, 'bpf_for_each_map_elem', [mapv.map, cb, null, flags], flags !== 0n ? -22 : 0, op.dst ?? null);
    return false;
  }
  callFunction(run, cb, eachArgs(mapv.map, e, ctx), op.dst ?? null, { i: 0, nr: 0, cb, ctx, start: run.frame.pc, each: { map: mapv.map, cursor: e.cursor } });
  return true;
}

/** Run `frame` as `task` until it returns or sleeps. */
export function runFrame(k: Kern, task: Task, frame: Frame, chooser: Chooser = defaultChooser): FrameResult {
  const obj = objectOf(k, frame);
  const run = new Run(k, task, frame, obj, chooser);
  if (frame.entry === undefined) {
    // First run: the parameters get R1-R5 (the context, a task_work callback's map/key/value), and
    // the initialized stack variables their bytes.
    frame.entry = frame.fn;
    const params = (run.fn(frame.fn).def as Subprog).params;
    if (params !== undefined) {
      const regs: Record<string, RegVal> = {};
      params.forEach((p, i) => {
        const v = frame.regs[`r${i + 1}`] ?? (p.type === 'ctx' ? { ptr: 'ctx' } : undefined);
        if (v !== undefined) regs[p.name] = v;
      });
      frame.regs = regs;
    }
    initLocals(run);
  }
  const ctx = frameContext(task, frame);
  // Operations one run may execute (the world's `ops` budget): the verifier bounds loops, an
  // unverified program may not end.
  const maxOps = k.t.budgets.ops;
  for (let ops = 0; ops < maxOps; ops += 1) {
    const fn = run.fn(frame.fn);
    const op = fn.body[frame.pc];
    if (op === undefined) throw new KernsimError(`${frame.fn}: fell off the end without a return`);
    switch (op.op) {
      case 'label':
        break;
      case 'mov':
        setReg(run, op.dst, valueOf(run, op.src));
        break;
      case 'alu': {
        const a = readReg(run, op.dst);
        const b = valueOf(run, op.src);
        if (isPointer(a) && typeof b === 'bigint' && (op.fn === 'add' || op.fn === 'sub')) {
          setReg(run, op.dst, offsetPointer(a, op.fn === 'add' ? b : -b));
        } else if (isPointer(b) && typeof a === 'bigint' && op.fn === 'add') {
          setReg(run, op.dst, offsetPointer(b, a));
        } else {
          setReg(run, op.dst, aluOp(op.fn, scalar(a, op.dst), scalar(b, 'src')));
        }
        break;
      }
      case 'store': {
        const decl = run.def.globals.find((g) => g.name === op.global);
        if (decl === undefined) throw new UnknownHandleError('global', op.global, `global of ${run.def.name}`);
        const v = scalar(valueOf(run, op.src), 'src');
        if (op.index !== undefined) {
          // `global[index] = src` into a u64 array: little-endian.
          if (decl.kind !== 'u64s' || !Number.isInteger(op.index) || op.index < 0 || op.index >= decl.size) {
            throw new ArgumentError('index', op.index, `an index inside the u64 array global ${op.global}`);
          }
          store(run, run.globalPtr(op.global, op.index * 8), 8, v);
          break;
        }
        if (!isScalarGlobal(decl)) throw new ArgumentError('global', op.global, 'an integer global');
        store(run, run.globalPtr(op.global, 0), decl.kind === 'u64' ? 8 : 4, v);
        break;
      }
      case 'ld': {
        const base = valueOf(run, op.base);
        if (base !== null && typeof base === 'object' && base.ptr === 'ctx') {
          setReg(run, op.dst, ctxLoad(run, op.off ?? 0, op.size));
          break;
        }
        const p = offsetPointer(needPointer(base, 'load base'), BigInt(op.off ?? 0));
        const spilled = op.size === 8 ? filled(run, p) : undefined;
        setReg(run, op.dst, spilled !== undefined ? spilled : load(run, p, op.size, op.signed === true));
        break;
      }
      case 'field':
        // A member of a task, a file or an inode (a scalar, sign-extended where its C type is signed; or a pointer).
        setReg(run, op.dst, memberValue(k, valueOf(run, op.base), op.field));
        break;
      case 'st': {
        const p = offsetPointer(pointerOf(run, op.base, 'store base'), BigInt(op.off ?? 0));
        const v = valueOf(run, op.src);
        if (v !== null && typeof v === 'object') spill(run, p, v);
        else store(run, p, op.size, v === null ? 0n : v);
        break;
      }
      case 'atomic': {
        const p = offsetPointer(pointerOf(run, op.base, 'atomic base'), BigInt(op.off ?? 0));
        const old = load(run, p, op.size, false);
        const v = scalar(valueOf(run, op.src), 'src');
        const next = op.fn === 'add' ? old + v : op.fn === 'and' ? old & v : op.fn === 'or' ? old | v : old ^ v;
        store(run, p, op.size, next);
        if (op.fetch !== undefined) setReg(run, op.fetch, old);
        break;
      }
      case 'memcpy':
        copy(run, pointerOf(run, op.dst, 'memcpy dst'), pointerOf(run, op.src, 'memcpy src'), op.len);
        break;
      case 'memset':
        fill(run, pointerOf(run, op.dst, 'memset dst'), op.val, op.len);
        break;
      case 'memcmp': {
        const ao = Number(scalar(valueOf(run, op.aoff), 'aoff'));
        const bo = Number(scalar(valueOf(run, op.boff), 'boff'));
        const n = Number(scalar(valueOf(run, op.len), 'len'));
        const a = bytesOf(run, offsetPointer(pointerOf(run, op.a, 'a'), BigInt(ao)), n, 'a');
        const b = bytesOf(run, offsetPointer(pointerOf(run, op.b, 'b'), BigInt(bo)), n, 'b');
        let r = 0n;
        for (let i = 0; i < n && r === 0n; i += 1) r = BigInt(Math.sign((a.bytes[a.at + i] ?? 0) - (b.bytes[b.at + i] ?? 0)));
        setReg(run, op.dst, U64(r));
        break;
      }
      case 'goto': {
        if (op.if === undefined || compare(op.if.cmp, readReg(run, op.if.r), valueOf(run, op.if.v))) {
          const to = fn.labels.get(op.to);
          if (to === undefined) throw new UnknownHandleError('to', op.to, `label in ${frame.fn}`);
          frame.pc = to;
          continue;
        }
        break;
      }
      case 'ret': {
        const v = valueOf(run, op.src);
        const value = typeof v === 'bigint' ? v : v === null ? 0n : (() => { throw new ArgumentError('return value', v, 'a scalar (the verifier refuses returning a pointer)'); })();
        if (returnFrom(run, value)) return { done: true, ret: S64(value) };
        continue;
      }
      case 'call': {
        if (run.def.subprogs.some((s) => s.name === op.fn)) {
          const args = op.args.map((a) => valueOf(run, a));
          callFunction(run, op.fn, args, op.dst ?? null, null);
          continue;
        }
        if (op.fn === 'bpf_loop') {
          if (startLoop(run, op)) continue;
          break;
        }
        if (op.fn === 'bpf_for_each_map_elem') {
          if (startEach(run, op)) continue;
          break;
        }
        const def = (ALL_KFUNCS as Record<string, AnyKfunc>)[op.fn];
        if (def === undefined) throw new UnknownHandleError('fn', op.fn, 'kfunc or helper');
        // An smp world's `call` action: stop before a helper or kfunc call (once the step has run
        // something), where a task on another CPU may act; the frame goes on from this call.
        if (k.t.preempt && ops > 0 && frame.resume === null) return { done: false };
        const cArgs = def.args.filter((s) => s.type !== 'choice').length;
        if (op.args.length !== cArgs && op.args.length !== def.args.length) {
          throw new ArgumentError(`${op.fn} arguments`, op.args.length, `${cArgs} arguments`);
        }
        // An implicit argument (the chooser's value) is not written in the program.
        const args: Arg[] = [];
        let j = 0;
        for (const spec of def.args) args.push(spec.type === 'choice' && op.args.length === cArgs ? { imm: 0 } : (op.args[j++] as Arg));
        const raw = def.args.map((_spec, i) => toKfuncArg(run, def, i, args));
        const kk = withContext(k, ctx, frame.resume ?? undefined);
        const converted = convertArgs(kk, def, raw);
        const r = attempt(kk, def, converted);
        settle(kk);
        if (r instanceof Preempt) {
          frame.resume = r.resume;
          return { done: false };
        }
        if (r instanceof Sleep) {
          frame.resume = r.resume;
          task.state = 'io_wait';
          task.wait = { kind: 'page', ino: r.wait.ino, pgoff: r.wait.pgoff };
          emitTask(k, task.pid, 'sleep', `io_wait on ino ${r.wait.ino} page ${r.wait.pgoff} in ${op.fn}`);
          return { done: false };
        }
        frame.resume = null;
        if (op.dst !== undefined) setReg(run, op.dst, def.ret === 'ptr' && r instanceof Uint8Array ? slicePointer(run, def, args, raw, r) : toRegVal(def, r));
        break;
      }
    }
    frame.pc += 1;
  }
  throw new BudgetError('ops', maxOps, `${frame.fn} ran more than ${maxOps} operations in one run (an unbounded loop?)`);
}

