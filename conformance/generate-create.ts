/**
 * Generated BPF_MAP_CREATE calls: every map type of the model's, with `max_entries`, `map_flags` (one
 * or two of the first 21 bits, or none), `key_size`, `value_size` and `map_extra`, mostly a type's
 * valid attributes with one or two changed, so that each of the kernel's checks (map_create_alloc,
 * the types' map_alloc_check and map_alloc, the fd's mode) is reached and passed. Each case makes its maps from user space after a trivial
 * program and compares each result, made and closed or refused with an errno (cases/lib.ts
 * `create`). Attributes whose map the model would make but does not model (a key other than 4 bytes
 * in a hash map or an array, BPF tokens) or whose preallocation passes its byte budget are left out,
 * as the model says them (NotModelledError, BudgetError). Host (6.18): `SEC("syscall")`; guest (7.2):
 * `lsm/file_open`.
 */
import fc from 'fast-check';
import { BudgetError, NotModelledError, Session, type KernelVersion, type MapDecl } from '../src/index.ts';
import { MAP_TYPES } from '../src/model/program/schema.ts';
import { declKeySize } from '../src/model/maps/layout.ts';
import { createOp } from './cases/queue.ts';
import { keylessCase, keylessObject } from './cases/keyless.ts';
import { caseSys, type ConfCase } from './cases/lib.ts';
import type { FileCase } from './cases/file.ts';

const RULE = 'BPF_MAP_CREATE: generated attributes';
/** BPF_F_TOKEN_FD: the model has no tokens. */
const TOKEN_FD = 1 << 16;

interface Attrs { readonly type: MapDecl['type']; readonly max: number; readonly flags: number; readonly key: number; readonly value: number; readonly extra: number }

const bit = fc.integer({ min: 0, max: 20 }).filter((b) => (1 << b) !== TOKEN_FD);
const flagsArb = fc.oneof(
  { arbitrary: fc.constant(0), weight: 3 },
  { arbitrary: bit.map((b) => 1 << b), weight: 4 },
  { arbitrary: fc.tuple(bit, bit).map(([a, b]) => (1 << a) | (1 << b)), weight: 2 },
);
const maxArb = fc.constantFrom(0, 1, 3, 4, 64, 4096, 8192, 12288);
const keyArb = fc.constantFrom(0, 4, 4, 4, 8);
const valueArb = fc.constantFrom(0, 1, 4, 8, 8, 100, 4096, 32768, 32769, 65535);
const extraArb = fc.constantFrom(0, 0, 0, 0, 1, 5, 15, 16);

/** Attributes each type takes (so that one change reaches the check after those it passes). */
function valid(type: MapDecl['type']): Attrs {
  if (type === 'ringbuf') return { type, max: 4096, flags: 0, key: 0, value: 0, extra: 0 };
  return { type, max: 4, flags: 0, key: declKeySize({ type }), value: 8, extra: 0 };
}

/** A type's valid attributes with one or two of them changed. */
const changedArb: fc.Arbitrary<Attrs> = fc.record({
  type: fc.constantFrom(...MAP_TYPES),
  changes: fc.uniqueArray(fc.constantFrom('max', 'flags', 'key', 'value', 'extra'), { minLength: 1, maxLength: 2 }),
  max: maxArb, flags: flagsArb, key: keyArb, value: valueArb, extra: extraArb,
}).map(({ type, changes, ...drawn }) => {
  const a: Record<string, number | string> = { ...valid(type) };
  for (const c of changes) a[c] = drawn[c];
  return a as unknown as Attrs;
});

const attrsArb: fc.Arbitrary<Attrs> = fc.oneof(
  { arbitrary: changedArb, weight: 3 },
  { arbitrary: fc.record({ type: fc.constantFrom(...MAP_TYPES), max: maxArb, flags: flagsArb, key: keyArb, value: valueArb, extra: extraArb }), weight: 1 },
);

/** Whether the model answers `a` with an errno or a map (not a NotModelledError or a BudgetError). */
function modelled(a: Attrs, version: KernelVersion): boolean {
  try {
    new Session({ version }).createMap({ type: a.type, maxEntries: a.max, flags: a.flags, keySize: a.key, valueSize: a.value, mapExtra: a.extra });
    return true;
  } catch (e) {
    if (e instanceof NotModelledError || e instanceof BudgetError) return false;
    throw e;
  }
}

/** `count` cases of `per` creates each from `seed`, those the model answers on `version`. */
function sample(count: number, per: number, seed: number, version: KernelVersion): Attrs[][] {
  const all = fc.sample(attrsArb, { numRuns: 2 * count * per + 20, seed }).filter((a) => modelled(a, version));
  return Array.from({ length: count }, (_, i) => all.slice(i * per, (i + 1) * per)).filter((g) => g.length > 0);
}

function caseOf(id: string, attrs: readonly Attrs[], guest: boolean): ConfCase {
  const object = keylessObject(id, [], [], { section: guest ? 'lsm/file_open' : 'syscall', guest, slot: 8, callback: null });
  const sys = caseSys(id, id, attrs.map((a) => createOp(a.type, a.max, a.flags, a.key, a.value, a.extra)));
  const note = `${attrs.length} creates: ${attrs.map((a) => `${a.type}/${a.max}/0x${a.flags.toString(16)}/${a.key}/${a.value}/${a.extra}`).join(', ')}`;
  return keylessCase(id, guest ? `${RULE} (7.2)` : RULE, note, { object, calls: [] }, { sys, reject: false, generated: true });
}

/** `count` generated host cases of 10 creates each from `seed` (deterministic). */
export function generatedCreateCases(count: number, seed: number): ConfCase[] {
  return sample(count, 10, seed, '6.18').map((g, i) => caseOf(`gmc${i}`, g, false));
}

/** `count` generated guest cases of 10 creates each from `seed` (deterministic). */
export function generatedCreateFileCases(count: number, seed: number): FileCase[] {
  return sample(count, 10, seed, '7.2').map((g, i) => ({ ...caseOf(`fgmc${i}`, g, true), state: 'warm' as const }));
}
