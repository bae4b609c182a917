/**
 * kernsim: a deterministic, executable model of Linux kernel semantics around BPF file dynptrs.
 *
 * Three ways in:
 * - `new Session()` holds a world for you: `s.bpf_dynptr_read(buf, 8, 'd', 0, 0)` returns what the
 *   kernel returns and advances `s.world`.
 * - The pure functions under the kfuncs' kernel names take a world and a calling context first:
 *   `bpf_dynptr_read(world, SLEEPABLE, buf, 8, 'd', 0, 0)` returns `{ world, ret }`.
 * - `transact(world, ctx, (k) => …)` runs a batch as one transition; `kfuncsOf(k)` binds the kfuncs
 *   to it, and `files`/`cache` hold the set-up operations (create, open, populate, evict, inject).
 */
import { type ArgsOfDef, type MethodsOf, type RetOfDef } from './model/kfunc/methods.ts';
import { begin, checkKern, end, type CallContext, type Kern } from './model/world/world.ts';
import { ArgumentError } from './model/kernel/errors.ts';
import { checkContext, checkData, checkWorld } from './model/kernel/args.ts';
import { didYouMean } from './model/kernel/suggest.ts';
import { kfuncDef } from './model/kfunc/registry.ts';
import { ProgramSchema } from './model/program/schema.ts';
import { checkObject } from './model/program/names.ts';
import { invoke, type AnyKfunc } from './model/kfunc/kfunc.ts';
import { type World } from './model/world/state.ts';
import { ALL_KFUNCS, ALL_KFUNC_METHODS } from './task_work/kfuncs.ts';
import { settle } from './task_work/settle.ts';
import { verifyObject as verifyObjectImpl, verifyProgram as verifyProgramImpl, type Verdict, type VerifyOptions } from './model/verifier/verify.ts';
import { renderC as renderCImpl } from './model/program/render.ts';
import { DEFAULT_VERSION, isKernelVersion, KERNEL_VERSIONS, withOverrides, type FeatureOverrides, type KernelVersion } from './model/kernel/version.ts';
import type { BpfObject, Program } from './model/program/program.ts';
import type { KfuncDef } from './model/kfunc/kfunc.ts';

export * from './model/kernel/errno.ts';
export * from './model/kernel/errors.ts';
export { U32_MAX, U64_MAX, S64_MAX, toU32, toU64, type Int } from './model/kernel/ctypes.ts';
export { content, type Content } from './model/fs/content.ts';
export { KERNEL_VERSIONS, DEFAULT_VERSION, versionAtLeast, withOverrides, type FeatureOverrides, type KernelVersion, type VersionFeatures } from './model/kernel/version.ts';
export { createWorld, transact, featuresOf, SLEEPABLE, NON_SLEEPABLE, type CallContext, type Kern, type WorldOptions } from './model/world/world.ts';
export { type World } from './model/world/state.ts';
export type { ColdState, WorldState } from './model/world/state.ts';
export type { Dynptr, DynptrSlot, LocalDynptr, FileDynptr, RingbufDynptr, PacketDynptr, SkbDynptr, SkbMetaDynptr, XdpDynptr, NullDynptr } from './model/dynptr/types.ts';
export type { RingState, RingFields } from './model/ringbuf/state.ts';
export { BPF_RB_NO_WAKEUP, BPF_RB_FORCE_WAKEUP, BPF_F_RB_OVERWRITE, BPF_F_NUMA_NODE, BPF_RINGBUF_BUSY_BIT, BPF_RINGBUF_DISCARD_BIT, BPF_RINGBUF_HDR_SZ } from './model/ringbuf/state.ts';
export type { RingInfo, RingRecord, RingbufAttr } from './model/ringbuf/ring.ts';
export * as rings from './model/ringbuf/ring.ts';
export type { Packet, SkbPacket, XdpPacket, SkbProgType, PacketView } from './model/packet/types.ts';
export { SKB_PROG_TYPES, packetView } from './model/packet/types.ts';
export type { PacketSpec, SkbSpec, XdpSpec } from './model/packet/create.ts';
export * as packets from './model/packet/create.ts';
export { BPF_F_RECOMPUTE_CSUM, BPF_F_INVALIDATE_HASH } from './model/packet/skb.ts';
export { userWrite } from './model/helpers/user.ts';
export { mapKernelMemory } from './model/helpers/kernel_mem.ts';
export { createMap } from './model/maps/maps.ts';
export type { FileDynptrState } from './model/dynptr/file/state.ts';
export type { FileId, FileObj, Ino, Inode } from './model/fs/types.ts';
export type { Faults, HotName, HotState, Ids, Table, Tables, TableWriter } from './model/world/tables.ts';
export type { NameKey, NameKind } from './model/world/names.ts';
export type { IdTable } from './model/world/idtable.ts';
export type { OrderedTree } from './model/world/ordered.ts';
export type { ScriptTable } from './model/world/scripts.ts';
export type { WorkList } from './model/task/work_list.ts';
export type { Log } from './model/world/log.ts';
export type { WorldValue } from './model/world/state.ts';
export type { TaskRecord } from './model/task/record.ts';
export type { RunQueue, EventGroup, IntSet, IoEvent } from './model/task/runqueue.ts';
export type { LoadedObject, ReadonlyLoadedObject } from './model/program/loaded.ts';
export { ALL_KFUNCS } from './task_work/kfuncs.ts';
export type { KfuncRegistry } from './model/kfunc/registry.ts';
export type { AnyKfunc, KfuncDef, ArgSpec, RetType, TwRef } from './model/kfunc/kfunc.ts';
export type { KptrArg, KptrRef, KptrVal } from './model/kptr/types.ts';
export * as program from './model/program/program.ts';
export type { BpfObject, Program, Subprog, Op, Arg, MapDecl, KptrDecl, GlobalDecl, Local, LocalType, Param, MemSize, AluFn, Cmp } from './model/program/program.ts';
export type { Task, ReadonlyTask, TaskFlags, TaskState, TwCtx, TwState, TwaMode, Syscall, Pid, IrqWork, Work, WorkFn } from './model/task/types.ts';
export { TW_STATES } from './model/task/types.ts';
export type { MapId, MapElem, MapSlot } from './model/maps/types.ts';
/** A map's element memory, elements, LRU lists, queue ring and bloom bits (`world.maps.get(id).slots`, `.elems`, `.lru.next`, …): a table of numbered entries, iterated in ascending order. */
export type { ReadonlySlotTable, SlotTable } from './model/maps/slots.ts';
/** An LRU_HASH map's lists (`world.maps.get(id).lru`): which list each node is on, by `LRU_LIST_NAMES`, and the links. */
export { LRU_LIST_NAMES, lruNodes, type LruList, type LruState } from './model/maps/lru.ts';
export type { ObjId, ProgId } from './model/program/loaded.ts';
export { defaultChooser, seededChooser, listChooser, type Chooser } from './scheduler/chooser.ts';
export { loadObject, mapCreateFailure, spawnTask, reapTask, type NewTask, type LoadOptions, type LoadResult } from './scheduler/setup.ts';
export { objectBtfRefusal, type BtfRefusal } from './model/btf/object.ts';
export { run, step, stepIndex, readyActions, type Action, type RunOptions } from './scheduler/step.ts';
export { settle } from './task_work/settle.ts';
export { taskWorkOutcomes, twTransitions, type Outcomes } from './task_work/outcomes.ts';
export { parseScenario, runScenario, ScenarioError, statesClasses, type Scenario, type ScenarioInput, type ScenarioRun, type RunScenarioOptions, type Check, type Observed, type Expectations, type FileSpec, type Problem } from './scenario/run.ts';
export { type ExpectClass } from './scenario/schema.ts';
export { exploreScenario, type ScenarioExploration, type ExploreScenarioOptions, type ClassifiedCheck, type Witness, type FoundClass } from './explore/scenario.ts';
export { explore, countSchedules, witnessPath, replayPath, actionId, enabled, EXPLORE_DEFAULTS, NO_OBSERVER, type ExploreOptions, type ExploreStats, type Explored, type Observer, type Bound, type Node as ExploreNode, type Edge as ExploreEdge } from './explore/explore.ts';
export { canonicalKey, canonicalText } from './explore/canon.ts';
export { independent, type Footprint } from './explore/footprint.ts';
export { SCENARIO_SCHEMA, ScenarioSchema } from './scenario/schema.ts';
export { ArgSchema, OpSchema, CondSchema, BpfObjectSchema } from './model/program/schema.ts';
export { SyscallSchema, NewTaskSchema } from './model/task/syscall_schema.ts';
export { DEFAULT_BUDGETS, BUDGET_NAMES, type Budgets } from './model/kernel/budget.ts';
export { LIMITS } from './model/kernel/schema.ts';
export { parseIntText, type IntKind } from './model/kernel/ctypes.ts';
export { timelineSvg, timelineHtml } from './timeline/svg.ts';
export { scenarioMarkdown, type ScenarioMarkdownOptions } from './docs/markdown.ts';
export { kfuncMarkdown, cPrototype, cPrototypes } from './docs/kfunc_page.ts';
export { kfuncExample } from './docs/kfunc_examples.ts';
export { perfettoTrace, type PerfettoTrace, type TraceEventJson } from './timeline/perfetto.ts';
export { type Verdict, type Specialization } from './model/verifier/verify.ts';
export { FILE_DYNPTR_PROG_TYPES, FILE_DYNPTR_EXCLUDED } from './model/program/prog_types.ts';

export type KfuncName = keyof typeof ALL_KFUNCS;
export type KfuncArgs<N extends KfuncName> = ArgsOfDef<(typeof ALL_KFUNCS)[N]>;
export type KfuncRet<N extends KfuncName> = RetOfDef<(typeof ALL_KFUNCS)[N]>;
export type { KfuncMethods } from './session.ts';

/** Every kfunc bound to the transition `k` (use inside `transact`; call `settle(k)` before it ends if you used maps or files from a task). */
export function kfuncsOf(k: Kern): MethodsOf<typeof ALL_KFUNCS> {
  checkKern('k', k);
  return ALL_KFUNC_METHODS.bind(k);
}
export { DYNPTR_MAX_SIZE } from './model/dynptr/core.ts';
export { formatTrace, formatEvent, traceEvents, TW_TRANSITIONS, type Trace, type TraceEvent, type TwTransition } from './model/world/trace.ts';
export { describeWorld, pageMap, pageStates, refSnapshot, stateBytes, type PageInfo, type RefSnapshot } from './model/world/inspect.ts';
export { PAGE_SIZE, type Mapping, type MappingState, type PageState } from './pagecache/index.ts';
export * as files from './model/fs/files.ts';
export * as cache from './model/fs/cache.ts';
export type { BatchLookup, BatchWrite } from './model/maps/batch.ts';
export { Session, LoadError, type SessionOptions, type NewMap, type ObjRef, type ActionPick, type ProgramCalls, type TestRunOptions, type TestRunResult } from './session.ts';
export { taskWorkOf, taskWorkCtx, type TaskWorkInfo } from './task_work/inspect.ts';

/** One kfunc call as a pure function: `{ world, ret }`. */
export type PureKfunc<N extends KfuncName> = (world: World, ctx: CallContext, ...args: KfuncArgs<N>) => { world: World; ret: KfuncRet<N> };

/** One call of `def` as one transition of `world` (no closure: the call a user makes once per transition). */
function callOnce(world: World, ctx: CallContext, def: AnyKfunc, args: unknown[]): { world: World; ret: unknown } {
  checkWorld('world', world);
  checkContext('ctx', ctx);
  const k = begin(world, ctx);
  const ret = invoke(k, def, args);
  settle(k);
  return { world: end(k), ret };
}

function pure<N extends KfuncName>(name: N): PureKfunc<N> {
  const def = (ALL_KFUNCS as Readonly<Record<string, AnyKfunc>>)[name] as AnyKfunc;
  return (world, ctx, ...args) => callOnce(world, ctx, def, args) as { world: World; ret: KfuncRet<N> };
}

/** Call kfunc `name` once on `world`: `call(world, ctx, 'bpf_dynptr_size', 'd')`. */
export function call<N extends KfuncName>(world: World, ctx: CallContext, name: N, ...args: KfuncArgs<N>): { world: World; ret: KfuncRet<N> } {
  if (typeof name !== 'string' || kfuncDef(name) === undefined) throw new ArgumentError('name', name, `a kfunc or helper kernsim models${typeof name === 'string' ? didYouMean(name, Object.keys(ALL_KFUNCS)) : ''}`);
  return pure(name)(world, ctx, ...args);
}

/** kernel/bpf/helpers.c `bpf_dynptr_from_mem`. */
export const bpf_dynptr_from_mem = pure('bpf_dynptr_from_mem');
/** kernel/bpf/helpers.c `bpf_dynptr_from_file` (sleepable call sites: `bpf_dynptr_from_file_sleepable`). */
export const bpf_dynptr_from_file = pure('bpf_dynptr_from_file');
/** kernel/bpf/helpers.c `__bpf_dynptr_read`; FILE: `bpf_file_fetch_bytes`, lib/freader.c. */
export const bpf_dynptr_read = pure('bpf_dynptr_read');
/** kernel/bpf/helpers.c `__bpf_dynptr_write`. */
export const bpf_dynptr_write = pure('bpf_dynptr_write');
/** kernel/bpf/helpers.c `bpf_dynptr_adjust`. */
export const bpf_dynptr_adjust = pure('bpf_dynptr_adjust');
/** kernel/bpf/helpers.c `bpf_dynptr_size`. */
export const bpf_dynptr_size = pure('bpf_dynptr_size');
/** kernel/bpf/helpers.c `bpf_dynptr_is_null`. */
export const bpf_dynptr_is_null = pure('bpf_dynptr_is_null');
/** kernel/bpf/helpers.c `bpf_dynptr_is_rdonly`. */
export const bpf_dynptr_is_rdonly = pure('bpf_dynptr_is_rdonly');
/** kernel/bpf/helpers.c `bpf_dynptr_clone`. */
export const bpf_dynptr_clone = pure('bpf_dynptr_clone');
/** kernel/bpf/helpers.c `bpf_dynptr_slice`. */
export const bpf_dynptr_slice = pure('bpf_dynptr_slice');
/** kernel/bpf/helpers.c `bpf_dynptr_slice_rdwr`. */
export const bpf_dynptr_slice_rdwr = pure('bpf_dynptr_slice_rdwr');
/** kernel/bpf/helpers.c `bpf_dynptr_data`. */
export const bpf_dynptr_data = pure('bpf_dynptr_data');
/** kernel/bpf/helpers.c `bpf_dynptr_file_discard`; lib/freader.c `freader_cleanup`. */
export const bpf_dynptr_file_discard = pure('bpf_dynptr_file_discard');
/** kernel/bpf/helpers.c `bpf_dynptr_memset`. */
export const bpf_dynptr_memset = pure('bpf_dynptr_memset');
/** kernel/bpf/helpers.c `bpf_dynptr_copy`. */
export const bpf_dynptr_copy = pure('bpf_dynptr_copy');
/** kernel/bpf/ringbuf.c `bpf_ringbuf_reserve_dynptr`. */
export const bpf_ringbuf_reserve_dynptr = pure('bpf_ringbuf_reserve_dynptr');
/** kernel/bpf/ringbuf.c `bpf_ringbuf_submit_dynptr`. */
export const bpf_ringbuf_submit_dynptr = pure('bpf_ringbuf_submit_dynptr');
/** kernel/bpf/ringbuf.c `bpf_ringbuf_discard_dynptr`. */
export const bpf_ringbuf_discard_dynptr = pure('bpf_ringbuf_discard_dynptr');
/** net/core/filter.c `bpf_dynptr_from_skb` (read-only variant where the program type cannot write packets). */
export const bpf_dynptr_from_skb = pure('bpf_dynptr_from_skb');
/** net/core/filter.c `bpf_dynptr_from_skb_meta`. */
export const bpf_dynptr_from_skb_meta = pure('bpf_dynptr_from_skb_meta');
/** net/core/filter.c `bpf_dynptr_from_xdp`. */
export const bpf_dynptr_from_xdp = pure('bpf_dynptr_from_xdp');
/** kernel/trace/bpf_trace.c `bpf_probe_read_user_dynptr`. */
export const bpf_probe_read_user_dynptr = pure('bpf_probe_read_user_dynptr');
/** kernel/trace/bpf_trace.c `bpf_probe_read_kernel_dynptr`. */
export const bpf_probe_read_kernel_dynptr = pure('bpf_probe_read_kernel_dynptr');
/** kernel/trace/bpf_trace.c `bpf_probe_read_user_str_dynptr`. */
export const bpf_probe_read_user_str_dynptr = pure('bpf_probe_read_user_str_dynptr');
/** kernel/trace/bpf_trace.c `bpf_probe_read_kernel_str_dynptr`. */
export const bpf_probe_read_kernel_str_dynptr = pure('bpf_probe_read_kernel_str_dynptr');
/** kernel/trace/bpf_trace.c `bpf_copy_from_user_dynptr`. */
export const bpf_copy_from_user_dynptr = pure('bpf_copy_from_user_dynptr');
/** kernel/trace/bpf_trace.c `bpf_copy_from_user_str_dynptr`. */
export const bpf_copy_from_user_str_dynptr = pure('bpf_copy_from_user_str_dynptr');
/** kernel/trace/bpf_trace.c `bpf_copy_from_user_task_dynptr`. */
export const bpf_copy_from_user_task_dynptr = pure('bpf_copy_from_user_task_dynptr');
/** kernel/trace/bpf_trace.c `bpf_copy_from_user_task_str_dynptr`. */
export const bpf_copy_from_user_task_str_dynptr = pure('bpf_copy_from_user_task_str_dynptr');

/**
 * Verify every program of `obj` as Linux `version` would (default 6.19); `features`: the build's own
 * rules where they differ from its version's (`WorldOptions.features`).
 */
export function verify(obj: BpfObject, version: KernelVersion = DEFAULT_VERSION, features?: FeatureOverrides): Verdict[] {
  if (!isKernelVersion(version)) throw new ArgumentError('version', version, `one of ${Object.keys(KERNEL_VERSIONS).join(', ')}`);
  return verifyObjectImpl(checkObject('obj', obj), { features: withOverrides(KERNEL_VERSIONS[version], features, 'features'), kfuncs: ALL_KFUNCS as unknown as Readonly<Record<string, KfuncDef>> });
}

/** Verify one program of `obj` with explicit options (`verify` does every program of an object). */
export function verifyProgram(obj: BpfObject, prog: Program, opts: VerifyOptions): Verdict {
  const o = checkObject('obj', obj);
  const p = checkData('prog', ProgramSchema, prog);
  if (opts === null || typeof opts !== 'object' || typeof opts.features !== 'object' || opts.features === null || typeof opts.kfuncs !== 'object') {
    throw new ArgumentError('opts', opts, 'verifier options ({ features: KERNEL_VERSIONS[v], kfuncs: ALL_KFUNCS })');
  }
  return verifyProgramImpl(o, p, opts);
}

/** Render `obj` as BPF C (`SEC(...)` programs, maps, globals, `__ksym` externs). */
export function renderC(obj: BpfObject): string {
  return renderCImpl(checkObject('obj', obj), ALL_KFUNCS as unknown as Readonly<Record<string, KfuncDef>>);
}
