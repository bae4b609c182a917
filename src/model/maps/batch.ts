/**
 * User space's batch map commands (kernel/bpf/syscall.c `bpf_map_do_batch`): BPF_MAP_LOOKUP_BATCH,
 * BPF_MAP_LOOKUP_AND_DELETE_BATCH, BPF_MAP_UPDATE_BATCH and BPF_MAP_DELETE_BATCH.
 *
 * - **The fd.** A lookup needs a readable fd, the others a writable one, a lookup-and-delete both
 *   (-EPERM); then a map type without the command is -ENOTSUPP (an array has no delete nor
 *   lookup-and-delete batch, a ring buffer no batch at all).
 * - **A hash map's lookups** (hashtab.c `__htab_map_lookup_and_delete_batch`) go bucket by bucket
 *   (buckets.ts), from bucket `in_batch` (NULL: 0; past the last, -ENOENT), copying whole buckets,
 *   each from its head: a bucket that does not fit in what is left of `count` stops the batch there
 *   (-ENOSPC when nothing was copied yet). `out_batch` is the bucket to go on from; reaching the end
 *   is -ENOENT, with what was copied. A lookup-and-delete deletes each bucket it copied, the
 *   elements freed in the reverse of their order (`node_to_free` is a stack).
 * - **An array's lookup** (`generic_map_lookup_batch`) follows BPF_MAP_GET_NEXT_KEY from the key
 *   `in_batch` (NULL: the first); `out_batch` is the last key copied; the end is -ENOENT.
 * - **Updates and deletes** (`generic_map_update_batch`, `generic_map_delete_batch`) are the single
 *   commands, key after key, stopping at the first error; `count` says how many were done.
 * - **Flags.** Before 7.0 any `elem_flags` but BPF_F_LOCK is -EINVAL, and BPF_F_LOCK too (no value
 *   has a spin lock). From 7.0 `bpf_map_check_op_flags` with BPF_F_LOCK (and BPF_F_CPU for a per-CPU
 *   map's lookups, BPF_F_CPU and BPF_F_ALL_CPUS for updates); a delete keeps the old test. A hash
 *   map's lookups refuse any `flags` (-EINVAL); an array's do not look at them.
 * - **The trace** has an event for each element a command updates or deletes, as the single commands do.
 */
import { EINVAL, ENOENT, ENOSPC, ENOTSUPP, EPERM } from '../kernel/errno.ts';
import { ArgumentError } from '../kernel/errors.ts';
import { emit, type Kern } from '../world/world.ts';
import { isArray, isBloom, isQueueStack, isTaskStorage, sysAccess } from './alloc_check.ts';
import { nBuckets, type BucketElem } from './buckets.ts';
import { bucketsSeen, copyValueOut, deleteElem, mapOf, mapSeen, slotOf, sysGetNextKey, updateValue } from './maps.ts';
import { BPF_F_ALL_CPUS, BPF_F_CPU, checkOpFlags, copyToUser, isPercpu, percpuUserSize } from './percpu.ts';
import type { Immutable } from 'immer';
import type { BpfMap, MapId } from './types.ts';

/** A map as a command reads it: the world's (or the transition's draft), not drafted for it. */
type Seen = Immutable<BpfMap>;

const BPF_F_LOCK = 4n;

/** What a batch lookup gives back: the result, `count`, `out_batch` (null: not written), the keys and their values end to end. */
export interface BatchLookup {
  readonly ret: number;
  readonly count: number;
  readonly outBatch: number | null;
  readonly keys: readonly number[];
  readonly values: Uint8Array;
}

/** What a batch update or delete gives back: the result, and how many keys were done. */
export interface BatchWrite {
  readonly ret: number;
  readonly count: number;
}

/** The bytes of one value in a batch (`bpf_map_value_size`): every CPU's copy of a per-CPU map's, one with BPF_F_CPU or BPF_F_ALL_CPUS (7.0). */
export function batchValueSize(k: Kern, m: Seen, elemFlags: bigint): number {
  if (!isPercpu(m)) return m.layout.size;
  return percpuUserSize(m.layout, k.t.cpus, k.features.percpuCpuFlags ? elemFlags : 0n);
}

/** `elem_flags`: before 7.0 none (BPF_F_LOCK needs a spin lock no value has); from 7.0 `bpf_map_check_op_flags` with `allowed`. */
function elemFlagsCheck(k: Kern, m: Seen, elemFlags: bigint, allowed: bigint): number {
  if (!k.features.percpuCpuFlags) return elemFlags !== 0n ? -EINVAL : 0;
  return checkOpFlags(m, elemFlags, allowed, k.t.cpus);
}

/** `bpf_map_do_batch`'s checks of the fd and of the map type: 0, or the errno. */
function batchAccess(m: Seen, read: boolean, write: boolean, has: boolean): number {
  const a = sysAccess(m);
  if ((read && !a.read) || (write && !a.write)) return -EPERM;
  return has ? 0 : -ENOTSUPP;
}

/** The types with batch commands at all: not a ring buffer, a queue, a stack, a bloom filter or a task storage (their ops have none). */
const batched = (m: Seen): boolean => m.type !== 'ringbuf' && !isQueueStack(m) && !isBloom(m) && !isTaskStorage(m);
const hashLike = (m: Seen): boolean => batched(m) && !isArray(m);

/** A batch lookup that copied nothing: its result, and `count` as the kernel left it (the user's, or 0 once it wrote that). */
const none = (ret: number, count = 0): BatchLookup => ({ ret, count, outBatch: null, keys: [], values: new Uint8Array(0) });

/**
 * BPF_MAP_LOOKUP_BATCH (`del` false) or BPF_MAP_LOOKUP_AND_DELETE_BATCH (`del` true) of up to
 * `maxCount` elements. The map is read as it is (not drafted); only a lookup-and-delete's deletes
 * change it, bucket by bucket, after the buckets were listed (a delete moves no other element).
 */
export function sysLookupBatch(k: Kern, id: MapId, inBatch: number | null, maxCount: number, elemFlags: bigint, flags: bigint, del: boolean): BatchLookup {
  const m = mapSeen(k, id);
  const access = batchAccess(m, true, del, batched(m) && (!del || hashLike(m)));
  if (access !== 0) return none(access, maxCount);
  if (isArray(m)) return arrayLookupBatch(k, m, inBatch, maxCount, elemFlags);
  const err = elemFlagsCheck(k, m, elemFlags, BPF_F_LOCK | (!del && isPercpu(m) ? BPF_F_CPU : 0n));
  if (err !== 0) return none(err, maxCount);
  if (flags !== 0n) return none(-EINVAL, maxCount);
  if (maxCount === 0) return none(0);
  const n = nBuckets(m.maxEntries);
  let batch = inBatch ?? 0;
  if (batch >= n) return none(-ENOENT);
  const size = batchValueSize(k, m, elemFlags);
  // The buckets as they are before any delete (a delete moves no other element).
  const buckets = bucketsSeen(k, m);
  const keys: number[] = [];
  const chunks: Uint8Array[] = [];
  let ret = 0;
  // The head of the first non-empty bucket from `batch` (the empty ones before it copy nothing).
  for (let head = buckets.first(batch); ; head = buckets.first(batch)) {
    if (head === null) {
      batch = n;
      ret = -ENOENT;
      break;
    }
    batch = head.bucket;
    const bucket: BucketElem[] = [];
    for (let e: BucketElem | null = head; e !== null; e = buckets.next(e.key)) bucket.push(e);
    if (bucket.length > maxCount - keys.length) {
      if (keys.length === 0) ret = -ENOSPC;
      break;
    }
    for (const e of bucket) {
      keys.push(e.key);
      chunks.push(valueOut(k, m, e.slot, size, elemFlags));
    }
    // node_to_free: the bucket's elements freed last first.
    if (del) for (const e of [...bucket].reverse()) emit(k, { kind: 'map', t: k.t.now, op: 'lookup_and_delete', map: m.name, key: e.key, ret: deleteElem(k, id, e.key) });
    batch += 1;
    if (batch >= n) {
      ret = -ENOENT;
      break;
    }
  }
  return { ret, count: keys.length, outBatch: batch, keys, values: concat(chunks, size) };
}

/** `generic_map_lookup_batch` (ARRAY, PERCPU_ARRAY): BPF_MAP_GET_NEXT_KEY from `inBatch`, each value copied. */
function arrayLookupBatch(k: Kern, m: Seen, inBatch: number | null, maxCount: number, elemFlags: bigint): BatchLookup {
  const err = elemFlagsCheck(k, m, elemFlags, BPF_F_LOCK | BPF_F_CPU);
  if (err !== 0) return none(err, maxCount);
  if (maxCount === 0) return none(0);
  const size = batchValueSize(k, m, elemFlags);
  const keys: number[] = [];
  const chunks: Uint8Array[] = [];
  let prev = inBatch;
  let ret = 0;
  while (keys.length < maxCount) {
    const key = sysGetNextKey(k, m.id, prev);
    if (key < 0) {
      ret = key;
      break;
    }
    const e = m.elems.get(key);
    if (e !== undefined) {
      keys.push(key);
      chunks.push(valueOut(k, m, e.slot, size, elemFlags));
    }
    prev = key;
  }
  return { ret, count: keys.length, outBatch: keys.length > 0 ? (keys[keys.length - 1] as number) : null, keys, values: concat(chunks, size) };
}

/** BPF_MAP_UPDATE_BATCH: `keys[i]` from `values`' i-th value (`batchValueSize` bytes each), stopping at the first error. */
export function sysUpdateBatch(k: Kern, id: MapId, keys: readonly number[], values: Uint8Array, elemFlags: bigint): BatchWrite {
  const m = mapOf(k, id);
  const access = batchAccess(m, false, true, batched(m));
  if (access !== 0) return { ret: access, count: keys.length };
  const err = elemFlagsCheck(k, m, elemFlags, BPF_F_LOCK | BPF_F_CPU | BPF_F_ALL_CPUS);
  if (err !== 0) return { ret: err, count: keys.length };
  const size = batchValueSize(k, m, elemFlags);
  if (values.length < keys.length * size) throw new ArgumentError('values', values, `a Uint8Array of at least ${keys.length} × ${size} bytes (one value of map ${m.name} per key)`);
  let cp = 0;
  let ret = 0;
  for (; cp < keys.length; cp += 1) {
    ret = updateValue(k, id, keys[cp] as number, values.subarray(cp * size, (cp + 1) * size), elemFlags);
    emit(k, { kind: 'map', t: k.t.now, op: 'update', map: m.name, key: keys[cp] as number, ret });
    if (ret !== 0) break;
  }
  return { ret, count: cp };
}

/** BPF_MAP_DELETE_BATCH: `keys` deleted in order, stopping at the first error (a missing key's -ENOENT). */
export function sysDeleteBatch(k: Kern, id: MapId, keys: readonly number[], elemFlags: bigint): BatchWrite {
  const m = mapOf(k, id);
  const access = batchAccess(m, false, true, hashLike(m));
  if (access !== 0) return { ret: access, count: keys.length };
  if (elemFlags !== 0n) return { ret: -EINVAL, count: keys.length };
  let cp = 0;
  let ret = 0;
  for (; cp < keys.length; cp += 1) {
    ret = deleteElem(k, id, keys[cp] as number);
    emit(k, { kind: 'map', t: k.t.now, op: 'delete', map: m.name, key: keys[cp] as number, ret });
    if (ret !== 0) break;
  }
  return { ret, count: cp };
}

/** An element's value as a lookup copies it out (`size` bytes: every CPU's copy of a per-CPU value, or BPF_F_CPU's one). */
function valueOut(k: Kern, m: Seen, slot: number, size: number, elemFlags: bigint): Uint8Array {
  const out = new Uint8Array(size);
  if (isPercpu(m)) copyToUser(slotOf(m, slot).data, m.layout, k.t.cpus, out, elemFlags);
  else copyValueOut(m, slotOf(m, slot), out);
  return out;
}

function concat(chunks: readonly Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(chunks.length * size);
  chunks.forEach((c, i) => out.set(c, i * size));
  return out;
}

