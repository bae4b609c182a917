/**
 * Packets as `BPF_PROG_TEST_RUN` builds them for a program (net/bpf/test_run.c:
 * `bpf_prog_test_run_skb`, `bpf_prog_test_run_xdp`, `bpf_test_init`), with the checks that refuse
 * the input, in order. The result is a packet id (the program's context) or a negative errno.
 *
 * Sizes of the x86-64 build (M: computed from the structures, not measured): a page of 4096 bytes,
 * `skb_shared_info` aligned to 320 bytes, skb headroom `NET_SKB_PAD` 64 (`NET_IP_ALIGN` is 0 on
 * x86), XDP headroom `XDP_PACKET_HEADROOM` 256; frags of a page each, at most `MAX_SKB_FRAGS` (17).
 */
import { EINVAL, ENOMEM } from '../kernel/errno.ts';
import { ArgumentError } from '../kernel/errors.ts';
import { checkKern, type Kern } from '../world/world.ts';
import { ETH_HLEN, isSkbProgType, PKT_V4_LEN, SKB_PROG_TYPES, type SkbPacket, type SkbProgType, type XdpPacket } from './types.ts';

export { ETH_HLEN, testRunLength } from './types.ts';

const PAGE = 4096;
const SHINFO = 320;
/** `PAGE_SIZE - NET_SKB_PAD - NET_IP_ALIGN - SKB_DATA_ALIGN(sizeof(struct skb_shared_info))` (M). */
export const SKB_MAX_LINEAR = PAGE - 64 - SHINFO;
/** `PAGE_SIZE - XDP_PACKET_HEADROOM - SKB_DATA_ALIGN(sizeof(struct skb_shared_info))`, without metadata (M). */
export const XDP_MAX_LINEAR = PAGE - 256 - SHINFO;
/** `XDP_PACKET_HEADROOM`: the bytes in front of `xdp->data` in a test run (the metadata comes out of them). */
export const XDP_PACKET_HEADROOM = 256;
/** `sizeof(struct xdp_frame)` on x86-64 (M): the headroom keeps room for it. */
const XDP_FRAME_HEADROOM = 40;
export const MAX_SKB_FRAGS = 17;
/** `skb_shared_info.meta_len` is a u8; `xdp_metalen_invalid` also wants a multiple of 4. */
export const META_MAX = 255;

/** What a caller gives for an skb: the test run's `data_in` and `__sk_buff` context, and model set-up. */
export interface SkbSpec {
  readonly kind: 'skb';
  /** `data_in`: the frame from its MAC header. */
  readonly data: Uint8Array;
  /** The program type whose context this is (default SCHED_CLS). */
  readonly progType?: SkbProgType;
  /** `ctx->data_end` (6.19+): the linear size; the rest goes into page frags. */
  readonly linear?: number;
  /** XDP metadata in front of the MAC header, as an skb that came from XDP carries it (not a test-run input). */
  readonly meta?: Uint8Array;
  /** The skb is a clone (its head is shared), as tc sees some skbs (not a test-run input). */
  readonly cloned?: boolean;
  /** `skb->hash` (not a test-run input; default 0). */
  readonly hash?: number;
}

/** What a caller gives for an xdp_buff: `data_in` and the `xdp_md` context. */
export interface XdpSpec {
  readonly kind: 'xdp';
  /** `data_in`: the metadata (its first `meta` bytes), then the frame. */
  readonly data: Uint8Array;
  /** `ctx->data`: the metadata size (a multiple of 4, at most 255). */
  readonly meta?: number;
  /** `ctx->data_end` (6.18+): the linear size, metadata included; the rest goes into page frags. */
  readonly linear?: number;
}

export type PacketSpec = SkbSpec | XdpSpec;

function int(v: unknown, argument: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new ArgumentError(argument, v, 'a non-negative integer');
  return v;
}

/** The bytes from `start` split into frags of a page each; null when more than MAX_SKB_FRAGS. */
function fragsOf(data: Uint8Array, start: number, k: Kern): Uint8Array[] | null {
  const frags: Uint8Array[] = [];
  for (let at = start; at < data.length; at += PAGE) frags.push(k.t.made(data.slice(at, Math.min(at + PAGE, data.length))));
  return frags.length > MAX_SKB_FRAGS ? null : frags;
}

/**
 * `bpf_prog_test_run_skb` up to the run: `data_in` shorter than `ETH_HLEN` → -EINVAL; a linear size
 * (`ctx->data_end`) larger than the packet → -EINVAL; `data_end` 0 is none (7.2.13 net/bpf/test_run.c
 * looks at it only when it is not 0; 6.18's `convert___skb_to_skb` wants the field zero, so it refuses
 * any other value: -EINVAL — a 0 was accepted by the 6.18 host tier); a non-zero one before 6.19 or
 * for an LWT program → -EINVAL; 6.19+: the linear part is `max(ETH_HLEN, data_end)` (or the whole
 * packet), at most SKB_MAX_LINEAR, the rest in page frags (more than MAX_SKB_FRAGS → -ENOMEM); before
 * 6.19 a packet longer than SKB_MAX_LINEAR is -EINVAL. `eth_type_trans` pulls the MAC header; tc pushes it back, so its `skb->data` is the MAC
 * header, the others' the network header (`skb->len` 14 bytes shorter).
 */
export function newSkb(k: Kern, spec: SkbSpec): number {
  if (!(spec.data instanceof Uint8Array)) throw new ArgumentError('data', spec.data, 'a Uint8Array (data_in)');
  const progType = spec.progType ?? 'SCHED_CLS';
  if (!isSkbProgType(progType)) throw new ArgumentError('progType', progType, `one of ${Object.keys(SKB_PROG_TYPES).join(', ')}`);
  const meta = spec.meta ?? new Uint8Array(0);
  if (!(meta instanceof Uint8Array) || meta.length > META_MAX) throw new ArgumentError('meta', spec.meta, `a Uint8Array of at most ${META_MAX} bytes (meta_len is a u8)`);
  const size = spec.data.length;
  if (size < ETH_HLEN) return -EINVAL;
  let linear = size;
  if (spec.linear !== undefined) {
    const end = int(spec.linear, 'linear');
    if (end > size) return -EINVAL;
    if (end !== 0) {
      if (!k.features.skbTestRunFrags || progType.startsWith('LWT_')) return -EINVAL;
      linear = Math.max(ETH_HLEN, end);
    }
  }
  if (linear > SKB_MAX_LINEAR) {
    if (!k.features.skbTestRunFrags) return -EINVAL;
    linear = SKB_MAX_LINEAR;
  }
  const frags = fragsOf(spec.data, linear, k);
  if (frags === null) return -ENOMEM;
  // eth_type_trans, then the network header of an IPv4 or IPv6 frame must be in the linear part
  // (`skb_headlen(skb) < sizeof(struct iphdr)` / `ipv6hdr` → -EINVAL; found by the host conformance
  // tier on 6.18, where a 14-byte IPv4 frame is refused: the copies of test_run.c read earlier only
  // skipped setting the socket's addresses).
  const proto = ((spec.data[12] ?? 0) << 8) | (spec.data[13] ?? 0);
  const netLen = linear - ETH_HLEN;
  if ((proto === 0x0800 && netLen < 20) || (proto === 0x86dd && netLen < 40)) return -EINVAL;
  const l2 = SKB_PROG_TYPES[progType].l2;
  const id = k.t.nextId('packet');
  const p: SkbPacket = {
    kind: 'skb', id, progType, head: k.t.made(spec.data.slice(l2 ? 0 : ETH_HLEN, linear)), headCap: SKB_MAX_LINEAR - (l2 ? 0 : ETH_HLEN),
    frags, meta: k.t.made(meta.slice()), mac: l2 ? new Uint8Array(0) : spec.data.slice(0, ETH_HLEN), cloned: spec.cloned === true,
    hash: spec.hash === undefined ? 0 : int(spec.hash, 'hash'),
  };
  k.t.own('packets').set(id, Object.freeze(p));
  return id;
}

/**
 * `bpf_prog_test_run_xdp` up to the run: `ctx->data` (metadata size) not a multiple of 4 or over 255,
 * `ctx->data_end` larger than the packet or smaller than `ctx->data` → -EINVAL; the linear part is
 * `data_end` (or the whole packet), at most XDP_MAX_LINEAR bytes past the metadata; fewer than
 * `ETH_HLEN` bytes past the metadata → -EINVAL; the rest in page frags (more than MAX_SKB_FRAGS →
 * -ENOMEM). The dynptr sees the linear part after the metadata and the frags.
 */
export function newXdp(k: Kern, spec: XdpSpec): number {
  if (!(spec.data instanceof Uint8Array)) throw new ArgumentError('data', spec.data, 'a Uint8Array (data_in)');
  const size = spec.data.length;
  const meta = spec.meta === undefined ? 0 : int(spec.meta, 'meta');
  let linear = size;
  if (spec.linear !== undefined) linear = int(spec.linear, 'linear');
  // net/bpf/test_run.c `bpf_prog_test_run_xdp`: the metadata size `ctx->data` must pass
  // `xdp_metalen_invalid` (a multiple of 4, at most META_MAX) and fit in the headroom less an
  // xdp_frame (`meta_sz > headroom - sizeof(struct xdp_frame)` → -EINVAL; 40 bytes on x86-64, so at
  // most 216), since it comes out of that headroom. The 6.18 host tier agrees at 216 and 220.
  if (linear > size || meta > linear || meta % 4 !== 0 || meta > META_MAX || meta > XDP_PACKET_HEADROOM - XDP_FRAME_HEADROOM) return -EINVAL;
  linear = Math.min(linear, XDP_MAX_LINEAR + meta);
  if (size - meta < ETH_HLEN) return -EINVAL;
  const frags = fragsOf(spec.data, linear, k);
  if (frags === null) return -ENOMEM;
  const id = k.t.nextId('packet');
  const p: XdpPacket = {
    kind: 'xdp', id, headroom: k.t.made(new Uint8Array(XDP_PACKET_HEADROOM - meta)), head: k.t.made(spec.data.slice(meta, linear)), frags,
    meta: k.t.made(spec.data.slice(0, meta)),
  };
  k.t.own('packets').set(id, Object.freeze(p));
  return id;
}

export function newPacket(k: Kern, spec: PacketSpec): number {
  checkKern('k', k);
  if (spec === null || typeof spec !== 'object') throw new ArgumentError('packet', spec, "{ kind: 'skb' | 'xdp', data, … }");
  if (spec.kind === 'skb') return newSkb(k, spec);
  if (spec.kind === 'xdp') return newXdp(k, spec);
  throw new ArgumentError('kind', (spec as { kind?: unknown }).kind, "'skb' or 'xdp'");
}

/**
 * The selftests' `pkt_v4` (tools/testing/selftests/bpf/network_helpers.h, `struct ipv4_packet`): an
 * Ethernet header with `h_proto` ETH_P_IP, an IPv4 header with `ihl` 5, `protocol` TCP and `tot_len`
 * 123 (MAGIC_BYTES, big-endian), a TCP header with `doff` 5 and `urg_ptr` 123 (host order); 54 bytes,
 * every other byte 0.
 */
export function pktV4(): Uint8Array {
  const b = new Uint8Array(PKT_V4_LEN);
  b[12] = 0x08; // h_proto = htons(ETH_P_IP)
  b[14] = 0x05; // ihl:4 = 5 (low bits on little-endian), version:4 = 0
  b[17] = 123; // tot_len = htons(123)
  b[23] = 6; // protocol = IPPROTO_TCP
  b[46] = 0x50; // res1:4 = 0, doff:4 = 5
  b[52] = 123; // urg_ptr = 123
  return b;
}

/** A script's `data_in` as bytes (see `TestRunData` in src/model/task/syscall_schema.ts). */
export function testRunBytes(spec: 'pkt_v4' | string | { readonly size: number; readonly fill?: number; readonly head?: string }): Uint8Array {
  if (spec === 'pkt_v4') return pktV4();
  // (The format allows only pairs of hex digits here: TestRunData in src/model/task/syscall_schema.ts.)
  const hex = (h: string): Uint8Array => {
    const b = new Uint8Array(h.length >> 1);
    for (let i = 0; i < b.length; i += 1) b[i] = Number.parseInt(h.slice(2 * i, 2 * i + 2), 16);
    return b;
  };
  if (typeof spec === 'string') return hex(spec);
  const b = new Uint8Array(spec.size).fill(spec.fill ?? 0);
  if (spec.head !== undefined) b.set(hex(spec.head).subarray(0, spec.size));
  return b;
}

/** Bytes as `data_in`'s hex text (two lowercase digits a byte): what `testRunBytes` reads back. */
export function testRunHex(data: Uint8Array): string {
  let out = '';
  for (const b of data) out += b < 16 ? `0${b.toString(16)}` : b.toString(16);
  return out;
}

