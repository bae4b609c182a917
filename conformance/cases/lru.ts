/**
 * LRU_HASH maps on the kernel (kernel/bpf/bpf_lru_list.c through hashtab.c; the model's
 * src/model/maps/lru.ts). An update takes its node first (`prealloc_lru_pop`), before it looks the
 * key up and checks the flags, and the node comes from a refill of the local free list when that is
 * empty: pending nodes flushed to the active or inactive list by their reference bit, the lists
 * rotated, up to `target_free` nodes taken from the global free list and the shortfall evicted from
 * inactive's tail. So which keys survive depends on the map's size, the machine's possible CPUs
 * (`target_free` = clamp(⌊⌊max_entries / CPUs⌋ / 2⌋, 1, 128)) and which elements a program looked up.
 *
 * Every case is a sequence of ops in one program: an update (key, flags), a program's lookup (which
 * sets the node's reference bit) or a delete, each recording its result (an update's or a delete's
 * return value, a lookup's 1 or 0), then a probe of keys recorded as bits (1: present), 64 keys a
 * word. The host runs it as a `SEC("syscall")` program (the loader pinned to CPU 0); the guest (7.2,
 * one CPU) in `lsm/file_open` behind the driver's pid filter.
 */
import { program as P, type BpfObject, type Op } from '../../src/index.ts';
import type { KOp, KptrSeq } from '../../properties/kptr.ts';
import { kptrSeqObject } from './kptr.ts';
import { FRETS, pidFilterOps, type FileCase } from './file.ts';
import type { CallRecord, ConfCase } from './lib.ts';

export const BPF_ANY = 0;
export const BPF_NOEXIST = 1;
export const BPF_EXIST = 2;
const FLAG_NAMES = ['BPF_ANY', 'BPF_NOEXIST', 'BPF_EXIST'];

/** One op of a sequence. `fill` is updates of keys `from` … `to − 1` (BPF_ANY), recorded as one result: how many failed. */
export type LruOp =
  | { readonly k: 'update'; readonly key: number; readonly flags: number }
  | { readonly k: 'lookup'; readonly key: number }
  | { readonly k: 'delete'; readonly key: number }
  | { readonly k: 'fill'; readonly from: number; readonly to: number }
  | { readonly k: 'touch'; readonly from: number; readonly to: number };

export interface LruSeq {
  readonly max: number;
  /** LRU_PERCPU_HASH (`__htab_lru_percpu_map_update_elem`) instead of LRU_HASH. */
  readonly type?: 'lru_percpu_hash';
  /** BPF_F_NO_COMMON_LRU: lists per CPU (the map rounded to a multiple of the CPUs; CPU 0 has its share). */
  readonly percpu?: boolean;
  readonly ops: readonly LruOp[];
  /** Keys probed at the end, 0 … probe − 1. */
  readonly probe: number;
}

export function describeLru(s: LruSeq): string {
  const op = (o: LruOp): string => {
    switch (o.k) {
      case 'update': return `u${o.key}${o.flags === BPF_ANY ? '' : o.flags === BPF_NOEXIST ? '!n' : '!e'}`;
      case 'lookup': return `l${o.key}`;
      case 'delete': return `d${o.key}`;
      case 'fill': return `u${o.from}..${o.to - 1}`;
      case 'touch': return `l${o.from}..${o.to - 1}`;
    }
  };
  return `${s.type === 'lru_percpu_hash' ? 'LRU_PERCPU_HASH' : 'LRU_HASH'}${s.percpu === true ? ' (BPF_F_NO_COMMON_LRU)' : ''} of ${s.max}: ${s.ops.map(op).join(' ')}; probe 0..${s.probe - 1}`;
}

/** The words a sequence records: one per op, then the probe's bit words. */
export function lruWords(s: LruSeq): number {
  return s.ops.length + Math.ceil(s.probe / 64);
}

/** The program body of `s` over map `m`, value buffer `val`, results `rets` (a stack variable `key` holds loop keys). */
function lruBody(s: LruSeq, m: string, val: string, rets: string): { body: Op[]; calls: CallRecord[] } {
  const body: Op[] = [];
  const calls: CallRecord[] = [];
  s.ops.forEach((o, i) => {
    switch (o.k) {
      case 'update':
        body.push(P.call('bpf_map_update_elem', [P.map(m), P.imm(o.key), P.buf(val), P.imm(o.flags)], `u${i}`), P.storeAt(rets, i, P.r(`u${i}`)));
        calls.push({ index: i, fn: 'bpf_map_update_elem', text: `bpf_map_update_elem(&lru, &${o.key}, val, ${FLAG_NAMES[o.flags]})` });
        break;
      case 'delete':
        body.push(P.call('bpf_map_delete_elem', [P.map(m), P.imm(o.key)], `u${i}`), P.storeAt(rets, i, P.r(`u${i}`)));
        calls.push({ index: i, fn: 'bpf_map_delete_elem', text: `bpf_map_delete_elem(&lru, &${o.key})` });
        break;
      case 'lookup':
        body.push(P.call('bpf_map_lookup_elem', [P.map(m), P.imm(o.key)], `l${i}`), P.mov(`p${i}`, P.imm(0)),
          P.goto(`L${i}`, P.when(`l${i}`, '==', P.NULL)), P.mov(`p${i}`, P.imm(1)), P.label(`L${i}`), P.storeAt(rets, i, P.r(`p${i}`)));
        calls.push({ index: i, fn: 'bpf_map_lookup_elem', text: `bpf_map_lookup_elem(&lru, &${o.key}) != NULL` });
        break;
      case 'fill':
        // A bounded loop over the keys (a stack variable holds each). What the loop learns goes to
        // memory (atomic adds into the result), never into a register, so that the verifier's states
        // at the loop's head differ only in the key.
        body.push(P.storeAt(rets, i, P.imm(0)), ...keyLoop(`${i}`, o.from, o.to, [
          P.call('bpf_map_update_elem', [P.map(m), P.addr('key'), P.buf(val), P.imm(BPF_ANY)], `u${i}`),
          P.goto(`F${i}`, P.when(`u${i}`, '==', P.imm(0))), P.mov(`o${i}`, P.imm(1)), P.atomicAdd(8, P.addr(rets, 8 * i), P.r(`o${i}`)), P.label(`F${i}`),
        ]));
        calls.push({ index: i, fn: 'bpf_map_update_elem', text: `updates of keys ${o.from}..${o.to - 1} (BPF_ANY): how many failed` });
        break;
      case 'touch':
        body.push(P.storeAt(rets, i, P.imm(0)), ...keyLoop(`${i}`, o.from, o.to, [
          P.call('bpf_map_lookup_elem', [P.map(m), P.addr('key')], `l${i}`),
          P.goto(`F${i}`, P.when(`l${i}`, '==', P.NULL)), P.mov(`o${i}`, P.imm(1)), P.atomicAdd(8, P.addr(rets, 8 * i), P.r(`o${i}`)), P.label(`F${i}`),
        ]));
        calls.push({ index: i, fn: 'bpf_map_lookup_elem', text: `lookups of keys ${o.from}..${o.to - 1}: how many found` });
        break;
    }
  });
  for (let w = 0; w * 64 < s.probe; w += 1) {
    const t = `q${w}`;
    const from = w * 64;
    const to = Math.min(s.probe, from + 64);
    const index = s.ops.length + w;
    // The word: bit (key − from) added when the key is present.
    body.push(P.storeAt(rets, index, P.imm(0)), ...keyLoop(t, from, to, [
      P.call('bpf_map_lookup_elem', [P.map(m), P.addr('key')], `l${t}`),
      P.goto(`F${t}`, P.when(`l${t}`, '==', P.NULL)),
      P.mov(`b${t}`, P.imm(1)), P.mov(`s${t}`, P.r(`i${t}`)), P.alu('sub', `s${t}`, P.imm(from)), P.alu('lsh', `b${t}`, P.r(`s${t}`)), P.atomicAdd(8, P.addr(rets, 8 * index), P.r(`b${t}`)),
      P.label(`F${t}`),
    ]));
    calls.push({ index, fn: 'bpf_map_lookup_elem', text: `keys ${from}..${to - 1} present (bit i: key ${from} + i)` });
  }
  return { body, calls };
}

/** `for (i = from; i < to; i++) { key = i; body }`. */
function keyLoop(t: string, from: number, to: number, inner: readonly Op[]): Op[] {
  return [
    P.mov(`i${t}`, P.imm(from)),
    P.label(`T${t}`), P.goto(`D${t}`, P.when(`i${t}`, '>=', P.imm(to))),
    P.st(4, P.addr('key'), 0, P.r(`i${t}`)), ...inner,
    P.alu('add', `i${t}`, P.imm(1)), P.goto(`T${t}`), P.label(`D${t}`),
  ];
}

function lruObject(id: string, s: LruSeq, guest: boolean): { object: BpfObject; calls: CallRecord[] } {
  const g = (n: string): string => `${id}_${n}`;
  const { body, calls } = lruBody(s, g('map'), g('val'), g('rets'));
  const words = lruWords(s);
  if (guest && words > FRETS) throw new Error(`${id}: ${words} results, the guest records ${FRETS}`);
  const object: BpfObject = {
    name: id, maps: [{ name: g('map'), type: s.type ?? 'lru_hash', maxEntries: s.max, valueSize: 8, taskWorkFields: 0, ...(s.percpu === true ? { flags: 2 } : {}) }], subprogs: [],
    globals: [{ name: g('rets'), kind: 'u64s', size: guest ? FRETS : Math.max(16, words) }, { name: g('val'), kind: 'bytes', size: 8 }, ...(guest ? [{ name: g('pid'), kind: 'int' as const }] : [])],
    programs: [{ name: id, section: guest ? 'lsm/file_open' : 'syscall', locals: [P.local('key', 'u32', 'zero')], body: [...(guest ? pidFilterOps(g('pid')) : []), ...body, P.label('out'), P.ret(P.imm(0))] }],
  };
  return { object, calls };
}

/** A host case (6.18, `SEC("syscall")`). */
export function lruHostCase(id: string, s: LruSeq, note: string, rule = RULE, generated = false): ConfCase {
  const { object, calls } = lruObject(id, s, false);
  return { id, rule, note: `${describeLru(s)}: ${note}`, object, calls, ...(generated ? { generated: true } : {}) };
}

/** A guest case (7.2, `lsm/file_open`). */
export function lruGuestCase(id: string, s: LruSeq, note: string, rule = `${RULE} (7.2)`, generated = false): FileCase {
  const { object, calls } = lruObject(id, s, true);
  return { id, rule, note: `${describeLru(s)}: ${note}`, object, calls, state: 'warm', ...(generated ? { generated: true } : {}) };
}

const RULE = 'LRU_HASH: bpf_lru_list.c (maps/lru.ts)';

const u = (key: number, flags = BPF_ANY): LruOp => ({ k: 'update', key, flags });
const l = (key: number): LruOp => ({ k: 'lookup', key });
const d = (key: number): LruOp => ({ k: 'delete', key });
const seq = (max: number, ops: readonly LruOp[], probe = max + 3): LruSeq => ({ max, ops, probe });
const pc = (max: number, ops: readonly LruOp[], probe = max + 3): LruSeq => ({ max, ops, probe, percpu: true });
const ups = (from: number, to: number): LruOp[] => Array.from({ length: to - from + 1 }, (_, i) => u(from + i));
/** The same over an LRU_PERCPU_HASH (per-CPU values; `pcpu` lists too). */
const vals = (q: LruSeq): LruSeq => ({ ...q, type: 'lru_percpu_hash' });

/**
 * The hand-written sequences, each with what it shows. The outcomes depend on the possible CPUs
 * (the host has 2, the guest 1), so each runs on both.
 */
const HAND: readonly { readonly id: string; readonly s: LruSeq; readonly note: string }[] = [
  { id: 'exist_self', s: seq(1, [u(0), u(0, BPF_EXIST)]), note: 'BPF_EXIST on the only key: the pop evicts the key for its node, then finds it missing → -ENOENT, the map empty' },
  { id: 'noexist_self', s: seq(1, [u(0), u(0, BPF_NOEXIST)]), note: 'BPF_NOEXIST on the only key: evicted by the pop first, so the key is new → 0' },
  { id: 'any_full', s: seq(2, [u(0), u(1), u(1)]), note: 'updating a present key in a full map of two takes a node by evicting inactive\'s tail, key 0' },
  { id: 'refused_evicts', s: seq(2, [u(0), u(1), u(1, BPF_NOEXIST)]), note: 'BPF_NOEXIST on a present key → -EEXIST, but the pop evicted key 0 first' },
  { id: 'fill5', s: seq(4, [u(1), u(2), u(3), u(4), u(5)]), note: 'target_free 2 on one CPU (the second refill evicts two: keys 1 and 2), 1 on two (evicts key 1 only)' },
  { id: 'ref_saves', s: seq(4, [u(1), u(2), u(3), u(4), l(1), u(5)]), note: 'a program\'s lookup sets key 1\'s reference bit: the refill moves it to the active list and evicts others' },
  { id: 'self_again', s: seq(4, [u(1), u(2), u(3), u(4), u(1)]), note: 'updating key 1 again: its own pop may evict it, and it is inserted as a new key' },
  { id: 'self_exist', s: seq(4, [u(1), u(2), u(3), u(4), u(1, BPF_EXIST)]), note: 'the same with BPF_EXIST: -ENOENT when the pop evicted key 1' },
  { id: 'two_of_two', s: seq(2, [u(1), u(2), u(3), u(4)]), note: 'a map of two: target_free 1 on either machine' },
  { id: 'delete_reuse', s: seq(4, [u(1), u(2), u(3), d(2), u(4), u(5), u(6), l(5), u(7), u(8)]), note: 'a delete gives a pending node back to the local free list and an inactive one to the global free list' },
  { id: 'replace_active', s: seq(6, [u(0), u(1), u(2), u(1), u(3), u(4), u(5), u(6), u(7), u(8), u(9)]), note: 'a replacing update sets the new node\'s reference bit: flushed to the active list, later rotated to inactive when inactive runs low' },
  { id: 'rotate', s: seq(8, [u(0), u(1), u(2), u(3), u(4), u(5), l(0), l(1), u(6), u(7), u(8), l(2), u(9), u(10), u(11), u(12), l(9), u(13), u(14), u(15), u(16)]), note: 'lookups between refills: nodes promoted to active, active rotated back' },
  { id: 'all_referenced', s: seq(4, [u(1), u(2), u(3), u(4), l(1), l(2), l(3), l(4), u(5)]), note: 'every node referenced: the rotations leave inactive empty and the shrink evicts none, so one node is evicted from active\'s tail whatever its bit (the forced shrink)' },
  { id: 'rotate_active', s: seq(4, [u(7), l(7), u(1), u(2), u(0), u(0)]), note: 'inactive runs lower than active: active is rotated, its unreferenced nodes moved to inactive' },
  { id: 'rotate_active_again', s: seq(4, [u(0), u(0), u(7), l(7), u(1), u(0), u(0)]), note: 'a replaced node flushed to active, then rotated back to inactive' },
  { id: 'pending_back', s: seq(4, [u(0), u(0), u(1), u(2), u(0, BPF_NOEXIST)]), note: 'the old node of a replaced key, still pending, goes back to the local free list (not the global one)' },
  {
    id: 'scan_budget', s: { max: 300, ops: [{ k: 'fill', from: 0, to: 300 }, { k: 'touch', from: 0, to: 200 }, u(300), u(301)], probe: 302 },
    note: 'more referenced nodes at inactive\'s tail than a walk looks at (128): the rotation promotes some, the shrink counts the rest against its budget',
  },
  { id: 'pc_fill7', s: pc(4, ups(1, 7)), note: 'BPF_F_NO_COMMON_LRU: CPU 0 has max_entries / CPUs nodes (2 on two CPUs, 4 on one); an empty free list is refilled by evicting up to 4 nodes from inactive\'s tail' },
  { id: 'pc_round', s: pc(3, ups(1, 6)), note: 'BPF_F_NO_COMMON_LRU with max_entries 3: rounded up to a multiple of the possible CPUs (4 on two, 3 on one)' },
  { id: 'pc_ref', s: pc(4, [...ups(1, 4), l(1), u(5), u(6)]), note: 'BPF_F_NO_COMMON_LRU: every pop rotates the lists, so a looked-up key moves to active before the shrink' },
  { id: 'pc_scan', s: pc(8, [...ups(1, 8), l(1), u(9), u(10), l(6), u(11), u(12), u(13)]), note: 'BPF_F_NO_COMMON_LRU: a rotation looks at 4 nodes and goes on where the last one stopped (next_inactive_rotation)' },
  { id: 'pc_self', s: pc(4, [...ups(1, 4), u(1), u(2, BPF_EXIST), d(1), u(9)]), note: 'BPF_F_NO_COMMON_LRU: a key\'s own pop evicts it; a delete gives the node to the free list\'s head' },
  { id: 'pc_scan_budget', s: pc(6, [u(0), u(3), u(5), u(1), u(6), u(2), l(5), u(0)]), note: 'BPF_F_NO_COMMON_LRU: a shrink looks at 4 nodes of inactive\'s tail, promoted ones counted (six nodes per CPU on one CPU)' },
  { id: 'pc_scan_budget2', s: pc(12, [u(0), u(3), u(5), u(1), u(6), u(2), l(5), u(0)]), note: 'the same with six nodes per CPU on two CPUs' },
  { id: 'pc_replace', s: pc(6, [u(0), u(1), u(1), u(2), u(3), u(4), u(5), u(6), u(7), u(8)]), note: 'BPF_F_NO_COMMON_LRU: a replacing update\'s node is on inactive with its bit set, promoted by the next rotation' },
  { id: 'v_exist_self', s: vals(seq(1, [u(0), u(0, BPF_EXIST)])), note: 'LRU_PERCPU_HASH: BPF_EXIST takes no node, so the only key stays and is updated in place → 0 (an LRU_HASH gives -ENOENT)' },
  { id: 'v_noexist_self', s: vals(seq(1, [u(0), u(0, BPF_NOEXIST)])), note: 'LRU_PERCPU_HASH: BPF_NOEXIST takes a node first, evicting the key, which is then new → 0' },
  { id: 'v_any_full', s: vals(seq(2, [u(0), u(1), u(1), u(1, BPF_EXIST), u(2)])), note: 'LRU_PERCPU_HASH: a present key updated in place, its node referenced; the node taken for it goes back' },
  { id: 'v_fill5', s: vals(seq(4, [u(1), u(2), u(3), u(4), l(1), u(5), u(1, BPF_EXIST), u(6)])), note: 'LRU_PERCPU_HASH: refills as an LRU_HASH\'s; BPF_EXIST on a present key evicts nothing' },
  { id: 'v_pc', s: vals(pc(4, [...ups(1, 4), l(1), u(5), u(2, BPF_EXIST), u(6), d(5), u(7)])), note: 'LRU_PERCPU_HASH with BPF_F_NO_COMMON_LRU: per-CPU lists and per-CPU values' },
  {
    id: 'large', s: { max: 200, ops: [{ k: 'fill', from: 0, to: 200 }, { k: 'touch', from: 0, to: 20 }, { k: 'fill', from: 200, to: 230 }, { k: 'touch', from: 100, to: 140 }, { k: 'fill', from: 230, to: 330 }], probe: 330 },
    note: 'more nodes than a walk looks at (128): target_free 128 on one CPU, 50 on two; the inactive walk\'s pointer and scan budget decide',
  },
];

/**
 * Which element memory an insert gets after a refill, seen through a kptr left in memory (7.2 only
 * cancels a freed element's fields, so the next key the memory holds finds the task; 6.18 frees it):
 * keys 0 and 1 deleted (0's memory holds the task), so the global free list is [1's, 0's]; the next
 * refill (target_free 2 on one CPU) takes both, and the local free list keeps them in that order
 * (v6.18.44 and 7.2: an `llist` filled from the batch), so key 5 gets 1's memory and key 6 gets the task.
 */
const KPTR_ORDER: readonly KOp[] = [
  { k: 'update', key: 0 }, { k: 'update', key: 1 }, { k: 'in', key: 0 }, { k: 'update', key: 2 }, { k: 'update', key: 3 },
  { k: 'delete', key: 0 }, { k: 'delete', key: 1 }, { k: 'update', key: 5 }, { k: 'update', key: 6 }, { k: 'out', key: 5 }, { k: 'out', key: 6 },
];
const KPTR_ORDER_NOTE = 'a refill\'s batch in the order taken: after deleting keys 0 (holding the task) and 1, key 5 gets key 1\'s memory and key 6 key 0\'s (7.2 leaves the task there, 6.18 freed it)';

/**
 * The same for BPF_F_NO_COMMON_LRU (one CPU's four nodes: a map of 4 on the guest, 8 on the host):
 * key 0's memory (the task) reaches inactive through the active rotation, a shrink evicts it with
 * three others, each put at the free list's head, so key 5 gets the last evicted memory and key 8
 * the task's.
 */
const PC_KPTR_ORDER: readonly KOp[] = [
  { k: 'update', key: 0 }, { k: 'in', key: 0 }, { k: 'update', key: 1 }, { k: 'delete', key: 1 }, { k: 'update', key: 2 }, { k: 'update', key: 3 },
  { k: 'update', key: 4 }, { k: 'update', key: 5 }, { k: 'out', key: 5 }, { k: 'update', key: 6 }, { k: 'update', key: 7 }, { k: 'update', key: 8 }, { k: 'out', key: 8 },
];
const PC_KPTR_ORDER_NOTE = 'BPF_F_NO_COMMON_LRU: evicted memory goes to the free list\'s head one by one, so the first key after a shrink gets the last evicted memory, and key 8 the task key 0 left there (7.2; 6.18 freed it)';

function kptrOrderObject(id: string, guest: boolean, percpu = false): { object: BpfObject; calls: CallRecord[] } {
  const q: KptrSeq = { kind: 'lru_hash', max: percpu ? (guest ? 4 : 8) : 4, ops: percpu ? PC_KPTR_ORDER : KPTR_ORDER };
  return kptrSeqObject(id, q, guest, percpu ? 2 : 0);
}

export const lruCases: readonly ConfCase[] = [
  ...HAND.map((h) => lruHostCase(`lru_${h.id}`, h.s, h.note)),
  { id: 'lru_kptr_order', rule: RULE, note: KPTR_ORDER_NOTE, ...kptrOrderObject('lru_kptr_order', false) },
  { id: 'lru_pc_kptr_order', rule: RULE, note: PC_KPTR_ORDER_NOTE, ...kptrOrderObject('lru_pc_kptr_order', false, true) },
];

export function lruFileCases(): FileCase[] {
  return [
    ...HAND.map((h) => lruGuestCase(`fl_${h.id}`, h.s, h.note)),
    { id: 'fl_kptr_order', rule: `${RULE} (7.2)`, note: KPTR_ORDER_NOTE, ...kptrOrderObject('fl_kptr_order', true), state: 'warm' },
    { id: 'fl_pc_kptr_order', rule: `${RULE} (7.2)`, note: PC_KPTR_ORDER_NOTE, ...kptrOrderObject('fl_pc_kptr_order', true, true), state: 'warm' },
  ];
}
