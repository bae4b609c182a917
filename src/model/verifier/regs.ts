/**
 * A frame's registers (`bpf_func_state.regs`) as a persistent map. The walk sets a register at almost
 * every op, and every earlier state must stay as it was (the pending branches and the prune points
 * hold them); the model's registers include the program's C variables, so a frame can hold dozens,
 * and copying them all at each op was the walk's largest cost. Here a change goes into a small
 * overlay on a base the states share; the overlay is folded into a new base once it grows past
 * `OVERLAY_MAX` entries, so a change copies at most that many entries besides, now and then, the base.
 *
 * It reads as a `ReadonlyMap` (the order of iteration is not the order of insertion: nothing in the
 * verifier depends on that order).
 */
import type { AVal } from './types.ts';

/** Changes kept beside the base before they are folded into a new one. */
const OVERLAY_MAX = 8;

export class RegFile implements ReadonlyMap<string, AVal> {
  /** The registers as one `Map`, made the first time the whole file is read (then never changed). */
  #flat: Map<string, AVal> | null = null;

  private constructor(
    private readonly base: ReadonlyMap<string, AVal>,
    /** Registers set (a value) or removed (null) since the base. */
    private readonly over: ReadonlyMap<string, AVal | null>,
    readonly size: number,
  ) {}

  /** The registers of `m` (a `RegFile` as it is; a `Map` is shared, so it must not change afterwards). */
  static of(m: ReadonlyMap<string, AVal>): RegFile {
    return m instanceof RegFile ? m : new RegFile(m, new Map(), m.size);
  }

  get(r: string): AVal | undefined {
    const v = this.over.get(r);
    if (v !== undefined) return v ?? undefined;
    return this.over.has(r) ? undefined : this.base.get(r);
  }

  has(r: string): boolean {
    return this.get(r) !== undefined;
  }

  /** A file with `r` set to `v`. */
  with(r: string, v: AVal): RegFile {
    return this.change(r, v, this.has(r) ? this.size : this.size + 1);
  }

  /** A file without `r`. */
  without(r: string): RegFile {
    return this.has(r) ? this.change(r, null, this.size - 1) : this;
  }

  private change(r: string, v: AVal | null, size: number): RegFile {
    const over = new Map(this.over);
    over.set(r, v);
    if (over.size <= OVERLAY_MAX) return new RegFile(this.base, over, size);
    const base = new Map(this.base);
    for (const [k, x] of over) {
      if (x === null) base.delete(k);
      else base.set(k, x);
    }
    return new RegFile(base, new Map(), size);
  }

  private flat(): Map<string, AVal> {
    if (this.#flat === null) {
      const m = new Map<string, AVal>();
      for (const [k, v] of this.base) if (!this.over.has(k)) m.set(k, v);
      for (const [k, v] of this.over) if (v !== null) m.set(k, v);
      this.#flat = m;
    }
    return this.#flat;
  }

  forEach(fn: (value: AVal, key: string, map: ReadonlyMap<string, AVal>) => void): void {
    this.flat().forEach((v, k) => fn(v, k, this));
  }

  entries(): ReturnType<Map<string, AVal>['entries']> {
    return this.flat().entries();
  }

  keys(): ReturnType<Map<string, AVal>['keys']> {
    return this.flat().keys();
  }

  values(): ReturnType<Map<string, AVal>['values']> {
    return this.flat().values();
  }

  [Symbol.iterator](): ReturnType<Map<string, AVal>['entries']> {
    return this.flat().entries();
  }
}
