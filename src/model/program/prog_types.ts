/**
 * Which program types the kfunc's documentation page says may call `bpf_dynptr_from_file` (and the
 * other file-dynptr kfuncs), with the first kernel in which each may (SEMANTICS.md, "Program types
 * that may call bpf_dynptr_from_file", L). `null`: the page gives no version. The kernel's rule is
 * wider, and it is the one the verifier model follows: both kfuncs are in kernel/bpf/helpers.c's
 * `common_btf_ids`, registered for BPF_PROG_TYPE_UNSPEC, the common kfunc hook every program type
 * may call (btf.c `btf_kfunc_is_allowed`), KPROBE and RAW_TRACEPOINT included (the guest tier's
 * `fpk_*` and `fpr_*` cases). `npm run docs` renders both as docs/program-types.md.
 */

export interface ProgTypeRow {
  /** `BPF_PROG_TYPE_…` without the prefix. */
  readonly type: string;
  /** The first kernel version the documentation gives, or null when it gives none. */
  readonly since: string | null;
}

export const FILE_DYNPTR_PROG_TYPES: readonly ProgTypeRow[] = [
  { type: 'CGROUP_DEVICE', since: '6.12' },
  { type: 'CGROUP_SKB', since: null },
  { type: 'CGROUP_SOCK', since: '6.12' },
  { type: 'CGROUP_SOCKOPT', since: '6.12' },
  { type: 'CGROUP_SOCK_ADDR', since: '6.7' },
  { type: 'CGROUP_SYSCTL', since: '6.12' },
  { type: 'LSM', since: null },
  { type: 'LWT_IN', since: null },
  { type: 'LWT_OUT', since: null },
  { type: 'LWT_SEG6LOCAL', since: null },
  { type: 'LWT_XMIT', since: null },
  { type: 'NETFILTER', since: null },
  { type: 'PERF_EVENT', since: '6.12' },
  { type: 'SCHED_ACT', since: null },
  { type: 'SCHED_CLS', since: null },
  { type: 'SK_SKB', since: null },
  { type: 'SOCKET_FILTER', since: null },
  { type: 'SOCK_OPS', since: '6.15' },
  { type: 'STRUCT_OPS', since: null },
  { type: 'SYSCALL', since: null },
  { type: 'TRACEPOINT', since: '6.12' },
  { type: 'TRACING', since: null },
  { type: 'XDP', since: null },
];

/** Program types the documentation page says may not call it (the kernel's common set says they may). */
export const FILE_DYNPTR_EXCLUDED: readonly string[] = ['KPROBE'];

