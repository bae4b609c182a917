/**
 * BPF programs as data. A program has a name, an ELF section (from which its type, hook and
 * sleepability follow), a body of operations, and the stack variables of its frame. The body is
 * a register machine close to the BPF instruction set, written so that both BPF C and the selftests'
 * inline assembly can be said in it:
 *
 * - registers are named: `r0`…`r9` as in BPF assembly (`r10` is the read-only frame pointer), or any
 *   other name, which C code reads as a local variable the compiler keeps in a register;
 * - stack variables of any size (scalars, byte arrays and structs, `struct bpf_dynptr`s, open-coded
 *   iterators) are declared per function (`locals`) and laid out on the frame (layout.ts); `&local`,
 *   `&global` and `r10`-relative addresses are pointers, with constant and variable offsets;
 * - loads and stores of 1, 2, 4 or 8 bytes go through any pointer: to the stack, a map value, a
 *   global, a dynptr slice or the context; atomics (`__sync_fetch_and_add`) and the builtins
 *   `memcpy`/`memset` expand to loads and stores;
 * - control: conditional and unconditional jumps to labels (branches, early returns, bounded loops),
 *   calls of kfuncs and helpers, and bpf-to-bpf calls of the object's static and global functions
 *   (`bpf_loop` and task_work take them as callbacks); open-coded iterators (`bpf_for`,
 *   `bpf_repeat`) are the `bpf_iter_num_*` kfuncs on an iterator stack variable.
 *
 * Programs come in objects (one `.bpf.o`): programs, static and global functions, maps and globals.
 * The interpreter that runs them is in the scheduler, the verifier (../verifier) reads the same
 * values, render.ts prints them as BPF C (or, for `asm` programs, as the selftests' inline assembly).
 */
export { PROG_TYPES, sectionInfo, type ProgType, type SectionInfo } from './sections.ts';

import type { z } from 'zod';
import type { DeepReadonly } from '../kernel/schema.ts';
import type { ArgSchema, BpfObjectSchema, KptrDeclSchema, CondSchema, GlobalDeclSchema, LocalSchema, LocalTypeSchema, MapDeclSchema, OpSchema, ParamSchema, ProgramSchema, SubprogSchema, ALU_FNS, ATOMIC_FNS, CMPS, MAP_TYPES, MEM_SIZES } from './schema.ts';
import type { FieldName } from '../btf/structs.ts';

// The types of the language come from its schemas (schema.ts): one definition for the type, the
// validator and the JSON Schema.

/** An operand: a register, an immediate, NULL, or one of the things BPF code can name. */
export type Arg = DeepReadonly<z.output<typeof ArgSchema>>;

/** 64-bit ALU operations (BPF_ADD … BPF_ARSH), wrapping as the BPF ISA does. `div`/`mod` by 0 give 0 / the dividend. */
export type AluFn = (typeof ALU_FNS)[number];

export type Cmp = (typeof CMPS)[number];

export type Cond = DeepReadonly<z.output<typeof CondSchema>>;

/** Bytes a load or store moves (BPF_B, BPF_H, BPF_W, BPF_DW). */
export type MemSize = (typeof MEM_SIZES)[number];

/** `BPF_ATOMIC` operations: `add` is `__sync_fetch_and_add` when `fetch` names a register for the old value. */
export type AtomicFn = (typeof ATOMIC_FNS)[number];

/** An operation of a body (the forms are documented on their schemas, schema.ts). */
export type Op = DeepReadonly<z.output<typeof OpSchema>>;

/** The C type of a stack variable. `{ bytes }` is a byte array (also a struct or union laid out by hand). */
export type LocalType = DeepReadonly<z.output<typeof LocalTypeSchema>>;

/** A stack variable (`init`: `zero`, a NUL-padded string or bytes; without it the slots are uninitialized). */
export type Local = DeepReadonly<z.output<typeof LocalSchema>>;

/** A parameter of a function (R1…R5 in order), named as the register the body reads it from. */
export type Param = DeepReadonly<z.output<typeof ParamSchema>>;

/** A program: its section, body and stack variables (`asm`: the selftests' inline assembly). */
export type Program = DeepReadonly<z.output<typeof ProgramSchema>>;

/** A static function (a callback, a `__noinline` subprogram) or a global one (`isStatic: false`). */
export type Subprog = DeepReadonly<z.output<typeof SubprogSchema>>;

export type MapType = (typeof MAP_TYPES)[number];

export type MapDecl = DeepReadonly<z.output<typeof MapDeclSchema>>;

/** A kptr field of a map value (`{ name, type, untrusted? }`: src/model/kptr). */
export type KptrDecl = DeepReadonly<z.output<typeof KptrDeclSchema>>;

export type GlobalDecl = DeepReadonly<z.output<typeof GlobalDeclSchema>>;

/** One BPF object file: what `bpf_object__open` sees. */
export type BpfObject = DeepReadonly<z.output<typeof BpfObjectSchema>>;

/** Small constructors so programs read close to the C they model. */
export const r = (name: string): Arg => ({ r: name });
export const imm = (value: number | bigint): Arg => ({ imm: value });
export const NULL: Arg = { null: true };
export const dynptr = (slot: string, off?: number): Arg => (off === undefined ? { dynptr: slot } : { dynptr: slot, off });
export const buf = (name: string, off?: number): Arg => (off === undefined ? { buf: name } : { buf: name, off });
export const glob = (name: string): Arg => ({ global: name });
export const addr = (name: string, off?: number): Arg => (off === undefined ? { addr: name } : { addr: name, off });
export const map = (name: string): Arg => ({ map: name });
export const tw = (reg: string): Arg => ({ tw: reg });
/** `&value->field`: kptr field `field` of the map value register `reg` holds (src/model/kptr). */
export const kptr = (reg: string, field: string): Arg => ({ kptr: reg, field });
export const cb = (name: string): Arg => ({ cb: name });
/** `bpf_ksym_exists(name)`: whether the kernel has kfunc `name` (1 or 0; the kfunc becomes a `__weak` extern). */
export const ksym = (name: string): Arg => ({ ksym: name });
export const ctxFile: Arg = { ctx: 'file' };
export const ctxPtr: Arg = { ctx: 'ctx' };
/** The frame pointer (`r10`), for assembly-style programs. */
export const FP: Arg = { r: 'r10' };

export const call = (fn: string, args: readonly Arg[], dst?: string): Op => (dst === undefined ? { op: 'call', fn, args } : { op: 'call', fn, args, dst });
export const mov = (dst: string, src: Arg): Op => ({ op: 'mov', dst, src });
export const alu = (fn: AluFn, dst: string, src: Arg): Op => ({ op: 'alu', fn, dst, src });
export const store = (global: string, src: Arg): Op => ({ op: 'store', global, src });
/** `global[index] = src` into a `u64s` global. */
export const storeAt = (global: string, index: number, src: Arg): Op => ({ op: 'store', global, src, index });
export const ld = (dst: string, size: MemSize, base: Arg, off = 0): Op => ({ op: 'ld', dst, size, base, off });
/** `dst = base->field`: a member of the `struct task_struct`, `struct file` or `struct inode` `base` points to (model/btf/structs.ts). */
export const field = (dst: string, base: Arg, name: FieldName): Op => ({ op: 'field', dst, base, field: name });
export const st = (size: MemSize, base: Arg, off: number, src: Arg): Op => ({ op: 'st', size, base, off, src });
export const atomicAdd = (size: 4 | 8, base: Arg, src: Arg, fetch?: string): Op => (fetch === undefined ? { op: 'atomic', fn: 'add', size, base, src } : { op: 'atomic', fn: 'add', size, base, src, fetch });
export const memcpy = (dst: Arg, src: Arg, len: number): Op => ({ op: 'memcpy', dst, src, len });
export const memset = (dst: Arg, val: number, len: number): Op => ({ op: 'memset', dst, val, len });
export const label = (name: string): Op => ({ op: 'label', name });
export const goto = (to: string, cond?: Cond): Op => (cond === undefined ? { op: 'goto', to } : { op: 'goto', to, if: cond });
export const ret = (src: Arg): Op => ({ op: 'ret', src });
export const when = (reg: string, cmp: Cmp, v: Arg): Cond => ({ r: reg, cmp, v });
export const memcmp = (dst: string, a: Arg, aoff: Arg, b: Arg, boff: Arg, len: Arg): Op => ({ op: 'memcmp', dst, a, aoff, b, boff, len });
export const local = (name: string, type: LocalType, init?: Local['init']): Local => (init === undefined ? { name, type } : { name, type, init });

/** The register an operand reads, if any. */
function argReg(a: Arg): string | null {
  return 'r' in a ? a.r : 'tw' in a ? a.tw : 'kptr' in a ? a.kptr : null;
}

/** The registers an operand reads. */
export function argRegs(a: Arg): string[] {
  const r = argReg(a);
  return r === null ? [] : [r];
}

/** The operands of an operation, in order. */
export function argsOf(op: Op): readonly Arg[] {
  switch (op.op) {
    case 'call': return op.args;
    case 'mov': case 'store': case 'ret': case 'alu': return [op.src];
    case 'ld': case 'field': return [op.base];
    case 'st': case 'atomic': return [op.base, op.src];
    case 'memcpy': return [op.dst, op.src];
    case 'memset': return [op.dst];
    case 'memcmp': return [op.a, op.aoff, op.b, op.boff, op.len];
    case 'goto': return op.if === undefined ? [] : [op.if.v];
    case 'label': return [];
  }
}

/** The registers an operation reads. */
export function registersRead(op: Op): string[] {
  const out: string[] = [];
  if (op.op === 'alu') out.push(op.dst);
  if (op.op === 'goto' && op.if !== undefined) out.push(op.if.r);
  for (const a of argsOf(op)) {
    const r = argReg(a);
    if (r !== null) out.push(r);
  }
  return out;
}

/** The register an operation writes, if any. */
export function registerWritten(op: Op): string | null {
  switch (op.op) {
    case 'call': return op.dst ?? null;
    case 'mov': case 'alu': case 'ld': case 'field': case 'memcmp': return op.dst;
    case 'atomic': return op.fetch ?? null;
    default: return null;
  }
}

/** The function (program or subprogram) of `obj` named `name`. */
export function functionOf(obj: BpfObject, name: string): Program | Subprog | undefined {
  return obj.programs.find((p) => p.name === name) ?? obj.subprogs.find((s) => s.name === name);
}
