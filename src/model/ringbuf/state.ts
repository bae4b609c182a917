/**
 * The state of a `BPF_MAP_TYPE_RINGBUF` map (kernel/bpf/ringbuf.c: `struct bpf_ringbuf`), as the
 * world holds it. Data only: the rules are in ring.ts.
 *
 * - `consumerPos`, `producerPos`, `pendingPos`, `overwritePos` are the kernel's free-running
 *   positions (never wrapped; the byte in the data area is `pos & mask`).
 * - `pages` is the data area, page by page (absent pages are zero: the kernel allocates them
 *   zeroed). It holds the committed (and discarded) records, their 8-byte headers and their bytes.
 * - A record that is reserved and not yet committed (its header has the BUSY bit) keeps its payload
 *   in `samples`, by header position: that is the memory a RINGBUF dynptr and its slices point at.
 *   Its header, which the kernel writes at the reserve, is read from there too (its size, BUSY; ring.ts
 *   `header`), not written into `pages`: the commit writes header and payload there at once. A reader
 *   of the ring stops at a BUSY header, and a new record never covers a reserved one, so none sees the
 *   difference.
 * - `wakeups` counts the wake-ups of the ring's wait queue the commits asked for (`irq_work_queue`
 *   of `rb->work`).
 *
 * `pages` and `samples` are persistent maps (pagecache/sparse.ts `SparseMap`, frozen): a change
 * clones one in O(1) and copies the nodes on its path, where a copy of a `Map` cost every page written
 * and every record outstanding. They iterate in key order (position), whatever order the writes came in.
 */
import type { MapId } from '../maps/types.ts';
import { MAP_FLAGS } from '../maps/alloc_check.ts';
import { SparseMap } from '../../pagecache/index.ts';

/** `BPF_RINGBUF_BUSY_BIT` (include/uapi/linux/bpf.h): the record is reserved, not yet committed. */
export const BPF_RINGBUF_BUSY_BIT = 0x8000_0000;
/** `BPF_RINGBUF_DISCARD_BIT`: the record was discarded; readers skip it. */
export const BPF_RINGBUF_DISCARD_BIT = 0x4000_0000;
/** `BPF_RINGBUF_HDR_SZ`: `u32 len` then `u32 pg_off`. */
export const BPF_RINGBUF_HDR_SZ = 8;
/** `RINGBUF_MAX_RECORD_SZ` = UINT_MAX / 4. */
export const RINGBUF_MAX_RECORD_SZ = 0x3fff_ffff;
/**
 * The page of `struct bpf_ringbuf` where `data[]` starts: the struct's first page, then the consumer
 * page and the producer page (`RINGBUF_PGOFF` + `RINGBUF_POS_PAGES`). A header's `pg_off` counts
 * pages from the struct to the header (M: from the struct's layout).
 */
export const RINGBUF_DATA_PGOFF = 3;

/** `BPF_RB_NO_WAKEUP`, `BPF_RB_FORCE_WAKEUP` (flags of submit/discard/output). */
export const BPF_RB_NO_WAKEUP = 1n;
export const BPF_RB_FORCE_WAKEUP = 2n;
/** Map-creation flags a ring buffer accepts (maps/alloc_check.ts `MAP_FLAGS`; BPF_F_RB_OVERWRITE from 6.19, M for its value). */
export const { BPF_F_NUMA_NODE, BPF_F_RB_OVERWRITE } = MAP_FLAGS;

export interface RingFields {
  readonly map: MapId;
  /** The map's name, for the trace. */
  readonly name: string;
  /** Bytes of the data area (`max_entries`, a power of 2 and a multiple of the page size); mask = size - 1. */
  readonly size: number;
  readonly overwrite: boolean;
  readonly consumerPos: number;
  readonly producerPos: number;
  readonly pendingPos: number;
  readonly overwritePos: number;
  readonly pages: ReadonlyMap<number, Uint8Array>;
  readonly samples: ReadonlyMap<number, Uint8Array>;
  readonly wakeups: number;
}

/** `m` as a frozen `SparseMap` (itself, frozen, when it is one: ring.ts's clones, which no one changes after). */
function frozen<V>(m: ReadonlyMap<number, V>): SparseMap<number, V> {
  const t = SparseMap.of(m);
  t.freeze();
  return t;
}

/** One ring buffer's state. Immutable: a change is a new state (`with`). */
export class RingState implements RingFields {
  readonly map: MapId;
  readonly name: string;
  readonly size: number;
  readonly overwrite: boolean;
  readonly consumerPos: number;
  readonly producerPos: number;
  readonly pendingPos: number;
  readonly overwritePos: number;
  /** The data area by page, a persistent tree (frozen; a change clones it in O(1): ring.ts). */
  readonly pages: SparseMap<number, Uint8Array>;
  /** The payloads of the records reserved and not yet committed, by header position; a persistent tree as `pages`. */
  readonly samples: SparseMap<number, Uint8Array>;
  readonly wakeups: number;

  constructor(f: RingFields) {
    this.map = f.map;
    this.name = f.name;
    this.size = f.size;
    this.overwrite = f.overwrite;
    this.consumerPos = f.consumerPos;
    this.producerPos = f.producerPos;
    this.pendingPos = f.pendingPos;
    this.overwritePos = f.overwritePos;
    this.pages = frozen(f.pages);
    this.samples = frozen(f.samples);
    this.wakeups = f.wakeups;
    Object.freeze(this);
  }

  get mask(): number {
    return this.size - 1;
  }

  with(patch: Partial<RingFields>): RingState {
    return new RingState({ ...this.fields(), ...patch });
  }

  private fields(): RingFields {
    return {
      map: this.map, name: this.name, size: this.size, overwrite: this.overwrite, consumerPos: this.consumerPos,
      producerPos: this.producerPos, pendingPos: this.pendingPos, overwritePos: this.overwritePos, pages: this.pages,
      samples: this.samples, wakeups: this.wakeups,
    };
  }
}
