/**
 * A packet as a running program sees it: the bytes a direct pointer into it addresses (a slice of
 * an SKB, SKB_META or XDP dynptr names a piece of the packet and an offset in it, looked up in the
 * current world at each access), the context fields the model reads (`__sk_buff->len`), and what
 * `BPF_PROG_TEST_RUN` copies back to user space after the run (net/bpf/test_run.c
 * `bpf_prog_test_run_skb`, `bpf_prog_test_run_xdp`, `bpf_test_finish`).
 */
import { ArgumentError, UnknownHandleError } from '../kernel/errors.ts';
import type { Kern } from '../world/world.ts';
import { ETH_HLEN } from './create.ts';
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

/** What `BPF_PROG_TEST_RUN` copies out after the run. */
export interface TestRunOut {
  /** The packet's bytes from `skb->data` (non-L2 skbs: a zeroed MAC header first) or `xdp->data_meta`. */
  readonly data: Uint8Array;
  /** `data_size_out` as the kernel reports it (the whole size, even when the buffer was smaller). */
  readonly size: number;
}

/**
 * `bpf_test_finish`'s data: skb — the MAC header pushed back and zeroed for the program types that do
 * not see it (`memset(__skb_push(skb, hh_len), 0, hh_len)`), then the linear part and (6.19+) the
 * frags; xdp — from `data_meta` to `data_end`, then the frags.
 */
export function testRunOut(k: Kern, id: number): TestRunOut {
  const p = packetOf(k, id, 'packet');
  const pre = p.kind === 'skb' ? (SKB_PROG_TYPES[p.progType].l2 ? 0 : ETH_HLEN) : p.meta.length;
  const len = pre + packetLen(p);
  const data = new Uint8Array(len);
  if (p.kind === 'xdp') data.set(p.meta, 0);
  let at = pre;
  for (const piece of [p.head, ...p.frags]) {
    data.set(piece, at);
    at += piece.length;
  }
  return { data, size: len };
}
