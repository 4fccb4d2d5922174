/** The control process: `npx tsx services/operational/control/main.ts` (CONTROL_PORT, default 8091). */
import { createAvroCodec, createRegistryClient } from '../../platform/avro-codec.ts';
import { createKafkaAdapter } from '../../platform/kafka.ts';
import { createLogger } from '../../platform/logger.ts';
import { failStartup } from '../../platform/startup.ts';
import { waitForBackbone } from '../../platform/startup-retry.ts';
import { parseControlConfig, type ControlConfig } from './config.ts';
import { startControl } from './control.ts';

const config = ((): ControlConfig => {
  try {
    return parseControlConfig(process.env);
  } catch (e) {
    return failStartup('control')(e);
  }
})();
const logger = createLogger(config.platform.logLevel, { service: 'control', instanceId: config.instanceId });
if (config.usesDevelopmentTokens) logger.warn('using development tokens: set CONTROL_TOKENS (GRIDFLEET_ENV=production refuses them)');
// Kafka down at start: wait (not-ready on /healthz) instead of exiting.
await waitForBackbone({ service: 'control', logger, brokers: config.platform.kafkaBrokers, registryUrl: config.platform.registryUrl, hold: { port: config.port, host: config.host } });
const control = await startControl(config, {
  kafka: createKafkaAdapter({ brokers: config.platform.kafkaBrokers, security: config.platform.kafkaSecurity, clientId: `gridfleet-${config.instanceId}`, logger }),
  codec: createAvroCodec({ registry: createRegistryClient(config.platform.registryUrl, config.platform.registryAuth) }),
  logger,
}).catch(failStartup('control'));
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
