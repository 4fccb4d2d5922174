/**
 * The forecast jobs' writes to ClickHouse: area forecasts (weather per cell, carbon per region)
 * and run outcomes. Each insert carries a deduplication token derived from the run and chunk, so a
 * retried chunk or finalizer lands once.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { toClickHouseError } from '../../platform/clickhouse-errors.ts';
import type { AreaForecast } from './area-forecasts.ts';
import type { RunRecord } from './run-store.ts';
import { MODEL_VERSION, STEP_MINUTES } from './run-kinds.ts';

const dt = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
const f32 = (a: readonly number[]): number[] => a.map((x) => (Number.isFinite(x) ? Math.fround(x) : 0));

export const areaRows = (areas: readonly AreaForecast[], runId: string, issuedAtMs: number, validFromMs: number): Array<Record<string, unknown>> =>
  areas.map((a) => ({
    kind: a.kind, area_id: a.areaId, issued_at: dt(issuedAtMs), run_id: runId, valid_from: dt(validFromMs), step_minutes: STEP_MINUTES,
    latitude_deg: Number.isFinite(a.latitudeDeg) ? a.latitudeDeg : 0, longitude_deg: Number.isFinite(a.longitudeDeg) ? a.longitudeDeg : 0,
    temperature_c: f32(a.temperatureC), cloud_cover_pct: f32(a.cloudCoverPct), irradiance_w_per_m2: f32(a.irradianceWPerM2), carbon_g_per_kwh: f32(a.carbonGPerKwh),
    alert_kinds: a.alerts.map((x) => x.kind), alert_severities: a.alerts.map((x) => x.severity),
    alert_starts_at: a.alerts.map((x) => dt(x.startsAtMs)), alert_ends_at: a.alerts.map((x) => dt(x.endsAtMs)),
    model_version: MODEL_VERSION,
  }));

export const createForecastSink = (client: ClickHouseClient, database: string) => {
  const insert = async (table: string, token: string, values: Array<Record<string, unknown>>): Promise<void> => {
    if (values.length === 0) return;
    try {
      await client.insert({ table: `${database}.${table}`, values, format: 'JSONEachRow', clickhouse_settings: { insert_deduplicate: 1, insert_deduplication_token: token, date_time_input_format: 'best_effort' } });
    } catch (e) {
      throw toClickHouseError(`forecast: inserting into ${table}`, e);
    }
  };
  return {
    insertAreas: (areas: readonly AreaForecast[], runId: string, chunk: number, issuedAtMs: number, validFromMs: number): Promise<void> =>
      insert('forecast_areas', `${runId}:${chunk}`, areaRows(areas, runId, issuedAtMs, validFromMs)),
    insertRun: (r: RunRecord, outcome: string): Promise<void> =>
      insert('forecast_runs', `${r.runId}:${outcome}`, [{
        run_id: r.runId, kind: r.kind, issued_at: dt(r.issuedAtMs), outcome, chunks: r.chunks, chunks_done: r.chunksDone, chunks_failed: r.chunksFailed,
        items: r.items, items_done: r.itemsDone, fallbacks: r.fallbacks, started_at: dt(r.startedAtMs || r.issuedAtMs), finished_at: dt(r.finishedAtMs || r.startedAtMs), error: r.error, inputs: r.inputs,
      }]),
  };
};

export type ForecastSink = ReturnType<typeof createForecastSink>;
