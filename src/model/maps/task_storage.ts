/**
 * A TASK_STORAGE map (kernel/bpf/bpf_task_storage.c, kernel/bpf/bpf_local_storage.c): at most one
 * value per task, reached through the task. The model keeps a task's element under its pid in the
 * map's `elems` (a pid is never handed out twice), so a value pointer is a map value pointer like a
 * hash map's.
 *
 * - `bpf_task_storage_get(map, task, value, flags)`: a flag other than
 *   BPF_LOCAL_STORAGE_GET_F_CREATE, or a NULL task → NULL; the task's element when it has one; else,
 *   with F_CREATE, a new element (`bpf_local_storage_update` with BPF_NOEXIST: `bpf_selem_alloc`
 *   charges and allocates zeroed memory, copies `value`'s plain bytes when given; the task's first
 *   element of any task storage map also allocates its `struct bpf_local_storage`, charged here), NULL
 *   when an allocation fails. (`refcount_read(&task->usage)`: a task a program can reach is never being freed
 *   in the model.)
 * - `bpf_task_storage_delete(map, task)`: NULL → -EINVAL; no element → -ENOENT; else the element is
 *   unlinked (0). Its memory is freed after an RCU Tasks Trace grace period (`bpf_selem_free`), so a
 *   pointer the program still holds keeps its bytes; a new element gets new memory.
 * - User space reaches a task through a pidfd as the key (`pidfd_get_pid`); the model's user space has
 *   none, and any other fd, or none, is -EBADF (lookup, update, delete); `get_next_key` is -ENOTSUPP
 *   (`notsupp_get_next_key`), the batch commands too (no batch ops).
 * - 6.18 gives programs other than LSM, iterators and struct_ops variants that give up when the CPU is
 *   already in a task storage call (`bpf_task_storage_get_recur`: NULL, `…_delete_recur`: -EBUSY);
 *   the model runs no program inside another's helper call, so both versions answer alike. 7.2 has
 *   the one helper (a resilient spin lock instead).
 */
import { EBADF, ENOENT } from '../kernel/errno.ts';
import { allocate } from '../world/faults.ts';
import { charge } from '../world/budget.ts';
import { type Kern } from '../world/world.ts';
import type { Pid } from '../task/types.ts';
import type { BpfMap } from './types.ts';
import type { MapType } from '../program/program.ts';
import { elemSize } from './layout.ts';

/** `BPF_LOCAL_STORAGE_GET_F_CREATE` (include/uapi/linux/bpf.h). */
export const BPF_LOCAL_STORAGE_GET_F_CREATE = 1n;

/** The helpers a task storage map goes to, and that take only a task storage map (check_map_func_compatibility; bpf_kptr_xchg reaches its values too). */
export const TASK_STORAGE_FUNCS: ReadonlySet<string> = new Set(['bpf_task_storage_get', 'bpf_task_storage_delete']);

/**
 * The bytes a task storage element is charged (`smap->elem_size`: `sizeof(struct
 * bpf_local_storage_elem)`, 128 on x86-64, and the value) and a task's `struct bpf_local_storage`
 * (16 cache pointers, a list head, the owner, a lock, an RCU head: about 200 bytes).
 */
const SELEM_HEADER = 128;
const LOCAL_STORAGE_BYTES = 200;

/**
 * Whether task `pid` has an element in any task storage map: its `task->bpf_storage` is allocated
 * (`bpf_local_storage_alloc`, with the first element) and freed with the last element
 * (`bpf_selem_unlink_storage_nolock`), so it exists exactly while the task has one. Only the task
 * storage maps are looked at (the world's index of maps by type: world/names.ts), and each is read,
 * not drafted: a walk of every map from a transition drafted each one, and a task's first element
 * cost 3.7 ms among 4,000 other maps against 81 µs among 16.
 */
function hasLocalStorage(k: Kern, pid: Pid): boolean {
  for (const id of k.t.named('mapType', 'task_storage' satisfies MapType)) if (k.cold.maps.get(id)?.elems.has(pid) === true) return true;
  return false;
}

/**
 * `bpf_task_storage_get` past its NULL-task test: the element's memory id, or null. `newSlot` makes
 * zeroed element memory holding `value`'s plain bytes (maps.ts).
 */
export function taskStorageGet(k: Kern, m: BpfMap, pid: Pid, value: Uint8Array | null, flags: bigint, newSlot: (value: Uint8Array | null) => number): number | null {
  if ((flags & ~BPF_LOCAL_STORAGE_GET_F_CREATE) !== 0n) return null;
  const found = m.elems.get(pid);
  if (found !== undefined) return found.slot;
  if ((flags & BPF_LOCAL_STORAGE_GET_F_CREATE) === 0n) return null;
  // bpf_selem_alloc (mem_charge, then zeroed memory), then for the task's first element
  // bpf_local_storage_alloc (its struct bpf_local_storage): either failing gives NULL. An injected
  // failure makes the next allocations fail, so it always meets the element's first: one test.
  if (!allocate(k)) return null;
  const first = !hasLocalStorage(k, pid);
  charge(k, SELEM_HEADER + elemSize(m.layout) + (first ? LOCAL_STORAGE_BYTES : 0), `allocating task ${pid}'s element of task storage map ${m.name}`);
  const slot = newSlot(value);
  m.elems.set(pid, { slot, seq: m.links++ });
  return slot;
}

/** `bpf_task_storage_delete` past its NULL-task test: -ENOENT, or 0 with the element unlinked (its memory kept for pointers still held). */
export function taskStorageDelete(m: BpfMap, pid: Pid): number {
  if (!m.elems.has(pid)) return -ENOENT;
  m.elems.delete(pid);
  return 0;
}

/**
 * User space's lookup, update and delete: the key is a pidfd (`pidfd_get_pid`), and the model's user
 * space holds none, so every key is -EBADF. (`bpf_pid_task_storage_update_elem` first refuses
 * BPF_F_LOCK on a value with a uptr, -EOPNOTSUPP: the model's values have none.)
 */
export const TASK_STORAGE_SYS_ERR = -EBADF;
