/**
 * The workhorse of the weather and emissions models, pure: climatology blended with the
 * persistence of the recent anomaly.
 *
 *   forecast(t) = seasonal(t) + a0 * rho(lead(t))
 *
 * - seasonal(t): the trailing `climatologyDays` mean of the same UTC hour of day ("season and
 *   hour": a trailing window follows the season), plus a day-of-week offset when `weekly` and
 *   more than a week of history exist; or one flat mean (`seasonality: 'none'`, for ratios such as
 *   the clearness index).
 * - a0: the newest observed anomaly (observation minus seasonal); rho(lead) how much of an
 *   anomaly is left `lead` hours later, measured on the history (`decayCurve`). Near horizons
 *   follow the weather of now, far ones return to climatology.
 *
 * Fallbacks (documented in docs/forecast.md): an hour of day never observed uses the overall
 * mean; no usable history at all gives `fallback` for every step; fewer than 24 anomaly pairs
 * use defaultPhi^lag.
 */
import { dayOfWeek, HOUR_MS, hourOfDay, lastFinite, type HourlySeries } from './hourly-series.ts';

export interface SeasonalOptions {
  readonly seasonality: 'hour-of-day' | 'none';
  readonly weekly: boolean;
  readonly climatologyDays: number;
  readonly fallback: number;
  readonly defaultPhi: number;
  /**
   * When set, the hour-of-day means keep their shape but are moved to the mean level of the last
   * `levelDays` days: a season that is warming does not lag by half the climatology window.
   */
  readonly levelDays?: number;
  /**
   * For series that are gaps by nature part of each day (the clearness ratio at night): a lag
   * with too few pairs keeps the previous lag's persistence instead of the default factor's, so
   * that the night does not erase what a cloudy or clear spell says about tomorrow (day-to-day
   * persistence, measured at lags of 15 to 30 hours). Off by default.
   */
  readonly sparse?: boolean;
  /**
   * With `seasonality: 'none'`, the level the forecast returns to: the mean (default), or the
   * mean of the mean and the median weighted by `levelWeights` (same indices as the history); that median is the constant of
   * least weighted absolute error: for the clearness ratio weighted by the clear sky, the level
   * whose irradiance has the least mean absolute error over the window. Clear and cloudy hours
   * make the ratio two-humped, where mean and median differ.
   */
  readonly levelWeights?: ArrayLike<number>;
}

export const DEFAULT_SEASONAL: SeasonalOptions = Object.freeze({ seasonality: 'hour-of-day', weekly: false, climatologyDays: 14, fallback: 0, defaultPhi: 0.85 });

export interface SeasonalFit {
  /** Seasonal value at a time. */
  readonly seasonal: (tMs: number) => number;
  /** Newest anomaly and the time of its hour; null when there is none. */
  readonly last: { readonly anomaly: number; readonly tMs: number } | null;
  /** rho[k]: how much of an anomaly is left k hours later (rho[0] = 1), k up to MAX_LEAD_HOURS. */
  readonly rho: Float64Array;
  readonly hasHistory: boolean;
}

/** Beyond this lead the anomaly is gone: the forecast is climatology. */
export const MAX_LEAD_HOURS = 72;

const defaultCurve = (phi: number): Float64Array => Float64Array.from({ length: MAX_LEAD_HOURS + 1 }, (_, k) => Math.pow(phi, k));

/**
 * How an anomaly decays with the lead, measured on the history: at each lag k, the regression
 * slope of the anomaly k hours later on the anomaly now, clamped to [0, 1] and never rising with
 * k. Weather keeps part of an anomaly for a day or more, which a single hour-to-hour factor
 * would forget. A lag with fewer than 24 pairs uses the default factor's curve.
 */
export const decayCurve = (a: Float64Array, defaultPhi: number, sparse = false): Float64Array => {
  const rho = defaultCurve(defaultPhi);
  for (let k = 1; k <= MAX_LEAD_HOURS; k++) {
    let num = 0;
    let den = 0;
    let pairs = 0;
    for (let i = k; i < a.length; i++) {
      const x = a[i] ?? NaN;
      const p = a[i - k] ?? NaN;
      if (!Number.isFinite(x) || !Number.isFinite(p)) continue;
      num += x * p;
      den += p * p;
      pairs++;
    }
    const prev = rho[k - 1] ?? 1;
    const r = pairs >= 24 && den > 0 ? num / den : sparse ? prev : Math.pow(defaultPhi, k);
    rho[k] = Math.min(prev, Math.max(0, r));
  }
  return rho;
};

/** The median of values[lo, n) weighted by w (finite values with w > 0 only); null when none. */
export const weightedMedian = (values: ArrayLike<number>, w: ArrayLike<number>, lo: number, n: number): number | null => {
  const xs: Array<[number, number]> = [];
  let total = 0;
  for (let i = lo; i < n; i++) {
    const x = values[i] ?? NaN;
    const wi = w[i] ?? 0;
    if (Number.isFinite(x) && wi > 0) {
      xs.push([x, wi]);
      total += wi;
    }
  }
  if (xs.length === 0) return null;
  xs.sort((a, b) => a[0] - b[0]);
  let acc = 0;
  for (const [x, wi] of xs) {
    acc += wi;
    if (acc >= total / 2) return x;
  }
  return xs.at(-1)?.[0] ?? null;
};

/** Fits the seasonal means and anomaly persistence on history[0, end). */
export const fitSeasonal = (history: HourlySeries, end: number, o: SeasonalOptions): SeasonalFit => {
  const v = history.values;
  const n = Math.min(end, v.length);
  const lo = Math.max(0, n - Math.round(o.climatologyDays * 24));
  const at = (i: number): number => history.startMs + i * HOUR_MS;
  const hodSum = new Float64Array(24);
  const hodCnt = new Uint32Array(24);
  let sum = 0;
  let cnt = 0;
  for (let i = lo; i < n; i++) {
    const x = v[i] ?? NaN;
    if (!Number.isFinite(x)) continue;
    const h = hourOfDay(at(i));
    hodSum[h] = (hodSum[h] ?? 0) + x;
    hodCnt[h] = (hodCnt[h] ?? 0) + 1;
    sum += x;
    cnt++;
  }
  if (cnt === 0) return { seasonal: () => o.fallback, last: null, rho: defaultCurve(o.defaultPhi), hasHistory: false };
  let mean = sum / cnt;
  // Half way between the mean and the weighted median: the median alone won where the window
  // was like the days after it and lost where the weather turned (backtests in docs/forecast.md).
  if (o.seasonality === 'none' && o.levelWeights !== undefined) mean = 0.5 * mean + 0.5 * (weightedMedian(v, o.levelWeights, lo, n) ?? mean);
  const hod = new Float64Array(24);
  for (let h = 0; h < 24; h++) hod[h] = o.seasonality === 'none' || (hodCnt[h] ?? 0) === 0 ? mean : (hodSum[h] ?? 0) / (hodCnt[h] ?? 1);
  if (o.levelDays !== undefined && o.seasonality === 'hour-of-day') {
    let ls = 0;
    let lc = 0;
    for (let i = Math.max(lo, n - Math.round(o.levelDays * 24)); i < n; i++) {
      const x = v[i] ?? NaN;
      if (!Number.isFinite(x)) continue;
      ls += x - (hod[hourOfDay(at(i))] ?? mean);
      lc++;
    }
    const shift = lc > 0 ? ls / lc : 0;
    for (let h = 0; h < 24; h++) hod[h] = (hod[h] ?? mean) + shift;
  }
  const dowOff = new Float64Array(7);
  if (o.weekly && n - lo > 8 * 24) {
    const s = new Float64Array(7);
    const c = new Uint32Array(7);
    for (let i = lo; i < n; i++) {
      const x = v[i] ?? NaN;
      if (!Number.isFinite(x)) continue;
      const d = dayOfWeek(at(i));
      s[d] = (s[d] ?? 0) + x - (hod[hourOfDay(at(i))] ?? mean);
      c[d] = (c[d] ?? 0) + 1;
    }
    for (let d = 0; d < 7; d++) dowOff[d] = (c[d] ?? 0) >= 12 ? (s[d] ?? 0) / (c[d] ?? 1) : 0;
  }
  const seasonal = (tMs: number): number => (hod[hourOfDay(tMs)] ?? mean) + (dowOff[dayOfWeek(tMs)] ?? 0);

  const anomalies = new Float64Array(n - lo);
  for (let i = lo; i < n; i++) anomalies[i - lo] = (v[i] ?? NaN) - seasonal(at(i));
  const rho = decayCurve(anomalies, o.defaultPhi, o.sparse === true);
  const li = lastFinite(v, n);
  const last = li < 0 ? null : { anomaly: (v[li] ?? 0) - seasonal(at(li)), tMs: at(li) };
  return { seasonal, last, rho, hasHistory: true };
};

/** Forecast at each hour from.. (steps hours) from a fit. */
export const forecastFromFit = (fit: SeasonalFit, fromMs: number, steps: number): number[] => {
  const out: number[] = new Array<number>(steps);
  for (let j = 0; j < steps; j++) {
    const t = fromMs + j * HOUR_MS;
    let f = fit.seasonal(t);
    if (fit.last !== null) {
      const lead = Math.round(Math.max(0, (t - fit.last.tMs) / HOUR_MS));
      f += fit.last.anomaly * (lead > MAX_LEAD_HOURS ? 0 : (fit.rho[lead] ?? 0));
    }
    out[j] = f;
  }
  return out;
};

/** fitSeasonal on history[0, end) then forecastFromFit from fromMs. */
export const seasonalAnomalyForecast = (history: HourlySeries, end: number, fromMs: number, steps: number, o: SeasonalOptions): number[] =>
  forecastFromFit(fitSeasonal(history, end, o), fromMs, steps);
