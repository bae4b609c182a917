/**
 * What every dynptr kfunc shares (kernel/bpf/helpers.c): finding the dynptr in its slot, its size
 * (`__bpf_dynptr_size`), its read-only bit (`__bpf_dynptr_is_rdonly`), setting it null
 * (`bpf_dynptr_set_null`) and the bounds check (`bpf_dynptr_check_off_len`).
 */
import { E2BIG } from '../kernel/errno.ts';
import { ArgumentError, UnknownHandleError, UseAfterFreeError } from '../kernel/errors.ts';
import { NULL_DYNPTR, type Dynptr, type DynptrSlot } from './types.ts';
import { type FileDynptrState } from './file/state.ts';
import type { Kern } from '../world/world.ts';

/** LOCAL, RINGBUF, SKB and XDP dynptrs keep their size in 24 bits (`DYNPTR_MAX_SIZE`). */
export const DYNPTR_MAX_SIZE = (1n << 24n) - 1n;

/**
 * The dynptr in `slot`. A slot never initialized by a constructor is a misuse: the verifier rejects
 * such a program ("Expected an initialized dynptr").
 */
export function dynptrAt(k: Kern, slot: DynptrSlot, argument: string): Dynptr {
  const d = k.t.dynptrs.get(slot) as Dynptr | undefined;
  if (d === undefined) throw new UnknownHandleError(argument, slot, 'initialized dynptr in slot');
  return d;
}

/**
 * Check a constructor's `ptr__uninit` slot. Overwriting a live FILE dynptr would leak its state (the
 * verifier refuses to overwrite a referenced dynptr), so the model refuses it as a misuse.
 */
export function uninitSlot(k: Kern, slot: DynptrSlot, argument: string): DynptrSlot {
  const old = k.t.dynptrs.get(slot);
  if (old?.kind === 'file' && k.t.fileStates.get(old.state)?.freed === false) {
    throw new ArgumentError(argument, slot, 'a slot that does not hold a live file dynptr (discard it first)');
  }
  return slot;
}

/** `bpf_dynptr_set_null`. */
export function setNull(k: Kern, slot: DynptrSlot): void {
  k.t.own('dynptrs').set(slot, NULL_DYNPTR);
}

/** The allocated state of a FILE dynptr; a state freed by a discard through a clone is a use after free. */
export function fileStateOf(k: Kern, d: { state: number }, argument: string): FileDynptrState {
  const st = k.t.fileStates.get(d.state) as FileDynptrState | undefined;
  if (st === undefined) throw new UnknownHandleError(argument, d.state, 'file dynptr state');
  if (st.freed) throw new UseAfterFreeError(argument, `file dynptr state #${d.state} (discarded through a clone)`);
  return st;
}

/** `__bpf_dynptr_size`: a FILE dynptr's size is in its 64-bit state, the others' in their size bits. */
export function dynptrSize(k: Kern, d: Exclude<Dynptr, { kind: 'null' }>, argument: string): bigint {
  return d.kind === 'file' ? fileStateOf(k, d, argument).size : BigInt(d.size);
}

/** `__bpf_dynptr_is_rdonly`: the read-only bit. FILE dynptrs are always read-only. */
export function dynptrRdonly(d: Dynptr): boolean {
  switch (d.kind) {
    case 'null':
      return false;
    case 'local':
      return d.rdonly;
    case 'file':
      return true;
  }
}

/**
 * `bpf_dynptr_check_off_len`: `-E2BIG` when `len > size` or `offset > size - len`. Computed so that
 * nothing wraps (the subtraction happens only once `len <= size`), as the kernel's 64-bit code.
 */
export function checkOffLen(size: bigint, offset: bigint, len: bigint): number {
  if (len > size || offset > size - len) return -E2BIG;
  return 0;
}

/** A destination or source buffer must hold the `len` bytes the verifier paired with it. */
export function requireCapacity(buf: Uint8Array, len: bigint, argument: string): number {
  if (Number(len) > buf.length) {
    throw new ArgumentError(argument, buf, `a buffer of at least ${len} bytes (the verifier pairs it with the length)`);
  }
  return Number(len);
}

/** A buffer that may be NULL only when the length paired with it is 0 (`ARG_CONST_SIZE_OR_ZERO`). */
export function optionalCapacity(buf: Uint8Array | null, len: bigint, argument: string): number {
  if (buf === null) {
    if (len === 0n) return 0;
    throw new ArgumentError(argument, buf, `a buffer of at least ${len} bytes (NULL only with length 0)`);
  }
  return requireCapacity(buf, len, argument);
}
