/** Constructors the selftest translations share (the C idioms of the selftests as program ops). */
import { program as P, type Arg, type Op } from '../src/index.ts';

export const { r, imm, NULL, dynptr, buf, glob, addr, map, tw, cb, call, mov, alu, ld, st, memcpy, memset, label, goto, ret, when, local, storeAt, store, atomicAdd, ctxPtr, ctxFile, FP, field } = P;

/** -ENOENT, -EINVAL, -E2BIG, -EFAULT, -EACCES as C writes them. */
export const ENOENT = -2;
export const EINVAL = -22;
export const E2BIG = -7;
export const EFAULT = -14;
export const EACCES = -13;
export const SK_DROP = 0;
export const SK_PASS = 1;
export const XDP_DROP = 1;
export const XDP_PASS = 2;

export const ringbufReserve = (size: Arg, slot: Arg, dst?: string, flags: Arg = imm(0)): Op => call('bpf_ringbuf_reserve_dynptr', [map('ringbuf'), size, flags, slot], dst);
export const ringbufSubmit = (slot: Arg): Op => call('bpf_ringbuf_submit_dynptr', [slot, imm(0)]);
export const ringbufDiscard = (slot: Arg): Op => call('bpf_ringbuf_discard_dynptr', [slot, imm(0)]);
export const dynptrData = (slot: Arg, off: number | Arg, len: number | Arg, dst: string): Op => call('bpf_dynptr_data', [slot, typeof off === 'number' ? imm(off) : off, typeof len === 'number' ? imm(len) : len], dst);
export const dynptrRead = (dst: Arg, len: number | Arg, src: Arg, off: number | Arg = 0, to?: string): Op => call('bpf_dynptr_read', [dst, typeof len === 'number' ? imm(len) : len, src, typeof off === 'number' ? imm(off) : off, imm(0)], to);
export const dynptrWrite = (dst: Arg, off: number | Arg, src: Arg, len: number | Arg, to?: string): Op => call('bpf_dynptr_write', [dst, typeof off === 'number' ? imm(off) : off, src, typeof len === 'number' ? imm(len) : len, imm(0)], to);

/** `if ((bpf_get_current_pid_tgid() >> 32) != pid) goto out` (the selftests' pid filter). */
export function pidFilter(out: string, pidGlobal = 'pid'): Op[] {
  return [call('bpf_get_current_pid_tgid', [], 'pt'), alu('rsh', 'pt', imm(32)), mov('pg', glob(pidGlobal)), goto(out, when('pt', '!=', r('pg')))];
}

/** Unique label names for inlined helpers. */
export function labels(prefix: string): (name: string) => string {
  return (name) => `${prefix}_${name}`;
}
