import { defineKfunc } from '../kfunc/kfunc.ts';
import { dynptrAt, dynptrRead } from './core.ts';

const ARGS = { dynptr: 'src', mem: 'dst' } as const;

/**
 * `bpf_dynptr_read` (kernel/bpf/helpers.c: `__bpf_dynptr_read`; FILE: `bpf_file_fetch_bytes`; SKB:
 * net/core/filter.c `__bpf_skb_load_bytes`; XDP: `__bpf_xdp_load_bytes`).
 */
export const bpf_dynptr_read = defineKfunc({
  name: 'bpf_dynptr_read',
  mirrors: 'kernel/bpf/helpers.c: __bpf_dynptr_read, bpf_file_fetch_bytes; lib/buildid.c: freader_fetch; fs/read_write.c: __kernel_read; mm/filemap.c: filemap_read; net/core/filter.c: __bpf_skb_load_bytes, __bpf_xdp_load_bytes',
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
    'FILE: a secretmem mapping → -EFAULT (freader_fetch, before either reader)',
    'FILE, non-sleepable reader (filemap_get_folio): a page of the range not cached or not uptodate (under I/O, its read failed, only some blocks uptodate) → -EFAULT (also for len 0: the page at the offset is looked up); no readahead, no i_size check',
    'FILE, sleepable reader (one __kernel_read, no rw_verify_area): len 0 → 0 with no lookup; no FMODE_READ (O_WRONLY) → -EINVAL; no FMODE_CAN_READ (the file still in its security_file_open: do_dentry_open sets it after) → -EINVAL',
    'FILE, sleepable reader (filemap_read): a position ≥ 2^63 (a negative loff_t) → -EINVAL; readahead on a miss or a PG_readahead page; waits for I/O; a folio whose read fails twice (readahead, then filemap_read_folio) → -EIO',
    'FILE, sleepable reader: fewer bytes than len (EOF inside or before the range) → -EIO, after the bytes before EOF are copied (freader_fetch: result ≠ len)',
  ],
  effects: [
    'dst receives the bytes; FILE, non-sleepable: bytes past EOF inside the cached last page read as zero',
    'LOCAL, RINGBUF, SKB_META: memmove; SKB, XDP: a range across the linear part and the frags is copied piece by piece',
    'on error dst is not cleared (except SKB past skb->len: zeroed); a FILE read failing on a later page leaves the earlier bytes copied',
    'FILE, non-sleepable: the reader keeps a reference on the last folio it read until the next fetch moves or the discard; sleepable: no folio is held',
    'FILE, sleepable: readahead by the file\'s file_ra_state (the window, PG_readahead), prev_pos moves to the end of the bytes copied',
  ],
  confidence: 'H (source; __kernel_read patch 777a8560, in 6.19: M-H); the 7.2 guest tier agrees, residency included',
  impl(k, dst, len, src, offset, flags) {
    return dynptrRead(k, dst, len, dynptrAt(k, src, 'src'), offset, flags, ARGS);
  },
});
