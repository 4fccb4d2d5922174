import { defineConfig } from 'vitest/config';

// The compatibility suite: clients no one here wrote (Python, Go, Java, Node), installed from their
// registries into .state/compat on first run. Apart from `npm test` because the first install
// takes minutes; `npm run test:compat` runs it, and so does .ci/run.
export default defineConfig({
  test: {
    include: ['test/compat/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 900_000,
    hookTimeout: 120_000,
  },
});
