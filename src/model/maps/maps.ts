/**
 * BPF maps (kernel/bpf/arraymap.c, hashtab.c, syscall.c). Values hold plain bytes and, for maps whose
 * value type has one, a `struct bpf_task_work` slot. When an element's special fields are freed
 * (`bpf_obj_free_fields`: delete, any ARRAY update, replacement, the last user reference going away)
 * the map detaches the slot's context and hands it to the task_work layer as a deferred request
 * (`bpf_task_work_cancel_and_free`), because cancelling is that layer's rule.
 */
import { E2BIG, EEXIST, EINVAL, ENOENT, ENOTSUPP, EOPNOTSUPP } from '../kernel/errno.ts';
import { ArgumentError, UnknownHandleError } from '../kernel/errors.ts';
import type { MapDecl } from '../program/program.ts';
import type { BpfMap, MapElem, MapId } from './types.ts';
import { checkKern, defer, emit, type Kern } from '../world/world.ts';
import { checkShape } from '../kernel/args.ts';
import { MapDeclSchema } from '../program/schema.ts';
import { addRing, ringbufMapAllocCheck } from '../ringbuf/ring.ts';
import { charge } from '../world/budget.ts';

export const BPF_ANY = 0n;
export const BPF_NOEXIST = 1n;
export const BPF_EXIST = 2n;
/** Update under the value's `bpf_spin_lock` (include/uapi/linux/bpf.h); no value in the model has one. */
export const BPF_F_LOCK = 4n;

const TASK_WORK_MAPS = new Set(['array', 'hash', 'lru_hash']);

/**
 * `map_create` / `map_check_btf`: a value with a `bpf_task_work` is refused in other map types
 * (-EOPNOTSUPP, H); two such fields fail BTF parsing (-E2BIG: the field is a singleton, M).
 * A ring buffer is allocated first (`ringbuf_map_alloc`'s checks: ringbuf/ring.ts), and since its
 * value size is 0 no value type can match it: a `bpf_task_work` value is -EINVAL there (M: the
 * allocation runs before `map_check_btf`, which compares the value type's size with value_size).
 * Returns the map id or a negative errno.
 */
export function createMap(k: Kern, decl: MapDecl): MapId | number {
  checkKern('k', k);
  checkShape('decl', MapDeclSchema, decl);
  const ringbuf = decl.type === 'ringbuf';
  if (!Number.isSafeInteger(decl.maxEntries) || decl.maxEntries < (ringbuf ? 0 : 1)) throw new ArgumentError('maxEntries', decl.maxEntries, ringbuf ? 'a non-negative integer' : 'a positive integer');
  if (!Number.isSafeInteger(decl.valueSize) || decl.valueSize < 0) throw new ArgumentError('valueSize', decl.valueSize, 'a non-negative integer');
  const keySize = decl.keySize ?? (ringbuf ? 0 : 4);
  if (!Number.isSafeInteger(keySize) || keySize < 0) throw new ArgumentError('keySize', decl.keySize, 'a non-negative integer');
  const flags = decl.flags ?? 0;
  if (!Number.isSafeInteger(flags) || flags < 0 || flags > 0xffff_ffff) throw new ArgumentError('flags', decl.flags, 'a u32');
  if (ringbuf) {
    const err = ringbufMapAllocCheck(k, { keySize, valueSize: decl.valueSize, maxEntries: decl.maxEntries, flags });
    if (err !== 0) return err;
    if (decl.taskWorkFields > 0) return -EINVAL;
  }
  if (decl.taskWorkFields > 1) return -E2BIG;
  if (decl.taskWorkFields === 1 && !TASK_WORK_MAPS.has(decl.type)) return -EOPNOTSUPP;
  const id = k.t.nextId('map');
  const m: BpfMap = {
    id, name: decl.name, type: decl.type, maxEntries: decl.maxEntries, valueSize: decl.valueSize,
    taskWork: decl.taskWorkFields === 1, usercnt: 1, elems: new Map(), useTick: 0,
  };
  if (decl.type === 'array' || decl.type === 'percpu_array') {
    // Preallocated (array_map_alloc): each value rounded up to 8 bytes, plus the model's element record.
    charge(k, decl.maxEntries * (Math.ceil(decl.valueSize / 8) * 8 + 8 * decl.taskWorkFields + 64), `preallocating ${decl.maxEntries} element(s) of map ${decl.name}`);
    for (let i = 0; i < decl.maxEntries; i += 1) m.elems.set(i, { data: new Uint8Array(decl.valueSize), tw: null, lastUse: 0 });
  }
  k.s.maps.set(id, m);
  if (ringbuf) addRing(k, id, decl.name, { keySize, valueSize: decl.valueSize, maxEntries: decl.maxEntries, flags });
  return id;
}

export function mapOf(k: Kern, id: MapId, argument = 'map'): BpfMap {
  const m = k.s.maps.get(id);
  if (m === undefined) throw new UnknownHandleError(argument, id, 'map');
  return m;
}

export function mapByName(k: Kern, name: string, argument = 'map'): BpfMap {
  for (const m of k.s.maps.values()) if (m.name === name) return m;
  throw new UnknownHandleError(argument, name, 'map named');
}

/** `bpf_obj_free_fields` for the task_work slot: detach the ctx and defer its cancel-and-free. */
function freeSpecialFields(k: Kern, elem: MapElem): void {
  if (elem.tw === null) return;
  const ctx = elem.tw;
  elem.tw = null;
  defer(k, { kind: 'bpf_task_work_cancel_and_free', ctx });
}

/** `map_lookup_elem`: the element's key, or null. (LRU: marks it used.) */
export function lookupElem(k: Kern, id: MapId, key: number): number | null {
  const m = mapOf(k, id);
  if (m.type === 'ringbuf') return null;
  const e = m.elems.get(key);
  if (e === undefined) return null;
  if (m.type === 'lru_hash') e.lastUse = ++m.useTick;
  return key;
}

/**
 * `map_update_elem` with BPF_ANY / BPF_NOEXIST / BPF_EXIST. The value's plain bytes are copied; the
 * task_work slot is never overwritten by the copy (`copy_map_value` skips special fields).
 * ARRAY: every update frees the element's special fields (`array_map_update_elem`), cancelling pending
 * task work. HASH: a replaced element's fields are freed; a full map is -E2BIG. LRU_HASH: a full map
 * evicts its least recently used element.
 *
 * Flags: ARRAY and HASH know BPF_F_LOCK besides BPF_NOEXIST / BPF_EXIST, the other types do not
 * (arraymap.c `array_map_update_elem`, hashtab.c `htab_map_update_elem` mask it out of their unknown
 * flags test; `htab_lru_map_update_elem` and the per-CPU hash do not). Since no value here holds a
 * `bpf_spin_lock`, BPF_F_LOCK then fails with -EINVAL: ARRAY checks it after the index (-E2BIG) and
 * BPF_NOEXIST (-EEXIST, a bit test), HASH before looking the key up.
 */
export function updateElem(k: Kern, id: MapId, key: number, value: Uint8Array | null, flags: bigint): number {
  const m = mapOf(k, id);
  // ringbuf_map_update_elem: a ring buffer has no elements.
  if (m.type === 'ringbuf') return -ENOTSUPP;
  const arrayLike = m.type === 'array' || m.type === 'percpu_array';
  const lockKnown = arrayLike || m.type === 'hash';
  if ((lockKnown ? flags & ~BPF_F_LOCK : flags) > BPF_EXIST) return -EINVAL;
  const data = new Uint8Array(m.valueSize);
  if (value !== null) data.set(value.subarray(0, m.valueSize));
  const old = m.elems.get(key);
  if (arrayLike) {
    if (key < 0 || key >= m.maxEntries || old === undefined) return -E2BIG;
    if ((flags & BPF_NOEXIST) !== 0n) return -EEXIST;
    if ((flags & BPF_F_LOCK) !== 0n) return -EINVAL;
    old.data = data;
    freeSpecialFields(k, old);
    return 0;
  }
  if ((flags & BPF_F_LOCK) !== 0n) return -EINVAL;
  if (old !== undefined && flags === BPF_NOEXIST) return -EEXIST;
  if (old === undefined && flags === BPF_EXIST) return -ENOENT;
  if (old === undefined && m.elems.size >= m.maxEntries) {
    if (m.type !== 'lru_hash') return -E2BIG;
    let victim: number | null = null;
    let oldest = Infinity;
    for (const [kk, e] of m.elems) if (e.lastUse < oldest) { oldest = e.lastUse; victim = kk; }
    if (victim !== null) {
      const ve = m.elems.get(victim);
      if (ve !== undefined) freeSpecialFields(k, ve);
      m.elems.delete(victim);
    }
  }
  if (old !== undefined) freeSpecialFields(k, old);
  m.elems.set(key, { data, tw: null, lastUse: ++m.useTick });
  return 0;
}

/** `map_delete_elem`: ARRAY cannot delete (-EINVAL); a missing key is -ENOENT. */
export function deleteElem(k: Kern, id: MapId, key: number): number {
  const m = mapOf(k, id);
  if (m.type === 'ringbuf') return -ENOTSUPP;
  if (m.type === 'array' || m.type === 'percpu_array') return -EINVAL;
  const old = m.elems.get(key);
  if (old === undefined) return -ENOENT;
  freeSpecialFields(k, old);
  m.elems.delete(key);
  return 0;
}

/** Drop one user reference (`close` of a map fd, unpin); at zero every element's task work is cancelled. */
export function mapPutUref(k: Kern, id: MapId): void {
  const m = mapOf(k, id);
  if (m.usercnt <= 0) throw new ArgumentError('map', m.name, 'a map with a user reference left');
  m.usercnt -= 1;
  emit(k, { kind: 'map', t: k.t.now, op: 'uref_put', map: m.name, key: -1, ret: m.usercnt });
  if (m.usercnt === 0) for (const e of m.elems.values()) freeSpecialFields(k, e);
}

/** The task_work slot of an element: the element, for `&value->tw`. */
export function twSlot(k: Kern, id: MapId, key: number, argument = 'tw'): MapElem {
  const e = mapOf(k, id, argument).elems.get(key);
  if (e === undefined) throw new UnknownHandleError(argument, key, 'map element (deleted?)');
  return e;
}

/**
 * User space's `bpf(BPF_MAP_LOOKUP_ELEM)` (kernel/bpf/syscall.c `map_lookup_elem`): flags other than
 * BPF_F_LOCK → -EINVAL; BPF_F_LOCK on a value without a `bpf_spin_lock` (none here) → -EINVAL; no
 * element → -ENOENT; else 0 with the value's bytes copied into `value` (the task_work slot reads as
 * zeros: `check_and_init_map_value` clears special fields in the copy). An LRU element is not marked
 * used: the syscall goes through `map_lookup_elem_sys_only` (hashtab.c `htab_lru_map_lookup_elem_sys`
 * calls `__htab_lru_map_lookup_elem` with `mark` false, so `bpf_lru_node_set_ref` is skipped).
 */
export function sysLookupElem(k: Kern, id: MapId, key: number, value: Uint8Array, flags: bigint): number {
  const m = mapOf(k, id);
  if (value.length < m.valueSize) throw new ArgumentError('value', value, `a Uint8Array of at least the map's value size (${m.valueSize})`);
  if ((flags & ~BPF_F_LOCK) !== 0n || (flags & BPF_F_LOCK) !== 0n) return -EINVAL;
  const e = m.elems.get(key);
  if (e === undefined) return -ENOENT;
  value.set(e.data);
  return 0;
}

/**
 * User space's `bpf(BPF_MAP_UPDATE_ELEM)` (kernel/bpf/syscall.c `map_update_elem`): BPF_F_LOCK on a
 * value without a `bpf_spin_lock` → -EINVAL before the map sees the call; then the map's own update
 * (`updateElem`, through `bpf_map_update_value`). User space always passes a whole value.
 */
export function sysUpdateElem(k: Kern, id: MapId, key: number, value: Uint8Array, flags: bigint): number {
  const m = mapOf(k, id);
  if (value.length < m.valueSize) throw new ArgumentError('value', value, `a Uint8Array of at least the map's value size (${m.valueSize})`);
  const ret = (flags & BPF_F_LOCK) !== 0n ? -EINVAL : updateElem(k, id, key, value, flags);
  emit(k, { kind: 'map', t: k.t.now, op: 'update', map: m.name, key, ret });
  return ret;
}

/** User space's `bpf(BPF_MAP_DELETE_ELEM)` (kernel/bpf/syscall.c `map_delete_elem`): the map's own delete. */
export function sysDeleteElem(k: Kern, id: MapId, key: number): number {
  const m = mapOf(k, id);
  const ret = deleteElem(k, id, key);
  emit(k, { kind: 'map', t: k.t.now, op: 'delete', map: m.name, key, ret });
  return ret;
}
