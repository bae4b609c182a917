/**
 * The abuse harness (issue 16; numbers in docs/robustness.md): malformed scenarios derived from the
 * examples, fuzzed documents, Session API misuses and command-line invocations, each classified:
 * a crash (an internal error, a stack trace), a hang (no answer within the watchdog's time), a silent
 * pass (bad input accepted), an error without a place, or a correct answer.
 *
 *     npx tsx scripts/abuse/run.ts            # ABUSE_FUZZ=6000 ABUSE_SEED=16 by default
 */
import { fork, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KernsimError, ArgumentError, ScenarioError, UnknownHandleError } from '../../src/index.ts';
import { apiMisuses, cliCases } from './cases.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const WATCHDOG_MS = Number(process.env.ABUSE_WATCHDOG_MS ?? 60_000);

interface DocResult { i: number; id: string; klass: string; want: string; kind: string; placed: boolean; detail: string; ms: number; polluted: boolean }

async function runDocs(): Promise<{ results: DocResult[]; hangs: string[]; total: number }> {
  const results: DocResult[] = [];
  const hangs: string[] = [];
  let next = 0;
  let total = Infinity;
  while (next < total) {
    const child = fork(join(HERE, 'worker.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const r = await new Promise<'done' | 'hang' | 'exit'>((resolve) => {
      let timer = setTimeout(() => resolve('hang'), WATCHDOG_MS * 4);
      const arm = (): void => { clearTimeout(timer); timer = setTimeout(() => resolve('hang'), WATCHDOG_MS); };
      child.on('message', (m: { ready?: number; done?: boolean } & Partial<DocResult>) => {
        if (m.ready !== undefined) { total = m.ready; arm(); child.send({ from: next, to: total }); return; }
        if (m.done === true) { clearTimeout(timer); resolve('done'); return; }
        results.push(m as DocResult);
        next = (m.i ?? next) + 1;
        if (results.length % 500 === 0) process.stderr.write(`  ${results.length}/${total} documents\n`);
        arm();
      });
      child.on('exit', () => { clearTimeout(timer); resolve('exit'); });
    });
    child.kill('SIGKILL');
    if (r === 'done') break;
    // The case being run when the child stopped answering (or died) is a hang (or a crash of the process).
    hangs.push(`#${next} (${r})`);
    next += 1;
  }
  return { results, hangs, total };
}

function runApi(): { id: string; outcome: 'ok' | 'silent' | 'crash' | 'unplaced'; detail: string }[] {
  return apiMisuses().map((c) => {
    try {
      c.call();
      return { id: c.id, outcome: 'silent' as const, detail: 'no error' };
    } catch (e) {
      if (e instanceof ArgumentError || e instanceof UnknownHandleError) return { id: c.id, outcome: e.argument.length > 0 ? 'ok' as const : 'unplaced' as const, detail: e.message };
      if (e instanceof ScenarioError) return { id: c.id, outcome: e.problems.length > 0 ? 'ok' as const : 'unplaced' as const, detail: e.message };
      if (e instanceof KernsimError) return { id: c.id, outcome: 'unplaced' as const, detail: `${e.name}: ${e.message}` };
      return { id: c.id, outcome: 'crash' as const, detail: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
    }
  });
}

function runCli(): { id: string; outcome: 'ok' | 'crash' | 'hang' | 'wrong-exit' | 'unplaced'; detail: string }[] {
  return cliCases().map((c) => {
    const dir = mkdtempSync(join(tmpdir(), 'kernsim-abuse-'));
    try {
      for (const [name, text] of Object.entries(c.files ?? {})) {
        mkdirSync(dirname(join(dir, name)), { recursive: true });
        writeFileSync(join(dir, name), text);
      }
      const args = c.args.map((a) => a.replace(/^DIR/, dir));
      const r = spawnSync(process.execPath, [join(ROOT, 'bin/kernsim.mjs'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: WATCHDOG_MS * 2, env: { ...process.env, NO_COLOR: '1', KERNSIM_DEBUG: '' } });
      const all = `${r.stdout}${r.stderr}`;
      if (r.error !== undefined || r.signal !== null) return { id: c.id, outcome: 'hang' as const, detail: String(r.error ?? r.signal) };
      if (/\n\s+at \S+ \(|node:internal|^\s+at /m.test(all) || r.status === 3) return { id: c.id, outcome: 'crash' as const, detail: all.slice(0, 400) };
      if (r.status !== c.exit) return { id: c.id, outcome: 'wrong-exit' as const, detail: `exit ${r.status}, wanted ${c.exit}: ${all.slice(0, 300)}` };
      if (c.exit === 2 && !/^kernsim: /m.test(r.stderr)) return { id: c.id, outcome: 'unplaced' as const, detail: r.stderr.slice(0, 300) };
      return { id: c.id, outcome: 'ok' as const, detail: '' };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

const pct = (n: number, of: number): string => (of === 0 ? '0' : ((100 * n) / of).toFixed(2));

const t0 = Date.now();
const docs = await runDocs();
const api = runApi();
const cli = runCli();
const malformed = docs.results.filter((r) => r.klass !== 'fuzz');
const fuzz = docs.results.filter((r) => r.klass === 'fuzz');
const errorKinds = new Set(['refused', 'argument', 'budget', 'other-error']);
const summary = (rs: DocResult[]) => {
  const errors = rs.filter((r) => errorKinds.has(r.kind));
  return {
    cases: rs.length,
    byKind: Object.fromEntries([...new Set(rs.map((r) => r.kind))].sort().map((k) => [k, rs.filter((r) => r.kind === k).length])),
    crashes: rs.filter((r) => r.kind === 'crash').length,
    silentPasses: rs.filter((r) => r.want !== 'any' && r.kind === 'pass').length,
    otherThanWanted: rs.filter((r) => r.want !== 'any' && r.kind !== 'pass' && r.kind !== r.want).length,
    unplacedErrors: errors.filter((r) => !r.placed).length,
    errors: errors.length,
    unplacedPct: pct(errors.filter((r) => !r.placed).length, errors.length),
    polluted: rs.filter((r) => r.polluted).length,
    slowestMs: Math.round(Math.max(0, ...rs.map((r) => r.ms))),
  };
};
const report = {
  seconds: Math.round((Date.now() - t0) / 1000),
  malformed: summary(malformed),
  malformedByClass: Object.fromEntries([...new Set(malformed.map((r) => r.klass))].sort().map((k) => [k, malformed.filter((r) => r.klass === k).length])),
  fuzz: summary(fuzz),
  hangs: docs.hangs,
  api: { cases: api.length, ok: api.filter((a) => a.outcome === 'ok').length, silent: api.filter((a) => a.outcome === 'silent').map((a) => a.id), crash: api.filter((a) => a.outcome === 'crash').map((a) => `${a.id}: ${a.detail}`), unplaced: api.filter((a) => a.outcome === 'unplaced').map((a) => `${a.id}: ${a.detail}`) },
  cli: { cases: cli.length, ok: cli.filter((c) => c.outcome === 'ok').length, problems: cli.filter((c) => c.outcome !== 'ok').map((c) => `${c.id}: ${c.outcome}: ${c.detail}`) },
  examples: {
    crashes: docs.results.filter((r) => r.kind === 'crash').slice(0, 10).map((r) => `${r.id}: ${r.detail}`),
    silentPasses: malformed.filter((r) => r.kind === 'pass').slice(0, 20).map((r) => r.id),
    otherThanWanted: malformed.filter((r) => r.want !== 'any' && r.kind !== 'pass' && r.kind !== r.want).slice(0, 20).map((r) => `${r.id}: wanted ${r.want}, got ${r.kind}: ${r.detail.slice(0, 160)}`),
    unplaced: docs.results.filter((r) => errorKinds.has(r.kind) && !r.placed).slice(0, 10).map((r) => `${r.id}: ${r.detail.slice(0, 200)}`),
  },
};
console.log(JSON.stringify(report, null, 2));
const bad = report.malformed.crashes + report.fuzz.crashes + report.hangs.length + report.malformed.silentPasses + report.api.silent.length + report.api.crash.length
  + report.cli.problems.filter((p) => /: (crash|hang):/.test(p)).length + report.malformed.polluted + report.fuzz.polluted;
process.exitCode = bad === 0 && Number(report.malformed.unplacedPct) <= 2 && Number(report.fuzz.unplacedPct) <= 2 ? 0 : 1;
