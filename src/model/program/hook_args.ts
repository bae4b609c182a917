/**
 * Typed hook arguments: what `BPF_PROG`'s `ctx[i]` holds for the hooks whose prototype the model
 * knows, and whether the verifier trusts it (kernel/bpf/btf.c `btf_ctx_access`, `prog_args_trusted`).
 * A hook not listed gives what it gave before: a BTF pointer of no known type (tracing) or an unknown
 * value (LSM). The `struct file *` of the LSM hooks the model fires is its own operand (`ctxFile`).
 *
 * Trust (`prog_args_trusted`): a tp_btf (BPF_TRACE_RAW_TP) or iterator program's arguments are
 * trusted, fentry/fexit's are not; an LSM program's are, except in the hooks of
 * kernel/bpf/bpf_lsm.c `untrusted_lsm_hooks` (objects being freed or allocated).
 */

/** The argument types the model gives a meaning to. */
export type HookArg = 'task' | 'scalar';

/**
 * Prototypes by hook (the section's hook name): `tp_btf/task_newtask` is
 * include/trace/events/task.h `TP_PROTO(struct task_struct *task, u64 clone_flags)`, the `sched_`
 * ones include/trace/events/sched.h's; the LSM hooks are include/linux/lsm_hook_defs.h's.
 */
const HOOK_ARGS: Readonly<Record<string, readonly HookArg[]>> = {
  'tp_btf/task_newtask': ['task', 'scalar'],
  // include/trace/events/sched.h: TP_PROTO(struct task_struct *parent, struct task_struct *child) and
  // TP_PROTO(struct task_struct *p, bool group_dead) (both in 6.18 and 7.2).
  'tp_btf/sched_process_fork': ['task', 'task'],
  'tp_btf/sched_process_exit': ['task', 'scalar'],
  'lsm/task_alloc': ['task', 'scalar'],
  'lsm/task_free': ['task'],
  'lsm/task_setnice': ['task', 'scalar'],
  'lsm/task_getpgid': ['task'],
  'lsm/task_getsid': ['task'],
};

/** kernel/bpf/bpf_lsm.c `untrusted_lsm_hooks`, as far as the table above names them. */
const UNTRUSTED_LSM: ReadonlySet<string> = new Set(['lsm/task_free']);

/** The type of argument `i` of `hook`, or null when the model does not know it. */
export function hookArg(hook: string | null, i: number): HookArg | null {
  if (hook === null) return null;
  return HOOK_ARGS[hook]?.[i] ?? null;
}

/** Whether an LSM hook's arguments are untrusted (`bpf_lsm_is_trusted` is false). */
export function untrustedLsmHook(hook: string | null): boolean {
  return hook !== null && UNTRUSTED_LSM.has(hook);
}
