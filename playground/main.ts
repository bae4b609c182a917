/**
 * The playground page (docs/playground/, built by scripts/build-playground.ts): a reader picks one of
 * examples/*.json or edits a scenario, runs it in the browser with the model, and sees the verdict,
 * the checks, the globals, the trace and the timeline. Everything runs here; nothing is sent anywhere.
 */
import { errnoName, KernsimError, parseScenario, perfettoTrace, runScenario, timelineSvg, type ScenarioRun } from '../src/index.ts';
import { EXAMPLES } from 'kernsim-examples';

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`playground: no #${id}`);
  return el as T;
};

const select = $<HTMLSelectElement>('example');
const text = $<HTMLTextAreaElement>('scenario');
const seed = $<HTMLInputElement>('seed');

function show(id: string, value: string): void {
  $(id).textContent = value;
}

/** The int globals of the loaded objects, those the scenario expects first (in its order). */
function globalsLine(run: ScenarioRun): string {
  const expected = Object.keys(run.scenario.expect?.globals ?? {});
  const all = new Map<string, bigint>();
  for (const [id, o] of run.session.world.objects) {
    for (const d of o.def.globals) {
      const v = all.has(d.name) ? undefined : run.session.global(id, d.name);
      if (typeof v === 'bigint') all.set(d.name, v);
    }
  }
  const names = [...expected.filter((n) => all.has(n)), ...[...all.keys()].filter((n) => !expected.includes(n))];
  return names.map((n) => {
    const v = all.get(n) ?? 0n;
    return `${n}=${v < 0n && v >= -4095n ? errnoName(Number(v)) : v.toString()}`;
  }).join(' ');
}

function render(run: ScenarioRun): void {
  const v = $('verdict');
  v.className = run.ok ? 'pass' : 'fail';
  v.textContent = `${run.ok ? 'PASS' : 'FAIL'} ${run.scenario.name} (${run.checks.filter((c) => c.ok).length} of ${run.checks.length} checks hold)`;
  show('error', run.loadErrors.map((e) => `load: ${e}`).join('\n'));
  show('globals', run.session.world.objects.size > 0 ? `globals: ${globalsLine(run)}` : '');
  const table = $<HTMLTableElement>('checks');
  table.replaceChildren();
  const head = table.insertRow();
  for (const h of ['check', 'expected', 'computed', '']) head.appendChild(document.createElement('th')).textContent = h;
  for (const c of run.checks) {
    const row = table.insertRow();
    row.className = 'check';
    for (const t of [c.what, c.expected, c.actual, c.ok ? '✓' : '✗']) row.insertCell().textContent = t;
    (row.lastElementChild as HTMLElement).className = c.ok ? 'ok' : 'bad';
  }
  show('trace', run.session.trace());
  $('timeline').innerHTML = timelineSvg(run.session.world);
  const link = $<HTMLAnchorElement>('perfetto');
  const old = link.href;
  if (old.startsWith('blob:')) URL.revokeObjectURL(old);
  link.href = URL.createObjectURL(new Blob([JSON.stringify(perfettoTrace(run.session.world, `kernsim: ${run.scenario.name}`))], { type: 'application/json' }));
  link.hidden = false;
}

function fail(message: string): void {
  const v = $('verdict');
  v.className = 'fail';
  v.textContent = 'ERROR';
  show('error', message);
  for (const id of ['globals', 'trace']) show(id, '');
  $('checks').replaceChildren();
  $('timeline').replaceChildren();
}

function run(): void {
  let doc: unknown;
  try {
    doc = JSON.parse(text.value);
  } catch (e) {
    fail(`not valid JSON: ${(e as Error).message}`);
    return;
  }
  try {
    const s = seed.value.trim();
    render(runScenario(parseScenario(doc, 'scenario'), s === '' ? {} : { seed: /^-?\d+$/.test(s) ? Number(s) : s }));
  } catch (e) {
    if (e instanceof KernsimError) fail(e.message);
    else throw e;
  }
}

for (const [i, ex] of EXAMPLES.entries()) {
  const opt = document.createElement('option');
  opt.value = String(i);
  opt.textContent = `${ex.file}: ${String((ex.doc as { name?: unknown }).name ?? '')}`;
  select.appendChild(opt);
}
const pick = (): void => {
  const ex = EXAMPLES[Number(select.value)];
  if (ex !== undefined) text.value = JSON.stringify(ex.doc, null, 2);
};
select.addEventListener('change', pick);
$('run').addEventListener('click', run);
const initial = EXAMPLES.findIndex((e) => e.file === 'seed.json');
select.value = String(Math.max(0, initial));
pick();
