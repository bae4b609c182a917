/** The XDP dynptr constructor (net/core/filter.c: `bpf_dynptr_from_xdp`). */
import { EINVAL } from '../../kernel/errno.ts';
import { defineKfunc } from '../../kfunc/kfunc.ts';
import { xdpOf } from '../../packet/skb.ts';
import { packetLen } from '../../packet/types.ts';
import { setNull, uninitSlot } from '../core.ts';
import { PacketDynptr } from '../types.ts';

export const bpf_dynptr_from_xdp = defineKfunc({
  name: 'bpf_dynptr_from_xdp',
  mirrors: 'net/core/filter.c: bpf_dynptr_from_xdp, xdp_get_buff_len',
  kind: 'kfunc',
  since: '6.18', // in the kernel since 6.4
  progTypes: ['XDP'],
  summary: 'Make an XDP dynptr over the packet of `x`: the linear part from `xdp->data`, then the frags.',
  args: [
    { name: 'x', type: 'xdp_md' },
    { name: 'flags', type: 'u64' },
    { name: 'ptr__uninit', type: 'dynptr_uninit', dynptrKind: 'xdp' },
  ],
  ret: 'int',
  flags: [],
  checks: ['flags ≠ 0 → -EINVAL, ptr__uninit set null'],
  effects: [
    'ptr__uninit becomes a writable XDP dynptr: offset 0 at xdp->data, size xdp_get_buff_len (linear part + frags; the metadata is not included)',
    'accesses at a packet offset or of a length above 0xffff fail with -EFAULT (bpf_xdp_pointer); slices across the linear part and a frag, or between frags, are copies',
  ],
  confidence: 'H (source)',
  impl(k, x, flags, ptr) {
    const slot = uninitSlot(k, ptr, 'ptr__uninit');
    const p = xdpOf(k, x, 'x');
    if (flags !== 0n) {
      setNull(k, slot);
      return -EINVAL;
    }
    k.t.own('dynptrs').set(slot, new PacketDynptr('xdp', x, 0, packetLen(p), false));
    return 0;
  },
});
