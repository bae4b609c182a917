/**
 * The kfunc table of the model layer: every kfunc and helper it defines, under its kernel name. The
 * task_work kfuncs are added by src/task_work (`ALL_KFUNCS` there); everything else (the public
 * functions, the session methods, `explain`, the docs) is generated from the tables, not typed twice.
 */
import { bpf_dynptr_adjust } from './dynptr/adjust.ts';
import { bpf_dynptr_clone } from './dynptr/clone.ts';
import { bpf_dynptr_file_discard } from './dynptr/file_discard.ts';
import { bpf_dynptr_from_file } from './dynptr/from_file.ts';
import { bpf_dynptr_from_mem } from './dynptr/from_mem.ts';
import { bpf_dynptr_is_null, bpf_dynptr_is_rdonly, bpf_dynptr_size } from './dynptr/query.ts';
import { bpf_dynptr_read } from './dynptr/read.ts';
import { bpf_dynptr_data, bpf_dynptr_slice, bpf_dynptr_slice_rdwr } from './dynptr/slice.ts';
import { bpf_dynptr_write } from './dynptr/write.ts';
import { bpf_get_task_exe_file, bpf_put_file } from './fs_kfuncs.ts';
import { bpf_copy_from_user_str, bpf_get_current_pid_tgid, bpf_get_current_task_btf, bpf_map_delete_elem, bpf_map_lookup_elem, bpf_map_update_elem } from './helpers.ts';
import { invoke, type AnyKfunc, type ArgSpec, type ArgsIn, type KfuncDef, type RetOf, type RetType } from './kfunc.ts';
import type { Kern } from './world.ts';

export const MODEL_KFUNCS = {
  bpf_dynptr_from_mem,
  bpf_dynptr_from_file,
  bpf_dynptr_read,
  bpf_dynptr_write,
  bpf_dynptr_adjust,
  bpf_dynptr_size,
  bpf_dynptr_is_null,
  bpf_dynptr_is_rdonly,
  bpf_dynptr_clone,
  bpf_dynptr_slice,
  bpf_dynptr_slice_rdwr,
  bpf_dynptr_data,
  bpf_dynptr_file_discard,
  bpf_get_task_exe_file,
  bpf_put_file,
  bpf_get_current_task_btf,
  bpf_get_current_pid_tgid,
  bpf_map_lookup_elem,
  bpf_map_update_elem,
  bpf_map_delete_elem,
  bpf_copy_from_user_str,
} as const;

/** A table of kfunc definitions by name. */
export type KfuncTable = { readonly [name: string]: KfuncDef<readonly ArgSpec[], RetType> };

export type ArgsOfDef<D> = D extends { readonly args: infer A extends readonly ArgSpec[] } ? ArgsIn<A> : never;
export type RetOfDef<D> = D extends { readonly ret: infer R extends RetType } ? RetOf<R> : never;
/** The kfuncs of table `T` as functions of their kernel arguments, bound to one transition. */
export type MethodsOf<T> = { readonly [N in keyof T]: (...args: ArgsOfDef<T[N]>) => RetOfDef<T[N]> };

/**
 * The kfuncs of `table` as methods of an object whose `k` is a transition: built once per table, so
 * binding them to a transition is one object, not one closure per kfunc.
 */
export function kfuncMethods<T extends object>(table: T): KfuncBinder<T> {
  const proto: Record<string, unknown> = {};
  for (const [name, def] of Object.entries(table)) {
    proto[name] = function (this: { readonly k: Kern }, ...args: unknown[]): unknown {
      return invoke(this.k, def as AnyKfunc, args);
    };
  }
  Object.freeze(proto);
  // A class over the prototype: binding is one small object, made the cheapest way JavaScript has.
  const Bound = class {
    constructor(readonly k: Kern) {}
  };
  Object.setPrototypeOf(Bound.prototype, proto);
  return { bind: (k: Kern) => new Bound(k) as unknown as MethodsOf<T> };
}

export interface KfuncBinder<T> {
  /** Every kfunc of the table bound to the transition `k`: `bind(k).bpf_dynptr_read(dst, 8, 'd', 0, 0)`. */
  readonly bind: (k: Kern) => MethodsOf<T>;
}
