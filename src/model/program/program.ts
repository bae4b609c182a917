/**
 * BPF programs as data. A program has a name, an ELF section (from which its type, hook and
 * sleepability follow) and a body of operations on named registers: kfunc and helper calls,
 * moves, jumps to labels (branches, early returns, a `cleanup` path, bounded loops), returns, and
 * writes of global variables. Programs come in objects (one `.bpf.o`): programs, maps and globals.
 * The interpreter that runs them is in the scheduler; the verifier reads the same values. What a
 * section name means (program type, sleepability, hook) is in sections.ts.
 */
export { PROG_TYPES, sectionInfo, type ProgType, type SectionInfo } from './sections.ts';

import type { z } from 'zod';
import type { DeepReadonly } from '../kernel/schema.ts';
import type { ArgSchema, BpfObjectSchema, CondSchema, GlobalDeclSchema, MapDeclSchema, OpSchema, ProgramSchema, SubprogSchema, ALU_FNS, CMPS, MAP_TYPES } from './schema.ts';

// The types of the language come from its schemas (schema.ts): one definition for the type, the
// validator and the JSON Schema.

/** An operand: a register, an immediate, NULL, or one of the things BPF code can name. */
export type Arg = DeepReadonly<z.output<typeof ArgSchema>>;

/** 64-bit ALU operations (BPF_ADD, BPF_SUB, BPF_AND, BPF_OR, BPF_RSH, BPF_LSH), wrapping as the BPF ISA does. */
export type AluFn = (typeof ALU_FNS)[number];

export type Cmp = (typeof CMPS)[number];

export type Cond = DeepReadonly<z.output<typeof CondSchema>>;

export type Op = DeepReadonly<z.output<typeof OpSchema>>;

export type Program = DeepReadonly<z.output<typeof ProgramSchema>>;

/** A static subprogram used as a callback: `int cb(map, key, value)` gets R1-R3. */
export type Subprog = DeepReadonly<z.output<typeof SubprogSchema>>;

export type MapType = (typeof MAP_TYPES)[number];

export type MapDecl = DeepReadonly<z.output<typeof MapDeclSchema>>;

export type GlobalDecl = DeepReadonly<z.output<typeof GlobalDeclSchema>>;

/** One BPF object file: what `bpf_object__open` sees. */
export type BpfObject = DeepReadonly<z.output<typeof BpfObjectSchema>>;

/** Small constructors so programs read close to the C they model. */
export const r = (name: string): Arg => ({ r: name });
export const imm = (value: number | bigint): Arg => ({ imm: value });
export const NULL: Arg = { null: true };
export const dynptr = (slot: string): Arg => ({ dynptr: slot });
export const buf = (name: string): Arg => ({ buf: name });
export const glob = (name: string): Arg => ({ global: name });
export const map = (name: string): Arg => ({ map: name });
export const tw = (reg: string): Arg => ({ tw: reg });
export const cb = (name: string): Arg => ({ cb: name });
export const ctxFile: Arg = { ctx: 'file' };

export const call = (fn: string, args: readonly Arg[], dst?: string): Op => (dst === undefined ? { op: 'call', fn, args } : { op: 'call', fn, args, dst });
export const mov = (dst: string, src: Arg): Op => ({ op: 'mov', dst, src });
export const alu = (fn: AluFn, dst: string, src: Arg): Op => ({ op: 'alu', fn, dst, src });
export const store = (global: string, src: Arg): Op => ({ op: 'store', global, src });
/** `global[index] = src` into a `u64s` global. */
export const storeAt = (global: string, index: number, src: Arg): Op => ({ op: 'store', global, src, index });
export const label = (name: string): Op => ({ op: 'label', name });
export const goto = (to: string, cond?: Cond): Op => (cond === undefined ? { op: 'goto', to } : { op: 'goto', to, if: cond });
export const ret = (src: Arg): Op => ({ op: 'ret', src });
export const when = (reg: string, cmp: Cmp, v: Arg): Cond => ({ r: reg, cmp, v });
export const memcmp = (dst: string, a: Arg, aoff: Arg, b: Arg, boff: Arg, len: Arg): Op => ({ op: 'memcmp', dst, a, aoff, b, boff, len });

/** The registers an operation reads. */
export function registersRead(op: Op): string[] {
  const regs = (args: readonly Arg[]): string[] => args.flatMap((a) => ('r' in a ? [a.r] : 'tw' in a ? [a.tw] : []));
  switch (op.op) {
    case 'call': return regs(op.args);
    case 'mov': case 'store': case 'ret': return regs([op.src]);
    case 'alu': return [op.dst, ...regs([op.src])];
    case 'memcmp': return regs([op.a, op.aoff, op.b, op.boff, op.len]);
    case 'goto': return op.if === undefined ? [] : [op.if.r, ...regs([op.if.v])];
    case 'label': return [];
  }
}
