/**
 * The shape the copying helpers share (kernel/trace/bpf_trace.c `bpf_probe_read_{user,kernel}[_str]_common`;
 * kernel/bpf/helpers.c `bpf_copy_from_user`, `bpf_copy_from_user_task`): the verifier pairs `dst` with
 * `size`, so dst holds size bytes; a copy that fails (a negative result) leaves all size bytes of dst
 * zeroed, whatever it had copied.
 */
import { ArgumentError } from '../kernel/errors.ts';

/** Run `copy` over the first `size` bytes of `dst`; on a negative result zero them. */
export function zeroedOnError(dst: Uint8Array, size: number | bigint, copy: (n: number) => number): number {
  const n = Number(size);
  if (dst.length < n) throw new ArgumentError('dst', dst, `a buffer of at least ${n} bytes (the verifier pairs it with size)`);
  const ret = copy(n);
  if (ret < 0) dst.fill(0, 0, n);
  return ret;
}
