/**
 * Reads, writes and slices of a RINGBUF dynptr (kernel/bpf/helpers.c `__bpf_dynptr_read`,
 * `__bpf_dynptr_write`, `bpf_dynptr_slice`, `bpf_dynptr_data`: the RINGBUF cases are the LOCAL ones,
 * a `memmove` at `data + offset`). The memory is the reserved record's sample (ringbuf/ring.ts).
 */
import { sampleOf, sampleToWrite } from '../../ringbuf/ring.ts';
import type { Kern } from '../../world/world.ts';
import type { RingbufDynptr } from '../types.ts';

/** Copy `len` bytes at `pos` (dynptr offset included) of the record into `dst`. */
export function ringbufRead(k: Kern, d: RingbufDynptr, pos: number, dst: Uint8Array | null, len: number, argument: string): void {
  const s = sampleOf(k, d.map, d.rec, argument);
  if (len > 0 && dst !== null) dst.set(s.subarray(pos, pos + len));
}

/** Copy `len` bytes of `src` into the record at `pos`. */
export function ringbufWrite(k: Kern, d: RingbufDynptr, pos: number, src: Uint8Array | null, len: number, argument: string): void {
  if (len === 0 || src === null) {
    sampleOf(k, d.map, d.rec, argument);
    return;
  }
  sampleToWrite(k, d.map, d.rec, argument).set(src.subarray(0, len), pos);
}

/** A view of `[pos, pos + len)` of the record: read-only use, or writable (its memory made this transition's own). */
export function ringbufView(k: Kern, d: RingbufDynptr, pos: number, len: number, writable: boolean, argument: string): Uint8Array {
  const s = writable ? sampleToWrite(k, d.map, d.rec, argument) : sampleOf(k, d.map, d.rec, argument);
  return s.subarray(pos, pos + len);
}
