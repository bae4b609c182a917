/** Direct access to dynptr memory: slice, slice_rdwr and data (kernel/bpf/helpers.c). */
import { defineKfunc } from '../kfunc/kfunc.ts';
import { checkOffLen, dynptrAt, dynptrRdonly, dynptrSize, dynptrSlice } from './core.ts';

const ARGS = { dynptr: 'p', mem: 'buffer__opt' } as const;

const SLICE_CHECKS = [
  'p null → NULL',
  'buffer__szk > size or offset > size - buffer__szk → NULL',
  'SKB: a range outside the linear part with buffer__opt NULL → NULL; a range past the current skb->len → NULL',
  'XDP: a range across the linear part and the frags (or at a packet offset above 0xffff) with buffer__opt NULL → NULL',
  'FILE: buffer NULL → NULL; any reader error (-EFAULT, -EIO, -EINVAL: as bpf_dynptr_read) → NULL',
];

const SLICE_EFFECTS = [
  'LOCAL, RINGBUF, SKB_META: a view of the dynptr memory',
  'SKB: a view of the packet when the range is in the linear part, else the bytes copied into buffer__opt, which is returned',
  'XDP: a view when the range lies in the linear part or in one frag, else the bytes copied into buffer__opt, which is returned',
  'FILE: the bytes are copied into buffer__opt, which is returned',
  'a slice never pulls or changes packet data',
];

/** `bpf_dynptr_slice`: a read-only view, or the bytes copied into `buffer__opt`. */
export const bpf_dynptr_slice = defineKfunc({
  name: 'bpf_dynptr_slice',
  mirrors: 'kernel/bpf/helpers.c: bpf_dynptr_slice, bpf_file_fetch_bytes; net/core/filter.c: skb_header_pointer, bpf_xdp_pointer, bpf_xdp_copy_buf',
  kind: 'kfunc',
  since: '6.18',
  summary: 'A pointer to `buffer__szk` bytes at `offset`: into the dynptr memory when it is contiguous, else into the buffer.',
  args: [
    { name: 'p', type: 'dynptr' },
    { name: 'offset', type: 'dsize' },
    { name: 'buffer__opt', type: 'mem_or_null', out: true, size: 3 },
    { name: 'buffer__szk', type: 'dsize', sizeConst: true },
  ],
  ret: 'ptr',
  flags: ['KF_RET_NULL'],
  checks: SLICE_CHECKS,
  effects: SLICE_EFFECTS,
  confidence: 'H (source)',
  impl(k, p, offset, buffer, len) {
    return dynptrSlice(k, dynptrAt(k, p, 'p'), offset, buffer, len, false, ARGS);
  },
});

/**
 * `bpf_dynptr_slice_rdwr`: as slice, but NULL for a read-only dynptr (every FILE dynptr; an SKB
 * dynptr of a program type that cannot write packets). A copy into the buffer is not written back.
 */
export const bpf_dynptr_slice_rdwr = defineKfunc({
  name: 'bpf_dynptr_slice_rdwr',
  mirrors: 'kernel/bpf/helpers.c: bpf_dynptr_slice_rdwr',
  kind: 'kfunc',
  since: '6.18',
  summary: 'A writable pointer to `buffer__szk` bytes at `offset`, or NULL.',
  args: [
    { name: 'p', type: 'dynptr' },
    { name: 'offset', type: 'dsize' },
    { name: 'buffer__opt', type: 'mem_or_null', out: true, size: 3 },
    { name: 'buffer__szk', type: 'dsize', sizeConst: true },
  ],
  ret: 'ptr',
  flags: ['KF_RET_NULL'],
  checks: ['p null or read-only → NULL', 'then as bpf_dynptr_slice'],
  effects: [
    'a writable view of the dynptr memory where bpf_dynptr_slice gives a view',
    'SKB, XDP: a copy into buffer__opt is not written back to the packet (write it with bpf_dynptr_write)',
  ],
  confidence: 'H (source)',
  impl(k, p, offset, buffer, len) {
    const d = dynptrAt(k, p, 'p');
    if (d.kind === 'null' || dynptrRdonly(d)) return null;
    return dynptrSlice(k, d, offset, buffer, len, true, ARGS);
  },
});

/** `bpf_dynptr_data`: a direct pointer into a writable LOCAL or RINGBUF dynptr's memory; NULL for the other kinds. */
export const bpf_dynptr_data = defineKfunc({
  name: 'bpf_dynptr_data',
  mirrors: 'kernel/bpf/helpers.c: bpf_dynptr_data',
  kind: 'helper',
  since: '6.18',
  summary: 'A pointer to `len` bytes at `offset` of the dynptr memory, or NULL.',
  args: [
    { name: 'p', type: 'dynptr' },
    { name: 'offset', type: 'dsize' },
    { name: 'len', type: 'dsize', sizeConst: true },
  ],
  ret: 'ptr',
  flags: [],
  checks: [
    'p null → NULL',
    'len > size or offset > size - len → NULL',
    'read-only (every FILE dynptr) → NULL',
    'SKB, SKB_META, XDP, FILE → NULL (use bpf_dynptr_slice)',
  ],
  effects: ['none; the pointer aliases the dynptr memory (LOCAL, RINGBUF)'],
  confidence: 'H (source); argument width widened with the others from 6.19 (M)',
  impl(k, p, offset, len) {
    const d = dynptrAt(k, p, 'p');
    if (d.kind === 'null') return null;
    if (checkOffLen(dynptrSize(k, d, 'p'), offset, len) !== 0) return null;
    if (dynptrRdonly(d)) return null;
    if (d.kind !== 'local' && d.kind !== 'ringbuf') return null;
    return dynptrSlice(k, d, offset, null, len, true, ARGS);
  },
});
