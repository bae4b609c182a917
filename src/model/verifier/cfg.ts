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
  /**
   * `live(pc)`: registers read before being written on some path from op `pc` (made when the walk
   * first compares states there).
   */
  readonly live: (pc: number) => ReadonlySet<string>;
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
    case 'mov': case 'alu': case 'ld': case 'field': case 'memcmp': return op.op === 'alu' ? [] : [op.dst];
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
  // Liveness: backward dataflow to a fixed point, one bit per register name (`words` 32-bit words
  // per op), so that a pass over the body allocates nothing.
  const index = new Map<string, number>();
  const bit = (r: string): number => {
    let b = index.get(r);
    if (b === undefined) {
      b = index.size;
      index.set(r, b);
    }
    return b;
  };
  const reads = body.map((op) => {
    const r = registersRead(op).map(bit);
    if (asm && op.op === 'call') for (const a of op.args) for (const x of argRegs(a as Arg)) r.push(bit(x));
    return r;
  });
  const writes = body.map((op) => written(op, asm).map(bit));
  // Each op's successors (at most two: the next op and a jump's target; -1 for none).
  const next = new Int32Array(body.length).fill(-1);
  const target = new Int32Array(body.length).fill(-1);
  body.forEach((op, i) => {
    if (op.op === 'ret') return;
    if (op.op === 'goto') {
      target[i] = labels.get(op.to) ?? -1;
      if (op.if !== undefined && i + 1 < body.length) next[i] = i + 1;
    } else if (i + 1 < body.length) next[i] = i + 1;
  });
  // (Int32 words: a bit set in the top bit stays a small integer.)
  const words = Math.max(1, Math.ceil(index.size / 32));
  const live = new Int32Array(body.length * words);
  const out = new Int32Array(words);
  for (let changed = true; changed;) {
    changed = false;
    for (let i = body.length - 1; i >= 0; i -= 1) {
      const n = next[i] ?? -1;
      const t = target[i] ?? -1;
      for (let w = 0; w < words; w += 1) out[w] = (n >= 0 ? live[n * words + w] ?? 0 : 0) | (t >= 0 ? live[t * words + w] ?? 0 : 0);
      for (const b of writes[i] ?? []) out[b >>> 5] = (out[b >>> 5] ?? 0) & ~(1 << (b & 31));
      for (const b of reads[i] ?? []) out[b >>> 5] = (out[b >>> 5] ?? 0) | (1 << (b & 31));
      for (let w = 0; w < words; w += 1) {
        if (live[i * words + w] !== out[w]) {
          live[i * words + w] = out[w] ?? 0;
          changed = true;
        }
      }
    }
  }
  const names = [...index.keys()];
  const sets = new Map<number, ReadonlySet<string>>();
  const liveAt = (pc: number): ReadonlySet<string> => {
    let set = sets.get(pc);
    if (set === undefined) {
      const made = new Set<string>();
      names.forEach((r, b) => { if (((live[pc * words + (b >>> 5)] ?? 0) & (1 << (b & 31))) !== 0) made.add(r); });
      set = made;
      sets.set(pc, set);
    }
    return set;
  };
  return { labels, insn, prune, live: liveAt };
}
