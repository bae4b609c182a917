/**
 * The verifier's messages, with the argument spelled as the version spells it: 6.19's selftests say
 * `arg #0` / `trusted arg1` / `arg#1`, 7.x names registers (`R1`, `R2`; register n+1 holds argument n).
 * Texts marked (model) are the model's wording where the kernel's exact text is not known.
 */
import type { VersionFeatures } from '../kernel/version.ts';

/**
 * A map's name as the kernel has it (`map->name`): libbpf copies the object's name for it into
 * BPF_MAP_CREATE's `map_name`, 15 characters and a NUL (bpf.c `bpf_map_create`, `libbpf_strlcpy`).
 */
export function kernelMapName(name: string): string {
  return name.slice(0, 15);
}

export function messages(f: VersionFeatures) {
  const reg = (i: number): string => `R${i + 1}`;
  const arg = f.verifierArgStyle === 'arg';
  return {
    notInitialized: (i: number) => `Expected an initialized dynptr as ${arg ? `arg #${i}` : reg(i)}`,
    wrongDynptrType: (i: number, kind: string) => `Expected a dynptr of type ${kind} as ${arg ? `arg #${i}` : reg(i)}`,
    possiblyNull: (i: number) => `Possibly NULL pointer passed to trusted ${arg ? `arg${i}` : reg(i)}`,
    /** check_reg_type: a NULL-able pointer to a helper's BTF argument that may not be NULL, or is released (6.x: `arg%d` of the register number). */
    possiblyNullHelper: (regno: number) => `Possibly NULL pointer passed to helper ${arg ? `arg${regno}` : `R${regno}`}`,
    /** check_func_arg: an OBJ_RELEASE helper argument the program holds no reference to (7.x names the helper). */
    releaseHelperUnreferenced: (fn: string, regno: number) => (arg ? `R${regno} must be referenced when passed to release function` : `release helper ${fn} expects referenced PTR_TO_BTF_ID passed to R${regno}`),
    notMapValue: (i: number) => `${arg ? `arg#${i}` : reg(i)} doesn't point to a map value`,
    mapMismatch: (twArg: number, mapArg: number) => `bpf_task_work pointer in ${reg(twArg)} map_uid=0 doesn't match map pointer in ${reg(mapArg)} map_uid=0`,
    noTaskWorkField: (map: string) => `map '${kernelMapName(map)}' has no valid bpf_task_work`,
    /** check_map_field_pointer, process_kptr_func: a map made without BTF has no record of fields (`what`: bpf_task_work, bpf_kptr_xchg). */
    mapNeedsBtf: (map: string, what: string) => `map '${kernelMapName(map)}' has to have BTF in order to use ${what}`,
    unreleased: (id: number, insn: number) => `Unreleased reference id=${id} alloc_insn=${insn}`,
    /** Releasing a file while a dynptr made from it is live (the selftest's `Leaking reference … Release it first.`). */
    leakingChild: (id: number, insn: number) => `Leaking reference id=${id} alloc_insn=${insn}. Release it first.`,
    notAllowed: (fn: string) => `calling kernel function ${fn} is not allowed`,
    noPacketWrite: () => 'the prog does not allow writes to packet data',
    sleepableOnly: (fn: string) => `program must be sleepable to call sleepable kfunc ${fn}`,
    /** `check_reg_type`: a BTF pointer to another struct than a helper's argument takes. */
    btfTypeMismatch: (regno: number, got: string, want: string) => `R${regno} is of type ${got} but ${want} is expected`,
    /** `check_map_prog_compatibility`: a map type a sleepable program may not use. */
    sleepableMap: () => 'Sleepable programs can only use array, hash, ringbuf and local storage maps',
    /**
     * `where`: `non_sleepable_context_description` ("non-sleepable prog", "rcu_read_lock region");
     * before `sleepableCtxDesc`, a non-sleepable program had a message of its own.
     */
    sleepableHelper: (fn: string, id: number, where: string) => (!f.sleepableCtxDesc && where === 'non-sleepable prog' ? 'helper call might sleep in a non-sleepable prog' : `sleepable helper ${fn}#${id} in ${where}`),
    notStatic: () => 'callback function not static',
    /** check_ld_imm: a callback's address (BPF_PSEUDO_FUNC) in a program loaded without func_info. */
    missingFuncInfo: () => 'missing btf func_info',
    /** fixup_kfunc_call: a call to an unresolved weak kfunc (btf_id 0) that a path reached. */
    unresolvedCall: () => 'invalid kernel function call not eliminated in verifier pass',
    overwriteReferenced: () => 'cannot overwrite referenced dynptr',
    rawWriteDynptr: (off: number) => `potential write to dynptr at off=${off} disallowed`,
    notDynptrSlot: (i: number) => `${arg ? `arg#${i}` : reg(i)} expected pointer to stack or const struct bpf_dynptr`,
    dynptrOffset: (off: number) => `cannot pass in dynptr at an offset=${off}`,
    dynptrVarOff: () => 'dynptr has to be at a constant offset',
    notUninit: () => 'Dynptr has to be an uninitialized dynptr',
    releasedOrScalar: (i: number, what: string) => `${reg(i)} invalid mem access '${what}'`,
    invalidMemAccess: (regno: number, what: string) => `R${regno} invalid mem access '${what}'`,
    wrongPointer: (i: number, want: string, got: string) => `${reg(i)} type=${got} expected=${want}`,
    typeMismatch: (regno: number, got: string, want: string) => `R${regno} type=${got} expected=${want}`,
    /** `process_kf_arg_ptr_to_btf_id`: a BTF pointer to another structure (6.x numbers the argument from 0, `args#`). */
    structMismatch: (fn: string, i: number, want: string, got: string) => `kernel function ${fn} ${arg ? `args#${i}` : reg(i)} expected pointer to STRUCT ${want} but ${reg(i)} has a pointer to STRUCT ${got}`,
    notReadable: (regno: number) => `R${regno} !read_ok`,
    missingKfunc: (fn: string) => `libbpf: extern (func ksym) '${fn}': not found in kernel or module BTFs`,
    /** libbpf's prototype check of an extern whose name the kernel's BTF keeps (`keptInBtf`); N and M stand for the two BTF ids, which the model cannot know. */
    incompatibleKfunc: (fn: string) => `libbpf: extern (func ksym) '${fn}': func_proto [N] incompatible with kernel [M]`,
    unknownFunc: (fn: string) => `unknown func ${fn}`,
    notCallback: (i: number) => `arg${i} expected pointer to func`,
    unknownLabel: (l: string) => `jump to unknown label ${l} (model wording)`,
    fellOff: () => 'last insn is not an exit or jmp',
    infiniteLoop: (pc: number) => `infinite loop detected at insn ${pc}`,
    tooComplex: () => 'BPF program is too large. Processed 1000001 insn',
    /** libbpf, at load, for a program whose section no `section_defs` entry matched. */
    unknownSection: (prog: string, s: string) => `libbpf: prog '${prog}': missing BPF prog type, check ELF section name '${s}'`,
    /**
     * libbpf (`libbpf_find_attach_btf_id`), at load: a `SEC_ATTACH_BTF` section's target is not a
     * kernel BTF name. The errno as libbpf 1.1 (the conformance tiers' loader, Debian 12) prints it, a
     * number (conformance hk_v_tp_typo, hk_v_lsm_typo); libbpf 1.5 and later print its name, `-ESRCH`.
     */
    /** libbpf_prepare_prog_load: a BTF-attached section with no '/' (`SEC("lsm")`). */
    noBtfTarget: (prog: string) => `libbpf: prog '${prog}': no BTF-based attach target is specified, use bpf_program__set_attach_target()`,
    noAttachTarget: (prog: string, target: string) => `libbpf: prog '${prog}': failed to find kernel BTF type ID of '${target}': -3`,
    notModelled: (s: string, type: string) => `kernsim does not model section ${s} (program type ${type})`,
    // Memory (check_mem_access, check_stack_*).
    stackRead: (off: number, i: number, size: number) => `invalid read from stack off ${off}+${i} size ${size}`,
    stackReadHelper: (regno: number, off: number, i: number, size: number) => `invalid${f.helperStackReadWord} read from stack R${regno} off ${off}+${i} size ${size}`,
    stackReadHelperVar: (regno: number, tn: string, i: number, size: number) => `invalid${f.helperStackReadWord} read from stack R${regno} var_off ${tn}+${i} size ${size}`,
    stackBounds: (what: string, regno: number, off: number, size: number) => `invalid ${what} stack R${regno} off=${off} size=${size}`,
    stackBoundsVar: (what: string, regno: number, tn: string, off: number, size: number) => `invalid variable-offset ${what} stack R${regno} var_off=${tn} off=${off} size=${size}`,
    spillSize: () => 'invalid size of register spill',
    fillSize: () => 'invalid size of register fill',
    memOutside: (size: number, off: number, access: number) => `invalid access to memory, mem_size=${size} off=${off} size=${access}`,
    mapOutside: (size: number, off: number, access: number) => `invalid access to map value, value_size=${size} off=${off} size=${access}`,
    keyOutside: (size: number, off: number, access: number) => `invalid access to map key, key_size=${size} off=${off} size=${access}`,
    ctxOutside: (off: number, size: number) => `invalid bpf_context access off=${off} size=${size}`,
    minOutside: (regno: number) => `R${regno} min value is outside of the allowed memory range`,
    maxOutside: (regno: number) => `R${regno} max value is outside of the allowed memory range`,
    minNegative: (regno: number) => `R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`,
    sizeNegative: (regno: number) => `R${regno} min value is negative, either use unsigned or 'var &= const'`,
    unbounded: (regno: number) => `R${regno} unbounded memory access, make sure to bounds check any such access`,
    rdonlyWrite: (regno: number, what: string) => `R${regno} cannot write into ${what}`,
    pointerArith: (regno: number, what: string, op: string) => `R${regno} ${op} on ${what} prohibited`,
    leakPointer: (regno: number) => `R${regno} leaks addr into mem`,
    unsupportedFromMem: (what: string) => `Unsupported reg type ${what} for bpf_dynptr_from_mem data`,
    sizeNotConst: (regno: number) => `R${regno} must be a known constant`,
    /** check_kfunc_args, KF_ARG_PTR_TO_MEM_SIZE: 6.x numbers the arguments, 7.2.13 names both registers (`reg_arg_name`). */
    memLenPair: (i: number, j: number) => (arg ? `arg#${i} arg#${j} memory, len pair leads to invalid memory access` : `${reg(i)} and ${reg(j)} memory, len pair leads to invalid memory access`),
    /** check_kfunc_args, KF_RELEASE: a pointer the program did not acquire (7.2.13: "release kfunc … passed to R1"). */
    releaseUnreferenced: (fn: string, i: number) => (arg ? `release kernel function ${fn} expects refcounted PTR_TO_BTF_ID` : `release kfunc ${fn} expects referenced PTR_TO_BTF_ID passed to ${reg(i)}`),
    /**
     * get_kfunc_ptr_arg_type's catch-all: a pointer that is not a BTF pointer (stack, map value, memory,
     * context) for a struct argument is memory, and the struct must be made of scalars.
     */
    notScalarStruct: (i: number, struct: string) => `${arg ? `arg#${i}` : reg(i)} pointer type STRUCT ${struct} must point to scalar, or struct with scalar`,
    callbackRet: (lo: string, hi: string) => `At callback return the register R0 has smin=${lo} smax=${hi} should have been in [0, 1]`,
    invalidZeroSize: () => 'invalid zero-sized read',
    stringNotConst: (regno: number) => `R${regno} does not point to a readonly map'`,
    tooManyFrames: (n: number) => `the call stack of ${n} frames is too deep !`,
    retPointer: () => 'At program exit the register R0 is not a known value (ptr_)',
    safe: (insn: number) => `${insn}: safe`,
  };
}

export type Messages = ReturnType<typeof messages>;
