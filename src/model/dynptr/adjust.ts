import { EINVAL, ERANGE } from '../kernel/errno.ts';
import { defineKfunc } from '../kfunc/kfunc.ts';
import { rebound } from './types.ts';
import { dynptrAt, dynptrSize, fileStateOf } from './core.ts';

/**
 * `bpf_dynptr_adjust` (kernel/bpf/helpers.c: `bpf_dynptr_adjust`, `bpf_dynptr_advance_offset`,
 * `bpf_dynptr_set_size`): narrow the dynptr to `[start, end)` of its current view.
 */
export const bpf_dynptr_adjust = defineKfunc({
  name: 'bpf_dynptr_adjust',
  mirrors: 'kernel/bpf/helpers.c: bpf_dynptr_adjust',
  kind: 'kfunc',
  since: '6.18',
  summary: 'Advance the offset by `start` and set the size to `end - start`.',
  args: [
    { name: 'p', type: 'dynptr' },
    { name: 'start', type: 'dsize' },
    { name: 'end', type: 'dsize' },
  ],
  ret: 'int',
  flags: [],
  checks: [
    'p null → -EINVAL',
    'start > end → -EINVAL (bpf_dynptr_adjust tests start > end before the range, so also when end > size)',
    'start > size or end > size → -ERANGE',
  ],
  effects: [
    'offset += start; size = end - start',
    'FILE: in the 64-bit state shared with clones, so a clone moves too',
    'every other kind: in the dynptr itself (a clone keeps its own bounds); the kind and read-only bit stay',
  ],
  confidence: 'H (source; both tiers agree on 6.18 and 7.2)',
  impl(k, p, start, end) {
    const d = dynptrAt(k, p, 'p');
    if (d.kind === 'null') return -EINVAL;
    if (start > end) return -EINVAL;
    const size = dynptrSize(k, d, 'p');
    if (start > size || end > size) return -ERANGE;
    if (d.kind === 'file') {
      const st = fileStateOf(k, d, 'p');
      k.t.own('fileStates').set(st.id, st.with({ offset: st.offset + start, size: end - start }));
    } else {
      // The type and read-only bits stay (bpf_dynptr_set_size keeps the metadata bits); SKB and XDP
      // offsets stay relative to the packet's start.
      k.t.own('dynptrs').set(p, rebound(d, d.offset + Number(start), Number(end - start)));
    }
    return 0;
  },
});
