/**
 * The vitest configuration Stryker runs (`npm run mutants`, tools/stryker/stryker.config.mjs): the property suite
 * alone (properties/**\/*.test.ts, no unit tests), with fewer runs per property than `npm run props`
 * so that one run per mutant stays affordable. KERNSIM_RUNS (default 60 here) and KERNSIM_SEED are
 * read by vitest.setup.ts as usual.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['properties/**/*.test.ts'],
    setupFiles: ['./vitest.setup.ts'],
    testTimeout: 120_000,
    env: { KERNSIM_RUNS: process.env.KERNSIM_RUNS ?? '60' },
  },
});
