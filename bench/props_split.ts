/**
 * `npx tsx bench/props_split.ts [runs]`: where the property suite's time goes. Runs the props project
 * as `npm run props` does (bench/props_profile.config.ts: the same project, each file under V8's
 * sampling profiler) at `runs` runs (default 1,000), then sums the samples by part: fast-check, the
 * properties' test bodies, their oracles and helpers, the model (its verifier, its validation of
 * documents with zod, immer, its explorer, the rest), vitest, the garbage collector. A sample in
 * a builtin or in code compiled at run time (zod's validators) counts for the part that called it.
 * Issue 17 asks for this split. Never run by a test; prints, records nothing.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const runs = process.argv[2] ?? '1000';
if (!/^[1-9]\d*$/.test(runs)) throw new Error(`runs: a positive integer, got ${runs}`);

interface ProfileNode { id: number; callFrame: { functionName: string; url: string }; children?: number[] }
interface Profile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }

/** The part a frame with a source belongs to (null: no source, the caller decides). */
function partOf(url: string): string | null {
  if (url === '' || url.startsWith('node:')) return null;
  if (url.includes('/node_modules/fast-check/')) return 'fast-check';
  if (url.includes('/node_modules/immer/')) return 'model: immer (drafts of the cold state)';
  if (url.includes('/node_modules/zod/')) return 'model: validation of documents (zod, plainCopy, names)';
  if (/\/node_modules\/(vitest|@vitest|chai|vite|tinyspy|tinyrainbow|birpc)\//.test(url)) return 'vitest';
  if (url.includes('/properties/')) return url.endsWith('.test.ts') ? 'properties: test bodies' : 'properties: oracles, generators, helpers';
  if (url.includes('/src/model/verifier/')) return 'model: verifier';
  if (/\/src\/model\/(kernel\/validate|kernel\/args|program\/names)\.ts/.test(url)) return 'model: validation of documents (zod, plainCopy, names)';
  if (url.includes('/src/explore/')) return 'model: explorer';
  if (url.includes('/src/')) return 'model: the rest';
  return 'other';
}

const dir = mkdtempSync(join(tmpdir(), 'kernsim-props-profile-'));
try {
  const out = spawnSync('npx', ['vitest', 'run', '-c', 'bench/props_profile.config.ts', '--maxWorkers=100%'], {
    cwd: ROOT, env: { ...process.env, KERNSIM_RUNS: runs, KERNSIM_PROFILE_DIR: dir }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024,
  });
  if (out.status !== 0) throw new Error(`the props project failed under the profiler (exit ${out.status})\n${out.stdout.slice(-3000)}${out.stderr.slice(-3000)}`);
  const parts = new Map<string, number>();
  let total = 0;
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.cpuprofile'))) {
    const p = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Profile;
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const part = new Map<number, string>();
    const partOfNode = (id: number): string => {
      const known = part.get(id);
      if (known !== undefined) return known;
      const n = byId.get(id) as ProfileNode;
      const name = n.callFrame.functionName;
      let r: string;
      if (name === '(garbage collector)') r = 'the garbage collector';
      else if (name === '(idle)' || name === '(program)' || name === '(root)') r = 'idle';
      // The inspector's own messages (the profiler at work).
      else if (name === 'dispatch' && n.callFrame.url === '') r = 'the profiler';
      else {
        const up = parent.get(id);
        r = partOf(n.callFrame.url) ?? (up === undefined ? 'other' : partOfNode(up));
      }
      part.set(id, r);
      return r;
    };
    p.samples.forEach((id, i) => {
      const k = partOfNode(id);
      const dt = p.timeDeltas[i] ?? 0;
      parts.set(k, (parts.get(k) ?? 0) + dt);
      if (k !== 'the profiler' && k !== 'idle') total += dt;
    });
  }
  console.log(`npm run props at ${runs} runs, sampled: ${(total / 1e6).toFixed(1)} s of CPU in the workers' test files (the profiler's own work and idle time left out)`);
  for (const [k, v] of [...parts].sort((a, b) => b[1] - a[1])) {
    if (k === 'the profiler' || k === 'idle') continue;
    console.log(`${(100 * v / total).toFixed(1).padStart(5)} %  ${(v / 1e6).toFixed(1).padStart(6)} s  ${k}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
