/**
 * Initialized stack variables (`= {}`, a string): clang stores their bytes when the function starts;
 * the verifier sees those stores (constants spilled into aligned slots, the rest byte by byte).
 */
import type { FrameLayout } from '../program/layout.ts';
import type { Program, Subprog } from '../program/program.ts';
import { checkStore } from './mem.ts';
import { top } from './state.ts';
import type { AState, AVal, Checker } from './types.ts';

export function initLocals(c: Checker & { layout(fn: string): FrameLayout }, s0: AState, fn: Program | Subprog): AState {
  let s = s0;
  const f = top(s);
  for (const v of c.layout(fn.name).vars.values()) {
    const init = v.local.init;
    if (init === undefined) continue;
    const bytes = init === 'zero' ? new Uint8Array(v.size) : typeof init === 'string' ? new TextEncoder().encode(init) : Uint8Array.from(init);
    const full = new Uint8Array(v.size);
    full.set(bytes.subarray(0, v.size));
    const base: AVal = { t: 'fp', frame: f.frameno, off: v.off, var: null };
    let o = 0;
    while (o < v.size) {
      const left = v.size - o;
      const size = left >= 8 ? 8 : left >= 4 ? 4 : left >= 2 ? 2 : 1;
      let val = 0n;
      for (let i = size - 1; i >= 0; i -= 1) val = (val << 8n) | BigInt(full[o + i] ?? 0);
      s = checkStore(c, s, base, 10, o, size, null, val, -1);
      o += size;
    }
  }
  return s;
}
