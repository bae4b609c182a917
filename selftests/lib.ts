/**
 * The kernel's BPF selftests as program values (tools/testing/selftests/bpf/progs/*.c): each case
 * names its source file and function, the copy it was read from, the kernel version it is written
 * for, and the selftest's own expectation — `__failure __msg(…)`, `__success`, or what its
 * prog_tests/*.c driver checks at run time — and is judged the way the kernel's test harness judges
 * it (tools/testing/selftests/bpf/test_loader.c: the program loaded alone; each `__msg` searched in
 * the verifier log in order, plain text as a substring, `{{…}}` as a regular expression).
 */
import { ALL_KFUNCS, KERNEL_VERSIONS, type BpfObject, type KernelVersion, type Verdict } from '../src/index.ts';
import { verifyProgram } from '../src/model/verifier/verify.ts';
import type { AnyKfunc } from '../src/model/kfunc/types.ts';

/** The ten selftest files of issue 13, and task_kfunc_failure.c and task_kfunc_success.c (the task reference kfuncs), in the order the report lists them. */
export const FILES = [
  'dynptr_fail.c', 'dynptr_success.c', 'file_reader.c', 'file_reader_fail.c', 'task_work.c', 'task_work_fail.c',
  'task_work_stress.c', 'verifier_vfs_accept.c', 'verifier_vfs_reject.c', 'verifier_async_cb_context.c', 'task_kfunc_failure.c',
  'task_kfunc_success.c',
] as const;
export type SelftestFile = (typeof FILES)[number];

/**
 * The 7.2.13 release's copy (Debian's linux-source-7.2 7.2.13-1, tools/testing/selftests/bpf/progs),
 * read after the copies below: where its expectation differs from theirs, a case is judged by it, at
 * 7.2, and the other copy's is kept as `newest` (those copies are bpf-next trees after 7.2; Debian's
 * 7.3-rc7 copy, linux-source-7.3 7.3~rc7-1~exp1, has their rules, with 7.3's own wording).
 */
export const RELEASE_7_2 = "Debian linux-source-7.2 7.2.13-1 (the 7.2.13 release's copy)";

/**
 * A case whose 7.2.13 expectation (`msgs`) differs from the copy it was first read from: judged by the
 * release's at 7.2, the first copy's kept as `newest`, with why it is not 7.2's.
 */
export function judgedBy72(t: Selftest, msgs: readonly string[], why: string): Selftest {
  return { ...t, source: RELEASE_7_2, version: '7.2', expect: { kind: 'failure', msgs }, newest: { source: t.source, expect: t.expect, why } };
}

export type Expectation =
  /** `__failure` with its `__msg` lines (in order). */
  | { readonly kind: 'failure'; readonly msgs: readonly string[] }
  /** `__success` (optionally with `__msg` lines that must be in the log, e.g. `12: safe` at log level 2). */
  | { readonly kind: 'success'; readonly msgs?: readonly string[] }
  /**
   * What the prog_tests driver checks after running the program: `check` runs the model's scenario
   * and returns the failed assertions (empty: the driver's assertions hold).
   */
  | { readonly kind: 'runtime'; readonly driver: string; readonly check: (version: KernelVersion) => string[] };

export interface Selftest {
  readonly file: SelftestFile;
  readonly fn: string;
  /** The copy the program and its expectation were read from (repository@commit). */
  readonly source: string;
  /** The kernel version the copy is written for (its message style, its kfunc names). */
  readonly version: KernelVersion;
  readonly expect: Expectation;
  /** `__log_level(n)`. */
  readonly logLevel?: number;
  /** The program as a value, in an object with what it uses; absent when it cannot be written. */
  readonly object?: BpfObject;
  /** Why the program cannot be written as a value (when `object` is absent). */
  readonly notExpressible?: string;
  /** How the translation differs from the C source, where it does. */
  readonly note?: string;
  /**
   * The newest copy seen, where it differs from the judged one because it carries a patch series
   * not merged (as far as the copies show): its source and expectation — absent when the program
   * exists only there (then the case is listed, not judged).
   */
  readonly newest?: { readonly source: string; readonly expect?: Expectation; readonly why: string };
}

/** The functions an object calls that the model's kfunc table does not have yet. */
export function missingFuncs(obj: BpfObject): string[] {
  const table = ALL_KFUNCS as unknown as Record<string, AnyKfunc>;
  const own = new Set(obj.subprogs.map((s) => s.name));
  const out = new Set<string>();
  for (const f of [...obj.programs, ...obj.subprogs]) {
    for (const op of f.body) if (op.op === 'call' && !own.has(op.fn) && table[op.fn] === undefined) out.add(op.fn);
  }
  return [...out].sort();
}

export type Status =
  | { readonly status: 'agree'; readonly detail: string }
  | { readonly status: 'disagree'; readonly detail: string }
  /** Written as a value, but the program exists only in a copy carrying a series under review: not judged. */
  | { readonly status: 'series'; readonly detail: string }
  | { readonly status: 'not-expressible'; readonly detail: string };

/**
 * test_loader.c's message match: each expected message is searched after the end of the previous
 * match; text outside `{{…}}` literally, inside as an extended regular expression.
 */
export function matchMessages(log: string, msgs: readonly string[]): { ok: boolean; missing: string | null } {
  let from = 0;
  for (const msg of msgs) {
    const re = new RegExp(msg.split(/(\{\{.*?\}\})/).map((part) => (part.startsWith('{{') && part.endsWith('}}') ? part.slice(2, -2) : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join(''));
    const m = re.exec(log.slice(from));
    if (m === null) return { ok: false, missing: msg };
    from += m.index + m[0].length;
  }
  return { ok: true, missing: null };
}

/** Verify the named program of a case's object alone (test_loader: only the tested program is autoloaded). */
export function verifyCase(t: Selftest): Verdict {
  const obj = t.object as BpfObject;
  const prog = obj.programs.find((p) => p.name === t.fn);
  if (prog === undefined) throw new Error(`${t.file}: ${t.fn} is not in its object`);
  return verifyProgram(obj, prog, { features: KERNEL_VERSIONS[t.version], kfuncs: ALL_KFUNCS as unknown as Record<string, AnyKfunc>, logLevel: t.logLevel ?? 0 });
}

/** Judge one case: the model's outcome against the selftest's expectation. */
export function judge(t: Selftest): Status {
  if (t.object === undefined) return { status: 'not-expressible', detail: t.notExpressible ?? 'not written' };
  if (t.newest !== undefined && t.newest.expect === undefined) return { status: 'series', detail: `only in ${t.newest.source}: ${t.newest.why}` };
  const missing = missingFuncs(t.object);
  if (missing.length > 0) return { status: 'disagree', detail: `the model has no ${missing.join(', ')}` };
  const e = t.expect;
  if (e.kind === 'runtime') {
    const v = verifyCase(t);
    if (!v.ok) return { status: 'disagree', detail: `the driver loads it; the model refuses it: ${v.message ?? ''}` };
    let failed: string[];
    try {
      failed = e.check(t.version);
    } catch (err) {
      return { status: 'disagree', detail: `the model's run threw: ${err instanceof Error ? err.message : String(err)}` };
    }
    return failed.length === 0 ? { status: 'agree', detail: e.driver } : { status: 'disagree', detail: failed.join('; ') };
  }
  const v = verifyCase(t);
  const log = v.log.join('\n');
  if (e.kind === 'failure') {
    if (v.ok) return { status: 'disagree', detail: 'expected a verifier failure; the model accepts it' };
    const m = matchMessages(log, e.msgs);
    return m.ok ? { status: 'agree', detail: v.message ?? '' } : { status: 'disagree', detail: `message ${JSON.stringify(m.missing)} not in the model's log: ${JSON.stringify(log)}` };
  }
  if (!v.ok) return { status: 'disagree', detail: `expected success; the model refuses it: ${v.message ?? ''}` };
  const m = matchMessages(log, e.msgs ?? []);
  return m.ok ? { status: 'agree', detail: 'accepted' } : { status: 'disagree', detail: `message ${JSON.stringify(m.missing)} not in the model's log` };
}
