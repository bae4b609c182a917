/**
 * What a task does from user space, as data: one zod schema per syscall of a task's script. The
 * `Syscall` type (types.ts), the validator of `Session.spawn` and of scenario files, and the
 * `$defs/syscall` of schema/scenario.schema.json come from here; a new syscall is added here (its
 * meaning goes to src/scheduler/syscalls.ts). File descriptors and results are named.
 */
import { z } from 'zod';
import { AbsPath, cint, Count, Ident, LIMITS, Text } from '../kernel/schema.ts';

export const TWA_MODES = ['TWA_NONE', 'TWA_RESUME', 'TWA_SIGNAL'] as const;

const Label = z.string().min(1).max(LIMITS.name);

/** The most bytes of `data_in` a script may give (the kernel refuses more than an xdp_buff's frags hold: -ENOMEM). */
export const TEST_RUN_DATA_MAX = 1 << 17;
const HexBytes = z.string().max(2 * TEST_RUN_DATA_MAX).regex(/^(?:[0-9a-fA-F]{2})*$/);

/**
 * A test run's `data_in`: bytes in hexadecimal, `"pkt_v4"` (the selftests' IPv4/TCP packet of
 * network_helpers.h, 54 bytes), or `size` bytes of `fill` (default 0) starting with `head` (hex).
 */
export const TestRunData = z.union([
  z.literal('pkt_v4'),
  HexBytes,
  z.strictObject({ size: Count.max(TEST_RUN_DATA_MAX), fill: z.int().min(0).max(255).optional(), head: HexBytes.optional() }),
]).meta({ description: 'data_in: hex bytes, "pkt_v4", or { size, fill?, head? }' });

export const SyscallSchema = z.discriminatedUnion('sys', [
  z.strictObject({ sys: z.literal('open'), path: AbsPath, fd: Ident }),
  z.strictObject({ sys: z.literal('read'), fd: Ident, offset: cint('loff'), len: cint('loff'), into: Ident.optional() }),
  z.strictObject({ sys: z.literal('close'), fd: Ident }),
  z.strictObject({ sys: z.literal('fadvise_dontneed'), fd: Ident }),
  z.strictObject({ sys: z.literal('sleep'), ticks: Count }),
  z.strictObject({ sys: z.literal('set_global'), global: Ident, value: z.union([cint('reg64'), z.literal('pid')]) }),
  z.strictObject({ sys: z.literal('map_update'), map: Ident, key: z.int().min(0).max(0xffff_ffff) }),
  z.strictObject({ sys: z.literal('map_delete'), map: Ident, key: z.int().min(0).max(0xffff_ffff) }),
  z.strictObject({ sys: z.literal('map_close'), map: Ident }),
  z.strictObject({
    sys: z.literal('task_work_add'), label: Label, mode: z.enum(TWA_MODES),
    then: z.strictObject({ label: Label, mode: z.enum(TWA_MODES) }).optional(),
  }),
  /**
   * `bpf(BPF_PROG_TEST_RUN)` of a loaded program (a `syscall` program runs in the caller, sleepable).
   * A packet program (tc, cgroup_skb, socket_filter, xdp) runs on a packet built from `data`
   * (`data_in`) and `ctx` (`ctx_in`: `__sk_buff->data_end`, `xdp_md->data`/`data_end`) as the kernel
   * builds it (src/model/packet/create.ts). The result is the program's return value (`retval`), or
   * the negative errno when the test run failed before the program ran. `err` receives what `bpf()`
   * returned (0, or -EINVAL, -ENOMEM before the run, -ENOSPC when `dataOut` was too small), `dataOut`
   * (a byte-array global, whose size is `data_size_out`) the packet after the run, `sizeOut` the
   * kernel's `data_size_out` (the whole size).
   */
  z.strictObject({
    sys: z.literal('prog_test_run'), prog: Ident, data: TestRunData.optional(),
    ctx: z.strictObject({ data: Count.max(0xffff_ffff).optional(), dataEnd: Count.max(0xffff_ffff).optional() }).optional(),
    dataOut: Ident.optional(), err: Ident.optional(), sizeOut: Ident.optional(),
  }),
  /**
   * libbpf `ring_buffer__consume` on a ring buffer map: returns the number of records read; their
   * payloads go one after another into the byte-array global `into` (cut at its size).
   */
  z.strictObject({ sys: z.literal('ringbuf_consume'), map: Ident, into: Ident.optional() }),
  /** User space writes a NUL-terminated string into its own memory at `addr` (a stack string). */
  z.strictObject({ sys: z.literal('user_write'), addr: cint('u64'), text: Text }),
  z.strictObject({ sys: z.literal('exit') }),
]).meta({ id: 'syscall', description: 'a syscall {"sys": …}' });

/** A task to spawn: its name, its executable (a file; none for a kernel thread) and its script. */
export const NewTaskSchema = z.strictObject({
  comm: z.string().min(1).max(LIMITS.name),
  /** Path of the executable; its `struct file` is held by the task's mm. Omit for a kernel thread. */
  exe: AbsPath.optional(),
  script: z.array(SyscallSchema).max(LIMITS.script),
});
