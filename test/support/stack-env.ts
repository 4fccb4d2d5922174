/**
 * The environment of the test stack: its own ports and state folder, so `npm test` never touches
 * a developer's stack on the default ports. Tests parse their config from this, as services do.
 */
import { parseConfig, type Config } from '../../services/platform/config.ts';

/**
 * GRIDFLEET_TEST_PORT_BASE (default 10000) moves the whole test stack: ports base+9092 and so on,
 * state in .state/test (or .state/test-<base> when moved), so several developers or worktrees on
 * one machine can run the integration tests side by side.
 */
const base = Number(process.env['GRIDFLEET_TEST_PORT_BASE'] ?? '10000');
const at = (offset: number): string => String(base + offset);

export const TEST_STACK_ENV: Readonly<Record<string, string>> = Object.freeze({
  GRIDFLEET_STATE_DIR: base === 10000 ? '.state/test' : `.state/test-${base}`,
  KAFKA_PORT: at(9092),
  KAFKA_CONTROLLER_PORT: at(9093),
  REGISTRY_PORT: at(8081),
  CLICKHOUSE_PORT: at(8123),
  REDIS_PORT: at(6379),
  KAFKA_HEAP_MB: '512',
  LOG_LEVEL: 'warn',
});

export const testConfig = (): Config => parseConfig(TEST_STACK_ENV);

/** A name no other test uses: topics, groups, queues, tables. */
export const freshName = (prefix: string): string => `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
