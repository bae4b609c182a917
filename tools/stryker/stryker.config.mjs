/**
 * Mutation testing of the model with the property suite alone (`npm run mutants`, tools/stryker/run.sh; see
 * docs/properties.md, "Mutation testing"). Not run in CI: a full run takes about an hour on 2 cores.
 *
 * Mutated: src/model (less render.ts and inspect.ts, which only present a world: BPF C text, REPL
 * description, reference snapshots the harness reads), src/pagecache and src/task_work. Killed only
 * by properties/**\/*.test.ts (vitest.mutants.config.ts, KERNSIM_RUNS=60 by default). Paths are relative to the repository
 * root, where run.sh starts Stryker.
 *
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  packageManager: 'npm',
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutants.config.ts', related: false },
  plugins: ['@stryker-mutator/vitest-runner', './tools/stryker/ignore-presentation.mjs'],
  ignorers: ['kernsim-presentation'],
  mutate: [
    'src/model/**/*.ts',
    '!src/model/program/render.ts',
    '!src/model/world/inspect.ts',
    'src/pagecache/**/*.ts',
    'src/task_work/**/*.ts',
  ],
  // Stryker's tsconfig rewriter needs the TypeScript 5 JS API, which typescript 7 does not have; our
  // tsconfig has no `extends`/`references` to rewrite, so point it at no file at all.
  tsconfigFile: 'tsconfig.stryker-none.json',
  coverageAnalysis: 'perTest',
  concurrency: 2,
  timeoutMS: 30_000,
  timeoutFactor: 2,
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  reporters: ['clear-text', 'progress-append-only', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
};
