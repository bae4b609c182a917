/**
 * The RINGBUF dynptr helpers (kernel/bpf/ringbuf.c: `bpf_ringbuf_reserve_dynptr`,
 * `bpf_ringbuf_submit_dynptr`, `bpf_ringbuf_discard_dynptr`). The ring's rules are in
 * src/model/ringbuf/ring.ts.
 */
import { E2BIG, EINVAL } from '../../kernel/errno.ts';
import { ArgumentError } from '../../kernel/errors.ts';
import { defineKfunc } from '../../kfunc/kfunc.ts';
import { ringbufCommit, ringbufReserve, ringOf } from '../../ringbuf/ring.ts';
import type { Kern } from '../../world/world.ts';
import { DYNPTR_MAX_SIZE, dynptrAt, setNull, uninitSlot } from '../core.ts';
import { RingbufDynptr } from '../types.ts';

/**
 * `bpf_ringbuf_reserve_dynptr(map, u32 size, u64 flags, ptr)`. The reference the verifier tracks
 * exists whatever happens at run time: the program must submit or discard `ptr` on every path, even
 * after a failed reservation (the dynptr is then null, and the release does nothing).
 */
export const bpf_ringbuf_reserve_dynptr = defineKfunc({
  name: 'bpf_ringbuf_reserve_dynptr',
  mirrors: 'kernel/bpf/ringbuf.c: bpf_ringbuf_reserve_dynptr, __bpf_ringbuf_reserve, bpf_ringbuf_has_space',
  kind: 'helper',
  since: '6.18', // in the kernel since 5.19; 6.18 is the oldest version modelled
  summary: 'Reserve a record of `size` bytes in the ring buffer `map` and make `ptr` a RINGBUF dynptr over it.',
  args: [
    { name: 'map', type: 'map' },
    { name: 'size', type: 'u32' },
    { name: 'flags', type: 'u64' },
    { name: 'ptr', type: 'dynptr_uninit', dynptrKind: 'ringbuf' },
  ],
  ret: 'int',
  flags: [],
  checks: [
    'map is not a BPF_MAP_TYPE_RINGBUF map → the verifier refuses the program',
    'flags ≠ 0 → -EINVAL, ptr set null',
    'size > DYNPTR_MAX_SIZE (2^24 - 1) → -E2BIG, ptr set null (size is a u32: the register is truncated first)',
    'the record (round_up(size + 8, 8) bytes) is larger than the ring, or the ring has no room for it counted from the oldest record not yet committed and (unless BPF_F_RB_OVERWRITE) from the consumer position → -EINVAL (not -EAGAIN), ptr set null',
  ],
  effects: [
    'a record header (size | BUSY bit) is written at the producer position, which moves past the record',
    'ptr becomes a writable RINGBUF dynptr: offset 0, size `size`; the bytes are not cleared (a reused area holds what was there)',
    'the verifier holds a reference for ptr (even when the call failed): submit or discard it on every path',
  ],
  confidence: 'H (source: ringbuf.c, the pending_pos rule of every modelled version); lock failures (NMI, rqspinlock) not modelled',
  impl(k, map, size, flags, ptr) {
    ringOf(k, map);
    const slot = uninitSlot(k, ptr, 'ptr');
    if (flags !== 0n) {
      setNull(k, slot);
      return -EINVAL;
    }
    if (size > DYNPTR_MAX_SIZE) {
      setNull(k, slot);
      return -E2BIG;
    }
    const rec = ringbufReserve(k, map, Number(size));
    if (rec === null) {
      setNull(k, slot);
      return -EINVAL;
    }
    k.t.own('dynptrs').set(slot, new RingbufDynptr(map, rec, 0, Number(size)));
    return 0;
  },
});

/** The body of submit and discard: a null dynptr is left alone; else the record is committed and the dynptr nulled. */
function release(k: Kern, ptr: string, flags: bigint, discard: boolean): undefined {
  const d = dynptrAt(k, ptr, 'ptr');
  if (d.kind === 'null') return undefined;
  if (d.kind !== 'ringbuf') {
    throw new ArgumentError('ptr', ptr, `a RINGBUF dynptr (the verifier refuses a ${d.kind} one: "Expected a dynptr of type ringbuf")`);
  }
  // The commit uses the record the dynptr was made for (ptr->data), whatever its offset now.
  ringbufCommit(k, d.map, d.rec, flags, discard, 'ptr');
  setNull(k, ptr);
  return undefined;
}

const RELEASE_CHECKS = [
  'ptr not a RINGBUF dynptr, or not initialized → the verifier refuses the program',
  'ptr null (the reservation failed) → nothing',
];

const wakeup = 'the readers are woken when flags has BPF_RB_FORCE_WAKEUP, or when the consumer has reached this record and flags lacks BPF_RB_NO_WAKEUP; other flag bits are ignored';

/** `bpf_ringbuf_submit_dynptr(ptr, flags)`. */
export const bpf_ringbuf_submit_dynptr = defineKfunc({
  name: 'bpf_ringbuf_submit_dynptr',
  mirrors: 'kernel/bpf/ringbuf.c: bpf_ringbuf_submit_dynptr, bpf_ringbuf_commit',
  kind: 'helper',
  since: '6.18', // in the kernel since 5.19
  summary: 'Commit the record of the RINGBUF dynptr `ptr` for user space to read, and null `ptr`.',
  args: [
    { name: 'ptr', type: 'dynptr', dynptrKind: 'ringbuf' },
    { name: 'flags', type: 'u64' },
  ],
  ret: 'void',
  flags: ['OBJ_RELEASE'],
  checks: RELEASE_CHECKS,
  effects: [
    'the record\'s BUSY bit is cleared: a reader sees it once every record before it is committed',
    wakeup,
    'ptr and every clone of it are released (the clones are no longer usable)',
  ],
  confidence: 'H (source)',
  impl(k, ptr, flags) {
    return release(k, ptr, flags, false);
  },
});

/** `bpf_ringbuf_discard_dynptr(ptr, flags)`. */
export const bpf_ringbuf_discard_dynptr = defineKfunc({
  name: 'bpf_ringbuf_discard_dynptr',
  mirrors: 'kernel/bpf/ringbuf.c: bpf_ringbuf_discard_dynptr, bpf_ringbuf_commit',
  kind: 'helper',
  since: '6.18', // in the kernel since 5.19
  summary: 'Discard the record of the RINGBUF dynptr `ptr` (readers skip it), and null `ptr`.',
  args: [
    { name: 'ptr', type: 'dynptr', dynptrKind: 'ringbuf' },
    { name: 'flags', type: 'u64' },
  ],
  ret: 'void',
  flags: ['OBJ_RELEASE'],
  checks: RELEASE_CHECKS,
  effects: [
    'the record\'s BUSY bit is cleared and its DISCARD bit set: readers move past it without reading it',
    wakeup,
    'ptr and every clone of it are released (the clones are no longer usable)',
  ],
  confidence: 'H (source)',
  impl(k, ptr, flags) {
    return release(k, ptr, flags, true);
  },
});
