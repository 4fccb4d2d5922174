/** Clients of the test stack, built the way services build theirs. */
import { createKafkaAdapter, type KafkaAdapter } from '../../services/platform/kafka.ts';
import { createLogger } from '../../services/platform/logger.ts';
import { createStack, type Stack } from '../../services/embedded/stack/stack.ts';
import { testConfig } from './stack-env.ts';

export const testKafka = (clientId = 'gridfleet-test'): KafkaAdapter =>
  createKafkaAdapter({ brokers: testConfig().kafkaBrokers, clientId, logger: createLogger('error') });

export const testStack = (): Stack => createStack(testConfig(), createLogger('error', { service: 'test-stack' }));
