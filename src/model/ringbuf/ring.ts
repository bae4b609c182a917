/**
 * BPF ring buffers (kernel/bpf/ringbuf.c) and the user-space reader of libbpf
 * (tools/lib/bpf/ringbuf.c). The ring's state is data in the world (state.ts); these functions are
 * its rules:
 *
 * - `ringbufMapAlloc`: `ringbuf_map_alloc`'s checks, in order.
 * - `ringbufReserve`: `__bpf_ringbuf_reserve` — a record of `round_up(size + 8, 8)` bytes at the
 *   producer position, its header `len = size | BUSY`; NULL (here: null) when it does not fit.
 * - `ringbufCommit`: `bpf_ringbuf_commit` — the header's BUSY bit cleared (DISCARD set for a
 *   discard), and the wake-up rule.
 * - `ringbufConsume`: libbpf's `ringbuf_process_ring` — committed records in order, stopping at the
 *   first BUSY one, discarded ones skipped, the consumer position moved past each finished record.
 *
 * Not modelled: the lock failing (`rqspinlock` time-outs, the NMI trylock): no NMI context exists in
 * the model, so a reservation fails only for lack of space.
 */
import { readU32LE, writeU32LE } from '../program/globals.ts';
import { EINVAL, ENOMEM } from '../kernel/errno.ts';
import { ArgumentError, UnknownHandleError, UseAfterFreeError } from '../kernel/errors.ts';
import type { MapId } from '../maps/types.ts';
import { allocate } from '../world/faults.ts';
import { SparseMap } from '../../pagecache/index.ts';
import { checkKern, emit, type Kern } from '../world/world.ts';
import {
  BPF_F_NUMA_NODE, BPF_F_RB_OVERWRITE, BPF_RB_FORCE_WAKEUP, BPF_RB_NO_WAKEUP, BPF_RINGBUF_BUSY_BIT, BPF_RINGBUF_DISCARD_BIT,
  BPF_RINGBUF_HDR_SZ, RINGBUF_DATA_PGOFF, RINGBUF_MAX_RECORD_SZ, RingState,
} from './state.ts';

const PAGE = 4096;

/** What `map_create` passes a ring buffer's allocator (`union bpf_attr`). */
export interface RingbufAttr {
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
}

/**
 * `ringbuf_map_alloc` (kernel/bpf/ringbuf.c): the checks in order; 0 when the ring may be made.
 * - flags outside `BPF_F_NUMA_NODE` (and `BPF_F_RB_OVERWRITE` from 6.19) → -EINVAL;
 * - key_size ≠ 0, value_size ≠ 0, max_entries not a power of 2 or not a multiple of the page size
 *   (so 0 too) → -EINVAL;
 * - the allocation fails → -ENOMEM.
 */
export function ringbufMapAllocCheck(k: Kern, attr: RingbufAttr): number {
  const mask = BPF_F_NUMA_NODE | (k.features.ringbufOverwrite ? BPF_F_RB_OVERWRITE : 0);
  if ((attr.flags & ~mask) !== 0) return -EINVAL;
  const n = attr.maxEntries;
  const powerOf2 = n > 0 && (n & (n - 1)) === 0;
  if (attr.keySize !== 0 || attr.valueSize !== 0 || !powerOf2 || n % PAGE !== 0) return -EINVAL;
  if (!allocate(k)) return -ENOMEM;
  return 0;
}

/** The ring state of a new map (zeroed pages, every position 0). */
export function addRing(k: Kern, map: MapId, name: string, attr: RingbufAttr): void {
  k.t.own('rings').set(map, new RingState({
    map, name, size: attr.maxEntries, overwrite: (attr.flags & BPF_F_RB_OVERWRITE) !== 0,
    consumerPos: 0, producerPos: 0, pendingPos: 0, overwritePos: 0, pages: SparseMap.empty(), samples: SparseMap.empty(), wakeups: 0,
  }));
}

/** The ring of map `map` (a misuse when the map is not a ring buffer). */
export function ringOf(k: Kern, map: MapId, argument = 'map'): RingState {
  const r = k.t.rings.get(map);
  if (r === undefined) {
    if (k.cold.maps.has(map)) throw new ArgumentError(argument, map, 'a BPF_MAP_TYPE_RINGBUF map (the verifier checks the map type)');
    throw new UnknownHandleError(argument, map, 'map');
  }
  return r;
}

// ---------------------------------------------------------------------------------------------
// Bytes of the data area (the kernel maps its pages twice so a record that wraps is contiguous)
// ---------------------------------------------------------------------------------------------

/** `len` bytes of the data area from free-running position `pos`, wrapping at the end. */
export function ringRead(r: RingState, pos: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  let done = 0;
  while (done < len) {
    const at = (pos + done) & r.mask;
    const page = Math.floor(at / PAGE);
    const inPage = at % PAGE;
    const n = Math.min(len - done, PAGE - inPage);
    const bytes = r.pages.get(page);
    if (bytes !== undefined) out.set(bytes.subarray(inPage, inPage + n), done);
    done += n;
  }
  return out;
}

/**
 * The data area with `src` written at free-running position `pos` (pages copied before their first
 * write in the transition), as a new map: a clone of the state's (O(1)), which copies only the paths to
 * the pages it sets, so a write costs the logarithm of the pages written before, not a copy of them. The
 * state made from it freezes it (state.ts).
 */
function ringWrite(k: Kern, r: RingState, pos: number, src: Uint8Array): SparseMap<number, Uint8Array> {
  const pages = r.pages.clone();
  let done = 0;
  while (done < src.length) {
    const at = (pos + done) & r.mask;
    const page = Math.floor(at / PAGE);
    const inPage = at % PAGE;
    const n = Math.min(src.length - done, PAGE - inPage);
    const old = pages.get(page);
    const bytes = old === undefined ? k.t.made(new Uint8Array(PAGE)) : k.t.fresh(old);
    bytes.set(src.subarray(done, done + n), inPage);
    pages.set(page, bytes);
    done += n;
  }
  return pages;
}

/** `samples` with `rec` set to `sample` (undefined: deleted), as a new map (O(log n), as `ringWrite`'s pages). */
function changed(samples: SparseMap<number, Uint8Array>, rec: number, sample: Uint8Array | undefined): SparseMap<number, Uint8Array> {
  const out = samples.clone();
  if (sample === undefined) out.delete(rec);
  else out.set(rec, sample);
  return out;
}

/**
 * The 8-byte header at `pos`: `u32 len`, `u32 pg_off` (little-endian, as on x86-64). A reserved record's
 * is what the reserve wrote (its size with the BUSY bit, its page offset), which the model keeps as the
 * record's sample rather than in the pages: so a reserve copies no page, and only the commit writes
 * the record into the data area (state.ts).
 */
function header(r: RingState, pos: number): { len: number; pgOff: number } {
  const reserved = r.samples.get(pos);
  if (reserved !== undefined) return { len: (reserved.length | BPF_RINGBUF_BUSY_BIT) >>> 0, pgOff: pgOffAt(r, pos) };
  const b = ringRead(r, pos, BPF_RINGBUF_HDR_SZ);
  return { len: readU32LE(b, 0), pgOff: readU32LE(b, 4) };
}

/** A header's `pg_off` at `pos`: the pages from the start of `struct bpf_ringbuf` to the header's. */
function pgOffAt(r: RingState, pos: number): number {
  return RINGBUF_DATA_PGOFF + Math.floor((pos & r.mask) / PAGE);
}

function headerBytes(len: number, pgOff: number): Uint8Array {
  const b = new Uint8Array(BPF_RINGBUF_HDR_SZ);
  writeU32LE(b, 0, len);
  writeU32LE(b, 4, pgOff);
  return b;
}

/** The bytes a record of payload `len` occupies: `round_up(len + BPF_RINGBUF_HDR_SZ, 8)`. */
export function recordSize(len: number): number {
  return Math.ceil((len + BPF_RINGBUF_HDR_SZ) / 8) * 8;
}

/** A header's `len` with the BUSY and DISCARD bits cleared (libbpf's `roundup_len` shifts them out). */
function payloadLen(hdrLen: number): number {
  return hdrLen & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT) & 0xffff_ffff;
}

// ---------------------------------------------------------------------------------------------
// Producer
// ---------------------------------------------------------------------------------------------

/**
 * `__bpf_ringbuf_reserve`: reserve a record of `size` payload bytes. Returns its header position, or
 * null (the kernel's NULL) when it is larger than `RINGBUF_MAX_RECORD_SZ`, when the record is larger
 * than the ring, or when there is no space: counted from the oldest record still BUSY
 * (`pending_pos`, advanced first over every finished record) and, unless the ring overwrites, from
 * the consumer position, the records from there to the new producer position must span less than
 * the ring (`bpf_ringbuf_has_space`: `new_prod_pos - pos > mask`). An overwriting ring instead moves
 * `overwrite_pos` past its oldest records until the new one fits.
 * The sample is not cleared: it holds what the data area held there (zero in a fresh ring).
 */
export function ringbufReserve(k: Kern, map: MapId, size: number): number | null {
  const r = ringOf(k, map);
  if (size > RINGBUF_MAX_RECORD_SZ) return null;
  const len = recordSize(size);
  if (len > r.size) return null;
  // The consumer position is read before the lock, the others under it.
  const consPos = r.consumerPos;
  const prodPos = r.producerPos;
  let pendPos = r.pendingPos;
  while (pendPos < prodPos) {
    const h = header(r, pendPos);
    if ((h.len & BPF_RINGBUF_BUSY_BIT) !== 0) break;
    pendPos += recordSize(h.len & ~BPF_RINGBUF_DISCARD_BIT);
  }
  const newProd = prodPos + len;
  if (newProd - pendPos > r.mask || (!r.overwrite && newProd - consPos > r.mask)) {
    if (pendPos !== r.pendingPos) k.t.own('rings').set(map, r.with({ pendingPos: pendPos }));
    return null;
  }
  let overPos = r.overwritePos;
  if (r.overwrite) {
    while (newProd - overPos > r.mask) overPos += recordSize(payloadLen(header(r, overPos).len));
  }
  // The BUSY header (`hdr->len = size | BUSY`, `hdr->pg_off`) is the record's sample's to give (`header`).
  const sample = k.t.made(ringRead(r, prodPos + BPF_RINGBUF_HDR_SZ, size));
  const samples = changed(r.samples, prodPos, sample);
  k.t.own('rings').set(map, r.with({ samples, pendingPos: pendPos, producerPos: newProd, overwritePos: overPos }));
  return prodPos;
}

/** The sample (payload memory) of the BUSY record at `rec`; a record already committed is a use after free. */
export function sampleOf(k: Kern, map: MapId, rec: number, argument: string): Uint8Array {
  const s = ringOf(k, map, argument).samples.get(rec);
  if (s === undefined) throw new UseAfterFreeError(argument, `ring buffer record at pos ${rec} of map#${map} (submitted or discarded through a clone)`);
  return s;
}

/** The sample of the record at `rec`, to change in place in this transition (copied first if an earlier world holds it). */
export function sampleToWrite(k: Kern, map: MapId, rec: number, argument: string): Uint8Array {
  const s = sampleOf(k, map, rec, argument);
  const w = k.t.fresh(s);
  if (w !== s) {
    const r = ringOf(k, map, argument);
    k.t.own('rings').set(map, r.with({ samples: changed(r.samples, rec, w) }));
  }
  return w;
}

/**
 * `bpf_ringbuf_commit`: the record at `rec` is finished. Its header's BUSY bit is cleared (and the
 * DISCARD bit set for a discard); its payload is now in the data area. The wait queue is woken when
 * `BPF_RB_FORCE_WAKEUP` is set, or when the consumer has caught up with this record (its position,
 * masked, is the record's) and `BPF_RB_NO_WAKEUP` is not set. Other flag bits are ignored.
 */
export function ringbufCommit(k: Kern, map: MapId, rec: number, flags: bigint, discard: boolean, argument: string): void {
  const sample = sampleOf(k, map, rec, argument);
  const r = ringOf(k, map, argument);
  // Its header as the reserve wrote it (`header`: the sample's size, BUSY) with BUSY cleared, DISCARD set for a discard.
  const newLen = (sample.length | (discard ? BPF_RINGBUF_DISCARD_BIT : 0)) >>> 0;
  const body = new Uint8Array(BPF_RINGBUF_HDR_SZ + sample.length);
  body.set(headerBytes(newLen, pgOffAt(r, rec)), 0);
  body.set(sample, BPF_RINGBUF_HDR_SZ);
  const pages = ringWrite(k, r, rec, body);
  const samples = changed(r.samples, rec, undefined);
  const wakeup = (flags & BPF_RB_FORCE_WAKEUP) !== 0n
    || ((r.consumerPos & r.mask) === (rec & r.mask) && (flags & BPF_RB_NO_WAKEUP) === 0n);
  k.t.own('rings').set(map, r.with({ pages, samples, wakeups: r.wakeups + (wakeup ? 1 : 0) }));
  emit(k, { kind: 'ringbuf', t: k.t.now, map: r.name, op: discard ? 'discard' : 'submit', pos: rec, len: sample.length, wakeup });
}

// ---------------------------------------------------------------------------------------------
// Consumer (user space)
// ---------------------------------------------------------------------------------------------

/** A record as libbpf's sample callback receives it. */
export interface RingRecord {
  /** The record's header position (free-running). */
  readonly pos: number;
  readonly data: Uint8Array;
}

/**
 * libbpf `ring_buffer__consume` on one ring (`ringbuf_process_ring`): from the consumer position,
 * while it is below the producer position, read the header; a BUSY one ends the pass (it blocks
 * later records, committed or not); else the consumer moves past the record, and a record not
 * discarded goes to the callback. The consumer position is stored after every finished record.
 * Passes repeat while one found a record. At most `limit` records are returned
 * (`ring_buffer__consume_n`). An overwriting ring is read from `max(consumer_pos, overwrite_pos)`
 * (libbpf's overwrite reader: M).
 */
export function ringbufConsume(k: Kern, map: MapId, limit = Infinity): RingRecord[] {
  checkKern('k', k);
  if (limit !== Infinity && (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 0)) throw new ArgumentError('limit', limit, 'a non-negative integer');
  const r0 = ringOf(k, map);
  let cons = r0.overwrite && r0.overwritePos > r0.consumerPos ? r0.overwritePos : r0.consumerPos;
  const out: RingRecord[] = [];
  let gotNew = true;
  while (gotNew && out.length < limit) {
    gotNew = false;
    const prod = r0.producerPos;
    while (cons < prod && out.length < limit) {
      const h = header(r0, cons);
      if ((h.len & BPF_RINGBUF_BUSY_BIT) !== 0) {
        gotNew = false;
        break;
      }
      gotNew = true;
      const len = payloadLen(h.len);
      const at = cons;
      cons += recordSize(len);
      if ((h.len & BPF_RINGBUF_DISCARD_BIT) === 0) {
        out.push({ pos: at, data: ringRead(r0, at + BPF_RINGBUF_HDR_SZ, len) });
        emit(k, { kind: 'ringbuf', t: k.t.now, map: r0.name, op: 'consume', pos: at, len, wakeup: false });
      }
    }
    // No producer runs while user space reads in the model: one pass sees everything there is.
    if (cons >= prod) break;
  }
  if (cons !== r0.consumerPos) k.t.own('rings').set(map, ringOf(k, map).with({ consumerPos: cons }));
  return out;
}

/** The positions and counters of a ring, for inspection (`bpf_ringbuf_query`'s values and more). */
export interface RingInfo {
  readonly size: number;
  readonly consumerPos: number;
  readonly producerPos: number;
  readonly pendingPos: number;
  readonly overwritePos: number;
  /** Records reserved and not yet committed. */
  readonly busy: number;
  readonly wakeups: number;
  /** `BPF_RB_AVAIL_DATA`: producer − consumer (overwrite: − max(consumer, overwrite_pos)). */
  readonly availData: number;
}

export function ringInfo(r: RingState): RingInfo {
  const from = r.overwrite && r.overwritePos > r.consumerPos ? r.overwritePos : r.consumerPos;
  return {
    size: r.size, consumerPos: r.consumerPos, producerPos: r.producerPos, pendingPos: r.pendingPos, overwritePos: r.overwritePos,
    busy: r.samples.size, wakeups: r.wakeups, availData: r.producerPos - from,
  };
}
