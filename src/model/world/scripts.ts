/**
 * The scripts of a world's spawned tasks, one copy of each, by its JSON text (`HotState.scripts`):
 * tasks spawned with equal scripts share that copy (`Tables.sharedScript`), so a world of many like
 * tasks holds their script once, and a step reads it where the other tasks' steps left it in the
 * caches. Nothing reads it but a spawn: what a task does is its own `script`.
 *
 * A value: `with` makes a new table that shares every node with this one (sorted-btree's `clone`,
 * O(1), then a `set` that copies the path it changes), so every earlier world keeps the copies it had.
 */
import { BTree } from '../../pagecache/index.ts';
import type { Syscall } from '../task/types.ts';

/** A script's value as its text writes it: a bigint (an integer given as text) as its digits and `n`. */
const scriptValue = (_key: string, v: unknown): unknown => (typeof v === 'bigint' ? `${v}n` : v);

/**
 * The text a script is filed under: its JSON, an integer given as text written as its bigint's digits
 * and `n`. A parsed script holds nothing else, and no field holds both a string and an integer, so two
 * scripts have the same text exactly when they are equal.
 */
export function scriptText(script: readonly Syscall[]): string {
  // A replacer is called for every key and value (a case's spawn of two syscalls spent some 1.4 µs in
  // it, bench/README.md "Cases, stop 61"); most scripts hold no bigint and need none.
  return holdsBigint(script) ? JSON.stringify(script, scriptValue) : JSON.stringify(script);
}

/** Whether a bigint is anywhere in `v` (a parsed script: arrays and plain objects of plain values). */
function holdsBigint(v: unknown): boolean {
  if (typeof v === 'bigint') return true;
  if (v === null || typeof v !== 'object') return false;
  if (Array.isArray(v)) {
    for (const x of v) if (holdsBigint(x)) return true;
    return false;
  }
  for (const key in v) if (holdsBigint((v as Record<string, unknown>)[key])) return true;
  return false;
}

export class ScriptTable {
  static readonly EMPTY = new ScriptTable(new BTree<string, readonly Syscall[]>());

  // Private: a world written as JSON shows the table as `{}`, as it shows its other tables.
  readonly #tree: BTree<string, readonly Syscall[]>;

  private constructor(tree: BTree<string, readonly Syscall[]>) {
    this.#tree = tree;
  }

  /** How many distinct scripts it holds. */
  get size(): number {
    return this.#tree.size;
  }

  /** The copy filed under `text`, or undefined. */
  get(text: string): readonly Syscall[] | undefined {
    return this.#tree.get(text);
  }

  /** The texts and their scripts, in the order of the texts. */
  entries(): IterableIterator<[string, readonly Syscall[]]> {
    return this.#tree.entries();
  }

  /** This table with `script` filed under `text`. */
  with(text: string, script: readonly Syscall[]): ScriptTable {
    const tree = this.#tree.clone();
    tree.set(text, script);
    return new ScriptTable(tree);
  }
}
