/**
 * A run's parent step: read what the kind needs from ClickHouse (a handful of queries for the
 * whole fleet), and freeze it into a snapshot of chunks. Weather and emissions runs snapshot their
 * areas' histories; site runs snapshot every site's features plus the newest weather and carbon
 * forecasts of their cells and regions (computed here from the observations when no area run has
 * issued one within the last day: the documented fallback).
 */
import { alignSeries } from './align-series.ts';
import { cellHistories, emissionsForecasts, weatherForecasts, type AreaForecast } from './area-forecasts.ts';
import type { FeatureReader, AreaForecastRow } from './clickhouse-features.ts';
import { HOUR_MS } from './models/hourly-series.ts';
import { clearnessFromIrradiance } from './models/solar-model.ts';
import { activeAlerts, type WeatherAlert } from './models/weather-model.ts';
import { chunkRanges, HORIZON_STEPS, runIdOf, validFromOf, type RunKind } from './run-kinds.ts';
import type { SnapshotMeta } from './run-store.ts';
import { assembleSites, degreeMeansByCell } from './site-features.ts';
import { encodeShared, encodeSites, type SharedCell, type SiteRunShared } from './snapshot-codec.ts';
import { toAlert } from './area-forecasts.ts';
import { Quantities } from './providers/provider-source.ts';
import { emissionsInputs, providersByArea, siteInputs } from './run-inputs.ts';

export interface Snapshot {
  readonly meta: SnapshotMeta;
  readonly shared: string | null;
  readonly chunks: Array<Buffer | string>;
}

export interface RunWindow {
  readonly issuedAtMs: number;
  readonly validFromMs: number;
  /** Start of the history read. */
  readonly fromMs: number;
  /** End of the hourly series: the issue hour is included (observations before the issue time). */
  readonly seriesEndMs: number;
}

export const runWindow = (issuedAtMs: number, historyDays: number): RunWindow => {
  const validFromMs = validFromOf(issuedAtMs);
  return { issuedAtMs, validFromMs, fromMs: validFromMs - historyDays * 24 * HOUR_MS, seriesEndMs: issuedAtMs > validFromMs ? validFromMs + HOUR_MS : validFromMs };
};

const json = (x: unknown): string => JSON.stringify(x, (_k, v: unknown) => (v instanceof Float64Array ? Array.from(v, (n) => (Number.isFinite(n) ? n : null)) : typeof v === 'number' && !Number.isFinite(v) ? null : v));

/** Area runs: one JSON chunk per `chunkSize` areas, each holding its areas' hourly histories. */
const areaChunks = <T>(items: readonly T[], chunkSize: number): string[] => chunkRanges(items.length, chunkSize).map(([a, b]) => json(items.slice(a, b)));

export const planRun = async (kind: RunKind, issuedAtMs: number, reader: FeatureReader, o: { historyDays: number; chunkSize: number }): Promise<Snapshot> => {
  const w = runWindow(issuedAtMs, o.historyDays);
  const runId = runIdOf(kind, issuedAtMs);
  const win = { fromMs: w.fromMs, toMs: w.validFromMs, issuedAtMs };
  if (kind === 'weather') {
    const [hours, places, alerts] = await Promise.all([reader.cellHours(win), reader.cellPlaces(), reader.cellAlerts(win)]);
    const hist = [...cellHistories(hours, places, alerts, w.fromMs, w.seriesEndMs)].sort(([a], [b]) => (a < b ? -1 : 1)).map(([cellId, h]) => ({ cellId, ...h }));
    const chunks = areaChunks(hist, o.chunkSize);
    return { meta: { runId, kind, issuedAtMs, chunks: chunks.length, items: hist.length, inputs: JSON.stringify({ ownHistory: true }) }, shared: null, chunks };
  }
  if (kind === 'emissions') {
    const [hours, providerRows] = await Promise.all([reader.regionHours(win), reader.providerHours(Quantities.carbon, win)]);
    const providers = providersByArea(providerRows);
    const ids = [...new Set(hours.map((h) => h.regionId))].sort();
    const inputs = emissionsInputs(ids, providers, issuedAtMs, w.validFromMs, HORIZON_STEPS);
    // Only the provider the run will use goes into the snapshot (what it would fall back from stays out).
    const regions = ids.map((regionId) => ({ regionId, hours: hours.filter((h) => h.regionId === regionId), provider: regionId in inputs.provider ? (providers.get(regionId) ?? null) : null }));
    const chunks = areaChunks(regions, o.chunkSize);
    return { meta: { runId, kind, issuedAtMs, chunks: chunks.length, items: regions.length, inputs: JSON.stringify(inputs) }, shared: null, chunks };
  }
  const [sites, places, cellHours, alerts, regionHours, solarFactors, loadProfiles, recentLoads, loadSensitivities, weather, emissions] = await Promise.all([
    reader.sites(), reader.cellPlaces(), reader.cellHours(win), reader.cellAlerts(win), reader.regionHours(win), reader.solarFactors(win),
    reader.loadProfiles(win), reader.recentLoads(win), reader.loadSensitivities(win), reader.latestAreas('weather', win), reader.latestAreas('emissions', win),
  ]);
  const placeMap = new Map(places.map((p) => [p.cellId, p]));
  const assembled = assembleSites({ sites, solarFactors, loadProfiles, recentLoads, loadSensitivities }, placeMap);
  const histories = cellHistories(cellHours, places, alerts, w.fromMs, w.seriesEndMs);
  const inlineWeather = new Map(weatherForecasts(histories, w.seriesEndMs, w.validFromMs, issuedAtMs).map((f) => [f.areaId, f]));
  const inlineCarbon = new Map(emissionsForecasts(regionHours, w.fromMs, w.seriesEndMs, w.validFromMs, assembled.regionIds).map((f) => [f.areaId, f]));
  const degrees = degreeMeansByCell(cellHours, w.validFromMs);
  const latestWeather = new Map(weather.map((r) => [r.areaId, r]));
  const latestCarbon = new Map(emissions.map((r) => [r.areaId, r]));
  const shared: SiteRunShared = {
    runId, issuedAtMs, validFromMs: w.validFromMs, cellIds: assembled.cellIds, regionIds: assembled.regionIds,
    cells: assembled.cellIds.map((cellId) => sharedCell(latestWeather.get(cellId), inlineWeather.get(cellId), degrees.get(cellId), w)),
    regions: assembled.regionIds.map((regionId) => {
      const latest = latestCarbon.get(regionId);
      const aligned = latest === undefined ? null : alignSeries(latest.carbonGPerKwh, latest.validFromMs, w.validFromMs, HORIZON_STEPS);
      if (aligned !== null) return { carbonGPerKwh: aligned, inline: false };
      const inline = inlineCarbon.get(regionId);
      return inline === undefined ? null : { carbonGPerKwh: inline.carbonGPerKwh, inline: true };
    }),
  };
  const chunks = chunkRanges(assembled.sites.length, o.chunkSize).map(([a, b]) => encodeSites(assembled.sites.slice(a, b)));
  const inputs = JSON.stringify(siteInputs(shared.cells, shared.regions));
  return { meta: { runId, kind, issuedAtMs, chunks: chunks.length, items: assembled.sites.length, inputs }, shared: encodeShared(shared), chunks };
};


const sharedCell = (latest: AreaForecastRow | undefined, inline: AreaForecast | undefined, degrees: { hdd: ArrayLike<number>; cdd: ArrayLike<number> } | undefined, w: RunWindow): SharedCell | null => {
  const deg = { hdd: Array.from(degrees?.hdd ?? []), cdd: Array.from(degrees?.cdd ?? []) };
  if (latest !== undefined && Number.isFinite(latest.latitudeDeg)) {
    const t = alignSeries(latest.temperatureC, latest.validFromMs, w.validFromMs, HORIZON_STEPS);
    const g = alignSeries(latest.irradianceWPerM2, latest.validFromMs, w.validFromMs, HORIZON_STEPS);
    if (t !== null && g !== null) {
      const alerts = latest.alerts.map(toAlert).filter((a): a is WeatherAlert => a !== null);
      return { temperatureC: t, clearness: clearnessFromIrradiance(g, latest.latitudeDeg, latest.longitudeDeg, w.validFromMs), alerts: activeAlerts(alerts, w.issuedAtMs, w.validFromMs + HORIZON_STEPS * HOUR_MS), ...deg, inline: false, latitudeDeg: latest.latitudeDeg, longitudeDeg: latest.longitudeDeg };
    }
  }
  if (inline === undefined) return null;
  return { temperatureC: inline.temperatureC, clearness: clearnessFromIrradiance(inline.irradianceWPerM2, inline.latitudeDeg, inline.longitudeDeg, w.validFromMs), alerts: inline.alerts, ...deg, inline: true, latitudeDeg: inline.latitudeDeg, longitudeDeg: inline.longitudeDeg };
};
