/**
 * Setting a scenario up: loading a BPF object (maps, globals, programs attached to their hooks) and
 * spawning tasks with an executable and a script of syscalls.
 */
import { ArgumentError, UnknownHandleError } from '../model/kernel/errors.ts';
import { inodeByPath, openFile } from '../model/fs/files.ts';
import { closeUnusedMap, createMap } from '../model/maps/maps.ts';
import type { BpfObject, MapDecl } from '../model/program/program.ts';
import { asLoaded, btfRefusalText, parsedFields, withoutBtf } from '../model/btf/object.ts';
import { initialBytes } from '../model/program/globals.ts';
import { runsNewestFirst, sectionInfo } from '../model/program/sections.ts';
import type { ObjId } from '../model/program/loaded.ts';
import type { Pid } from '../model/task/types.ts';
import { checkKern, emit, emitTask, type Kern } from '../model/world/world.ts';
import type { z } from 'zod';
import { checkBoolean, checkData, checkOptions } from '../model/kernel/args.ts';
import type { DeepReadonly } from '../model/kernel/schema.ts';
import { checkObject } from '../model/program/names.ts';
import { checkWeak } from '../model/program/ksym.ts';
import { NewTaskSchema } from '../model/task/syscall_schema.ts';
import { charge } from '../model/world/budget.ts';
import { TaskRecord } from '../model/task/record.ts';
import { ownTask } from '../model/task/task.ts';
import { EACCES, strerror } from '../model/kernel/errno.ts';
import type { AnyKfunc } from '../model/kfunc/kfunc.ts';
import { externVerdict, verifyLoaded, type Verdict } from '../model/verifier/verify.ts';
import { ALL_KFUNCS } from '../task_work/kfuncs.ts';

/**
 * `bpf_object__load` + attach, in libbpf's order (libbpf 1.1's `bpf_object__load`, the loader of the
 * conformance tiers): the object's externs (an unresolved kfunc fails the load with -EINVAL before
 * anything is made), then every map (a refused map fails the load with its errno, and the maps made
 * before it are closed), then each program in order, libbpf's own checks and the kernel's verifier (a
 * refusal fails the load with the check's errno, the verifier's message is in the trace, and the maps
 * are closed); then the globals and the programs, attached to their hooks in the object's order (a
 * hook's list is in the order its programs run: `runsNewestFirst`). The loader keeps one user
 * reference on each map and one reference on each program.
 */
export function loadObject(k: Kern, obj: BpfObject, opts: LoadOptions = {}): LoadResult {
  checkKern('k', k);
  checkOptions('opts', opts, ['unverified', 'autoload', 'noAutoload', 'attach']);
  if (opts.unverified !== undefined) checkBoolean('opts.unverified', opts.unverified);
  for (const key of ['autoload', 'noAutoload', 'attach'] as const) {
    const v = opts[key];
    if (v !== undefined && (!Array.isArray(v) || v.some((n) => typeof n !== 'string'))) throw new ArgumentError(`opts.${key}`, v, 'an array of program names');
  }
  // A program value may come from anywhere: it is checked (and copied) as the format says.
  const def: BpfObject = checkObject('obj', obj);
  checkWeak(def, ALL_KFUNCS);
  for (const key of ['autoload', 'noAutoload', 'attach'] as const) {
    for (const n of opts[key] ?? []) if (!def.programs.some((p) => p.name === n)) throw new ArgumentError(`opts.${key}`, n, `the name of a program of ${def.name}`);
  }
  // bpf_object__load loads the programs whose autoload is on: every one but a `?` section's, unless
  // the loader turned it on, and but those the loader turned off (bpf_program__set_autoload).
  const loaded = def.programs.filter((p) => (!p.section.startsWith('?') || (opts.autoload ?? []).includes(p.name)) && !(opts.noAutoload ?? []).includes(p.name));
  const verified = opts.unverified !== true;
  const opt = { features: k.features, kfuncs: ALL_KFUNCS as unknown as Readonly<Record<string, AnyKfunc>> };
  const refuse = (v: Verdict): LoadResult => {
    emit(k, { kind: 'verifier', t: k.t.now, program: v.program, ok: false, message: v.message ?? '' });
    return { ret: v.errno ?? -EACCES, obj: null, rejected: v, map: null };
  };
  // bpf_object__resolve_externs, for the whole object (the verdict names the first program to load).
  const first = loaded[0] ?? def.programs[0];
  if (verified && first !== undefined) {
    const v = externVerdict(def, first, opt);
    if (v !== null) return refuse(v);
  }
  // bpf_object__sanitize_and_load_btf: the kernel may refuse the object's BTF (btf/object.ts); libbpf
  // then goes on without it: every map is made without BTF and the programs without func_info.
  const view = asLoaded(def);
  if (view.refusal !== null) emit(k, { kind: 'btf', t: k.t.now, object: def.name, ret: view.refusal.errno, detail: btfRefusalText(view.refusal) });
  // bpf_object__create_maps; on an error libbpf closes the maps it made for the object: they are freed.
  const maps = new Map<string, number>();
  const closeMaps = (): void => {
    for (const made of maps.values()) closeUnusedMap(k, made);
  };
  // libbpf 1.1's bpf_object__create_map: a map declared with BTF for its key and value (`mapHasBtf`)
  // that the kernel refuses is created a second time without BTF ("Retrying without BTF."): its
  // special fields are then plain bytes of the value, and the programs are verified against the map
  // as made.
  const decls: MapDecl[] = [];
  const mapsWithout = new Set(view.btf.mapsWithout);
  for (const decl of view.obj.maps) {
    const withBtf = !mapsWithout.has(decl.name);
    // The fields as BPF_MAP_CREATE parses them (createMap does the same).
    let made = withBtf ? parsedFields(decl) : decl;
    let id = createMap(k, decl, withBtf);
    emit(k, { kind: 'map', t: k.t.now, op: 'create', map: decl.name, key: -1, ret: id < 0 ? id : 0 });
    if (id < 0 && withBtf) {
      made = withoutBtf(decl);
      id = createMap(k, made, false);
      mapsWithout.add(decl.name);
      emit(k, { kind: 'map', t: k.t.now, op: 'create_no_btf', map: decl.name, key: -1, ret: id < 0 ? id : 0 });
    }
    if (id < 0) {
      closeMaps();
      return { ret: id, obj: null, rejected: null, map: decl.name };
    }
    maps.set(decl.name, id);
    decls.push(made);
  }
  // The object as the kernel has it: its maps as made.
  const kernelView: BpfObject = decls.every((d, i) => d === def.maps[i]) ? def : { ...def, maps: decls };
  const btf = { funcInfo: view.btf.funcInfo, mapsWithout };
  // bpf_object__load_progs: each program in order; the first refusal fails the load, and
  // bpf_object_unload closes every map (and every program loaded before, which the model makes only
  // once all are in).
  if (verified) {
    for (const p of loaded) {
      const v = verifyLoaded(kernelView, p, { ...opt, btf, source: def });
      if (!v.ok) {
        const r = refuse(v);
        closeMaps();
        return r;
      }
    }
  }
  const globals = new Map<string, Uint8Array>();
  for (const g of def.globals) if (g.kind === 'bytes' || g.kind === 'u64s') charge(k, g.kind === 'u64s' ? g.size * 8 : g.size, `global ${g.name} of ${def.name}`);
  for (const g of def.globals) globals.set(g.name, initialBytes(g));
  const id = k.t.nextId('obj');
  const progs = new Map<string, number>();
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
  k.t.addObject({ id, def, globals, maps, progs });
  return { ret: 0, obj: id, rejected: null, map: null };
}

/** What `loadObject` did: the object, or the errno and what failed (a program's verdict, a map). */
export interface LoadResult {
  /** 0, or the negative errno the load failed with. */
  readonly ret: number;
  readonly obj: ObjId | null;
  /** The refused program's verdict (libbpf's checks or the verifier's), when a program failed the load. */
  readonly rejected: Verdict | null;
  /** The map whose creation failed the load (`BPF_MAP_CREATE`'s errno is `ret`). */
  readonly map: string | null;
}

/**
 * What libbpf prints when a map of the object is refused (libbpf 1.1 `bpf_object__create_maps`): the
 * map's name and the errno as `strerror` words it.
 */
export function mapCreateFailure(map: string, errno: number): string {
  return `libbpf: map '${map}': failed to create: ${strerror(-errno)}(${errno})`;
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
   * Programs not to load (`bpf_program__set_autoload(prog, false)`): libbpf still resolves the
   * object's externs and creates every map, so these can fail the load; the program is not loaded.
   */
  readonly noAutoload?: readonly string[];
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
  k.t.addTask(new TaskRecord({ pid, comm: spec.comm, mm, script: k.t.sharedScript(spec.script) }));
  emitTask(k, pid, 'spawn', `${spec.comm}${spec.exe === undefined ? ' (kernel thread)' : `, exe ${spec.exe}`}`);
  return pid;
}

/** `release_task`: the parent reaps a dead task; `bpf_task_acquire` on it now fails. */
export function reapTask(k: Kern, pid: Pid): void {
  checkKern('k', k);
  const t = k.t.tasks.get(pid);
  if (t === undefined) throw new UnknownHandleError('pid', pid, 'task');
  if (t.state !== 'dead') throw new ArgumentError('pid', pid, 'a task that has exited');
  ownTask(k, pid).reaped = true;
  emitTask(k, pid, 'reap', '');
}
