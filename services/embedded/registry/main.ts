/** The schema registry process: Kafka-backed log, Confluent-compatible HTTP on REGISTRY_PORT. */
import { parseConfig } from '../../platform/config.ts';
import { createKafkaAdapter } from '../../platform/kafka.ts';
import { createLogger } from '../../platform/logger.ts';
import { createKafkaSchemaStore } from './kafka-store.ts';
import { startRegistryServer } from './server.ts';

const config = parseConfig(process.env);
const logger = createLogger(config.logLevel, { service: 'registry' });
const kafka = createKafkaAdapter({ brokers: config.kafkaBrokers, clientId: 'gridfleet-registry', logger });
const store = await createKafkaSchemaStore(kafka, undefined, config.kafkaReplicationFactor);
const server = await startRegistryServer({ store, port: config.ports.registry, host: '127.0.0.1', logger });
logger.info('schema registry listening', { url: server.url });

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
