/**
 * Scenario files: a self-describing world (files and their cache state, BPF objects, tasks, a
 * schedule) with its expected outcomes, like the kernel memory model's litmus tests. A document is
 * validated whole before anything runs; a bad one is a `ScenarioError` naming each place (a JSON
 * Pointer) and what was expected there.
 */
import seedrandom from 'seedrandom';
import { content as contents, type Content } from '../model/fs/content.ts';
import { errnoName } from '../model/kernel/errno.ts';
import { ArgumentError, BudgetError, KernsimError } from '../model/kernel/errors.ts';
import { budgetsWith, type Budgets } from '../model/kernel/budget.ts';
import { validateWith, type Problem } from '../model/kernel/validate.ts';
import { refSnapshot } from '../model/world/inspect.ts';
import { traceEvents } from '../model/world/trace.ts';
import { KERNEL_VERSIONS, withOverrides, type FeatureOverrides, type KernelVersion } from '../model/kernel/version.ts';
import { verifyObject } from '../model/verifier/verify.ts';
import type { AnyKfunc } from '../model/kfunc/kfunc.ts';
import { ALL_KFUNCS } from '../task_work/kfuncs.ts';
import { kfuncDef } from '../model/kfunc/registry.ts';
import { defaultChooser, listChooser, seededChooser, type Chooser } from '../scheduler/chooser.ts';
import { LoadError, Session } from '../session.ts';
import { referenceProblems } from './refs.ts';
import { ScenarioSchema as SCHEMA, type ExpectClass, type FileSpec, type Scenario } from './schema.ts';

export type { Problem } from '../model/kernel/validate.ts';

/** A document that is not a valid scenario: each problem with its place (a JSON Pointer) and what was expected. */
export class ScenarioError extends KernsimError {
  override name = 'ScenarioError';
  constructor(readonly source: string, readonly problems: readonly Problem[]) {
    super(`${source}: ${problems.length} problem(s)\n${problems.map((p) => `  at ${p.path || '/'}: expected ${p.expected}`).join('\n')}`);
  }
}

export type { Expectations, FileSpec, Scenario, ScenarioInput } from './schema.ts';

/**
 * Validate a parsed document (JSON, or the default export of a TypeScript module) as a scenario: its
 * shape and limits (schema.ts), then its references (refs.ts). Throws a `ScenarioError` listing every
 * problem with its place; never anything else, whatever `doc` is.
 */
export function parseScenario(doc: unknown, source: string): Scenario {
  if (typeof source !== 'string') throw new ArgumentError('source', source, 'a string naming the document (a file name)');
  const r = validateWith(SCHEMA, doc);
  if (!r.ok) throw new ScenarioError(source, r.problems);
  const sc = r.value as Scenario;
  const refs = referenceProblems(sc);
  if (refs.length > 0) throw new ScenarioError(source, refs.slice(0, 50));
  return sc;
}

function fileContent(f: FileSpec, room: number, scenario: string): { content: Content; size: number | bigint | undefined } {
  const c = f.content ?? { zero: true };
  if ('pattern' in c) return { content: contents.pattern(c.pattern), size: f.size };
  if ('text' in c) {
    const bytes = new TextEncoder().encode(c.text);
    return { content: contents.bytes(bytes), size: f.size ?? bytes.length };
  }
  if ('random' in c) {
    const n = BigInt(f.size ?? 0);
    if (n > BigInt(room)) throw new BudgetError('bytes', room, `the random content of ${f.path} needs ${n} bytes`, scenario);
    const rng = seedrandom(c.random);
    const bytes = new Uint8Array(Number(n));
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
  /** The class the scenario states for this expectation (only when it states one; otherwise `always`). */
  readonly class?: ExpectClass;
}

/**
 * An expectation evaluated on one run: whether its condition held (`holds`), what was expected and
 * what the run shows. A `Check` judges it by the expectation's class; `kernsim explore` classifies it
 * over every schedule.
 */
export interface Observed {
  readonly what: string;
  readonly expected: string;
  readonly actual: string;
  readonly holds: boolean;
  /** The class the scenario states (absent: `always`). */
  readonly class?: ExpectClass;
}

/** The check of one run against an observed expectation: `always` must hold, `never` must not, `sometimes` may do either. */
export function judge(o: Observed): Check {
  if (o.class === undefined) return { what: o.what, ok: o.holds, expected: o.expected, actual: o.actual };
  const ok = o.class === 'always' ? o.holds : o.class === 'never' ? !o.holds : true;
  return { what: o.what, ok, expected: `${o.class}: ${o.expected}`, actual: o.actual, class: o.class };
}

/** Whether the scenario states the class of any expectation (then `kernsim run` checks it by exploring). */
export function statesClasses(sc: Scenario): boolean {
  const e = sc.expect ?? {};
  const obj = (v: unknown): boolean => v !== null && typeof v === 'object' && 'class' in v;
  return Object.values(e.globals ?? {}).some(obj) || (e.calls ?? []).some((c) => c.class !== undefined)
    || (e.results ?? []).some((r) => r.class !== undefined) || obj(e.refs) || Object.values(e.pages ?? {}).some(obj)
    || (e.runs ?? []).some((r) => r.class !== undefined) || e.completes !== undefined;
}

export interface ScenarioRun {
  readonly scenario: Scenario;
  readonly session: Session;
  readonly loadErrors: readonly string[];
  readonly checks: readonly Check[];
  readonly ok: boolean;
}

export interface RunScenarioOptions {
  /** Run under a seeded schedule instead of the scenario's own. */
  readonly seed?: number | string;
  /** Run under this list of choices (`listChooser`: a witness of `kernsim explore`) instead of the scenario's own schedule. */
  readonly choices?: readonly number[];
  /** Limits of the run (default `DEFAULT_BUDGETS`: steps, time, ops, bytes). */
  readonly budgets?: Partial<Budgets>;
}

/**
 * Build the scenario's world, run it under its schedule (or `opts.seed`), and check its expectations.
 * A load that fails, or a run the model stops (an unverified program's use after free), is a failed
 * check unless the scenario expects it; a budget exceeded is a `BudgetError` naming the scenario.
 */
export function runScenario(scenario: Scenario, opts: RunScenarioOptions = {}): ScenarioRun {
  if (scenario === null || typeof scenario !== 'object') throw new ArgumentError('scenario', scenario, "a scenario (parseScenario's result)");
  if (opts === null || typeof opts !== 'object') throw new ArgumentError('opts', opts, 'options ({ seed?, budgets? })');
  if (opts.seed !== undefined && !(typeof opts.seed === 'string' || Number.isSafeInteger(opts.seed))) throw new ArgumentError('opts.seed', opts.seed, 'an integer or a string');
  if (opts.choices !== undefined && (!Array.isArray(opts.choices) || !opts.choices.every((c) => Number.isSafeInteger(c) && c >= 0))) throw new ArgumentError('opts.choices', opts.choices, 'an array of choice indices (non-negative integers)');
  if (opts.choices !== undefined && opts.seed !== undefined) throw new ArgumentError('opts', opts, 'a seed or a list of choices, not both');
  const budgets = budgetsWith(opts.budgets, 'opts.budgets');
  // The argument may have been built or changed by hand: it is checked like a document.
  const sc = parseScenario(scenario, typeof scenario.name === 'string' ? scenario.name : 'scenario');
  try {
    return runChecked(sc, opts, budgets);
  } catch (e) {
    if (e instanceof BudgetError && e.scenario === undefined) throw new BudgetError(e.budget, e.limit, e.detail, sc.name);
    throw e;
  }
}

/** A scenario's world before its tasks run: the files, the loaded objects (or why a load failed), the tasks spawned. */
export interface BuiltScenario {
  readonly session: Session;
  readonly loads: readonly LoadOutcome[];
}

/** Build `sc`'s world (what `runScenario` runs): files, objects, tasks. `budgets` are the world's. */
export function buildScenario(sc: Scenario, budgets: Budgets): BuiltScenario {
  const version = sc.version ?? '6.19';
  const s = new Session({ version, budgets, smp: sc.smp === true, ...(sc.cpus === undefined ? {} : { cpus: sc.cpus }), ...(sc.hashrnd === undefined ? {} : { hashrnd: sc.hashrnd }), ...(sc.features === undefined ? {} : { features: sc.features as FeatureOverrides }) });
  let room = budgets.bytes;
  for (const f of sc.files) {
    const { content, size } = fileContent(f, room, sc.name);
    if (content.kind === 'bytes') room -= content.bytes.length;
    s.createFile({
      path: f.path, content, size, secretmem: f.secretmem ?? false, ...(f.ioLatency === undefined ? {} : { ioLatency: f.ioLatency }),
      ...(f.readAheadKb === undefined ? {} : { readAheadKb: f.readAheadKb }), ...(f.maxSectorsKb === undefined ? {} : { maxSectorsKb: f.maxSectorsKb }),
      ...(f.maxFolioOrder === undefined ? {} : { maxFolioOrder: f.maxFolioOrder }), ...(f.blockSize === undefined ? {} : { blockSize: f.blockSize }),
    });
    if (f.cache === 'warm') s.populate(f.path);
    else if (Array.isArray(f.cache)) for (const [a, b] of f.cache as readonly (readonly [number, number])[]) if (b >= a) s.populate(f.path, BigInt(a) * 4096n, BigInt(b - a + 1) * 4096n);
    for (const e of f.ioErrors ?? []) s.injectIoError(f.path, e.offset, e.times ?? 1);
  }
  const loads: LoadOutcome[] = [];
  for (const o of sc.objects) {
    try {
      s.load(o, { unverified: sc.unverified === true });
      loads.push({ object: o.name, error: null });
    } catch (e) {
      if (!(e instanceof LoadError)) throw e;
      loads.push({ object: o.name, error: e });
    }
  }
  for (const t of sc.tasks) s.spawn(t.exe === undefined ? { comm: t.comm, script: t.script } : { comm: t.comm, exe: t.exe, script: t.script });
  return { session: s, loads };
}

function chooserOf(sc: Scenario, opts: RunScenarioOptions): Chooser {
  if (opts.choices !== undefined) return listChooser(opts.choices);
  if (opts.seed !== undefined) return seededChooser(opts.seed);
  if (sc.schedule?.choices !== undefined) return listChooser(sc.schedule.choices);
  if (sc.schedule?.seed !== undefined) return seededChooser(sc.schedule.seed);
  return defaultChooser;
}

/** The check of a run the model stopped (what `runScenario` adds to the expectations' checks). */
export function stoppedCheck(e: KernsimError): Check {
  return { what: 'run', ok: false, expected: 'a run the model completes', actual: `stopped by ${e.name}: ${e.message}` };
}

/** Whether the run completed, as an expectation (`expect.completes`, default `always`). */
export function observeCompletion(sc: Scenario, stopped: KernsimError | null): Observed {
  const cls = sc.expect?.completes;
  return {
    what: 'run', expected: 'a run the model completes', actual: stopped === null ? 'a run the model completes' : `stopped by ${stopped.name}: ${stopped.message}`,
    holds: stopped === null, ...(cls === undefined ? {} : { class: cls }),
  };
}

function runChecked(sc: Scenario, opts: RunScenarioOptions, budgets: Budgets): ScenarioRun {
  const version = sc.version ?? '6.19';
  const { session: s, loads } = buildScenario(sc, budgets);
  const start = s.world;
  let stopped: KernsimError | null = null;
  try {
    s.simulate(chooserOf(sc, opts));
  } catch (e) {
    // The model stops a run that does what the kernel cannot survive (an unverified program's use
    // after free, a sleep in atomic context, a kernel bug in a race window): the scenario's outcome,
    // not a crash of kernsim. The run is made again step by step, so that the world (and its trace)
    // is the one just before the step that stopped.
    if (!(e instanceof KernsimError) || e instanceof BudgetError) throw e;
    stopped = e;
    s.world = start;
    const chooser = chooserOf(sc, opts);
    try {
      while (s.step(chooser));
    } catch {
      // The same step stops again.
    }
  }
  const completion = sc.expect?.completes === undefined ? (stopped === null ? [] : [stoppedCheck(stopped)]) : [judge(observeCompletion(sc, stopped))];
  const checks = [...loadChecks(sc, loads), ...completion, ...checkExpectations(sc, s, version)];
  return { scenario: sc, session: s, loadErrors: loads.flatMap((l) => (l.error === null ? [] : [l.error.message])), checks, ok: checks.every((c) => c.ok) };
}

export interface LoadOutcome {
  readonly object: string;
  readonly error: LoadError | null;
}

/**
 * A check per object whose load failed or whose load is expected (`expect.load`): a failed load
 * that nothing expects fails the scenario; one that `expect.verifier` explains (a program of the object
 * expected refused) is left to that check.
 */
export function loadChecks(sc: Scenario, loads: readonly LoadOutcome[]): Check[] {
  const e = sc.expect ?? {};
  const out: Check[] = [];
  for (const l of loads) {
    const want = (e.load ?? []).find((x) => x.object === l.object);
    const actual = l.error === null ? 'loaded' : `refused with ${errnoName(l.error.errno)}${l.error.detail === null ? '' : `: ${l.error.detail}`}`;
    if (want !== undefined) {
      const expected = want.ok ? 'loaded' : `refused${want.errno === undefined ? '' : ` with ${want.errno}`}${want.message === undefined ? '' : ` (message containing ${JSON.stringify(want.message)})`}`;
      const ok = want.ok
        ? l.error === null
        : l.error !== null && (want.errno === undefined || errnoName(l.error.errno) === want.errno) && (want.message === undefined || (l.error.detail ?? '').includes(want.message));
      out.push({ what: `load of ${l.object}`, ok, expected, actual });
      continue;
    }
    if (l.error === null) continue;
    const obj = sc.objects.find((o) => o.name === l.object);
    const explained = (e.verifier ?? []).some((v) => !v.ok && obj?.programs.some((p) => p.name === v.program) === true);
    if (!explained) out.push({ what: `load of ${l.object}`, ok: false, expected: 'loaded (add expect.load to expect a refusal)', actual });
  }
  return out;
}

function norm(v: number | string | bigint): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint') return v < 0n && v >= -4095n ? errnoName(Number(v)) : String(v);
  return v < 0 ? errnoName(v) : String(v);
}

/** The checks of `sc`'s expectations against session `s` (what `runScenario` does after the run). */
export function checkExpectations(sc: Scenario, s: Session, version: KernelVersion): Check[] {
  return observeExpectations(sc, s, verifierVerdicts(sc, version)).map((o) => {
    // A verifier check lists its fields in this order (as `kernsim run --json` always printed it).
    if (o.what.startsWith('verifier ') && o.class === undefined) return { what: o.what, expected: o.expected, actual: o.actual, ok: o.holds };
    return judge(o);
  });
}

/** The verifier's verdict on each program of `sc` (they do not depend on the run). */
export function verifierVerdicts(sc: Scenario, version: KernelVersion): readonly { program: string; ok: boolean; message?: string | null }[] {
  if (sc.expect?.verifier === undefined) return [];
  return sc.objects.flatMap((o) => verifyObject(o, { features: withOverrides(KERNEL_VERSIONS[version], sc.features, 'features'), kfuncs: ALL_KFUNCS as unknown as Readonly<Record<string, AnyKfunc>> }));
}

/** An expectation written as a value or as `{ value, class }`: the value and the class. */
function classed<V>(want: V | { readonly value: V; readonly class: ExpectClass }): { value: V; class: ExpectClass | undefined } {
  if (want !== null && typeof want === 'object' && 'class' in want && 'value' in want) return { value: want.value, class: want.class };
  return { value: want as V, class: undefined };
}

/**
 * `sc`'s expectations evaluated on session `s` after a run, in the scenario's order (globals, calls,
 * results, refs, verifier, pages, runs): what was expected, what the run shows, whether it held.
 * `verdicts`: `verifierVerdicts(sc, version)`.
 */
export function observeExpectations(sc: Scenario, s: Session, verdicts: readonly { program: string; ok: boolean; message?: string | null }[]): Observed[] {
  const e = sc.expect ?? {};
  const out: Observed[] = [];
  const add = (what: string, expected: string, actual: string, cls: ExpectClass | undefined): void => {
    out.push({ what, expected, actual, holds: expected === actual, ...(cls === undefined ? {} : { class: cls }) });
  };
  for (const [name, w] of Object.entries(e.globals ?? {})) {
    const want = classed(w);
    const got = s.global(name);
    add(`global ${name}`, norm(want.value), got === undefined ? '(no such global)' : typeof got === 'bigint' ? norm(got) : `bytes[${got.length}]`, want.class);
  }
  const events = traceEvents(s.world.trace);
  for (const c of e.calls ?? []) {
    const calls = events.filter((ev) => ev.kind === 'kfunc' && ev.name === c.fn);
    const nth = c.nth ?? 0;
    const ev = calls[nth];
    // A negative expected value names an errno, except for a kfunc whose result is a plain signed number.
    const plain = kfuncDef(c.fn)?.ret === 'long' && typeof c.ret !== 'string';
    add(`${c.fn} call #${nth}`, plain ? String(c.ret) : norm(c.ret), ev?.kind === 'kfunc' ? ev.ret : `(only ${calls.length} call(s))`, c.class);
  }
  const tasks = [...s.world.tasks.values()];
  for (const r of e.results ?? []) {
    const t = tasks[r.task];
    const got = t?.results[r.syscall];
    add(`task ${r.task} syscall #${r.syscall} (${t?.script[r.syscall]?.sys ?? '?'})`, norm(r.ret), got === undefined ? '(not run)' : norm(got), r.class);
  }
  if (e.refs !== undefined) {
    const want = classed(e.refs);
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
    add('reference counts', 'baseline', off.length === 0 ? 'baseline' : off.join(', '), want.class);
  }
  for (const want of e.verifier ?? []) {
    const v = verdicts.find((x) => x.program === want.program);
    const got = v === undefined ? '(no such program)' : v.ok ? 'accepted' : `rejected: ${v.message ?? ''}`;
    const expected = want.ok ? 'accepted' : `rejected: ${want.message ?? ''}`;
    out.push({ what: `verifier ${want.program}`, expected, actual: got, holds: v !== undefined && v.ok === want.ok && (want.message === undefined || (v.message ?? '').includes(want.message)) });
  }
  for (const [path, w] of Object.entries(e.pages ?? {})) {
    const want = classed(w);
    add(`pages of ${path}`, JSON.stringify(want.value), JSON.stringify(s.pages(path)), want.class);
  }
  for (const r of e.runs ?? []) {
    const n = events.filter((ev) => ev.kind === 'prog' && ev.op === 'enter' && ev.name === r.program).length;
    add(`runs of ${r.program}`, String(r.times), String(n), r.class);
  }
  return out;
}
