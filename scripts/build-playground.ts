/**
 * Build the playground page into docs/playground/ (`npm run docs` runs it; the folder is generated,
 * not committed): playground/index.html, and playground/main.ts bundled with the model for browsers
 * by esbuild (one classic script, so the page also works opened from disk), with every
 * examples/*.json inside it. test/playground.test.ts builds it into a temporary folder and drives it
 * in headless Chromium.
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** `import { EXAMPLES } from 'kernsim-examples'`: examples/*.json by file name. */
const examples: Plugin = {
  name: 'kernsim-examples',
  setup(b) {
    b.onResolve({ filter: /^kernsim-examples$/ }, () => ({ path: 'kernsim-examples', namespace: 'kernsim-examples' }));
    b.onLoad({ filter: /.*/, namespace: 'kernsim-examples' }, () => {
      const dir = join(ROOT, 'examples');
      const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
      const list = files.map((file) => ({ file, doc: JSON.parse(readFileSync(join(dir, file), 'utf8')) as unknown }));
      return { contents: `export const EXAMPLES = ${JSON.stringify(list)};`, loader: 'js', watchFiles: files.map((f) => join(dir, f)) };
    });
  },
};

/** Write index.html and playground.js into `outDir`; returns the bundle's size in bytes. */
export async function buildPlayground(outDir: string = join(ROOT, 'docs/playground')): Promise<number> {
  mkdirSync(outDir, { recursive: true });
  copyFileSync(join(ROOT, 'playground/index.html'), join(outDir, 'index.html'));
  const r = await build({
    entryPoints: [join(ROOT, 'playground/main.ts')],
    outfile: join(outDir, 'playground.js'),
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    plugins: [examples],
    logLevel: 'silent',
    metafile: true,
  });
  const bad = Object.keys(r.metafile.inputs).filter((p) => p.startsWith('node:') || /(^|\/)src\/cli\//.test(p));
  if (bad.length > 0) throw new Error(`the playground bundle pulled in Node-only code: ${bad.join(', ')}`);
  return Object.values(r.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const bytes = await buildPlayground();
  console.log(`wrote docs/playground/ (playground.js: ${Math.round(bytes / 1024)} KiB)`);
}
