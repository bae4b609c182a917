/** The formatted-output helpers, registered under their kernel names. */
import { registerKfuncs } from '../kfunc/registry.ts';
import { bpf_snprintf, bpf_trace_printk, bpf_trace_vprintk } from './helpers.ts';

export const BPRINTF_KFUNCS = registerKfuncs({ bpf_snprintf, bpf_trace_printk, bpf_trace_vprintk });

type BprintfKfuncs = typeof BPRINTF_KFUNCS;
declare module '../kfunc/registry.ts' {
  interface KfuncRegistry extends BprintfKfuncs {}
}
