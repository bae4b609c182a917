/** Direct access to dynptr memory: slice, slice_rdwr and data (kernel/bpf/helpers.c). */
import { defineKfunc } from '../kfunc/kfunc.ts';
import type { Kern } from '../world/world.ts';
import type { Sleep } from '../fs/io.ts';
import { checkOffLen, dynptrAt, dynptrRdonly, dynptrSize, fileStateOf, requireCapacity } from './core.ts';
import { fileFetch } from './file/freader.ts';

/** The body both slices share, after their own first checks. */
function slice(k: Kern, p: string, offset: bigint, buffer: Uint8Array | null, len: bigint): Uint8Array | null | Sleep {
  const d = dynptrAt(k, p, 'p');
  if (d.kind === 'null') return null;
  if (checkOffLen(dynptrSize(k, d, 'p'), offset, len) !== 0) return null;
  if (d.kind === 'local') {
    const from = d.offset + Number(offset);
    return d.data.subarray(from, from + Number(len));
  }
  if (buffer === null) return null;
  requireCapacity(buffer, len, 'buffer__opt');
  const st = fileStateOf(k, d, 'p');
  const r = fileFetch(k, st, st.offset + offset, len, buffer, 'p');
  if (typeof r === 'number') return r === 0 ? buffer : null;
  return r;
}

/** `bpf_dynptr_slice`: a read-only view, or for FILE the bytes copied into `buffer__opt`. */
export const bpf_dynptr_slice = defineKfunc({
  name: 'bpf_dynptr_slice',
  mirrors: 'kernel/bpf/helpers.c: bpf_dynptr_slice, bpf_file_fetch_bytes',
  kind: 'kfunc',
  since: '6.18',
  summary: 'A pointer to `buffer__szk` bytes at `offset`: into the memory (LOCAL) or into the buffer (FILE).',
  args: [
    { name: 'p', type: 'dynptr' },
    { name: 'offset', type: 'dsize' },
    { name: 'buffer__opt', type: 'mem_or_null', out: true },
    { name: 'buffer__szk', type: 'dsize' },
  ],
  ret: 'ptr',
  flags: ['KF_RET_NULL'],
  checks: [
    'p null → NULL',
    'buffer__szk > size or offset > size - buffer__szk → NULL',
    'FILE: buffer NULL → NULL; any reader error (-EFAULT, -EIO) → NULL',
  ],
  effects: ['LOCAL: a view of the dynptr memory; FILE: the bytes are copied into buffer__opt, which is returned'],
  confidence: 'H (source)',
  impl(k, p, offset, buffer, len) {
    return slice(k, p, offset, buffer, len);
  },
});

/** `bpf_dynptr_slice_rdwr`: as slice, but NULL for a read-only dynptr (every FILE dynptr). */
export const bpf_dynptr_slice_rdwr = defineKfunc({
  name: 'bpf_dynptr_slice_rdwr',
  mirrors: 'kernel/bpf/helpers.c: bpf_dynptr_slice_rdwr',
  kind: 'kfunc',
  since: '6.18',
  summary: 'A writable pointer to `buffer__szk` bytes at `offset`, or NULL.',
  args: [
    { name: 'p', type: 'dynptr' },
    { name: 'offset', type: 'dsize' },
    { name: 'buffer__opt', type: 'mem_or_null', out: true },
    { name: 'buffer__szk', type: 'dsize' },
  ],
  ret: 'ptr',
  flags: ['KF_RET_NULL'],
  checks: ['p null or read-only → NULL', 'then as bpf_dynptr_slice'],
  effects: ['LOCAL: a writable view of the dynptr memory'],
  confidence: 'H (source)',
  impl(k, p, offset, buffer, len) {
    const d = dynptrAt(k, p, 'p');
    if (d.kind === 'null' || dynptrRdonly(d)) return null;
    return slice(k, p, offset, buffer, len);
  },
});

/** `bpf_dynptr_data`: a direct pointer into a writable dynptr's memory; never for FILE. */
export const bpf_dynptr_data = defineKfunc({
  name: 'bpf_dynptr_data',
  mirrors: 'kernel/bpf/helpers.c: bpf_dynptr_data',
  kind: 'helper',
  since: '6.18',
  summary: 'A pointer to `len` bytes at `offset` of the dynptr memory, or NULL.',
  args: [
    { name: 'p', type: 'dynptr' },
    { name: 'offset', type: 'dsize' },
    { name: 'len', type: 'dsize' },
  ],
  ret: 'ptr',
  flags: [],
  checks: [
    'p null → NULL',
    'len > size or offset > size - len → NULL',
    'read-only (every FILE dynptr) → NULL',
  ],
  effects: ['none; the pointer aliases the dynptr memory'],
  confidence: 'H (source); argument width widened with the others from 6.19 (M)',
  impl(k, p, offset, len) {
    const d = dynptrAt(k, p, 'p');
    if (d.kind === 'null') return null;
    if (checkOffLen(dynptrSize(k, d, 'p'), offset, len) !== 0) return null;
    if (d.kind !== 'local' || d.rdonly) return null;
    const from = d.offset + Number(offset);
    return d.data.subarray(from, from + Number(len));
  },
});
