import { defineKfunc } from '../kfunc/kfunc.ts';
import { dynptrAt, dynptrRead } from './core.ts';

const ARGS = { dynptr: 'src', mem: 'dst' } as const;

/**
 * `bpf_dynptr_read` (kernel/bpf/helpers.c: `__bpf_dynptr_read`; FILE: `bpf_file_fetch_bytes`; SKB:
 * net/core/filter.c `__bpf_skb_load_bytes`; XDP: `__bpf_xdp_load_bytes`).
 */
export const bpf_dynptr_read = defineKfunc({
  name: 'bpf_dynptr_read',
  mirrors: 'kernel/bpf/helpers.c: __bpf_dynptr_read, bpf_file_fetch_bytes; lib/freader.c: freader_fetch; net/core/filter.c: __bpf_skb_load_bytes, __bpf_xdp_load_bytes',
  kind: 'helper',
  since: '6.18',
  summary: 'Copy `len` bytes at `offset` of the dynptr `src` into `dst`.',
  args: [
    { name: 'dst', type: 'mem_or_null', out: true, size: 1 },
    { name: 'len', type: 'dsize' },
    { name: 'src', type: 'dynptr' },
    { name: 'offset', type: 'dsize' },
    { name: 'flags', type: 'u64' },
  ],
  ret: 'int',
  flags: [],
  checks: [
    'src null or flags ≠ 0 → -EINVAL',
    'len > size or offset > size - len → -E2BIG (no wrap-around)',
    'SKB: a range past the current skb->len → -EFAULT and dst zeroed (the linear part and the frags are gathered otherwise)',
    'XDP: a packet offset or len above 0xffff → -EFAULT (bpf_xdp_pointer), even inside the dynptr',
    'FILE: dst NULL → -EINVAL',
    'FILE, sleepable reader of a file inside its own lsm.s/file_open hook → -EINVAL (observed on 7.2; cause not found)',
    'FILE: secretmem mapping → -EFAULT',
    'FILE, non-sleepable reader: a page of the range not uptodate → -EFAULT (also for len 0: the page at the offset is looked up)',
    'FILE, sleepable reader: waits for each page\'s read; a failed read → -EIO; a page wholly past EOF → -EIO',
    'FILE, sleepable reader: bytes past EOF → -EIO, after the bytes before EOF are copied (observed on 7.2, also in a cached last page)',
    'FILE, sleepable reader: len 0 at or past EOF → 0; a file position ≥ 2^63 → -EINVAL (observed on 7.2)',
  ],
  effects: [
    'dst receives the bytes; FILE bytes past EOF inside the last page read as zero',
    'LOCAL, RINGBUF, SKB_META: memmove; SKB, XDP: a range across the linear part and the frags is copied piece by piece',
    'on error dst is not cleared (except SKB past skb->len: zeroed); a FILE read failing on a later page leaves the earlier bytes copied',
    'FILE: the reader keeps a reference on the last folio it read until the next fetch moves or the discard',
  ],
  confidence: 'H (source); -EIO and past-EOF results observed on 7.2',
  impl(k, dst, len, src, offset, flags) {
    return dynptrRead(k, dst, len, dynptrAt(k, src, 'src'), offset, flags, ARGS);
  },
});
