/**
 * Generated docs are not stale: every page `npm run docs` writes matches the model's tables, and the
 * TypeDoc API reference matches the sources (TypeDoc lives in tools/apidoc: `npm ci --prefix tools/apidoc`).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, test } from 'vitest';
import { generatedPages } from '../scripts/gen-docs.ts';
import { ALL_KFUNCS, kfuncExample, parseScenario, runScenario, scenarioMarkdown } from '../src/index.ts';
import { kfuncExampleNames, runKfuncExample } from '../src/docs/kfunc_examples.ts';
import { tempDirs } from './support/tmpdir.ts';

const ROOT = join(import.meta.dirname, '..');
const tempDir = tempDirs('kernsim-api-');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : [join(dir, f)]));
}

// Generated once: docs/selftests.md judges every selftest case, which takes seconds.
const PAGES = generatedPages();

describe('generated docs are up to date (run `npm run docs` after changing the model)', () => {
  for (const [path, text] of PAGES) {
    test(path, () => {
      expect(existsSync(join(ROOT, path)), `${path} is missing`).toBe(true);
      expect(readFileSync(join(ROOT, path), 'utf8')).toBe(text);
    });
  }

  test('no stale kfunc page is left behind', () => {
    const expected = [...PAGES.keys()].filter((p) => p.startsWith('docs/kfuncs/')).sort();
    const present = files(join(ROOT, 'docs/kfuncs')).map((f) => relative(ROOT, f)).sort();
    expect(present).toEqual(expected);
  });

  test('docs/api (TypeDoc) matches the sources', () => {
    const typedoc = join(ROOT, 'tools/apidoc/node_modules/.bin/typedoc');
    expect(existsSync(typedoc), 'TypeDoc is not installed: npm ci --prefix tools/apidoc').toBe(true);
    const out = tempDir();
    execFileSync(typedoc, ['--out', out, '--logLevel', 'Error'], { cwd: join(ROOT, 'tools/apidoc') });
    const fresh = files(out).map((f) => relative(out, f)).sort();
    const committed = files(join(ROOT, 'docs/api')).map((f) => relative(join(ROOT, 'docs/api'), f)).sort();
    expect(committed).toEqual(fresh);
    for (const f of fresh) expect(readFileSync(join(ROOT, 'docs/api', f), 'utf8'), f).toBe(readFileSync(join(out, f), 'utf8'));
  });
});

describe('docs that compute: the kfunc pages\' examples', () => {
  test('every kfunc has an example, and no example names a kfunc that does not exist', () => {
    expect(kfuncExampleNames().sort()).toEqual(Object.keys(ALL_KFUNCS).sort());
  });

  for (const name of Object.keys(ALL_KFUNCS)) {
    test(`${name}: the example loads, calls it, and every expectation (the kernel's rules) holds`, () => {
      const ex = kfuncExample(name);
      expect(ex).toBeDefined();
      if (ex === undefined) return;
      const run = runKfuncExample(ex);
      expect(run.loadErrors).toEqual([]);
      expect(run.session.events().some((e) => e.kind === 'kfunc' && e.name === name)).toBe(true);
      expect(run.checks.filter((c) => !c.ok)).toEqual([]);
      expect(run.checks.length).toBeGreaterThan(0);
    });
  }

  test('scenarioMarkdown shows the computed value and the verdict of each expectation, also when one fails', () => {
    const doc = kfuncExample('bpf_dynptr_read');
    const wrong = { ...doc, expect: { calls: [{ fn: 'bpf_dynptr_read', nth: 1, ret: 0 }] } };
    const md = scenarioMarkdown(runScenario(parseScenario(wrong, 'wrong')), { calls: ['bpf_dynptr_read'] });
    expect(md).toContain('### example_read');
    expect(md).toContain('SEC("syscall")');
    expect(md).toContain('| `bpf_dynptr_read(buf[1], 1, d@1, 16, 0)` | `-E2BIG` |');
    expect(md).toContain('0 of 1 hold');
    expect(md).toContain('| bpf_dynptr_read call #1 | `0` | `-E2BIG` | ✗ |');
    expect(md).not.toContain('| `bpf_dynptr_from_mem(');
    const page = readFileSync(join(ROOT, 'docs/kfuncs/bpf_dynptr_read.md'), 'utf8');
    expect(page).toContain('long bpf_dynptr_read(void *dst, __u32 len, const struct bpf_dynptr *src, __u32 offset, __u64 flags);');
    expect(page).toContain('long bpf_dynptr_read(void *dst, __u64 len, const struct bpf_dynptr *src, __u64 offset, __u64 flags);');
    expect(page).toContain('3 of 3 hold');
  });
});
