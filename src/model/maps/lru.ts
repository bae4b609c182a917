/**
 * The LRU of an LRU_HASH map (kernel/bpf/bpf_lru_list.c, the common LRU: a map without
 * BPF_F_NO_COMMON_LRU), which decides which element an update evicts. It is not "the least recently
 * used element": the kernel keeps nodes on lists and evicts in batches.
 *
 * - **A global list** of three lists: active, inactive (each newest first, the oldest at the tail)
 *   and free; and per CPU a **local free** list and a **local pending** list. Every node (one per
 *   preallocated element) is on exactly one of them. A node has one reference bit (`ref`): the only
 *   sign that it was used.
 * - **Creation** (`bpf_common_lru_populate`): every node on the global free list, element 0 first, each
 *   at the head (so the last element is taken first), and `target_free` =
 *   clamp(⌊⌊max_entries / possible CPUs⌋ / 2⌋, 1, LOCAL_FREE_TARGET = 128) (v6.16,
 *   "bpf: Adjust free target to avoid global starvation of LRU map"; 128 before).
 * - **Taking a node for an update** (`bpf_common_lru_pop_free`): the head of this CPU's local free
 *   list; when it is empty, a refill first (`bpf_lru_list_pop_free_to_local`):
 *   1. the pending nodes go to the global list, oldest first, each at the head of active (ref set) or
 *      inactive (ref clear), ref cleared (`__local_list_flush`);
 *   2. when inactive has fewer nodes than active, active is rotated from its tail: a node with ref
 *      goes back to its head, one without to inactive's head, ref cleared, at most 128 nodes
 *      (`__bpf_lru_list_rotate_active`); then inactive is walked circularly from where the last
 *      walk stopped (`next_inactive_rotation`), toward its head, at most 128 nodes, each with ref
 *      moving to active (`__bpf_lru_list_rotate_inactive`);
 *   3. up to `target_free` nodes are taken from the global free list;
 *   4. if fewer, the shortfall is evicted (`__bpf_lru_list_shrink`): inactive from its tail, a node
 *      with ref promoted to active, one without evicted (its key unlinked: `del_from_htab`), at most
 *      128 nodes looked at; if none was evicted, one node is evicted whatever its ref, from
 *      inactive's tail, or active's when inactive is empty.
 *
 *   The nodes taken go to the local free list in the order they were taken (the global free ones
 *   first), which the next pops take from its head (v6.18.44 and 7.2: the local free list is an
 *   `llist` filled from a list of the batch, "bpf: Fix NMI/tracepoint re-entry deadlock on lru
 *   locks"). The node taken is put at the head of the local pending list with ref clear.
 * - **A lookup from a program** sets the node's ref (`bpf_lru_node_set_ref`); one from user space does
 *   not (`htab_lru_map_lookup_elem_sys`).
 * - **A node given back** (`bpf_common_lru_push_free`: a delete, a replaced element, an update that
 *   failed after taking its node): a pending node goes to the head of its CPU's local free list, an
 *   active or inactive one to the head of the global free list; ref cleared.
 *
 * Every operation runs on CPU 0 (the model's tasks have no CPU). So the other CPUs' local lists stay
 * empty, stealing from them (`bpf_common_lru_pop_free`'s last resort) never finds a node, and the
 * number of possible CPUs counts only through `target_free`. `del_from_htab` cannot fail here: it
 * fails only when a bucket lock is taken already, which needs two CPUs or a reentrant program.
 *
 * **BPF_F_NO_COMMON_LRU** (`percpu`): a whole active/inactive/free list per CPU, and no local lists.
 * `htab_map_alloc` rounds max_entries up to a multiple of the possible CPUs, and
 * `bpf_percpu_lru_populate` gives CPU c the elements c·p … c·p + p − 1 (p = max_entries / CPUs), so
 * CPU 0, where the model runs, has p nodes and the map never holds more than p keys.
 * `bpf_percpu_lru_pop_free` rotates the lists on every pop (at most `PERCPU_NR_SCANS` = 4 nodes a
 * walk), evicts from inactive's tail only when the free list is empty (`PERCPU_FREE_TARGET` = 4
 * nodes, each to the free list's head), and puts the node taken at inactive's head at once (no
 * pending list). A node given back goes to its CPU's free list's head.
 *
 * The lists are linked through the `next` and `prev` tables (nodes 0 … max_entries − 1, then one head
 * per list), so a move costs the same whatever the map's size, as the kernel's `list_head`s do.
 */
import { KernsimError } from '../kernel/errors.ts';
import { SlotTable } from './slots.ts';

/** `LOCAL_FREE_TARGET` and `LOCAL_NR_SCANS` (bpf_lru_list.h): the most nodes a refill takes, and a walk looks at. */
export const LRU_NR_SCANS = 128;
/** `PERCPU_FREE_TARGET` and `PERCPU_NR_SCANS`: the same for a per-CPU LRU (BPF_F_NO_COMMON_LRU). */
export const PERCPU_NR_SCANS = 4;

/** The lists, in `enum bpf_lru_list_type`'s order (the first two are counted). */
export const ACTIVE = 0;
export const INACTIVE = 1;
export const FREE = 2;
export const LOCAL_FREE = 3;
export const LOCAL_PENDING = 4;
/** A list: 0 active, 1 inactive, 2 free, 3 local free, 4 local pending (`LRU_LIST_NAMES`). */
export type LruList = 0 | 1 | 2 | 3 | 4;
export const LRU_LIST_NAMES = ['active', 'inactive', 'free', 'local_free', 'local_pending'] as const;

/**
 * A map's LRU. The links, lists and bits are tables (slots.ts) that immer drafts node by node, so a
 * move costs the same whatever the map's size (as plain arrays, a transition copied all of them: an
 * update of an LRU_HASH of 100,000 entries took 14 ms).
 */
export interface LruState {
  /** The nodes: 0 … n − 1 (element memory ids); `n + list` is a list's head in `next` and `prev`. */
  n: number;
  next: SlotTable<number>;
  prev: SlotTable<number>;
  /** The list each node is on. */
  list: SlotTable<LruList>;
  /** Each node's reference bit (0 or 1). */
  ref: SlotTable<number>;
  /** Nodes on active and on inactive (`counts`). */
  counts: [number, number];
  /** `next_inactive_rotation`: a node on inactive, or inactive's head (`n + INACTIVE`). */
  rotation: number;
  /** How many nodes a refill wants (`target_free`; a per-CPU LRU's shrink: `PERCPU_FREE_TARGET`). */
  targetFree: number;
  /** BPF_F_NO_COMMON_LRU: CPU 0's own lists (`bpf_percpu_lru_*`), no local free or pending list. */
  percpu: boolean;
  /** The most nodes a rotation or a shrink looks at (`nr_scans`). */
  nrScans: number;
}

/** `target_free` for a map of `maxEntries` on a machine of `cpus` possible CPUs (`bpf_common_lru_populate`, v6.16). */
export function lruTargetFree(maxEntries: number, cpus: number): number {
  return Math.min(LRU_NR_SCANS, Math.max(1, Math.floor(Math.floor(maxEntries / cpus) / 2)));
}

const headOf = (s: LruState, l: LruList): number => s.n + l;

function linkHead(s: LruState, node: number, l: LruList): void {
  const h = headOf(s, l);
  const n = s.next.get(h) as number;
  s.next.set(h, node);
  s.prev.set(node, h);
  s.next.set(node, n);
  s.prev.set(n, node);
  s.list.set(node, l);
  if (l === ACTIVE || l === INACTIVE) s.counts[l] += 1;
}

/** Take `node` off its list; `next_inactive_rotation` moves to the node before it when it was there. */
function unlink(s: LruState, node: number): void {
  const p = s.prev.get(node) as number;
  const n = s.next.get(node) as number;
  if (s.rotation === node) s.rotation = p;
  s.next.set(p, n);
  s.prev.set(n, p);
  const l = s.list.get(node) as LruList;
  if (l === ACTIVE || l === INACTIVE) s.counts[l] -= 1;
}

/** `__bpf_lru_node_move` (and `_move_in`): to the head of `l`, ref cleared. */
function move(s: LruState, node: number, l: LruList): void {
  unlink(s, node);
  s.ref.set(node, 0);
  linkHead(s, node, l);
}

const first = (s: LruState, l: LruList): number | null => {
  const n = s.next.get(headOf(s, l)) as number;
  return n === headOf(s, l) ? null : n;
};

/**
 * BPF_F_NO_COMMON_LRU's max_entries (`htab_map_alloc`): rounded up to a multiple of the possible
 * CPUs, in 32 bits (rounded down when that wraps); null past 2^31 (-E2BIG).
 */
export function percpuLruEntries(maxEntries: number, cpus: number): number | null {
  let n = Math.ceil(maxEntries / cpus) * cpus;
  if (maxEntries + cpus - 1 > 0xffff_ffff) n = maxEntries - (maxEntries % cpus);
  return n > 2 ** 31 ? null : n;
}

/**
 * The LRU of a new map of `maxEntries` elements (`bpf_common_lru_populate`); `percpu`: CPU 0's lists
 * of a per-CPU LRU (`bpf_percpu_lru_populate`: its share, elements 0 … maxEntries / cpus − 1;
 * `maxEntries` already rounded).
 */
export function newLru(maxEntries: number, cpus: number, percpu = false): LruState {
  const n = percpu ? maxEntries / cpus : maxEntries;
  const s: LruState = {
    n, next: new SlotTable<number>(), prev: new SlotTable<number>(), list: new SlotTable<LruList>(), ref: new SlotTable<number>(),
    counts: [0, 0], rotation: n + INACTIVE, targetFree: percpu ? PERCPU_NR_SCANS : lruTargetFree(maxEntries, cpus),
    percpu, nrScans: percpu ? PERCPU_NR_SCANS : LRU_NR_SCANS,
  };
  for (let l = 0; l < 5; l += 1) {
    s.next.set(n + l, n + l);
    s.prev.set(n + l, n + l);
  }
  for (let i = 0; i < n; i += 1) {
    s.ref.set(i, 0);
    linkHead(s, i, FREE);
  }
  return s;
}

/** The nodes of list `l`, head first (of a map's LRU as a world holds it: `world.maps.get(id).lru`). */
export function lruNodes(s: { readonly n: number; readonly next: { get(node: number): number | undefined } }, l: LruList): number[] {
  const out: number[] = [];
  const h = s.n + l;
  for (let n = s.next.get(h) as number; n !== h; n = s.next.get(n) as number) out.push(n);
  return out;
}

/**
 * `del_from_htab` (`htab_lru_map_delete_node`): unlink the key `node` holds from the hash table;
 * false when it is not linked there.
 */
export type DelFromHtab = (node: number) => boolean;

/** `__bpf_lru_list_shrink_inactive`: evict up to `want` nodes from inactive's tail into `into`. */
function shrinkInactive(s: LruState, want: number, del: DelFromHtab, into: number[]): number {
  const h = headOf(s, INACTIVE);
  let got = 0;
  let i = 0;
  for (let cur = s.prev.get(h) as number; cur !== h;) {
    const p = s.prev.get(cur) as number;
    if (s.ref.get(cur) === 1) move(s, cur, ACTIVE);
    else if (del(cur)) {
      unlink(s, cur);
      into.push(cur);
      got += 1;
      if (got === want) break;
    }
    i += 1;
    if (i === s.nrScans) break;
    cur = p;
  }
  return got;
}

/** `__bpf_lru_list_shrink`: the shortfall from inactive, else one node whatever its ref. */
function shrink(s: LruState, want: number, del: DelFromHtab, into: number[]): void {
  if (shrinkInactive(s, want, del, into) > 0) return;
  const l: LruList = s.counts[INACTIVE] > 0 ? INACTIVE : ACTIVE;
  const h = headOf(s, l);
  for (let cur = s.prev.get(h) as number; cur !== h; cur = s.prev.get(cur) as number) {
    if (del(cur)) {
      unlink(s, cur);
      into.push(cur);
      return;
    }
  }
}

/** `__bpf_lru_list_rotate_active`: from the tail, at most `nrScans` nodes, up to the head it started with. */
function rotateActive(s: LruState): void {
  const h = headOf(s, ACTIVE);
  const start = s.next.get(h) as number;
  let i = 0;
  for (let cur = s.prev.get(h) as number; cur !== h;) {
    const p = s.prev.get(cur) as number;
    move(s, cur, s.ref.get(cur) === 1 ? ACTIVE : INACTIVE);
    i += 1;
    if (i === s.nrScans || cur === start) break;
    cur = p;
  }
}

/** `__bpf_lru_list_rotate_inactive`: a circular walk toward the head from `next_inactive_rotation`. */
function rotateInactive(s: LruState): void {
  const h = headOf(s, INACTIVE);
  if (s.next.get(h) === h) return;
  let last = s.next.get(s.rotation) as number;
  if (last === h) last = s.next.get(h) as number;
  let cur = s.rotation;
  let next = h;
  let i = 0;
  while (i < s.nrScans) {
    if (cur === h) {
      cur = s.prev.get(h) as number;
      continue;
    }
    next = s.prev.get(cur) as number;
    if (s.ref.get(cur) === 1) move(s, cur, ACTIVE);
    if (cur === last) break;
    cur = next;
    i += 1;
  }
  s.rotation = next;
}

/** `__bpf_lru_list_rotate`: active when inactive is the shorter, then inactive. */
function rotate(s: LruState): void {
  if (s.counts[INACTIVE] < s.counts[ACTIVE]) rotateActive(s);
  rotateInactive(s);
}

/** `bpf_lru_list_pop_free_to_local` (the local free list is empty). */
function refill(s: LruState, del: DelFromHtab): void {
  const pending = headOf(s, LOCAL_PENDING);
  for (let cur = s.prev.get(pending) as number; cur !== pending;) {
    const p = s.prev.get(cur) as number;
    move(s, cur, s.ref.get(cur) === 1 ? ACTIVE : INACTIVE);
    cur = p;
  }
  rotate(s);
  const batch: number[] = [];
  for (let node = first(s, FREE); node !== null && batch.length < s.targetFree; node = first(s, FREE)) {
    unlink(s, node);
    batch.push(node);
  }
  if (batch.length < s.targetFree) shrink(s, s.targetFree - batch.length, del, batch);
  // The batch in the order it was taken, the first at the head.
  for (let j = batch.length - 1; j >= 0; j -= 1) linkHead(s, batch[j] as number, LOCAL_FREE);
}

/**
 * `bpf_common_lru_pop_free`: a node for a new element, put on the local pending list with ref clear;
 * null when there is none (a map of no nodes: the model's maps have at least one).
 */
export function lruPop(s: LruState, del: DelFromHtab): number | null {
  if (s.percpu) return percpuPop(s, del);
  let node = first(s, LOCAL_FREE);
  if (node === null) {
    refill(s, del);
    node = first(s, LOCAL_FREE);
  }
  if (node === null) return null;
  move(s, node, LOCAL_PENDING);
  return node;
}

/**
 * `bpf_percpu_lru_pop_free` on CPU 0: rotate; when the free list is empty, evict up to 4 nodes into
 * it (each at its head); the free list's head goes to inactive's head, ref clear.
 */
function percpuPop(s: LruState, del: DelFromHtab): number | null {
  rotate(s);
  if (first(s, FREE) === null) {
    const evicted: number[] = [];
    shrink(s, s.targetFree, del, evicted);
    for (const node of evicted) linkHead(s, node, FREE);
  }
  const node = first(s, FREE);
  if (node === null) return null;
  move(s, node, INACTIVE);
  return node;
}

/** `bpf_lru_node_set_ref`: a program looked the element up. */
export function lruSetRef(s: LruState, node: number): void {
  s.ref.set(node, 1);
}

/** `bpf_common_lru_push_free`: a pending node to the local free list's head, another to the global free list's. */
export function lruPushFree(s: LruState, node: number): void {
  const l = s.list.get(node);
  if (l === FREE || l === LOCAL_FREE) throw new KernsimError(`LRU node ${node} given back twice`);
  move(s, node, l === LOCAL_PENDING ? LOCAL_FREE : FREE);
}
