/**
 * What the verifier model tracks (kernel/bpf/verifier.c: `struct bpf_reg_state`, the stack slots
 * of `struct bpf_func_state`, `struct bpf_verifier_state` with its call frames,
 * `struct bpf_reference_state`) and what it answers (a verdict per program).
 */
import { EACCES } from '../kernel/errno.ts';
import type { StructName } from '../btf/structs.ts';
import type { AnyKfunc } from '../kfunc/types.ts';
import type { VersionFeatures } from '../kernel/version.ts';
import type { BpfObject } from '../program/program.ts';
import type { ObjectBtf } from '../btf/object.ts';
import type { ProgType } from '../program/sections.ts';
import type { Messages } from './messages.ts';
import type { Scalar } from './scalar.ts';

export type { Scalar } from './scalar.ts';

/** A pointer's variable part (`var_off`, the bounds of what was added to it), or null when constant. */
export type VarOff = Scalar | null;

/** What a register holds, as the verifier sees it (`reg->type` and what goes with it). */
export type AVal =
  | Scalar
  /** PTR_TO_STACK of call frame `frame` (0 = the program), at `off` from its frame pointer. */
  | { readonly t: 'fp'; readonly frame: number; readonly off: number; readonly var: VarOff }
  /** PTR_TO_MAP_VALUE: a map value (a global is a value of its section's array map). */
  | { readonly t: 'map_value'; readonly map: string; readonly size: number; readonly off: number; readonly var: VarOff; readonly maybeNull: boolean; readonly id: number; readonly rdonly: boolean }
  /**
   * PTR_TO_MEM: memory of `size` bytes (a dynptr slice, a helper's result). `dynptrId` links a slice
   * to its dynptr (destroying the dynptr invalidates it), `refObj` to a reference.
   */
  | {
    readonly t: 'mem'; readonly size: number; readonly off: number; readonly var: VarOff; readonly rdonly: boolean; readonly maybeNull: boolean; readonly id: number; readonly dynptrId: number | null; readonly refObj: number | null;
    /** A slice of packet data or metadata (`DYNPTR_TYPE_SKB`/`_XDP`, `_SKB_META` in the type): packet changes invalidate it. */
    readonly pkt?: 'data' | 'meta';
    /** A ring buffer record `bpf_ringbuf_reserve` returned (`MEM_RINGBUF`): `refObj` is its reference. */
    readonly ringbuf?: boolean;
    /** PTR_TO_MAP_KEY (a `bpf_for_each_map_elem` callback's key): read-only, `size` the key size. */
    readonly mapKey?: boolean;
  }
  /** PTR_TO_CTX. */
  | { readonly t: 'ctx'; readonly off: number }
  /** CONST_PTR_TO_MAP. */
  | { readonly t: 'map'; readonly map: string }
  /**
   * PTR_TO_BTF_ID of a task or a file, trusted: `ref` when acquired (must be released), `maybeNull`
   * until checked; `current` (`bpf_get_current_task_btf`) and a hook's file are not references.
   * `walked`: a task pointer loaded from a task's member (`task->real_parent`), not trusted but
   * `rcu` (MEM_RCU) or `plain` (no flag) as src/model/btf/walk.ts says; never a reference.
   */
  | { readonly t: 'task' | 'file'; readonly ref: number | null; readonly maybeNull: boolean; readonly id: number; readonly walked?: 'rcu' | 'plain' }
  /** PTR_TO_FUNC. */
  | { readonly t: 'func'; readonly name: string }
  /** CONST_PTR_TO_DYNPTR: a `const struct bpf_dynptr *` argument of a global function. */
  | { readonly t: 'dynptr_ptr'; readonly kind: string | null }
  /**
   * PTR_TO_BTF_ID of a type the model does not know: a hook argument a tracing program loads from
   * its context (`BPF_PROG`); trusted for a `tp_btf` program (`prog_args_trusted`), not for fentry
   * and fexit. Trusted-argument kfuncs refuse an untrusted one. `struct`: the structure it points to,
   * where the model knows it (the task argument of an untrusted LSM hook, `lsm/task_free`; a task
   * walked to outside an RCU read section; an inode walked to, `file->f_inode`). `maybeNull`, with
   * its `id`: a load of a kptr field outside an RCU read section (`untrusted_ptr_or_null_`).
   */
  | { readonly t: 'btf'; readonly trusted: boolean; readonly struct?: StructName; readonly maybeNull?: boolean; readonly id?: number };

/** A dynptr held in two stack slots (STACK_DYNPTR), as `spilled_ptr.dynptr` records it. */
export interface DynptrSlot {
  readonly kind: string;
  /** The upper (first) of the two slots. */
  readonly first: boolean;
  /** The dynptr's id (slices name it in `dynptr_id`). */
  readonly id: number;
  /** The reference it holds (`ref_obj_id`), for a refcounted kind. */
  readonly ref: number | null;
}

/** An open-coded iterator in one stack slot (STACK_ITER). */
export interface IterSlot {
  readonly kind: 'num';
  readonly active: boolean;
  /** The reference the iterator holds (`ref_obj_id`). */
  readonly ref: number;
  /** Loop depth, for convergence (`iter.depth`). */
  readonly depth: number;
}

/** One 8-byte stack slot: the type of each byte (`slot_type`: I invalid, M misc, Z zero, S spill, D dynptr, T iter) and what it holds. */
export interface StackSlot {
  readonly types: string;
  readonly spilled: AVal | null;
  readonly dynptr: DynptrSlot | null;
  readonly iter: IterSlot | null;
}

/** A `bpf_loop` in progress in a frame's callee: where the callback returns to. */
export interface LoopInfo {
  readonly callsite: number;
  readonly dst: string | null;
  /** The callback and the context pointer it gets each time. */
  readonly cb: string;
  readonly ctx: AVal;
  /** How many times the callback came round (`callback_depth`): compared only where it converges. */
  readonly depth: number;
  /** A `bpf_for_each_map_elem` callback: the map whose key and value it gets. */
  readonly map?: string;
}

/** One call frame (`struct bpf_func_state`). */
export interface FState {
  readonly fn: string;
  readonly frameno: number;
  readonly regs: ReadonlyMap<string, AVal>;
  /** Slots by `spi` (0 is the 8 bytes just below the frame pointer). */
  readonly stack: ReadonlyMap<number, StackSlot>;
  /** Where the caller continues (the call's op index), and its register for the result. */
  readonly callsite: number;
  readonly retDst: string | null;
  /** Set when this frame is a `bpf_loop` callback. */
  readonly loop: LoopInfo | null;
  /** Set when this frame is a task_work callback (its own program: sleepable). */
  readonly async: boolean;
}

export interface RefInfo {
  readonly kind: 'task' | 'file' | 'dynptr' | 'iter' | 'ringbuf';
  readonly insn: number;
  /** For a file dynptr: the file reference it was made from. */
  readonly parent: number | null;
}

/** The verifier state (`struct bpf_verifier_state`): the frames, innermost last, and the references. */
export interface AState {
  readonly frames: readonly FState[];
  readonly refs: ReadonlyMap<number, RefInfo>;
  /** `active_rcu_locks`: the bpf_rcu_read_lock sections open (absent: none; src/model/rcu). */
  readonly rcu?: number;
}

export interface Specialization {
  readonly insn: number;
  readonly from: string;
  readonly to: string;
}

export interface Verdict {
  readonly program: string;
  readonly ok: boolean;
  /** The rejection message, as the kernel (or libbpf) prints it (the first error line). */
  readonly message: string | null;
  /**
   * The lines of the log the model prints: the error lines in order (some errors print two) and, at
   * `logLevel` 2, a line `N: safe` for each pruned state. The selftests' `__msg` match against it.
   */
  readonly log: readonly string[];
  readonly insn: number | null;
  /** Call sites whose kfunc the verifier replaced (`bpf_dynptr_from_file` → `_sleepable`). */
  readonly specializations: readonly Specialization[];
  /** States explored. */
  readonly states: number;
  /**
   * The errno the load of a refused program fails with: the failing check's (`Reject.errno`), or, for
   * a refusal before the kernel's verifier ran, libbpf's (-ESRCH for a missing attach target, -EINVAL
   * for a kfunc it cannot resolve); absent: -EACCES.
   */
  readonly errno?: number;
  /**
   * The message names a register the compiler chooses (a C variable's): compare it with a kernel's
   * log register-blind (`R<n>`).
   */
  readonly guessedRegisters: boolean;
}

export interface VerifyOptions {
  readonly features: VersionFeatures;
  /** The kfunc and helper table (the full one lives above the model: `ALL_KFUNCS`). */
  readonly kfuncs: Readonly<Record<string, AnyKfunc>>;
  /** `log_level` of the load (2 prints pruning lines). */
  readonly logLevel?: number;
  /**
   * What of the object's BTF the kernel has (model/btf/object.ts): without func_info every function
   * is static and a callback's address is refused; a map made without BTF takes no `bpf_kptr_xchg`.
   * Default: the object as declared (`asLoaded`).
   */
  readonly btf?: ObjectBtf;
  /**
   * The object as its C declares it, when the object verified is the kernel's view of it (maps made
   * without BTF, whose values have no fields): C's offsets (`&v->field`) come from its value structs.
   */
  readonly source?: BpfObject;
}

/**
 * The verifier rejecting the program: thrown from deep in the walk and caught by `verifyProgram`,
 * which turns it into the verdict. Not an `Error`: it never leaves the verifier, and capturing a stack
 * trace for each rejection made the verifier's rejections several times dearer than its checks.
 */
export class Reject {
  readonly name = 'Reject';
  /**
   * `errno`: what the load fails with, the failing check's return (errno.ts): most checks of memory
   * accesses and of a register's type (`check_reg_type`) return -EACCES, most checks of call
   * arguments, references and the program's shape -EINVAL.
   */
  constructor(readonly msg: string, readonly insn: number | null, readonly extra: readonly string[] = [], readonly errno: number = -EACCES) {}

  get message(): string {
    return this.msg;
  }
}

/** The program being verified: its type and sleepability. */
export interface ProgCtx {
  readonly name: string;
  readonly type: ProgType;
  readonly sleepable: boolean;
  readonly hookFile: boolean;
  /** The hook's file argument may be NULL (`PTR_MAYBE_NULL`: `lsm/mmap_file` on 7.x). */
  readonly ctxNullable: boolean;
  /** The expected attach type without its `BPF_` prefix (`TRACE_RAW_TP` for tp_btf, …), null when the section has none. */
  readonly attachType: string | null;
  /** The hook the section attaches to (`tp_btf/task_newtask`, `lsm/file_open`, …), for its typed arguments (program/hook_args.ts). */
  readonly hook: string | null;
}

/** What the checks of a call (calls.ts) and of memory (mem.ts, stack.ts) need of the walker. */
export interface Checker {
  readonly m: Messages;
  readonly obj: BpfObject;
  readonly opts: VerifyOptions;
  /** What of the object's BTF the kernel has (`opts.btf`, else the object as declared). */
  readonly btf: ObjectBtf;
  readonly prog: ProgCtx;
  readonly specializations: Specialization[];
  /** A fresh id (`++env->id_gen`): references, dynptrs, maybe-NULL pointers. */
  newId(): number;
  /** The instruction number of op `pc` of function `fn` (as the kernel counts them). */
  insn(fn: string, pc: number): number;
  /** Lines the verifier printed before an error (e.g. `cannot pass in dynptr at an offset=-8`). */
  note(line: string): void;
  /** Register number for messages: `rN` → N; a C variable gets a number the compiler might pick. */
  regno(name: string): number;
  /** The bytes of `map` when the verifier may read them (`bpf_map_is_rdonly`: the frozen `.rodata`), else undefined. */
  frozen?(map: string): Uint8Array | undefined;
}
