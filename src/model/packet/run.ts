/**
 * A packet as a running program sees it: the bytes a direct pointer into it addresses (a slice of
 * an SKB, SKB_META or XDP dynptr names a piece of the packet and an offset in it, looked up in the
 * current world at each access), the context fields the model reads (`__sk_buff->len`), and what
 * `BPF_PROG_TEST_RUN` copies back to user space after the run (net/bpf/test_run.c
 * `bpf_prog_test_run_skb`, `bpf_prog_test_run_xdp`, `bpf_test_finish`).
 */
import { ENOSPC } from '../kernel/errno.ts';
import { ArgumentError, UnknownHandleError } from '../kernel/errors.ts';
import type { Kern } from '../world/world.ts';
import { ETH_HLEN } from './types.ts';
import { packetLen, SKB_PROG_TYPES, type Packet } from './types.ts';

/** A piece of a packet: -1 the metadata, 0 the linear part, i > 0 frag i - 1. */
export type PieceIndex = number;

function packetOf(k: Kern, id: number, argument: string): Packet {
  const p = k.t.packets.get(id);
  if (p === undefined) throw new UnknownHandleError(argument, id, 'packet');
  return p;
}

function pieceOf(p: Packet, piece: PieceIndex): Uint8Array | undefined {
  return piece === -1 ? p.meta : piece === 0 ? p.head : p.frags[piece - 1];
}

/**
 * The bytes of piece `piece` of packet `id`; `write` makes them this transition's own first (the
 * packet record is replaced, so earlier worlds keep their bytes).
 */
export function packetPiece(k: Kern, id: number, piece: PieceIndex, write: boolean): Uint8Array {
  const p = packetOf(k, id, 'packet');
  const bytes = pieceOf(p, piece);
  if (bytes === undefined) throw new ArgumentError('pointer', `piece ${piece} of packet #${id}`, 'a piece the packet has (a pointer kept past a change of the packet: the verifier invalidates it)');
  if (!write) return bytes;
  const own = k.t.fresh(bytes);
  if (own !== bytes) {
    const next = piece === -1 ? { ...p, meta: own } : piece === 0 ? { ...p, head: own } : { ...p, frags: p.frags.map((f, i) => (i === piece - 1 ? own : f)) };
    k.t.own('packets').set(id, Object.freeze(next) as Packet);
  }
  return own;
}

/** Which piece of packet `id` the view `v` lies in, and at what offset; null when none. */
export function locateInPacket(k: Kern, id: number, v: Uint8Array): { piece: PieceIndex; off: number } | null {
  const p = k.t.packets.get(id);
  if (p === undefined) return null;
  const all: [PieceIndex, Uint8Array][] = [[-1, p.meta], [0, p.head], ...p.frags.map((f, i): [PieceIndex, Uint8Array] => [i + 1, f])];
  for (const [piece, bytes] of all) {
    if (bytes.buffer !== v.buffer) continue;
    const off = v.byteOffset - bytes.byteOffset;
    if (off >= 0 && off + v.length <= bytes.length) return { piece, off };
  }
  return null;
}

/**
 * A context field load the model knows: `__sk_buff->len` (offset 0: `skb->len`, without the MAC header
 * for the program types that run after `eth_type_trans`). Null for any other field.
 */
export function ctxField(k: Kern, id: number, off: number, size: number): bigint | null {
  const p = packetOf(k, id, 'ctx');
  if (p.kind === 'skb' && off >= 0 && off + size <= 4) {
    const len = BigInt(packetLen(p));
    return (len >> BigInt(off * 8)) & ((1n << BigInt(size * 8)) - 1n);
  }
  return null;
}

/** What `BPF_PROG_TEST_RUN` copies out after the run (`bpf_test_finish`). */
export interface TestRunOut {
  /** The bytes written into the `data_out` buffer, from its start (empty when none were). */
  readonly data: Uint8Array;
  /** The packet's size (`data_size_out` as the kernel reports it). */
  readonly size: number;
  /** 0, or -ENOSPC when the buffer (`data_size_out` given) was smaller than the packet. */
  readonly err: number;
  /**
   * Whether `data_size_out` and `retval` were written back: not when the buffer could not even hold
   * the frags (`bpf_test_finish` leaves before; user space sees what it passed in).
   */
  readonly reported: boolean;
}

/**
 * `bpf_test_finish` for the packet after the run. The packet is, from its start: skb — the MAC header
 * pushed back and zeroed for the program types that do not see it (`memset(__skb_push(skb, hh_len),
 * 0, hh_len)`), then the linear part, then (6.19+) the frags; xdp — from `data_meta` to `data_end`,
 * then the frags. `sizeHint` is `data_size_out` (0: no limit, the whole packet is copied); a smaller
 * one clamps the copy to it with -ENOSPC, and with frags the clamp comes out of the linear part: the
 * buffer gets the first `hint - frags` bytes of the linear part, then the frags up to the hint (a
 * hint below the frags' size copies nothing and reports nothing).
 */
export function testRunOut(k: Kern, id: number, sizeHint = 0): TestRunOut {
  return packetTestRunOut(packetOf(k, id, 'packet'), sizeHint);
}

/** `testRunOut` of a packet record. */
export function packetTestRunOut(p: Packet, sizeHint = 0): TestRunOut {
  const pre = p.kind === 'skb' ? (SKB_PROG_TYPES[p.progType].l2 ? 0 : ETH_HLEN) : p.meta.length;
  const linear = new Uint8Array(pre + p.head.length);
  if (p.kind === 'xdp') linear.set(p.meta, 0);
  linear.set(p.head, pre);
  const fragsSize = p.frags.reduce((a, f) => a + f.length, 0);
  const size = linear.length + fragsSize;
  const clamped = sizeHint !== 0 && size > sizeHint;
  const copy = clamped ? sizeHint : size;
  const err = clamped ? -ENOSPC : 0;
  const len = copy - fragsSize;
  if (len < 0) return { data: new Uint8Array(0), size, err, reported: false };
  const data = new Uint8Array(copy);
  data.set(linear.subarray(0, len), 0);
  let at = len;
  for (const f of p.frags) {
    if (at >= copy) break;
    const n = Math.min(copy - at, f.length);
    data.set(f.subarray(0, n), at);
    at += n;
  }
  return { data, size, err, reported: true };
}
