/**
 * tools/testing/selftests/bpf/progs/task_kfunc_success.c of the 7.2.13 release (RELEASE_7_2), run by
 * prog_tests/task_kfunc.c: `run_success_test` loads the skeleton with `pid` = getpid(), attaches the
 * one program, forks a child that exits at once, waits for it, and asserts `err == 0`. The
 * `tp_btf/task_newtask` programs run in the parent while it forks (kernel/fork.c `copy_process` →
 * `trace_task_newtask`), with the new task as `task` (ctx[0]).
 *
 * In the model: the object with the tested program and the file's globals, a task that sets `pid`
 * to its own, forks a child whose script is `exit` (src/scheduler/fork.ts) and waits for it; then
 * `err` must be 0
 * and the program must have run once in the parent (a program that never ran would leave `err` 0
 * too). Static functions of the C (`is_test_kfunc_task`, `lookup_compare_pid`) are written inline.
 * Programs that check whether a kernel symbol exists (`bpf_ksym_exists`: libbpf resolves weak `__ksym`
 * declarations at load, some against bpf_testmod), keep a task in a local object (`bpf_obj_new`), read
 * `task->comm`, or need another pid namespace are not expressible: each says which. Every object has
 * the file's map `__tasks_kfunc_map` (task_kfunc_common.ts).
 */
import { content, Session, type BpfObject, type KernelVersion, type Op } from '../src/index.ts';
import { exeBytes } from '../examples/file_reader.ts';
import { call, ctxPtr, field, goto, imm, label, ld, NULL, pidFilter, r, ret, store, when } from './common.ts';
import { RELEASE_7_2, type Selftest } from './lib.ts';
import { mapInsert, mapValueLookup, TASKS_KFUNC_LOCALS, TASKS_KFUNC_MAP } from './task_kfunc_common.ts';
import { program as P } from '../src/index.ts';

const FILE = 'task_kfunc_success.c' as const;
const SEC = 'tp_btf/task_newtask';
const EXE = '/proc/self/exe';
const DRIVER = 'prog_tests/task_kfunc.c run_success_test: err == 0 after the parent forked a child (fork(), _exit(0), waitpid)';

/** bpf_ksym_exists and weak kfuncs are modelled (src/model/program/ksym.ts); these programs test kfuncs the model cannot have. */
const TESTMOD = 'tests bpf_ksym_exists of bpf_testmod_test_mod_kfunc (a kfunc of the selftests\' module, which the model does not have) and of invalid_kfunc (a name no kernel has, which a program value cannot call)';
const FLAVOR = 'names bpf_task_acquire___one, ___two and ___three (bpf_ksym_exists, calls): ___flavor kfunc names, which libbpf resolves from 1.3 on (the model\'s libbpf is 1.1.2, the tiers\' loader)';

/** `lookup_compare_pid(p)`: bpf_task_from_pid(p->pid); NULL → err = 1; `acquired->pid != p->pid` → err = 2; release. */
function lookupComparePid(p: string): Op[] {
  return [
    field('p_pid', r(p), 'pid'), call('bpf_task_from_pid', [r('p_pid')], 'acquired'),
    goto('found', when('acquired', '!=', NULL)), store('err', imm(1)), goto('out'),
    label('found'), field('a_pid', r('acquired'), 'pid'), field('p_pid2', r(p), 'pid'),
    goto('same', when('a_pid', '==', r('p_pid2'))), store('err', imm(2)),
    label('same'), call('bpf_task_release', [r('acquired')]),
  ];
}

const BODIES: Readonly<Record<string, readonly Op[]>> = {
  // tasks_kfunc_map_insert(task) leaves the new task in the map (its reference stays there).
  test_task_acquire_leave_in_map: [ld('task', 8, ctxPtr, 0), ...pidFilter('out'), ...mapInsert('task', 'status', 'ins'), goto('out', when('status', '==', imm(0))), store('err', imm(1))],
  // Inside bpf_rcu_read_lock, v->task is an RCU pointer bpf_task_acquire (KF_RCU) takes.
  test_task_map_acquire_release: [
    ld('task', 8, ctxPtr, 0), ...pidFilter('out'), ...mapInsert('task', 'status', 'ins'), goto('inserted', when('status', '==', imm(0))), store('err', imm(1)), goto('out'),
    label('inserted'), ...mapValueLookup('task', 'v', 'look'), goto('found', when('v', '!=', NULL)), store('err', imm(2)), goto('out'),
    label('found'), call('bpf_rcu_read_lock', []), ld('kptr', 8, P.kptr('v', 'task'), 0), goto('has', when('kptr', '!=', NULL)), store('err', imm(3)), goto('unlock'),
    label('has'), call('bpf_task_acquire', [r('kptr')], 'acquired'), goto('acq', when('acquired', '!=', NULL)), store('err', imm(4)), goto('unlock'),
    label('acq'), call('bpf_task_release', [r('acquired')]),
    label('unlock'), call('bpf_rcu_read_unlock', []),
  ],
  test_task_current_acquire_release: [
    ...pidFilter('out'), call('bpf_get_current_task_btf', [], 'current'), call('bpf_task_acquire', [r('current')], 'acquired'),
    goto('fail', when('acquired', '==', NULL)), call('bpf_task_release', [r('acquired')]), goto('out'),
    label('fail'), store('err', imm(1)),
  ],
  test_task_from_pid_arg: [ld('task', 8, ctxPtr, 0), ...pidFilter('out'), ...lookupComparePid('task')],
  test_task_from_pid_current: [...pidFilter('out'), call('bpf_get_current_task_btf', [], 'current'), ...lookupComparePid('current')],
  // task->group_leader: an RCU pointer in a non-sleepable program (BTF_TYPE_SAFE_RCU), which the KF_RCU bpf_task_acquire takes.
  task_kfunc_acquire_trusted_walked: [
    ld('task', 8, ctxPtr, 0), field('leader', r('task'), 'group_leader'), call('bpf_task_acquire', [r('leader')], 'acquired'),
    goto('fail', when('acquired', '==', NULL)), call('bpf_task_release', [r('acquired')]), goto('out'),
    label('fail'), store('err', imm(1)),
  ],
};

function objectOf(fn: string, body: readonly Op[]): BpfObject {
  return {
    name: 'task_kfunc_success', maps: [TASKS_KFUNC_MAP], subprogs: [],
    globals: [{ name: 'err', kind: 'int' }, { name: 'pid', kind: 'int' }],
    programs: [{ name: fn, section: SEC, body: [...body, label('out'), ret(imm(0))], locals: [...TASKS_KFUNC_LOCALS] }],
  };
}

/** run_success_test in the model. */
function successCheck(fn: string, obj: BpfObject): (version: KernelVersion) => string[] {
  return (version) => {
    const s = new Session({ version });
    s.createFile({ path: EXE, content: content.bytes(exeBytes('task_kfunc selftest', 4096)) });
    s.load(obj);
    const parent = s.spawn({ comm: 'test_progs', exe: EXE, script: [
      { sys: 'set_global', global: 'pid', value: 'pid' }, { sys: 'fork', script: [{ sys: 'exit' }] }, { sys: 'wait' }, { sys: 'exit' },
    ] });
    s.simulate();
    const out: string[] = [];
    const [, child, reaped] = s.world.tasks.get(parent)?.results ?? [];
    if (child === undefined || child <= 0n) out.push(`fork returned ${String(child)}, not a pid`);
    if (reaped !== child) out.push(`waitpid returned ${String(reaped)}, not the child`);
    if (s.global('err') !== 0n) out.push(`err = ${String(s.global('err'))}, not 0`);
    const runs = s.events().filter((e) => e.kind === 'prog' && e.op === 'enter' && e.name === fn);
    if (runs.length !== 1 || runs[0]?.kind !== 'prog' || runs[0].pid !== parent) out.push(`${fn} ran ${runs.length} time(s), not once in the parent`);
    return out;
  };
}

const NOT_EXPRESSIBLE: Readonly<Record<string, string>> = {
  test_task_kfunc_flavor_relo: FLAVOR,
  test_task_kfunc_flavor_relo_not_found: FLAVOR,
  test_task_acquire_release_argument: `test_acquire_release ${TESTMOD}`,
  test_task_acquire_release_current: `test_acquire_release ${TESTMOD}`,
  test_task_xchg_release: 'moves the task from the map into a local object (bpf_obj_new, bpf_kptr_xchg into its kptr, bpf_obj_drop): local objects are not modelled',
  test_task_from_pid_invalid: 'reads `task->comm` (bpf_strncmp on a char array of task_struct): the model reads no array member',
  test_task_from_vpid_current: 'runs in a child made with clone(CLONE_NEWPID): the model has one pid namespace',
  test_task_from_vpid_invalid: 'runs in a child made with clone(CLONE_NEWPID): the model has one pid namespace',
};

/** In the file's order. */
const ORDER = [
  'test_task_kfunc_flavor_relo', 'test_task_kfunc_flavor_relo_not_found', 'test_task_acquire_release_argument',
  'test_task_acquire_release_current', 'test_task_acquire_leave_in_map', 'test_task_xchg_release', 'test_task_map_acquire_release',
  'test_task_current_acquire_release', 'test_task_from_pid_arg', 'test_task_from_pid_current', 'test_task_from_pid_invalid',
  'task_kfunc_acquire_trusted_walked', 'test_task_from_vpid_current', 'test_task_from_vpid_invalid',
];

export const TASK_KFUNC_SUCCESS: Selftest[] = ORDER.map((fn): Selftest => {
  const body = BODIES[fn];
  const common = { file: FILE, fn, source: RELEASE_7_2, version: '7.2' as const };
  if (body === undefined) return { ...common, expect: { kind: 'success' }, notExpressible: NOT_EXPRESSIBLE[fn] ?? 'not written' };
  const object = objectOf(fn, body);
  return { ...common, object, expect: { kind: 'runtime', driver: DRIVER, check: successCheck(fn, object) } };
});
