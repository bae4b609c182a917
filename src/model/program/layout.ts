/**
 * Where a function's stack variables live on its frame. The verifier and the interpreter both address
 * the stack by offset from the frame pointer (`r10`), so they share this layout: the first declared
 * variable is at the top of the frame, each next one below it, every variable 8-byte aligned and
 * rounded up to whole 8-byte slots (a `struct bpf_dynptr` is two slots, 16 bytes). A dynptr named
 * by a `dynptr` operand but not declared is added after the declared variables, in order of first
 * use. This is how clang lays out the selftests' frames (`struct bpf_dynptr ptr` first → `fp-16`); a
 * C compiler may choose another layout, which is why messages that print stack offsets are compared
 * on `asm` programs, whose layout is written out.
 */
import type { Arg, Local, LocalType, Op } from './program.ts';

/** `MAX_BPF_STACK`: the frame size (include/linux/filter.h). */
export const MAX_BPF_STACK = 512;

/** Bytes of a `struct bpf_dynptr` (`BPF_DYNPTR_SIZE`) and of `struct bpf_iter_num`. */
export const DYNPTR_SIZE = 16;
export const ITER_NUM_SIZE = 8;
/** `struct bpf_task_work` (one u64). */
export const TASK_WORK_SIZE = 8;

export function localSize(t: LocalType): number {
  if (typeof t === 'object') return t.bytes;
  switch (t) {
    case 'u8': case 's8': return 1;
    case 'u16': case 's16': return 2;
    case 'u32': case 's32': return 4;
    case 'u64': case 's64': return 8;
    case 'dynptr': return DYNPTR_SIZE;
    case 'iter_num': return ITER_NUM_SIZE;
    case 'task_work': return TASK_WORK_SIZE;
  }
}

export interface VarLayout {
  readonly name: string;
  /** Offset of the variable's first byte from the frame pointer (negative). */
  readonly off: number;
  readonly size: number;
  readonly local: Local;
}

export interface FrameLayout {
  readonly vars: ReadonlyMap<string, VarLayout>;
  /** Bytes of the frame the variables use. */
  readonly depth: number;
}

/** The dynptr variables a body names without declaring them, in order of first use. */
export function implicitDynptrs(body: readonly Op[], declared: ReadonlySet<string>): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const use = (a: Arg): void => {
    if ('dynptr' in a && !declared.has(a.dynptr) && !seen.has(a.dynptr)) {
      seen.add(a.dynptr);
      out.push(a.dynptr);
    }
  };
  for (const op of body) {
    switch (op.op) {
      case 'call': for (const a of op.args) use(a); break;
      case 'mov': use(op.src); break;
      case 'ld': case 'field': use(op.base); break;
      case 'st': use(op.base); use(op.src); break;
      case 'memcpy': use(op.dst); use(op.src); break;
      case 'memset': use(op.dst); break;
      default: break;
    }
  }
  return out;
}

/** Every stack variable of a function (declared, then implicit dynptrs). */
export function frameLocals(fn: { readonly body: readonly Op[]; readonly locals?: readonly Local[] }): Local[] {
  const declared = fn.locals ?? [];
  const names = new Set(declared.map((l) => l.name));
  return [...declared, ...implicitDynptrs(fn.body, names).map((name): Local => ({ name, type: 'dynptr' }))];
}

/** The layout of a function's frame. Throws when the variables do not fit in 512 bytes. */
export function frameLayout(fn: { readonly body: readonly Op[]; readonly locals?: readonly Local[] }): FrameLayout {
  const vars = new Map<string, VarLayout>();
  let top = 0;
  for (const l of frameLocals(fn)) {
    const size = localSize(l.type);
    top += Math.ceil(Math.max(size, 1) / 8) * 8;
    vars.set(l.name, { name: l.name, off: -top, size, local: l });
  }
  return { vars, depth: top };
}

/** The initial bytes of a local (`init`), or null when it starts uninitialized. */
export function localInit(l: Local): Uint8Array | null {
  if (l.init === undefined) return null;
  const bytes = new Uint8Array(localSize(l.type));
  if (l.init === 'zero') return bytes;
  const src = typeof l.init === 'string' ? new TextEncoder().encode(l.init) : Uint8Array.from(l.init);
  bytes.set(src.subarray(0, bytes.length));
  return bytes;
}
