/**
 * What the verifier model tracks (kernel/bpf/verifier.c: `struct bpf_reg_state`, the stack slots of
 * `struct bpf_func_state`, `struct bpf_reference_state`) and what it answers (a verdict per program).
 */
import type { AnyKfunc } from '../kfunc/types.ts';
import type { VersionFeatures } from '../kernel/version.ts';
import type { Arg, BpfObject, Op, Subprog } from '../program/program.ts';
import type { ProgType } from '../program/sections.ts';
import type { Messages } from './messages.ts';

/** What a register holds, as the verifier sees it. */
export type AVal =
  | { readonly t: 'scalar'; readonly v?: bigint }
  | { readonly t: 'null' }
  | { readonly t: 'task' }
  /** A file: `ref` when acquired (must be released), `maybeNull` until checked. */
  | { readonly t: 'file'; readonly ref: number | null; readonly maybeNull: boolean }
  | { readonly t: 'map'; readonly map: string }
  | { readonly t: 'map_value'; readonly map: string; readonly maybeNull: boolean }
  | { readonly t: 'mem'; readonly maybeNull: boolean }
  | { readonly t: 'func' };

export interface Slot {
  readonly kind: 'local' | 'file';
  readonly ref: number | null;
}

export interface RefInfo {
  readonly kind: 'file' | 'dynptr';
  readonly insn: number;
  /** For a file dynptr: the file reference it was made from. */
  readonly parent: number | null;
}

export interface AState {
  readonly regs: ReadonlyMap<string, AVal>;
  readonly slots: ReadonlyMap<string, Slot>;
  readonly refs: ReadonlyMap<number, RefInfo>;
}


export interface Specialization {
  readonly insn: number;
  readonly from: string;
  readonly to: string;
}

export interface Verdict {
  readonly program: string;
  readonly ok: boolean;
  /** The rejection message, as the kernel (or libbpf) prints it. */
  readonly message: string | null;
  readonly insn: number | null;
  /** Call sites whose kfunc the verifier replaced (`bpf_dynptr_from_file` → `_sleepable`). */
  readonly specializations: readonly Specialization[];
  /** States explored. */
  readonly states: number;
  /** The errno of a load refused before the kernel's verifier ran (libbpf: -ESRCH for a missing attach target); absent: -EACCES. */
  readonly errno?: number;
}

export interface VerifyOptions {
  readonly features: VersionFeatures;
  /** The kfunc and helper table (the full one lives above the model: `ALL_KFUNCS`). */
  readonly kfuncs: Readonly<Record<string, AnyKfunc>>;
  /** Maps declared by the object, for task_work field checks. */
}

export class Reject extends Error {
  constructor(readonly msg: string, readonly insn: number | null) {
    super(msg);
  }
}

/** The frame being verified: a program or a callback, with its program type and sleepability. */
export interface Frame {
  readonly name: string;
  readonly body: readonly Op[];
  readonly type: ProgType;
  readonly sleepable: boolean;
  readonly hookFile: boolean;
}

/** What the checks of a call (calls.ts) need of the walker that met it. */
export interface Checker {
  readonly m: Messages;
  readonly obj: BpfObject;
  readonly opts: VerifyOptions;
  readonly specializations: Specialization[];
  /** A fresh reference id (`acquire_reference`). */
  newRef(): number;
  operand(s: AState, a: Arg, pc: number): AVal;
  verifyCallback(caller: Frame, sub: Subprog, map: string, pc: number): void;
}
