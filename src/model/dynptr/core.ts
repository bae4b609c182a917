/**
 * What every dynptr kfunc shares (kernel/bpf/helpers.c): finding the dynptr in its slot, its size
 * (`__bpf_dynptr_size`), its read-only bit (`__bpf_dynptr_is_rdonly`), setting it null
 * (`bpf_dynptr_set_null`), the bounds check (`bpf_dynptr_check_off_len`), and the three accesses
 * every kind implements: `__bpf_dynptr_read`, `__bpf_dynptr_write` and the body of
 * `bpf_dynptr_slice`, each a switch over the dynptr's type that calls the kind's folder (`local/`
 * is inline here, `file/`, `ringbuf/`, `skb/` (SKB and SKB_META), `xdp/`).
 */
import { E2BIG, EINVAL } from '../kernel/errno.ts';
import { ArgumentError, UnknownHandleError, UseAfterFreeError } from '../kernel/errors.ts';
import type { Sleep } from '../fs/io.ts';
import { NULL_DYNPTR, type Dynptr, type DynptrSlot } from './types.ts';
import { type FileDynptrState } from './file/state.ts';
import { fileFetch } from './file/freader.ts';
import { ringbufRead, ringbufView, ringbufWrite } from './ringbuf/access.ts';
import { skbMetaRead, skbMetaSlice, skbMetaWrite, skbRead, skbSlice, skbWrite } from './skb/access.ts';
import { xdpRead, xdpSlice, xdpWrite } from './xdp/access.ts';
import { BPF_F_INVALIDATE_HASH, BPF_F_RECOMPUTE_CSUM } from '../packet/skb.ts';
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
 * Check a constructor's `ptr__uninit` slot. Overwriting the last slot of a live referenced dynptr (FILE,
 * or RINGBUF whose record is not yet submitted or discarded) would leak its reference: the verifier
 * refuses ("cannot overwrite referenced dynptr"), so the model refuses it as a misuse. Overwriting a
 * clone while another slot still holds the reference is fine: the other slot releases it (7.x's
 * verifier accepts such a program: verifier/stack.ts `destroyIfDynptr`; 6.x's refuses it at load).
 */
export function uninitSlot(k: Kern, slot: DynptrSlot, argument: string): DynptrSlot {
  const old = k.t.dynptrs.get(slot);
  if (old?.kind === 'file' && k.t.fileStates.get(old.state)?.freed === false) {
    if (!heldElsewhere(k, slot, (d) => d.kind === 'file' && d.state === old.state)) {
      throw new ArgumentError(argument, slot, 'a slot that does not hold the last reference to a live file dynptr (discard it first)');
    }
  }
  if (old?.kind === 'ringbuf' && k.t.rings.get(old.map)?.samples.has(old.rec) === true) {
    if (!heldElsewhere(k, slot, (d) => d.kind === 'ringbuf' && d.map === old.map && d.rec === old.rec)) {
      throw new ArgumentError(argument, slot, 'a slot that does not hold the last reference to a reserved ringbuf dynptr (submit or discard it first: "cannot overwrite referenced dynptr")');
    }
  }
  return slot;
}

/** Whether a slot other than `slot` holds a dynptr `same` accepts (a clone of the one in `slot`). */
function heldElsewhere(k: Kern, slot: DynptrSlot, same: (d: Dynptr) => boolean): boolean {
  for (const [s, d] of k.t.dynptrs) if (s !== slot && same(d as Dynptr)) return true;
  return false;
}

/** A call frame ends: the dynptrs in its stack's slots die with it. */
export function dropFrameSlots(k: Kern, frame: number): void {
  const slots = k.t.frameSlots(frame);
  if (slots.length === 0) return;
  const own = k.t.own('dynptrs');
  for (const slot of slots) own.delete(slot);
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

/**
 * `__bpf_dynptr_is_rdonly`: the read-only bit. FILE dynptrs are always read-only; RINGBUF and XDP
 * never; an SKB or SKB_META one when its constructor made it so (the program type cannot write
 * packets, or 6.18/6.19 SKB_META of a cloned skb).
 */
export function dynptrRdonly(d: Dynptr): boolean {
  switch (d.kind) {
    case 'null':
      return false;
    case 'file':
      return true;
    default:
      return d.rdonly;
  }
}

/**
 * `bpf_dynptr_check_off_len`: `-E2BIG` when `len > size` or `offset > size - len`. Computed so that
 * nothing wraps (the subtraction happens only once `len <= size`), as the kernel's 64-bit code.
 */
export function checkOffLen(size: bigint, offset: bigint, len: bigint): number {
  // A size of 2^54 or more (a FILE dynptr's is U64_MAX) holds any offset and length below 2^53 each:
  // their sum is below 2^54. Comparisons make no bigint; the subtraction makes one (some 40 ns of a
  // 16-byte read, bench/README.md "Cases, stop 61").
  if (size >= TWO_54 && offset < TWO_53 && len < TWO_53) return 0;
  if (len > size) return -E2BIG;
  return offset > size - len ? -E2BIG : 0;
}

const TWO_53 = 1n << 53n;
const TWO_54 = 1n << 54n;

/** A destination or source buffer must hold the `len` bytes the verifier paired with it. */
export function requireCapacity(buf: Uint8Array, len: bigint, argument: string): number {
  const n = Number(len);
  if (n > buf.length) {
    throw new ArgumentError(argument, buf, `a buffer of at least ${len} bytes (the verifier pairs it with the length)`);
  }
  return n;
}

/** A buffer that may be NULL only when the length paired with it is 0 (`ARG_CONST_SIZE_OR_ZERO`). */
export function optionalCapacity(buf: Uint8Array | null, len: bigint, argument: string): number {
  if (buf === null) {
    if (len === 0n) return 0;
    throw new ArgumentError(argument, buf, `a buffer of at least ${len} bytes (NULL only with length 0)`);
  }
  return requireCapacity(buf, len, argument);
}

/** Names of the arguments an access reports misuse by. */
export interface AccessArgs {
  readonly dynptr: string;
  readonly mem: string;
}

/**
 * `__bpf_dynptr_read(dst, len, src, offset, flags)`: src null or flags ≠ 0 → -EINVAL; bounds →
 * -E2BIG; then per type. Returns 0, an errno, or (FILE, sleepable reader) a `Sleep`: the caller
 * continues it with `k.resume` set to the sleep's `resume`.
 */
export function dynptrRead(
  k: Kern, dst: Uint8Array | null, len: bigint, src: Dynptr, offset: bigint, flags: bigint, args: AccessArgs,
): number | Sleep {
  if (src.kind === 'null' || flags !== 0n) return -EINVAL;
  const err = checkOffLen(dynptrSize(k, src, args.dynptr), offset, len);
  if (err !== 0) return err;
  if (src.kind === 'file') {
    if (dst === null) return -EINVAL;
    requireCapacity(dst, len, args.mem);
    const st = fileStateOf(k, src, args.dynptr);
    return fileFetch(k, st, st.offset === 0n ? offset : st.offset + offset, len, dst, args.dynptr);
  }
  const n = optionalCapacity(dst, len, args.mem);
  const pos = src.offset + Number(offset);
  switch (src.kind) {
    case 'local':
      if (n > 0 && dst !== null) dst.set(src.data.subarray(pos, pos + n));
      return 0;
    case 'ringbuf':
      ringbufRead(k, src, pos, dst, n, args.dynptr);
      return 0;
    case 'skb':
      return skbRead(k, src, pos, dst, n, args.dynptr);
    case 'skb_meta':
      skbMetaRead(k, src, pos, dst, n, args.dynptr);
      return 0;
    case 'xdp':
      return xdpRead(k, src, pos, dst, n, args.dynptr);
  }
}

/**
 * `__bpf_dynptr_write(dst, offset, src, len, flags)`: dst null or read-only → -EINVAL (every FILE
 * dynptr); bounds → -E2BIG; then per type, each with its own flags: LOCAL, RINGBUF, XDP and SKB_META
 * accept none (-EINVAL), SKB `BPF_F_RECOMPUTE_CSUM | BPF_F_INVALIDATE_HASH`.
 */
export function dynptrWrite(
  k: Kern, dst: Dynptr, offset: bigint, src: Uint8Array | null, len: bigint, flags: bigint, args: AccessArgs,
): number {
  if (dst.kind === 'null' || dynptrRdonly(dst) || dst.kind === 'file') return -EINVAL;
  const err = checkOffLen(dynptrSize(k, dst, args.dynptr), offset, len);
  if (err !== 0) return err;
  const okFlags = dst.kind === 'skb' ? BPF_F_RECOMPUTE_CSUM | BPF_F_INVALIDATE_HASH : 0n;
  if ((flags & ~okFlags) !== 0n) return -EINVAL;
  const n = optionalCapacity(src, len, args.mem);
  const pos = dst.offset + Number(offset);
  switch (dst.kind) {
    case 'local':
      if (n > 0 && src !== null) dst.data.set(src.subarray(0, n), pos);
      return 0;
    case 'ringbuf':
      ringbufWrite(k, dst, pos, src, n, args.dynptr);
      return 0;
    case 'skb':
      return skbWrite(k, dst, pos, src, n, flags);
    case 'skb_meta':
      return skbMetaWrite(k, dst, pos, src, n, flags);
    case 'xdp':
      return xdpWrite(k, dst, pos, src, n, flags);
  }
}

/**
 * The body of `bpf_dynptr_slice` (and of `bpf_dynptr_slice_rdwr` after its own null/read-only
 * check): null → NULL; bounds → NULL; then per type: LOCAL, RINGBUF, SKB_META a view of the memory;
 * SKB a view when the range is linear, else a copy into `buffer`; XDP a view when the range is in one
 * piece, else a copy into `buffer`; FILE a fetch into `buffer`. No buffer where one is needed → NULL.
 * `writable`: the view is written through (`slice_rdwr`), so world-owned memory is made this
 * transition's own first.
 */
export function dynptrSlice(
  k: Kern, d: Dynptr, offset: bigint, buffer: Uint8Array | null, len: bigint, writable: boolean, args: AccessArgs,
): Uint8Array | null | Sleep {
  if (d.kind === 'null') return null;
  if (checkOffLen(dynptrSize(k, d, args.dynptr), offset, len) !== 0) return null;
  if (d.kind === 'file') {
    if (buffer === null) return null;
    requireCapacity(buffer, len, args.mem);
    const st = fileStateOf(k, d, args.dynptr);
    const r = fileFetch(k, st, st.offset + offset, len, buffer, args.dynptr);
    if (typeof r === 'number') return r === 0 ? buffer : null;
    return r;
  }
  const n = Number(len);
  const pos = d.offset + Number(offset);
  switch (d.kind) {
    case 'local':
      return d.data.subarray(pos, pos + n);
    case 'ringbuf':
      return ringbufView(k, d, pos, n, writable, args.dynptr);
    case 'skb_meta':
      return skbMetaSlice(k, d, pos, n, writable, args.dynptr);
    case 'skb':
      if (buffer !== null) requireCapacity(buffer, len, args.mem);
      return skbSlice(k, d, pos, buffer, n, writable, args.dynptr);
    case 'xdp':
      if (buffer !== null) requireCapacity(buffer, len, args.mem);
      return xdpSlice(k, d, pos, buffer, n, writable, args.dynptr);
  }
}
