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
