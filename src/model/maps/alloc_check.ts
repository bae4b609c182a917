/**
 * Which maps `BPF_MAP_CREATE` makes (kernel/bpf/syscall.c `map_create`, the map types'
 * `map_alloc_check` and `map_alloc`): the `map_flags` each type knows and the sizes it takes, checked in
 * the kernel's order, each refusal the kernel's errno. A ring buffer's are in ringbuf/ring.ts.
 */
import { E2BIG, EACCES, EINVAL, ENOTSUPP, EOPNOTSUPP } from '../kernel/errno.ts';
import { NotModelledError } from '../kernel/errors.ts';
import { elemSize, type LayoutView } from './layout.ts';
import { isPercpu } from './percpu.ts';
import { nBuckets } from './buckets.ts';

/** The `map_flags` bits (include/uapi/linux/bpf.h) the model's map types know. */
export const MAP_FLAGS = {
  BPF_F_NO_PREALLOC: 1 << 0,
  BPF_F_NO_COMMON_LRU: 1 << 1,
  BPF_F_NUMA_NODE: 1 << 2,
  BPF_F_RDONLY: 1 << 3,
  BPF_F_WRONLY: 1 << 4,
  BPF_F_ZERO_SEED: 1 << 6,
  BPF_F_RDONLY_PROG: 1 << 7,
  BPF_F_WRONLY_PROG: 1 << 8,
  BPF_F_MMAPABLE: 1 << 10,
  BPF_F_PRESERVE_ELEMS: 1 << 11,
  BPF_F_INNER_MAP: 1 << 12,
  /** A socket storage's (cloned with the socket); every local storage map accepts it. */
  BPF_F_CLONE: 1 << 9,
  BPF_F_TOKEN_FD: 1 << 16,
  /** A ring buffer's (6.19): a full ring overwrites its oldest records instead of refusing (ringbuf/). */
  BPF_F_RB_OVERWRITE: 1 << 19,
} as const;
const F = MAP_FLAGS;

/** `BPF_F_ACCESS_MASK`: who may read and write the map, user space (the fd's mode) and programs. */
const ACCESS_MASK = F.BPF_F_RDONLY | F.BPF_F_RDONLY_PROG | F.BPF_F_WRONLY | F.BPF_F_WRONLY_PROG;
/** hashtab.c `HTAB_CREATE_FLAG_MASK`. */
const HTAB_MASK = F.BPF_F_NO_PREALLOC | F.BPF_F_NO_COMMON_LRU | F.BPF_F_NUMA_NODE | ACCESS_MASK | F.BPF_F_ZERO_SEED;
/** arraymap.c `ARRAY_CREATE_FLAG_MASK`. */
const ARRAY_MASK = F.BPF_F_NUMA_NODE | F.BPF_F_MMAPABLE | ACCESS_MASK | F.BPF_F_PRESERVE_ELEMS | F.BPF_F_INNER_MAP;

/** `PCPU_MIN_UNIT_SIZE` (include/linux/percpu.h): the largest per-CPU value. */
const PCPU_MIN_UNIT_SIZE = 32768;
/** `KMALLOC_MAX_SIZE` on x86-64 (4 MiB: `MAX_PAGE_ORDER` 10 + `PAGE_SHIFT` 12) less `sizeof(struct htab_elem)` (48). */
const HTAB_KEY_VALUE_MAX = (1 << 22) - 48;
/** `U32_MAX / sizeof(struct bucket)` (16 bytes: the list head and the bucket's lock): the most buckets. */
const MAX_BUCKETS = Math.floor(0xffff_ffff / 16);

export const isArray = (m: { readonly type: string }): boolean => m.type === 'array' || m.type === 'percpu_array';
/** The LRU hash maps (`htab_is_lru`): their elements are an LRU's nodes (lru.ts). */
export const isLru = (m: { readonly type: string }): boolean => m.type === 'lru_hash' || m.type === 'lru_percpu_hash';

/** What the checks look at: the type, the attributes as user space gives them, `value_size` (layout.ts). */
export interface CreateAttr {
  readonly type: string;
  readonly name: string;
  readonly maxEntries: number;
  readonly keySize: number;
  readonly flags: number;
  readonly layout: LayoutView;
}

/** `bpf_map_flags_access_ok`: programs may not be both read-only and write-only. */
const accessOk = (flags: number): boolean => (flags & (F.BPF_F_RDONLY_PROG | F.BPF_F_WRONLY_PROG)) !== (F.BPF_F_RDONLY_PROG | F.BPF_F_WRONLY_PROG);

/**
 * `htab_map_alloc_check` (HASH, LRU_HASH, PERCPU_HASH, LRU_PERCPU_HASH), then `htab_map_alloc`'s size
 * tests, in order:
 * - BPF_F_ZERO_SEED wants CAP_SYS_ADMIN (-EPERM): the model's user space is privileged, as the
 *   conformance loader is;
 * - a flag outside `HTAB_CREATE_FLAG_MASK`, or BPF_F_RDONLY_PROG with BPF_F_WRONLY_PROG → -EINVAL;
 * - BPF_F_NO_COMMON_LRU on a map that is not an LRU → -EINVAL; an LRU without preallocation →
 *   -ENOTSUPP; BPF_F_NUMA_NODE on a per-CPU map or a per-CPU LRU → -EINVAL;
 * - no entries, a key or a value of 0 bytes → -EINVAL; key and value together of `KMALLOC_MAX_SIZE`
 *   less an element's header or more → -E2BIG; a per-CPU value over `PCPU_MIN_UNIT_SIZE` → -E2BIG;
 * - (`htab_map_alloc`, `maxEntries` after a per-CPU LRU's rounding) more than 2^31 entries, or more
 *   buckets than `U32_MAX / sizeof(struct bucket)` → -E2BIG.
 */
export function htabAllocCheck(a: CreateAttr, maxEntries: number): number {
  const lru = isLru(a);
  if ((a.flags & ~HTAB_MASK) !== 0 || !accessOk(a.flags)) return -EINVAL;
  const percpuLru = (a.flags & F.BPF_F_NO_COMMON_LRU) !== 0;
  if (!lru && percpuLru) return -EINVAL;
  if (lru && (a.flags & F.BPF_F_NO_PREALLOC) !== 0) return -ENOTSUPP;
  if ((a.flags & F.BPF_F_NUMA_NODE) !== 0 && (isPercpu(a) || percpuLru)) return -EINVAL;
  if (a.maxEntries === 0 || a.keySize === 0 || a.layout.size === 0) return -EINVAL;
  if (a.keySize + a.layout.size >= HTAB_KEY_VALUE_MAX) return -E2BIG;
  if (isPercpu(a) && elemSize(a.layout) > PCPU_MIN_UNIT_SIZE) return -E2BIG;
  if (maxEntries > 2 ** 31 || nBuckets(maxEntries) > MAX_BUCKETS) return -E2BIG;
  return 0;
}

/**
 * `array_map_alloc_check` (ARRAY, PERCPU_ARRAY): no entries, a key that is not 4 bytes, a value of 0
 * bytes, a flag outside `ARRAY_CREATE_FLAG_MASK`, BPF_F_RDONLY_PROG with BPF_F_WRONLY_PROG, or
 * BPF_F_NUMA_NODE on a per-CPU array → -EINVAL; BPF_F_MMAPABLE or BPF_F_INNER_MAP on a PERCPU_ARRAY,
 * BPF_F_PRESERVE_ELEMS (a perf event array's) → -EINVAL; a value over `INT_MAX` → -E2BIG, a per-CPU
 * one over `PCPU_MIN_UNIT_SIZE` → -E2BIG. (`array_map_alloc` rounds the entries up to a power of two
 * against speculation, -E2BIG past 2^32, only for a user who may not bypass Spectre v1 mitigations:
 * the model's user space may, as the conformance loader, root, may.)
 */
export function arrayAllocCheck(a: CreateAttr): number {
  const percpu = isPercpu(a);
  if (a.maxEntries === 0 || a.keySize !== 4 || a.layout.size === 0 || (a.flags & ~ARRAY_MASK) !== 0 || !accessOk(a.flags)
    || (percpu && (a.flags & F.BPF_F_NUMA_NODE) !== 0)) return -EINVAL;
  if (a.type !== 'array' && (a.flags & (F.BPF_F_MMAPABLE | F.BPF_F_INNER_MAP)) !== 0) return -EINVAL;
  if ((a.flags & F.BPF_F_PRESERVE_ELEMS) !== 0) return -EINVAL;
  if (a.layout.size > 0x7fff_ffff) return -E2BIG;
  if (percpu && elemSize(a.layout) > PCPU_MIN_UNIT_SIZE) return -E2BIG;
  return 0;
}

/** `QUEUE_STACK_CREATE_FLAG_MASK` (kernel/bpf/queue_stack_maps.c). */
const QUEUE_STACK_MASK = F.BPF_F_NUMA_NODE | ACCESS_MASK;
/** `KMALLOC_MAX_SIZE` on x86-64: 4 MiB. */
const KMALLOC_MAX_SIZE = 1 << 22;

/** `enum bpf_map_type` (include/uapi/linux/bpf.h) values of the modelled types, as messages print them. */
export const MAP_TYPE_IDS: Readonly<Record<string, number>> = { hash: 1, array: 2, percpu_hash: 5, percpu_array: 6, lru_hash: 9, lru_percpu_hash: 10, queue: 22, stack: 23, ringbuf: 27, task_storage: 29, bloom_filter: 30 };

export const isQueueStack = (m: { readonly type: string }): boolean => m.type === 'queue' || m.type === 'stack';
export const isBloom = (m: { readonly type: string }): boolean => m.type === 'bloom_filter';
/** A TASK_STORAGE map: a value per task, reached through the task (task_storage.ts). */
export const isTaskStorage = (m: { readonly type: string }): boolean => m.type === 'task_storage';

/**
 * `queue_stack_map_alloc_check`: no entries, a key (a queue and a stack have none), a value of 0
 * bytes, a flag outside `QUEUE_STACK_CREATE_FLAG_MASK`, or BPF_F_RDONLY_PROG with BPF_F_WRONLY_PROG →
 * -EINVAL; a value over `KMALLOC_MAX_SIZE` → -E2BIG.
 */
export function queueStackAllocCheck(a: CreateAttr): number {
  if (a.maxEntries === 0 || a.keySize !== 0 || a.layout.size === 0 || (a.flags & ~QUEUE_STACK_MASK) !== 0 || !accessOk(a.flags)) return -EINVAL;
  if (a.layout.size > KMALLOC_MAX_SIZE) return -E2BIG;
  return 0;
}

/** `BLOOM_CREATE_FLAG_MASK` (kernel/bpf/bloom_filter.c). */
const BLOOM_MASK = F.BPF_F_NUMA_NODE | F.BPF_F_ZERO_SEED | ACCESS_MASK;

/**
 * `map_create_alloc`: `map_extra` other than 0 on a map type that has none (of the model's, all but a
 * bloom filter) → -EINVAL ("Invalid map_extra."), before the type's own checks.
 */
export function mapExtraCheck(type: string, mapExtra: number): number {
  return mapExtra !== 0 && type !== 'bloom_filter' ? -EINVAL : 0;
}

/**
 * `bloom_map_alloc_check`, then `bloom_map_alloc`'s tests: a value over `KMALLOC_MAX_SIZE` → -E2BIG;
 * then a key (a bloom filter has none), a value of 0 bytes, no entries, a flag outside
 * `BLOOM_CREATE_FLAG_MASK`, BPF_F_RDONLY_PROG with BPF_F_WRONLY_PROG, or `map_extra` above its low 4
 * bits → -EINVAL.
 */
export function bloomAllocCheck(a: CreateAttr, mapExtra: number): number {
  if (a.layout.size > KMALLOC_MAX_SIZE) return -E2BIG;
  if (a.keySize !== 0 || a.layout.size === 0 || a.maxEntries === 0 || (a.flags & ~BLOOM_MASK) !== 0 || !accessOk(a.flags) || mapExtra > 0xf) return -EINVAL;
  return 0;
}

/** kernel/bpf/bpf_local_storage.c `BPF_LOCAL_STORAGE_CREATE_FLAG_MASK` (BPF_F_CLONE: a socket storage's, taken by every local storage). */
const LOCAL_STORAGE_MASK = F.BPF_F_NO_PREALLOC | F.BPF_F_CLONE;
/**
 * include/linux/bpf_local_storage.h `BPF_LOCAL_STORAGE_MAX_VALUE_SIZE`: `U16_MAX` less
 * `sizeof(struct bpf_local_storage_elem)`, 128 on x86-64 (its data is cache-line aligned: 64 bytes of
 * list heads, pointer and state, then the 8-byte `smap` pointer, rounded up to 64; the same layout in
 * 6.18 and 7.2), the smaller of the two bounds (the other is `KMALLOC_MAX_SIZE` less the stack's 512).
 */
export const LOCAL_STORAGE_MAX_VALUE_SIZE = 0xffff - 128;

/**
 * `bpf_local_storage_map_alloc_check` (TASK_STORAGE): a flag outside
 * `BPF_LOCAL_STORAGE_CREATE_FLAG_MASK`, no BPF_F_NO_PREALLOC, any entries, a key that is not 4 bytes, a
 * value of 0 bytes, or no BTF for the key and the value (`btf`: libbpf gives a map declared with
 * `__type` its BTF; a bare `BPF_MAP_CREATE` has none) → -EINVAL; then a value over
 * `LOCAL_STORAGE_MAX_VALUE_SIZE` → -E2BIG. (`bpf_local_storage_map_check_btf` then wants a 32-bit int
 * key, which the model's `int` key is.)
 */
export function localStorageAllocCheck(a: CreateAttr, btf: boolean): number {
  if ((a.flags & ~LOCAL_STORAGE_MASK) !== 0 || (a.flags & F.BPF_F_NO_PREALLOC) === 0 || a.maxEntries !== 0 || a.keySize !== 4 || a.layout.size === 0 || !btf) return -EINVAL;
  if (a.layout.size > LOCAL_STORAGE_MAX_VALUE_SIZE) return -E2BIG;
  return 0;
}

/**
 * `bpf_get_file_flag`: the map's fd is read-only with BPF_F_RDONLY, write-only with BPF_F_WRONLY, and
 * both at once → -EINVAL: before the type's checks, or in 7.2 after the map was made (`map_create`
 * frees it; version.ts `mapFileFlagFirst`).
 */
export function fileFlagCheck(flags: number): number {
  return (flags & F.BPF_F_RDONLY) !== 0 && (flags & F.BPF_F_WRONLY) !== 0 ? -EINVAL : 0;
}

/** What the model does not have, once the kernel's checks passed: a key of other than 4 bytes (the model's keys are u32). */
export function notModelledKey(a: CreateAttr): void {
  if (a.keySize !== 4) throw new NotModelledError(`key_size ${a.keySize} of map ${a.name}`, 'the model\'s keys are u32 (key_size 4)');
}

/**
 * `map_check_btf`: a value with special fields (a `bpf_task_work`, kptrs) in a map programs may only
 * read or only write (BPF_F_RDONLY_PROG, BPF_F_WRONLY_PROG) → -EACCES.
 */
export function progAccessWithFields(flags: number): boolean {
  return (flags & (F.BPF_F_RDONLY_PROG | F.BPF_F_WRONLY_PROG)) !== 0;
}

/** Map types whose values may hold a `bpf_task_work` (syscall.c `map_check_btf`). */
const TASK_WORK_MAPS: ReadonlySet<string> = new Set(['array', 'hash', 'lru_hash']);
/** Map types whose values may hold kptrs (syscall.c `map_check_btf`): every type of the model's but the ring buffer. */
const KPTR_MAPS: ReadonlySet<string> = new Set(['array', 'hash', 'lru_hash', 'percpu_array', 'percpu_hash', 'lru_percpu_hash', 'task_storage']);

/**
 * `map_check_btf`'s verdict on a value's special fields as parsed (btf/object.ts `parsedFields`), once
 * the map is allocated: 0, or the errno BPF_MAP_CREATE with BTF fails with (libbpf then makes the map
 * again without BTF: btf/object.ts). A task storage map refuses a `bpf_task_work` (-EOPNOTSUPP, H);
 * fields in a map programs may only read or only write are -EACCES; a `bpf_task_work` or a kptr in a
 * map type that takes none, -EOPNOTSUPP.
 */
export function mapCheckBtf(decl: { readonly type: string; readonly flags?: number; readonly taskWorkFields: number; readonly kptrs?: readonly unknown[] }): number {
  const tw = decl.taskWorkFields;
  const kptrs = decl.kptrs?.length ?? 0;
  if (isTaskStorage(decl) && tw > 0) return -EOPNOTSUPP;
  if ((tw > 0 || kptrs > 0) && progAccessWithFields(decl.flags ?? 0)) return -EACCES;
  if (tw === 1 && !TASK_WORK_MAPS.has(decl.type)) return -EOPNOTSUPP;
  if (kptrs > 0 && !KPTR_MAPS.has(decl.type)) return -EOPNOTSUPP;
  return 0;
}

/**
 * Who may touch the map. User space through the fd `map_create` made: read-only with BPF_F_RDONLY, write-only
 * with BPF_F_WRONLY (`bpf_get_file_flag`; `map_get_sys_perms` then refuses the other with -EPERM).
 * Programs: read-only with BPF_F_RDONLY_PROG, write-only with BPF_F_WRONLY_PROG (`bpf_map_flags_to_cap`:
 * the verifier's `check_map_access_type` refuses the other).
 */
export function mapAccess(flags: number): { sysRead: boolean; sysWrite: boolean; progRead: boolean; progWrite: boolean } {
  return {
    sysRead: (flags & F.BPF_F_WRONLY) === 0, sysWrite: (flags & F.BPF_F_RDONLY) === 0,
    progRead: (flags & F.BPF_F_WRONLY_PROG) === 0, progWrite: (flags & F.BPF_F_RDONLY_PROG) === 0,
  };
}

/**
 * `map_get_sys_perms`: what user space's syscalls may do with the map through its fd: the fd's mode
 * (`mapAccess`), and no writing once the map is frozen (`BPF_MAP_FREEZE`).
 */
export function sysAccess(m: { readonly flags: number; readonly frozen: boolean }): { read: boolean; write: boolean } {
  const a = mapAccess(m.flags);
  return { read: a.sysRead, write: a.sysWrite && !m.frozen };
}
