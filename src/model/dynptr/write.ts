import { EINVAL } from '../kernel/errno.ts';
import { defineKfunc } from '../kfunc/kfunc.ts';
import { checkOffLen, dynptrAt, dynptrSize, optionalCapacity } from './core.ts';

/** `bpf_dynptr_write` (kernel/bpf/helpers.c: `__bpf_dynptr_write`). */
export const bpf_dynptr_write = defineKfunc({
  name: 'bpf_dynptr_write',
  mirrors: 'kernel/bpf/helpers.c: __bpf_dynptr_write',
  kind: 'helper',
  since: '6.18',
  summary: 'Copy `len` bytes of `src` into the dynptr `dst` at `offset`.',
  args: [
    { name: 'dst', type: 'dynptr' },
    { name: 'offset', type: 'dsize' },
    { name: 'src', type: 'mem_or_null' },
    { name: 'len', type: 'dsize' },
    { name: 'flags', type: 'u64' },
  ],
  ret: 'int',
  flags: [],
  checks: [
    'dst null or read-only → -EINVAL (so every FILE write is -EINVAL; the verifier accepts it)',
    'len > size or offset > size - len → -E2BIG',
    'LOCAL: flags ≠ 0 → -EINVAL (checked after the bounds)',
  ],
  effects: ['the bytes are copied into the memory under dst (memmove)'],
  confidence: 'H (null/rdonly, bounds: source; FILE -EINVAL observed); M (flags after bounds, from the per-type switch)',
  impl(k, dst, offset, src, len, flags) {
    const d = dynptrAt(k, dst, 'dst');
    // Null, or read-only: every FILE dynptr is read-only (__bpf_dynptr_is_rdonly).
    if (d.kind !== 'local' || d.rdonly) return -EINVAL;
    const err = checkOffLen(dynptrSize(k, d, 'dst'), offset, len);
    if (err !== 0) return err;
    if (flags !== 0n) return -EINVAL;
    const n = optionalCapacity(src, len, 'src');
    if (n > 0 && src !== null) d.data.set(src.subarray(0, n), d.offset + Number(offset));
    return 0;
  },
});
