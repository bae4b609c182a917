/**
 * `bpf_for_each_map_elem`'s walk (kernel/bpf/hashtab.c `bpf_for_each_hash_elem`, arraymap.c
 * `bpf_for_each_array_elem`): which element the callback gets next. The interpreter runs the callback
 * and keeps the cursor between two calls (src/scheduler/interp.ts).
 *
 * - An array: every index from 0 to max_entries − 1, whatever the callback does.
 * - A hash map: the buckets in order (buckets.ts), each bucket's list from its head as it is when the
 *   walk reaches the bucket; the element after the one visited is taken before the callback runs
 *   (`hlist_nulls_for_each_entry_safe`), so the callback may delete (or replace) the element it was
 *   given, and a key it adds to a later bucket is visited. When the callback unlinks that next
 *   element, the kernel goes on through the unlinked element's stale link (RCU keeps it readable):
 *   a `NotModelledError`.
 */
import { NotModelledError } from '../kernel/errors.ts';
import type { Kern } from '../world/world.ts';
import { isArray } from './alloc_check.ts';
import { bucketsSeen, mapSeen } from './maps.ts';
import type { EachCursor, MapId } from './types.ts';


/** The element the walk of map `id` gives the callback next (`cursor` null: the first), and the cursor after it; null when the walk is over. */
export function eachNext(k: Kern, id: MapId, cursor: EachCursor | null): { key: number; slot: number; cursor: EachCursor } | null {
  const m = mapSeen(k, id);
  if (isArray(m)) {
    const i = cursor === null ? 0 : cursor.bucket;
    const e = i < m.maxEntries ? m.elems.get(i) : undefined;
    return e === undefined ? null : { key: i, slot: e.slot, cursor: { bucket: i + 1, next: null } };
  }
  const buckets = bucketsSeen(k, m);
  let e: { key: number; slot: number; bucket: number } | null;
  if (cursor === null) e = buckets.first(0);
  else if (cursor.next !== null) {
    const { key, slot } = cursor.next;
    if (m.elems.get(key)?.slot !== slot) {
      throw new NotModelledError(`bpf_for_each_map_elem over ${m.name} after its callback unlinked key ${key}, the next element of the walk`, 'the kernel goes on through the unlinked element\'s stale link');
    }
    e = { key, slot, bucket: cursor.bucket };
  } else e = buckets.first(cursor.bucket + 1);
  if (e === null) return null;
  const after = buckets.next(e.key);
  return { key: e.key, slot: e.slot, cursor: { bucket: e.bucket, next: after === null ? null : { key: after.key, slot: after.slot } } };
}
