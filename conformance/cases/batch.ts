/**
 * User space's batch map commands on the kernel (src/model/maps/batch.ts): BPF_MAP_LOOKUP_BATCH,
 * BPF_MAP_LOOKUP_AND_DELETE_BATCH, BPF_MAP_UPDATE_BATCH and BPF_MAP_DELETE_BATCH through libbpf, after
 * a program filled the map (percpu.ts sequences). A hash map's lookups go by whole buckets (created
 * with BPF_F_ZERO_SEED, so the kernel's buckets are the model's); each buffer records the count, the
 * out_batch and every key and value byte the command wrote (the rest stays 0xee).
 */
import { percpuGuestCase, percpuHostCase, type PercpuSeq, type Step } from './percpu.ts';
import type { FileCase } from './file.ts';
import type { ConfCase, SysMapOp } from './lib.ts';

const ZERO_SEED = 64;
const RULE = 'batch map commands (maps/batch.ts)';
type Sys = Omit<SysMapOp, 'map'>;

const u32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
const u64 = (v: bigint): number[] => Array.from({ length: 8 }, (_, i) => Number((v >> BigInt(8 * i)) & 0xffn));

/** A lookup (or lookup-and-delete) of up to `count` elements from `from` (null: the start), room for values of `room` bytes each. */
export function lookup(from: number | null, count: number, room: number, o: { del?: boolean; elemFlags?: bigint; flags?: bigint } = {}): Sys {
  const op = `${o.del === true ? 'lookup_and_delete_batch' : 'lookup_batch'}${from === null ? '_start' : ''}` as SysMapOp['op'];
  const bytes = Uint8Array.from([...u32(count), 0xee, 0xee, 0xee, 0xee, ...u64(o.flags ?? 0n), ...new Array<number>(count * 4 + count * room).fill(0xee)]);
  return { op, key: from ?? 0, flags: o.elemFlags ?? 0n, bytes };
}
/** An update of `keys`, the i-th value `size` bytes counting up from 16 × i. */
export function update(keys: readonly number[], size: number, elemFlags = 0n): Sys {
  const values = keys.flatMap((_, i) => Array.from({ length: size }, (__, j) => (16 * i + j + 1) & 0xff));
  return { op: 'update_batch', key: 0, flags: elemFlags, bytes: Uint8Array.from([...u32(keys.length), 0xee, 0xee, 0xee, 0xee, ...u64(0n), ...keys.flatMap(u32), ...values]) };
}
export const del = (keys: readonly number[], elemFlags = 0n): Sys => ({ op: 'delete_batch', key: 0, flags: elemFlags, bytes: Uint8Array.from([...u32(keys.length), 0xee, 0xee, 0xee, 0xee, ...u64(0n), ...keys.flatMap(u32)]) });
const ups = (keys: readonly number[]): Step[] => keys.map((key) => ({ k: 'update', key, value: 0x100 + key }));
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
/** Room for a per-CPU value of 8 bytes on up to 8 CPUs. */
const PCPU_ROOM = 64;

const SEQS: readonly PercpuSeq[] = [
  {
    id: 'hash_lookup', map: { type: 'hash', maxEntries: 8, flags: ZERO_SEED }, steps: ups(range(8)),
    sys: [lookup(null, 3, 8), lookup(2, 3, 8), lookup(6, 8, 8), lookup(null, 1, 8), lookup(null, 0, 8), lookup(8, 4, 8), lookup(2, 1, 8), lookup(null, 4, 8, { flags: 1n }), lookup(null, 4, 8, { elemFlags: 4n }), lookup(null, 4, 8, { elemFlags: 1n })],
    note: 'whole buckets from in_batch (NULL: 0): a bucket past what is left of count stops the batch (-ENOSPC when it is the first), the end is -ENOENT with what was copied, in_batch past the buckets -ENOENT, count 0 does nothing; batch.flags and elem_flags -EINVAL',
  },
  {
    id: 'hash_lad', map: { type: 'hash', maxEntries: 8, flags: ZERO_SEED }, steps: ups(range(8)),
    sys: [lookup(null, 3, 8, { del: true }), lookup(null, 16, 8), lookup(null, 16, 8, { del: true, elemFlags: 4n }), update([20, 21, 22], 8), lookup(null, 16, 8)],
    note: 'a lookup-and-delete deletes the buckets it copied; BPF_F_LOCK is -EINVAL',
  },
  {
    id: 'lru_lad', map: { type: 'lru_hash', maxEntries: 8, flags: ZERO_SEED }, steps: ups(range(8)),
    sys: [lookup(2, 2, 8, { del: true }), update([20, 21, 22, 23, 24, 25, 26, 27, 28, 29], 8), lookup(null, 16, 8)],
    note: 'an LRU_HASH\'s lookup-and-delete gives the nodes back in the reverse of their bucket\'s order; the updates after take them and evict',
  },
  {
    id: 'hash_update_delete', map: { type: 'hash', maxEntries: 4, flags: ZERO_SEED }, steps: ups([1]),
    sys: [update([0, 1, 2, 3, 4], 8), lookup(null, 8, 8), update([5], 8, 1n), update([5], 8, 4n), del([0, 1, 9, 2]), lookup(null, 8, 8), del([3], 4n), update([], 8)],
    note: 'updates key after key until the first error (a full map: -E2BIG), count the ones done; elem_flags other than BPF_F_LOCK -EINVAL, BPF_F_LOCK too; deletes until the first missing key (-ENOENT)',
  },
  {
    id: 'array', map: { type: 'array', maxEntries: 3 }, steps: ups([1]),
    sys: [lookup(null, 2, 8), lookup(1, 2, 8), lookup(2, 2, 8), lookup(7, 5, 8), lookup(null, 2, 8, { del: true }), del([0]), update([0, 2, 5, 1], 8), lookup(null, 4, 8)],
    note: 'an array\'s lookup follows BPF_MAP_GET_NEXT_KEY from the key in_batch, out_batch the last key copied; no lookup-and-delete or delete batch (-ENOTSUPP); an update past the last index -E2BIG',
  },
  {
    id: 'percpu', map: { type: 'percpu_hash', maxEntries: 4, flags: ZERO_SEED }, steps: ups([2, 3]),
    sys: [lookup(null, 4, PCPU_ROOM), lookup(null, 4, PCPU_ROOM, { elemFlags: 8n }), update([1], PCPU_ROOM), lookup(null, 4, PCPU_ROOM, { del: true })],
    note: 'a PERCPU_HASH\'s values are every possible CPU\'s copy; BPF_F_CPU (7.x: one CPU\'s value; 6.18: -EINVAL)',
  },
  {
    id: 'access', map: { type: 'hash', maxEntries: 4, flags: ZERO_SEED | 8 }, steps: ups([0, 1]),
    sys: [lookup(null, 4, 8), update([2], 8), del([0]), lookup(null, 4, 8, { del: true })],
    note: 'a BPF_F_RDONLY map: lookups, but updates, deletes and lookups-and-deletes -EPERM',
  },
];

export const batchCases: readonly ConfCase[] = SEQS.map((q) => percpuHostCase(`bt_${q.id}`, q, RULE));

export function batchFileCases(): FileCase[] {
  return SEQS.map((q) => percpuGuestCase(`fbt_${q.id}`, q, `${RULE} (7.2)`));
}
