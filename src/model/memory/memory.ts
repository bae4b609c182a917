/**
 * Loads, stores and kfunc views of BPF program memory at run time (see README.md). A pointer is a
 * register value; `resolve` finds the bytes it points into and checks the access is inside them
 * (the verifier proves that for accepted programs; for an unverified one an access outside is a
 * typed error, as the kernel would fault or corrupt).
 */
import { ArgumentError, NotModelledError, UnknownHandleError } from '../kernel/errors.ts';
import { readLE, writeLE } from '../program/globals.ts';
import { MAX_BPF_STACK } from '../program/layout.ts';
import type { LoadedObject } from '../program/loaded.ts';
import type { Caller, Frame, RegVal } from '../task/types.ts';
import type { Kern } from '../world/world.ts';
import { packetPiece } from '../packet/run.ts';
import { sampleOf, sampleToWrite } from '../ringbuf/ring.ts';
import { kptrAt } from '../maps/layout.ts';
import { cpuCopy, isPercpu } from '../maps/percpu.ts';
import { kptrOf } from '../kptr/fields.ts';

export type Pointer = Extract<RegVal, { readonly ptr: 'stack' | 'global' | 'map_value' | 'mem' | 'ring' | 'pkt' }>;

export function isPointer(v: RegVal): v is Pointer {
  return v !== null && typeof v === 'object' && (v.ptr === 'stack' || v.ptr === 'global' || v.ptr === 'map_value' || v.ptr === 'mem' || v.ptr === 'ring' || v.ptr === 'pkt');
}

/** A pointer `delta` bytes further (pointer arithmetic). */
export function offsetPointer(p: Pointer, delta: bigint): Pointer {
  const d = Number(BigInt.asIntN(64, delta));
  switch (p.ptr) {
    case 'stack': return { ...p, off: p.off + d };
    case 'global': return { ...p, off: p.off + d };
    case 'map_value': return { ...p, off: (p.off ?? 0) + d };
    case 'mem': return { ...p, off: (p.off ?? 0) + d };
    case 'ring': return { ...p, off: (p.off ?? 0) + d };
    case 'pkt': return { ...p, off: (p.off ?? 0) + d };
  }
}

/** What the memory functions need: the transition, the running program's frames and its object. */
export interface MemEnv {
  readonly k: Kern;
  readonly frame: Frame;
  readonly obj: LoadedObject;
  /** The dynptr table key of the stack slot at `off` of call frame `frameId` (see interp.ts). */
  slotKey(frameId: number, off: number): string;
}

/** An array the transition may change: `a` itself if it made it, else a copy it owns (`Tables.fresh`). */
function own(k: Kern, a: Uint8Array): Uint8Array {
  return k.t.fresh(a);
}

/** The call frame (running function or a caller) with id `id`. */
function callFrame(env: MemEnv, id: number): Frame | Caller {
  if (env.frame.id === id) return env.frame;
  const c = env.frame.callers?.find((x) => x.id === id);
  if (c === undefined) throw new ArgumentError('pointer', `stack of frame #${id}`, 'a stack of a live call frame (the verifier refuses a pointer into a dead frame)');
  return c;
}

function stackOf(env: MemEnv, f: Frame | Caller, write: boolean): Uint8Array {
  const cur = f.stack ?? null;
  if (cur === null) {
    const s = env.k.t.made(new Uint8Array(MAX_BPF_STACK));
    f.stack = s;
    return s;
  }
  if (!write) return cur;
  const s = own(env.k, cur);
  if (s !== cur) f.stack = s;
  return s;
}

function objectOf(env: MemEnv, id: number): LoadedObject {
  if (env.obj.id === id) return env.obj;
  // Another object's global: this transition's own copy of that object (Tables.object).
  const o = env.k.t.object(id);
  if (o === undefined) throw new UnknownHandleError('obj', id, 'loaded object');
  return o;
}

/** The error for a map value pointer whose element memory is gone. */
function noElementMemory(p: Extract<Pointer, { ptr: 'map_value' }>): ArgumentError {
  return new ArgumentError('pointer', `map#${p.map}[${p.key}]`, 'the memory of a map element');
}

/** The bytes `p` points into and the index of its first byte; `write` makes them this transition's own. */
export function resolve(env: MemEnv, p: Pointer, write: boolean): { bytes: Uint8Array; at: number } {
  switch (p.ptr) {
    case 'stack': {
      const s = stackOf(env, callFrame(env, p.frame), write);
      return { bytes: s, at: s.length + p.off };
    }
    case 'global': {
      const o = objectOf(env, p.obj);
      const g = o.globals.get(p.name);
      if (g === undefined) throw new UnknownHandleError('global', p.name, `global of ${o.def.name}`);
      if (!write) return { bytes: g, at: p.off };
      const c = own(env.k, g);
      if (c !== g) o.globals.set(p.name, c);
      return { bytes: c, at: p.off };
    }
    case 'map_value': {
      // The element memory the pointer was made for (its slot), whether or not an element still
      // holds it: a value pointer outlives a delete (docs/task_work.md, Q4).
      // A read looks at the cold state as it is; only a write drafts the slot.
      // A per-CPU map's memory holds every CPU's copy: the pointer's CPU's plain bytes (maps/percpu.ts).
      const m = env.k.cold.maps.get(p.map);
      if (!write) {
        const seen = m?.slots.get(p.slot);
        if (m === undefined || seen === undefined) throw noElementMemory(p);
        const bytes = seen.data as Uint8Array;
        return { bytes: isPercpu(m) ? cpuCopy(bytes, m.layout, p.cpu ?? 0) : bytes, at: p.off ?? 0 };
      }
      const e = env.k.s.maps.get(p.map)?.slots.get(p.slot);
      if (m === undefined || e === undefined) throw noElementMemory(p);
      const c = own(env.k, e.data);
      if (c !== e.data) e.data = c;
      return { bytes: isPercpu(m) ? cpuCopy(c, m.layout, p.cpu ?? 0) : c, at: p.off ?? 0 };
    }
    case 'mem':
      return { bytes: p.bytes, at: p.off ?? 0 };
    case 'ring':
      // The record's payload as the world holds it now (a write copies it first).
      return { bytes: write ? sampleToWrite(env.k, p.map, p.rec, 'pointer') : sampleOf(env.k, p.map, p.rec, 'pointer'), at: p.off ?? 0 };
    case 'pkt':
      return { bytes: packetPiece(env.k, p.packet, p.piece, write), at: p.off ?? 0 };
  }
}

function inside(r: { bytes: Uint8Array; at: number }, size: number, what: string, p: Pointer): void {
  if (r.at < 0 || r.at + size > r.bytes.length) {
    throw new ArgumentError(what, describePointer(p), `an access of ${size} byte(s) inside the ${r.bytes.length} bytes it points into (the verifier refuses it)`);
  }
}

export function describePointer(p: Pointer): string {
  switch (p.ptr) {
    case 'stack': return `fp${p.off}`;
    case 'global': return `&${p.name}+${p.off}`;
    case 'map_value': return `&map#${p.map}[${p.key}]${p.cpu === undefined ? '' : `@cpu${p.cpu}`}+${p.off ?? 0}`;
    case 'mem': return `mem[${p.bytes.length}]+${p.off ?? 0}`;
    case 'ring': return `rec@map#${p.map}:${p.rec}+${p.off ?? 0}`;
    case 'pkt': return `packet#${p.packet}[${p.piece === -1 ? 'meta' : p.piece === 0 ? 'data' : `frag${p.piece - 1}`}]+${p.off ?? 0}`;
  }
}

/** `*(uN *)p`, zero- or sign-extended to 64 bits. */
export function load(env: MemEnv, p: Pointer, size: number, signed: boolean): bigint {
  const r = resolve(env, p, false);
  inside(r, size, 'load', p);
  const v = readLE(r.bytes, r.at, size);
  return signed ? BigInt.asUintN(64, BigInt.asIntN(size * 8, v)) : v;
}

/** A stack write over `[off, off + size)` of call frame `frameId` ends the dynptrs whose slots it touches. */
export function destroyDynptrs(env: MemEnv, frameId: number, off: number, size: number): void {
  // A dynptr starting at s covers [s, s + 16): it overlaps the write when s > off - 16.
  const first = Math.ceil((off - 15) / 8) * 8;
  for (let s = first; s < off + size; s += 8) {
    const key = env.slotKey(frameId, s);
    if (env.k.t.dynptrs.has(key)) env.k.t.own('dynptrs').delete(key);
  }
}

/** A stack write ends the pointers spilled in the slots it touches. */
function dropSpills(env: MemEnv, frameId: number, off: number, size: number): void {
  const f = callFrame(env, frameId);
  if (f.spills === undefined) return;
  for (const k of Object.keys(f.spills)) {
    const o = Number(k);
    if (o < off + size && off < o + 8) delete f.spills[o];
  }
}

/**
 * The kptr field a map value pointer points at the start of (its index among the value's kptrs), or
 * null. A kptr is not bytes of the element memory: the memory keeps the pointer (kptr/fields.ts).
 */
function kptrIndex(env: MemEnv, p: Pointer): number | null {
  if (p.ptr !== 'map_value') return null;
  const m = env.k.cold.maps.get(p.map);
  const index = m === undefined ? null : kptrAt(m.layout, p.off ?? 0)?.index ?? null;
  // The element memory keeps CPU 0's kptrs only: every operation of the model runs on CPU 0.
  if (index !== null && (p.cpu ?? 0) !== 0) throw new NotModelledError(`the kptr field at ${describePointer(p)}, in another CPU's copy of a per-CPU value,`, 'the model keeps the kptrs of CPU 0\'s copy only');
  return index;
}

/** Element memory `p` points into, drafted to change. */
function elementToWrite(env: MemEnv, p: Extract<Pointer, { ptr: 'map_value' }>): { kptrs: RegVal[] } {
  const e = env.k.s.maps.get(p.map)?.slots.get(p.slot);
  if (e === undefined) throw noElementMemory(p);
  return e;
}

/** `*(uN *)p = v`. */
export function store(env: MemEnv, p: Pointer, size: number, v: bigint): void {
  const kp = kptrIndex(env, p);
  if (kp !== null && p.ptr === 'map_value') {
    // A kptr field takes only NULL from a scalar (the verifier: BPF_ST imm 0, or a register known 0).
    if (v !== 0n) throw new ArgumentError('store', describePointer(p), 'NULL or a pointer of the kptr\'s type (the verifier refuses any other value)');
    elementToWrite(env, p).kptrs[kp] = null;
    return;
  }
  const r = resolve(env, p, true);
  inside(r, size, 'store', p);
  writeLE(r.bytes, r.at, size, v);
  if (p.ptr === 'stack') {
    destroyDynptrs(env, p.frame, p.off, size);
    dropSpills(env, p.frame, p.off, size);
  }
}

/**
 * `*(u64 *)p = ptr` with `p` on the stack: the register is spilled (the verifier allows it for an
 * 8-byte aligned slot); the bytes hold nothing the model reads, the slot remembers the pointer.
 */
export function spill(env: MemEnv, p: Pointer, v: RegVal): void {
  const kp = kptrIndex(env, p);
  if (kp !== null && p.ptr === 'map_value') {
    // An untrusted kptr field holds a plain pointer (the verifier refuses a store to a referenced one).
    if (v !== null && typeof v === 'object' && (v.ptr === 'task' || v.ptr === 'file' || v.ptr === 'inode')) {
      elementToWrite(env, p).kptrs[kp] = v;
      return;
    }
    throw new ArgumentError('store', describePointer(p), 'a pointer of the kptr\'s type (the verifier refuses any other)');
  }
  if (p.ptr !== 'stack' || ((p.off % 8) + 8) % 8 !== 0) throw new ArgumentError('store', describePointer(p), 'an 8-byte aligned stack slot, or a map value\'s untrusted kptr field (the verifier refuses pointers stored elsewhere)');
  store(env, p, 8, 0n);
  const f = callFrame(env, p.frame);
  f.spills = { ...(f.spills ?? {}), [p.off]: v };
}

/** The pointer spilled at `p`, or the kptr field there (NULL too), if an 8-byte load reads one back. */
export function filled(env: MemEnv, p: Pointer): RegVal | undefined {
  if (p.ptr === 'map_value') {
    const kp = kptrIndex(env, p);
    if (kp === null) return undefined;
    const e = env.k.cold.maps.get(p.map)?.slots.get(p.slot);
    if (e === undefined) throw noElementMemory(p);
    return kptrOf(e, kp);
  }
  if (p.ptr !== 'stack') return undefined;
  return callFrame(env, p.frame).spills?.[p.off];
}

/**
 * The memory `p` points into, from `p` to the end, as this transition's own array: what a kfunc
 * gets for a memory argument. `len` bytes must be inside (the verifier pairs the length).
 */
export function view(env: MemEnv, p: Pointer, len: number): Uint8Array {
  const r = resolve(env, p, p.ptr !== 'mem');
  inside(r, len, 'memory argument', p);
  // The whole array when the view would be all of it (a global of its own, a buffer from its start):
  // a small array this transition copied is in V8's heap, and a view into it first moves its bytes
  // out (some 0.4 µs against 40 ns for the copy, bench/README.md "Cases, stop 61").
  if (r.at === 0 && (len === r.bytes.length || len === 0)) return r.bytes;
  return len > 0 ? r.bytes.subarray(r.at, r.at + len) : r.bytes.subarray(r.at);
}

/** Copy `len` bytes from `src` to `dst` (memmove), as loads and stores. */
export function copy(env: MemEnv, dst: Pointer, src: Pointer, len: number): void {
  if (len === 0) return;
  const s = resolve(env, src, false);
  inside(s, len, 'memcpy source', src);
  const bytes = s.bytes.slice(s.at, s.at + len);
  const d = resolve(env, dst, true);
  inside(d, len, 'memcpy destination', dst);
  d.bytes.set(bytes, d.at);
  if (dst.ptr === 'stack') {
    destroyDynptrs(env, dst.frame, dst.off, len);
    dropSpills(env, dst.frame, dst.off, len);
  }
}

/** Fill `len` bytes at `dst` with `val`. */
export function fill(env: MemEnv, dst: Pointer, val: number, len: number): void {
  if (len === 0) return;
  const d = resolve(env, dst, true);
  inside(d, len, 'memset destination', dst);
  d.bytes.fill(val & 0xff, d.at, d.at + len);
  if (dst.ptr === 'stack') {
    destroyDynptrs(env, dst.frame, dst.off, len);
    dropSpills(env, dst.frame, dst.off, len);
  }
}

/** A non-pointer where a pointer is needed: a misuse (the verifier refuses it). */
export function needPointer(v: RegVal, what: string): Pointer {
  if (isPointer(v)) return v;
  throw new ArgumentError(what, typeof v === 'bigint' ? `scalar ${v}` : v === null ? 'NULL' : `${v.ptr} pointer`, 'a pointer to memory (the verifier refuses a load or store through anything else)');
}

