/** The forecast worker's Prometheus metrics (served on FORECAST_METRICS_PORT /metrics). */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export const createForecastMetrics = (simNowMs: () => number) => {
  const registry = new Registry();
  const lastIssuedAt = new Gauge({ name: 'gridfleet_forecast_last_issued_at_seconds', help: 'Issue time (simulated) of the newest finished run per kind', labelNames: ['kind'] as const, registers: [registry] });
  return {
    registry,
    lastIssuedAt,
    // Staleness: how old the newest finished run of each kind is. Devices keep their last bundle
    // when runs fail; this is where an operator sees it age.
    age: new Gauge({
      name: 'gridfleet_forecast_age_seconds', help: 'Simulated seconds since the issue time of the newest finished run per kind', labelNames: ['kind'] as const, registers: [registry],
      async collect() {
        const m = await lastIssuedAt.get();
        for (const v of m.values) this.set({ kind: String(v.labels['kind']) }, simNowMs() / 1000 - v.value);
      },
    }),
    runs: new Counter({ name: 'gridfleet_forecast_runs_total', help: 'Finished runs by kind and outcome', labelNames: ['kind', 'outcome'] as const, registers: [registry] }),
    runFailures: new Counter({ name: 'gridfleet_forecast_run_attempt_failures_total', help: 'Failed attempts of run jobs (each is retried with backoff)', labelNames: ['kind'] as const, registers: [registry] }),
    chunkFailures: new Counter({ name: 'gridfleet_forecast_chunk_failures_total', help: 'Chunks failed for good (poison or out of attempts)', labelNames: ['kind'] as const, registers: [registry] }),
    items: new Counter({ name: 'gridfleet_forecast_items_total', help: 'Sites (or cells, regions) forecast', labelNames: ['kind'] as const, registers: [registry] }),
    bytes: new Counter({ name: 'gridfleet_forecast_published_bytes_total', help: 'Bundle bytes published to fleet.forecasts.v1', labelNames: ['kind'] as const, registers: [registry] }),
    readSeconds: new Histogram({ name: 'gridfleet_forecast_read_seconds', help: 'Time a run spent reading ClickHouse', labelNames: ['kind'] as const, buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60], registers: [registry] }),
  };
};

export type ForecastMetrics = ReturnType<typeof createForecastMetrics>;
