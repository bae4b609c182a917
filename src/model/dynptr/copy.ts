import { E2BIG } from '../kernel/errno.ts';
import { defineKfunc } from '../kfunc/kfunc.ts';
import { Sleep } from '../fs/io.ts';
import type { Kern } from '../world/world.ts';
import { checkOffLen, dynptrAt, dynptrRead, dynptrSlice, dynptrWrite } from './core.ts';
import { CHUNK, directRdwr, sizeOrZero } from './memset.ts';

/**
 * How a copy that slept continues: the chunk it was reading (`chunkAt`, from the start of the copy),
 * the reader's own continuation, and the chunk buffer (the kernel's stack buffer survives the sleep:
 * the bytes of the chunk read before it are in it). Only a FILE source sleeps.
 */
export interface ChunkResume {
  readonly chunkAt: bigint;
  readonly inner: unknown;
  readonly buf?: Uint8Array;
}

function isChunkResume(x: unknown): x is ChunkResume {
  return typeof x === 'object' && x !== null && 'chunkAt' in x && 'inner' in x;
}

/**
 * Take this call's continuation off `k.resume` (the reader below must not see it as its own): the
 * chunk to start from, and the reader's continuation to restore just before that chunk is read.
 */
export function takeChunkResume(k: Kern): ChunkResume | undefined {
  const r = k.resume;
  k.resume = undefined;
  return isChunkResume(r) ? r : undefined;
}

/**
 * `bpf_dynptr_copy(dst, dst_off, src, src_off, size)` (kernel/bpf/helpers.c, 6.15). Both slices are
 * taken first (`bpf_dynptr_slice` of src and `bpf_dynptr_slice_rdwr` of dst, no buffer); then one of
 * four paths. A FILE source goes through the FILE read path (`__bpf_dynptr_read`), in the chunks.
 */
export const bpf_dynptr_copy = defineKfunc({
  name: 'bpf_dynptr_copy',
  mirrors: 'kernel/bpf/helpers.c: bpf_dynptr_copy',
  kind: 'kfunc',
  since: '6.18', // in the kernel since 6.15 (offsets and size u32 until 6.18, u64 from 6.19)
  summary: 'Copy `size` bytes from the dynptr `src` at `src_off` to the dynptr `dst` at `dst_off`.',
  args: [
    { name: 'dst_ptr', type: 'dynptr' },
    { name: 'dst_off', type: 'dsize' },
    { name: 'src_ptr', type: 'dynptr' },
    { name: 'src_off', type: 'dsize' },
    { name: 'size', type: 'dsize' },
  ],
  ret: 'int',
  flags: [],
  checks: [
    'both ranges have direct slices (src: bpf_dynptr_slice, dst: bpf_dynptr_slice_rdwr, no buffer) → memmove, 0',
    'only src has one → __bpf_dynptr_write(dst, dst_off, slice, size, 0): dst null or read-only -EINVAL, bounds -E2BIG, the kind\'s errors',
    'only dst has one → __bpf_dynptr_read(slice, size, src, src_off, 0): src null -EINVAL, bounds -E2BIG, the kind\'s errors (a FILE source is fetched straight into dst)',
    'neither: dst or src range out of bounds → -E2BIG (null dynptrs have size 0: -E2BIG for a non-empty range, 0 for an empty one)',
    'then 256-byte chunks: read from src (its error returned), write to dst (its error returned, e.g. -EINVAL for a read-only dst after the first chunk was read); earlier chunks stay copied',
  ],
  effects: ['dst receives the bytes'],
  confidence: 'H (source, 6.15 series and the 6.19 widening)',
  impl(k, dstSlot, dstOff, srcSlot, srcOff, size) {
    const resume = takeChunkResume(k);
    const dst = dynptrAt(k, dstSlot, 'dst_ptr');
    const src = dynptrAt(k, srcSlot, 'src_ptr');
    const srcArgs = { dynptr: 'src_ptr', mem: 'src_ptr' };
    const dstArgs = { dynptr: 'dst_ptr', mem: 'dst_ptr' };
    const s0 = dynptrSlice(k, src, srcOff, null, size, false, srcArgs);
    const srcSlice = s0 instanceof Sleep ? null : s0;
    const dstSlice = directRdwr(k, dst, dstOff, size, 'dst_ptr');
    if (srcSlice !== null && dstSlice !== null) {
      dstSlice.set(srcSlice.subarray(0, Number(size)));
      return 0;
    }
    if (srcSlice !== null) return dynptrWrite(k, dst, dstOff, srcSlice, size, 0n, dstArgs);
    if (dstSlice !== null) {
      k.resume = resume?.inner;
      const r = dynptrRead(k, dstSlice, size, src, srcOff, 0n, srcArgs);
      return r instanceof Sleep ? new Sleep(r.wait, { chunkAt: 0n, inner: r.resume } satisfies ChunkResume) : r;
    }
    if (checkOffLen(sizeOrZero(k, dst, 'dst_ptr'), dstOff, size) !== 0 || checkOffLen(sizeOrZero(k, src, 'src_ptr'), srcOff, size) !== 0) return -E2BIG;
    const buf = resume?.buf ?? new Uint8Array(size < BigInt(CHUNK) ? Number(size) : CHUNK);
    for (let off = resume?.chunkAt ?? 0n; off < size;) {
      const chunk = size - off < BigInt(CHUNK) ? size - off : BigInt(CHUNK);
      if (resume !== undefined && off === resume.chunkAt) k.resume = resume.inner;
      const r = dynptrRead(k, buf, chunk, src, srcOff + off, 0n, srcArgs);
      k.resume = undefined;
      if (r instanceof Sleep) return new Sleep(r.wait, { chunkAt: off, inner: r.resume, buf: buf.slice() } satisfies ChunkResume);
      if (r !== 0) return r;
      const w = dynptrWrite(k, dst, dstOff + off, buf, chunk, 0n, dstArgs);
      if (w !== 0) return w;
      off += chunk;
    }
    return 0;
  },
});
