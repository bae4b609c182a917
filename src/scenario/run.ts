/**
 * Scenario files: a self-describing world (files and their cache state, BPF objects, tasks, a
 * schedule) with its expected outcomes, like the kernel memory model's litmus tests. A document is
 * validated whole before anything runs; a bad one is a `ScenarioError` naming each place (a JSON
 * Pointer) and what was expected there.
 */
import seedrandom from 'seedrandom';
import { content as contents, type Content } from '../model/fs/content.ts';
import { errnoName } from '../model/kernel/errno.ts';
import { KernsimError } from '../model/kernel/errors.ts';
import { refSnapshot } from '../model/world/inspect.ts';
import type { BpfObject, GlobalDecl, MapDecl, Op, Program, Subprog } from '../model/program/program.ts';
import type { Syscall } from '../model/task/types.ts';
import { traceEvents } from '../model/world/trace.ts';
import { isKernelVersion, KERNEL_VERSIONS, type KernelVersion } from '../model/kernel/version.ts';
import { verifyObject } from '../model/verifier/verify.ts';
import type { AnyKfunc } from '../model/kfunc/kfunc.ts';
import { ALL_KFUNCS } from '../task_work/kfuncs.ts';
import { defaultChooser, listChooser, seededChooser, type Chooser } from '../scheduler/chooser.ts';
import { LoadError, Session } from '../session.ts';
import { SCENARIO_SCHEMA } from './schema.ts';
import { validate, type Problem } from './validate.ts';

export class ScenarioError extends KernsimError {
  override name = 'ScenarioError';
  constructor(readonly source: string, readonly problems: readonly Problem[]) {
    super(`${source}: ${problems.length} problem(s)\n${problems.map((p) => `  at ${p.path}: expected ${p.expected}`).join('\n')}`);
  }
}

export interface FileSpec {
  readonly path: string;
  readonly size?: number;
  readonly content?: { pattern: number } | { random: string } | { text: string } | { zero: true };
  readonly cache?: 'warm' | 'cold' | readonly (readonly [number, number])[];
  readonly ioLatency?: number;
  readonly secretmem?: boolean;
  readonly ioErrors?: readonly { offset: number; times?: number }[];
}

export interface Expectations {
  readonly globals?: Readonly<Record<string, number | string>>;
  readonly calls?: readonly { fn: string; nth?: number; ret: number | string }[];
  readonly results?: readonly { task: number; syscall: number; ret: number | string }[];
  readonly refs?: 'baseline';
  readonly verifier?: readonly { program: string; ok: boolean; message?: string }[];
  readonly pages?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly runs?: readonly { program: string; times: number }[];
}

export interface Scenario {
  readonly name: string;
  readonly description?: string;
  readonly version?: KernelVersion;
  readonly unverified?: boolean;
  readonly files: readonly FileSpec[];
  readonly objects: readonly BpfObject[];
  readonly tasks: readonly { comm: string; exe?: string; script: readonly Syscall[] }[];
  readonly schedule?: { seed?: number | string; choices?: readonly number[] };
  readonly expect?: Expectations;
}

const toBig = (v: unknown): bigint => (typeof v === 'bigint' ? v : typeof v === 'number' ? BigInt(v) : BigInt(String(v)));

/** JSON-safe copy: bigints become strings (TypeScript scenarios may hold bigints). */
function jsonSafe(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)));
}

function toObject(o: Record<string, unknown>): BpfObject {
  const fixArgs = (ops: readonly Op[]): Op[] => ops.map((op) => JSON.parse(JSON.stringify(op), (k, x) => (k === 'imm' ? toBig(x) : x)) as Op);
  const maps = ((o.maps ?? []) as Partial<MapDecl>[]).map((m) => ({ valueSize: 0, taskWorkFields: 0, ...m }) as MapDecl);
  const globals = ((o.globals ?? []) as GlobalDecl[]).map((g) => (g.kind === 'int' && g.init !== undefined ? { ...g, init: toBig(g.init) } : g));
  const programs = ((o.programs ?? []) as Program[]).map((p) => ({ ...p, body: fixArgs(p.body) }));
  const subprogs = ((o.subprogs ?? []) as Partial<Subprog>[]).map((s) => ({ isStatic: true, ...s, body: fixArgs(s.body ?? []) }) as Subprog);
  return { name: String(o.name), maps, globals, programs, subprogs };
}

/** Validate a parsed document (JSON, or the default export of a TypeScript module) as a scenario. */
export function parseScenario(doc: unknown, source: string): Scenario {
  const plain = jsonSafe(doc);
  const problems = validate(SCENARIO_SCHEMA, plain);
  if (problems.length > 0) throw new ScenarioError(source, problems);
  const d = plain as Record<string, unknown>;
  const version = d.version ?? '6.19';
  if (!isKernelVersion(version)) throw new ScenarioError(source, [{ path: '/version', expected: 'a modelled version' }]);
  const files = d.files as FileSpec[];
  const late: Problem[] = [];
  files.forEach((f, i) => {
    if (f.size === undefined && (f.content === undefined || 'pattern' in f.content || 'random' in f.content || 'zero' in f.content)) {
      late.push({ path: `/files/${i}/size`, expected: 'a size (only text content implies one)' });
    }
  });
  if (late.length > 0) throw new ScenarioError(source, late);
  return {
    ...(d as unknown as Scenario),
    version,
    objects: (d.objects as Record<string, unknown>[]).map(toObject),
    tasks: d.tasks as Scenario['tasks'],
  };
}

function fileContent(f: FileSpec): { content: Content; size: number | undefined } {
  const c = f.content ?? { zero: true };
  if ('pattern' in c) return { content: contents.pattern(c.pattern), size: f.size };
  if ('text' in c) {
    const bytes = new TextEncoder().encode(c.text);
    return { content: contents.bytes(bytes), size: f.size ?? bytes.length };
  }
  if ('random' in c) {
    const rng = seedrandom(c.random);
    const bytes = new Uint8Array(f.size ?? 0);
    for (let i = 0; i < bytes.length; i += 1) bytes[i] = Math.floor(rng() * 256);
    return { content: contents.bytes(bytes), size: f.size };
  }
  return { content: contents.zero(), size: f.size };
}

export interface Check {
  readonly what: string;
  readonly ok: boolean;
  readonly expected: string;
  readonly actual: string;
}

export interface ScenarioRun {
  readonly scenario: Scenario;
  readonly session: Session;
  readonly loadErrors: readonly string[];
  readonly checks: readonly Check[];
  readonly ok: boolean;
}

/** Build the scenario's world, run it under its schedule (or `opts.seed`), and check its expectations. */
export function runScenario(sc: Scenario, opts: { seed?: number | string } = {}): ScenarioRun {
  const version = sc.version ?? '6.19';
  const s = new Session({ version });
  for (const f of sc.files) {
    const { content, size } = fileContent(f);
    s.createFile({ path: f.path, content, size, secretmem: f.secretmem ?? false, ...(f.ioLatency === undefined ? {} : { ioLatency: f.ioLatency }) });
    if (f.cache === 'warm') s.populate(f.path);
    else if (Array.isArray(f.cache)) for (const [a, b] of f.cache) s.populate(f.path, a * 4096, (b - a + 1) * 4096);
    for (const e of f.ioErrors ?? []) s.injectIoError(f.path, e.offset, e.times ?? 1);
  }
  const loadErrors: string[] = [];
  for (const o of sc.objects) {
    try {
      s.load(o, { unverified: sc.unverified === true });
    } catch (e) {
      if (!(e instanceof LoadError)) throw e;
      loadErrors.push(e.message);
    }
  }
  for (const t of sc.tasks) s.spawn(t.exe === undefined ? { comm: t.comm, script: t.script } : { comm: t.comm, exe: t.exe, script: t.script });
  let chooser: Chooser = defaultChooser;
  if (opts.seed !== undefined) chooser = seededChooser(opts.seed);
  else if (sc.schedule?.choices !== undefined) chooser = listChooser(sc.schedule.choices);
  else if (sc.schedule?.seed !== undefined) chooser = seededChooser(sc.schedule.seed);
  s.simulate(chooser);
  const checks = checkExpectations(sc, s, version);
  return { scenario: sc, session: s, loadErrors, checks, ok: checks.every((c) => c.ok) };
}

function norm(v: number | string | bigint): string {
  if (typeof v === 'string') return v;
  const n = Number(v);
  return n < 0 ? errnoName(n) : String(v);
}

/** The checks of `sc`'s expectations against session `s` (what `runScenario` does after the run). */
export function checkExpectations(sc: Scenario, s: Session, version: KernelVersion): Check[] {
  const e = sc.expect ?? {};
  const out: Check[] = [];
  const add = (what: string, expected: string, actual: string): void => { out.push({ what, ok: expected === actual, expected, actual }); };
  for (const [name, want] of Object.entries(e.globals ?? {})) {
    const got = s.global(name);
    add(`global ${name}`, norm(typeof want === 'string' && !want.startsWith('-E') ? toBig(want) : want), got === undefined ? '(no such global)' : typeof got === 'bigint' ? norm(got) : `bytes[${got.length}]`);
  }
  const events = traceEvents(s.world.trace);
  for (const c of e.calls ?? []) {
    const calls = events.filter((ev) => ev.kind === 'kfunc' && ev.name === c.fn);
    const nth = c.nth ?? 0;
    const ev = calls[nth];
    add(`${c.fn} call #${nth}`, norm(c.ret), ev?.kind === 'kfunc' ? ev.ret : `(only ${calls.length} call(s))`);
  }
  const tasks = [...s.world.tasks.values()];
  for (const r of e.results ?? []) {
    const t = tasks[r.task];
    const got = t?.results[r.syscall];
    add(`task ${r.task} syscall #${r.syscall} (${t?.script[r.syscall]?.sys ?? '?'})`, norm(r.ret), got === undefined ? '(not run)' : norm(got));
  }
  if (e.refs === 'baseline') {
    const refs = refSnapshot(s.world);
    const off: string[] = [];
    if (refs.folioRefs !== 0) off.push(`folio refs ${refs.folioRefs}`);
    if (refs.liveFileStates !== 0) off.push(`${refs.liveFileStates} file dynptr state(s) not discarded`);
    if (refs.ioInFlight !== 0) off.push(`${refs.ioInFlight} read(s) in flight`);
    if (refs.irqWork !== 0) off.push(`${refs.irqWork} irq_work pending`);
    if (refs.taskWorks !== 0) off.push(`${refs.taskWorks} task_work pending`);
    for (const [f, n] of Object.entries(refs.files)) if (n !== 0) off.push(`file#${f} f_count ${n}`);
    for (const [p, n] of Object.entries(refs.tasks)) if (n !== 0) off.push(`task ${p} usage ${n}`);
    for (const [p, n] of Object.entries(refs.progs)) if (n !== 1) off.push(`prog #${p} refs ${n}`);
    for (const [c, n] of Object.entries(refs.twctx)) off.push(`bpf_task_work ctx#${c} refcnt ${n}`);
    add('reference counts', 'baseline', off.length === 0 ? 'baseline' : off.join(', '));
  }
  if (e.verifier !== undefined) {
    const verdicts = sc.objects.flatMap((o) => verifyObject(o, { features: KERNEL_VERSIONS[version], kfuncs: ALL_KFUNCS as unknown as Readonly<Record<string, AnyKfunc>> }));
    for (const want of e.verifier) {
      const v = verdicts.find((x) => x.program === want.program);
      const got = v === undefined ? '(no such program)' : v.ok ? 'accepted' : `rejected: ${v.message ?? ''}`;
      const expected = want.ok ? 'accepted' : `rejected: ${want.message ?? ''}`;
      out.push({ what: `verifier ${want.program}`, expected, actual: got, ok: v !== undefined && v.ok === want.ok && (want.message === undefined || (v.message ?? '').includes(want.message)) });
    }
  }
  for (const [path, want] of Object.entries(e.pages ?? {})) add(`pages of ${path}`, JSON.stringify(want), JSON.stringify(s.pages(path)));
  for (const r of e.runs ?? []) {
    const n = events.filter((ev) => ev.kind === 'prog' && ev.op === 'enter' && ev.name === r.program).length;
    add(`runs of ${r.program}`, String(r.times), String(n));
  }
  return out;
}
