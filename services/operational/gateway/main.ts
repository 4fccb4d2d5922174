/** The gateway process: `npx tsx services/operational/gateway/main.ts` (GATEWAY_PORT, default 8090). */
import { createAvroCodec, createRegistryClient } from '../../platform/avro-codec.ts';
import { createKafkaAdapter } from '../../platform/kafka.ts';
import { createLogger } from '../../platform/logger.ts';
import { failStartup } from '../../platform/startup.ts';
import { waitForBackbone } from '../../platform/startup-retry.ts';
import { parseGatewayConfig, type GatewayConfig } from './config.ts';
import { startGateway } from './gateway.ts';

const config = ((): GatewayConfig => {
  try {
    return parseGatewayConfig(process.env);
  } catch (e) {
    return failStartup('gateway')(e);
  }
})();
const logger = createLogger(config.platform.logLevel, { service: 'gateway', instanceId: config.instanceId });
if (config.usesDevelopmentSecrets) logger.warn('using development secrets: set GATEWAY_TOKEN_SECRET and OPERATOR_TOKEN (GRIDFLEET_ENV=production refuses them)');
// Kafka down at start: wait (not-ready on /healthz) instead of exiting.
await waitForBackbone({ service: 'gateway', logger, brokers: config.platform.kafkaBrokers, registryUrl: config.platform.registryUrl, hold: { port: config.port, host: config.host } });
const gateway = await startGateway(config, {
  kafka: createKafkaAdapter({ brokers: config.platform.kafkaBrokers, security: config.platform.kafkaSecurity, clientId: `gridfleet-${config.instanceId}`, logger }),
  codec: createAvroCodec({ registry: createRegistryClient(config.platform.registryUrl, config.platform.registryAuth) }),
  logger,
}).catch(failStartup('gateway'));
let stopping = false;
const stop = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  logger.info('stopping', { signal });
  void gateway.close().finally(() => process.exit(0));
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
