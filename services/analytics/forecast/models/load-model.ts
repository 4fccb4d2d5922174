/**
 * Household load per site, pure: the site's hour-of-week profile adjusted for the forecast
 * temperature, plus the recent anomaly decaying over a few hours.
 *
 *   load(t) = profile(how) + heat x (hdd(T) - hddMean(how)) + cool x (cdd(T) - cddMean(how))
 *             + a0 x 0.8^lead,   hdd = max(0, 16 C - T), cdd = max(0, T - 22 C)
 *
 * profile(how) is the site's mean load at that UTC hour of the week; heat and cool are its own
 * sensitivities (kW per degree-hour) regressed on its history against the cell's temperature;
 * hddMean and cddMean are the degree-hours its profile already contains. Fallbacks: an hour of
 * the week never seen uses the same hour of day on other days, then the site's mean, then
 * FALLBACK_LOAD_KW (a site with no history at all); no sensitivity learned means none applied.
 */
import { HOUR_MS, hourOfWeek } from './hourly-series.ts';

export const HEATING_BELOW_C = 16;
export const COOLING_ABOVE_C = 22;
export const FALLBACK_LOAD_KW = 1;
export const LOAD_ANOMALY_PHI = 0.8;

export const hdd = (t: number): number => Math.max(0, HEATING_BELOW_C - t);
export const cdd = (t: number): number => Math.max(0, t - COOLING_ABOVE_C);

/** A complete 168-hour profile from partial hour-of-week means (NaN where unseen). */
export const completeProfile = (howMeans: ArrayLike<number>, fallbackKw = FALLBACK_LOAD_KW): Float64Array => {
  const hodSum = new Float64Array(24);
  const hodCnt = new Uint32Array(24);
  let sum = 0;
  let cnt = 0;
  for (let h = 0; h < 168; h++) {
    const x = howMeans[h] ?? NaN;
    if (!Number.isFinite(x)) continue;
    hodSum[h % 24] = (hodSum[h % 24] ?? 0) + x;
    hodCnt[h % 24] = (hodCnt[h % 24] ?? 0) + 1;
    sum += x;
    cnt++;
  }
  const mean = cnt > 0 ? sum / cnt : fallbackKw;
  const out = new Float64Array(168);
  for (let h = 0; h < 168; h++) {
    const x = howMeans[h] ?? NaN;
    const hc = hodCnt[h % 24] ?? 0;
    out[h] = Number.isFinite(x) ? x : hc > 0 ? (hodSum[h % 24] ?? 0) / hc : mean;
  }
  return out;
};

export interface LoadSite {
  /** 168 hour-of-week means, NaN where unseen (Monday 00 UTC first). */
  readonly howMeans: ArrayLike<number>;
  /** kW per heating / cooling degree; 0 when not learned. */
  readonly heatKwPerC: number;
  readonly coolKwPerC: number;
  /** Newest hourly load measured and the start of its hour; null with none. */
  readonly recent: { readonly tMs: number; readonly kw: number } | null;
}

export interface DegreeMeans {
  /** Mean hdd and cdd of the cell at each hour of week over the history; NaN where unseen. */
  readonly hdd: ArrayLike<number>;
  readonly cdd: ArrayLike<number>;
}

const finiteOr = (x: number | undefined, d: number): number => (x !== undefined && Number.isFinite(x) ? x : d);

// Hours of week of a run's steps: the same for every site of the run, so computed once.
let lastHows: { fromMs: number; steps: number; hows: Uint8Array } | null = null;
const howsOf = (fromMs: number, steps: number): Uint8Array => {
  if (lastHows?.fromMs === fromMs && lastHows.steps === steps) return lastHows.hows;
  const hows = Uint8Array.from({ length: steps }, (_, j) => hourOfWeek(fromMs + j * HOUR_MS));
  lastHows = { fromMs, steps, hows };
  return hows;
};

export const forecastSiteLoad = (site: LoadSite, degrees: DegreeMeans, temperatureC: readonly number[], fromMs: number, fallbackKw = FALLBACK_LOAD_KW): number[] => {
  const profile = completeProfile(site.howMeans, fallbackKw);
  const heat = finiteOr(site.heatKwPerC, 0);
  const cool = finiteOr(site.coolKwPerC, 0);
  const r = site.recent;
  const a0 = r !== null && Number.isFinite(r.kw) ? r.kw - (profile[hourOfWeek(r.tMs)] ?? fallbackKw) : 0;
  const steps = temperatureC.length;
  const hows = howsOf(fromMs, steps);
  const out: number[] = new Array<number>(steps);
  for (let j = 0; j < steps; j++) {
    const how = hows[j] ?? 0;
    const tempC = temperatureC[j] ?? NaN;
    let kw = profile[how] ?? fallbackKw;
    if (Number.isFinite(tempC) && (heat !== 0 || cool !== 0)) {
      const h = hdd(tempC);
      const c = cdd(tempC);
      kw += heat * (h - finiteOr(degrees.hdd[how], h)) + cool * (c - finiteOr(degrees.cdd[how], c));
    }
    if (a0 !== 0 && r !== null) kw += a0 * Math.pow(LOAD_ANOMALY_PHI, Math.max(0, (fromMs + j * HOUR_MS - r.tMs) / HOUR_MS));
    out[j] = Number.isFinite(kw) ? Math.max(0, kw) : fallbackKw;
  }
  return out;
};

/**
 * The sensitivities the jobs learn in ClickHouse, as a pure function (backtests and tests): slope
 * of the load's deviation from its hour-of-week mean against the degree-hours' deviation from
 * theirs, heating and cooling each on their own. Null when there is nothing to learn from
 * (no spread in degree-hours: a single week, or a season without heating).
 */
export const fitDegreeSensitivity = (
  load: ArrayLike<number>, temperatureC: ArrayLike<number>, startMs: number, from: number, end: number,
): { heatKwPerC: number | null; coolKwPerC: number | null; degrees: DegreeMeans; howMeans: Float64Array } => {
  const sums = { l: new Float64Array(168), h: new Float64Array(168), c: new Float64Array(168), n: new Uint32Array(168) };
  const ok = (i: number): boolean => Number.isFinite(load[i]) && Number.isFinite(temperatureC[i]);
  for (let i = from; i < end; i++) {
    if (!ok(i)) continue;
    const how = hourOfWeek(startMs + i * HOUR_MS);
    const t = temperatureC[i] ?? 0;
    sums.l[how] = (sums.l[how] ?? 0) + (load[i] ?? 0);
    sums.h[how] = (sums.h[how] ?? 0) + hdd(t);
    sums.c[how] = (sums.c[how] ?? 0) + cdd(t);
    sums.n[how] = (sums.n[how] ?? 0) + 1;
  }
  const mean = (a: Float64Array): Float64Array => a.map((x, h) => ((sums.n[h] ?? 0) > 0 ? x / (sums.n[h] ?? 1) : NaN));
  const howMeans = mean(sums.l);
  const degrees = { hdd: mean(sums.h), cdd: mean(sums.c) };
  const slope = (dd: (t: number) => number, means: Float64Array): number | null => {
    let sxy = 0;
    let sxx = 0;
    for (let i = from; i < end; i++) {
      if (!ok(i)) continue;
      const how = hourOfWeek(startMs + i * HOUR_MS);
      const x = dd(temperatureC[i] ?? 0) - (means[how] ?? 0);
      sxy += x * ((load[i] ?? 0) - (howMeans[how] ?? 0));
      sxx += x * x;
    }
    return sxx > 1 ? sxy / sxx : null;
  };
  return { heatKwPerC: slope(hdd, degrees.hdd), coolKwPerC: slope(cdd, degrees.cdd), degrees, howMeans };
};
