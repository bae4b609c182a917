/**
 * An independent reference for the dynptr kfuncs, written from /work/shared/SEMANTICS.md and never
 * from the model's code: it calls nothing of the model except `patternByte`, which *defines* what a
 * `content.pattern(seed)` file holds. Integers are bigints; nothing wraps unless written so.
 *
 * SEMANTICS.md lines each function follows are quoted next to it.
 */
import { patternByte } from '../src/model/fs/content.ts';
import { fillBytes, PAGE, U64_MAX, type ContentSpec } from './arbitraries.ts';

export const EIO = -5;
export const E2BIG = -7;
export const EFAULT = -14;
export const EINVAL = -22;
export const ERANGE = -34;
/** LOCAL dynptrs keep their size in 24 bits (`DYNPTR_MAX_SIZE`). */
export const DYNPTR_MAX_SIZE = (1n << 24n) - 1n;

/** What the oracle knows of a dynptr: its kind and its (64-bit) offset and size. */
export type View =
  | { readonly kind: 'null' }
  | { readonly kind: 'local'; readonly offset: bigint; readonly size: bigint; readonly rdonly: boolean }
  | { readonly kind: 'file'; readonly offset: bigint; readonly size: bigint };

export const NULL_VIEW: View = { kind: 'null' };

/**
 * "`bpf_dynptr_from_mem` with a larger size [than 2^24 - 1] returns `-E2BIG` and nulls the dynptr;
 * non-zero flags give `-EINVAL` and null."
 */
export function fromMem(size: bigint, flags: bigint): { ret: number; view: View } {
  if (size > DYNPTR_MAX_SIZE) return { ret: E2BIG, view: NULL_VIEW };
  if (flags !== 0n) return { ret: EINVAL, view: NULL_VIEW };
  return { ret: 0, view: { kind: 'local', offset: 0n, size, rdonly: false } };
}

/** "flags ≠ 0 → `-EINVAL`, dynptr set null … 0; read-only FILE dynptr, offset 0, **size U64_MAX**". */
export function fromFile(flags: bigint): { ret: number; view: View } {
  if (flags !== 0n) return { ret: EINVAL, view: NULL_VIEW };
  return { ret: 0, view: { kind: 'file', offset: 0n, size: U64_MAX } };
}

/** "`len > size` or `offset > size − len` → `-E2BIG` (64-bit arithmetic, no wrap)". */
function offLenOk(size: bigint, off: bigint, len: bigint): boolean {
  // Written as the mathematical statement (no subtraction at all), so it cannot wrap.
  return len <= size && off + len <= size;
}

/**
 * `bpf_dynptr_read` bounds: "src null or flags ≠ 0 → `-EINVAL`; `len > size` or `offset > size −
 * len` → `-E2BIG`". 0 means: the bounds pass (a FILE read then goes to the reader).
 */
export function readBounds(v: View, len: bigint, off: bigint, flags: bigint): number {
  if (v.kind === 'null' || flags !== 0n) return EINVAL;
  return offLenOk(v.size, off, len) ? 0 : E2BIG;
}

/** `bpf_dynptr_write`: "dst null **or read-only** → `-EINVAL` (so every FILE write is `-EINVAL`); then `-E2BIG` bounds". */
export function writeBounds(v: View, off: bigint, len: bigint): number {
  if (v.kind === 'null' || v.kind === 'file' || v.rdonly) return EINVAL;
  return offLenOk(v.size, off, len) ? 0 : E2BIG;
}

/** `bpf_dynptr_slice`: "null → NULL; bounds → NULL". True when the bounds pass. */
export function sliceBounds(v: View, off: bigint, len: bigint): boolean {
  return v.kind !== 'null' && offLenOk(v.size, off, len);
}

/**
 * `bpf_dynptr_adjust`: "p null **or `start > end`** → `-EINVAL`; `start > size` or `end > size` →
 * `-ERANGE`" and "offset += start; size = end − start". On error the view is unchanged.
 */
export function adjust(v: View, start: bigint, end: bigint): { ret: number; view: View } {
  if (v.kind === 'null' || start > end) return { ret: EINVAL, view: v };
  if (start > v.size || end > v.size) return { ret: ERANGE, view: v };
  return { ret: 0, view: { ...v, offset: v.offset + start, size: end - start } };
}

// ---------------------------------------------------------------------------------------------
// The file reader
// ---------------------------------------------------------------------------------------------

export const pageOf = (off: bigint): number => Number(off / PAGE);
export const pageStartOf = (page: number): bigint => BigInt(page) * PAGE;

/**
 * The pages a FILE read of `[fileOff, fileOff + len)` looks up, in order: "A zero-length read still
 * looks up the folio at the offset", so at least the page holding `fileOff`.
 */
export function pagesTouched(fileOff: bigint, len: bigint): number[] {
  const first = pageOf(fileOff);
  const last = pageOf(fileOff + (len > 0n ? len : 1n) - 1n);
  const out: number[] = [];
  for (let p = first; p <= last; p += 1) out.push(p);
  return out;
}

/** What the oracle tracks of one inode's page cache. */
export interface CacheModel {
  readonly size: bigint;
  readonly secretmem: boolean;
  /** Pages uptodate. The page cache never holds a page wholly past EOF. */
  readonly uptodate: Set<number>;
  /** Injected I/O errors: page → how many of its next reads fail. */
  readonly faults: Map<number, number>;
}

export function cacheModel(size: bigint, secretmem: boolean, cached: Iterable<number>, faults: Iterable<readonly [number, number]> = []): CacheModel {
  const m: CacheModel = { size, secretmem, uptodate: new Set(), faults: new Map() };
  for (const p of cached) populate(m, p);
  for (const [p, n] of faults) m.faults.set(p, (m.faults.get(p) ?? 0) + n);
  return m;
}

export function cloneCache(m: CacheModel): CacheModel {
  return { size: m.size, secretmem: m.secretmem, uptodate: new Set(m.uptodate), faults: new Map(m.faults) };
}

/** Warm a page as a prior read would: a page wholly past EOF is never in the cache. */
export function populate(m: CacheModel, page: number): void {
  if (pageStartOf(page) < m.size) m.uptodate.add(page);
}

/** "eviction removes only clean, unreferenced, unlocked folios (a folio the reader holds is not evicted)". */
export function evict(m: CacheModel, page: number, held: ReadonlySet<number>): void {
  if (!held.has(page)) m.uptodate.delete(page);
}

/** The reader's one held folio ("keeps at most one folio referenced between fetches"). */
export interface ReaderModel {
  folio: number | null;
}

export interface FileReadOutcome {
  /** 0, -EFAULT or -EIO. */
  readonly ret: number;
  /** The page the read failed on, when it failed. */
  readonly failPage: number | null;
  /** The pages the read looked up, in order. */
  readonly touched: readonly number[];
  /** A sleepable read past EOF: -EIO with the first `eofAt` bytes (those before EOF) copied, the rest of dst untouched. */
  readonly eofAt?: number;
}

/**
 * A FILE read that passed the bounds, at file offset `fileOff` (dynptr offset + read offset):
 * - "a secretmem mapping → `-EFAULT`";
 * - non-sleepable: "a page not in the page cache or not uptodate … → `-EFAULT`", "a page wholly past
 *   EOF → `-EFAULT` non-sleepable";
 * - sleepable: "waits for the page to be read"; "a page wholly past EOF → … `-EIO` sleepable"; "a
 *   failed read leaves the folio not uptodate and the sleepable reader returns the error (`-EIO`)";
 *   "sleepable: bytes past EOF → `-EIO`, after the bytes before EOF are copied" (observed on 7.2).
 * Updates `m` (pages read in, injected errors consumed) and `reader` (the folio held afterwards:
 * the last page fetched on success, none after a failure, since the old folio is put first).
 */
export function fileRead(m: CacheModel, fileOff: bigint, len: bigint, sleepable: boolean, reader: ReaderModel = { folio: null }): FileReadOutcome {
  const touched = pagesTouched(fileOff, len);
  const pastEof = (p: number): FileReadOutcome => {
    reader.folio = null;
    return { ret: EIO, failPage: p, touched, eofAt: fileOff >= m.size ? 0 : Number(m.size - fileOff) };
  };
  // Observed on 7.2 (sleepable): len 0 at or past EOF → 0 with no lookup; a position ≥ 2^63 → -EINVAL.
  if (sleepable && len === 0n && fileOff >= m.size && !m.secretmem) return { ret: 0, failPage: null, touched: [] };
  if (sleepable && len > 0n && fileOff >= 1n << 63n && !m.secretmem) return { ret: -22, failPage: null, touched: [], eofAt: 0 };
  for (const p of touched) {
    if (sleepable && len > 0n && (fileOff > pageStartOf(p) ? fileOff : pageStartOf(p)) >= m.size && !m.secretmem) return pastEof(p);
    if (reader.folio === p) continue; // reused while the fetch falls inside it
    reader.folio = null;
    const fail = (ret: number): FileReadOutcome => ({ ret, failPage: p, touched });
    if (m.secretmem) return fail(EFAULT);
    if (m.uptodate.has(p)) {
      reader.folio = p;
      continue;
    }
    if (!sleepable) return fail(EFAULT);
    if (pageStartOf(p) >= m.size) return fail(EIO);
    const n = m.faults.get(p) ?? 0;
    if (n > 0) {
      if (n === 1) m.faults.delete(p);
      else m.faults.set(p, n - 1);
      return fail(EIO);
    }
    m.uptodate.add(p);
    reader.folio = p;
  }
  if (sleepable && len > 0n && fileOff + len > m.size) return pastEof(pageOf(m.size));
  return { ret: 0, failPage: null, touched };
}

// ---------------------------------------------------------------------------------------------
// File bytes
// ---------------------------------------------------------------------------------------------

/** A byte source for a file: "bytes past EOF read zero". */
export type ByteAt = (pos: bigint) => number;

export function byteSource(content: ContentSpec, size: bigint, held?: Uint8Array): ByteAt {
  switch (content.kind) {
    case 'zero':
      return () => 0;
    case 'pattern':
      return (pos) => (pos < size ? patternByte(content.seed, pos) : 0);
    case 'bytes': {
      const bytes = held ?? fillBytes(content.seed, Number(size));
      return (pos) => (pos < size ? (bytes[Number(pos)] ?? 0) : 0);
    }
  }
}

/** The `len` bytes of the file at `fileOff`. */
export function expectedBytes(at: ByteAt, fileOff: bigint, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i += 1) out[i] = at(fileOff + BigInt(i));
  return out;
}

/**
 * Where in the destination a failed read's untouched part starts: "The destination is **not
 * cleared** on error, and a read that fails on a later page may leave earlier bytes in it". Bytes
 * from the failing page on must keep what was there.
 */
export function untouchedFrom(fileOff: bigint, failPage: number): number {
  const start = pageStartOf(failPage);
  return start <= fileOff ? 0 : Number(start - fileOff);
}

// ---------------------------------------------------------------------------------------------
// Every kind (issue 14): RINGBUF, SKB, SKB_META, XDP — written from /work/notes/issue14-dynptrs.md,
// never from the model. A packet is a flat array of bytes plus its layout; a ring a flat array of
// its data area plus a list of records.
// ---------------------------------------------------------------------------------------------

/** The generic view of a dynptr whose offset and size live in the dynptr (every kind but FILE). */
export interface KindView {
  readonly kind: 'ringbuf' | 'skb' | 'skb_meta' | 'xdp';
  readonly offset: bigint;
  readonly size: bigint;
  readonly rdonly: boolean;
}

/** Summary 12: "null → (write: rdonly) → bounds (-E2BIG / NULL) → per-type work". */
export function kindBounds(v: KindView | null, off: bigint, len: bigint, write: boolean): number {
  if (v === null) return EINVAL;
  if (write && v.rdonly) return EINVAL;
  return offLenOk(v.size, off, len) ? 0 : E2BIG;
}

/** §4.1 adjust, the same for every kind: "keeps the type and rdonly bits". */
export function kindAdjust(v: KindView | null, start: bigint, end: bigint): { ret: number; view: KindView | null } {
  if (v === null || start > end) return { ret: EINVAL, view: v };
  if (start > v.size || end > v.size) return { ret: ERANGE, view: v };
  return { ret: 0, view: { ...v, offset: v.offset + start, size: end - start } };
}

/** Write flags per kind (§2.2, §3, §1.5): SKB takes RECOMPUTE_CSUM (1) and INVALIDATE_HASH (2), the others none. */
export function kindWriteFlagsOk(kind: KindView['kind'], flags: bigint): boolean {
  return kind === 'skb' ? (flags & ~3n) === 0n : flags === 0n;
}

/**
 * A packet as the oracle sees it: all bytes from offset 0, where the linear part ends (SKB: grows
 * with writes, which pull `[0, off + len)`), and the pieces (XDP: linear part, then each frag).
 */
export interface PacketModel {
  readonly kind: 'skb' | 'xdp';
  readonly bytes: Uint8Array;
  headlen: number;
  /** XDP piece sizes, in order (the linear part first). */
  readonly pieces: readonly number[];
  readonly meta: Uint8Array;
}

/** §3 `bpf_xdp_pointer`: the piece holding `off` — returns true when `[off, off + len)` lies inside it. */
function xdpOnePiece(p: PacketModel, off: number, len: number): boolean {
  let start = 0;
  for (const size of p.pieces) {
    if (off < start + size) return off + len <= start + size;
    start += size;
  }
  // Past every piece: only a zero-length range at the very end (the kernel's pointer is then harmless).
  return len === 0;
}

/** What a read of `len` bytes at packet offset `off` (bounds passed) returns: 0 or -EFAULT (XDP above 0xffff). */
export function packetRead(p: PacketModel, off: number, len: number): number {
  if (p.kind === 'xdp' && (off > 0xffff || len > 0xffff)) return EFAULT;
  return 0;
}

/** A write at packet offset `off` (bounds and flags passed): 0 or -EFAULT; applies it to the model. */
export function packetWrite(p: PacketModel, off: number, src: Uint8Array, len: number): number {
  if (p.kind === 'xdp' && (off > 0xffff || len > 0xffff)) return EFAULT;
  p.bytes.set(src.subarray(0, len), off);
  if (p.kind === 'skb' && off + len > p.headlen) p.headlen = off + len;
  return 0;
}

/**
 * §2.3 / §3 slices: 'direct' when the range is in the linear part (SKB) or in one piece and within
 * the 0xffff limits (XDP); else 'copy' with a buffer, 'null' without one.
 */
export function packetSlice(p: PacketModel, off: number, len: number, haveBuffer: boolean): 'direct' | 'copy' | 'null' {
  const direct = p.kind === 'skb' ? off + len <= p.headlen : off <= 0xffff && len <= 0xffff && xdpOnePiece(p, off, len);
  if (direct) return 'direct';
  return haveBuffer ? 'copy' : 'null';
}

/** A ring buffer record as the oracle tracks it. */
export interface RingRecordModel {
  readonly pos: number;
  readonly size: number;
  state: 'busy' | 'submitted' | 'discarded';
  /** The payload (the sample while busy). */
  readonly bytes: Uint8Array;
}

/** §1.2–1.6: a ring of `size` bytes, its data area as a flat array, its records in order. */
export interface RingModel {
  readonly size: number;
  readonly data: Uint8Array;
  cons: number;
  prod: number;
  readonly records: RingRecordModel[];
  wakeups: number;
}

export function ringModel(size: number): RingModel {
  return { size, data: new Uint8Array(size), cons: 0, prod: 0, records: [], wakeups: 0 };
}

/** "Record = round_up(len+8, 8)". */
export function ringRecordSize(len: number): number {
  return (len + 8 + 7) - ((len + 8 + 7) % 8);
}

function ringPut(m: RingModel, pos: number, src: Uint8Array): void {
  for (let i = 0; i < src.length; i += 1) m.data[(pos + i) % m.size] = src[i] as number;
}

function ringGet(m: RingModel, pos: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i += 1) out[i] = m.data[(pos + i) % m.size] as number;
  return out;
}

function u32le(v: number): Uint8Array {
  return Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
}

/**
 * Summary 2 and §1.3: `bpf_ringbuf_reserve_dynptr` — flags ≠ 0 → -EINVAL; size > 2^24 − 1 → -E2BIG;
 * the record does not fit → -EINVAL: larger than the ring, or "new_prod − pending_pos > mask" (the
 * oldest record still busy, or the producer when none is) or "new_prod − cons > mask". The sample
 * holds what the data area held ("the payload is not zeroed").
 */
export function ringReserve(m: RingModel, size: bigint, flags: bigint): { ret: number; rec: RingRecordModel | null } {
  if (flags !== 0n) return { ret: EINVAL, rec: null };
  if (size > DYNPTR_MAX_SIZE) return { ret: E2BIG, rec: null };
  const len = ringRecordSize(Number(size));
  if (len > m.size) return { ret: EINVAL, rec: null };
  const oldestBusy = m.records.find((r) => r.state === 'busy');
  const pending = oldestBusy === undefined ? m.prod : oldestBusy.pos;
  const next = m.prod + len;
  if (next - pending > m.size - 1 || next - m.cons > m.size - 1) return { ret: EINVAL, rec: null };
  // The header "len = size | BUSY" and its page offset go into the data area at the record.
  const BUSY = 0x8000_0000;
  ringPut(m, m.prod, u32le((Number(size) | BUSY) >>> 0));
  ringPut(m, m.prod + 4, u32le(3 + Math.floor((m.prod % m.size) / 4096)));
  const rec: RingRecordModel = { pos: m.prod, size: Number(size), state: 'busy', bytes: ringGet(m, m.prod + 8, Number(size)) };
  m.records.push(rec);
  m.prod = next;
  return { ret: 0, rec };
}

/** §1.4: commit; the wake-up: FORCE_WAKEUP (2), or the consumer at this record and no NO_WAKEUP (1). */
export function ringCommit(m: RingModel, rec: RingRecordModel, flags: bigint, discard: boolean): boolean {
  rec.state = discard ? 'discarded' : 'submitted';
  const BUSY = 0x8000_0000;
  const DISCARD = 0x4000_0000;
  const hdr = ((rec.size | BUSY) ^ BUSY) | (discard ? DISCARD : 0);
  ringPut(m, rec.pos, u32le(hdr >>> 0));
  ringPut(m, rec.pos + 8, rec.bytes);
  const wake = (flags & 2n) !== 0n || (m.cons % m.size === rec.pos % m.size && (flags & 1n) === 0n);
  if (wake) m.wakeups += 1;
  return wake;
}

/** §1.6 libbpf: committed records in order, stopping at the first busy one, discarded ones skipped. */
export function ringConsume(m: RingModel): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const r of m.records) {
    if (r.pos < m.cons) continue;
    if (r.state === 'busy') break;
    m.cons = r.pos + ringRecordSize(r.size);
    if (r.state === 'submitted') out.push(r.bytes.slice());
  }
  return out;
}

/** §6.1 / §6.2 (x86-64 numbers, M): the largest linear part of a test-run skb and xdp_buff, the frag size and count. */
export const TEST_RUN = {
  skbMaxLinear: 4096 - 64 - 320, xdpMaxLinear: 4096 - 256 - 320, frag: 4096, maxFrags: 17,
  /**
   * XDP metadata comes out of the 256-byte headroom, which keeps room for a `struct xdp_frame` (40
   * bytes on x86-64): at most 216 bytes of it (the host tier on 6.18 refuses 220 with -EINVAL).
   */
  xdpMetaMax: 256 - 40,
} as const;

/**
 * §6.1 on 6.19 (data_end given): "linear = max(ETH_HLEN, data_end) … clamped", the rest in 4 KiB
 * frags (more than 17 → -ENOMEM); "data_end ≠ 0 on an LWT program → -EINVAL". Non-L2 program types
 * see everything after the 14-byte MAC header.
 */
export function skbLayout(len: number, linear: number, l2: boolean, lwt: boolean): { ret: number; headlen: number; size: number } {
  if (len < 14 || linear > len || (lwt && linear !== 0)) return { ret: EINVAL, headlen: 0, size: 0 };
  const lin = Math.min(Math.max(14, linear), TEST_RUN.skbMaxLinear);
  if (Math.ceil((len - lin) / TEST_RUN.frag) > TEST_RUN.maxFrags) return { ret: -12, headlen: 0, size: 0 };
  return { ret: 0, headlen: l2 ? lin : lin - 14, size: l2 ? len : len - 14 };
}

/**
 * §6.2: metadata a multiple of 4 and at most 255 (and at most xdpMetaMax), data_end between it and the packet's end; linear
 * part (past the metadata) at most xdpMaxLinear; at least 14 bytes past the metadata; the rest in
 * page frags. Returns the piece sizes the dynptr sees.
 */
export function xdpLayout(len: number, meta: number, linear: number): { ret: number; pieces: number[] } {
  if (linear > len || meta > linear || meta % 4 !== 0 || meta > 255 || meta > TEST_RUN.xdpMetaMax) return { ret: EINVAL, pieces: [] };
  const lin = Math.min(linear, TEST_RUN.xdpMaxLinear + meta);
  if (len - meta < 14) return { ret: EINVAL, pieces: [] };
  const pieces = [lin - meta];
  for (let at = lin; at < len; at += TEST_RUN.frag) pieces.push(Math.min(TEST_RUN.frag, len - at));
  if (pieces.length - 1 > TEST_RUN.maxFrags) return { ret: -12, pieces: [] };
  return { ret: 0, pieces };
}
