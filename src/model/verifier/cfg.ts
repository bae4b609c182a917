/**
 * A function's control flow, computed once before the walk (kernel/bpf/verifier.c `check_cfg`,
 * `visit_insn`, `compute_live_registers`): its labels, the instruction number of each op (an `asm`
 * program counts BPF instructions, a 64-bit immediate or map address being two; C programs count
 * ops), the prune points (conditional jumps, targets of unconditional jumps, the op after a call,
 * `bpf_iter_num_next` calls), and the registers live before each op.
 */
import type { Arg, Op, Program, Subprog } from '../program/program.ts';
import { argRegs, registersRead } from '../program/program.ts';

export interface Cfg {
  readonly labels: ReadonlyMap<string, number>;
  /** `insn[pc]`: the instruction number of op `pc`. */
  readonly insn: readonly number[];
  readonly prune: ReadonlySet<number>;
  /** `live[pc]`: registers read before being written on some path from op `pc`. */
  readonly live: readonly ReadonlySet<string>[];
}

function insnCount(op: Op, asm: boolean): number {
  if (!asm) return 1;
  switch (op.op) {
    case 'label': return 0;
    case 'mov': {
      const s = op.src;
      if ('map' in s || 'addr' in s || 'buf' in s || 'global' in s) return 2 + ('addr' in s || 'buf' in s ? (s.off !== undefined && s.off !== 0 ? 1 : 0) : 0);
      if ('imm' in s && (BigInt(s.imm) > 0x7fffffffn || BigInt(s.imm) < -0x80000000n)) return 2;
      return 1;
    }
    case 'ret': return 'r' in op.src && op.src.r === 'r0' ? 1 : 2;
    default: return 1;
  }
}

const CLOBBERED = ['r1', 'r2', 'r3', 'r4', 'r5'];

/** The registers op `pc` writes (asm calls clobber R1-R5 and set R0). */
function written(op: Op, asm: boolean): string[] {
  switch (op.op) {
    case 'call': return asm ? ['r0', ...CLOBBERED] : op.dst === undefined ? [] : [op.dst];
    case 'mov': case 'alu': case 'ld': case 'memcmp': return op.op === 'alu' ? [] : [op.dst];
    case 'atomic': return op.fetch === undefined ? [] : [op.fetch];
    default: return [];
  }
}

export function buildCfg(fn: Program | Subprog): Cfg {
  const asm = 'asm' in fn && fn.asm === true;
  const body = fn.body;
  const labels = new Map<string, number>();
  body.forEach((op, i) => { if (op.op === 'label') labels.set(op.name, i); });
  const insn: number[] = [];
  let n = 0;
  for (const op of body) {
    insn.push(n);
    n += insnCount(op, asm);
  }
  const prune = new Set<number>();
  body.forEach((op, i) => {
    if (op.op === 'goto') {
      const to = labels.get(op.to);
      if (op.if !== undefined) prune.add(i);
      else if (to !== undefined) prune.add(to);
    }
    if (op.op === 'call') {
      if (op.fn === 'bpf_iter_num_next') prune.add(i);
      prune.add(i + 1);
    }
  });
  // Liveness: backward dataflow to a fixed point.
  const succ = (i: number): number[] => {
    const op = body[i];
    if (op === undefined || op.op === 'ret') return [];
    if (op.op === 'goto') {
      const to = labels.get(op.to);
      const out = to === undefined ? [] : [to];
      if (op.if !== undefined) out.push(i + 1);
      return out;
    }
    return [i + 1];
  };
  const reads = body.map((op) => {
    const r = new Set(registersRead(op));
    if (asm && op.op === 'call') for (const a of op.args) for (const x of argRegs(a as Arg)) r.add(x);
    return r;
  });
  const writes = body.map((op) => written(op, asm));
  const live: Set<string>[] = body.map(() => new Set<string>());
  for (let changed = true; changed;) {
    changed = false;
    for (let i = body.length - 1; i >= 0; i -= 1) {
      const out = new Set<string>();
      for (const j of succ(i)) for (const r of live[j] ?? []) out.add(r);
      for (const w of writes[i] ?? []) out.delete(w);
      for (const r of reads[i] ?? []) out.add(r);
      const cur = live[i] as Set<string>;
      if (out.size !== cur.size || [...out].some((r) => !cur.has(r))) {
        live[i] = out;
        changed = true;
      }
    }
  }
  return { labels, insn, prune, live };
}
