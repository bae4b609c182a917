/**
 * The import graph of src/ (README "How the model is laid out"): no import circles, type-only imports
 * included, and the layering pagecache ← model ← task_work ← scheduler ← session/scenario/index/cli.
 * and a browser-safe core: no Node built-in imported outside src/cli and the named Node adapters.
 * dependency-cruiser (tools/deps) does the work; the fixtures prove the check refuses a circle and a
 * `node:` import in the model.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DEPCRUISE = join(ROOT, 'tools/deps/node_modules/.bin/depcruise');

function cruise(target: string): { status: number | null; out: string } {
  const r = spawnSync(DEPCRUISE, ['--config', 'tools/deps/.dependency-cruiser.cjs', '--output-type', 'err', target], { cwd: ROOT, encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('the import graph', () => {
  test('src/ has no import circle and no import against the layering', () => {
    const r = cruise('src');
    expect(r.out).toContain('no dependency violations found');
    expect(r.status).toBe(0);
  });

  test('the check refuses a circle of type-only imports', () => {
    const r = cruise('test/fixtures/deps-circle');
    expect(r.status).not.toBe(0);
    expect(r.out).toMatch(/no-circular: test\/fixtures\/deps-circle\/(a|b)\.ts/);
  });

  test('the check refuses a node: import in the core and lets the command line have one', () => {
    const r = cruise('test/fixtures/deps-node');
    expect(r.status).not.toBe(0);
    expect(r.out).toMatch(/core-is-browser-safe: test\/fixtures\/deps-node\/src\/model\/inspects\.ts → (node:)?util/);
    expect(r.out).not.toContain('deps-node/src/cli/reads.ts');
  });
});
