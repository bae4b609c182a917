/**
 * A table of numbered entries in a map's state: its element memory (`BpfMap.slots`), its elements by
 * key (`elems`), an LRU's links, lists and bits, a QUEUE's or STACK's ring, a BLOOM_FILTER's bits; and
 * the world's own tables by id of maps, `bpf_task_work` contexts and programs (world/state.ts). A
 * persistent 32-way trie of plain arrays, which immer drafts node by node. A `Map` or an array in the
 * cold state is drafted whole: the first look at one of its values from a transition copied it, and a
 * map of `max_entries` preallocated elements paid for all of them on every syscall (issue 17: a HASH
 * map of 100,000 entries took 36 ms an update). Here a transition copies only the nodes on the paths
 * it touches, so a call costs the same whatever the map's size; a table no transition touches is
 * shared between worlds.
 *
 * It has the `Map` methods the model uses, and iterates its ids in ascending order. On a draft (a
 * transition's `mapOf`), `get` gives the element memory drafted, to change in place; on a world's
 * map, what the world holds, read-only.
 */
import { immerable } from 'immer';

const BITS = 5;
const WIDTH = 1 << BITS;
const MASK = WIDTH - 1;

/** A node: `WIDTH` children (nodes, or values at the bottom level). Untyped, so that immer's `Immutable` of a table does not recurse. */
type Node = unknown[];

function newNode(): Node {
  return new Array<unknown>(WIDTH).fill(undefined);
}

/**
 * The bottom-level node of `t` that holds `id`, if there is one. A function, not a private method: a
 * draft is a proxy of the table, which a `#` member would refuse.
 */
function leafOf(t: { readonly root: unknown[]; readonly shift: number }, id: number): Node | undefined {
  if (!Number.isSafeInteger(id) || id < 0 || id >= WIDTH * 2 ** t.shift) return undefined;
  let node: Node | undefined = t.root;
  for (let s = t.shift; s > 0 && node !== undefined; s -= BITS) node = node[Math.floor(id / 2 ** s) & MASK] as Node | undefined;
  return node;
}

/** A table as a world's reader sees it: the `ReadonlyMap` reads the model makes, none of the methods that change it. */
export interface ReadonlySlotTable<V> extends Iterable<[number, V]> {
  readonly size: number;
  get(id: number): V | undefined;
  has(id: number): boolean;
  keys(): Iterable<number>;
  values(): Iterable<V>;
  entries(): Iterable<[number, V]>;
}

export class SlotTable<V> implements ReadonlySlotTable<V> {
  [immerable] = true;
  /** The root node (`WIDTH` children: nodes, or entries at the bottom level); ids below 32 · 2^shift fit under it. */
  root: unknown[];
  /** The bits of an id the root's index takes, less `BITS` (0: the root holds values). */
  shift: number;
  size: number;

  constructor() {
    this.root = newNode();
    this.shift = 0;
    this.size = 0;
  }

  get(id: number): V | undefined {
    return leafOf(this, id)?.[id & MASK] as V | undefined;
  }

  has(id: number): boolean {
    return this.get(id) !== undefined;
  }

  set(id: number, value: V): this {
    if (!Number.isSafeInteger(id) || id < 0) throw new RangeError(`element memory id ${id}`);
    while (id >= WIDTH * 2 ** this.shift) {
      const up = newNode();
      up[0] = this.root;
      this.root = up;
      this.shift += BITS;
    }
    let node = this.root;
    for (let s = this.shift; s > 0; s -= BITS) {
      const i = Math.floor(id / 2 ** s) & MASK;
      let child = node[i] as Node | undefined;
      if (child === undefined) {
        child = newNode();
        node[i] = child;
      }
      node = child;
    }
    if (node[id & MASK] === undefined) this.size += 1;
    node[id & MASK] = value;
    return this;
  }

  delete(id: number): boolean {
    const leaf = leafOf(this, id);
    if (leaf === undefined || leaf[id & MASK] === undefined) return false;
    leaf[id & MASK] = undefined;
    this.size -= 1;
    return true;
  }


  *entries(): Generator<[number, V]> {
    const stack: { node: Node; shift: number; base: number; i: number }[] = [{ node: this.root, shift: this.shift, base: 0, i: 0 }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as { node: Node; shift: number; base: number; i: number };
      if (top.i >= WIDTH) {
        stack.pop();
        continue;
      }
      const i = top.i;
      top.i += 1;
      const v = top.node[i];
      if (v === undefined) continue;
      const id = top.base + i * 2 ** top.shift;
      if (top.shift === 0) yield [id, v as V];
      else stack.push({ node: v as Node, shift: top.shift - BITS, base: id, i: 0 });
    }
  }

  *keys(): Generator<number> {
    for (const [id] of this.entries()) yield id;
  }

  *values(): Generator<V> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): Generator<[number, V]> {
    return this.entries();
  }
}
