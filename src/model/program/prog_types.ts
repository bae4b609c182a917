/**
 * Which program types may call `bpf_dynptr_from_file` (and the other file-dynptr kfuncs), with the
 * first kernel in which each may, as the kfunc's documentation page lists them (SEMANTICS.md, "Program
 * types that may call bpf_dynptr_from_file"). `null`: the page gives no version. This is data the
 * verifier uses and `npm run docs` renders as docs/program-types.md.
 */
import { PROG_TYPES, type ProgType } from './sections.ts';

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

/** Program types the documentation says may not call it. */
export const FILE_DYNPTR_EXCLUDED: readonly string[] = ['KPROBE'];

/** The model's program types among them (for the kfunc definitions' `progTypes`). */
export const FILE_DYNPTR_TYPES: readonly ProgType[] = PROG_TYPES.filter((t) => FILE_DYNPTR_PROG_TYPES.some((row) => row.type === t));
