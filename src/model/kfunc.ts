/**
 * How a kfunc is defined and called. A definition is data (name, the kernel function it mirrors,
 * typed arguments, the checks in order, the effects) plus one implementation function, so the same
 * definition drives the call path, the trace, the docs and `kernsim explain`.
 *
 * Arguments arrive as the TypeScript caller wrote them and are converted as C converts them: integer
 * arguments to their unsigned C type (`dsize` is u64 from 6.19 on, u32 on 6.18), handles checked.
 */
import { EINVAL, errnoName } from './errno.ts';
import { ArgumentError, KfuncUnavailableError } from './errors.ts';
import { errnoAsUnsigned, toUnsigned, type Int } from './ctypes.ts';
import { completeSleepSync, Sleep } from './io.ts';
import type { DynptrSlot, FileId } from './state.ts';
import type { MapId, Pid } from './task.ts';
import type { ProgType } from './program.ts';
import { UnknownHandleError } from './errors.ts';
import { versionAtLeast, type KernelVersion } from './version.ts';
import { emit, type Kern } from './world.ts';

export type ArgType =
  | 'u32' | 'u64' | 'dsize' | 'dynptr' | 'dynptr_uninit' | 'mem' | 'mem_or_null' | 'file'
  | 'task' | 'map' | 'tw' | 'callback' | 'aux';

export interface ArgSpec {
  readonly name: string;
  readonly type: ArgType;
  /** Memory the call writes (the interpreter passes a copy and stores it back). */
  readonly out?: boolean;
  /** The dynptr type the verifier demands (`bpf_dynptr_file_discard`: file). */
  readonly dynptrKind?: 'file';
}

/** `&value->tw`: the task_work slot of one map element. */
export interface TwRef {
  readonly map: MapId;
  readonly key: number;
}

type IntArg = 'u32' | 'u64' | 'dsize';
type ArgOut<T extends ArgType> = T extends IntArg ? bigint
  : T extends 'dynptr' | 'dynptr_uninit' ? DynptrSlot
  : T extends 'mem' ? Uint8Array
  : T extends 'mem_or_null' ? Uint8Array | null
  : T extends 'file' ? FileId
  : T extends 'task' ? Pid
  : T extends 'map' ? MapId
  : T extends 'tw' ? TwRef
  : T extends 'callback' ? string
  : T extends 'aux' ? null
  : never;
type ArgIn<T extends ArgType> = T extends IntArg ? Int : ArgOut<T>;

/** The implementation's view of the arguments (integers converted to bigint). */
export type ArgsOut<A extends readonly ArgSpec[]> = { -readonly [I in keyof A]: A[I] extends ArgSpec ? ArgOut<A[I]['type']> : never };
/** The caller's view of the arguments. */
export type ArgsIn<A extends readonly ArgSpec[]> = { -readonly [I in keyof A]: A[I] extends ArgSpec ? ArgIn<A[I]['type']> : never };

/**
 * What the kfunc returns: `int` (0 or a negative errno, a number), `dsize` (an unsigned size of the
 * version's dynptr width, a bigint), `bool`, or `ptr` (a view of memory, or null for NULL).
 */
export type RetType = 'int' | 'dsize' | 'u64' | 'bool' | 'ptr' | 'task' | 'file' | 'map_value' | 'void';
export type RetOf<R extends RetType> = R extends 'int' ? number
  : R extends 'dsize' | 'u64' ? bigint
  : R extends 'bool' ? boolean
  : R extends 'ptr' ? Uint8Array | null
  : R extends 'task' ? Pid | null
  : R extends 'file' ? FileId | null
  : R extends 'map_value' ? TwRef | null
  : undefined;

export interface KfuncDef<A extends readonly ArgSpec[] = readonly ArgSpec[], R extends RetType = RetType> {
  readonly name: string;
  /** The kernel function(s) this mirrors, with their file. */
  readonly mirrors: string;
  /** A kfunc, or a BPF helper (called the same way by programs). */
  readonly kind: 'kfunc' | 'helper';
  /** The first kernel version that has it. */
  readonly since: KernelVersion;
  /** The first kernel version that no longer has it (renamed or removed). */
  readonly until?: KernelVersion;
  /** Program types allowed to call it when a kfunc filter restricts it (`bpf_fs_kfuncs_filter`). */
  readonly progTypes?: readonly ProgType[];
  readonly summary: string;
  readonly args: A;
  readonly ret: R;
  /** BTF_ID_FLAGS of the kfunc (KF_ACQUIRE, KF_RELEASE, …), for documentation and the verifier. */
  readonly flags: readonly string[];
  /** The checks, in the order the kernel makes them, each with its result. */
  readonly checks: readonly string[];
  /** What a successful call changes. */
  readonly effects: readonly string[];
  /** Confidence of the rule (SEMANTICS.md): H read in source, M inferred, observed on a kernel. */
  readonly confidence: string;
  readonly impl: (k: Kern, ...args: ArgsOut<A>) => RetOf<R> | Sleep;
}

export type AnyKfunc = KfuncDef<readonly ArgSpec[], RetType>;

export function defineKfunc<const A extends readonly ArgSpec[], const R extends RetType>(def: KfuncDef<A, R>): KfuncDef<A, R> {
  return Object.freeze(def);
}

function convertArg(k: Kern, spec: ArgSpec, value: unknown): unknown {
  switch (spec.type) {
    case 'u32':
      return toUnsigned(value, 32, spec.name);
    case 'u64':
      return toUnsigned(value, 64, spec.name);
    case 'dsize':
      return toUnsigned(value, k.features.dynptrBits, spec.name);
    case 'dynptr':
    case 'dynptr_uninit':
      if (typeof value !== 'string' || value.length === 0) throw new ArgumentError(spec.name, value, 'a dynptr slot name');
      return value;
    case 'mem':
      if (!(value instanceof Uint8Array)) throw new ArgumentError(spec.name, value, 'a Uint8Array');
      return value;
    case 'mem_or_null':
      if (value !== null && !(value instanceof Uint8Array)) throw new ArgumentError(spec.name, value, 'a Uint8Array or null');
      return value;
    case 'file':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new ArgumentError(spec.name, value, 'a file handle');
      return value;
    case 'task':
      if (typeof value !== 'number' || !k.s.tasks.has(value)) throw new UnknownHandleError(spec.name, value, 'task');
      return value;
    case 'map':
      if (typeof value !== 'number' || !k.s.maps.has(value)) throw new UnknownHandleError(spec.name, value, 'map');
      return value;
    case 'tw': {
      const t = value as Partial<TwRef> | null;
      if (t === null || typeof t !== 'object' || typeof t.map !== 'number' || typeof t.key !== 'number') {
        throw new ArgumentError(spec.name, value, 'a task_work slot { map, key } (the verifier refuses NULL)');
      }
      return { map: t.map, key: t.key };
    }
    case 'callback':
      if (typeof value !== 'string' || value.length === 0) throw new ArgumentError(spec.name, value, 'a callback subprogram name');
      return value;
    case 'aux':
      return null;
  }
}

export function availableIn(def: AnyKfunc, version: KernelVersion): boolean {
  return versionAtLeast(version, def.since) && (def.until === undefined || !versionAtLeast(version, def.until));
}

/** Convert the caller's arguments; throws on a wrong count, type or version. */
export function convertArgs(k: Kern, def: AnyKfunc, raw: readonly unknown[]): unknown[] {
  return convertInPlace(k, def, [...raw]);
}

/** `convertArgs` into the array it is given (the caller's own, fresh array). */
function convertInPlace(k: Kern, def: AnyKfunc, args: unknown[]): unknown[] {
  if (!availableIn(def, k.features.version)) throw new KfuncUnavailableError(def.name, k.features.version, def.since, def.until);
  const specs = def.args;
  if (args.length !== specs.length) {
    throw new ArgumentError(`${def.name} arguments`, args.length, `${specs.length} arguments (${specs.map((a) => a.name).join(', ')})`);
  }
  for (let i = 0; i < specs.length; i += 1) args[i] = convertArg(k, specs[i] as ArgSpec, args[i]);
  return args;
}

function showInt(v: bigint): string {
  return v < 0x1_0000_0000n ? v.toString() : `0x${v.toString(16)}`;
}

function showArg(spec: ArgSpec, v: unknown): string {
  if (typeof v === 'bigint') return showInt(v);
  if (v === null) return 'NULL';
  if (spec.type === 'file') return `file#${String(v)}`;
  if (spec.type === 'task') return `task(pid ${String(v)})`;
  if (spec.type === 'map') return `map#${String(v)}`;
  if (spec.type === 'tw' && typeof v === 'object') return `&map#${(v as TwRef).map}[${(v as TwRef).key}].tw`;
  return String(v);
}

/** A return value as the trace shows it: errnos by name, unsigned errnos with their name. */
function showRet(bits: 32 | 64, def: AnyKfunc, v: unknown): string {
  switch (def.ret) {
    case 'int':
      return errnoName(v as number);
    case 'dsize': {
      const u = v as bigint;
      return u === errnoAsUnsigned(-EINVAL, bits) ? `${showInt(u)} (-EINVAL)` : showInt(u);
    }
    case 'bool':
      return String(v);
    case 'ptr':
      // The event keeps a returned pointer as its length (see lengthOnly).
      return v === null ? 'NULL' : `ptr[${(v as { bytes: number }).bytes}]`;
    case 'u64':
      return showInt(v as bigint);
    case 'task':
      return v === null ? 'NULL' : `task(pid ${String(v)})`;
    case 'file':
      return v === null ? 'NULL' : `file#${String(v)}`;
    case 'map_value':
      return v === null ? 'NULL' : `&map#${(v as TwRef).map}[${(v as TwRef).key}]`;
    case 'void':
      return 'void';
  }
}

/**
 * A kfunc call in the trace. It keeps the call's values and formats them when read: a batch makes many
 * calls and most traces are never printed. Memory arguments are kept as their length only.
 */
export class KfuncEvent {
  readonly kind = 'kfunc' as const;
  private readonly raw: readonly unknown[];
  private readonly value: unknown;
  /** `args` is the call's own array of converted arguments, kept with its memory replaced by lengths. */
  constructor(readonly t: number, private readonly def: AnyKfunc, args: unknown[], value: unknown, private readonly bits: 32 | 64, readonly ctx: string) {
    for (let i = 0; i < args.length; i += 1) if (args[i] instanceof Uint8Array) args[i] = lengthOnly(args[i]);
    this.raw = args;
    this.value = lengthOnly(value);
  }

  get name(): string {
    return this.def.name;
  }

  get args(): readonly string[] {
    return this.def.args.map((spec, i) => {
      const a = this.raw[i];
      return typeof a === 'object' && a !== null && 'bytes' in a ? `buf[${(a as { bytes: number }).bytes}]` : showArg(spec, a);
    });
  }

  get ret(): string {
    return showRet(this.bits, this.def, this.value);
  }
}

/** Memory is recorded by its length: the trace must not hold (or show) program memory. */
function lengthOnly(v: unknown): unknown {
  return v instanceof Uint8Array ? { bytes: v.length } : v;
}

/**
 * One attempt at a call with converted arguments: the result, or a `Sleep` when the call must wait.
 * The caller continues a sleeping call by setting `k.resume` to the sleep's `resume` and calling again.
 * The trace records the call once, when it returns, and keeps `args` (the call's own array of converted
 * arguments; its memory is replaced by lengths then).
 */
export function attempt(k: Kern, def: AnyKfunc, args: unknown[]): unknown {
  const impl = def.impl as (k: Kern, ...a: readonly unknown[]) => unknown;
  const r = impl(k, ...args);
  if (r instanceof Sleep) return r;
  k.resume = undefined;
  emit(k, new KfuncEvent(k.t.now, def, args, r, k.features.dynptrBits, k.ctx.label ?? ''));
  return r;
}

/**
 * Call a kfunc to completion. A sleep completes at once (no scheduler): virtual time advances. `raw`
 * is the caller's own array of arguments (a rest parameter): it is converted in place.
 */
export function invoke(k: Kern, def: AnyKfunc, raw: unknown[]): unknown {
  const args = convertInPlace(k, def, raw);
  k.resume = undefined;
  for (;;) {
    const r = attempt(k, def, args);
    if (!(r instanceof Sleep)) return r;
    completeSleepSync(k, r);
    k.resume = r.resume;
  }
}
