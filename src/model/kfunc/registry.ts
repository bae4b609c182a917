/**
 * The kfunc registry: every kfunc and helper kernsim models, under its kernel name, in one place.
 * Each concept registers its own table here when its `kfuncs.ts` loads (dynptr/, fs/, maps/,
 * helpers/ in this layer; src/task_work above it), and adds the table's type to `KfuncRegistry` by
 * declaration merging, so no layer assembles the others' kfuncs. A layer's `kfuncs.ts` loads the
 * layers below it first, so importing the top one (src/task_work/kfuncs.ts) registers all of them.
 *
 * The registry is filled while modules load and never changes afterwards; registering a name twice is
 * an error. Everything generated from kfuncs (the session's methods, the public functions, the
 * verifier's and interpreter's lookups, `explain`, the docs) reads it.
 */
import { KernsimError } from '../kernel/errors.ts';
import type { AnyKfunc } from './kfunc.ts';

/**
 * The kfuncs by name, as types. Empty here: each concept's `kfuncs.ts` adds its table with
 * `declare module '…/kfunc/registry.ts' { interface KfuncRegistry extends TheirTable {} }`.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface KfuncRegistry {}

const table: Record<string, AnyKfunc> = Object.create(null) as Record<string, AnyKfunc>;

/** Add a concept's kfuncs (a table of definitions by their kernel names) to the registry. Returns the table. */
export function registerKfuncs<T extends object>(defs: T): T {
  for (const [name, def] of Object.entries(defs) as [string, AnyKfunc][]) {
    if (name !== def.name) throw new KernsimError(`kfunc table key ${name} names ${def.name}`);
    const old = table[name];
    if (old !== undefined && old !== def) throw new KernsimError(`kfunc ${name} is registered twice`);
    table[name] = def;
  }
  return defs;
}

/** Every registered kfunc, by kernel name, in the order they were registered. */
export const KFUNCS: Readonly<KfuncRegistry> = table as unknown as Readonly<KfuncRegistry>;

/** The definition of kfunc `name`, or undefined when no layer registered one. */
export function kfuncDef(name: string): AnyKfunc | undefined {
  return table[name];
}
