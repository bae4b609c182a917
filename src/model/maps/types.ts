/**
 * The records of a BPF map (`struct bpf_map`, its elements and their memory) as the world holds them.
 * Data only: the rules are in maps.ts.
 *
 * An element's memory (a `MapSlot`) is not its key: hashtab.c reuses freed element memory for the next
 * insert (a preallocated map's free list, `bpf_mem_cache` for NO_PREALLOC), and what lives in that
 * memory — the value bytes, the `bpf_task_work` context pointer, the key bytes — stays there when the
 * element is deleted. A program or callback holding a value pointer holds the memory, not the key.
 */
import type { MapType } from '../program/program.ts';
import type { KptrVal } from '../kptr/types.ts';
import type { ValueLayout } from './layout.ts';
import type { LruState } from './lru.ts';
import type { SlotTable } from './slots.ts';

export type MapId = number;

/** One element's memory: key, value bytes, the `struct bpf_task_work_kern` ctx pointer and the kptr fields. */
export interface MapSlot {
  /** The key last written into this memory (a deleted element's key bytes stay until reuse). */
  key: number;
  /** The value's plain bytes (`[0, layout.dataEnd)`: the data and the padding before the special fields). */
  data: Uint8Array;
  /** `struct bpf_task_work_kern`: the ctx pointer, NULL until the first schedule. */
  tw: number | null;
  /** The kptr fields, in the order the value declares them (src/model/kptr): NULL until a program stores one. */
  kptrs: KptrVal[];
}

/** A linked element: the memory it occupies; in a hash map, its key's hash (`htab_elem.hash`, buckets.ts). */
export interface MapElem {
  slot: number;
  hash?: number;
  /** When it was linked: the map's `links` then. A hash bucket's list is its elements newest first (buckets.ts). */
  seq: number;
}

export interface BpfMap {
  id: MapId;
  name: string;
  type: MapType;
  maxEntries: number;
  /** The plain bytes the map was declared with (user space's view of a value). */
  valueSize: number;
  taskWork: boolean;
  /** Where the value's plain bytes end and its special fields (task_work, kptrs) are: `value_size` is `layout.size`. */
  layout: ValueLayout;
  /** `BPF_F_NO_PREALLOC` (HASH): element memory from `bpf_mem_alloc` instead of a preallocated pool. */
  noPrealloc: boolean;
  /** `map_flags` as created (alloc_check.ts `MAP_FLAGS`). */
  flags: number;
  /** Frozen by user space (`BPF_MAP_FREEZE`): its syscalls may no longer write it. */
  frozen: boolean;
  /** A hash map's hash seed (`htab->hashrnd`, buckets.ts): 0 with BPF_F_ZERO_SEED, else the world's `hashrnd`. */
  hashrnd: number;
  /** User references (fds, pins): `map->usercnt`. */
  usercnt: number;
  /** Linked elements by key (slots.ts: ascending keys); `seq` orders them as they were linked (a hash map's bucket lists: buckets.ts). */
  elems: SlotTable<MapElem>;
  /** Elements linked so far: the next one's `seq`. */
  links: number;
  /**
   * Every element memory the map has used (slots.ts), free ones included; a preallocated HASH or
   * PERCPU_HASH map's memory that no element has taken yet is `fresh`, not here.
   */
  slots: SlotTable<MapSlot>;
  /**
   * Free element memory, a stack: entry i is the i-th from the bottom (slots.ts), the next insert taking
   * the top (the free lists are LIFO); an LRU_HASH keeps its own (`lru`).
   */
  free: SlotTable<number>;
  /**
   * A preallocated HASH or PERCPU_HASH map's element memory no element has taken yet: ids 0 … fresh − 1,
   * under every id of `free` (`pcpu_freelist_populate` pushed them first, in order), so an insert that
   * finds `free` empty takes `fresh − 1`. Its bytes are zeros (`bpf_map_area_alloc`), made when taken.
   */
  fresh: number;
  /** Preallocated HASH: this CPU's extra element (`htab->extra_elems`), taken by an update of a present key. */
  extra: number | null;
  /** LRU_HASH: the lists that decide which element an update evicts (lru.ts); null for other types. */
  lru: LruState | null;
  /** QUEUE and STACK: the ring of values (queue_stack.ts); null for other types. */
  qs: QueueStack | null;
  /** BLOOM_FILTER: its bits (bloom.ts); null for other types. */
  bloom: BloomFilter | null;
}

/**
 * `struct bpf_queue_stack`: `size` (max_entries + 1) slots of `value_size` bytes, `head` where the next
 * push goes, `tail` the oldest value; empty when they are equal, full when `head + 1` is `tail`.
 * A slot never written reads as zeros (the area is allocated zeroed); a written one is replaced, never
 * changed in place.
 */
export interface QueueStack {
  head: number;
  tail: number;
  readonly size: number;
  /** Written slots by index (slots.ts). */
  elements: SlotTable<Uint8Array>;
}

/**
 * `struct bpf_bloom_filter`: `nrHash` hashes (`nr_hash_funcs`), seeded from `seed` (`hash_seed`), each
 * masked with `mask` (`bitset_mask`, the array's bits less one); `bits` the bits set, not the array.
 */
export interface BloomFilter {
  readonly nrHash: number;
  readonly mask: number;
  readonly seed: number;
  /** The bits set (slots.ts: a table of bit numbers). */
  bits: SlotTable<true>;
}

/** Where a `bpf_for_each_map_elem` walk stands between two callbacks (foreach.ts): the bucket (an array's next index) and the element after the one given. */
export interface EachCursor {
  readonly bucket: number;
  readonly next: { readonly key: number; readonly slot: number } | null;
}
