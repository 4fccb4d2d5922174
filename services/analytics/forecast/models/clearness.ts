/**
 * Irradiance and solar through the clearness index, pure. A series y (irradiance W/m2, or a
 * site's solar kW) is divided by the clear-sky irradiance of its hour, where the sun is up
 * (clear sky above 50 W/m2), giving a ratio that carries the clouds (and, for solar, the site's
 * size and efficiency). The ratio is forecast by climatology plus anomaly persistence with no
 * hour-of-day seasonality (the ratio is flat over the day), then multiplied back by the clear sky
 * of each future hour: zero at night by construction, never negative.
 *
 * The clear sky is the simulator's own physics (Haurwitz, `services/platform/solar-geometry.ts`), the
 * same function for the model and the world.
 */
import { clearSkyGhiAt, clearSkyGhiWPerM2, dayOfYear, declinationDeg, equationOfTimeMin } from '../../../platform/solar-geometry.ts';
import { HOUR_MS, hourMean, type HourlySeries } from './hourly-series.ts';
import { DEFAULT_SEASONAL, fitSeasonal, forecastFromFit, type SeasonalOptions } from './seasonal-anomaly.ts';

/** Below this clear-sky irradiance (dawn, dusk) a ratio is too noisy to learn from. */
export const MIN_CLEAR_SKY_W_PER_M2 = 50;

/** Mean clear-sky GHI over each hour [t, t+1h) at a place, W/m2. */
export const clearSkyHourMean = (latitudeDeg: number, longitudeDeg: number, hourStartMs: number): number =>
  hourMean((t) => clearSkyGhiAt(latitudeDeg, longitudeDeg, t), hourStartMs);

/**
 * The parts of the sun's position that depend on time only (declination, equation of time, UTC
 * hour) for the four samples of each hour from fromMs, computed once per run instead of once per
 * site: a site then costs a few trigonometric calls per sample. Same physics as clearSkyGhiAt.
 */
interface SunGrid { readonly fromMs: number; readonly steps: number; readonly sinDecl: Float64Array; readonly cosDecl: Float64Array; readonly hourBase: Float64Array }
const SAMPLE_MIN = [7.5, 22.5, 37.5, 52.5] as const;
const RAD = Math.PI / 180;
let lastGrid: SunGrid | null = null;
const sunGrid = (fromMs: number, steps: number): SunGrid => {
  if (lastGrid !== null && lastGrid.fromMs === fromMs && lastGrid.steps === steps) return lastGrid;
  const n = steps * SAMPLE_MIN.length;
  const g = { fromMs, steps, sinDecl: new Float64Array(n), cosDecl: new Float64Array(n), hourBase: new Float64Array(n) };
  for (let j = 0; j < steps; j++) {
    SAMPLE_MIN.forEach((m, q) => {
      const t = fromMs + j * HOUR_MS + m * 60_000;
      const doy = dayOfYear(t);
      const d = declinationDeg(doy) * RAD;
      const i = j * SAMPLE_MIN.length + q;
      g.sinDecl[i] = Math.sin(d);
      g.cosDecl[i] = Math.cos(d);
      g.hourBase[i] = (((t % 86_400_000) + 86_400_000) % 86_400_000) / HOUR_MS + equationOfTimeMin(doy) / 60;
    });
  }
  lastGrid = g;
  return g;
};

/** Mean clear-sky GHI of each hour from fromMs at a place, W/m2 (what clearSkyHourMean gives, per hour). */
export const clearSkySeries = (latitudeDeg: number, longitudeDeg: number, fromMs: number, steps: number): number[] => {
  const g = sunGrid(fromMs, steps);
  const sinLat = Math.sin(latitudeDeg * RAD);
  const cosLat = Math.cos(latitudeDeg * RAD);
  const lonH = longitudeDeg / 15;
  const out: number[] = new Array<number>(steps);
  for (let j = 0; j < steps; j++) {
    let sum = 0;
    for (let q = 0; q < SAMPLE_MIN.length; q++) {
      const i = j * SAMPLE_MIN.length + q;
      const ha = 15 * ((g.hourBase[i] ?? 0) + lonH - 12) * RAD;
      const sinEl = sinLat * (g.sinDecl[i] ?? 0) + cosLat * (g.cosDecl[i] ?? 0) * Math.cos(ha);
      sum += sinEl > 0 ? clearSkyGhiWPerM2(Math.asin(Math.min(1, sinEl)) / RAD) : 0;
    }
    out[j] = sum / SAMPLE_MIN.length;
  }
  return out;
};

/**
 * y / clear sky where the sun is high enough, NaN elsewhere, over the last `days` before end only
 * (all of history when omitted): the models read a 14-day window, and computing the ratio of the
 * whole history at every origin made a backtest cost the square of the series length.
 */
export const ratioSeries = (y: HourlySeries, end: number, latitudeDeg: number, longitudeDeg: number, days?: number): HourlySeries => {
  const n = Math.min(end, y.values.length);
  const r = new Float64Array(n).fill(NaN);
  for (let i = days === undefined ? 0 : Math.max(0, n - Math.ceil(days * 24)); i < n; i++) {
    const cs = clearSkyHourMean(latitudeDeg, longitudeDeg, y.startMs + i * HOUR_MS);
    const x = y.values[i] ?? NaN;
    r[i] = cs >= MIN_CLEAR_SKY_W_PER_M2 && Number.isFinite(x) ? Math.max(0, x) / cs : NaN;
  }
  return { startMs: y.startMs, values: r };
};

export interface RatioForecastOptions {
  /** Ratio used when there is no daytime history (0.7 for a clearness index). */
  readonly fallbackRatio: number;
  readonly climatologyDays: number;
  /** Upper clamp of the ratio (1.2 for clearness; kWp-scaled for solar). */
  readonly maxRatio: number;
}

/** Forecast ratio per future hour from history[0, end). */
export const forecastRatio = (y: HourlySeries, end: number, latitudeDeg: number, longitudeDeg: number, fromMs: number, steps: number, o: RatioForecastOptions): number[] => {
  const opts: SeasonalOptions = { ...DEFAULT_SEASONAL, seasonality: 'none', climatologyDays: o.climatologyDays, fallback: o.fallbackRatio, defaultPhi: 0.8 };
  const fit = fitSeasonal(ratioSeries(y, end, latitudeDeg, longitudeDeg, o.climatologyDays + 1), end, opts);
  return forecastFromFit(fit, fromMs, steps).map((k) => Math.min(o.maxRatio, Math.max(0, k)));
};

/** Ratio forecast times the clear sky of each hour: irradiance W/m2 or solar kW, >= 0. */
export const forecastViaClearness = (y: HourlySeries, end: number, latitudeDeg: number, longitudeDeg: number, fromMs: number, steps: number, o: RatioForecastOptions): number[] => {
  const k = forecastRatio(y, end, latitudeDeg, longitudeDeg, fromMs, steps, o);
  const cs = clearSkySeries(latitudeDeg, longitudeDeg, fromMs, steps);
  return k.map((x, j) => x * (cs[j] ?? 0));
};
