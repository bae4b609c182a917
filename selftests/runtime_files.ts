/**
 * The selftests judged at run time by their prog_tests driver: file_reader.c (prog_tests/
 * file_reader.c), task_work.c (prog_tests/test_task_work.c) and task_work_stress.c
 * (prog_tests/task_work_stress.c). Each case's `check` builds the driver's situation in a Session
 * (files, the object loaded with only the tested program turned on, the user tasks and their
 * syscalls), runs the scheduler, and returns the driver's assertions that fail.
 */
import { content, Session, type BpfObject, type KernelVersion, type Op, type Subprog, type Syscall } from '../src/index.ts';
import { exeBytes } from '../examples/file_reader.ts';
import {
  addr, alu, atomicAdd, buf, call, cb, dynptr, dynptrRead, EFAULT, glob, goto, imm, label, ld, local, map, mov, NULL, pidFilter, r, ret, st, store, tw, when,
} from './common.ts';
import type { Selftest } from './lib.ts';

// ---------------------------------------------------------------------------------------------
// file_reader.c (torvalds/linux@24f171c7: 6.19, `bpf_task_work_schedule_signal_impl`)

const UB = 256000;
const EXE = '/proc/self/exe';
const TRIGGER = '/tmp/file_reader_trigger';

/**
 * `verify_dynptr_read(ptr, off, user_buf + uoff, len)`: read `len` bytes at `off` into tmp_buf and
 * compare them with user_buf; `res` gets 0 or 1.
 */
function verifyRead(tag: string, off: number, uoff: number, len: number, res: string): Op[] {
  return [
    dynptrRead(buf('tmp_buf'), len, dynptr('dynptr'), off, `rr_${tag}`), mov(res, imm(1)), goto(`vd_${tag}`, when(`rr_${tag}`, '!=', imm(0))),
    { op: 'memcmp', dst: `cmp_${tag}`, a: buf('tmp_buf'), aoff: imm(0), b: buf('user_buf'), boff: imm(uoff), len: imm(len) },
    mov(res, imm(0)), goto(`vd_${tag}`, when(`cmp_${tag}`, '==', imm(0))), mov(res, imm(1)), label(`vd_${tag}`),
  ];
}

/** `validate_file_read(file)` into `err`, then `run_success` when it is 0. */
function validateFileRead(): Op[] {
  const chain = (tag: string, ops: Op[]): Op[] => [goto('cleanup', when('loc_err', '!=', imm(0))), ...ops];
  return [
    mov('loc_err', imm(1)),
    call('bpf_dynptr_from_file', [r('file'), imm(0), dynptr('dynptr')], 'fe'), goto('cleanup', when('fe', '!=', imm(0))),
    ...verifyRead('a', 0, 0, UB, 'loc_err'),
    ...chain('b', verifyRead('b', 1, 1, UB - 1, 'loc_err')),
    ...chain('c', verifyRead('c', UB - 1, UB - 1, 1, 'loc_err')),
    ...chain('d', verifyRead('d', 4097, 4097, 100, 'loc_err')),
    ...chain('e', [call('bpf_dynptr_adjust', [dynptr('dynptr'), imm(4097), imm(4098)], 'loc_err')]),
    ...chain('f', verifyRead('f', 0, 4097, 1, 'loc_err')),
    // `verify_dynptr_read(...) == 0`: a read that succeeds is the error.
    ...chain('g', [...verifyRead('g', 0, 4097, 2, 'vg'), mov('loc_err', imm(0)), goto('g_done', when('vg', '!=', imm(0))), mov('loc_err', imm(1)), label('g_done')]),
    ...chain('h', [...verifyRead('h', 1, 4097, 1, 'vh'), mov('loc_err', imm(0)), goto('h_done', when('vh', '!=', imm(0))), mov('loc_err', imm(1)), label('h_done')]),
    label('cleanup'), call('bpf_dynptr_file_discard', [dynptr('dynptr')]),
  ];
}

const FR_OBJ: BpfObject = {
  name: 'file_reader',
  maps: [{ name: 'arrmap', type: 'array', maxEntries: 1, valueSize: 8, taskWorkFields: 1 }],
  globals: [{ name: 'user_buf', kind: 'bytes', size: UB }, { name: 'tmp_buf', kind: 'bytes', size: UB }, { name: 'pid', kind: 'int' }, { name: 'err', kind: 'int' }, { name: 'run_success', kind: 'int' }],
  programs: [
    {
      name: 'on_open_expect_fault', section: 'lsm/file_open', locals: [local('dynptr', 'dynptr')],
      body: [
        mov('local_err', imm(1)), ...pidFilter('ret0'),
        call('bpf_get_current_task_btf', [], 'task'), call('bpf_get_task_exe_file', [r('task')], 'file'), goto('ret0', when('file', '==', NULL)),
        call('bpf_dynptr_from_file', [r('file'), imm(0), dynptr('dynptr')], 'fe'), goto('out', when('fe', '!=', imm(0))),
        dynptrRead(buf('tmp_buf'), UB, dynptr('dynptr'), UB, 'local_err'), goto('out', when('local_err', '!=', imm(EFAULT))),
        mov('local_err', imm(0)), store('run_success', imm(1)),
        label('out'), call('bpf_dynptr_file_discard', [dynptr('dynptr')]), goto('put', when('local_err', '==', imm(0))), store('err', r('local_err')),
        label('put'), call('bpf_put_file', [r('file')]), label('ret0'), ret(imm(0)),
      ],
    },
    {
      name: 'on_open_validate_file_read', section: 'lsm/file_open', locals: [local('key', 's32', 'zero')],
      body: [
        call('bpf_get_current_task_btf', [], 'task'), ...pidFilter('ret0'),
        call('bpf_map_lookup_elem', [map('arrmap'), addr('key')], 'work'), goto('found', when('work', '!=', NULL)), store('err', imm(1)), ret(imm(0)),
        label('found'), call('bpf_task_work_schedule_signal_impl', [r('task'), tw('work'), map('arrmap'), cb('task_work_callback'), NULL]), label('ret0'), ret(imm(0)),
      ],
    },
  ],
  subprogs: [{
    name: 'task_work_callback', isStatic: true, params: [{ name: 'map', type: 'map' }, { name: 'key', type: 'ptr' }, { name: 'value', type: 'ptr' }], locals: [local('dynptr', 'dynptr')],
    body: [
      call('bpf_get_current_task_btf', [], 'task'), call('bpf_get_task_exe_file', [r('task')], 'file'), goto('ret0', when('file', '==', NULL)),
      ...validateFileRead(), store('err', r('loc_err')), goto('put', when('loc_err', '!=', imm(0))), store('run_success', imm(1)),
      label('put'), call('bpf_put_file', [r('file')]), label('ret0'), ret(imm(0)),
    ],
  }],
};

/**
 * prog_tests/file_reader.c: read the first 256000 bytes of /proc/self/exe into `user_buf`, set `pid`,
 * load the object with only `prog` on, page out the exe (MADV_PAGEOUT: here POSIX_FADV_DONTNEED
 * over the same pages), attach, open a file; then `err == 0` and `run_success == 1`.
 */
function fileReaderCheck(prog: string): (v: KernelVersion) => string[] {
  return (version) => {
    const s = new Session({ version });
    s.createFile({ path: EXE, content: content.bytes(exeBytes('file_reader selftest', 600000)) });
    s.createFile({ path: TRIGGER, content: content.zero(), size: 16 });
    s.load(FR_OBJ, { autoload: [prog] });
    const script: Syscall[] = [
      { sys: 'open', path: EXE, fd: 'exe' }, { sys: 'read', fd: 'exe', offset: 0, len: UB, into: 'user_buf' },
      { sys: 'set_global', global: 'pid', value: 'pid' }, { sys: 'fadvise_dontneed', fd: 'exe' }, { sys: 'close', fd: 'exe' },
      { sys: 'open', path: TRIGGER, fd: 't' }, { sys: 'close', fd: 't' }, { sys: 'exit' },
    ];
    s.spawn({ comm: 'test_progs', exe: EXE, script });
    s.simulate();
    const out: string[] = [];
    if (s.global('err') !== 0n) out.push(`err = ${String(s.global('err'))}, not 0`);
    if (s.global('run_success') !== 1n) out.push(`run_success = ${String(s.global('run_success'))}, not 1`);
    return out;
  };
}

const FR_NOTE = 'verify_dynptr_read\'s bpf_for byte loop is the memcmp op (256000 iterations exceed the interpreter\'s per-run budget; the verifier sees a byte compare either way); MADV_PAGEOUT of the exe is POSIX_FADV_DONTNEED of its pages';

export const FILE_READER: Selftest[] = ['on_open_expect_fault', 'on_open_validate_file_read'].map((fn): Selftest => ({
  file: 'file_reader.c', fn, source: 'torvalds/linux@24f171c7e145f43b9f187578e89b0982ce87e54c', version: '6.19', object: FR_OBJ, note: FR_NOTE,
  expect: { kind: 'runtime', driver: 'prog_tests/file_reader.c: err == 0, run_success == 1 after open() with the exe paged out', check: fileReaderCheck(fn) },
}));

// ---------------------------------------------------------------------------------------------
// task_work.c (kernel-patches/bpf@2150ac37: 7.0 names)

const ELEM = 128;
const processWork: Subprog = {
  name: 'process_work', isStatic: true, params: [{ name: 'map', type: 'map' }, { name: 'key', type: 'ptr' }, { name: 'value', type: 'ptr' }],
  body: [call('bpf_copy_from_user_str', [r('value'), imm(ELEM), glob('user_ptr'), imm(0)]), ret(imm(0))],
};
const emptyWork = local('empty_work', { bytes: ELEM + 8 }, 'zero');
const TW_OBJ: BpfObject = {
  name: 'task_work',
  maps: [
    { name: 'hmap', type: 'hash', maxEntries: 1, valueSize: ELEM, taskWorkFields: 1 },
    { name: 'arrmap', type: 'array', maxEntries: 1, valueSize: ELEM, taskWorkFields: 1 },
    { name: 'lrumap', type: 'lru_hash', maxEntries: 1, valueSize: ELEM, taskWorkFields: 1 },
  ],
  globals: [{ name: 'user_ptr', kind: 'u64' }, { name: 'key', kind: 'int' }],
  programs: [
    { name: 'oncpu_hash_map', section: 'perf_event', locals: [emptyWork], body: [
      call('bpf_get_current_task_btf', [], 'task'), call('bpf_map_update_elem', [map('hmap'), addr('key'), addr('empty_work'), imm(1)], 'e'), goto('ret0', when('e', '!=', imm(0))),
      call('bpf_map_lookup_elem', [map('hmap'), addr('key')], 'work'), goto('ret0', when('work', '==', NULL)),
      call('bpf_task_work_schedule_resume', [r('task'), tw('work'), map('hmap'), cb('process_work')]), label('ret0'), ret(imm(0)),
    ] },
    { name: 'oncpu_array_map', section: 'perf_event', body: [
      call('bpf_get_current_task_btf', [], 'task'), call('bpf_map_lookup_elem', [map('arrmap'), addr('key')], 'work'), goto('ret0', when('work', '==', NULL)),
      call('bpf_task_work_schedule_signal', [r('task'), tw('work'), map('arrmap'), cb('process_work')]), label('ret0'), ret(imm(0)),
    ] },
    { name: 'oncpu_lru_map', section: 'perf_event', locals: [emptyWork], body: [
      call('bpf_get_current_task_btf', [], 'task'), call('bpf_map_lookup_elem', [map('lrumap'), addr('key')], 'work0'), goto('ret0', when('work0', '!=', NULL)),
      call('bpf_map_update_elem', [map('lrumap'), addr('key'), addr('empty_work'), imm(1)], 'e'), goto('ret0', when('e', '!=', imm(0))),
      call('bpf_map_lookup_elem', [map('lrumap'), addr('key')], 'work'), goto('ret0', when('work', '==', NULL)), ld('d0', 1, r('work'), 0), goto('ret0', when('d0', '!=', imm(0))),
      call('bpf_task_work_schedule_resume', [r('task'), tw('work'), map('lrumap'), cb('process_work')]), label('ret0'), ret(imm(0)),
    ] },
  ],
  subprogs: [processWork],
};

const USER_PTR = 0x7ffd0000n;
/**
 * prog_tests/test_task_work.c: a child burns CPU under a HW-cycles perf event that runs the program
 * on it; after the child exits, every element of the map holds "hello world" (copied by the
 * callback from `user_ptr`) and at least one element exists. The model has no perf events: a sample
 * on the child is a BPF_PROG_TEST_RUN of the program from the child (it runs in the child's context).
 */
function taskWorkCheck(prog: string, mapName: string): (v: KernelVersion) => string[] {
  return (version) => {
    const s = new Session({ version });
    s.createFile({ path: '/bin/child', content: content.pattern(1), size: 4096 });
    s.load(TW_OBJ, { autoload: [prog] });
    s.spawn({ comm: 'child', exe: '/bin/child', script: [
      { sys: 'user_write', addr: Number(USER_PTR), text: 'hello world' }, { sys: 'set_global', global: 'user_ptr', value: USER_PTR },
      { sys: 'prog_test_run', prog }, { sys: 'prog_test_run', prog }, { sys: 'exit' },
    ] });
    s.simulate();
    const m = [...s.world.maps.values()].find((x) => x.name === mapName);
    if (m === undefined) return [`no map ${mapName}`];
    const elems = [...m.elems.values()].map((e) => m.slots.get(e.slot)!);
    const out: string[] = [];
    const want = new TextEncoder().encode('hello world');
    const bad = elems.filter((e) => !want.every((b, i) => e.data[i] === b) || e.data[want.length] !== 0);
    if (elems.length === 0) out.push('no element in the map');
    if (bad.length > 0) out.push(`${bad.length} element(s) without "hello world"`);
    return out;
  };
}

export const TASK_WORK: Selftest[] = [['oncpu_hash_map', 'hmap'], ['oncpu_array_map', 'arrmap'], ['oncpu_lru_map', 'lrumap']].map(([fn, m]): Selftest => ({
  file: 'task_work.c', fn: fn as string, source: 'kernel-patches/bpf@2150ac372186fdc5fdb009ab95daeb99f9d4391a', version: '7.0', object: TW_OBJ,
  note: 'a perf_event sample on the child is a BPF_PROG_TEST_RUN from the child (the model has no perf events)',
  expect: { kind: 'runtime', driver: 'prog_tests/test_task_work.c: every element holds "hello world", at least one element', check: taskWorkCheck(fn as string, m as string) },
}));

// ---------------------------------------------------------------------------------------------
// task_work_stress.c (kernel-patches/bpf@d316f1e0: 7.0 names)

const ENTRIES = 128;
const STRESS_OBJ: BpfObject = {
  name: 'task_work_stress',
  maps: [{ name: 'hmap', type: 'hash', maxEntries: ENTRIES, valueSize: 4, taskWorkFields: 1 }],
  globals: [{ name: 'callback_scheduled', kind: 'u64' }, { name: 'callback_success', kind: 'u64' }, { name: 'schedule_error', kind: 'u64' }, { name: 'delete_success', kind: 'u64' }],
  programs: [
    { name: 'schedule_task_work', section: 'syscall', locals: [local('empty_work', { bytes: 16 }, 'zero'), local('key', 's32', 'zero')], body: [
      call('bpf_ktime_get_ns', [], 'now'), alu('mod', 'now', imm(ENTRIES)), st(4, addr('key'), 0, r('now')),
      call('bpf_map_lookup_elem', [map('hmap'), addr('key')], 'work'), goto('have', when('work', '!=', NULL)),
      call('bpf_map_update_elem', [map('hmap'), addr('key'), addr('empty_work'), imm(1)]),
      call('bpf_map_lookup_elem', [map('hmap'), addr('key')], 'work'), goto('have', when('work', '!=', NULL)), ret(imm(0)),
      label('have'), call('bpf_get_current_task_btf', [], 'task'),
      call('bpf_task_work_schedule_signal', [r('task'), tw('work'), map('hmap'), cb('process_work')], 'e'),
      goto('ok', when('e', '==', imm(0))), atomicAdd(8, addr('schedule_error'), imm(1)), ret(imm(0)),
      label('ok'), atomicAdd(8, addr('callback_scheduled'), imm(1)), ret(imm(0)),
    ] },
    { name: 'delete_task_work', section: 'syscall', locals: [local('key', 's32', 'zero')], body: [
      call('bpf_get_prandom_u32', [], 'rnd'), alu('mod', 'rnd', imm(ENTRIES)), st(4, addr('key'), 0, r('rnd')),
      call('bpf_map_delete_elem', [map('hmap'), addr('key')], 'e'), goto('ret0', when('e', '!=', imm(0))), atomicAdd(8, addr('delete_success'), imm(1)),
      label('ret0'), ret(imm(0)),
    ] },
  ],
  subprogs: [{ name: 'process_work', isStatic: true, params: [{ name: 'map', type: 'map' }, { name: 'key', type: 'ptr' }, { name: 'value', type: 'ptr' }],
    body: [atomicAdd(8, addr('callback_success'), imm(1)), ret(imm(0))] }],
};

/**
 * prog_tests/task_work_stress.c: threads run `schedule_task_work` with BPF_PROG_TEST_RUN in a
 * loop (and, in `with_delete`, one thread `delete_task_work`); then callback_scheduled > 0;
 * no_delete: callback_success == callback_scheduled; with_delete: delete_success > 0 and
 * callback_success <= callback_scheduled. Here 4 tasks × 6 runs (+ a deleter × 6), each task
 * sleeping a tick between runs so virtual time (and `bpf_ktime_get_ns() % 128`) moves.
 */
function stressCheck(withDelete: boolean): (v: KernelVersion) => string[] {
  return (version) => {
    const s = new Session({ version });
    s.load(STRESS_OBJ);
    const runs = (prog: string): Syscall[] => Array.from({ length: 6 }, (): Syscall[] => [{ sys: 'prog_test_run', prog }, { sys: 'sleep', ticks: 1 }]).flat();
    for (let i = 0; i < 4; i += 1) s.spawn({ comm: `worker${i}`, script: [...runs('schedule_task_work'), { sys: 'exit' }] });
    if (withDelete) s.spawn({ comm: 'deleter', script: [...runs('delete_task_work'), { sys: 'exit' }] });
    s.simulate();
    const g = (n: string): bigint => s.global(n) as bigint;
    const out: string[] = [];
    if (!(g('callback_scheduled') > 0n)) out.push('callback_scheduled is 0');
    if (!withDelete && g('callback_success') !== g('callback_scheduled')) out.push(`callback_success ${g('callback_success')} != callback_scheduled ${g('callback_scheduled')}`);
    if (withDelete && !(g('delete_success') > 0n)) out.push('delete_success is 0');
    if (withDelete && g('callback_success') > g('callback_scheduled')) out.push('callback_success > callback_scheduled');
    return out;
  };
}

export const TASK_WORK_STRESS: Selftest[] = [
  { file: 'task_work_stress.c', fn: 'schedule_task_work', source: 'kernel-patches/bpf@d316f1e0508ddf4a9b96078240fda7979553b7c5', version: '7.0', object: STRESS_OBJ,
    note: '16 threads for a second become 4 tasks × 6 test runs; subtest no_delete',
    expect: { kind: 'runtime', driver: 'prog_tests/task_work_stress.c no_delete: callback_scheduled > 0, callback_success == callback_scheduled', check: stressCheck(false) } },
  { file: 'task_work_stress.c', fn: 'delete_task_work', source: 'kernel-patches/bpf@d316f1e0508ddf4a9b96078240fda7979553b7c5', version: '7.0', object: STRESS_OBJ,
    note: 'subtest with_delete: the deleter\'s bpf_get_prandom_u32 is the chooser\'s value (0 with the default chooser: it deletes key 0)',
    expect: { kind: 'runtime', driver: 'prog_tests/task_work_stress.c with_delete: delete_success > 0, callback_success <= callback_scheduled', check: stressCheck(true) } },
];
