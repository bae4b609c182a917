/** The SKB and SKB_META dynptr constructors (net/core/filter.c), registered under their kernel names. */
import { registerKfuncs } from '../../kfunc/registry.ts';
import { bpf_dynptr_from_skb, bpf_dynptr_from_skb_meta } from './from_skb.ts';

export const SKB_DYNPTR_KFUNCS = registerKfuncs({ bpf_dynptr_from_skb, bpf_dynptr_from_skb_meta });

type SkbDynptrKfuncs = typeof SKB_DYNPTR_KFUNCS;
declare module '../../kfunc/registry.ts' {
  interface KfuncRegistry extends SkbDynptrKfuncs {}
}
