/** The file kfuncs of fs/bpf_fs_kfuncs.c that the seed example uses. */
import { getFile, inodeOf, liveFile, putFile } from './files.ts';
import { EINVAL, ENAMETOOLONG } from '../kernel/errno.ts';
import { ArgumentError } from '../kernel/errors.ts';
import { defineKfunc } from '../kfunc/kfunc.ts';
import { registerKfuncs } from '../kfunc/registry.ts';
import { taskOf } from '../task/task.ts';

/**
 * `bpf_get_task_exe_file` (fs/bpf_fs_kfuncs.c → `get_task_exe_file`): a referenced `struct file` for
 * the task's `mm->exe_file`, or NULL when the task has no mm (a kernel thread, or exiting after
 * `exit_mm`).
 */
export const bpf_get_task_exe_file = defineKfunc({
  name: 'bpf_get_task_exe_file',
  mirrors: 'fs/bpf_fs_kfuncs.c: bpf_get_task_exe_file; kernel/fork.c: get_task_exe_file',
  kind: 'kfunc',
  since: '6.18', // in the kernel since 6.12; 6.18 is the oldest version modelled
  progTypes: ['LSM'],
  summary: 'Take a reference on the executable file of `task`.',
  args: [{ name: 'task', type: 'task' }],
  ret: 'file',
  flags: ['KF_ACQUIRE', 'KF_TRUSTED_ARGS', 'KF_RET_NULL'],
  checks: ['task has no mm (kernel thread, or after exit_mm) → NULL'],
  effects: ['the file\'s f_count is raised by one; release it with bpf_put_file'],
  confidence: 'H (source)',
  impl(k, task) {
    const t = taskOf(k, task);
    if (t.mm === null) return null;
    const file = t.mm.exe_file;
    liveFile(k, file, 'task->mm->exe_file');
    getFile(k, file);
    return file;
  },
});

/** `bpf_put_file` (fs/bpf_fs_kfuncs.c): `fput`. */
export const bpf_put_file = defineKfunc({
  name: 'bpf_put_file',
  mirrors: 'fs/bpf_fs_kfuncs.c: bpf_put_file; fs/file_table.c: fput',
  kind: 'kfunc',
  since: '6.18', // in the kernel since 6.12; 6.18 is the oldest version modelled
  progTypes: ['LSM'],
  summary: 'Release a file reference taken by bpf_get_task_exe_file.',
  args: [{ name: 'file', type: 'file' }],
  ret: 'void',
  flags: ['KF_RELEASE'],
  checks: [],
  effects: ['f_count drops by one; the last reference, in task context, queues ____fput as task_work'],
  confidence: 'H (source); deferral through task_work: M',
  impl(k, file) {
    putFile(k, file);
    return undefined;
  },
});

/**
 * `bpf_path_d_path` (fs/bpf_fs_kfuncs.c → `d_path`): the path of `path` written into `buf`, NUL
 * terminated; returns its length with the NUL. `d_path` builds the name from the end of the buffer,
 * so a buffer too small is -ENAMETOOLONG. The model's paths are the files' absolute paths.
 */
export const bpf_path_d_path = defineKfunc({
  name: 'bpf_path_d_path',
  mirrors: 'fs/bpf_fs_kfuncs.c: bpf_path_d_path; fs/d_path.c: d_path',
  kind: 'kfunc',
  since: '6.18',
  progTypes: ['LSM'],
  summary: 'Write the full path of `path` into `buf`.',
  args: [{ name: 'path', type: 'path' }, { name: 'buf', type: 'mem', out: true, size: 2, cType: 'char *' }, { name: 'buf__sz', type: 'u64' }],
  ret: 'int',
  returns: 'the length of the path with its NUL, or a negative errno',
  flags: ['KF_TRUSTED_ARGS'],
  checks: ['buf__sz = 0 → -EINVAL', 'the path and its NUL do not fit in buf__sz → -ENAMETOOLONG'],
  effects: ['buf holds the path and a NUL; the return value is their length'],
  confidence: 'H (source)',
  impl(k, file, buf, size) {
    if (size === 0n) return -EINVAL;
    const name = new TextEncoder().encode(inodeOf(k, liveFile(k, file, 'path').ino).path);
    const n = Number(size);
    if (buf.length < n) throw new ArgumentError('buf', buf, `a buffer of at least ${n} bytes (the verifier pairs it with buf__sz)`);
    if (name.length + 1 > n) return -ENAMETOOLONG;
    buf.set(name);
    buf[name.length] = 0;
    return name.length + 1;
  },
});

export const FS_KFUNCS = registerKfuncs({ bpf_get_task_exe_file, bpf_put_file, bpf_path_d_path });

type FsKfuncs = typeof FS_KFUNCS;
declare module '../kfunc/registry.ts' {
  interface KfuncRegistry extends FsKfuncs {}
}
