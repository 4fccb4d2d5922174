/**
 * A forecast tier on the test stack with a world of its own: a fresh ClickHouse database with the
 * project's migrations (002 onwards, `gridfleet.` renamed), three days of simulated history for a
 * few dozen sites in two weather cells and two grid regions (the fleet simulator's physics), a
 * fresh Redis prefix and a fresh forecast topic. Not a test itself.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { gridMixAt, gridRegionParams } from '../../../../services/edge/simulator/physics/grid-mix.ts';
import { householdLoadKw, loadProfileParams } from '../../../../services/edge/simulator/physics/household-load.ts';
import { solarKwFrom } from '../../../../services/edge/simulator/physics/site-sim.ts';
import { createWeatherField, observeCell } from '../../../../services/edge/simulator/physics/weather-field.ts';
import { splitStatements } from '../../../../services/platform/clickhouse-migration-plan.ts';
import { parseForecastConfig, type ForecastConfig } from '../../../../services/analytics/forecast/forecast-config.ts';
import { startForecastService, type ForecastService } from '../../../../services/analytics/forecast/forecast-service.ts';
import { RunStates, type RunRecord } from '../../../../services/analytics/forecast/run-store.ts';
import { createAvroCodec, createRegistryClient } from '../../../../services/platform/avro-codec.ts';
import type { ForecastBundle } from '../../../../services/platform/events.ts';
import { createLogger } from '../../../../services/platform/logger.ts';
import { TopicNames } from '../../../../services/platform/topics.ts';
import { REPO_ROOT } from '../../../../services/embedded/stack/layout.ts';
import { testKafka } from '../../../support/clients.ts';
import { freshName, testConfig, TEST_STACK_ENV } from '../../../support/stack-env.ts';

export const HOUR = 3_600_000;
export const START_MS = Date.UTC(2025, 5, 2);
export const DAYS = 3;
export const CELLS = [{ cellId: 'cell-a', latitudeDeg: 48.1, longitudeDeg: 11.6 }, { cellId: 'cell-b', latitudeDeg: 50.1, longitudeDeg: 8.7 }] as const;
export const REGIONS = ['grid-n', 'grid-s'] as const;

const dt = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

export const createDatabase = async (client: ClickHouseClient, db: string): Promise<void> => {
  await client.command({ query: `CREATE DATABASE ${db}` });
  const dir = join(REPO_ROOT, 'infra/clickhouse/migrations');
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.sql') && !n.startsWith('001')).sort()) {
    for (const st of splitStatements(readFileSync(join(dir, f), 'utf8').replaceAll('gridfleet.', `${db}.`))) await client.command({ query: st });
  }
};

/** Three days of history for `sites` sites (site ids s-000..), every 15 minutes. */
export const seedHistory = async (client: ClickHouseClient, db: string, sites: number, siteIds?: readonly string[]): Promise<string[]> => {
  const field = createWeatherField(7, CELLS);
  const ids: string[] = siteIds !== undefined ? [...siteIds] : Array.from({ length: sites }, (_, i) => `s-${String(i).padStart(3, '0')}`);
  let offset = 0;
  const assets: Array<Record<string, unknown>> = [
    { asset_id: 'fleet', kind: 'FLEET', parent_id: null, name: 'fleet', updated_at: dt(START_MS), deleted: 0, kafka_partition: 0, kafka_offset: offset++ },
    { asset_id: 'region-1', kind: 'REGION', parent_id: 'fleet', name: 'region-1', updated_at: dt(START_MS), deleted: 0, kafka_partition: 0, kafka_offset: offset++ },
  ];
  const specs = ids.map((siteId, i) => {
    const cell = CELLS[i % 2] ?? CELLS[0];
    const kwp = 4 + (i % 5);
    assets.push({
      asset_id: siteId, kind: 'SITE', parent_id: 'region-1', name: siteId, latitude_deg: cell.latitudeDeg + 0.01 * (i % 7), longitude_deg: cell.longitudeDeg + 0.01 * (i % 3),
      weather_cell_id: cell.cellId, grid_region_id: REGIONS[i % 2], solar_kwp: kwp, battery_kwh: 10, max_charge_kw: 5, max_discharge_kw: 5, backup_reserve_pct: 20,
      updated_at: dt(START_MS), deleted: 0, kafka_partition: 0, kafka_offset: offset++,
    });
    return { siteId, cellId: cell.cellId, kwp, load: loadProfileParams(7, siteId, 1) };
  });
  const telemetry: Array<Record<string, unknown>> = [];
  const weather: Array<Record<string, unknown>> = [];
  const mix: Array<Record<string, unknown>> = [];
  const grids = REGIONS.map((r, i) => gridRegionParams(7, r, 49 + i, 9 + i));
  for (let t = START_MS; t < START_MS + DAYS * 24 * HOUR; t += 15 * 60_000) {
    for (const c of CELLS) {
      const o = observeCell(field, c.cellId, t);
      weather.push({
        cell_id: c.cellId, observed_at: dt(t), temperature_c: o.temperatureC, cloud_cover_pct: o.cloudCoverPct, irradiance_w_per_m2: o.irradianceWPerM2, wind_speed_m_per_s: o.windSpeedMPerS,
        alert_kind: o.alert?.kind ?? null, alert_severity: o.alert?.severity ?? null, alert_starts_at: o.alert ? dt(o.alert.startsAtMs) : null, alert_ends_at: o.alert ? dt(o.alert.endsAtMs) : null, alert_text: o.alert?.text ?? null,
        kafka_partition: 0, kafka_offset: offset++,
      });
    }
    if (t % (30 * 60_000) === 0) grids.forEach((g) => {
      const m = gridMixAt(g, t, 30);
      mix.push({ region_id: g.regionId, observed_at: dt(t), interval_minutes: 30, carbon_g_per_kwh: m.carbonGPerKwh, demand_mw: m.demandMw, generation_source: m.generation.map((x) => x.source), generation_mw: m.generation.map((x) => x.mw), kafka_partition: 0, kafka_offset: offset++ });
    });
    for (const [k, s] of specs.entries()) {
      const w = field.at(s.cellId, t);
      const solar = solarKwFrom(s.kwp, w.irradianceWPerM2, w.temperatureC);
      const load = householdLoadKw(s.load, t, w.temperatureC);
      telemetry.push({
        site_id: s.siteId, device_id: `${s.siteId}-dev`, seq: (t - START_MS) / 60_000, measured_at: dt(t), received_at: dt(t), soc_pct: 50, battery_kw: 0, solar_kw: solar, load_kw: load, grid_kw: load - solar,
        battery_temp_c: 25, mode: 'SELF_CONSUMPTION', alarms: [], active_command_id: null, kafka_partition: k % 4, kafka_offset: offset++,
      });
    }
  }
  const settings = { date_time_input_format: 'best_effort' as const };
  await client.insert({ table: `${db}.assets`, values: assets, format: 'JSONEachRow', clickhouse_settings: settings });
  await client.insert({ table: `${db}.weather_observations`, values: weather, format: 'JSONEachRow', clickhouse_settings: settings });
  await client.insert({ table: `${db}.grid_mix`, values: mix, format: 'JSONEachRow', clickhouse_settings: settings });
  await client.insert({ table: `${db}.telemetry`, values: telemetry, format: 'JSONEachRow', clickhouse_settings: settings });
  return ids;
};

export interface ForecastWorld {
  readonly db: string;
  readonly topic: string;
  readonly fcfg: ForecastConfig;
  readonly client: ClickHouseClient;
  readonly siteIds: string[];
  service: ForecastService;
  /** Starts a service (workers, and schedulers when asked) with this world's settings plus overrides. */
  start(opts?: { schedule?: boolean; env?: Record<string, string> }): Promise<ForecastService>;
  /** Polls the run record until it is finished (or the deadline passes); returns the last record. */
  waitForRun(runId: string, timeoutMs?: number, until?: (r: RunRecord | null) => boolean): Promise<RunRecord | null>;
  /** Every bundle on the world's topic: key, raw bytes, decoded value. */
  bundles(): Promise<Array<{ key: string; bytes: Buffer; bundle: ForecastBundle }>>;
  dispose(): Promise<void>;
}

export const finished = (r: RunRecord | null): boolean => r !== null && ([RunStates.completed, RunStates.partial, RunStates.failed] as string[]).includes(r.state);

export const createWorld = async (opts: { sites: number; env?: Record<string, string>; siteIds?: readonly string[]; topicPrefix?: string }): Promise<ForecastWorld> => {
  const config = testConfig();
  const db = freshName('fc').replaceAll('-', '_');
  const topicPrefix = opts.topicPrefix ?? `${freshName('fct')}.`;
  const topic = topicPrefix + TopicNames.fleetForecasts;
  const client = createClient({ url: config.clickhouseUrl, log: { level: ClickHouseLogLevel.OFF }, request_timeout: 120_000 });
  await createDatabase(client, db);
  const siteIds: string[] = await seedHistory(client, db, opts.sites, opts.siteIds);
  const kafka = testKafka('forecast-test');
  if (opts.topicPrefix === undefined) {
    const admin = await kafka.admin();
    // delete, not compact: the tests count every record, duplicates included.
    await admin.ensureTopics([{ name: topic, key: 'siteId', description: 'forecast test topic', partitions: 3, replicationFactor: 1, configs: { 'cleanup.policy': 'delete' } }]);
    await admin.disconnect();
  }
  const env = { ...TEST_STACK_ENV, FORECAST_DATABASE: db, FORECAST_QUEUE_PREFIX: freshName('fcq'), FORECAST_TOPIC_PREFIX: topicPrefix, FORECAST_CHUNK_SITES: '10', FORECAST_BACKOFF_MS: '300', FORECAST_METRICS_PORT: '0', ...opts.env };
  const fcfg = parseForecastConfig(env);
  const codec = createAvroCodec({ registry: createRegistryClient(config.registryUrl) });
  const logger = createLogger('error', { service: 'forecast-test' });
  const services: ForecastService[] = [];
  const world: ForecastWorld = {
    db, topic, fcfg, client, siteIds,
    service: undefined as unknown as ForecastService,
    async start(o = {}) {
      const svc = await startForecastService({ config, fcfg: o.env ? parseForecastConfig({ ...env, ...o.env }) : fcfg, logger, schedule: o.schedule ?? false, work: true });
      services.push(svc);
      world.service = svc;
      return svc;
    },
    async waitForRun(runId, timeoutMs = 60_000, until = finished) {
      const deadline = Date.now() + timeoutMs;
      let r = await world.service.store.getRun(runId);
      while (!until(r) && Date.now() < deadline) {
        await new Promise((res) => setTimeout(res, 150));
        r = await world.service.store.getRun(runId).catch(() => r);
      }
      return r;
    },
    async bundles() {
      const records = await kafka.readAll(topic, { timeoutMs: 30_000 });
      const out: Array<{ key: string; bytes: Buffer; bundle: ForecastBundle }> = [];
      for (const r of records) {
        if (r.value === null) continue;
        const d = await codec.decode(TopicNames.fleetForecasts, r.value);
        if (!d.ok) throw new Error(d.error);
        out.push({ key: r.key ?? '', bytes: r.value, bundle: d.value });
      }
      return out;
    },
    async dispose() {
      for (const s of services) await s.runs.obliterate({ force: true }).catch(() => undefined);
      for (const s of services) await s.stop();
      await client.command({ query: `DROP DATABASE IF EXISTS ${db}` }).catch(() => undefined);
      await client.close();
      if (opts.topicPrefix === undefined) {
        const admin = await kafka.admin();
        await admin.deleteTopics([topic]).catch(() => undefined);
        await admin.disconnect();
      }
    },
  };
  await world.start();
  return world;
};
