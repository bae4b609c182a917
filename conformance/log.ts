/**
 * A refused program, in both tiers: the model's lines that the kernel's verifier log must hold. The
 * model's verdict ends its log with the message and the lines the kernel prints after it (for a kfunc's
 * memory and size pair, check_kfunc_args' `… memory, len pair leads to invalid memory access`).
 */
import type { Verdict } from '../src/index.ts';

/** The model's message and the lines after it in its log. */
export function refusalLines(v: Verdict): string[] {
  if (v.ok || v.message === null) return [];
  const at = v.log.lastIndexOf(v.message);
  return at < 0 ? [v.message] : v.log.slice(at);
}

/**
 * Whether `log` holds every one of `lines`, in that order: a string as it is, a pattern (a line whose
 * registers or instruction numbers are the compiler's, compared blind) where it matches.
 */
export function holdsInOrder(log: string, lines: readonly (string | RegExp)[]): boolean {
  let from = 0;
  for (const l of lines) {
    let at: number;
    let len: number;
    if (typeof l === 'string') {
      at = log.indexOf(l, from);
      len = l.length;
    } else {
      const re = new RegExp(l.source, 'g');
      re.lastIndex = from;
      const m = re.exec(log);
      at = m === null ? -1 : m.index;
      len = m === null ? 0 : m[0].length;
    }
    if (at < 0) return false;
    from = at + len;
  }
  return true;
}

/**
 * A message with every register number `R<n>` free (`regs`: the kernel's log may name other registers)
 * and every reference id and instruction number free (`insns`: a C program's, numbered by clang), and
 * with it the BTF ids libbpf prints for an extern's prototypes (the model's `[N]` and `[M]`).
 */
export function blind(msg: string, regs: boolean, insns: boolean): RegExp {
  const parts = regs && insns ? /(R\d+|id=\d+|alloc_insn=\d+|insn \d+|\[N\]|\[M\])/ : regs ? /(R\d+)/ : /(id=\d+|alloc_insn=\d+|insn \d+|\[N\]|\[M\])/;
  // `[N]`, `[M]`: BTF ids the model cannot know (messages.ts `incompatibleKfunc`).
  const token = (x: string): string => (x === '[N]' || x === '[M]' ? '\\[\\d+\\]' : x.replace(/\d+/, '\\d+'));
  return new RegExp(msg.split(parts).map((x, i) => (i % 2 === 1 ? token(x) : x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join(''));
}
