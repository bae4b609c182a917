/**
 * What a kfunc definition is made of: typed arguments (C types the caller's values are converted to),
 * the return type, and the definition itself (see kfunc.ts for `defineKfunc` and the call path).
 */
import type { Int } from '../kernel/ctypes.ts';
import type { KernelVersion } from '../kernel/version.ts';
import type { DynptrSlot } from '../dynptr/types.ts';
import type { FileId } from '../fs/types.ts';
import type { Sleep } from '../fs/io.ts';
import type { Preempt } from './preempt.ts';
import type { MapId } from '../maps/types.ts';
import type { ProgType } from '../program/sections.ts';
import type { Pid } from '../task/types.ts';
import type { Kern } from '../world/world.ts';
import type { KptrArg, KptrRef } from '../kptr/types.ts';

export type ArgType =
  | 'u8' | 'u32' | 'u64' | 'dsize' | 'dynptr' | 'dynptr_uninit' | 'mem' | 'mem_or_null' | 'file'
  | 'task' | 'map' | 'tw' | 'callback' | 'aux'
  /** A packet context: `struct __sk_buff *` (an skb made with `kind: 'skb'`), `struct xdp_md *`. */
  | 'skb' | 'xdp_md'
  /** A ring buffer record `bpf_ringbuf_reserve` returned (`ARG_PTR_TO_RINGBUF_MEM`): its ring and position. */
  | 'ringbuf_mem'
  /** `struct path *`: the `f_path` of an open file (the model names it by the file). */
  | 'path'
  /** `&value->field` of a referenced kptr field of a map value (`ARG_KPTR_XCHG_DEST`): src/model/kptr. */
  | 'kptr'
  /** A task pointer or NULL (`ARG_PTR_TO_BTF_ID_OR_NULL` of `struct task_struct`). */
  | 'task_or_null'
  /**
   * A task pointer or NULL a helper only reads (`ARG_PTR_TO_BTF_ID_OR_NULL` of `struct task_struct`,
   * not released: the task storage helpers): a plain, trusted or RCU task pointer, one that may be
   * NULL too.
   */
  | 'task_ptr_or_null'
  /** `struct bpf_iter_num *`: the 8 bytes of an iterator on the stack (initialized, or to initialize). */
  | 'iter' | 'iter_uninit'
  /** A constant NUL-terminated string in read-only memory (`ARG_PTR_TO_CONST_STR`). */
  | 'const_str'
  /** A per-CPU pointer (`ARG_PTR_TO_PERCPU_BTF_ID`); the model has none to give. */
  | 'percpu'
  /** Any value, passed on untouched (`ARG_ANYTHING`: a callback's context pointer). */
  | 'any'
  /**
   * An array of u64 values the program filled, or NULL (`ARG_PTR_TO_MEM | PTR_MAYBE_NULL | MEM_RDONLY`
   * of the printf helpers' `data`): each 8 bytes a number, or a pointer the program stored there
   * (passed as the memory it points at).
   */
  | 'u64s'
  /**
   * Not a C argument: a value the scheduler's chooser draws for this call (`bpf_get_prandom_u32`),
   * so runs stay deterministic and shrinkable; a Session caller passes it.
   */
  | 'choice';

export interface ArgSpec {
  readonly name: string;
  readonly type: ArgType;
  /** Memory the call writes (the interpreter passes a copy and stores it back). */
  readonly out?: boolean;
  /**
   * The dynptr type the verifier demands (`bpf_dynptr_file_discard`: file; `bpf_ringbuf_submit_dynptr`:
   * ringbuf), or that a constructor's `dynptr_uninit` argument makes.
   */
  readonly dynptrKind?: 'local' | 'file' | 'ringbuf' | 'skb' | 'skb_meta' | 'xdp';
  /**
   * The C type in the kernel's declaration, where it is not the one `type` implies: a map helper's
   * `key` is `const void *` pointing at the key the model takes by value (docs); a pointer type here is
   * also how `renderC` declares a kfunc's parameter, which libbpf checks against the kernel's BTF
   * (`bpf_path_d_path`'s `char *buf`: a `void *` is refused).
   */
  readonly cType?: string;
  /**
   * For a memory argument: the index of the argument that gives its size (`ARG_CONST_SIZE`, or
   * `__sz` for kfuncs). The verifier checks that many bytes; the interpreter passes a view of them.
   */
  readonly size?: number;
  /**
   * A memory argument of a size the prototype fixes (`ARG_PTR_TO_FIXED_SIZE_MEM`, the helper's
   * `arg_size`): `bpf_strtol`'s `res` is 8 bytes.
   */
  readonly fixedSize?: number;
  /** The pointer must be aligned to `fixedSize` whatever the program type (`MEM_ALIGNED`: `check_ptr_alignment`, strict). */
  readonly aligned?: boolean;
  /**
   * A value of the map argument (`ARG_PTR_TO_MAP_VALUE`: `bpf_map_update_elem`'s, the queue helpers'):
   * the verifier checks the map's `value_size` bytes; the interpreter passes the memory from the pointer on.
   */
  readonly mapValue?: boolean;
  /** The size argument must be a known constant (`__szk`, `ARG_CONST_SIZE` of a slice buffer). */
  readonly sizeConst?: boolean;
  /** A helper's size that may not be 0 (`ARG_CONST_SIZE`, not `ARG_CONST_SIZE_OR_ZERO`): "invalid zero-sized read". */
  readonly nonZero?: boolean;
  /**
   * C passes a pointer to this integer (`&key` of the map helpers): a pointer operand is read
   * (4 bytes); an immediate stands for a pointer to a constant.
   */
  readonly byRef?: boolean;
  /** The memory holds any value (`ARG_ANYTHING` pointer of `bpf_probe_read_kernel`): not type-checked. */
  readonly unsafe?: boolean;
}

/** A reserved ring buffer record (`bpf_ringbuf_reserve`'s result): the ring (its map) and the record's header position. */
export interface RingSample {
  readonly map: MapId;
  readonly rec: number;
}

/**
 * A map value pointer (`&value`, and `&value->tw` for a task_work argument): the element memory it
 * points into (`slot`) and the key the element had when it was looked up. From the TypeScript API the
 * slot may be left out: it is then the memory of the element now holding `key`.
 */
export interface TwRef {
  readonly map: MapId;
  readonly key: number;
  readonly slot?: number;
  /** The CPU whose copy of a per-CPU map's value (`bpf_map_lookup_percpu_elem`); absent: CPU 0's. */
  readonly cpu?: number;
}

/** The integer argument types. */
type IntArg = 'u8' | 'u32' | 'u64' | 'dsize';
type ArgOut<T extends ArgType> = T extends IntArg ? bigint
  : T extends 'dynptr' | 'dynptr_uninit' ? DynptrSlot
  : T extends 'mem' ? Uint8Array
  : T extends 'mem_or_null' ? Uint8Array | null
  : T extends 'file' | 'path' ? FileId
  : T extends 'task' ? Pid
  : T extends 'task_or_null' | 'task_ptr_or_null' ? Pid | null
  : T extends 'kptr' ? KptrRef
  : T extends 'map' ? MapId
  : T extends 'tw' ? TwRef
  : T extends 'callback' ? string
  : T extends 'aux' ? null
  : T extends 'skb' | 'xdp_md' ? number
  : T extends 'ringbuf_mem' ? RingSample
  : T extends 'iter' | 'iter_uninit' | 'const_str' ? Uint8Array
  : T extends 'percpu' ? Uint8Array | null
  : T extends 'any' ? unknown
  : T extends 'u64s' ? readonly (bigint | Uint8Array)[] | null
  : T extends 'choice' ? bigint
  : never;
type ArgIn<T extends ArgType> = T extends IntArg | 'choice' ? Int : T extends 'kptr' ? KptrArg : T extends 'u64s' ? readonly (Int | Uint8Array)[] | null : ArgOut<T>;

/** The implementation's view of the arguments (integers converted to bigint). */
export type ArgsOut<A extends readonly ArgSpec[]> = { -readonly [I in keyof A]: A[I] extends ArgSpec ? ArgOut<A[I]['type']> : never };
/** The caller's view of the arguments. */
export type ArgsIn<A extends readonly ArgSpec[]> = { -readonly [I in keyof A]: A[I] extends ArgSpec ? ArgIn<A[I]['type']> : never };

/**
 * What the kfunc returns: `int` (0 or a negative errno, a number), `dsize` (an unsigned size of the
 * version's dynptr width, a bigint), `bool`, or `ptr` (a view of memory, or null for NULL).
 */
/** `int`: 0 or a negative errno; `long`: a signed number that is not an errno (`bpf_strncmp`). */
/** `ringbuf_mem`: a reserved ring buffer record (`RET_PTR_TO_RINGBUF_MEM_OR_NULL`), or null. */
export type RetType = 'int' | 'long' | 'dsize' | 'u64' | 'bool' | 'ptr' | 'task' | 'file' | 'map_value' | 'ringbuf_mem' | 'void';
export type RetOf<R extends RetType> = R extends 'int' | 'long' ? number
  : R extends 'dsize' | 'u64' ? bigint
  : R extends 'bool' ? boolean
  : R extends 'ptr' ? Uint8Array | null
  : R extends 'task' ? Pid | null
  : R extends 'file' ? FileId | null
  : R extends 'map_value' ? TwRef | null
  : R extends 'ringbuf_mem' ? RingSample | null
  : undefined;

export interface KfuncDef<A extends readonly ArgSpec[] = readonly ArgSpec[], R extends RetType = RetType> {
  readonly name: string;
  /** The kernel function(s) this mirrors, with their file. */
  readonly mirrors: string;
  /** A kfunc, or a BPF helper (called the same way by programs). */
  readonly kind: 'kfunc' | 'helper';
  /** The first kernel version that has it. */
  readonly since: KernelVersion;
  /** The first kernel version that no longer has it (renamed or removed). */
  readonly until?: KernelVersion;
  /**
   * From `until` on, vmlinux BTF still has a function of this name, with another prototype, that no
   * program may call: 7.0's KF_IMPLICIT_ARGS kept each `_impl` function the new name is implemented
   * by, taking `struct bpf_prog_aux *aux` where programs passed `void *aux__prog` (verifier.c
   * `find_kfunc_impl_proto`). libbpf finds it and refuses the extern's prototype, weak or not
   * (program/ksym.ts).
   */
  readonly keptInBtf?: true;
  /** Program types allowed to call it when a kfunc filter restricts it (`bpf_fs_kfuncs_filter`). */
  readonly progTypes?: readonly ProgType[];
  /**
   * Every `BPF_PROG_TYPE_…` the kernel registers it for, where that is wider than the model's program
   * types (`progTypes`); the documentation lists these.
   */
  readonly kernelProgTypes?: readonly string[];
  readonly summary: string;
  readonly args: A;
  readonly ret: R;
  /** What the return value is, where `ret` alone does not say it (an `int` that counts bytes); docs only. */
  readonly returns?: string;
  /** BTF_ID_FLAGS of the kfunc (KF_ACQUIRE, KF_RELEASE, …), for documentation and the verifier. */
  readonly flags: readonly string[];
  /**
   * The helper may move or reallocate packet data (kernel/bpf/verifier.c `bpf_helper_changes_pkt_data`):
   * after the call the verifier invalidates every packet pointer and packet slice.
   */
  readonly changesPktData?: boolean;
  /** The checks, in the order the kernel makes them, each with its result. */
  readonly checks: readonly string[];
  /** What a successful call changes. */
  readonly effects: readonly string[];
  /** Confidence of the rule (SEMANTICS.md): H read in source, M inferred (a conformance tier may also agree). */
  readonly confidence: string;
  readonly impl: (k: Kern, ...args: ArgsOut<A>) => RetOf<R> | Sleep | Preempt;
}

export type AnyKfunc = KfuncDef<readonly ArgSpec[], RetType>;
