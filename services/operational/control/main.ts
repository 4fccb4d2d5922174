/** The control process: `npx tsx services/operational/control/main.ts` (CONTROL_PORT, default 8091). */
import { createAvroCodec, createRegistryClient } from '../../platform/avro-codec.ts';
import { createKafkaAdapter } from '../../platform/kafka.ts';
import { createLogger } from '../../platform/logger.ts';
import { parseControlConfig } from './config.ts';
import { startControl } from './control.ts';

const config = parseControlConfig(process.env);
const logger = createLogger(config.platform.logLevel, { service: 'control', instanceId: config.instanceId });
if (config.usesDevelopmentTokens) logger.warn('using development tokens: set CONTROL_TOKENS in production');
const control = await startControl(config, {
  kafka: createKafkaAdapter({ brokers: config.platform.kafkaBrokers, clientId: `gridfleet-${config.instanceId}`, logger }),
  codec: createAvroCodec({ registry: createRegistryClient(config.platform.registryUrl) }),
  logger,
});
logger.info('control started', { url: control.url });
let stopping = false;
const stop = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  logger.info('stopping', { signal });
  // With Kafka gone, disconnects can wait forever: leave after a grace period regardless.
  setTimeout(() => process.exit(1), 10_000).unref();
  void control.close().finally(() => process.exit(0));
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
