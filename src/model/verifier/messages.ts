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

/**
 * The messages of one version's verifier and libbpf, made where a verification starts: its texts are
 * methods on the prototype, so making one is one small object (not ~90 closures).
 */
export class Messages {
  /** 6.19 names an argument by its index (`arg #0`), 7.x by its register (`R1`). */
  readonly arg: boolean;
  constructor(readonly f: VersionFeatures) {
    this.arg = f.verifierArgStyle === 'arg';
  }
  /** Register n+1 holds argument n. */
  reg(i: number): string {
    return `R${i + 1}`;
  }
  notInitialized(i: number): string {
    return `Expected an initialized dynptr as ${this.arg ? `arg #${i}` : this.reg(i)}`;
  }
  wrongDynptrType(i: number, kind: string): string {
    return `Expected a dynptr of type ${kind} as ${this.arg ? `arg #${i}` : this.reg(i)}`;
  }
  possiblyNull(i: number): string {
    return `Possibly NULL pointer passed to trusted ${this.arg ? `arg${i}` : this.reg(i)}`;
  }
  /** check_reg_type: a NULL-able pointer to a helper's BTF argument that may not be NULL, or is released (6.x: `arg%d` of the register number). */
  possiblyNullHelper(regno: number): string {
    return `Possibly NULL pointer passed to helper ${this.arg ? `arg${regno}` : `R${regno}`}`;
  }
  /** check_func_arg: an OBJ_RELEASE helper argument the program holds no reference to (7.x names the helper). */
  releaseHelperUnreferenced(fn: string, regno: number): string {
    return this.arg ? `R${regno} must be referenced when passed to release function` : `release helper ${fn} expects referenced PTR_TO_BTF_ID passed to R${regno}`;
  }
  notMapValue(i: number): string {
    return `${this.arg ? `arg#${i}` : this.reg(i)} doesn't point to a map value`;
  }
  mapMismatch(twArg: number, mapArg: number): string {
    return `bpf_task_work pointer in ${this.reg(twArg)} map_uid=0 doesn't match map pointer in ${this.reg(mapArg)} map_uid=0`;
  }
  noTaskWorkField(map: string): string {
    return `map '${kernelMapName(map)}' has no valid bpf_task_work`;
  }
  /** check_map_field_pointer, process_kptr_func: a map made without BTF has no record of fields (`what`: bpf_task_work, bpf_kptr_xchg). */
  mapNeedsBtf(map: string, what: string): string {
    return `map '${kernelMapName(map)}' has to have BTF in order to use ${what}`;
  }
  unreleased(id: number, insn: number): string {
    return `Unreleased reference id=${id} alloc_insn=${insn}`;
  }
  /** Releasing a file while a dynptr made from it is live (the selftest's `Leaking reference … Release it first.`). */
  leakingChild(id: number, insn: number): string {
    return `Leaking reference id=${id} alloc_insn=${insn}. Release it first.`;
  }
  notAllowed(fn: string): string {
    return `calling kernel function ${fn} is not allowed`;
  }
  noPacketWrite(): string {
    return 'the prog does not allow writes to packet data';
  }
  sleepableOnly(fn: string): string {
    return `program must be sleepable to call sleepable kfunc ${fn}`;
  }
  /** `check_reg_type`: a BTF pointer to another struct than a helper's argument takes. */
  btfTypeMismatch(regno: number, got: string, want: string): string {
    return `R${regno} is of type ${got} but ${want} is expected`;
  }
  /** `check_map_prog_compatibility`: a map type a sleepable program may not use. */
  sleepableMap(): string {
    return 'Sleepable programs can only use array, hash, ringbuf and local storage maps';
  }
  /**
   * `where`: `non_sleepable_context_description` ("non-sleepable prog", "rcu_read_lock region");
   * before `sleepableCtxDesc`, a non-sleepable program had a message of its own.
   */
  sleepableHelper(fn: string, id: number, where: string): string {
    return !this.f.sleepableCtxDesc && where === 'non-sleepable prog' ? 'helper call might sleep in a non-sleepable prog' : `sleepable helper ${fn}#${id} in ${where}`;
  }
  notStatic(): string {
    return 'callback function not static';
  }
  /** check_ld_imm: a callback's address (BPF_PSEUDO_FUNC) in a program loaded without func_info. */
  missingFuncInfo(): string {
    return 'missing btf func_info';
  }
  /** fixup_kfunc_call: a call to an unresolved weak kfunc (btf_id 0) that a path reached. */
  unresolvedCall(): string {
    return 'invalid kernel function call not eliminated in verifier pass';
  }
  overwriteReferenced(): string {
    return 'cannot overwrite referenced dynptr';
  }
  rawWriteDynptr(off: number): string {
    return `potential write to dynptr at off=${off} disallowed`;
  }
  notDynptrSlot(i: number): string {
    return `${this.arg ? `arg#${i}` : this.reg(i)} expected pointer to stack or const struct bpf_dynptr`;
  }
  dynptrOffset(off: number): string {
    return `cannot pass in dynptr at an offset=${off}`;
  }
  dynptrVarOff(): string {
    return 'dynptr has to be at a constant offset';
  }
  notUninit(): string {
    return 'Dynptr has to be an uninitialized dynptr';
  }
  releasedOrScalar(i: number, what: string): string {
    return `${this.reg(i)} invalid mem access '${what}'`;
  }
  invalidMemAccess(regno: number, what: string): string {
    return `R${regno} invalid mem access '${what}'`;
  }
  wrongPointer(i: number, want: string, got: string): string {
    return `${this.reg(i)} type=${got} expected=${want}`;
  }
  typeMismatch(regno: number, got: string, want: string): string {
    return `R${regno} type=${got} expected=${want}`;
  }
  /** `process_kf_arg_ptr_to_btf_id`: a BTF pointer to another structure (6.x numbers the argument from 0, `args#`). */
  structMismatch(fn: string, i: number, want: string, got: string): string {
    return `kernel function ${fn} ${this.arg ? `args#${i}` : this.reg(i)} expected pointer to STRUCT ${want} but ${this.reg(i)} has a pointer to STRUCT ${got}`;
  }
  notReadable(regno: number): string {
    return `R${regno} !read_ok`;
  }
  missingKfunc(fn: string): string {
    return `libbpf: extern (func ksym) '${fn}': not found in kernel or module BTFs`;
  }
  /** libbpf's prototype check of an extern whose name the kernel's BTF keeps (`keptInBtf`); N and M stand for the two BTF ids, which the model cannot know. */
  incompatibleKfunc(fn: string): string {
    return `libbpf: extern (func ksym) '${fn}': func_proto [N] incompatible with kernel [M]`;
  }
  unknownFunc(fn: string): string {
    return `unknown func ${fn}`;
  }
  notCallback(i: number): string {
    return `arg${i} expected pointer to func`;
  }
  unknownLabel(l: string): string {
    return `jump to unknown label ${l} (model wording)`;
  }
  fellOff(): string {
    return 'last insn is not an exit or jmp';
  }
  infiniteLoop(pc: number): string {
    return `infinite loop detected at insn ${pc}`;
  }
  tooComplex(): string {
    return 'BPF program is too large. Processed 1000001 insn';
  }
  /** libbpf, at load, for a program whose section no `section_defs` entry matched. */
  unknownSection(prog: string, s: string): string {
    return `libbpf: prog '${prog}': missing BPF prog type, check ELF section name '${s}'`;
  }
  /**
   * libbpf (`libbpf_find_attach_btf_id`), at load: a `SEC_ATTACH_BTF` section's target is not a
   * kernel BTF name. The errno as libbpf 1.1 (the conformance tiers' loader, Debian 12) prints it, a
   * number (conformance hk_v_tp_typo, hk_v_lsm_typo); libbpf 1.5 and later print its name, `-ESRCH`.
   */
  /** libbpf_prepare_prog_load: a BTF-attached section with no '/' (`SEC("lsm")`). */
  noBtfTarget(prog: string): string {
    return `libbpf: prog '${prog}': no BTF-based attach target is specified, use bpf_program__set_attach_target()`;
  }
  noAttachTarget(prog: string, target: string): string {
    return `libbpf: prog '${prog}': failed to find kernel BTF type ID of '${target}': -3`;
  }
  notModelled(s: string, type: string): string {
    return `kernsim does not model section ${s} (program type ${type})`;
  }
  // Memory (check_mem_access, check_stack_*).
  stackRead(off: number, i: number, size: number): string {
    return `invalid read from stack off ${off}+${i} size ${size}`;
  }
  stackReadHelper(regno: number, off: number, i: number, size: number): string {
    return `invalid${this.f.helperStackReadWord} read from stack R${regno} off ${off}+${i} size ${size}`;
  }
  stackReadHelperVar(regno: number, tn: string, i: number, size: number): string {
    return `invalid${this.f.helperStackReadWord} read from stack R${regno} var_off ${tn}+${i} size ${size}`;
  }
  stackBounds(what: string, regno: number, off: number, size: number): string {
    return `invalid ${what} stack R${regno} off=${off} size=${size}`;
  }
  stackBoundsVar(what: string, regno: number, tn: string, off: number, size: number): string {
    return `invalid variable-offset ${what} stack R${regno} var_off=${tn} off=${off} size=${size}`;
  }
  spillSize(): string {
    return 'invalid size of register spill';
  }
  fillSize(): string {
    return 'invalid size of register fill';
  }
  memOutside(size: number, off: number, access: number): string {
    return `invalid access to memory, mem_size=${size} off=${off} size=${access}`;
  }
  mapOutside(size: number, off: number, access: number): string {
    return `invalid access to map value, value_size=${size} off=${off} size=${access}`;
  }
  keyOutside(size: number, off: number, access: number): string {
    return `invalid access to map key, key_size=${size} off=${off} size=${access}`;
  }
  ctxOutside(off: number, size: number): string {
    return `invalid bpf_context access off=${off} size=${size}`;
  }
  minOutside(regno: number): string {
    return `R${regno} min value is outside of the allowed memory range`;
  }
  maxOutside(regno: number): string {
    return `R${regno} max value is outside of the allowed memory range`;
  }
  minNegative(regno: number): string {
    return `R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`;
  }
  sizeNegative(regno: number): string {
    return `R${regno} min value is negative, either use unsigned or 'var &= const'`;
  }
  unbounded(regno: number): string {
    return `R${regno} unbounded memory access, make sure to bounds check any such access`;
  }
  rdonlyWrite(regno: number, what: string): string {
    return `R${regno} cannot write into ${what}`;
  }
  pointerArith(regno: number, what: string, op: string): string {
    return `R${regno} ${op} on ${what} prohibited`;
  }
  leakPointer(regno: number): string {
    return `R${regno} leaks addr into mem`;
  }
  unsupportedFromMem(what: string): string {
    return `Unsupported reg type ${what} for bpf_dynptr_from_mem data`;
  }
  sizeNotConst(regno: number): string {
    return `R${regno} must be a known constant`;
  }
  /** check_kfunc_args, KF_ARG_PTR_TO_MEM_SIZE: 6.x numbers the arguments, 7.2.13 names both registers (`reg_arg_name`). */
  memLenPair(i: number, j: number): string {
    return this.arg ? `arg#${i} arg#${j} memory, len pair leads to invalid memory access` : `${this.reg(i)} and ${this.reg(j)} memory, len pair leads to invalid memory access`;
  }
  /** check_kfunc_args, KF_RELEASE: a pointer the program did not acquire (7.2.13: "release kfunc … passed to R1"). */
  releaseUnreferenced(fn: string, i: number): string {
    return this.arg ? `release kernel function ${fn} expects refcounted PTR_TO_BTF_ID` : `release kfunc ${fn} expects referenced PTR_TO_BTF_ID passed to ${this.reg(i)}`;
  }
  /**
   * get_kfunc_ptr_arg_type's catch-all: a pointer that is not a BTF pointer (stack, map value, memory,
   * context) for a struct argument is memory, and the struct must be made of scalars.
   */
  notScalarStruct(i: number, struct: string): string {
    return `${this.arg ? `arg#${i}` : this.reg(i)} pointer type STRUCT ${struct} must point to scalar, or struct with scalar`;
  }
  callbackRet(lo: string, hi: string): string {
    return `At callback return the register R0 has smin=${lo} smax=${hi} should have been in [0, 1]`;
  }
  invalidZeroSize(): string {
    return 'invalid zero-sized read';
  }
  stringNotConst(regno: number): string {
    return `R${regno} does not point to a readonly map'`;
  }
  tooManyFrames(n: number): string {
    return `the call stack of ${n} frames is too deep !`;
  }
  retPointer(): string {
    return 'At program exit the register R0 is not a known value (ptr_)';
  }
  safe(insn: number): string {
    return `${insn}: safe`;
  }
}

