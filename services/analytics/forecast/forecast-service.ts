/**
 * Wiring of the forecast tier (its own process, its own Redis queues, its own Kafka producer and
 * ClickHouse client: nothing shared with the operational services): job schedulers, the three
 * workers, the bundle publisher, /metrics and /healthz. The CLI starts it; tests and the bench start it
 * in-process with their own prefixes.
 */
import { Type } from 'typebox';
import { createHttpApp, listen, type HttpApp } from '../../platform/http-server.ts';
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { FlowProducer, Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { createAvroCodec, createRegistryClient } from '../../platform/avro-codec.ts';
import { clockFor } from '../../platform/clock.ts';
import type { Config } from '../../platform/config.ts';
import { describeError } from '../../platform/errors.ts';
import type { ForecastBundle } from '../../platform/events.ts';
import { createKafkaAdapter } from '../../platform/kafka.ts';
import type { Logger } from '../../platform/logger.ts';
import { TopicNames } from '../../platform/topics.ts';
import { createFeatureReader } from './clickhouse-features.ts';
import type { ForecastConfig } from './forecast-config.ts';
import { createForecastSink } from './forecast-sink.ts';
import { onRunFailedForGood, processChunk, processFinalize, processRun, QueueNames, type ChunkJobData, type JobDeps, type RunJobData } from './jobs.ts';
import { createForecastMetrics } from './metrics.ts';
import { createRunStore, type RunStore } from './run-store.ts';
import { RunKinds, realEveryMs } from './run-kinds.ts';
import { openTopicWriter } from '../../platform/topic-writer.ts';

/** Bundles per produce request (about 4 MB): one round trip per chunk of 5000 sites. */
const PUBLISH_SLICE = 5000;

/** REDIS_URL's host, port, ACL user and password (`redis://user:password@host:port`; rediss: is TLS). */
export const redisConnection = (redisUrl: string): ConnectionOptions & { host: string; port: number } => {
  const u = new URL(redisUrl);
  return {
    host: u.hostname, port: Number(u.port || '6379'),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
  };
};

/** Upserts one job scheduler per kind (same ids every time: a restart never adds a second). */
export const upsertSchedulers = async (runs: Queue, fcfg: ForecastConfig, sim: Config['sim']): Promise<void> => {
  for (const kind of Object.values(RunKinds)) {
    await runs.upsertJobScheduler(`forecast-${kind}`, { every: realEveryMs(fcfg.everyMin[kind], sim) }, {
      name: kind, data: { kind } satisfies RunJobData,
      opts: { attempts: fcfg.runAttempts, backoff: { type: 'exponential', delay: fcfg.backoffMs }, removeOnComplete: 1000, removeOnFail: 5000 },
    });
  }
};

export interface ForecastService {
  readonly store: RunStore;
  readonly runs: Queue;
  readonly metricsPort: number | null;
  /** Adds a run by hand (idempotent per kind and issue time). */
  runNow(kind: string, issuedAtMs: number): Promise<string>;
  stop(): Promise<void>;
}

export const startForecastService = async (opts: { config: Config; fcfg: ForecastConfig; logger: Logger; schedule: boolean; work: boolean; realNow?: () => number }): Promise<ForecastService> => {
  const { config, fcfg, logger } = opts;
  const realNow = opts.realNow ?? Date.now;
  const connection = redisConnection(config.redisUrl);
  const prefix = fcfg.queuePrefix;
  const redis = new Redis(connection);
  // Redis going away is expected (a restart): the clients reconnect; say so once per error, quietly.
  const onRedisError = (e: Error): void => logger.warn('forecast redis connection error (reconnecting)', { error: e.message });
  redis.on('error', onRedisError);
  const store = createRunStore(redis, prefix, fcfg.snapshotTtlSec);
  const runs = new Queue(QueueNames.runs, { connection, prefix });
  const finalizeQueue = new Queue(QueueNames.finalize, { connection, prefix });
  runs.on('error', onRedisError);
  finalizeQueue.on('error', onRedisError);
  const closers: Array<() => Promise<void>> = [];
  let metricsServer: { app: HttpApp; port: number } | null = null;

  if (opts.schedule) await upsertSchedulers(runs, fcfg, config.sim);

  if (opts.work) {
    const clickhouse = createClient({
      url: config.clickhouseUrl, username: fcfg.clickhouseUser, password: fcfg.clickhousePassword, request_timeout: fcfg.clickhouseTimeoutMs,
      log: { level: ClickHouseLogLevel.OFF },
    });
    const kafka = createKafkaAdapter({ brokers: config.kafkaBrokers, security: config.kafkaSecurity, clientId: 'gridfleet-forecast', logger });
    const codec = createAvroCodec({ registry: createRegistryClient(config.registryUrl, config.registryAuth) });
    let bytes = 0;
    const writer = await openTopicWriter({ kafka, codec, lanes: 2, countBytes: (_t, n) => (bytes += n) });
    const topic = fcfg.topicPrefix + TopicNames.fleetForecasts;
    const publish = async (bundles: readonly ForecastBundle[]): Promise<number> => {
      const before = bytes;
      for (let i = 0; i < bundles.length; i += PUBLISH_SLICE) {
        await writer.publish(TopicNames.fleetForecasts, bundles.slice(i, i + PUBLISH_SLICE).map((b) => ({ key: b.siteId, value: b })), { to: topic });
      }
      return bytes - before;
    };
    const simClock = clockFor(config.sim);
    const metrics = createForecastMetrics(() => simClock.now());
    const flow = new FlowProducer({ connection, prefix });
    flow.on('error', onRedisError);
    const deps: JobDeps = { cfg: fcfg, sim: config.sim, store, reader: createFeatureReader(clickhouse, fcfg.database), sink: createForecastSink(clickhouse, fcfg.database), publish, flow, finalizeQueue, realNow, metrics, logger };

    const runWorker = new Worker(QueueNames.runs, processRun(deps), { connection, prefix, concurrency: 1 });
    const chunkWorker = new Worker(QueueNames.chunks, processChunk(deps), { connection, prefix, concurrency: fcfg.chunkConcurrency });
    const finalizeWorker = new Worker(QueueNames.finalize, processFinalize(deps), { connection, prefix, concurrency: 1 });
    const outOfAttempts = (job: Job | undefined, e: Error): boolean => job !== undefined && (e.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1));
    runWorker.on('failed', (job: Job<RunJobData> | undefined, e: Error) => {
      deps.metrics.runFailures.inc({ kind: job?.data.kind ?? 'unknown' });
      logger.warn('forecast run attempt failed', { job: job?.id, attempt: job?.attemptsMade, error: e.message });
      if (job !== undefined && outOfAttempts(job, e)) void onRunFailedForGood(deps, job, e).catch((x: unknown) => logger.error('recording a failed run failed', { error: describeError(x) }));
    });
    chunkWorker.on('failed', (job: Job<ChunkJobData> | undefined, e: Error) => {
      logger.warn('forecast chunk attempt failed', { job: job?.id, attempt: job?.attemptsMade, error: e.message });
      if (job !== undefined && outOfAttempts(job, e)) {
        deps.metrics.chunkFailures.inc({ kind: job.data.kind });
        void store.markChunkFailed(job.data.runId, job.data.chunk, e.message).catch((x: unknown) => logger.error('recording a failed chunk failed', { error: describeError(x) }));
      }
    });
    for (const w of [runWorker, chunkWorker, finalizeWorker]) w.on('error', (e) => logger.warn('forecast worker error', { error: e.message }));

    if (fcfg.metricsPort >= 0) {
      const app = await createHttpApp({ title: 'gridfleet forecast jobs', description: 'The forecast jobs\' metrics and health (docs/forecast.md).', logger, metrics: metrics.registry, bodyLimit: 1024 });
      app.get('/healthz', { schema: { hide: true, response: { 200: Type.String() } } }, async (_req, reply) => reply.type('text/plain').send('ok\n'));
      metricsServer = { app, port: (await listen(app, fcfg.metricsPort, fcfg.metricsHost)).port };
    }
    closers.push(
      () => runWorker.close(), () => chunkWorker.close(), () => finalizeWorker.close(), () => flow.close(),
      () => writer.close(), () => clickhouse.close(),
      () => metricsServer?.app.close() ?? Promise.resolve(),
    );
  }

  return {
    store, runs,
    metricsPort: metricsServer?.port ?? null,
    async runNow(kind, issuedAtMs) {
      await runs.add(kind, { kind, issuedAtMs } satisfies RunJobData, { jobId: `manual-${kind}-${issuedAtMs}`, attempts: fcfg.runAttempts, backoff: { type: 'exponential', delay: fcfg.backoffMs }, removeOnComplete: 1000, removeOnFail: 5000 });
      return `${kind}-${issuedAtMs}`;
    },
    async stop() {
      for (const c of closers) await c().catch((e: unknown) => logger.warn('forecast shutdown step failed', { error: describeError(e) }));
      await runs.close();
      await finalizeQueue.close();
      redis.disconnect();
    },
  };
};
