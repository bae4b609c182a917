/**
 * SKB and SKB_META dynptr constructors (net/core/filter.c: `bpf_dynptr_from_skb`,
 * `bpf_dynptr_from_skb_rdonly`, `bpf_dynptr_from_skb_meta`, `bpf_dynptr_from_skb_meta_rdonly`).
 *
 * The kfunc bodies never set the read-only bit. The verifier does it: when the program type cannot
 * write packet data (`may_access_direct_pkt_data(env, NULL, BPF_WRITE)` is false), it calls the
 * `_rdonly` variant instead (`specialize_kfunc`). The model takes the program type from the packet
 * context (made for one program type), so the dynptr is read-only in CGROUP_SKB, SOCKET_FILTER,
 * LWT_IN/OUT/SEG6LOCAL skbs and writable in tc and LWT_XMIT ones.
 */
import { EINVAL } from '../../kernel/errno.ts';
import { ArgumentError } from '../../kernel/errors.ts';
import { defineKfunc } from '../../kfunc/kfunc.ts';
import { skbOf } from '../../packet/skb.ts';
import { packetLen, PKT_WRITE_PROG_TYPES, SKB_PROG_TYPES } from '../../packet/types.ts';
import type { Kern } from '../../world/world.ts';
import { setNull, uninitSlot } from '../core.ts';
import { PacketDynptr } from '../types.ts';

/**
 * The program type the verifier specialized the call for: the calling program's (a tracing program
 * that got the skb as a `tp_btf` argument included), else — a call from a session — the one the skb
 * was made for.
 */
function callerType(k: Kern, skbType: string): string {
  const prog = k.ctx.prog === undefined ? undefined : k.cold.progs.get(k.ctx.prog);
  return prog?.type ?? skbType;
}

/** `bpf_kfunc_set_skb`'s program types (net/core/filter.c), TRACING from 6.12. */
const SKB_KFUNC_TYPES = [
  'SCHED_CLS', 'SCHED_ACT', 'SK_SKB', 'SOCKET_FILTER', 'CGROUP_SKB', 'LWT_OUT', 'LWT_IN', 'LWT_XMIT', 'LWT_SEG6LOCAL', 'NETFILTER', 'TRACING',
];

export const bpf_dynptr_from_skb = defineKfunc({
  name: 'bpf_dynptr_from_skb',
  mirrors: 'net/core/filter.c: bpf_dynptr_from_skb, bpf_dynptr_from_skb_rdonly; kernel/bpf/verifier.c: specialize_kfunc, may_access_direct_pkt_data',
  kind: 'kfunc',
  since: '6.18', // in the kernel since 6.4 (TRACING programs from 6.12)
  progTypes: ['SOCKET_FILTER', 'SCHED_CLS', 'TRACING'],
  kernelProgTypes: SKB_KFUNC_TYPES,
  summary: 'Make an SKB dynptr over the packet of `skb`, from `skb->data` for `skb->len` bytes.',
  args: [
    { name: 'skb', type: 'skb' },
    { name: 'flags', type: 'u64' },
    { name: 'ptr__uninit', type: 'dynptr_uninit', dynptrKind: 'skb' },
  ],
  ret: 'int',
  flags: ['KF_TRUSTED_ARGS'],
  checks: ['flags ≠ 0 → -EINVAL, ptr__uninit set null'],
  effects: [
    'ptr__uninit becomes an SKB dynptr: offset 0 at skb->data (the MAC header for tc; the network header for CGROUP_SKB, SOCKET_FILTER, LWT), size skb->len now (later length changes do not update it)',
    'read-only when the program type cannot write packet data (the verifier substitutes bpf_dynptr_from_skb_rdonly): CGROUP_SKB, SOCKET_FILTER, LWT_IN, LWT_OUT, LWT_SEG6LOCAL, NETFILTER, TRACING',
  ],
  confidence: 'H (source); the offset-0 layer per program type M',
  impl(k, skb, flags, ptr) {
    const slot = uninitSlot(k, ptr, 'ptr__uninit');
    const p = skbOf(k, skb, 'skb');
    if (flags !== 0n) {
      setNull(k, slot);
      return -EINVAL;
    }
    const rdonly = !PKT_WRITE_PROG_TYPES.includes(callerType(k, p.progType));
    k.t.own('dynptrs').set(slot, new PacketDynptr('skb', skb, 0, packetLen(p), rdonly));
    return 0;
  },
});

export const bpf_dynptr_from_skb_meta = defineKfunc({
  name: 'bpf_dynptr_from_skb_meta',
  mirrors: 'net/core/filter.c: bpf_dynptr_from_skb_meta, bpf_skb_meta_pointer',
  kind: 'kfunc',
  since: '6.18',
  progTypes: ['SCHED_CLS'],
  kernelProgTypes: ['SCHED_CLS', 'SCHED_ACT'],
  summary: 'Make an SKB_META dynptr over the metadata in front of the skb\'s MAC header.',
  args: [
    { name: 'skb', type: 'skb' },
    { name: 'flags', type: 'u64' },
    { name: 'ptr__uninit', type: 'dynptr_uninit', dynptrKind: 'skb_meta' },
  ],
  ret: 'int',
  flags: ['KF_TRUSTED_ARGS'],
  checks: [
    'the skb is not a tc (SCHED_CLS, SCHED_ACT) context → the verifier refuses the program',
    'flags ≠ 0 → -EINVAL, ptr__uninit set null',
  ],
  effects: [
    'ptr__uninit becomes an SKB_META dynptr: offset 0 at the start of the metadata, size skb_metadata_len (0..255)',
    '6.18, 6.19: read-only when the skb is cloned; from 7.0 a write copies a cloned head instead (M-L for the version)',
    'slices are always direct pointers into the metadata; bpf_dynptr_data gives NULL',
  ],
  confidence: 'H (source of the series); M for 6.18 as the first version, M-L for the 7.0 change',
  impl(k, skb, flags, ptr) {
    const slot = uninitSlot(k, ptr, 'ptr__uninit');
    const p = skbOf(k, skb, 'skb');
    if (!SKB_PROG_TYPES[p.progType].l2) {
      throw new ArgumentError('skb', skb, `a tc skb (the verifier refuses bpf_dynptr_from_skb_meta in ${p.progType}: "calling kernel function bpf_dynptr_from_skb_meta is not allowed")`);
    }
    if (flags !== 0n) {
      setNull(k, slot);
      return -EINVAL;
    }
    const rdonly = !PKT_WRITE_PROG_TYPES.includes(callerType(k, p.progType)) || (!k.features.skbMetaUncloneOnWrite && p.cloned);
    k.t.own('dynptrs').set(slot, new PacketDynptr('skb_meta', skb, 0, p.meta.length, rdonly));
    return 0;
  },
});
