/**
 * The seed example (tools/testing/selftests/bpf/progs/file_reader.c). A user task reads its own
 * executable, then opens a file. The non-sleepable `lsm/file_open` program, filtered on the task's
 * pid, schedules signal-mode task_work on `arrmap[0]`; on the way back to user mode the task runs the
 * sleepable callback, which takes the task's exe file, makes a FILE dynptr and checks its reads against
 * the bytes user space read (`validate_file_read`), discards the dynptr and puts the file:
 * `run_success` = 1, `err` = 0.
 *
 * The sibling shows why the task_work is needed: the same reads made directly in the non-sleepable
 * hook, over a cold page cache, fail with -EFAULT. Run both with `npm start`.
 */
import seedrandom from 'seedrandom';
import { content, errnoName, formatTrace, pageMap, program as P, Session, type BpfObject, type KernelVersion, type Op, type Syscall } from '../src/index.ts';

const { r, imm, NULL, dynptr, buf, glob, map, tw, cb, call, mov, alu, store, label, goto, ret, when, memcmp } = P;

export const EXE = '/usr/bin/file_reader_test';
export const TRIGGER = '/tmp/trigger';
export const FILE_SIZE = 256000;
const E2BIG = -7;

/** The executable's bytes, from a seed (what user space reads back with pread). */
export function exeBytes(seed: string, size = FILE_SIZE): Uint8Array {
  const rng = seedrandom(seed);
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 1) bytes[i] = Math.floor(rng() * 256);
  return bytes;
}

/** Read `len` bytes at `off` of dynptr `d` into `buf` and compare them with `user_buf[userOff…]`. */
function readAndCompare(tag: string, off: number, len: number, userOff: number): Op[] {
  return [
    call('bpf_dynptr_read', [buf('buf'), imm(len), dynptr('d'), imm(off), imm(0)], 'r0'),
    goto('fail_ret', when('r0', '!=', imm(0))),
    memcmp('r1', buf('buf'), imm(0), buf('user_buf'), imm(userOff), imm(len)),
    goto('fail_bytes', when('r1', '!=', imm(0))),
    label(`ok_${tag}`),
  ];
}

/** A read that must fail with -E2BIG (it is past the adjusted size). */
function readMustFail(len: number, off: number): Op[] {
  return [
    call('bpf_dynptr_read', [buf('buf'), imm(len), dynptr('d'), imm(off), imm(0)], 'r0'),
    goto('fail_succeeded', when('r0', '==', imm(0))),
    goto('fail_ret', when('r0', '!=', imm(E2BIG))),
  ];
}

/**
 * `validate_file_read` on the exe file of the current task, then the cleanup path. `err` gets the
 * first unexpected return value; 1 for bytes that differ, 2 for a read that should have failed.
 */
function validateFileRead(size: number): Op[] {
  return [
    call('bpf_get_current_task_btf', [], 'r6'),
    call('bpf_get_task_exe_file', [r('r6')], 'r7'),
    goto('no_file', when('r7', '==', NULL)),
    call('bpf_dynptr_from_file', [r('r7'), imm(0), dynptr('d')], 'r0'),
    goto('fail_ret', when('r0', '!=', imm(0))),
    ...readAndCompare('all', 0, size, 0),
    ...readAndCompare('1', 1, 1, 1),
    ...readAndCompare('last', size - 1, 1, size - 1),
    ...readAndCompare('4097', 4097, 100, 4097),
    call('bpf_dynptr_adjust', [dynptr('d'), imm(4097), imm(4098)], 'r0'),
    goto('fail_ret', when('r0', '!=', imm(0))),
    ...readAndCompare('adjusted', 0, 1, 4097),
    ...readMustFail(2, 0),
    ...readMustFail(1, 1),
    store('run_success', imm(1)),
    goto('cleanup'),
    label('fail_ret'),
    store('err', r('r0')),
    goto('cleanup'),
    label('fail_bytes'),
    store('err', imm(1)),
    goto('cleanup'),
    label('fail_succeeded'),
    store('err', imm(2)),
    label('cleanup'),
    call('bpf_dynptr_file_discard', [dynptr('d')]),
    call('bpf_put_file', [r('r7')]),
    ret(imm(0)),
    label('no_file'),
    store('err', imm(3)),
    ret(imm(0)),
  ];
}

/** `if ((bpf_get_current_pid_tgid() >> 32) != user_pid) return 0;` */
const pidFilter: Op[] = [
  call('bpf_get_current_pid_tgid', [], 'r1'),
  alu('rsh', 'r1', imm(32)),
  mov('r2', glob('user_pid')),
  goto('out', when('r1', '!=', r('r2'))),
];

/** `arrmap`: one ARRAY element `struct elem { char data[8]; struct bpf_task_work tw; }`. */
const ARRMAP = { name: 'arrmap', type: 'array', maxEntries: 1, valueSize: 8, taskWorkFields: 1 } as const;

const globals = [
  { name: 'err', kind: 'int' },
  { name: 'run_success', kind: 'int' },
  { name: 'user_pid', kind: 'int' },
  { name: 'user_buf', kind: 'bytes', size: FILE_SIZE },
  { name: 'buf', kind: 'bytes', size: FILE_SIZE },
] as const;

/** The name of the signal-mode schedule kfunc on `version`. */
export function scheduleSignal(version: KernelVersion): { fn: string; extra: P.Arg[] } {
  return version === '6.18' || version === '6.19'
    ? { fn: 'bpf_task_work_schedule_signal_impl', extra: [NULL] }
    : { fn: 'bpf_task_work_schedule_signal', extra: [] };
}

/** `on_open_validate_file_read`: the hook schedules the task_work; the callback validates. */
export function fileReaderObject(version: KernelVersion = '6.19', size: number = FILE_SIZE): BpfObject {
  const s = scheduleSignal(version);
  return {
    name: 'file_reader',
    maps: [ARRMAP],
    globals,
    programs: [{
      name: 'on_open_validate_file_read',
      section: 'lsm/file_open',
      body: [
        ...pidFilter,
        call('bpf_map_lookup_elem', [map('arrmap'), imm(0)], 'r6'),
        goto('out', when('r6', '==', NULL)),
        call('bpf_get_current_task_btf', [], 'r7'),
        call(s.fn, [r('r7'), tw('r6'), map('arrmap'), cb('task_work_callback'), ...s.extra], 'r0'),
        label('out'),
        ret(imm(0)),
      ],
    }],
    subprogs: [{ name: 'task_work_callback', isStatic: true, body: validateFileRead(size) }],
  };
}

/** The same checks made directly in a hook of `section` (`lsm/file_open`: `on_open_expect_fault`). */
export function directReaderObject(section: 'lsm/file_open' | 'lsm.s/file_open', size: number = FILE_SIZE): BpfObject {
  const body = validateFileRead(size);
  return {
    name: 'file_reader_direct',
    maps: [ARRMAP],
    globals,
    programs: [{ name: 'on_open_expect_fault', section, body: [...pidFilter, ...body, label('out'), ret(imm(0))] }],
    subprogs: [],
  };
}

/** What the user task does: read its exe (warming the cache), optionally evict it, then open a file. */
export function userScript(cache: 'warm' | 'cold'): Syscall[] {
  return [
    { sys: 'open', path: EXE, fd: 'exe' },
    { sys: 'read', fd: 'exe', offset: 0, len: FILE_SIZE, into: 'user_buf' },
    ...(cache === 'cold' ? [{ sys: 'fadvise_dontneed', fd: 'exe' } as const] : []),
    { sys: 'close', fd: 'exe' },
    { sys: 'set_global', global: 'user_pid', value: 'pid' },
    { sys: 'open', path: TRIGGER, fd: 'f' },
    { sys: 'close', fd: 'f' },
    { sys: 'map_close', map: 'arrmap' },
    { sys: 'exit' },
  ];
}

export interface ScenarioOptions {
  readonly object: BpfObject;
  readonly cache: 'warm' | 'cold';
  readonly version?: KernelVersion;
  readonly seed?: string;
}

/** A world with the exe and trigger files, the object loaded, and the user task spawned (not yet run). */
export function scenario(opts: ScenarioOptions): Session {
  const s = new Session({ version: opts.version ?? '6.19' });
  s.createFile({ path: EXE, content: content.bytes(exeBytes(opts.seed ?? 'file_reader')) });
  s.createFile({ path: TRIGGER, content: content.zero(), size: 16 });
  s.load(opts.object);
  s.spawn({ comm: 'test_progs', exe: EXE, script: userScript(opts.cache) });
  return s;
}

function show(title: string, s: Session): void {
  console.log(`== ${title} ==`);
  console.log(formatTrace(s.world.trace));
  const pages = Object.entries(pageMap(s.world, EXE)).map(([st, rr]) => `${st} ${rr}`).join('; ');
  console.log(`exe page cache at the end: ${pages || 'empty'}`);
  console.log(`run_success=${String(s.global('run_success'))} err=${errnoName(Number(s.global('err')))}\n`);
}

function main(): void {
  show('on_open_expect_fault: the checks made directly in the non-sleepable hook, over a cold cache',
    scenario({ object: directReaderObject('lsm/file_open'), cache: 'cold' }).simulate());
  show('seed over a cold cache: the hook schedules task_work; the sleepable callback waits for I/O',
    scenario({ object: fileReaderObject(), cache: 'cold' }).simulate());
  show('seed: lsm/file_open schedules task_work; the sleepable callback validates the reads',
    scenario({ object: fileReaderObject(), cache: 'warm' }).simulate());
}

if (import.meta.url === `file://${process.argv[1]}`) main();
