/**
 * The environment of the test stack: its own ports and state folder, so `npm test` never touches
 * a developer's stack on the default ports. Tests parse their config from this, as services do.
 */
import { parseConfig, type Config } from '../../services/platform/config.ts';

export const TEST_STACK_ENV: Readonly<Record<string, string>> = Object.freeze({
  GRIDFLEET_STATE_DIR: '.state/test',
  KAFKA_PORT: '19092',
  KAFKA_CONTROLLER_PORT: '19093',
  REGISTRY_PORT: '18081',
  CLICKHOUSE_PORT: '18123',
  REDIS_PORT: '16379',
  KAFKA_HEAP_MB: '512',
  LOG_LEVEL: 'warn',
});

export const testConfig = (): Config => parseConfig(TEST_STACK_ENV);

/** A name no other test uses: topics, groups, queues, tables. */
export const freshName = (prefix: string): string => `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
