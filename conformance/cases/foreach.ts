/**
 * `bpf_for_each_map_elem` on the kernel (src/model/maps/foreach.ts): the callback gets each element
 * in the map's order — an array's indexes, a hash map's buckets (created with BPF_F_ZERO_SEED, so the
 * order is the model's) each from its newest element — and its key, its value (CPU 0's copy of a
 * per-CPU value) and the context; returning 1 stops the walk, and the helper returns how many
 * elements the callback was called for. The callback folds each key into `acc = acc * 31 + key`, an
 * order-sensitive fingerprint, counts the calls, reads the value and writes `key * 2 + 1` into it,
 * and may delete the element it was given; user space then reads the values back.
 */
import { program as P, type BpfObject, type MapDecl, type Op } from '../../src/index.ts';
import { FRETS, pidFilterOps, type FileCase } from './file.ts';
import type { CallRecord, ConfCase, SysMapOp } from './lib.ts';

const ZERO_SEED = 64;
const RULE = 'bpf_for_each_map_elem (maps/foreach.ts)';

export interface EachSeq {
  readonly id: string;
  readonly map: Pick<MapDecl, 'type' | 'maxEntries'> & { readonly flags?: number };
  /** Keys inserted before the walk, in order (none for an array). */
  readonly keys: readonly number[];
  /** The callback returns 1 for this key (stops the walk). */
  readonly stopAt?: number;
  /** The callback deletes the element it was given. */
  readonly del?: boolean;
  /** The callback, given the first key inserted, inserts these keys (a later bucket's is visited, an earlier one's not). */
  readonly adds?: readonly number[];
  /** The callback, given a key below `moves`, inserts that key + `moves` (after deleting the element it was given, with `del`). */
  readonly moves?: number;
  readonly flags?: number;
  /** Ops put first in the callback, and whether the verifier should refuse the program for them. */
  readonly cbFirst?: readonly Op[];
  readonly reject?: boolean;
  readonly note: string;
}

const SEQS: readonly EachSeq[] = [
  { id: 'hash', map: { type: 'hash', maxEntries: 8, flags: ZERO_SEED }, keys: [0, 1, 2, 3, 4, 5, 6, 7], note: 'eight keys of a HASH in bucket order, newest first within a bucket' },
  { id: 'hash_stop', map: { type: 'hash', maxEntries: 8, flags: ZERO_SEED }, keys: [5, 3, 1, 7, 2], stopAt: 1, note: 'a callback returning 1 stops the walk; the element it stopped at counts' },
  { id: 'hash_del', map: { type: 'hash', maxEntries: 8, flags: ZERO_SEED }, keys: [0, 1, 2, 3, 4, 5, 6, 7], del: true, note: 'a callback deleting the element it was given: the walk goes on (the next one was taken before the call), and the map ends empty' },
  { id: 'hash_add', map: { type: 'hash', maxEntries: 8, flags: ZERO_SEED }, keys: [4], adds: [5, 0], note: 'a callback inserting keys: key 5 (bucket 6, after key 4\'s bucket 1) is visited when the walk reaches its bucket, key 0 (bucket 0) is not' },
  {
    id: 'hash_moves', map: { type: 'hash', maxEntries: 256, flags: ZERO_SEED }, keys: Array.from({ length: 100 }, (_, i) => i), del: true, moves: 100,
    note: 'a callback deleting each element of 100 and inserting key + 100 for each key below 100: an inserted key whose bucket the walk has not reached yet is visited (and deleted), one in a bucket passed stays; 200 links and 200 unlinks in one walk',
  },
  { id: 'lru_percpu', map: { type: 'lru_percpu_hash', maxEntries: 8, flags: ZERO_SEED }, keys: [9, 4, 11, 2], note: 'an LRU_PERCPU_HASH: the value given is this CPU\'s copy' },
  { id: 'array', map: { type: 'array', maxEntries: 4 }, keys: [], note: 'an ARRAY: every index in order' },
  { id: 'array_stop', map: { type: 'percpu_array', maxEntries: 6 }, keys: [], stopAt: 2, note: 'a PERCPU_ARRAY, stopped at index 2' },
  { id: 'empty', map: { type: 'lru_hash', maxEntries: 4, flags: ZERO_SEED }, keys: [], note: 'an empty map: no call, 0' },
  { id: 'flags', map: { type: 'hash', maxEntries: 4, flags: ZERO_SEED }, keys: [1], flags: 1, note: 'flags other than 0: -EINVAL, no call' },
  { id: 'v_key_write', map: { type: 'hash', maxEntries: 4 }, keys: [1], reject: true, cbFirst: [P.st(4, P.r('k'), 0, P.imm(7))], note: 'a store through the key pointer: write to change key R2 not allowed (PTR_TO_MAP_KEY)' },
  { id: 'v_key_oob', map: { type: 'hash', maxEntries: 4 }, keys: [1], reject: true, cbFirst: [P.ld('z', 4, P.r('k'), 4)], note: 'a read past the 4-byte key: invalid access to map key' },
  { id: 'v_key_helper', map: { type: 'array', maxEntries: 2 }, keys: [], reject: true, cbFirst: [P.call('bpf_probe_read_kernel', [P.r('k'), P.imm(4), P.imm(0)])], note: 'the key as a helper\'s destination: cannot write into map_key (the model let a helper write into read-only memory before)' },
  { id: 'v_ret', map: { type: 'array', maxEntries: 4 }, keys: [], reject: true, cbFirst: [P.ret(P.imm(2))], note: 'a callback returning 2: the return must be 0 or 1' },
  { id: 'v_value_oob', map: { type: 'array', maxEntries: 4 }, keys: [], reject: true, cbFirst: [P.ld('z', 8, P.r('v'), 8)], note: 'a read past the 8-byte value' },
];

function object(id: string, q: EachSeq, guest: boolean): { object: BpfObject; calls: CallRecord[] } {
  const g = (n: string): string => `${id}_${n}`;
  const body: Op[] = [
    ...q.keys.map((k) => P.call('bpf_map_update_elem', [P.map(g('map')), P.imm(k), P.buf(g('val')), P.imm(0)])),
    P.call('bpf_for_each_map_elem', [P.map(g('map')), P.cb(g('cb')), P.NULL, P.imm(q.flags ?? 0)], 'n'),
    P.storeAt(g('rets'), 0, P.r('n')),
    P.mov('a', P.glob(g('acc'))), P.storeAt(g('rets'), 1, P.r('a')),
    P.mov('c', P.glob(g('cnt'))), P.storeAt(g('rets'), 2, P.r('c')),
    P.mov('s', P.glob(g('sum'))), P.storeAt(g('rets'), 3, P.r('s')),
  ];
  const cb: Op[] = [
    ...(q.cbFirst ?? []),
    P.ld('key', 4, P.r('k'), 0),
    P.mov('a', P.glob(g('acc'))), P.alu('mul', 'a', P.imm(31)), P.alu('add', 'a', P.r('key')), P.store(g('acc'), P.r('a')),
    P.mov('c', P.glob(g('cnt'))), P.alu('add', 'c', P.imm(1)), P.store(g('cnt'), P.r('c')),
    // The value: added to a sum (what the program or an earlier walk left), then written.
    P.ld('x', 8, P.r('v'), 0), P.mov('s', P.glob(g('sum'))), P.alu('add', 's', P.r('x')), P.store(g('sum'), P.r('s')),
    P.mov('y', P.r('key')), P.alu('mul', 'y', P.imm(2)), P.alu('add', 'y', P.imm(1)), P.st(8, P.r('v'), 0, P.r('y')),
    ...(q.del === true ? [P.call('bpf_map_delete_elem', [P.map(g('map')), P.r('k')])] : []),
    ...(q.adds === undefined ? [] : [
      P.goto('noadd', P.when('key', '!=', P.imm(q.keys[0] ?? 0))),
      ...q.adds.map((a) => P.call('bpf_map_update_elem', [P.map(g('map')), P.imm(a), P.buf(g('val')), P.imm(0)])),
      P.label('noadd'),
    ]),
    ...(q.moves === undefined ? [] : [
      P.goto('nomove', P.when('key', '>=', P.imm(q.moves))),
      P.mov('nk', P.r('key')), P.alu('add', 'nk', P.imm(q.moves)), P.store(g('nk'), P.r('nk')),
      P.call('bpf_map_update_elem', [P.map(g('map')), P.addr(g('nk')), P.buf(g('val')), P.imm(0)]),
      P.label('nomove'),
    ]),
    ...(q.stopAt === undefined ? [] : [P.goto('stop', P.when('key', '==', P.imm(q.stopAt)))]),
    P.ret(P.imm(0)),
    ...(q.stopAt === undefined ? [] : [P.label('stop'), P.ret(P.imm(1))]),
  ];
  const calls: CallRecord[] = [
    { index: 0, fn: 'bpf_for_each_map_elem', text: 'bpf_for_each_map_elem(&map, cb, NULL, flags)' },
    { index: 1, fn: 'ld', text: 'acc: each key folded in order (acc * 31 + key)' },
    { index: 2, fn: 'ld', text: 'the callback\'s calls' },
    { index: 3, fn: 'ld', text: 'the sum of the values the callback read' },
  ];
  const object: BpfObject = {
    name: id,
    maps: [{ name: g('map'), type: q.map.type, maxEntries: q.map.maxEntries, valueSize: 8, taskWorkFields: 0, ...(q.map.flags === undefined ? {} : { flags: q.map.flags }) }],
    globals: [
      { name: g('rets'), kind: 'u64s', size: FRETS }, { name: g('val'), kind: 'bytes', size: 8, init: [3, 0, 0, 0, 0, 0, 0, 0] },
      { name: g('acc'), kind: 'u64' }, { name: g('cnt'), kind: 'u64' }, { name: g('sum'), kind: 'u64' },
      ...(q.moves === undefined ? [] : [{ name: g('nk'), kind: 'u64' as const }]),
      ...(guest ? [{ name: g('pid'), kind: 'int' as const }] : []),
    ],
    subprogs: [{ name: g('cb'), isStatic: true, returns: 'long', params: [{ name: 'm', type: 'map' }, { name: 'k', type: 'ptr' }, { name: 'v', type: 'ptr' }, { name: 'ctx', type: 'ptr' }], body: cb }],
    programs: [{ name: id, section: guest ? 'lsm/file_open' : 'syscall', body: [...(guest ? pidFilterOps(g('pid')) : []), ...body, P.label('out'), P.ret(P.imm(0))] }],
  };
  return { object, calls };
}

/** After the walk, user space reads every key a map of the case may hold: the values the callback wrote. */
function sysOf(id: string, q: EachSeq): SysMapOp[] {
  const moved = q.moves === undefined ? [] : q.keys.filter((k) => k < (q.moves as number)).map((k) => k + (q.moves as number));
  const keys = q.keys.length > 0 ? [...q.keys, ...(q.adds ?? []), ...moved] : Array.from({ length: q.map.maxEntries }, (_, i) => i);
  return keys.map((key) => ({ op: 'lookup' as const, map: `${id}_map`, key, flags: 0n, bytes: new Uint8Array(64).fill(0xee) }));
}

/** A case: a refused program has no map syscalls after it (the object is loaded program by program). */
const caseOf = (id: string, q: EachSeq, guest: boolean, rule: string, generated: boolean): ConfCase => ({
  id, rule, note: q.note, ...object(id, q, guest), ...(q.reject === true ? { verifier: true } : { sys: sysOf(id, q) }), ...(generated ? { generated: true } : {}),
});

/** A host case (6.18, `SEC("syscall")`) of a walk. */
export const forEachHostCase = (id: string, q: EachSeq, rule = RULE, generated = false): ConfCase => caseOf(id, q, false, rule, generated);

/** A guest case (7.2, `lsm/file_open`) of a walk. */
export const forEachGuestCase = (id: string, q: EachSeq, rule = `${RULE} (7.2)`, generated = false): FileCase => ({ ...caseOf(id, q, true, rule, generated), state: 'warm' });

export const forEachCases: readonly ConfCase[] = SEQS.map((q) => forEachHostCase(`fe_${q.id}`, q));

export function forEachFileCases(): FileCase[] {
  return SEQS.map((q) => forEachGuestCase(`ffe_${q.id}`, q));
}
