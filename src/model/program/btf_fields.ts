/**
 * The fields of kernel structures a program may read by name (`task->pid`: C compiled against
 * vmlinux.h, where clang records a CO-RE relocation and libbpf fixes the offset for the running
 * kernel, so the model needs no offsets). The verifier checks such a load as a PTR_TO_BTF_ID access
 * (kernel/bpf/verifier.c `check_ptr_to_btf_access` → `btf_struct_access`); a scalar member gives an
 * unknown scalar of its size, sign-extended by C where the member is signed.
 */

/** `struct task_struct`'s fields the model reads: both `pid_t` (int). */
export const TASK_FIELDS = ['pid', 'tgid'] as const;
export type TaskField = (typeof TASK_FIELDS)[number];

/** Bytes of each field. */
export const TASK_FIELD_SIZE: Readonly<Record<TaskField, 4>> = { pid: 4, tgid: 4 };
