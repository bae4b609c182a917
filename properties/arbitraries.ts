/**
 * Pure generators for the kernsim property suite. Nothing here touches the model: every value is
 * plain data (numbers, bigints, small records), so a failure prints readably and shrinks.
 *
 * Integer arguments are generated *symbolically* where their interesting values depend on a size
 * known only when the operation runs (the dynptr's current size after earlier adjusts, the file's
 * size): `{ sym: 'size+1' }` is resolved by `resolveU64` against that size. Choices use
 * `fc.constantFrom` / `fc.integer` so that fast-check shrinks towards the first (simplest) choice.
 */
import fc from 'fast-check';

export const PAGE = 4096n;
export const U64_MAX = (1n << 64n) - 1n;
export const S64_MAX = (1n << 63n) - 1n;
/** The largest read/slice length a test actually issues (the verifier pairs a buffer with the length). */
export const MAX_IO_LEN = 4n * PAGE + 3n;

// ---------------------------------------------------------------------------------------------
// File sizes and contents
// ---------------------------------------------------------------------------------------------

/** Sizes at the page edges and the selftest's 256000, plus small random sizes. */
export const smallFileSize: fc.Arbitrary<bigint> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(0n, 1n, 4095n, 4096n, 4097n, 8191n, 8192n, 8193n, 3n * PAGE, 3n * PAGE + 1n, 5n * PAGE - 1n, 256000n) },
  { weight: 2, arbitrary: fc.bigInt(0n, 6n * PAGE) },
);

/** Huge sparse sizes up to 2^63 - 1 (`loff_t`); only pattern or zero content makes sense for them. */
export const hugeFileSize: fc.Arbitrary<bigint> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(1n << 32n, (1n << 32n) + 1n, (1n << 34n) + 3n, 1n << 40n, S64_MAX - PAGE, S64_MAX - 1n, S64_MAX) },
  { weight: 1, arbitrary: fc.bigInt(1n << 32n, S64_MAX) },
);

export const fileSize: fc.Arbitrary<bigint> = fc.oneof({ weight: 3, arbitrary: smallFileSize }, { weight: 1, arbitrary: hugeFileSize });

/**
 * What a file holds: a seeded pattern (`content.pattern(seed)`), bytes held by the test (filled from
 * `seed` by `fillBytes`), or zeros.
 */
export type ContentSpec =
  | { readonly kind: 'pattern'; readonly seed: number }
  | { readonly kind: 'bytes'; readonly seed: number }
  | { readonly kind: 'zero' };

export interface FileSpec {
  readonly size: bigint;
  readonly content: ContentSpec;
  /** A secretmem mapping (reads refuse it with -EFAULT). */
  readonly secretmem: boolean;
}

const BYTES_LIMIT = 256000n;

export function fileSpecOf(size: bigint, kind: 'pattern' | 'bytes' | 'zero', seed: number, secretmem = false): FileSpec {
  // A test-held array only for sizes an array can hold cheaply; huge files use the pattern.
  const content: ContentSpec = kind === 'zero' ? { kind: 'zero' } : kind === 'bytes' && size <= BYTES_LIMIT ? { kind: 'bytes', seed } : { kind: 'pattern', seed };
  return { size, content, secretmem };
}

/** A file: size biased to edges, mostly pattern content (distinct bytes catch offset errors). */
export const fileSpec: fc.Arbitrary<FileSpec> = fc
  .tuple(fileSize, fc.constantFrom('pattern' as const, 'bytes' as const, 'zero' as const), fc.integer({ min: 0, max: 0xffff_ffff }))
  .map(([size, kind, seed]) => fileSpecOf(size, kind, seed));

/** As `fileSpec`, with an occasional secretmem mapping. */
export const fileSpecMaybeSecret: fc.Arbitrary<FileSpec> = fc
  .tuple(fileSpec, fc.integer({ min: 0, max: 15 }))
  .map(([f, r]) => (r === 0 ? { ...f, secretmem: true } : f));

/** The test-held bytes of a `bytes` file (deterministic from the seed; cheap to build). */
export function fillBytes(seed: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = (seed ^ 0x9e3779b9) >>> 0;
  for (let i = 0; i < size; i += 4) {
    // xorshift32: a different generator from the model's pattern, so the two cannot agree by accident.
    // Each state gives four bytes, low byte first.
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
    if (i + 1 < size) out[i + 1] = (x >>> 8) & 0xff;
    if (i + 2 < size) out[i + 2] = (x >>> 16) & 0xff;
    if (i + 3 < size) out[i + 3] = x >>> 24;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// u64 arguments, biased to the edges of a size
// ---------------------------------------------------------------------------------------------

/** Edge values; `size` is the size the value is compared with, `len` the length of the same call. */
export const U64_SYMS = [
  '0', '1', '2',
  'size-1', 'size', 'size+1', 'size/2',
  'size-len', 'size-len-1', 'size-len+1',
  '4095', '4096', '4097',
  '2^31', '2^32-1', '2^32', '2^32+1', '2^34', '2^63', '2^63-1',
  '2^64-1', '2^64-2', '2^64-size', '2^64-size-1', '2^64-size+1', '2^64-size-len',
] as const;
export type U64Sym = (typeof U64_SYMS)[number];

/** A u64 argument: an edge symbol resolved at call time, or a concrete value. */
export type U64Arg = { readonly sym: U64Sym } | { readonly raw: bigint };

/** u64 values biased to edges, mixed with small values and the full range. */
export const u64Arg: fc.Arbitrary<U64Arg> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...U64_SYMS).map((sym): U64Arg => ({ sym })) },
  { weight: 2, arbitrary: fc.bigInt(0n, 3n * PAGE).map((raw): U64Arg => ({ raw })) },
  { weight: 2, arbitrary: fc.bigInt(0n, U64_MAX).map((raw): U64Arg => ({ raw })) },
);

/** Lengths for reads that really copy bytes: mostly up to a few pages, sometimes any u64 edge. */
export const lenArg: fc.Arbitrary<U64Arg> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(0n, 1n, 2n, 8n, 100n, 4095n, 4096n, 4097n, 8192n, 8193n).map((raw): U64Arg => ({ raw })) },
  { weight: 3, arbitrary: fc.bigInt(0n, MAX_IO_LEN).map((raw): U64Arg => ({ raw })) },
  { weight: 1, arbitrary: u64Arg },
);

/** The value of `a` against `size` (and the call's `len`), modulo 2^64 as C converts it. */
export function resolveU64(a: U64Arg, size: bigint, len = 0n): bigint {
  if ('raw' in a) return BigInt.asUintN(64, a.raw);
  const two64 = 1n << 64n;
  const v = ((): bigint => {
    switch (a.sym) {
      case '0': return 0n;
      case '1': return 1n;
      case '2': return 2n;
      case 'size-1': return size - 1n;
      case 'size': return size;
      case 'size+1': return size + 1n;
      case 'size/2': return size / 2n;
      case 'size-len': return size - len;
      case 'size-len-1': return size - len - 1n;
      case 'size-len+1': return size - len + 1n;
      case '4095': return 4095n;
      case '4096': return 4096n;
      case '4097': return 4097n;
      case '2^31': return 1n << 31n;
      case '2^32-1': return (1n << 32n) - 1n;
      case '2^32': return 1n << 32n;
      case '2^32+1': return (1n << 32n) + 1n;
      case '2^34': return 1n << 34n;
      case '2^63': return 1n << 63n;
      case '2^63-1': return (1n << 63n) - 1n;
      case '2^64-1': return two64 - 1n;
      case '2^64-2': return two64 - 2n;
      case '2^64-size': return two64 - size;
      case '2^64-size-1': return two64 - size - 1n;
      case '2^64-size+1': return two64 - size + 1n;
      case '2^64-size-len': return two64 - size - len;
    }
  })();
  return BigInt.asUintN(64, v);
}

/** Concrete u64 values biased to the edges of a size known when the generator is built. */
export function u64Edge(size: bigint): fc.Arbitrary<bigint> {
  return u64Arg.map((a) => resolveU64(a, size));
}

/** Small read offsets (relative to a dynptr), page edges first. */
export const smallOff: fc.Arbitrary<bigint> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(0n, 1n, 4095n, 4096n, 4097n, 8191n, 8192n) },
  { weight: 2, arbitrary: fc.bigInt(0n, 3n * PAGE) },
);

/** Small read lengths (the bytes are really copied). */
export const smallLen: fc.Arbitrary<bigint> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(0n, 1n, 2n, 100n, 4095n, 4096n, 4097n, 8192n) },
  { weight: 2, arbitrary: fc.bigInt(0n, 3n * PAGE) },
);

/** Offsets into a file of a given size, resolved against it: page edges, EOF edges, word edges. */
export const FILE_OFF_SYMS = [
  '0', '1', '4095', '4096', '4097',
  'eof-1', 'eof', 'eof+1', 'eof-4096', 'eof-4097', 'eofpage', 'eofpage-1', 'eofpage+4096',
  '2^32-1', '2^32', '2^34-2', '2^34', '2^35-3', '2^40-1', 'frac',
] as const;
export type FileOffSym = (typeof FILE_OFF_SYMS)[number];
export interface FileOffArg {
  readonly sym: FileOffSym;
  /** For 'frac': the position as a fraction of the size, in 1/2^20. */
  readonly frac: number;
}

export const fileOffArg: fc.Arbitrary<FileOffArg> = fc.record({
  sym: fc.constantFrom(...FILE_OFF_SYMS),
  frac: fc.integer({ min: 0, max: 1 << 20 }),
});

/** A file offset (never negative, at most 2^64 - 1). */
export function resolveFileOff(a: FileOffArg, size: bigint): bigint {
  const eofPage = (size / PAGE) * PAGE;
  const v = ((): bigint => {
    switch (a.sym) {
      case '0': return 0n;
      case '1': return 1n;
      case '4095': return 4095n;
      case '4096': return 4096n;
      case '4097': return 4097n;
      case 'eof-1': return size - 1n;
      case 'eof': return size;
      case 'eof+1': return size + 1n;
      case 'eof-4096': return size - 4096n;
      case 'eof-4097': return size - 4097n;
      case 'eofpage': return eofPage;
      case 'eofpage-1': return eofPage - 1n;
      case 'eofpage+4096': return eofPage + 4096n;
      case '2^32-1': return (1n << 32n) - 1n;
      case '2^32': return 1n << 32n;
      case '2^34-2': return (1n << 34n) - 2n;
      case '2^34': return 1n << 34n;
      // Pattern words are indexed by a (hi, lo) pair of 32-bit halves: hi changes every 2^34 bytes.
      case '2^35-3': return (1n << 35n) - 3n;
      case '2^40-1': return (1n << 40n) - 1n;
      case 'frac': return (size * BigInt(a.frac)) >> 20n;
    }
  })();
  return v < 0n ? 0n : v;
}

// ---------------------------------------------------------------------------------------------
// Cache states
// ---------------------------------------------------------------------------------------------

/**
 * Which of `n` consecutive pages (relative to some base page) are cached: cold, warm, or warm with
 * holes. A sorted array of relative page indices.
 */
export function cacheState(n: number): fc.Arbitrary<readonly number[]> {
  const all = Array.from({ length: n }, (_, i) => i);
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant<readonly number[]>([]) },
    { weight: 1, arbitrary: fc.constant<readonly number[]>(all) },
    { weight: 3, arbitrary: fc.subarray(all) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: n - 1 }).map((hole) => all.filter((p) => p !== hole)) },
  );
}

/** Injected I/O errors on `n` consecutive pages: page → how many next reads fail. */
export function ioFaults(n: number): fc.Arbitrary<ReadonlyArray<readonly [number, number]>> {
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant<ReadonlyArray<readonly [number, number]>>([]) },
    { weight: 3, arbitrary: fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: n - 1 }), fc.integer({ min: 1, max: 2 })), { maxLength: 3, selector: (t) => t[0] }) },
  );
}

// ---------------------------------------------------------------------------------------------
// LOCAL dynptrs
// ---------------------------------------------------------------------------------------------

/** LOCAL sizes: edges, small random, and sizes over DYNPTR_MAX_SIZE (constructor refuses them). */
export const localSize: fc.Arbitrary<bigint> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(0n, 1n, 2n, 15n, 16n, 4095n, 4096n, 4097n, 8192n) },
  { weight: 2, arbitrary: fc.bigInt(0n, 9000n) },
);
/** Sizes `bpf_dynptr_from_mem` must refuse with -E2BIG (no buffer is needed: the check is first). */
export const oversizedLocal: fc.Arbitrary<bigint> = fc.constantFrom(1n << 24n, (1n << 24n) + 1n, 1n << 32n, U64_MAX);

// ---------------------------------------------------------------------------------------------
// Dynptr operation sequences
// ---------------------------------------------------------------------------------------------

export const SLOTS = ['a', 'b', 'c'] as const;
export type Slot = (typeof SLOTS)[number];
/** Mostly the first slot, so most operations act on a dynptr that exists. */
const slot: fc.Arbitrary<Slot> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<Slot>('a') },
  { weight: 2, arbitrary: fc.constant<Slot>('b') },
  { weight: 1, arbitrary: fc.constant<Slot>('c') },
);

export type Op =
  | { readonly op: 'fromFile'; readonly slot: Slot; readonly file: number; readonly sleepable: boolean; readonly flags: number }
  | { readonly op: 'fromMem'; readonly slot: Slot; readonly size: bigint; readonly flags: number }
  | { readonly op: 'read'; readonly slot: Slot; readonly len: U64Arg; readonly off: U64Arg; readonly flags: number }
  | { readonly op: 'adjust'; readonly slot: Slot; readonly start: U64Arg; readonly end: U64Arg }
  | { readonly op: 'clone'; readonly slot: Slot; readonly to: Slot }
  | { readonly op: 'size'; readonly slot: Slot }
  | { readonly op: 'discard'; readonly slot: Slot }
  | { readonly op: 'evict' | 'populate' | 'inject'; readonly file: number; readonly page: number };

/** Mostly flags 0; sometimes a non-zero flag (the call must then be -EINVAL). */
const flags = fc.oneof({ weight: 9, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constantFrom(1, 2, 0x8000_0000) });
/** Small offsets in sequences so reads land in the cached pages and near the ends. */
const seqOff: fc.Arbitrary<U64Arg> = fc.oneof({ weight: 3, arbitrary: fc.bigInt(0n, 3n * PAGE).map((raw): U64Arg => ({ raw })) }, { weight: 2, arbitrary: u64Arg });

/** One dynptr operation over `nFiles` files and `nPages` pages of each. */
export function op(nFiles: number, nPages: number): fc.Arbitrary<Op> {
  const file = fc.integer({ min: 0, max: nFiles - 1 });
  const page = fc.integer({ min: 0, max: nPages - 1 });
  return fc.oneof(
    { weight: 5, arbitrary: fc.record({ op: fc.constant('read' as const), slot, len: lenArg, off: seqOff, flags }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('adjust' as const), slot, start: seqOff, end: u64Arg }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('fromFile' as const), slot, file, sleepable: fc.boolean(), flags }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('fromMem' as const), slot, size: fc.oneof({ weight: 6, arbitrary: localSize }, { weight: 1, arbitrary: oversizedLocal }), flags }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('clone' as const), slot, to: slot }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('size' as const), slot }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('discard' as const), slot }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constantFrom('evict' as const, 'populate' as const, 'inject' as const), file, page }) },
  );
}

/**
 * A sequence of operations. It starts by building a FILE dynptr in slot `a` and, most of the time, a
 * second dynptr in slot `b` (FILE, LOCAL or a clone of `a`), so most operations act on live dynptrs.
 */
export function opSequence(nFiles: number, nPages: number, maxLength = 24): fc.Arbitrary<readonly Op[]> {
  const file = fc.integer({ min: 0, max: nFiles - 1 });
  const first = fc.record({ op: fc.constant('fromFile' as const), slot: fc.constant<Slot>('a'), file, sleepable: fc.boolean(), flags: fc.constant(0) });
  const second: fc.Arbitrary<Op | null> = fc.option(
    fc.oneof(
      fc.record({ op: fc.constant('fromFile' as const), slot: fc.constant<Slot>('b'), file, sleepable: fc.boolean(), flags: fc.constant(0) }),
      fc.record({ op: fc.constant('fromMem' as const), slot: fc.constant<Slot>('b'), size: localSize, flags: fc.constant(0) }),
      fc.record({ op: fc.constant('clone' as const), slot: fc.constant<Slot>('a'), to: fc.constant<Slot>('b') }),
    ),
    { freq: 4 },
  );
  return fc
    .tuple(first, second, fc.array(op(nFiles, nPages), { maxLength, size: 'medium' }))
    .map(([f, g, rest]): readonly Op[] => (g === null ? [f, ...rest] : [f, g, ...rest]));
}

// ---------------------------------------------------------------------------------------------
// Every kind (issue 14): RINGBUF, SKB, SKB_META, XDP dynptrs
// ---------------------------------------------------------------------------------------------

/** The program types an skb is made for: writable (tc, LWT_XMIT) and read-only (the others). */
export const SKB_TYPES = ['SCHED_CLS', 'SCHED_ACT', 'CGROUP_SKB', 'SOCKET_FILTER', 'LWT_XMIT'] as const;
export type SkbType = (typeof SKB_TYPES)[number];

/** A dynptr of one of the new kinds, with its backing object: sizes biased to the layout edges. */
export type KindSpec =
  /** A ring of `pages` pages; `before` records are reserved and submitted first (the ring may wrap); then a record of `size`. */
  | { readonly kind: 'ringbuf'; readonly pages: number; readonly before: readonly number[]; readonly size: number }
  /** An skb of `len` bytes (test_run: data_in), linear part `linear` (6.19 data_end). */
  | { readonly kind: 'skb'; readonly len: number; readonly linear: number; readonly progType: SkbType }
  | { readonly kind: 'skb_meta'; readonly metaLen: number }
  /** An xdp_buff of `len` bytes of data_in, `meta` bytes of it metadata, linear part `linear` (data_end). */
  | { readonly kind: 'xdp'; readonly len: number; readonly meta: number; readonly linear: number };

const XDP_MAX = 3520 + 17 * 4096;
const pktLen = (min: number, max: number): fc.Arbitrary<number> => fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...[min, min + 1, 100, 3520, 3521, 3712, 3713, 4096 + 14, 8192, 20000, max].filter((n) => n >= min && n <= max)) },
  { weight: 2, arbitrary: fc.integer({ min, max }) },
);

export const kindSpec: fc.Arbitrary<KindSpec> = fc.oneof(
  fc.record({
    kind: fc.constant('ringbuf' as const), pages: fc.constantFrom(1, 2, 4),
    before: fc.array(fc.integer({ min: 0, max: 3000 }), { maxLength: 4 }),
    size: fc.oneof(fc.constantFrom(0, 1, 8, 100, 4080, 4088), fc.integer({ min: 0, max: 9000 })),
  }),
  pktLen(14, 14 + 17 * 4096).chain((len) => fc.record({
    kind: fc.constant('skb' as const), len: fc.constant(len),
    linear: fc.oneof(fc.constantFrom(14, Math.min(len, 3712)), fc.integer({ min: 14, max: Math.min(len, 3712) })),
    progType: fc.constantFrom(...SKB_TYPES),
  })),
  fc.record({ kind: fc.constant('skb_meta' as const), metaLen: fc.oneof(fc.constantFrom(0, 1, 4, 32, 255), fc.integer({ min: 0, max: 255 })) }),
  // XDP packets longer than 64 KiB often: offsets above 0xffff exist only there.
  fc.tuple(fc.oneof(pktLen(14, XDP_MAX), fc.constantFrom(0x10000 + 14, XDP_MAX), fc.integer({ min: 0x10001, max: XDP_MAX })), fc.constantFrom(0, 0, 4, 32, 216, 220, 252)).chain(([len, meta]) => {
    const m = Math.min(meta, len - 14) - (Math.min(meta, len - 14) % 4);
    return fc.record({
      kind: fc.constant('xdp' as const), len: fc.constant(len), meta: fc.constant(m),
      linear: fc.oneof(fc.constant(len), fc.integer({ min: m, max: len })),
    });
  }),
);

/**
 * An offset or length into a dynptr of the new kinds: the u64 edges, a fraction of the size, or a
 * value near the XDP 0xffff limit and the page and frag edges.
 */
export type KindArg = U64Arg | { readonly frac: number };
export const kindArg: fc.Arbitrary<KindArg> = fc.oneof(
  { weight: 3, arbitrary: u64Arg },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 1 << 20 }).map((frac): KindArg => ({ frac })) },
  // The top tenth of the size (offsets above 0xffff in the longest XDP packets).
  { weight: 1, arbitrary: fc.integer({ min: 943_718, max: 1 << 20 }).map((frac): KindArg => ({ frac })) },
  { weight: 2, arbitrary: fc.constantFrom(0n, 1n, 14n, 255n, 256n, 257n, 3519n, 3520n, 3712n, 3713n, 0xfff0n, 0xffffn, 0x10000n, 0x10001n).map((raw): KindArg => ({ raw })) },
  { weight: 1, arbitrary: fc.constantFrom(0x10000n, 0x10001n).map((raw): KindArg => ({ raw })) },
);

/** A kind argument against `size` (and the call's `len`). */
export function resolveKindArg(a: KindArg, size: bigint, len = 0n): bigint {
  if ('frac' in a) return (size * BigInt(a.frac)) >> 20n;
  return resolveU64(a, size, len);
}

/** An operation on a dynptr of the new kinds, for the bounds property (P2). */
export type KindOp =
  | {
    readonly op: 'read' | 'write' | 'slice' | 'slice_rdwr' | 'data' | 'memset' | 'copy_in' | 'copy_out' | 'probe_kernel';
    readonly len: KindArg; readonly off: KindArg; readonly flags: number; readonly buffer: boolean;
  }
  | { readonly op: 'adjust'; readonly start: KindArg; readonly end: KindArg };

export const kindOp: fc.Arbitrary<KindOp> = fc.oneof(
  fc.record({
    op: fc.constantFrom(
      'read' as const, 'write' as const, 'slice' as const, 'slice_rdwr' as const, 'data' as const, 'memset' as const,
      // bpf_dynptr_copy with a LOCAL dynptr on the other side (into the kind, out of it), bpf_probe_read_kernel_dynptr.
      'copy_in' as const, 'copy_out' as const, 'probe_kernel' as const,
    ),
    len: kindArg, off: kindArg,
    flags: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constantFrom(1, 2, 3, 4) }),
    buffer: fc.boolean(),
  }),
  fc.record({ op: fc.constant('adjust' as const), start: kindArg, end: kindArg }),
);

/** Slots the reference property uses (a few, so clones and overwrites meet live dynptrs). */
export const REF_SLOTS = ['a', 'b', 'c', 'd'] as const;
export type RefSlot = (typeof REF_SLOTS)[number];
const refSlot = fc.constantFrom(...REF_SLOTS);

/** An operation of the reference property (P6) over every kind. */
export type RefOp =
  | { readonly op: 'reserve'; readonly slot: RefSlot; readonly size: number; readonly flags: number }
  | { readonly op: 'submit' | 'discard'; readonly slot: RefSlot; readonly flags: number }
  | { readonly op: 'fromFile' | 'fromSkb' | 'fromXdp' | 'fromMem'; readonly slot: RefSlot; readonly flags: number }
  | { readonly op: 'fileDiscard'; readonly slot: RefSlot }
  | { readonly op: 'clone'; readonly slot: RefSlot; readonly to: RefSlot }
  | { readonly op: 'write'; readonly slot: RefSlot; readonly off: number; readonly len: number; readonly seed: number }
  | { readonly op: 'adjust'; readonly slot: RefSlot; readonly start: KindArg; readonly end: KindArg }
  | { readonly op: 'consume' };

const refFlags = fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constantFrom(1, 2) });

export const refOp: fc.Arbitrary<RefOp> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('reserve' as const), slot: refSlot, size: fc.oneof(fc.constantFrom(0, 1, 8, 1000, 2040, 4080), fc.integer({ min: 0, max: 5000 })), flags: refFlags }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constantFrom('submit' as const, 'discard' as const), slot: refSlot, flags: fc.constantFrom(0, 0, 1, 2, 3, 4) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constantFrom('fromFile' as const, 'fromSkb' as const, 'fromXdp' as const, 'fromMem' as const), slot: refSlot, flags: refFlags }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('fileDiscard' as const), slot: refSlot }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('clone' as const), slot: refSlot, to: refSlot }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('write' as const), slot: refSlot, off: fc.integer({ min: 0, max: 3000 }), len: fc.integer({ min: 0, max: 300 }), seed: fc.integer({ min: 0, max: 255 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('adjust' as const), slot: refSlot, start: kindArg, end: kindArg }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('consume' as const) }) },
);
