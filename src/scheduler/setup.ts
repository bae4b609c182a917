/**
 * Setting a scenario up: loading a BPF object (maps, globals, programs attached to their hooks) and
 * spawning tasks with an executable and a script of syscalls.
 */
import { ArgumentError, UnknownHandleError } from '../model/kernel/errors.ts';
import { inodeByPath, openFile } from '../model/fs/files.ts';
import { closeUnusedMap, createMap } from '../model/maps/maps.ts';
import type { BpfObject } from '../model/program/program.ts';
import { initialBytes } from '../model/program/globals.ts';
import { runsNewestFirst, sectionInfo } from '../model/program/sections.ts';
import type { ObjId } from '../model/program/loaded.ts';
import type { Pid, Syscall } from '../model/task/types.ts';
import { checkKern, emit, type Kern } from '../model/world/world.ts';
import type { z } from 'zod';
import { checkBoolean, checkData, checkOptions } from '../model/kernel/args.ts';
import type { DeepReadonly } from '../model/kernel/schema.ts';
import { checkObject } from '../model/program/names.ts';
import { NewTaskSchema } from '../model/task/syscall_schema.ts';
import { charge } from '../model/world/budget.ts';
import { TaskRecord } from '../model/task/record.ts';
import { ownTask } from '../model/task/task.ts';
import { EACCES } from '../model/kernel/errno.ts';
import type { AnyKfunc } from '../model/kfunc/kfunc.ts';
import { verifyProgram, type Verdict } from '../model/verifier/verify.ts';
import { ALL_KFUNCS } from '../task_work/kfuncs.ts';

/**
 * `bpf_object__load` + attach: verify every program (a rejection fails the load with -EACCES, as
 * `BPF_PROG_LOAD` does, and the verifier's message is in the trace), create the maps (a refused map fails the load with its errno), the
 * globals, and the programs; programs with a hook are attached to it, in the object's order (a hook's
 * list is in the order its programs run: `runsNewestFirst`). The loader keeps one user reference on
 * each map and one reference on each program.
 */
export function loadObject(k: Kern, obj: BpfObject, opts: LoadOptions = {}): { ret: number; obj: ObjId | null; rejected: Verdict | null } {
  checkKern('k', k);
  checkOptions('opts', opts, ['unverified', 'autoload', 'attach']);
  if (opts.unverified !== undefined) checkBoolean('opts.unverified', opts.unverified);
  for (const key of ['autoload', 'attach'] as const) {
    const v = opts[key];
    if (v !== undefined && (!Array.isArray(v) || v.some((n) => typeof n !== 'string'))) throw new ArgumentError(`opts.${key}`, v, 'an array of program names');
  }
  // A program value may come from anywhere: it is checked (and copied) as the format says.
  const def: BpfObject = checkObject('obj', obj);
  // bpf_object__load loads the programs whose autoload is on: every one but a `?` section's, unless
  // the loader turned it on (bpf_program__set_autoload).
  const loaded = def.programs.filter((p) => !p.section.startsWith('?') || (opts.autoload ?? []).includes(p.name));
  if (opts.unverified !== true) {
    const opt = { features: k.features, kfuncs: ALL_KFUNCS as unknown as Readonly<Record<string, AnyKfunc>> };
    const rejected = loaded.map((p) => verifyProgram(def, p, opt)).find((v) => !v.ok);
    if (rejected !== undefined) {
      emit(k, { kind: 'verifier', t: k.t.now, program: rejected.program, ok: false, message: rejected.message ?? '' });
      return { ret: rejected.errno ?? -EACCES, obj: null, rejected };
    }
  }
  const maps = new Map<string, number>();
  for (const decl of def.maps) {
    const id = createMap(k, decl);
    emit(k, { kind: 'map', t: k.t.now, op: 'create', map: decl.name, key: -1, ret: id < 0 ? id : 0 });
    if (id < 0) {
      // libbpf fails the load and closes the maps it made for the object: they are freed.
      for (const made of maps.values()) closeUnusedMap(k, made);
      return { ret: id, obj: null, rejected: null };
    }
    maps.set(decl.name, id);
  }
  const globals = new Map<string, Uint8Array>();
  for (const g of def.globals) if (g.kind === 'bytes' || g.kind === 'u64s') charge(k, g.kind === 'u64s' ? g.size * 8 : g.size, `global ${g.name} of ${def.name}`);
  for (const g of def.globals) globals.set(g.name, initialBytes(g));
  const id = k.t.nextId('obj');
  const progs = new Map<string, number>();
  k.t.addObject({ id, def, globals, maps, progs });
  for (const p of loaded) {
    const info = sectionInfo(p.section);
    if (info === null) throw new ArgumentError('section', p.section, 'a section kernsim knows (lsm/, lsm.s/, syscall, perf_event, fentry/, …)');
    const pid = k.t.nextId('prog');
    k.s.progs.set(pid, { id: pid, obj: id, name: p.name, section: p.section, type: info.type, sleepable: info.sleepable, refs: 1 });
    progs.set(p.name, pid);
    if (info.hook !== null && (opts.attach === undefined || opts.attach.includes(p.name))) {
      const list = k.s.hooks.get(info.hook) ?? [];
      // The hook's list is in the order its programs run.
      if (runsNewestFirst(info.hook)) list.unshift(pid);
      else list.push(pid);
      k.s.hooks.set(info.hook, list);
    }
  }
  return { ret: 0, obj: id, rejected: null };
}

export interface LoadOptions {
  /**
   * Load without verifying, to watch at run time what the verifier would have prevented (a leak, a
   * use after free). The kernel has no such mode; the model has it for exactly that demonstration.
   */
  readonly unverified?: boolean;
  /** Programs of `?` sections to load too (`bpf_program__set_autoload(prog, true)`). */
  readonly autoload?: readonly string[];
  /**
   * The programs to attach to their hooks (`bpf_program__attach`); default: every loaded program
   * that has one (a skeleton's `__attach`).
   */
  readonly attach?: readonly string[];
}

/** A task to spawn (the schema is `NewTaskSchema`, src/model/task/syscall_schema.ts). */
export type NewTask = DeepReadonly<z.output<typeof NewTaskSchema>>;

/** `fork` + `exec`: a runnable task in user mode, about to make the first syscall of its script. */
export function spawnTask(k: Kern, task: NewTask): Pid {
  checkKern('k', k);
  const spec = checkData('task', NewTaskSchema, task);
  const pid = k.t.nextId('pid');
  let mm: { exe_file: number } | null = null;
  if (spec.exe !== undefined) {
    inodeByPath(k, spec.exe, 'exe');
    // do_open_execat: O_RDONLY | __FMODE_EXEC, opened completely before the task runs.
    mm = { exe_file: openFile(k, spec.exe) };
  }
  k.t.addTask(new TaskRecord({ pid, comm: spec.comm, mm, script: spec.script }));
  emit(k, { kind: 'task', t: k.t.now, pid, op: 'spawn', detail: `${spec.comm}${spec.exe === undefined ? ' (kernel thread)' : `, exe ${spec.exe}`}` });
  return pid;
}

/** `release_task`: the parent reaps a dead task; `bpf_task_acquire` on it now fails. */
export function reapTask(k: Kern, pid: Pid): void {
  checkKern('k', k);
  const t = k.t.tasks.get(pid);
  if (t === undefined) throw new UnknownHandleError('pid', pid, 'task');
  if (t.state !== 'dead') throw new ArgumentError('pid', pid, 'a task that has exited');
  ownTask(k, pid).reaped = true;
  emit(k, { kind: 'task', t: k.t.now, pid, op: 'reap', detail: '' });
}
