/**
 * Programs whose load oopses the kernel: the model stops them with a `KernelBugError` naming the kernel
 * function. Guest tier only (conformance/guest-tier.ts): each is loaded by a driver process of its own
 * after every other case, and the guest's kernel log tells where it oopsed. The host tier never loads
 * them: its kernel is the machine's own.
 *
 * `oops_tw_*` (shared/semantics/task_work.md Q3): after a `bpf_task_work` argument, check_kfunc_args
 * (KF_ARG_PTR_TO_MAP) reads `reg->map_ptr->record->wq_off` of the map argument without checking the
 * record, which is NULL for a map without special fields or without BTF, and an error pointer for
 * fields that failed to parse (src/model/btf/object.ts `recordError`).
 */
import { program as P, type BpfObject, type MapDecl } from '../../src/index.ts';

export interface OopsCase {
  readonly id: string;
  readonly note: string;
  readonly object: BpfObject;
}

/** An lsm/file_open program scheduling a task_work on `<id>_a`'s value with `<id>_b` (`other`) as the map argument. */
function twOtherMap(id: string, note: string, other: Omit<MapDecl, 'name'>): OopsCase {
  const a = `${id}_a`;
  const b = `${id}_b`;
  return {
    id, note,
    object: {
      name: id, globals: [],
      maps: [{ name: a, type: 'array', maxEntries: 1, valueSize: 8, taskWorkFields: 1 }, { name: b, ...other }],
      programs: [{ name: id, section: 'lsm/file_open', body: [
        P.call('bpf_map_lookup_elem', [P.map(a), P.imm(0)], 'v'), P.goto('out', P.when('v', '==', P.NULL)),
        P.call('bpf_get_current_task_btf', [], 't'),
        P.call('bpf_task_work_schedule_signal', [P.r('t'), P.tw('v'), P.map(b), P.cb(`${id}_cb`)], 'e'),
        P.label('out'), P.ret(P.imm(0)),
      ] }],
      subprogs: [{ name: `${id}_cb`, isStatic: true, body: [P.ret(P.imm(0))] }],
    },
  };
}

export function oopsCases(): OopsCase[] {
  return [
    twOtherMap('oops_tw_plain', 'the map argument is an ARRAY whose value has no special field: its record is NULL',
      { type: 'array', maxEntries: 1, valueSize: 8, taskWorkFields: 0 }),
    twOtherMap('oops_tw_ringbuf', 'the map argument is a ring buffer (no BTF): its record is NULL',
      { type: 'ringbuf', maxEntries: 4096, valueSize: 0, taskWorkFields: 0 }),
    twOtherMap('oops_tw_two', 'the map argument\'s value has two bpf_task_work fields: its record is ERR_PTR(-E2BIG)',
      { type: 'array', maxEntries: 1, valueSize: 8, taskWorkFields: 2 }),
  ];
}
