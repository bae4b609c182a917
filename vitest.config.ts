import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    setupFiles: ['./vitest.setup.ts'],
    projects: [
      // No test may depend on speed: timeouts are generous enough for a loaded 2-core machine (vitest's
      // 5 s default once failed a test only because the machine was busy). Speed is measured in bench/.
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 120_000 } },
      // The properties share one module graph per worker (isolate: false): the model keeps no global
      // state (a rule of src/), and importing it again for each file cost more than some files' tests.
      // Their workers get a young generation of 64 MB a half (V8's default is 16 on 64-bit): the properties
      // make many short-lived worlds, and with fewer scavenges fewer of them are copied or promoted
      // (`npm run props` at 1,000 runs: 7-12 % less time in three alternated pairs; bench/README.md).
      { extends: true, test: { name: 'props', include: ['properties/**/*.test.ts'], testTimeout: 600_000, hookTimeout: 120_000, isolate: false, execArgv: ['--max-semi-space-size=64'] } },
      { extends: true, test: { name: 'selftests', include: ['selftests/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 120_000 } },
    ],
  },
});
