/**
 * The ring buffer helpers that do not use dynptrs (kernel/bpf/ringbuf.c): `bpf_ringbuf_reserve`
 * (a record as plain memory the program writes through its pointer), `bpf_ringbuf_submit`,
 * `bpf_ringbuf_discard`, `bpf_ringbuf_output` (reserve, copy, commit in one call) and
 * `bpf_ringbuf_query`. The RINGBUF dynptr helpers are in dynptr/ringbuf/.
 */
import { EAGAIN, EINVAL } from '../kernel/errno.ts';
import { defineKfunc } from '../kfunc/kfunc.ts';
import type { RingSample } from '../kfunc/types.ts';
import type { Kern } from '../world/world.ts';
import { ringbufCommit, ringbufReserve, ringInfo, ringOf, sampleToWrite } from './ring.ts';
import { BPF_RB_FORCE_WAKEUP, BPF_RB_NO_WAKEUP } from './state.ts';

/** `BPF_RB_AVAIL_DATA`, `BPF_RB_RING_SIZE`, `BPF_RB_CONS_POS`, `BPF_RB_PROD_POS`, `BPF_RB_OVERWRITE_POS` (include/uapi/linux/bpf.h). */
export const BPF_RB_AVAIL_DATA = 0n;
export const BPF_RB_RING_SIZE = 1n;
export const BPF_RB_CONS_POS = 2n;
export const BPF_RB_PROD_POS = 3n;
export const BPF_RB_OVERWRITE_POS = 4n;

const MAP_CHECK = 'map is not a BPF_MAP_TYPE_RINGBUF map → the verifier refuses the program ("cannot pass map_type … into func …")';

/** `bpf_ringbuf_reserve(map, size, flags)`: a record as memory, or NULL. */
export const bpf_ringbuf_reserve = defineKfunc({
  name: 'bpf_ringbuf_reserve',
  mirrors: 'kernel/bpf/ringbuf.c: bpf_ringbuf_reserve, __bpf_ringbuf_reserve',
  kind: 'helper',
  since: '6.18', // in the kernel since 5.8
  summary: 'Reserve a record of `size` bytes in the ring buffer `map`: a pointer to its memory, or NULL.',
  args: [
    { name: 'ringbuf', type: 'map' },
    { name: 'size', type: 'u64', sizeConst: true },
    { name: 'flags', type: 'u64' },
  ],
  ret: 'ringbuf_mem',
  flags: ['OBJ_ACQUIRE'],
  checks: [
    MAP_CHECK,
    'size not a known constant → the verifier refuses the program (ARG_CONST_ALLOC_SIZE_OR_ZERO)',
    'flags ≠ 0 → NULL',
    'the record (round_up(size + 8, 8) bytes) is larger than the ring, or the ring has no room for it → NULL',
  ],
  effects: [
    'a record header (size | BUSY bit) is written at the producer position, which moves past the record',
    'the result is a reference the verifier tracks: after the NULL check, submit or discard it on every path',
  ],
  confidence: 'H (source: ringbuf.c)',
  impl(k, map, size, flags): RingSample | null {
    ringOf(k, map);
    if (flags !== 0n) return null;
    const rec = size > 0xffff_ffffn ? null : ringbufReserve(k, map, Number(size));
    return rec === null ? null : { map, rec };
  },
});

function commit(k: Kern, sample: RingSample, flags: bigint, discard: boolean): undefined {
  ringbufCommit(k, sample.map, sample.rec, flags, discard, 'data');
  return undefined;
}

const WAKEUP = 'the readers are woken when flags has BPF_RB_FORCE_WAKEUP, or when the consumer has reached this record and flags lacks BPF_RB_NO_WAKEUP; other flag bits are ignored';
const RELEASE_CHECKS = [
  'data is not a record bpf_ringbuf_reserve returned, not NULL-checked, or not at offset 0 → the verifier refuses the program ("type=… expected=ringbuf_mem")',
];

/** `bpf_ringbuf_submit(data, flags)`. */
export const bpf_ringbuf_submit = defineKfunc({
  name: 'bpf_ringbuf_submit',
  mirrors: 'kernel/bpf/ringbuf.c: bpf_ringbuf_submit, bpf_ringbuf_commit',
  kind: 'helper',
  since: '6.18', // in the kernel since 5.8
  summary: 'Commit the reserved record `data` for user space to read.',
  args: [
    { name: 'data', type: 'ringbuf_mem' },
    { name: 'flags', type: 'u64' },
  ],
  ret: 'void',
  flags: ['OBJ_RELEASE'],
  checks: RELEASE_CHECKS,
  effects: ['the record\'s BUSY bit is cleared: a reader sees it once every record before it is committed', WAKEUP, 'the reference is released: data may not be used again'],
  confidence: 'H (source)',
  impl(k, data, flags) {
    return commit(k, data, flags, false);
  },
});

/** `bpf_ringbuf_discard(data, flags)`. */
export const bpf_ringbuf_discard = defineKfunc({
  name: 'bpf_ringbuf_discard',
  mirrors: 'kernel/bpf/ringbuf.c: bpf_ringbuf_discard, bpf_ringbuf_commit',
  kind: 'helper',
  since: '6.18', // in the kernel since 5.8
  summary: 'Discard the reserved record `data` (readers skip it).',
  args: [
    { name: 'data', type: 'ringbuf_mem' },
    { name: 'flags', type: 'u64' },
  ],
  ret: 'void',
  flags: ['OBJ_RELEASE'],
  checks: RELEASE_CHECKS,
  effects: ['the record\'s BUSY bit is cleared and its DISCARD bit set: readers move past it without reading it', WAKEUP, 'the reference is released: data may not be used again'],
  confidence: 'H (source)',
  impl(k, data, flags) {
    return commit(k, data, flags, true);
  },
});

/** `bpf_ringbuf_output(map, data, size, flags)`. */
export const bpf_ringbuf_output = defineKfunc({
  name: 'bpf_ringbuf_output',
  mirrors: 'kernel/bpf/ringbuf.c: bpf_ringbuf_output',
  kind: 'helper',
  since: '6.18', // in the kernel since 5.8
  summary: 'Copy `size` bytes of `data` into a new record of the ring buffer `map` and commit it.',
  args: [
    { name: 'ringbuf', type: 'map' },
    { name: 'data', type: 'mem', size: 2 },
    { name: 'size', type: 'u64' },
    { name: 'flags', type: 'u64' },
  ],
  ret: 'int',
  flags: [],
  checks: [
    MAP_CHECK,
    'flags outside BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP → -EINVAL',
    'the record does not fit (larger than the ring, or no room) → -EAGAIN',
  ],
  effects: ['a record with the bytes of data is reserved and committed at once', WAKEUP],
  confidence: 'H (source)',
  impl(k, map, data, size, flags) {
    ringOf(k, map);
    if ((flags & ~(BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP)) !== 0n) return -EINVAL;
    const rec = size > 0xffff_ffffn ? null : ringbufReserve(k, map, Number(size));
    if (rec === null) return -EAGAIN;
    if (size > 0n) sampleToWrite(k, map, rec, 'data').set(data.subarray(0, Number(size)));
    ringbufCommit(k, map, rec, flags, false, 'data');
    return 0;
  },
});

/** `bpf_ringbuf_query(map, flags)`. */
export const bpf_ringbuf_query = defineKfunc({
  name: 'bpf_ringbuf_query',
  mirrors: 'kernel/bpf/ringbuf.c: bpf_ringbuf_query',
  kind: 'helper',
  since: '6.18', // in the kernel since 5.8
  summary: 'A position or size of the ring buffer `map`, chosen by `flags`.',
  args: [
    { name: 'ringbuf', type: 'map' },
    { name: 'flags', type: 'u64' },
  ],
  ret: 'u64',
  flags: [],
  checks: [MAP_CHECK, 'flags not one of the BPF_RB_* queries → 0'],
  effects: [
    'BPF_RB_AVAIL_DATA (0): producer − consumer position; BPF_RB_RING_SIZE (1): the data area\'s size; BPF_RB_CONS_POS (2), BPF_RB_PROD_POS (3): the positions; BPF_RB_OVERWRITE_POS (4, 6.19+): the overwrite position',
  ],
  confidence: 'H (source)',
  impl(k, map, flags) {
    const r = ringOf(k, map);
    const info = ringInfo(r);
    switch (flags) {
      case BPF_RB_AVAIL_DATA: return BigInt(info.availData);
      case BPF_RB_RING_SIZE: return BigInt(info.size);
      case BPF_RB_CONS_POS: return BigInt(info.consumerPos);
      case BPF_RB_PROD_POS: return BigInt(info.producerPos);
      case BPF_RB_OVERWRITE_POS: return k.features.ringbufOverwrite ? BigInt(info.overwritePos) : 0n;
      default: return 0n;
    }
  },
});
