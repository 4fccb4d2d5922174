/** The schema registry process: Kafka-backed log, Confluent-compatible HTTP on REGISTRY_PORT. */
import { createKafkaAdapter } from '../../platform/kafka.ts';
import { createLogger } from '../../platform/logger.ts';
import { failStartup } from '../../platform/startup.ts';
import { parseRegistryServerConfig, type RegistryServerConfig } from './config.ts';
import { createKafkaSchemaStore } from './kafka-store.ts';
import { startRegistryServer } from './server.ts';

const config = ((): RegistryServerConfig => {
  try {
    return parseRegistryServerConfig(process.env);
  } catch (e) {
    return failStartup('registry')(e);
  }
})();
const { platform } = config;
const logger = createLogger(platform.logLevel, { service: 'registry' });
const kafka = createKafkaAdapter({ brokers: platform.kafkaBrokers, security: platform.kafkaSecurity, clientId: 'gridfleet-registry', logger });
const store = await createKafkaSchemaStore(kafka, undefined, platform.kafkaReplicationFactor).catch(failStartup('registry'));
const server = await startRegistryServer({ store, port: config.port, host: config.host, logger, ...(config.users ? { users: config.users } : {}) }).catch(failStartup('registry'));
logger.info('schema registry listening', { url: server.url, auth: config.users ? `basic, ${config.users.size} users` : 'none' });

let stopping = false;
const stop = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  logger.info('stopping', { signal });
  void server
    .close()
    .then(() => store.close())
    .finally(() => process.exit(0));
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
