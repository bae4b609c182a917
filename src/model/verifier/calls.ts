/**
 * A call's checks (kernel/bpf/verifier.c: `check_helper_call`/`check_func_arg`,
 * `check_kfunc_call`/`check_kfunc_args`, `process_dynptr_func`, `process_iter_arg`,
 * `check_helper_mem_access`, `check_map_field_pointer`, `check_reg_type`) and its effects on
 * references, dynptr and iterator stack slots, and the destination register.
 */
import { EACCES, EINVAL } from '../kernel/errno.ts';
import { argBits, availableIn } from '../kfunc/kfunc.ts';
import { kfuncAllowedIn } from '../kfunc/hooks.ts';
import type { AnyKfunc, ArgSpec } from '../kfunc/types.ts';
import type { Arg, Op } from '../program/program.ts';
import type { ProgType } from '../program/sections.ts';
import { PKT_WRITE_PROG_TYPES } from '../packet/types.ts';
import { checkAlignment, checkMapAccessType, checkRegionArg } from './mem.ts';
import { isBloom, isQueueStack, isTaskStorage, MAP_TYPE_IDS, mapAccess } from '../maps/alloc_check.ts';
import { TASK_STORAGE_FUNCS } from '../maps/task_storage.ts';
import { BLOOM_FUNCS, peekWrites } from '../maps/bloom.ts';
import { regTypeStr } from './regtype.ts';
import { constOf, isConst, known, range, UNKNOWN, varConst, type Scalar } from './scalar.ts';
import { dynptrAt, dynptrRefcounted, dynptrSpi, iterAt, markDynptr, markIter, spiOf, stackBoundsErrno, stackDynptrByte, stackRangeRead, stackRangeWrite, unmarkDynptr } from './stack.ts';
import { btfPointer, invalidatePacket, invalidateRcu, isObjPtr, release, withReg, withRef, withoutRegs } from './state.ts';
import { Reject, type AState, type AVal, type Checker, type DynptrSlot } from './types.ts';
import { kptrDest, kptrMatch, type KptrField } from './kptr.ts';
import { declKeySize, mapLayout } from '../maps/layout.ts';
import { noRecordText, recordError } from '../btf/object.ts';
import { KernelBugError } from '../kernel/errors.ts';
import { bprintfPrepare } from '../bprintf/prepare.ts';


/** Helper ids (`enum bpf_func_id`), for the messages that print them. */
const HELPER_IDS: Readonly<Record<string, number>> = {
  bpf_map_lookup_elem: 1, bpf_map_update_elem: 2, bpf_map_delete_elem: 3, bpf_ktime_get_ns: 5, bpf_get_prandom_u32: 7, bpf_get_smp_processor_id: 8,
  bpf_get_current_pid_tgid: 14, bpf_get_current_comm: 16, bpf_probe_read_user: 112, bpf_probe_read_kernel: 113, bpf_probe_read_user_str: 114, bpf_probe_read_kernel_str: 115, bpf_copy_from_user: 148,
  bpf_this_cpu_ptr: 154, bpf_get_current_task_btf: 158, bpf_loop: 181, bpf_for_each_map_elem: 164, bpf_strncmp: 182, bpf_copy_from_user_task: 191, bpf_dynptr_from_mem: 197, bpf_trace_printk: 6, bpf_snprintf: 165, bpf_trace_vprintk: 177, bpf_strtol: 105, bpf_strtoul: 106, bpf_map_push_elem: 87, bpf_map_pop_elem: 88, bpf_map_peek_elem: 89,
  bpf_dynptr_read: 201, bpf_dynptr_write: 202, bpf_dynptr_data: 203, bpf_skb_pull_data: 39, bpf_xdp_adjust_head: 44,
  bpf_ringbuf_output: 130, bpf_ringbuf_reserve: 131, bpf_ringbuf_submit: 132, bpf_ringbuf_discard: 133, bpf_ringbuf_query: 134,
  bpf_ringbuf_reserve_dynptr: 198, bpf_ringbuf_submit_dynptr: 199, bpf_ringbuf_discard_dynptr: 200, bpf_kptr_xchg: 194, bpf_map_lookup_percpu_elem: 195,
  bpf_task_storage_get: 156, bpf_task_storage_delete: 157,
};

/** The register types a helper's memory argument takes (`check_reg_type`'s list, as its message prints it). */
const MEM_ARG_TYPES = 'fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_';


/** The helpers that take a ring buffer map, and only those may take one (check_map_func_compatibility). */
const RINGBUF_MAP_FUNCS: ReadonlySet<string> = new Set(['bpf_ringbuf_output', 'bpf_ringbuf_reserve', 'bpf_ringbuf_query', 'bpf_ringbuf_reserve_dynptr']);
/** The helpers `record_func_map` refuses on a BPF_F_RDONLY_PROG map: they change it. */
const PROG_WRITE_FUNCS: ReadonlySet<string> = new Set(['bpf_map_update_elem', 'bpf_map_delete_elem', 'bpf_map_push_elem', 'bpf_map_pop_elem']);
/** The helpers for QUEUE and STACK maps, which take no other map, and those maps no other helper. */
const QUEUE_MAP_FUNCS: ReadonlySet<string> = new Set(['bpf_map_push_elem', 'bpf_map_pop_elem', 'bpf_map_peek_elem']);

/** The context a call is checked in: the running frame's sleepability and the program's type. */
export interface CallCtx {
  readonly sleepable: boolean;
  readonly type: ProgType;
  /** Asm programs: calls clobber R1-R5 and return in R0. */
  readonly asm: boolean;
}

/** What the walker gives the call checks: the operands' values. */
export interface CallWalker extends Checker {
  operand(s: AState, a: Arg, insn: number): AVal;
  /** The object's weak kfuncs (program/ksym.ts). */
  readonly weak: ReadonlySet<string>;
  /** A path reached a call to a weak kfunc the kernel lacks (its instruction): the load fails after the walk. */
  reachedUnresolved(insn: number): void;
  /** Verify a task_work callback as its own sleepable program (once per callback and map). */
  verifyAsyncCallback(caller: CallCtx, sub: string, map: string, insn: number): void;
}

const isNull = (v: AVal): boolean => v.t === 'scalar' && constOf(v) === 0n;

/** A kfunc's arguments that are pointers the kernel may require non-NULL (the `_or_null` types may be NULL). */
const KFUNC_POINTER_ARGS: ReadonlySet<string> = new Set(['dynptr', 'dynptr_uninit', 'mem', 'file', 'task', 'path', 'map', 'tw', 'callback', 'skb', 'xdp_md', 'iter', 'iter_uninit']);

/** The dynptr kind a constructor makes. */
function constructorKind(fn: string): string | null {
  switch (fn) {
    case 'bpf_dynptr_from_mem': return 'local';
    case 'bpf_dynptr_from_file': return 'file';
    default: return null;
  }
}

interface DynArg {
  readonly i: number;
  readonly frame: number;
  readonly spi: number;
  readonly slot: DynptrSlot | null;
}

/**
 * `process_dynptr_func`: the argument must point at a dynptr on the stack (or be a `const struct
 * bpf_dynptr *` argument of a global function), at a constant, 8-aligned offset with two slots;
 * initialized (and of the demanded kind), or for a constructor any stack that holds no referenced
 * dynptr.
 */
function dynptrArg(w: CallWalker, s: AState, def: AnyKfunc, i: number, v: AVal, uninit: boolean, insn: number): DynArg | { readonly i: number; readonly constPtr: string | null } {
  if (v.t === 'dynptr_ptr') {
    if (uninit) throw new Reject(w.m.notUninit(), insn, [], -EINVAL);
    return { i, constPtr: v.kind };
  }
  if (v.t !== 'fp') {
    // A helper's argument is type-checked first (check_func_arg → check_reg_type); a kfunc's by
    // process_dynptr_func.
    if (def.kind === 'helper') throw new Reject(w.m.typeMismatch(i + 1, regTypeStr(v), 'fp, dynptr_ptr'), insn);
    throw new Reject(w.m.notDynptrSlot(i), insn, [], -EINVAL);
  }
  const spi = dynptrSpi(w, v);
  if (typeof spi === 'string') throw new Reject(spi, insn, [uninit ? w.m.notUninit() : w.m.notInitialized(i)], -EINVAL);
  const slot = dynptrAt(s, v.frame, spi);
  if (!uninit && slot === null) throw new Reject(w.m.notInitialized(i), insn, [], -EINVAL);
  return { i, frame: v.frame, spi, slot };
}

/**
 * The length a memory argument pairs with: its size argument's value (`check_mem_size_reg`: not
 * negative, bounded; a kfunc's `__szk` size must also be a known constant, checked after the bounds:
 * check_kfunc_args, KF_ARG_PTR_TO_MEM_SIZE, in 6.x and in 7.2.13. 7.3-rc7 checks the constant
 * first, with a diagnostics line of its own; the model has no 7.3 row).
 */
function memSize(w: CallWalker, s: AState, def: AnyKfunc, spec: ArgSpec, args: readonly Arg[], insn: number): { size: number; var: Scalar } {
  if (spec.fixedSize !== undefined) return { size: spec.fixedSize, var: known(BigInt(spec.fixedSize)) };
  if (spec.size === undefined) return { size: 0, var: known(0n) };
  const a = args[spec.size];
  const v = a === undefined ? UNKNOWN : w.operand(s, a, insn);
  if (v.t !== 'scalar') throw new Reject(w.m.typeMismatch(spec.size + 1, regTypeStr(v), 'scalar'), insn);
  const c = constOf(v);
  const sizeSpec = def.args[spec.size];
  // ARG_CONST_SIZE (not _OR_ZERO): a size that may be 0 is refused, after the sign.
  const zero = (umin: bigint, umax: bigint): void => {
    if (sizeSpec?.nonZero === true && umin === 0n) throw new Reject(`R${spec.size as number + 1} invalid zero-sized read: u64=[${BigInt.asIntN(64, umin)},${BigInt.asIntN(64, umax)}]`, insn);
  };
  const unbounded = `R${spec.size + 1} unbounded memory access, use 'var &= const' or 'if (var < const)'`;
  if (c !== undefined) {
    // The C prototype's width (a __u32 size passes its low 32 bits; the rendered call passes it so):
    // then check_mem_size_reg's zero and bound.
    const n = BigInt.asUintN(argBits(sizeSpec?.type ?? 'u64', w.opts.features.dynptrBits), c);
    zero(n, n);
    if (n >= 1n << 29n) throw new Reject(unbounded, insn);
    return { size: Number(n), var: v };
  }
  const mustBeConst = sizeSpec?.sizeConst === true;
  if (v.smin < 0n) throw new Reject(w.m.sizeNegative(spec.size + 1), insn);
  zero(v.umin, v.umax);
  if (v.umax >= 1n << 29n) throw new Reject(unbounded, insn);
  if (mustBeConst) throw new Reject(w.m.sizeNotConst(spec.size + 1), insn, [], -EINVAL);
  return { size: Number(v.umax), var: v };
}

/**
 * `check_helper_mem_access`: the memory a pointer argument names, `size` bytes, readable (or
 * writable). `raw`: memory the helper only writes (ARG_PTR_TO_UNINIT_MEM, `meta->raw_mode`): on the
 * stack only its bounds are checked now (`check_stack_range_initialized` returns early), and any
 * dynptr byte in it is refused ("potential write to dynptr", 6.x and 7.2.13; 7.3-rc7 lets the
 * write destroy the dynptr instead); the writes come after all arguments. A map value is also checked
 * against the map's access flags (`check_map_access_type`): for reading, or writing when the helper
 * writes it; a kfunc's memory for both, reading first (`check_kfunc_mem_size_reg`, `check_mem_reg`).
 */
function memArg(w: CallWalker, s0: AState, i: number, v: AVal, size: number, write: boolean, insn: number, raw = false, kfunc = false): AState {
  const regno = i + 1;
  // check_stack_access_within_bounds names the access type check_helper_mem_access was given: a
  // helper's MEM_WRITE memory is written, any other read (a kfunc's is checked for reading first).
  const what = (raw || write) && !kfunc ? 'write to' : 'read from';
  switch (v.t) {
    case 'fp': {
      if (raw) {
        const lo = v.off + Number(v.var === null ? 0n : isConst(v.var) ? (varConst(v.var) ?? 0n) : v.var.smin);
        const hi = v.off + Number(v.var === null ? 0n : isConst(v.var) ? (varConst(v.var) ?? 0n) : v.var.smax) + size;
        if (lo < -512 || hi > 0) {
          if (v.var !== null && !isConst(v.var)) throw new Reject(w.m.stackBoundsVar(what, regno, '(var)', v.off, size), insn, [], stackBoundsErrno(lo, hi));
          throw new Reject(w.m.stackBounds(what, regno, lo, size), insn, [], stackBoundsErrno(lo, hi));
        }
        const at = stackDynptrByte(s0, v.frame, lo, hi);
        if (at !== null) throw new Reject(w.m.rawWriteDynptr(at), insn);
        return s0;
      }
      const base = v.off + Number(varConst(v.var) ?? 0n);
      if (v.var !== null && !isConst(v.var)) {
        const lo = v.off + Number(v.var.smin);
        const hi = v.off + Number(v.var.smax) + size;
        if (lo < -512 || hi > 0) throw new Reject(w.m.stackBoundsVar(what, regno, '(var)', v.off, size), insn, [], stackBoundsErrno(lo, hi));
        if (write) return stackRangeWrite(w, s0, v.frame, lo, hi, insn);
        stackRangeRead(w, s0, v.frame, v, lo, hi, regno, insn);
        return s0;
      }
      if (base < -512 || base + size > 0) throw new Reject(w.m.stackBounds(what, regno, base, size), insn, [], stackBoundsErrno(base, base + size));
      if (write) return stackRangeWrite(w, s0, v.frame, base, base + size, insn);
      stackRangeRead(w, s0, v.frame, v, base, base + size, regno, insn);
      return s0;
    }
    case 'map_value':
    case 'mem':
      if (v.maybeNull) throw new Reject(w.m.typeMismatch(regno, regTypeStr(v), MEM_ARG_TYPES), insn);
      // check_helper_mem_access: a map value's access type (the map's BPF_F_*_PROG flags), other
      // memory's read-only type.
      if (v.t === 'map_value') {
        checkMapAccessType(w, v, v.off, size, write || raw, insn);
        if (kfunc && !write && !raw) checkMapAccessType(w, v, v.off, size, true, insn);
      }
      else if ((write || raw || kfunc) && v.rdonly) throw new Reject(w.m.rdonlyWrite(regno, regTypeStr(v)), insn);
      checkRegionArg(w, v, regno, size, insn);
      return s0;
    default:
      throw new Reject(w.m.typeMismatch(regno, regTypeStr(v), MEM_ARG_TYPES), insn);
  }
}

/** The checks and effects of one kfunc or helper call, in the kernel's order. */
export function checkCall(w: CallWalker, ctx: CallCtx, s0: AState, op: Extract<Op, { op: 'call' }>, insn: number): AState {
  const m = w.m;
  const def = w.opts.kfuncs[op.fn];
  if (def === undefined) throw new Reject(m.unknownFunc(op.fn), insn);
  if (!availableIn(def, w.opts.features.version)) {
    // A weak kfunc libbpf left unresolved: its call has btf_id 0, which check_kfunc_call skips (no
    // argument checked, no register written) and fixup_kfunc_call refuses if it is still there
    // (program/ksym.ts). The model drops the call's result variable, which C reads from R0.
    if (def.kind === 'kfunc' && w.weak.has(op.fn)) {
      w.reachedUnresolved(insn);
      return op.dst === undefined || op.dst === 'r0' ? s0 : withoutRegs(s0, [op.dst]);
    }
    // libbpf's bpf_object__resolve_externs turns a kfunc it cannot resolve into -EINVAL.
    throw new Reject(m.missingKfunc(op.fn), insn, [], -EINVAL);
  }
  // The kernel's program types for the kfunc (the model's `progTypes` may list fewer: the ones it runs).
  const allowed: readonly string[] | undefined = def.kernelProgTypes ?? def.progTypes;
  // A kfunc registered for some types (`kernelProgTypes`): any type of the same kfunc hook
  // (kfunc/hooks.ts); one a filter restricts (`progTypes` alone, `bpf_fs_kfuncs_filter`) and a helper:
  // those types only.
  const permitted = allowed === undefined || (def.kind === 'kfunc' && def.kernelProgTypes !== undefined ? kfuncAllowedIn(def.kernelProgTypes, ctx.type, w.opts.features.rawTpKfuncHook) : allowed.includes(ctx.type));
  if (!permitted) {
    // check_helper_call: the program type's get_func_proto has no such helper.
    // get_helper_proto's -EINVAL; a kfunc outside the program type's sets, fetch_kfunc_meta's -EACCES.
    throw new Reject(def.kind === 'helper' ? `program of this type cannot use helper ${op.fn}#${HELPER_IDS[op.fn] ?? 0}` : m.notAllowed(op.fn), insn, [], def.kind === 'helper' ? -EINVAL : -EACCES);
  }
  // A sleepable helper needs a sleepable context (`in_sleepable_context`: no RCU read section open
  // either), checked before its arguments; a sleepable kfunc a sleepable program, and an RCU read
  // section is looked at after its arguments (below).
  const rcuOpen = s0.rcu ?? 0;
  if (def.flags.includes('KF_SLEEPABLE') && def.kind === 'helper' && (!ctx.sleepable || rcuOpen > 0)) {
    throw new Reject(m.sleepableHelper(op.fn, HELPER_IDS[op.fn] ?? 0, rcuOpen > 0 ? 'rcu_read_lock region' : 'non-sleepable prog'), insn, [], -EINVAL);
  }
  if (def.flags.includes('KF_SLEEPABLE') && def.kind !== 'helper' && !ctx.sleepable) throw new Reject(m.sleepableOnly(op.fn), insn);
  const specs = def.args.filter((a) => a.type !== 'choice');
  if (op.args.length !== specs.length) throw new Reject(`${op.fn}: expected ${specs.length} arguments (model wording)`, insn);
  let s = s0;
  let twMap: string | null = null;
  let twArg = -1;
  let released: number | null = null;
  let fileArg: number | null = null;
  let newDynptr: { arg: DynArg; kind: string; cloneOf: DynptrSlot | null } | null = null;
  let srcDynptr: DynptrSlot | null = null;
  let srcDynptrKind: string | null = null;
  let releaseDynptr: DynArg | null = null;
  let releaseRing: number | null = null;
  let mapArg: string | null = null;
  const writes: { i: number; v: AVal; size: number }[] = [];
  let iterNew: { frame: number; spi: number } | null = null;
  let iterUse: { frame: number; spi: number; ref: number } | null = null;
  let kptrField: KptrField | null = null;
  const vals: AVal[] = [];
  // The bytes of each constant string argument, from its offset to the end of its map value.
  const constStrs = new Map<number, Uint8Array>();
  // is_kfunc_trusted_args (a release kfunc's arguments are trusted too) or is_kfunc_rcu; 7.x: every kfunc.
  const trusted = def.kind === 'kfunc' && (w.opts.features.kfuncTrustedDefault || def.flags.includes('KF_TRUSTED_ARGS') || def.flags.includes('KF_RELEASE') || def.flags.includes('KF_RCU'));
  specs.forEach((spec: ArgSpec, i: number) => {
    const a = op.args[i] as Arg;
    // check_kfunc_args: a NULL pointer argument of a trusted kfunc is refused before its type is looked
    // at, unless the argument may be NULL (`__nullable`) or is not checked (`__ign`).
    if (trusted && KFUNC_POINTER_ARGS.has(spec.type) && !spec.name.endsWith('__ign') && ('null' in a || ('r' in a && isNull(w.operand(s, a, insn))))) throw new Reject(m.possiblyNull(i), insn);
    if (spec.type === 'callback') {
      vals.push(UNKNOWN);
      if (!('cb' in a)) throw new Reject(m.notCallback(i), insn, [], -EINVAL);
      const sub = w.obj.subprogs.find((x) => x.name === a.cb);
      if (sub === undefined) throw new Reject(m.notCallback(i), insn, [], -EINVAL);
      if (!sub.isStatic) throw new Reject(m.notStatic(), insn, [], -EINVAL);
      // set_task_work_schedule_callback_state: the callback's map, key and value are the map argument's (R3).
      w.verifyAsyncCallback(ctx, sub.name, mapArg ?? twMap ?? '', insn);
      return;
    }
    if (spec.type === 'aux') { vals.push(UNKNOWN); return; }
    if (spec.type === 'tw') {
      vals.push(UNKNOWN);
      twArg = i;
      if ('null' in a) throw new Reject(m.possiblyNull(i), insn);
      const v = 'tw' in a ? w.operand(s, { r: a.tw }, insn) : w.operand(s, a, insn);
      if (isNull(v) || (v.t === 'map_value' && v.maybeNull)) throw new Reject(m.possiblyNull(i), insn);
      if (v.t !== 'map_value') throw new Reject(m.notMapValue(i), insn, [], -EINVAL);
      // check_map_field_pointer: a map made without BTF first, then the field.
      if (w.btf.mapsWithout.has(v.map)) throw new Reject(m.mapNeedsBtf(v.map, 'bpf_task_work'), insn, [], -EINVAL);
      const decl = w.obj.maps.find((x) => x.name === v.map);
      if (decl === undefined || decl.taskWorkFields !== 1) throw new Reject(m.noTaskWorkField(v.map), insn, [], -EINVAL);
      twMap = v.map;
      return;
    }
    const v = w.operand(s, a, insn);
    vals.push(v);
    // check_kfunc_args: an argument named `*__ign` is not checked (is_kfunc_arg_ignore).
    if (def.kind === 'kfunc' && spec.name.endsWith('__ign')) return;
    switch (spec.type) {
      case 'dynptr':
      case 'dynptr_uninit': {
        // check_func_arg (6.x): a helper releasing a dynptr (OBJ_RELEASE) first wants a stack slot
        // holding a referenced one (dynptr_get_spi, ref_obj_id); 7.x checks the dynptr first
        // ("Expected an initialized dynptr").
        if (spec.type === 'dynptr' && def.kind === 'helper' && def.flags.includes('OBJ_RELEASE') && !w.opts.features.dynptrRules7 && v.t === 'fp') {
          const spi = dynptrSpi(w, v);
          if (typeof spi === 'string' || dynptrAt(s, v.frame, spi)?.ref == null) throw new Reject(`arg ${i + 1} is an unacquired reference`, insn, [], -EINVAL);
        }
        const d = dynptrArg(w, s, def, i, v, spec.type === 'dynptr_uninit', insn);
        if ('constPtr' in d) {
          srcDynptrKind = d.constPtr;
          if (spec.dynptrKind !== undefined && d.constPtr !== null && d.constPtr !== spec.dynptrKind) throw new Reject(m.wrongDynptrType(i, spec.dynptrKind), insn, [], -EINVAL);
          return;
        }
        if (spec.type === 'dynptr') {
          const slot = d.slot as DynptrSlot;
          if (spec.dynptrKind !== undefined && slot.kind !== spec.dynptrKind) throw new Reject(m.wrongDynptrType(i, spec.dynptrKind), insn, [], -EINVAL);
          srcDynptr = slot;
          srcDynptrKind = slot.kind;
          if (def.flags.includes('KF_RELEASE') || def.flags.includes('OBJ_RELEASE')) releaseDynptr = d;
          return;
        }
        // The constructor's destination: made below, after the other arguments.
        const kind = def.name === 'bpf_dynptr_clone' ? (srcDynptr as DynptrSlot | null)?.kind ?? srcDynptrKind ?? 'local' : spec.dynptrKind ?? constructorKind(def.name) ?? 'local';
        newDynptr = { arg: d, kind, cloneOf: def.name === 'bpf_dynptr_clone' ? srcDynptr : null };
        return;
      }
      case 'skb':
      case 'xdp_md': {
        // KF_ARG_PTR_TO_CTX: the program's own context; or, for a tracing program, a trusted BTF
        // pointer (a tp_btf argument: "bpf: Allow bpf_dynptr_from_skb() for tp_btf").
        if (v.t === 'btf') {
          if (!v.trusted) throw new Reject(`R${i + 1} must be referenced or trusted`, insn, [], -EINVAL);
          return;
        }
        if (v.t !== 'ctx' || v.off !== 0) throw new Reject(m.typeMismatch(i + 1, regTypeStr(v), 'ctx'), insn);
        return;
      }
      case 'path':
      case 'file':
      case 'task': {
        // 6.x, a kfunc without KF_TRUSTED_ARGS: a NULL (a scalar) is no BTF pointer, so
        // get_kfunc_ptr_arg_type takes the argument for memory, which a structure with pointer members
        // cannot be (-EINVAL).
        if (!trusted && def.kind === 'kfunc' && isNull(v)) throw new Reject(`arg#${i} pointer type STRUCT ${spec.type === 'task' ? 'task_struct' : spec.type} must point to scalar, or struct with scalar`, insn, [], -EINVAL);
        if (isNull(v) || (isObjPtr(v) && v.maybeNull)) throw new Reject(m.possiblyNull(i), insn);
        // 7.x: a release kfunc's R1 must hold a reference before its type is looked at (`releaseArgFirst`).
        const referenced = isObjPtr(v) && v.ref !== null;
        if (w.opts.features.releaseArgFirst && def.flags.includes('KF_RELEASE') && i === 0 && !referenced) throw new Reject(m.releaseUnreferenced(op.fn, i), insn, [], -EINVAL);
        // KF_ARG_PTR_TO_BTF_ID: an untrusted pointer is refused (by a KF_RCU kfunc as not an RCU pointer).
        if (v.t === 'btf' && !v.trusted) throw new Reject(def.flags.includes('KF_RCU') ? `R${i + 1} must be a rcu pointer` : `R${i + 1} must be referenced or trusted`, insn, [], -EINVAL);
        // A trusted pointer to a structure the model knows, not the one the kfunc takes (`file->f_inode` to a task kfunc).
        if (v.t === 'btf' && v.struct !== undefined) throw new Reject(m.structMismatch(op.fn, i, spec.type === 'task' ? 'task_struct' : spec.type, v.struct), insn, [], -EINVAL);
        if (v.t === 'btf') throw new Reject(m.typeMismatch(i + 1, regTypeStr(v), 'ptr_, trusted_ptr_, rcu_ptr_'), insn);
        // A walked task pointer (model/btf/walk.ts) is no trusted register (`is_trusted_reg`: neither a
        // reference nor PTR_TRUSTED): a KF_RCU kfunc takes an RCU one, no other kfunc takes either. A
        // helper's ARG_PTR_TO_BTF_ID takes both (`btf_ptr_types`: plain, trusted and RCU).
        if (isObjPtr(v) && v.walked !== undefined && def.kind !== 'helper') {
          if (!def.flags.includes('KF_RCU')) throw new Reject(`R${i + 1} must be referenced or trusted`, insn, [], -EINVAL);
          if (v.walked !== 'rcu') throw new Reject(`R${i + 1} must be a rcu pointer`, insn, [], -EINVAL);
        }
        // get_kfunc_ptr_arg_type: neither a BTF pointer nor a register type with a BTF id
        // (reg2btf_ids): the catch-all memory argument, whose struct must be made of scalars. A
        // scalar lands here too, a pointer released before among them (release_reference made
        // every copy of it an unknown scalar).
        if (v.t === 'scalar' || v.t === 'fp' || v.t === 'map_value' || v.t === 'mem' || v.t === 'ctx') throw new Reject(m.notScalarStruct(i, spec.type === 'task' ? 'task_struct' : spec.type), insn, [], -EINVAL);
        if (v.t !== spec.type) throw new Reject(m.typeMismatch(i + 1, regTypeStr(v), 'ptr_, trusted_ptr_, rcu_ptr_'), insn);
        if (isObjPtr(v)) {
          if (v.ref !== null && !s.refs.has(v.ref)) throw new Reject(m.releasedOrScalar(i, 'scalar'), insn);
          if (def.flags.includes('KF_RELEASE')) {
            if (v.ref === null) {
              throw new Reject(m.releaseUnreferenced(op.fn, i), insn, [], -EINVAL);
            }
            const child = [...s.refs.entries()].find(([, r]) => r.parent === v.ref);
            if (child !== undefined) throw new Reject(m.leakingChild(child[0], child[1].insn), insn, [], -EINVAL);
            released = v.ref;
          }
          if (v.t === 'file') fileArg = v.ref;
        }
        return;
      }
      case 'kptr':
        // ARG_KPTR_XCHG_DEST: check_reg_type (a map value), then process_kptr_func.
        kptrField = kptrDest(w, v, i + 1, insn);
        return;
      case 'task_or_null': {
        // ARG_PTR_TO_BTF_ID_OR_NULL | OBJ_RELEASE (bpf_kptr_xchg's ptr): NULL skips the checks; else
        // check_reg_type (a plain, trusted or RCU BTF pointer; NULL-able not, for a release argument),
        // map_kptr_match_type against the destination's kptr, and a reference the program holds.
        if (isNull(v)) return;
        if (!isObjPtr(v) && !(v.t === 'btf' && v.trusted)) throw new Reject(m.typeMismatch(i + 1, regTypeStr(v), 'ptr_, trusted_ptr_, rcu_ptr_'), insn);
        if (v.maybeNull === true) throw new Reject(m.possiblyNullHelper(i + 1), insn);
        if (kptrField !== null) kptrMatch(kptrField, v, i + 1, insn);
        if (!isObjPtr(v) || v.ref === null || !s.refs.has(v.ref)) throw new Reject(m.releaseHelperUnreferenced(op.fn, i + 1), insn, [], -EINVAL);
        released = v.ref;
        return;
      }
      case 'task_ptr_or_null': {
        // ARG_PTR_TO_BTF_ID_OR_NULL of a helper that only reads it (the task storage helpers): NULL
        // skips the checks; check_reg_type takes a plain, trusted or RCU BTF pointer, one that may be
        // NULL too (the argument may be), then the pointed-to struct must be a task_struct.
        if (isNull(v)) return;
        if (isObjPtr(v) && v.t === 'task') return;
        if (isObjPtr(v) || (v.t === 'btf' && v.trusted && v.struct !== undefined)) {
          throw new Reject(m.btfTypeMismatch(i + 1, isObjPtr(v) ? v.t : v.struct as string, 'task_struct'), insn);
        }
        throw new Reject(m.typeMismatch(i + 1, regTypeStr(v), 'ptr_, trusted_ptr_, rcu_ptr_'), insn);
      }
      case 'ringbuf_mem': {
        // ARG_PTR_TO_RINGBUF_MEM | OBJ_RELEASE: a record bpf_ringbuf_reserve returned, NULL-checked,
        // at its start (check_reg_type, check_func_arg_reg_off), still held.
        if (v.t !== 'mem' || v.ringbuf !== true || v.maybeNull) throw new Reject(m.typeMismatch(i + 1, regTypeStr(v), 'ringbuf_mem'), insn);
        if (v.off !== 0 || (v.var !== null && !(isConst(v.var) && constOf(v.var) === 0n))) throw new Reject(`R${i + 1} must have zero offset when passed to release func or trusted arg to kfunc`, insn, [], -EINVAL);
        if (v.refObj === null || !s.refs.has(v.refObj)) throw new Reject(`R${i + 1} must be referenced when passed to release function`, insn, [], -EINVAL);
        if (def.flags.includes('OBJ_RELEASE')) releaseRing = v.refObj;
        return;
      }
      case 'map': {
        if (isNull(v)) throw new Reject(m.possiblyNull(i), insn);
        if (v.t !== 'map') throw new Reject(`pointer in R${i + 1} isn't map pointer`, insn, [], -EINVAL);
        mapArg = v.map;
        // check_kfunc_args (KF_ARG_PTR_TO_MAP): after a bpf_task_work argument, the map must be its map,
        // but the comparison is made only when this map's record has a workqueue or task_work field, and
        // the record is read without a NULL check (btf/object.ts `recordError`).
        if (twMap !== null) {
          const declared = (w.opts.source ?? w.obj).maps.find((x) => x.name === v.map);
          const err = declared === undefined ? 0 : recordError(declared, !w.btf.mapsWithout.has(v.map));
          if (err !== null) throw new KernelBugError('check_kfunc_args', noRecordText(v.map, i, err));
          if (declared?.taskWorkFields === 1 && v.map !== twMap) throw new Reject(m.mapMismatch(twArg, i), insn, [], -EINVAL);
        }
        return;
      }
      case 'iter':
      case 'iter_uninit': {
        if (v.t !== 'fp') throw new Reject(`arg#${i} expected pointer to an iterator on stack`, insn, [], -EINVAL);
        const off = v.off + Number(varConst(v.var) ?? 0n);
        if (v.var !== null && !isConst(v.var)) throw new Reject(`arg#${i} expected pointer to an iterator on stack`, insn, [], -EINVAL);
        if (off % 8 !== 0) throw new Reject(`arg#${i} expected an 8-byte aligned iterator`, insn, [], -EINVAL);
        const spi = spiOf(off);
        const it = iterAt(s, v.frame, spi);
        if (spec.type === 'iter_uninit') {
          if (it !== null) throw new Reject(`expected uninitialized iter_num as arg #${i}`, insn, [], -EINVAL);
          iterNew = { frame: v.frame, spi };
        } else {
          if (it === null) throw new Reject(`expected an initialized iter_num as arg #${i}`, insn, [], -EINVAL);
          iterUse = { frame: v.frame, spi, ref: it.ref };
        }
        return;
      }
      case 'u8':
      case 'u32':
      case 'u64':
      case 'dsize': {
        if (spec.byRef === true) {
          // ARG_PTR_TO_MAP_KEY: the map's key size (an immediate stands for a pointer to a constant
          // on the stack). check_helper_mem_access of key_size bytes: a ring buffer's key size is 0
          // (check_stack_range_initialized: "invalid zero-sized read").
          const mv = vals[0];
          const decl = mv !== undefined && mv.t === 'map' ? w.obj.maps.find((x) => x.name === mv.map) : undefined;
          const keySize = decl === undefined ? 4 : declKeySize(decl);
          if (keySize === 0) throw new Reject(m.invalidZeroSize(), insn);
          if (v.t !== 'scalar') {
            s = memArg(w, s, i, v, keySize, false, insn);
            return;
          }
          // A register is passed as it is (render.ts): a scalar in it is no pointer to a key.
          const a = op.args[i];
          if (a !== undefined && 'r' in a) throw new Reject(m.typeMismatch(i + 1, regTypeStr(v), MEM_ARG_TYPES), insn);
        }
        if (v.t !== 'scalar') throw new Reject(m.typeMismatch(i + 1, regTypeStr(v), 'scalar'), insn);
        if (spec.sizeConst === true && !isConst(v)) throw new Reject(def.kind === 'kfunc' ? m.sizeNotConst(i + 1) : `R${i + 1} is not a known constant'`, insn, [], def.kind === 'kfunc' ? -EINVAL : -EACCES);
        return;
      }
      case 'mem':
      case 'mem_or_null':
      case 'u64s': {
        // ARG_PTR_TO_MAP_VALUE (bpf_map_update_elem's value, the queue helpers'): the map's value size.
        const mapVal = vals[0];
        const mapSize = spec.mapValue === true && mapVal !== undefined && mapVal.t === 'map' ? mapLayout(w.obj.maps, mapVal.map)?.size : undefined;
        // resolve_map_arg_type: a bloom filter's peek reads its value, where a queue's writes it.
        const out = spec.out === true && peekWrites(def.name, mapVal !== undefined && mapVal.t === 'map' ? w.obj.maps.find((x) => x.name === mapVal.map)?.type : undefined);
        // A kfunc's memory and its size are checked as a pair (check_kfunc_args,
        // KF_ARG_PTR_TO_MEM_SIZE): a failure adds the pair's line.
        const pair = def.kind === 'kfunc' && spec.size !== undefined && mapSize === undefined;
        const checked = <T>(fn: () => T): T => {
          if (!pair) return fn();
          try {
            return fn();
          } catch (e) {
            if (e instanceof Reject && !e.msg.endsWith('must be a known constant')) throw new Reject(e.msg, e.insn, [...e.extra, m.memLenPair(i, spec.size as number)], e.errno);
            throw e;
          }
        };
        const size = mapSize ?? checked(() => memSize(w, s, def, spec, op.args, insn)).size;
        // ARG_PTR_TO_MAP_VALUE is never zero_size_allowed: a map of 0-byte values (a ring buffer) on
        // the stack is check_stack_range_initialized's (conformance qs_v_peek_ringbuf).
        if (mapSize === 0 && v.t === 'fp') throw new Reject(m.invalidZeroSize(), insn);
        if (isNull(v)) {
          if (spec.type === 'mem_or_null' || spec.type === 'u64s' || size === 0) return;
          throw new Reject(m.typeMismatch(i + 1, 'scalar', MEM_ARG_TYPES), insn);
        }
        if (out) {
          // Raw-mode memory a helper writes: bounds now, the writes after the call. A kfunc's
          // buffer is checked for reading and writing (check_kfunc_mem_size_reg).
          s = checked(() => memArg(w, s, i, v, size, false, insn, def.kind === 'helper', def.kind !== 'helper'));
          // MEM_ALIGNED (bpf_strtol's res): check_ptr_alignment, strict, after the access check.
          if (spec.aligned === true) checkAlignment(w, v, 0, size, insn, true);
          writes.push({ i, v, size });
        } else s = checked(() => memArg(w, s, i, v, size, false, insn, false, def.kind !== 'helper'));
        return;
      }
      case 'const_str': {
        // check_reg_const_str: a pointer into a frozen read-only map (libbpf's .rodata) at a known
        // offset, within the value, with a NUL between it and the value's end.
        const ro = v.t === 'map_value' ? w.frozen?.(v.map) : undefined;
        if (v.t !== 'map_value' || ro === undefined) throw new Reject(w.m.stringNotConst(i + 1), insn);
        if (v.var !== null && !isConst(v.var)) throw new Reject(`R${i + 1} is not a constant address'`, insn);
        const at = v.off + Number(v.var === null ? 0n : (varConst(v.var) ?? 0n));
        s = memArg(w, s, i, { ...v, off: at, var: null }, v.size - at, false, insn);
        if (ro.subarray(at, v.size).indexOf(0) < 0) throw new Reject('string is not zero-terminated', insn, [], -EINVAL);
        constStrs.set(i, ro.subarray(at, v.size));
        return;
      }
      case 'percpu':
        throw new Reject(m.typeMismatch(i + 1, regTypeStr(v), 'percpu_ptr_, percpu_rcu_ptr_, percpu_trusted_ptr_'), insn);
      case 'any':
        return;
      default:
        return;
    }
  });
  if (mapArg !== null) {
    const decl = w.obj.maps.find((x) => x.name === mapArg);
    // record_func_map: a map programs may only read (BPF_F_RDONLY_PROG) may not be updated, deleted
    // from, pushed into or popped from.
    if (PROG_WRITE_FUNCS.has(def.name) && !mapAccess(decl?.flags ?? 0).progWrite) throw new Reject('write into map forbidden', insn);
    // check_map_func_compatibility: a ring buffer map goes only to the ring buffer helpers, and they
    // take only ring buffer maps.
    const ringbufMismatch = decl !== undefined && (decl.type === 'ringbuf') !== RINGBUF_MAP_FUNCS.has(def.name);
    // ... and bpf_map_lookup_percpu_elem only per-CPU maps; a queue or stack goes only to the queue
    // helpers, a bloom filter only to push and peek, and pop takes only a queue or stack, push and
    // peek those and a bloom filter.
    const percpuMismatch = decl !== undefined && def.name === 'bpf_map_lookup_percpu_elem' && decl.type !== 'percpu_array' && decl.type !== 'percpu_hash' && decl.type !== 'lru_percpu_hash';
    const queueMismatch = decl !== undefined && (isBloom(decl)
      ? !BLOOM_FUNCS.has(def.name)
      : isQueueStack(decl) !== QUEUE_MAP_FUNCS.has(def.name));
    // ... and a task storage map only to the task storage helpers (and bpf_kptr_xchg, whose map is
    // no argument), which take no other map.
    const storageMismatch = decl !== undefined && isTaskStorage(decl) !== TASK_STORAGE_FUNCS.has(def.name);
    if (decl !== undefined && (ringbufMismatch || percpuMismatch || queueMismatch || storageMismatch)) {
      throw new Reject(`cannot pass map_type ${MAP_TYPE_IDS[decl.type] ?? 0} into func ${op.fn}#${HELPER_IDS[op.fn] ?? 0}`, insn, [], -EINVAL);
    }
  }
  // check_bpf_snprintf_call: data_len's known bits give the number of values (not a multiple of 8:
  // -EINVAL with no message, the log ending at the call's line), then the format is checked as the
  // helper will (bprintf/prepare.ts).
  if (def.name === 'bpf_snprintf') {
    const len = vals[4];
    const fmt = constStrs.get(2);
    const n = len !== undefined && len.t === 'scalar' ? len.tv : 0n;
    if (n % 8n !== 0n) throw new Reject(`call bpf_snprintf#${HELPER_IDS.bpf_snprintf ?? 165}`, insn, [], -EINVAL);
    if (fmt !== undefined && typeof bprintfPrepare(fmt, 0xffff_ffff, null, Number(n / 8n), w.opts.features.bprintfUtf8, null) === 'number') throw new Reject('Invalid format string', insn, [], -EINVAL);
  }
  // check_helper_call: bpf_dynptr_from_mem takes map values only.
  if (def.name === 'bpf_dynptr_from_mem') {
    const data = vals[0];
    if (data !== undefined && data.t !== 'map_value' && !isNull(data)) throw new Reject(m.unsupportedFromMem(regTypeStr(data)), insn);
  }
  // check_kfunc_call: a writable slice needs a program type that may write packet data
  // (may_access_direct_pkt_data(env, NULL, BPF_WRITE)); found by the host conformance tier on 6.18.
  if (def.name === 'bpf_dynptr_slice_rdwr' && !PKT_WRITE_PROG_TYPES.includes(ctx.type)) throw new Reject(m.noPacketWrite(), insn, [], -EINVAL);
  // The helper's writes into raw-mode stack memory (each byte a BPF_B store).
  for (const wr of writes) if (wr.v.t === 'fp') s = memArg(w, s, wr.i, wr.v, wr.size, true, insn);
  // check_kfunc_call after the arguments: the RCU read sections (src/model/rcu: `active_rcu_locks`),
  // then a sleepable kfunc inside one.
  if (def.kind !== 'helper') {
    if (def.name === 'bpf_rcu_read_lock') {
      if (rcuOpen > 0 && !w.opts.features.nestedRcuLocks) throw new Reject(`nested rcu read lock (kernel function ${op.fn})`, insn, [], -EINVAL);
      s = { ...s, rcu: rcuOpen + 1 };
    } else if (def.name === 'bpf_rcu_read_unlock') {
      if (rcuOpen === 0) throw new Reject(`unmatched rcu read unlock (kernel function ${op.fn})`, insn, [], -EINVAL);
      s = rcuOpen === 1 ? invalidateRcu({ ...s, rcu: 0 }) : { ...s, rcu: rcuOpen - 1 };
    } else if (rcuOpen > 0 && def.flags.includes('KF_SLEEPABLE')) {
      throw new Reject(`kernel func ${op.fn} is sleepable within rcu_read_lock region`, insn);
    }
  }
  // Effects on references and stack slots.
  if (released !== null) s = release(s, released);
  if (releaseRing !== null) s = release(s, releaseRing);
  if (releaseDynptr !== null) {
    const d = releaseDynptr as DynArg;
    const slot = d.slot as DynptrSlot;
    s = slot.ref !== null ? release(s, slot.ref) : unmarkDynptr(s, d.frame, d.spi);
  }
  if (newDynptr !== null) {
    const nd = newDynptr as { arg: DynArg; kind: string; cloneOf: DynptrSlot | null };
    let ref: number | null = null;
    let id: number;
    if (nd.cloneOf !== null) {
      ref = nd.cloneOf.ref;
      id = w.newId();
    } else if (dynptrRefcounted(nd.kind)) {
      // mark_stack_slots_dynptr: the dynptr's id and the reference it acquires, in the version's order.
      if (w.opts.features.dynptrRefFirst) {
        ref = w.newId();
        id = w.newId();
      } else {
        id = w.newId();
        ref = w.newId();
      }
      s = withRef(s, ref, { kind: 'dynptr', insn, parent: nd.kind === 'file' ? fileArg : null });
      if (nd.kind === 'file' && ctx.sleepable) w.specializations.push({ insn, from: op.fn, to: 'bpf_dynptr_from_file_sleepable' });
    } else id = w.newId();
    s = markDynptr(w, s, nd.arg.frame, nd.arg.spi, nd.kind, ref, id, insn);
  }
  if (iterNew !== null) {
    const it = iterNew as { frame: number; spi: number };
    const ref = w.newId();
    s = withRef(s, ref, { kind: 'iter', insn, parent: null });
    s = markIter(s, it.frame, it.spi, { kind: 'num', active: true, ref, depth: 0 });
  }
  if (iterUse !== null && def.flags.includes('KF_ITER_NEXT')) {
    // Each iteration is one deeper (`iter.depth`): states of successive iterations differ, and
    // the walker compares them without it where the loop converges (at this call).
    const it = iterUse as { frame: number; spi: number; ref: number };
    const cur = iterAt(s, it.frame, it.spi);
    if (cur !== null) s = markIter(s, it.frame, it.spi, { ...cur, depth: cur.depth + 1 });
  }
  if (iterUse !== null && def.flags.includes('KF_ITER_DESTROY')) {
    const it = iterUse as { frame: number; spi: number; ref: number };
    const next = release(s, it.ref);
    s = markIter(next, it.frame, it.spi, null);
  }
  // check_helper_call: bpf_dynptr_write through an skb dynptr changes packet data (6.x: payload
  // slices die; 7.x: through skb or skb_meta, every packet slice).
  if (def.name === 'bpf_dynptr_write') {
    const kind = (srcDynptr as DynptrSlot | null)?.kind ?? srcDynptrKind;
    if (w.opts.features.dynptrRules7 ? kind === 'skb' || kind === 'skb_meta' : kind === 'skb') s = invalidatePacket(s, w.opts.features.dynptrRules7 ? ['data', 'meta'] : ['data']);
  }
  // bpf_helper_changes_pkt_data: clear_all_pkt_pointers.
  if (def.changesPktData === true) s = invalidatePacket(s, ['data', 'meta']);
  if (ctx.asm) s = withoutRegs(s, ['r1', 'r2', 'r3', 'r4', 'r5']);
  const dst = op.dst ?? (ctx.asm ? 'r0' : undefined);
  if (def.ret === 'ringbuf_mem') {
    // RET_PTR_TO_RINGBUF_MEM_OR_NULL of an acquire function: the pointer's id is its reference.
    const sizeArg = vals[1];
    const size = sizeArg !== undefined && sizeArg.t === 'scalar' ? Number(constOf(sizeArg) ?? 0n) : 0;
    const ref = w.newId();
    s = withRef(s, ref, { kind: 'ringbuf', insn, parent: null });
    if (dst !== undefined) s = withReg(s, dst, { t: 'mem', size, off: 0, var: null, rdonly: false, maybeNull: true, id: ref, dynptrId: null, refObj: ref, ringbuf: true });
    return s;
  }
  if ((def.ret === 'file' || def.ret === 'task') && (def.flags.includes('KF_ACQUIRE') || def.flags.includes('ACQUIRE'))) {
    // check_kfunc_call: KF_RET_NULL gives R0 an id of its own (++id_gen), which KF_ACQUIRE's reference
    // then replaces (acquire_reference takes the next): the 7.2 guest and the 6.18 host both report
    // "Unreleased reference id=2" for a program's first such call.
    // A helper's RET_PTR_TO_BTF_ID_OR_NULL (bpf_kptr_xchg, an acquire function: is_acquire_function)
    // does the same in check_helper_call.
    const retNull = def.flags.includes('KF_RET_NULL') || def.flags.includes('RET_NULL');
    if (retNull) w.newId();
    const id = w.newId();
    s = withRef(s, id, { kind: def.ret, insn, parent: null });
    if (dst !== undefined) s = withReg(s, dst, { t: def.ret, ref: id, maybeNull: retNull, id });
    return s;
  }
  if (dst !== undefined) s = withReg(s, dst, result(w, def, op, vals, srcDynptr, iterUse));
  return s;
}

/** The destination register after the call. */
function result(w: CallWalker, def: AnyKfunc, op: Extract<Op, { op: 'call' }>, vals: readonly AVal[], src: DynptrSlot | null, iter: { ref: number } | null): AVal {
  switch (def.ret) {
    case 'task':
      // bpf_get_current_task_btf: trusted, never NULL, not a reference.
      return btfPointer('task_struct', 'trusted');
    case 'map_value': {
      const a0 = op.args[0];
      const v0 = vals[0];
      const name = v0 !== undefined && v0.t === 'map' ? v0.map : a0 !== undefined && 'map' in a0 ? a0.map : '?';
      return { t: 'map_value', map: name, size: mapLayout(w.obj.maps, name)?.size ?? 0, off: 0, var: null, maybeNull: true, id: w.newId(), rdonly: false };
    }
    case 'ptr': {
      if (def.name === 'bpf_iter_num_next') {
        return { t: 'mem', size: 4, off: 0, var: null, rdonly: true, maybeNull: true, id: w.newId(), dynptrId: null, refObj: iter?.ref ?? null };
      }
      // Dynptr slices: the size is the constant length argument.
      const lenIdx = def.name === 'bpf_dynptr_data' ? 2 : 3;
      const lv = vals[lenIdx];
      const size = lv !== undefined && lv.t === 'scalar' ? Number(constOf(lv) ?? 0n) : 0;
      const kind = src?.kind;
      return {
        t: 'mem', size, off: 0, var: null, rdonly: def.name === 'bpf_dynptr_slice', maybeNull: true, id: w.newId(),
        dynptrId: src?.id ?? null, refObj: src?.ref ?? null,
        ...(kind === 'skb' || kind === 'xdp' ? { pkt: 'data' as const } : kind === 'skb_meta' ? { pkt: 'meta' as const } : {}),
      };
    }
    case 'bool':
      return range(0n, 1n);
    default:
      return UNKNOWN;
  }
}

