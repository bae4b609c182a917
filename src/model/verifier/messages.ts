/**
 * The verifier's messages, with the argument spelled as the version spells it: 6.19's selftests say
 * `arg #0` / `trusted arg1` / `arg#1`, 7.x names registers (`R1`, `R2`; register n+1 holds argument n).
 * Texts marked (model) are the model's wording where the kernel's exact text is not known.
 */
import type { VersionFeatures } from '../kernel/version.ts';

export function messages(f: VersionFeatures) {
  const reg = (i: number): string => `R${i + 1}`;
  const arg = f.verifierArgStyle === 'arg';
  return {
    notInitialized: (i: number) => `Expected an initialized dynptr as ${arg ? `arg #${i}` : reg(i)}`,
    wrongDynptrType: (i: number, kind: string) => `Expected a dynptr of type ${kind} as ${arg ? `arg #${i}` : reg(i)}`,
    possiblyNull: (i: number) => `Possibly NULL pointer passed to trusted ${arg ? `arg${i}` : reg(i)}`,
    notMapValue: (i: number) => `${arg ? `arg#${i}` : reg(i)} doesn't point to a map value`,
    mapMismatch: (twArg: number, mapArg: number) => `bpf_task_work pointer in ${reg(twArg)} map_uid=0 doesn't match map pointer in ${reg(mapArg)} map_uid=0`,
    noTaskWorkField: (map: string) => `map '${map}' has no valid bpf_task_work`,
    unreleased: (id: number, insn: number) => `Unreleased reference id=${id} alloc_insn=${insn}`,
    leakingChild: (id: number, insn: number) => `Leaking reference id=${id} alloc_insn=${insn}: a dynptr made from this file is still live. Release it first (model wording)`,
    notAllowed: (fn: string) => `calling kernel function ${fn} is not allowed`,
    noPacketWrite: () => 'the prog does not allow writes to packet data',
    sleepableOnly: (fn: string) => `program must be sleepable to call sleepable kfunc ${fn}`,
    notStatic: () => 'callback function not static',
    overwriteReferenced: () => 'cannot overwrite referenced dynptr',
    notDynptrSlot: (i: number) => `arg#${i} expected pointer to stack or const struct bpf_dynptr`,
    releasedOrScalar: (i: number, what: string) => `${reg(i)} invalid mem access '${what}'`,
    wrongPointer: (i: number, want: string, got: string) => `${reg(i)} type=${got} expected=${want}`,
    notReadable: (r: string) => `${r} !read_ok`,
    missingKfunc: (fn: string) => `libbpf: extern (func ksym) '${fn}': not found in kernel or module BTFs`,
    unknownFunc: (fn: string) => `unknown func ${fn}`,
    notCallback: (i: number) => `arg${i} expected pointer to func`,
    unknownLabel: (l: string) => `jump to unknown label ${l} (model wording)`,
    fellOff: () => 'last insn is not an exit or jmp',
    infiniteLoop: (pc: number) => `infinite loop detected at insn ${pc}`,
    tooComplex: () => 'BPF program is too large. Processed 1000001 insn',
    unknownSection: (s: string) => `libbpf: prog: unrecognized ELF section name '${s}'`,
    /** libbpf (`libbpf_find_attach_btf_id`): the attach target is not in the kernel's BTF. */
    noAttachTarget: (prog: string, target: string) => `libbpf: prog '${prog}': failed to find kernel BTF type ID of '${target}': -ESRCH`,
  };
}

export type Messages = ReturnType<typeof messages>;
