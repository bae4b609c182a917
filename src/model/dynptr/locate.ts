/**
 * Where a direct slice of a dynptr points (`bpf_dynptr_slice`, `_slice_rdwr`, `bpf_dynptr_data`
 * returned a view of the dynptr's memory, not the caller's buffer): a RINGBUF record's payload, or a
 * piece of a packet, and the offset in it. The interpreter keeps such a pointer as a place in the
 * world, looked up at each access, rather than as the array the call returned: a later write
 * through another pointer or a helper copies the memory (transitions are copy-on-write), and every
 * pointer must see the same bytes, as they do in the kernel.
 */
import { locateInPacket } from '../packet/run.ts';
import type { MapId } from '../maps/types.ts';
import type { Dynptr } from './types.ts';
import type { Kern } from '../world/world.ts';

export type SliceTarget =
  | { readonly kind: 'ring'; readonly map: MapId; readonly rec: number; readonly off: number }
  | { readonly kind: 'pkt'; readonly packet: number; readonly piece: number; readonly off: number };

/** The place view `v` (a slice just returned for dynptr `d`) lies in, or null (LOCAL memory, a buffer). */
export function locateSlice(k: Kern, d: Dynptr, v: Uint8Array): SliceTarget | null {
  switch (d.kind) {
    case 'ringbuf': {
      const s = k.t.rings.get(d.map)?.samples.get(d.rec);
      if (s === undefined || s.buffer !== v.buffer) return null;
      const off = v.byteOffset - s.byteOffset;
      return off >= 0 && off + v.length <= s.length ? { kind: 'ring', map: d.map, rec: d.rec, off } : null;
    }
    case 'skb':
    case 'skb_meta':
    case 'xdp': {
      const at = locateInPacket(k, d.packet, v);
      return at === null ? null : { kind: 'pkt', packet: d.packet, piece: at.piece, off: at.off };
    }
    default:
      return null;
  }
}
