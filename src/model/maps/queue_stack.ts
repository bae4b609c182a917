/**
 * QUEUE and STACK maps (kernel/bpf/queue_stack_maps.c, read in 7.2.13): `max_entries + 1` slots of
 * `value_size` bytes in a ring, `head` where the next push goes and `tail` the oldest value (types.ts
 * `QueueStack`). They have no keys.
 *
 * - A push (`queue_stack_map_push_elem`) refuses BPF_NOEXIST and any flag above BPF_EXIST (-EINVAL);
 *   into a full map it is -E2BIG, unless BPF_EXIST asks to make room: then the oldest value (the
 *   tail, for a stack too) is dropped. The value goes to `head`, which moves on.
 * - A queue takes from the tail (`__queue_map_get`), a stack from `head - 1` (`__stack_map_get`); a pop
 *   moves the end it took from, a peek does not. Empty: -ENOENT, and the program's value is zeroed.
 *
 * Programs call `bpf_map_push_elem`, `bpf_map_pop_elem` and `bpf_map_peek_elem` (kfuncs.ts; nothing
 * else on these maps: the verifier's `check_map_func_compatibility`). User space's syscalls pass a NULL key:
 * BPF_MAP_UPDATE_ELEM pushes, BPF_MAP_LOOKUP_ELEM peeks, BPF_MAP_LOOKUP_AND_DELETE_ELEM pops (maps.ts).
 * The map's lock is a resilient spin lock that a program in NMI may fail to take (-EBUSY): the
 * model's programs never run in NMI, so it always takes it.
 */
import { E2BIG, EINVAL, ENOENT } from '../kernel/errno.ts';
import { ArgumentError } from '../kernel/errors.ts';
import type { BpfMap, QueueStack } from './types.ts';
import { SlotTable } from './slots.ts';

const BPF_NOEXIST = 1n;
const BPF_EXIST = 2n;

/** A new, empty ring for `maxEntries` values. */
export function newQueueStack(maxEntries: number): QueueStack {
  return { head: 0, tail: 0, size: maxEntries + 1, elements: new SlotTable<Uint8Array>() };
}

/** The ring of a QUEUE or STACK map. */
function ringOf(m: BpfMap): QueueStack {
  if (m.qs === null) throw new ArgumentError('map', m.name, 'a QUEUE or STACK map');
  return m.qs;
}

/** The slot after `i` in the ring, and the one before it. */
const next = (q: QueueStack, i: number): number => (i + 1 >= q.size ? 0 : i + 1);
const prev = (q: QueueStack, i: number): number => (i === 0 ? q.size - 1 : i - 1);
const full = (q: QueueStack): boolean => next(q, q.head) === q.tail;

/** `queue_stack_map_push_elem`: 0, or -EINVAL for the flags, -E2BIG when full without BPF_EXIST. */
export function qsPush(m: BpfMap, value: Uint8Array, flags: bigint): number {
  const q = ringOf(m);
  if ((flags & BPF_NOEXIST) !== 0n || flags > BPF_EXIST) return -EINVAL;
  if (value.length < m.valueSize) throw new ArgumentError('value', value, `a Uint8Array of at least the map's value size (${m.valueSize})`);
  if (full(q)) {
    if ((flags & BPF_EXIST) === 0n) return -E2BIG;
    // Make room: the oldest value (the tail) goes.
    q.tail = next(q, q.tail);
  }
  q.elements.set(q.head, value.slice(0, m.valueSize));
  q.head = next(q, q.head);
  return 0;
}

/**
 * `__queue_map_get` / `__stack_map_get`: the oldest value (a queue) or the newest (a stack) copied
 * into `out`, removed when `pop`; -ENOENT when empty, `out` zeroed if `zeroOnEmpty` (a program's
 * value; user space's buffer is left as it was).
 */
export function qsGet(m: BpfMap, out: Uint8Array, pop: boolean, zeroOnEmpty: boolean): number {
  const q = ringOf(m);
  if (out.length < m.valueSize) throw new ArgumentError('value', out, `a Uint8Array of at least the map's value size (${m.valueSize})`);
  if (q.head === q.tail) {
    if (zeroOnEmpty) out.fill(0, 0, m.valueSize);
    return -ENOENT;
  }
  const index = m.type === 'queue' ? q.tail : prev(q, q.head);
  const v = q.elements.get(index);
  if (v === undefined) out.fill(0, 0, m.valueSize);
  else out.set(v.subarray(0, m.valueSize));
  if (pop) {
    if (m.type === 'queue') q.tail = next(q, q.tail);
    else q.head = index;
  }
  return 0;
}

/** The values a QUEUE or STACK map holds, oldest first (for tests). */
export function qsValues(m: BpfMap): Uint8Array[] {
  const q = ringOf(m);
  const out: Uint8Array[] = [];
  for (let i = q.tail; i !== q.head; i = next(q, i)) out.push(q.elements.get(i) ?? new Uint8Array(m.valueSize));
  return out;
}
