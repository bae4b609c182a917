/**
 * Which program types share a kfunc set (kernel/bpf/btf.c `bpf_prog_type_to_kfunc_hook`, 7.2.13): a
 * kfunc set is registered for a program type and kept under that type's hook, and a program may call
 * every kfunc of its own type's hook. Several types share one: a kfunc registered for TRACING is
 * callable from LSM, PERF_EVENT, TRACEPOINT and, from 7.0, RAW_TRACEPOINT programs too (the guest tier's
 * `fpt_bpf_dynptr_from_skb`: an LSM program passes the program-type check of a TRACING kfunc; the
 * host's `prt_*`: 6.18 refuses a TRACING kfunc in a `raw_tp/` program).
 * A type with no hook (EXT, FLOW_DISSECTOR, …) gets only the common set. A set with a filter
 * (`bpf_fs_kfuncs_filter`: LSM programs only) narrows its hook to the types the filter lets through:
 * the kfunc's `progTypes` then, without `kernelProgTypes` (src/model/verifier/calls.ts).
 */
const HOOKS: Readonly<Record<string, string>> = {
  UNSPEC: 'COMMON', XDP: 'XDP', SCHED_CLS: 'TC', STRUCT_OPS: 'STRUCT_OPS',
  TRACING: 'TRACING', TRACEPOINT: 'TRACING', RAW_TRACEPOINT: 'TRACING', PERF_EVENT: 'TRACING', LSM: 'TRACING',
  SYSCALL: 'SYSCALL',
  CGROUP_SKB: 'CGROUP', CGROUP_SOCK: 'CGROUP', CGROUP_DEVICE: 'CGROUP', CGROUP_SOCK_ADDR: 'CGROUP', CGROUP_SOCKOPT: 'CGROUP', CGROUP_SYSCTL: 'CGROUP', SOCK_OPS: 'CGROUP',
  SCHED_ACT: 'SCHED_ACT', SK_SKB: 'SK_SKB', SOCKET_FILTER: 'SOCKET_FILTER',
  LWT_OUT: 'LWT', LWT_IN: 'LWT', LWT_XMIT: 'LWT', LWT_SEG6LOCAL: 'LWT',
  NETFILTER: 'NETFILTER', KPROBE: 'KPROBE',
};

/**
 * The kfunc hook of a program type (`BPF_PROG_TYPE_` left out), or null for a type without one.
 * `rawTpHook` (`VersionFeatures.rawTpKfuncHook`): RAW_TRACEPOINT is in TRACING's hook, as from 7.0
 * ("bpf: allow calling kfuncs from raw_tp programs", bpf-next, December 2025); before, it had none.
 */
export function kfuncHook(type: string, rawTpHook = true): string | null {
  if (type === 'RAW_TRACEPOINT' && !rawTpHook) return null;
  return Object.prototype.hasOwnProperty.call(HOOKS, type) ? (HOOKS[type] as string) : null;
}

/**
 * Whether a program of type `type` may call a kfunc registered for the types `registered`
 * (`btf_kfunc_is_allowed`): one of them is in the program type's hook, or in the common one.
 */
export function kfuncAllowedIn(registered: readonly string[], type: string, rawTpHook = true): boolean {
  const hook = kfuncHook(type, rawTpHook);
  return registered.some((t) => t === type || kfuncHook(t) === 'COMMON' || (hook !== null && kfuncHook(t) === hook));
}
