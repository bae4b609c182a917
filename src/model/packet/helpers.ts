/**
 * Helpers that change packet data (net/core/filter.c): `bpf_skb_pull_data` and
 * `bpf_xdp_adjust_head`. Both are in the verifier's `bpf_helper_changes_pkt_data`: after the call it
 * invalidates every packet pointer and every packet slice of a dynptr (`clear_all_pkt_pointers`).
 */
import { defineKfunc } from '../kfunc/kfunc.ts';
import { skbPullData } from './skb.ts';
import { xdpAdjustHead } from './xdp.ts';

export const bpf_skb_pull_data = defineKfunc({
  name: 'bpf_skb_pull_data',
  mirrors: 'net/core/filter.c: bpf_skb_pull_data, bpf_try_make_writable; net/core/skbuff.c: skb_ensure_writable, pskb_may_pull',
  kind: 'helper',
  since: '6.18', // in the kernel since 4.9
  progTypes: ['SCHED_CLS', 'SCHED_ACT'],
  kernelProgTypes: ['SCHED_CLS', 'SCHED_ACT', 'LWT_XMIT', 'SK_SKB'],
  summary: 'Pull the first `len` bytes of the skb (0: its linear part) into the linear part and make them writable.',
  args: [
    { name: 'skb', type: 'skb' },
    { name: 'len', type: 'u32' },
  ],
  ret: 'int',
  flags: [],
  changesPktData: true,
  checks: [
    'the program type has no bpf_skb_pull_data (only tc, LWT_XMIT and sk_skb do) → the verifier refuses the program',
    'len > skb->len → -ENOMEM',
    'the head must be reallocated (too small, or shared with a clone) and the allocation fails → -ENOMEM',
  ],
  effects: [
    '[0, len) is in the linear part: a later SKB dynptr slice there is a direct pointer',
    'the verifier invalidates every packet pointer and packet slice (data and metadata) after the call',
  ],
  confidence: 'H (source)',
  impl(k, skb, len) {
    return skbPullData(k, skb, Number(len));
  },
});

export const bpf_xdp_adjust_head = defineKfunc({
  name: 'bpf_xdp_adjust_head',
  mirrors: 'net/core/filter.c: bpf_xdp_adjust_head',
  kind: 'helper',
  since: '6.18', // in the kernel since 4.10
  progTypes: ['XDP'],
  summary: 'Move the start of the packet by `delta` bytes (negative: into the headroom).',
  args: [
    { name: 'xdp_md', type: 'xdp_md' },
    { name: 'delta', type: 'u32', cType: 'int' },
  ],
  ret: 'int',
  flags: [],
  changesPktData: true,
  checks: [
    'the program type is not XDP → the verifier refuses the program',
    'the new start is within sizeof(struct xdp_frame) + the metadata of the buffer\'s start, or leaves fewer than ETH_HLEN bytes in the linear part → -EINVAL',
  ],
  effects: [
    'xdp->data (and the metadata with it, memmove) moves by delta: the bytes that join the packet are what the headroom held (zeros in a test run)',
    'an XDP dynptr keeps the size it was made with; its offsets now count from the new start',
    'the verifier invalidates every packet pointer and packet slice after the call',
  ],
  confidence: 'H (source); sizeof(struct xdp_frame) = 40 on x86-64 M',
  impl(k, x, delta) {
    return xdpAdjustHead(k, x, Number(BigInt.asIntN(32, delta)));
  },
});
