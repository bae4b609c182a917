/**
 * A session: a world held in one mutable place, for the REPL and for documentation pages. Each
 * method is one pure transition of the world it holds (`session.world` is always an immutable
 * value; earlier values stay valid). The kfuncs are methods under their kernel names.
 */
import * as cache from './model/fs/cache.ts';
import * as faults from './model/world/faults.ts';
import * as files from './model/fs/files.ts';
import { parseOpenFlags } from './model/fs/open_flags.ts';
import { describeWorld, pageMap, pageStates, refSnapshot, type PageInfo, type RefSnapshot } from './model/world/inspect.ts';
import { named } from './model/world/names.ts';
import type { MethodsOf } from './model/kfunc/methods.ts';
import type { BpfObject, GlobalDecl, KptrDecl, MapType } from './model/program/program.ts';
import { globalValue } from './model/program/globals.ts';
import type { MapId } from './model/maps/types.ts';
import { createMap, mapPutUref, sysDeleteElem, sysFreeze, sysGetNextKey, sysLookupAndDeleteElem, sysLookupElem, sysUpdateElem } from './model/maps/maps.ts';
import { sysDeleteBatch, sysLookupBatch, sysUpdateBatch, type BatchLookup, type BatchWrite } from './model/maps/batch.ts';
import { ringbufConsume, ringInfo, ringOf, type RingInfo } from './model/ringbuf/ring.ts';
import { newPacket, testRunHex, type PacketSpec } from './model/packet/create.ts';
import { packetView, type PacketView } from './model/packet/types.ts';
import { packetTestRunOut } from './model/packet/run.ts';
import { userWrite } from './model/helpers/user.ts';
import { mapKernelMemory } from './model/helpers/kernel_mem.ts';
import { emit } from './model/world/world.ts';
import type { LoadedObject, LoadedProg, ObjId, ProgId } from './model/program/loaded.ts';
import type { Pid, TaskState } from './model/task/types.ts';
import type { TwRef } from './model/kfunc/types.ts';
import { toInt64, toUnsigned } from './model/kernel/ctypes.ts';
import { taskWorkCtx, taskWorkOf, type TaskWorkInfo } from './task_work/inspect.ts';
import { ALL_KFUNCS, ALL_KFUNC_METHODS } from './task_work/kfuncs.ts';
import { settle } from './task_work/settle.ts';
import { defaultChooser, type Chooser } from './scheduler/chooser.ts';
import { loadObject, mapCreateFailure, reapTask, spawnTask, type LoadOptions, type NewTask } from './scheduler/setup.ts';
import { ArgumentError, KernsimError, UnknownHandleError } from './model/kernel/errors.ts';
import { checkBoolean, checkChooser, checkFunction, checkInt, checkOptions, checkShape, checkString, checkWorld } from './model/kernel/args.ts';
import { MapDeclSchema } from './model/program/schema.ts';
import { errnoName } from './model/kernel/errno.ts';
import { describeAction, readyActions, run as runScheduler, step as stepScheduler, type Action, type RunOptions } from './scheduler/step.ts';
import { listChooser } from './scheduler/chooser.ts';
import type { FileId, Ino, RaState } from './model/fs/types.ts';
import { adviceOf, fadvise as fadviseImpl, type FadvAdvice } from './model/fs/fadvise.ts';
import { vfsPread, type FilemapResume } from './model/fs/filemap.ts';
import { completeIoUntil, completeSleepSync, Sleep } from './model/fs/io.ts';
import { fsync as fsyncImpl, ftruncate as ftruncateImpl, vfsWrite, type TruncateResume, type WriteResume } from './model/fs/write.ts';
import { readFileBytes } from './model/fs/content.ts';
import { formatTrace, traceEvents, type TraceEvent } from './model/world/trace.ts';
import { begin, createWorld, end, INSPECT, NON_SLEEPABLE, SLEEPABLE, transact, type CallContext, type Kern, type WorldOptions } from './model/world/world.ts';
import { invoke, type AnyKfunc } from './model/kfunc/kfunc.ts';
import { type World } from './model/world/state.ts';

/** A BPF object the kernel (or the model's verifier) refused to load. */
export class LoadError extends KernsimError {
  override name = 'LoadError';
  /**
   * `verifier`: the refused program and its message (libbpf's own checks or the verifier's); `map`:
   * the map whose creation failed the load, whose libbpf message the error's text ends with.
   */
  /** Why the load failed, in words: `verifier`, or libbpf's message for the refused map (null: neither). */
  readonly detail: string | null;
  constructor(readonly object: string, readonly errno: number, readonly verifier: string | null, readonly map: string | null = null) {
    const detail = verifier ?? (map === null ? null : mapCreateFailure(map, errno));
    super(`loading ${object} failed with ${errnoName(errno)}${detail === null ? '' : `: ${detail}`}`);
    this.detail = detail;
  }
}

/** Options of `Session.progTestRun` (`union bpf_attr`'s `test`). */
export interface TestRunOptions {
  /** `data_in`: bytes, hex text, `'pkt_v4'`, or `{ size, fill?, head? }` (see the `prog_test_run` syscall). */
  readonly data?: Uint8Array | 'pkt_v4' | string | { readonly size: number; readonly fill?: number; readonly head?: string };
  /** `ctx_in`: `xdp_md->data` (the metadata size) and `data_end`; `__sk_buff->data_end` (6.19+). */
  readonly ctx?: { readonly data?: number; readonly dataEnd?: number };
  /** The size of the `data_out` buffer (default: room for the whole packet). */
  readonly dataSizeOut?: number;
  /**
   * The path of the executable of the task that calls `bpf(BPF_PROG_TEST_RUN)`: a user process, with
   * an mm, as every caller of bpf(2) is (a program reading user memory looks at it). Without it the
   * task has no mm, as a kernel thread.
   */
  readonly exe?: string;
}

/** What `Session.progTestRun` reports. */
export interface TestRunResult {
  /** What `bpf()` returned: 0, or a negative errno. */
  readonly err: number;
  /** The program's return value (`retval`). */
  readonly retval: number;
  /** `data_out`: the packet after the run (empty without one). */
  readonly dataOut: Uint8Array;
  /** `data_size_out` as the kernel reports it (the whole size). */
  readonly dataSizeOut: number;
}

/** A map to create with `Session.createMap` (`BPF_MAP_CREATE`); sizes and flags default as libbpf does. */
export interface NewMap {
  readonly name?: string;
  readonly type: MapType;
  readonly maxEntries: number;
  /** Default 0 for a ring buffer, 8 otherwise. */
  readonly valueSize?: number;
  /** Default 0 for a ring buffer, 4 otherwise. */
  readonly keySize?: number;
  readonly flags?: number;
  readonly taskWorkFields?: number;
  /** The value's kptr fields (`struct task_struct __kptr *task`, …): src/model/kptr. */
  readonly kptrs?: readonly KptrDecl[];
  /** `map_extra`: a BLOOM_FILTER's number of hashes (0: 5); any other type refuses a value other than 0. */
  readonly mapExtra?: number;
}

/** The shape of `createMap`'s spec: a map declaration whose name may be left out. */
const NEW_MAP = MapDeclSchema.partial({ name: true });

export interface SessionOptions extends WorldOptions {
  /** Whether kfunc calls run in a sleepable context (default false, like an `lsm/` program). */
  readonly sleepable?: boolean;
}

/** Every kfunc and helper, as functions of their kernel arguments. */
export type KfuncMethods = MethodsOf<typeof ALL_KFUNCS>;

/** A loaded BPF object: the id `load()` returned, or the object's name (when one object has it). */
export type ObjRef = ObjId | string;

/**
 * Which ready scheduler action `stepAction` takes: `'irq'` (run the oldest irq_work), `'io'` or
 * `'timer'` (the first such timed event), a pid (run that task), or a predicate over the actions.
 */
export type ActionPick = 'irq' | 'io' | 'timer' | Pid | ((action: Action) => boolean);

/**
 * The kfuncs as one loaded program calls them (`Session.asProgram`): each call runs in the
 * program's context (its `prog->aux`, its sleepability, the task it runs in) and advances the
 * session's world. `map` and `slot` name the object's maps as the program's code would.
 */
export type ProgramCalls = KfuncMethods & {
  /** The program's id in the world. */
  readonly prog: ProgId;
  /** The program's name. */
  readonly name: string;
  /** Whether it is sleepable (from its section: `lsm.s/…`, `syscall`, …). */
  readonly sleepable: boolean;
  /** The id of the object's map `name` (a `map` argument). */
  map(name: string): MapId;
  /** `&value->tw` of element `key` of the object's map `name` (a task_work slot argument). */
  slot(name: string, key: number): TwRef;
};

// The kfunc methods are added in the constructor from the kfunc table.
export interface Session extends KfuncMethods {}

/** The fields of a `file_ra_state` (`RaState`). */
const RA_FIELDS = ['start', 'size', 'asyncSize', 'order', 'raPages', 'prevPos'] as const;

export class Session {
  world: World;
  context: CallContext;

  constructor(opts: SessionOptions = {}) {
    checkOptions('opts', opts, ['version', 'sleepable', 'budgets', 'smp', 'cpus', 'hashrnd', 'features']);
    if (opts.sleepable !== undefined) checkBoolean('opts.sleepable', opts.sleepable);
    this.world = createWorld(opts);
    this.context = opts.sleepable === true ? SLEEPABLE : NON_SLEEPABLE;
    // The kfunc methods are getters of the prototype (below) that bind each to the session on first use.
  }

  /** Run `body` as one transition; the session's world becomes the result. */
  run<T>(body: (k: Kern, kf: KfuncMethods) => T): T {
    checkFunction('body', body);
    return this.runIn(this.context, body);
  }

  /** `run` in calling context `ctx`. */
  private runIn<T>(ctx: CallContext, body: (k: Kern, kf: KfuncMethods) => T): T {
    const { world, result } = transact(this.world, ctx, (k) => {
      const r = body(k, ALL_KFUNC_METHODS.bind(k));
      settle(k);
      return r;
    });
    this.world = world;
    return result;
  }

  /** Run a call that may sleep to completion: each sleep completes at once (no scheduler). */
  private sleeping<R>(body: (k: Kern, resume: R | undefined) => number | Sleep): number {
    return this.run((k) => {
      let resume: R | undefined;
      for (;;) {
        const r = body(k, resume);
        if (!(r instanceof Sleep)) return r;
        completeSleepSync(k, r);
        resume = r.resume as R;
      }
    });
  }

  /** Switch the calling context: sleepable (an `lsm.s/` program, a task_work callback) or not. */
  sleepable(on = true): this {
    checkBoolean('on', on);
    this.context = this.context.task === undefined ? (on ? SLEEPABLE : NON_SLEEPABLE) : { ...this.context, sleepable: on };
    return this;
  }

  /**
   * Make kfunc calls run as task `pid` (`current`: whose user memory the probe-read and
   * copy-from-user kfuncs read), or as no task (`null`).
   */
  inTask(pid: Pid | null): this {
    if (pid !== null) checkInt('pid', pid);
    const sleepable = this.context.sleepable;
    this.context = pid === null ? (sleepable ? SLEEPABLE : NON_SLEEPABLE) : { sleepable, task: pid, label: `pid ${pid}` };
    return this;
  }

  createFile(spec: files.NewFile): Ino {
    return this.run((k) => files.createInode(k, spec));
  }
  /** `open(path, flags)` (`filp_open`): flags `O_RDONLY` (default), `O_WRONLY`, `O_RDWR`, optionally `|O_APPEND`. */
  open(path: string, flags?: string): FileId {
    return this.run((k) => files.openFile(k, path, parseOpenFlags(flags)));
  }
  /**
   * `pread64(file, buf, buf.length, offset)` through `vfs_read` and `filemap_read` (readahead, I/O;
   * a sleep completes at once, time advances). Returns the bytes read or a negative errno.
   */
  pread(file: FileId, buf: Uint8Array, offset: number | bigint): number {
    checkInt('file', file);
    if (!(buf instanceof Uint8Array)) throw new ArgumentError('buf', buf, 'a Uint8Array');
    const pos = toInt64(offset, 'offset');
    return this.sleeping<FilemapResume>((k, resume) => vfsPread(k, file, pos, buf.length, (at, n, done) => {
      const inode = files.inodeOf(k, files.liveFile(k, file).ino);
      readFileBytes(inode.content, inode.overlay, inode.size, at, buf, done, n);
    }, resume));
  }
  /** `pwrite64(file, bytes, bytes.length, offset)` (an `O_APPEND` file writes at its end). Returns bytes written or an errno. */
  pwrite(file: FileId, bytes: Uint8Array, offset: number | bigint): number {
    checkInt('file', file);
    if (!(bytes instanceof Uint8Array)) throw new ArgumentError('bytes', bytes, 'a Uint8Array');
    const pos = toInt64(offset, 'offset');
    const data = bytes.slice();
    return this.sleeping<WriteResume>((k, resume) => vfsWrite(k, file, pos, data, resume));
  }
  /** `write(file, bytes, bytes.length)` at the file's position (`O_APPEND`: at its end). */
  write(file: FileId, bytes: Uint8Array): number {
    checkInt('file', file);
    if (!(bytes instanceof Uint8Array)) throw new ArgumentError('bytes', bytes, 'a Uint8Array');
    const data = bytes.slice();
    return this.sleeping<WriteResume>((k, resume) => vfsWrite(k, file, null, data, resume));
  }
  /** `ftruncate(file, length)`: 0 or an errno. Folios held by a non-sleepable reader are removed from the cache all the same. */
  ftruncate(file: FileId, length: number | bigint): number {
    checkInt('file', file);
    const len = toInt64(length, 'length');
    return this.sleeping<TruncateResume>((k, resume) => ftruncateImpl(k, file, len, resume));
  }
  /** `fsync(file)`: the file's dirty pages are written back (clean). */
  fsync(file: FileId): number {
    checkInt('file', file);
    return this.run((k) => fsyncImpl(k, file));
  }
  /** `posix_fadvise(file, offset, len, advice)`: advice `POSIX_FADV_…` (or its suffix, or a number). */
  fadvise(file: FileId, offset: number | bigint, len: number | bigint, advice: FadvAdvice | string | number): number {
    checkInt('file', file);
    if (typeof advice !== 'string' && typeof advice !== 'number') throw new ArgumentError('advice', advice, 'a POSIX_FADV_ name or a number');
    const off = toInt64(offset, 'offset');
    const n = toInt64(len, 'len');
    const a = adviceOf(advice);
    return this.run((k) => fadviseImpl(k, file, off, n, a));
  }
  /** The `file_ra_state` of an open file (its readahead window and `prev_pos`). */
  readahead(file: FileId): RaState {
    checkInt('file', file);
    return this.run((k) => files.liveFile(k, file).ra);
  }
  /**
   * Set fields of an open file's `file_ra_state`: for a harness continuing a `struct file` whose
   * earlier reads happened outside this world (the guest tier's `mm->exe_file`, read by earlier cases).
   */
  setReadahead(file: FileId, patch: Partial<RaState>): void {
    checkInt('file', file);
    if (patch === undefined) throw new ArgumentError('patch', patch, 'an object of file_ra_state fields');
    checkOptions('patch', patch, RA_FIELDS);
    for (const [key, v] of Object.entries(patch)) {
      if (key === 'prevPos') {
        if (typeof v !== 'bigint' || v < -1n) throw new ArgumentError('patch.prevPos', v, 'a bigint ≥ -1 (-1: never read)');
      } else checkInt(`patch.${key}`, v);
    }
    this.run((k) => {
      const f = files.liveFile(k, file);
      k.t.own('files').set(file, f.with({ ra: { ...f.ra, ...patch } }));
    });
  }
  /** Let every read in flight complete (virtual time advances to the last). Returns how many completed. */
  finishIo(): number {
    return this.run((k) => completeIoUntil(k));
  }
  /** Write the device's `read_ahead_kb` for the file at `path` (files opened afterwards read ahead that far). */
  setReadAheadKb(path: string, kb: number): void {
    checkString('path', path);
    this.run((k) => files.setReadAheadKb(k, path, kb));
  }
  get_file(file: FileId): void {
    checkInt('file', file);
    this.run((k) => files.getFile(k, file));
  }
  fput(file: FileId): void {
    checkInt('file', file);
    this.run((k) => files.putFile(k, file));
  }
  populate(path: string, offset?: number | bigint, len?: number | bigint): number[] {
    return this.run((k) => cache.populateRange(k, path, offset, len));
  }
  evict(path: string, offset?: number | bigint, len?: number | bigint): number[] {
    return this.run((k) => cache.evictRange(k, path, offset, len));
  }
  dropCaches(): number {
    return this.run((k) => cache.dropCaches(k));
  }
  injectIoError(path: string, offset: number | bigint, times?: number): void {
    this.run((k) => cache.injectIoError(k, path, offset, times));
  }
  injectAllocFailure(times?: number): void {
    this.run((k) => faults.injectAllocFailure(k, times));
  }

  /**
   * Load a BPF object: verify its programs, create its maps and globals, attach its programs. A
   * refused load throws a `LoadError` with the verifier's message or the map's errno.
   */
  load(obj: BpfObject, opts?: LoadOptions): ObjId {
    const r = this.run((k) => loadObject(k, obj, opts));
    if (r.obj === null) {
      throw new LoadError(String(obj.name), r.ret, r.rejected === null ? null : `${r.rejected.program}: ${r.rejected.message ?? ''}`, r.map);
    }
    return r.obj;
  }
  /**
   * `BPF_MAP_CREATE`: the map's id, or the negative errno the kernel returns (a ring buffer's size and
   * flag rules: src/model/ringbuf/ring.ts). The map has no BTF (a bare `bpf(BPF_MAP_CREATE)`), so a
   * TASK_STORAGE map is -EINVAL; a map an object declares has its BTF (`load`).
   */
  createMap(spec: NewMap): MapId | number {
    checkShape('spec', NEW_MAP, spec);
    const ringbuf = spec.type === 'ringbuf';
    const name = spec.name ?? `map${this.world.ids.map}`;
    return this.run((k) => {
      const id = createMap(k, {
        name, type: spec.type, maxEntries: spec.maxEntries, valueSize: spec.valueSize ?? (ringbuf ? 0 : 8),
        taskWorkFields: spec.taskWorkFields ?? 0, keySize: spec.keySize, flags: spec.flags,
        ...(spec.kptrs === undefined ? {} : { kptrs: spec.kptrs }),
        ...(spec.mapExtra === undefined ? {} : { mapExtra: spec.mapExtra }),
      }, false);
      emit(k, { kind: 'map', t: k.t.now, op: 'create', map: name, key: -1, ret: id < 0 ? id : 0 });
      return id;
    });
  }
  /**
   * Read a ring buffer as libbpf's `ring_buffer__consume` does (at most `n` records: `…consume_n`):
   * the payloads of the committed records in order, up to the first one still reserved; discarded
   * ones are skipped. The consumer position moves past what was read.
   */
  ringbufConsume(map: MapId | string, n?: number): Uint8Array[] {
    if (n !== undefined) checkInt('n', n);
    const id = this.mapRef(map);
    return this.run((k) => ringbufConsume(k, id, n).map((r) => r.data));
  }
  /** A ring buffer's positions and counters. */
  ringbuf(map: MapId | string): RingInfo {
    const id = this.mapRef(map);
    return this.run((k) => ringInfo(ringOf(k, id)));
  }
  /**
   * A packet as a program context sees it, built the way `BPF_PROG_TEST_RUN` builds it from
   * `data_in` and the context (src/model/packet/create.ts): its id, to pass as the `skb` / `x`
   * argument, or the negative errno the test run returns.
   */
  packet(spec: PacketSpec): number {
    return this.run((k) => newPacket(k, spec));
  }
  /**
   * `bpf(BPF_PROG_TEST_RUN)` of loaded program `prog` from a task of its own (spawned, then the
   * scheduler runs until nothing is ready, as `simulate`): a packet program runs on a packet built
   * from `data` (`data_in`) and `ctx` (`ctx_in`), as a task's `{ sys: 'prog_test_run', … }` does.
   * Returns what `bpf()` returned (`err`: 0, or the errno of a refused input, or -ENOSPC when
   * `dataSizeOut` was smaller than the packet), the program's return value, and `data_out` (the
   * packet after the run, cut at `dataSizeOut` when given) with the kernel's `data_size_out`.
   */
  progTestRun(prog: string, opts: TestRunOptions = {}): TestRunResult {
    checkString('prog', prog);
    checkOptions('opts', opts, ['data', 'ctx', 'dataSizeOut', 'exe']);
    const { data, ctx, dataSizeOut, exe } = opts;
    if (dataSizeOut !== undefined) checkInt('opts.dataSizeOut', dataSizeOut);
    const hex = data instanceof Uint8Array ? testRunHex(data) : data;
    const before = this.world.trace.length;
    const pid = this.spawn({ comm: 'test_run', ...(exe === undefined ? {} : { exe }), script: [{ sys: 'prog_test_run', prog, ...(hex === undefined ? {} : { data: hex }), ...(ctx === undefined ? {} : { ctx }) }, { sys: 'exit' }] });
    this.simulate();
    // The run's event, among the events of this call only (not the whole history).
    const ev = this.world.trace.from(before).filter((e): e is Extract<TraceEvent, { kind: 'test_run' }> => e.kind === 'test_run' && e.pid === pid).pop();
    if (ev === undefined) throw new KernsimError(`progTestRun(${prog}): the test run did not happen (is ${prog} a loaded program?)`);
    const pkt = ev.packet === null ? undefined : this.world.packets.get(ev.packet);
    // Refused before the run: data_size_out and retval are not written (user space keeps what it passed).
    if (pkt === undefined) return { err: ev.err, retval: ev.retval, dataOut: new Uint8Array(0), dataSizeOut: dataSizeOut ?? 0 };
    const out = packetTestRunOut(pkt, dataSizeOut ?? 0);
    return { err: out.err, retval: out.reported ? ev.retval : 0, dataOut: out.data, dataSizeOut: out.reported ? out.size : dataSizeOut ?? 0 };
  }
  /** The bytes and layout of packet `id`. */
  packetView(id: number): PacketView {
    checkInt('id', id);
    const p = this.world.packets.get(id);
    if (p === undefined) throw new UnknownHandleError('id', id, 'packet');
    return packetView(p);
  }
  /** Task `pid` writes `bytes` (a string: its bytes and a NUL) at `addr` of its user memory. */
  writeUser(pid: Pid, addr: number | bigint, bytes: Uint8Array | string): void {
    checkInt('pid', pid);
    if (typeof addr !== 'bigint') checkInt('addr', addr);
    if (typeof bytes !== 'string' && !(bytes instanceof Uint8Array)) throw new ArgumentError('bytes', bytes, 'a Uint8Array or a string');
    const b = typeof bytes === 'string' ? new Uint8Array([...new TextEncoder().encode(bytes), 0]) : bytes;
    this.run((k) => userWrite(k, pid, BigInt(addr), b));
  }
  /** Map `bytes` at kernel address `addr` (a bigint from 0xffff800000000000), for the kernel probe-read kfuncs. */
  mapKernelMemory(addr: bigint, bytes: Uint8Array): void {
    if (!(bytes instanceof Uint8Array)) throw new ArgumentError('bytes', bytes, 'a Uint8Array');
    this.run((k) => mapKernelMemory(k, addr, bytes));
  }

  /** A new task in user mode, about to run `script`. */
  spawn(task: NewTask): Pid {
    return this.run((k) => spawnTask(k, task));
  }
  reap(pid: Pid): void {
    checkInt('pid', pid);
    this.run((k) => reapTask(k, pid));
  }
  /** Run the scheduler until nothing is ready (default chooser: the ordinary schedule). */
  simulate(chooser: Chooser = defaultChooser, opts?: RunOptions): this {
    checkChooser('chooser', chooser);
    this.world = runScheduler(this.world, chooser, opts);
    return this;
  }
  /** One scheduler step; false when nothing was ready. */
  step(chooser: Chooser = defaultChooser): boolean {
    checkChooser('chooser', chooser);
    const r = stepScheduler(this.world, chooser);
    this.world = r.world;
    return !r.done;
  }
  /**
   * A global of a loaded object, as user space reads it through the skeleton: an integer global
   * (`int`, `u32`, `u64`) as a bigint, a byte array as its bytes; undefined when the object has no such
   * global. `global(name)` reads the first loaded object that has a global of that name;
   * `global(obj, name)` reads object `obj` (the id `load` returned, or the object's name).
   */
  global(name: string): bigint | Uint8Array | undefined;
  global(obj: ObjRef, name: string): bigint | Uint8Array | undefined;
  global(a: ObjRef, b?: string): bigint | Uint8Array | undefined {
    const read = (o: LoadedObject, name: string): bigint | Uint8Array | undefined => {
      const g = o.globals.get(name) as Uint8Array | undefined;
      const decl = o.def.globals.find((d) => d.name === name);
      return g === undefined || decl === undefined ? undefined : globalValue(decl as GlobalDecl, g);
    };
    if (b === undefined) {
      if (typeof a !== 'string') throw new ArgumentError('name', a, 'a global\'s name (or global(obj, name))');
      const obj = named(this.world.names, 'global', a)[0];
      const o = obj === undefined ? undefined : this.world.objects.get(obj);
      return o === undefined ? undefined : read(o as LoadedObject, a);
    }
    return read(this.object(a), b);
  }

  /** The loaded object `obj` (its id, or its name when exactly one loaded object has that name). */
  private object(obj: ObjRef): LoadedObject {
    if (typeof obj === 'number') {
      const o = this.world.objects.get(obj);
      if (o === undefined) throw new UnknownHandleError('obj', obj, 'loaded object');
      return o as LoadedObject;
    }
    if (typeof obj !== 'string') throw new ArgumentError('obj', obj, 'an object id (from load) or an object name');
    const ids = named(this.world.names, 'object', obj);
    if (ids.length === 0) throw new UnknownHandleError('obj', obj, 'loaded object named');
    if (ids.length > 1) throw new ArgumentError('obj', obj, `one object of that name (${ids.length} are loaded: pass the id load() returned)`);
    return this.world.objects.get(ids[0] as ObjId) as LoadedObject;
  }

  /**
   * The id of map `name` of object `obj`; `mapId(name)` alone: the map of that name when only one map
   * of the world has it (an object's, or one `createMap` made).
   */
  mapId(name: string, obj?: ObjRef): MapId {
    if (obj !== undefined) {
      const id = this.object(obj).maps.get(name);
      if (id === undefined) throw new UnknownHandleError('map', name, `map of object ${String(obj)} named`);
      return id;
    }
    if (typeof name !== 'string') throw new ArgumentError('name', name, 'a map name');
    const ids = named(this.world.names, 'map', name);
    if (ids.length === 0) throw new UnknownHandleError('map', name, 'map named');
    if (ids.length > 1) throw new ArgumentError('map', name, `one map of that name (${ids.length} maps have it, ids ${ids.join(', ')}: pass the id, or obj for an object's map)`);
    return ids[0] as MapId;
  }

  /** A map given by id or by name (see `mapId`). */
  private mapRef(map: MapId | string): MapId {
    if (typeof map === 'string') return this.mapId(map);
    if (typeof map !== 'number' || !this.world.maps.has(map)) throw new UnknownHandleError('map', map, 'map');
    return map;
  }

  /**
   * Call kfuncs as program `prog` of object `obj` calls them: in its context (its `prog->aux`, which
   * `bpf_task_work_schedule_*` records; sleepable if its section is), optionally running in task
   * `opts.task` (`current`). Each call advances the session's world, as a direct call does.
   *
   * ```ts
   * const p = s.asProgram('demo', 'on_open', { task: pid });
   * p.bpf_task_work_schedule_signal_impl(pid, p.slot('arrmap', 0), p.map('arrmap'), 'work', null);
   * ```
   */
  asProgram(obj: ObjRef, prog: string, opts: { readonly task?: Pid } = {}): ProgramCalls {
    const o = this.object(obj);
    const id = o.progs.get(prog);
    if (id === undefined) throw new UnknownHandleError('prog', prog, `program of object ${o.def.name} named`);
    const p = this.world.progs.get(id) as LoadedProg;
    if (opts.task !== undefined && !this.world.tasks.has(opts.task)) throw new UnknownHandleError('task', opts.task, 'task');
    const ctx: CallContext = Object.freeze({
      sleepable: p.sleepable, prog: id,
      label: opts.task === undefined ? `${p.name}:` : `pid ${opts.task} ${p.name}:`,
      ...(opts.task === undefined ? {} : { task: opts.task }),
    });
    const maps = o.maps;
    const map = (name: string): MapId => {
      const m = maps.get(name);
      if (m === undefined) throw new UnknownHandleError('map', name, `map of object ${o.def.name} named`);
      return m;
    };
    const calls: Record<string, unknown> = {
      prog: id, name: p.name, sleepable: p.sleepable, map,
      slot: (name: string, key: number): TwRef => ({ map: map(name), key }),
    };
    for (const name of Object.keys(ALL_KFUNCS) as (keyof KfuncMethods)[]) {
      calls[name] = (...args: unknown[]) => this.runIn(ctx, (_k, kf) => (kf[name] as (...a: unknown[]) => unknown)(...args));
    }
    return Object.freeze(calls) as ProgramCalls;
  }

  /** The scheduler's ready actions, the default first (what a chooser picks from). */
  readyActions(): Action[] {
    return readyActions(this.world);
  }

  /**
   * One scheduler step that takes the ready action `pick` chooses (the first that matches), and
   * returns it: `s.stepAction('irq')`, `s.stepAction(pid)`, `s.stepAction((a) => a.kind === 'io')`.
   * Throws `ArgumentError` naming the ready actions when none matches.
   */
  stepAction(pick: ActionPick): Action {
    const match = typeof pick === 'function' ? pick
      : typeof pick === 'number' ? (a: Action) => a.kind === 'task' && a.pid === pick
      : (a: Action) => a.kind === pick;
    if (typeof pick !== 'function' && typeof pick !== 'number' && pick !== 'irq' && pick !== 'io' && pick !== 'timer') {
      throw new ArgumentError('pick', pick, "'irq', 'io', 'timer', a pid or a predicate");
    }
    const acts = readyActions(this.world);
    const i = acts.findIndex(match);
    const action = acts[i];
    if (action === undefined) {
      throw new ArgumentError('pick', typeof pick === 'function' ? 'the predicate' : pick, `a ready action (ready: ${acts.map(describeAction).join(', ') || 'none'})`);
    }
    this.world = stepScheduler(this.world, listChooser([i])).world;
    return action;
  }

  /** The state of task `pid`: `running`, `runnable`, `interruptible` (asleep), `io_wait`, `exiting` or `dead`. */
  taskState(pid: Pid): TaskState {
    const t = this.world.tasks.get(pid);
    if (t === undefined) throw new UnknownHandleError('pid', pid, 'task');
    return t.state;
  }

  /** The return values of the syscalls task `pid` finished, in script order. */
  taskResults(pid: Pid): bigint[] {
    const t = this.world.tasks.get(pid);
    if (t === undefined) throw new UnknownHandleError('pid', pid, 'task');
    return [...t.results];
  }

  /**
   * The BPF task_work context in the `struct bpf_task_work` slot of element `key` of `map` (its id,
   * or its name): state, refcnt, mode, task, callback; null when the slot holds none (never
   * scheduled, or detached when the element's fields were freed). `taskWork(ctx)` alone: context
   * `ctx` whether or not a slot still holds it (null when it never existed).
   */
  taskWork(map: MapId | string, key: number): TaskWorkInfo | null;
  taskWork(ctx: number): TaskWorkInfo | null;
  taskWork(a: MapId | string, key?: number): TaskWorkInfo | null {
    if (key === undefined) {
      if (typeof a !== 'number' || !Number.isSafeInteger(a)) throw new ArgumentError('ctx', a, 'a task_work context id');
      return taskWorkCtx(this.world, a);
    }
    if (!Number.isSafeInteger(key) || key < 0) throw new ArgumentError('key', key, 'a non-negative integer');
    return taskWorkOf(this.world, this.mapRef(a), key);
  }

  /**
   * User space's `bpf(BPF_MAP_UPDATE_ELEM)` on `map` (id or name): 0 or a negative errno, as the
   * syscall returns (`flags`: BPF_ANY 0, BPF_NOEXIST 1, BPF_EXIST 2; from 7.0 on a per-CPU map also
   * BPF_F_CPU 8 with the CPU in the upper 32 bits, and BPF_F_ALL_CPUS 16). `value` must hold the map's
   * value size; a per-CPU map's is every possible CPU's copy, `round_up(value_size, 8)` bytes each
   * (one `value_size` with BPF_F_CPU or BPF_F_ALL_CPUS). An update that frees an element's task_work
   * slot cancels its work, as in the kernel. A QUEUE or STACK map takes `key` null (NULL) and pushes
   * `value` (BPF_EXIST makes room in a full one: src/model/maps/queue_stack.ts); a BLOOM_FILTER takes
   * `key` null and adds `value` (any flag: -EINVAL; src/model/maps/bloom.ts); any other map needs a key.
   */
  mapUpdate(map: MapId | string, key: number | null, value: Uint8Array, flags: number | bigint = 0): number {
    return this.mapSyscall(map, key, value, flags, sysUpdateElem);
  }

  /** User space's `bpf(BPF_MAP_DELETE_ELEM)`: 0, -ENOENT, or -EINVAL for an ARRAY, QUEUE or STACK map; -EOPNOTSUPP for a BLOOM_FILTER's NULL key. */
  mapDelete(map: MapId | string, key: number | null): number {
    const id = this.mapRef(map);
    const k = key === null ? null : Number(toUnsigned(key, 32, 'key'));
    return this.run((kk) => sysDeleteElem(kk, id, k));
  }

  /** A map syscall from user space with a value buffer: its arguments checked, then `op` in a transition. */
  private mapSyscall(map: MapId | string, key: number | null, value: Uint8Array, flags: number | bigint, op: (k: Kern, id: MapId, key: number | null, value: Uint8Array, flags: bigint) => number): number {
    const id = this.mapRef(map);
    const f = toUnsigned(flags, 64, 'flags');
    const k = key === null ? null : Number(toUnsigned(key, 32, 'key'));
    if (!(value instanceof Uint8Array)) throw new ArgumentError('value', value, 'a Uint8Array');
    return this.run((kk) => op(kk, id, k, value, f));
  }

  /**
   * User space closes its descriptor of `map` (the loader's user reference, `map->usercnt`): at zero
   * every element's task_work is cancelled (`bpf_map_put_uref` → `map_release_uref`). Closing a map
   * with no user reference left is an `ArgumentError`.
   */
  mapClose(map: MapId | string): void {
    const id = this.mapRef(map);
    this.run((k) => mapPutUref(k, id));
  }

  /**
   * User space's `bpf(BPF_MAP_LOOKUP_ELEM)`: 0 with the element's value copied into `value` (at least
   * the map's value size), or -ENOENT; any flag → -EINVAL (no value has a `bpf_spin_lock`), except
   * BPF_F_CPU on a per-CPU map from 7.0. A per-CPU map's value is every possible CPU's copy, each
   * `round_up(value_size, 8)` bytes (src/model/maps/percpu.ts). A QUEUE or STACK map takes `key` null
   * and peeks: its oldest value (a queue) or newest (a stack), -ENOENT when empty (`value` untouched).
   * A BLOOM_FILTER takes `key` null and `value` as the question: 0 when it may hold it, else -ENOENT
   * (`value` is only read).
   */
  mapLookup(map: MapId | string, key: number | null, value: Uint8Array, flags: number | bigint = 0): number {
    return this.mapSyscall(map, key, value, flags, sysLookupElem);
  }

  /**
   * User space's `bpf(BPF_MAP_LOOKUP_AND_DELETE_ELEM)`: 0 with the element's value copied into `value`
   * (as `mapLookup` copies it) and the element deleted (its fields released); -ENOENT for a missing key;
   * -ENOTSUPP for a map that is not a hash map (a BLOOM_FILTER's NULL key too); any flag → -EINVAL. A
   * QUEUE or STACK map takes `key` null and pops (as `mapLookup` peeks).
   */
  mapLookupAndDelete(map: MapId | string, key: number | null, value: Uint8Array, flags: number | bigint = 0): number {
    return this.mapSyscall(map, key, value, flags, sysLookupAndDeleteElem);
  }

  /**
   * User space's `bpf(BPF_MAP_GET_NEXT_KEY)`: the key after `key` in the map's order (null: the first
   * key), or a negative errno: -ENOENT after the last key. A hash map's order is its buckets' (the hash
   * of each key seeded with the map's `hashrnd`, newest first in a bucket: src/model/maps/buckets.ts), so
   * it depends on the world's `hashrnd` unless the map was created with BPF_F_ZERO_SEED; a key not in a
   * hash map gives its first key. An array's is its indexes. Keys are u32, so a result `>= 0` is a key:
   *
   *     for (let key = s.mapGetNextKey(map, null); key >= 0; key = s.mapGetNextKey(map, key)) { … }
   */
  mapGetNextKey(map: MapId | string, key: number | null): number {
    const id = this.mapRef(map);
    const k = key === null ? null : Number(toUnsigned(key, 32, 'key'));
    return this.run((kk) => sysGetNextKey(kk, id, k));
  }

  /**
   * User space's `bpf(BPF_MAP_FREEZE)`: 0, and user space may no longer write the map (its updates,
   * deletes and their batches are -EPERM; programs still write it); -EPERM once frozen or through a
   * read-only fd; -ENOTSUPP for a value with special fields (a `bpf_task_work`, kptrs).
   */
  mapFreeze(map: MapId | string): number {
    const id = this.mapRef(map);
    return this.run((k) => sysFreeze(k, id));
  }

  /**
   * User space's `bpf(BPF_MAP_LOOKUP_BATCH)` of up to `count` elements from `inBatch` (null: the
   * start): a hash map's batch is a bucket index, whole buckets are copied (a first bucket larger than
   * `count` is -ENOSPC); an array's is the last key of the batch before. `ret` is 0, or -ENOENT once
   * the end was reached (with what was copied); `count`, `keys` and `values` (end to end, each as
   * `mapLookup` copies it) what was copied; `outBatch` where to go on from (src/model/maps/batch.ts).
   * `elemFlags`: BPF_F_CPU on a per-CPU map from 7.0; `flags`: none.
   */
  mapLookupBatch(map: MapId | string, inBatch: number | null, count: number, opts: { readonly elemFlags?: number | bigint; readonly flags?: number | bigint } = {}): BatchLookup {
    return this.lookupBatch(map, inBatch, count, opts, false);
  }

  /** `bpf(BPF_MAP_LOOKUP_AND_DELETE_BATCH)`: `mapLookupBatch`, and each element copied is deleted (hash maps; an array is -ENOTSUPP). */
  mapLookupAndDeleteBatch(map: MapId | string, inBatch: number | null, count: number, opts: { readonly elemFlags?: number | bigint; readonly flags?: number | bigint } = {}): BatchLookup {
    return this.lookupBatch(map, inBatch, count, opts, true);
  }

  private lookupBatch(map: MapId | string, inBatch: number | null, count: number, opts: { readonly elemFlags?: number | bigint; readonly flags?: number | bigint }, del: boolean): BatchLookup {
    const id = this.mapRef(map);
    checkOptions('opts', opts, ['elemFlags', 'flags']);
    const from = inBatch === null ? null : Number(toUnsigned(inBatch, 32, 'inBatch'));
    const n = Number(toUnsigned(count, 32, 'count'));
    const elemFlags = toUnsigned(opts.elemFlags ?? 0, 64, 'opts.elemFlags');
    const flags = toUnsigned(opts.flags ?? 0, 64, 'opts.flags');
    return this.run((k) => sysLookupBatch(k, id, from, n, elemFlags, flags, del));
  }

  /**
   * `bpf(BPF_MAP_UPDATE_BATCH)`: `keys[i]` updated from the i-th value of `values` (each the bytes
   * `mapUpdate` takes: every possible CPU's copy of a per-CPU value), stopping at the first error;
   * `count` is how many were updated.
   */
  mapUpdateBatch(map: MapId | string, keys: readonly number[], values: Uint8Array, elemFlags: number | bigint = 0): BatchWrite {
    const id = this.mapRef(map);
    const ks = batchKeys(keys);
    if (!(values instanceof Uint8Array)) throw new ArgumentError('values', values, 'a Uint8Array');
    const f = toUnsigned(elemFlags, 64, 'elemFlags');
    return this.run((k) => sysUpdateBatch(k, id, ks, values, f));
  }

  /** `bpf(BPF_MAP_DELETE_BATCH)`: `keys` deleted in order, stopping at the first error; `count` is how many were deleted. */
  mapDeleteBatch(map: MapId | string, keys: readonly number[], elemFlags: number | bigint = 0): BatchWrite {
    const id = this.mapRef(map);
    const ks = batchKeys(keys);
    const f = toUnsigned(elemFlags, 64, 'elemFlags');
    return this.run((k) => sysDeleteBatch(k, id, ks, f));
  }

  /** The page states of the file at `path` as compact ranges, for people: `{ uptodate: '0-2,5', 'uptodate+ref': '3' }` (see `pageStates` for data). */
  pages(path: string): Record<string, string> {
    checkString('path', path);
    if (!this.world.paths.has(path)) throw new UnknownHandleError('path', path, 'file at path');
    return pageMap(this.world, path);
  }
  /** The cached pages of the file at `path` as data, ascending: `[{ page: 0, state: 'uptodate', refs: 0 }, …]`. */
  pageStates(path: string): PageInfo[] {
    return pageStates(this.world, path);
  }
  refs(): RefSnapshot {
    return refSnapshot(this.world);
  }
  events(): TraceEvent[] {
    return traceEvents(this.world.trace);
  }
  trace(): string {
    return formatTrace(this.world.trace);
  }

  /** Node's `util.inspect` (the REPL): the world at a glance (`Symbol.for('nodejs.util.inspect.custom')`, so the core imports no `node:` module). */
  [INSPECT](): string {
    return describeWorld(this.world);
  }
}

/** The keys of a batch command: an array of u32s (a C u32 each: -1 is 0xffffffff, as for the single commands). */
function batchKeys(keys: unknown): number[] {
  if (!Array.isArray(keys)) throw new ArgumentError('keys', keys, 'an array of u32 keys');
  return keys.map((key, i) => Number(toUnsigned(key, 32, `keys[${i}]`)));
}

/**
 * One kfunc call as one transition of the session's world: begun, called, settled and ended in line
 * (no closure, no bound table), since this is the call a user makes once per transition.
 */
function callKfunc(s: Session, def: AnyKfunc, args: unknown[]): unknown {
  // A session's world is a field its user may set (`s.world = w`): to anything.
  checkWorld('world', s.world);
  const k = begin(s.world, s.context);
  const ret = invoke(k, def, args);
  settle(k);
  s.world = end(k);
  return ret;
}

const KFUNC_DEFS = Object.entries(ALL_KFUNCS) as [string, AnyKfunc][];

// The kfunc methods: a getter on the prototype for each, which binds the method to the session the
// first time it is read there, so that a method taken off a session (`const { bpf_dynptr_size } = s`)
// still works. Made once here, not in the constructor: a session making a few calls does not pay for
// binding every kfunc.
for (const [name, def] of KFUNC_DEFS) {
  Object.defineProperty(Session.prototype, name, {
    configurable: true,
    enumerable: false,
    get(this: Session) {
      const method = (...args: unknown[]): unknown => callKfunc(this, def, args);
      Object.defineProperty(this, name, { enumerable: false, value: method });
      return method;
    },
  });
}
