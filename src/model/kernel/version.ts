/**
 * Kernel versions as data. A rule that changed between releases reads its behaviour from here, so a
 * new version is a new row, not a fork of the code. The world pins one version (default 6.19).
 */
import { ArgumentError } from './errors.ts';

export type KernelVersion = '6.18' | '6.19' | '7.0' | '7.2';

export interface VersionFeatures {
  /** The version string as `uname -r` would start. */
  readonly version: KernelVersion;
  /** `bpf_dynptr_from_file` and `bpf_dynptr_file_discard` exist (added in 6.19). */
  readonly fileDynptr: boolean;
  /**
   * Width of dynptr offsets, lengths and sizes at the kfunc boundary. The file-dynptr series widened
   * `bpf_dynptr_read`/`_write`/`_adjust`/`_size`/`_slice` and `bpf_dynptr_check_off_len` from u32 to
   * u64 (patch "widen dynptr size/offset to 64 bit", merged with file dynptrs); 6.18 has u32.
   */
  readonly dynptrBits: 32 | 64;
  /**
   * Names of the task_work kfuncs: `impl` = `bpf_task_work_schedule_{signal,resume}_impl` with a
   * 5th `aux__prog` argument (6.18, 6.19); `plain` = 4-argument names (7.0, KF_IMPLICIT_ARGS).
   */
  readonly taskWorkNames: 'impl' | 'plain';
  /** Verifier messages name arguments (`arg #0`, 6.19 selftests) or registers (`R1`, seen on 7.2). */
  readonly verifierArgStyle: 'arg' | 'reg';
  /**
   * Where `check_kfunc_args` refuses a release kfunc's argument that holds no reference: 7.2.13 checks
   * R1 right after the NULL check, before the argument's type is classified ("release kfunc … expects
   * referenced PTR_TO_BTF_ID passed to R1"); 6.x after every argument was checked ("release kernel
   * function … expects refcounted PTR_TO_BTF_ID"), so a scalar there (a pointer released before) fails
   * the type check first: "arg#0 pointer type STRUCT task_struct must point to scalar, or struct with
   * scalar", seen on 6.18. 7.0 and 6.19 are assumed to go with their message style (M).
   */
  readonly releaseArgFirst: boolean;
  /**
   * The verifier tracks the range of a DIV or MOD by a constant ("bpf: Add interval and tnum analysis
   * for signed and unsigned BPF_DIV", posted to bpf-next in December 2025, and its BPF_MOD sequel;
   * 7.2.13 has both: scalar_min_max_udiv, scalar_min_max_umod). Before, `is_safe_to_compute_dst_reg_range`
   * had no case for them and the result was unknown, even of two constants (the 6.18 host tier:
   * conformance lv_div_const). 6.19 is assumed without it and 7.0 with it (M).
   */
  readonly divModBounds: boolean;
  /**
   * `BPF_F_RB_OVERWRITE` ring buffers and `BPF_RB_OVERWRITE_POS` ("bpf: Add overwrite mode for BPF
   * ring buffer", listed in the 6.19 BPF pull request).
   */
  readonly ringbufOverwrite: boolean;
  /**
   * `BPF_PROG_TEST_RUN` builds non-linear skbs: `ctx->data_end` chooses the linear size and the rest
   * goes into page frags ("bpf: Craft non-linear skbs in BPF_PROG_TEST_RUN", 6.19 pull). Before,
   * the skb is linear and a packet longer than the linear limit is -EINVAL.
   */
  readonly skbTestRunFrags: boolean;
  /**
   * A write through an SKB_META dynptr unclones the skb (`__bpf_skb_meta_store_bytes`: -EFAULT when
   * that fails) instead of the dynptr being read-only for a cloned skb. Series "skb-meta-rx-path" v4
   * (Nov 2025), after the 6.19 merge window: 7.0 (M-L).
   */
  readonly skbMetaUncloneOnWrite: boolean;
  /**
   * The word after "invalid" when a helper reads uninitialized or dynptr stack bytes
   * (`check_stack_range_initialized`): "invalid read from stack R<n> off …" (no word) on the host's
   * 6.18 and in the 6.19 and 7.x selftests.
   */
  readonly helperStackReadWord: '' | ' indirect';
  /**
   * Which id a refcounted dynptr's constructor takes first (`mark_stack_slots_dynptr`): 6.x gives the
   * dynptr its id, then acquires the reference ("Unreleased reference id=2" for the first ringbuf
   * dynptr); the 7.x selftests expect the reference first (id=1).
   */
  readonly dynptrRefFirst: boolean;
  /**
   * Dynptr rules of 7.x, read in the 7.2.13 release (Debian linux-source-7.2 7.2.13-1,
   * kernel/bpf/verifier.c): a referenced dynptr may be overwritten while a clone still holds its
   * reference (`destroy_if_dynptr_stack_slot` counts the dynptrs sharing the reference's parent,
   * `dynptr_ref_cnt`; only the overwritten dynptr's slices die: `dynptr_overwrite_ref_with_clone`); a
   * write through an skb or skb_meta dynptr invalidates every packet slice, data and metadata alike
   * (`check_helper_call`, BPF_FUNC_dynptr_write; 6.x: a payload write invalidates payload slices only,
   * a metadata write none); and a helper releasing a dynptr checks the dynptr first (6.x refuses a
   * slot without a reference: "arg 1 is an unacquired reference"). 7.0 is assumed to have them (M):
   * no 7.0 source was read. Not in 7.2.13, found in 7.3-rc7 (Debian linux-source-7.3
   * 7.3~rc7-1~exp1), so not in any row: a helper's raw-mode write over a dynptr destroying it, and a
   * kfunc's constant size checked before its bounds.
   */
  readonly dynptrRules7: boolean;
  /**
   * The `lsm/mmap_file` hook's file argument is `PTR_MAYBE_NULL` (kernel/bpf/bpf_lsm_proto.c,
   * `file__nullable`, 2025): a program must test it for NULL before passing it to a kfunc. Seen on 7.2
   * (`trusted_ptr_or_null_file`); not established for 6.19 (L), so off there.
   */
  readonly lsmMmapFileNullable: boolean;
  /**
   * The sleepable file reader is one `__kernel_read` (lib/buildid.c `freader_fetch`, patch "lib/buildid:
   * use __kernel_read() for sleepable context", upstream 777a8560, merged through mm-hotfixes in January
   * 2026 during the 6.19-rc cycle and backported to 6.18.7 and 6.12.y; so in 6.19 final, M-H).
   * Before it (6.19-rc trees) the sleepable reader looked the folio
   * up and read a missing one with `read_cache_folio` (no readahead, -EFAULT on failure, a folio held):
   * no release has that path, and the model does not implement it. 6.18 has no FILE dynptr; its
   * `build_id_parse` users have the patch from 6.18.7.
   */
  readonly freaderKernelRead: boolean;
  /**
   * The last reference to a `bpf_task_work` context dropped with interrupts disabled (in the
   * `bpf_task_work_irq` and `bpf_task_work_cancel_scheduled` irq_work handlers) does not release it
   * there: `bpf_task_work_ctx_put` queues an irq_work, `bpf_task_work_destroy`, which drops the
   * context's program and task references (`bpf_task_work_ctx_reset`) and frees it (`kfree_rcu`). Read
   * in 7.2.13 (kernel/bpf/helpers.c); 7.0 assumed the same (M). 6.18 resets and frees at the put
   * (`bpf_mem_free`: semantics/task_work.md §2.3); 6.19 is assumed to be 6.18 (L: no 6.19 source read).
   */
  readonly twDestroyDeferred: boolean;
  /**
   * A buffered write that starts past the end of an ext4 file first zeroes the rest of the block
   * holding the old end through the cache (fs/ext4/file.c `ext4_write_checks` → `ext4_block_zero_eof`:
   * the block is read if it is not uptodate, its folio left dirty and, alone, not uptodate), so that
   * the hole does not show what an mmap wrote past the end. Read in 7.2.13; 7.0 assumed the same (M);
   * not in the 6.x rows (M: no 6.x source of ext4 was read).
   */
  readonly ext4ZeroEofOnWrite: boolean;
  /**
   * `bpf_rcu_read_lock` sections nest: the verifier counts them (`active_rcu_locks`, "bpf: support
   * nested rcu critical sections", bpf-next, November 2025) and the outermost unlock makes the RCU
   * pointers untrusted. Before, a lock inside a section is refused ("nested rcu read lock (kernel
   * function bpf_rcu_read_lock)": the 6.18 host refuses it). Read in 7.2.13; 6.19 and 7.0 assumed to
   * have it (M: the series was acked for the 6.19 cycle).
   */
  readonly nestedRcuLocks: boolean;
  /**
   * A map element's special fields, when its memory is unlinked or overwritten (a delete, an update
   * of a present key, any ARRAY update, an LRU eviction), are only cancelled (kernel/bpf/syscall.c
   * `bpf_obj_cancel_fields`: a task_work context is cancelled and freed), not freed: a kptr stays in
   * the element memory, and the next element that memory holds has it, until the memory itself is
   * freed (the map's end). Read in 7.2.13 (hashtab.c `check_and_cancel_fields`, arraymap.c
   * `array_map_update_elem`). Before, they were freed (`bpf_obj_free_fields`: a referenced kptr is
   * taken out and its destructor drops the reference): 6.18 (M until the host tier's kptr cases), 6.19
   * and 7.0 assumed the same (M: the series that made them cancel-only is from 2026).
   */
  readonly cancelFieldsOnReuse: boolean;
  /**
   * User space's per-CPU map syscalls know `BPF_F_CPU` (one CPU's value, the CPU in the flags' upper
   * 32 bits) and `BPF_F_ALL_CPUS` (one value for every CPU), checked by `bpf_map_check_op_flags`
   * (include/linux/bpf.h), and an update copies `value_size` bytes into each CPU's copy
   * (`copy_map_value`); before, only BPF_NOEXIST and BPF_EXIST, and an update copied the rounded
   * `round_up(value_size, 8)` bytes (`copy_map_value_long`), so the padding user space wrote is read
   * back. Series "bpf: Introduce BPF_F_CPU and BPF_F_ALL_CPUS flags for percpu maps" (v12, applied
   * in January 2026): read in 7.2.13 (kernel/bpf/syscall.c, arraymap.c, hashtab.c); 7.0 assumed to
   * have it (M); the 6.18 host has neither (maps/percpu.ts).
   */
  readonly percpuCpuFlags: boolean;
  /**
   * `bpf_bprintf_prepare` accepts bytes above 0x7f in a format's plain text (UTF-8), refusing one only
   * right after a `%`; before, every such byte was -EINVAL. "bpf: allow UTF-8 literals in
   * bpf_bprintf_prepare()" (upstream b960430ea886, April 2026; backported to the stable releases):
   * read in 7.2.13's kernel/bpf/helpers.c; 6.18 as the 6.18.44 host runs it (conformance `pf_utf8*`).
   */
  readonly bprintfUtf8: boolean;
  /**
   * The verifier keeps a pointer's constant offset apart from its variable part (`reg->off` beside
   * `reg->var_off`), and an alignment message prints both (`misaligned stack access off 0+-12+0
   * size 8`: var_off, off, the access's offset). 7.2.13's `bpf_reg_state` has no `off`: the constant
   * is part of var_off, printed as one number (`off -12+0 size 8`; kernel/bpf/verifier.c
   * `check_generic_ptr_alignment`, kernel/bpf/log.c `tnum_strn`). 6.18 as the host runs it; 6.19 and
   * 7.0 assumed to keep `off` (M: the field was still there in January 2026's patches).
   */
  readonly regFixedOff: boolean;
  /**
   * A helper that might sleep, called where the program may not sleep, is refused with the reason
   * `non_sleepable_context_description` gives ("sleepable helper bpf_copy_from_user#148 in
   * non-sleepable prog", or "in rcu_read_lock region"): read in 7.2.13 (kernel/bpf/verifier.c
   * `check_helper_call`). Before, a non-sleepable program got "helper call might sleep in a
   * non-sleepable prog" (the 6.18.44 host), and only the RCU region the other form. 6.19 assumed
   * before (M), 7.0 after (M: the series, "sleepable in non-sleepable", is from the first weeks of
   * 2026, as `percpuCpuFlags`'s).
   */
  readonly sleepableCtxDesc: boolean;
  /**
   * `map_create` looks at the fd's mode (`bpf_get_file_flag`: BPF_F_RDONLY with BPF_F_WRONLY is
   * -EINVAL) right after `map_extra`, before the type's own checks and its BTF; 7.2.13 does it after
   * the map is made (`map_create_alloc`, kernel/bpf/syscall.c), so a type's -E2BIG or -ENOTSUPP comes
   * first there. 6.18 as the host runs it (conformance gmc5 at seed 777: an LRU per-CPU map of 65,535-byte
   * values with both flags, -EINVAL); 6.19 and 7.0 assumed early (M: the bpf-next patches of early
   * 2026 that log map_create's refusals still check it early).
   */
  readonly mapFileFlagFirst: boolean;
  /**
   * Every kfunc's pointer arguments are trusted (7.0's "trusted args by default": KF_TRUSTED_ARGS is
   * gone; 7.2.13's `check_kfunc_args` refuses any NULL pointer argument not named `__nullable`, H for
   * 7.2, M for 7.0); before, only a kfunc flagged KF_TRUSTED_ARGS or KF_RCU and a release kfunc (6.18
   * on the host tier).
   */
  readonly kfuncTrustedDefault: boolean;
  /**
   * RAW_TRACEPOINT programs are in TRACING's kfunc hook (btf.c `bpf_prog_type_to_kfunc_hook`; "bpf:
   * allow calling kfuncs from raw_tp programs", bpf-next, December 2025: 7.0, M; 7.2.13 read, H);
   * before, they had no hook and only the common kfunc set: 6.18.44 on the host tier refuses
   * `bpf_task_acquire` in a `raw_tp/` program ("calling kernel function … is not allowed").
   */
  readonly rawTpKfuncHook: boolean;
}

export const KERNEL_VERSIONS: Readonly<Record<KernelVersion, VersionFeatures>> = {
  '6.18': {
    version: '6.18', fileDynptr: false, dynptrBits: 32, taskWorkNames: 'impl', verifierArgStyle: 'arg', releaseArgFirst: false, divModBounds: false,
    ringbufOverwrite: false, skbTestRunFrags: false, skbMetaUncloneOnWrite: false, helperStackReadWord: '', dynptrRefFirst: false,
    dynptrRules7: false, lsmMmapFileNullable: false, freaderKernelRead: true, twDestroyDeferred: false, ext4ZeroEofOnWrite: false,
    nestedRcuLocks: false,
    cancelFieldsOnReuse: false, percpuCpuFlags: false, bprintfUtf8: true, regFixedOff: true, sleepableCtxDesc: false, mapFileFlagFirst: true, kfuncTrustedDefault: false, rawTpKfuncHook: false,
  },
  '6.19': {
    version: '6.19', fileDynptr: true, dynptrBits: 64, taskWorkNames: 'impl', verifierArgStyle: 'arg', releaseArgFirst: false, divModBounds: false,
    ringbufOverwrite: true, skbTestRunFrags: true, skbMetaUncloneOnWrite: false, helperStackReadWord: '', dynptrRefFirst: false,
    dynptrRules7: false, lsmMmapFileNullable: false, freaderKernelRead: true, twDestroyDeferred: false, ext4ZeroEofOnWrite: false,
    nestedRcuLocks: true,
    cancelFieldsOnReuse: false, percpuCpuFlags: false, bprintfUtf8: true, regFixedOff: true, sleepableCtxDesc: false, mapFileFlagFirst: true, kfuncTrustedDefault: false, rawTpKfuncHook: false,
  },
  '7.0': {
    version: '7.0', fileDynptr: true, dynptrBits: 64, taskWorkNames: 'plain', verifierArgStyle: 'reg', releaseArgFirst: true, divModBounds: true,
    ringbufOverwrite: true, skbTestRunFrags: true, skbMetaUncloneOnWrite: true, helperStackReadWord: '', dynptrRefFirst: true,
    dynptrRules7: true, lsmMmapFileNullable: true, freaderKernelRead: true, twDestroyDeferred: true, ext4ZeroEofOnWrite: true,
    nestedRcuLocks: true,
    cancelFieldsOnReuse: false, percpuCpuFlags: true, bprintfUtf8: true, regFixedOff: true, sleepableCtxDesc: true, mapFileFlagFirst: true, kfuncTrustedDefault: true, rawTpKfuncHook: true,
  },
  '7.2': {
    version: '7.2', fileDynptr: true, dynptrBits: 64, taskWorkNames: 'plain', verifierArgStyle: 'reg', releaseArgFirst: true, divModBounds: true,
    ringbufOverwrite: true, skbTestRunFrags: true, skbMetaUncloneOnWrite: true, helperStackReadWord: '', dynptrRefFirst: true,
    dynptrRules7: true, lsmMmapFileNullable: true, freaderKernelRead: true, twDestroyDeferred: true, ext4ZeroEofOnWrite: true,
    nestedRcuLocks: true,
    cancelFieldsOnReuse: true, percpuCpuFlags: true, bprintfUtf8: true, regFixedOff: false, sleepableCtxDesc: true, mapFileFlagFirst: false, kfuncTrustedDefault: true, rawTpKfuncHook: true,
  },
};

export const DEFAULT_VERSION: KernelVersion = '6.19';

/** A kernel build's own rules where they differ from its version's (`WorldOptions.features`). */
export type FeatureOverrides = Partial<Omit<VersionFeatures, 'version'>>;

/** The values rule `key` of `VersionFeatures` has in the modelled versions (the values a build may give it). */
export function featureValues(key: keyof VersionFeatures): readonly (string | number | boolean)[] {
  return [...new Set(Object.values(KERNEL_VERSIONS).map((f) => f[key]))];
}

/**
 * `base` with `overrides` (undefined: `base` itself). Each key must be a rule of `VersionFeatures` and
 * its value one that some modelled version has: the model knows how a kernel behaves with each of
 * them, not with an invented one. A misuse is an `ArgumentError` naming `argument`.
 */
export function withOverrides(base: VersionFeatures, overrides: unknown, argument: string): VersionFeatures {
  if (overrides === undefined) return base;
  if (overrides === null || typeof overrides !== 'object' || Array.isArray(overrides)) throw new ArgumentError(argument, overrides, 'an object of VersionFeatures rules ({ kfuncTrustedDefault: true }, …)');
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    if (key === 'version' || !Object.prototype.hasOwnProperty.call(base, key)) {
      throw new ArgumentError(`${argument}.${key}`, value, `a rule of VersionFeatures (${Object.keys(base).filter((k) => k !== 'version').join(', ')})`);
    }
    const seen = featureValues(key as keyof VersionFeatures);
    if (!seen.includes(value as never)) throw new ArgumentError(`${argument}.${key}`, value, `one of the values a modelled version has (${seen.map((v) => JSON.stringify(v)).join(', ')})`);
    out[key] = value;
  }
  return Object.freeze(out) as unknown as VersionFeatures;
}

/**
 * A modelled version's place in time (-1 for anything that is not one). Written as a switch on the
 * versions' texts, a few comparisons, where a lookup by key cost some 30 ns of a 600 ns kfunc call:
 * every call asks (`availableIn`). test/version.test.ts checks it against `KERNEL_VERSIONS` and the
 * versions' numbers.
 */
function orderOf(v: unknown): number {
  switch (v) {
    case '6.18': return 0;
    case '6.19': return 1;
    case '7.0': return 2;
    case '7.2': return 3;
    default: return -1;
  }
}

/** Ordering of versions: `versionAtLeast('7.0', '6.19')` is true. */
export function versionAtLeast(v: KernelVersion, min: KernelVersion): boolean {
  const a = orderOf(v);
  if (a < 0) throw new ArgumentError('v', v, `one of ${Object.keys(KERNEL_VERSIONS).join(', ')}`);
  const b = orderOf(min);
  if (b < 0) throw new ArgumentError('min', min, `one of ${Object.keys(KERNEL_VERSIONS).join(', ')}`);
  return a >= b;
}

/** Whether `v` is a modelled version (the pure API asks it of every world it is given: `checkWorld`). */
export function isKernelVersion(v: unknown): v is KernelVersion {
  return orderOf(v) >= 0;
}
