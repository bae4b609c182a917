/**
 * kernsim as another project uses it: `npm pack` of a copy of this checkout (which builds dist/ on
 * `prepare`), the tarball installed into an empty project (its dependencies from the npm registry or
 * npm's cache), and then:
 *   1. plain `node` imports `kernsim` and runs the seed scenario; the installed `kernsim` command runs
 *      a scenario, answers --help, and says that `replay` needs the source checkout;
 *   2. `tsc --strict` (the main package's TypeScript 7, and TypeScript 5 from tools/deps when it is
 *      installed) type-checks a consumer file that uses the public API, with no @types/node;
 *   3. a browser bundle of a consumer entry (esbuild) runs in headless Chromium and shows the seed
 *      scenario's verdict.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS } from '../scripts/screenshot.ts';
import { tempDirs } from './support/tmpdir.ts';

const ROOT = join(import.meta.dirname, '..');
const TSC = join(ROOT, 'node_modules/.bin/tsc');
const TSC5 = join(ROOT, 'tools/deps/node_modules/typescript/bin/tsc');

const tempDir = tempDirs('kernsim-consumer-');
let work = '';
let consumer = '';
let packed: string[] = [];

/** The files of the checkout as git sees them (tracked, and new files not ignored). */
function checkoutFiles(): string[] {
  return execFileSync('git', ['ls-files', '-co', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter((f) => f !== '' && existsSync(join(ROOT, f)));
}

beforeAll(() => {
  work = tempDir();
  // A copy of the checkout without dist/ (as a fresh clone has it), with the installed node_modules.
  const pkg = join(work, 'kernsim');
  for (const f of checkoutFiles()) {
    mkdirSync(dirname(join(pkg, f)), { recursive: true });
    cpSync(join(ROOT, f), join(pkg, f));
  }
  symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'), 'dir');
  expect(existsSync(join(pkg, 'dist'))).toBe(false);
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: pkg, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const info = JSON.parse(out.slice(out.indexOf('['))) as { filename: string; files: { path: string }[] }[];
  packed = (info[0]?.files ?? []).map((f) => f.path);
  const tarball = join(work, info[0]?.filename ?? '');

  consumer = join(work, 'consumer');
  mkdirSync(consumer);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies: { kernsim: `file:${tarball}` } }, null, 2));
  execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: consumer, stdio: 'pipe' });
}, 300_000);

const SEED_RUN = `
import { parseScenario, runScenario } from 'kernsim';
import seed from 'kernsim/examples/seed.json' with { type: 'json' };
const run = runScenario(parseScenario(seed, 'seed.json'));
export const verdict = \`\${run.ok ? 'PASS' : 'FAIL'} \${run.scenario.name} run_success=\${run.session.global('run_success')} err=\${run.session.global('err')}\`;
`;

describe('kernsim from another project (npm pack, npm install of the tarball)', () => {
  test('the tarball holds the compiled package and no sources of the test suite', () => {
    for (const f of ['package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/index.js.map', 'dist/index.d.ts.map', 'dist/cli/main.js', 'bin/kernsim.mjs', 'schema/scenario.schema.json', 'examples/seed.json', 'README.md']) {
      expect(packed, f).toContain(f);
    }
    expect(packed.filter((f) => /^(test|properties|conformance|tools|node_modules)\//.test(f))).toEqual([]);
    expect(existsSync(join(consumer, 'node_modules/kernsim/dist/index.js'))).toBe(true);
    // Runtime dependencies only: no TypeScript loader, test runner or compiler installed with it.
    const installed = readdirSync(join(consumer, 'node_modules'));
    for (const dev of ['tsx', 'vitest', 'typescript', 'esbuild', 'fast-check']) expect(installed, dev).not.toContain(dev);
  });

  test('1. plain node imports kernsim and runs the seed scenario; the installed command works', () => {
    writeFileSync(join(consumer, 'seed.mjs'), `${SEED_RUN}\nconsole.log(verdict);\n`);
    expect(execFileSync(process.execPath, ['seed.mjs'], { cwd: consumer, encoding: 'utf8' }).trim()).toBe('PASS seed run_success=1 err=0');
    const bin = join(consumer, 'node_modules/.bin/kernsim');
    const help = spawnSync(bin, ['--help'], { cwd: consumer, encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: kernsim <command>');
    const run = spawnSync(bin, ['run', 'node_modules/kernsim/examples/bounds.json'], { cwd: consumer, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(run.stdout).toContain('PASS bounds');
    expect(run.status).toBe(0);
    const replay = spawnSync(bin, ['replay', '--seed', '1', '--path', '0'], { cwd: consumer, encoding: 'utf8' });
    expect(replay.status).toBe(2);
    expect(replay.stderr).toContain('kernsim: replay: needs kernsim\'s source checkout');
    writeFileSync(join(consumer, 'x.scenario.ts'), 'export default {};\n');
    const ts = spawnSync(bin, ['run', 'x.scenario.ts'], { cwd: consumer, encoding: 'utf8' });
    expect(ts.stdout + ts.stderr).toContain('needs tsx');
    expect(ts.stdout + ts.stderr).not.toMatch(/\n\s+at \S+ \(|node:internal/);
  }, 60_000);

  test('2. tsc --strict type-checks a consumer of the public API (no @types/node, lib checked)', () => {
    writeFileSync(join(consumer, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib: ['es2022'], types: [], noEmit: true, skipLibCheck: false, resolveJsonModule: true },
      files: ['check.ts'],
    }));
    writeFileSync(join(consumer, 'check.ts'), `
import {
  content, parseScenario, perfettoTrace, program as P, runScenario, scenarioMarkdown, Session, timelineSvg,
  type Action, type BpfObject, type PageInfo, type ProgramCalls, type TaskState, type TaskWorkInfo,
} from 'kernsim';
import seed from 'kernsim/examples/seed.json' with { type: 'json' };

const { call, r, imm, NULL, map, tw, cb, label, goto, ret, when, store } = P;
const obj: BpfObject = {
  name: 'demo', globals: [{ name: 'ran', kind: 'int' }],
  maps: [{ name: 'arrmap', type: 'array', maxEntries: 1, valueSize: 8, taskWorkFields: 1 }],
  programs: [{ name: 'on_open', section: 'lsm/file_open', body: [
    call('bpf_map_lookup_elem', [map('arrmap'), imm(0)], 'r6'), goto('out', when('r6', '==', NULL)),
    call('bpf_get_current_task_btf', [], 'r7'),
    call('bpf_task_work_schedule_signal_impl', [r('r7'), tw('r6'), map('arrmap'), cb('work'), NULL], 'r0'),
    label('out'), ret(imm(0)),
  ] }],
  subprogs: [{ name: 'work', isStatic: true, body: [store('ran', imm(1)), ret(imm(0))] }],
};
const s = new Session({ version: '6.19' });
s.createFile({ path: '/bin/app', content: content.pattern(3), size: 8192 });
const id: number = s.load(obj);
const pid: number = s.spawn({ comm: 'app', exe: '/bin/app', script: [{ sys: 'sleep', ticks: 5 }] });
const p: ProgramCalls = s.asProgram(id, 'on_open', { task: pid });
const rc: number = p.bpf_task_work_schedule_signal_impl(pid, p.slot('arrmap', 0), p.map('arrmap'), 'work', null);
const work: TaskWorkInfo | null = s.taskWork('arrmap', 0);
const taken: Action = s.stepAction('irq');
const state: TaskState = s.taskState(pid);
const pages: PageInfo[] = s.pageStates('/bin/app');
const value = new Uint8Array(8);
const looked: number = s.mapLookup('arrmap', 0, value);
const updated: number = s.mapUpdate('arrmap', 0, value, 0);
const ran: bigint | Uint8Array | undefined = s.global('demo', 'ran') ?? s.global('ran');
const size: bigint = s.bpf_dynptr_size('d');
const run = runScenario(parseScenario(seed, 'seed.json'));
const md: string = scenarioMarkdown(run, { calls: ['bpf_dynptr_read'] });
const svg: string = timelineSvg(run.session.world);
const events: number = perfettoTrace(run.session.world).traceEvents.length;
export const all = [rc, work?.state, taken.kind, state, pages.length, looked, updated, ran, size, md, svg, events];
`);
    const t7 = spawnSync(TSC, ['-p', '.'], { cwd: consumer, encoding: 'utf8' });
    expect(`${t7.stdout}${t7.stderr}`).toBe('');
    expect(t7.status).toBe(0);
    if (existsSync(TSC5)) {
      const t5 = spawnSync(process.execPath, [TSC5, '-p', '.'], { cwd: consumer, encoding: 'utf8' });
      expect(`${t5.stdout}${t5.stderr}`).toBe('');
      expect(t5.status).toBe(0);
    }
    // The check is not vacuous: a misuse of the API is an error.
    writeFileSync(join(consumer, 'check.ts'), "import { Session } from 'kernsim';\nconst n: number = new Session().taskState(1);\nexport { n };\n");
    const bad = spawnSync(TSC, ['-p', '.'], { cwd: consumer, encoding: 'utf8' });
    expect(bad.status).not.toBe(0);
    expect(bad.stdout).toContain('TS2322');
  }, 120_000);

  test('3. a browser bundle of a consumer entry runs the seed scenario in headless Chromium', async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium`).toBe(true);
    writeFileSync(join(consumer, 'browser.mjs'), `${SEED_RUN}\ndocument.getElementById('out').textContent = verdict;\n`);
    const r = await build({
      absWorkingDir: consumer, entryPoints: ['browser.mjs'], bundle: true, format: 'iife', platform: 'browser',
      target: 'es2022', outfile: join(consumer, 'site/app.js'), metafile: true, logLevel: 'silent',
    });
    expect(Object.keys(r.metafile.inputs).filter((f) => f.startsWith('node:') || f.includes('/dist/cli/'))).toEqual([]);
    writeFileSync(join(consumer, 'site/index.html'), '<!doctype html><meta charset="utf-8"><title>consumer</title><p id="out">running…</p><script src="app.js"></script>\n');
    const browser = await chromium.launchPersistentContext(join(work, 'profile'), { executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(pathToFileURL(join(consumer, 'site/index.html')).href);
      await page.waitForFunction("document.getElementById('out').textContent !== 'running…'", undefined, { timeout: 60_000 });
      expect(await page.textContent('#out')).toBe('PASS seed run_success=1 err=0');
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 120_000);
});
