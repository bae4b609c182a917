/**
 * The kfunc table: every kfunc the model knows, under its kernel name. Everything else (the public
 * functions, the session methods, `explain`, the docs) is generated from this one table.
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
import { invoke, type AnyKfunc, type ArgSpec, type ArgsIn, type KfuncDef, type RetOf, type RetType } from './kfunc.ts';
import type { Kern } from './world.ts';

export const KFUNCS = {
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
} as const;

export type KfuncName = keyof typeof KFUNCS;
export type KfuncArgs<N extends KfuncName> = (typeof KFUNCS)[N] extends KfuncDef<infer A extends readonly ArgSpec[], RetType> ? ArgsIn<A> : never;
export type KfuncRet<N extends KfuncName> = (typeof KFUNCS)[N] extends KfuncDef<readonly ArgSpec[], infer R extends RetType> ? RetOf<R> : never;
/** The kfuncs as functions of their kernel arguments, bound to one transition. */
export type KfuncMethods = { readonly [N in KfuncName]: (...args: KfuncArgs<N>) => KfuncRet<N> };

export function isKfuncName(name: unknown): name is KfuncName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(KFUNCS, name);
}

export function kfuncDef(name: KfuncName): AnyKfunc {
  return KFUNCS[name] as unknown as AnyKfunc;
}

/** Bind every kfunc to the transition `k`: `kfuncsOf(k).bpf_dynptr_read(dst, 8, 'd', 0, 0)`. */
export function kfuncsOf(k: Kern): KfuncMethods {
  const out: Record<string, (...args: unknown[]) => unknown> = {};
  for (const name of Object.keys(KFUNCS) as KfuncName[]) {
    const def = kfuncDef(name);
    out[name] = (...args: unknown[]) => invoke(k, def, args);
  }
  return out as unknown as KfuncMethods;
}
