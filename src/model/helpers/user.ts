/** Reading the current task's user memory (kernel/bpf/helpers.c, lib/strncpy_from_user.c). */
import { ArgumentError, KernsimError } from '../kernel/errors.ts';
import { E2BIG, EFAULT, EINVAL } from '../kernel/errno.ts';
import { defineKfunc } from '../kfunc/kfunc.ts';
import { ownTask, taskOf } from '../task/task.ts';
import type { Pid, ReadonlyTask } from '../task/types.ts';
import { checkKern, type Kern } from '../world/world.ts';
import { current } from './current.ts';
import { zeroedOnError } from './zeroed.ts';
import { PAGE_SIZE, PAGE_SIZE_N } from '../../pagecache/index.ts';

/**
 * The index of the last of `t`'s user memory regions that starts at or before `addr`, or -1. The
 * regions are disjoint and kept in order of address (`userWrite`), so only that one can hold `addr`.
 */
function regionBefore(t: ReadonlyTask, addr: bigint): number {
  const rs = t.userMem;
  let lo = 0;
  let hi = rs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((rs[mid] as { addr: bigint }).addr <= addr) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** The byte of `t`'s user memory at `addr`, or null where nothing is mapped (a fault); a task without mm has none. */
export function userByte(t: ReadonlyTask, addr: bigint): number | null {
  if (t.mm === null) return null;
  const r = t.userMem[regionBefore(t, addr)];
  if (r === undefined || addr >= r.addr + BigInt(r.bytes.length)) return null;
  return r.bytes[Number(addr - r.addr)] ?? 0;
}

/**
 * Copy `len` bytes of `t`'s user memory from `addr` into `dst` at `at`, stopping at the first byte
 * not mapped. Returns the bytes copied (`len` when nothing faulted). The model's user memory is byte
 * granular: a fault happens at the first byte outside every region the task wrote. The bytes are
 * copied a region at a time: a read goes on into the next region only where it begins at the byte
 * after the previous one's last.
 */
export function userRead(t: ReadonlyTask, addr: bigint, dst: Uint8Array, at: number, len: number): number {
  if (t.mm === null) return 0;
  let done = 0;
  let i = regionBefore(t, addr);
  while (done < len) {
    const r = t.userMem[i];
    const pos = addr + BigInt(done);
    if (r === undefined || pos < r.addr || pos >= r.addr + BigInt(r.bytes.length)) return done;
    const from = Number(pos - r.addr);
    const n = Math.min(len - done, r.bytes.length - from);
    dst.set(r.bytes.subarray(from, from + n), at + done);
    done += n;
    i += 1;
  }
  return len;
}

/**
 * `TASK_SIZE_MAX` on x86-64 with 4-level page tables, `(1 << 47) - PAGE_SIZE`: the value of
 * `USER_PTR_MAX` (arch/x86/kernel/cpu/common.c, LAM off), the highest address `__access_ok` lets a
 * user range end at.
 */
export const TASK_SIZE_MAX = (1n << 47n) - PAGE_SIZE_N;

/** x86-64 `__access_ok(src, size)` with a size that is not a compile-time constant: `src + size` neither wraps nor passes `TASK_SIZE_MAX`. */
export function userAccessOk(src: bigint, size: number): boolean {
  return BigInt.asUintN(64, src) + BigInt(size) <= TASK_SIZE_MAX;
}

/**
 * `copy_from_user_nofault(dst, src, size)` (mm/maccess.c) for the current task `t`: 0, or -EFAULT.
 * First `__access_ok(src, size)` (arch/x86/include/asm/uaccess_64.h; `size` is not a compile-time
 * constant there, so the sum is checked): `src + size` must not wrap nor pass `TASK_SIZE_MAX` —
 * else -EFAULT before anything is read, even for size 0. Then `nmi_uaccess_okay` (arch/x86/mm/tlb.c):
 * the CPU's loaded mm must be `current->mm`; a task without mm (a kernel thread) fails it → -EFAULT.
 * Then the copy with page faults off: a short copy is -EFAULT (the bytes before the fault are in
 * `dst`, M: the callers here zero or ignore them). The model's user memory is always present.
 */
export function copyFromUserNofault(t: ReadonlyTask, dst: Uint8Array, at: number, src: bigint, size: number): number {
  if (!userAccessOk(src, size)) return -EFAULT;
  if (t.mm === null) return -EFAULT;
  return userRead(t, BigInt.asUintN(64, src), dst, at, size) === size ? 0 : -EFAULT;
}

/**
 * `access_process_vm(tsk, addr, buf, len, 0)` (mm/memory.c, `__access_remote_vm`) reading `t`'s
 * memory: the number of bytes copied. 0 when the task has no mm (`get_task_mm`) or nothing is mapped
 * at `addr`; else it copies page by page and stops at the first page it cannot get. The model's user
 * memory is per byte: the copy stops at the first unmapped byte (M: the kernel copies whole pages).
 */
export function accessProcessVm(t: ReadonlyTask, addr: bigint, dst: Uint8Array, at: number, len: number): number {
  if (t.mm === null) return 0;
  return userRead(t, addr, dst, at, len);
}

/** `sizeof(unsigned long)` on x86-64: the word of the word-at-a-time string copies below. */
export const WORD = 8;

/** The user page holding `addr` has something mapped: the task wrote a byte somewhere in it. */
export function pageMapped(t: ReadonlyTask, addr: bigint): boolean {
  if (t.mm === null) return false;
  const start = addr - (addr % PAGE_SIZE_N);
  // The region starting last before the page's end ends last of those (the regions are disjoint).
  const r = t.userMem[regionBefore(t, start + PAGE_SIZE_N - 1n)];
  return r !== undefined && r.addr + BigInt(r.bytes.length) > start;
}

/**
 * A word load of `t`'s user memory at `addr` as the word-at-a-time copies see it: the WORD bytes with
 * every byte after the first NUL masked to 0 (the x86 `has_zero` / `zero_bytemask` of
 * asm/word-at-a-time.h) and the index of that NUL (-1: none), or null when the load faults.
 *
 * The kernel's faults are per page, the model's user memory per byte (`userByte`). The model reads a
 * word when every byte whose value the copy uses is mapped — all WORD bytes, or the bytes up to the
 * NUL — and the bytes after the NUL (masked: their values never matter) lie in pages the task mapped;
 * a word reaching into a page with nothing mapped faults, as the kernel's load crossing into an
 * unmapped page does. A word with an unmapped byte before its NUL is null too: the byte path then
 * faults on that byte.
 */
function userWord(t: ReadonlyTask, addr: bigint): { bytes: Uint8Array; nul: number } | null {
  const bytes = new Uint8Array(WORD);
  for (let j = 0; j < WORD; j += 1) {
    const b = userByte(t, addr + BigInt(j));
    if (b === null) return null;
    bytes[j] = b;
    if (b === 0) {
      // The rest is masked to 0: only its page has to be mapped (the word spans at most two pages).
      return pageMapped(t, addr + BigInt(WORD - 1)) ? { bytes, nul: j } : null;
    }
  }
  return { bytes, nul: -1 };
}

/**
 * `strncpy_from_user(dst, src, count)` (lib/strncpy_from_user.c `do_strncpy_from_user`, x86-64:
 * unaligned access is cheap, masked user access, so its `max` is `count`). While at least a word of
 * `count` remains it loads a word (words counted from `src`); a word with a NUL is stored whole with
 * the bytes after the NUL zeroed, and the copy ends; a word that faults sends the rest of the copy
 * byte by byte from there (no more words). Byte by byte: each byte stored, a NUL ends the copy, a
 * fault is -EFAULT. Returns the length of the string (NUL not counted), or `count` when no NUL came in
 * `count` bytes (then nothing is terminated); on -EFAULT the bytes before the fault stay in `dst`.
 * So `dst` may hold zeros past the NUL up to the end of the NUL's word, never past `count`.
 */
export function strncpyFromUser(t: ReadonlyTask, dst: Uint8Array, at: number, src: bigint, count: number): number {
  let res = 0;
  for (; count - res >= WORD; res += WORD) {
    const w = userWord(t, src + BigInt(res));
    if (w === null) break;
    dst.set(w.bytes, at + res);
    if (w.nul >= 0) return res + w.nul;
  }
  for (; res < count; res += 1) {
    const b = userByte(t, src + BigInt(res));
    if (b === null) return -EFAULT;
    dst[at + res] = b;
    if (b === 0) return res;
  }
  return count;
}

/**
 * `strncpy_from_user_nofault(dst, src, count)` (mm/maccess.c): `strncpy_from_user` with page faults
 * off (the model's user memory is always present). A string of `count` bytes or more is cut to
 * `count - 1` bytes and a NUL. Returns the bytes written with the NUL (`count` when cut), 0 for
 * `count` 0, or -EFAULT (the bytes before the fault left in `dst`).
 */
export function strncpyFromUserNofault(t: ReadonlyTask, dst: Uint8Array, at: number, src: bigint, count: number): number {
  if (count <= 0) return 0;
  const ret = strncpyFromUser(t, dst, at, src, count);
  if (ret < 0) return ret;
  if (ret >= count) {
    dst[at + count - 1] = 0;
    return count;
  }
  return ret + 1;
}

/** `strscpyUser`'s results besides a length: -E2BIG (no NUL within the piece), or the model's fault (see `copyRemoteVmStr`). */
const STRSCPY_E2BIG = -E2BIG;
const FAULT = -1;

/**
 * `strscpy(dst, src, count)` (lib/string.c `sized_strscpy`, x86-64: CONFIG_DCACHE_WORD_ACCESS, so
 * words from the start whatever the alignment) over user bytes: while at least a word of `count`
 * remains it loads a word; one with a NUL is stored with the bytes after the NUL zeroed and its length
 * returned; when the word used up `count` exactly it is stored with its last byte zeroed and -E2BIG
 * returned. Then byte by byte while more than one byte of room is left (a NUL ends it), the last
 * byte of room is forced to NUL, and the result is the length if the source byte there was a NUL,
 * else -E2BIG. Where the model's user memory ends inside the piece (the kernel's page is whole: it
 * cannot), a word that does not load is read byte by byte and an unmapped byte is FAULT.
 */
function strscpyUser(t: ReadonlyTask, dst: Uint8Array, at: number, src: bigint, count: number): number {
  let res = 0;
  let left = count;
  for (; count - res >= WORD; res += WORD) {
    const w = userWord(t, src + BigInt(res));
    if (w === null) break;
    dst.set(w.bytes, at + res);
    if (w.nul >= 0) return res + w.nul;
    left -= WORD;
    if (left === 0) {
      dst[at + res + WORD - 1] = 0;
      return STRSCPY_E2BIG;
    }
  }
  for (; left > 1; res += 1, left -= 1) {
    const b = userByte(t, src + BigInt(res));
    if (b === null) {
      dst[at + res] = 0;
      return FAULT;
    }
    dst[at + res] = b;
    if (b === 0) return res;
  }
  dst[at + res] = 0;
  const last = userByte(t, src + BigInt(res));
  if (last === null) return FAULT;
  return last === 0 ? res : STRSCPY_E2BIG;
}

/**
 * `copy_remote_vm_str(tsk, addr, buf, len)` (mm/memory.c `__copy_remote_vm_str`) over `t`'s user
 * memory: the copy goes page by page — each piece from the current address to the end of its page
 * (or to the end of `len`) is copied by `strscpy`, so its words are counted from the piece's start:
 * from `addr` in the first piece, from the page's start after. The first piece whose string ends
 * gives the total length; a piece cut by strscpy (its forced NUL) is followed by the page's last byte
 * copied over that NUL, and the next page. Returns the string's length (NUL not counted; `len - 1`
 * for a string that does not end within `len`, the last byte NUL), or -EFAULT: no mm (buf[0] NUL), a
 * page not mapped (the kernel puts a NUL at the start of that page's piece). The model's faults are
 * per byte: a fault is at the first unmapped byte of the string, which gets the NUL (M).
 */
export function copyRemoteVmStr(t: ReadonlyTask, dst: Uint8Array, at: number, addr: bigint, len: number): number {
  if (len === 0) return 0;
  dst[at] = 0;
  if (t.mm === null) return -EFAULT;
  let pos = 0;
  let a = addr;
  for (let left = len; left > 0;) {
    const bytes = Math.min(left, PAGE_SIZE - Number(a % PAGE_SIZE_N));
    const r = strscpyUser(t, dst, at + pos, a, bytes);
    if (r === FAULT) return -EFAULT;
    if (r >= 0) return pos + r;
    pos += bytes - 1;
    if (bytes !== left) {
      // The page's last byte, over strscpy's NUL (it was read: strscpy looked at it).
      a += BigInt(bytes - 1);
      dst[at + pos] = userByte(t, a) ?? 0;
      pos += 1;
      a += 1n;
    }
    left -= bytes;
  }
  return pos;
}

/**
 * User space writes `bytes` at `addr` in its own memory, a stack buffer or a string: the region
 * replaces every region it overlaps (the model's user memory is the regions written, whole). A write
 * of no bytes changes nothing (until stop 50 it dropped the region holding `addr` and, inside a
 * page, made the page count as mapped).
 */
export function userWrite(k: Kern, pid: Pid, addr: bigint, bytes: Uint8Array): void {
  checkKern('k', k);
  if (typeof addr !== 'bigint' || addr < 0n) throw new ArgumentError('addr', addr, 'a user address (a non-negative bigint)');
  if (!(bytes instanceof Uint8Array)) throw new ArgumentError('bytes', bytes, 'a Uint8Array');
  const task = ownTask(k, pid, 'pid');
  if (bytes.length === 0) return;
  const end = addr + BigInt(bytes.length);
  // Kept disjoint and in order of address (regionBefore's binary search relies on both).
  const kept = task.userMem.filter((r) => r.addr + BigInt(r.bytes.length) <= addr || r.addr >= end);
  const i = kept.findIndex((r) => r.addr > addr);
  kept.splice(i < 0 ? kept.length : i, 0, { addr, bytes: bytes.slice() });
  task.userMem = kept;
}

/** BPF_F_PAD_ZEROS (include/uapi/linux/bpf.h). */
export const BPF_F_PAD_ZEROS = 1n;

/**
 * `bpf_copy_from_user_str` (kernel/bpf/helpers.c): copy a NUL-terminated string from the current
 * task's user memory (`strncpy_from_user`). KF_SLEEPABLE: it may fault user pages in.
 */
export const bpf_copy_from_user_str = defineKfunc({
  name: 'bpf_copy_from_user_str',
  mirrors: 'kernel/bpf/helpers.c: bpf_copy_from_user_str; lib/strncpy_from_user.c: strncpy_from_user, do_strncpy_from_user',
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
  returns: 'the bytes copied with the NUL, or a negative errno',
  flags: ['KF_SLEEPABLE'],
  checks: [
    'flags other than BPF_F_PAD_ZEROS → -EINVAL',
    'dst__sz = 0 → 0',
    'no user memory at the address (or the task has no mm) → -EFAULT; with BPF_F_PAD_ZEROS all of dst is zeroed',
  ],
  effects: [
    'copies at most dst__sz - 1 bytes up to the NUL and terminates dst; returns the bytes copied + 1',
    'with BPF_F_PAD_ZEROS the rest of dst is zeroed',
    'without it, strncpy_from_user copies 8-byte words while a whole word remains of dst__sz - 1 and stores the word holding the NUL with the bytes after the NUL zeroed: dst reads 0 from the NUL to the end of that word; bytes copied one by one (the tail, or after a word that faulted) are not padded, and the rest of dst keeps its bytes',
  ],
  confidence: 'H (source); M for which word loads fault (the model\'s user memory is per byte: see strncpyFromUser); over whole mapped pages the 6.18 host tier agrees byte for byte (conformance us_*)',
  impl(k, dst, size, ptr, flags) {
    // strncpy_from_user: up to sz - 1 bytes, stopping at a NUL; a byte outside user memory faults.
    return userStrCopy(k, 'bpf_copy_from_user_str', dst, size, flags, (sz) => strncpyFromUser(taskOf(k, current(k, 'bpf_copy_from_user_str')), dst, 0, ptr, sz - 1));
  },
});

/**
 * What `bpf_copy_from_user_str` and `bpf_copy_from_user_task_str` share around their copy: flags
 * other than BPF_F_PAD_ZEROS → -EINVAL, size 0 → 0; `copy(sz)` gives the string's length or an errno;
 * with the flag dst is zeroed after the string (all of it on an error), without it the string is
 * terminated; the bytes copied + 1.
 */
function userStrCopy(k: Kern, name: string, dst: Uint8Array, size: bigint, flags: bigint, copy: (sz: number) => number): number {
  if ((flags & ~BPF_F_PAD_ZEROS) !== 0n) return -EINVAL;
  if (size === 0n) return 0;
  const sz = Number(size);
  if (dst.length < sz) throw new ArgumentError('dst', dst, `a buffer of at least ${sz} bytes`);
  if (!k.ctx.sleepable) throw new KernsimError(`${name} called from a non-sleepable context (the verifier refuses it: it may fault)`);
  const pad = (flags & BPF_F_PAD_ZEROS) !== 0n;
  const n = copy(sz);
  if (n < 0) {
    if (pad) dst.fill(0, 0, sz);
    return n;
  }
  if (pad) dst.fill(0, n, sz);
  else dst[n] = 0;
  return n + 1;
}

/**
 * `bpf_copy_from_user_task_str` (kernel/bpf/helpers.c): copy a NUL-terminated string from the user
 * memory of `tsk` (`copy_remote_vm_str`: page by page, `strscpy` in each; helpers/user.ts
 * `copyRemoteVmStr`). KF_SLEEPABLE: it may fault user pages in.
 */
export const bpf_copy_from_user_task_str = defineKfunc({
  name: 'bpf_copy_from_user_task_str',
  mirrors: 'kernel/bpf/helpers.c: bpf_copy_from_user_task_str; mm/memory.c: copy_remote_vm_str, __copy_remote_vm_str',
  kind: 'kfunc',
  since: '6.18',
  summary: 'Copy a string from the user memory of `tsk` into `dst`, NUL-terminated.',
  args: [
    { name: 'dst', type: 'mem', out: true, size: 1 },
    { name: 'dst__sz', type: 'u32' },
    { name: 'unsafe_ptr__ign', type: 'u64', cType: 'const void *' },
    { name: 'tsk', type: 'task' },
    { name: 'flags', type: 'u64' },
  ],
  ret: 'int',
  returns: 'the bytes copied with the NUL, or a negative errno',
  flags: ['KF_SLEEPABLE'],
  checks: [
    'called from a non-sleepable program → the verifier refuses it (might_sleep)',
    'flags other than BPF_F_PAD_ZEROS → -EINVAL, dst untouched',
    'dst__sz = 0 → 0',
    'tsk has no mm (a kernel thread, or after exit_mm) → -EFAULT with dst[0] = NUL; with BPF_F_PAD_ZEROS all of dst is zeroed',
    'no user memory at the address before the NUL → -EFAULT; with BPF_F_PAD_ZEROS all of dst is zeroed',
  ],
  effects: [
    'copies at most dst__sz - 1 bytes up to the NUL and terminates dst; returns the bytes copied + 1',
    'with BPF_F_PAD_ZEROS the rest of dst is zeroed; without it, the rest keeps its bytes',
  ],
  confidence: 'H (source); M for the bytes a fault leaves in dst without BPF_F_PAD_ZEROS (see copyRemoteVmStr)',
  impl(k, dst, size, ptr, tsk, flags) {
    // copy_remote_vm_str terminates the string itself (its strscpy; on no mm, dst[0]).
    return userStrCopy(k, 'bpf_copy_from_user_task_str', dst, size, flags, (sz) => copyRemoteVmStr(taskOf(k, tsk, 'tsk'), dst, 0, BigInt.asUintN(64, ptr), sz));
  },
});

/**
 * `bpf_probe_read_user_str(dst, size, unsafe_ptr)` (kernel/trace/bpf_trace.c
 * `bpf_probe_read_user_str_common`): `strncpy_from_user_nofault(dst, unsafe_ptr, size)` from the
 * current task; on an error all of dst is zeroed.
 */
export const bpf_probe_read_user_str = defineKfunc({
  name: 'bpf_probe_read_user_str',
  mirrors: 'kernel/trace/bpf_trace.c: bpf_probe_read_user_str, bpf_probe_read_user_str_common; mm/maccess.c: strncpy_from_user_nofault; lib/strncpy_from_user.c: do_strncpy_from_user',
  kind: 'helper',
  since: '6.18',
  summary: 'Copy a NUL-terminated string of the current task\'s user memory into `dst`, at most `size` bytes (no page faults).',
  args: [
    { name: 'dst', type: 'mem', out: true, size: 1 },
    { name: 'size', type: 'u32' },
    { name: 'unsafe_ptr', type: 'u64', cType: 'const void *' },
  ],
  ret: 'int',
  returns: 'the bytes written with the NUL, or a negative errno',
  flags: [],
  checks: [
    'size 0 → 0',
    'a byte not mapped before the NUL (or the task has no mm) → -EFAULT, all of dst zeroed',
  ],
  effects: [
    'copies the string and its NUL and returns the bytes written with the NUL; a string of size bytes or more is cut to size - 1 bytes and a NUL (returns size)',
    'strncpy_from_user copies 8-byte words while a whole word remains of size and stores the word holding the NUL with the bytes after the NUL zeroed: dst reads 0 from the NUL to the end of that word; bytes copied one by one (the tail, or after a word that faulted) are not padded, and the rest of dst keeps its bytes',
  ],
  confidence: 'H (source); M for which word loads fault (the model\'s user memory is per byte: see strncpyFromUser); over whole mapped pages the 6.18 host tier agrees byte for byte (conformance us_*)',
  impl(k, dst, size, ptr) {
    return zeroedOnError(dst, size, (n) => strncpyFromUserNofault(taskOf(k, current(k, 'bpf_probe_read_user_str')), dst, 0, ptr, n));
  },
});

/**
 * `bpf_probe_read_user(dst, size, unsafe_ptr)` (kernel/trace/bpf_trace.c
 * `bpf_probe_read_user_common`): `copy_from_user_nofault(dst, unsafe_ptr, size)` from the current
 * task (`copyFromUserNofault`); on an error all `size` bytes of dst are zeroed.
 */
export const bpf_probe_read_user = defineKfunc({
  name: 'bpf_probe_read_user',
  mirrors: 'kernel/trace/bpf_trace.c: bpf_probe_read_user, bpf_probe_read_user_common; mm/maccess.c: copy_from_user_nofault; arch/x86/include/asm/uaccess_64.h: __access_ok; arch/x86/mm/tlb.c: nmi_uaccess_okay',
  kind: 'helper',
  since: '6.18',
  summary: 'Copy `size` bytes of the current task\'s user memory at `unsafe_ptr` into `dst` (no page faults).',
  args: [
    { name: 'dst', type: 'mem', out: true, size: 1 },
    { name: 'size', type: 'u32' },
    { name: 'unsafe_ptr', type: 'u64', cType: 'const void *' },
  ],
  ret: 'int',
  flags: [],
  checks: [
    'unsafe_ptr + size past TASK_SIZE_MAX (0x7ffffffff000) or wrapping → -EFAULT before anything is read (even for size 0)',
    'the task has no mm (a kernel thread: nmi_uaccess_okay fails) → -EFAULT',
    'a byte not mapped (a short copy) → -EFAULT',
    'on -EFAULT all size bytes of dst are zeroed',
  ],
  effects: ['dst gets the bytes; returns 0 (size 0 with a user address: 0, nothing written)'],
  confidence: 'H (source); M for which bytes the model treats as mapped (per byte, the kernel per page); the 6.18 host tier agrees byte for byte over a mapped page and the PROT_NONE page after it (conformance us_read_user)',
  impl(k, dst, size, ptr) {
    return zeroedOnError(dst, size, (n) => copyFromUserNofault(taskOf(k, current(k, 'bpf_probe_read_user')), dst, 0, ptr, n));
  },
});

/**
 * `bpf_copy_from_user_task(dst, size, user_ptr, tsk, flags)` (kernel/bpf/helpers.c): flags must be 0,
 * size 0 is 0, then `access_process_vm(tsk, user_ptr, dst, size, 0)` (`accessProcessVm`); all of
 * size copied → 0, else dst is zeroed and -EFAULT. might_sleep: sleepable programs only.
 */
export const bpf_copy_from_user_task = defineKfunc({
  name: 'bpf_copy_from_user_task',
  mirrors: 'kernel/bpf/helpers.c: bpf_copy_from_user_task; mm/memory.c: access_process_vm, __access_remote_vm',
  kind: 'helper',
  since: '6.18',
  summary: 'Copy `size` bytes of `tsk`\'s user memory at `user_ptr` into `dst` (may fault pages in).',
  args: [
    { name: 'dst', type: 'mem', out: true, size: 1 },
    { name: 'size', type: 'u32' },
    { name: 'user_ptr', type: 'u64', cType: 'const void *' },
    { name: 'tsk', type: 'task' },
    { name: 'flags', type: 'u64' },
  ],
  ret: 'int',
  flags: ['KF_SLEEPABLE'],
  checks: [
    'called from a non-sleepable program → the verifier refuses it (might_sleep)',
    'flags other than 0 → -EINVAL, dst untouched',
    'size 0 → 0',
    'fewer than size bytes copied (a byte not mapped, or tsk has no mm) → -EFAULT, all size bytes of dst zeroed',
  ],
  effects: ['dst gets the bytes; returns 0'],
  confidence: 'H (source); M for which bytes the model treats as mapped (per byte, the kernel per page); the 6.18 host tier agrees byte for byte with the current task (conformance us_copy_task)',
  impl(k, dst, size, ptr, tsk, flags) {
    if (flags !== 0n) return -EINVAL;
    if (Number(size) === 0) return 0;
    return zeroedOnError(dst, size, (n) => {
      if (!k.ctx.sleepable) {
        throw new KernsimError('bpf_copy_from_user_task called from a non-sleepable context (the verifier refuses it: it may sleep)');
      }
      return accessProcessVm(taskOf(k, tsk, 'tsk'), BigInt.asUintN(64, ptr), dst, 0, n) === n ? 0 : -EFAULT;
    });
  },
});

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
    return zeroedOnError(dst, size, (n) => {
      if (!k.ctx.sleepable) {
        throw new KernsimError('bpf_copy_from_user called from a non-sleepable context (the verifier refuses it: it may fault)');
      }
      return userRead(taskOf(k, current(k, 'bpf_copy_from_user')), ptr, dst, 0, n) === n ? 0 : -EFAULT;
    });
  },
});
