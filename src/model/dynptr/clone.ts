import { EINVAL } from '../kernel/errno.ts';
import { defineKfunc } from '../kfunc/kfunc.ts';
import { dynptrAt, fileStateOf, setNull, uninitSlot } from './core.ts';
import { sampleOf } from '../ringbuf/ring.ts';

/**
 * `bpf_dynptr_clone` (kernel/bpf/helpers.c): a bitwise copy. A FILE dynptr's data points at its
 * allocated state, so the clone shares it: an adjust through either moves both, and a discard
 * through either frees it for both (the verifier gives clones one reference id). A RINGBUF clone
 * points at the same record: a submit or discard through any of them finishes it for all. SKB, XDP
 * and SKB_META clones see the same packet.
 */
export const bpf_dynptr_clone = defineKfunc({
  name: 'bpf_dynptr_clone',
  mirrors: 'kernel/bpf/helpers.c: bpf_dynptr_clone',
  kind: 'kfunc',
  since: '6.18',
  summary: 'Copy the dynptr `p` into `clone__uninit`.',
  args: [
    { name: 'p', type: 'dynptr' },
    { name: 'clone__uninit', type: 'dynptr_uninit' },
  ],
  ret: 'int',
  flags: [],
  checks: ['p null → -EINVAL, clone__uninit set null'],
  effects: [
    'clone__uninit becomes a copy of p (LOCAL: same memory, own offset and size)',
    'FILE: the copy shares p\'s allocated state (offset, size, reader)',
    'RINGBUF: the copy names the same record (one reference: releasing either releases both); SKB, XDP, SKB_META: the same packet',
  ],
  confidence: 'H (shallow copy in source; no later change found up to 7.x)',
  impl(k, p, clone) {
    const d = dynptrAt(k, p, 'p');
    const slot = uninitSlot(k, clone, 'clone__uninit');
    switch (d.kind) {
      case 'null':
        setNull(k, slot);
        return -EINVAL;
      case 'local':
        // A bitwise copy: the records are never changed in place, so the copy can be the same value.
        k.t.own('dynptrs').set(slot, d);
        return 0;
      case 'file':
        fileStateOf(k, d, 'p');
        k.t.own('dynptrs').set(slot, d);
        return 0;
      case 'ringbuf':
        sampleOf(k, d.map, d.rec, 'p');
        k.t.own('dynptrs').set(slot, d);
        return 0;
      default:
        k.t.own('dynptrs').set(slot, d);
        return 0;
    }
  },
});
