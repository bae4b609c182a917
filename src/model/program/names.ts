/**
 * The names of an object that must differ. An object is one C file (what `renderC` writes) and one
 * ELF object (what libbpf opens), so:
 *
 * - its maps, globals, programs and other functions are one file scope, one ELF symbol each: two of
 *   them with one name do not compile, and do not link;
 * - a function's registers (its parameters are registers too) and its stack variables are C locals:
 *   two stack variables with one name, or a stack variable and a register with one name, are declared
 *   twice;
 * - a local hides a file-scope name of its own name, as C scopes do. The model resolves `addr` and
 *   `buf` operands the same way (a stack variable of the function first, then a global), so a stack
 *   variable may hide a global the function reaches only through them, as the selftests' locals do.
 *   Where the model and C would read different things, the object is refused: the function names the
 *   global (`global` operand, `store`), map (`map`) or function (`cb`) that one of its locals hides, or
 *   reaches through `addr`/`buf` a global that one of its registers hides (registers are not stack
 *   variables to the model; in C they are locals).
 *
 * The model tells these apart by the kind of operand; C cannot. An object whose names clash is refused
 * wherever an object is taken (`checkObject`: `Session.load`, `verify`, `renderC`; a scenario's
 * objects: scenario/refs.ts), naming both places.
 */
import { checkData } from '../kernel/args.ts';
import type { Problem } from '../kernel/validate.ts';
import { frameLocals } from './layout.ts';
import { argsOf, registersRead, registerWritten, type BpfObject, type Local, type Op } from './program.ts';
import { BpfObjectSchema } from './schema.ts';

/** C's keywords (C17, and the GNU ones clang takes in BPF C): not a name of anything. */
const C_KEYWORDS: ReadonlySet<string> = new Set([
  'auto', 'break', 'case', 'char', 'const', 'continue', 'default', 'do', 'double', 'else', 'enum', 'extern', 'float', 'for',
  'goto', 'if', 'inline', 'int', 'long', 'register', 'restrict', 'return', 'short', 'signed', 'sizeof', 'static', 'struct',
  'switch', 'typedef', 'union', 'unsigned', 'void', 'volatile', 'while', '_Alignas', '_Alignof', '_Atomic', '_Bool',
  '_Complex', '_Generic', '_Imaginary', '_Noreturn', '_Static_assert', '_Thread_local', 'asm', 'typeof', '__attribute__',
  '__asm__', '__typeof__', '__inline__', '__volatile__', '__restrict__', '__signed__', '__const__', '__extension__',
]);

/** File-scope names `renderC` writes itself. */
const RESERVED: ReadonlyMap<string, string> = new Map([
  ['_license', 'the license symbol renderC writes (`char _license[] SEC("license")`)'],
  ['memcmp_bytes', 'the helper function renderC writes for memcmp'],
]);

interface Fn {
  readonly name: string;
  readonly body: readonly Op[];
  readonly locals?: readonly Local[];
  readonly params?: readonly { readonly name: string }[];
  /** Written as inline assembly: its registers are r0–r10, not C variables. */
  readonly asm?: boolean;
}

/** What is checked: an object as its schema parses it. */
export interface NamedObject {
  readonly maps: readonly { readonly name: string }[];
  readonly globals: readonly { readonly name: string }[];
  readonly programs: readonly Fn[];
  readonly subprogs: readonly Fn[];
}

const SCOPES = [['maps', 'map'], ['globals', 'global'], ['programs', 'program'], ['subprogs', 'function']] as const;

/** Every clash of `obj`'s names, each at the place of its second name (JSON Pointers into `obj`). */
export function nameProblems(obj: NamedObject): Problem[] {
  const out: Problem[] = [];
  const file = new Map<string, string>();
  for (const [list, kind] of SCOPES) {
    obj[list].forEach((x, i) => {
      const here = `${kind} ${x.name} (/${list}/${i})`;
      const before = file.get(x.name) ?? RESERVED.get(x.name) ?? (C_KEYWORDS.has(x.name) ? 'a C keyword' : undefined);
      if (before !== undefined) out.push({ path: `/${list}/${i}/name`, expected: `a name of its own: ${here} has the name of ${before} (maps, globals and functions share one C file scope, one ELF symbol each)` });
      else file.set(x.name, here);
    });
  }
  for (const list of ['programs', 'subprogs'] as const) {
    obj[list].forEach((fn, i) => {
      const at = `/${list}/${i}/name`;
      // Registers (params included), and the file-scope names the function uses: by kind of operand
      // (`byName`: global, store, map, cb) or through addr/buf (`byAddr`: a stack variable first).
      const regs = new Set<string>((fn.params ?? []).map((p) => p.name));
      const byName = new Set<string>();
      const byAddr = new Set<string>();
      const labels: string[] = [];
      for (const op of fn.body) {
        if (op.op === 'label') labels.push(op.name);
        for (const r of registersRead(op)) regs.add(r);
        const w = registerWritten(op);
        if (w !== null) regs.add(w);
        if (op.op === 'store') byName.add(op.global);
        for (const a of argsOf(op)) {
          if ('global' in a) byName.add(a.global);
          else if ('map' in a) byName.add(a.map);
          else if ('cb' in a) byName.add(a.cb);
          else if ('buf' in a) byAddr.add(a.buf);
          else if ('addr' in a) byAddr.add(a.addr);
        }
      }
      const frame = frameLocals(fn);
      const keyword = [...regs, ...frame.map((l) => l.name), ...labels].find((n) => C_KEYWORDS.has(n));
      if (keyword !== undefined && !(fn.asm === true && regs.has(keyword))) out.push({ path: at, expected: `names that are not C keywords: ${keyword} is one (a register, stack variable or label of the function)` });
      const locals = new Set<string>();
      for (const l of frame) {
        const twice = locals.has(l.name) ? 'another stack variable of the function' : !fn.asm && regs.has(l.name) ? `register ${l.name}` : undefined;
        const hidden = byName.has(l.name) ? file.get(l.name) : undefined;
        if (twice !== undefined) out.push({ path: at, expected: `stack variables with names of their own: ${l.name} has the name of ${twice} (C declares it twice)` });
        else if (hidden !== undefined) out.push({ path: at, expected: `a stack variable not named as what the function names: ${l.name} hides ${hidden}, which the function uses by name (the model reads ${hidden}, C the stack variable)` });
        locals.add(l.name);
      }
      if (fn.asm === true) return;
      for (const r of regs) {
        const hidden = byName.has(r) || (byAddr.has(r) && !locals.has(r)) ? file.get(r) : undefined;
        if (hidden !== undefined) out.push({ path: at, expected: `a register not named as what the function names: register ${r} hides ${hidden}, which the function uses (the model reads ${hidden}, C the register)` });
      }
    });
  }
  return out;
}

/** `value` as an object (its schema, then its names), or an ArgumentError naming the first problem. */
export function checkObject(argument: string, value: unknown): BpfObject {
  return checkData(argument, BpfObjectSchema, value, nameProblems);
}
