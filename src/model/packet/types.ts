/**
 * Packets as a program context sees them (`struct sk_buff`, `struct xdp_buff`), held by the world by
 * id. Data only: building them is create.ts, reading and writing their bytes skb.ts and xdp.ts.
 * Immutable: a change is a new record; its byte arrays are copied before the first write of a
 * transition (`Tables.fresh`), so an earlier world keeps its bytes.
 */
import { ArgumentError } from '../kernel/errors.ts';

/** The length of an Ethernet header (`ETH_HLEN`). */
export const ETH_HLEN = 14;

/** The length of the selftests' `pkt_v4` (create.ts `pktV4`): an Ethernet, an IPv4 and a TCP header. */
export const PKT_V4_LEN = ETH_HLEN + 20 + 20;

/** `testRunBytes(spec).length` (create.ts), without making the bytes (the trace's text of the syscall shows it). */
export function testRunLength(spec: 'pkt_v4' | string | { readonly size: number; readonly fill?: number; readonly head?: string }): number {
  if (spec === 'pkt_v4') return PKT_V4_LEN;
  if (typeof spec === 'string') return spec.length >> 1; // two hex digits a byte (an odd last one makes none)
  return spec.size;
}

/**
 * The program types whose context is an `sk_buff` (`struct __sk_buff`), with what the model needs of
 * each: whether it may write packet data (kernel/bpf/verifier.c `may_access_direct_pkt_data` for
 * BPF_WRITE) and whether it sees the MAC header (`skb->data` at L2: tc; the others run after
 * `eth_type_trans` pulled it). `testRun`: net/bpf/test_run.c `bpf_prog_test_run_skb` builds its skb.
 */
export const SKB_PROG_TYPES = {
  SCHED_CLS: { write: true, l2: true, testRun: true },
  SCHED_ACT: { write: true, l2: true, testRun: true },
  CGROUP_SKB: { write: false, l2: false, testRun: true },
  SOCKET_FILTER: { write: false, l2: false, testRun: true },
  LWT_IN: { write: false, l2: false, testRun: true },
  LWT_OUT: { write: false, l2: false, testRun: true },
  LWT_XMIT: { write: true, l2: false, testRun: true },
  LWT_SEG6LOCAL: { write: false, l2: false, testRun: true },
} as const;
export type SkbProgType = keyof typeof SKB_PROG_TYPES;

/**
 * Program types that may write packet data (kernel/bpf/verifier.c `may_access_direct_pkt_data` for
 * BPF_WRITE): the verifier gives the others read-only SKB dynptrs (`specialize_kfunc`) and refuses
 * `bpf_dynptr_slice_rdwr` in them.
 */
export const PKT_WRITE_PROG_TYPES: readonly string[] = ['SCHED_CLS', 'SCHED_ACT', 'XDP', 'LWT_XMIT', 'SK_SKB', 'SK_MSG', 'CGROUP_SOCKOPT'];

export function isSkbProgType(t: unknown): t is SkbProgType {
  return typeof t === 'string' && Object.prototype.hasOwnProperty.call(SKB_PROG_TYPES, t);
}

/** `struct sk_buff`, reduced to what dynptrs read and write. */
export interface SkbPacket {
  readonly kind: 'skb';
  readonly id: number;
  readonly progType: SkbProgType;
  /** The linear part from `skb->data` (`skb_headlen` bytes). */
  readonly head: Uint8Array;
  /** Bytes the head buffer can hold before a pull must reallocate it (the data area up to `skb_end`). */
  readonly headCap: number;
  /** The paged part, in order (`skb_shinfo(skb)->frags`). `skb->len` = head + frags. */
  readonly frags: readonly Uint8Array[];
  /** The XDP metadata in front of the MAC header (`skb_metadata_len`, at most 255 bytes). */
  readonly meta: Uint8Array;
  /** The MAC header the stack pulled before a non-L2 program runs (empty for tc). */
  readonly mac: Uint8Array;
  /** The head is shared with a clone (`skb_cloned`): a write must copy it first. */
  readonly cloned: boolean;
  /** `skb->hash` (0: none); `BPF_F_INVALIDATE_HASH` clears it. */
  readonly hash: number;
}

/** `struct xdp_buff`, reduced to what dynptrs read and write. */
export interface XdpPacket {
  readonly kind: 'xdp';
  readonly id: number;
  /**
   * The headroom: `xdp->data_hard_start` … `xdp->data_meta` (`XDP_PACKET_HEADROOM` less the metadata
   * in a test run; zeroed there). `bpf_xdp_adjust_head` moves the packet's start into it.
   */
  readonly headroom: Uint8Array;
  /** The linear part, `xdp->data` … `xdp->data_end`. */
  readonly head: Uint8Array;
  /** The frags of a multi-buffer packet (`skb_shared_info` after the linear area). */
  readonly frags: readonly Uint8Array[];
  /** `xdp->data_meta` … `xdp->data`. */
  readonly meta: Uint8Array;
}

export type Packet = SkbPacket | XdpPacket;

/** `skb->len` / `xdp_get_buff_len`: linear part plus frags (metadata not included). */
export function packetLen(p: Packet): number {
  let n = p.head.length;
  for (const f of p.frags) n += f.length;
  return n;
}

/** What a packet holds, for people and tests: the bytes from offset 0 (linear part, then frags) and its layout. */
export interface PacketView {
  readonly kind: 'skb' | 'xdp';
  /** `skb->len` / `xdp_get_buff_len`. */
  readonly len: number;
  /** Bytes in the linear part (`skb_headlen`, `data_end - data`). */
  readonly linear: number;
  /** The size of each frag, in order. */
  readonly frags: readonly number[];
  /** The packet's bytes from offset 0 (what a dynptr at offset 0 reads). */
  readonly data: Uint8Array;
  readonly meta: Uint8Array;
  /** skb only: the program type, the pulled MAC header, clone and hash state. */
  readonly progType?: SkbProgType;
  readonly mac?: Uint8Array;
  readonly cloned?: boolean;
  readonly hash?: number;
}

export function packetView(p: Packet): PacketView {
  if (p === null || typeof p !== 'object' || (p.kind !== 'skb' && p.kind !== 'xdp')) throw new ArgumentError('p', p, 'a packet (world.packets.get(id))');
  const data = new Uint8Array(packetLen(p));
  data.set(p.head, 0);
  let at = p.head.length;
  for (const f of p.frags) {
    data.set(f, at);
    at += f.length;
  }
  const base = { kind: p.kind, len: data.length, linear: p.head.length, frags: p.frags.map((f) => f.length), data, meta: p.meta.slice() };
  return p.kind === 'skb' ? { ...base, progType: p.progType, mac: p.mac.slice(), cloned: p.cloned, hash: p.hash } : base;
}
