/**
 * The world's index of names (`world.names`): what a name that user space or a scenario gives stands
 * for, found with one lookup instead of a walk of every loaded object or every map (issue 17: a task's
 * `map_update` of the last of 4,000 maps cost 6× what it cost among 16, a `set_global` or a test run
 * among 1,000 objects 7× and 11×).
 *
 * The index is derived: `Tables.addObject` files an object's names when it is loaded (objects are never
 * unloaded, and their names never change), `createMap` and `closeUnusedMap` (maps/maps.ts) file and
 * unfile a map's. Each name of each kind holds its ids in ascending order, which is the order the walks
 * it replaces went in (ids are handed out in increasing order: a new entry goes last), so "the first
 * one that has it" is the first id.
 */

/**
 * What a name is filed as:
 * - `object`: loaded objects (`BpfObject.name`), by object id;
 * - `global`: the loaded objects that have a global of that name, by object id;
 * - `prog`: the loaded objects that have a loaded program of that name, by object id;
 * - `map`: every map of the world with that name (an object's, or one made by `BPF_MAP_CREATE`), by map id;
 * - `mapType`: every map of the world of that type (`task_storage`, …: `MapType`), by map id.
 */
export type NameKind = 'object' | 'global' | 'prog' | 'map' | 'mapType';

/** A key of the index: the kind, a space, the name (the first space ends the kind: a name may hold spaces). */
export type NameKey = string;

export function nameKey(kind: NameKind, name: string): NameKey {
  return `${kind} ${name}`;
}

const NONE: readonly number[] = Object.freeze([]);

/** The ids filed under `name` as `kind`, ascending; none: an empty list. */
export function named(names: ReadonlyMap<NameKey, readonly number[]>, kind: NameKind, name: string): readonly number[] {
  return names.get(nameKey(kind, name)) ?? NONE;
}

/** `ids` with `id` added at the end (it is newer than every id in it), as a new list. */
export function withId(ids: readonly number[] | undefined, id: number): readonly number[] {
  return Object.freeze(ids === undefined ? [id] : [...ids, id]);
}

/** `ids` without `id`, as a new list; undefined when none is left. */
export function withoutId(ids: readonly number[] | undefined, id: number): readonly number[] | undefined {
  const rest = (ids ?? NONE).filter((x) => x !== id);
  return rest.length === 0 ? undefined : Object.freeze(rest);
}
