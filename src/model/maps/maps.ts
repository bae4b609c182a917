/**
 * BPF maps (kernel/bpf/arraymap.c, hashtab.c, syscall.c). Values hold plain bytes and the special
 * fields their type declares (layout.ts): `struct bpf_task_work` slots and kptrs (src/model/kptr).
 * What happens to an element's special fields when its memory is unlinked or overwritten (a delete,
 * an update of a present key, any ARRAY update, an LRU eviction) depends on the version
 * (`cancelFieldsOnReuse`): 7.2 only cancels them (`bpf_obj_cancel_fields`: a task_work context is
 * cancelled; a kptr stays in the memory), earlier kernels free them (`bpf_obj_free_fields`: a
 * referenced kptr's reference is dropped too). A task_work context is detached and handed to the
 * task_work layer as a deferred request (`bpf_task_work_cancel_and_free`), because cancelling is that
 * layer's rule.
 *
 * Element memory (types.ts `MapSlot`) is separate from keys, as in hashtab.c:
 * - ARRAY: one memory per index, for ever.
 * - HASH (preallocated, the default): `max_entries` elements on a free list (`pcpu_freelist`, LIFO on
 *   one CPU) plus this CPU's extra element. An insert pops the free list; a delete frees (or cancels)
 *   the fields (`free_htab_elem`) and pushes the memory back, reusable at once; an update of a present
 *   key takes the extra element and makes the old one the extra (`alloc_htab_elem` with `old_elem`),
 *   its fields freed (or cancelled) first.
 * - HASH with BPF_F_NO_PREALLOC: memory from `bpf_mem_alloc`; a delete frees (or cancels) the fields
 *   and returns it to the per-CPU cache (`bpf_mem_cache_free`, LIFO), where the next insert takes it.
 *   The model never returns it to the slab (that waits for an RCU-tasks-trace grace period, and its
 *   destructor `htab_mem_dtor` would free a kptr left there), so memory is made only when the cache is
 *   empty.
 * - LRU_HASH (always preallocated): the nodes of bpf_lru_list.c (lru.ts): an update takes a node from
 *   the local free list, refilling it when empty (from the global free list, else by evicting
 *   elements: `htab_lru_map_delete_node`); a deleted or replaced element's node goes back to a free
 *   list.
 * `copy_map_value` skips special fields, so reused memory keeps whatever `bpf_task_work` pointer it
 * holds (NULL unless a callback scheduled on a deleted element's value: see docs/task_work.md), and on
 * 7.2 whatever kptr.
 */
import { E2BIG, EEXIST, EINVAL, ENOENT, ENOMEM, ENOTSUPP, EOPNOTSUPP, EPERM } from '../kernel/errno.ts';
import { ArgumentError, NotModelledError, UnknownHandleError } from '../kernel/errors.ts';
import type { MapDecl } from '../program/program.ts';
import type { BpfMap, MapElem, MapId, MapSlot } from './types.ts';
import { SlotTable } from './slots.ts';
import { isDraft, type Immutable } from 'immer';
import { checkKern, defer, emit, type Kern } from '../world/world.ts';
import { checkShape } from '../kernel/args.ts';
import { MapDeclSchema } from '../program/schema.ts';
import { addRing, ringbufMapAllocCheck } from '../ringbuf/ring.ts';
import { charge } from '../world/budget.ts';
import { freeKptrs } from '../kptr/fields.ts';
import { declKeySize, elemSize, valueLayout, type LayoutView, type ValueLayout } from './layout.ts';
import { hasDestructor, parsedFields } from '../btf/object.ts';
import { arrayAllocCheck, bloomAllocCheck, fileFlagCheck, htabAllocCheck, isArray, isBloom, isLru, isQueueStack, isTaskStorage, localStorageAllocCheck, MAP_FLAGS, mapExtraCheck, mapCheckBtf, notModelledKey, queueStackAllocCheck, sysAccess, type CreateAttr } from './alloc_check.ts';
import { newQueueStack, qsGet, qsPush } from './queue_stack.ts';
import { bloomPeek, bloomPush, newBloom } from './bloom.ts';
import { TASK_STORAGE_SYS_ERR, taskStorageDelete, taskStorageGet } from './task_storage.ts';
import type { Pid } from '../task/types.ts';
import { arrayGetNextKey, bucketsOf, htabGetNextKey, inLinkOrder, link, unlink, type Buckets } from './buckets.ts';
import { lruPop, lruPushFree, lruSetRef, newLru, percpuLruEntries, type LruState } from './lru.ts';
import { BPF_F_ALL_CPUS, BPF_F_CPU, checkOpFlags, copyFromUser, copyToUser, initOneCpu, isPercpu, percpuBytes, percpuUpdateFlagsBad, percpuUserSize, writeCpu } from './percpu.ts';

export const BPF_ANY = 0n;
export const BPF_NOEXIST = 1n;
export const BPF_EXIST = 2n;
/** Update under the value's `bpf_spin_lock` (include/uapi/linux/bpf.h); no value in the model has one. */
export const BPF_F_LOCK = 4n;

const { BPF_F_NO_PREALLOC, BPF_F_NO_COMMON_LRU, BPF_F_ZERO_SEED, BPF_F_TOKEN_FD } = MAP_FLAGS;

/**
 * `map_create` / `map_check_btf`: the type's flags and sizes (alloc_check.ts: `noPrealloc` is
 * BPF_F_NO_PREALLOC, which an array refuses with -EINVAL and an LRU map with -ENOTSUPP); a value with a `bpf_task_work`
 * is refused in other map types (-EOPNOTSUPP, H); two such fields fail BTF parsing (the field is a
 * singleton), which `map_check_btf` ignores: the map is made with no fields (btf/object.ts
 * `parsedFields`; kernel source and both tiers). A ring buffer is allocated first (`ringbuf_map_alloc`'s checks: ringbuf/ring.ts),
 * and since its value size is 0 no value type can match it: a `bpf_task_work` value is -EINVAL there
 * (M: the allocation runs before `map_check_btf`, which compares the value type's size with
 * value_size); BPF_F_RDONLY with BPF_F_WRONLY is -EINVAL (`bpf_get_file_flag`) after `map_extra` and
 * before the type's checks, or in 7.2 last (`mapFileFlagFirst`). A hash map's
 * `hashrnd` is the world's (`get_random_u32`), 0 with BPF_F_ZERO_SEED (buckets.ts). `btf`: the map
 * has BTF for its key and value (a map an object declares: libbpf passes the `__type`s; false for a
 * bare `BPF_MAP_CREATE`, which only a local storage map refuses). Returns the map id or a negative errno.
 */
export function createMap(k: Kern, decl: MapDecl, btf = true): MapId | number {
  checkKern('k', k);
  checkShape('decl', MapDeclSchema, decl);
  const ringbuf = decl.type === 'ringbuf';
  const queue = isQueueStack(decl);
  const bloom = isBloom(decl);
  const storage = isTaskStorage(decl);
  /** A type with keys, whose elements the model keeps in `elems` and `slots` (a task storage's keys are pids). */
  const keyed = !ringbuf && !queue && !bloom;
  if (!Number.isSafeInteger(decl.maxEntries) || decl.maxEntries < 0) throw new ArgumentError('maxEntries', decl.maxEntries, 'a u32');
  if (!Number.isSafeInteger(decl.valueSize) || decl.valueSize < 0) throw new ArgumentError('valueSize', decl.valueSize, 'a non-negative integer');
  const keySize = declKeySize(decl);
  if (!Number.isSafeInteger(keySize) || keySize < 0) throw new ArgumentError('keySize', decl.keySize, 'a non-negative integer');
  const flags = decl.flags ?? 0;
  if (!Number.isSafeInteger(flags) || flags < 0 || flags > 0xffff_ffff) throw new ArgumentError('flags', decl.flags, 'a u32');
  const kptrs = decl.kptrs ?? [];
  // btf_parse_kptr: a referenced kptr needs a destructor kfunc for its type (btf/object.ts
  // `hasDestructor`). The kernel refuses such a value type when its BTF is loaded (BPF_BTF_LOAD,
  // before any map can name it), so no map is ever made with it: `loadObject` makes an object that
  // declares one without BTF, every map of it without fields (btf/object.ts `asLoaded`).
  const noDtor = kptrs.find((p) => p.untrusted !== true && !hasDestructor(p.type));
  if (noDtor !== undefined) throw new NotModelledError(`kptr ${noDtor.name} of map ${decl.name}, a referenced kptr of struct ${noDtor.type}, in a map made on its own`, 'the kernel refuses the BTF of such a value type (BPF_BTF_LOAD: btf_parse_kptr finds no destructor, -ENOENT), so no map is made with it; declare the map in an object (Session.load), which libbpf then loads without BTF');
  if (new Set(kptrs.map((p) => p.name)).size !== kptrs.length) throw new ArgumentError('kptrs', kptrs.map((p) => p.name).join(', '), 'kptr fields of distinct names');
  // map_create takes BPF_F_TOKEN_FD out of the flags before any type sees them, to find the token.
  if ((flags & BPF_F_TOKEN_FD) !== 0) throw new NotModelledError(`BPF_F_TOKEN_FD of map ${decl.name}`, 'BPF tokens are not modelled');
  const mapExtra = decl.mapExtra ?? 0;
  const extraErr = mapExtraCheck(decl.type, mapExtra);
  if (extraErr !== 0) return extraErr;
  // The fd's mode: here before 7.2 (`mapFileFlagFirst`), after the map is made in 7.2.
  const fileErr = fileFlagCheck(flags);
  if (k.features.mapFileFlagFirst && fileErr !== 0) return fileErr;
  if (ringbuf) {
    const err = ringbufMapAllocCheck(k, { keySize, valueSize: decl.valueSize, maxEntries: decl.maxEntries, flags });
    if (err !== 0) return err;
    if (decl.taskWorkFields > 0 || kptrs.length > 0) return -EINVAL;
  }
  // btf_parse_fields: a value whose fields fail to parse has none (btf/object.ts `parsedFields`).
  const eff = parsedFields(decl);
  const noPrealloc = decl.noPrealloc === true || (!ringbuf && (flags & BPF_F_NO_PREALLOC) !== 0);
  const percpuLru = !ringbuf && (flags & BPF_F_NO_COMMON_LRU) !== 0;
  const layout = valueLayout(eff);
  // A per-CPU LRU's max_entries becomes a multiple of the possible CPUs (htab_map_alloc), so that each
  // CPU's list has as many elements (at least one); past 2^32, -E2BIG (htabAllocCheck).
  const rounded = percpuLru && isLru(decl) ? percpuLruEntries(decl.maxEntries, k.t.cpus) : decl.maxEntries;
  const attr: CreateAttr = { type: decl.type, name: decl.name, maxEntries: decl.maxEntries, keySize, flags: flags | (noPrealloc ? BPF_F_NO_PREALLOC : 0), layout };
  if (!ringbuf) {
    const err = queue ? queueStackAllocCheck(attr) : bloom ? bloomAllocCheck(attr, mapExtra) : storage ? localStorageAllocCheck(attr, btf) : isArray(decl) ? arrayAllocCheck(attr) : htabAllocCheck(attr, rounded ?? 2 ** 32);
    if (err !== 0) return err;
  }
  // A queue or stack has map_check_no_btf: a BTF value is refused and libbpf creates the map again
  // without it, special fields and all; the model does not make that second map. A bloom filter
  // takes a value's BTF, but map_check_btf refuses the fields (-EOPNOTSUPP), and libbpf retries the
  // same way.
  if ((queue || bloom) && (decl.taskWorkFields > 0 || kptrs.length > 0)) throw new NotModelledError(`special fields in ${decl.type} map ${decl.name}`, `the kernel refuses them in a ${decl.type} map and libbpf creates the map again without BTF`);
  // A task storage map refuses a bpf_task_work (map_check_btf: -EOPNOTSUPP; libbpf's second try
  // without BTF, setup.ts `loadObject`, is then refused by bpf_local_storage_map_alloc_check,
  // -EINVAL). It takes kptrs, which a deleted element frees after an RCU Tasks Trace grace period
  // (bpf_selem_free), which the model does not have.
  if (storage && decl.taskWorkFields === 0 && kptrs.length > 0) throw new NotModelledError(`kptr fields in task_storage map ${decl.name}`, 'a deleted element\'s kptrs are released after an RCU Tasks Trace grace period (bpf_selem_free), which the model does not have');
  const maxEntries = rounded as number;
  // map_check_btf, once the map is made: its special fields.
  const fieldErr = mapCheckBtf(eff);
  if (fieldErr !== 0) return fieldErr;
  // map_create (7.2): the fd's mode.
  if (fileErr !== 0) return fileErr;
  if (keyed) notModelledKey(attr);
  // queue_stack_map_alloc: one area of max_entries + 1 values.
  if (queue) charge(k, (maxEntries + 1) * decl.valueSize + 64, `allocating the ${maxEntries + 1} slots of map ${decl.name}`);
  if (isArray(decl) || (!noPrealloc && keyed)) {
    // Preallocated (array_map_alloc, prealloc_init; a HASH map has one extra element, a per-CPU or
    // LRU one none: htab_has_extra_elems): each value rounded up to 8 bytes, once per possible CPU in a
    // per-CPU map, plus the model's element record.
    const n = maxEntries + (hasExtra(decl) ? 1 : 0);
    charge(k, n * (elemSize(layout) * (isPercpu(decl) ? k.t.cpus : 1) + 64), `preallocating ${n} element(s) of map ${decl.name}`);
  }
  const id = k.t.nextId('map');
  const m: BpfMap = {
    id, name: decl.name, type: decl.type, maxEntries, valueSize: eff.valueSize,
    taskWork: eff.taskWorkFields === 1, layout, noPrealloc, flags, hashrnd: (flags & BPF_F_ZERO_SEED) !== 0 ? 0 : k.t.hashrnd, frozen: false,
    usercnt: 1, elems: new SlotTable<MapElem>(), links: 0, slots: new SlotTable<MapSlot>(), free: new SlotTable<number>(), fresh: 0, extra: null,
    lru: isLru(decl) ? newLru(maxEntries, k.t.cpus, percpuLru) : null,
    qs: queue ? newQueueStack(maxEntries) : null,
    bloom: bloom ? newBloom(maxEntries, mapExtra, (flags & BPF_F_ZERO_SEED) !== 0 ? 0 : k.t.hashrnd) : null,
  };
  const copies = isPercpu(decl) ? k.t.cpus : 0;
  const fresh = (key: number): MapSlot => freshSlot(layout, key, copies);
  if (isArray(decl)) {
    for (let i = 0; i < decl.maxEntries; i += 1) {
      m.slots.set(i, fresh(i));
      m.elems.set(i, { slot: i, seq: i });
    }
    m.links = decl.maxEntries;
  } else if (!noPrealloc && keyed) {
    // prealloc_init + pcpu_freelist_populate: element i pushed in order, so the last is popped first:
    // `fresh` stands for them until an insert takes one (an LRU_HASH's nodes are on its LRU's global
    // free list, in the same order, and made here).
    if (isLru(decl)) for (let i = 0; i < maxEntries; i += 1) m.slots.set(i, fresh(0));
    else m.fresh = maxEntries;
    if (hasExtra(decl)) {
      m.slots.set(decl.maxEntries, fresh(0));
      m.extra = decl.maxEntries;
    }
  }
  k.s.maps.set(id, m);
  k.t.fileName('map', decl.name, id);
  k.t.fileName('mapType', decl.type, id);
  if (ringbuf) addRing(k, id, decl.name, { keySize, valueSize: decl.valueSize, maxEntries: decl.maxEntries, flags });
  return id;
}

export function mapOf(k: Kern, id: MapId, argument = 'map'): BpfMap {
  const m = k.s.maps.get(id);
  if (m === undefined) throw new UnknownHandleError(argument, id, 'map');
  return m;
}

/** Map `id` as it is, to read (`mapOf` drafts it, to change). */
export function mapSeen(k: Kern, id: MapId, argument = 'map'): Immutable<BpfMap> {
  const m = k.cold.maps.get(id);
  if (m === undefined) throw new UnknownHandleError(argument, id, 'map');
  return m;
}

/**
 * Map `m`'s buckets as a walk reads them (buckets.ts), `m` from `mapSeen`: the world's own map while the
 * transition has changed no cold state, else its draft (a listing of the world's map, with the draft's
 * links and unlinks applied).
 */
export function bucketsSeen(k: Kern, m: Immutable<BpfMap>): Buckets {
  return bucketsOf(m, !isDraft(k.cold));
}

/** The map named `name` with the lowest id (the world's index of names: world/names.ts), to read. */
export function mapByName(k: Kern, name: string, argument = 'map'): Immutable<BpfMap> {
  const id = k.t.named('map', name)[0];
  if (id === undefined) throw new UnknownHandleError(argument, name, 'map named');
  // Read, not drafted: a lookup by name changes nothing (callers take the id).
  return mapSeen(k, id, argument);
}

/** A preallocated hash map has this CPU's extra element (`htab_has_extra_elems`): not a per-CPU or LRU one. */
function hasExtra(decl: { readonly type: string }): boolean {
  return decl.type === 'hash';
}

/**
 * Element memory for a new value of `layout`: zero bytes (a per-CPU map's: `copies` copies, percpu.ts),
 * no task_work context, NULL kptrs.
 */
function freshSlot(layout: ValueLayout, key: number, copies: number): MapSlot {
  const bytes = copies > 0 ? percpuBytes(layout, copies) : layout.dataEnd;
  return { key, data: new Uint8Array(bytes), tw: null, kptrs: layout.fields.filter((f) => f.kind === 'kptr').map(() => null) };
}

/**
 * `bpf_obj_cancel_fields` (`bpf_map_free_internal_structs`) for the task_work field of a memory:
 * detach the ctx and defer its cancel-and-free.
 */
function cancelFields(k: Kern, slot: MapSlot): void {
  if (slot.tw === null) return;
  const ctx = slot.tw;
  slot.tw = null;
  defer(k, { kind: 'bpf_task_work_cancel_and_free', ctx });
}

/**
 * What unlinking or overwriting element memory does to its special fields: on 7.2 they are cancelled
 * (the kptrs stay), before they are freed (`bpf_obj_free_fields`: the task_work field cancelled, the
 * kptrs taken out and their references dropped). `cancelFieldsOnReuse`.
 */
function releaseFields(k: Kern, m: BpfMap, slot: MapSlot): void {
  cancelFields(k, slot);
  if (!k.features.cancelFieldsOnReuse) freeKptrs(k, slot, m.layout);
}

/** Element memory `id` of map `m` (a draft's, to change; the world's, to read). */
export function slotOf<S = MapSlot>(m: { readonly name: string; readonly slots: { get(id: number): S | undefined } }, id: number): S {
  const s = m.slots.get(id);
  if (s === undefined) throw new UnknownHandleError('slot', id, `element memory of map ${m.name}`);
  return s;
}

/** Element memory for a new element: the free list's last, or (NO_PREALLOC, cache empty) new memory. */
/** Element memory `slot` onto the free list's top (`pcpu_freelist_push`, `bpf_mem_cache_free`). */
function pushFree(m: BpfMap, slot: number): void {
  m.free.set(m.free.size, slot);
}

/** The free list's top, taken off it; undefined when it is empty. */
function popFree(m: BpfMap): number | undefined {
  const top = m.free.size - 1;
  const id = m.free.get(top);
  if (id !== undefined) m.free.delete(top);
  return id;
}

function allocSlot(k: Kern, m: BpfMap): number | null {
  const id = popFree(m);
  if (id !== undefined) return id;
  const copies = isPercpu(m) ? k.t.cpus : 0;
  if (m.fresh > 0) {
    // Preallocated memory no element has used: zeros, as `bpf_map_area_alloc` left it.
    m.fresh -= 1;
    m.slots.set(m.fresh, freshSlot(m.layout, 0, copies));
    return m.fresh;
  }
  if (!m.noPrealloc) return null;
  const fresh = m.slots.size;
  // New element memory (bpf_mem_cache_alloc), charged as a preallocated map's is at creation.
  charge(k, elemSize(m.layout) * Math.max(copies, 1) + 64, `allocating an element of map ${m.name}`);
  m.slots.set(fresh, freshSlot(m.layout, 0, copies));
  return fresh;
}

/** The bytes of element memory `slot`, this transition's own to change in place (a per-CPU value's copies). */
function ownedData(k: Kern, slot: MapSlot): Uint8Array {
  const c = k.t.fresh(slot.data);
  if (c !== slot.data) slot.data = c;
  return c;
}

/**
 * Fill element memory for `key`: the key and the value's plain bytes (its data and the padding before
 * the special fields, as far as `value` has them) are copied, the special fields are not
 * (`copy_map_value`).
 */
function fill(m: BpfMap, id: number, key: number, value: Uint8Array | null): void {
  const slot = slotOf(m, id);
  const data = new Uint8Array(m.layout.dataEnd);
  if (value !== null) data.set(value.subarray(0, m.layout.dataEnd));
  slot.key = key;
  slot.data = data;
}

/** A linked element: its key and its memory. */
export interface ElemRef {
  readonly key: number;
  readonly slot: number;
}

/**
 * A program's `map_lookup_elem`: the element, or null. An LRU element's node gets its reference bit
 * (`htab_lru_map_lookup_elem`, or the verifier's inlined `htab_lru_map_gen_lookup`: set only when
 * clear).
 */
export function lookupElem(k: Kern, id: MapId, key: number): ElemRef | null {
  // Read, not drafted, unless the lookup changes the map (an LRU node's reference bit).
  const seen = mapSeen(k, id);
  if (seen.type === 'ringbuf') return null;
  if (isTaskStorage(seen)) throw taskStorageOnly(seen, 'bpf_map_lookup_elem#1');
  const e = seen.elems.get(key);
  if (e === undefined) return null;
  if (seen.lru !== null && seen.lru.ref.get(e.slot) === 0) lruSetRef(mapOf(k, id).lru as LruState, e.slot);
  return { key, slot: e.slot };
}

/**
 * A program's `bpf_map_lookup_percpu_elem` (kernel/bpf/helpers.c, `map_lookup_percpu_elem` of
 * arraymap.c and hashtab.c): CPU `cpu`'s copy of the element of a per-CPU map, or null for a CPU past
 * the possible ones (`nr_cpu_ids`) or a missing key.
 */
export function lookupPercpuElem(k: Kern, id: MapId, key: number, cpu: number): (ElemRef & { readonly cpu: number }) | null {
  const seen = mapSeen(k, id);
  if (!isPercpu(seen)) throw new ArgumentError('map', seen.name, 'a PERCPU_ARRAY, PERCPU_HASH or LRU_PERCPU_HASH map (the verifier refuses another: "cannot pass map_type … into func bpf_map_lookup_percpu_elem#195")');
  if (cpu >= k.t.cpus) return null;
  const e = seen.elems.get(key);
  if (e === undefined) return null;
  // An LRU_PERCPU_HASH element's node gets its reference bit (htab_lru_percpu_map_lookup_percpu_elem).
  if (seen.lru !== null && seen.lru.ref.get(e.slot) === 0) lruSetRef(mapOf(k, id).lru as LruState, e.slot);
  return { key, slot: e.slot, cpu };
}

/**
 * A program's `bpf_task_storage_get(map, task, value, flags)` (task_storage.ts): task `pid`'s element
 * (its key the pid), or null; NULL for a NULL task.
 */
export function taskStorageGetElem(k: Kern, id: MapId, pid: Pid | null, value: Uint8Array | null, flags: bigint): ElemRef | null {
  if (pid === null) return null;
  const m = mapOf(k, id);
  if (!isTaskStorage(m)) throw new ArgumentError('map', m.name, 'a TASK_STORAGE map (the verifier refuses another: "cannot pass map_type … into func bpf_task_storage_get#156")');
  const slot = taskStorageGet(k, m, pid, value, flags, (v) => {
    const fresh = m.slots.size;
    m.slots.set(fresh, freshSlot(m.layout, pid, 0));
    fill(m, fresh, pid, v);
    return fresh;
  });
  return slot === null ? null : { key: pid, slot };
}

/** A program's `bpf_task_storage_delete(map, task)` (task_storage.ts): -EINVAL for a NULL task. */
export function taskStorageDeleteElem(k: Kern, id: MapId, pid: Pid | null): number {
  if (pid === null) return -EINVAL;
  const m = mapOf(k, id);
  if (!isTaskStorage(m)) throw new ArgumentError('map', m.name, 'a TASK_STORAGE map (the verifier refuses another: "cannot pass map_type … into func bpf_task_storage_delete#157")');
  return taskStorageDelete(m, pid);
}

/** The element holding `key`, if linked. */
export function elemOf(k: Kern, id: MapId, key: number): MapElem | undefined {
  return mapOf(k, id).elems.get(key);
}

/**
 * `htab_lru_map_delete_node`, the LRU's `del_from_htab`: unlink the element node `slot` holds, its
 * fields released (`check_and_free_fields`).
 */
function evictNode(k: Kern, m: BpfMap, slot: number): boolean {
  const mem = slotOf(m, slot);
  if (m.elems.get(mem.key)?.slot !== slot) return false;
  unlink(m, mem.key);
  releaseFields(k, m, mem);
  return true;
}

/**
 * hashtab.c `check_flags`: BPF_NOEXIST on a present key is -EEXIST, BPF_EXIST on a missing one -ENOENT,
 * each compared with the whole flags but BPF_F_LOCK (so user space's BPF_F_CPU with either is neither).
 */
function checkFlags(present: boolean, flags: bigint): number {
  const f = flags & ~BPF_F_LOCK;
  return present && f === BPF_NOEXIST ? -EEXIST : !present && f === BPF_EXIST ? -ENOENT : 0;
}

/**
 * `htab_lru_map_update_elem`: a node is taken first, before the key is looked up (`prealloc_lru_pop`,
 * which may evict elements: lru.ts), and the value copied into it; then the flags are checked against
 * the key's element (which the pop may have evicted), and on an error the node goes back to the free
 * list (`htab_lru_push_free`, its fields released). So an update of a present key in a full map, or
 * one its flags refuse, may still evict elements, the key's own among them. Otherwise the node is
 * linked, with its reference bit set when it replaces an element, whose node goes back.
 */
function updateLru(k: Kern, m: BpfMap, key: number, value: Uint8Array | null, flags: bigint): number {
  const lru = m.lru as LruState;
  const slot = lruPop(lru, (node) => evictNode(k, m, node));
  // prealloc_lru_pop found no node (a map of no entries cannot be created): -ENOMEM.
  if (slot === null) return -ENOMEM;
  fill(m, slot, key, value);
  const old = m.elems.get(key);
  const err = checkFlags(old !== undefined, flags);
  if (err !== 0) {
    releaseFields(k, m, slotOf(m, slot));
    lruPushFree(lru, slot);
    return err;
  }
  link(m, key, slot);
  if (old !== undefined) {
    lruSetRef(lru, slot);
    releaseFields(k, m, slotOf(m, old.slot));
    lruPushFree(lru, old.slot);
  }
  return 0;
}

/**
 * `map_update_elem` with BPF_ANY / BPF_NOEXIST / BPF_EXIST. The value's plain bytes are copied; the
 * special fields are never overwritten by the copy (`copy_map_value` skips them).
 * ARRAY: every update releases the element's special fields (`array_map_update_elem`: cancelled on
 * 7.2, freed before), cancelling pending task work. HASH and LRU_HASH: a present key gets new element
 * memory and the old element's fields are released (so its task work is cancelled too;
 * `htab_map_update_elem`, `htab_lru_map_update_elem`); a full HASH is -E2BIG; an LRU_HASH takes its
 * node before anything else, which may evict elements (`updateLru`, lru.ts).
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
  if (isTaskStorage(m)) throw taskStorageOnly(m, 'bpf_map_update_elem#2');
  const arrayLike = m.type === 'array' || m.type === 'percpu_array';
  const lockKnown = arrayLike || m.type === 'hash';
  if ((lockKnown ? flags & ~BPF_F_LOCK : flags) > BPF_EXIST) return -EINVAL;
  const old = m.elems.get(key);
  if (arrayLike) {
    if (key < 0 || key >= m.maxEntries || old === undefined) return -E2BIG;
    if ((flags & BPF_NOEXIST) !== 0n) return -EEXIST;
    if ((flags & BPF_F_LOCK) !== 0n) return -EINVAL;
    // A PERCPU_ARRAY: this CPU's copy (percpu.ts).
    if (isPercpu(m)) pcpuCopyValue(k, m, slotOf(m, old.slot), value, flags, false);
    else {
      fill(m, old.slot, key, value);
      releaseFields(k, m, slotOf(m, old.slot));
    }
    return 0;
  }
  if ((flags & BPF_F_LOCK) !== 0n) return -EINVAL;
  if (m.type === 'lru_hash') return updateLru(k, m, key, value, flags);
  if (m.type === 'percpu_hash') return updatePercpuHash(k, m, key, value, flags, false);
  if (m.type === 'lru_percpu_hash') return updateLruPercpu(k, m, key, value, flags, false);
  const err = checkFlags(old !== undefined, flags);
  if (err !== 0) return err;
  if (old === undefined && m.elems.size >= m.maxEntries) return -E2BIG;
  let slot: number;
  if (old !== undefined && m.extra !== null) {
    // Preallocated HASH replacing a present key: the extra element takes the key; the old one's
    // fields are freed and it becomes the extra.
    slot = m.extra;
    releaseFields(k, m, slotOf(m, old.slot));
    m.extra = old.slot;
  } else {
    const got = allocSlot(k, m);
    if (old !== undefined) {
      releaseFields(k, m, slotOf(m, old.slot));
      pushFree(m, old.slot);
    }
    slot = got ?? (popFree(m) as number);
  }
  fill(m, slot, key, value);
  link(m, key, slot);
  return 0;
}

/**
 * `pcpu_copy_value` (and a PERCPU_ARRAY's update): a present per-CPU element written in place, from a
 * program CPU 0's copy, from user space (`onallcpus`) every CPU's or BPF_F_CPU's one (percpu.ts
 * `copyFromUser`); its fields released.
 */
function pcpuCopyValue(k: Kern, m: BpfMap, slot: MapSlot, value: Uint8Array | null, flags: bigint, user: boolean): void {
  const data = ownedData(k, slot);
  if (user) copyFromUser(data, m.layout, k.t.cpus, value as Uint8Array, flags, !k.features.percpuCpuFlags);
  else writeCpu(data, m.layout, 0, value);
  releaseFields(k, m, slot);
}

/**
 * `pcpu_init_value`: a new per-CPU element's copies. One CPU gets the value (a program's, CPU 0; user
 * space's with BPF_F_CPU, that CPU) and the others are zeroed; otherwise user space's bytes for every CPU.
 */
function pcpuInitValue(k: Kern, m: BpfMap, slot: MapSlot, value: Uint8Array | null, flags: bigint, user: boolean): void {
  const data = ownedData(k, slot);
  if (user && (flags & BPF_F_CPU) === 0n) copyFromUser(data, m.layout, k.t.cpus, value as Uint8Array, flags, !k.features.percpuCpuFlags);
  else initOneCpu(data, m.layout, k.t.cpus, user ? Number(flags >> 32n) : 0, value);
}

/**
 * `htab_map_update_elem_in_place` for a PERCPU_HASH, from a program or from user space (`user`:
 * `onallcpus`, percpu.ts): a present key's copies are updated in place (`pcpu_copy_value`: no new
 * memory, unlike a HASH) and its fields released ("bpf: Free special fields when update
 * [lru_,]percpu_hash maps", 6.18 stable and 6.19); a new key takes memory from the free list (-E2BIG
 * when none is left) filled by `pcpu_init_value`. `check_flags` compares the whole flags, so user
 * space's BPF_F_CPU or BPF_F_ALL_CPUS with BPF_NOEXIST or BPF_EXIST checks neither (7.0).
 */
function updatePercpuHash(k: Kern, m: BpfMap, key: number, value: Uint8Array | null, flags: bigint, user: boolean): number {
  const old = m.elems.get(key);
  const err = checkFlags(old !== undefined, flags);
  if (err !== 0) return err;
  if (old !== undefined) {
    pcpuCopyValue(k, m, slotOf(m, old.slot), value, flags, user);
    return 0;
  }
  if (m.elems.size >= m.maxEntries) return -E2BIG;
  const id = allocSlot(k, m) as number;
  const slot = slotOf(m, id);
  slot.key = key;
  pcpuInitValue(k, m, slot, value, flags, user);
  link(m, key, id);
  return 0;
}

/**
 * `__htab_lru_percpu_map_update_elem` (LRU_PERCPU_HASH), from a program or from user space (`user`):
 * unlike an LRU_HASH, a node is taken (`prealloc_lru_pop`, which may evict) only when the flags are not
 * BPF_EXIST, and a present key is updated in place (`pcpu_copy_value`, its fields released), its node's
 * reference bit set, the node taken going back to the free list (`bpf_lru_push_free`); a new key's node
 * gets the value (`pcpu_init_value`). An error gives the node back.
 */
function updateLruPercpu(k: Kern, m: BpfMap, key: number, value: Uint8Array | null, flags: bigint, user: boolean): number {
  const lru = m.lru as LruState;
  let node: number | null = null;
  if (flags !== BPF_EXIST) {
    node = lruPop(lru, (n) => evictNode(k, m, n));
    if (node === null) return -ENOMEM;
    // prealloc_lru_pop writes the key into the node's memory.
    slotOf(m, node).key = key;
  }
  const old = m.elems.get(key);
  const err = checkFlags(old !== undefined, flags);
  if (err === 0 && old !== undefined) {
    lruSetRef(lru, old.slot);
    pcpuCopyValue(k, m, slotOf(m, old.slot), value, flags, user);
  } else if (err === 0 && node !== null) {
    pcpuInitValue(k, m, slotOf(m, node), value, flags, user);
    link(m, key, node);
    return 0;
  }
  if (node !== null) lruPushFree(lru, node);
  return err;
}

/** `map_delete_elem`: ARRAY cannot delete (-EINVAL); a missing key is -ENOENT. The memory goes back to the free list. */
export function deleteElem(k: Kern, id: MapId, key: number): number {
  const m = mapOf(k, id);
  if (m.type === 'ringbuf') return -ENOTSUPP;
  if (m.type === 'array' || m.type === 'percpu_array') return -EINVAL;
  if (isTaskStorage(m)) throw taskStorageOnly(m, 'bpf_map_delete_elem#3');
  const old = unlink(m, key);
  if (old === undefined) return -ENOENT;
  releaseFields(k, m, slotOf(m, old.slot));
  if (m.lru !== null) lruPushFree(m.lru, old.slot);
  else pushFree(m, old.slot);
  return 0;
}

/**
 * Drop one user reference (`close` of a map fd, unpin); at zero the special fields are freed
 * (`bpf_map_put_uref` → `map_release_uref`), when the value has any: every element memory of an array
 * or a preallocated hash map, free ones included (`htab_free_prealloced_internal_structs`); only the
 * linked elements of a NO_PREALLOC hash map (`htab_free_malloced_internal_structs`).
 */
export function mapPutUref(k: Kern, id: MapId): void {
  const m = mapOf(k, id);
  if (m.usercnt <= 0) throw new ArgumentError('map', m.name, 'a map with a user reference left');
  m.usercnt -= 1;
  emit(k, { kind: 'map', t: k.t.now, op: 'uref_put', map: m.name, key: -1, ret: m.usercnt });
  if (m.usercnt > 0) return;
  // Only the internal structs (timers, workqueues, task_work): kptrs are freed with the map itself. A
  // value without one has nothing to cancel, and no element is looked at (`bpf_map_has_internal_structs`;
  // the model's one internal struct is the task_work field).
  if (!m.taskWork) return;
  if (m.noPrealloc) for (const [, e] of inLinkOrder(m)) cancelFields(k, slotOf(m, e.slot));
  else for (const slot of m.slots.values()) cancelFields(k, slot);
}

/**
 * A map nothing refers to but its creator's fd, closed: libbpf's cleanup when an object's load fails
 * after some of its maps were made (`bpf_object__load` → `bpf_object_unload` closes each map's fd).
 * Its user reference goes (`mapPutUref`), then its last reference, and the map is freed (`bpf_map_put`
 * → `bpf_map_free_deferred`): it is no longer in the world.
 */
export function closeUnusedMap(k: Kern, id: MapId): void {
  const m = mapOf(k, id);
  mapPutUref(k, id);
  if (m.type === 'ringbuf') k.t.own('rings').delete(id);
  k.s.maps.delete(id);
  k.t.unfileName('map', m.name, id);
  k.t.unfileName('mapType', m.type, id);
  emit(k, { kind: 'map', t: k.t.now, op: 'free', map: m.name, key: -1, ret: 0 });
}

/** The element memory `slot` of map `id` (for `&value->tw`: a value pointer points into it). */
export function twSlot(k: Kern, id: MapId, slot: number, argument = 'tw'): MapSlot {
  const s = mapOf(k, id, argument).slots.get(slot);
  if (s === undefined) throw new UnknownHandleError(argument, slot, 'element memory');
  return s;
}

/**
 * User space's `bpf(BPF_MAP_LOOKUP_ELEM)` (kernel/bpf/syscall.c `map_lookup_elem`): flags other than
 * BPF_F_LOCK → -EINVAL; BPF_F_LOCK on a value without a `bpf_spin_lock` (none here) → -EINVAL; no
 * element → -ENOENT; else 0 with the value copied into `value` (`check_and_init_map_value` zeroes the
 * special fields in the copy; `value` gets as many bytes as it has room for). An LRU element is not
 * marked used: the syscall goes through `map_lookup_elem_sys_only` (hashtab.c
 * `htab_lru_map_lookup_elem_sys` calls `__htab_lru_map_lookup_elem` with `mark` false, so
 * `bpf_lru_node_set_ref` is skipped). A per-CPU map's value is every CPU's copy (`sysLookupPercpu`).
 */
export function sysLookupElem(k: Kern, id: MapId, key: number | null, value: Uint8Array, flags: bigint): number {
  // A lookup changes nothing: the map is read as it is, not drafted.
  const m = mapSeen(k, id);
  // Before 7.0 flags other than BPF_F_LOCK are refused before the fd's mode is looked at; since,
  // after (bpf_map_check_op_flags, of the BPF_F_CPU series).
  if (!k.features.percpuCpuFlags && (flags & ~BPF_F_LOCK) !== 0n) return -EINVAL;
  if (!sysAccess(m).read) return -EPERM;
  // A queue, a stack or a bloom filter: no flag (no bpf_spin_lock), a NULL key (key_size 0), then a
  // peek. A bloom filter's peek reads `value` (map_lookup_elem copies it in first) and writes nothing.
  if (isQueueStack(m) || isBloom(m)) {
    if (flags !== 0n || key !== null) return -EINVAL;
    const q = mapOf(k, id);
    return isBloom(q) ? bloomPeek(q, value) : qsGet(q, value, false, false);
  }
  if (key === null) throw keyNeeded(m);
  if (isPercpu(m)) return sysLookupPercpu(k, m, key, value, flags);
  if (value.length < m.valueSize) throw new ArgumentError('value', value, `a Uint8Array of at least the map's value size (${m.valueSize})`);
  if ((flags & ~BPF_F_LOCK) !== 0n || (flags & BPF_F_LOCK) !== 0n) return -EINVAL;
  // A task storage map's key is a pidfd (task_storage.ts).
  if (isTaskStorage(m)) return TASK_STORAGE_SYS_ERR;
  const e = m.elems.get(key);
  if (e === undefined) return -ENOENT;
  copyValueOut(m, slotOf(m, e.slot), value);
  return 0;
}

/**
 * A value copied out to user space (`copy_map_value`, then `check_and_init_map_value`): its plain bytes,
 * the special fields as zeros, as many bytes as `value` has room for.
 */
export function copyValueOut(m: { readonly layout: { readonly size: number } }, slot: { readonly data: Uint8Array }, value: Uint8Array): void {
  const data = slot.data;
  value.set(data.subarray(0, Math.min(data.length, value.length)));
  if (value.length > data.length) value.fill(0, data.length, Math.min(m.layout.size, value.length));
}

/** The bytes user space passes for a value of per-CPU map `m` with `flags` (`bpf_map_value_size`), checked. */
function checkPercpuBuffer(k: Kern, m: Immutable<BpfMap>, value: Uint8Array, flags: bigint): void {
  const need = k.features.percpuCpuFlags ? percpuUserSize(m.layout, k.t.cpus, flags) : percpuBytes(m.layout, k.t.cpus);
  if (value.length < need) {
    throw new ArgumentError('value', value, `a Uint8Array of at least ${need} bytes (bpf_map_value_size: ${(flags & (BPF_F_CPU | BPF_F_ALL_CPUS)) !== 0n && k.features.percpuCpuFlags ? 'value_size with BPF_F_CPU or BPF_F_ALL_CPUS' : `round_up(value_size, 8) × ${k.t.cpus} possible CPU(s)`})`);
  }
}

/**
 * `map_lookup_elem` on a per-CPU map (percpu.ts): flags checked (before 7.0 any flag is -EINVAL;
 * since, `bpf_map_check_op_flags` with BPF_F_LOCK and BPF_F_CPU allowed), then -ENOENT for a key
 * out of range or missing (`bpf_percpu_array_copy`, `bpf_percpu_hash_copy`), else every CPU's copy.
 */
function sysLookupPercpu(k: Kern, m: Immutable<BpfMap>, key: number, value: Uint8Array, flags: bigint): number {
  const err = k.features.percpuCpuFlags ? checkOpFlags(m, flags, BPF_F_LOCK | BPF_F_CPU, k.t.cpus) : flags !== 0n ? -EINVAL : 0;
  if (err !== 0) return err;
  checkPercpuBuffer(k, m, value, flags);
  const e = m.elems.get(key);
  if (e === undefined) return -ENOENT;
  copyToUser(slotOf(m, e.slot).data, m.layout, k.t.cpus, value, flags);
  return 0;
}

/**
 * `map_update_elem` on a per-CPU map (`bpf_percpu_array_update`, `bpf_percpu_hash_update`; percpu.ts):
 * the flags (before 7.0 BPF_F_LOCK is -EINVAL in the syscall, since `bpf_map_check_op_flags`), then the
 * map's own test of them, then an ARRAY's index (-E2BIG) and BPF_NOEXIST (-EEXIST, compared whole),
 * and every CPU's copy written from `value`, the element's fields released.
 */
function sysUpdatePercpu(k: Kern, m: BpfMap, key: number, value: Uint8Array, flags: bigint): number {
  const cpuFlags = k.features.percpuCpuFlags;
  const err = cpuFlags ? checkOpFlags(m, flags, 0xffff_ffffn, k.t.cpus) : (flags & BPF_F_LOCK) !== 0n ? -EINVAL : 0;
  if (err !== 0) return err;
  checkPercpuBuffer(k, m, value, flags);
  if (percpuUpdateFlagsBad(flags, cpuFlags)) return -EINVAL;
  if (m.type === 'percpu_hash') return updatePercpuHash(k, m, key, value, flags, true);
  if (m.type === 'lru_percpu_hash') return updateLruPercpu(k, m, key, value, flags, true);
  const e = m.elems.get(key);
  if (e === undefined) return -E2BIG;
  if (flags === BPF_NOEXIST) return -EEXIST;
  pcpuCopyValue(k, m, slotOf(m, e.slot), value, flags, true);
  return 0;
}

/**
 * User space's `bpf(BPF_MAP_UPDATE_ELEM)` (kernel/bpf/syscall.c `map_update_elem`): BPF_F_LOCK on a
 * value without a `bpf_spin_lock` → -EINVAL before the map sees the call; then the map's own update
 * (`updateElem`, through `bpf_map_update_value`). User space always passes a whole value; a per-CPU
 * map's is every CPU's copy (`sysUpdatePercpu`).
 */
export function sysUpdateElem(k: Kern, id: MapId, key: number | null, value: Uint8Array, flags: bigint): number {
  const ret = updateFromUser(k, id, key, value, flags);
  emit(k, { kind: 'map', t: k.t.now, op: 'update', map: mapOf(k, id).name, key: key ?? -1, ret });
  return ret;
}

/** `sysUpdateElem` without its trace event (a task's `map_update` syscall records its own). */
export function updateFromUser(k: Kern, id: MapId, key: number | null, value: Uint8Array, flags: bigint): number {
  // map_get_sys_perms: a read-only fd (BPF_F_RDONLY) may not write.
  return sysAccess(mapOf(k, id)).write ? updateValue(k, id, key, value, flags) : -EPERM;
}

/** `bpf_map_update_value`: user space's update once the fd may write (a syscall's, or one of a batch's). */
export function updateValue(k: Kern, id: MapId, key: number | null, value: Uint8Array, flags: bigint): number {
  const m = mapOf(k, id);
  // A queue, a stack or a bloom filter: BPF_F_LOCK without a bpf_spin_lock, then a key (key_size 0),
  // then a push.
  if (isQueueStack(m) || isBloom(m)) {
    if ((flags & BPF_F_LOCK) !== 0n || key !== null) return -EINVAL;
    return isBloom(m) ? bloomPush(m, value, flags) : qsPush(m, value, flags);
  }
  if (key === null) throw keyNeeded(m);
  if (isPercpu(m)) return sysUpdatePercpu(k, m, key, value, flags);
  if (value.length < m.valueSize) throw new ArgumentError('value', value, `a Uint8Array of at least the map's value size (${m.valueSize})`);
  if (isTaskStorage(m)) {
    // The syscall's own test of the flags (7.0: bpf_map_check_op_flags, every bit allowed; before,
    // BPF_F_LOCK alone), then bpf_pid_task_storage_update_elem's pidfd (task_storage.ts).
    const err = k.features.percpuCpuFlags ? checkOpFlags(m, flags, 0xffff_ffffn, k.t.cpus) : (flags & BPF_F_LOCK) !== 0n ? -EINVAL : 0;
    return err !== 0 ? err : TASK_STORAGE_SYS_ERR;
  }
  return (flags & BPF_F_LOCK) !== 0n ? -EINVAL : updateElem(k, id, key, value, flags);
}

/** The bytes of a value user space passes for map `m` without flags (`bpf_map_value_size`): every CPU's copy of a per-CPU map. */
export function userValueSize(k: Kern, m: { readonly type: string; readonly valueSize: number; readonly layout: LayoutView }): number {
  return isPercpu(m) ? percpuBytes(m.layout, k.t.cpus) : m.valueSize;
}

/**
 * User space's `bpf(BPF_MAP_FREEZE)` (kernel/bpf/syscall.c `map_freeze`): a value with special fields
 * (a `bpf_task_work`, kptrs: `map->record`) is -ENOTSUPP; an fd that may not write -EPERM, and so is
 * a map frozen already (`map_get_sys_perms` takes the write away before the -EBUSY test, which only a
 * concurrent freeze meets); else 0, and from then on user space may not write the map: updates,
 * deletes and their batches are -EPERM. Programs still may.
 */
export function sysFreeze(k: Kern, id: MapId): number {
  const m = mapOf(k, id);
  let ret = 0;
  if (m.layout.fields.length > 0) ret = -ENOTSUPP;
  else if (!sysAccess(m).write) ret = -EPERM;
  else m.frozen = true;
  emit(k, { kind: 'map', t: k.t.now, op: 'freeze', map: m.name, key: -1, ret });
  return ret;
}

/**
 * User space's `bpf(BPF_MAP_GET_NEXT_KEY)` (kernel/bpf/syscall.c `map_get_next_key`): the key after
 * `key` (null: NULL, the first key) in the map's own order, or a negative errno. A hash map walks its
 * buckets (buckets.ts `htab_map_get_next_key`: a key not in the map starts over from the first), an
 * array its indexes (`bpf_array_get_next_key`), both -ENOENT after the last. A ring buffer has no
 * keys: its key size is 0, so a key is -EINVAL (`__bpf_copy_key`) and NULL -ENOTSUPP
 * (`ringbuf_map_get_next_key`).
 */
export function sysGetNextKey(k: Kern, id: MapId, key: number | null): number {
  // A walk changes nothing: the map is read as it is, not drafted.
  const m = mapSeen(k, id);
  if (!sysAccess(m).read) return -EPERM;
  if (m.type === 'ringbuf') return key === null ? -ENOTSUPP : -EINVAL;
  // A queue or stack: a key is -EINVAL (key_size 0), and so is NULL (queue_stack_map_get_next_key);
  // a bloom filter's NULL is -EOPNOTSUPP (bloom_map_get_next_key).
  if (isQueueStack(m)) return -EINVAL;
  if (isBloom(m)) return key === null ? -EOPNOTSUPP : -EINVAL;
  // A task storage map: notsupp_get_next_key.
  if (isTaskStorage(m)) return -ENOTSUPP;
  return isArray(m) ? arrayGetNextKey(m, key) : htabGetNextKey(bucketsSeen(k, m), key);
}

/**
 * User space's `bpf(BPF_MAP_LOOKUP_AND_DELETE_ELEM)` (kernel/bpf/syscall.c `map_lookup_and_delete_elem`,
 * hashtab.c `__htab_map_lookup_and_delete_elem`): flags other than BPF_F_LOCK, and BPF_F_LOCK without a
 * `bpf_spin_lock` (none here), are -EINVAL; a map that is not a hash map is -ENOTSUPP; a missing key
 * -ENOENT; else the value is copied out as a lookup copies it (a per-CPU map's every CPU's copy) and the
 * element deleted as `bpf_map_delete_elem` deletes it (its fields released, its memory or LRU node freed).
 */
export function sysLookupAndDeleteElem(k: Kern, id: MapId, key: number | null, value: Uint8Array, flags: bigint): number {
  const m = mapOf(k, id);
  let ret: number;
  const access = sysAccess(m);
  // Flags other than BPF_F_LOCK; then the fd must read and write; then any flag of a queue or stack,
  // or BPF_F_LOCK without a spin lock; a queue or stack's key must be NULL, and it pops.
  if ((flags & ~BPF_F_LOCK) !== 0n) ret = -EINVAL;
  else if (!access.read || !access.write) ret = -EPERM;
  else if (flags !== 0n) ret = -EINVAL;
  else if (isQueueStack(m)) ret = key !== null ? -EINVAL : qsGet(m, value, true, false);
  // A bloom filter: its key (size 0) must be NULL; then it is not a type that pops or deletes.
  else if (isBloom(m)) ret = key !== null ? -EINVAL : -ENOTSUPP;
  else if (key === null) throw keyNeeded(m);
  else {
    if (isPercpu(m)) checkPercpuBuffer(k, m, value, 0n);
    else if (value.length < m.valueSize) throw new ArgumentError('value', value, `a Uint8Array of at least the map's value size (${m.valueSize})`);
    if (m.type !== 'hash' && m.type !== 'percpu_hash' && !isLru(m)) ret = -ENOTSUPP;
    else if (!m.elems.has(key)) ret = -ENOENT;
    else {
      const e = m.elems.get(key) as MapElem;
      if (isPercpu(m)) copyToUser(slotOf(m, e.slot).data, m.layout, k.t.cpus, value, 0n);
      else copyValueOut(m, slotOf(m, e.slot), value);
      ret = deleteElem(k, id, key);
    }
  }
  emit(k, { kind: 'map', t: k.t.now, op: 'lookup_and_delete', map: m.name, key: key ?? -1, ret });
  return ret;
}

/** User space's `bpf(BPF_MAP_DELETE_ELEM)` (kernel/bpf/syscall.c `map_delete_elem`): the map's own delete. */
export function sysDeleteElem(k: Kern, id: MapId, key: number | null): number {
  const ret = deleteFromUser(k, id, key);
  emit(k, { kind: 'map', t: k.t.now, op: 'delete', map: mapOf(k, id).name, key: key ?? -1, ret });
  return ret;
}

/**
 * `sysDeleteElem` without its trace event (a task's `map_delete` syscall records its own): a read-only
 * fd may not delete; a queue or stack deletes nothing (a key: -EINVAL; NULL: `queue_stack_map_delete_elem`, -EINVAL),
 * nor does a bloom filter (a key: -EINVAL; NULL: `bloom_map_delete_elem`, -EOPNOTSUPP).
 */
export function deleteFromUser(k: Kern, id: MapId, key: number | null): number {
  const m = mapOf(k, id);
  if (!sysAccess(m).write) return -EPERM;
  if (isQueueStack(m)) return -EINVAL;
  // A bloom filter: a key is -EINVAL (key_size 0); NULL reaches bloom_map_delete_elem, -EOPNOTSUPP.
  if (isBloom(m)) return key === null ? -EOPNOTSUPP : -EINVAL;
  if (key === null) throw keyNeeded(m);
  // A task storage map's key is a pidfd (task_storage.ts).
  if (isTaskStorage(m)) return TASK_STORAGE_SYS_ERR;
  return deleteElem(k, id, key);
}

/** A task storage map given to a map helper that takes none (programs cannot: the verifier refuses it). */
function taskStorageOnly(m: { readonly name: string }, fn: string): ArgumentError {
  return new ArgumentError('map', m.name, `a map other than a TASK_STORAGE one (the verifier refuses it: "cannot pass map_type 29 into func ${fn}"; use bpf_task_storage_get and bpf_task_storage_delete)`);
}

/** A NULL key for a map that has keys: the model's user space passes one (the kernel would copy 4 bytes from NULL). */
function keyNeeded(m: { readonly name: string; readonly type: string }): ArgumentError {
  return new ArgumentError('key', null, `a key: map ${m.name} is a ${m.type} map (only a queue, a stack or a bloom filter takes NULL)`);
}
