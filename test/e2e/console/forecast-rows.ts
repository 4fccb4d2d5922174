/**
 * Rows for the forecast panel's tests, written straight into the test stack's ClickHouse tables
 * (as ingest would from fleet.forecasts.v1 and the telemetry, weather and grid-mix topics): a
 * hierarchy, one forecast run per site, and what happened. Times are whole hours.
 */
import { testConfig } from '../../support/stack-env.ts';

export const HOUR = 3_600_000;
const ch = testConfig().clickhouseUrl;
export const ts = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

export const insertRows = async (table: string, rows: ReadonlyArray<Record<string, unknown>>): Promise<void> => {
  const res = await fetch(`${ch}/?query=${encodeURIComponent(`INSERT INTO gridfleet.${table} FORMAT JSONEachRow`)}`, { method: 'POST', body: rows.map((r) => JSON.stringify(r)).join('\n') });
  if (!res.ok) throw new Error(`insert into ${table}: ${res.status} ${await res.text()}`);
};

export const assetRow = (assetId: string, kind: string, parentId: string | null, atMs: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  asset_id: assetId, kind, parent_id: parentId, name: assetId, updated_at: ts(atMs), deleted: 0, kafka_partition: 0, kafka_offset: 1, ...extra,
});

export interface PointValues {
  readonly solarKw: number;
  readonly loadKw: number;
  readonly carbonGPerKwh?: number;
  readonly temperatureC?: number;
}

export const forecastRow = (runId: string, site: string, issuedMs: number, targetMs: number, v: PointValues): Record<string, unknown> => ({
  site_id: site, issued_at: ts(issuedMs), target_at: ts(targetMs), horizon_minutes: (targetMs - issuedMs) / 60_000, step: (targetMs - issuedMs) / HOUR - 1, run_id: runId,
  step_minutes: 60, solar_kw: v.solarKw, load_kw: v.loadKw, carbon_g_per_kwh: v.carbonGPerKwh ?? 180, temperature_c: v.temperatureC ?? 9, model_version: 'test',
  kafka_partition: 0, kafka_offset: 0,
});

let seq = 0;
/** One telemetry frame a minute into the hour of `hourMs`. */
export const telemetryRow = (site: string, hourMs: number, solarKw: number, loadKw: number): Record<string, unknown> => ({
  site_id: site, device_id: `${site}-dev`, seq: ++seq, measured_at: ts(hourMs + 60_000), received_at: ts(hourMs + 60_000), soc_pct: 50, battery_kw: 0,
  solar_kw: solarKw, load_kw: loadKw, grid_kw: loadKw - solarKw, battery_temp_c: 20, mode: 'SELF_CONSUMPTION', alarms: [], active_command_id: null, kafka_partition: 0, kafka_offset: seq,
});

export const weatherRow = (cell: string, atMs: number, temperatureC: number): Record<string, unknown> => ({
  cell_id: cell, observed_at: ts(atMs), temperature_c: temperatureC, cloud_cover_pct: 20, irradiance_w_per_m2: 500, wind_speed_m_per_s: 3, kafka_partition: 0, kafka_offset: 0,
});

export const gridMixRow = (region: string, atMs: number, carbon: number): Record<string, unknown> => ({
  region_id: region, observed_at: ts(atMs), interval_minutes: 30, carbon_g_per_kwh: carbon, demand_mw: 1000, generation_source: ['wind'], generation_mw: [1000], kafka_partition: 0, kafka_offset: 0,
});

/**
 * A day-shaped run for `sites` (of one feeder in `region`, in one weather cell and grid region), issued 12 hours ago with 18 hourly steps, and what happened over the first 12:
 * the actuals stray from the forecast by a fixed pattern, so the error by horizon is not zero.
 */
export const seedForecastDay = async (o: { region: string; substation: string; feeder: string; sites: readonly string[]; cell: string; grid: string; nowMs: number }): Promise<{ issuedMs: number; runId: string }> => {
  const issuedMs = Math.floor(o.nowMs / HOUR) * HOUR - 12 * HOUR;
  const runId = `run-${issuedMs}`;
  await insertRows('assets', [
    assetRow(o.region, 'REGION', null, issuedMs), assetRow(o.substation, 'SUBSTATION', o.region, issuedMs), assetRow(o.feeder, 'FEEDER', o.substation, issuedMs),
    ...o.sites.map((s) => assetRow(s, 'SITE', o.feeder, issuedMs, { weather_cell_id: o.cell, grid_region_id: o.grid })),
  ]);
  const forecasts: Array<Record<string, unknown>> = [];
  const telemetry: Array<Record<string, unknown>> = [];
  const weather: Array<Record<string, unknown>> = [];
  const mix: Array<Record<string, unknown>> = [];
  for (let h = 1; h <= 18; h++) {
    const at = issuedMs + h * HOUR;
    const sun = Math.max(0, Math.sin(((h - 2) / 14) * Math.PI));
    const carbon = 260 - 120 * sun;
    const temp = 8 + 9 * sun;
    for (const [i, s] of o.sites.entries()) {
      const solar = 60 * sun;
      const load = 15 + 8 * Math.sin((h / 18) * 2 * Math.PI) + i;
      forecasts.push(forecastRow(runId, s, issuedMs, at, { solarKw: solar, loadKw: load, carbonGPerKwh: carbon, temperatureC: temp }));
      if (at < o.nowMs) telemetry.push(telemetryRow(s, at, solar * (1 + 0.02 * h * (h % 2 === 0 ? 1 : -1)), load * (1 + 0.01 * h)));
    }
    if (at < o.nowMs) {
      weather.push(weatherRow(o.cell, at + 120_000, temp + 0.1 * h));
      mix.push(gridMixRow(o.grid, at + 120_000, carbon * (1 - 0.01 * h)));
    }
  }
  await insertRows('forecasts', forecasts);
  await insertRows('telemetry', telemetry);
  await insertRows('weather_observations', weather);
  await insertRows('grid_mix', mix);
  return { issuedMs, runId };
};
