/**
 * Copying user or kernel memory into a dynptr (kernel/trace/bpf_trace.c, 6.16: `__bpf_dynptr_copy`,
 * `__bpf_dynptr_copy_str` and their copy functions). Every kfunc here first tries a writable direct
 * slice of the destination (`bpf_dynptr_slice_rdwr(dptr, off, NULL, size)`) and copies into it; else
 * it checks the bounds (-E2BIG) and copies through a 256-byte buffer, chunk by chunk, with
 * `__bpf_dynptr_write` — so a read-only destination is -EINVAL only after the first chunk was read.
 *
 * The copy functions (M where marked: the partial contents after a fault):
 * - `copy_from_user_nofault` / `strncpy_from_user_nofault` (probe_read_user): the current task's memory;
 * - `copy_from_kernel_nofault` / `strncpy_from_kernel_nofault` (probe_read_kernel): kernel memory
 *   (helpers/kernel_mem.ts; a user or non-canonical address is -ERANGE);
 * - `copy_from_user` / `strncpy_from_user` (copy_from_user, sleepable): the current task's memory;
 *   a fault is -EFAULT and `copy_from_user` zeroes what it could not copy;
 * - `access_process_vm` / `copy_remote_vm_str` (…_task, sleepable): the memory of `tsk`; a short copy
 *   is -EFAULT.
 * String functions return the bytes written with the NUL (a string longer than the room is cut and
 * still terminated), 0 for size 0. The user ones copy 8-byte words (lib/strncpy_from_user.c
 * `do_strncpy_from_user`; lib/string.c `sized_strscpy` per page for the _task one) and store the
 * NUL's word whole, the bytes after the NUL zeroed: into a direct slice that zeroes dynptr bytes past
 * the string (helpers/user.ts); through the chunk buffer only the string and its NUL reach the
 * dynptr. The kernel one copies byte by byte.
 */
import { EFAULT } from '../kernel/errno.ts';
import { KernsimError } from '../kernel/errors.ts';
import { defineKfunc, type ArgSpec } from '../kfunc/kfunc.ts';
import { current } from '../helpers/current.ts';
import { accessProcessVm, copyFromUserNofault, copyRemoteVmStr, userAccessOk, strncpyFromUser, strncpyFromUserNofault, userRead } from '../helpers/user.ts';
import { kernelSource } from '../helpers/kernel_mem.ts';
import { taskOf } from '../task/task.ts';
import type { ReadonlyTask } from '../task/types.ts';
import type { Kern } from '../world/world.ts';
import { checkOffLen, dynptrAt, dynptrWrite } from './core.ts';
import { CHUNK, directRdwr, sizeOrZero } from './memset.ts';
import { E2BIG } from '../kernel/errno.ts';

/** A copy function (`copy_fn_t`): copy `size` bytes from `src` into `dst` at `at`; 0 or an errno (string ones: the count). */
type CopyFn = (dst: Uint8Array, at: number, src: bigint, size: number) => number;

/**
 * `copy_from_user_nofault` (helpers/user.ts `copyFromUserNofault`): 0, or -EFAULT with the bytes
 * before the fault copied (M). Size 0 is no exception in the kernel: `__access_ok` looks at the
 * address and `nmi_uaccess_okay` at the task, so a kernel thread (no mm) gets -EFAULT (7.2.13
 * mm/maccess.c). A direct call made by no task (the Session API outside `inTask`) has no task to look
 * at: size 0 at a user address reads nothing and is 0 there (the model's choice; a size above 0 is a
 * misuse).
 */
function userNofault(k: Kern, name: string): CopyFn {
  return (dst, at, src, size) => (size === 0 && k.ctx.task === undefined && userAccessOk(src, 0) ? 0 : copyFromUserNofault(taskOf(k, current(k, name)), dst, at, src, size));
}

/** `copy_from_user`, wrapped to return -EFAULT: what could not be copied is zeroed. */
function userSleepable(task: () => ReadonlyTask): CopyFn {
  return (dst, at, src, size) => {
    if (size === 0) return 0;
    const n = userRead(task(), src, dst, at, size);
    if (n === size) return 0;
    dst.fill(0, at + n, at + size);
    return -EFAULT;
  };
}

/** `access_process_vm(tsk, …)` (helpers/user.ts `accessProcessVm`): fewer bytes than asked → -EFAULT (what was copied stays, M). */
function taskSleepable(task: () => ReadonlyTask): CopyFn {
  return (dst, at, src, size) => (size === 0 || accessProcessVm(task(), src, dst, at, size) === size ? 0 : -EFAULT);
}

/** `strncpy_from_user_nofault(dst, src, count)` (helpers/user.ts). */
function userStrNofault(task: () => ReadonlyTask): CopyFn {
  return (dst, at, src, count) => (count <= 0 ? 0 : strncpyFromUserNofault(task(), dst, at, src, count));
}

/** `copy_user_str_sleepable` for the current task: `strncpy_from_user(dst, src, size - 1)`, then the NUL. */
function userStrSleepable(task: () => ReadonlyTask): CopyFn {
  return (dst, at, src, size) => {
    if (size === 0) return 0;
    const t = task();
    const ret = strncpyFromUser(t, dst, at, src, size - 1);
    if (ret < 0) return ret;
    dst[at + ret] = 0;
    return ret + 1;
  };
}

/**
 * `copy_user_str_sleepable` for another task: `copy_remote_vm_str(tsk, src, dst, size)` (page by
 * page, `strscpy` in each: helpers/user.ts `copyRemoteVmStr`) reads up to `size` bytes looking for the
 * NUL, always terminates, returns the string's length (M for the bytes left on a fault); the wrapper
 * adds 1.
 */
function taskStrSleepable(task: () => ReadonlyTask): CopyFn {
  return (dst, at, src, size) => {
    if (size === 0) return 0;
    const ret = copyRemoteVmStr(task(), dst, at, src, size);
    return ret < 0 ? ret : ret + 1;
  };
}

const ARGS = { dynptr: 'dptr', mem: 'dptr' } as const;

/** `__bpf_dynptr_copy`. */
function dynptrCopy(k: Kern, slot: string, off: bigint, size: bigint, src: bigint, copy: CopyFn): number {
  const d = dynptrAt(k, slot, 'dptr');
  const direct = directRdwr(k, d, off, size, 'dptr');
  if (direct !== null) return copy(direct, 0, src, direct.length);
  if (checkOffLen(sizeOrZero(k, d, 'dptr'), off, size) !== 0) return -E2BIG;
  const buf = new Uint8Array(CHUNK);
  for (let at = 0n; at < size;) {
    const chunk = size - at < BigInt(CHUNK) ? Number(size - at) : CHUNK;
    const err = copy(buf, 0, src + at, chunk);
    if (err !== 0) return err;
    const w = dynptrWrite(k, d, off + at, buf, BigInt(chunk), 0n, ARGS);
    if (w !== 0) return w;
    at += BigInt(chunk);
  }
  return 0;
}

/** `__bpf_dynptr_copy_str`: chunks overlap by one byte, so the next chunk overwrites the NUL. */
function dynptrCopyStr(k: Kern, slot: string, off: bigint, size: bigint, src: bigint, copy: CopyFn): number {
  const d = dynptrAt(k, slot, 'dptr');
  const direct = directRdwr(k, d, off, size, 'dptr');
  if (direct !== null) return copy(direct, 0, src, direct.length);
  if (checkOffLen(sizeOrZero(k, d, 'dptr'), off, size) !== 0) return -E2BIG;
  const buf = new Uint8Array(CHUNK);
  let at = 0n;
  while (at < size) {
    const chunk = size - at < BigInt(CHUNK) ? Number(size - at) : CHUNK;
    const cnt = copy(buf, 0, src + at, chunk);
    if (cnt < 0) return cnt;
    const w = dynptrWrite(k, d, off + at, buf, BigInt(cnt), 0n, ARGS);
    if (w !== 0) return w;
    if (cnt < chunk || chunk === 1) return Number(BigInt.asIntN(32, at + BigInt(cnt)));
    at += BigInt(chunk - 1);
  }
  return Number(BigInt.asIntN(32, at));
}

/** The calling task, for the kfuncs that read `current`'s memory: looked up when the copy reads (a call made by no task is a misuse). */
function currentTask(k: Kern, name: string): () => ReadonlyTask {
  return () => taskOf(k, current(k, name));
}

/** KF_SLEEPABLE: calling it from a non-sleepable context is a misuse (the verifier refuses the program). */
function requireSleepable(k: Kern, name: string): void {
  if (!k.ctx.sleepable) throw new KernsimError(`${name} called from a non-sleepable context (the verifier refuses it: "program must be sleepable to call sleepable kfunc ${name}")`);
}

const ARGS4 = [
  { name: 'dptr', type: 'dynptr' },
  { name: 'off', type: 'dsize' },
  { name: 'size', type: 'dsize' },
  { name: 'unsafe_ptr__ign', type: 'u64', cType: 'const void *' },
] as const satisfies readonly ArgSpec[];
const ARGS5 = [...ARGS4, { name: 'tsk', type: 'task' }] as const satisfies readonly ArgSpec[];
/** The kernel variants: `unsafe_ptr__ign` is any kernel address — a program may pass a pointer to its own memory (a global, the stack). */
const ARGS4K = [
  { name: 'dptr', type: 'dynptr' },
  { name: 'off', type: 'dsize' },
  { name: 'size', type: 'dsize' },
  { name: 'unsafe_ptr__ign', type: 'any', unsafe: true, cType: 'const void *' },
] as const satisfies readonly ArgSpec[];

const SINCE = '6.18'; // in the kernel since 6.16 (off and size u32 until 6.18, u64 from 6.19)
const CONFIDENCE = 'H (source: the 6.16 series, the -EFAULT fix, the 6.19 widening); M for the bytes left by a fault';

function checks(copyErr: string, str: boolean): string[] {
  return [
    `a writable direct slice of [off, off + size) exists → the copy function writes into it: ${copyErr}${str ? '; returns the bytes written with the NUL' : ''}`,
    'else off/size out of the dynptr\'s bounds → -E2BIG (a null dynptr: -E2BIG unless off and size are 0, then 0)',
    `else 256-byte chunks${str ? ' (each starting on the previous one\'s NUL)' : ''}: the source is read (its error returned), then __bpf_dynptr_write: -EINVAL for a read-only dynptr (only now, after the first chunk was read), the kind's errors otherwise`,
  ];
}

const EFFECTS = (what: string, str: boolean, pad?: string): string[] => [
  `the dynptr receives ${what}${str ? ', cut to size - 1 bytes and a NUL when longer; returns 1..size (0 for size 0)' : '; returns 0'}`,
  ...(pad === undefined ? [] : [pad]),
];
/** What the word-at-a-time string copies leave past the NUL when they write straight into a direct slice. */
const PAD = (fn: string, words: string, count: string): string =>
  `direct slice only: ${fn} copies 8-byte words (${words}) while a whole word remains of ${count}; the word holding the NUL is stored whole with the bytes after the NUL zeroed, so the dynptr reads 0 from the NUL to the end of that word; bytes copied one by one (the tail shorter than a word, the rest after a word that faulted) are not padded; the chunked path writes only the string and its NUL`;
const PAD_CONFIDENCE = `${CONFIDENCE}; M for which word loads fault (the model's user memory is per byte: a word loads when the bytes up to its NUL are mapped and the rest lies in pages the task mapped); over whole mapped pages the 6.18 host tier agrees byte for byte (conformance us_*)`;

export const bpf_probe_read_user_dynptr = defineKfunc({
  name: 'bpf_probe_read_user_dynptr', mirrors: 'kernel/trace/bpf_trace.c: bpf_probe_read_user_dynptr, __bpf_dynptr_copy, copy_user_data_nofault',
  kind: 'kfunc', since: SINCE, summary: 'Copy `size` bytes of the current task\'s user memory at `unsafe_ptr__ign` into the dynptr at `off` (no page faults).',
  args: ARGS4, ret: 'int', flags: [],
  checks: checks('a byte not mapped → -EFAULT (copy_from_user_nofault)', false), effects: EFFECTS('the user bytes', false), confidence: CONFIDENCE,
  impl: (k, dptr, off, size, src) => dynptrCopy(k, dptr, off, size, src, userNofault(k, 'bpf_probe_read_user_dynptr')),
});

export const bpf_probe_read_kernel_dynptr = defineKfunc({
  name: 'bpf_probe_read_kernel_dynptr', mirrors: 'kernel/trace/bpf_trace.c: bpf_probe_read_kernel_dynptr, __bpf_dynptr_copy, copy_kernel_data_nofault; mm/maccess.c: copy_from_kernel_nofault',
  kind: 'kfunc', since: SINCE, summary: 'Copy `size` bytes of kernel memory at `unsafe_ptr__ign` into the dynptr at `off`.',
  args: ARGS4K, ret: 'int', flags: [],
  checks: checks('a user, non-canonical or vsyscall address → -ERANGE; a load (8 bytes while 8 remain, then 4, 2, 1) over a byte not mapped → -EFAULT, the bytes of the loads before it copied', false), effects: EFFECTS('the kernel bytes', false), confidence: CONFIDENCE,
  impl: (k, dptr, off, size, src) => {
    const from = kernelSource(k, src, false, 'unsafe_ptr__ign');
    return dynptrCopy(k, dptr, off, size, from.addr, from.copy);
  },
});

export const bpf_probe_read_user_str_dynptr = defineKfunc({
  name: 'bpf_probe_read_user_str_dynptr', mirrors: 'kernel/trace/bpf_trace.c: bpf_probe_read_user_str_dynptr, __bpf_dynptr_copy_str; mm/maccess.c: strncpy_from_user_nofault; lib/strncpy_from_user.c: do_strncpy_from_user',
  kind: 'kfunc', since: SINCE, summary: 'Copy a NUL-terminated string of the current task\'s user memory into the dynptr at `off`, at most `size` bytes.',
  args: ARGS4, ret: 'int', returns: 'the bytes written with the NUL (0 for size 0), or a negative errno', flags: [],
  checks: checks('a byte not mapped before the NUL → -EFAULT', true), effects: EFFECTS('the string', true, PAD('strncpy_from_user', 'counted from the source address', 'size')), confidence: PAD_CONFIDENCE,
  impl: (k, dptr, off, size, src) => dynptrCopyStr(k, dptr, off, size, src, userStrNofault(currentTask(k, 'bpf_probe_read_user_str_dynptr'))),
});

export const bpf_probe_read_kernel_str_dynptr = defineKfunc({
  name: 'bpf_probe_read_kernel_str_dynptr', mirrors: 'kernel/trace/bpf_trace.c: bpf_probe_read_kernel_str_dynptr, __bpf_dynptr_copy_str; mm/maccess.c: strncpy_from_kernel_nofault',
  kind: 'kfunc', since: SINCE, summary: 'Copy a NUL-terminated string of kernel memory into the dynptr at `off`, at most `size` bytes.',
  args: ARGS4K, ret: 'int', returns: 'the bytes written with the NUL (0 for size 0), or a negative errno', flags: [],
  checks: checks('a user, non-canonical or vsyscall address → -ERANGE (size 0: 0 first); a byte not mapped before the NUL → -EFAULT', true), effects: EFFECTS('the string', true, 'strncpy_from_kernel_nofault copies byte by byte: nothing after the NUL is written'), confidence: CONFIDENCE,
  impl: (k, dptr, off, size, src) => {
    const from = kernelSource(k, src, true, 'unsafe_ptr__ign');
    return dynptrCopyStr(k, dptr, off, size, from.addr, from.copy);
  },
});

export const bpf_copy_from_user_dynptr = defineKfunc({
  name: 'bpf_copy_from_user_dynptr', mirrors: 'kernel/trace/bpf_trace.c: bpf_copy_from_user_dynptr, __bpf_dynptr_copy, copy_user_data_sleepable',
  kind: 'kfunc', since: SINCE, summary: 'Copy `size` bytes of the current task\'s user memory into the dynptr at `off` (may fault pages in).',
  args: ARGS4, ret: 'int', flags: ['KF_SLEEPABLE'],
  checks: ['called from a non-sleepable program → the verifier refuses it', ...checks('a byte not mapped → -EFAULT, and the bytes not copied are zeroed (copy_from_user)', false)],
  effects: EFFECTS('the user bytes', false), confidence: CONFIDENCE,
  impl: (k, dptr, off, size, src) => {
    requireSleepable(k, 'bpf_copy_from_user_dynptr');
    return dynptrCopy(k, dptr, off, size, src, userSleepable(currentTask(k, 'bpf_copy_from_user_dynptr')));
  },
});

export const bpf_copy_from_user_str_dynptr = defineKfunc({
  name: 'bpf_copy_from_user_str_dynptr', mirrors: 'kernel/trace/bpf_trace.c: bpf_copy_from_user_str_dynptr, __bpf_dynptr_copy_str, copy_user_str_sleepable; lib/strncpy_from_user.c: do_strncpy_from_user',
  kind: 'kfunc', since: SINCE, summary: 'Copy a NUL-terminated string of the current task\'s user memory into the dynptr at `off`, at most `size` bytes (may fault pages in).',
  args: ARGS4, ret: 'int', returns: 'the bytes written with the NUL (0 for size 0), or a negative errno', flags: ['KF_SLEEPABLE'],
  checks: ['called from a non-sleepable program → the verifier refuses it', ...checks('strncpy_from_user of size - 1 bytes, then the NUL; a byte not mapped before the NUL → -EFAULT', true)],
  effects: EFFECTS('the string', true, PAD('strncpy_from_user', 'counted from the source address', 'size - 1')), confidence: PAD_CONFIDENCE,
  impl: (k, dptr, off, size, src) => {
    requireSleepable(k, 'bpf_copy_from_user_str_dynptr');
    return dynptrCopyStr(k, dptr, off, size, src, userStrSleepable(currentTask(k, 'bpf_copy_from_user_str_dynptr')));
  },
});

export const bpf_copy_from_user_task_dynptr = defineKfunc({
  name: 'bpf_copy_from_user_task_dynptr', mirrors: 'kernel/trace/bpf_trace.c: bpf_copy_from_user_task_dynptr, __bpf_dynptr_copy, copy_user_data_sleepable (access_process_vm)',
  kind: 'kfunc', since: SINCE, summary: 'Copy `size` bytes of `tsk`\'s user memory into the dynptr at `off` (may fault pages in).',
  args: ARGS5, ret: 'int', flags: ['KF_SLEEPABLE', 'KF_TRUSTED_ARGS'],
  checks: ['called from a non-sleepable program → the verifier refuses it', ...checks('fewer bytes copied than asked (a byte not mapped, or tsk has no mm) → -EFAULT', false)],
  effects: EFFECTS('the user bytes of tsk', false), confidence: CONFIDENCE,
  impl: (k, dptr, off, size, src, tsk) => {
    requireSleepable(k, 'bpf_copy_from_user_task_dynptr');
    return dynptrCopy(k, dptr, off, size, src, taskSleepable(() => taskOf(k, tsk, 'tsk')));
  },
});

export const bpf_copy_from_user_task_str_dynptr = defineKfunc({
  name: 'bpf_copy_from_user_task_str_dynptr', mirrors: 'kernel/trace/bpf_trace.c: bpf_copy_from_user_task_str_dynptr, __bpf_dynptr_copy_str, copy_user_str_sleepable; mm/memory.c: __copy_remote_vm_str; lib/string.c: sized_strscpy',
  kind: 'kfunc', since: SINCE, summary: 'Copy a NUL-terminated string of `tsk`\'s user memory into the dynptr at `off`, at most `size` bytes (may fault pages in).',
  args: ARGS5, ret: 'int', returns: 'the bytes written with the NUL (0 for size 0), or a negative errno', flags: ['KF_SLEEPABLE', 'KF_TRUSTED_ARGS'],
  checks: ['called from a non-sleepable program → the verifier refuses it', ...checks('copy_remote_vm_str: a byte not mapped before the NUL (or no mm) → -EFAULT', true)],
  effects: EFFECTS('the string of tsk', true, PAD('strscpy on each page piece', 'counted from the source address in the first page, from the page start in the next ones', 'the piece (size, cut at page ends)')), confidence: PAD_CONFIDENCE,
  impl: (k, dptr, off, size, src, tsk) => {
    requireSleepable(k, 'bpf_copy_from_user_task_str_dynptr');
    return dynptrCopyStr(k, dptr, off, size, src, taskStrSleepable(() => taskOf(k, tsk, 'tsk')));
  },
});
