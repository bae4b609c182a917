/**
 * What a kptr field holds at run time, and how a kfunc names one (src/model/kptr). Plain shapes (the
 * register values of task/types.ts `RegVal` they are), so that element memory (maps/types.ts) can
 * hold them without the task layer's types.
 */

/**
 * A kptr field's content: a pointer to a structure the model knows, or NULL. A referenced kptr
 * (`__kptr`) holds a reference on its task (`rcu_users`, the task's `usage`), moved in and out by
 * `bpf_kptr_xchg`; an untrusted one (`__kptr_untrusted`) holds a plain pointer.
 */
export type KptrVal =
  | { readonly ptr: 'task'; readonly pid: number }
  | { readonly ptr: 'file'; readonly file: number }
  | { readonly ptr: 'inode'; readonly ino: number }
  | null;

/**
 * `&value->field` of a kptr field: the map (its id), the element memory of the value (`slot`, as a
 * value pointer names it), the key it was looked up with, and the field's index among the value's kptrs.
 */
export interface KptrRef {
  readonly map: number;
  readonly key: number;
  readonly slot: number;
  readonly field: number;
}

/** A kptr field as a caller of the TypeScript API names it: the slot may be left out (the memory of the element now holding `key`). */
export type KptrArg = Omit<KptrRef, 'slot'> & { readonly slot?: number };
