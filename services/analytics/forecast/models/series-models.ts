/**
 * Each model as a function of one hourly series, for rolling-origin backtests on any data (the
 * CLI's CSV backtest, the bench, the tests): the same pure functions the jobs run, fed from one
 * series instead of ClickHouse. Load has no temperature here (a CSV of load alone), so its
 * temperature term is zero; solar and irradiance need the place's latitude and longitude.
 */
import { clearSkyClimatology, clearSkyPersistence } from './clear-sky-baselines.ts';
import { forecastViaClearness, type SkyPlace } from './clearness.ts';
import { forecastCarbon } from './emissions-model.ts';
import { HOUR_MS, hourOfWeek, lastFinite, type HourlySeries } from './hourly-series.ts';
import { fitDegreeSensitivity, forecastSiteLoad } from './load-model.ts';
import type { SeriesModel } from './backtest.ts';
import { DEFAULT_SEASONAL, seasonalAnomalyForecast } from './seasonal-anomaly.ts';
import { FALLBACK_CLEARNESS, FALLBACK_CLOUD_PCT, TEMPERATURE_OPTIONS } from './weather-model.ts';

export const SeriesKinds = { temperature: 'temperature', cloud: 'cloud', irradiance: 'irradiance', carbon: 'carbon', solar: 'solar', load: 'load' } as const;
export type SeriesKind = (typeof SeriesKinds)[keyof typeof SeriesKinds];
export const isSeriesKind = (s: string): s is SeriesKind => Object.hasOwn(SeriesKinds, s);

export const needsLocation = (k: SeriesKind): boolean => k === 'solar' || k === 'irradiance';

/** Seasonal-naive period of each kind: a week for load (households keep weekly habits), a day otherwise. */
export const baselinePeriod = (k: SeriesKind): number => (k === 'load' ? 168 : 24);

/** Hour-of-week means of history[end - days*24, end). */
export const howMeansOf = (s: HourlySeries, end: number, days: number): Float64Array => {
  const sum = new Float64Array(168);
  const cnt = new Uint32Array(168);
  for (let i = Math.max(0, end - days * 24); i < Math.min(end, s.values.length); i++) {
    const x = s.values[i] ?? NaN;
    if (!Number.isFinite(x)) continue;
    const h = hourOfWeek(s.startMs + i * HOUR_MS);
    sum[h] = (sum[h] ?? 0) + x;
    cnt[h] = (cnt[h] ?? 0) + 1;
  }
  return sum.map((x, h) => ((cnt[h] ?? 0) > 0 ? x / (cnt[h] ?? 1) : NaN));
};

export const loadSeriesModel: SeriesModel = (s, end, fromMs, steps) => {
  let recent: { tMs: number; kw: number } | null = null;
  for (let i = Math.min(end, s.values.length) - 1; i >= 0 && recent === null; i--) {
    const x = s.values[i] ?? NaN;
    if (Number.isFinite(x)) recent = { tMs: s.startMs + i * HOUR_MS, kw: x };
  }
  const none = new Float64Array(168).fill(NaN);
  return forecastSiteLoad({ howMeans: howMeansOf(s, end, 28), heatKwPerC: 0, coolKwPerC: 0, recent }, { hdd: none, cdd: none }, new Array<number>(steps).fill(NaN), fromMs);
};

/**
 * Load with a temperature series of the same place and hours: the weather model forecasts the
 * temperature at each origin (no oracle), the sensitivities are fitted on the history, as the
 * jobs do.
 */
export const loadWithTemperatureModel = (temperature: HourlySeries): SeriesModel => (s, end, fromMs, steps) => {
  const from = Math.max(0, end - 28 * 24);
  const fit = fitDegreeSensitivity(s.values, temperature.values, s.startMs, from, end);
  const li = lastFinite(s.values, end);
  const recent = li < 0 ? null : { tMs: s.startMs + li * HOUR_MS, kw: s.values[li] ?? 0 };
  const tempFc = seasonalAnomalyForecast(temperature, end, fromMs, steps, TEMPERATURE_OPTIONS);
  return forecastSiteLoad({ howMeans: fit.howMeans, heatKwPerC: fit.heatKwPerC ?? 0, coolKwPerC: fit.coolKwPerC ?? 0, recent }, fit.degrees, tempFc, fromMs);
};

/** A place for the sun: latitude and longitude, plus altitude and (for PV) the array's orientation. */
export type SeriesLocation = { readonly latitudeDeg: number; readonly longitudeDeg: number } & SkyPlace;

const skyPlace = (kind: SeriesKind, l: SeriesLocation): SkyPlace => ({
  ...(l.altitudeM === undefined ? {} : { altitudeM: l.altitudeM }),
  // Irradiance is horizontal whatever an array does; only PV is seen on its plane.
  ...(kind === 'solar' && l.orientation !== undefined ? { orientation: l.orientation } : {}),
});

/** The clear-sky baselines of irradiance and solar (none for the other kinds). */
export const clearSkyBaselines = (kind: SeriesKind, location: SeriesLocation | null): { clearSkyPersistence: SeriesModel; clearSkyClimatology: SeriesModel } | null =>
  !needsLocation(kind) || location === null ? null : { clearSkyPersistence: clearSkyPersistence(location, skyPlace(kind, location)), clearSkyClimatology: clearSkyClimatology(location, skyPlace(kind, location)) };

export const seriesModel = (kind: SeriesKind, location: SeriesLocation | null): SeriesModel => {
  switch (kind) {
    case 'temperature':
      return (s, end, from, steps) => seasonalAnomalyForecast(s, end, from, steps, TEMPERATURE_OPTIONS);
    case 'cloud':
      return (s, end, from, steps) => seasonalAnomalyForecast(s, end, from, steps, { ...DEFAULT_SEASONAL, seasonality: 'none', fallback: FALLBACK_CLOUD_PCT }).map((c) => Math.min(100, Math.max(0, c)));
    case 'carbon':
      return forecastCarbon;
    case 'load':
      return loadSeriesModel;
    case 'irradiance':
    case 'solar': {
      if (location === null) throw new Error(`${kind} needs a latitude and longitude`);
      const place = skyPlace(kind, location);
      const o = kind === 'irradiance' ? { fallbackRatio: FALLBACK_CLEARNESS, climatologyDays: 14, maxRatio: 1.2, place } : { fallbackRatio: 0, climatologyDays: 14, maxRatio: Number.POSITIVE_INFINITY, place };
      return (s, end, from, steps) => forecastViaClearness(s, end, location.latitudeDeg, location.longitudeDeg, from, steps, o);
    }
  }
};
