/**
 * Weather per cell and carbon per grid region for a run, pure: rows read from ClickHouse become
 * hourly series, the models forecast each area, and the result is the shape stored in
 * forecast_areas and shared with the site runs.
 */
import type { AlertSeverity } from '../../platform/events.ts';
import { forecastCarbon } from './models/emissions-model.ts';
import { correctProviderForecast, type ProviderIssue } from './models/provider-correction.ts';
import { HOUR_MS, type HourlySeries } from './models/hourly-series.ts';
import { forecastCellWeather, type AlertKind, type CellHistory, type WeatherAlert } from './models/weather-model.ts';
import { HORIZON_STEPS } from './run-kinds.ts';

export interface AreaForecast {
  readonly kind: 'weather' | 'emissions';
  readonly areaId: string;
  readonly latitudeDeg: number;
  readonly longitudeDeg: number;
  readonly temperatureC: number[];
  readonly cloudCoverPct: number[];
  readonly irradianceWPerM2: number[];
  readonly carbonGPerKwh: number[];
  readonly alerts: WeatherAlert[];
}

export interface CellHourRow { readonly cellId: string; readonly hourMs: number; readonly temperatureC: number; readonly cloudCoverPct: number; readonly irradianceWPerM2: number }
export interface CellPlaceRow { readonly cellId: string; readonly latitudeDeg: number; readonly longitudeDeg: number }
export interface CellAlertRow { readonly cellId: string; readonly kind: string; readonly severity: string; readonly startsAtMs: number; readonly endsAtMs: number }
export interface RegionHourRow { readonly regionId: string; readonly hourMs: number; readonly carbonGPerKwh: number }

const ALERT_KINDS: readonly string[] = ['STORM', 'HEAT', 'COLD', 'WIND', 'FLOOD', 'WILDFIRE'];
const SEVERITIES: readonly string[] = ['ADVISORY', 'WATCH', 'WARNING'];
export const toAlert = (r: Omit<CellAlertRow, 'cellId'>): WeatherAlert | null =>
  ALERT_KINDS.includes(r.kind) && SEVERITIES.includes(r.severity) && r.endsAtMs > r.startsAtMs
    ? { kind: r.kind as AlertKind, severity: r.severity as AlertSeverity, startsAtMs: r.startsAtMs, endsAtMs: r.endsAtMs }
    : null;

/** Hourly series [fromMs, toMs) per key from rows; hours with no row are NaN (a gap). */
export const seriesByKey = <R extends { readonly hourMs: number }>(rows: readonly R[], key: (r: R) => string, value: (r: R) => number, fromMs: number, toMs: number): Map<string, HourlySeries> => {
  const n = Math.max(0, Math.ceil((toMs - fromMs) / HOUR_MS));
  const out = new Map<string, Float64Array>();
  for (const r of rows) {
    const i = Math.floor((r.hourMs - fromMs) / HOUR_MS);
    if (i < 0 || i >= n) continue;
    let a = out.get(key(r));
    if (a === undefined) {
      a = new Float64Array(n).fill(NaN);
      out.set(key(r), a);
    }
    a[i] = value(r);
  }
  return new Map([...out].map(([k, values]) => [k, { startMs: fromMs, values }]));
};

/** Histories of every cell that has a place (cells nobody lives in are skipped). */
export const cellHistories = (hours: readonly CellHourRow[], places: readonly CellPlaceRow[], alerts: readonly CellAlertRow[], fromMs: number, toMs: number): Map<string, CellHistory> => {
  const empty: HourlySeries = { startMs: fromMs, values: new Float64Array(Math.max(0, Math.ceil((toMs - fromMs) / HOUR_MS))).fill(NaN) };
  const t = seriesByKey(hours, (r) => r.cellId, (r) => r.temperatureC, fromMs, toMs);
  const c = seriesByKey(hours, (r) => r.cellId, (r) => r.cloudCoverPct, fromMs, toMs);
  const g = seriesByKey(hours, (r) => r.cellId, (r) => r.irradianceWPerM2, fromMs, toMs);
  const out = new Map<string, CellHistory>();
  for (const p of places) {
    const cellAlerts = alerts.filter((a) => a.cellId === p.cellId).map(toAlert).filter((a): a is WeatherAlert => a !== null);
    out.set(p.cellId, { latitudeDeg: p.latitudeDeg, longitudeDeg: p.longitudeDeg, temperatureC: t.get(p.cellId) ?? empty, cloudCoverPct: c.get(p.cellId) ?? empty, irradianceWPerM2: g.get(p.cellId) ?? empty, alerts: cellAlerts });
  }
  return out;
};

export const weatherForecasts = (histories: ReadonlyMap<string, CellHistory>, toMs: number, validFromMs: number, issuedAtMs: number): AreaForecast[] =>
  [...histories].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([cellId, h]) => {
    const end = Math.round((toMs - h.temperatureC.startMs) / HOUR_MS);
    const f = forecastCellWeather(h, end, validFromMs, HORIZON_STEPS, issuedAtMs);
    return { kind: 'weather', areaId: cellId, latitudeDeg: h.latitudeDeg, longitudeDeg: h.longitudeDeg, temperatureC: f.temperatureC, cloudCoverPct: f.cloudCoverPct, irradianceWPerM2: f.irradianceWPerM2, carbonGPerKwh: [], alerts: f.alerts };
  });

/** A region's provider forecasts for a run: one source's issues of the last 14 days on the hourly grid. */
export interface RegionProvider {
  readonly sourceId: string;
  readonly issues: readonly ProviderIssue[];
}

/**
 * Carbon per region: the region's provider forecast corrected by its own history
 * (provider-correction.ts) where one is given and usable, the own history model otherwise. The
 * actuals a correction learns from are the grid-mix hours stored before the issue time: in a live
 * run what ingest has stored is what was known, so no further publication delay is assumed.
 */
export const emissionsForecasts = (hours: readonly RegionHourRow[], fromMs: number, toMs: number, validFromMs: number, regionIds: readonly string[], providers: ReadonlyMap<string, RegionProvider> = new Map(), issuedAtMs = toMs): AreaForecast[] => {
  const series = seriesByKey(hours, (r) => r.regionId, (r) => r.carbonGPerKwh, fromMs, toMs);
  const ids = [...new Set([...series.keys(), ...regionIds])].sort();
  const end = Math.round((toMs - fromMs) / HOUR_MS);
  return ids.map((regionId) => {
    const history: HourlySeries = series.get(regionId) ?? { startMs: fromMs, values: [] };
    const own = (e: number, from: number, steps: number): number[] => forecastCarbon(history, e, from, steps);
    const p = providers.get(regionId);
    const carbon = p === undefined
      ? own(end, validFromMs, HORIZON_STEPS)
      : correctProviderForecast({ actuals: history, lagMs: 0, issuedAtMs, fromMs: validFromMs, steps: HORIZON_STEPS, issues: p.issues, own }).values.map((c) => Math.max(0, c));
    return { kind: 'emissions', areaId: regionId, latitudeDeg: NaN, longitudeDeg: NaN, temperatureC: [], cloudCoverPct: [], irradianceWPerM2: [], carbonGPerKwh: carbon, alerts: [] };
  });
};
