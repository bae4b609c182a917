/**
 * BLOOM_FILTER maps (kernel/bpf/bloom_filter.c, read in 7.2.13): a bit array and `nr_hash_funcs`
 * hashes of a value. A push sets the value's bits; a peek answers 0 when all of them are set (the value
 * may have been pushed: a false positive is possible, and the model gives exactly the kernel's) and
 * -ENOENT at the first bit clear. There is nothing to pop, delete or walk.
 *
 * - **Creation** (`bloom_map_alloc`): the low 4 bits of `map_extra` are the number of hashes (0: 5);
 *   the bits are `max_entries × hashes × 7 / 5` (the integer division first, as the kernel does it),
 *   at least 64, rounded up to a power of two; past 2^31, or on a u32 overflow, 2^32 bits.
 * - **The hash** (`hash`): value i of `nr_hash_funcs` is `jhash2` of the value's u32 words when its
 *   size is a multiple of 4, else `jhash` of its bytes, seeded with `hash_seed + i`; its bit is the hash
 *   masked to the array. `hash_seed` is `get_random_u32()`, 0 with BPF_F_ZERO_SEED (the world's
 *   `hashrnd`, as for a hash map).
 * - **A push** (`bloom_map_push_elem`) with flags other than BPF_ANY is -EINVAL.
 *
 * The model keeps the set bits, not the array (which may be 512 MiB): a push adds at most 15.
 */
import { EINVAL, ENOENT } from '../kernel/errno.ts';
import { ArgumentError } from '../kernel/errors.ts';
import { jhash, jhash2, le32 } from '../kernel/jhash.ts';
import type { BloomFilter, BpfMap } from './types.ts';
import { SlotTable } from './slots.ts';

/** The helpers a bloom filter takes (check_map_func_compatibility), and no other. */
export const BLOOM_FUNCS: ReadonlySet<string> = new Set(['bpf_map_push_elem', 'bpf_map_peek_elem']);

/**
 * Whether helper `fn`'s value argument, which its prototype says it writes, is written for a map of
 * `type` (the verifier's `resolve_map_arg_type`): a bloom filter's peek takes it as
 * ARG_PTR_TO_MAP_VALUE, read (the verifier checks it as a read) and left as it was.
 */
export const peekWrites = (fn: string, type: string | undefined): boolean => !(fn === 'bpf_map_peek_elem' && type === 'bloom_filter');

/** Bits of an array of 2^32 bits: the mask is U32_MAX. */
const U32_MAX = 0xffff_ffff;

/** `bloom_map_alloc`'s number of hashes and bit mask for `maxEntries` and `mapExtra` (already checked: at most 0xf). */
export function bloomGeometry(maxEntries: number, mapExtra: number): { readonly nrHash: number; readonly mask: number } {
  const nrHash = mapExtra === 0 ? 5 : mapExtra;
  // check_mul_overflow on u32 twice, then nr_bits > 2^31: all give 2^32 bits.
  const product = maxEntries * nrHash;
  const scaled = Math.floor(product / 5) * 7;
  if (product > U32_MAX || scaled > U32_MAX || scaled > 2 ** 31) return { nrHash, mask: U32_MAX };
  let bits = 64;
  while (bits < scaled) bits *= 2;
  return { nrHash, mask: bits - 1 };
}

/** A new, empty filter for a map of `maxEntries` values and `mapExtra`, seeded with `seed`. */
export function newBloom(maxEntries: number, mapExtra: number, seed: number): BloomFilter {
  const { nrHash, mask } = bloomGeometry(maxEntries, mapExtra);
  return { nrHash, mask, seed, bits: new SlotTable<true>() };
}

/** The filter of a BLOOM_FILTER map. */
function filterOf(m: BpfMap): BloomFilter {
  if (m.bloom === null) throw new ArgumentError('map', m.name, 'a BLOOM_FILTER map');
  return m.bloom;
}

/** `hash(bloom, value, value_size, i)` for each i: the bits of the value's first `size` bytes. */
function bitsOf(f: BloomFilter, value: Uint8Array, size: number): number[] {
  const key = value.subarray(0, size);
  let words: number[] | null = null;
  if (size % 4 === 0) {
    words = new Array<number>(size / 4);
    for (let j = 0; j < words.length; j += 1) words[j] = le32(key, 4 * j);
  }
  const bits = new Array<number>(f.nrHash);
  for (let i = 0; i < f.nrHash; i += 1) {
    const seed = (f.seed + i) >>> 0;
    bits[i] = ((words === null ? jhash(key, seed) : jhash2(words, seed)) & f.mask) >>> 0;
  }
  return bits;
}

function checkValue(m: BpfMap, value: Uint8Array): void {
  if (!(value instanceof Uint8Array) || value.length < m.valueSize) throw new ArgumentError('value', value, `a Uint8Array of at least the map's value size (${m.valueSize})`);
}

/** `bloom_map_push_elem`: -EINVAL for any flag; else the value's bits are set, 0. */
export function bloomPush(m: BpfMap, value: Uint8Array, flags: bigint): number {
  const f = filterOf(m);
  if (flags !== 0n) return -EINVAL;
  checkValue(m, value);
  for (const b of bitsOf(f, value, m.valueSize)) f.bits.set(b, true);
  return 0;
}

/** `bloom_map_peek_elem`: 0 when every bit of the value is set, else -ENOENT. `value` is only read. */
export function bloomPeek(m: BpfMap, value: Uint8Array): number {
  const f = filterOf(m);
  checkValue(m, value);
  return bitsOf(f, value, m.valueSize).every((b) => f.bits.has(b)) ? 0 : -ENOENT;
}
