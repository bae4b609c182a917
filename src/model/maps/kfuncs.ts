/** The map helpers a BPF program calls (kernel/bpf/helpers.c; the rules are in maps.ts). */
import { defineKfunc } from '../kfunc/kfunc.ts';
import { registerKfuncs } from '../kfunc/registry.ts';
import { deleteElem, lookupElem, lookupPercpuElem, mapOf, taskStorageDeleteElem, taskStorageGetElem, updateElem } from './maps.ts';
import { qsGet, qsPush } from './queue_stack.ts';
import { bloomPeek, bloomPush } from './bloom.ts';
import { EINVAL } from '../kernel/errno.ts';
import { KernsimError } from '../kernel/errors.ts';

/** `bpf_map_lookup_elem`: a pointer to the value, or NULL. */
export const bpf_map_lookup_elem = defineKfunc({
  name: 'bpf_map_lookup_elem',
  mirrors: 'kernel/bpf/helpers.c: bpf_map_lookup_elem',
  kind: 'helper',
  since: '6.18',
  summary: 'Look up `key` in `map`.',
  args: [{ name: 'map', type: 'map' }, { name: 'key', type: 'u32', cType: 'const void *', byRef: true }],
  ret: 'map_value',
  flags: ['RET_PTR_TO_MAP_VALUE_OR_NULL'],
  checks: ['no element → NULL'],
  effects: ['LRU_HASH: the element\'s node gets its reference bit (bpf_lru_node_set_ref), which keeps it from the next eviction (maps/lru.ts)'],
  confidence: 'H',
  impl(k, map, key) {
    const found = lookupElem(k, map, Number(key));
    return found === null ? null : { map, key: found.key, slot: found.slot };
  },
});

/** `bpf_map_lookup_percpu_elem`: a pointer to one CPU's copy of a per-CPU map's value, or NULL. */
export const bpf_map_lookup_percpu_elem = defineKfunc({
  name: 'bpf_map_lookup_percpu_elem',
  mirrors: 'kernel/bpf/helpers.c: bpf_map_lookup_percpu_elem; kernel/bpf/arraymap.c: percpu_array_map_lookup_percpu_elem; kernel/bpf/hashtab.c: htab_percpu_map_lookup_percpu_elem',
  kind: 'helper',
  since: '6.18',
  summary: 'Look up `key` in the per-CPU `map` and point at CPU `cpu`\'s copy of its value.',
  args: [{ name: 'map', type: 'map' }, { name: 'key', type: 'u32', cType: 'const void *', byRef: true }, { name: 'cpu', type: 'u32' }],
  ret: 'map_value',
  flags: ['RET_PTR_TO_MAP_VALUE_OR_NULL'],
  checks: [
    'the verifier takes only a PERCPU_ARRAY or PERCPU_HASH map (check_map_func_compatibility: "cannot pass map_type … into func bpf_map_lookup_percpu_elem#195")',
    'cpu ≥ the possible CPUs (nr_cpu_ids) → NULL',
    'no element → NULL',
  ],
  effects: ['none: the pointer reaches CPU `cpu`\'s copy, which that CPU\'s programs and user space see (maps/percpu.ts)'],
  confidence: 'H (7.2.13 source; the host tier has 2 possible CPUs, the guest 1)',
  impl(k, map, key, cpu) {
    const found = lookupPercpuElem(k, map, Number(key), Number(cpu));
    return found === null ? null : { map, key: found.key, slot: found.slot, cpu: found.cpu };
  },
});

/** `bpf_map_update_elem`: see maps.ts `updateElem` for the special-field side effects. */
export const bpf_map_update_elem = defineKfunc({
  name: 'bpf_map_update_elem',
  mirrors: 'kernel/bpf/helpers.c: bpf_map_update_elem; kernel/bpf/arraymap.c, hashtab.c',
  kind: 'helper',
  since: '6.18',
  summary: 'Create or replace the element `key` of `map`.',
  args: [{ name: 'map', type: 'map' }, { name: 'key', type: 'u32', cType: 'const void *', byRef: true }, { name: 'value', type: 'mem', mapValue: true, cType: 'const void *' }, { name: 'flags', type: 'u64' }],
  ret: 'int',
  flags: [],
  checks: [
    'flags > BPF_EXIST → -EINVAL (ARRAY, PERCPU_ARRAY and HASH: BPF_F_LOCK aside; so BPF_F_CPU and BPF_F_ALL_CPUS, user space\'s, too)',
    'ARRAY: key out of range → -E2BIG; BPF_NOEXIST → -EEXIST; then BPF_F_LOCK → -EINVAL (no value has a bpf_spin_lock)',
    'HASH: BPF_F_LOCK → -EINVAL; BPF_NOEXIST on a present key → -EEXIST; BPF_EXIST on a missing key → -ENOENT; full → -E2BIG',
    'LRU_HASH: a node is taken before the key is looked up, which may evict elements, the key\'s own among them (maps/lru.ts); then the same flag checks, never -E2BIG',
    'PERCPU_HASH: as HASH, a present key updated in place; LRU_PERCPU_HASH: a node taken only when the flags are not BPF_EXIST, a present key updated in place',
  ],
  effects: [
    'ARRAY: every update cancels the element\'s pending task_work; HASH: a replaced element\'s is cancelled; LRU_HASH: evicted elements are unlinked (their fields released)',
    'per-CPU maps: CPU 0\'s copy is written, a new PERCPU_HASH element\'s other copies zeroed (maps/percpu.ts)',
  ],
  confidence: 'H (array update frees fields; the htab replace path from 7.2.13\'s hashtab.c: htab_map_update_elem cancels the old element\'s fields, check_and_cancel_fields or free_htab_elem → bpf_obj_free_task_work, and the 7.2 guest tier agrees: twm_h_update, twm_l_update)',
  impl(k, map, key, value, flags) {
    return updateElem(k, map, Number(key), value, flags);
  },
});

/** `bpf_map_delete_elem`. */
export const bpf_map_delete_elem = defineKfunc({
  name: 'bpf_map_delete_elem',
  mirrors: 'kernel/bpf/helpers.c: bpf_map_delete_elem; kernel/bpf/hashtab.c',
  kind: 'helper',
  since: '6.18',
  summary: 'Delete the element `key` of `map`.',
  args: [{ name: 'map', type: 'map' }, { name: 'key', type: 'u32', cType: 'const void *', byRef: true }],
  ret: 'int',
  flags: [],
  checks: ['ARRAY → -EINVAL', 'no element → -ENOENT'],
  effects: ['the element\'s pending task_work is cancelled'],
  confidence: 'H',
  impl(k, map, key) {
    return deleteElem(k, map, Number(key));
  },
});

/**
 * `bpf_for_each_map_elem(map, callback_fn, callback_ctx, flags)`: calls `callback_fn(map, &key,
 * &value, callback_ctx)` for each element in the map's order (foreach.ts); a non-zero return stops.
 */
export const bpf_for_each_map_elem = defineKfunc({
  name: 'bpf_for_each_map_elem',
  mirrors: 'kernel/bpf/bpf_iter.c: bpf_for_each_map_elem; kernel/bpf/hashtab.c: bpf_for_each_hash_elem; kernel/bpf/arraymap.c: bpf_for_each_array_elem',
  kind: 'helper',
  since: '6.18',
  summary: 'Call `callback_fn(map, &key, &value, callback_ctx)` for each element of `map`; a non-zero return stops the walk.',
  args: [
    { name: 'map', type: 'map' },
    { name: 'callback_fn', type: 'callback' },
    { name: 'callback_ctx', type: 'any' },
    { name: 'flags', type: 'u64' },
  ],
  ret: 'int',
  returns: 'the number of elements the callback was called for, or a negative errno',
  flags: [],
  checks: ['flags ≠ 0 → -EINVAL'],
  effects: [
    'an array: each index in order; a hash map: its buckets in order, each from its newest element, the next element taken before the callback runs (maps/foreach.ts)',
    'the result is the number of elements the callback was called for (the one that returned 1 counts)',
  ],
  confidence: 'H (source; conformance: fe_*)',
  impl(_k, _map, _cb, _ctx, flags) {
    if (flags !== 0n) return -EINVAL;
    throw new KernsimError('bpf_for_each_map_elem calls back into a BPF program: only a program run (the interpreter) can make this call');
  },
});

const QS_CHECKS = ['a map that is not a QUEUE or STACK is refused by the verifier (cannot pass map_type N into func …)'];
/** Push and peek take a bloom filter too. */
const QS_BLOOM_CHECKS = ['a map that is not a QUEUE, STACK or BLOOM_FILTER is refused by the verifier (cannot pass map_type N into func …); a sleepable program may not use a BLOOM_FILTER at all'];

/** `bpf_map_push_elem(map, value, flags)`. */
export const bpf_map_push_elem = defineKfunc({
  name: 'bpf_map_push_elem',
  mirrors: 'kernel/bpf/helpers.c: bpf_map_push_elem; kernel/bpf/queue_stack_maps.c: queue_stack_map_push_elem; kernel/bpf/bloom_filter.c: bloom_map_push_elem',
  kind: 'helper',
  since: '6.18',
  summary: 'Push `value` into a QUEUE or STACK map, or add it to a BLOOM_FILTER.',
  args: [{ name: 'map', type: 'map' }, { name: 'value', type: 'mem', mapValue: true, cType: 'const void *' }, { name: 'flags', type: 'u64' }],
  ret: 'int',
  flags: [],
  checks: [...QS_BLOOM_CHECKS, 'BPF_NOEXIST or a flag above BPF_EXIST → -EINVAL', 'full, without BPF_EXIST → -E2BIG', 'a bloom filter: any flag → -EINVAL'],
  effects: ['full with BPF_EXIST: the oldest value is dropped (for a stack too: the bottom one)', 'the value is copied in at the head', 'a bloom filter: the bits of the value\'s hashes are set (jhash2 of its words, or jhash of its bytes, seeded with hash_seed + i)'],
  confidence: 'H (source: 7.2.13 queue_stack_maps.c and bloom_filter.c, the same in 6.18)',
  impl(k, map, value, flags) {
    const m = mapOf(k, map);
    return m.bloom !== null ? bloomPush(m, value, flags) : qsPush(m, value, flags);
  },
});

/** `bpf_map_pop_elem(map, value)`. */
export const bpf_map_pop_elem = defineKfunc({
  name: 'bpf_map_pop_elem',
  mirrors: 'kernel/bpf/helpers.c: bpf_map_pop_elem; kernel/bpf/queue_stack_maps.c: queue_map_pop_elem, stack_map_pop_elem',
  kind: 'helper',
  since: '6.18',
  summary: 'Take the oldest value of a QUEUE, or the newest of a STACK, into `value`.',
  args: [{ name: 'map', type: 'map' }, { name: 'value', type: 'mem', out: true, mapValue: true, cType: 'void *' }],
  ret: 'int',
  flags: [],
  checks: [...QS_CHECKS, 'empty → -ENOENT, value zeroed'],
  effects: ['the value is copied out and removed'],
  confidence: 'H (source: 7.2.13 queue_stack_maps.c, the same in 6.18)',
  impl(k, map, value) {
    return qsGet(mapOf(k, map), value, true, true);
  },
});

/** `bpf_map_peek_elem(map, value)`. */
export const bpf_map_peek_elem = defineKfunc({
  name: 'bpf_map_peek_elem',
  mirrors: 'kernel/bpf/helpers.c: bpf_map_peek_elem; kernel/bpf/queue_stack_maps.c: queue_map_peek_elem, stack_map_peek_elem; kernel/bpf/bloom_filter.c: bloom_map_peek_elem',
  kind: 'helper',
  since: '6.18',
  summary: 'Copy the oldest value of a QUEUE, or the newest of a STACK, into `value`, leaving it there; or ask a BLOOM_FILTER whether `value` may be in it.',
  args: [{ name: 'map', type: 'map' }, { name: 'value', type: 'mem', out: true, mapValue: true, cType: 'void *' }],
  ret: 'int',
  flags: [],
  checks: [...QS_BLOOM_CHECKS, 'empty → -ENOENT, value zeroed', 'a bloom filter: a bit of the value\'s hashes clear → -ENOENT (all set: 0, a false positive possible)'],
  effects: ['the value is copied out; the map is unchanged', 'a bloom filter: `value` is read, not written (the verifier\'s resolve_map_arg_type makes it ARG_PTR_TO_MAP_VALUE without MEM_UNINIT, a read)'],
  confidence: 'H (source: 7.2.13 queue_stack_maps.c and bloom_filter.c, the same in 6.18)',
  impl(k, map, value) {
    const m = mapOf(k, map);
    return m.bloom !== null ? bloomPeek(m, value) : qsGet(m, value, false, true);
  },
});

const TASK_STORAGE_MAP_CHECK = 'a map that is not a TASK_STORAGE map is refused by the verifier (cannot pass map_type N into func …), and a TASK_STORAGE map goes to no other helper';
const TASK_ARG_CHECK = 'the verifier takes a task pointer (plain, trusted or RCU, NULL-able) or NULL; another struct: "R2 is of type X but task_struct is expected"';

/** `bpf_task_storage_get(map, task, value, flags)`: a pointer to `task`'s value in `map`, made with F_CREATE (maps/task_storage.ts). */
export const bpf_task_storage_get = defineKfunc({
  name: 'bpf_task_storage_get',
  mirrors: 'kernel/bpf/bpf_task_storage.c: bpf_task_storage_get; kernel/bpf/bpf_local_storage.c: bpf_local_storage_update, bpf_selem_alloc',
  kind: 'helper',
  since: '6.18',
  summary: 'Point at `task`\'s value in the task storage `map`; with BPF_LOCAL_STORAGE_GET_F_CREATE (1), make it first (zeroed, or a copy of `value`).',
  args: [
    { name: 'map', type: 'map' },
    { name: 'task', type: 'task_ptr_or_null', cType: 'struct task_struct *' },
    { name: 'value', type: 'mem_or_null', mapValue: true, cType: 'void *' },
    { name: 'flags', type: 'u64' },
  ],
  ret: 'map_value',
  flags: ['RET_PTR_TO_MAP_VALUE_OR_NULL'],
  checks: [TASK_STORAGE_MAP_CHECK, TASK_ARG_CHECK, 'a flag other than BPF_LOCAL_STORAGE_GET_F_CREATE, or a NULL task → NULL', 'no value for the task and no F_CREATE → NULL', 'an allocation fails (the element; the task\'s first element also allocates its struct bpf_local_storage) → NULL'],
  effects: ['with F_CREATE and no value yet: a new element, zeroed, `value`\'s bytes copied in when it is given; the task keeps it until it is deleted'],
  confidence: 'H (source: 7.2.13 bpf_task_storage.c and bpf_local_storage.c; 6.18\'s recursion-guarded variant answers alike when no program runs inside another\'s call)',
  impl(k, map, task, value, flags) {
    const found = taskStorageGetElem(k, map, task, value, flags);
    return found === null ? null : { map, key: found.key, slot: found.slot };
  },
});

/** `bpf_task_storage_delete(map, task)`: unlink `task`'s value from `map` (maps/task_storage.ts). */
export const bpf_task_storage_delete = defineKfunc({
  name: 'bpf_task_storage_delete',
  mirrors: 'kernel/bpf/bpf_task_storage.c: bpf_task_storage_delete, task_storage_delete; kernel/bpf/bpf_local_storage.c: bpf_selem_unlink',
  kind: 'helper',
  since: '6.18',
  summary: 'Delete `task`\'s value from the task storage `map`.',
  args: [{ name: 'map', type: 'map' }, { name: 'task', type: 'task_ptr_or_null', cType: 'struct task_struct *' }],
  ret: 'int',
  flags: [],
  checks: [TASK_STORAGE_MAP_CHECK, TASK_ARG_CHECK, 'a NULL task → -EINVAL', 'no value for the task → -ENOENT'],
  effects: ['the value is unlinked: a later bpf_task_storage_get with F_CREATE makes a new, zeroed one; a pointer the program still holds keeps the old bytes (freed after an RCU Tasks Trace grace period)'],
  confidence: 'H (source: 7.2.13 bpf_task_storage.c and bpf_local_storage.c)',
  impl(k, map, task) {
    return taskStorageDeleteElem(k, map, task);
  },
});

export const MAP_KFUNCS = registerKfuncs({ bpf_map_lookup_elem, bpf_map_lookup_percpu_elem, bpf_map_update_elem, bpf_map_delete_elem, bpf_for_each_map_elem, bpf_map_push_elem, bpf_map_pop_elem, bpf_map_peek_elem, bpf_task_storage_get, bpf_task_storage_delete });

type MapKfuncs = typeof MAP_KFUNCS;
declare module '../kfunc/registry.ts' {
  interface KfuncRegistry extends MapKfuncs {}
}
