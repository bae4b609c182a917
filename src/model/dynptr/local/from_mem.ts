import { E2BIG, EINVAL } from '../../kernel/errno.ts';
import { defineKfunc } from '../../kfunc/kfunc.ts';
import { LocalDynptr } from '../types.ts';
import { DYNPTR_MAX_SIZE, requireCapacity, setNull, uninitSlot } from '../core.ts';

/** `bpf_dynptr_from_mem` (kernel/bpf/helpers.c): a LOCAL dynptr over program memory. */
export const bpf_dynptr_from_mem = defineKfunc({
  name: 'bpf_dynptr_from_mem',
  mirrors: 'kernel/bpf/helpers.c: bpf_dynptr_from_mem, bpf_dynptr_check_size',
  kind: 'helper',
  since: '6.18',
  summary: 'Make a writable LOCAL dynptr over `size` bytes of `data`.',
  args: [
    { name: 'data', type: 'mem', size: 1 },
    { name: 'size', type: 'dsize' },
    { name: 'flags', type: 'u64' },
    { name: 'ptr', type: 'dynptr_uninit' },
  ],
  ret: 'int',
  flags: [],
  checks: [
    'size > DYNPTR_MAX_SIZE (2^24 - 1) → -E2BIG, ptr set null',
    'flags ≠ 0 → -EINVAL, ptr set null',
  ],
  effects: ['ptr becomes a LOCAL dynptr: offset 0, size `size`, writable'],
  confidence: 'H (source)',
  impl(k, data, size, flags, ptr) {
    const slot = uninitSlot(k, ptr, 'ptr');
    if (size > DYNPTR_MAX_SIZE) {
      setNull(k, slot);
      return -E2BIG;
    }
    if (flags !== 0n) {
      setNull(k, slot);
      return -EINVAL;
    }
    requireCapacity(data, size, 'data');
    k.t.own('dynptrs').set(slot, new LocalDynptr(data, 0, Number(size), false));
    return 0;
  },
});
