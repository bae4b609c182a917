/**
 * Guest-tier script cases: a task's syscalls over a data file on the guest's ext4 disk (opened with an
 * access mode, read, written, appended, truncated, synced, advised), with FILE dynptr reads made by
 * `lsm.s/mmap_file` (sleepable) and `lsm/mmap_file` (non-sleepable) programs that the task triggers by
 * mapping the file: they read the very `struct file` the task opened, so its readahead state
 * (`f_ra`, FMODE_RANDOM, O_WRONLY) is the one the reads use. After the script the driver reports each
 * step's result, the file's size and its page-cache residency (`mincore`), and the programs' globals.
 *
 * The same script runs in the model as a task: `open`, `read` (pread), `write`, `ftruncate`, `fsync`,
 * `fadvise`, `mmap` (with `set_global` of the program's pid filter around it), `sleep`, `fork` (the
 * fork cases, cases/fork.ts: the child exits at once).
 */
import { program as P, type BpfObject, type Op, type Syscall } from '../../src/index.ts';
import type { CallRecord } from './lib.ts';
import { FileCaseBuilder, FRETS, pidFilterOps, type FileCase } from './file.ts';

export type Step =
  /** `prog`: the program whose pid filter is set around the open (an `lsm/file_open` reader of the file being opened). */
  | { readonly k: 'open'; readonly fd: number; readonly mode: 'r' | 'w' | 'rw'; readonly append?: boolean; readonly prog?: string }
  | { readonly k: 'close'; readonly fd: number }
  | { readonly k: 'pread'; readonly fd: number; readonly off: number; readonly len: number }
  /** `off` null: write(2) at the file position. */
  | { readonly k: 'pwrite'; readonly fd: number; readonly off: number | null; readonly len: number; readonly fill: number }
  | { readonly k: 'trunc'; readonly fd: number; readonly len: number }
  | { readonly k: 'fsync'; readonly fd: number }
  | { readonly k: 'fadvise'; readonly fd: number; readonly off: number; readonly len: number; readonly advice: number }
  | { readonly k: 'mmap'; readonly fd: number; readonly prog: string }
  | { readonly k: 'sleep'; readonly ms: number }
  /** A child process opens the trigger file (`opens` times, default 1) and exits without closing it (its last fputs run at exit). */
  | { readonly k: 'exit'; readonly prog: string; readonly opens?: number }
  /** fork() with the pid filters of `progs` set to the task: the child exits at once and is waited for; the result is 0 or the error. */
  | { readonly k: 'fork'; readonly progs: readonly string[]; /** The child forks a grandchild that exits at once, waits for it and exits. */ readonly grand?: boolean }
  /** One nanosleep(2) syscall (1 µs) with the pid filters of `progs` set: its tracepoint's and its handler's fentry programs run. */
  | { readonly k: 'nanosleep'; readonly progs: readonly string[] };

export const ADVICE_NAMES: Readonly<Record<number, string>> = { 0: 'NORMAL', 1: 'RANDOM', 2: 'SEQUENTIAL', 3: 'WILLNEED', 4: 'DONTNEED', 5: 'NOREUSE' };

export interface ScriptCase {
  readonly id: string;
  readonly rule: string;
  readonly note: string;
  readonly object: BpfObject;
  /** The programs attached for the script (each filtered on its `<prog>_pid`). */
  readonly programs: readonly string[];
  readonly steps: readonly Step[];
  /** Each program's calls, stored in `<prog>_rets`. */
  readonly calls: Readonly<Record<string, readonly CallRecord[]>>;
  /** `int` globals compared as they are (task_work counters). */
  readonly compareGlobals?: readonly string[];
  readonly generated?: boolean;
}

export function stepText(s: Step): string {
  switch (s.k) {
    case 'open': return `o:${s.fd}:${s.mode}${s.append === true ? 'a' : ''}${s.prog === undefined ? '' : `:${s.prog}`}`;
    case 'close': return `c:${s.fd}`;
    case 'pread': return `r:${s.fd}:${s.off}:${s.len}`;
    case 'pwrite': return `w:${s.fd}:${s.off ?? -1}:${s.len}:${s.fill}`;
    case 'trunc': return `t:${s.fd}:${s.len}`;
    case 'fsync': return `s:${s.fd}`;
    case 'fadvise': return `a:${s.fd}:${s.off}:${s.len}:${s.advice}`;
    case 'mmap': return `m:${s.fd}:${s.prog}`;
    case 'sleep': return `z:${s.ms}`;
    case 'exit': return `x:${s.prog}:${s.opens ?? 1}`;
    case 'fork': return `${s.grand === true ? 'g' : 'f'}:${s.progs.join(',')}`;
    case 'nanosleep': return `n:${s.progs.join(',')}`;
  }
}

export function describeStep(s: Step): string {
  switch (s.k) {
    case 'open': return `open(data, ${s.mode === 'r' ? 'O_RDONLY' : s.mode === 'w' ? 'O_WRONLY' : 'O_RDWR'}${s.append === true ? '|O_APPEND' : ''}) as f${s.fd}${s.prog === undefined ? '' : ` → ${s.prog}`}`;
    case 'close': return `close(f${s.fd})`;
    case 'pread': return `pread(f${s.fd}, ${s.len}, ${s.off})`;
    case 'pwrite': return s.off === null ? `write(f${s.fd}, ${s.len})` : `pwrite(f${s.fd}, ${s.len}, ${s.off})`;
    case 'trunc': return `ftruncate(f${s.fd}, ${s.len})`;
    case 'fsync': return `fsync(f${s.fd})`;
    case 'fadvise': return `posix_fadvise(f${s.fd}, ${s.off}, ${s.len}, ${ADVICE_NAMES[s.advice] ?? s.advice})`;
    case 'mmap': return `mmap(f${s.fd}) → ${s.prog}`;
    case 'sleep': return `sleep ${s.ms} ms`;
    case 'exit': return `child: open(trigger)${(s.opens ?? 1) > 1 ? ` ×${s.opens}` : ''}, exit → ${s.prog}`;
    case 'fork': return `fork() → ${s.progs.join(', ')}; the child ${s.grand === true ? 'forks a grandchild that exits, waits for it and exits' : 'exits'}`;
    case 'nanosleep': return `nanosleep(1 µs) → ${s.progs.join(', ')}`;
  }
}

/** The manifest line of a script case. */
export function scriptLine(c: ScriptCase): string {
  return `SCASE ${c.id} ${c.programs.length > 0 ? c.programs.join(',') : '-'} ${c.steps.map(stepText).join(';')}`;
}

/** Ticks of virtual time a driver sleep of `ms` milliseconds stands for (far more than an I/O). */
export const TICKS_PER_MS = 100;

/**
 * The model's task script for the steps, and for each step the index of its result in the task's
 * results (null: no syscall of its own). `exit` steps are a separate task (see `childScript`).
 */
export function modelScript(steps: readonly Step[], data: string): { script: Syscall[]; resultOf: (number | null)[] } {
  const script: Syscall[] = [];
  const resultOf: (number | null)[] = [];
  for (const s of steps) {
    switch (s.k) {
      case 'open':
        if (s.prog !== undefined) script.push({ sys: 'set_global', global: `${s.prog}_pid`, value: 'pid' });
        resultOf.push(script.length);
        script.push({ sys: 'open', path: data, fd: `f${s.fd}`, flags: `${s.mode === 'r' ? 'O_RDONLY' : s.mode === 'w' ? 'O_WRONLY' : 'O_RDWR'}${s.append === true ? '|O_APPEND' : ''}` });
        if (s.prog !== undefined) script.push({ sys: 'set_global', global: `${s.prog}_pid`, value: 0 });
        break;
      case 'close': resultOf.push(script.length); script.push({ sys: 'close', fd: `f${s.fd}` }); break;
      case 'pread': resultOf.push(script.length); script.push({ sys: 'read', fd: `f${s.fd}`, offset: s.off, len: s.len }); break;
      case 'pwrite':
        resultOf.push(script.length);
        script.push({ sys: 'write', fd: `f${s.fd}`, ...(s.off === null ? {} : { offset: s.off }), len: s.len, fill: s.fill });
        break;
      case 'trunc': resultOf.push(script.length); script.push({ sys: 'ftruncate', fd: `f${s.fd}`, length: s.len }); break;
      case 'fsync': resultOf.push(script.length); script.push({ sys: 'fsync', fd: `f${s.fd}` }); break;
      case 'fadvise': resultOf.push(script.length); script.push({ sys: 'fadvise', fd: `f${s.fd}`, offset: s.off, len: s.len, advice: s.advice }); break;
      case 'mmap':
        script.push({ sys: 'set_global', global: `${s.prog}_pid`, value: 'pid' });
        resultOf.push(script.length);
        script.push({ sys: 'mmap', fd: `f${s.fd}` }, { sys: 'set_global', global: `${s.prog}_pid`, value: 0 });
        break;
      case 'sleep': resultOf.push(script.length); script.push({ sys: 'sleep', ticks: s.ms * TICKS_PER_MS }); break;
      case 'exit': resultOf.push(null); break;
      case 'fork': case 'nanosleep':
        // The programs' pid filters set around the syscalls (the driver's f: and n: steps).
        for (const p of s.progs) script.push({ sys: 'set_global', global: `${p}_pid`, value: 'pid' });
        resultOf.push(script.length);
        if (s.k === 'fork') {
          const child: Syscall[] = s.grand === true ? [{ sys: 'fork', script: [{ sys: 'exit' }] }, { sys: 'wait' }, { sys: 'exit' }] : [{ sys: 'exit' }];
          script.push({ sys: 'fork', script: child }, { sys: 'wait' });
        }
        else script.push({ sys: 'sleep', ticks: 1 });
        for (const p of s.progs) script.push({ sys: 'set_global', global: `${p}_pid`, value: 0 });
        break;
    }
  }
  return { script: [...script, { sys: 'exit' }], resultOf };
}

/** The child of an `exit` step: it sets its own pid filter, opens the trigger `opens` times and exits without closing it. */
export function childScript(prog: string, trigger: string, opens = 1): Syscall[] {
  const open: Syscall[] = Array.from({ length: opens }, (_, i) => ({ sys: 'open', path: trigger, fd: `t${i}` }));
  return [{ sys: 'set_global', global: `${prog}_pid`, value: 'pid' }, ...open, { sys: 'exit' }];
}

/** A script case from reader programs built with `FileCaseBuilder` (contexts `mmap` / `mmap.s`). */
export function scriptCase(id: string, rule: string, note: string, readers: readonly FileCaseBuilder[], steps: readonly Step[], extra: { generated?: boolean } = {}): ScriptCase {
  const built: FileCase[] = readers.map((b) => b.build(rule, note, 'cold'));
  const object: BpfObject = {
    name: id, maps: built.flatMap((c) => c.object.maps), globals: built.flatMap((c) => c.object.globals),
    programs: built.flatMap((c) => c.object.programs), subprogs: built.flatMap((c) => c.object.subprogs),
  };
  const calls: Record<string, readonly CallRecord[]> = {};
  for (const c of built) calls[c.id] = c.calls;
  return { id, rule, note, object, programs: built.map((c) => c.id), steps, calls, ...extra };
}

/**
 * HASH / LRU_HASH task_work cases (exe-style: `lsm/file_open`, the trigger's open): the hook inserts key
 * 0, looks it up and schedules `bpf_task_work_schedule_signal` on it; `then` says what the hook does
 * next (`update`: update key 0 again, which replaces the element and cancels the work; `delete`:
 * delete it, which cancels too). The callback counts its runs in `<id>_cnt`; on its first run, with
 * `resched`, it deletes its own element and schedules again through its `value` pointer (the kernel
 * gives 0 and a second run); with `reuse` it then inserts key 1, which takes the freed memory and
 * so its pending context, and schedules on key 1 (-EBUSY: that context is PENDING).
 */
export function taskWorkMapCase(id: string, type: 'hash' | 'lru_hash', opts: { noPrealloc?: boolean; then?: 'update' | 'delete'; resched?: boolean; reuse?: boolean }, note: string): FileCase {
  const map = `${id}_map`;
  const rets = `${id}_rets`;
  const cb = `${id}_cb`;
  const calls: CallRecord[] = [];
  let n = 0;
  const rec = (fn: string, args: readonly P.Arg[], text: string): Op[] => {
    const i = n;
    n += 1;
    calls.push({ index: i, fn, text });
    return [P.call(fn, args, `v${i}`), P.storeAt(rets, i, P.r(`v${i}`))];
  };
  const hook: Op[] = [
    ...pidFilterOps(`${id}_pid`),
    ...rec('bpf_map_update_elem', [P.map(map), P.imm(0), P.buf(`${id}_val`), P.imm(0)], 'bpf_map_update_elem(&map, &0, val, BPF_ANY)'),
    P.call('bpf_map_lookup_elem', [P.map(map), P.imm(0)], 'r6'),
    P.goto('out', P.when('r6', '==', P.NULL)),
    P.call('bpf_get_current_task_btf', [], 'r7'),
    ...rec('bpf_task_work_schedule_signal', [P.r('r7'), P.tw('r6'), P.map(map), P.cb(cb)], 'bpf_task_work_schedule_signal(current, &v->tw, &map, cb)'),
    ...(opts.then === 'update' ? rec('bpf_map_update_elem', [P.map(map), P.imm(0), P.buf(`${id}_val`), P.imm(0)], 'bpf_map_update_elem(&map, &0, val, BPF_ANY) (replaces: cancels)') : []),
    ...(opts.then === 'delete' ? rec('bpf_map_delete_elem', [P.map(map), P.imm(0)], 'bpf_map_delete_elem(&map, &0) (cancels)') : []),
    P.label('out'), P.ret(P.imm(0)),
  ];
  n = 16;
  const body: Op[] = [
    P.mov('r8', P.r('r3')),
    P.mov('r1', P.glob(`${id}_cnt`)), P.alu('add', 'r1', P.imm(1)), P.store(`${id}_cnt`, P.r('r1')),
    P.goto('done', P.when('r1', '!=', P.imm(1))),
    ...(opts.resched === true ? [
      ...rec('bpf_map_delete_elem', [P.map(map), P.imm(0)], 'cb: bpf_map_delete_elem(&map, &0) (its own element)'),
      P.call('bpf_get_current_task_btf', [], 'r7'),
      ...rec('bpf_task_work_schedule_signal', [P.r('r7'), P.tw('r8'), P.map(map), P.cb(cb)], 'cb: bpf_task_work_schedule_signal(current, &value->tw, &map, cb) (deleted element)'),
      ...(opts.reuse === true ? [
        ...rec('bpf_map_update_elem', [P.map(map), P.imm(1), P.buf(`${id}_val`), P.imm(0)], 'cb: bpf_map_update_elem(&map, &1, val, BPF_ANY) (takes the freed memory)'),
        P.call('bpf_map_lookup_elem', [P.map(map), P.imm(1)], 'r9'),
        P.goto('done', P.when('r9', '==', P.NULL)),
        ...rec('bpf_task_work_schedule_signal', [P.r('r7'), P.tw('r9'), P.map(map), P.cb(cb)], 'cb: bpf_task_work_schedule_signal(current, &v1->tw, &map, cb) (inherited context)'),
      ] : []),
    ] : []),
    P.label('done'), P.ret(P.imm(0)),
  ];
  const object: BpfObject = {
    name: id,
    maps: [{ name: map, type, maxEntries: 4, valueSize: 8, taskWorkFields: 1, ...(opts.noPrealloc === true ? { noPrealloc: true } : {}) }],
    globals: [
      // The value bpf_map_update_elem copies is the whole value_size: 8 bytes of data and the 8 of the
      // bpf_task_work field (its bytes are skipped by copy_map_value, but the helper reads them all).
      { name: rets, kind: 'u64s', size: FRETS }, { name: `${id}_cnt`, kind: 'int' }, { name: `${id}_val`, kind: 'bytes', size: 16 },
      { name: `${id}_pid`, kind: 'int' },
    ],
    programs: [{ name: id, section: 'lsm/file_open', body: hook }],
    subprogs: [{ name: cb, isStatic: true, body }],
  };
  const kind = `${type}${opts.noPrealloc === true ? ' (BPF_F_NO_PREALLOC)' : ''}`;
  return { id, rule: `task_work: ${kind} element reuse and cancellation`, note, object, calls, state: 'warm', compareGlobals: [`${id}_cnt`] };
}

/**
 * A task that exits with task_work pending: an `lsm/file_release` program (run by `__fput` of the
 * trigger file, which the exiting child never closed, inside its `exit_task_work`) schedules a
 * signal-mode task_work on the exiting task; the callback runs in that same `task_work_run`, after
 * `exit_mm`: `bpf_get_task_exe_file(current)` is NULL (`<id>_noexe` = 1). `<id>_cnt` counts runs.
 */
export function exitPendingCase(id: string, opens = 1): ScriptCase {
  const map = `${id}_map`;
  const g = (n: string): string => `${id}_${n}`;
  // Each run of the hook by the child is numbered (`calls`); the first three record what the schedule
  // returned (`ret1`..`ret3`): the child's last fput of each file it alone holds runs the hook.
  const hook: Op[] = [
    ...pidFilterOps(g('pid')),
    P.mov('r8', P.glob(g('calls'))), P.alu('add', 'r8', P.imm(1)), P.store(g('calls'), P.r('r8')),
    P.call('bpf_map_lookup_elem', [P.map(map), P.imm(0)], 'r6'),
    P.goto('out', P.when('r6', '==', P.NULL)),
    P.call('bpf_get_current_task_btf', [], 'r7'),
    P.call('bpf_task_work_schedule_signal', [P.r('r7'), P.tw('r6'), P.map(map), P.cb(`${id}_cb`)], 'v0'),
    P.goto('c2', P.when('r8', '!=', P.imm(1))), P.store(g('ret1'), P.r('v0')), P.goto('out'),
    P.label('c2'), P.goto('c3', P.when('r8', '!=', P.imm(2))), P.store(g('ret2'), P.r('v0')), P.goto('out'),
    P.label('c3'), P.goto('out', P.when('r8', '!=', P.imm(3))), P.store(g('ret3'), P.r('v0')),
    P.label('out'), P.ret(P.imm(0)),
  ];
  const cb: Op[] = [
    P.mov('r1', P.glob(g('cnt'))), P.alu('add', 'r1', P.imm(1)), P.store(g('cnt'), P.r('r1')),
    P.mov('r1', P.glob(g('calls'))), P.store(g('callsAtCb'), P.r('r1')),
    P.call('bpf_get_current_task_btf', [], 'r6'),
    P.call('bpf_get_task_exe_file', [P.r('r6')], 'r7'),
    P.goto('noexe', P.when('r7', '==', P.NULL)),
    P.call('bpf_put_file', [P.r('r7')]),
    P.ret(P.imm(0)),
    P.label('noexe'), P.store(g('noexe'), P.imm(1)), P.ret(P.imm(0)),
  ];
  const ints = ['cnt', 'noexe', 'pid', 'calls', 'ret1', 'ret2', 'ret3', 'callsAtCb'];
  const object: BpfObject = {
    name: id,
    maps: [{ name: map, type: 'array', maxEntries: 1, valueSize: 8, taskWorkFields: 1 }],
    globals: ints.map((n) => ({ name: g(n), kind: 'int' as const })),
    programs: [{ name: id, section: 'lsm/file_release', body: hook }],
    subprogs: [{ name: `${id}_cb`, isStatic: true, body: cb }],
  };
  return {
    id, rule: 'task_work: a task exits with work pending', object, programs: [id], steps: [{ k: 'exit', prog: id, opens }],
    note: opens === 1
      ? 'a child opens the trigger and exits; __fput of the trigger in exit_task_work runs lsm/file_release, which schedules task_work on the exiting task: the callback runs in the same task_work_run, after exit_mm (exe NULL)'
      : `a child opens the trigger ${opens} times and exits: the first __fput schedules, the others find the context busy (-EBUSY); the callback runs once, after all of them (the next pass of task_work_run)`,
    calls: {},
    compareGlobals: ints.filter((n) => n !== 'pid').map(g),
  };
}
