/**
 * The assets process: `npx tsx services/operational/assets/main.ts`. Follows asset.registry.v1 (the hierarchy)
 * and asset.state.v1 (the read model) in full, joins the group gridfleet-assets whose partitions
 * are its shards, and serves the read API on ASSETS_PORT. Environment: the platform's
 * (KAFKA_BROKERS, REGISTRY_URL, LOG_LEVEL, SIM_*) and the ASSETS_* variables of config.ts.
 * SIGTERM/SIGINT leave the group (its shards move at once) and exit 0.
 */
import { randomUUID } from 'node:crypto';
import { isSnapshotKey } from '../../platform/asset-view.ts';
import { createAvroCodec, createRegistryClient } from '../../platform/avro-codec.ts';
import { clockFor, systemClock } from '../../platform/clock.ts';
import { parseConfig } from '../../platform/config.ts';
import { describeError } from '../../platform/errors.ts';
import { failStartup, parseAll } from '../../platform/startup.ts';
import { waitForBackbone } from '../../platform/startup-retry.ts';
import { createKafkaAdapter } from '../../platform/kafka.ts';
import { createLogger } from '../../platform/logger.ts';
import type { TopicValues } from '../../platform/events.ts';
import { TopicNames } from '../../platform/topics.ts';
import { createAssetsRunner } from './assets-runner.ts';
import { parseAssetsConfig } from './config.ts';
import { followTopic, type Following } from './follow-topic.ts';
import { createEnvironment } from './environment.ts';
import { createHierarchy } from './hierarchy.ts';
import { serveReadApi } from './http-api.ts';
import { createAssetsMetrics } from './metrics.ts';
import { createReadModel } from './read-model.ts';

const main = async (): Promise<void> => {
  const [config, assets] = parseAll(() => parseConfig(process.env), () => parseAssetsConfig(process.env));
  const instanceId = assets.instanceId ?? `assets-${process.pid}`;
  const logger = createLogger(config.logLevel, { service: 'assets', instance: instanceId });
  // Kafka down at start: wait (not-ready on /healthz) instead of exiting.
  await waitForBackbone({ service: 'assets', logger, brokers: config.kafkaBrokers, registryUrl: config.registryUrl, hold: { port: assets.port, host: assets.host } });
  const kafka = createKafkaAdapter({ brokers: config.kafkaBrokers, security: config.kafkaSecurity, clientId: `gridfleet-assets-${instanceId}`, logger });
  const codec = createAvroCodec({ registry: createRegistryClient(config.registryUrl, config.registryAuth) });
  const clock = clockFor(config.sim);
  const metrics = createAssetsMetrics();
  const hierarchy = createHierarchy();
  const environment = createEnvironment();
  const model = createReadModel(hierarchy, environment);
  const topic = (t: string): string => assets.topicPrefix + t;
  // Each instance reads these topics whole, so its followers' groups are its own.
  const ownGroup = (what: string): string => `${assets.groupId}-${what}-${instanceId}-${randomUUID().slice(0, 8)}`;

  const registry = await followTopic({
    kafka, topic: topic(TopicNames.assetRegistry), groupId: ownGroup('registry'),
    onRecords: async (records) => {
      for (const r of records) {
        if (r.key === null) continue;
        if (r.value === null) {
          hierarchy.apply(r.key, null);
          continue;
        }
        const d = await codec.decode(TopicNames.assetRegistry, r.value);
        if (d.ok) hierarchy.apply(r.key, d.value);
        else logger.warn('undecodable registry record skipped', { offset: r.offset, error: d.error });
      }
    },
  });
  const states = await followTopic({
    kafka, topic: topic(TopicNames.assetState), groupId: ownGroup('read'),
    // The read API's copy of the views: up to 250 ms for 64 KiB, not a fetch per shard flush.
    fetch: { minBytes: 64 * 1024, maxWaitTimeInMs: 250 },
    onRecords: async (records) => {
      for (const r of records) {
        // Snapshots are the shards' own restore input, skipped before decoding.
        if (r.key === null || isSnapshotKey(r.key)) continue;
        const d = r.value === null ? null : await codec.decode(TopicNames.assetState, r.value);
        if (d === null) model.put(r.key, null);
        else if (d.ok) model.put(r.key, d.value);
      }
      metrics.readModel.set(model.size());
    },
  });

  // Last known environment for the read API: followed in the background and never waited for,
  // since these feeds come from providers and the analytics tier (analytics never blocks control).
  const followEnvironment = async <T extends typeof TopicNames.weatherObservations | typeof TopicNames.gridMix | typeof TopicNames.fleetForecasts>(
    t: T,
    put: (v: TopicValues[T]) => void,
  ): Promise<Following> =>
    followTopic({
      kafka, topic: topic(t), groupId: ownGroup(t),
      onRecords: async (records) => {
        for (const r of records) {
          if (r.value === null) continue;
          const d = await codec.decode(t, r.value);
          if (d.ok) put(d.value);
        }
      },
    });
  const environmentFeeds = [
    followEnvironment(TopicNames.weatherObservations, (v) => environment.putWeather(v)),
    followEnvironment(TopicNames.gridMix, (v) => environment.putGridMix(v)),
    followEnvironment(TopicNames.fleetForecasts, (v) => environment.putForecast(v)),
  ].map((p) => p.catch((e: unknown) => {
    logger.warn('environment feed unavailable; sites show no environment data from it', { error: describeError(e) });
    return null;
  }));

  const runner = createAssetsRunner({
    kafka, codec, logger, metrics, clock, hierarchy, wallNow: () => systemClock.now(),
    groupId: assets.groupId, topicPrefix: assets.topicPrefix, staleAfterMs: assets.staleAfterMs, tickMs: assets.tickMs,
    siteFlushMs: assets.siteFlushMs, parentFlushMs: assets.parentFlushMs, snapshotEveryMs: assets.snapshotEveryMs, fullViewEveryMs: assets.fullViewEveryMs,
    sessionTimeoutMs: assets.sessionTimeoutMs, concurrency: assets.concurrency,
    die: (reason) => {
      logger.error('assets cannot go on', { reason });
      process.exit(1);
    },
  });
  let consuming = false;
  const served = await serveReadApi(
    {
      model, registry: metrics.registry, tokens: assets.tokens, logger, tls: assets.tls,
      health: () => ({
        ready: registry.isCaughtUp() && states.isCaughtUp() && consuming,
        details: { instance: instanceId, assets: hierarchy.size(), readModel: model.size(), shards: runner.owned() },
      }),
    },
    assets.port,
    assets.host,
  );
  logger.info('assets starting', { port: served.port, group: assets.groupId, prefix: assets.topicPrefix, staleAfterMs: assets.staleAfterMs });

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    logger.info('assets stopping');
    runner
      .stop()
      .then(async () => Promise.all([registry.stop(), states.stop(), ...(await Promise.all(environmentFeeds)).map((f) => f?.stop())]))
      .then(() => {
        void served.close();
        process.exit(0);
      })
      .catch((e: unknown) => {
        logger.error('assets stop failed', { error: describeError(e) });
        process.exit(1);
      });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);

  // Shards need the hierarchy (who is whose parent) before they process anything.
  await registry.caughtUp;
  logger.info('registry caught up', { assets: hierarchy.size() });
  consuming = true;
  await runner.start();
  logger.info('assets consuming', { port: served.port, startedAtMs: systemClock.now() });
};

main().catch(failStartup('assets'));
