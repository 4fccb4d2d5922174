/**
 * Irradiance and solar through the clearness index, pure. A series y (irradiance W/m², or a
 * site's solar kW) is divided by the clear-sky irradiance of its hour, where the sun is up
 * (clear sky above 50 W/m²), giving a ratio that carries the clouds (and, for solar, the site's
 * size and efficiency). The ratio is forecast by climatology plus anomaly persistence with no
 * hour-of-day seasonality (the ratio is flat over the day), then multiplied back by the clear sky
 * of each future hour: zero at night by construction, never negative.
 *
 * The clear sky is Ineichen-Perez with a Linke turbidity climatology and the altitude
 * (clear-sky-series.ts); for PV it is the clear sky on the array's plane (tilt and azimuth), so
 * the ratio of an east-facing array is flat over the day as it should be. The simulator's world
 * draws a different, day-to-day sky (services/edge/simulator/physics/weather-field.ts).
 */
import { clearSkyHourMean, clearSkySeries, type SkyPlace } from './clear-sky-series.ts';
import { HOUR_MS, type HourlySeries } from './hourly-series.ts';
import { DEFAULT_SEASONAL, fitSeasonal, forecastFromFit, type SeasonalOptions } from './seasonal-anomaly.ts';

export { clearSkyHourMean, clearSkySeries, type SkyPlace };

/** Below this clear-sky irradiance (dawn, dusk) a ratio is too noisy to learn from. */
export const MIN_CLEAR_SKY_W_PER_M2 = 50;

/**
 * y / clear sky where the sun is high enough, NaN elsewhere, over the last `days` before end only
 * (all of history when omitted): the models read a 14-day window, and computing the ratio of the
 * whole history at every origin made a backtest cost the square of the series length.
 */
export const ratioSeries = (y: HourlySeries, end: number, latitudeDeg: number, longitudeDeg: number, days?: number, place: SkyPlace = {}): HourlySeries & { readonly clearSky: Float64Array } => {
  const n = Math.min(end, y.values.length);
  const r = new Float64Array(n).fill(NaN);
  const sky = new Float64Array(n);
  const from = days === undefined ? 0 : Math.max(0, n - Math.ceil(days * 24));
  if (n <= from) return { startMs: y.startMs, values: r, clearSky: sky };
  const cs = clearSkySeries(latitudeDeg, longitudeDeg, y.startMs + from * HOUR_MS, n - from, place);
  for (let i = from; i < n; i++) {
    const c = cs[i - from] ?? 0;
    const x = y.values[i] ?? NaN;
    sky[i] = c;
    r[i] = c >= MIN_CLEAR_SKY_W_PER_M2 && Number.isFinite(x) ? Math.max(0, x) / c : NaN;
  }
  return { startMs: y.startMs, values: r, clearSky: sky };
};

export interface RatioForecastOptions {
  /** Ratio used when there is no daytime history (0.7 for a clearness index). */
  readonly fallbackRatio: number;
  readonly climatologyDays: number;
  /** Upper clamp of the ratio (1.2 for clearness; kWp-scaled for solar). */
  readonly maxRatio: number;
  /** Altitude and, for PV, the array's orientation (horizontal at sea level by default). */
  readonly place?: SkyPlace;
}

/** Forecast ratio per future hour from history[0, end). */
export const forecastRatio = (y: HourlySeries, end: number, latitudeDeg: number, longitudeDeg: number, fromMs: number, steps: number, o: RatioForecastOptions): number[] => {
  const r = ratioSeries(y, end, latitudeDeg, longitudeDeg, o.climatologyDays + 1, o.place);
  const opts: SeasonalOptions = { ...DEFAULT_SEASONAL, seasonality: 'none', climatologyDays: o.climatologyDays, fallback: o.fallbackRatio, defaultPhi: 0.8, sparse: true, levelWeights: r.clearSky };
  const fit = fitSeasonal(r, end, opts);
  return forecastFromFit(fit, fromMs, steps).map((k) => Math.min(o.maxRatio, Math.max(0, k)));
};

/** Ratio forecast times the clear sky of each hour: irradiance W/m2 or solar kW, >= 0. */
export const forecastViaClearness = (y: HourlySeries, end: number, latitudeDeg: number, longitudeDeg: number, fromMs: number, steps: number, o: RatioForecastOptions): number[] => {
  const k = forecastRatio(y, end, latitudeDeg, longitudeDeg, fromMs, steps, o);
  const cs = clearSkySeries(latitudeDeg, longitudeDeg, fromMs, steps, o.place);
  return k.map((x, j) => x * (cs[j] ?? 0));
};
