/** The RINGBUF dynptr helpers (kernel/bpf/ringbuf.c), registered under their kernel names. */
import { registerKfuncs } from '../../kfunc/registry.ts';
import { bpf_ringbuf_discard_dynptr, bpf_ringbuf_reserve_dynptr, bpf_ringbuf_submit_dynptr } from './reserve.ts';

export const RINGBUF_DYNPTR_KFUNCS = registerKfuncs({ bpf_ringbuf_reserve_dynptr, bpf_ringbuf_submit_dynptr, bpf_ringbuf_discard_dynptr });

type RingbufDynptrKfuncs = typeof RINGBUF_DYNPTR_KFUNCS;
declare module '../../kfunc/registry.ts' {
  interface KfuncRegistry extends RingbufDynptrKfuncs {}
}
