#!/usr/bin/env node
/**
 * `npm run build` (and `prepare`, so `npm ci` in a clone and `npm pack` both run it): compile src/ to
 * dist/ with the TypeScript compiler (tsconfig.build.json: ES modules, .d.ts, source maps; relative
 * `.ts` imports rewritten to `.js` by `rewriteRelativeImportExtensions`).
 *
 * Declaration files keep the `.ts` specifiers of the sources (tsc rewrites only the JavaScript), so
 * this script rewrites the relative ones to `.js` as well: the same length, so the declaration maps
 * stay exact, and a consumer's compiler sees ordinary `.js` specifiers whatever its version or
 * `allowImportingTsExtensions`. Plain JavaScript, so it runs without tsx.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');

rmSync(DIST, { recursive: true, force: true });
const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);

/** `from './x.ts'`, `import('./x.ts')`, `declare module './x.ts'`: relative specifiers only. */
const RELATIVE_TS = /((?:from|import|declare module)\s*\(?\s*)(['"])(\.\.?\/[^'"]*)\.ts\2/g;

function walk(dir) {
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]));
}

let files = 0;
for (const f of walk(DIST)) {
  if (!f.endsWith('.d.ts')) continue;
  const text = readFileSync(f, 'utf8');
  const out = text.replace(RELATIVE_TS, (_m, pre, q, spec) => `${pre}${q}${spec}.js${q}`);
  if (out !== text) writeFileSync(f, out);
  files += 1;
}
console.log(`built dist/ (${files} declaration files)`);
