/**
 * A persistent map keyed by the ids the world hands out (inodes, files, FILE dynptr states, tasks,
 * loaded objects): a radix trie of 16-way nodes. Changing k keys copies the k paths from the root
 * (a few nodes each), never the whole table, so a transition's cost does not grow with the number of
 * files opened or tasks spawned so far. It iterates in key order, which is the order the ids were
 * handed out: the order a `Map` filled by the same transitions iterates in.
 *
 * During a transition the changes go to an `Overlay` (reads see them first); `Overlay.applied` makes the
 * new table from the old one and the changes when the transition ends.
 */
import { KernsimError } from '../kernel/errors.ts';
import { FirstMap } from './first_map.ts';

const BITS = 4;
const WIDTH = 1 << BITS;
const MASK = WIDTH - 1;
/** Keys are below 2^30 (ids count up from 1; a world never hands out a billion). */
const MAX_KEY = 2 ** 30;

type Node = unknown[];

/** The root of an empty table, to walk (never changed: `apply` starts a table of its own). */
const EMPTY_NODE: Node = Object.freeze(new Array<unknown>(WIDTH)) as Node;

/** How many keys a trie whose root is at `shift` holds (powers of two up to 2^32: not 32-bit shifts). */
const CAPACITY: readonly number[] = Array.from({ length: 33 }, (_, shift) => 2 ** (shift + BITS));
function capacity(shift: number): number {
  return CAPACITY[shift] as number;
}

/**
 * The entries, keys or values under `node` (keys from `base`), depth first: keys ascending. One
 * generator per level of the trie (a table of up to 16 ids is one), and none wrapped in another:
 * each `yield*` and each wrapping generator costs a resumption per element.
 */
function* walk<V>(node: Node, shift: number, base: number): Generator<[number, V]> {
  for (let i = 0; i < WIDTH; i += 1) {
    const child = node[i];
    if (child === undefined) continue;
    if (shift === 0) yield [base + i, child as V];
    else yield* walk<V>(child as Node, shift - BITS, base + i * 2 ** shift);
  }
}

function* walkKeys(node: Node, shift: number, base: number): Generator<number> {
  for (let i = 0; i < WIDTH; i += 1) {
    const child = node[i];
    if (child === undefined) continue;
    if (shift === 0) yield base + i;
    else yield* walkKeys(child as Node, shift - BITS, base + i * 2 ** shift);
  }
}

function* walkValues<V>(node: Node, shift: number): Generator<V> {
  for (let i = 0; i < WIDTH; i += 1) {
    const child = node[i];
    if (child === undefined) continue;
    if (shift === 0) yield child as V;
    else yield* walkValues<V>(child as Node, shift - BITS);
  }
}

function visitEntries(node: Node, shift: number, base: number, fn: (v: unknown, k: number) => void): void {
  for (let i = 0; i < WIDTH; i += 1) {
    const child = node[i];
    if (child === undefined) continue;
    if (shift === 0) fn(child, base + i);
    else visitEntries(child as Node, shift - BITS, base + i * 2 ** shift, fn);
  }
}

function visit(node: Node, shift: number, fn: (v: unknown) => void): void {
  for (let i = 0; i < WIDTH; i += 1) {
    const child = node[i];
    if (child === undefined) continue;
    if (shift === 0) fn(child);
    else visit(child as Node, shift - BITS, fn);
  }
}

/**
 * `fn` on each key under `a` (a node at `sa`) and `b` (at `sb`) whose values differ, keys from `base`.
 * A trie of fewer levels is the first child of a taller one (its keys are the low ones).
 */
function diffNodes(a: Node, sa: number, b: Node, sb: number, base: number, fn: (key: number) => void): void {
  if (a === b && sa === sb) return;
  if (sa !== sb) {
    const [tall, st, low, sl] = sa > sb ? [a, sa, b, sb] : [b, sb, a, sa];
    const first = tall[0] as Node | undefined;
    diffNodes(first ?? EMPTY_NODE, st - BITS, low, sl, base, fn);
    for (let i = 1; i < WIDTH; i += 1) {
      const child = tall[i];
      if (child !== undefined) eachKey(child as Node, st - BITS, base + i * 2 ** st, fn);
    }
    return;
  }
  for (let i = 0; i < WIDTH; i += 1) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    const key = base + i * 2 ** sa;
    if (sa === 0) fn(key);
    else if (x === undefined) eachKey(y as Node, sa - BITS, key, fn);
    else if (y === undefined) eachKey(x as Node, sa - BITS, key, fn);
    else diffNodes(x as Node, sa - BITS, y as Node, sa - BITS, key, fn);
  }
}

function eachKey(node: Node, shift: number, base: number, fn: (key: number) => void): void {
  visitEntries(node, shift, base, (_, k) => fn(k));
}

/** A change an `Overlay` records: a new value, or the key's removal. */
export const GONE: unique symbol = Symbol('gone');
export type Change<V> = V | typeof GONE;

export class IdTable<V> implements ReadonlyMap<number, V> {
  readonly #root: Node | null;
  /** Bits of the key below the root's level. */
  readonly #shift: number;
  readonly #size: number;
  /** How many keys the trie can hold: `capacity(shift)`. */
  readonly #cap: number;

  constructor(root: Node | null = null, shift = 0, size = 0) {
    this.#root = root;
    this.#shift = shift;
    this.#size = size;
    this.#cap = capacity(shift);
  }

  get size(): number {
    return this.#size;
  }

  get(key: number): V | undefined {
    let node = this.#root;
    if (node === null || key < 0 || key >= this.#cap) return undefined;
    for (let shift = this.#shift; shift > 0; shift -= BITS) {
      node = node[(key >>> shift) & MASK] as Node | undefined ?? null;
      if (node === null) return undefined;
    }
    return node[key & MASK] as V | undefined;
  }

  has(key: number): boolean {
    return this.get(key) !== undefined;
  }

  entries(): MapIterator<[number, V]> {
    return walk<V>(this.#root ?? EMPTY_NODE, this.#shift, 0);
  }

  /** `fn` on every value, keys ascending (no iterator objects: for a walk over a large table). */
  eachValue(fn: (value: V) => void): void {
    if (this.#root !== null) visit(this.#root, this.#shift, fn as (v: unknown) => void);
  }

  keys(): MapIterator<number> {
    return walkKeys(this.#root ?? EMPTY_NODE, this.#shift, 0);
  }

  values(): MapIterator<V> {
    return walkValues<V>(this.#root ?? EMPTY_NODE, this.#shift);
  }

  forEach(fn: (value: V, key: number, map: ReadonlyMap<number, V>) => void): void {
    if (this.#root !== null) visitEntries(this.#root, this.#shift, 0, (v, k) => fn(v as V, k, this));
  }

  [Symbol.iterator](): MapIterator<[number, V]> {
    return this.entries();
  }

  /**
   * `fn` on each key whose value differs between `a` and `b` (in one only, or another value): the
   * nodes they share are skipped, so a table and one made from it by `apply` cost O(changes · depth).
   */
  static diffKeys<V>(a: IdTable<V>, b: IdTable<V>, fn: (key: number) => void): void {
    diffNodes(a.#root ?? EMPTY_NODE, a.#shift, b.#root ?? EMPTY_NODE, b.#shift, 0, fn);
  }

  /** The table with `changes` made (copying only the paths to the changed keys). */
  static apply<V>(t: IdTable<V>, changes: Changes<V>): IdTable<V> {
    if (changes.size === 0) return t;
    const edit = new Edit<V>(t.#root, t.#shift, t.#size, changes.size > 1);
    changes.forEach((change, key) => { edit.change(key, change); });
    return new IdTable<V>(edit.root, edit.shift, edit.size);
  }
}

/** What `IdTable.apply` takes: the changes by key (a `Map`, a `FirstMap`). */
export interface Changes<V> {
  readonly size: number;
  forEach(fn: (change: Change<V>, key: number) => void): void;
}

/** A trie being changed by one `apply`: its root, height and size so far, and the nodes it copied. */
class Edit<V> {
  readonly #fresh: Fresh;

  constructor(
    public root: Node | null,
    public shift: number,
    public size: number,
    track: boolean,
  ) {
    this.#fresh = new Fresh(track);
  }

  /** Make the change of `key`. */
  change(key: number, change: Change<V>): void {
    if (!Number.isInteger(key) || key < 0 || key >= MAX_KEY) throw new KernsimError(`id ${key} outside the table's range [0, 2^30)`);
    if (change === GONE && (this.root === null || key >= capacity(this.shift))) return;
    const fresh = this.#fresh;
    let root = this.root;
    if (root === null) {
      root = freshNode(fresh);
      this.shift = 0;
    }
    while (key >= capacity(this.shift)) {
      const up = freshNode(fresh);
      up[0] = root;
      root = up;
      this.shift += BITS;
    }
    root = ownNode(root, fresh);
    this.root = root;
    let node = root;
    for (let s = this.shift; s > 0; s -= BITS) {
      const i = (key >>> s) & MASK;
      const child = node[i] as Node | undefined;
      const mine = child === undefined ? freshNode(fresh) : ownNode(child, fresh);
      node[i] = mine;
      node = mine;
    }
    const i = key & MASK;
    const had = node[i] !== undefined;
    if (change === GONE) {
      if (had) this.size -= 1;
      node[i] = undefined;
    } else {
      if (!had) this.size += 1;
      node[i] = change;
    }
  }
}

/**
 * The nodes one `apply` has copied: a later change on the same path changes them in place. A list
 * while it is short (most transitions change a few keys), a set past that: a scan of a long list
 * made `apply` quadratic in its changes (a run over 10,000 tasks changes 10,000). An `apply` of one
 * change visits no node twice: it keeps none (`track` false).
 */
class Fresh {
  readonly #track: boolean;
  readonly #list: Node[] = [];
  #set: Set<Node> | null = null;

  constructor(track: boolean) {
    this.#track = track;
  }

  has(node: Node): boolean {
    if (!this.#track) return false;
    if (this.#set !== null) return this.#set.has(node);
    const list = this.#list;
    for (let i = 0; i < list.length; i += 1) if (list[i] === node) return true;
    return false;
  }

  add(node: Node): void {
    if (!this.#track) return;
    if (this.#set !== null) {
      this.#set.add(node);
      return;
    }
    this.#list.push(node);
    if (this.#list.length > 32) this.#set = new Set(this.#list);
  }
}

/** A new empty node, recorded in `fresh`. */
function freshNode(fresh: Fresh): Node {
  const node = new Array<unknown>(WIDTH);
  fresh.add(node);
  return node;
}

/** `node`, or a copy of it recorded in `fresh` when it is not already one of this apply's copies. */
function ownNode(node: Node, fresh: Fresh): Node {
  if (fresh.has(node)) return node;
  const copy = node.slice();
  fresh.add(copy);
  return copy;
}
// immer asks a value's prototype for its own `constructor` to decide whether it is a plain object to
// draft; without one the answer is an immediate no (a table is a value immer never walks).
delete (IdTable.prototype as { constructor?: unknown }).constructor;

/**
 * A table being changed in a transition: reads see the changes first, then the table it started from.
 * Iterates as the changed table will: its keys ascending.
 */
export class Overlay<V> implements ReadonlyMap<number, V> {
  readonly #changes = new FirstMap<Change<V>>();

  constructor(readonly base: IdTable<V>) {}

  get(key: number): V | undefined {
    const c = this.#changes.get(key);
    if (c !== undefined) return c === GONE ? undefined : c;
    return this.base.get(key);
  }

  has(key: number): boolean {
    return this.get(key) !== undefined;
  }

  set(key: number, value: V): this {
    this.#changes.set(key, value);
    return this;
  }

  delete(key: number): boolean {
    const had = this.has(key);
    this.#changes.set(key, GONE);
    return had;
  }

  /** The table it started from with its changes made (`IdTable.apply`). */
  applied(): IdTable<V> {
    return IdTable.apply(this.base, this.#changes);
  }

  get size(): number {
    return this.applied().size;
  }

  entries(): MapIterator<[number, V]> {
    return this.applied().entries();
  }

  keys(): MapIterator<number> {
    return this.applied().keys();
  }

  values(): MapIterator<V> {
    return this.applied().values();
  }

  forEach(fn: (value: V, key: number, map: ReadonlyMap<number, V>) => void): void {
    for (const [k, v] of this.entries()) fn(v, k, this);
  }

  [Symbol.iterator](): MapIterator<[number, V]> {
    return this.entries();
  }
}
