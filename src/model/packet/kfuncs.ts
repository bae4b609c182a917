/** The packet helpers (net/core/filter.c), registered under their kernel names. */
import { registerKfuncs } from '../kfunc/registry.ts';
import { bpf_skb_pull_data, bpf_xdp_adjust_head } from './helpers.ts';

export const PACKET_KFUNCS = registerKfuncs({ bpf_skb_pull_data, bpf_xdp_adjust_head });

type PacketKfuncs = typeof PACKET_KFUNCS;
declare module '../kfunc/registry.ts' {
  interface KfuncRegistry extends PacketKfuncs {}
}
