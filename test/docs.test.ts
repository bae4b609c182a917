/**
 * Generated docs are not stale: every page `npm run docs` writes matches the model's tables, and the
 * TypeDoc API reference matches the sources (TypeDoc lives in tools/apidoc: `npm ci --prefix tools/apidoc`).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, test } from 'vitest';
import { generatedPages } from '../scripts/gen-docs.ts';

const ROOT = join(import.meta.dirname, '..');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : [join(dir, f)]));
}

describe('generated docs are up to date (run `npm run docs` after changing the model)', () => {
  for (const [path, text] of generatedPages()) {
    test(path, () => {
      expect(existsSync(join(ROOT, path)), `${path} is missing`).toBe(true);
      expect(readFileSync(join(ROOT, path), 'utf8')).toBe(text);
    });
  }

  test('no stale kfunc page is left behind', () => {
    const expected = [...generatedPages().keys()].filter((p) => p.startsWith('docs/kfuncs/')).sort();
    const present = files(join(ROOT, 'docs/kfuncs')).map((f) => relative(ROOT, f)).sort();
    expect(present).toEqual(expected);
  });

  test('docs/api (TypeDoc) matches the sources', () => {
    const typedoc = join(ROOT, 'tools/apidoc/node_modules/.bin/typedoc');
    expect(existsSync(typedoc), 'TypeDoc is not installed: npm ci --prefix tools/apidoc').toBe(true);
    const out = mkdtempSync(join(tmpdir(), 'kernsim-api-'));
    execFileSync(typedoc, ['--out', out, '--logLevel', 'Error'], { cwd: join(ROOT, 'tools/apidoc') });
    const fresh = files(out).map((f) => relative(out, f)).sort();
    const committed = files(join(ROOT, 'docs/api')).map((f) => relative(join(ROOT, 'docs/api'), f)).sort();
    expect(committed).toEqual(fresh);
    for (const f of fresh) expect(readFileSync(join(ROOT, 'docs/api', f), 'utf8'), f).toBe(readFileSync(join(out, f), 'utf8'));
  }, 60_000);
});
