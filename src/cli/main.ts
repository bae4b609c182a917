/**
 * The `kernsim` command line: run scenarios against their expectations, print or draw traces, explain
 * a kfunc, render programs as C, replay a property failure. Colours only on a TTY.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { ALL_KFUNCS } from '../task_work/kfuncs.ts';
import type { AnyKfunc } from '../model/kfunc/kfunc.ts';
import { formatTrace } from '../model/world/trace.ts';
import { BudgetError, KernsimError } from '../model/kernel/errors.ts';
import { parseBudgetText, type Budgets } from '../model/kernel/budget.ts';
import { didYouMean, nearest } from '../model/kernel/suggest.ts';
import { kfuncDef } from '../model/kfunc/registry.ts';
import { renderC } from '../model/program/render.ts';
import { parseScenario, runScenario, ScenarioError, statesClasses, type Scenario, type ScenarioRun } from '../scenario/run.ts';
import { exploreScenario, type ClassifiedCheck, type ExploreScenarioOptions, type ScenarioExploration, type Witness } from '../explore/scenario.ts';
import { explainText } from './explain.ts';
import { EXIT, usage } from './help.ts';
import { ensureTypeScriptLoader } from './typescript.ts';
import { perfettoTrace } from '../timeline/perfetto.ts';
import { timelineFormatProblem, timelineHtml, timelineSvg } from '../timeline/svg.ts';

const tty = process.stdout.isTTY === true;
const paint = (code: number) => (s: string): string => (tty ? `\x1b[${code}m${s}\x1b[0m` : s);
const green = paint(32);
const red = paint(31);
const dim = paint(2);

/** A problem that stops one file or one command: printed as `kernsim: WHERE: …` lines, with its exit code. */
class Refusal extends Error {
  constructor(readonly where: string, readonly lines: readonly string[], readonly exit: number) {
    super(lines.join('\n'));
  }
}

/** The lines and exit code for an error thrown while handling `where`. Never a stack trace (unless KERNSIM_DEBUG is set). */
function describeFailure(where: string, e: unknown): Refusal {
  if (e instanceof Refusal) return e;
  if (e instanceof ScenarioError) return new Refusal(where, [`${e.problems.length} problem(s)`, ...e.problems.map((p) => `  at ${p.path || '/'}: expected ${p.expected}`)], EXIT.badInput);
  if (e instanceof BudgetError) return new Refusal(where, [e.message], EXIT.badInput);
  if (e instanceof KernsimError) return new Refusal(where, [`${e.name}: ${e.message}`], EXIT.badInput);
  const err = e instanceof Error ? e : new Error(String(e));
  const debug = process.env.KERNSIM_DEBUG !== undefined && process.env.KERNSIM_DEBUG !== '' ? [err.stack ?? ''] : ['(set KERNSIM_DEBUG=1 for the stack trace)'];
  return new Refusal(where, [`internal error: ${err.name}: ${err.message}; please report it with the scenario`, ...debug], EXIT.internal);
}

function printRefusal(r: Refusal): void {
  for (const line of r.lines) console.error(`kernsim: ${r.where}: ${line}`);
}

/** Load a scenario file: JSON (data, validated) or a module (code: it runs with the user's rights). */
export async function loadScenario(file: string): Promise<Scenario> {
  const path = resolve(file);
  let doc: unknown;
  if (/\.[mc]?[jt]s$/.test(file)) {
    if (!existsSync(path)) throw new ScenarioError(file, [{ path: '', expected: 'a readable file (it does not exist)' }]);
    await ensureTypeScriptLoader(file);
    let mod: { default?: unknown; scenario?: unknown };
    try {
      mod = (await import(pathToFileURL(path).href)) as typeof mod;
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      throw new ScenarioError(file, [{ path: '', expected: `a module that loads (importing it threw ${err.name}: ${err.message.split('\n')[0] ?? ''})` }]);
    }
    doc = mod.default ?? mod.scenario;
    if (doc === undefined) throw new ScenarioError(file, [{ path: '', expected: 'a module whose default export (or export `scenario`) is a scenario' }]);
  } else {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new ScenarioError(file, [{ path: '', expected: `a readable file (${(e as Error).message})` }]);
    }
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw new ScenarioError(file, [{ path: '', expected: `valid JSON (${(e as Error).message})` }]);
    }
  }
  return parseScenario(doc, file);
}

function printRun(file: string, r: ScenarioRun): void {
  const verdict = r.ok ? green('PASS') : red('FAIL');
  console.log(`${verdict} ${r.scenario.name} ${dim(`(${file}, ${r.checks.length} checks)`)}`);
  for (const e of r.loadErrors) console.log(`  ${dim('load:')} ${e}`);
  for (const c of r.checks) if (!c.ok) console.log(`  ${red('✗')} ${c.what}: expected ${c.expected}, got ${c.actual}`);
}

/** `--seed`: an integer, or any other text as a string seed. */
function seedOf(v: string | undefined): number | string | undefined {
  if (v === undefined) return undefined;
  if (/^-?\d+$/.test(v)) {
    const n = Number(v);
    if (!Number.isSafeInteger(n)) throw new Refusal('--seed', [`expected an integer below 2^53 or a text seed, got ${v}`], EXIT.badInput);
    return n;
  }
  if (v === '') throw new Refusal('--seed', ['expected a seed, got an empty string'], EXIT.badInput);
  return v;
}

/** `--choices`: indices separated by commas (a witness of `kernsim explore`). */
function choicesOf(v: string | undefined): number[] | undefined {
  if (v === undefined) return undefined;
  if (!/^\d{1,9}(,\d{1,9}){0,99999}$/.test(v.trim()) && v.trim() !== '') throw new Refusal('--choices', [`expected choice indices separated by commas (as kernsim explore prints them), got ${JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v)}`], EXIT.badInput);
  return v.trim() === '' ? [] : v.trim().split(',').map(Number);
}

/** A positive integer option. */
function countOf(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d{1,12}$/.test(v) || Number(v) < 1) throw new Refusal(`--${name}`, [`expected a positive integer, got ${JSON.stringify(v)}`], EXIT.badInput);
  return Number(v);
}

function budgetsOf(v: string | undefined): Partial<Budgets> | undefined {
  if (v === undefined) return undefined;
  try {
    return parseBudgetText(v);
  } catch (e) {
    throw new Refusal('--budget', [e instanceof Error ? e.message : String(e)], EXIT.badInput);
  }
}

async function cmdRun(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' }, seed: { type: 'string' }, choices: { type: 'string' }, budget: { type: 'string' }, help: { type: 'boolean' } } });
  if (values.help === true || positionals.length === 0) return usage('run', positionals.length === 0 && values.help !== true, 'expected at least one scenario FILE');
  const seed = seedOf(values.seed);
  const choices = choicesOf(values.choices);
  if (seed !== undefined && choices !== undefined) throw new Refusal('run', ['--seed and --choices each give a schedule: give one'], EXIT.badInput);
  const budgets = budgetsOf(values.budget);
  const results: { file: string; ok: boolean; code: number; run?: ScenarioRun; exploration?: ScenarioExploration; error?: Refusal }[] = [];
  for (const [i, file] of positionals.entries()) {
    if (tty && !values.json && positionals.length > 3) process.stderr.write(`\r${dim(`[${i + 1}/${positionals.length}] ${file}`)}\x1b[K`);
    try {
      const sc = await loadScenario(file);
      if (statesClasses(sc) && seed === undefined && choices === undefined) {
        // Classes are claims about every schedule: check them by exploring.
        const ex = exploreScenario(sc, { ...(budgets === undefined ? {} : { budgets }), interrupt: timeLimit(DEFAULT_TIME_LIMIT) });
        results.push({ file, ok: ex.ok && !ex.inconclusive, code: explorationCode(ex), exploration: ex });
        continue;
      }
      const run = runScenario(sc, { ...(seed === undefined ? {} : { seed }), ...(choices === undefined ? {} : { choices }), ...(budgets === undefined ? {} : { budgets }) });
      results.push({ file, ok: run.ok, code: run.ok ? EXIT.pass : EXIT.mismatch, run });
    } catch (e) {
      const r = describeFailure(file, e);
      results.push({ file, ok: false, code: r.exit, error: r });
    }
  }
  if (tty && !values.json && positionals.length > 3) process.stderr.write('\r\x1b[K');
  if (values.json === true) {
    for (const r of results) if (r.error !== undefined) printRefusal(r.error);
    console.log(JSON.stringify(results.map((r) => (r.exploration !== undefined ? { file: r.file, ok: r.ok, exit: r.code, ...explorationJson(r.exploration, r.file, false) } : {
      file: r.file, ok: r.ok, exit: r.code, error: r.error?.lines.join('\n'),
      name: r.run?.scenario.name, loadErrors: r.run?.loadErrors, checks: r.run?.checks,
    })), null, 2));
  } else {
    for (const r of results) {
      if (r.run !== undefined) printRun(r.file, r.run);
      else if (r.exploration !== undefined) printExplorationVerdict(r.file, r.exploration);
      else if (r.error !== undefined) {
        console.log(`${red('ERROR')} ${r.file}`);
        printRefusal(r.error);
      }
    }
    const bad = results.filter((r) => !r.ok).length;
    console.log(`${results.length - bad} passed, ${bad} failed`);
  }
  return Math.max(EXIT.pass, ...results.map((r) => r.code));
}

/** Refuse an output path whose directory does not exist (or is not a directory) before anything runs. */
function checkOutPath(out: string, what: string): void {
  const dir = dirname(resolve(out));
  if (!existsSync(dir)) throw new Refusal(out, [`cannot write the ${what}: the directory ${dir} does not exist`], EXIT.badInput);
  if (!statSync(dir).isDirectory()) throw new Refusal(out, [`cannot write the ${what}: ${dir} is not a directory`], EXIT.badInput);
  if (existsSync(out) && statSync(out).isDirectory()) throw new Refusal(out, [`cannot write the ${what}: it is a directory`], EXIT.badInput);
}

async function cmdTrace(argv: string[], cmd = 'trace'): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { seed: { type: 'string' }, choices: { type: 'string' }, budget: { type: 'string' }, timeline: { type: 'string' }, perfetto: { type: 'string' }, help: { type: 'boolean' } } });
  if (values.help === true || positionals.length !== 1) return usage(cmd, values.help !== true, `expected one scenario FILE, got ${positionals.length}`);
  const file = positionals[0] as string;
  const seed = seedOf(values.seed);
  const choices = choicesOf(values.choices);
  if (seed !== undefined && choices !== undefined) throw new Refusal(cmd, ['--seed and --choices each give a schedule: give one'], EXIT.badInput);
  const budgets = budgetsOf(values.budget);
  if (values.timeline !== undefined) {
    const problem = timelineFormatProblem(values.timeline);
    if (problem !== null) throw new Refusal(values.timeline, [problem], EXIT.badInput);
    checkOutPath(values.timeline, 'timeline');
  }
  if (values.perfetto !== undefined) checkOutPath(values.perfetto, 'Perfetto trace');
  let run: ScenarioRun;
  try {
    run = runScenario(await loadScenario(file), { ...(seed === undefined ? {} : { seed }), ...(choices === undefined ? {} : { choices }), ...(budgets === undefined ? {} : { budgets }) });
  } catch (e) {
    throw describeFailure(file, e);
  }
  console.log(formatTrace(run.session.world.trace));
  for (const c of run.checks) if (c.what === 'run' && !c.ok) console.log(`(the model stopped the next step: ${c.actual})`);
  if (values.timeline !== undefined) {
    const out = values.timeline;
    try {
      writeFileSync(out, /\.html?$/i.test(out) ? timelineHtml(run.session.world, run.scenario.name) : timelineSvg(run.session.world));
    } catch (e) {
      throw new Refusal(out, [`cannot write the timeline: ${(e as Error).message}`], EXIT.badInput);
    }
    console.error(`wrote ${out}`);
  }
  if (values.perfetto !== undefined) {
    const out = values.perfetto;
    try {
      writeFileSync(out, `${JSON.stringify(perfettoTrace(run.session.world, `kernsim: ${run.scenario.name}`))}\n`);
    } catch (e) {
      throw new Refusal(out, [`cannot write the Perfetto trace: ${(e as Error).message}`], EXIT.badInput);
    }
    console.error(`wrote ${out} (open it in ui.perfetto.dev or chrome://tracing)`);
  }
  return EXIT.pass;
}

function cmdExplain(argv: string[]): number {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { list: { type: 'boolean' }, help: { type: 'boolean' } } });
  const table = ALL_KFUNCS as unknown as Record<string, AnyKfunc>;
  if (values.list === true) {
    for (const [n, d] of Object.entries(table)) console.log(`${n.padEnd(40)} ${d.summary}`);
    return EXIT.pass;
  }
  if (values.help === true || positionals.length !== 1) return usage('explain', values.help !== true, `expected one KFUNC name, got ${positionals.length}`);
  const name = positionals[0] as string;
  const def = kfuncDef(name);
  if (def === undefined) {
    const strip = (n: string): string => n.replace(/^bpf_/, '');
    const near = [
      ...nearest(strip(name), Object.keys(table).map(strip)).map((n) => Object.keys(table).find((k) => strip(k) === n) ?? n),
      ...Object.keys(table).filter((n) => n.includes(name) || name.includes(strip(n))),
    ];
    const uniq = [...new Set(near)];
    console.error(`kernsim: explain: no kfunc named ${name}${uniq.length > 0 ? `; did you mean ${uniq.join(', ')}?` : ''} (kernsim explain --list)`);
    return EXIT.badInput;
  }
  console.log(explainText(def));
  return EXIT.pass;
}

async function cmdRender(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { c: { type: 'boolean' }, help: { type: 'boolean' } } });
  if (values.help === true || positionals.length !== 1 || values.c !== true) return usage('render', values.help !== true, positionals.length !== 1 ? `expected one scenario FILE, got ${positionals.length}` : 'expected --c (the only output form)');
  const file = positionals[0] as string;
  let sc: Scenario;
  try {
    sc = await loadScenario(file);
  } catch (e) {
    throw describeFailure(file, e);
  }
  for (const o of sc.objects) console.log(renderC(o, ALL_KFUNCS as unknown as Record<string, AnyKfunc>));
  return EXIT.pass;
}

/** The names of the property suite's tests and groups (what vitest -t matches), from properties/. */
export function propertyNames(dir: string): string[] {
  const names: string[] = [];
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.test.ts')).sort()) {
    const text = readFileSync(join(dir, f), 'utf8');
    for (const m of text.matchAll(/\b(?:test|it|describe)(?:\.\w+)?(?:\([^()]*\))?\(\s*(['"`])((?:(?!\1)[^\\]|\\.)*)\1/g)) names.push(m[2] ?? '');
  }
  return names.filter((n) => n !== '');
}

function cmdReplay(argv: string[]): number | Promise<number> {
  // `kernsim replay FILE --choices LIST`: a witness of kernsim explore, as `kernsim trace` prints it.
  if (argv.some((a) => a === '--choices' || a.startsWith('--choices='))) return cmdTrace(argv, 'replay');
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { seed: { type: 'string' }, path: { type: 'string' }, property: { type: 'string' }, help: { type: 'boolean' } } });
  if (values.help === true) return usage('replay', false);
  if (values.seed === undefined || values.path === undefined) return usage('replay', true, 'expected --seed N and --path P (as a property failure prints them)');
  if (positionals.length > 0) throw new Refusal('replay', [`unexpected argument ${JSON.stringify(positionals[0])} (the property goes after --property)`], EXIT.badInput);
  // fast-check seeds are 32-bit integers; paths are colon-separated indices (as a failure prints them).
  if (!/^-?\d{1,10}$/.test(values.seed) || Math.abs(Number(values.seed)) > 2 ** 32) throw new Refusal('--seed', [`expected fast-check's seed (an integer, as a failure prints it), got ${JSON.stringify(values.seed)}`], EXIT.badInput);
  if (!/^\d{1,9}(:\d{1,9}){0,999}$/.test(values.path)) throw new Refusal('--path', [`expected fast-check's path (indices separated by colons, e.g. 11:3:0:1), got ${JSON.stringify(values.path)}`], EXIT.badInput);
  // The property suite and vitest live in the source checkout, not in the installed package.
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const dir = join(root, 'properties');
  if (!existsSync(dir) || !existsSync(join(root, 'node_modules/.bin/vitest'))) {
    throw new Refusal('replay', [`needs kernsim's source checkout: it re-runs the property suite, which this installed package (${root}) does not ship; `
      + 'clone the repository, run npm ci there, and paste the command the failure printed (or run kernsim replay there)'], EXIT.badInput);
  }
  if (values.property !== undefined) {
    let re: RegExp;
    try {
      re = new RegExp(values.property);
    } catch (e) {
      throw new Refusal('--property', [`not a valid pattern: ${(e as Error).message}`], EXIT.badInput);
    }
    const names = propertyNames(dir);
    if (!names.some((n) => re.test(n))) {
      const props = [...new Set(names.filter((n) => /^P\d/.test(n)))];
      throw new Refusal('--property', [`no property matches ${JSON.stringify(values.property)}${didYouMean(values.property, props)}`, 'the properties are:', ...props.map((n) => `  ${n}`)], EXIT.badInput);
    }
  }
  const args = ['vitest', 'run', '--project', 'props', ...(values.property === undefined ? [] : ['-t', values.property])];
  const r = spawnSync('npx', args, { cwd: root, stdio: 'inherit', env: { ...process.env, KERNSIM_SEED: values.seed, KERNSIM_PATH: values.path, KERNSIM_RUNS: '1' } });
  if (r.error !== undefined) throw new Refusal('replay', [`could not run vitest: ${r.error.message}`], EXIT.internal);
  return r.status === 0 ? EXIT.pass : EXIT.mismatch;
}


/** Seconds of wall time an exploration may take by default (`--time-limit`): a safety budget of the command line only. */
const DEFAULT_TIME_LIMIT = 300;

/** An `interrupt` for the explorer that stops it after `seconds` of wall time (the model itself never reads a clock). */
function timeLimit(seconds: number): () => boolean {
  const until = Date.now() + seconds * 1000;
  return () => Date.now() > until;
}

const CLASS_NAME = { always: 'Always', sometimes: 'Sometimes', never: 'Never' } as const;

/** The exit code of an exploration: a class found otherwise than stated is a mismatch (1); a bound that leaves a stated class unconfirmed is 2. */
function explorationCode(ex: ScenarioExploration): number {
  if (!ex.ok) return EXIT.mismatch;
  return ex.inconclusive ? EXIT.badInput : EXIT.pass;
}

function plural(n: bigint | number, what: string): string {
  return `${n} ${what}${n === 1 || n === 1n ? '' : 's'}`;
}

function boundText(ex: ScenarioExploration): string {
  switch (ex.stats.bound) {
    case null: return '';
    case 'states': return 'the states bound (--max-states)';
    case 'transitions': return 'the transitions bound (--max-transitions)';
    case 'depth': return 'the depth bound (--max-depth)';
    case 'time': return "the scenario's virtual-time budget (--budget time=N)";
    case 'interrupted': return 'the time limit (--time-limit)';
  }
}

/** The `kernsim run` verdict line of a scenario checked by exploring. */
function printExplorationVerdict(file: string, ex: ScenarioExploration): void {
  const verdict = !ex.ok ? red('FAIL') : ex.inconclusive ? red('INCONCLUSIVE') : green('PASS');
  console.log(`${verdict} ${ex.scenario.name} ${dim(`(${file}, ${ex.checks.length} expectations over ${plural(ex.schedules, 'schedule')}${ex.complete ? '' : `, stopped by ${boundText(ex)}`})`)}`);
  for (const c of ex.loadChecks) if (!c.ok) console.log(`  ${red('✗')} ${c.what}: expected ${c.expected}, got ${c.actual}`);
  for (const c of ex.checks) {
    if (c.ok && c.decided) continue;
    console.log(`  ${c.ok ? '?' : red('✗')} ${c.what}: expected ${c.stated} ${c.expected}, found ${CLASS_NAME[c.found]}${c.decided ? '' : ' (not every schedule explored)'} (holds in ${c.holds}, fails in ${c.fails})`);
  }
}

interface WitnessRef { readonly id: string; readonly w: Witness }

function explorationJson(ex: ScenarioExploration, file: string, traces: boolean): Record<string, unknown> {
  const wit = (w: Witness | undefined): unknown => (w === undefined ? undefined : { choices: w.choices.join(','), ...(traces ? { trace: formatTrace(w.world.trace) } : {}) });
  return {
    name: ex.scenario.name, complete: ex.complete, bound: ex.stats.bound, sampled: ex.sampled, inconclusive: ex.inconclusive,
    stats: { ...ex.stats, schedules: String(ex.schedules) },
    coverage: [...ex.coverage].sort(),
    loadChecks: ex.loadChecks,
    checks: ex.checks.map((c) => ({
      what: c.what, expected: c.expected, stated: c.stated, found: c.found, decided: c.decided, ok: c.ok,
      holds: String(c.holds), fails: String(c.fails), values: c.values.map((v) => ({ actual: v.actual, schedules: String(v.schedules) })),
      witnesses: { holds: wit(c.witnesses.holds), fails: wit(c.witnesses.fails) },
    })),
    replay: `kernsim trace ${file} --choices LIST`,
  };
}

async function cmdExplore(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true, options: {
      json: { type: 'boolean' }, brief: { type: 'boolean' }, 'no-reduction': { type: 'boolean' }, compare: { type: 'boolean' }, 'any-order': { type: 'boolean' },
      'max-states': { type: 'string' }, 'max-transitions': { type: 'string' }, 'max-depth': { type: 'string' }, 'time-limit': { type: 'string' },
      sample: { type: 'string' }, seed: { type: 'string' }, budget: { type: 'string' }, timeline: { type: 'string' }, help: { type: 'boolean' },
    },
  });
  if (values.help === true || positionals.length === 0) return usage('explore', positionals.length === 0 && values.help !== true, 'expected at least one scenario FILE');
  const budgets = budgetsOf(values.budget);
  const seed = seedOf(values.seed);
  const limit = countOf('time-limit', values['time-limit']) ?? DEFAULT_TIME_LIMIT;
  const sample = values.sample === '0' ? 0 : countOf('sample', values.sample);
  if (values.timeline !== undefined && (!existsSync(values.timeline) || !statSync(values.timeline).isDirectory())) {
    throw new Refusal(values.timeline, ['--timeline takes a directory that exists (one HTML timeline per witness is written there)'], EXIT.badInput);
  }
  const base: ExploreScenarioOptions = {
    reduction: values['no-reduction'] !== true,
    requestOrder: values['any-order'] !== true,
    ...(budgets === undefined ? {} : { budgets }),
    ...(seed === undefined ? {} : { seed }),
    ...(sample === undefined ? {} : { sample }),
    ...(values['max-states'] === undefined ? {} : { maxStates: countOf('max-states', values['max-states']) as number }),
    ...(values['max-transitions'] === undefined ? {} : { maxTransitions: countOf('max-transitions', values['max-transitions']) as number }),
    ...(values['max-depth'] === undefined ? {} : { maxDepth: countOf('max-depth', values['max-depth']) as number }),
  };
  const codes: number[] = [];
  const docs: unknown[] = [];
  for (const file of positionals) {
    let ex: ScenarioExploration;
    let ms: number;
    let other: { ex: ScenarioExploration; ms: number; reduced: boolean } | null = null;
    try {
      const sc = await loadScenario(file);
      const t0 = performance.now();
      ex = exploreScenario(sc, { ...base, interrupt: timeLimit(limit) });
      ms = performance.now() - t0;
      if (values.compare === true) {
        const t1 = performance.now();
        const ex2 = exploreScenario(sc, { ...base, reduction: !(base.reduction ?? true), interrupt: timeLimit(limit) });
        other = { ex: ex2, ms: performance.now() - t1, reduced: !(base.reduction ?? true) };
      }
    } catch (e) {
      const r = describeFailure(file, e);
      if (values.json !== true) console.log(`${red('ERROR')} ${file}`);
      printRefusal(r);
      codes.push(r.exit);
      if (values.json === true) docs.push({ file, ok: false, exit: r.exit, error: r.lines.join('\n') });
      continue;
    }
    const code = explorationCode(ex);
    codes.push(code);
    const witnesses: WitnessRef[] = [];
    const idOf = (w: Witness | undefined): string | null => {
      if (w === undefined) return null;
      const key = w.choices.join(',');
      const found = witnesses.find((x) => x.w.choices.join(',') === key);
      if (found !== undefined) return found.id;
      const id = `W${witnesses.length + 1}`;
      witnesses.push({ id, w });
      return id;
    };
    for (const c of ex.checks) { idOf(c.witnesses.holds); idOf(c.witnesses.fails); }
    if (values.timeline !== undefined) {
      for (const { id, w } of witnesses) {
        const out = join(values.timeline, `${ex.scenario.name}.${id}.html`);
        writeFileSync(out, timelineHtml(w.world, `${ex.scenario.name} — witness ${id} (choices ${w.choices.join(',')})`));
      }
    }
    if (values.json === true) {
      docs.push({ file, ok: ex.ok && !ex.inconclusive, exit: code, time_ms: Math.round(ms), ...explorationJson(ex, file, values.brief !== true),
        ...(other === null ? {} : { compare: { reduction: other.ex.stats, schedules: String(other.ex.schedules), time_ms: Math.round(other.ms) } }) });
      continue;
    }
    printExploration(file, ex, ms, other, witnesses, idOf, values.brief === true, values.timeline);
  }
  if (values.json === true) console.log(JSON.stringify(docs, null, 2));
  return Math.max(EXIT.pass, ...codes);
}

function printExploration(file: string, ex: ScenarioExploration, ms: number, other: { ex: ScenarioExploration; ms: number; reduced: boolean } | null,
  witnesses: readonly WitnessRef[], idOf: (w: Witness | undefined) => string | null, brief: boolean, timelineDir: string | undefined): void {
  const verdict = !ex.ok ? red('FAIL') : ex.inconclusive ? red('INCONCLUSIVE') : green('PASS');
  const st = ex.stats;
  console.log(`${verdict} ${ex.scenario.name} ${dim(`(${file})`)}`);
  console.log(`  ${plural(st.states, 'state')}, ${plural(st.transitions, 'transition')}, ${plural(ex.schedules, 'schedule')}, ${plural(st.terminals, 'final state')}, depth ${st.depth}, ${(ms / 1000).toFixed(2)} s${st.slept > 0 ? `, ${st.slept} slept (reduction)` : ''}`);
  if (!ex.complete) console.log(`  ${red('stopped by')} ${boundText(ex)}; ${plural(ex.sampled, 'random schedule')} sampled as well: a class not seen both ways is not certain`);
  if (other !== null) {
    const [withR, without] = other.reduced ? [other.ex, ex] : [ex, other.ex];
    const ratio = (a: bigint | number, b: bigint | number): string => (Number(b) === 0 ? '-' : `${(Number(a) / Number(b)).toFixed(2)}×`);
    console.log(`  reduction: ${withR.stats.transitions} vs ${without.stats.transitions} transitions (${ratio(without.stats.transitions, withR.stats.transitions)}), ${withR.schedules} vs ${without.schedules} schedules (${ratio(without.schedules, withR.schedules)}), ${withR.stats.states} vs ${without.stats.states} states`);
  }
  for (const c of ex.loadChecks) if (!c.ok) console.log(`  ${red('✗')} ${c.what}: expected ${c.expected}, got ${c.actual}`);
  for (const c of ex.checks) printClassified(c, idOf);
  if (witnesses.length === 0) return;
  console.log('  witnesses (replay: kernsim trace FILE --choices LIST):');
  for (const { id, w } of witnesses) {
    console.log(`    ${id}: --choices ${w.choices.join(',') || '""'}${timelineDir === undefined ? '' : `  (${join(timelineDir, `${ex.scenario.name}.${id}.html`)})`}`);
    if (!brief) for (const line of formatTrace(w.world.trace).split('\n')) console.log(`      ${dim(line)}`);
  }
}

function printClassified(c: ClassifiedCheck, idOf: (w: Witness | undefined) => string | null): void {
  const mark = c.ok ? (c.decided ? green('✓') : '?') : red('✗');
  const stated = c.stated === c.found && c.decided ? '' : `; expected ${CLASS_NAME[c.stated]}`;
  console.log(`  ${mark} ${c.what} = ${c.expected}: ${CLASS_NAME[c.found]}${c.decided ? '' : '?'} (holds in ${c.holds}, fails in ${c.fails}${stated})`);
  if (c.values.length > 1 || c.found !== 'always') console.log(`      values: ${c.values.map((v) => `${v.actual} (${v.schedules})`).join(', ')}`);
  const h = idOf(c.witnesses.holds);
  const f = idOf(c.witnesses.fails);
  if (h !== null || f !== null) console.log(`      witness${h !== null && f !== null ? 'es' : ''}: ${[h === null ? null : `holds ${h}`, f === null ? null : `fails ${f}`].filter((x) => x !== null).join(', ')}`);
}

/** The command line: returns the exit status; never throws, never prints a stack trace (unless KERNSIM_DEBUG). */
export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'run': return await cmdRun(rest);
      case 'trace': return await cmdTrace(rest);
      case 'explain': return cmdExplain(rest);
      case 'render': return await cmdRender(rest);
      case 'replay': return await cmdReplay(rest);
      case 'explore': return await cmdExplore(rest);
      case undefined: case '--help': case '-h': case 'help': return usage('main', cmd === undefined, 'expected a command');
      default:
        return usage('main', true, `unknown command ${cmd}${didYouMean(cmd, ['run', 'trace', 'explore', 'explain', 'render', 'replay'])}`);
    }
  } catch (e) {
    const code = (e as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
      console.error(`kernsim: ${cmd ?? ''}: ${(e as Error).message}`);
      return EXIT.badInput;
    }
    const r = describeFailure(cmd ?? 'kernsim', e);
    printRefusal(r);
    return r.exit;
  }
}
