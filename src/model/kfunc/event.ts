/**
 * A kfunc call as the trace records it: the converted arguments and the return value, formatted when
 * read (README "Reading a trace").
 */
import { EINVAL, errnoName } from '../kernel/errno.ts';
import { errnoAsUnsigned } from '../kernel/ctypes.ts';
import type { AnyKfunc, ArgSpec, RingSample, TwRef } from './types.ts';
import type { KptrRef } from '../kptr/types.ts';

/** Argument types that carry program memory (a Uint8Array): the event keeps their length. */
const MEMORY_ARGS: ReadonlySet<ArgSpec['type']> = new Set<ArgSpec['type']>(['mem', 'mem_or_null', 'iter', 'iter_uninit', 'const_str', 'percpu', 'any']);

function showInt(v: bigint): string {
  return v < 0x1_0000_0000n ? v.toString() : `0x${v.toString(16)}`;
}

function showArg(spec: ArgSpec, v: unknown): string {
  if (typeof v === 'bigint') return showInt(v);
  if (v === null) return 'NULL';
  if (spec.type === 'file') return `file#${String(v)}`;
  if (spec.type === 'task' || spec.type === 'task_or_null' || spec.type === 'task_ptr_or_null') return `task(pid ${String(v)})`;
  if (spec.type === 'map') return `map#${String(v)}`;
  if (spec.type === 'skb' || spec.type === 'xdp_md') return `${spec.type}#${String(v)}`;
  if (spec.type === 'tw' && typeof v === 'object') return `&map#${(v as TwRef).map}[${(v as TwRef).key}].tw`;
  if (spec.type === 'kptr' && typeof v === 'object') return `&map#${(v as KptrRef).map}[${(v as KptrRef).key}].kptr${(v as KptrRef).field}`;
  if (spec.type === 'u64s' && Array.isArray(v)) return `[${v.map((x: unknown) => (typeof x === 'bigint' ? showInt(x) : `ptr[${(x as { bytes: number }).bytes}]`)).join(', ')}]`;
  if (spec.type === 'ringbuf_mem' && typeof v === 'object') return `rec@map#${(v as RingSample).map}:${(v as RingSample).rec}`;
  return String(v);
}

/** A return value as the trace shows it: errnos by name, unsigned errnos with their name. */
function showRet(bits: 32 | 64, def: AnyKfunc, v: unknown): string {
  switch (def.ret) {
    case 'int':
      return errnoName(v as number);
    case 'long':
      return String(v);
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
      return v === null ? 'NULL' : `&map#${(v as TwRef).map}[${(v as TwRef).key}]${(v as TwRef).cpu === undefined ? '' : `@cpu${(v as TwRef).cpu}`}`;
    case 'ringbuf_mem':
      return v === null ? 'NULL' : `rec@map#${(v as RingSample).map}:${(v as RingSample).rec}`;
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
    // Memory arguments (declared `mem`/`mem_or_null`: null or a Uint8Array) are kept as their length.
    for (let i = 0; i < args.length; i += 1) {
      const a = args[i];
      if (a instanceof Uint8Array) args[i] = a.length;
      else if (Array.isArray(a)) args[i] = a.map(lengthOnly);
    }
    this.raw = args;
    this.value = lengthOnly(value);
  }

  get name(): string {
    return this.def.name;
  }

  get args(): readonly string[] {
    return this.def.args.map((spec, i) => {
      const a = this.raw[i];
      return MEMORY_ARGS.has(spec.type) && typeof a === 'number' ? `buf[${a}]` : showArg(spec, a);
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
