/**
 * Program values rendered as BPF C, in the style of the selftests (SEC names, `__ksym` externs, map
 * definitions, globals, labels and `goto cleanup`). Deterministic: the same object gives the same
 * text. The C is for reading next to a trace; it is not parsed back.
 */
import type { AnyKfunc, ArgSpec, RetType } from '../kfunc/kfunc.ts';
import type { Arg, BpfObject, Cond, MapDecl, Op } from './program.ts';
import { registersRead } from './program.ts';
import { sectionInfo } from './sections.ts';

const MAP_TYPES: Record<string, string> = {
  array: 'BPF_MAP_TYPE_ARRAY', hash: 'BPF_MAP_TYPE_HASH', lru_hash: 'BPF_MAP_TYPE_LRU_HASH',
  percpu_array: 'BPF_MAP_TYPE_PERCPU_ARRAY', percpu_hash: 'BPF_MAP_TYPE_PERCPU_HASH', ringbuf: 'BPF_MAP_TYPE_RINGBUF',
};

/** The C type of each argument type, as the BPF C here declares kfuncs (also the docs' prototypes, src/docs/kfunc_page.ts). */
export const C_ARG: Readonly<Record<ArgSpec['type'], string>> = {
  u8: '__u8', u32: '__u32', u64: '__u64', dsize: '__u64', dynptr: 'const struct bpf_dynptr *', dynptr_uninit: 'struct bpf_dynptr *',
  mem: 'void *', mem_or_null: 'void *', file: 'struct file *', task: 'struct task_struct *', map: 'void *',
  tw: 'struct bpf_task_work *', callback: 'bpf_task_work_callback_t', aux: 'void *',
  skb: 'struct __sk_buff *', xdp_md: 'struct xdp_md *',
};

/** The C type of each return type (a helper's `int` is `long`). */
export const C_RET: Readonly<Record<RetType, string>> = {
  int: 'int', dsize: '__u64', u64: '__u64', bool: 'bool', ptr: 'void *', task: 'struct task_struct *',
  file: 'struct file *', map_value: 'void *', void: 'void',
};

function valueStruct(m: MapDecl): string {
  return `${m.name}_value`;
}

function literal(v: number | bigint): string {
  const b = BigInt(v);
  if (b > 0x7fffffffn) return `${b}ULL`;
  return `${b}`;
}

function arg(a: Arg): string {
  if ('r' in a) return a.r;
  if ('imm' in a) return literal(a.imm);
  if ('null' in a) return 'NULL';
  if ('dynptr' in a) return `&${a.dynptr}`;
  if ('buf' in a) return a.buf;
  if ('global' in a) return a.global;
  if ('map' in a) return `&${a.map}`;
  if ('tw' in a) return `&${a.tw}->tw`;
  if ('cb' in a) return a.cb;
  return 'file';
}

function cond(c: Cond): string {
  const v = arg(c.v);
  switch (c.cmp) {
    case 's<': return `(__s64)${c.r} < (__s64)${v}`;
    case 's>': return `(__s64)${c.r} > (__s64)${v}`;
    default: return `${c.r} ${c.cmp} ${v}`;
  }
}

const ALU: Record<string, string> = { add: '+=', sub: '-=', and: '&=', or: '|=', rsh: '>>=', lsh: '<<=' };

/** The C type each register takes: from what is first stored into it. */
function registerTypes(body: readonly Op[], obj: BpfObject, kfuncs: Readonly<Record<string, AnyKfunc>>, preset: ReadonlyMap<string, string>): Map<string, string> {
  const types = new Map(preset);
  const set = (r: string, t: string): void => { if (!types.has(r)) types.set(r, t); };
  for (const op of body) {
    if (op.op === 'call' && op.dst !== undefined) {
      const def = kfuncs[op.fn];
      if (def?.ret === 'map_value') {
        const a0 = op.args[0];
        const m = a0 !== undefined && 'map' in a0 ? obj.maps.find((x) => x.name === a0.map) : undefined;
        set(op.dst, m === undefined ? 'void *' : `struct ${valueStruct(m)} *`);
      } else set(op.dst, def === undefined ? 'long' : def.ret === 'int' ? 'long' : C_RET[def.ret]);
    }
    if (op.op === 'mov') set(op.dst, 'null' in op.src ? 'void *' : '__u64');
    if (op.op === 'memcmp') set(op.dst, 'long');
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

function statements(body: readonly Op[], kfuncs: Readonly<Record<string, AnyKfunc>> = {}): string[] {
  const out: string[] = [];
  for (const op of body) {
    switch (op.op) {
      case 'label': out.push(`${op.name}:`); break;
      case 'mov': out.push(`\t${op.dst} = ${arg(op.src)};`); break;
      case 'alu': out.push(`\t${op.dst} ${ALU[op.fn] ?? '?='} ${arg(op.src)};`); break;
      case 'store': out.push(`\t${op.global}${op.index === undefined ? '' : `[${op.index}]`} = ${arg(op.src)};`); break;
      case 'memcmp': out.push(`\t${op.dst} = memcmp_bytes(${arg(op.a)} + ${arg(op.aoff)}, ${arg(op.b)} + ${arg(op.boff)}, ${arg(op.len)});`); break;
      case 'goto': out.push(op.if === undefined ? `\tgoto ${op.to};` : `\tif (${cond(op.if)})\n\t\tgoto ${op.to};`); break;
      case 'ret': out.push(`\treturn ${arg(op.src)};`); break;
      case 'call': {
        // Map helpers take a pointer to the key: a constant becomes a compound literal.
        const keyed = op.fn.startsWith('bpf_map_') ? 1 : -1;
        const c = callExpr(`${op.fn}(${op.args.map((a, i) => (i === keyed ? ('imm' in a ? `&(int){${literal(a.imm)}}` : `&${arg(a)}`) : arg(a))).join(', ')})`,
          kfuncs[op.fn]?.kind === 'kfunc' && op.dst !== undefined ? kfuncs[op.fn]?.ret : undefined);
        out.push(op.dst === undefined ? `\t${c};` : `\t${op.dst} = ${c};`);
        break;
      }
    }
  }
  return out;
}

function locals(body: readonly Op[], types: ReadonlyMap<string, string>, params: ReadonlySet<string>): string[] {
  const slots = new Set<string>();
  for (const op of body) if (op.op === 'call') for (const a of op.args) if ('dynptr' in a) slots.add(a.dynptr);
  const regs = [...types.entries()].filter(([r]) => !params.has(r)).sort(([a], [b]) => (a < b ? -1 : 1));
  return [
    ...[...slots].sort().map((d) => `\tstruct bpf_dynptr ${d};`),
    ...regs.map(([r, t]) => `\t${t.endsWith('*') ? `${t}${r}` : `${t} ${r}`}${t.endsWith('*') ? ' = NULL' : ' = 0'};`),
  ];
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
  for (const m of obj.maps) {
    lines.push(`struct ${valueStruct(m)} {`, `\tchar data[${m.valueSize}];`);
    for (let i = 0; i < m.taskWorkFields; i += 1) lines.push(`\tstruct bpf_task_work tw${i === 0 ? '' : i};`);
    lines.push('};', '', 'struct {', `\t__uint(type, ${MAP_TYPES[m.type] ?? m.type});`, `\t__uint(max_entries, ${m.maxEntries});`,
      '\t__type(key, int);', `\t__type(value, struct ${valueStruct(m)});`, `} ${m.name} SEC(".maps");`, '');
  }
  for (const g of obj.globals) {
    lines.push(g.kind === 'int' ? `int ${g.name}${g.init === undefined ? '' : ` = ${literal(g.init)}`};` : g.kind === 'u64s' ? `__u64 ${g.name}[${g.size}];` : `char ${g.name}[${g.size}];`);
  }
  if (obj.globals.length > 0) lines.push('');
  const bodies = [...obj.programs.map((p) => p.body), ...obj.subprogs.map((p) => p.body)];
  const used = new Set<string>();
  let memcmpUsed = false;
  for (const b of bodies) for (const op of b) {
    if (op.op === 'call') used.add(op.fn);
    if (op.op === 'memcmp') memcmpUsed = true;
  }
  const externs = [...used].sort().map((n) => kfuncs[n]).filter((d): d is AnyKfunc => d !== undefined && d.kind === 'kfunc');
  for (const d of externs) {
    const params = d.args.map((a) => `${C_ARG[a.type]}${C_ARG[a.type].endsWith('*') ? '' : ' '}${a.name}`).join(', ');
    const ret = d.ret === 'bool' ? '__u64' : C_RET[d.ret];
    lines.push(`extern ${ret}${ret.endsWith('*') ? '' : ' '}${d.name}(${params || 'void'}) __ksym;`);
  }
  if (externs.length > 0) lines.push('');
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
  if (memcmpUsed) {
    lines.push('static __always_inline long memcmp_bytes(const char *a, const char *b, __u32 n)', '{',
      '\tfor (__u32 i = 0; i < n; i++)', '\t\tif (a[i] != b[i])', '\t\t\treturn a[i] < b[i] ? -1 : 1;', '\treturn 0;', '}', '');
  }
  for (const sub of obj.subprogs) {
    // R1-R3 arrive as (map, key, value); a register the body reads before writing starts from them.
    const types = registerTypes(sub.body, obj, kfuncs, new Map());
    const incoming: [string, string, string][] = [['r1', 'struct bpf_map *', 'map'], ['r2', 'void *', 'key'], ['r3', 'void *', 'value']];
    const fromParams = incoming.filter(([r]) => !types.has(r) && sub.body.some((op) => registersRead(op).includes(r)))
      .map(([r, t, p]) => `	${t}${r} = ${p};`);
    lines.push(`${sub.isStatic ? 'static ' : ''}int ${sub.name}(struct bpf_map *map, void *key, void *value)`, '{',
      ...fromParams, ...locals(sub.body, types, new Set()), '', ...statements(sub.body, kfuncs), '}', '');
  }
  for (const p of obj.programs) {
    const info = sectionInfo(p.section);
    const hookFile = info?.hook === 'lsm/file_open';
    const types = registerTypes(p.body, obj, kfuncs, new Map());
    const sig = hookFile ? `int BPF_PROG(${p.name}, struct file *file)` : `int ${p.name}(void *ctx)`;
    lines.push(`SEC("${p.section}")`, sig, '{', ...locals(p.body, types, new Set()), '', ...statements(p.body, kfuncs), '}', '');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
