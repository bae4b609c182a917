import { EINVAL } from '../kernel/errno.ts';
import { defineKfunc } from '../kfunc/kfunc.ts';
import { Sleep } from '../fs/io.ts';
import type { Kern } from '../world/world.ts';
import { checkOffLen, dynptrAt, dynptrRdonly, dynptrSize, dynptrSlice, dynptrWrite } from './core.ts';
import type { Dynptr } from './types.ts';

/** The stack buffer of the chunked paths of memset, copy and the probe-read kfuncs (`char buf[256]`). */
export const CHUNK = 256;

/** `__bpf_dynptr_size`, which is 0 for a null dynptr (`bpf_dynptr_set_null` zeroes the whole struct). */
export function sizeOrZero(k: Kern, d: Dynptr, argument: string): bigint {
  return d.kind === 'null' ? 0n : dynptrSize(k, d, argument);
}

/** `bpf_dynptr_slice_rdwr(p, offset, NULL, len)` as the kfuncs of this family call it: a writable view, or null. */
export function directRdwr(k: Kern, d: Dynptr, offset: bigint, len: bigint, argument: string): Uint8Array | null {
  if (d.kind === 'null' || dynptrRdonly(d)) return null;
  const v = dynptrSlice(k, d, offset, null, len, true, { dynptr: argument, mem: argument });
  // With no buffer, a slice never fetches (FILE needs one): it cannot sleep.
  return v instanceof Sleep ? null : v;
}

/**
 * `bpf_dynptr_memset(p, offset, size, val)` (kernel/bpf/helpers.c, 6.17). Writes through a direct
 * slice when there is one, else through `__bpf_dynptr_write` from a 256-byte buffer of `val`.
 */
export const bpf_dynptr_memset = defineKfunc({
  name: 'bpf_dynptr_memset',
  mirrors: 'kernel/bpf/helpers.c: bpf_dynptr_memset',
  kind: 'kfunc',
  since: '6.18', // in the kernel since 6.17 (offset and size u32 until 6.18, u64 from 6.19)
  summary: 'Fill `size` bytes of the dynptr `p` at `offset` with the byte `val`.',
  args: [
    { name: 'p', type: 'dynptr' },
    { name: 'offset', type: 'dsize' },
    { name: 'size', type: 'dsize' },
    { name: 'val', type: 'u8' },
  ],
  ret: 'int',
  flags: [],
  checks: [
    'a writable direct slice of [offset, offset + size) exists (LOCAL, RINGBUF, SKB_META, an SKB range in the linear part, an XDP range in one piece) → filled, 0',
    'p read-only (FILE; SKB in a program type that cannot write packets) → -EINVAL',
    'size > dynptr size or offset > dynptr size - size → -E2BIG (a null dynptr has size 0: -E2BIG unless offset and size are 0, then 0)',
    'then 256-byte chunks through __bpf_dynptr_write: its first error is returned (earlier chunks stay written): SKB past skb->len or a failed pull -EFAULT, XDP above 0xffff -EFAULT',
  ],
  effects: ['the bytes are set to val; an SKB written in chunks is pulled linear up to offset + size'],
  confidence: 'H (source, 6.17 patch and the 6.19 widening)',
  impl(k, p, offset, size, val) {
    const d = dynptrAt(k, p, 'p');
    const direct = directRdwr(k, d, offset, size, 'p');
    if (direct !== null) {
      direct.fill(Number(val));
      return 0;
    }
    if (dynptrRdonly(d)) return -EINVAL;
    const err = checkOffLen(sizeOrZero(k, d, 'p'), offset, size);
    if (err !== 0) return err;
    const buf = new Uint8Array(size < BigInt(CHUNK) ? Number(size) : CHUNK).fill(Number(val));
    const args = { dynptr: 'p', mem: 'p' };
    for (let off = 0n; off < size;) {
      const chunk = size - off < BigInt(CHUNK) ? size - off : BigInt(CHUNK);
      const r = dynptrWrite(k, d, offset + off, buf, chunk, 0n, args);
      if (r !== 0) return r;
      off += chunk;
    }
    return 0;
  },
});
