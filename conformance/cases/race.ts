/**
 * Races the guest tier provokes on the 7.2 kernel with two vCPUs (conformance/guest-tier.ts,
 * `raceTier`), counted over many runs, and the model's outcome set for the same programs from
 * `exploreScenario` (src/explore): every outcome the kernel showed must be one the model allows.
 *
 * delete_vs_pending: the `lsm/file_open` hook (filtered on the driver's pid) inserts hmap[0] (NOEXIST,
 * the value from the 16-byte global `val`, the map's value size: the kernel refuses a NULL value pointer),
 * looks it up and schedules a signal-mode callback on the opener with the 7.x
 * `bpf_task_work_schedule_signal`, storing its return in `sched_ret`; the callback counts its runs in
 * `runs`. A second thread of the driver deletes hmap[0] (bpf(BPF_MAP_DELETE_ELEM)) while the main one
 * opens the trigger file. An outcome: the schedule's return, whether the callback ran, the delete's
 * return.
 */
import { program as P, type BpfObject, type ScenarioInput } from '../../src/index.ts';
import { pidFilterOps } from './file.ts';

const { call, r, imm, NULL, map, tw, cb, label, goto, ret, when, mov, alu, store, glob, buf } = P;

export const RACE_PROG = 'race_open';
export const RACE_MAP = 'race_hmap';

/** The object of the delete-vs-pending race (7.x names). */
export function deleteVsPendingObject(): BpfObject {
  return {
    name: 'race',
    maps: [{ name: RACE_MAP, type: 'hash', maxEntries: 1, valueSize: 8, taskWorkFields: 1 }],
    globals: [{ name: 'runs', kind: 'int' }, { name: 'sched_ret', kind: 'int' }, { name: 'user_pid', kind: 'int' }, { name: 'val', kind: 'bytes', size: 16 }],
    programs: [{
      name: RACE_PROG, section: 'lsm/file_open', body: [
        ...pidFilterOps('user_pid'),
        call('bpf_map_update_elem', [map(RACE_MAP), imm(0), buf('val'), imm(1)]),
        call('bpf_map_lookup_elem', [map(RACE_MAP), imm(0)], 'r6'),
        goto('out', when('r6', '==', NULL)),
        call('bpf_get_current_task_btf', [], 'r7'),
        call('bpf_task_work_schedule_signal', [r('r7'), tw('r6'), map(RACE_MAP), cb('race_work')], 'r0'),
        store('sched_ret', r('r0')),
        label('out'),
        ret(imm(0)),
      ],
    }],
    subprogs: [{ name: 'race_work', isStatic: true, body: [mov('r9', glob('runs')), alu('add', 'r9', imm(1)), store('runs', r('r9')), ret(imm(0))] }],
  };
}

/**
 * The same race as a scenario on several CPUs: the opener sets `user_pid`, opens and closes the
 * trigger; the deleter deletes hmap[0]. Its outcome is read from the globals `sched_ret` and `runs`
 * and the deleter's result, as the driver reports them.
 */
export function deleteVsPendingScenario(): ScenarioInput {
  return {
    name: 'race-delete-vs-pending', version: '7.2', smp: true,
    files: [{ path: '/mnt/ext4/driver', size: 4096 }, { path: '/mnt/ext4/trigger', size: 16 }],
    objects: [deleteVsPendingObject() as ScenarioInput['objects'][number]],
    tasks: [
      // As the driver does: sched_ret starts at -9999 (no schedule ran), user_pid is the driver's.
      { comm: 'driver', exe: '/mnt/ext4/driver', script: [{ sys: 'set_global', global: 'sched_ret', value: -9999 }, { sys: 'set_global', global: 'user_pid', value: 'pid' }, { sys: 'open', path: '/mnt/ext4/trigger', fd: 't' }, { sys: 'close', fd: 't' }] },
      { comm: 'deleter', script: [{ sys: 'map_delete', map: RACE_MAP, key: 0 }] },
    ],
    // Each outcome as the driver reports it (sched_ret, runs, the delete's return): explored, every value is listed.
    expect: {
      globals: { sched_ret: { value: 0, class: 'always' }, runs: { value: 1, class: 'sometimes' } },
      results: [{ task: 1, syscall: 0, ret: 0, class: 'sometimes' }],
      completes: 'sometimes',
    },
  };
}

/** An outcome's text: `sched=0 ran=1 del=-ENOENT`. */
export function raceOutcome(schedRet: number, ran: number, del: number): string {
  const e = (n: number): string => (n === 0 ? '0' : n === -2 ? '-ENOENT' : n === -16 ? '-EBUSY' : String(n));
  return `${schedRet === -9999 ? 'no schedule' : `sched=${e(schedRet)}`} ran=${ran} del=${e(del)}`;
}
