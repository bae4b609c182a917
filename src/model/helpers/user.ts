/** Reading the current task's user memory (kernel/bpf/helpers.c, lib/strncpy_from_user.c). */
import { ArgumentError, KernsimError } from '../kernel/errors.ts';
import { EFAULT, EINVAL } from '../kernel/errno.ts';
import { defineKfunc } from '../kfunc/kfunc.ts';
import { taskOf } from '../task/task.ts';
import { current } from './current.ts';

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
