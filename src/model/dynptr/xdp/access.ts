/**
 * Reads, writes and slices of XDP dynptrs (kernel/bpf/helpers.c `__bpf_dynptr_read`,
 * `__bpf_dynptr_write`, `bpf_dynptr_slice`; net/core/filter.c `__bpf_xdp_load_bytes`,
 * `__bpf_xdp_store_bytes`, `bpf_xdp_pointer`, `bpf_xdp_copy_buf`). The packet rules are in
 * packet/xdp.ts.
 */
import { EINVAL } from '../../kernel/errno.ts';
import { xdpOf } from '../../packet/skb.ts';
import { xdpCopyOut, xdpLoadBytes, xdpStoreBytes, xdpView, xdpViewToWrite } from '../../packet/xdp.ts';
import type { Kern } from '../../world/world.ts';
import type { XdpDynptr } from '../types.ts';

const EMPTY = new Uint8Array(0);

/** XDP read: -EFAULT for an offset or length above 0xffff; a range across pieces is copied piecewise. */
export function xdpRead(k: Kern, d: XdpDynptr, pos: number, dst: Uint8Array | null, len: number, argument: string): number {
  return xdpLoadBytes(xdpOf(k, d.packet, argument), pos, dst ?? EMPTY, len);
}

/** XDP write: flags ≠ 0 → -EINVAL; then as the read (-EFAULT above 0xffff), written piecewise. */
export function xdpWrite(k: Kern, d: XdpDynptr, pos: number, src: Uint8Array | null, len: number, flags: bigint): number {
  if (flags !== 0n) return -EINVAL;
  return xdpStoreBytes(k, d.packet, pos, src ?? EMPTY, len);
}

/**
 * XDP slice: a range inside one piece is a direct view; otherwise (across pieces, or any
 * `bpf_xdp_pointer` error such as an offset above 0xffff) the bytes are copied into `buffer` and it
 * is returned, or NULL without a buffer.
 */
export function xdpSlice(k: Kern, d: XdpDynptr, pos: number, buffer: Uint8Array | null, len: number, writable: boolean, argument: string): Uint8Array | null {
  const p = xdpOf(k, d.packet, argument);
  const direct = writable ? xdpViewToWrite(k, d.packet, pos, len) : xdpView(p, pos, len);
  if (direct !== null) return direct;
  if (buffer === null) return null;
  // bpf_xdp_pointer returned NULL or an error: the copy has no 0xffff limit.
  xdpCopyOut(p, pos, buffer, len);
  return buffer;
}
