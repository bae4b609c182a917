/**
 * A scenario run as Markdown, for documentation pages that compute their examples: the programs as
 * BPF C, each kfunc call with its arguments and the return value the model computed, and the
 * scenario's expectations with their verdicts. Deterministic for a run (no dates, no paths).
 */
import type { AnyKfunc } from '../model/kfunc/kfunc.ts';
import { renderC } from '../model/program/render.ts';
import { traceEvents, type TraceEvent } from '../model/world/trace.ts';
import type { ScenarioRun } from '../scenario/run.ts';
import { ALL_KFUNCS } from '../task_work/kfuncs.ts';

export interface ScenarioMarkdownOptions {
  /** Markdown heading level of the scenario's title (default 3: `###`); 0 for no title. */
  readonly headingLevel?: number;
  /** Show only the calls of these kfuncs (default: every kfunc call). */
  readonly calls?: readonly string[];
  /** Include the programs as BPF C (default true). */
  readonly c?: boolean;
}

const code = (s: string): string => `\`${s.replace(/`/g, "'")}\``;
const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** `run` (from `runScenario`) as Markdown. */
export function scenarioMarkdown(run: ScenarioRun, opts: ScenarioMarkdownOptions = {}): string {
  const sc = run.scenario;
  const level = opts.headingLevel ?? 3;
  const out: string[] = [];
  if (level > 0) out.push(`${'#'.repeat(level)} ${sc.name}`, '');
  if (sc.description !== undefined) out.push(sc.description, '');
  out.push(`Linux ${sc.version ?? '6.19'}.`, '');
  if (opts.c !== false && sc.objects.length > 0) {
    out.push('```c', ...sc.objects.map((o) => renderC(o, ALL_KFUNCS as unknown as Readonly<Record<string, AnyKfunc>>).trimEnd()), '```', '');
  }
  for (const e of run.loadErrors) out.push(`Load refused: ${code(e)}`, '');
  const wanted = opts.calls === undefined ? null : new Set(opts.calls);
  const calls = traceEvents(run.session.world.trace)
    .filter((e): e is Extract<TraceEvent, { kind: 'kfunc' }> => e.kind === 'kfunc' && (wanted === null || wanted.has(e.name)));
  if (calls.length > 0) {
    out.push('What the model computed:', '', '| Call | Returned |', '|---|---|');
    for (const c of calls) out.push(`| ${cell(code(`${c.name}(${c.args.join(', ')})`))} | ${cell(code(c.ret))} |`);
    out.push('');
  }
  if (run.checks.length > 0) {
    const held = run.checks.filter((c) => c.ok).length;
    out.push(`Expected (the kernel's rules) and computed: ${held} of ${run.checks.length} hold.`, '', '| Check | Expected | Computed | |', '|---|---|---|---|');
    for (const c of run.checks) out.push(`| ${cell(c.what)} | ${cell(code(c.expected))} | ${cell(code(c.actual))} | ${c.ok ? '✓' : '✗'} |`);
    out.push('');
  }
  return out.join('\n');
}
