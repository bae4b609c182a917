/**
 * QUEUE and STACK maps (src/model/maps/queue_stack.ts). A program runs a sequence of
 * `bpf_map_push_elem`, `bpf_map_pop_elem` and `bpf_map_peek_elem` calls on the map `<id>_q`; each
 * call's result goes to `<id>_rets[2i]`, and a pop's or peek's value (read from a stack slot filled
 * with 0xee first) to `<id>_rets[2i + 1]`. User space's syscalls follow (`sys`): push, peek and pop
 * with a NULL key, and the commands a queue refuses. Map creation (`create`): the type's checks.
 * Verifier cases: the helpers a queue takes and the maps the helpers take.
 */
import { program as P, type BpfObject, type MapDecl, type Op } from '../../src/index.ts';
import { FRETS, type FileCase } from './file.ts';
import { caseSys, type CallRecord, type ConfCase, type SysMapOp } from './lib.ts';
import { keylessCase, keylessObject } from './keyless.ts';
import { storeValue, valueBytes } from '../../properties/queue.ts';

const RULE = 'QUEUE and STACK maps (maps/queue_stack.ts)';
const BPF_EXIST = 2;
const RDONLY_PROG = 128;

/** A program's call: push `v` (a little-endian value of the map's size) with `flags`, or pop, or peek. */
export type QsCall = { readonly op: 'push'; readonly v: number; readonly flags?: number } | { readonly op: 'pop' | 'peek' };
/** A syscall on the case's map (a `create` names the type in `map`). */
type Sys = Omit<SysMapOp, 'map'> & { readonly map?: string };

export interface QueueSeq {
  readonly id: string;
  readonly type: 'queue' | 'stack';
  readonly max: number;
  /** value_size (default 8). */
  readonly size?: number;
  readonly flags?: number;
  readonly calls: readonly QsCall[];
  readonly sys?: readonly Sys[];
  /** A program that calls something else on the map (a verifier case). */
  readonly raw?: (map: string, other: string) => Op[];
  /** A second map the program uses instead (a verifier case: a hash map given to a queue helper). */
  readonly other?: Omit<MapDecl, 'name'>;
  readonly reject?: boolean;
  readonly note: string;
}

const buf = (n: number, b = 0xee): Uint8Array => new Uint8Array(n).fill(b);
const push = (v: number, flags = 0): QsCall => ({ op: 'push', v, flags });
const pop: QsCall = { op: 'pop' };
const peek: QsCall = { op: 'peek' };
const sPush = (v: number, flags = 0, n = 8): Sys => ({ op: 'push', key: 0, flags: BigInt(flags), bytes: valueBytes(v, n) });
const sPeek = (n = 8, flags = 0): Sys => ({ op: 'peek', key: 0, flags: BigInt(flags), bytes: buf(n) });
const sPop = (n = 8, flags = 0): Sys => ({ op: 'pop', key: 0, flags: BigInt(flags), bytes: buf(n) });
/**
 * `bpf(BPF_MAP_CREATE)` of `type` with max_entries, map_flags, key_size, value_size and map_extra
 * (cases/lib.ts `create`: map_extra in the buffer when it has 8 bytes).
 */
export const createOp = (type: string, max: number, flags: number, keySize: number, valueSize: number, extra = 0): SysMapOp => ({
  map: type, op: 'create', key: max, flags: BigInt(flags) | (BigInt(keySize) << 32n) | (BigInt(valueSize) << 48n), bytes: extra === 0 ? buf(4) : valueBytes(extra, 8),
});
const create = createOp;

const SEQS: readonly QueueSeq[] = [
  { id: 'fifo', type: 'queue', max: 4, calls: [push(1), push(2), push(3), peek, pop, pop, push(4), pop, pop, pop], note: 'a queue gives its values oldest first; a peek leaves the value; empty: -ENOENT, the value zeroed' },
  { id: 'lifo', type: 'stack', max: 4, calls: [push(1), push(2), push(3), peek, pop, pop, push(4), pop, pop, pop], note: 'a stack gives its values newest first' },
  { id: 'full', type: 'queue', max: 2, calls: [push(1), push(2), push(3), push(4, BPF_EXIST), pop, pop, pop], note: 'full: -E2BIG; BPF_EXIST makes room by dropping the oldest (1), so 2 and 4 come out' },
  { id: 'full_stack', type: 'stack', max: 2, calls: [push(1), push(2), push(3), push(4, BPF_EXIST), pop, pop, pop], note: 'a full stack with BPF_EXIST drops its oldest (bottom) value too: 4 then 2 come out' },
  { id: 'wrap', type: 'queue', max: 3, calls: [push(1), push(2), pop, push(3), push(4), pop, push(5), pop, pop, push(6), push(7), pop, pop, pop], note: 'the ring wraps around its max_entries + 1 slots' },
  { id: 'wrap_stack', type: 'stack', max: 2, calls: [push(1), pop, push(2), push(3), push(4, BPF_EXIST), push(5, BPF_EXIST), pop, pop, pop], note: 'a stack whose head and tail wrap: the newest first, the oldest dropped' },
  { id: 'push_flags', type: 'queue', max: 2, calls: [push(1, 1), push(2, 3), push(3, 4), push(4, 0x10), push(5), pop, pop], note: 'BPF_NOEXIST, BPF_NOEXIST|BPF_EXIST, BPF_F_LOCK and any flag above BPF_EXIST: -EINVAL' },
  { id: 'size4', type: 'stack', max: 3, size: 4, calls: [push(0x11223344), push(-1), pop, pop, peek], note: 'a value of 4 bytes: the slot\'s other 4 bytes keep their 0xee' },
  { id: 'size12', type: 'queue', max: 2, size: 12, calls: [push(0x0102030405060708), push(9), pop, peek], note: 'a value of 12 bytes' },
  {
    id: 'sys', type: 'queue', max: 3, calls: [push(1), push(2)],
    sys: [sPeek(), sPop(), sPush(7), sPush(8), sPush(9), sPush(10, BPF_EXIST), sPop(), sPop(), sPop(), sPop()],
    note: 'user space peeks and pops with a NULL key; a push into a full queue is -E2BIG, with BPF_EXIST it drops the oldest; empty: -ENOENT and the buffer untouched',
  },
  {
    id: 'sys_stack', type: 'stack', max: 2, calls: [push(1)], sys: [sPush(2), sPeek(), sPop(), sPop(), sPop()],
    note: 'a stack from user space: newest first',
  },
  {
    id: 'sys_refused', type: 'queue', max: 2, calls: [push(1)],
    sys: [
      { op: 'lookup', key: 0, flags: 0n, bytes: buf(8) }, { op: 'update', key: 0, flags: 0n, bytes: buf(8) },
      { op: 'lookup_and_delete', key: 0, flags: 0n, bytes: buf(8) }, { op: 'delete', key: 0, flags: 0n, bytes: buf(4) },
      { op: 'delete_null', key: 0, flags: 0n, bytes: buf(4) }, { op: 'first_key', key: 0, flags: 0n, bytes: buf(4) },
      sPeek(8, 4), sPop(8, 4), sPush(3, 4), sPush(3, 1), sPeek(),
    ],
    note: 'a key where a queue has none: -EINVAL; delete and get_next_key: -EINVAL; BPF_F_LOCK (no bpf_spin_lock) and BPF_NOEXIST: -EINVAL; the value is still there',
  },
  {
    id: 'create', type: 'queue', max: 1, calls: [],
    sys: [
      create('queue', 4, 0, 0, 8), create('stack', 4, 0, 0, 8), create('queue', 4, 0, 4, 8), create('queue', 0, 0, 0, 8),
      create('queue', 4, 0, 0, 0), create('stack', 4, 1, 0, 8), create('queue', 4, 0x180, 0, 8), create('queue', 4, RDONLY_PROG, 0, 8),
      create('queue', 4, 64, 0, 8), create('stack', 1, 4, 0, 65535),
    ],
    note: 'BPF_MAP_CREATE: no key (key_size 4: -EINVAL), entries and a value (-EINVAL), flags outside NUMA and the access flags (BPF_F_NO_PREALLOC, BPF_F_ZERO_SEED: -EINVAL), RDONLY_PROG with WRONLY_PROG (-EINVAL), BPF_F_NUMA_NODE accepted (the harness encodes value_size in 16 bits, so the 4 MiB bound is a unit test)',
  },
  // The verifier.
  { id: 'v_lookup', type: 'queue', max: 2, calls: [], reject: true, raw: (q) => [P.call('bpf_map_lookup_elem', [P.map(q), P.buf('v')], 'n')], note: 'bpf_map_lookup_elem of a queue: its key is 0 bytes' },
  { id: 'v_update', type: 'stack', max: 2, calls: [], reject: true, raw: (q) => [P.st(8, P.buf('v'), 0, P.imm(0)), P.call('bpf_map_update_elem', [P.map(q), P.buf('v'), P.buf('v'), P.imm(0)], 'n')], note: 'bpf_map_update_elem of a stack' },
  { id: 'v_push_hash', type: 'queue', max: 2, calls: [push(1)], reject: true, other: { type: 'hash', maxEntries: 2, valueSize: 8, taskWorkFields: 0 }, note: 'bpf_map_push_elem of a hash map: cannot pass map_type 1' },
  { id: 'v_pop_array', type: 'queue', max: 2, calls: [pop], reject: true, other: { type: 'array', maxEntries: 2, valueSize: 8, taskWorkFields: 0 }, note: 'bpf_map_pop_elem of an array' },
  { id: 'v_peek_ringbuf', type: 'queue', max: 2, calls: [peek], reject: true, other: { type: 'ringbuf', maxEntries: 4096, valueSize: 0, taskWorkFields: 0 }, note: 'bpf_map_peek_elem of a ring buffer' },
  { id: 'v_foreach', type: 'queue', max: 2, calls: [], reject: true, raw: (q) => [P.call('bpf_for_each_map_elem', [P.map(q), P.cb('qcb'), P.NULL, P.imm(0)], 'n')], note: 'bpf_for_each_map_elem of a queue: no walk (-ENOTSUPP), before the map type check' },
  { id: 'v_foreach_stack', type: 'stack', max: 2, calls: [], reject: true, raw: (q) => [P.call('bpf_for_each_map_elem', [P.map(q), P.cb('qcb'), P.NULL, P.imm(0)], 'n')], note: 'bpf_for_each_map_elem of a stack' },
  { id: 'v_foreach_ringbuf', type: 'queue', max: 2, calls: [], reject: true, other: { type: 'ringbuf', maxEntries: 4096, valueSize: 0, taskWorkFields: 0 }, raw: (_q, o) => [P.call('bpf_for_each_map_elem', [P.map(o), P.cb('qcb'), P.NULL, P.imm(0)], 'n')], note: 'bpf_for_each_map_elem of a ring buffer: no walk either (the model said cannot pass map_type 27)' },
  { id: 'v_rdonly_pop', type: 'queue', max: 2, flags: RDONLY_PROG, calls: [pop], reject: true, note: 'bpf_map_pop_elem of a BPF_F_RDONLY_PROG queue: write into map forbidden' },
  { id: 'v_rdonly_push', type: 'stack', max: 2, flags: RDONLY_PROG, calls: [push(1)], reject: true, note: 'bpf_map_push_elem of a BPF_F_RDONLY_PROG stack: write into map forbidden' },
  { id: 'v_rdonly_peek', type: 'queue', max: 2, flags: RDONLY_PROG, calls: [peek], note: 'bpf_map_peek_elem of a BPF_F_RDONLY_PROG queue: allowed (it does not change the map)' },
  { id: 'v_pop_short', type: 'queue', max: 2, size: 16, calls: [], reject: true, raw: (q) => [P.call('bpf_map_pop_elem', [P.map(q), P.buf('v', 8)], 'n')], note: 'a pop of 16 bytes into the last 8 of the stack variable: past the frame' },
  { id: 'v_push_uninit', type: 'queue', max: 2, calls: [], reject: true, raw: (q) => [P.call('bpf_map_push_elem', [P.map(q), P.buf('u'), P.imm(0)], 'n')], note: 'a push from a stack slot never written' },
];

function object(id: string, q: QueueSeq, guest: boolean): { object: BpfObject; calls: CallRecord[] } {
  const g = (n: string): string => `${id}_${n}`;
  const size = q.size ?? 8;
  const mapName = g('q');
  const maps: MapDecl[] = [{ name: mapName, type: q.type, maxEntries: q.max, valueSize: size, taskWorkFields: 0, ...(q.flags === undefined ? {} : { flags: q.flags }) }];
  if (q.other !== undefined) maps.push({ ...q.other, name: g('o') });
  const target = q.other === undefined ? mapName : g('o');
  const slot = Math.ceil(size / 8) * 8;
  const body: Op[] = [];
  const calls: CallRecord[] = [];
  if (q.raw !== undefined) body.push(...q.raw(mapName, target));
  q.calls.forEach((c, i) => {
    if (2 * i + 1 >= FRETS) throw new Error(`${id}: too many calls`);
    if (c.op === 'push') {
      const bytes = new Uint8Array(slot);
      bytes.set(valueBytes(c.v, size));
      body.push(...storeValue(bytes), P.call('bpf_map_push_elem', [P.map(target), P.buf('v'), P.imm(c.flags ?? 0)], 'n'), P.storeAt(g('rets'), 2 * i, P.r('n')));
      calls.push({ index: 2 * i, fn: 'bpf_map_push_elem', text: `push ${c.v}${c.flags ? ` flags ${c.flags}` : ''}` });
    } else {
      for (let o = 0; o < slot; o += 8) body.push(P.st(8, P.buf('v'), o, P.imm(-0x1111_1111_1111_1112n)));
      const fn = c.op === 'pop' ? 'bpf_map_pop_elem' : 'bpf_map_peek_elem';
      body.push(P.call(fn, [P.map(target), P.buf('v')], 'n'), P.storeAt(g('rets'), 2 * i, P.r('n')), P.ld('x', 8, P.buf('v'), 0), P.storeAt(g('rets'), 2 * i + 1, P.r('x')));
      calls.push({ index: 2 * i, fn, text: c.op }, { index: 2 * i + 1, fn, text: `${c.op}: the value's first 8 bytes` });
    }
  });
  const object: BpfObject = keylessObject(id, maps, body, { section: guest ? 'lsm/file_open' : 'syscall', guest, slot, callback: q.raw !== undefined ? 'qcb' : null });
  return { object, calls };
}

const sysOf = (id: string, q: QueueSeq): SysMapOp[] => caseSys(id, `${id}_q`, q.sys ?? []);

const caseOf = (id: string, q: QueueSeq, guest: boolean, rule: string, generated: boolean): ConfCase =>
  keylessCase(id, rule, q.note, object(id, q, guest), { sys: q.sys === undefined ? null : sysOf(id, q), reject: q.reject === true, generated });

/** A host case (6.18, `SEC("syscall")`). */
export const queueHostCase = (id: string, q: QueueSeq, rule = RULE, generated = false): ConfCase => caseOf(id, q, false, rule, generated);

/** A guest case (7.2, `lsm/file_open`). */
export const queueGuestCase = (id: string, q: QueueSeq, rule = `${RULE} (7.2)`, generated = false): FileCase => ({ ...caseOf(id, q, true, rule, generated), state: 'warm' });

export const queueCases: readonly ConfCase[] = SEQS.map((q) => queueHostCase(`qs_${q.id}`, q));

export function queueFileCases(): FileCase[] {
  return SEQS.map((q) => queueGuestCase(`fqs_${q.id}`, q));
}
