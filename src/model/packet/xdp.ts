/**
 * Reading and writing an xdp_buff's bytes as BPF helpers do (net/core/filter.c):
 *
 * - `xdpPointer` — `bpf_xdp_pointer`: an offset or a length above 0xffff is `-EFAULT` (whatever the
 *   packet's size), a range past the buffer `-EINVAL`; a range inside one piece (the linear part or
 *   one frag) is returned in place; a range that crosses pieces is null (the caller copies).
 * - `xdpCopyBuf` — `bpf_xdp_copy_buf`: copy piece by piece (no 0xffff limit), to or from a buffer.
 * - `xdpLoadBytes` / `xdpStoreBytes` — `__bpf_xdp_load_bytes` / `__bpf_xdp_store_bytes`.
 */
import { EFAULT, EINVAL } from '../kernel/errno.ts';
import type { Kern } from '../world/world.ts';
import { xdpOf } from './skb.ts';
import { packetLen, type XdpPacket } from './types.ts';

/** The index of a piece (0: the linear part, i + 1: frag i), and its bytes. */
function pieces(p: XdpPacket): readonly Uint8Array[] {
  return [p.head, ...p.frags];
}

/** `bpf_xdp_pointer`: the piece and offset in it holding `[off, off + len)`, null when it crosses pieces, or an errno. */
export function xdpPointer(p: XdpPacket, off: number, len: number): { piece: number; at: number } | null | number {
  if (off > 0xffff || len > 0xffff) return -EFAULT;
  if (off + len > packetLen(p)) return -EINVAL;
  const all = pieces(p);
  let rest = off;
  // The linear part first; then the frags in order. An offset at the very end falls back to the
  // linear part with the leftover offset (as the kernel's loop leaves it): only a zero length gets there.
  let piece = 0;
  if (rest >= p.head.length) {
    rest -= p.head.length;
    for (let i = 1; i < all.length; i += 1) {
      const size = (all[i] as Uint8Array).length;
      if (rest < size) {
        piece = i;
        break;
      }
      rest -= size;
    }
  }
  const size = (all[piece] as Uint8Array).length;
  return rest + len <= size ? { piece, at: rest } : null;
}

/** `bpf_xdp_copy_buf(xdp, off, buf, len, flush)`: packet → buf (flush false) or buf → packet pieces (flush true). */
function copyBuf(all: readonly Uint8Array[], off: number, buf: Uint8Array, len: number, flush: boolean): void {
  let pos = 0;
  let done = 0;
  for (const piece of all) {
    if (done === len) break;
    const end = pos + piece.length;
    if (off + done < end) {
      const from = off + done - pos;
      const n = Math.min(len - done, piece.length - from);
      if (flush) piece.set(buf.subarray(done, done + n), from);
      else buf.set(piece.subarray(from, from + n), done);
      done += n;
    }
    pos = end;
  }
}

/** The bytes of `[off, off + len)` copied into `buf` (no 0xffff limit): a slice's buffer path. */
export function xdpCopyOut(p: XdpPacket, off: number, buf: Uint8Array, len: number): void {
  copyBuf(pieces(p), off, buf, len, false);
}

/** A view of `[off, off + len)` when it lies in one piece, else null (a slice's direct path). */
export function xdpView(p: XdpPacket, off: number, len: number): Uint8Array | null {
  const r = xdpPointer(p, off, len);
  if (r === null || typeof r === 'number') return null;
  return (pieces(p)[r.piece] as Uint8Array).subarray(r.at, r.at + len);
}

/** `__bpf_xdp_load_bytes`: 0, or the pointer's errno (dst untouched). */
export function xdpLoadBytes(p: XdpPacket, off: number, dst: Uint8Array, len: number): number {
  const r = xdpPointer(p, off, len);
  if (typeof r === 'number') return r;
  if (r === null) copyBuf(pieces(p), off, dst, len, false);
  else dst.set((pieces(p)[r.piece] as Uint8Array).subarray(r.at, r.at + len), 0);
  return 0;
}

/** The packet's pieces, those overlapping `[off, off + len)` made writable (copied before their first write in the transition). */
function piecesToWrite(k: Kern, id: number, off: number, len: number): readonly Uint8Array[] {
  const p = xdpOf(k, id, 'xdp');
  const all = pieces(p).slice();
  let pos = 0;
  let changed = false;
  for (let i = 0; i < all.length; i += 1) {
    const piece = all[i] as Uint8Array;
    const end = pos + piece.length;
    if (off < end && off + len > pos) {
      const w = k.t.fresh(piece);
      if (w !== piece) {
        all[i] = w;
        changed = true;
      }
    }
    pos = end;
  }
  if (changed) k.t.own('packets').set(id, Object.freeze({ ...p, head: all[0] as Uint8Array, frags: all.slice(1) }));
  return all;
}

/** `__bpf_xdp_store_bytes`: 0, or the pointer's errno (nothing written). */
export function xdpStoreBytes(k: Kern, id: number, off: number, src: Uint8Array, len: number): number {
  const r = xdpPointer(xdpOf(k, id, 'xdp'), off, len);
  if (typeof r === 'number') return r;
  const all = piecesToWrite(k, id, off, len);
  if (r === null) copyBuf(all, off, src, len, true);
  else (all[r.piece] as Uint8Array).set(src.subarray(0, len), r.at);
  return 0;
}

/** A writable view of `[off, off + len)` when it lies in one piece (a writable direct slice), else null. */
export function xdpViewToWrite(k: Kern, id: number, off: number, len: number): Uint8Array | null {
  const r = xdpPointer(xdpOf(k, id, 'xdp'), off, len);
  if (r === null || typeof r === 'number') return null;
  return (piecesToWrite(k, id, off, len)[r.piece] as Uint8Array).subarray(r.at, r.at + len);
}

/** `sizeof(struct xdp_frame)` on x86-64: `bpf_xdp_adjust_head` keeps room for it at the buffer's start (M). */
export const XDP_FRAME_SIZE = 40;
/** `ETH_HLEN`. */
const ETH_HLEN = 14;

/**
 * `bpf_xdp_adjust_head(xdp_md, delta)` (net/core/filter.c): the packet's start moves by `delta`
 * bytes (negative: into the headroom, growing the packet). The new start may not come within
 * `sizeof(struct xdp_frame)` plus the metadata of the buffer's start, nor leave fewer than `ETH_HLEN`
 * bytes in the linear part → -EINVAL. The metadata moves with it (`memmove`), so the bytes that join
 * the packet are whatever the headroom held (zeros in a test run, or metadata bytes left behind).
 */
export function xdpAdjustHead(k: Kern, id: number, delta: number): number {
  const p = xdpOf(k, id, 'xdp_md');
  const room = p.headroom.length;
  const metalen = p.meta.length;
  const data = room + metalen;
  const next = data + delta;
  if (next < XDP_FRAME_SIZE + metalen || next > data + p.head.length - ETH_HLEN) return -EINVAL;
  // The buffer from data_hard_start to data_end, as one array: memmove the metadata, then re-split.
  const whole = new Uint8Array(data + p.head.length);
  whole.set(p.headroom, 0);
  whole.set(p.meta, room);
  whole.set(p.head, data);
  if (metalen > 0) whole.copyWithin(room + delta, room, room + metalen);
  k.t.own('packets').set(id, Object.freeze({
    ...p, headroom: k.t.made(whole.slice(0, room + delta)), meta: k.t.made(whole.slice(room + delta, next)), head: k.t.made(whole.slice(next)),
  }));
  return 0;
}
