/**
 * Host-tier task_work cases (6.18): a `SEC("syscall")` program run with BPF_PROG_TEST_RUN schedules
 * `bpf_task_work_schedule_signal_impl` on the current task with an ARRAY element. The callback adds
 * one to `<id>_cnt`, which user space reads after the test-run syscall returned: the callback ran on
 * the way back to user mode, exactly once. Updating the same element from the program after scheduling
 * cancels the pending work: the callback never runs.
 */
import { program as P, type BpfObject, type Op } from '../../src/index.ts';
import type { CallRecord, ConfCase } from './lib.ts';

function twCase(id: string, note: string, steps: readonly ('schedule' | 'update')[]): ConfCase {
  const map = `${id}_map`;
  const rets = `${id}_rets`;
  const body: Op[] = [
    P.call('bpf_map_lookup_elem', [P.map(map), P.imm(0)], 'r6'),
    P.goto('out', P.when('r6', '==', P.NULL)),
    P.call('bpf_get_current_task_btf', [], 'r7'),
  ];
  const calls: CallRecord[] = [];
  steps.forEach((s, i) => {
    if (s === 'schedule') {
      body.push(P.call('bpf_task_work_schedule_signal_impl', [P.r('r7'), P.tw('r6'), P.map(map), P.cb(`${id}_cb`), P.NULL], `v${i}`));
      calls.push({ index: i, fn: 'bpf_task_work_schedule_signal_impl', text: 'bpf_task_work_schedule_signal_impl(current, &v->tw, &map, cb, NULL)' });
    } else {
      body.push(P.call('bpf_map_update_elem', [P.map(map), P.imm(0), P.buf(`${id}_val`), P.imm(0)], `v${i}`));
      calls.push({ index: i, fn: 'bpf_map_update_elem', text: 'bpf_map_update_elem(&map, &0, val, 0)' });
    }
    body.push(P.storeAt(rets, i, P.r(`v${i}`)));
  });
  body.push(P.label('out'), P.ret(P.imm(0)));
  const object: BpfObject = {
    name: id,
    maps: [{ name: map, type: 'array', maxEntries: 1, valueSize: 8, taskWorkFields: 1 }],
    globals: [
      { name: rets, kind: 'u64s', size: 8 },
      { name: `${id}_cnt`, kind: 'int' },
      { name: `${id}_val`, kind: 'bytes', size: 16 },
    ],
    programs: [{ name: id, section: 'syscall', body }],
    subprogs: [{
      name: `${id}_cb`, isStatic: true,
      body: [P.mov('r1', P.glob(`${id}_cnt`)), P.alu('add', 'r1', P.imm(1)), P.store(`${id}_cnt`, P.r('r1')), P.ret(P.imm(0))],
    }],
  };
  return { id, rule: 'task_work (6.18, _impl names)', note, object, calls };
}

export const taskWorkCases: readonly ConfCase[] = [
  twCase('tw_once', 'schedule → 0; the callback ran once before the test-run syscall returned (cnt 1)', ['schedule']),
  twCase('tw_busy', 'schedule → 0; again while pending → -EBUSY; the callback ran once (cnt 1)', ['schedule', 'schedule']),
  twCase('tw_cancel', 'schedule → 0; bpf_map_update_elem of the same element → 0 and cancels it: the callback never runs (cnt 0)', ['schedule', 'update']),
  twCase('tw_cancel_resched', 'schedule, update (cancel), schedule again → 0: the new work runs once (cnt 1)', ['schedule', 'update', 'schedule']),
];
