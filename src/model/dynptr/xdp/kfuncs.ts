/** The XDP dynptr constructor (net/core/filter.c), registered under its kernel name. */
import { registerKfuncs } from '../../kfunc/registry.ts';
import { bpf_dynptr_from_xdp } from './from_xdp.ts';

export const XDP_DYNPTR_KFUNCS = registerKfuncs({ bpf_dynptr_from_xdp });

type XdpDynptrKfuncs = typeof XDP_DYNPTR_KFUNCS;
declare module '../../kfunc/registry.ts' {
  interface KfuncRegistry extends XdpDynptrKfuncs {}
}
