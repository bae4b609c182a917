/**
 * Kfunc tables as methods: the types of a table's kfuncs as functions of their kernel arguments, and
 * binding a table's kfuncs to a transition (the session's methods, `kfuncsOf`).
 */
import { invoke, type AnyKfunc, type ArgSpec, type ArgsIn, type KfuncDef, type RetOf, type RetType } from './kfunc.ts';
import type { Kern } from '../world/world.ts';

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
