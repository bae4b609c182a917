/**
 * How a kfunc is defined and called. A definition is data (name, the kernel function it mirrors,
 * typed arguments, the checks in order, the effects) plus one implementation function, so the same
 * definition drives the call path, the trace, the docs and `kernsim explain`.
 *
 * Arguments arrive as the TypeScript caller wrote them and are converted as C converts them: integer
 * arguments to their unsigned C type (`dsize` is u64 from 6.19 on, u32 on 6.18), handles checked.
 */
import { ArgumentError, KernsimError, KfuncUnavailableError, UnknownHandleError } from '../kernel/errors.ts';
import { toUnsigned } from '../kernel/ctypes.ts';
import { completeSleepSync, Sleep } from '../fs/io.ts';
import { Preempt } from './preempt.ts';

export { Preempt } from './preempt.ts';
import { versionAtLeast, type KernelVersion } from '../kernel/version.ts';
import { emit, type Kern } from '../world/world.ts';
import { KfuncEvent } from './event.ts';
import type { AnyKfunc, ArgSpec, ArgType, KfuncDef, RetType, TwRef } from './types.ts';
import type { KptrRef } from '../kptr/types.ts';

export type { AnyKfunc, ArgSpec, ArgsIn, ArgsOut, ArgType, KfuncDef, RetOf, RetType, RingSample, TwRef } from './types.ts';

export function defineKfunc<const A extends readonly ArgSpec[], const R extends RetType>(def: KfuncDef<A, R>): KfuncDef<A, R> {
  Object.defineProperty(def, PLAN, { value: planOf(def) });
  return Object.freeze(def);
}

/**
 * How `convertArg` converts an argument, by number: the types most calls pass have their own (a
 * switch on a small integer is a jump, where one on the type's text compared it with each case's,
 * and read it from specs of as many shapes as there are kinds of argument); 0 for every other type,
 * which `convertOther` converts. A 16-byte read took some 140 instructions fewer, 2.3 % (bench/README.md,
 * "Calls, stop 62").
 */
const TO_U32 = 1;
const TO_U64 = 2;
const TO_DSIZE = 3;
const SLOT_NAME = 4;
const MEMORY = 5;
const MEMORY_OR_NULL = 6;
const CONVERSION: Partial<Readonly<Record<ArgType, number>>> = { u32: TO_U32, u64: TO_U64, dsize: TO_DSIZE, dynptr: SLOT_NAME, dynptr_uninit: SLOT_NAME, mem: MEMORY, mem_or_null: MEMORY_OR_NULL };

/** Where a definition keeps its plan: a symbol, so that it is not one of the data's own fields (docs, `explain`). */
const PLAN: unique symbol = Symbol('kernsim.conversions');

/**
 * The conversion of each argument of `def` (`CONVERSION`), in order; never written after. Bytes, not
 * a frozen array: V8 loads the elements of a frozen array through a slower path (with one, a 16-byte
 * read took some 400 instructions more than with no plan at all).
 */
function planOf(def: { readonly args: readonly ArgSpec[] }): Uint8Array {
  return Uint8Array.from(def.args, (a) => CONVERSION[a.type] ?? 0);
}

/** The bits an integer argument of this type passes (`dsize`: the version's dynptr width); 64 for any other. */
export function argBits(type: ArgType, dynptrBits: 32 | 64): number {
  return type === 'u8' ? 8 : type === 'u32' ? 32 : type === 'dsize' ? dynptrBits : 64;
}

/**
 * An argument as the kfunc receives it, or an error naming it. The integers, dynptr slots and memory
 * most calls pass are converted here; every other type by `convertOther`. Split so that this one stays
 * small enough for V8 to inline where the arguments are converted: the whole switch was 1,775 bytes of
 * bytecode, called once an argument (bench/README.md, stop 58).
 */
function convertArg(k: Kern, spec: ArgSpec, conversion: number, value: unknown): unknown {
  // The spec's name is read only for an error: `toUnsigned` takes the spec itself.
  switch (conversion) {
    case TO_U32:
      return toUnsigned(value, 32, spec);
    case TO_U64:
      return toUnsigned(value, 64, spec);
    case TO_DSIZE:
      return toUnsigned(value, k.features.dynptrBits, spec);
    case SLOT_NAME:
      if (typeof value !== 'string' || value.length === 0) throw new ArgumentError(spec.name, value, 'a dynptr slot name');
      return value;
    case MEMORY:
      if (!(value instanceof Uint8Array)) throw new ArgumentError(spec.name, value, 'a Uint8Array');
      return value;
    case MEMORY_OR_NULL:
      if (value !== null && !(value instanceof Uint8Array)) throw new ArgumentError(spec.name, value, 'a Uint8Array or null');
      return value;
    default:
      return convertOther(k, spec, value);
  }
}

/** `convertArg` for the types it leaves. */
function convertOther(k: Kern, spec: ArgSpec, value: unknown): unknown {
  switch (spec.type) {
    case 'u8':
      return BigInt.asUintN(8, toUnsigned(value, 64, spec.name));
    case 'file':
    case 'path':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new ArgumentError(spec.name, value, 'a file handle');
      return value;
    case 'task':
      if (typeof value !== 'number' || !k.t.tasks.has(value)) throw new UnknownHandleError(spec.name, value, 'task');
      return value;
    case 'task_or_null':
    case 'task_ptr_or_null':
      if (value === null) return null;
      if (typeof value !== 'number' || !k.t.tasks.has(value)) throw new UnknownHandleError(spec.name, value, 'task (or null)');
      return value;
    case 'map':
      if (typeof value !== 'number' || !k.cold.maps.has(value)) throw new UnknownHandleError(spec.name, value, 'map');
      return value;
    case 'kptr': {
      const t = value as Partial<KptrRef> | null;
      if (t === null || typeof t !== 'object' || typeof t.map !== 'number' || typeof t.key !== 'number' || typeof t.field !== 'number' || (t.slot !== undefined && typeof t.slot !== 'number')) {
        throw new ArgumentError(spec.name, value, 'a kptr field { map, key, field, slot? } (the verifier refuses anything else)');
      }
      const m = k.cold.maps.get(t.map);
      if (m === undefined) throw new UnknownHandleError(spec.name, t.map, 'map');
      const slot = t.slot ?? m.elems.get(t.key)?.slot;
      if (slot === undefined || !m.slots.has(slot)) throw new UnknownHandleError(spec.name, t.key, 'map element (deleted? pass the slot of a value pointer)');
      const f = m.layout.fields.find((x) => x.kind === 'kptr' && x.index === t.field);
      if (f === undefined || f.kind !== 'kptr' || !f.ref) throw new ArgumentError(spec.name, t.field, `a referenced kptr field of map ${m.name}`);
      return { map: t.map, key: t.key, slot, field: t.field } satisfies KptrRef;
    }
    case 'tw': {
      const t = value as Partial<TwRef> | null;
      if (t === null || typeof t !== 'object' || typeof t.map !== 'number' || typeof t.key !== 'number' || (t.slot !== undefined && typeof t.slot !== 'number')) {
        throw new ArgumentError(spec.name, value, 'a task_work slot { map, key, slot? } (the verifier refuses NULL)');
      }
      if (t.slot !== undefined) return { map: t.map, key: t.key, slot: t.slot };
      // From the API, without a slot: the memory of the element now holding the key.
      const m = k.cold.maps.get(t.map);
      const e = m?.elems.get(t.key);
      if (m === undefined || e === undefined) throw new UnknownHandleError(spec.name, t.key, 'map element (deleted? pass the slot of a value pointer)');
      return { map: t.map, key: t.key, slot: e.slot };
    }
    case 'callback':
      if (typeof value !== 'string' || value.length === 0) throw new ArgumentError(spec.name, value, 'a callback subprogram name');
      return value;
    case 'aux':
      return null;
    case 'skb':
    case 'xdp_md': {
      const kind = spec.type === 'skb' ? 'skb' : 'xdp';
      if (typeof value !== 'number' || k.t.packets.get(value)?.kind !== kind) {
        throw new UnknownHandleError(spec.name, value, spec.type === 'skb' ? 'skb context (a packet of kind skb)' : 'xdp_md context (a packet of kind xdp)');
      }
      return value;
    }
    case 'ringbuf_mem': {
      const r = value as { map?: unknown; rec?: unknown } | null;
      if (r === null || typeof r !== 'object' || typeof r.map !== 'number' || typeof r.rec !== 'number') {
        throw new ArgumentError(spec.name, value, 'a ring buffer record { map, rec } that bpf_ringbuf_reserve returned (the verifier refuses anything else)');
      }
      return { map: r.map, rec: r.rec };
    }
    case 'iter':
    case 'iter_uninit':
    case 'const_str':
      if (!(value instanceof Uint8Array)) throw new ArgumentError(spec.name, value, 'a Uint8Array');
      return value;
    case 'percpu':
      if (value !== null && !(value instanceof Uint8Array)) throw new ArgumentError(spec.name, value, 'a Uint8Array or null');
      return value;
    case 'any':
      return value;
    case 'u64s':
      if (value === null) return null;
      if (!Array.isArray(value)) throw new ArgumentError(spec.name, value, 'an array of u64 values (numbers, or Uint8Arrays for memory a pointer points at), or null');
      return value.map((v: unknown, i) => (v instanceof Uint8Array ? v : toUnsigned(v, 64, `${spec.name}[${i}]`)));
    case 'choice':
      return toUnsigned(value, 64, spec.name);
    default:
      // The integers, dynptr slots and memory, which `convertArg` converts itself (`CONVERSION`).
      throw new KernsimError(`convertOther was given argument ${spec.name} of type ${spec.type}, which convertArg converts`);
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
  // A definition made without `defineKfunc` has no plan: its own, made for this call.
  const plan = (def as { readonly [PLAN]?: Uint8Array })[PLAN] ?? planOf(def);
  for (let i = 0; i < specs.length; i += 1) args[i] = convertArg(k, specs[i] as ArgSpec, plan[i] as number, args[i]);
  return args;
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
  if (r instanceof Sleep || r instanceof Preempt) return r;
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
    if (r instanceof Preempt) {
      // No other CPU runs between two attempts here: the call goes on at once.
      k.resume = r.resume;
      continue;
    }
    if (!(r instanceof Sleep)) return r;
    completeSleepSync(k, r);
    k.resume = r.resume;
  }
}

