/**
 * The task_work kfuncs, registered under their kernel names. 6.18 and 6.19 name them
 * `bpf_task_work_schedule_{signal,resume}_impl` with a 5th `aux__prog` argument (NULL; the verifier
 * substitutes the program); 7.0 removed those names for 4-argument `bpf_task_work_schedule_*`.
 */
import '../model/kfuncs.ts';
import { defineKfunc, type ArgSpec } from '../model/kfunc/kfunc.ts';
import { kfuncMethods } from '../model/kfunc/methods.ts';
import { KFUNCS, registerKfuncs } from '../model/kfunc/registry.ts';
import { scheduleTaskWork } from './bpf_task_work.ts';

const ARGS4 = [
  { name: 'task', type: 'task' },
  { name: 'tw', type: 'tw' },
  { name: 'map__map', type: 'map' },
  { name: 'callback', type: 'callback' },
] as const satisfies readonly ArgSpec[];
const ARGS5 = [...ARGS4, { name: 'aux__prog', type: 'aux' }] as const satisfies readonly ArgSpec[];

const CHECKS = [
  'the calling program\'s refcount is already 0 (bpf_prog_inc_not_zero fails) → -EBADF',
  'the task is being freed (bpf_task_acquire fails: reaped) → -EBADF',
  'the slot has no context and allocating one fails → -ENOMEM',
  'the context\'s refcount is 0 (being freed) → -EBUSY',
  'the slot is not STANDBY (PENDING, SCHEDULING, SCHEDULED, RUNNING — also from its own callback — or FREED) → -EBUSY',
  'the map has no user references (usercnt 0) → -EBUSY, and the slot\'s context is cancelled and freed',
  'map__map is not the bpf_task_work\'s map: the verifier refuses another map with a bpf_task_work field (map_uid mismatch), oopses on one without a btf_record (NULL record->wq_off, check_kfunc_args) and lets one with only other fields (a kptr) through, whose task_work_off marks no field (the negated EINVAL), so this call would set map_val 22 bytes past tw: KernelBugError (btf/object.ts recordError)',
];
const EFFECTS = (mode: string): string[] => [
  'STANDBY → PENDING; the context takes references on the program and the task; an irq_work is queued',
  `the irq_work adds the task_work with ${mode}; the target runs the callback (sleepable, as itself, return value ignored) on its way to user mode`,
  '0 does not promise a run: an exited target drops the work silently; a delete/update of the element or the map\'s last user reference cancels it',
  'the references go when the callback ends, the work is dropped or cancelled; on 7.x a last one dropped in an irq_work handler is released one irq_work later (bpf_task_work_destroy)',
];
const MIRRORS = 'kernel/bpf/helpers.c: bpf_task_work_schedule, bpf_task_work_acquire_ctx';

export const bpf_task_work_schedule_signal_impl = defineKfunc({
  name: 'bpf_task_work_schedule_signal_impl', mirrors: MIRRORS, kind: 'kfunc', since: '6.18', until: '7.0', keptInBtf: true,
  summary: 'Schedule `callback` to run as `task` with TWA_SIGNAL (breaks an interruptible sleep).',
  args: ARGS5, ret: 'int', flags: ['KF_TRUSTED_ARGS'], checks: CHECKS, effects: EFFECTS('TWA_SIGNAL'), confidence: 'H (source)',
  impl: (k, task, tw, map, callback) => scheduleTaskWork(k, task, tw, map, callback, 'TWA_SIGNAL'),
});

export const bpf_task_work_schedule_resume_impl = defineKfunc({
  name: 'bpf_task_work_schedule_resume_impl', mirrors: MIRRORS, kind: 'kfunc', since: '6.18', until: '7.0', keptInBtf: true,
  summary: 'Schedule `callback` to run as `task` with TWA_RESUME (does not wake a sleeping task).',
  args: ARGS5, ret: 'int', flags: ['KF_TRUSTED_ARGS'], checks: CHECKS, effects: EFFECTS('TWA_RESUME'), confidence: 'H (source)',
  impl: (k, task, tw, map, callback) => scheduleTaskWork(k, task, tw, map, callback, 'TWA_RESUME'),
});

export const bpf_task_work_schedule_signal = defineKfunc({
  name: 'bpf_task_work_schedule_signal', mirrors: MIRRORS, kind: 'kfunc', since: '7.0',
  summary: 'Schedule `callback` to run as `task` with TWA_SIGNAL (7.0 name; the program is implicit).',
  args: ARGS4, ret: 'int', flags: ['KF_TRUSTED_ARGS', 'KF_IMPLICIT_ARGS'], checks: CHECKS, effects: EFFECTS('TWA_SIGNAL'), confidence: 'M (7.0 rename)',
  impl: (k, task, tw, map, callback) => scheduleTaskWork(k, task, tw, map, callback, 'TWA_SIGNAL'),
});

export const bpf_task_work_schedule_resume = defineKfunc({
  name: 'bpf_task_work_schedule_resume', mirrors: MIRRORS, kind: 'kfunc', since: '7.0',
  summary: 'Schedule `callback` to run as `task` with TWA_RESUME (7.0 name; the program is implicit).',
  args: ARGS4, ret: 'int', flags: ['KF_TRUSTED_ARGS', 'KF_IMPLICIT_ARGS'], checks: CHECKS, effects: EFFECTS('TWA_RESUME'), confidence: 'M (7.0 rename)',
  impl: (k, task, tw, map, callback) => scheduleTaskWork(k, task, tw, map, callback, 'TWA_RESUME'),
});

export const TASK_WORK_KFUNCS = registerKfuncs({
  bpf_task_work_schedule_signal_impl,
  bpf_task_work_schedule_resume_impl,
  bpf_task_work_schedule_signal,
  bpf_task_work_schedule_resume,
});

type TaskWorkKfuncs = typeof TASK_WORK_KFUNCS;
declare module '../model/kfunc/registry.ts' {
  interface KfuncRegistry extends TaskWorkKfuncs {}
}

/** Every kfunc and helper kernsim models, by kernel name: the registry, with every layer loaded. */
export const ALL_KFUNCS = KFUNCS;

/** Binds every kfunc of `ALL_KFUNCS` to a transition. */
export const ALL_KFUNC_METHODS = kfuncMethods(ALL_KFUNCS);
