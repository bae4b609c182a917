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

/** `pt_<kfunc>`: a syscall program calling the kfunc with NULL arguments. */
export function progTypeCases(): ConfCase[] {
  return nullCalls().map((d) => {
    const id = `pt_${d.name}`;
    const object: BpfObject = { name: id, maps: [], globals: [], subprogs: [], programs: [{ name: id, section: 'syscall', locals: [], body: [d.call, P.ret(P.imm(0))] }] };
    return { id, rule: RULE, note: `${d.name} with NULL arguments from a syscall program`, object, calls: [], verifier: true };
  });
}

/** The guest's (7.2, where every kfunc's pointer arguments are trusted): `fpt_<kfunc>`, the same call from a sleepable `lsm.s/file_open` program. */
export function progTypeFileCases(): FileCase[] {
  return [
    ...nullCalls().map((d) => refusedFileCase(`fpt_${d.name}`, 'lsm.s/file_open', `${RULE} (7.2)`, `${d.name} with NULL arguments from a sleepable LSM program`, () => [d.call])),
    // Two non-sleepable types of other kfunc hooks: KPROBE (its own hook: the common set and the sets
    // registered for KPROBE) and RAW_TRACEPOINT (TRACING's hook). Never attached: each is refused.
    ...nullCalls().map((d) => inSection(refusedFileCase(`fpk_${d.name}`, 'lsm/file_open', `${RULE} (7.2)`, `${d.name} with NULL arguments from a kprobe program`, () => [d.call]), 'kprobe/do_sys_openat2')),
    ...nullCalls().map((d) => inSection(refusedFileCase(`fpr_${d.name}`, 'lsm/file_open', `${RULE} (7.2)`, `${d.name} with NULL arguments from a raw_tp program`, () => [d.call]), 'raw_tp/sys_enter')),
  ];
}

/** Case `c` with its program in `section`. */
function inSection(c: FileCase, section: string): FileCase {
  return { ...c, object: { ...c.object, programs: c.object.programs.map((p) => ({ ...p, section })) } };
}
