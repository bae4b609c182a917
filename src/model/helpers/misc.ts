/**
 * BPF helpers the selftests call besides dynptrs and maps: random numbers and time
 * (kernel/bpf/helpers.c), string compare, reading kernel memory and the current task's name
 * (kernel/trace/bpf_trace.c, kernel/bpf/helpers.c), the per-CPU pointer helper, and `bpf_loop`,
 * whose callback only the interpreter can run.
 */
import { copyFromKernelNofault, kernelSource } from './kernel_mem.ts';
import { EINVAL, E2BIG } from '../kernel/errno.ts';
import { ArgumentError, KernsimError } from '../kernel/errors.ts';
import { defineKfunc } from '../kfunc/kfunc.ts';
import { taskOf } from '../task/task.ts';
import { current } from './current.ts';
import { zeroedOnError } from './zeroed.ts';

/** Virtual time: one tick is one microsecond of `ktime` (the model's clock has no other unit). */
export const NSEC_PER_TICK = 1000n;

/** `TASK_COMM_LEN`. */
export const TASK_COMM_LEN = 16;

/** `BPF_MAX_LOOPS` (include/linux/bpf.h): 8M iterations. */
export const BPF_MAX_LOOPS = 1 << 23;

/** The lowest x86-64 kernel address (`TASK_SIZE_MAX + PAGE_SIZE`, canonical upper half). */
const KERNEL_START = 0xffff_8000_0000_0000n;

/**
 * `bpf_get_prandom_u32`: a pseudo-random u32. The value is a choice, not a computation: the
 * interpreter draws it from the scheduler's chooser (the default chooser gives 0, a seeded one a
 * seeded stream, a list replays), so a run is reproducible and fast-check can shrink it.
 */
export const bpf_get_prandom_u32 = defineKfunc({
  name: 'bpf_get_prandom_u32',
  mirrors: 'kernel/bpf/helpers.c: bpf_get_prandom_u32 (bpf_user_rnd_u32)',
  kind: 'helper',
  since: '6.18',
  summary: 'A pseudo-random u32 (in the model, the chooser\'s pick).',
  args: [{ name: 'choice', type: 'choice' }],
  ret: 'u64',
  flags: [],
  checks: [],
  effects: ['none'],
  confidence: 'H (any u32 may come back)',
  impl(_k, choice) {
    return BigInt.asUintN(32, choice);
  },
});

/**
 * `bpf_get_smp_processor_id`: the CPU the program runs on. Every operation of the model runs on CPU 0
 * (a per-CPU map's program-side copy is CPU 0's: maps/percpu.ts), as the conformance loader pins itself
 * to CPU 0.
 */
export const bpf_get_smp_processor_id = defineKfunc({
  name: 'bpf_get_smp_processor_id',
  mirrors: 'kernel/bpf/helpers.c: bpf_get_raw_cpu_id (bpf_get_raw_smp_processor_id_proto); kernel/bpf/core.c: bpf_get_smp_processor_id',
  kind: 'helper',
  since: '6.18',
  summary: 'The CPU the program runs on: 0 in the model.',
  args: [],
  ret: 'u64',
  flags: [],
  checks: [],
  effects: ['none'],
  confidence: 'H (the model runs on CPU 0; the host tier\'s loader is pinned there, the guest has one CPU)',
  impl() {
    return 0n;
  },
});

/** `bpf_ktime_get_ns`: the virtual clock in nanoseconds. */
export const bpf_ktime_get_ns = defineKfunc({
  name: 'bpf_ktime_get_ns',
  mirrors: 'kernel/bpf/helpers.c: bpf_ktime_get_ns (ktime_get_mono_fast_ns)',
  kind: 'helper',
  since: '6.18',
  summary: 'Monotonic time in ns: the virtual clock (one tick = 1000 ns).',
  args: [],
  ret: 'u64',
  flags: [],
  checks: [],
  effects: ['none'],
  confidence: 'H (monotonic); the scale is the model\'s',
  impl(k) {
    return BigInt(k.t.now) * NSEC_PER_TICK;
  },
});

/** `strncmp` of lib/string.c: the first differing byte decides (-1 or 1, as unsigned chars), a NUL ends. */
export function strncmp(a: Uint8Array, b: Uint8Array, n: number): number {
  for (let i = 0; i < n; i += 1) {
    const c1 = a[i] ?? 0;
    const c2 = b[i] ?? 0;
    if (c1 !== c2) return c1 < c2 ? -1 : 1;
    if (c1 === 0) break;
  }
  return 0;
}

/** `bpf_strncmp(s1, s1_sz, s2)`: `strncmp(s1, s2, s1_sz)`; `s2` is a constant string. */
export const bpf_strncmp = defineKfunc({
  name: 'bpf_strncmp',
  mirrors: 'kernel/bpf/helpers.c: bpf_strncmp; lib/string.c: strncmp',
  kind: 'helper',
  since: '6.18',
  summary: 'Compare at most `s1_sz` bytes of `s1` with the constant string `s2`.',
  args: [
    { name: 's1', type: 'mem', size: 1 },
    { name: 's1_sz', type: 'u32', nonZero: true },
    { name: 's2', type: 'const_str' },
  ],
  ret: 'long',
  flags: [],
  checks: ['the first differing byte: -1 if s1\'s is smaller (unsigned), else 1; a NUL in both first → 0'],
  effects: ['none'],
  confidence: 'H (source)',
  impl(_k, s1, size, s2) {
    const n = Number(size);
    if (s1.length < n) throw new ArgumentError('s1', s1, `a buffer of at least ${n} bytes (the verifier pairs it with s1_sz)`);
    return strncmp(s1, s2, n);
  },
});

/**
 * `bpf_probe_read_kernel(dst, size, unsafe_ptr)`: `copy_from_kernel_nofault`. A pointer the program
 * holds is kernel memory; an address (a scalar) is read from the world's kernel memory
 * (helpers/kernel_mem.ts): a user-space address (below the kernel half on x86-64) is -ERANGE, an
 * unmapped one -EFAULT; on failure dst is zeroed.
 */
export const bpf_probe_read_kernel = defineKfunc({
  name: 'bpf_probe_read_kernel',
  mirrors: 'kernel/trace/bpf_trace.c: bpf_probe_read_kernel_common; mm/maccess.c: copy_from_kernel_nofault',
  kind: 'helper',
  since: '6.18',
  summary: 'Copy `size` bytes of kernel memory at `unsafe_ptr` into `dst`.',
  args: [
    { name: 'dst', type: 'mem', out: true, size: 1 },
    { name: 'size', type: 'u32' },
    { name: 'unsafe_ptr', type: 'any', unsafe: true },
  ],
  ret: 'int',
  flags: [],
  checks: [
    'an address in user space (x86-64: below the kernel half, NULL included) → -ERANGE, dst zeroed',
    'an address the model has no memory for, or fewer than size bytes there → -EFAULT, dst zeroed',
  ],
  effects: ['dst gets the bytes'],
  confidence: 'H (source); M for which addresses the model treats as mapped',
  impl(k, dst, size, src) {
    return zeroedOnError(dst, size, (n) => {
      if (src instanceof Uint8Array && src.length >= n) {
        dst.set(src.subarray(0, n));
        return 0;
      }
      // An address (a scalar): the world's kernel memory (helpers/kernel_mem.ts); NULL is a user address.
      const addr = typeof src === 'bigint' ? BigInt.asUintN(64, src) : src === null ? 0n : KERNEL_START;
      return copyFromKernelNofault(k, dst, 0, addr, n);
    });
  },
});

/**
 * `bpf_probe_read_kernel_str(dst, size, unsafe_ptr)` (kernel/trace/bpf_trace.c
 * `bpf_probe_read_kernel_str_common`): `strncpy_from_kernel_nofault(dst, unsafe_ptr, size)`
 * (helpers/kernel_mem.ts); on an error all `size` bytes of dst are zeroed. A pointer the program
 * holds (a global, the stack) is kernel memory read from its start.
 */
export const bpf_probe_read_kernel_str = defineKfunc({
  name: 'bpf_probe_read_kernel_str',
  mirrors: 'kernel/trace/bpf_trace.c: bpf_probe_read_kernel_str, bpf_probe_read_kernel_str_common; mm/maccess.c: strncpy_from_kernel_nofault; arch/x86/mm/maccess.c: copy_from_kernel_nofault_allowed',
  kind: 'helper',
  since: '6.18',
  summary: 'Copy a NUL-terminated string of kernel memory at `unsafe_ptr` into `dst`, at most `size` bytes.',
  args: [
    { name: 'dst', type: 'mem', out: true, size: 1 },
    { name: 'size', type: 'u32' },
    { name: 'unsafe_ptr', type: 'any', unsafe: true, cType: 'const void *' },
  ],
  ret: 'int',
  returns: 'the bytes written with the NUL, or a negative errno',
  flags: [],
  checks: [
    'size 0 → 0 (before the address is looked at)',
    'an address in user space (x86-64: below the kernel half, NULL included), non-canonical or in the vsyscall page → -ERANGE, all of dst zeroed',
    'a byte not mapped before the NUL → -EFAULT, all of dst zeroed',
  ],
  effects: [
    'copies byte by byte up to and including the NUL, at most size bytes; a string of size bytes or more is cut to size - 1 bytes and a NUL; returns the bytes written with the NUL (size when cut)',
    'nothing after the NUL is written: the rest of dst keeps its bytes',
  ],
  confidence: 'H (source); M for which addresses the model treats as mapped; the 6.18 host tier agrees byte for byte from a program global and at refused and unmapped addresses (conformance us_read_kernel_str)',
  impl(k, dst, size, src) {
    return zeroedOnError(dst, size, (n) => {
      const from = kernelSource(k, src, true, 'unsafe_ptr');
      return from.copy(dst, 0, from.addr, n);
    });
  },
});

/** `bpf_get_current_comm(buf, size)`: `strscpy_pad` of the task's name (at most 15 bytes and a NUL). */
export const bpf_get_current_comm = defineKfunc({
  name: 'bpf_get_current_comm',
  mirrors: 'kernel/bpf/helpers.c: bpf_get_current_comm',
  kind: 'helper',
  since: '6.18',
  summary: 'Copy the current task\'s name into `buf`, NUL-padded.',
  args: [{ name: 'buf', type: 'mem', out: true, size: 1 }, { name: 'size_of_buf', type: 'u32', nonZero: true }],
  ret: 'int',
  flags: [],
  checks: ['no current task → -EINVAL, buf zeroed'],
  effects: ['buf gets the name (TASK_COMM_LEN 16: 15 characters and a NUL), the rest zeroed'],
  confidence: 'H (source)',
  impl(k, buf, size) {
    const n = Number(size);
    if (buf.length < n) throw new ArgumentError('buf', buf, `a buffer of at least ${n} bytes (the verifier pairs it with size)`);
    buf.fill(0, 0, n);
    if (k.ctx.task === undefined) return -EINVAL;
    const comm = new TextEncoder().encode(taskOf(k, current(k, 'bpf_get_current_comm')).comm).subarray(0, TASK_COMM_LEN - 1);
    buf.set(comm.subarray(0, Math.max(0, n - 1)));
    return 0;
  },
});

/** `bpf_this_cpu_ptr(percpu_ptr)`: the verifier admits only per-CPU kernel pointers, which the model has none of. */
export const bpf_this_cpu_ptr = defineKfunc({
  name: 'bpf_this_cpu_ptr',
  mirrors: 'kernel/bpf/helpers.c: bpf_this_cpu_ptr',
  kind: 'helper',
  since: '6.18',
  summary: 'This CPU\'s copy of a per-CPU variable (`percpu_ptr` must be a per-CPU kernel pointer).',
  args: [{ name: 'percpu_ptr', type: 'percpu' }],
  ret: 'ptr',
  flags: [],
  checks: ['the verifier refuses anything but a per-CPU BTF pointer (`R1 type=… expected=percpu_ptr_`)'],
  effects: ['none'],
  confidence: 'H (argument type); the model has no per-CPU variables',
  impl(_k, p) {
    return p;
  },
});

/**
 * `bpf_loop(nr_loops, callback_fn, callback_ctx, flags)`: calls `callback_fn(i, callback_ctx)` for
 * i = 0… until it returns non-zero or `nr_loops` calls; returns the number of calls. The callback is
 * program code, so the interpreter runs the loop; this definition gives the rules, the checks it
 * applies first, and the trace entry.
 */
export const bpf_loop = defineKfunc({
  name: 'bpf_loop',
  mirrors: 'kernel/bpf/bpf_iter.c: bpf_loop',
  kind: 'helper',
  since: '6.18',
  summary: 'Call `callback_fn(i, callback_ctx)` up to `nr_loops` times; a non-zero return stops the loop.',
  args: [
    { name: 'nr_loops', type: 'u32' },
    { name: 'callback_fn', type: 'callback' },
    { name: 'callback_ctx', type: 'any' },
    { name: 'flags', type: 'u64' },
  ],
  ret: 'int',
  returns: 'the number of calls of the callback, or a negative errno',
  flags: [],
  checks: ['flags ≠ 0 → -EINVAL', 'nr_loops > BPF_MAX_LOOPS (2^23) → -E2BIG'],
  effects: ['the callback runs for i = 0, 1, …; the result is the number of calls (a callback returning 1 counts)'],
  confidence: 'H (source)',
  impl(_k, nr, _cb, _ctx, flags) {
    if (flags !== 0n) return -EINVAL;
    if (nr > BigInt(BPF_MAX_LOOPS)) return -E2BIG;
    throw new KernsimError('bpf_loop calls back into a BPF program: only a program run (the interpreter) can make this call');
  },
});
