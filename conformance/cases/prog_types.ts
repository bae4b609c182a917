/**
 * Which program types may call which kfunc (the model's `progTypes` / `kernelProgTypes`; the kernel's
 * kfunc sets, verifier.c `fetch_kfunc_meta` → `btf_kfunc_flags`: a kfunc outside the program type's
 * sets is "calling kernel function … is not allowed", -EACCES, before any argument is looked at).
 * Each case calls one kfunc with NULL (or 0) for every argument from a `SEC("syscall")` program; a NULL
 * pointer argument of a trusted kfunc is refused before its type is looked at (verifier.c
 * `check_kfunc_args`; `VersionFeatures.kfuncTrustedDefault`).
 */
import { ALL_KFUNCS, program as P, type BpfObject, type Op } from '../../src/index.ts';
import type { ConfCase } from './lib.ts';
import type { FileCase } from './file.ts';
import { refusedFileCase } from './file_verifier.ts';

const RULE = 'kfuncs a program type may call (fetch_kfunc_meta)';

/** Every kfunc, and its call with NULL for each argument the program writes. */
const nullCalls = (): { readonly name: string; readonly call: Op }[] => Object.values(ALL_KFUNCS).filter((d) => d.kind === 'kfunc')
  .map((d) => ({ name: d.name, call: P.call(d.name, d.args.filter((a) => a.type !== 'choice').map(() => P.NULL)) }));

/** `<prefix>_<kfunc>`: a program in `section` calling each kfunc with NULL arguments (`what` names the program's kind). */
function nullCallCases(prefix: string, section: string, what: string): ConfCase[] {
  return nullCalls().map((d): ConfCase => {
    const id = `${prefix}_${d.name}`;
    const object: BpfObject = { name: id, maps: [], globals: [], subprogs: [], programs: [{ name: id, section, locals: [], body: [d.call, P.ret(P.imm(0))] }] };
    return { id, rule: RULE, note: `${d.name} with NULL arguments from a ${what} program`, object, calls: [], verifier: true };
  });
}

/**
 * `pt_<kfunc>`: a syscall program calling the kfunc with NULL arguments; `prt_<kfunc>`: the same call
 * from a `raw_tp/` program (RAW_TRACEPOINT had no kfunc hook before 7.0: `rawTpKfuncHook`).
 */
export function progTypeCases(): ConfCase[] {
  return [...nullCallCases('pt', 'syscall', 'syscall'), ...nullCallCases('prt', 'raw_tp/sys_enter', 'raw_tp')];
}

/**
 * `KERNSIM_CONF_SWEEP=1` (not part of a default run: 360 objects): the same calls from a program of
 * each of the model's other types (`ps_<n>_<kfunc>`): which kfunc sets each type's hook holds, and the
 * checks of non-sleepable types. raw_tp is `prt_*` (always run); `lsm/` programs need a kernel with
 * the BPF LSM (the host's has none: -EPERM).
 */
export const SWEEP_SECTIONS: readonly string[] = ['socket', 'tc', 'xdp', 'cgroup_skb/ingress', 'perf_event', 'tracepoint/syscalls/sys_enter_openat', 'kprobe/do_sys_openat2', 'tp_btf/sched_switch', 'lsm/file_open'];
export function progTypeSweepCases(): ConfCase[] {
  return SWEEP_SECTIONS.flatMap((section, n) => nullCallCases(`ps_${n}`, section, section));
}

/** The guest's (7.2, where every kfunc's pointer arguments are trusted): `fpt_<kfunc>`, the same call from a sleepable `lsm.s/file_open` program. */
export function progTypeFileCases(): FileCase[] {
  return [
    ...nullCalls().map((d) => refusedFileCase(`fpt_${d.name}`, 'lsm.s/file_open', `${RULE} (7.2)`, `${d.name} with NULL arguments from a sleepable LSM program`, () => [d.call])),
    // A non-sleepable type of another kfunc hook: KPROBE (its own hook: the common set and the sets
    // registered for KPROBE), every kfunc; and RAW_TRACEPOINT, in TRACING's hook from 7.0
    // (`rawTpKfuncHook`; the host's prt_* for 6.18), for the kfuncs registered for TRACING and the
    // file-dynptr kfuncs, which the documentation page leaves out. Never attached: each is refused.
    // (All 40 from raw_tp agreed, at the cost of 40 objects a run.)
    ...nullCalls().map((d) => inSection(refusedFileCase(`fpk_${d.name}`, 'lsm/file_open', `${RULE} (7.2)`, `${d.name} with NULL arguments from a kprobe program`, () => [d.call]), 'kprobe/do_sys_openat2')),
    ...nullCalls().filter((d) => d.name === 'bpf_dynptr_from_file' || d.name === 'bpf_dynptr_file_discard' || (ALL_KFUNCS[d.name as keyof typeof ALL_KFUNCS]?.kernelProgTypes ?? []).includes('TRACING'))
      .map((d) => inSection(refusedFileCase(`fpr_${d.name}`, 'lsm/file_open', `${RULE} (7.2)`, `${d.name} with NULL arguments from a raw_tp program`, () => [d.call]), 'raw_tp/sys_enter')),
  ];
}

/** Case `c` with its program in `section`. */
function inSection(c: FileCase, section: string): FileCase {
  return { ...c, object: { ...c.object, programs: c.object.programs.map((p) => ({ ...p, section })) } };
}
