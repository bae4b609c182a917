/** Reading the current task's user memory (kernel/bpf/helpers.c, lib/strncpy_from_user.c). */
import { ArgumentError, KernsimError } from '../kernel/errors.ts';
import { EFAULT, EINVAL } from '../kernel/errno.ts';
import { defineKfunc } from '../kfunc/kfunc.ts';
import { ownTask, taskOf } from '../task/task.ts';
import type { Pid, ReadonlyTask } from '../task/types.ts';
import { checkKern, type Kern } from '../world/world.ts';
import { current } from './current.ts';

/** The byte of `t`'s user memory at `addr`, or null where nothing is mapped (a fault); a task without mm has none. */
export function userByte(t: ReadonlyTask, addr: bigint): number | null {
  if (t.mm === null) return null;
  for (const r of t.userMem) {
    if (addr >= r.addr && addr < r.addr + BigInt(r.bytes.length)) return r.bytes[Number(addr - r.addr)] ?? 0;
  }
  return null;
}

/**
 * Copy `len` bytes of `t`'s user memory from `addr` into `dst` at `at`, stopping at the first byte
 * not mapped. Returns the bytes copied (`len` when nothing faulted). The model's user memory is byte
 * granular: a fault happens at the first byte outside every region the task wrote.
 */
export function userRead(t: ReadonlyTask, addr: bigint, dst: Uint8Array, at: number, len: number): number {
  for (let i = 0; i < len; i += 1) {
    const b = userByte(t, addr + BigInt(i));
    if (b === null) return i;
    dst[at + i] = b;
  }
  return len;
}

/**
 * `strncpy_from_user(dst, src, count)` (lib/strncpy_from_user.c): copy up to `count` bytes, stopping
 * after a NUL; the length of the string (NUL not counted), `count` when no NUL came in `count`
 * bytes, or -EFAULT (the bytes before the fault stay in `dst`).
 */
export function strncpyFromUser(t: ReadonlyTask, dst: Uint8Array, at: number, src: bigint, count: number): number {
  for (let i = 0; i < count; i += 1) {
    const b = userByte(t, src + BigInt(i));
    if (b === null) return -EFAULT;
    dst[at + i] = b;
    if (b === 0) return i;
  }
  return count;
}

/** User space writes `bytes` at `addr` in its own memory (replacing what overlapped): a stack buffer, a string. */
export function userWrite(k: Kern, pid: Pid, addr: bigint, bytes: Uint8Array): void {
  checkKern('k', k);
  if (typeof addr !== 'bigint' || addr < 0n) throw new ArgumentError('addr', addr, 'a user address (a non-negative bigint)');
  if (!(bytes instanceof Uint8Array)) throw new ArgumentError('bytes', bytes, 'a Uint8Array');
  const task = ownTask(k, pid, 'pid');
  const end = addr + BigInt(bytes.length);
  task.userMem = [...task.userMem.filter((r) => r.addr + BigInt(r.bytes.length) <= addr || r.addr >= end), { addr, bytes: bytes.slice() }];
}

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
    { name: 'dst', type: 'mem', out: true, size: 1 },
    { name: 'dst__sz', type: 'u32' },
    { name: 'unsafe_ptr__ign', type: 'u64', cType: 'const void *' },
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
    const n = strncpyFromUser(t, dst, 0, ptr, sz - 1);
    if (n < 0) {
      if (pad) dst.fill(0, 0, sz);
      return n;
    }
    if (pad) dst.fill(0, n, sz);
    else dst[n] = 0;
    return n + 1;
  },
});

/** The bytes of the current task's user memory at `[addr, addr + n)`, or null where any byte is unmapped. */
export function userBytes(t: { mm: unknown; userMem: readonly { addr: bigint; bytes: Uint8Array }[] }, addr: bigint, n: number): Uint8Array | null {
  if (t.mm === null) return n === 0 ? new Uint8Array(0) : null;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 1) {
    const at = addr + BigInt(i);
    const region = t.userMem.find((r) => at >= r.addr && at < r.addr + BigInt(r.bytes.length));
    if (region === undefined) return null;
    out[i] = region.bytes[Number(at - region.addr)] ?? 0;
  }
  return out;
}

/**
 * `bpf_copy_from_user(dst, size, user_ptr)` (kernel/bpf/helpers.c): `copy_from_user` from the current
 * task. Sleepable only: it may fault pages in. A fault zeroes dst and returns -EFAULT.
 */
export const bpf_copy_from_user = defineKfunc({
  name: 'bpf_copy_from_user',
  mirrors: 'kernel/bpf/helpers.c: bpf_copy_from_user',
  kind: 'helper',
  since: '6.18',
  summary: 'Copy `size` bytes of the current task\'s user memory at `user_ptr` into `dst`.',
  args: [
    { name: 'dst', type: 'mem', out: true, size: 1 },
    { name: 'size', type: 'u32' },
    { name: 'user_ptr', type: 'u64' },
  ],
  ret: 'int',
  flags: ['KF_SLEEPABLE'],
  checks: ['any byte not in the task\'s user memory (or no mm) → -EFAULT, dst zeroed'],
  effects: ['dst gets the bytes'],
  confidence: 'H (source)',
  impl(k, dst, size, ptr) {
    const n = Number(size);
    if (dst.length < n) throw new ArgumentError('dst', dst, `a buffer of at least ${n} bytes (the verifier pairs it with size)`);
    if (!k.ctx.sleepable) {
      throw new KernsimError('bpf_copy_from_user called from a non-sleepable context (the verifier refuses it: it may fault)');
    }
    const got = userBytes(taskOf(k, current(k, 'bpf_copy_from_user')), ptr, n);
    if (got === null) {
      dst.fill(0, 0, n);
      return -EFAULT;
    }
    dst.set(got);
    return 0;
  },
});
