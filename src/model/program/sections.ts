/**
 * ELF section names and what libbpf makes of them (tools/lib/bpf/libbpf.c `section_defs`): the program
 * type, whether it is sleepable, and the hook the model fires it from.
 */
/** The program types the model knows (`BPF_PROG_TYPE_…`). */
export const PROG_TYPES = ['LSM', 'SYSCALL', 'PERF_EVENT', 'TRACING', 'KPROBE', 'TRACEPOINT', 'SOCKET_FILTER', 'SCHED_CLS', 'XDP'] as const;
export type ProgType = (typeof PROG_TYPES)[number];

export interface SectionInfo {
  readonly type: ProgType;
  readonly sleepable: boolean;
  /** The hook a program of this section is attached to, if the model fires it (`lsm/file_open`). */
  readonly hook: string | null;
}

const PREFIXES: readonly [string, ProgType, boolean][] = [
  ['lsm.s/', 'LSM', true],
  ['lsm/', 'LSM', false],
  ['fentry.s/', 'TRACING', true],
  ['fentry/', 'TRACING', false],
  ['fexit/', 'TRACING', false],
  ['tp_btf/', 'TRACING', false],
  ['kprobe/', 'KPROBE', false],
  ['tracepoint/', 'TRACEPOINT', false],
];

/** What a section name says (libbpf's section table, for the sections the model knows). */
export function sectionInfo(section: string): SectionInfo | null {
  if (section === 'syscall') return { type: 'SYSCALL', sleepable: true, hook: null };
  if (section === 'perf_event') return { type: 'PERF_EVENT', sleepable: false, hook: null };
  if (section === 'socket') return { type: 'SOCKET_FILTER', sleepable: false, hook: null };
  if (section === 'tc' || section === 'classifier') return { type: 'SCHED_CLS', sleepable: false, hook: null };
  if (section === 'xdp') return { type: 'XDP', sleepable: false, hook: null };
  for (const [prefix, type, sleepable] of PREFIXES) {
    if (section.startsWith(prefix) && section.length > prefix.length) {
      const hook = type === 'LSM' ? `lsm/${section.slice(prefix.length)}` : null;
      return { type, sleepable, hook };
    }
  }
  return null;
}
