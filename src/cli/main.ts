/**
 * The `kernsim` command line: run scenarios against their expectations, print or draw traces, explain
 * a kfunc, render programs as C, replay a property failure. Colours only on a TTY.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { ALL_KFUNCS } from '../task_work/kfuncs.ts';
import type { AnyKfunc } from '../model/kfunc/kfunc.ts';
import { formatTrace } from '../model/world/trace.ts';
import { KernsimError } from '../model/kernel/errors.ts';
import { renderC } from '../model/program/render.ts';
import { parseScenario, runScenario, ScenarioError, type Scenario, type ScenarioRun } from '../scenario/run.ts';
import { explainText } from './explain.ts';
import { usage } from './help.ts';
import { ensureTypeScriptLoader } from './typescript.ts';
import { timelineFormatProblem, timelineHtml, timelineSvg } from '../timeline/svg.ts';
import { perfettoTrace } from '../timeline/perfetto.ts';

const tty = process.stdout.isTTY === true;
const paint = (code: number) => (s: string): string => (tty ? `\x1b[${code}m${s}\x1b[0m` : s);
const green = paint(32);
const red = paint(31);
const dim = paint(2);

export async function loadScenario(file: string): Promise<Scenario> {
  const path = resolve(file);
  let doc: unknown;
  if (/\.[mc]?[jt]s$/.test(file)) {
    await ensureTypeScriptLoader(file);
    const mod = (await import(pathToFileURL(path).href)) as { default?: unknown; scenario?: unknown };
    doc = mod.default ?? mod.scenario;
  } else {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new ScenarioError(file, [{ path: '/', expected: `a readable file (${(e as Error).message})` }]);
    }
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw new ScenarioError(file, [{ path: '/', expected: `valid JSON (${(e as Error).message})` }]);
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

function seedOf(v: string | undefined): number | string | undefined {
  if (v === undefined) return undefined;
  return /^-?\d+$/.test(v) ? Number(v) : v;
}

async function cmdRun(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' }, seed: { type: 'string' }, help: { type: 'boolean' } } });
  if (values.help === true || positionals.length === 0) return usage('run', positionals.length === 0 && values.help !== true);
  const results: { file: string; ok: boolean; run?: ScenarioRun; error?: string }[] = [];
  for (const [i, file] of positionals.entries()) {
    if (tty && !values.json && positionals.length > 3) process.stderr.write(`\r${dim(`[${i + 1}/${positionals.length}] ${file}`)}\x1b[K`);
    try {
      const run = runScenario(await loadScenario(file), { seed: seedOf(values.seed) });
      results.push({ file, ok: run.ok, run });
    } catch (e) {
      if (!(e instanceof KernsimError)) throw e;
      results.push({ file, ok: false, error: e.message });
    }
  }
  if (tty && !values.json && positionals.length > 3) process.stderr.write('\r\x1b[K');
  if (values.json === true) {
    console.log(JSON.stringify(results.map((r) => ({
      file: r.file, ok: r.ok, error: r.error,
      name: r.run?.scenario.name, loadErrors: r.run?.loadErrors, checks: r.run?.checks,
    })), null, 2));
  } else {
    for (const r of results) {
      if (r.run !== undefined) printRun(r.file, r.run);
      else console.log(`${red('ERROR')} ${r.error ?? ''}`);
    }
    const bad = results.filter((r) => !r.ok).length;
    console.log(`${results.length - bad} passed, ${bad} failed`);
  }
  return results.every((r) => r.ok) ? 0 : 1;
}

async function cmdTrace(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { seed: { type: 'string' }, timeline: { type: 'string' }, perfetto: { type: 'string' }, help: { type: 'boolean' } } });
  if (values.help === true || positionals.length !== 1) return usage('trace', values.help !== true);
  const timelineProblem = values.timeline === undefined ? null : timelineFormatProblem(values.timeline);
  if (timelineProblem !== null) {
    console.error(`kernsim: ${timelineProblem}`);
    return 2;
  }
  const file = positionals[0] as string;
  const run = runScenario(await loadScenario(file), { seed: seedOf(values.seed) });
  console.log(formatTrace(run.session.world.trace));
  if (values.timeline !== undefined) {
    const out = values.timeline;
    writeFileSync(out, out.endsWith('.html') ? timelineHtml(run.session.world, run.scenario.name) : timelineSvg(run.session.world));
    console.error(`wrote ${out}`);
  }
  if (values.perfetto !== undefined) {
    writeFileSync(values.perfetto, `${JSON.stringify(perfettoTrace(run.session.world, `kernsim: ${run.scenario.name}`))}\n`);
    console.error(`wrote ${values.perfetto} (open it in ui.perfetto.dev or chrome://tracing)`);
  }
  return 0;
}

function cmdExplain(argv: string[]): number {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { list: { type: 'boolean' }, help: { type: 'boolean' } } });
  const table = ALL_KFUNCS as unknown as Record<string, AnyKfunc>;
  if (values.list === true) {
    for (const [n, d] of Object.entries(table)) console.log(`${n.padEnd(40)} ${d.summary}`);
    return 0;
  }
  if (values.help === true || positionals.length !== 1) return usage('explain', values.help !== true);
  const name = positionals[0] as string;
  const def = table[name];
  if (def === undefined) {
    const near = Object.keys(table).filter((n) => n.includes(name) || name.includes(n.replace(/^bpf_/, '')));
    console.error(`kernsim: no kfunc named ${name}${near.length > 0 ? `; did you mean ${near.join(', ')}?` : ''} (kernsim explain --list)`);
    return 2;
  }
  console.log(explainText(def));
  return 0;
}

async function cmdRender(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { c: { type: 'boolean' }, help: { type: 'boolean' } } });
  if (values.help === true || positionals.length !== 1 || values.c !== true) return usage('render', values.help !== true);
  const sc = await loadScenario(positionals[0] as string);
  for (const o of sc.objects) console.log(renderC(o, ALL_KFUNCS as unknown as Record<string, AnyKfunc>));
  return 0;
}

function cmdReplay(argv: string[]): number {
  const { values } = parseArgs({ args: argv, options: { seed: { type: 'string' }, path: { type: 'string' }, property: { type: 'string' }, help: { type: 'boolean' } } });
  if (values.help === true || values.seed === undefined || values.path === undefined) return usage('replay', values.help !== true);
  // The property suite and vitest live in the source checkout, not in the installed package.
  const root = fileURLToPath(new URL('../../', import.meta.url));
  if (!existsSync(join(root, 'properties')) || !existsSync(join(root, 'node_modules/.bin/vitest'))) {
    console.error(`kernsim: replay needs kernsim's source checkout: it re-runs the property suite, which this installed package (${root}) does not ship; `
      + 'clone the repository, run npm ci there, and paste the command the failure printed (or run kernsim replay there)');
    return 2;
  }
  const args = ['vitest', 'run', '--project', 'props', ...(values.property === undefined ? [] : ['-t', values.property])];
  const r = spawnSync('npx', args, { cwd: root, stdio: 'inherit', env: { ...process.env, KERNSIM_SEED: values.seed, KERNSIM_PATH: values.path, KERNSIM_RUNS: '1' } });
  return r.status ?? 1;
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'run': return await cmdRun(rest);
      case 'trace': return await cmdTrace(rest);
      case 'explain': return cmdExplain(rest);
      case 'render': return await cmdRender(rest);
      case 'replay': return cmdReplay(rest);
      case undefined: case '--help': case '-h': case 'help': return usage('main', cmd === undefined);
      default:
        console.error(`kernsim: unknown command ${cmd}`);
        return usage('main', true);
    }
  } catch (e) {
    if (e instanceof KernsimError) {
      console.error(`kernsim: ${e.message}`);
      return 1;
    }
    if (e instanceof TypeError && /parseArgs|Unknown option/i.test(String(e))) {
      console.error(`kernsim: ${(e as Error).message}`);
      return 2;
    }
    if ((e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') === true) {
      console.error(`kernsim: ${(e as Error).message}`);
      return 2;
    }
    throw e;
  }
}
