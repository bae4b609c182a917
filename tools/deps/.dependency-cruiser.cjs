/**
 * The import graph of src/, checked by `npm test` (test/deps.test.ts):
 * - no import circles, type-only imports included;
 * - the layering of the README: src/pagecache ← src/model ← src/task_work ← src/scheduler ←
 *   src/session.ts, src/scenario, src/timeline, src/docs ← src/explore ← src/index.ts, src/cli. A
 *   lower layer never imports a higher one;
 * - a browser-safe core: nothing under src/ imports a Node built-in module (`node:fs`, `fs`, …) but
 *   the command line (src/cli) and the Node adapters named in NODE_ADAPTERS (none yet). The same
 *   rule applies inside test/fixtures/deps-node, whose src/ proves that it refuses such an import.
 */
const NODE_ADAPTERS = ['cli/'];
const src = '^(test/fixtures/deps-node/)?src/';
const upper = (layers) => `^src/(${layers.join('|')})`;
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'An import circle (type-only imports count too).', from: {}, to: { circular: true } },
    { name: 'pagecache-is-the-bottom', severity: 'error', comment: 'src/pagecache knows nothing of the layers above it.',
      from: { path: '^src/pagecache/' }, to: { path: '^src/', pathNot: '^src/pagecache/' } },
    { name: 'model-below-task_work', severity: 'error', comment: 'src/model imports only itself and src/pagecache.',
      from: { path: '^src/model/' }, to: { path: '^src/', pathNot: '^src/(model|pagecache)/' } },
    { name: 'task_work-below-scheduler', severity: 'error', comment: 'src/task_work imports only the layers below it.',
      from: { path: '^src/task_work/' }, to: { path: '^src/', pathNot: '^src/(task_work|model|pagecache)/' } },
    { name: 'scheduler-below-session', severity: 'error', comment: 'src/scheduler imports only the layers below it.',
      from: { path: '^src/scheduler/' }, to: { path: upper(['session\\.ts', 'scenario/', 'cli/', 'index\\.ts', 'timeline/', 'docs/']) } },
    { name: 'explore-above-scenario', severity: 'error', comment: 'src/explore (the explorer) sits above the scenarios and the scheduler: nothing below it imports it, and it imports neither the command line nor the package index.',
      from: { path: '^src/(pagecache|model|task_work|scheduler|scenario|timeline|docs)/|^src/session\\.ts' }, to: { path: '^src/explore/' } },
    { name: 'explore-below-cli', severity: 'error', comment: 'src/explore does not import the command line or the package index.',
      from: { path: '^src/explore/' }, to: { path: upper(['cli/', 'index\\.ts']) } },
    { name: 'core-is-browser-safe', severity: 'error',
      comment: 'The model runs in browsers: only src/cli and the named Node adapters import Node built-ins (use Symbol.for(\'nodejs.util.inspect.custom\') instead of node:util).',
      from: { path: src, pathNot: `${src}(${NODE_ADAPTERS.join('|')})` }, to: { dependencyTypes: ['core'] } },
    { name: 'no-unresolvable', severity: 'error', comment: 'Every import resolves.', from: {}, to: { couldNotResolve: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs'], exportsFields: ['exports'], conditionNames: ['import', 'types', 'node', 'default'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
