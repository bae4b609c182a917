/**
 * Per-CPU map values (PERCPU_ARRAY, PERCPU_HASH, LRU_PERCPU_HASH: kernel/bpf/arraymap.c, hashtab.c,
 * syscall.c). Each
 * element has one copy of its value per possible CPU (`num_possible_cpus()`, the world's `cpus`), each
 * `round_up(value_size, 8)` bytes (`elem_size`): a program reads and writes its own CPU's copy, user
 * space reads and writes them all, laid end to end. Every operation of the model runs on CPU 0, so a
 * program's `bpf_map_lookup_elem` and `bpf_map_update_elem` touch CPU 0's copy; the other copies are
 * reached by `bpf_map_lookup_percpu_elem` and by user space.
 *
 * The element memory (`MapSlot.data`) of a per-CPU map holds every copy: CPU c's at `c × stride`. Of a
 * copy, the plain bytes are `[0, dataEnd)`; the special fields' bytes stay zero (CPU 0's kptrs are the
 * slot's `kptrs`; a program cannot reach another CPU's in the model, see memory.ts); the bytes from
 * `value_size` to the stride are padding that only user space sees.
 *
 * - A program's update writes `value_size` bytes of its CPU's copy (`copy_map_value`). A new
 *   PERCPU_HASH element gets the value on that CPU and zeroes every other CPU's plain bytes
 *   (`pcpu_init_value`: `zero_map_value`, paddings kept); a present one is updated in place
 *   (`pcpu_copy_value`), not replaced by new memory.
 * - User space's lookup returns every CPU's rounded copy, special fields zeroed (`copy_map_value_long`,
 *   `check_and_init_map_value`). Its update writes every CPU's copy from `value + c × stride`: the
 *   rounded bytes before 7.0 (`copy_map_value_long`, so padding written is read back), `value_size`
 *   bytes since (`copy_map_value`).
 * - Since 7.0 (`percpuCpuFlags`): `BPF_F_CPU` with the CPU in the flags' upper half reads or writes that
 *   CPU's copy alone, from `value_size` bytes (a new hash element: the other CPUs zeroed, as a
 *   program's); `BPF_F_ALL_CPUS` writes one value into every copy.
 */
import { EINVAL, ERANGE } from '../kernel/errno.ts';
import { elemSize, type LayoutView } from './layout.ts';

/** `BPF_F_CPU` (include/uapi/linux/bpf.h, 7.0): the CPU is `flags >> 32`. */
export const BPF_F_CPU = 8n;
/** `BPF_F_ALL_CPUS` (7.0): one value for every CPU (updates only). */
export const BPF_F_ALL_CPUS = 16n;
const BPF_F_LOCK = 4n;

/** The per-CPU map types of the model (`bpf_map_is_percpu_map`'s, per-CPU cgroup storage aside). */
export function isPercpu(m: { readonly type: string }): boolean {
  return m.type === 'percpu_array' || m.type === 'percpu_hash' || m.type === 'lru_percpu_hash';
}

/** The bytes of a per-CPU element memory: every CPU's copy. */
export function percpuBytes(l: LayoutView, cpus: number): number {
  return elemSize(l) * cpus;
}

/** CPU `cpu`'s plain bytes in a per-CPU element memory `data` (a view: writes go into `data`). */
export function cpuCopy(data: Uint8Array, l: LayoutView, cpu: number): Uint8Array {
  const at = cpu * elemSize(l);
  return data.subarray(at, at + l.dataEnd);
}

/** `copy_map_value` into CPU `cpu`'s copy: its plain bytes from `value` (zeros where it is short or null). */
export function writeCpu(data: Uint8Array, l: LayoutView, cpu: number, value: Uint8Array | null): void {
  const dst = cpuCopy(data, l, cpu);
  dst.fill(0);
  if (value !== null) dst.set(value.subarray(0, l.dataEnd));
}

/**
 * `pcpu_init_value` for one CPU (a program's new PERCPU_HASH element, or user space's with BPF_F_CPU):
 * CPU `cpu` gets the value, every other CPU's plain bytes are zeroed (`zero_map_value`: the padding
 * after `value_size` stays what the memory held).
 */
export function initOneCpu(data: Uint8Array, l: LayoutView, cpus: number, cpu: number, value: Uint8Array | null): void {
  for (let c = 0; c < cpus; c += 1) writeCpu(data, l, c, c === cpu ? value : null);
}

/**
 * User space's bytes into every CPU's copy (`bpf_percpu_array_update`, `pcpu_copy_value` with
 * `onallcpus`): from `value + c × stride`, or with BPF_F_CPU into one CPU and with BPF_F_ALL_CPUS into
 * each from `value` itself. Before 7.0 (`rounded`) a copy takes the padding after `value_size` too.
 */
export function copyFromUser(data: Uint8Array, l: LayoutView, cpus: number, value: Uint8Array, flags: bigint, rounded: boolean): void {
  const stride = elemSize(l);
  if ((flags & BPF_F_CPU) !== 0n) {
    writeCpu(data, l, Number(flags >> 32n), value);
    return;
  }
  const all = (flags & BPF_F_ALL_CPUS) !== 0n;
  for (let c = 0; c < cpus; c += 1) {
    const src = all ? value : value.subarray(c * stride, (c + 1) * stride);
    writeCpu(data, l, c, src);
    if (rounded && stride > l.size) data.set(src.subarray(l.size, stride), c * stride + l.size);
  }
}

/**
 * Every CPU's copy out to user space (`bpf_percpu_array_copy`, `bpf_percpu_hash_copy`): the rounded
 * bytes of each, special fields zeroed; with BPF_F_CPU, that CPU's `value_size` bytes alone.
 */
export function copyToUser(data: Uint8Array, l: LayoutView, cpus: number, out: Uint8Array, flags: bigint): void {
  const stride = elemSize(l);
  if ((flags & BPF_F_CPU) !== 0n) {
    const at = Number(flags >> 32n) * stride;
    out.set(data.subarray(at, at + l.size));
    return;
  }
  out.set(data.subarray(0, stride * cpus));
}

/**
 * `bpf_map_check_op_flags` (include/linux/bpf.h, 7.0): the flags of a lookup or update from user space,
 * before the map sees them. Unknown low bits (of `allowed`) and BPF_F_LOCK (no value has a
 * `bpf_spin_lock`) are -EINVAL, so are upper bits without BPF_F_CPU, BPF_F_CPU or BPF_F_ALL_CPUS on a
 * map that is not per-CPU, and both at once; a CPU that is not possible is -ERANGE.
 */
export function checkOpFlags(m: { readonly type: string }, flags: bigint, allowed: bigint, cpus: number): number {
  if ((flags & 0xffff_ffffn & ~allowed) !== 0n) return -EINVAL;
  if ((flags & BPF_F_LOCK) !== 0n) return -EINVAL;
  if ((flags & BPF_F_CPU) === 0n && flags >> 32n !== 0n) return -EINVAL;
  if ((flags & (BPF_F_CPU | BPF_F_ALL_CPUS)) !== 0n) {
    if (!isPercpu(m)) return -EINVAL;
    if ((flags & BPF_F_CPU) !== 0n && (flags & BPF_F_ALL_CPUS) !== 0n) return -EINVAL;
    if ((flags & BPF_F_CPU) !== 0n && flags >> 32n >= BigInt(cpus)) return -ERANGE;
  }
  return 0;
}

/**
 * The flags a per-CPU map's own update from user space refuses (-EINVAL): before 7.0 anything above
 * BPF_EXIST (`bpf_percpu_array_update`, `__htab_percpu_map_update_elem`); since, BPF_F_LOCK or a low
 * half above BPF_F_ALL_CPUS (`htab_map_check_update_flags`), so BPF_NOEXIST | BPF_EXIST passes there.
 */
export function percpuUpdateFlagsBad(flags: bigint, cpuFlags: boolean): boolean {
  return cpuFlags ? (flags & BPF_F_LOCK) !== 0n || (flags & 0xffff_ffffn) > BPF_F_ALL_CPUS : flags > 2n;
}

/**
 * `bpf_map_value_size`: the bytes user space passes for a value. A per-CPU map's are every CPU's
 * rounded copy, or one `value_size` with BPF_F_CPU or BPF_F_ALL_CPUS (7.0).
 */
export function percpuUserSize(l: LayoutView, cpus: number, flags: bigint): number {
  return (flags & (BPF_F_CPU | BPF_F_ALL_CPUS)) !== 0n ? l.size : percpuBytes(l, cpus);
}
