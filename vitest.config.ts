import { defineConfig } from 'vitest/config';

// Two projects: pure unit tests run in parallel and need nothing; integration and e2e tests
// share one embedded stack (started once by the global setup on test ports, so a developer's own
// stack on the default ports is never touched) and run one file at a time because some of them
// restart parts of it.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          // Property tests of the edge agent run closed loops; on a loaded 2-core machine the
          // default 5 s is too tight for them, and a timing is not what they assert.
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
