/**
 * BPF programs as data. A program has a name, an ELF section (from which its type, hook and
 * sleepability follow) and a body of operations on named registers: kfunc and helper calls,
 * moves, jumps to labels (branches, early returns, a `cleanup` path, bounded loops), returns, and
 * writes of global variables. Programs come in objects (one `.bpf.o`): programs, maps and globals.
 * The interpreter that runs them is in the scheduler; the verifier reads the same values. What a
 * section name means (program type, sleepability, hook) is in sections.ts.
 */
export { PROG_TYPES, sectionInfo, type ProgType, type SectionInfo } from './sections.ts';

/** An operand: a register, an immediate, NULL, or one of the things BPF code can name. */
export type Arg =
  | { readonly r: string }
  | { readonly imm: number | bigint }
  | { readonly null: true }
  | { readonly dynptr: string }
  | { readonly buf: string }
  | { readonly global: string }
  | { readonly map: string }
  /** `&value->tw`, where register `tw` holds a map value pointer. */
  | { readonly tw: string }
  /** A static subprogram of the object, as a callback. */
  | { readonly cb: string }
  /** The hook's context argument (for `lsm/file_open`: the file being opened). */
  | { readonly ctx: 'file' };

/** 64-bit ALU operations (BPF_ADD, BPF_SUB, BPF_AND, BPF_OR, BPF_RSH, BPF_LSH), wrapping as the BPF ISA does. */
export type AluFn = 'add' | 'sub' | 'and' | 'or' | 'rsh' | 'lsh';

export type Cmp = '==' | '!=' | '<' | '<=' | '>' | '>=' | 's<' | 's>';

export interface Cond {
  readonly r: string;
  readonly cmp: Cmp;
  readonly v: Arg;
}

export type Op =
  | { readonly op: 'call'; readonly fn: string; readonly args: readonly Arg[]; readonly dst?: string }
  | { readonly op: 'mov'; readonly dst: string; readonly src: Arg }
  | { readonly op: 'alu'; readonly fn: AluFn; readonly dst: string; readonly src: Arg }
  /** `global = src`, or with `index` `global[index] = src` into a `u64s` array global. */
  | { readonly op: 'store'; readonly global: string; readonly src: Arg; readonly index?: number }
  | { readonly op: 'memcmp'; readonly dst: string; readonly a: Arg; readonly aoff: Arg; readonly b: Arg; readonly boff: Arg; readonly len: Arg }
  | { readonly op: 'label'; readonly name: string }
  | { readonly op: 'goto'; readonly to: string; readonly if?: Cond }
  | { readonly op: 'ret'; readonly src: Arg };

export interface Program {
  readonly name: string;
  readonly section: string;
  readonly body: readonly Op[];
}

/** A static subprogram used as a callback: `int cb(map, key, value)` gets R1-R3. */
export interface Subprog {
  readonly name: string;
  readonly body: readonly Op[];
  /** `static` in C; the verifier refuses a global function as a callback. */
  readonly isStatic: boolean;
}

export type MapType = 'array' | 'hash' | 'lru_hash' | 'percpu_array' | 'percpu_hash' | 'ringbuf';

export interface MapDecl {
  readonly name: string;
  readonly type: MapType;
  readonly maxEntries: number;
  /** Bytes of plain data in the value (beside the special fields). */
  readonly valueSize: number;
  /** How many `struct bpf_task_work` fields the value holds (0 or 1; 2 is refused). */
  readonly taskWorkFields: number;
  /** `key_size` (default: 4, and 0 for a ring buffer, which has no keys). */
  readonly keySize?: number;
  /** `map_flags` (default 0): a ring buffer takes `BPF_F_NUMA_NODE` and, from 6.19, `BPF_F_RB_OVERWRITE`. */
  readonly flags?: number;
}

export type GlobalDecl =
  | { readonly name: string; readonly kind: 'int'; readonly init?: number | bigint }
  | { readonly name: string; readonly kind: 'bytes'; readonly size: number }
  /** `__u64 name[size]`: an array of `size` u64 (memory too: a `buf` operand may name it). */
  | { readonly name: string; readonly kind: 'u64s'; readonly size: number };

/** One BPF object file: what `bpf_object__open` sees. */
export interface BpfObject {
  readonly name: string;
  readonly maps: readonly MapDecl[];
  readonly globals: readonly GlobalDecl[];
  readonly programs: readonly Program[];
  readonly subprogs: readonly Subprog[];
}

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
