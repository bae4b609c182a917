/**
 * Program values rendered as BPF C, in the style of the selftests (SEC names, `__ksym` externs, map
 * definitions, globals, stack variables, labels and `goto cleanup`), and `asm` programs as the
 * selftests' `__naked` inline assembly. Deterministic: the same object gives the same text. The C is
 * for reading next to a trace and for the conformance tiers, which compile and load it; it is not
 * parsed back.
 *
 * Loads and stores go through `volatile` pointers so that clang keeps every access the program value
 * makes (the verifier judges each one).
 */
import { fieldDecl } from '../btf/structs.ts';
import { mapHasBtf } from '../btf/object.ts';
import { weakKfuncs } from './ksym.ts';
import { ArgumentError } from '../kernel/errors.ts';
import type { AnyKfunc, ArgSpec, RetType } from '../kfunc/kfunc.ts';
import { frameLocals } from './layout.ts';
import type { Arg, BpfObject, Cond, Local, MapDecl, Op, Program, Subprog } from './program.ts';
import { registersRead } from './program.ts';
import { sectionInfo } from './sections.ts';

const MAP_TYPES: Record<string, string> = {
  array: 'BPF_MAP_TYPE_ARRAY', hash: 'BPF_MAP_TYPE_HASH', lru_hash: 'BPF_MAP_TYPE_LRU_HASH',
  percpu_array: 'BPF_MAP_TYPE_PERCPU_ARRAY', percpu_hash: 'BPF_MAP_TYPE_PERCPU_HASH', lru_percpu_hash: 'BPF_MAP_TYPE_LRU_PERCPU_HASH', ringbuf: 'BPF_MAP_TYPE_RINGBUF',
  queue: 'BPF_MAP_TYPE_QUEUE', stack: 'BPF_MAP_TYPE_STACK', bloom_filter: 'BPF_MAP_TYPE_BLOOM_FILTER', task_storage: 'BPF_MAP_TYPE_TASK_STORAGE',
};

/** The C type of each argument type, as the BPF C here declares kfuncs (also the docs' prototypes, src/docs/kfunc_page.ts). */
export const C_ARG: Readonly<Record<ArgSpec['type'], string>> = {
  u8: '__u8', u32: '__u32', u64: '__u64', dsize: '__u64', dynptr: 'const struct bpf_dynptr *', dynptr_uninit: 'struct bpf_dynptr *',
  mem: 'void *', mem_or_null: 'void *', file: 'struct file *', path: 'const struct path *', task: 'struct task_struct *', map: 'void *',
  tw: 'struct bpf_task_work *', callback: 'bpf_task_work_callback_t', aux: 'void *', iter: 'struct bpf_iter_num *',
  iter_uninit: 'struct bpf_iter_num *', const_str: 'const char *', percpu: 'const void *', any: 'void *', u64s: '__u64 *', choice: '__u64',
  skb: 'struct __sk_buff *', xdp_md: 'struct xdp_md *', ringbuf_mem: 'void *', kptr: 'void *', task_or_null: 'struct task_struct *', task_ptr_or_null: 'struct task_struct *',
};

/** The C type of each return type (a helper's `int` is `long`). */
export const C_RET: Readonly<Record<RetType, string>> = {
  int: 'int', long: 'long', dsize: '__u64', u64: '__u64', bool: 'bool', ptr: 'void *', task: 'struct task_struct *',
  file: 'struct file *', map_value: 'void *', ringbuf_mem: 'void *', void: 'void',
};

const SCALAR_ARGS: ReadonlySet<string> = new Set(['u32', 'u64', 'dsize', 'choice']);

function valueStruct(m: MapDecl): string {
  return `${m.name}_value`;
}

function literal(v: number | bigint): string {
  const b = BigInt(v);
  if (b > 0x7fffffffn) return `${b}ULL`;
  if (b < -0x80000000n) return `(${b}LL)`;
  return `${b}`;
}

/** What the renderer knows of one function: its stack variables and the C type of each register. */
interface Scope {
  readonly obj: BpfObject;
  readonly kfuncs: Readonly<Record<string, AnyKfunc>>;
  readonly locals: ReadonlyMap<string, Local>;
  readonly types: ReadonlyMap<string, string>;
  /** The function's return type. */
  readonly returns: 'int' | 'long' | 'void';
}

const isPtrType = (t: string | undefined): boolean => t !== undefined && t.endsWith('*');

function cOff(off: number | undefined): string {
  return off === undefined || off === 0 ? '' : ` + ${off}`;
}

/** An operand as a C value. */
function arg(s: Scope, a: Arg): string {
  if ('r' in a) {
    if (a.r === 'r10') throw new ArgumentError('r10', a.r, 'an asm program (C code has no frame pointer register)');
    return a.r;
  }
  if ('imm' in a) return literal(a.imm);
  if ('null' in a) return 'NULL';
  if ('dynptr' in a) return a.off === undefined || a.off === 0 ? `&${a.dynptr}` : `((void *)&${a.dynptr}${cOff(a.off)})`;
  if ('buf' in a || 'addr' in a) {
    const name = 'buf' in a ? a.buf : a.addr;
    const off = a.off;
    const local = s.locals.get(name);
    const isArray = local !== undefined ? typeof local.type === 'object' : s.obj.globals.find((g) => g.name === name)?.kind !== 'int' && s.obj.globals.find((g) => g.name === name)?.kind !== 'u32' && s.obj.globals.find((g) => g.name === name)?.kind !== 'u64';
    const base = 'buf' in a && isArray ? name : `&${name}`;
    return off === undefined || off === 0 ? base : `((void *)${base}${cOff(off)})`;
  }
  if ('global' in a) return a.global;
  if ('map' in a) return `&${a.map}`;
  if ('tw' in a) {
    const t = s.types.get(a.tw);
    return t !== undefined && t.startsWith('struct ') && t.endsWith('_value *') ? `&${a.tw}->tw` : `&((struct ${mapOfReg(s, a.tw)}_value *)${a.tw})->tw`;
  }
  if ('kptr' in a) {
    const t = s.types.get(a.kptr);
    return t !== undefined && t.startsWith('struct ') && t.endsWith('_value *') ? `&${a.kptr}->${a.field}` : `&((struct ${mapOfReg(s, a.kptr, a.field)}_value *)${a.kptr})->${a.field}`;
  }
  if ('cb' in a) return a.cb;
  if ('ksym' in a) return `bpf_ksym_exists(${a.ksym})`;
  return a.ctx === 'file' ? 'file' : 'ctx';
}

/** The map whose value register `r` points to: its C type's, else the first map with a task_work field (or with kptr field `kptr`). */
function mapOfReg(s: Scope, r: string, kptr?: string): string {
  const t = s.types.get(r) ?? '';
  const m = /^struct (.*)_value \*$/.exec(t);
  const has = (x: MapDecl): boolean => (kptr === undefined ? x.taskWorkFields > 0 : (x.kptrs ?? []).some((p) => p.name === kptr));
  return m?.[1] ?? s.obj.maps.find(has)?.name ?? 'unknown';
}

/** An operand as a `void *` (a base for loads and stores, a pointer argument). */
function ptr(s: Scope, a: Arg): string {
  if ('r' in a) return isPtrType(s.types.get(a.r)) ? `(void *)${a.r}` : `(void *)(long)${a.r}`;
  if ('null' in a) return 'NULL';
  if ('imm' in a) return `(void *)${literal(a.imm)}`;
  return `(void *)${arg(s, a)}`;
}

/** An operand as a scalar (a pointer register converted). */
function num(s: Scope, a: Arg): string {
  if ('r' in a && isPtrType(s.types.get(a.r))) return `(__u64)${a.r}`;
  if ('null' in a) return '0';
  return arg(s, a);
}

function cond(s: Scope, c: Cond): string {
  const lhs = c.r;
  const ptrL = isPtrType(s.types.get(c.r));
  const v = 'null' in c.v || ('imm' in c.v && BigInt(c.v.imm) === 0n && ptrL) ? (ptrL ? 'NULL' : '0') : ptrL ? ptr(s, c.v) : num(s, c.v);
  switch (c.cmp) {
    case 's<': return `(__s64)${lhs} < (__s64)${v}`;
    case 's<=': return `(__s64)${lhs} <= (__s64)${v}`;
    case 's>': return `(__s64)${lhs} > (__s64)${v}`;
    case 's>=': return `(__s64)${lhs} >= (__s64)${v}`;
    default: return `${lhs} ${c.cmp} ${v}`;
  }
}

const ALU: Record<string, string> = { add: '+=', sub: '-=', and: '&=', or: '|=', xor: '^=', rsh: '>>=', lsh: '<<=', mul: '*=', div: '/=', mod: '%=' };
const UTYPE: Record<number, string> = { 1: '__u8', 2: '__u16', 4: '__u32', 8: '__u64' };
const STYPE: Record<number, string> = { 1: '__s8', 2: '__s16', 4: '__s32', 8: '__s64' };

function localCType(l: Local): { decl: (name: string) => string } {
  const t = l.type;
  if (typeof t === 'object') return { decl: (n) => `char ${n}[${t.bytes}] __attribute__((aligned(8)))` };
  switch (t) {
    case 'dynptr': return { decl: (n) => `struct bpf_dynptr ${n}` };
    case 'iter_num': return { decl: (n) => `struct bpf_iter_num ${n}` };
    case 'task_work': return { decl: (n) => `struct bpf_task_work ${n}` };
    default: return { decl: (n) => `${t.startsWith('s') ? `__s${t.slice(1)}` : `__${t}`} ${n}` };
  }
}

function localInit(l: Local): string {
  if (l.init === undefined) return '';
  if (l.init === 'zero') return typeof l.type === 'object' || l.type === 'dynptr' || l.type === 'iter_num' || l.type === 'task_work' ? ' = {}' : ' = 0';
  if (typeof l.init === 'string') return ` = ${JSON.stringify(l.init).replace(/\\u0000/g, '\\0')}`;
  return typeof l.type === 'object' ? ` = { ${l.init.join(', ')} }` : ` = ${l.init[0] ?? 0}`;
}

/** The C type each register takes: from what is first stored into it (a pointer wins over a scalar). */
function registerTypes(fn: Program | Subprog, obj: BpfObject, kfuncs: Readonly<Record<string, AnyKfunc>>, preset: ReadonlyMap<string, string>): Map<string, string> {
  const types = new Map(preset);
  const set = (r: string, t: string): void => {
    const old = types.get(r);
    if (old === undefined || (!isPtrType(old) && isPtrType(t) && !preset.has(r))) types.set(r, t);
  };
  const sub = (n: string): Subprog | undefined => obj.subprogs.find((x) => x.name === n);
  // Two passes: a register copied from another gets its type.
  for (let pass = 0; pass < 2; pass += 1) {
    for (const op of fn.body) {
      switch (op.op) {
        case 'call': {
          if (op.dst === undefined) break;
          const callee = sub(op.fn);
          if (callee !== undefined) { set(op.dst, callee.returns === 'void' ? 'long' : 'long'); break; }
          const def = kfuncs[op.fn];
          if (def?.ret === 'map_value') {
            const a0 = op.args[0];
            const m = a0 !== undefined && 'map' in a0 ? obj.maps.find((x) => x.name === a0.map) : undefined;
            set(op.dst, m === undefined ? 'void *' : `struct ${valueStruct(m)} *`);
          } else set(op.dst, def === undefined ? 'long' : def.ret === 'int' || def.ret === 'long' ? 'long' : def.ret === 'void' ? 'long' : C_RET[def.ret]);
          break;
        }
        case 'mov': {
          const src = op.src;
          if ('r' in src) { const t = types.get(src.r); if (t !== undefined) set(op.dst, t); }
          else if ('imm' in src || 'ksym' in src) set(op.dst, '__u64');
          else if ('global' in src) set(op.dst, obj.globals.find((g) => g.name === src.global)?.kind === 'bytes' || obj.globals.find((g) => g.name === src.global)?.kind === 'u64s' ? 'void *' : '__u64');
          else if ('ctx' in src) set(op.dst, src.ctx === 'file' ? 'struct file *' : 'void *');
          else set(op.dst, 'void *');
          break;
        }
        case 'field': {
          const m = fieldDecl(op.field).member;
          set(op.dst, m.kind === 'ptr' ? `struct ${m.to} *` : '__u64');
          break;
        }
        case 'ld': case 'memcmp': set(op.dst, op.op === 'memcmp' ? 'long' : '__u64'); break;
        case 'atomic': if (op.fetch !== undefined) set(op.fetch, '__u64'); break;
        case 'alu': set(op.dst, '__u64'); break;
        default: break;
      }
    }
  }
  return types;
}

/**
 * The C of a call. A kfunc returning `bool` sets only the low byte of R0 (x86-64 ABI), and clang
 * trusts a `bool` result to be 0 or 1, so the extern is declared `__u64` and the byte masked
 * (found by the host conformance tier: a stored `bool` read back as 0xffffffffffffff01).
 */
function callExpr(text: string, ret: RetType | undefined): string {
  return ret === 'bool' ? `(bool)(${text} & 0xff)` : text;
}

function callArgs(s: Scope, op: Extract<Op, { op: 'call' }>): string {
  const callee = s.obj.subprogs.find((x) => x.name === op.fn);
  if (callee !== undefined) {
    return op.args.map((a, i) => {
      const p = callee.params?.[i];
      return p === undefined || p.type === 'u32' || p.type === 'u64' || p.type === 's32' || p.type === 's64' ? num(s, a) : ptr(s, a);
    }).join(', ');
  }
  const def = s.kfuncs[op.fn];
  const specs = def?.args.filter((x) => x.type !== 'choice') ?? [];
  return op.args.map((a, i) => {
    const spec = specs[i];
    if (spec?.byRef === true) return 'imm' in a ? `&(int){${literal(a.imm)}}` : 'r' in a ? ptr(s, a) : arg(s, a);
    // An address the kernel declares as a pointer (`const void *unsafe_ptr__ign`) that the model takes as an integer.
    if (spec !== undefined && SCALAR_ARGS.has(spec.type) && spec.cType?.endsWith('*') === true) return ptr(s, a);
    if (spec !== undefined && SCALAR_ARGS.has(spec.type)) return num(s, a);
    if (spec?.type === 'any' && 'imm' in a) return ptr(s, a);
    if (spec !== undefined && (spec.type === 'callback' || spec.type === 'map')) return arg(s, a);
    if ('r' in a && spec !== undefined && !isPtrType(s.types.get(a.r))) return ptr(s, a);
    return arg(s, a);
  }).join(', ');
}

function statements(s: Scope, body: readonly Op[]): string[] {
  const out: string[] = [];
  for (const op of body) {
    switch (op.op) {
      case 'label': out.push(`${op.name}:`); break;
      case 'mov': out.push(`\t${op.dst} = ${isPtrType(s.types.get(op.dst)) ? ptr(s, op.src) : num(s, op.src)};`); break;
      case 'alu':
        if (isPtrType(s.types.get(op.dst)) && (op.fn === 'add' || op.fn === 'sub')) {
          // A variable offset goes through an empty asm first: clang then cannot see its range and
          // turn `p + (x & 7)` on an aligned pointer into `p | (x & 7)`, which the verifier refuses
          // (bitwise operations on pointers; found by the host conformance tier).
          if ('r' in op.src && !isPtrType(s.types.get(op.src.r))) out.push(`\tasm volatile("" : "+r"(${op.src.r}));`);
          out.push(`\t${op.dst} = (void *)${op.dst} ${op.fn === 'add' ? '+' : '-'} (${num(s, op.src)});`);
        }
        else if (op.fn === 'arsh') out.push(`\t${op.dst} = (__s64)${op.dst} >> ${num(s, op.src)};`);
        else out.push(`\t${op.dst} ${ALU[op.fn] ?? '?='} ${num(s, op.src)};`);
        break;
      case 'store': out.push(`\t${op.global}${op.index === undefined ? '' : `[${op.index}]`} = ${num(s, op.src)};`); break;
      case 'ld': {
        const t = op.signed === true ? STYPE[op.size] : UTYPE[op.size];
        const cast = isPtrType(s.types.get(op.dst)) ? '(void *)(long)' : '';
        out.push(`\t${op.dst} = ${cast}*(volatile ${t ?? '__u64'} *)(${ptr(s, op.base)}${cOff(op.off)});`);
        break;
      }
      // A CO-RE member read (vmlinux.h's structs relocate the member's offset), volatile as every load
      // here is, so that clang keeps it when its value is unused; the cast is a no-op for a pointer to
      // the member's structure and lets any operand compile.
      case 'field': {
        const { struct, member: m } = fieldDecl(op.field);
        const t = m.kind === 'ptr' ? `struct ${m.to} *volatile` : `volatile ${m.c}`;
        out.push(`\t${op.dst} = *(${t} *)&((struct ${struct} *)${ptr(s, op.base)})->${op.field};`);
        break;
      }
      case 'st': out.push(`\t*(volatile ${UTYPE[op.size] ?? '__u64'} *)(${ptr(s, op.base)}${cOff(op.off)}) = ${num(s, op.src)};`); break;
      case 'atomic': {
        const fnName = { add: '__sync_fetch_and_add', and: '__sync_fetch_and_and', or: '__sync_fetch_and_or', xor: '__sync_fetch_and_xor' }[op.fn];
        const e = `${fnName}((${UTYPE[op.size] ?? '__u64'} *)(${ptr(s, op.base)}${cOff(op.off)}), ${num(s, op.src)})`;
        out.push(op.fetch === undefined ? `\t${e};` : `\t${op.fetch} = ${e};`);
        break;
      }
      case 'memcpy': out.push(`\t__builtin_memcpy(${ptr(s, op.dst)}, ${ptr(s, op.src)}, ${op.len});`); break;
      case 'memset': out.push(`\t__builtin_memset(${ptr(s, op.dst)}, ${op.val}, ${op.len});`); break;
      case 'memcmp': out.push(`\t${op.dst} = memcmp_bytes(${'r' in op.a ? ptr(s, op.a) : arg(s, op.a)} + ${num(s, op.aoff)}, ${'r' in op.b ? ptr(s, op.b) : arg(s, op.b)} + ${num(s, op.boff)}, ${num(s, op.len)});`); break;
      case 'goto': out.push(op.if === undefined ? `\tgoto ${op.to};` : `\tif (${cond(s, op.if)})\n\t\tgoto ${op.to};`); break;
      case 'ret': out.push(s.returns === 'void' ? '\treturn;' : `\treturn ${num(s, op.src)};`); break;
      case 'call': {
        const c = callExpr(`${op.fn}(${callArgs(s, op)})`, s.kfuncs[op.fn]?.kind === 'kfunc' && op.dst !== undefined ? s.kfuncs[op.fn]?.ret : undefined);
        const voidCallee = s.obj.subprogs.find((x) => x.name === op.fn)?.returns === 'void' || s.kfuncs[op.fn]?.ret === 'void';
        out.push(op.dst === undefined || voidCallee ? `\t${c};${op.dst !== undefined ? `\n\t${op.dst} = 0;` : ''}` : `\t${op.dst} = ${isPtrType(s.types.get(op.dst)) ? '' : ''}${c};`);
        break;
      }
    }
  }
  return out;
}

function declarations(fn: Program | Subprog, types: ReadonlyMap<string, string>, params: ReadonlySet<string>): string[] {
  const regs = [...types.entries()].filter(([r]) => !params.has(r)).sort(([a], [b]) => (a < b ? -1 : 1));
  return [
    ...frameLocals(fn).map((l) => `\t${localCType(l).decl(l.name)}${localInit(l)};`),
    ...regs.map(([r, t]) => `\t${t.endsWith('*') ? `${t}${r}` : `${t} ${r}`}${t.endsWith('*') ? ' = NULL' : ' = 0'};`),
  ];
}

const PARAM_C: Record<string, string> = {
  u32: '__u32', u64: '__u64', s32: '__s32', s64: '__s64', ptr: 'void *', dynptr: 'const struct bpf_dynptr *', ctx: 'void *',
  map: 'struct bpf_map *', file: 'struct file *', task: 'struct task_struct *',
};

/** The signature of a function, and the registers its parameters bind. */
function signature(sub: Subprog, called: boolean): { text: string; preset: Map<string, string>; params: Set<string>; prelude: string[] } {
  if (sub.params === undefined) {
    return { text: `${sub.isStatic ? 'static ' : ''}int ${sub.name}(struct bpf_map *map, void *key, void *value)`, preset: new Map(), params: new Set(), prelude: [] };
  }
  const ps = sub.params.map((p) => `${PARAM_C[p.type] ?? 'void *'}${(PARAM_C[p.type] ?? 'void *').endsWith('*') ? '' : ' '}${p.name}`).join(', ');
  const ret = sub.returns ?? 'int';
  const attr = !sub.isStatic ? '__noinline ' : called ? 'static __noinline ' : 'static ';
  return {
    text: `${attr}${ret} ${sub.name}(${ps || 'void'})`,
    preset: new Map(sub.params.map((p) => [p.name, PARAM_C[p.type] ?? 'void *'])),
    params: new Set(sub.params.map((p) => p.name)),
    prelude: [],
  };
}

// ---------------------------------------------------------------------------------------------
// Assembly
// ---------------------------------------------------------------------------------------------

const ASM_REG = /^r([0-9]|10)$/;

function asmReg(r: string, where: string): string {
  if (!ASM_REG.test(r)) throw new ArgumentError(where, r, 'a register r0-r10 (asm programs name BPF registers)');
  return r;
}

function asmSrc(a: Arg, where: string, imms: Set<string>): string {
  if ('r' in a) return asmReg(a.r, where);
  if ('imm' in a) return literal(a.imm).replace(/U?LL$/, '');
  if ('null' in a) return '0';
  throw new ArgumentError(where, a, 'a register or an immediate (asm programs load addresses with mov)');
}

const ASM_ALU: Record<string, string> = { ...ALU, arsh: 's>>=' };
const ASM_SIZE: Record<number, string> = { 1: 'u8', 2: 'u16', 4: 'u32', 8: 'u64' };
const ASM_SSIZE: Record<number, string> = { 1: 's8', 2: 's16', 4: 's32', 8: 's64' };

/** The body of an `asm` program as the lines of one `asm volatile` block, and its `__imm` operands. */
function asmBody(p: Program): { lines: string[]; imms: string[] } {
  const imms = new Set<string>();
  const lines: string[] = [];
  const mem = (base: Arg, off: number | undefined, size: number, signed = false): string => {
    if (!('r' in base)) throw new ArgumentError('base', base, 'a register (asm programs address memory through registers)');
    const o = off ?? 0;
    return `*(${signed ? ASM_SSIZE[size] : ASM_SIZE[size]} *)(${asmReg(base.r, 'base')} ${o < 0 ? '-' : '+'} ${Math.abs(o)})`;
  };
  for (const op of p.body) {
    switch (op.op) {
      case 'label': lines.push(`${op.name}:`); break;
      case 'mov': {
        const src = op.src;
        const dst = asmReg(op.dst, 'dst');
        if ('map' in src) { imms.add(`__imm_addr(${src.map})`); lines.push(`${dst} = %[${src.map}] ll;`); }
        else if ('addr' in src || 'buf' in src || 'global' in src) {
          const name = 'addr' in src ? src.addr : 'buf' in src ? src.buf : src.global;
          imms.add(`__imm_addr(${name})`);
          lines.push(`${dst} = %[${name}] ll;`);
          const off = 'global' in src ? 0 : src.off ?? 0;
          if (off !== 0) lines.push(`${dst} += ${off};`);
        } else if ('imm' in src && (BigInt(src.imm) > 0x7fffffffn || BigInt(src.imm) < -0x80000000n)) lines.push(`${dst} = ${BigInt(src.imm)} ll;`);
        else lines.push(`${dst} = ${asmSrc(src, 'src', imms)};`);
        break;
      }
      case 'alu': lines.push(`${asmReg(op.dst, 'dst')} ${ASM_ALU[op.fn] ?? '?='} ${asmSrc(op.src, 'src', imms)};`); break;
      case 'ld': lines.push(`${asmReg(op.dst, 'dst')} = ${mem(op.base, op.off, op.size, op.signed === true)};`); break;
      case 'st': lines.push(`${mem(op.base, op.off, op.size)} = ${asmSrc(op.src, 'src', imms)};`); break;
      case 'atomic': {
        const m = mem(op.base, op.off, op.size).slice(1);
        const src = asmSrc(op.src, 'src', imms);
        const o = { add: '+=', and: '&=', or: '|=', xor: '^=' }[op.fn];
        if (op.fetch === undefined) lines.push(`lock *${m} ${o} ${src};`);
        else {
          if (op.fetch !== src) throw new ArgumentError('fetch', op.fetch, `the source register ${src} (BPF_FETCH returns into it)`);
          lines.push(`${src} = atomic_fetch_${op.fn}(${m.replace(/^\((\w+) \*\)/, '($1 *)')}, ${src});`);
        }
        break;
      }
      case 'goto':
        if (op.if === undefined) lines.push(`goto ${op.to};`);
        else lines.push(`if ${asmReg(op.if.r, 'cond')} ${op.if.cmp} ${asmSrc(op.if.v, 'cond', imms)} goto ${op.to};`);
        break;
      case 'call': {
        op.args.forEach((a, i) => {
          if (!('r' in a) || a.r !== `r${i + 1}`) throw new ArgumentError(`${op.fn} argument ${i}`, a, `r${i + 1} (asm calls take their arguments in R1-R5)`);
        });
        if (op.dst !== undefined && op.dst !== 'r0') throw new ArgumentError('dst', op.dst, 'r0 (a call returns in R0)');
        imms.add(`__imm(${op.fn})`);
        lines.push(`call %[${op.fn}];`);
        break;
      }
      case 'ret':
        if (!('r' in op.src) || op.src.r !== 'r0') lines.push(`r0 = ${asmSrc(op.src, 'ret', imms)};`);
        lines.push('exit;');
        break;
      default:
        throw new ArgumentError('op', op.op, 'an op an asm program can say (mov, alu, ld, st, atomic, goto, call, ret, label)');
    }
  }
  return { lines, imms: [...imms].sort() };
}

// ---------------------------------------------------------------------------------------------
// The object
// ---------------------------------------------------------------------------------------------

/** The LSM hooks with a file argument the model fires, and their BPF_PROG signatures (include/linux/lsm_hook_defs.h). */
const HOOK_SIGNATURE: Readonly<Record<string, (name: string) => string>> = {
  'lsm/file_open': (name) => `int BPF_PROG(${name}, struct file *file)`,
  'lsm/mmap_file': (name) => `int BPF_PROG(${name}, struct file *file, unsigned long reqprot, unsigned long prot, unsigned long flags)`,
  'lsm/file_release': (name) => `int BPF_PROG(${name}, struct file *file)`,
};

/** A map's `map_flags` line: the flags' names (BPF_F_NO_PREALLOC, BPF_F_NO_COMMON_LRU, BPF_F_ZERO_SEED), any other bits as a number. */
function mapFlags(m: { readonly noPrealloc?: boolean | undefined; readonly flags?: number | undefined; readonly mapExtra?: number | undefined }): string[] {
  // `map_extra` (a bloom filter's number of hashes; any other type refuses it) goes beside them.
  const extra = m.mapExtra === undefined || m.mapExtra === 0 ? [] : [`\t__uint(map_extra, ${m.mapExtra});`];
  let f = (m.flags ?? 0) | (m.noPrealloc === true ? 1 : 0);
  if (f === 0) return extra;
  const names: string[] = [];
  for (const [bit, name] of [[1, 'BPF_F_NO_PREALLOC'], [2, 'BPF_F_NO_COMMON_LRU'], [64, 'BPF_F_ZERO_SEED']] as const) {
    if ((f & bit) !== 0) { names.push(name); f &= ~bit; }
  }
  if (f !== 0) names.push(`0x${(f >>> 0).toString(16)}`);
  return [`\t__uint(map_flags, ${names.join(' | ')});`, ...extra];
}

/** Render `obj` as one BPF C source file. `kfuncs` gives the signatures of the externs. */
export function renderC(obj: BpfObject, kfuncs: Readonly<Record<string, AnyKfunc>>): string {
  const lines: string[] = [
    '// SPDX-License-Identifier: GPL-2.0',
    `/* ${obj.name}.bpf.c: rendered by kernsim from a program value. */`,
    '#include <vmlinux.h>',
    '#include <bpf/bpf_helpers.h>',
    '#include <bpf/bpf_tracing.h>',
    '',
    'char _license[] SEC("license") = "GPL";',
    '',
  ];
  // The kptr type tags (kernel/bpf/btf.c `btf_find_kptr`), for a bpf_helpers.h older than libbpf 1.2.
  // A pointer member of a .maps value type is written to BTF as a forward declaration unless the
  // structure is used elsewhere, and the kernel then takes the field for a local object's kptr
  // (`btf_parse_kptr` finds no kernel type of that kind): a global pointer to each kptr structure makes
  // clang write the structure itself.
  const kptrStructs = [...new Set(obj.maps.flatMap((m) => (m.kptrs ?? []).map((p) => p.type)))];
  if (kptrStructs.length > 0) {
    lines.push('#ifndef __kptr', '#define __kptr __attribute__((btf_type_tag("kptr")))', '#endif',
      '#ifndef __kptr_untrusted', '#define __kptr_untrusted __attribute__((btf_type_tag("kptr_untrusted")))', '#endif',
      ...kptrStructs.map((t) => `struct ${t} *__kptr_type_${t} __attribute__((used));`), '');
  }
  for (const m of obj.maps) {
    if (m.type === 'ringbuf') {
      lines.push('struct {', `\t__uint(type, ${MAP_TYPES[m.type]});`, `\t__uint(max_entries, ${m.maxEntries});`, ...mapFlags({ mapExtra: m.mapExtra }), `} ${m.name} SEC(".maps");`, '');
      continue;
    }
    // A queue or stack has no key, and no BTF for its value (map_check_no_btf): its size only. A
    // bloom filter has no key either; its value's size is all it needs.
    if (!mapHasBtf(m.type)) {
      lines.push('struct {', `\t__uint(type, ${MAP_TYPES[m.type]});`, `\t__uint(max_entries, ${m.maxEntries});`, `\t__uint(value_size, ${m.valueSize});`, ...mapFlags(m), `} ${m.name} SEC(".maps");`, '');
      continue;
    }
    lines.push(`struct ${valueStruct(m)} {`, `\tchar data[${m.valueSize}];`);
    for (let i = 0; i < m.taskWorkFields; i += 1) lines.push(`\tstruct bpf_task_work tw${i === 0 ? '' : i};`);
    for (const p of m.kptrs ?? []) lines.push(`\tstruct ${p.type} ${p.untrusted === true ? '__kptr_untrusted' : '__kptr'} *${p.name};`);
    lines.push('};', '', 'struct {', `\t__uint(type, ${MAP_TYPES[m.type] ?? m.type});`, `\t__uint(max_entries, ${m.maxEntries});`,
      ...mapFlags(m),
      '\t__type(key, int);', `\t__type(value, struct ${valueStruct(m)});`, `} ${m.name} SEC(".maps");`, '');
  }
  // Every global is defined with an initializer (`= 0`, `= {}` when it has none): clang emits a
  // definition where it stands, so each section holds its globals in declaration order, as the
  // model lays them out (verifier/walker.ts). A tentative definition (`__u64 x[2];`) is placed by
  // its first use in a function instead.
  for (const g of obj.globals) {
    switch (g.kind) {
      case 'int': lines.push(`${g.rodata === true ? 'const volatile ' : ''}int ${g.name} = ${g.init === undefined ? '0' : literal(g.init)};`); break;
      case 'u32': case 'u64': lines.push(`${g.rodata === true ? 'const volatile ' : ''}__${g.kind} ${g.name} = ${g.init === undefined ? '0' : literal(g.init)};`); break;
      case 'u64s': lines.push(`__u64 ${g.name}[${g.size}] = {};`); break;
      case 'bytes': {
        const init = g.init === undefined ? ' = {}' : typeof g.init === 'string' ? ` = ${JSON.stringify(g.init).replace(/\\u0000/g, '\\0')}` : ` = { ${g.init.join(', ')} }`;
        lines.push(`${g.rodata === true ? 'const volatile ' : ''}char ${g.name}[${g.size}]${init};`);
        break;
      }
    }
  }
  if (obj.globals.length > 0) lines.push('');
  const fns: (Program | Subprog)[] = [...obj.programs, ...obj.subprogs];
  const used = new Set<string>();
  let memcmpUsed = false;
  let asmUsed = false;
  for (const f of fns) {
    if ('asm' in f && f.asm === true) asmUsed = true;
    for (const op of f.body) {
      if (op.op === 'call') used.add(op.fn);
      if (op.op === 'memcmp') memcmpUsed = true;
    }
  }
  // A kfunc the object tests with bpf_ksym_exists is declared __weak (program/ksym.ts), called or not.
  const weak = weakKfuncs(obj);
  for (const n of weak) used.add(n);
  const externs = [...used].sort().map((n) => kfuncs[n]).filter((d): d is AnyKfunc => d !== undefined && d.kind === 'kfunc');
  for (const d of externs) {
    // A pointer the model takes as an integer, or a signed integer it takes as unsigned (`s32 pid`), is
    // declared as the kernel declares it (libbpf checks the extern's BTF against the kernel's).
    const cOf = (a: ArgSpec): string => (a.cType === 's32' ? '__s32' : a.cType?.endsWith('*') === true && a.byRef !== true ? a.cType : C_ARG[a.type]);
    const params = d.args.filter((a) => a.type !== 'choice').map((a) => `${cOf(a)}${cOf(a).endsWith('*') ? '' : ' '}${a.name}`).join(', ');
    const ret = d.ret === 'bool' ? '__u64' : d.ret === 'ptr' && d.name === 'bpf_iter_num_next' ? 'int *' : C_RET[d.ret];
    lines.push(`extern ${ret}${ret.endsWith('*') ? '' : ' '}${d.name}(${params || 'void'}) __ksym${weak.has(d.name) ? ' __weak' : ''};`);
  }
  if (externs.length > 0) lines.push('');
  // Later libbpf's bpf_helpers.h macro (1.1.2's has none): the weak symbol's address, as 0 or 1.
  if (weak.size > 0) lines.push('#ifndef bpf_ksym_exists', '#define bpf_ksym_exists(sym) (!!(sym))', '#endif', '');
  // libbpf's bpf_helper_defs.h before 1.5 declares these helpers' offset and length __u32, so clang
  // truncates a u64 argument at the call site; the kernel takes u64 since 6.19 (and truncates itself
  // on 6.18). Found by the guest conformance tier: offset 0x100000000 read byte 0 of the file.
  const wide: Record<string, string> = {
    bpf_dynptr_read: '((long (*)(void *, __u64, const struct bpf_dynptr *, __u64, __u64))BPF_FUNC_dynptr_read)',
    bpf_dynptr_write: '((long (*)(const struct bpf_dynptr *, __u64, void *, __u64, __u64))BPF_FUNC_dynptr_write)',
  };
  const wideUsed = Object.keys(wide).filter((n) => used.has(n)).sort();
  for (const n of wideUsed) lines.push(`#define ${n}(...) ${wide[n] ?? ''}(__VA_ARGS__)`);
  if (wideUsed.length > 0) lines.push('');
  if (asmUsed) {
    lines.push('#define __naked __attribute__((naked))', '#define __imm(name) [name]"i"(name)', '#define __imm_addr(name) [name]"i"(&name)',
      '#define __clobber_all "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "memory"', '');
  }
  if (memcmpUsed) {
    lines.push('static __always_inline long memcmp_bytes(const char *a, const char *b, __u32 n)', '{',
      '\tfor (__u32 i = 0; i < n; i++)', '\t\tif (a[i] != b[i])', '\t\t\treturn a[i] < b[i] ? -1 : 1;', '\treturn 0;', '}', '');
  }
  const calledDirectly = new Set<string>();
  for (const f of fns) for (const op of f.body) if (op.op === 'call' && obj.subprogs.some((s) => s.name === op.fn)) calledDirectly.add(op.fn);
  // Prototypes first: functions may call each other in any order.
  const sigs = new Map(obj.subprogs.map((sub) => [sub.name, signature(sub, calledDirectly.has(sub.name))]));
  if (obj.subprogs.some((s) => s.params !== undefined)) {
    for (const sub of obj.subprogs) if (sub.params !== undefined) lines.push(`${sigs.get(sub.name)?.text ?? ''};`);
    lines.push('');
  }
  // A task_work callback's value is a value of the map it is scheduled with (the map argument next to
  // it): typed so when the callback schedules through it (`&value->tw`).
  const cbMap = new Map<string, MapDecl>();
  for (const f of fns) for (const op of f.body) {
    if (op.op !== 'call') continue;
    const cbArg = op.args.find((a) => 'cb' in a);
    const mapArg = op.args.find((a) => 'map' in a);
    const m = mapArg !== undefined && 'map' in mapArg ? obj.maps.find((x) => x.name === mapArg.map) : undefined;
    if (cbArg !== undefined && 'cb' in cbArg && m !== undefined) cbMap.set(cbArg.cb, m);
  }
  for (const sub of obj.subprogs) {
    const sig = sigs.get(sub.name) ?? signature(sub, false);
    const usesTw = sub.params === undefined && sub.body.some((op) => op.op === 'call' && op.args.some((a) => 'tw' in a));
    const cbDecl = cbMap.get(sub.name);
    const valueType = usesTw && cbDecl !== undefined ? `struct ${valueStruct(cbDecl)} *` : null;
    // Task_work callbacks without declared parameters: R1-R3 arrive as (map, key, value); a register
    // the body reads and never writes starts from them, and a copy of it takes its type.
    const incoming: [string, string, string][] = sub.params === undefined ? [['r1', 'struct bpf_map *', 'map'], ['r2', 'void *', 'key'], ['r3', valueType ?? 'void *', 'value']] : [];
    const written = registerTypes(sub, obj, kfuncs, sig.preset);
    const fromRegs = incoming.filter(([r]) => !written.has(r) && sub.body.some((op) => registersRead(op).includes(r)));
    const types = registerTypes(sub, obj, kfuncs, new Map([...sig.preset, ...fromRegs.map(([r, t]): [string, string] => [r, t])]));
    const locals = new Map(frameLocals(sub).map((l) => [l.name, l]));
    const scope: Scope = { obj, kfuncs, locals, types, returns: sub.returns ?? 'int' };
    const fromParams = fromRegs.map(([r, t, p]) => `\t${t}${t.endsWith('*') ? '' : ' '}${r} = ${p};`);
    const bound = new Set([...sig.params, ...fromRegs.map(([r]) => r)]);
    lines.push(sig.text, '{', ...fromParams, ...declarations(sub, types, bound), '', ...statements(scope, sub.body), '}', '');
  }
  for (const p of obj.programs) {
    lines.push(`SEC("${p.section}")`);
    if (p.asm === true) {
      const { lines: body, imms } = asmBody(p);
      lines.push(`__naked int ${p.name}(void)`, '{', '\tasm volatile (', ...body.map((l) => `\t\t"${l}\\n"`), '\t\t:', `\t\t: ${imms.join(', ')}`, '\t\t: __clobber_all);', '}', '');
      continue;
    }
    const info = sectionInfo(p.section);
    const types = registerTypes(p, obj, kfuncs, new Map());
    const locals = new Map(frameLocals(p).map((l) => [l.name, l]));
    const scope: Scope = { obj, kfuncs, locals, types, returns: 'int' };
    const sig = HOOK_SIGNATURE[info?.hook ?? '']?.(p.name) ?? `int ${p.name}(void *ctx)`;
    lines.push(sig, '{', ...declarations(p, types, new Set()), '', ...statements(scope, p.body), '}', '');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
