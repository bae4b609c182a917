/**
 * A session: a world held in one mutable place, for the REPL and for documentation pages. Each
 * method is one pure transition of the world it holds (`session.world` is always an immutable
 * value; earlier values stay valid). The kfuncs are methods under their kernel names.
 */
import * as cache from './model/fs/cache.ts';
import * as faults from './model/world/faults.ts';
import * as files from './model/fs/files.ts';
import { describeWorld, pageMap, refSnapshot, type RefSnapshot } from './model/world/inspect.ts';
import type { MethodsOf } from './model/kfunc/methods.ts';
import type { BpfObject, MapType } from './model/program/program.ts';
import type { MapId } from './model/maps/types.ts';
import { createMap, mapByName } from './model/maps/maps.ts';
import { ringbufConsume, ringInfo, ringOf, type RingInfo } from './model/ringbuf/ring.ts';
import { newPacket, type PacketSpec } from './model/packet/create.ts';
import { packetView, type PacketView } from './model/packet/types.ts';
import { UnknownHandleError } from './model/kernel/errors.ts';
import { userWrite } from './model/helpers/user.ts';
import { mapKernelMemory } from './model/helpers/kernel_mem.ts';
import { emit } from './model/world/world.ts';
import type { ObjId } from './model/program/loaded.ts';
import type { Pid } from './model/task/types.ts';
import { ALL_KFUNCS, ALL_KFUNC_METHODS } from './task_work/kfuncs.ts';
import { settle } from './task_work/settle.ts';
import { defaultChooser, type Chooser } from './scheduler/chooser.ts';
import { loadObject, reapTask, spawnTask, type LoadOptions, type NewTask } from './scheduler/setup.ts';
import { KernsimError } from './model/kernel/errors.ts';
import { errnoName } from './model/kernel/errno.ts';
import { run as runScheduler, step as stepScheduler, type RunOptions } from './scheduler/step.ts';
import type { FileId, Ino } from './model/fs/types.ts';
import { formatTrace, traceEvents, type TraceEvent } from './model/world/trace.ts';
import { createWorld, INSPECT, NON_SLEEPABLE, SLEEPABLE, transact, type CallContext, type Kern, type WorldOptions } from './model/world/world.ts';
import { type World } from './model/world/state.ts';

/** A BPF object the kernel (or the model's verifier) refused to load. */
export class LoadError extends KernsimError {
  override name = 'LoadError';
  constructor(readonly object: string, readonly errno: number, readonly verifier: string | null) {
    super(`loading ${object} failed with ${errnoName(errno)}${verifier === null ? '' : `: ${verifier}`}`);
  }
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
}

export interface SessionOptions extends WorldOptions {
  /** Whether kfunc calls run in a sleepable context (default false, like an `lsm/` program). */
  readonly sleepable?: boolean;
}

/** Every kfunc and helper, as functions of their kernel arguments. */
export type KfuncMethods = MethodsOf<typeof ALL_KFUNCS>;

// The kfunc methods are added in the constructor from the kfunc table.
export interface Session extends KfuncMethods {}

export class Session {
  world: World;
  context: CallContext;

  constructor(opts: SessionOptions = {}) {
    this.world = createWorld(opts);
    this.context = opts.sleepable === true ? SLEEPABLE : NON_SLEEPABLE;
    for (const name of Object.keys(ALL_KFUNCS) as (keyof KfuncMethods)[]) {
      Object.defineProperty(this, name, {
        enumerable: false,
        value: (...args: unknown[]) => this.run((_k, kf) => (kf[name] as (...a: unknown[]) => unknown)(...args)),
      });
    }
  }

  /** Run `body` as one transition; the session's world becomes the result. */
  run<T>(body: (k: Kern, kf: KfuncMethods) => T): T {
    const { world, result } = transact(this.world, this.context, (k) => {
      const r = body(k, ALL_KFUNC_METHODS.bind(k));
      settle(k);
      return r;
    });
    this.world = world;
    return result;
  }

  /** Switch the calling context: sleepable (an `lsm.s/` program, a task_work callback) or not. */
  sleepable(on = true): this {
    this.context = this.context.task === undefined ? (on ? SLEEPABLE : NON_SLEEPABLE) : { ...this.context, sleepable: on };
    return this;
  }

  /**
   * Make kfunc calls run as task `pid` (`current`: whose user memory the probe-read and
   * copy-from-user kfuncs read), or as no task (`null`).
   */
  inTask(pid: Pid | null): this {
    const sleepable = this.context.sleepable;
    this.context = pid === null ? (sleepable ? SLEEPABLE : NON_SLEEPABLE) : { sleepable, task: pid, label: `pid ${pid}` };
    return this;
  }

  createFile(spec: files.NewFile): Ino {
    return this.run((k) => files.createInode(k, spec));
  }
  open(path: string): FileId {
    return this.run((k) => files.openFile(k, path));
  }
  get_file(file: FileId): void {
    this.run((k) => files.getFile(k, file));
  }
  fput(file: FileId): void {
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
      throw new LoadError(obj.name, r.ret, r.rejected === null ? null : `${r.rejected.program}: ${r.rejected.message ?? ''}`);
    }
    return r.obj;
  }
  /**
   * `BPF_MAP_CREATE`: the map's id, or the negative errno the kernel returns (a ring buffer's size and
   * flag rules: src/model/ringbuf/ring.ts).
   */
  createMap(spec: NewMap): MapId | number {
    const ringbuf = spec.type === 'ringbuf';
    const name = spec.name ?? `map${this.world.ids.map}`;
    return this.run((k) => {
      const id = createMap(k, {
        name, type: spec.type, maxEntries: spec.maxEntries, valueSize: spec.valueSize ?? (ringbuf ? 0 : 8),
        taskWorkFields: spec.taskWorkFields ?? 0, keySize: spec.keySize, flags: spec.flags,
      });
      emit(k, { kind: 'map', t: k.t.now, op: 'create', map: name, key: -1, ret: id < 0 ? id : 0 });
      return id;
    });
  }
  /** The map id of a ring buffer given by id or by name. */
  private ringId(map: MapId | string): MapId {
    return typeof map === 'string' ? this.run((k) => mapByName(k, map).id) : map;
  }
  /**
   * Read a ring buffer as libbpf's `ring_buffer__consume` does (at most `n` records: `…consume_n`):
   * the payloads of the committed records in order, up to the first one still reserved; discarded
   * ones are skipped. The consumer position moves past what was read.
   */
  ringbufConsume(map: MapId | string, n?: number): Uint8Array[] {
    const id = this.ringId(map);
    return this.run((k) => ringbufConsume(k, id, n).map((r) => r.data));
  }
  /** A ring buffer's positions and counters. */
  ringbuf(map: MapId | string): RingInfo {
    const id = this.ringId(map);
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
  /** The bytes and layout of packet `id`. */
  packetView(id: number): PacketView {
    const p = this.world.packets.get(id);
    if (p === undefined) throw new UnknownHandleError('id', id, 'packet');
    return packetView(p);
  }
  /** Task `pid` writes `bytes` (a string: its bytes and a NUL) at `addr` of its user memory. */
  writeUser(pid: Pid, addr: number | bigint, bytes: Uint8Array | string): void {
    const b = typeof bytes === 'string' ? new Uint8Array([...new TextEncoder().encode(bytes), 0]) : bytes;
    this.run((k) => userWrite(k, pid, BigInt(addr), b));
  }
  /** Map `bytes` at kernel address `addr` (a bigint from 0xffff800000000000), for the kernel probe-read kfuncs. */
  mapKernelMemory(addr: bigint, bytes: Uint8Array): void {
    this.run((k) => mapKernelMemory(k, addr, bytes));
  }

  /** A new task in user mode, about to run `script`. */
  spawn(task: NewTask): Pid {
    return this.run((k) => spawnTask(k, task));
  }
  reap(pid: Pid): void {
    this.run((k) => reapTask(k, pid));
  }
  /** Run the scheduler until nothing is ready (default chooser: the ordinary schedule). */
  simulate(chooser: Chooser = defaultChooser, opts?: RunOptions): this {
    this.world = runScheduler(this.world, chooser, opts);
    return this;
  }
  /** One scheduler step; false when nothing was ready. */
  step(chooser: Chooser = defaultChooser): boolean {
    const r = stepScheduler(this.world, chooser);
    this.world = r.world;
    return !r.done;
  }
  /** A global of a loaded object, as user space reads it through the skeleton. */
  global(name: string): bigint | Uint8Array | undefined {
    for (const o of this.world.objects.values()) {
      const g = o.globals.get(name);
      if (g !== undefined) return g as bigint | Uint8Array;
    }
    return undefined;
  }

  pages(path: string): Record<string, string> {
    return pageMap(this.world, path);
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
