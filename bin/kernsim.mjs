#!/usr/bin/env node
// The kernsim CLI: the compiled code in dist/ (`npm run build`; `npm ci` and `npm pack` run it).
// A request for help is answered by dist/cli/help.js alone, without loading the model.
import { existsSync } from 'node:fs';

const argv = process.argv.slice(2);
const dist = new URL('../dist/cli/', import.meta.url);
if (!existsSync(new URL('main.js', dist))) {
  console.error('kernsim: dist/ is missing: run `npm run build` in the kernsim checkout (`npm ci` runs it)');
  process.exit(3);
}
const { quickHelp } = await import(new URL('help.js', dist).href);
const code = quickHelp(argv);
if (code !== null) {
  process.exitCode = code;
} else {
  const { main } = await import(new URL('main.js', dist).href);
  process.exitCode = await main(argv);
}
