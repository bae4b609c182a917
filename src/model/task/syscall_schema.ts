/**
 * What a task does from user space, as data: one zod schema per syscall of a task's script. The
 * `Syscall` type (types.ts), the validator of `Session.spawn` and of scenario files, and the
 * `$defs/syscall` of schema/scenario.schema.json come from here; a new syscall is added here (its
 * meaning goes to src/scheduler/syscalls.ts). File descriptors and results are named.
 */
import { z } from 'zod';
import { AbsPath, cint, compiled, Count, Ident, LIMITS, Text } from '../kernel/schema.ts';

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

/** Open flags: an access mode, optionally `|O_APPEND` (fs/open.c `build_open_flags`, `OPEN_FMODE`). */
export const OPEN_FLAGS = ['O_RDONLY', 'O_WRONLY', 'O_RDWR', 'O_RDONLY|O_APPEND', 'O_WRONLY|O_APPEND', 'O_RDWR|O_APPEND'] as const;

/** `posix_fadvise` advice names (include/uapi/linux/fadvise.h), with or without `POSIX_FADV_`. */
const ADVICE = ['NORMAL', 'RANDOM', 'SEQUENTIAL', 'WILLNEED', 'DONTNEED', 'NOREUSE'] as const;

/** The most bytes one scripted write may carry (the model keeps written bytes: src/model/fs/content.ts). */
const MAX_SCRIPT_WRITE = 1 << 24;

/** Every syscall but `fork` (ForkSchema below). */
const PLAIN_SYSCALLS = [
  /** `open(path, flags)`: runs the `lsm/file_open` programs; flags default `O_RDONLY`. */
  z.strictObject({ sys: z.literal('open'), path: AbsPath, fd: Ident, flags: z.enum(OPEN_FLAGS).optional() }),
  /** `pread64(fd, buf, len, offset)` (vfs_read → filemap_read); `into` a byte-array global for the bytes. */
  z.strictObject({ sys: z.literal('read'), fd: Ident, offset: cint('loff'), len: cint('loff'), into: Ident.optional() }),
  /**
   * `pwrite64(fd, buf, len, offset)`, or `write(2)` at `f_pos` without an offset; `O_APPEND` files write
   * at the end either way. Byte i of the buffer is `(fill + 7 i) & 0xff`.
   */
  z.strictObject({ sys: z.literal('write'), fd: Ident, offset: cint('loff').optional(), len: z.int().min(0).max(MAX_SCRIPT_WRITE), fill: z.int().min(0).max(0xffff_ffff).optional() }),
  z.strictObject({ sys: z.literal('ftruncate'), fd: Ident, length: cint('loff') }),
  z.strictObject({ sys: z.literal('fsync'), fd: Ident }),
  /** `posix_fadvise(fd, offset, len, advice)`: advice by name (`DONTNEED` or `POSIX_FADV_DONTNEED`) or number. */
  z.strictObject({
    sys: z.literal('fadvise'), fd: Ident, offset: cint('loff'), len: cint('loff'),
    advice: z.union([z.enum(ADVICE), z.enum(ADVICE.map((a) => `POSIX_FADV_${a}` as const)), z.int().min(-(2 ** 31)).max(2 ** 31 - 1)]),
  }),
  /** `mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0)`: runs the `lsm/mmap_file` programs on the file. */
  z.strictObject({ sys: z.literal('mmap'), fd: Ident }),
  z.strictObject({ sys: z.literal('close'), fd: Ident }),
  /** Shorthand for `posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED)`. */
  z.strictObject({ sys: z.literal('fadvise_dontneed'), fd: Ident }),
  z.strictObject({ sys: z.literal('sleep'), ticks: Count }),
  z.strictObject({ sys: z.literal('set_global'), global: Ident, value: z.union([cint('reg64'), z.literal('pid')]) }),
  z.strictObject({ sys: z.literal('map_update'), map: Ident, key: z.int().min(0).max(0xffff_ffff) }),
  z.strictObject({ sys: z.literal('map_delete'), map: Ident, key: z.int().min(0).max(0xffff_ffff) }),
  z.strictObject({ sys: z.literal('map_close'), map: Ident }),
  /**
   * `bpf(BPF_MAP_GET_NEXT_KEY)`: the key after `key` (absent: NULL, the first key) in the map's order
   * (maps/buckets.ts), written into the integer global `into` when given; the result is 0 or -errno.
   */
  z.strictObject({ sys: z.literal('map_get_next_key'), map: Ident, key: z.int().min(0).max(0xffff_ffff).optional(), into: Ident.optional() }),
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
  /**
   * `wait4(-1, NULL, 0, NULL)`: reaps a child that has exited (the oldest first), sleeping until one
   * does; -ECHILD without a child. The result is the reaped child's pid.
   */
  z.strictObject({ sys: z.literal('wait') }),
] as const;

/**
 * glibc's `fork()`: `clone(CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD)` (kernel/fork.c
 * `copy_process`). The child (the parent's comm, a copy of its descriptors and of its mm) runs
 * `script` from user mode, and may fork in turn (how deep is bounded by a document's depth,
 * `LIMITS.depth`); the parent's result is the child's pid, or the error that stopped the copy (an
 * `lsm/task_alloc` program's).
 */
const ForkSchema = z.strictObject({
  sys: z.literal('fork'),
  get script(): z.ZodArray<typeof SyscallSchema> {
    return z.array(SyscallSchema).max(LIMITS.script);
  },
});

export const SyscallSchema: z.ZodDiscriminatedUnion<[...typeof PLAIN_SYSCALLS, typeof ForkSchema], 'sys'> = z.discriminatedUnion('sys', [
  ...PLAIN_SYSCALLS, ForkSchema,
]).meta({ id: 'syscall', description: 'a syscall {"sys": …}' });

/** A task to spawn: its name, its executable (a file; none for a kernel thread) and its script. */
export const NewTaskSchema = compiled(z.strictObject({
  comm: z.string().min(1).max(LIMITS.name),
  /** Path of the executable; its `struct file` is held by the task's mm. Omit for a kernel thread. */
  exe: AbsPath.optional(),
  script: z.array(SyscallSchema).max(LIMITS.script),
}));
