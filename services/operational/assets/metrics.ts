/** The assets service's Prometheus metrics (one registry per instance, served on /metrics). */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export const createAssetsMetrics = () => {
  const registry = new Registry();
  return {
    registry,
    telemetry: new Counter({ name: 'assets_telemetry_events_total', help: 'Telemetry frames by outcome (applied, replay, decommissioned, undecodable)', labelNames: ['result'] as const, registers: [registry] }),
    rollups: new Counter({ name: 'assets_rollups_total', help: 'Rollup deltas by outcome (applied, duplicate, undecodable)', labelNames: ['result'] as const, registers: [registry] }),
    deadLetters: new Counter({ name: 'assets_dead_letters_total', help: 'Input records written to dead.letters.v1, by error code (UNDECODABLE, DECOMMISSIONED)', labelNames: ['code'] as const, registers: [registry] }),
    produced: new Counter({ name: 'assets_records_produced_total', help: 'Records written', labelNames: ['topic'] as const, registers: [registry] }),
    staleMarked: new Counter({ name: 'assets_devices_marked_offline_total', help: 'Devices the staleness tick took offline', registers: [registry] }),
    shards: new Gauge({ name: 'assets_shards_owned', help: 'Shards (partitions) this instance owns', labelNames: ['kind'] as const, registers: [registry] }),
    actors: new Gauge({ name: 'assets_actors', help: 'Actors held by this instance', registers: [registry] }),
    readModel: new Gauge({ name: 'assets_read_model_assets', help: 'Assets in this instance\'s read model', registers: [registry] }),
    restoreSeconds: new Histogram({ name: 'assets_restore_seconds', help: 'Time to restore newly assigned shards from asset.state.v1', buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60], registers: [registry] }),
    rebalances: new Counter({ name: 'assets_rebalances_total', help: 'Assignments received', registers: [registry] }),
  };
};

export type AssetsMetrics = ReturnType<typeof createAssetsMetrics>;
