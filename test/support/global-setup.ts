/**
 * Starts the embedded stack once for the integration and e2e tests, on the test ports. Stops it
 * afterwards unless GRIDFLEET_KEEP_TEST_STACK=1 (handy when running tests again and again).
 */
import { createLogger } from '../../services/platform/logger.ts';
import { createStack } from '../../services/embedded/stack/stack.ts';
import { testConfig } from './stack-env.ts';

export default async function setup(): Promise<() => Promise<void>> {
  const config = testConfig();
  const stack = createStack(config, createLogger('warn', { service: 'test-stack' }));
  const r = await stack.up();
  process.stderr.write(`test stack up in ${r.seconds.toFixed(1)}s (started: ${r.started.join(', ') || 'none'})\n`);
  return async () => {
    if (process.env['GRIDFLEET_KEEP_TEST_STACK'] === '1') return;
    await stack.down();
  };
}
