/**
 * ELF section names and what libbpf makes of them (tools/lib/bpf/libbpf.c `section_defs`): the program
 * type, whether it is sleepable, and the hook the model fires it from.
 */
import { LSM_HOOKS } from './lsm_hooks.ts';

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

/** The sections with a fixed name the model knows (libbpf's exact matches). */
const EXACT = ['syscall', 'perf_event', 'socket', 'tc', 'classifier', 'xdp'] as const;

/**
 * Why libbpf would refuse to load a program of a known section, or null: an `lsm/` or `lsm.s/`
 * section names a hook that does not exist (libbpf looks up `bpf_lsm_<hook>` in the kernel's BTF and
 * fails with -ESRCH, `libbpf_find_attach_btf_id`).
 */
export function attachProblem(section: string): string | null {
  const info = sectionInfo(section);
  if (info === null || info.type !== 'LSM' || info.hook === null) return null;
  const hook = info.hook.slice('lsm/'.length);
  return LSM_HOOKS.has(hook) ? null : `failed to find kernel BTF type ID of '${hook}'`;
}

/** Section names to suggest for a misspelt one: the exact names, every LSM hook, and the prefixes. */
export function sectionNames(): string[] {
  const hooks = [...LSM_HOOKS];
  return [...EXACT, ...hooks.map((h) => `lsm/${h}`), ...hooks.map((h) => `lsm.s/${h}`), ...PREFIXES.map(([p]) => p)];
}
