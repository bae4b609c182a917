/**
 * Reading and writing an skb's bytes as BPF helpers do (net/core/filter.c, net/core/skbuff.c):
 *
 * - `skbHeaderPointer` — `skb_header_pointer`: a range inside the linear part is returned in place;
 *   otherwise `skb_copy_bits` gathers it from the head and the frags into the caller's buffer, or
 *   fails when it runs past `skb->len`.
 * - `skbLoadBytes` — `__bpf_skb_load_bytes`: that, and on failure the destination zeroed, -EFAULT.
 * - `skbStoreBytes` — `__bpf_skb_store_bytes`: flags other than `BPF_F_RECOMPUTE_CSUM` and
 *   `BPF_F_INVALIDATE_HASH` → -EINVAL; `skb_ensure_writable(skb, off + len)` pulls `[0, off + len)`
 *   into the linear part (`pskb_may_pull`; reallocating the head when it has no room, or when it is
 *   shared with a clone) and fails with -EFAULT past `skb->len` or when the allocation fails; then
 *   the bytes are copied in place.
 * - `skbMetaStoreBytes` — a write to the metadata (SKB_META dynptrs).
 *
 * A packet record is immutable: a change makes a new record in the world's `packets` table, with its
 * byte arrays copied before their first write in the transition.
 */
import { EFAULT, EINVAL, ENOMEM } from '../kernel/errno.ts';
import { UnknownHandleError } from '../kernel/errors.ts';
import { allocate } from '../world/faults.ts';
import type { Kern } from '../world/world.ts';
import { packetLen, type SkbPacket, type XdpPacket } from './types.ts';

/** `BPF_F_RECOMPUTE_CSUM`, `BPF_F_INVALIDATE_HASH` (include/uapi/linux/bpf.h). */
export const BPF_F_RECOMPUTE_CSUM = 1n;
export const BPF_F_INVALIDATE_HASH = 2n;

/** `INT_MAX`: `__bpf_skb_load_bytes` and `__bpf_skb_store_bytes` refuse larger offsets. */
const INT_MAX = 0x7fff_ffff;

export function skbOf(k: Kern, id: number, argument: string): SkbPacket {
  const p = k.t.packets.get(id);
  if (p === undefined || p.kind !== 'skb') throw new UnknownHandleError(argument, id, 'skb (a packet made with kind skb)');
  return p;
}

export function xdpOf(k: Kern, id: number, argument: string): XdpPacket {
  const p = k.t.packets.get(id);
  if (p === undefined || p.kind !== 'xdp') throw new UnknownHandleError(argument, id, 'xdp_buff (a packet made with kind xdp)');
  return p;
}

/** `skb_copy_bits`: `len` bytes at `off` of head + frags into `to` at `at`; false past `skb->len`. */
function copyBits(p: SkbPacket, off: number, to: Uint8Array, at: number, len: number): boolean {
  if (off + len > packetLen(p)) return false;
  let pos = 0;
  let done = 0;
  for (const piece of [p.head, ...p.frags]) {
    if (done === len) break;
    const end = pos + piece.length;
    if (off + done < end) {
      const from = off + done - pos;
      const n = Math.min(len - done, piece.length - from);
      to.set(piece.subarray(from, from + n), at + done);
      done += n;
    }
    pos = end;
  }
  return true;
}

/**
 * `skb_header_pointer(skb, off, len, buffer)`: a view of the head when `[off, off + len)` is in the
 * linear part; else the bytes copied into `buffer` (which is returned); null past `skb->len`.
 * `buffer` null: `skb_pointer_if_linear`, the view or null.
 */
export function skbHeaderPointer(p: SkbPacket, off: number, len: number, buffer: Uint8Array | null): Uint8Array | null {
  if (off + len <= p.head.length) return p.head.subarray(off, off + len);
  if (buffer === null) return null;
  return copyBits(p, off, buffer, 0, len) ? buffer : null;
}

/** `__bpf_skb_load_bytes`: 0, or -EFAULT with `to[0, len)` zeroed. */
export function skbLoadBytes(p: SkbPacket, off: number, to: Uint8Array, len: number): number {
  if (off > INT_MAX || !copyBits(p, off, to, 0, len)) {
    to.fill(0, 0, len);
    return -EFAULT;
  }
  return 0;
}

/**
 * `skb_ensure_writable(skb, writeLen)`: the packet with `[0, writeLen)` linear and its head its own,
 * or null (-ENOMEM there, -EFAULT for the helper). `pskb_may_pull`: nothing to do when the head holds
 * it; past `skb->len` it fails; else `__pskb_pull_tail` reallocates the head (`pskb_expand_head`,
 * an allocation that may fail) when it lacks the room or is shared with a clone, and moves the bytes
 * out of the frags. Then a head still shared with a clone is copied (`pskb_expand_head`).
 */
function ensureWritable(k: Kern, p: SkbPacket, writeLen: number): SkbPacket | null {
  let q = p;
  if (writeLen > q.head.length) {
    if (writeLen > packetLen(q)) return null;
    const eat = writeLen - q.headCap;
    let headCap = q.headCap;
    let cloned = q.cloned;
    if (eat > 0 || cloned) {
      if (!allocate(k)) return null;
      if (eat > 0) headCap += eat + 128;
      cloned = false;
    }
    const head = k.t.made(new Uint8Array(writeLen));
    head.set(q.head, 0);
    copyBits(q, q.head.length, head, q.head.length, writeLen - q.head.length);
    // What is left of the frags after the pulled bytes.
    const frags: Uint8Array[] = [];
    let skip = writeLen - q.head.length;
    for (const f of q.frags) {
      if (skip >= f.length) {
        skip -= f.length;
        continue;
      }
      frags.push(skip === 0 ? f : f.subarray(skip));
      skip = 0;
    }
    q = { ...q, head, headCap, frags, cloned };
  }
  if (q.cloned) {
    if (!allocate(k)) return null;
    q = { ...q, cloned: false };
  }
  return q;
}

/**
 * `__bpf_skb_store_bytes(skb, off, from, len, flags)`: 0 or the errno, and the packet changed in the
 * world. The checksum flag only matters for `CHECKSUM_COMPLETE` skbs, which the model does not make.
 */
export function skbStoreBytes(k: Kern, id: number, off: number, from: Uint8Array, len: number, flags: bigint): number {
  if ((flags & ~(BPF_F_RECOMPUTE_CSUM | BPF_F_INVALIDATE_HASH)) !== 0n) return -EINVAL;
  if (off > INT_MAX) return -EFAULT;
  const p = skbOf(k, id, 'skb');
  const q = ensureWritable(k, p, off + len);
  if (q === null) return -EFAULT;
  const head = k.t.fresh(q.head);
  head.set(from.subarray(0, len), off);
  const hash = (flags & BPF_F_INVALIDATE_HASH) !== 0n ? 0 : q.hash;
  k.t.own('packets').set(id, Object.freeze({ ...q, head, hash }));
  return 0;
}

/**
 * A write to an skb's metadata (SKB_META dynptr): 6.18 and 6.19 copy in place; from 7.0
 * (`__bpf_skb_meta_store_bytes`) the skb is first made writable (`bpf_try_make_writable(skb, 0)`:
 * a cloned head is copied, -EFAULT when that fails). Flags are checked by the caller.
 */
export function skbMetaStoreBytes(k: Kern, id: number, off: number, from: Uint8Array, len: number): number {
  let p = skbOf(k, id, 'skb');
  if (k.features.skbMetaUncloneOnWrite) {
    const q = ensureWritable(k, p, 0);
    if (q === null) return -EFAULT;
    p = q;
  }
  const meta = k.t.fresh(p.meta);
  meta.set(from.subarray(0, len), off);
  k.t.own('packets').set(id, Object.freeze({ ...p, meta }));
  return 0;
}

/** The metadata bytes of an skb, to change in place (a slice through an SKB_META dynptr). */
export function skbMetaToWrite(k: Kern, id: number): Uint8Array {
  const p = skbOf(k, id, 'skb');
  const meta = k.t.fresh(p.meta);
  if (meta !== p.meta) k.t.own('packets').set(id, Object.freeze({ ...p, meta }));
  return meta;
}

/** The linear part of an skb, to change in place (a writable direct slice). */
export function skbHeadToWrite(k: Kern, id: number): Uint8Array {
  const p = skbOf(k, id, 'skb');
  const head = k.t.fresh(p.head);
  if (head !== p.head) k.t.own('packets').set(id, Object.freeze({ ...p, head }));
  return head;
}

/**
 * `bpf_skb_pull_data(skb, len)` (net/core/filter.c → `bpf_try_make_writable` →
 * `skb_ensure_writable`): `[0, len)` (0: the linear part as it is) pulled into the linear part and
 * the head made the skb's own; past `skb->len`, or when the head cannot be reallocated → -ENOMEM.
 */
export function skbPullData(k: Kern, id: number, len: number): number {
  const p = skbOf(k, id, 'skb');
  const q = ensureWritable(k, p, len === 0 ? p.head.length : len);
  if (q === null) return -ENOMEM;
  if (q !== p) k.t.own('packets').set(id, Object.freeze(q));
  return 0;
}
