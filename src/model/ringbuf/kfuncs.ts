/** The ring buffer helpers that do not use dynptrs (kernel/bpf/ringbuf.c), registered under their kernel names. */
import { registerKfuncs } from '../kfunc/registry.ts';
import { bpf_ringbuf_discard, bpf_ringbuf_output, bpf_ringbuf_query, bpf_ringbuf_reserve, bpf_ringbuf_submit } from './helpers.ts';

export const RINGBUF_KFUNCS = registerKfuncs({ bpf_ringbuf_reserve, bpf_ringbuf_submit, bpf_ringbuf_discard, bpf_ringbuf_output, bpf_ringbuf_query });

type RingbufKfuncs = typeof RINGBUF_KFUNCS;
declare module '../kfunc/registry.ts' {
  interface KfuncRegistry extends RingbufKfuncs {}
}
