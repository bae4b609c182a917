/**
 * The BPF program interpreter. A frame runs as the current task until the program returns or a call
 * must sleep (a sleepable read of a page not uptodate): then the frame keeps its place and the
 * call's continuation, the task waits for the page, and the frame is continued when it runs again.
 */
import { ArgumentError, BudgetError, KernsimError, UnknownHandleError } from '../model/kernel/errors.ts';
import { attempt, convertArgs, type AnyKfunc, type ArgSpec, type TwRef } from '../model/kfunc/kfunc.ts';
import { Sleep } from '../model/fs/io.ts';
import type { Arg, Op } from '../model/program/program.ts';
import type { Frame, RegVal, Task } from '../model/task/types.ts';
import type { LoadedObject, ReadonlyLoadedObject } from '../model/program/loaded.ts';
import { emit, withContext, type CallContext, type Kern } from '../model/world/world.ts';
import { ALL_KFUNCS } from '../task_work/kfuncs.ts';
import { settle } from '../task_work/settle.ts';


export type FrameResult = { readonly done: true; readonly ret: bigint } | { readonly done: false };

function objectOf(k: Kern, frame: Frame): ReadonlyLoadedObject {
  const prog = k.cold.progs.get(frame.prog);
  const obj = prog === undefined ? undefined : k.t.objects.get(prog.obj);
  if (obj === undefined) throw new KernsimError(`frame ${frame.id}: program #${frame.prog} is not loaded`);
  return obj;
}

function bodyOf(obj: ReadonlyLoadedObject, frame: Frame): readonly Op[] {
  const body = frame.callback
    ? obj.def.subprogs.find((s) => s.name === frame.fn)?.body
    : obj.def.programs.find((p) => p.name === frame.fn)?.body;
  if (body === undefined) throw new UnknownHandleError('fn', frame.fn, `${frame.callback ? 'subprogram' : 'program'} of ${obj.def.name}`);
  return body;
}

/** The dynptr slot of a frame: slots are per frame, as stack slots are. */
export const frameSlot = (frame: Frame, slot: string): string => `${slot}@${frame.id}`;

function readReg(frame: Frame, name: string): RegVal {
  // An own property only: a register named `constructor` or `toString` is an ordinary name.
  const v = Object.prototype.hasOwnProperty.call(frame.regs, name) ? frame.regs[name] : undefined;
  if (v === undefined) throw new ArgumentError(name, undefined, `an initialized register in ${frame.fn}`);
  return v;
}

function globalOf(obj: ReadonlyLoadedObject, name: string): bigint | Uint8Array {
  const g = obj.globals.get(name);
  if (g === undefined) throw new UnknownHandleError('global', name, `global of ${obj.def.name}`);
  return g;
}

function mapIdOf(obj: ReadonlyLoadedObject, name: string): number {
  const id = obj.maps.get(name);
  if (id === undefined) throw new UnknownHandleError('map', name, `map of ${obj.def.name}`);
  return id;
}

/** The value of an operand as a register would hold it. */
function valueOf(frame: Frame, obj: ReadonlyLoadedObject, a: Arg): RegVal {
  if ('r' in a) return readReg(frame, a.r);
  if ('imm' in a) return BigInt(a.imm);
  if ('null' in a) return null;
  if ('global' in a) {
    const g = globalOf(obj, a.global);
    return typeof g === 'bigint' ? g : { ptr: 'mem', bytes: g };
  }
  if ('buf' in a) {
    const g = globalOf(obj, a.buf);
    if (typeof g === 'bigint') throw new ArgumentError('buf', a.buf, 'a byte-array global');
    return { ptr: 'mem', bytes: g };
  }
  if ('map' in a) return { ptr: 'map', map: mapIdOf(obj, a.map) };
  if ('ctx' in a) return frame.ctxFile === null ? null : { ptr: 'file', file: frame.ctxFile };
  throw new ArgumentError('operand', a, 'a value operand');
}

function scalar(v: RegVal, what: string): bigint {
  if (typeof v !== 'bigint') throw new ArgumentError(what, v, 'a scalar');
  return v;
}

/** The kfunc argument for one operand, by the argument's declared type. */
function toKfuncArg(frame: Frame, obj: ReadonlyLoadedObject, spec: ArgSpec, a: Arg): unknown {
  switch (spec.type) {
    case 'dynptr':
    case 'dynptr_uninit':
      if (!('dynptr' in a)) throw new ArgumentError(spec.name, a, 'a dynptr stack slot');
      return frameSlot(frame, a.dynptr);
    case 'tw': {
      if ('null' in a) return null;
      if (!('tw' in a)) throw new ArgumentError(spec.name, a, '&value->tw');
      const v = readReg(frame, a.tw);
      if (v === null || typeof v !== 'object' || v.ptr !== 'map_value') throw new ArgumentError(spec.name, v, 'a map value pointer');
      return { map: v.map, key: v.key } satisfies TwRef;
    }
    case 'callback':
      if (!('cb' in a)) throw new ArgumentError(spec.name, a, 'a callback subprogram');
      return a.cb;
    case 'aux':
      return null;
    default:
      break;
  }
  const v = valueOf(frame, obj, a);
  switch (spec.type) {
    case 'u8':
    case 'u32':
    case 'u64':
    case 'dsize':
      return scalar(v, spec.name);
    case 'mem':
    case 'mem_or_null':
      if (v === null) return null;
      if (typeof v === 'object' && v.ptr === 'mem') return spec.out === true ? v.bytes.slice() : v.bytes;
      throw new ArgumentError(spec.name, v, 'a memory pointer');
    case 'file':
      if (v !== null && typeof v === 'object' && v.ptr === 'file') return v.file;
      throw new ArgumentError(spec.name, v, 'a file pointer (the verifier refuses NULL for trusted arguments)');
    case 'task':
      if (v !== null && typeof v === 'object' && v.ptr === 'task') return v.pid;
      throw new ArgumentError(spec.name, v, 'a task pointer');
    case 'map':
      if (v !== null && typeof v === 'object' && v.ptr === 'map') return v.map;
      throw new ArgumentError(spec.name, v, 'a map pointer');
    default:
      throw new ArgumentError(spec.name, a, `an operand for ${spec.type}`);
  }
}

function toRegVal(def: AnyKfunc, v: unknown): RegVal {
  switch (def.ret) {
    case 'int':
      return BigInt(v as number);
    case 'dsize':
    case 'u64':
      return v as bigint;
    case 'bool':
      return v === true ? 1n : 0n;
    case 'ptr':
      return v === null ? null : { ptr: 'mem', bytes: v as Uint8Array };
    case 'task':
      return v === null ? null : { ptr: 'task', pid: v as number };
    case 'file':
      return v === null ? null : { ptr: 'file', file: v as number };
    case 'map_value':
      return v === null ? null : { ptr: 'map_value', map: (v as TwRef).map, key: (v as TwRef).key };
    case 'void':
      return 0n;
  }
}

/** The loaded object of `obj`, to change in this transition (its globals are its own copy). */
function writable(k: Kern, obj: ReadonlyLoadedObject): LoadedObject {
  const w = k.t.object(obj.id);
  if (w === undefined) throw new KernsimError(`object #${obj.id} is not loaded`);
  return w;
}

/**
 * Store back the copies of program memory a call wrote (program memory in the world is never changed
 * in place). Returns the object as it now is.
 */
function writeBack(k: Kern, obj: ReadonlyLoadedObject, def: AnyKfunc, args: readonly Arg[], raw: readonly unknown[]): ReadonlyLoadedObject {
  let out = obj;
  for (let i = 0; i < def.args.length; i += 1) {
    const a = args[i];
    const v = raw[i];
    if (def.args[i]?.out !== true || a === undefined || !('buf' in a) || !(v instanceof Uint8Array)) continue;
    const w = writable(k, out);
    w.globals.set(a.buf, v);
    out = w;
  }
  return out;
}

const U64 = (x: bigint): bigint => BigInt.asUintN(64, x);

function alu(fn: string, a: bigint, b: bigint): bigint {
  switch (fn) {
    case 'add': return U64(a + b);
    case 'sub': return U64(a - b);
    case 'and': return a & b;
    case 'or': return a | b;
    case 'rsh': return U64(a) >> (b & 63n);
    case 'lsh': return U64(a << (b & 63n));
    default: throw new ArgumentError('fn', fn, 'an ALU operation');
  }
}

function compare(cmp: string, a: RegVal, b: RegVal): boolean {
  if (cmp === '==' || cmp === '!=') {
    const eq = typeof a === 'bigint' || typeof b === 'bigint' ? a === b : (a === null) === (b === null);
    return cmp === '==' ? eq : !eq;
  }
  const x = scalar(a, 'comparison');
  const y = scalar(b, 'comparison');
  switch (cmp) {
    case '<': return U64(x) < U64(y);
    case '<=': return U64(x) <= U64(y);
    case '>': return U64(x) > U64(y);
    case '>=': return U64(x) >= U64(y);
    case 's<': return BigInt.asIntN(64, x) < BigInt.asIntN(64, y);
    case 's>': return BigInt.asIntN(64, x) > BigInt.asIntN(64, y);
    default: throw new ArgumentError('cmp', cmp, 'a comparison');
  }
}

function bytesOf(v: RegVal, what: string): Uint8Array {
  if (v !== null && typeof v === 'object' && v.ptr === 'mem') return v.bytes;
  throw new ArgumentError(what, v, 'a memory pointer');
}

/** The calling context of a frame's kfunc calls. */
export function frameContext(task: Task, frame: Frame): CallContext {
  return { sleepable: frame.sleepable, task: task.pid, prog: frame.prog, label: `pid ${task.pid} ${frame.fn}:` };
}

/** Run `frame` as `task` until it returns or sleeps. */
export function runFrame(k: Kern, task: Task, frame: Frame): FrameResult {
  let obj = objectOf(k, frame);
  const body = bodyOf(obj, frame);
  const labels = new Map<string, number>();
  for (let i = 0; i < body.length; i += 1) {
    const op = body[i] as Op;
    if (op.op === 'label') labels.set(op.name, i);
  }
  const ctx = frameContext(task, frame);
  // Operations one run may execute (the world's `ops` budget): the verifier bounds loops, an
  // unverified program may not end.
  const maxOps = k.t.budgets.ops;
  for (let ops = 0; ops < maxOps; ops += 1) {
    const op = body[frame.pc];
    if (op === undefined) throw new KernsimError(`${frame.fn}: fell off the end without a return`);
    switch (op.op) {
      case 'label':
        break;
      case 'mov':
        frame.regs[op.dst] = valueOf(frame, obj, op.src);
        break;
      case 'alu':
        frame.regs[op.dst] = alu(op.fn, scalar(readReg(frame, op.dst), op.dst), scalar(valueOf(frame, obj, op.src), 'src'));
        break;
      case 'store': {
        const old = globalOf(obj, op.global);
        if (op.index !== undefined) {
          // `global[index] = src` into a u64 array: little-endian, copied on write like other program memory.
          if (typeof old === 'bigint' || !Number.isInteger(op.index) || op.index < 0 || op.index * 8 + 8 > old.length) {
            throw new ArgumentError('index', op.index, `an index inside the u64 array global ${op.global}`);
          }
          const next = old.slice();
          new DataView(next.buffer).setBigUint64(op.index * 8, BigInt.asUintN(64, scalar(valueOf(frame, obj, op.src), 'src')), true);
          const w = writable(k, obj);
          w.globals.set(op.global, next);
          obj = w;
          break;
        }
        if (typeof old !== 'bigint') throw new ArgumentError('global', op.global, 'an integer global');
        const value = scalar(valueOf(frame, obj, op.src), 'src');
        const w = writable(k, obj);
        w.globals.set(op.global, value);
        obj = w;
        break;
      }
      case 'memcmp': {
        const a = bytesOf(valueOf(frame, obj, op.a), 'a');
        const b = bytesOf(valueOf(frame, obj, op.b), 'b');
        const ao = Number(scalar(valueOf(frame, obj, op.aoff), 'aoff'));
        const bo = Number(scalar(valueOf(frame, obj, op.boff), 'boff'));
        const n = Number(scalar(valueOf(frame, obj, op.len), 'len'));
        if (ao + n > a.length || bo + n > b.length) throw new ArgumentError('len', n, 'a length inside both buffers');
        let r = 0n;
        for (let i = 0; i < n && r === 0n; i += 1) r = BigInt(Math.sign((a[ao + i] ?? 0) - (b[bo + i] ?? 0)));
        frame.regs[op.dst] = r;
        break;
      }
      case 'goto': {
        if (op.if === undefined || compare(op.if.cmp, readReg(frame, op.if.r), valueOf(frame, obj, op.if.v))) {
          const to = labels.get(op.to);
          if (to === undefined) throw new UnknownHandleError('to', op.to, `label in ${frame.fn}`);
          frame.pc = to;
          continue;
        }
        break;
      }
      case 'ret':
        return { done: true, ret: scalar(valueOf(frame, obj, op.src), 'return value') };
      case 'call': {
        const def = (ALL_KFUNCS as Record<string, AnyKfunc>)[op.fn];
        if (def === undefined) throw new UnknownHandleError('fn', op.fn, 'kfunc or helper');
        if (op.args.length !== def.args.length) {
          throw new ArgumentError(`${op.fn} arguments`, op.args.length, `${def.args.length} arguments`);
        }
        const raw: unknown[] = [];
        for (let i = 0; i < def.args.length; i += 1) raw.push(toKfuncArg(frame, obj, def.args[i] as ArgSpec, op.args[i] as Arg));
        const kk = withContext(k, ctx, frame.resume ?? undefined);
        const args = convertArgs(kk, def, raw);
        const r = attempt(kk, def, args);
        obj = writeBack(k, obj, def, op.args, raw);
        settle(kk);
        if (r instanceof Sleep) {
          frame.resume = r.resume;
          task.state = 'io_wait';
          task.wait = { kind: 'page', ino: r.wait.ino, pgoff: r.wait.pgoff };
          emit(k, { kind: 'task', t: k.t.now, pid: task.pid, op: 'sleep', detail: `io_wait on ino ${r.wait.ino} page ${r.wait.pgoff} in ${op.fn}` });
          return { done: false };
        }
        frame.resume = null;
        if (op.dst !== undefined) frame.regs[op.dst] = toRegVal(def, r);
        break;
      }
    }
    frame.pc += 1;
  }
  throw new BudgetError('ops', maxOps, `${frame.fn} ran more than ${maxOps} operations in one run (an unbounded loop?)`);
}
