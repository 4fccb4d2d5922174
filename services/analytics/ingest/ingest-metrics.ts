/**
 * Ingest's Prometheus metrics (prom-client, a registry of its own) and the small HTTP server that
 * serves them (fastify, services/platform/http-server.ts): GET /metrics, GET /healthz. Lag is per topic and partition: records in Kafka not yet
 * acknowledged by ClickHouse (high-water mark minus the group's committed offset), set on a timer
 * by lag-refresher.ts so it keeps growing while ingest is paused. rows/s is a gauge over the last
 * 10 s next to the rows counter, so a dashboard without PromQL rate() still reads it.
 */
import type { Server } from 'node:http';
import { Type } from 'typebox';
import { createHttpApp, listen } from '../../platform/http-server.ts';
import type { Logger } from '../../platform/logger.ts';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface IngestMetrics {
  readonly registry: Registry;
  setLag(topic: string, partition: number, records: number): void;
  dropPartition(topic: string, partition: number): void;
  inserted(table: string, rows: number, seconds: number, nowMs: number): void;
  insertFailed(table: string, kind: 'retriable' | 'rejected'): void;
  /** Rows not inserted because ClickHouse (or the batch) already holds that frame (telemetry-dedup.ts). */
  duplicatesDropped(table: string, rows: number): void;
  /** Whether ClickHouse rejects this table's inserts for good (unknown table, type mismatch...). */
  setRejected(table: string, rejected: boolean): void;
  deadLettered(topic: string): void;
  setBufferedBytes(bytes: number): void;
  setPaused(paused: boolean): void;
}

const WINDOW_MS = 10_000;

export const createIngestMetrics = (now: () => number): IngestMetrics => {
  const registry = new Registry();
  const lag = new Gauge({ name: 'gridfleet_ingest_lag_records', help: 'Records in the partition not yet in ClickHouse: high-water mark minus the group\'s committed offset (refreshed every INGEST_LAG_REFRESH_MS, also while paused)', labelNames: ['topic', 'partition'], registers: [registry] });
  const rows = new Counter({ name: 'gridfleet_ingest_rows_total', help: 'Rows inserted into ClickHouse', labelNames: ['table'], registers: [registry] });
  const inserts = new Histogram({
    name: 'gridfleet_ingest_insert_seconds', help: 'Latency of one acknowledged INSERT', labelNames: ['table'], registers: [registry],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  });
  const failures = new Counter({ name: 'gridfleet_ingest_insert_failures_total', help: 'INSERT attempts that failed (and were retried); kind=rejected when retrying cannot help', labelNames: ['table', 'kind'], registers: [registry] });
  const rejectedTables = new Gauge({ name: 'gridfleet_ingest_table_rejected', help: '1 while ClickHouse rejects this table\'s inserts for good (its topic is paused and retried slowly)', labelNames: ['table'], registers: [registry] });
  const duplicates = new Counter({ name: 'gridfleet_ingest_duplicate_rows_total', help: 'Rows not inserted because the same (device, seq) was already in ClickHouse or earlier in the batch (a frame the gateway wrote twice after an ambiguous Kafka failure)', labelNames: ['table'], registers: [registry] });
  const dead = new Counter({ name: 'gridfleet_ingest_dead_letters_total', help: 'Records sent to dead.letters.v1', labelNames: ['topic'], registers: [registry] });
  const buffered = new Gauge({ name: 'gridfleet_ingest_buffered_bytes', help: 'Encoded bytes waiting for their insert, all partitions', registers: [registry] });
  const paused = new Gauge({ name: 'gridfleet_ingest_paused', help: '1 while ClickHouse refuses inserts and consumption is paused', registers: [registry] });
  const recent: Array<{ at: number; table: string; rows: number }> = [];
  new Gauge({
    name: 'gridfleet_ingest_rows_per_second', help: 'Rows inserted per second over the last 10 s', labelNames: ['table'], registers: [registry],
    collect() {
      const since = now() - WINDOW_MS;
      while (recent.length > 0 && (recent[0]?.at ?? 0) < since) recent.shift();
      const byTable = new Map<string, number>();
      for (const r of recent) byTable.set(r.table, (byTable.get(r.table) ?? 0) + r.rows);
      this.reset();
      for (const [table, n] of byTable) this.set({ table }, n / (WINDOW_MS / 1000));
    },
  });
  return {
    registry,
    setLag: (topic, partition, records) => lag.set({ topic, partition: String(partition) }, records),
    dropPartition: (topic, partition) => lag.remove({ topic, partition: String(partition) }),
    inserted: (table, n, seconds, nowMs) => {
      rows.inc({ table }, n);
      inserts.observe({ table }, seconds);
      recent.push({ at: nowMs, table, rows: n });
      if (recent.length > 100_000) recent.splice(0, recent.length - 100_000);
    },
    insertFailed: (table, kind) => failures.inc({ table, kind }),
    duplicatesDropped: (table, n) => duplicates.inc({ table }, n),
    setRejected: (table, r) => rejectedTables.set({ table }, r ? 1 : 0),
    deadLettered: (topic) => dead.inc({ topic }),
    setBufferedBytes: (bytes) => buffered.set(bytes),
    setPaused: (p) => paused.set(p ? 1 : 0),
  };
};

/** Serves /metrics and /healthz (503 listing `problems()` when there are any, as text) on host:port (0 picks one); resolves with the port. */
export const serveMetrics = async (metrics: IngestMetrics, port: number, problems: () => readonly string[], logger: Logger, host = '127.0.0.1'): Promise<{ port: number; server: Server }> => {
  const app = await createHttpApp({ title: 'gridfleet ingest', description: 'Ingest\'s metrics and health (docs/analytics.md).', logger, metrics: metrics.registry, bodyLimit: 1024 });
  app.get('/healthz', { schema: { hide: true, response: { 200: Type.String(), 503: Type.String() } } }, async (_req, reply) => {
    const found = problems();
    return reply.code(found.length === 0 ? 200 : 503).type('text/plain').send(found.length === 0 ? 'ok\n' : `${found.join('\n')}\n`);
  });
  const bound = await listen(app, port, host);
  return { port: bound.port, server: app.server };
};
