import { defineConfig } from 'vitest/config';

// The compatibility suite: clients and tools no one here wrote, installed from their registries
// into .state on first run: the ClickHouse clients (Python, Go, Java, Node), the data scientists'
// notebook (Jupyter with the Python client, against the embedded stack) and the Kubernetes
// manifests' validator. Apart from `npm test` because the first installs take minutes; `npm run
// test:compat` runs it, and so does .ci/run. The notebook needs the embedded stack, which the
// same global setup as npm test's starts on the test ports.
export default defineConfig({
  test: {
    include: ['test/compat/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    fileParallelism: false,
    testTimeout: 900_000,
    hookTimeout: 120_000,
  },
});
