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

/** One change since the base: register `r` set to `v` (null: removed), then the earlier changes. */
interface Change {
  readonly r: string;
  readonly v: AVal | null;
  readonly older: Change | null;
  /** Changes in this chain, this one included. */
  readonly n: number;
}

export class RegFile implements ReadonlyMap<string, AVal> {
  /** The registers as one `Map`, made the first time the whole file is read (then never changed). */
  #flat: Map<string, AVal> | null = null;

  private constructor(
    private readonly base: ReadonlyMap<string, AVal>,
    /** The changes since the base, newest first. */
    private readonly over: Change | null,
    readonly size: number,
  ) {}

  /** The registers of `m` (a `RegFile` as it is; a `Map` is shared, so it must not change afterwards). */
  static of(m: ReadonlyMap<string, AVal>): RegFile {
    return m instanceof RegFile ? m : new RegFile(m, null, m.size);
  }

  get(r: string): AVal | undefined {
    for (let c = this.over; c !== null; c = c.older) if (c.r === r) return c.v ?? undefined;
    return this.base.get(r);
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
    const over: Change = { r, v, older: this.over, n: (this.over?.n ?? 0) + 1 };
    if (over.n <= OVERLAY_MAX) return new RegFile(this.base, over, size);
    return new RegFile(RegFile.fold(this.base, over), null, size);
  }

  /** `base` with the changes applied, oldest first. */
  private static fold(base: ReadonlyMap<string, AVal>, over: Change | null): Map<string, AVal> {
    const changes: Change[] = [];
    for (let c = over; c !== null; c = c.older) changes.push(c);
    const m = new Map(base);
    for (let i = changes.length - 1; i >= 0; i -= 1) {
      const c = changes[i] as Change;
      if (c.v === null) m.delete(c.r);
      else m.set(c.r, c.v);
    }
    return m;
  }

  private flat(): Map<string, AVal> {
    this.#flat ??= RegFile.fold(this.base, this.over);
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
