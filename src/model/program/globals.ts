/**
 * Globals as the loaded object holds them: every global is bytes (its `.bss`/`.data`/`.rodata`
 * slice), little-endian like the BPF target. Scalars (`int`, `__u32`, `__u64`) are read and written
 * through their C type: a store to an `int` keeps the low 32 bits, a read sign-extends them.
 */
import type { GlobalDecl } from './program.ts';

export function globalSize(g: GlobalDecl): number {
  switch (g.kind) {
    case 'int': case 'u32': return 4;
    case 'u64': return 8;
    case 'bytes': return g.size;
    case 'u64s': return g.size * 8;
  }
}

export function isScalarGlobal(g: GlobalDecl): g is Extract<GlobalDecl, { kind: 'int' | 'u32' | 'u64' }> {
  return g.kind === 'int' || g.kind === 'u32' || g.kind === 'u64';
}

/** Read `size` bytes at `at` as an unsigned little-endian integer. */
export function readLE(bytes: Uint8Array, at: number, size: number): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i -= 1) v = (v << 8n) | BigInt(bytes[at + i] ?? 0);
  return v;
}

/** Write the low `size` bytes of `v` at `at`, little-endian. */
export function writeLE(bytes: Uint8Array, at: number, size: number, v: bigint): void {
  let x = BigInt.asUintN(size * 8, v);
  for (let i = 0; i < size; i += 1) {
    bytes[at + i] = Number(x & 0xffn);
    x >>= 8n;
  }
}

/**
 * The u32 at `at`, little-endian, as a number. By its bytes, not through a `DataView`: a small
 * array is in V8's heap, and its `buffer` moves its bytes out first (some 0.4 µs, bench/README.md
 * "Cases, stop 61").
 */
export function readU32LE(bytes: Uint8Array, at: number): number {
  return ((bytes[at] as number) | ((bytes[at + 1] as number) << 8) | ((bytes[at + 2] as number) << 16) | ((bytes[at + 3] as number) << 24)) >>> 0;
}

/** Write the u32 `v` (taken modulo 2^32) at `at`, little-endian (as `readU32LE`, by its bytes). */
export function writeU32LE(bytes: Uint8Array, at: number, v: number): void {
  bytes[at] = v;
  bytes[at + 1] = v >>> 8;
  bytes[at + 2] = v >>> 16;
  bytes[at + 3] = v >>> 24;
}

/** The bytes a global starts with (`init`, else zeros). */
export function initialBytes(g: GlobalDecl): Uint8Array {
  const bytes = new Uint8Array(globalSize(g));
  if (isScalarGlobal(g)) {
    if (g.init !== undefined) writeLE(bytes, 0, bytes.length, BigInt(g.init));
  } else if (g.kind === 'bytes' && g.init !== undefined) {
    bytes.set((typeof g.init === 'string' ? new TextEncoder().encode(g.init) : Uint8Array.from(g.init)).subarray(0, bytes.length));
  }
  return bytes;
}

/** A scalar global's value as its C type reads it (`int` sign-extended). */
export function scalarValue(g: GlobalDecl, bytes: Uint8Array): bigint {
  const v = readLE(bytes, 0, bytes.length);
  return g.kind === 'int' ? BigInt.asIntN(32, v) : v;
}

/** What user space reads through the skeleton: a scalar's value, or the bytes. */
export function globalValue(g: GlobalDecl, bytes: Uint8Array): bigint | Uint8Array {
  return isScalarGlobal(g) ? scalarValue(g, bytes) : bytes;
}
