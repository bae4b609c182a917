/**
 * BLOOM_FILTER maps (src/model/maps/bloom.ts). A program runs a sequence of `bpf_map_push_elem` and
 * `bpf_map_peek_elem` calls on the map `<id>_b`, each with a value of the map's size; each call's
 * result goes to `<id>_rets[i]`. With BPF_F_ZERO_SEED the filter's bits are the kernel's exactly, so
 * a peek of a value never pushed is compared too (a false positive where the kernel has one); without
 * it the seed is random, and only pushed values and an empty filter are asked about. User space's
 * syscalls follow (`sys`): push and peek with a NULL key, and the commands a bloom filter refuses. Map
 * creation (`create`): the type's checks and `map_extra`. Verifier cases: the helpers a bloom filter
 * takes, a peek's value being read, and a sleepable program, which may not use a bloom filter at all
 * (`check_map_prog_compatibility`). So the host runs its programs as `tc` (a test run of a 64-byte
 * packet), not `SEC("syscall")`, which is sleepable.
 */
import { program as P, type BpfObject, type MapDecl, type Op } from '../../src/index.ts';
import { FRETS, type FileCase } from './file.ts';
import { caseSys, type CallRecord, type ConfCase, type SysMapOp } from './lib.ts';
import { keylessCase, keylessObject } from './keyless.ts';
import { storeValue, valueBytes } from '../../properties/queue.ts';
import { createOp } from './queue.ts';
import { del, lookup, update } from './batch.ts';

const RULE = 'BLOOM_FILTER maps (maps/bloom.ts)';
const ZERO_SEED = 64;
const RDONLY_PROG = 128;

/** A program's call: push `v` (a little-endian value of the map's size) with `flags`, or peek `v`. */
export type BloomCall = { readonly op: 'push'; readonly v: number; readonly flags?: number } | { readonly op: 'peek'; readonly v: number };
/** A syscall on the case's map (a `create` names the type in `map`). */
type Sys = Omit<SysMapOp, 'map'> & { readonly map?: string };

export interface BloomSeq {
  readonly id: string;
  readonly max: number;
  /** value_size (default 4). */
  readonly size?: number;
  /** map_flags (default BPF_F_ZERO_SEED). */
  readonly flags?: number;
  readonly mapExtra?: number;
  readonly calls: readonly BloomCall[];
  readonly sys?: readonly Sys[];
  /** A program that calls something else on the map (a verifier case). */
  readonly raw?: (map: string, cb: string) => Op[];
  readonly reject?: boolean;
  /** Run as a sleepable program (`SEC("syscall")`, `lsm.s/file_open`). */
  readonly sleepable?: boolean;
  readonly note: string;
}

const push = (v: number, flags = 0): BloomCall => ({ op: 'push', v, flags });
const peek = (v: number): BloomCall => ({ op: 'peek', v });
const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);
const sPush = (v: number, size = 4, flags = 0): Sys => ({ op: 'push', key: 0, flags: BigInt(flags), bytes: valueBytes(v, size) });
const sPeek = (v: number, size = 4, flags = 0): Sys => ({ op: 'peek', key: 0, flags: BigInt(flags), bytes: valueBytes(v, size) });
const other = (op: Sys['op'], n = 4): Sys => ({ op, key: 0, flags: 0n, bytes: new Uint8Array(n).fill(0xee) });
const create = createOp;

const SEQS: readonly BloomSeq[] = [
  {
    id: 'basic', max: 4, calls: [push(1), push(2), push(3), peek(1), peek(2), peek(3), ...range(4, 12).map(peek)],
    note: 'pushed values are found; others are -ENOENT unless all their bits are set (5 hashes in 64 bits: the kernel\'s jhash2 decides)',
  },
  {
    id: 'dense', max: 1, mapExtra: 1, calls: [...range(100, 16).map((v) => push(v)), ...range(200, 24).map(peek)],
    note: 'one hash in 64 bits after 16 pushes: about a quarter of the values never pushed are false positives, the same ones on both sides',
  },
  { id: 'size3', max: 2, size: 3, calls: [push(0x010203), push(7), ...range(0x010200, 8).map(peek), peek(7)], note: 'a 3-byte value: jhash of the bytes (its size is not a multiple of 4)' },
  { id: 'size5', max: 2, size: 5, mapExtra: 2, calls: [push(5), push(0x0102030405), ...range(1, 10).map(peek), peek(0x0102030405)], note: 'a 5-byte value, 2 hashes' },
  { id: 'size13', max: 2, size: 13, mapExtra: 3, calls: [push(13), push(-1), ...range(10, 8).map(peek), peek(-1)], note: 'a 13-byte value: one block of 12 mixed, one byte left for the final mix' },
  { id: 'size12', max: 2, size: 12, calls: [push(12), push(0x1234_5678), ...range(10, 6).map(peek), peek(0x1234_5678)], note: 'a 12-byte value: jhash2 of 3 words' },
  { id: 'size24', max: 3, size: 24, mapExtra: 4, calls: [push(24), push(-5), ...range(20, 6).map(peek), peek(-5)], note: 'a 24-byte value: jhash2 of 6 words (a mix, then the final)' },
  { id: 'size8', max: 8, size: 8, mapExtra: 15, calls: [...range(1, 8).map((v) => push(v * 0x1_0000_0001)), ...range(1, 10).map((v) => peek(v * 0x1_0000_0001))], note: '15 hashes (map_extra 15), an 8-byte value' },
  { id: 'push_flags', max: 2, calls: [push(1, 1), push(2, 2), push(3, 4), push(4, 0x10), peek(1), peek(2), peek(3), peek(4), push(5), peek(5)], note: 'a push with any flag is -EINVAL and sets nothing' },
  {
    id: 'random_seed', max: 4, flags: 0, calls: [peek(1), push(1), push(2), peek(1), peek(2)],
    note: 'without BPF_F_ZERO_SEED the seed is random: an empty filter is -ENOENT and a pushed value is found, whatever the seed',
  },
  {
    id: 'sys', max: 2, mapExtra: 2, calls: [push(1)],
    sys: [sPeek(1), sPush(7), sPeek(7), ...range(2, 5).map((v) => sPeek(v)), sPush(8, 4, 2), sPush(9, 4, 1), sPeek(8), sPeek(1, 4, 4)],
    note: 'user space pushes and peeks with a NULL key (its buffer only read); push flags → -EINVAL; a peek\'s BPF_F_LOCK → -EINVAL',
  },
  {
    id: 'sys_refused', max: 2, calls: [push(1)],
    sys: [
      other('lookup'), other('update'), other('lookup_and_delete'), other('pop'), other('delete'), other('delete_null'),
      other('first_key'), other('next_key'), lookup(null, 1, 4), update([0], 4), del([0]), sPeek(1),
    ],
    note: 'a key where a bloom filter has none: -EINVAL; a NULL key: delete and get_next_key -EOPNOTSUPP, lookup_and_delete -ENOTSUPP; no batch commands (-ENOTSUPP); the value is still there',
  },
  { id: 'freeze', max: 2, calls: [push(1)], sys: [other('freeze'), sPush(2), sPeek(1), sPeek(2)], note: 'a frozen bloom filter refuses user space\'s push (-EPERM); its peeks go on' },
  {
    id: 'create', max: 1, calls: [],
    sys: [
      create('bloom_filter', 4, 0, 0, 8), create('bloom_filter', 4, 0, 4, 8), create('bloom_filter', 0, 0, 0, 8), create('bloom_filter', 4, 0, 0, 0),
      create('bloom_filter', 4, 1, 0, 8), create('bloom_filter', 4, ZERO_SEED | 4, 0, 8), create('bloom_filter', 4, 0x180, 0, 8), create('bloom_filter', 4, RDONLY_PROG, 0, 8),
      create('bloom_filter', 4, 0, 0, 8, 15), create('bloom_filter', 4, 0, 0, 8, 16), create('bloom_filter', 100000, 0, 0, 8, 3), create('bloom_filter', 1, 0, 0, 65535),
      create('hash', 4, 0, 4, 8, 1), create('array', 4, 0, 4, 8, 2), create('queue', 4, 0, 0, 8, 1), create('ringbuf', 4096, 0, 0, 0, 1),
    ],
    note: 'BPF_MAP_CREATE: no key, entries and a value (-EINVAL); flags outside NUMA, ZERO_SEED and the access flags (-EINVAL); map_extra above 15 (-EINVAL); map_extra on any other type: "Invalid map_extra." (-EINVAL)',
  },
  // The verifier.
  { id: 'v_pop', max: 2, calls: [], reject: true, raw: (b) => [P.st(8, P.buf('v'), 0, P.imm(0)), P.call('bpf_map_pop_elem', [P.map(b), P.buf('v')], 'n')], note: 'bpf_map_pop_elem of a bloom filter: cannot pass map_type 30' },
  { id: 'v_lookup', max: 2, calls: [], reject: true, raw: (b) => [P.call('bpf_map_lookup_elem', [P.map(b), P.buf('v')], 'n')], note: 'bpf_map_lookup_elem of a bloom filter: its key is 0 bytes' },
  { id: 'v_delete', max: 2, calls: [], reject: true, raw: (b) => [P.st(8, P.buf('v'), 0, P.imm(0)), P.call('bpf_map_delete_elem', [P.map(b), P.buf('v')], 'n')], note: 'bpf_map_delete_elem of a bloom filter' },
  { id: 'v_peek_uninit', max: 2, calls: [], reject: true, raw: (b) => [P.call('bpf_map_peek_elem', [P.map(b), P.buf('u')], 'n')], note: 'a peek reads its value (resolve_map_arg_type: ARG_PTR_TO_MAP_VALUE), from a stack slot never written: root may read uninitialized stack (allow_uninit_stack), so both accept it' },
  { id: 'v_peek_short', max: 2, size: 16, calls: [], reject: true, raw: (b) => [P.st(8, P.buf('v'), 8, P.imm(0)), P.call('bpf_map_peek_elem', [P.map(b), P.buf('v', 8)], 'n')], note: 'a peek of a 16-byte value from the last 8 bytes of the stack variable: past the frame ("invalid read from stack", where a pop writes)' },
  { id: 'v_foreach', max: 2, calls: [], reject: true, raw: (b, cb) => [P.call('bpf_for_each_map_elem', [P.map(b), P.cb(cb), P.NULL, P.imm(0)], 'n')], note: 'bpf_for_each_map_elem of a bloom filter: no walk (-ENOTSUPP)' },
  { id: 'v_rdonly_push', max: 2, flags: ZERO_SEED | RDONLY_PROG, calls: [push(1)], reject: true, note: 'bpf_map_push_elem of a BPF_F_RDONLY_PROG bloom filter: write into map forbidden' },
  { id: 'v_sleepable', max: 2, sleepable: true, calls: [push(1)], reject: true, note: 'a sleepable program may not use a bloom filter: "Sleepable programs can only use array, hash, ringbuf and local storage maps" (-EINVAL) before any instruction is verified' },
  { id: 'v_rdonly_peek', max: 2, flags: ZERO_SEED | RDONLY_PROG, calls: [peek(1)], note: 'bpf_map_peek_elem of a BPF_F_RDONLY_PROG bloom filter: allowed' },
];

function object(id: string, q: BloomSeq, guest: boolean): { object: BpfObject; calls: CallRecord[] } {
  const g = (n: string): string => `${id}_${n}`;
  const size = q.size ?? 4;
  const mapName = g('b');
  const maps: MapDecl[] = [{ name: mapName, type: 'bloom_filter', maxEntries: q.max, valueSize: size, taskWorkFields: 0, flags: q.flags ?? ZERO_SEED, ...(q.mapExtra === undefined ? {} : { mapExtra: q.mapExtra }) }];
  const slot = Math.ceil(size / 8) * 8;
  const body: Op[] = [];
  const calls: CallRecord[] = [];
  if (q.raw !== undefined) body.push(...q.raw(mapName, g('cb')));
  q.calls.forEach((c, i) => {
    if (i >= FRETS) throw new Error(`${id}: too many calls`);
    body.push(...storeValue(valueBytes(c.v, slot)));
    const fn = c.op === 'push' ? 'bpf_map_push_elem' : 'bpf_map_peek_elem';
    body.push(P.call(fn, c.op === 'push' ? [P.map(mapName), P.buf('v'), P.imm(c.flags ?? 0)] : [P.map(mapName), P.buf('v')], 'n'), P.storeAt(g('rets'), i, P.r('n')));
    calls.push({ index: i, fn, text: `${c.op} ${c.v}${c.op === 'push' && c.flags ? ` flags ${c.flags}` : ''}` });
  });
  const section = guest ? (q.sleepable === true ? 'lsm.s/file_open' : 'lsm/file_open') : q.sleepable === true ? 'syscall' : 'tc';
  const object: BpfObject = keylessObject(id, maps, body, { section, guest, slot, callback: q.raw !== undefined ? g('cb') : null });
  return { object, calls };
}

const sysOf = (id: string, q: BloomSeq): SysMapOp[] => caseSys(id, `${id}_b`, q.sys ?? []);

const caseOf = (id: string, q: BloomSeq, guest: boolean, rule: string, generated: boolean): ConfCase => keylessCase(id, rule, q.note, object(id, q, guest), {
  sys: q.sys === undefined ? null : sysOf(id, q), reject: q.reject === true, generated,
  ...(guest || q.sleepable === true ? {} : { run: { data: new Uint8Array(64), dataSizeOut: 0 } }),
});

/** A host case (6.18, `tc`; a sleepable one `SEC("syscall")`). */
export const bloomHostCase = (id: string, q: BloomSeq, rule = RULE, generated = false): ConfCase => caseOf(id, q, false, rule, generated);

/** A guest case (7.2, `lsm/file_open`; a sleepable one `lsm.s/file_open`). */
export const bloomGuestCase = (id: string, q: BloomSeq, rule = `${RULE} (7.2)`, generated = false): FileCase => ({ ...caseOf(id, q, true, rule, generated), state: 'warm' });

export const bloomCases: readonly ConfCase[] = SEQS.map((q) => bloomHostCase(`bl_${q.id}`, q));

export function bloomFileCases(): FileCase[] {
  return SEQS.map((q) => bloomGuestCase(`fbl_${q.id}`, q));
}
