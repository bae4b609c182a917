/**
 * `npm run bench:explore`: the state space of each litmus scenario of examples/explore/ and of the
 * seed scenario, explored with and without the partial-order reduction — distinct states, steps
 * carried out (transitions), schedules, the reduction's factor (schedules and transitions without it
 * over with it), and the CPU time of each exploration (process.cpuUsage: user + system, measured here,
 * never in a test). Writes bench/explore.json (with the machine and its load) and the table of
 * docs/explore.md between its `<!-- explore-table -->` markers. The issue's figure: the seed scenario
 * explored fully in under 10 s, also written to bench/results.json (`exploreSeed`) and so to the
 * README's Performance table.
 */
import { availableParallelism, cpus, loadavg } from 'node:os';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseScenario } from '../src/index.ts';
import { exploreScenario, type ScenarioExploration } from '../src/explore/scenario.ts';
import { recordEntry } from './record.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const files = [...readdirSync(join(ROOT, 'examples/explore')).filter((f) => f.endsWith('.json')).sort().map((f) => `examples/explore/${f}`), 'examples/seed.json'];

interface Row { file: string; smp: boolean; states: number; statesFull: number; transitions: number; transitionsFull: number; schedules: string; schedulesFull: string; cpuMs: number; cpuMsFull: number; complete: boolean }

function timed(f: () => ScenarioExploration): { ex: ScenarioExploration; ms: number } {
  const t = process.cpuUsage();
  const ex = f();
  const d = process.cpuUsage(t);
  return { ex, ms: (d.user + d.system) / 1000 };
}

const load0 = loadavg()[0] ?? 0;
const rows: Row[] = [];
for (const file of files) {
  const sc = parseScenario(JSON.parse(readFileSync(join(ROOT, file), 'utf8')), file);
  const r = timed(() => exploreScenario(sc, {}));
  const n = timed(() => exploreScenario(sc, { reduction: false }));
  rows.push({
    file, smp: sc.smp === true, states: r.ex.stats.states, statesFull: n.ex.stats.states, transitions: r.ex.stats.transitions, transitionsFull: n.ex.stats.transitions,
    schedules: String(r.ex.schedules), schedulesFull: String(n.ex.schedules), cpuMs: Math.round(r.ms), cpuMsFull: Math.round(n.ms), complete: r.ex.complete && n.ex.complete,
  });
  console.log(`${file}: ${r.ex.stats.states} states, ${r.ex.stats.transitions} vs ${n.ex.stats.transitions} transitions, ${r.ex.schedules} vs ${n.ex.schedules} schedules, ${Math.round(r.ms)} vs ${Math.round(n.ms)} ms`);
}
const machine = { cores: availableParallelism(), cpu: cpus()[0]?.model ?? '?', node: process.version, load: [load0, loadavg()[0] ?? 0] };
writeFileSync(join(ROOT, 'bench/explore.json'), `${JSON.stringify({ machine, rows }, null, 2)}\n`);

const factor = (a: string | number, b: string | number): string => `${(Number(a) / Number(b)).toFixed(2)}×`;
const big = (x: string): string => (x.length > 9 ? `${x.slice(0, 1)}.${x.slice(1, 3)}e${x.length - 1}` : Number(x).toLocaleString('en'));
const table = [
  '| Scenario | CPUs | States | Transitions (without the reduction) | Schedules (without) | Reduction: transitions, schedules | CPU time (without) |',
  '|---|---|---|---|---|---|---|',
  ...rows.map((r) => `| \`${r.file.replace('examples/', '')}\` | ${r.smp ? 'several' : 'one'} | ${r.states.toLocaleString('en')}${r.states === r.statesFull ? '' : ` (${r.statesFull.toLocaleString('en')})`} | ${r.transitions.toLocaleString('en')} (${r.transitionsFull.toLocaleString('en')}) | ${big(r.schedules)} (${big(r.schedulesFull)}) | ${factor(r.transitionsFull, r.transitions)}, ${factor(r.schedulesFull, r.schedules)} | ${(r.cpuMs / 1000).toFixed(2)} s (${(r.cpuMsFull / 1000).toFixed(2)} s) |`),
  '',
  `Measured by \`npm run bench:explore\` on ${machine.cores} cores (${machine.cpu}), Node ${machine.node}, load average ${machine.load.map((x) => x.toFixed(1)).join(' → ')}; every exploration complete: ${rows.every((r) => r.complete) ? 'yes' : 'no'}.`,
].join('\n');
const doc = join(ROOT, 'docs/explore.md');
const text = readFileSync(doc, 'utf8');
const re = /<!-- explore-table -->[\s\S]*<!-- \/explore-table -->/;
if (!re.test(text)) throw new Error('docs/explore.md has no <!-- explore-table --> markers');
writeFileSync(doc, text.replace(re, `<!-- explore-table -->\n${table}\n<!-- /explore-table -->`));

// The issue's figure in bench/results.json (entry exploreSeed; the other entries are left as they
// are) and so in the README's Performance table.
const seed = rows.find((r) => r.file === 'examples/seed.json');
if (seed === undefined) throw new Error('examples/seed.json was not explored');
recordEntry(ROOT, 'exploreSeed', { states: seed.states, transitions: seed.transitions, transitionsFull: seed.transitionsFull, schedules: seed.schedules, cpuMs: seed.cpuMs, cpuMsFull: seed.cpuMsFull, goalMs: 10_000, complete: seed.complete });
console.log(`seed scenario: ${seed.states} states explored completely: ${seed.complete}, ${(seed.cpuMs / 1000).toFixed(2)} s CPU (goal < 10 s)`);
console.log('wrote bench/explore.json, the table of docs/explore.md, exploreSeed in bench/results.json and the README table');
