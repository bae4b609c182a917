/**
 * Reads, writes and slices of SKB and SKB_META dynptrs (kernel/bpf/helpers.c `__bpf_dynptr_read`,
 * `__bpf_dynptr_write`, `bpf_dynptr_slice`; net/core/filter.c `__bpf_skb_load_bytes`,
 * `__bpf_skb_store_bytes`, `bpf_skb_meta_pointer`). The packet rules are in packet/skb.ts.
 */
import { EINVAL } from '../../kernel/errno.ts';
import { skbHeadToWrite, skbHeaderPointer, skbLoadBytes, skbMetaStoreBytes, skbMetaToWrite, skbOf, skbStoreBytes } from '../../packet/skb.ts';
import type { Kern } from '../../world/world.ts';
import type { SkbDynptr, SkbMetaDynptr } from '../types.ts';

const EMPTY = new Uint8Array(0);

/** SKB read: gathers linear part and frags; past `skb->len` → -EFAULT with `dst` zeroed. */
export function skbRead(k: Kern, d: SkbDynptr, pos: number, dst: Uint8Array | null, len: number, argument: string): number {
  return skbLoadBytes(skbOf(k, d.packet, argument), pos, dst ?? EMPTY, len);
}

/** SKB write: `__bpf_skb_store_bytes` (its flags; pulls `[0, pos + len)` into the linear part). */
export function skbWrite(k: Kern, d: SkbDynptr, pos: number, src: Uint8Array | null, len: number, flags: bigint): number {
  return skbStoreBytes(k, d.packet, pos, src ?? EMPTY, len, flags);
}

/**
 * SKB slice: a range in the linear part is a direct view (writable: the head made this transition's
 * own); else the bytes are copied into `buffer` and it is returned (NULL buffer → NULL); NULL past
 * `skb->len`. A copy is not written back (use `bpf_dynptr_write`).
 */
export function skbSlice(k: Kern, d: SkbDynptr, pos: number, buffer: Uint8Array | null, len: number, writable: boolean, argument: string): Uint8Array | null {
  const p = skbOf(k, d.packet, argument);
  const r = skbHeaderPointer(p, pos, len, buffer);
  if (r === null || r === buffer || !writable) return r;
  return skbHeadToWrite(k, d.packet).subarray(pos, pos + len);
}

/** SKB_META read: `memmove` from the metadata. */
export function skbMetaRead(k: Kern, d: SkbMetaDynptr, pos: number, dst: Uint8Array | null, len: number, argument: string): void {
  const p = skbOf(k, d.packet, argument);
  if (len > 0 && dst !== null) dst.set(p.meta.subarray(pos, pos + len));
}

/** SKB_META write: flags ≠ 0 → -EINVAL; then the metadata store (from 7.0 it unclones the skb first). */
export function skbMetaWrite(k: Kern, d: SkbMetaDynptr, pos: number, src: Uint8Array | null, len: number, flags: bigint): number {
  if (flags !== 0n) return -EINVAL;
  return skbMetaStoreBytes(k, d.packet, pos, src ?? EMPTY, len);
}

/** SKB_META slice: always a direct view of the metadata (`bpf_skb_meta_pointer`). */
export function skbMetaSlice(k: Kern, d: SkbMetaDynptr, pos: number, len: number, writable: boolean, argument: string): Uint8Array {
  const meta = writable ? skbMetaToWrite(k, d.packet) : skbOf(k, d.packet, argument).meta;
  return meta.subarray(pos, pos + len);
}
