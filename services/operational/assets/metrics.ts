/** The assets service's Prometheus metrics (one registry per instance, served on /metrics). */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

const LAG_BUCKETS = [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10];

export const createAssetsMetrics = () => {
  const registry = new Registry();
  return {
    registry,
    telemetry: new Counter({ name: 'gridfleet_assets_telemetry_events_total', help: 'Telemetry frames by outcome (applied, replay, decommissioned, undecodable)', labelNames: ['result'] as const, registers: [registry] }),
    rollups: new Counter({ name: 'gridfleet_assets_rollups_total', help: 'Partials records by outcome (applied, duplicate, legacy, undecodable)', labelNames: ['result'] as const, registers: [registry] }),
    bytesProduced: new Counter({ name: 'gridfleet_assets_produced_bytes_total', help: 'Bytes written to Kafka (keys and values), by logical topic', labelNames: ['topic'] as const, registers: [registry] }),
    flushSeconds: new Histogram({ name: 'gridfleet_assets_flush_seconds', help: 'From a shard flush taking its changes to their acknowledgement', labelNames: ['kind'] as const, buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5], registers: [registry] }),
    flushFailures: new Counter({ name: 'gridfleet_assets_flush_failures_total', help: 'Shard flushes whose writes or commit failed (the next one is full)', labelNames: ['kind'] as const, registers: [registry] }),
    restoring: new Gauge({ name: 'gridfleet_assets_restoring_shards', help: 'Shards acquired and not yet caught up (snapshot loaded, input replayed to the previous owner\'s commit)', registers: [registry] }),
    lastRestoreSeconds: new Gauge({ name: 'gridfleet_assets_last_restore_seconds', help: 'How long the shard that caught up last took, from its assignment, in seconds', registers: [registry] }),
    deadLetters: new Counter({ name: 'gridfleet_assets_dead_letters_total', help: 'Input records written to dead.letters.v1, by error code (UNDECODABLE, DECOMMISSIONED)', labelNames: ['code'] as const, registers: [registry] }),
    staleMarked: new Counter({ name: 'gridfleet_assets_devices_marked_offline_total', help: 'Devices the staleness tick took offline', registers: [registry] }),
    shards: new Gauge({ name: 'gridfleet_assets_shards_owned', help: 'Shards (partitions) this instance owns', labelNames: ['kind'] as const, registers: [registry] }),
    actors: new Gauge({ name: 'gridfleet_assets_actors', help: 'Actors held by this instance', registers: [registry] }),
    readModel: new Gauge({ name: 'gridfleet_assets_read_model_assets', help: 'Assets in this instance\'s read model', registers: [registry] }),
    restoreSeconds: new Histogram({ name: 'gridfleet_assets_restore_seconds', help: 'From a shard\'s assignment to caught up: snapshot read, input replayed to the previous owner\'s commit', buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60], registers: [registry] }),
    // The latency budget, stage by stage (docs/assets.md): wall clock minus the Kafka time of the frame.
    inputAge: new Histogram({ name: 'gridfleet_assets_input_age_seconds', help: 'Age of input when its shard applies it (wall clock minus the Kafka time of the first record of each batch): waiting for the fetch', labelNames: ['kind'] as const, buckets: LAG_BUCKETS, registers: [registry] }),
    flushAge: new Histogram({ name: 'gridfleet_assets_flush_age_seconds', help: 'Age of the oldest telemetry frame a flush reflects, when the flush takes its changes (stage=taken) and once its writes are acknowledged (stage=acked); kind=parent, stage=acked is frame to parent view written', labelNames: ['kind', 'stage'] as const, buckets: LAG_BUCKETS, registers: [registry] }),
    rebalances: new Counter({ name: 'gridfleet_assets_rebalances_total', help: 'Assignments received', registers: [registry] }),
  };
};

export type AssetsMetrics = ReturnType<typeof createAssetsMetrics>;
