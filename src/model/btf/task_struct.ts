/**
 * The members of `struct task_struct` (include/linux/sched.h) a program may read by name: C compiled
 * against vmlinux.h, where clang records a CO-RE relocation for `task->member` and libbpf fixes the
 * offset for the running kernel, so the model needs no offsets. The verifier checks such a load as a
 * PTR_TO_BTF_ID access (kernel/bpf/verifier.c `check_ptr_to_btf_access` → btf.c `btf_struct_access`);
 * what a pointer member's load gives is walk.ts's.
 */

/** A member: a scalar (`pid_t`) or a pointer to another task. */
export type Member =
  | { readonly kind: 'scalar'; readonly size: 4; readonly signed: true }
  /** `rcu`: declared `__rcu` in sched.h (a BTF type tag only in kernels built with clang: walk.ts). */
  | { readonly kind: 'task'; readonly rcu: boolean };

/**
 * The members the model reads, as 7.2.13's sched.h declares them (each was there in 6.18).
 * - `pid`, `tgid`: `pid_t` (int).
 * - `real_parent`: `struct task_struct __rcu *`, the task that forked it (or the reaper it was
 *   handed to); `parent`: `struct task_struct __rcu *`, the same task unless it is ptraced (the model
 *   has no ptrace); `group_leader`: `struct task_struct *`, the thread group's leader (every model
 *   task leads its own group: there are no threads).
 */
export const TASK_STRUCT = {
  pid: { kind: 'scalar', size: 4, signed: true },
  tgid: { kind: 'scalar', size: 4, signed: true },
  real_parent: { kind: 'task', rcu: true },
  parent: { kind: 'task', rcu: true },
  group_leader: { kind: 'task', rcu: false },
} as const satisfies Readonly<Record<string, Member>>;

export type TaskField = keyof typeof TASK_STRUCT;

/** The member names, in declaration order (the program schema's enum). */
export const TASK_FIELDS = Object.freeze(Object.keys(TASK_STRUCT) as [TaskField, ...TaskField[]]);

/** The pointer members (their load gives a task pointer; walk.ts says how trusted). */
export type TaskPointerField = { [F in TaskField]: (typeof TASK_STRUCT)[F]['kind'] extends 'task' ? F : never }[TaskField];

export function isPointerField(f: TaskField): f is TaskPointerField {
  return TASK_STRUCT[f].kind === 'task';
}
