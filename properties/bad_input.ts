/**
 * Bad input, generated: random JSON, valid scenarios (a small grammar of files, a syscall program and
 * tasks), and near-valid ones — the examples and the generated scenarios with one mutation each (a
 * key deleted, renamed to `__proto__`/`constructor`/`toString` or a typo, a value replaced by another
 * type, a boundary number, integer text, a long string, an element duplicated). `classify` runs one
 * document through `parseScenario` + `runScenario` under small budgets and names the outcome. Used by
 * the fuzz property (fuzz.test.ts) and the abuse harness (scripts/abuse.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { ArgumentError, BudgetError, KernsimError, parseScenario, runScenario, ScenarioError, UnknownHandleError, type Budgets } from '../src/index.ts';

const EXAMPLES = join(import.meta.dirname, '..', 'examples');

/** The JSON examples, parsed (the TypeScript ones are code; the harness loads them separately). */
export function exampleDocs(): { name: string; doc: unknown }[] {
  return readdirSync(EXAMPLES).filter((f) => f.endsWith('.json')).sort().map((f) => ({ name: f, doc: JSON.parse(readFileSync(join(EXAMPLES, f), 'utf8')) as unknown }));
}

// ---- valid scenarios from a small grammar ------------------------------------------------------

const imm = fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constantFrom(0, 1, 4096, 2 ** 31, -(2 ** 31), '0xffffffffffffffff', '-0x1', '9007199254740993'));

const op = fc.oneof(
  imm.map((v) => ({ op: 'mov', dst: 'r6', src: { imm: v } })),
  fc.tuple(fc.constantFrom('add', 'sub', 'and', 'or', 'rsh', 'lsh'), imm).map(([fn, v]) => ({ op: 'alu', fn, dst: 'r6', src: { imm: v } })),
  fc.constant({ op: 'store', global: 'g', src: { r: 'r6' } }),
  fc.constant({ op: 'call', fn: 'bpf_get_current_pid_tgid', args: [], dst: 'r7' }),
  fc.constant({ op: 'goto', to: 'out', if: { r: 'r6', cmp: '==', v: { imm: 0 } } }),
);

const syscall = fc.oneof(
  fc.constant({ sys: 'open', path: '/f0', fd: 'f' }),
  fc.tuple(fc.integer({ min: 0, max: 20_000 }), fc.integer({ min: 0, max: 9000 }), fc.boolean()).map(([offset, len, into]) => ({ sys: 'read', fd: 'f', offset, len, ...(into ? { into: 'b' } : {}) })),
  fc.constant({ sys: 'close', fd: 'f' }),
  fc.integer({ min: 0, max: 1000 }).map((ticks) => ({ sys: 'sleep', ticks })),
  imm.map((value) => ({ sys: 'set_global', global: 'g', value })),
  fc.constant({ sys: 'prog_test_run', prog: 'p' }),
  fc.integer({ min: 0, max: 5 }).map((key) => ({ sys: 'map_update', map: 'm', key })),
  fc.constant({ sys: 'exit' }),
);

/** A script whose fds are used only after an open and never opened twice without a close. */
function wellFormedScript(xs: readonly Record<string, unknown>[]): Record<string, unknown>[] {
  let open = false;
  let opened = false;
  const out: Record<string, unknown>[] = [];
  for (const x of xs) {
    if (x.sys === 'open') {
      if (open) continue;
      open = true;
      opened = true;
    } else if (x.sys === 'read' && !opened) continue;
    else if (x.sys === 'close') {
      if (!opened) continue;
      open = false;
    }
    out.push(x);
  }
  return out;
}

/** A valid scenario: one or two files, an object with a syscall program, tasks, random expectations. */
export const validScenario: fc.Arbitrary<Record<string, unknown>> = fc.record({
  size: fc.integer({ min: 0, max: 20_000 }),
  content: fc.constantFrom({ pattern: 3 }, { zero: true }, { random: 'x' }),
  cache: fc.constantFrom('warm', 'cold', [[0, 1]]),
  body: fc.array(op, { maxLength: 8 }),
  ret: imm,
  scripts: fc.array(fc.array(syscall, { maxLength: 8 }), { minLength: 1, maxLength: 2 }),
  g: imm,
  version: fc.constantFrom('6.18', '6.19', '7.0', '7.2'),
  withObject: fc.boolean(),
}).map((r) => ({
  name: 'generated',
  version: r.version,
  files: [{ path: '/f0', size: r.size, content: r.content, cache: r.cache }],
  objects: r.withObject ? [{
    name: 'o', globals: [{ name: 'g', kind: 'int' }, { name: 'b', kind: 'bytes', size: 16 }],
    maps: [{ name: 'm', type: 'array', maxEntries: 4, valueSize: 8 }],
    programs: [{ name: 'p', section: 'syscall', body: [{ op: 'mov', dst: 'r6', src: { imm: 0 } }, ...r.body, { op: 'label', name: 'out' }, { op: 'ret', src: { imm: r.ret } }] }],
  }] : [],
  tasks: r.scripts.map((s, i) => ({
    comm: `t${i}`,
    script: wellFormedScript((r.withObject ? s : s.filter((x) => !['set_global', 'prog_test_run', 'map_update'].includes(String(x.sys)))).map((x) => {
      const y: Record<string, unknown> = { ...x };
      if (!r.withObject) delete y.into;
      return y;
    })),
  })),
  ...(r.withObject ? { expect: { globals: { g: r.g } } } : {}),
}));

// ---- mutations ---------------------------------------------------------------------------------

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every place in a document (as paths), up to `max`. */
export function placesOf(doc: unknown, max = 5000): (string | number)[][] {
  const out: (string | number)[][] = [];
  const work: { v: unknown; p: (string | number)[] }[] = [{ v: doc, p: [] }];
  while (work.length > 0 && out.length < max) {
    const { v, p } = work.pop() as { v: unknown; p: (string | number)[] };
    out.push(p);
    if (Array.isArray(v)) v.forEach((x, i) => work.push({ v: x, p: [...p, i] }));
    else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) work.push({ v: x, p: [...p, k] });
  }
  return out;
}

/** Strange values: wrong types, boundaries, integer text, long strings, special names. */
export const STRANGE: readonly Json[] = [
  null, true, false, 0, -1, 1.5, -0.5, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 2, -(2 ** 53) - 2, 1e308, -1e308,
  '', 'x', '-0x1', '0x', '0xffffffffffffffff', '18446744073709551617', '-9223372036854775809', '9007199254740993', '1e3', ' 1',
  '__proto__', 'constructor', 'toString', 'x'.repeat(5000), '/'.repeat(10), '\u0000', [], [null], {}, { __proto__: null } as unknown as Json,
];

const KEYS: readonly string[] = ['__proto__', 'constructor', 'toString', 'prototype', 'hasOwnProperty', 'valueOf', 'nme', 'extra'];

export type Mutation =
  | { readonly kind: 'delete'; readonly at: number }
  | { readonly kind: 'replace'; readonly at: number; readonly value: Json }
  | { readonly kind: 'rename'; readonly at: number; readonly key: string }
  | { readonly kind: 'add'; readonly at: number; readonly key: string; readonly value: Json }
  | { readonly kind: 'duplicate'; readonly at: number }
  | { readonly kind: 'typo'; readonly at: number };

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.nat().map((at) => ({ kind: 'delete' as const, at })),
  fc.tuple(fc.nat(), fc.oneof(fc.constantFrom(...STRANGE), fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>)).map(([at, value]) => ({ kind: 'replace' as const, at, value })),
  fc.tuple(fc.nat(), fc.constantFrom(...KEYS)).map(([at, key]) => ({ kind: 'rename' as const, at, key })),
  fc.tuple(fc.nat(), fc.constantFrom(...KEYS), fc.constantFrom(...STRANGE)).map(([at, key, value]) => ({ kind: 'add' as const, at, key, value })),
  fc.nat().map((at) => ({ kind: 'duplicate' as const, at })),
  fc.nat().map((at) => ({ kind: 'typo' as const, at })),
);

function setOwn(o: object, k: string | number, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

/** `doc` (a JSON value, copied) with the mutation applied at one of its places. */
export function mutate(doc: unknown, m: Mutation): unknown {
  const copy = JSON.parse(JSON.stringify(doc)) as unknown;
  const places = placesOf(copy);
  const path = places[m.at % places.length] ?? [];
  if (path.length === 0) return m.kind === 'replace' ? m.value : copy;
  const parentPath = path.slice(0, -1);
  const key = path[path.length - 1] as string | number;
  const parent = parentPath.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], copy) as Record<string | number, unknown> | unknown[];
  const value = (parent as Record<string | number, unknown>)[key];
  switch (m.kind) {
    case 'delete':
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete (parent as Record<string, unknown>)[key as string];
      break;
    case 'replace':
      setOwn(parent, key, m.value);
      break;
    case 'rename':
      if (!Array.isArray(parent)) {
        delete (parent as Record<string, unknown>)[key as string];
        setOwn(parent, m.key, value);
      }
      break;
    case 'add':
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) setOwn(value, m.key, m.value);
      else if (!Array.isArray(parent)) setOwn(parent, m.key, m.value);
      break;
    case 'duplicate':
      if (Array.isArray(parent)) parent.splice(Number(key), 0, JSON.parse(JSON.stringify(value)) as unknown);
      else if (Array.isArray(value) && value.length > 0) value.push(JSON.parse(JSON.stringify(value[0])) as unknown);
      break;
    case 'typo':
      if (typeof value === 'string' && value.length > 0) setOwn(parent, key, `${value.slice(0, -1)}${value.endsWith('x') ? 'y' : 'x'}`);
      else if (typeof value === 'number') setOwn(parent, key, value + 1);
      break;
  }
  return copy;
}

// ---- outcomes ----------------------------------------------------------------------------------

export type OutcomeKind = 'pass' | 'fail' | 'refused' | 'argument' | 'budget' | 'other-error' | 'crash';

export interface Outcome {
  readonly kind: OutcomeKind;
  /** The error names its place (a JSON Pointer, an argument) — for errors only. */
  readonly placed: boolean;
  readonly detail: string;
}

/** Small budgets: a fuzzed document runs in milliseconds or is stopped. */
export const FUZZ_BUDGETS: Partial<Budgets> = { steps: 20_000, time: 1e9, ops: 20_000, bytes: 16 * 1024 * 1024 };

/** Parse and run one document; the outcome, never a throw. */
export function classify(doc: unknown, budgets: Partial<Budgets> = FUZZ_BUDGETS): Outcome {
  try {
    const sc = parseScenario(doc, 'fuzz.json');
    const run = runScenario(sc, { budgets });
    return { kind: run.ok ? 'pass' : 'fail', placed: true, detail: run.checks.filter((c) => !c.ok).map((c) => `${c.what}: ${c.actual}`).join('; ') };
  } catch (e) {
    if (e instanceof ScenarioError) return { kind: 'refused', placed: e.problems.length > 0 && e.problems.every((p) => typeof p.path === 'string' && (p.path === '' || p.path.startsWith('/')) && p.expected.length > 0), detail: e.message };
    if (e instanceof ArgumentError || e instanceof UnknownHandleError) return { kind: 'argument', placed: e.argument.length > 0, detail: e.message };
    if (e instanceof BudgetError) return { kind: 'budget', placed: e.scenario !== undefined, detail: e.message };
    if (e instanceof KernsimError) return { kind: 'other-error', placed: false, detail: `${e.name}: ${e.message}` };
    return { kind: 'crash', placed: false, detail: e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : String(e) };
  }
}

/** A fingerprint of Object.prototype (its own keys), to check that nothing was added to it. */
export function prototypeFingerprint(): string {
  return [Object.prototype, Array.prototype, Function.prototype].map((p) => Object.getOwnPropertyNames(p).sort().join(',')).join('|');
}
