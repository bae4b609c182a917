import { defineKfunc } from '../kfunc/kfunc.ts';
import { dynptrAt, dynptrWrite } from './core.ts';

const ARGS = { dynptr: 'dst', mem: 'src' } as const;

/**
 * `bpf_dynptr_write` (kernel/bpf/helpers.c: `__bpf_dynptr_write`; SKB: net/core/filter.c
 * `__bpf_skb_store_bytes`; XDP: `__bpf_xdp_store_bytes`; SKB_META: a memmove into the metadata).
 */
export const bpf_dynptr_write = defineKfunc({
  name: 'bpf_dynptr_write',
  mirrors: 'kernel/bpf/helpers.c: __bpf_dynptr_write; net/core/filter.c: __bpf_skb_store_bytes, __bpf_xdp_store_bytes, __bpf_skb_meta_store_bytes',
  kind: 'helper',
  since: '6.18',
  summary: 'Copy `len` bytes of `src` into the dynptr `dst` at `offset`.',
  args: [
    { name: 'dst', type: 'dynptr' },
    { name: 'offset', type: 'dsize' },
    { name: 'src', type: 'mem_or_null', size: 3 },
    { name: 'len', type: 'dsize' },
    { name: 'flags', type: 'u64' },
  ],
  ret: 'int',
  flags: [],
  checks: [
    'dst null or read-only → -EINVAL (so every FILE write is -EINVAL, and an SKB write in a program type that cannot write packets; the verifier accepts it)',
    'len > size or offset > size - len → -E2BIG',
    'LOCAL, RINGBUF, XDP, SKB_META: flags ≠ 0 → -EINVAL (checked after the bounds)',
    'SKB: flags other than BPF_F_RECOMPUTE_CSUM | BPF_F_INVALIDATE_HASH → -EINVAL',
    'SKB: pulling [0, offset + len) into the linear part fails (past the current skb->len, or reallocating the head fails) → -EFAULT',
    'XDP: a packet offset or len above 0xffff → -EFAULT',
    'SKB_META from 7.0: a cloned skb whose head cannot be copied → -EFAULT',
  ],
  effects: [
    'the bytes are copied into the memory under dst (memmove)',
    'SKB: the packet is linear up to offset + len afterwards (later slices there are direct); BPF_F_INVALIDATE_HASH clears skb->hash',
    'XDP: a range across the linear part and the frags is written piece by piece',
  ],
  confidence: 'H (null/rdonly, bounds: source — a FILE dynptr is read-only, __bpf_dynptr_is_rdonly, so -EINVAL; the 7.2 guest tier agrees); M (flags after bounds, from the per-type switch); SKB_META 7.0 row M-L',
  impl(k, dst, offset, src, len, flags) {
    return dynptrWrite(k, dynptrAt(k, dst, 'dst'), offset, src, len, flags, ARGS);
  },
});
