/**
 * A dynptr as a BPF program's stack slot holds it (`struct bpf_dynptr_kern`: data, offset, size with
 * the type and read-only bits). Data only: the kfuncs that make and use them are beside this file.
 * A FILE dynptr's offset and size live in a separate state (file/state.ts); the memory of the other
 * kinds is the program's (LOCAL), a ring buffer record (RINGBUF, ringbuf/), or a packet (SKB,
 * SKB_META, XDP; packet/ in the model folder).
 */
import type { MapId } from '../maps/types.ts';

/**
 * A dynptr lives in a named slot: a session's (`"d"`, `"clone"`, …), or one on the stack of a BPF
 * program's call frame, `name@frame` (`frameSlot`).
 */
export type DynptrSlot = string;

/** The slot of stack variable `name` (or `fp<off>`) of call frame `frame`: it dies with the frame. */
export const frameSlot = (frame: number, name: string): DynptrSlot => `${name}@${frame}`;

const FRAME_SLOT = /@(0|[1-9][0-9]*)$/;

/** The call frame whose stack holds `slot` (what follows its last `@`), or null for a session's slot. */
export function slotFrame(slot: DynptrSlot): number | null {
  const m = FRAME_SLOT.exec(slot);
  return m === null ? null : Number(m[1]);
}

/** A null dynptr: `data == NULL` (bpf_dynptr_set_null). */
export class NullDynptr {
  readonly kind = 'null' as const;
  constructor() {
    Object.freeze(this);
  }
}

export const NULL_DYNPTR: NullDynptr = new NullDynptr();

/** A LOCAL dynptr over BPF program memory (`bpf_dynptr_from_mem`): u32 offset and 24-bit size. */
export class LocalDynptr {
  readonly kind = 'local' as const;
  constructor(readonly data: Uint8Array, readonly offset: number, readonly size: number, readonly rdonly: boolean) {
  }
}

/**
 * A FILE dynptr: its offset and size live in a separately allocated state (`struct
 * bpf_dynptr_file_impl`), shared by clones.
 */
export class FileDynptr {
  readonly kind = 'file' as const;
  constructor(readonly state: number) {
    Object.freeze(this);
  }
}

/**
 * A RINGBUF dynptr (`bpf_ringbuf_reserve_dynptr`): its data is the record's sample, named here by
 * the ring (the map) and the record's producer position, which is unique (positions only grow).
 * `offset`/`size` are the dynptr's own (adjust moves them; the commit uses the record, not them).
 * Never read-only.
 */
export class RingbufDynptr {
  readonly kind = 'ringbuf' as const;
  readonly rdonly = false;
  constructor(readonly map: MapId, readonly rec: number, readonly offset: number, readonly size: number) {
    Object.freeze(this);
  }
}

/**
 * An SKB, SKB_META or XDP dynptr: its data is the `sk_buff` / `xdp_buff` (a packet of the world,
 * by id). Offsets are from `skb->data` / `xdp->data` at access time (SKB_META: from the start of
 * the metadata); the size was captured when the dynptr was made.
 */
export class PacketDynptr<K extends 'skb' | 'skb_meta' | 'xdp' = 'skb' | 'skb_meta' | 'xdp'> {
  constructor(readonly kind: K, readonly packet: number, readonly offset: number, readonly size: number, readonly rdonly: boolean) {
    Object.freeze(this);
  }
}

export type SkbDynptr = PacketDynptr<'skb'>;
export type SkbMetaDynptr = PacketDynptr<'skb_meta'>;
export type XdpDynptr = PacketDynptr<'xdp'>;

export type Dynptr = NullDynptr | LocalDynptr | FileDynptr | RingbufDynptr | SkbDynptr | SkbMetaDynptr | XdpDynptr;

/** The kinds whose offset and size live in the slot (every kind but null and FILE). */
export type SlotDynptr = LocalDynptr | RingbufDynptr | SkbDynptr | SkbMetaDynptr | XdpDynptr;

/** The same dynptr with another offset and size (`bpf_dynptr_adjust`): the type and read-only bits stay. */
export function rebound(d: SlotDynptr, offset: number, size: number): SlotDynptr {
  switch (d.kind) {
    case 'local': return new LocalDynptr(d.data, offset, size, d.rdonly);
    case 'ringbuf': return new RingbufDynptr(d.map, d.rec, offset, size);
    default: return new PacketDynptr(d.kind, d.packet, offset, size, d.rdonly);
  }
}

/** The kernel's name of a dynptr type (`dynptr_type_str` in kernel/bpf/verifier.c). */
export const DYNPTR_TYPE_NAMES = {
  local: 'local', file: 'file', ringbuf: 'ringbuf', skb: 'skb', skb_meta: 'skb_meta', xdp: 'xdp',
} as const;
