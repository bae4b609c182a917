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
  /** `bpf(BPF_PROG_TEST_RUN)` of a loaded program (a `syscall` program runs in the caller, sleepable). */
  z.strictObject({ sys: z.literal('prog_test_run'), prog: Ident }),
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
