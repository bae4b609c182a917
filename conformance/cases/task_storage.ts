/**
 * TASK_STORAGE maps (src/model/maps/task_storage.ts). A program runs a sequence of steps on the maps
 * `<id>_a` and `<id>_b` (task storage, value_size 8 unless said): `bpf_task_storage_get` of a task
 * (current, its `real_parent`, or NULL) with or without BPF_LOCAL_STORAGE_GET_F_CREATE and a value,
 * `bpf_task_storage_delete`, writes through the pointer a get returned, and reads through a pointer
 * kept from an earlier get. Each step's result goes to `<id>_rets[i]`: a get's is the u64 at the value's
 * start, or -1 for NULL; a delete's its return. User space's syscalls follow (`sys`): a key is a pidfd
 * the loader does not have. Map creation (`create`) has no BTF, which a task storage map needs. The
 * host runs the programs as `tc` (a test run of a 64-byte packet: current is the loader) or, sleepable,
 * `SEC("syscall")`; the guest as `lsm/file_open` and `lsm.s/file_open`. A hook case (host) puts a
 * value on a new task in `tp_btf/task_newtask` and finds it in that task's `tp_btf/sched_process_exit`.
 */
import { program as P, type BpfObject, type MapDecl, type Op } from '../../src/index.ts';
import { FRETS, pidFilterOps, type FileCase } from './file.ts';
import { caseSys, type CallRecord, type ConfCase, type SysMapOp } from './lib.ts';
import { keylessCase, keylessObject } from './keyless.ts';
import { childOfDriverOps } from './fork.ts';
import { storeValue, valueBytes } from '../../properties/queue.ts';
import { F_CREATE, readOrMinus, stepText, tsBody, type TsStep, type TsTask } from '../../properties/task_storage.ts';
import { createOp } from './queue.ts';
import { lookup, update } from './batch.ts';

const RULE = 'TASK_STORAGE maps (maps/task_storage.ts)';
const NO_PREALLOC = 1;

type Sys = Omit<SysMapOp, 'map'> & { readonly map?: string };

export interface TsSeq {
  readonly id: string;
  readonly steps: readonly TsStep[];
  /** value_size of map a (default 8; map b's is 8). */
  readonly size?: number;
  /** Map b's type (default task_storage). */
  readonly bType?: MapDecl['type'];
  readonly sys?: readonly Sys[];
  readonly raw?: (a: string, b: string, cb: string, rets: string) => Op[];
  /** What `raw` stores in `rets` (past the steps'). */
  readonly rawCalls?: readonly CallRecord[];
  readonly reject?: boolean;
  readonly sleepable?: boolean;
  readonly note: string;
}

const get = (value: number | null = null, flags = F_CREATE, task: TsTask = 'cur', map: 'a' | 'b' = 'a'): TsStep => ({ op: 'get', value, flags, task, map });
const peek = (task: TsTask = 'cur', map: 'a' | 'b' = 'a'): TsStep => get(null, 0, task, map);
const set = (v: number): TsStep => ({ op: 'set', v });
const del = (task: TsTask = 'cur', map: 'a' | 'b' = 'a'): TsStep => ({ op: 'del', task, map });
const buf = (n: number): Uint8Array => new Uint8Array(n).fill(0xee);
const sys = (op: Sys['op'], key = 0, flags = 0n, n = 8): Sys => ({ op, key, flags, bytes: buf(n) });

const SEQS: readonly TsSeq[] = [
  {
    id: 'basic', steps: [peek(), get(41), peek(), set(42), peek(), get(7), del(), del(), peek(), get(), set(5), get(9, F_CREATE)],
    note: 'no value: NULL without F_CREATE; F_CREATE makes it from the value (later values are not copied over a present one); a write is seen by the next get; delete 0, then -ENOENT; a new value after a delete is zeroed',
  },
  {
    id: 'flags', steps: [get(3, 2), get(3, 3), get(4), get(5, 2), get(5, 3), peek(), get(6, 0x10)],
    note: 'a flag other than F_CREATE gives NULL, even with the value present (flags 3)',
  },
  {
    id: 'null_task', steps: [get(1, F_CREATE, 'null'), peek('null'), del('null'), get(2), del('null'), peek()],
    note: 'a NULL task: get NULL, delete -EINVAL; current\'s value is untouched',
  },
  {
    id: 'two_maps', steps: [get(10), get(20, F_CREATE, 'cur', 'b'), peek(), peek('cur', 'b'), del(), peek('cur', 'b'), del('cur', 'b'), peek('cur', 'b'), del('cur', 'b')],
    note: 'one value per task in each map: deleting map a\'s leaves map b\'s',
  },
  {
    id: 'stale', steps: [get(5), { op: 'keep' }, del(), get(), { op: 'readq' }, set(8), { op: 'readq' }, peek()],
    note: 'a pointer kept across a delete still reads the old value (freed after an RCU Tasks Trace grace period); the new value is other memory, zeroed',
  },
  {
    id: 'from_pid', steps: [peek(), set(5), peek()], rawCalls: [{ index: 40, fn: 'bpf_task_storage_get', text: 'get(bpf_task_from_pid(current\'s pid), not NULL-checked, F_CREATE): *value or -1' }],
    raw: (a, _b, _cb, rets) => [
      P.call('bpf_get_current_pid_tgid', [], 'pid'), P.alu('and', 'pid', P.imm(0xffff_ffff)), P.call('bpf_task_from_pid', [P.r('pid')], 'ft'),
      P.call('bpf_task_storage_get', [P.map(a), P.r('ft'), P.NULL, P.imm(F_CREATE)], 'fp'), ...readOrMinus(rets, 40, 'fp'),
      P.goto('no_ft', P.when('ft', '==', P.imm(0))), P.call('bpf_task_release', [P.r('ft')]), P.label('no_ft'),
    ],
    note: 'a referenced task from bpf_task_from_pid, passed before its NULL check (ARG_PTR_TO_BTF_ID_OR_NULL takes a pointer that may be NULL): current itself, so the later gets of current find the value it made',
  },
  { id: 'size16', size: 16, steps: [get(0x1020304050607), set(3), peek(), del(), get()], note: 'a 16-byte value: the 16 bytes of the stack value copied in' },
  { id: 'sleepable', sleepable: true, steps: [peek(), get(12), set(13), peek(), del(), del()], note: 'a sleepable program may use a task storage map (check_map_prog_compatibility lists the local storage maps)' },
  {
    id: 'sys', steps: [get(1)],
    sys: [
      sys('lookup'), sys('lookup', 1), sys('lookup', 3), sys('update'), sys('update', 1, 1n), sys('update', 0, 4n), sys('update', 0, 8n), sys('update', 0, 3n),
      sys('delete'), sys('delete', 2), sys('next_key'), sys('first_key'), sys('lookup_and_delete'), sys('lookup', 0, 4n), lookup(null, 1, 8), update([0], 8),
      sys('freeze'), sys('update'), sys('lookup'), sys('delete'),
    ],
    note: 'user space\'s key is a pidfd (pidfd_get_pid): any other fd is -EBADF; BPF_F_LOCK -EINVAL; BPF_F_CPU -EBADF on 6.18, -EINVAL on 7.2 (bpf_map_check_op_flags); get_next_key and lookup_and_delete -ENOTSUPP; no batch commands (-ENOTSUPP); frozen: update and delete -EPERM',
  },
  {
    id: 'create', steps: [],
    sys: [createOp('task_storage', 0, NO_PREALLOC, 4, 8), createOp('task_storage', 0, 0, 4, 8), createOp('task_storage', 1, NO_PREALLOC, 4, 8), createOp('task_storage', 0, NO_PREALLOC, 8, 8), createOp('task_storage', 0, NO_PREALLOC, 4, 0)],
    note: 'BPF_MAP_CREATE without BTF: -EINVAL whatever the rest (bpf_local_storage_map_alloc_check wants btf_key_type_id and btf_value_type_id)',
  },
  // The verifier.
  { id: 'v_lookup', steps: [], reject: true, raw: (a) => [P.st(4, P.buf('u'), 0, P.imm(0)), P.call('bpf_map_lookup_elem', [P.map(a), P.buf('u')], 'n')], note: 'bpf_map_lookup_elem of a task storage map: cannot pass map_type 29' },
  { id: 'v_update', steps: [], reject: true, raw: (a) => [P.st(4, P.buf('u'), 0, P.imm(0)), P.st(8, P.buf('v'), 0, P.imm(0)), P.call('bpf_map_update_elem', [P.map(a), P.buf('u'), P.buf('v'), P.imm(0)], 'n')], note: 'bpf_map_update_elem of a task storage map' },
  { id: 'v_foreach', steps: [], reject: true, raw: (a, _b, cb) => [P.call('bpf_for_each_map_elem', [P.map(a), P.cb(cb), P.NULL, P.imm(0)], 'n')], note: 'bpf_for_each_map_elem of a task storage map: no walk' },
  { id: 'v_hash', steps: [get(1, F_CREATE, 'cur', 'b')], bType: 'hash', reject: true, note: 'bpf_task_storage_get of a hash map: cannot pass map_type 1 into func bpf_task_storage_get#156' },
  { id: 'v_scalar', steps: [], reject: true, raw: (a) => [P.call('bpf_task_storage_get', [P.map(a), P.imm(1), P.NULL, P.imm(0)], 'n')], note: 'a scalar for the task: R2 type=scalar' },
  { id: 'v_fp', steps: [], reject: true, raw: (a) => [P.call('bpf_task_storage_get', [P.map(a), P.buf('v'), P.NULL, P.imm(0)], 'n')], note: 'a stack pointer for the task: R2 type=fp' },
  { id: 'v_unchecked', steps: [], reject: true, raw: (a) => [P.call('bpf_get_current_task_btf', [], 't'), P.call('bpf_task_storage_get', [P.map(a), P.r('t'), P.NULL, P.imm(F_CREATE)], 'n'), P.ld('x', 8, P.r('n'), 0), P.storeAt(`${a.slice(0, -2)}_rets`, 0, P.r('x'))], note: 'the value read without a NULL check' },
  { id: 'v_short', size: 16, steps: [], reject: true, raw: (a) => [P.call('bpf_get_current_task_btf', [], 't'), P.st(8, P.buf('v'), 8, P.imm(0)), P.call('bpf_task_storage_get', [P.map(a), P.r('t'), P.buf('v', 8), P.imm(F_CREATE)], 'n')], note: 'a 16-byte map\'s value from the last 8 bytes of the stack variable: past the frame' },
  { id: 'v_parent_sleepable', sleepable: true, steps: [peek('parent')], reject: true, note: 'real_parent in a sleepable program outside an RCU read section: not an RCU pointer' },
];

function object(id: string, q: TsSeq, guest: boolean): { object: BpfObject; calls: CallRecord[] } {
  const g = (n: string): string => `${id}_${n}`;
  const rets = g('rets');
  const size = q.size ?? 8;
  const maps: MapDecl[] = [
    { name: g('a'), type: 'task_storage', maxEntries: 0, valueSize: size, taskWorkFields: 0, flags: NO_PREALLOC },
    q.bType === undefined || q.bType === 'task_storage'
      ? { name: g('b'), type: 'task_storage', maxEntries: 0, valueSize: 8, taskWorkFields: 0, flags: NO_PREALLOC }
      : { name: g('b'), type: q.bType, maxEntries: 4, valueSize: 8, taskWorkFields: 0 },
  ];
  const body: Op[] = [];
  if (q.raw !== undefined) body.push(...q.raw(g('a'), g('b'), g('cb'), rets));
  if (q.steps.length > FRETS) throw new Error(`${id}: too many steps`);
  body.push(...tsBody(q.steps, (m) => g(m), (m) => (m === 'a' ? Math.ceil(size / 8) * 8 : 8), rets));
  const calls: CallRecord[] = [...q.steps.map((st, index) => ({ index, ...stepText(st) })), ...(q.rawCalls ?? [])];
  const section = guest ? (q.sleepable === true ? 'lsm.s/file_open' : 'lsm/file_open') : q.sleepable === true ? 'syscall' : 'tc';
  const object: BpfObject = keylessObject(id, maps, body, { section, guest, slot: Math.max(16, size), callback: q.raw !== undefined ? g('cb') : null });
  return { object, calls };
}

const caseOf = (id: string, q: TsSeq, guest: boolean, rule: string, generated: boolean): ConfCase => keylessCase(id, rule, q.note, object(id, q, guest), {
  sys: q.sys === undefined ? null : caseSys(id, `${id}_a`, q.sys), reject: q.reject === true, generated,
  ...(guest || q.sleepable === true ? {} : { run: { data: new Uint8Array(64), dataSizeOut: 0 } }),
});

/** A host case (6.18, `tc`; a sleepable one `SEC("syscall")`). */
export const taskStorageHostCase = (id: string, q: TsSeq, rule = RULE, generated = false): ConfCase => caseOf(id, q, false, rule, generated);

/** A guest case (7.2, `lsm/file_open`; a sleepable one `lsm.s/file_open`). */
export const taskStorageGuestCase = (id: string, q: TsSeq, rule = `${RULE} (7.2)`, generated = false): FileCase => ({ ...caseOf(id, q, true, rule, generated), state: 'warm' });

/**
 * The hook case: `tp_btf/task_newtask` (in the parent, during fork) gives the new task a value (7) and
 * looks for the parent's (none); the child's `tp_btf/sched_process_exit` reads its own (7), writes it,
 * deletes it, deletes it again (-ENOENT) and looks again (none).
 */
function hookCase(): ConfCase {
  const id = 'ts_fork';
  const rets = `${id}_rets`;
  const map = `${id}_a`;
  const newtask: Op[] = [
    ...pidFilterOps(`${id}_pid`),
    P.ld('child', 8, P.ctxPtr, 0), ...storeValue(valueBytes(7, 8)),
    P.call('bpf_task_storage_get', [P.map(map), P.r('child'), P.buf('v'), P.imm(F_CREATE)], 'p'), ...readOrMinus(rets, 0, 'p'),
    P.call('bpf_get_current_task_btf', [], 'me'), P.call('bpf_task_storage_get', [P.map(map), P.r('me'), P.NULL, P.imm(0)], 'pp'), ...readOrMinus(rets, 1, 'pp'),
    P.label('out'), P.ret(P.imm(0)),
  ];
  const exit: Op[] = [
    ...childOfDriverOps(`${id}_pid`, true),
    P.call('bpf_get_current_task_btf', [], 'me'), P.call('bpf_task_storage_get', [P.map(map), P.r('me'), P.NULL, P.imm(0)], 'p'), ...readOrMinus(rets, 2, 'p'),
    P.goto('out', P.when('p', '==', P.imm(0))), P.st(8, P.r('p'), 0, P.imm(8)), ...readOrMinus(rets, 3, 'p'),
    P.call('bpf_task_storage_delete', [P.map(map), P.r('me')], 'd'), P.storeAt(rets, 4, P.r('d')),
    P.call('bpf_task_storage_delete', [P.map(map), P.r('me')], 'd2'), P.storeAt(rets, 5, P.r('d2')),
    P.call('bpf_task_storage_get', [P.map(map), P.r('me'), P.NULL, P.imm(0)], 'p2'), ...readOrMinus(rets, 6, 'p2'),
    P.label('out'), P.ret(P.imm(0)),
  ];
  const object: BpfObject = {
    name: id, subprogs: [],
    maps: [{ name: map, type: 'task_storage', maxEntries: 0, valueSize: 8, taskWorkFields: 0, flags: NO_PREALLOC }],
    globals: [{ name: rets, kind: 'u64s', size: FRETS }, { name: `${id}_pid`, kind: 'int' }],
    programs: [
      { name: `${id}_new`, section: 'tp_btf/task_newtask', locals: [P.local('v', { bytes: 16 })], body: newtask },
      { name: `${id}_exit`, section: 'tp_btf/sched_process_exit', body: exit },
    ],
  };
  const texts = ['newtask: get(child, 7, F_CREATE)', 'newtask: get(parent) without F_CREATE', 'exit: get(current) without F_CREATE', 'exit: after *value = 8', 'exit: delete', 'exit: delete again', 'exit: get after the delete'];
  return {
    id, rule: `${RULE}: a value on another task`, object, calls: texts.map((text, index) => ({ index, fn: 'bpf_task_storage_get', text })), hook: { action: 'fork' },
    note: 'tp_btf/task_newtask gives the new task a value (its argument, a trusted pointer); the child finds it in its own tp_btf/sched_process_exit, the parent has none',
  };
}

export const taskStorageCases: readonly ConfCase[] = [...SEQS.map((q) => taskStorageHostCase(`ts_${q.id}`, q)), hookCase()];

/** The guest's (7.2, `lsm/file_open` and `lsm.s/file_open`): the same sequences. */
export function taskStorageFileCases(): FileCase[] {
  return SEQS.map((q) => taskStorageGuestCase(`fts_${q.id}`, q));
}
