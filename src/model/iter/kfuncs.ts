/** The open-coded iterator kfuncs, registered under their kernel names. */
import { registerKfuncs } from '../kfunc/registry.ts';
import { bpf_iter_num_destroy, bpf_iter_num_new, bpf_iter_num_next } from './num.ts';

export const ITER_KFUNCS = registerKfuncs({ bpf_iter_num_new, bpf_iter_num_next, bpf_iter_num_destroy });

type IterKfuncs = typeof ITER_KFUNCS;
declare module '../kfunc/registry.ts' {
  interface KfuncRegistry extends IterKfuncs {}
}
