/** BPF helpers for the current task and maps (kernel/bpf/helpers.c, kernel/trace/bpf_trace.c). */
import { ArgumentError, KernsimError } from './errors.ts';
import { EFAULT, EINVAL } from './errno.ts';
import { taskOf } from './fs_kfuncs.ts';
import { defineKfunc } from './kfunc.ts';
import { deleteElem, lookupElem, updateElem } from './maps.ts';
import type { Kern } from './world.ts';

function current(k: Kern, name: string): number {
  if (k.ctx.task === undefined) throw new ArgumentError(`${name}: current`, undefined, 'a call made by a task (run it from a program)');
  return taskOf(k, k.ctx.task, 'current').pid;
}

/** `bpf_get_current_task_btf`: `current` as a trusted task pointer. */
export const bpf_get_current_task_btf = defineKfunc({
  name: 'bpf_get_current_task_btf',
  mirrors: 'kernel/trace/bpf_trace.c: bpf_get_current_task_btf',
  kind: 'helper',
  since: '6.18',
  summary: 'The current task.',
  args: [],
  ret: 'task',
  flags: [],
  checks: [],
  effects: ['none'],
  confidence: 'H',
  impl(k) {
    return current(k, 'bpf_get_current_task_btf');
  },
});

/** `bpf_get_current_pid_tgid`: `tgid << 32 | pid`. */
export const bpf_get_current_pid_tgid = defineKfunc({
  name: 'bpf_get_current_pid_tgid',
  mirrors: 'kernel/bpf/helpers.c: bpf_get_current_pid_tgid',
  kind: 'helper',
  since: '6.18',
  summary: 'The current thread group id in the upper 32 bits, the thread id in the lower.',
  args: [],
  ret: 'u64',
  flags: [],
  checks: [],
  effects: ['none'],
  confidence: 'H',
  impl(k) {
    const t = taskOf(k, current(k, 'bpf_get_current_pid_tgid'));
    return (BigInt(t.tgid) << 32n) | BigInt(t.pid);
  },
});

/** `bpf_map_lookup_elem`: a pointer to the value, or NULL. */
export const bpf_map_lookup_elem = defineKfunc({
  name: 'bpf_map_lookup_elem',
  mirrors: 'kernel/bpf/helpers.c: bpf_map_lookup_elem',
  kind: 'helper',
  since: '6.18',
  summary: 'Look up `key` in `map`.',
  args: [{ name: 'map', type: 'map' }, { name: 'key', type: 'u32' }],
  ret: 'map_value',
  flags: ['RET_PTR_TO_MAP_VALUE_OR_NULL'],
  checks: ['no element → NULL'],
  effects: ['LRU_HASH: the element becomes the most recently used'],
  confidence: 'H',
  impl(k, map, key) {
    const found = lookupElem(k, map, Number(key));
    return found === null ? null : { map, key: found };
  },
});

/** `bpf_map_update_elem`: see maps.ts `updateElem` for the special-field side effects. */
export const bpf_map_update_elem = defineKfunc({
  name: 'bpf_map_update_elem',
  mirrors: 'kernel/bpf/helpers.c: bpf_map_update_elem; kernel/bpf/arraymap.c, hashtab.c',
  kind: 'helper',
  since: '6.18',
  summary: 'Create or replace the element `key` of `map`.',
  args: [{ name: 'map', type: 'map' }, { name: 'key', type: 'u32' }, { name: 'value', type: 'mem_or_null' }, { name: 'flags', type: 'u64' }],
  ret: 'int',
  flags: [],
  checks: [
    'flags > BPF_EXIST → -EINVAL (ARRAY and HASH: BPF_F_LOCK aside)',
    'ARRAY: key out of range → -E2BIG; BPF_NOEXIST → -EEXIST; then BPF_F_LOCK → -EINVAL (no value has a bpf_spin_lock)',
    'HASH: BPF_F_LOCK → -EINVAL; BPF_NOEXIST on a present key → -EEXIST; BPF_EXIST on a missing key → -ENOENT; full → -E2BIG (LRU: evicts)',
  ],
  effects: ['ARRAY: every update cancels the element\'s pending task_work; HASH: a replaced element\'s is cancelled'],
  confidence: 'H (array update frees fields), M (htab replace path)',
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
  args: [{ name: 'map', type: 'map' }, { name: 'key', type: 'u32' }],
  ret: 'int',
  flags: [],
  checks: ['ARRAY → -EINVAL', 'no element → -ENOENT'],
  effects: ['the element\'s pending task_work is cancelled'],
  confidence: 'H',
  impl(k, map, key) {
    return deleteElem(k, map, Number(key));
  },
});

/** BPF_F_PAD_ZEROS (include/uapi/linux/bpf.h). */
export const BPF_F_PAD_ZEROS = 1n;

/**
 * `bpf_copy_from_user_str` (kernel/bpf/helpers.c): copy a NUL-terminated string from the current
 * task's user memory (`strncpy_from_user`). KF_SLEEPABLE: it may fault user pages in.
 */
export const bpf_copy_from_user_str = defineKfunc({
  name: 'bpf_copy_from_user_str',
  mirrors: 'kernel/bpf/helpers.c: bpf_copy_from_user_str; lib/strncpy_from_user.c',
  kind: 'kfunc',
  since: '6.18',
  summary: 'Copy a string from user memory of the current task into `dst`, NUL-terminated.',
  args: [
    { name: 'dst', type: 'mem', out: true },
    { name: 'dst__sz', type: 'u32' },
    { name: 'unsafe_ptr__ign', type: 'u64' },
    { name: 'flags', type: 'u64' },
  ],
  ret: 'int',
  flags: ['KF_SLEEPABLE'],
  checks: [
    'flags other than BPF_F_PAD_ZEROS → -EINVAL',
    'dst__sz = 0 → 0',
    'no user memory at the address (or the task has no mm) → -EFAULT; with BPF_F_PAD_ZEROS all of dst is zeroed',
  ],
  effects: [
    'copies at most dst__sz - 1 bytes up to the NUL and terminates dst; returns the bytes copied + 1',
    'with BPF_F_PAD_ZEROS the rest of dst is zeroed',
  ],
  confidence: 'H (source)',
  impl(k, dst, size, ptr, flags) {
    if ((flags & ~BPF_F_PAD_ZEROS) !== 0n) return -EINVAL;
    if (size === 0n) return 0;
    const sz = Number(size);
    if (dst.length < sz) throw new ArgumentError('dst', dst, `a buffer of at least ${sz} bytes`);
    if (!k.ctx.sleepable) {
      throw new KernsimError('bpf_copy_from_user_str called from a non-sleepable context (the verifier refuses it: it may fault)');
    }
    const t = taskOf(k, current(k, 'bpf_copy_from_user_str'));
    const pad = (flags & BPF_F_PAD_ZEROS) !== 0n;
    // strncpy_from_user: up to sz - 1 bytes, stopping at a NUL; a byte outside user memory faults.
    let n = 0;
    for (; n < sz - 1; n += 1) {
      const at = ptr + BigInt(n);
      const region = t.mm === null ? undefined : t.userMem.find((r) => at >= r.addr && at < r.addr + BigInt(r.bytes.length));
      if (region === undefined) {
        if (pad) dst.fill(0, 0, sz);
        return -EFAULT;
      }
      const b = region.bytes[Number(at - region.addr)] ?? 0;
      if (b === 0) break;
      dst[n] = b;
    }
    if (pad) dst.fill(0, n, sz);
    else dst[n] = 0;
    return n + 1;
  },
});
