/**
 * The ingest process: `npx tsx services/analytics/ingest/main.ts`. Wires Kafka (group gridfleet-ingest, its
 * own process, never shared with the operational tier), the Avro codec, ClickHouse and /metrics
 * into the runner, and the lag gauge's timer (lag-refresher.ts). Environment: the platform's
 * (KAFKA_BROKERS, REGISTRY_URL, CLICKHOUSE_URL, LOG_LEVEL) and the INGEST_* variables of config.ts.
 * SIGTERM/SIGINT flush what is buffered, commit and exit 0.
 */
import { createAvroCodec, createRegistryClient } from '../../platform/avro-codec.ts';
import { systemClock } from '../../platform/clock.ts';
import { parseConfig } from '../../platform/config.ts';
import { describeError } from '../../platform/errors.ts';
import { failStartup, parseAll } from '../../platform/startup.ts';
import { waitForBackbone } from '../../platform/startup-retry.ts';
import { createKafkaAdapter } from '../../platform/kafka.ts';
import { createLogger } from '../../platform/logger.ts';
import { createClickHouseSink } from './clickhouse-sink.ts';
import { parseIngestConfig } from './config.ts';
import { createIngestMetrics, serveMetrics } from './ingest-metrics.ts';
import { createIngestRunner } from './ingest-runner.ts';
import { createLagRefresher } from './lag-refresher.ts';
import { openTopicWriter } from '../../platform/topic-writer.ts';

const main = async (): Promise<void> => {
  const [config, ingest] = parseAll(() => parseConfig(process.env), () => parseIngestConfig(process.env));
  const logger = createLogger(config.logLevel, { service: 'ingest' });
  const topics = new Map(ingest.topics.map((t) => [t, `${ingest.topicPrefix}${t}`]));
  // Kafka down at start: wait (not-ready on /healthz) instead of exiting.
  await waitForBackbone({ service: 'ingest', logger, brokers: config.kafkaBrokers, registryUrl: config.registryUrl, hold: { port: ingest.metricsPort, host: ingest.metricsHost } });
  const kafka = createKafkaAdapter({ brokers: config.kafkaBrokers, security: config.kafkaSecurity, clientId: 'gridfleet-ingest', logger });
  const consumer = await kafka.consumer({
    groupId: ingest.groupId,
    topics: [...topics.values()],
    fromBeginning: true,
    autoCommit: false,
    sessionTimeoutMs: ingest.sessionTimeoutMs,
    partitionsConsumedConcurrently: ingest.concurrency,
  });
  // Only for the partitions' high-water marks (the lag gauge); the consumer reads its own committed offsets.
  const admin = await kafka.admin();
  const sink = createClickHouseSink({ url: config.clickhouseUrl, database: ingest.database, username: ingest.clickhouseUser, password: ingest.clickhousePassword });
  const metrics = createIngestMetrics(() => systemClock.now());
  const registry = createRegistryClient(config.registryUrl, config.registryAuth);
  const codec = createAvroCodec({ registry });
  const deadLetterWriter = await openTopicWriter({ kafka, codec, lanes: 1 });
  const runner = createIngestRunner({
    consumer, deadLetterWriter, sink, metrics, logger, topics,
    codec, decoder: codec,
    clock: systemClock,
    policy: { maxRecords: ingest.batchRecords, maxBytes: ingest.batchMaxBytes, maxWaitMs: ingest.maxWaitMs },
    maxBufferedBytes: ingest.maxBufferedBytes,
    retryMaxMs: ingest.retryMaxMs,
    fault: ingest.fault,
    recordPlans: ingest.recordPlans,
    frameDedup: ingest.frameDedup,
    rejectedRetryMs: ingest.rejectedRetryMs,
    die: () => process.kill(process.pid, 'SIGKILL'),
  });
  const lag = createLagRefresher({ consumer, admin, metrics, logger, intervalMs: ingest.lagRefreshMs });
  lag.start();
  const served = await serveMetrics(metrics, ingest.metricsPort, () => {
    const problems = [...runner.rejected()].map(([topic, r]) => `rejected: ClickHouse refuses inserts into ${r.table} (from ${topic}) for good; next try in ${Math.max(0, Math.round((r.retryAtMs - systemClock.now()) / 1000))} s: ${r.error}`);
    if (runner.isPaused()) problems.unshift('paused: ClickHouse is not accepting inserts');
    return problems;
  }, logger, ingest.metricsHost);
  logger.info('ingest starting', { group: ingest.groupId, database: ingest.database, topics: [...topics.values()], metricsPort: served.port });
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    logger.info('ingest stopping');
    lag.stop();
    runner
      .stop()
      .then(() => Promise.all([deadLetterWriter.close(), sink.close(), admin.disconnect()]))
      .then(() => {
        served.server.close();
        process.exit(0);
      })
      .catch((e: unknown) => {
        logger.error('ingest stop failed', { error: describeError(e) });
        process.exit(1);
      });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  await runner.start();
};

main().catch(failStartup('ingest'));
