/**
 * Kernel versions as data. A rule that changed between releases reads its behaviour from here, so a
 * new version is a new row, not a fork of the code. The world pins one version (default 6.19).
 */
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
}

export const KERNEL_VERSIONS: Readonly<Record<KernelVersion, VersionFeatures>> = {
  '6.18': { version: '6.18', fileDynptr: false, dynptrBits: 32, taskWorkNames: 'impl', verifierArgStyle: 'arg' },
  '6.19': { version: '6.19', fileDynptr: true, dynptrBits: 64, taskWorkNames: 'impl', verifierArgStyle: 'arg' },
  '7.0': { version: '7.0', fileDynptr: true, dynptrBits: 64, taskWorkNames: 'plain', verifierArgStyle: 'reg' },
  '7.2': { version: '7.2', fileDynptr: true, dynptrBits: 64, taskWorkNames: 'plain', verifierArgStyle: 'reg' },
};

export const DEFAULT_VERSION: KernelVersion = '6.19';

const ORDER: Readonly<Record<KernelVersion, number>> = { '6.18': 0, '6.19': 1, '7.0': 2, '7.2': 3 };

/** Ordering of versions: `versionAtLeast('7.0', '6.19')` is true. */
export function versionAtLeast(v: KernelVersion, min: KernelVersion): boolean {
  return ORDER[v] >= ORDER[min];
}

export function isKernelVersion(v: unknown): v is KernelVersion {
  return typeof v === 'string' && Object.prototype.hasOwnProperty.call(KERNEL_VERSIONS, v);
}
