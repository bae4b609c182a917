/**
 * ELF section names and what libbpf makes of them (tools/lib/bpf/libbpf.c: the `section_defs` table,
 * `sec_def_matches`, `find_sec_def`; the `?` prefix handled in `bpf_object__init_prog`): the program
 * type, the expected attach type, whether it is sleepable, whether it is loaded by default, and the
 * hook the model fires it from.
 *
 * Matching, as libbpf does it: a leading `?` is dropped and turns autoload off; then the table is
 * searched in order and the first entry that matches wins. An entry ending in `+` matches its name
 * exactly or followed by `/` and anything (`tp+` matches `tp` and `tp/syscalls/sys_enter_nanosleep`,
 * not `tpx`); any other entry matches only exactly (`tc`, `xdp`, `cgroup_skb/egress`). A name no
 * entry matches leaves the program without a type, and `bpf_object__load` fails with "missing BPF
 * prog type".
 */
import { LSM_HOOKS } from './lsm_hooks.ts';
import { RAW_TRACEPOINTS } from './tracepoints.ts';

/** Every program type libbpf's table names (`BPF_PROG_TYPE_…` without the prefix). */
export const PROG_TYPES = ['CGROUP_DEVICE', 'CGROUP_SKB', 'CGROUP_SOCK', 'CGROUP_SOCKOPT', 'CGROUP_SOCK_ADDR', 'CGROUP_SYSCTL', 'EXT', 'FLOW_DISSECTOR', 'KPROBE', 'LIRC_MODE2', 'LSM', 'LWT_IN', 'LWT_OUT', 'LWT_SEG6LOCAL', 'LWT_XMIT', 'NETFILTER', 'PERF_EVENT', 'RAW_TRACEPOINT', 'RAW_TRACEPOINT_WRITABLE', 'SCHED_ACT', 'SCHED_CLS', 'SK_LOOKUP', 'SK_MSG', 'SK_REUSEPORT', 'SK_SKB', 'SOCKET_FILTER', 'SOCK_OPS', 'STRUCT_OPS', 'SYSCALL', 'TRACEPOINT', 'TRACING', 'XDP'] as const;
export type ProgType = (typeof PROG_TYPES)[number];

/**
 * The program types the model knows: the verifier checks their programs with their type's rules
 * and the interpreter runs them. A section of another type is refused with "kernsim does not model
 * section X (program type Y)".
 */
export const MODELLED_PROG_TYPES: readonly ProgType[] = [
  'LSM', 'SYSCALL', 'PERF_EVENT', 'TRACING', 'KPROBE', 'TRACEPOINT', 'RAW_TRACEPOINT', 'SOCKET_FILTER', 'SCHED_CLS', 'SCHED_ACT', 'XDP', 'CGROUP_SKB',
];

/** `SEC_…` flags of a table entry (`SEC_NONE` is the empty list). */
export type SecFlag = 'ATTACHABLE' | 'ATTACHABLE_OPT' | 'ATTACH_BTF' | 'SLEEPABLE' | 'USDT' | 'XDP_FRAGS';

/** One entry of `section_defs`: its name (`+`: exact or `name/…`), type, expected attach type (`BPF_` dropped), flags. */
export type SecDef = readonly [sec: string, type: ProgType, attach: string | null, flags: readonly SecFlag[]];

/** libbpf's `section_defs`, in its order (libbpf 1.5+, with `uprobe.session`; notes/libbpf-sections.json). */
export const SECTION_DEFS: readonly SecDef[] = [
  ['socket', 'SOCKET_FILTER', null, []],
  ['sk_reuseport/migrate', 'SK_REUSEPORT', 'SK_REUSEPORT_SELECT_OR_MIGRATE', ['ATTACHABLE']],
  ['sk_reuseport', 'SK_REUSEPORT', 'SK_REUSEPORT_SELECT', ['ATTACHABLE']],
  ['kprobe+', 'KPROBE', null, []],
  ['uprobe+', 'KPROBE', null, []],
  ['uprobe.s+', 'KPROBE', null, ['SLEEPABLE']],
  ['kretprobe+', 'KPROBE', null, []],
  ['uretprobe+', 'KPROBE', null, []],
  ['uretprobe.s+', 'KPROBE', null, ['SLEEPABLE']],
  ['kprobe.multi+', 'KPROBE', 'TRACE_KPROBE_MULTI', []],
  ['kretprobe.multi+', 'KPROBE', 'TRACE_KPROBE_MULTI', []],
  ['kprobe.session+', 'KPROBE', 'TRACE_KPROBE_SESSION', []],
  ['uprobe.multi+', 'KPROBE', 'TRACE_UPROBE_MULTI', []],
  ['uretprobe.multi+', 'KPROBE', 'TRACE_UPROBE_MULTI', []],
  ['uprobe.session+', 'KPROBE', 'TRACE_UPROBE_SESSION', []],
  ['uprobe.multi.s+', 'KPROBE', 'TRACE_UPROBE_MULTI', ['SLEEPABLE']],
  ['uretprobe.multi.s+', 'KPROBE', 'TRACE_UPROBE_MULTI', ['SLEEPABLE']],
  ['uprobe.session.s+', 'KPROBE', 'TRACE_UPROBE_SESSION', ['SLEEPABLE']],
  ['ksyscall+', 'KPROBE', null, []],
  ['kretsyscall+', 'KPROBE', null, []],
  ['usdt+', 'KPROBE', null, ['USDT']],
  ['usdt.s+', 'KPROBE', null, ['USDT', 'SLEEPABLE']],
  ['tc/ingress', 'SCHED_CLS', 'TCX_INGRESS', []],
  ['tc/egress', 'SCHED_CLS', 'TCX_EGRESS', []],
  ['tcx/ingress', 'SCHED_CLS', 'TCX_INGRESS', []],
  ['tcx/egress', 'SCHED_CLS', 'TCX_EGRESS', []],
  ['tc', 'SCHED_CLS', null, []],
  ['classifier', 'SCHED_CLS', null, []],
  ['action', 'SCHED_ACT', null, []],
  ['netkit/primary', 'SCHED_CLS', 'NETKIT_PRIMARY', []],
  ['netkit/peer', 'SCHED_CLS', 'NETKIT_PEER', []],
  ['tracepoint+', 'TRACEPOINT', null, []],
  ['tp+', 'TRACEPOINT', null, []],
  ['raw_tracepoint+', 'RAW_TRACEPOINT', null, []],
  ['raw_tp+', 'RAW_TRACEPOINT', null, []],
  ['raw_tracepoint.w+', 'RAW_TRACEPOINT_WRITABLE', null, []],
  ['raw_tp.w+', 'RAW_TRACEPOINT_WRITABLE', null, []],
  ['tp_btf+', 'TRACING', 'TRACE_RAW_TP', ['ATTACH_BTF']],
  ['fentry+', 'TRACING', 'TRACE_FENTRY', ['ATTACH_BTF']],
  ['fmod_ret+', 'TRACING', 'MODIFY_RETURN', ['ATTACH_BTF']],
  ['fexit+', 'TRACING', 'TRACE_FEXIT', ['ATTACH_BTF']],
  ['fentry.s+', 'TRACING', 'TRACE_FENTRY', ['ATTACH_BTF', 'SLEEPABLE']],
  ['fmod_ret.s+', 'TRACING', 'MODIFY_RETURN', ['ATTACH_BTF', 'SLEEPABLE']],
  ['fexit.s+', 'TRACING', 'TRACE_FEXIT', ['ATTACH_BTF', 'SLEEPABLE']],
  ['freplace+', 'EXT', null, ['ATTACH_BTF']],
  ['lsm+', 'LSM', 'LSM_MAC', ['ATTACH_BTF']],
  ['lsm.s+', 'LSM', 'LSM_MAC', ['ATTACH_BTF', 'SLEEPABLE']],
  ['lsm_cgroup+', 'LSM', 'LSM_CGROUP', ['ATTACH_BTF']],
  ['iter+', 'TRACING', 'TRACE_ITER', ['ATTACH_BTF']],
  ['iter.s+', 'TRACING', 'TRACE_ITER', ['ATTACH_BTF', 'SLEEPABLE']],
  ['syscall', 'SYSCALL', null, ['SLEEPABLE']],
  ['xdp.frags/devmap', 'XDP', 'XDP_DEVMAP', ['XDP_FRAGS']],
  ['xdp/devmap', 'XDP', 'XDP_DEVMAP', ['ATTACHABLE']],
  ['xdp.frags/cpumap', 'XDP', 'XDP_CPUMAP', ['XDP_FRAGS']],
  ['xdp/cpumap', 'XDP', 'XDP_CPUMAP', ['ATTACHABLE']],
  ['xdp.frags', 'XDP', 'XDP', ['XDP_FRAGS']],
  ['xdp', 'XDP', 'XDP', ['ATTACHABLE_OPT']],
  ['perf_event', 'PERF_EVENT', null, []],
  ['lwt_in', 'LWT_IN', null, []],
  ['lwt_out', 'LWT_OUT', null, []],
  ['lwt_xmit', 'LWT_XMIT', null, []],
  ['lwt_seg6local', 'LWT_SEG6LOCAL', null, []],
  ['sockops', 'SOCK_OPS', 'CGROUP_SOCK_OPS', ['ATTACHABLE_OPT']],
  ['sk_skb/stream_parser', 'SK_SKB', 'SK_SKB_STREAM_PARSER', ['ATTACHABLE_OPT']],
  ['sk_skb/stream_verdict', 'SK_SKB', 'SK_SKB_STREAM_VERDICT', ['ATTACHABLE_OPT']],
  ['sk_skb/verdict', 'SK_SKB', 'SK_SKB_VERDICT', ['ATTACHABLE_OPT']],
  ['sk_skb', 'SK_SKB', null, []],
  ['sk_msg', 'SK_MSG', 'SK_MSG_VERDICT', ['ATTACHABLE_OPT']],
  ['lirc_mode2', 'LIRC_MODE2', 'LIRC_MODE2', ['ATTACHABLE_OPT']],
  ['flow_dissector', 'FLOW_DISSECTOR', 'FLOW_DISSECTOR', ['ATTACHABLE_OPT']],
  ['cgroup_skb/ingress', 'CGROUP_SKB', 'CGROUP_INET_INGRESS', ['ATTACHABLE_OPT']],
  ['cgroup_skb/egress', 'CGROUP_SKB', 'CGROUP_INET_EGRESS', ['ATTACHABLE_OPT']],
  ['cgroup/skb', 'CGROUP_SKB', null, []],
  ['cgroup/sock_create', 'CGROUP_SOCK', 'CGROUP_INET_SOCK_CREATE', ['ATTACHABLE']],
  ['cgroup/sock_release', 'CGROUP_SOCK', 'CGROUP_INET_SOCK_RELEASE', ['ATTACHABLE']],
  ['cgroup/sock', 'CGROUP_SOCK', 'CGROUP_INET_SOCK_CREATE', ['ATTACHABLE_OPT']],
  ['cgroup/post_bind4', 'CGROUP_SOCK', 'CGROUP_INET4_POST_BIND', ['ATTACHABLE']],
  ['cgroup/post_bind6', 'CGROUP_SOCK', 'CGROUP_INET6_POST_BIND', ['ATTACHABLE']],
  ['cgroup/bind4', 'CGROUP_SOCK_ADDR', 'CGROUP_INET4_BIND', ['ATTACHABLE']],
  ['cgroup/bind6', 'CGROUP_SOCK_ADDR', 'CGROUP_INET6_BIND', ['ATTACHABLE']],
  ['cgroup/connect4', 'CGROUP_SOCK_ADDR', 'CGROUP_INET4_CONNECT', ['ATTACHABLE']],
  ['cgroup/connect6', 'CGROUP_SOCK_ADDR', 'CGROUP_INET6_CONNECT', ['ATTACHABLE']],
  ['cgroup/connect_unix', 'CGROUP_SOCK_ADDR', 'CGROUP_UNIX_CONNECT', ['ATTACHABLE']],
  ['cgroup/sendmsg4', 'CGROUP_SOCK_ADDR', 'CGROUP_UDP4_SENDMSG', ['ATTACHABLE']],
  ['cgroup/sendmsg6', 'CGROUP_SOCK_ADDR', 'CGROUP_UDP6_SENDMSG', ['ATTACHABLE']],
  ['cgroup/sendmsg_unix', 'CGROUP_SOCK_ADDR', 'CGROUP_UNIX_SENDMSG', ['ATTACHABLE']],
  ['cgroup/recvmsg4', 'CGROUP_SOCK_ADDR', 'CGROUP_UDP4_RECVMSG', ['ATTACHABLE']],
  ['cgroup/recvmsg6', 'CGROUP_SOCK_ADDR', 'CGROUP_UDP6_RECVMSG', ['ATTACHABLE']],
  ['cgroup/recvmsg_unix', 'CGROUP_SOCK_ADDR', 'CGROUP_UNIX_RECVMSG', ['ATTACHABLE']],
  ['cgroup/getpeername4', 'CGROUP_SOCK_ADDR', 'CGROUP_INET4_GETPEERNAME', ['ATTACHABLE']],
  ['cgroup/getpeername6', 'CGROUP_SOCK_ADDR', 'CGROUP_INET6_GETPEERNAME', ['ATTACHABLE']],
  ['cgroup/getpeername_unix', 'CGROUP_SOCK_ADDR', 'CGROUP_UNIX_GETPEERNAME', ['ATTACHABLE']],
  ['cgroup/getsockname4', 'CGROUP_SOCK_ADDR', 'CGROUP_INET4_GETSOCKNAME', ['ATTACHABLE']],
  ['cgroup/getsockname6', 'CGROUP_SOCK_ADDR', 'CGROUP_INET6_GETSOCKNAME', ['ATTACHABLE']],
  ['cgroup/getsockname_unix', 'CGROUP_SOCK_ADDR', 'CGROUP_UNIX_GETSOCKNAME', ['ATTACHABLE']],
  ['cgroup/sysctl', 'CGROUP_SYSCTL', 'CGROUP_SYSCTL', ['ATTACHABLE']],
  ['cgroup/getsockopt', 'CGROUP_SOCKOPT', 'CGROUP_GETSOCKOPT', ['ATTACHABLE']],
  ['cgroup/setsockopt', 'CGROUP_SOCKOPT', 'CGROUP_SETSOCKOPT', ['ATTACHABLE']],
  ['cgroup/dev', 'CGROUP_DEVICE', 'CGROUP_DEVICE', ['ATTACHABLE_OPT']],
  ['struct_ops+', 'STRUCT_OPS', null, []],
  ['struct_ops.s+', 'STRUCT_OPS', null, ['SLEEPABLE']],
  ['sk_lookup', 'SK_LOOKUP', 'SK_LOOKUP', ['ATTACHABLE']],
  ['netfilter', 'NETFILTER', 'NETFILTER', []],
];

/** `sec_def_matches`: `X+` is `X` or `X/…`; `X/` (none in the table today) any `X/…`; else the exact name. */
export function secDefMatches(def: string, name: string): boolean {
  if (def.endsWith('/')) return name.startsWith(def);
  if (def.endsWith('+')) {
    // `def` without its '+' begins `name`, and ends it or is followed by '/' (checked first: it is cheap).
    const n = def.length - 1;
    return (name.length === n || name[n] === '/') && name.startsWith(def.slice(0, n));
  }
  return name === def;
}

/** `find_sec_def`: the first entry matching `name` (without its `?`), or null. */
export function findSecDef(name: string): SecDef | null {
  for (const d of SECTION_DEFS) if (secDefMatches(d[0], name)) return d;
  return null;
}

export interface SectionInfo {
  readonly type: ProgType;
  readonly sleepable: boolean;
  /** The hook a program of this section is attached to, if the model fires it (`lsm/file_open`). */
  readonly hook: string | null;
  /** `expected_attach_type` (`BPF_` dropped), or null for 0. */
  readonly attachType: string | null;
  /** False for a `?` section: `bpf_object__load` skips it unless the loader turns it on. */
  readonly autoload: boolean;
  /** The table entry that matched (`tp+`, `cgroup_skb/egress`). */
  readonly secDef: string;
  /** What follows the entry's name and `/` (`file_open` for `lsm.s/file_open`), or null. */
  readonly target: string | null;
  /** Whether the model models this program type (MODELLED_PROG_TYPES). */
  readonly modelled: boolean;
}

/** The x86-64 syscall wrapper prefix (`SYS_PREFIX` in the selftests' bpf_misc.h). */
const SYS_PREFIX = '__x64_';

/**
 * The hook the model fires a program of this section from. `lsm[.s]/file_open` on `open`; the
 * nanosleep tracepoint and the fentry of `__x64_sys_nanosleep` on `sleep` (the selftests'
 * `usleep(1)` trigger).
 */
function hookOf(type: ProgType, secDef: string, target: string | null): string | null {
  if (target === null) return null;
  if (type === 'LSM' && secDef !== 'lsm_cgroup+') return `lsm/${target}`;
  if (type === 'TRACEPOINT') return `tp/${target}`;
  if (type === 'TRACING' && (secDef === 'fentry+' || secDef === 'fentry.s+')) return `fentry/${target.startsWith(SYS_PREFIX) ? target.slice(SYS_PREFIX.length) : target}`;
  if (type === 'TRACING' && secDef === 'tp_btf+') return `tp_btf/${target}`;
  return null;
}

/**
 * Whether the programs attached to `hook` run newest first: a trampoline's (fentry, LSM) do, since
 * kernel/bpf/trampoline.c `__bpf_trampoline_link_prog` adds each link at the head of its kind's list
 * (`hlist_add_head`) and `bpf_trampoline_get_progs` hands the list to the trampoline from its head. A
 * tracepoint's run in attach order (perf_event's `bpf_prog_array_copy` and `tracepoint_probe_register`
 * append).
 */
export function runsNewestFirst(hook: string): boolean {
  return hook.startsWith('lsm/') || hook.startsWith('fentry/');
}

/** What a section name says: libbpf's matching over its table, and whether the model knows the type. */
export function sectionInfo(section: string): SectionInfo | null {
  const autoload = !section.startsWith('?');
  const name = autoload ? section : section.slice(1);
  const def = findSecDef(name);
  if (def === null) return null;
  const [sec, type, attachType, flags] = def;
  const base = sec.endsWith('+') ? sec.slice(0, -1) : sec;
  const target = sec.endsWith('+') && name.length > base.length ? name.slice(base.length + 1) : null;
  return {
    type, sleepable: flags.includes('SLEEPABLE'), hook: hookOf(type, sec, target), attachType, autoload, secDef: sec, target,
    modelled: MODELLED_PROG_TYPES.includes(type),
  };
}

/**
 * Why libbpf would refuse to load a program of a known section, or null: an `lsm/` or `lsm.s/`
 * section names a hook that does not exist, or a `tp_btf/` section a raw tracepoint that does not
 * (libbpf looks up `bpf_lsm_<hook>`, `btf_trace_<name>` in the kernel's BTF and fails with -ESRCH,
 * `libbpf_find_attach_btf_id`).
 */
export function attachProblem(section: string): string | null {
  return attachProblemOf(sectionInfo(section));
}

/** `attachProblem` of a section already looked up. */
export function attachProblemOf(info: SectionInfo | null): string | null {
  const name = attachName(info);
  if (name === null) return null;
  const known = info?.type === 'LSM' ? LSM_HOOKS : RAW_TRACEPOINTS;
  return known.has(name) ? null : `failed to find kernel BTF type ID of '${name}'`;
}

/** The BTF name an LSM or `tp_btf` section's target is looked up by (its hook, its tracepoint), or null. */
export function attachName(info: SectionInfo | null): string | null {
  if (info === null) return null;
  if (info.type === 'LSM' && info.hook !== null && info.hook.startsWith('lsm/')) return info.hook.slice('lsm/'.length);
  if (info.type === 'TRACING' && info.secDef === 'tp_btf+' && info.target !== null && info.target !== '') return info.target;
  return null;
}

/** Section names to suggest for a misspelt one: the exact names, every LSM hook and raw tracepoint, and the prefixes. */
export function sectionNames(): string[] {
  const hooks = [...LSM_HOOKS];
  const exact = SECTION_DEFS.filter(([sec]) => !sec.endsWith('+')).map(([sec]) => sec);
  const prefixes = SECTION_DEFS.filter(([sec]) => sec.endsWith('+')).map(([sec]) => `${sec.slice(0, -1)}/`);
  return [...exact, ...hooks.map((h) => `lsm/${h}`), ...hooks.map((h) => `lsm.s/${h}`), ...[...RAW_TRACEPOINTS].map((t) => `tp_btf/${t}`), ...prefixes];
}
