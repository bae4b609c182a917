/**
 * Kernel memory a BPF probe may read (mm/maccess.c `copy_from_kernel_nofault`,
 * `strncpy_from_kernel_nofault`; arch/x86/mm/maccess.c `copy_from_kernel_nofault_allowed`). The
 * world holds a few regions of bytes at kernel addresses (`mapKernelMemory`); every other kernel
 * address faults, as an unmapped one does.
 *
 * `copy_from_kernel_nofault_allowed` (arch/x86/mm/maccess.c, read in 7.2.13): a start address in
 * user space (below `TASK_SIZE_MAX + PAGE_SIZE`), a non-canonical one (4-level paging: 48 virtual
 * address bits), or in the vsyscall page is refused with -ERANGE before anything is read.
 */
import { EFAULT, ERANGE } from '../kernel/errno.ts';
import { ArgumentError } from '../kernel/errors.ts';
import { checkKern, type Kern } from '../world/world.ts';

/** `TASK_SIZE_MAX + PAGE_SIZE` with 4-level page tables: `(1 << 47) - 4096 + 4096`. */
const USER_END = 1n << 47n;
/** Canonical kernel addresses start here (bits 63..47 all set). */
const KERNEL_START = 0xffff_8000_0000_0000n;
/** `VSYSCALL_ADDR`: the legacy vsyscall page. */
const VSYSCALL = 0xffff_ffff_ff60_0000n;

/** Map `bytes` at kernel address `addr` (replacing what overlapped). */
export function mapKernelMemory(k: Kern, addr: bigint, bytes: Uint8Array): void {
  checkKern('k', k);
  if (!(bytes instanceof Uint8Array)) throw new ArgumentError('bytes', bytes, 'a Uint8Array');
  if (typeof addr !== 'bigint' || addr < KERNEL_START || addr + BigInt(bytes.length) > 1n << 64n) {
    throw new ArgumentError('addr', addr, 'a canonical kernel address (a bigint from 0xffff800000000000) with room for the bytes');
  }
  if (!(bytes instanceof Uint8Array)) throw new ArgumentError('bytes', bytes, 'a Uint8Array');
  const end = addr + BigInt(bytes.length);
  k.s.kernelMem = [...k.s.kernelMem.filter((r) => r.addr + BigInt(r.bytes.length) <= addr || r.addr >= end), { addr, bytes: bytes.slice() }];
}

/** `copy_from_kernel_nofault_allowed`: false for user, non-canonical and vsyscall addresses. */
export function kernelReadAllowed(addr: bigint): boolean {
  if (addr < USER_END) return false;
  if (addr < KERNEL_START) return false;
  return !(addr >= VSYSCALL && addr < VSYSCALL + 4096n);
}

function kernelByte(k: Kern, addr: bigint): number | null {
  for (const r of k.cold.kernelMem) {
    if (addr >= r.addr && addr < r.addr + BigInt(r.bytes.length)) return r.bytes[Number(addr - r.addr)] ?? 0;
  }
  return null;
}

/** The load sizes of `copy_from_kernel_nofault` on x86-64, in the order it tries them. */
const LOADS = [8, 4, 2, 1] as const;

/**
 * `copy_from_kernel_nofault(dst, src, size)`: 0, -ERANGE, or -EFAULT. x86-64 selects
 * HAVE_EFFICIENT_UNALIGNED_ACCESS, so no alignment is asked: 8-byte loads (`__get_kernel_nofault`)
 * while 8 or more bytes remain, then one load each of 4, 2 and 1 bytes for what is left. A load
 * that faults ends the copy: dst holds the bytes of the loads before it, none of its own (no byte
 * copy follows, unlike the user copy's tail). A load faults when one of its bytes is not mapped (M:
 * the model's kernel memory is regions of bytes, the kernel's is pages).
 */
export function copyFromKernelNofault(k: Kern, dst: Uint8Array, at: number, src: bigint, size: number): number {
  if (!kernelReadAllowed(src)) return -ERANGE;
  let done = 0;
  for (const n of LOADS) {
    while (size - done >= n) {
      for (let j = 0; j < n; j += 1) if (kernelByte(k, src + BigInt(done + j)) === null) return -EFAULT;
      for (let j = 0; j < n; j += 1) dst[at + done + j] = kernelByte(k, src + BigInt(done + j)) as number;
      done += n;
    }
  }
  return 0;
}

/**
 * `strncpy_from_kernel_nofault(dst, src, count)` (mm/maccess.c, read in 7.2.13): count 0 → 0; a refused
 * address → -ERANGE; 1-byte loads up to and including a NUL, at most `count`, the last byte always made
 * NUL; returns the bytes written (NUL included). A fault → -EFAULT, with a NUL written where the
 * faulting byte would go.
 */
export function strncpyFromKernelNofault(k: Kern, dst: Uint8Array, at: number, src: bigint, count: number): number {
  if (count <= 0) return 0;
  if (!kernelReadAllowed(src)) return -ERANGE;
  let i = 0;
  for (; i < count; i += 1) {
    const b = kernelByte(k, src + BigInt(i));
    if (b === null) {
      dst[at + i] = 0;
      return -EFAULT;
    }
    dst[at + i] = b;
    if (b === 0) return i + 1;
  }
  dst[at + count - 1] = 0;
  return count;
}

/** A read of kernel memory into `dst` at `at`: `copy_from_kernel_nofault` (0 or an errno) or `strncpy_from_kernel_nofault` (the count or an errno). */
export type KernelCopy = (dst: Uint8Array, at: number, src: bigint, size: number) => number;

/**
 * The source of a kernel read (the probe-read helpers and kfuncs): an address (the world's kernel
 * memory, read by `copyFromKernelNofault` / `strncpyFromKernelNofault`), or BPF program memory the
 * program pointed at (a global, the stack: kernel memory too), read from its start with the same
 * rules (byte by byte for the string copy, its last byte of room made NUL); past its end is a fault.
 */
export function kernelSource(k: Kern, src: unknown, str: boolean, argName: string): { addr: bigint; copy: KernelCopy } {
  if (src instanceof Uint8Array) {
    const copy: KernelCopy = (dst, at, a, size) => {
      const from = Number(a);
      for (let i = 0; i < size; i += 1) {
        const b = src[from + i];
        if (b === undefined) {
          if (str) dst[at + i] = 0;
          return -EFAULT;
        }
        dst[at + i] = b;
        if (str && b === 0) return i + 1;
      }
      if (str && size > 0) {
        dst[at + size - 1] = 0;
        return size;
      }
      return 0;
    };
    return { addr: 0n, copy };
  }
  const addr = typeof src === 'bigint' ? BigInt.asUintN(64, src) : typeof src === 'number' && Number.isSafeInteger(src) ? BigInt.asUintN(64, BigInt(src)) : src === null ? 0n : null;
  if (addr === null) throw new ArgumentError(argName, src, 'a kernel address (a bigint) or program memory (a Uint8Array)');
  const copy: KernelCopy = str
    ? (dst, at, a, count) => strncpyFromKernelNofault(k, dst, at, a, count)
    : (dst, at, a, size) => copyFromKernelNofault(k, dst, at, a, size);
  return { addr, copy };
}
