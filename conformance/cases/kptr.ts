/**
 * Kptrs in map values (src/model/kptr; kernel/bpf/verifier.c `check_map_access`,
 * `check_map_kptr_access`, `process_kptr_func`, `map_kptr_match_type`; kernel/bpf/helpers.c
 * `bpf_kptr_xchg`; what a map does to an element's fields when its memory is unlinked or overwritten:
 * arraymap.c `array_map_update_elem`, hashtab.c `free_htab_elem`, `htab_map_update_elem`).
 *
 * The same sequences run on both tiers: on the host (6.18) in a `SEC("syscall")` program run by
 * BPF_PROG_TEST_RUN (sleepable: a kptr loaded outside bpf_rcu_read_lock is untrusted), on the guest
 * (7.2) in `lsm/file_open` behind the driver's pid filter. Each stores a reference to the running task
 * in a map value with `bpf_kptr_xchg`, does something to the element, and takes the field out again:
 * whether the task is still there tells whether the map freed the field (`bpf_obj_free_fields`,
 * before 7.2) or only cancelled it (`bpf_obj_cancel_fields`, 7.2). Results go to `<id>_rets` (a
 * pointer as 1 or 0).
 */
import { program as P, type BpfObject, type MapDecl, type Op } from '../../src/index.ts';
import { kptrBody, kptrMap, type KptrSeq } from '../../properties/kptr.ts';
import { FRETS, pidFilterOps, type FileCase } from './file.ts';
import { refusedFileCase } from './file_verifier.ts';
import { CaseBuilder, type CallRecord, type ConfCase } from './lib.ts';

const { call, r, imm, NULL, map, buf, kptr, goto, when, label, ret, mov, storeAt, field, ld, st, alu, atomicAdd } = P;

/** What the sequence does between putting the task in and taking it out. */
type Between =
  /** Nothing: the field gives the task back. */
  | 'none'
  /** `bpf_map_update_elem(&map, &0, val, BPF_ANY)` of the ARRAY element. */
  | 'array_update'
  /** HASH: delete key 0, insert key 1 (it takes the freed memory, LIFO), take the field out of key 1. */
  | 'hash_reuse'
  /** HASH: update key 0 twice (each takes the extra element and makes the old one the extra: the second gets the first's memory back). */
  | 'hash_replace2'
  /** BPF_F_NO_PREALLOC HASH: as hash_reuse (the memory goes back to the per-CPU cache and comes out again). */
  | 'hashn_reuse'
  /** LRU_HASH of one entry: inserting key 1 evicts key 0 and takes its node. */
  | 'lru_evict';

interface KSeq {
  readonly body: Op[];
  readonly calls: CallRecord[];
  readonly maps: MapDecl[];
  readonly globals: BpfObject['globals'];
}

/**
 * The sequence: (HASH: insert key 0) look the element up, `a = bpf_task_acquire(current)`,
 * `o = bpf_kptr_xchg(&v->task, a)` (rets[0]: o != NULL; released if set), `between`, look the element
 * up again, `g = bpf_kptr_xchg(&w->task, NULL)` (rets[last-1]: g != NULL), and g->pid == the caller's
 * pid (rets[last]); g released. With `rcu`, the field is also loaded inside bpf_rcu_read_lock and the
 * task acquired through the load (two more rets: loaded != NULL, acquired != NULL).
 */
function seq(id: string, between: Between, rcu: boolean): KSeq {
  const m = `${id}_map`;
  const rets = `${id}_rets`;
  const val = `${id}_val`;
  const calls: CallRecord[] = [];
  const body: Op[] = [];
  let n = 0;
  const rec = (op: Op, dst: string, fn: string, text: string, ptr: boolean): void => {
    const i = n;
    n += 1;
    body.push(op);
    if (ptr) body.push(mov(`p${i}`, imm(0)), goto(`L${i}`, when(dst, '==', NULL)), mov(`p${i}`, imm(1)), label(`L${i}`), storeAt(rets, i, r(`p${i}`)));
    else body.push(storeAt(rets, i, r(dst)));
    calls.push({ index: i, fn, text });
  };
  const update = (key: number, text: string): void => rec(call('bpf_map_update_elem', [map(m), imm(key), buf(val), imm(0)], `u${n}`), `u${n}`, 'bpf_map_update_elem', text, false);
  const hash = between !== 'none' && between !== 'array_update';
  if (hash) update(0, 'bpf_map_update_elem(&map, &0, val, BPF_ANY)');
  body.push(call('bpf_map_lookup_elem', [map(m), imm(0)], 'v'), goto('out', when('v', '==', NULL)));
  body.push(call('bpf_get_current_task_btf', [], 'cur'), call('bpf_task_acquire', [r('cur')], 'a'), goto('out', when('a', '==', NULL)));
  rec(call('bpf_kptr_xchg', [kptr('v', 'task'), r('a')], 'o'), 'o', 'bpf_kptr_xchg', 'bpf_kptr_xchg(&v->task, bpf_task_acquire(current)) != NULL', true);
  body.push(goto('in', when('o', '==', NULL)), call('bpf_task_release', [r('o')]), label('in'));
  if (rcu) {
    body.push(call('bpf_rcu_read_lock', []), ld('t', 8, kptr('v', 'task')));
    rec(mov('t2', r('t')), 't2', 'ld', 'rcu_read_lock; t = v->task (an RCU pointer) != NULL', true);
    body.push(goto('unlock', when('t', '==', NULL)));
    rec(call('bpf_task_acquire', [r('t')], 'b'), 'b', 'bpf_task_acquire', 'bpf_task_acquire(t) != NULL', true);
    body.push(goto('unlock', when('b', '==', NULL)), call('bpf_task_release', [r('b')]), label('unlock'), call('bpf_rcu_read_unlock', []));
  }
  let key = 0;
  switch (between) {
    case 'none': break;
    case 'array_update': update(0, 'bpf_map_update_elem(&map, &0, val, BPF_ANY) (the element with the kptr)'); break;
    case 'hash_reuse':
    case 'hashn_reuse':
      rec(call('bpf_map_delete_elem', [map(m), imm(0)], 'd'), 'd', 'bpf_map_delete_elem', 'bpf_map_delete_elem(&map, &0)', false);
      update(1, 'bpf_map_update_elem(&map, &1, val, BPF_ANY) (takes the freed memory)');
      key = 1;
      break;
    case 'lru_evict':
      update(1, 'bpf_map_update_elem(&map, &1, val, BPF_ANY) (evicts key 0, takes its node)');
      key = 1;
      break;
    case 'hash_replace2':
      update(0, 'bpf_map_update_elem(&map, &0, val, BPF_ANY) (replaces: the old memory becomes the extra element)');
      update(0, 'bpf_map_update_elem(&map, &0, val, BPF_ANY) (replaces again: takes the old memory back)');
      break;
  }
  body.push(call('bpf_map_lookup_elem', [map(m), imm(key)], 'w'), goto('out', when('w', '==', NULL)));
  rec(call('bpf_kptr_xchg', [kptr('w', 'task'), NULL], 'g'), 'g', 'bpf_kptr_xchg', `bpf_kptr_xchg(&map[${key}]->task, NULL) != NULL (the task still there)`, true);
  body.push(goto('out', when('g', '==', NULL)));
  // g->pid == the caller's pid.
  const i = n;
  n += 1;
  body.push(field('gp', r('g'), 'pid'), call('bpf_get_current_pid_tgid', [], 'me'), alu('and', 'me', imm(0xffff_ffff)),
    mov(`p${i}`, imm(0)), goto(`L${i}`, when('gp', '!=', r('me'))), mov(`p${i}`, imm(1)), label(`L${i}`), storeAt(rets, i, r(`p${i}`)),
    call('bpf_task_release', [r('g')]));
  calls.push({ index: i, fn: 'field', text: 'g->pid == the caller\'s pid' });
  const maps: MapDecl[] = [{
    name: m, type: between === 'lru_evict' ? 'lru_hash' : hash ? 'hash' : 'array', maxEntries: between === 'lru_evict' ? 1 : 4, valueSize: 8, taskWorkFields: 0,
    ...(between === 'hashn_reuse' ? { noPrealloc: true } : {}), kptrs: [{ name: 'task', type: 'task_struct' }],
  }];
  return { body, calls, maps, globals: [{ name: rets, kind: 'u64s', size: FRETS }, { name: val, kind: 'bytes', size: 16 }] };
}

const NOTES: Readonly<Record<Between, string>> = {
  none: 'a task reference moved into a kptr field and out again: the first bpf_kptr_xchg finds NULL, the second gives the task back',
  array_update: 'an ARRAY update of the element between: 6.18 frees its fields (the kptr\'s reference dropped: NULL comes out), 7.2 only cancels them (the task comes out)',
  hash_reuse: 'a HASH delete, then an insert of another key taking the freed memory: 6.18 freed the kptr at the delete (NULL), 7.2 leaves it in the memory (the new key\'s value has the task)',
  hash_replace2: 'two updates of the same HASH key: the second takes back the memory the first replaced (the per-CPU extra element); 6.18 freed its kptr (NULL), 7.2 kept it (the task)',
  hashn_reuse: 'a BPF_F_NO_PREALLOC HASH delete, then an insert of another key: the memory goes back to the per-CPU cache (bpf_mem_cache_free) and comes out again; 6.18 freed the kptr (NULL), 7.2 left it (the task)',
  lru_evict: 'an LRU_HASH of one entry: inserting key 1 evicts key 0 (htab_lru_map_delete_node) and takes its node; 6.18 freed the kptr (NULL), 7.2 left it (the task)',
};

const RULE = 'kptrs in map values (kptr/)';

/** A host case: the sequence in a `SEC("syscall")` program (sleepable: the RCU load is inside bpf_rcu_read_lock). */
function hostCase(id: string, between: Between, rcu = false): ConfCase {
  const q = seq(id, between, rcu);
  const object: BpfObject = { name: id, maps: q.maps, globals: q.globals, subprogs: [], programs: [{ name: id, section: 'syscall', body: [...q.body, label('out'), ret(imm(0))] }] };
  return { id, rule: RULE, note: `${NOTES[between]}${rcu ? '; inside bpf_rcu_read_lock the loaded field is an RCU pointer bpf_task_acquire takes' : ''}`, object, calls: q.calls };
}

/** The guest's case: the sequence in `lsm/file_open` (not sleepable: a load is in an RCU critical section). */
function guestCase(id: string, between: Between, rcu = false): FileCase {
  const q = seq(id, between, rcu);
  const object: BpfObject = {
    name: id, maps: q.maps, globals: [...q.globals, { name: `${id}_pid`, kind: 'int' }], subprogs: [],
    programs: [{ name: id, section: 'lsm/file_open', body: [...pidFilterOps(`${id}_pid`), ...q.body, label('out'), ret(imm(0))] }],
  };
  return { id, rule: `${RULE} (7.2)`, note: `${NOTES[between]}${rcu ? '; the loaded field is an RCU pointer (a non-sleepable program is in an RCU critical section)' : ''}`, object, calls: q.calls, state: 'warm' };
}

/**
 * A kptr op sequence (properties/kptr.ts, P18's) as a case's object and calls: a `SEC("syscall")`
 * program on the host, `lsm/file_open` behind the driver's pid filter on the guest; `flags`: the map's
 * (BPF_F_NO_COMMON_LRU for a per-CPU LRU).
 */
export function kptrSeqObject(id: string, q: KptrSeq, guest: boolean, flags = 0): { object: BpfObject; calls: CallRecord[] } {
  const g = (n: string): string => `${id}_${n}`;
  const object: BpfObject = {
    name: id, maps: [{ ...kptrMap(g('map'), q), ...(flags === 0 ? {} : { flags }) }], subprogs: [],
    globals: [{ name: g('rets'), kind: 'u64s', size: FRETS }, { name: g('val'), kind: 'bytes', size: 16 }, ...(guest ? [{ name: g('pid'), kind: 'int' as const }] : [])],
    programs: [{ name: id, section: guest ? 'lsm/file_open' : 'syscall', body: [...(guest ? pidFilterOps(g('pid')) : []), ...kptrBody(q.ops, g('map'), g('val'), g('rets')), label('out'), ret(imm(0))] }],
  };
  const fn = (k: string): string => (k === 'update' ? 'bpf_map_update_elem' : k === 'delete' ? 'bpf_map_delete_elem' : k === 'load' ? 'ld' : 'bpf_kptr_xchg');
  return { object, calls: q.ops.map((o, i) => ({ index: i, fn: fn(o.k), text: `${o.k}(${o.key})` })) };
}

export const kptrCases: readonly ConfCase[] = [
  hostCase('kp_xchg', 'none', true),
  hostCase('kp_array_update', 'array_update'),
  hostCase('kp_hash_reuse', 'hash_reuse'),
  hostCase('kp_hash_replace2', 'hash_replace2'),
  hostCase('kp_hashn_reuse', 'hashn_reuse'),
  hostCase('kp_lru_evict', 'lru_evict'),
];

export function kptrFileCases(): FileCase[] {
  return [
    guestCase('fk_kp_xchg', 'none', true),
    guestCase('fk_kp_array_update', 'array_update'),
    guestCase('fk_kp_hash_reuse', 'hash_reuse'),
    guestCase('fk_kp_hash_replace2', 'hash_replace2'),
    guestCase('fk_kp_hashn_reuse', 'hashn_reuse'),
    guestCase('fk_kp_lru_evict', 'lru_evict'),
  ];
}

// ---------------------------------------------------------------------------------------------
// Programs the verifier refuses
// ---------------------------------------------------------------------------------------------

/** A map with a referenced kptr `task`, an untrusted one `ut`, and one with a task_work field. */
const vmaps = (id: string): MapDecl[] => [
  { name: `${id}_km`, type: 'array', maxEntries: 1, valueSize: 8, taskWorkFields: 0, kptrs: [{ name: 'task', type: 'task_struct' }, { name: 'ut', type: 'task_struct', untrusted: true }] },
  { name: `${id}_plain`, type: 'array', maxEntries: 1, valueSize: 8, taskWorkFields: 0 },
  { name: `${id}_tw`, type: 'array', maxEntries: 1, valueSize: 8, taskWorkFields: 1 },
];

/** The refused bodies, each given the case's map names: `look(m)` puts the value of map `m` in `v`. */
interface Refused {
  readonly id: string;
  readonly note: string;
  readonly body: (look: (m: 'km' | 'plain' | 'tw') => Op[]) => Op[];
  /** Sleepable only where it matters (an untrusted load); the default is the tier's usual section. */
  readonly sleepable?: boolean;
}

const acquireCurrent: Op[] = [call('bpf_get_current_task_btf', [], 'cur'), call('bpf_task_acquire', [r('cur')], 'a'), goto('out', when('a', '==', NULL))];

const REFUSED: readonly Refused[] = [
  { id: 'store_ref', note: 'v->task = acquired (BPF_STX into a referenced kptr) → store to referenced kptr disallowed',
    body: (look) => [...look('km'), ...acquireCurrent, st(8, kptr('v', 'task'), 0, r('a')), call('bpf_task_release', [r('a')])] },
  { id: 'xchg_unref', note: 'bpf_kptr_xchg(&v->task, current): current is trusted but not a reference the program holds → the release argument check (6.18: R2 must be referenced when passed to release function; 7.2: release helper bpf_kptr_xchg expects referenced PTR_TO_BTF_ID passed to R2)',
    body: (look) => [...look('km'), call('bpf_get_current_task_btf', [], 'cur'), call('bpf_kptr_xchg', [kptr('v', 'task'), r('cur')], 'o'), goto('out', when('o', '==', NULL)), call('bpf_task_release', [r('o')])] },
  { id: 'xchg_released', note: 'the task moved into the map with bpf_kptr_xchg is released again: every copy of the register is a scalar now → 6.18: arg#0 pointer type STRUCT task_struct must point to scalar, or struct with scalar; 7.2: release kfunc bpf_task_release expects referenced PTR_TO_BTF_ID passed to R1',
    body: (look) => [...look('km'), ...acquireCurrent, call('bpf_kptr_xchg', [kptr('v', 'task'), r('a')], 'o'), call('bpf_task_release', [r('a')]), goto('out', when('o', '==', NULL)), call('bpf_task_release', [r('o')])] },
  { id: 'xchg_leak', note: 'the task bpf_kptr_xchg took out is never released → Unreleased reference',
    body: (look) => [...look('km'), call('bpf_kptr_xchg', [kptr('v', 'task'), NULL], 'o')] },
  { id: 'xchg_data', note: 'bpf_kptr_xchg on the value\'s data (offset 0) → off=0 doesn\'t point to kptr',
    body: (look) => [...look('km'), call('bpf_kptr_xchg', [r('v'), NULL], 'o'), goto('out', when('o', '==', NULL)), call('bpf_task_release', [r('o')])] },
  { id: 'xchg_untrusted', note: 'bpf_kptr_xchg on a __kptr_untrusted field → off=16 kptr isn\'t referenced kptr',
    body: (look) => [...look('km'), call('bpf_kptr_xchg', [kptr('v', 'ut'), NULL], 'o'), goto('out', when('o', '==', NULL)), call('bpf_task_release', [r('o')])] },
  { id: 'xchg_nokptr', note: 'bpf_kptr_xchg on a value without kptrs → R1 has no valid kptr',
    body: (look) => [...look('plain'), call('bpf_kptr_xchg', [r('v'), NULL], 'o'), goto('out', when('o', '==', NULL)), call('bpf_task_release', [r('o')])] },
  { id: 'size4', note: 'a 4-byte load of a kptr → kptr access size must be BPF_DW',
    body: (look) => [...look('km'), ld('x', 4, kptr('v', 'task'))] },
  { id: 'atomic', note: 'an atomic add on a kptr → kptr in map can only be accessed using BPF_MEM instruction mode',
    body: (look) => [...look('km'), atomicAdd(8, kptr('v', 'ut'), imm(1))] },
  { id: 'helper', note: 'bpf_probe_read_kernel into a kptr field → kptr cannot be accessed indirectly by helper',
    body: (look) => [...look('km'), call('bpf_probe_read_kernel', [kptr('v', 'task'), imm(8), imm(0)], 'n')] },
  { id: 'tw_load', note: 'a load of the value\'s bpf_task_work field → bpf_task_work cannot be accessed directly by load/store',
    body: (look) => [...look('tw'), ld('x', 8, r('v'), 8)] },
  { id: 'tw_oob', note: 'a load just past a value of data and a bpf_task_work field: value_size covers the field (8 + 8) → invalid access to map value, value_size=16 off=16 size=8',
    body: (look) => [...look('tw'), ld('x', 8, r('v'), 16)] },
  { id: 'untrusted_acquire', sleepable: true, note: 'in a sleepable program, v->task loaded outside bpf_rcu_read_lock is untrusted: bpf_task_acquire (KF_RCU) refuses it → R1 must be a rcu pointer',
    body: (look) => [...look('km'), ld('t', 8, kptr('v', 'task')), goto('out', when('t', '==', NULL)), call('bpf_task_acquire', [r('t')], 'b'), goto('out', when('b', '==', NULL)), call('bpf_task_release', [r('b')])] },
  { id: 'deref_nonull', sleepable: true, note: 'v->task loaded (untrusted, maybe NULL) and read through without a NULL check → invalid mem access \'untrusted_ptr_or_null_\'',
    body: (look) => [...look('km'), ld('t', 8, kptr('v', 'task')), field('x', r('t'), 'pid')] },
  { id: 'release_in_map', note: 'bpf_task_release of the task still in the map (loaded inside an RCU read section: an RCU pointer, not a reference) → 6.18: R1 must be referenced or trusted; 7.2: release kfunc bpf_task_release expects referenced PTR_TO_BTF_ID passed to R1',
    body: (look) => [...look('km'), call('bpf_rcu_read_lock', []), ld('t', 8, kptr('v', 'task')), goto('unl', when('t', '==', NULL)), call('bpf_task_release', [r('t')]), label('unl'), call('bpf_rcu_read_unlock', [])] },
];

/** The host's refused cases (`SEC("syscall")`, sleepable). */
export const kptrVerifierCases: readonly ConfCase[] = REFUSED.map((c) => {
  const id = `v_kp_${c.id}`;
  const b = new CaseBuilder(id);
  const maps = vmaps(id);
  const look = (m: 'km' | 'plain' | 'tw'): Op[] => [call('bpf_map_lookup_elem', [map(`${id}_${m}`), imm(0)], 'v'), goto('out', when('v', '==', NULL))];
  for (const op of c.body(look)) b.raw(op);
  b.raw(label('out'));
  const built = b.build(`verifier: ${RULE}`, c.note, { verifier: true });
  return { ...built, object: { ...built.object, maps: [...built.object.maps, ...maps] } };
});

/** The guest's refused cases (`lsm/file_open`; `lsm.s/file_open` where a sleepable program matters). */
export function kptrFileVerifierCases(): FileCase[] {
  return REFUSED.map((c) => {
    const id = `fv_kp_${c.id}`;
    const look = (m: 'km' | 'plain' | 'tw'): Op[] => [call('bpf_map_lookup_elem', [map(`${id}_${m}`), imm(0)], 'v'), goto('out', when('v', '==', NULL))];
    const fc = refusedFileCase(id, c.sleepable === true ? 'lsm.s/file_open' : 'lsm/file_open', `verifier (7.2): ${RULE}`, c.note, () => [...c.body(look), ret(imm(0))]);
    return { ...fc, object: { ...fc.object, maps: [...fc.object.maps, ...vmaps(id)] } };
  });
}
