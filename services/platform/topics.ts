/**
 * The topic catalog: every topic of the design, with partitions, replication, compaction and
 * retention. Applied idempotently by `npm run stack -- up` and `npm run stack -- migrate`.
 *
 * Partition counts are sized for the design's scale (hundreds of thousands of sites) on a small
 * cluster: 24 partitions for the per-site topics lets 24 instances of a service share the load,
 * and telemetry.v1, asset.state.v1 and fleet.forecasts.v1 have the same count because the asset
 * actors restore a shard from the changelog partition with the same number (co-partitioning).
 */
export const TopicNames = {
  telemetry: 'telemetry.v1',
  assetRegistry: 'asset.registry.v1',
  assetState: 'asset.state.v1',
  assetRollup: 'asset.rollup.v1',
  gridEvents: 'grid.events.v1',
  controlCommands: 'control.commands.v1',
  controlAcks: 'control.acks.v1',
  controlChoices: 'control.choices.v1',
  weatherObservations: 'weather.observations.v1',
  gridMix: 'grid.mix.v1',
  fleetForecasts: 'fleet.forecasts.v1',
  providerForecasts: 'provider.forecasts.v1',
  deadLetters: 'dead.letters.v1',
} as const;

export type TopicName = (typeof TopicNames)[keyof typeof TopicNames];

export interface TopicSpec {
  readonly name: string;
  readonly key: string;
  readonly description: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  /** Topic-level configs, applied on create and converged on every migrate. */
  readonly configs: Readonly<Record<string, string>>;
}

const DAY_MS = 24 * 60 * 60 * 1000;

const timeRetention = (days: number): Record<string, string> => ({
  'cleanup.policy': 'delete',
  'retention.ms': String(days * DAY_MS),
});

const compacted: Record<string, string> = {
  'cleanup.policy': 'compact',
  // Keep tombstones a day so a restoring reader sees deletions; compact dirty logs early. The
  // cleaner never touches the active segment, so segments roll every 10 minutes: with a day, an
  // asset shard's restore read every state change of the day (the isolation harness at 10k sites:
  // a restarted assets instance could not restore in 120 s, twice).
  'delete.retention.ms': String(DAY_MS),
  'min.cleanable.dirty.ratio': '0.1',
  'segment.ms': String(10 * 60_000),
};

/** Partitions of the site-keyed, co-partitioned topics. */
export const SITE_PARTITIONS = 24;

const base = (
  name: TopicName,
  key: string,
  description: string,
  partitions: number,
  configs: Record<string, string>,
): TopicSpec => ({ name, key, description, partitions, replicationFactor: 1, configs: { ...configs, 'max.message.bytes': '1048576' } });

/** The catalog, with partition counts multiplied by `scale` (KAFKA_PARTITIONS_SCALE) and replication set for the cluster. */
export const topicCatalog = (opts: { scale?: number; replicationFactor?: number } = {}): readonly TopicSpec[] => {
  const scale = opts.scale ?? 1;
  const rf = opts.replicationFactor ?? 1;
  const minIsr = String(Math.max(1, rf - 1));
  return [
    base(TopicNames.telemetry, 'siteId', 'device telemetry, with a per-device sequence number', SITE_PARTITIONS * scale, timeRetention(7)),
    base(TopicNames.assetRegistry, 'assetId', 'asset definitions and parent links', 6 * scale, compacted),
    base(TopicNames.assetState, 'assetId', 'actor state snapshots (the shards\' changelog)', SITE_PARTITIONS * scale, compacted),
    base(TopicNames.assetRollup, 'parentId', 'aggregate deltas flowing up the hierarchy', SITE_PARTITIONS * scale, timeRetention(3)),
    base(TopicNames.gridEvents, 'eventId', 'operator-issued grid events', 3 * scale, timeRetention(30)),
    base(TopicNames.controlCommands, 'siteId', 'per-site commands', 12 * scale, timeRetention(14)),
    base(TopicNames.controlAcks, 'siteId', 'device acknowledgements', 12 * scale, timeRetention(14)),
    base(TopicNames.controlChoices, 'siteId', 'customers\' standing choices per site: reserve and event opt-outs', 6 * scale, compacted),
    base(TopicNames.weatherObservations, 'cellId', 'weather provider feed', 6 * scale, timeRetention(14)),
    base(TopicNames.gridMix, 'regionId', 'grid generation mix and carbon intensity feed', 3 * scale, timeRetention(14)),
    base(TopicNames.fleetForecasts, 'siteId', 'the narrow topic: one forecast bundle per site', SITE_PARTITIONS * scale, compacted),
    base(TopicNames.providerForecasts, 'sourceId', 'forecasts fetched from outside providers (grid carbon, weather), analytics input only', 3 * scale, timeRetention(30)),
    base(TopicNames.deadLetters, 'source', 'rejected input with reason and origin', 6 * scale, timeRetention(30)),
  ].map((t) => ({ ...t, replicationFactor: rf, configs: { ...t.configs, 'min.insync.replicas': minIsr } }));
};
