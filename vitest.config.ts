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
      { extends: true, test: { name: 'props', include: ['properties/**/*.test.ts'], testTimeout: 600_000, hookTimeout: 120_000, isolate: false } },
      { extends: true, test: { name: 'selftests', include: ['selftests/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 120_000 } },
    ],
  },
});
