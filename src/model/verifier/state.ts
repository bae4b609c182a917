/** Operations on a verifier state: its key for pruning, and the changes calls and branches make. */
import type { AState, AVal, RefInfo, Slot } from './types.ts';

export function stateKey(s: AState): string {
  const regs = [...s.regs.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}:${JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x))}`);
  const slots = [...s.slots.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}:${v.kind}/${v.ref}`);
  const refs = [...s.refs.keys()].sort((a, b) => a - b);
  return `${regs.join(',')}|${slots.join(',')}|${refs.join(',')}`;
}

export function withReg(s: AState, r: string, v: AVal): AState {
  const regs = new Map(s.regs);
  regs.set(r, v);
  return { ...s, regs };
}

export function withSlot(s: AState, slot: string, v: Slot): AState {
  const slots = new Map(s.slots);
  slots.set(slot, v);
  return { ...s, slots };
}

export function withRef(s: AState, id: number, r: RefInfo): AState {
  const refs = new Map(s.refs);
  refs.set(id, r);
  return { ...s, refs };
}

/** Release reference `id`: every slot holding it becomes uninitialized, every register holding it a scalar. */
export function release(s: AState, id: number): AState {
  const refs = new Map(s.refs);
  refs.delete(id);
  const slots = new Map([...s.slots].filter(([, v]) => v.ref !== id));
  const regs = new Map([...s.regs].map(([k, v]): [string, AVal] => [k, v.t === 'file' && v.ref === id ? { t: 'scalar' } : v]));
  return { regs, slots, refs };
}
