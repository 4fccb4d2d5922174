/**
 * Guards the analyst's side of ClickHouse: every example query in docs/analytics.md runs as the
 * analyst against the real schema (so the docs cannot drift from the tables), the rollups equal a
 * recompute from raw telemetry however the rows were split into inserts, the hierarchy views sum
 * their sites, and the analyst can neither write nor exceed its limits.
 */
import { readFileSync } from 'node:fs';
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyAnalyticsSchema, renameDatabase } from '../../../../services/analytics/ingest/analytics-schema.ts';
import { freshName, testConfig } from '../../../support/stack-env.ts';

const db = `it_${freshName('analytics').replace(/[^a-z0-9]/gi, '_')}`;
const admin = createClient({ url: testConfig().clickhouseUrl, log: { level: ClickHouseLogLevel.OFF } });
const analyst: ClickHouseClient = createClient({ url: testConfig().clickhouseUrl, username: 'analyst', password: 'analyst', log: { level: ClickHouseLogLevel.OFF } });

const rows = async <T>(c: ClickHouseClient, query: string): Promise<T[]> => (await c.query({ query, format: 'JSONEachRow' })).json<T>();

export const exampleQueries = (): string[] =>
  [...readFileSync('docs/analytics.md', 'utf8').matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => (m[1] ?? '').trim());

const START = "toDateTime64(now() - INTERVAL 2 DAY, 3, 'UTC')";

beforeAll(async () => {
  await applyAnalyticsSchema(admin, db);
  const assets = [
    ['fleet', 'FLEET', null], ['region-1', 'REGION', 'fleet'], ['region-1-sub-1', 'SUBSTATION', 'region-1'],
    ['region-1-sub-1-feeder-1', 'FEEDER', 'region-1-sub-1'], ['region-1-sub-1-feeder-2', 'FEEDER', 'region-1-sub-1'],
  ] as const;
  const values = assets.map(([id, kind, parent]) => `('${id}', '${kind}', ${parent === null ? 'NULL' : `'${parent}'`}, '${id}', NULL, NULL, NULL, NULL, NULL, NULL, now64(3), 0)`);
  for (let s = 0; s < 4; s++) {
    values.push(`('site-${s}', 'SITE', 'region-1-sub-1-feeder-${(s % 2) + 1}', 'Site ${s}', 'cell-1', 'region-1', ${4 + s}, 13.5, 5, 20, now64(3), 0)`);
  }
  await admin.command({ query: `INSERT INTO ${db}.assets (asset_id, kind, parent_id, name, weather_cell_id, grid_region_id, solar_kwp, battery_kwh, max_discharge_kw, backup_reserve_pct, updated_at, deleted) VALUES ${values.join(', ')}` });
  // Two days of telemetry, 4 sites x 1 device, a frame every 30 s, in three inserts that split minutes and hours.
  const frame = (from: number, to: number): string => `INSERT INTO ${db}.telemetry (site_id, device_id, seq, measured_at, received_at, soc_pct, battery_kw, solar_kw, load_kw, grid_kw, battery_temp_c, mode, alarms, active_command_id, kafka_partition, kafka_offset)
    SELECT concat('site-', toString(number % 4)), concat('dev-', toString(number % 4)), intDiv(number, 4),
      ${START} + toIntervalSecond(intDiv(number, 4) * 30), ${START} + toIntervalSecond(intDiv(number, 4) * 30 + 1),
      10 + (number % 80), ((number % 11) - 5) * 0.5, (number % 9) * 0.4, 0.5 + (number % 4) * 0.25, ((number % 7) - 3) * 0.3, 20 + (number % 8),
      'SELF_CONSUMPTION', if(number % 97 = 0, ['HIGH_TEMP'], []), NULL, number % 4, intDiv(number, 4)
    FROM numbers(${from}, ${to - from})`;
  await admin.command({ query: frame(0, 7_001) });
  await admin.command({ query: frame(7_001, 13_333) });
  await admin.command({ query: frame(13_333, 23_040) });
  await admin.command({ query: `INSERT INTO ${db}.grid_mix (region_id, observed_at, interval_minutes, carbon_g_per_kwh, demand_mw, generation_source, generation_mw, kafka_partition, kafka_offset)
    SELECT 'region-1', ${START} + toIntervalMinute(number * 15), 15, 200 + (number % 24) * 10, 900, ['SOLAR', 'GAS'], [100, 800], 0, number FROM numbers(192)` });
  await admin.command({ query: `INSERT INTO ${db}.weather_observations (cell_id, observed_at, temperature_c, cloud_cover_pct, irradiance_w_per_m2, wind_speed_m_per_s, alert_kind, alert_severity, alert_starts_at, alert_ends_at, alert_text, kafka_partition, kafka_offset)
    SELECT 'cell-1', ${START} + toIntervalMinute(number * 30), 15, 20, (number % 48) * 20, 3, NULL, NULL, NULL, NULL, NULL, 0, number FROM numbers(96)` });
  await admin.command({ query: `INSERT INTO ${db}.grid_events (event_id, kind, scope_asset_id, target_mw, start_at, end_at, issued_by, issued_at, cancels_event_id, reason, kafka_partition, kafka_offset)
    VALUES ('ev-1', 'VPP_DISPATCH', 'region-1', 0.01, ${START} + INTERVAL 3 HOUR, ${START} + INTERVAL 4 HOUR, 'op', ${START} + INTERVAL 170 MINUTE, NULL, NULL, 0, 0)` });
  await admin.command({ query: `INSERT INTO ${db}.commands (command_id, event_id, site_id, kind, power_kw, reserve_pct, start_at, end_at, expires_at, issued_at, kafka_partition, kafka_offset)
    SELECT concat('cmd-', toString(number)), 'ev-1', concat('site-', toString(number)), 'DISCHARGE', 2.5, NULL, ${START} + INTERVAL 3 HOUR, ${START} + INTERVAL 4 HOUR, ${START} + INTERVAL 3 HOUR, ${START} + INTERVAL 175 MINUTE, 0, number FROM numbers(4)` });
  await admin.command({ query: `INSERT INTO ${db}.acks (command_id, site_id, device_id, status, reason, acked_at, kafka_partition, kafka_offset)
    SELECT concat('cmd-', toString(number)), concat('site-', toString(number)), concat('dev-', toString(number)), if(number = 3, 'REJECTED', 'ACCEPTED'), NULL, ${START} + INTERVAL 176 MINUTE, 0, number FROM numbers(4)` });
  await admin.command({ query: `INSERT INTO ${db}.forecasts (site_id, issued_at, target_at, horizon_minutes, step, run_id, step_minutes, solar_kw, load_kw, carbon_g_per_kwh, temperature_c, storm_watch_severity, storm_watch_starts_at, storm_watch_ends_at, model_version, kafka_partition, kafka_offset)
    SELECT concat('site-', toString(number % 4)), ${START}, ${START} + toIntervalMinute(intDiv(number, 4) * 15), intDiv(number, 4) * 15, intDiv(number, 4), 'run-1', 15, 1.2, 0.8, 250, 15, NULL, NULL, NULL, 'v1', 0, 0 FROM numbers(4 * 96)` });
});

afterAll(async () => {
  await admin.command({ query: `DROP DATABASE IF EXISTS ${db}` });
  await Promise.all([admin.close(), analyst.close()]);
});

describe('analytics schema for data scientists', () => {
  it('runs every example query of docs/analytics.md as the analyst', async () => {
    const queries = exampleQueries();
    expect(queries.length).toBeGreaterThanOrEqual(10);
    const results: number[] = [];
    for (const q of queries) {
      const got = await rows<Record<string, unknown>>(analyst, renameDatabase(q, db)).catch((e: unknown) => {
        throw new Error(`query failed: ${e instanceof Error ? e.message : String(e)}\n${q}`);
      });
      results.push(got.length);
    }
    // Silent devices (9) and recent alarms may be empty on this data; the rest must answer something.
    expect(results.filter((n) => n > 0).length).toBeGreaterThanOrEqual(10);
    const dispatch = await rows<{ event_id: string; delivered_mw: number }>(analyst, renameDatabase(exampleQueries()[1] ?? '', db));
    expect(dispatch.map((d) => d.event_id)).toEqual(['ev-1']);
  });

  it('rollups equal a recompute from raw telemetry, across inserts that split buckets', async () => {
    // Every energy flow of site_minute_agg / site_hour_agg (migration 003) and the raw kW it sums.
    const flows = [
      ['solar_kwh', 'solar_kw'], ['load_kwh', 'load_kw'],
      ['grid_import_kwh', 'greatest(grid_kw, 0)'], ['grid_export_kwh', 'greatest(-grid_kw, 0)'],
      ['battery_discharge_kwh', 'greatest(battery_kw, 0)'], ['battery_charge_kwh', 'greatest(-battery_kw, 0)'],
    ] as const;
    const recompute = (bucket: string, hours: string, kw: (column: string, raw: string) => string = (_, raw) => raw): string => `
      SELECT site_id, ${bucket}(measured_at) AS b, count() AS frames,
        ${flows.map(([c, raw]) => `sum(${kw(c, raw)}) * uniqExact(device_id) / count() ${hours} AS ${c}`).join(',\n        ')},
        min(soc_pct) AS soc_min_pct, max(soc_pct) AS soc_max_pct, avg(soc_pct) AS soc_avg_pct,
        max(battery_temp_c) AS battery_temp_max_c, countIf(notEmpty(alarms)) AS alarm_frames
      FROM ${db}.telemetry GROUP BY site_id, b`;
    /** Rows compared, and per column how many of them differ (a missing row on either side differs in frames). */
    const compare = async (view: string, bucketColumn: string, bucket: string, hours: string, kw?: (column: string, raw: string) => string): Promise<Record<string, number>> => {
      const exact = ['frames', 'soc_min_pct', 'soc_max_pct', 'battery_temp_max_c', 'alarm_frames'];
      const close = [...flows.map(([c]) => c), 'soc_avg_pct'];
      const [row] = await rows<Record<string, string>>(admin, `
        SELECT count() AS n,
          ${exact.map((c) => `countIf(r.${c} != v.${c}) AS differ_${c}`).join(', ')},
          ${close.map((c) => `countIf(abs(r.${c} - v.${c}) > 1e-9) AS differ_${c}`).join(', ')}
        FROM (${recompute(bucket, hours, kw)}) AS r FULL OUTER JOIN ${db}.${view} AS v ON v.site_id = r.site_id AND v.${bucketColumn} = r.b`);
      return Object.fromEntries(Object.entries(row ?? {}).map(([k, v]) => [k.replace(/^differ_/, ''), Number(v)]));
    };
    const none = (n: number): Record<string, number> => ({ n, frames: 0, soc_min_pct: 0, soc_max_pct: 0, battery_temp_max_c: 0, alarm_frames: 0, ...Object.fromEntries(flows.map(([c]) => [c, 0])), soc_avg_pct: 0 });
    const minute = await compare('site_minute', 'minute', 'toStartOfMinute', '/ 60');
    expect(minute['n']).toBeGreaterThan(2 * 24 * 60 * 4 - 10);
    expect(minute).toEqual(none(minute['n'] ?? -1));
    const hour = await compare('site_hourly', 'hour', 'toStartOfHour', '');
    expect(hour['n']).toBeGreaterThan(4 * 47);
    expect(hour).toEqual(none(hour['n'] ?? -1));
    // Negative control: a recompute with import and export swapped must be caught in both columns.
    const swapped = await compare('site_hourly', 'hour', 'toStartOfHour', '', (c, raw) =>
      c === 'grid_import_kwh' ? 'greatest(-grid_kw, 0)' : c === 'grid_export_kwh' ? 'greatest(grid_kw, 0)' : raw);
    expect(swapped['grid_import_kwh']).toBeGreaterThan(0);
    expect(swapped['grid_export_kwh']).toBeGreaterThan(0);
    expect(swapped['solar_kwh']).toBe(0);

    // Each level of the hierarchy sums its sites (4 sites under region-1; 2 per feeder).
    const levels = await rows<{ level: string; solar: number }>(admin, `
      SELECT 'site' AS level, sum(solar_kwh) AS solar FROM ${db}.site_hourly
      UNION ALL SELECT 'feeder', sum(solar_kwh) FROM ${db}.feeder_hourly
      UNION ALL SELECT 'substation', sum(solar_kwh) FROM ${db}.substation_hourly
      UNION ALL SELECT 'region', sum(solar_kwh) FROM ${db}.region_hourly
      UNION ALL SELECT 'fleet', sum(solar_kwh) FROM ${db}.fleet_hourly`);
    const site = levels.find((l) => l.level === 'site')?.solar ?? -1;
    expect(site).toBeGreaterThan(0);
    for (const l of levels) expect(l.solar, l.level).toBeCloseTo(site, 6);
    const feeders = await rows<{ feeder_id: string; sites: string }>(admin, `SELECT feeder_id, max(sites) AS sites FROM ${db}.feeder_hourly GROUP BY feeder_id ORDER BY feeder_id`);
    expect(feeders, JSON.stringify(feeders)).toEqual([{ feeder_id: 'region-1-sub-1-feeder-1', sites: 2 }, { feeder_id: 'region-1-sub-1-feeder-2', sites: 2 }]);
  });

  it('the analyst cannot INSERT, ALTER or DROP, and is stopped at its result limit', async () => {
    const refused = async (query: string): Promise<string> => {
      try {
        await analyst.command({ query });
        return 'accepted';
      } catch (e) {
        return e instanceof Error ? e.message : String(e);
      }
    };
    expect(await refused(`INSERT INTO ${db}.grid_events (event_id) VALUES ('x')`)).toMatch(/readonly/i);
    expect(await refused(`ALTER TABLE ${db}.telemetry DELETE WHERE 1`)).toMatch(/readonly/i);
    expect(await refused(`DROP TABLE ${db}.telemetry`)).toMatch(/readonly/i);
    expect(await refused(`CREATE TABLE ${db}.x (a UInt8) ENGINE = Memory`)).toMatch(/readonly/i);
    expect(await refused(`SELECT number FROM numbers(10000001) FORMAT Null`)).toMatch(/TOO_MANY_ROWS_OR_BYTES|Limit for result exceeded/);
    const still = await rows<{ n: string }>(admin, `SELECT count() AS n FROM ${db}.telemetry`);
    expect(Number(still[0]?.n)).toBe(23_040);
  });
});
