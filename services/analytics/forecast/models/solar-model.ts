/**
 * Solar per site, pure: the cell's forecast clearness times the clear sky (Ineichen-Perez with
 * haze and altitude) gives the forecast global horizontal irradiance; Erbs splits it into beam
 * and diffuse and Hay-Davies puts it on the array's plane (tilt and azimuth from the registry);
 * the site's learned factor and peak power turn it into kW.
 *
 *   solarKw(t) = kWp x factor x POA(t) / 1000 x gain, clamped to [0, kWp]
 *
 * The factor is what the site turns irradiance into (performance ratio, shading, soiling, and,
 * as learned today, the orientation too): learned in ClickHouse as sum(measured kWh) /
 * sum(kWp x observed cell irradiance / 1000) over its history's daylight hours, i.e. against the
 * horizontal. So that a learned factor is not counted twice, gain = sum(GHI) / sum(POA) over the
 * horizon: the transposition reshapes the forecast over the day and between clear and cloudy
 * hours, the learned factor keeps its level. A site with no history gets FALLBACK_SOLAR_FACTOR
 * (a performance ratio) against the plane-of-array irradiance itself (gain 1). A site with no
 * orientation is flat (today's behaviour).
 */
import { NO_SUN } from '../../../platform/clear-sky.ts';
import { DEFAULT_ALBEDO, erbs, surfaceNormal, type Orientation } from '../../../platform/plane-of-array.ts';
import { clearSkyHourMean, MIN_CLEAR_SKY_W_PER_M2 } from './clearness.ts';
import { placeConstants, SAMPLES, sampleSky, sunGrid, type SkySample } from './clear-sky-series.ts';
import { HOUR_MS } from './hourly-series.ts';

export const FALLBACK_SOLAR_FACTOR = 0.8;
/** A learned factor outside this range is a data problem (wrong kWp, a broken meter): clamped. */
export const SOLAR_FACTOR_RANGE = [0.2, 1.2] as const;

export const clampFactor = (f: number | null): number =>
  f === null || !Number.isFinite(f) ? FALLBACK_SOLAR_FACTOR : Math.min(SOLAR_FACTOR_RANGE[1], Math.max(SOLAR_FACTOR_RANGE[0], f));

/** Clearness per step from a cell's irradiance forecast and its position. */
export const clearnessFromIrradiance = (irradianceWPerM2: readonly number[], latitudeDeg: number, longitudeDeg: number, fromMs: number): number[] =>
  irradianceWPerM2.map((g, j) => {
    const cs = clearSkyHourMean(latitudeDeg, longitudeDeg, fromMs + j * HOUR_MS);
    return cs >= MIN_CLEAR_SKY_W_PER_M2 ? Math.min(1.2, Math.max(0, g / cs)) : Math.min(1.2, Math.max(0, cs > 1 ? g / cs : 0));
  });

export interface SolarSite {
  readonly latitudeDeg: number;
  readonly longitudeDeg: number;
  readonly solarKwp: number;
  /** Learned factor, or null with no history. */
  readonly factor: number | null;
  /** The array's tilt and azimuth; flat when null or absent. */
  readonly orientation?: Orientation | null;
  /** Metres above sea level; 0 when absent. */
  readonly altitudeM?: number;
}

/**
 * The forecast sky of one place, per sample (four per hour): the sun's vector and the forecast
 * global split into beam and diffuse. Sites that share a place (the sites of a cell, rounded)
 * share one (bundles.ts caches it per run).
 */
export interface ForecastSky {
  readonly steps: number;
  readonly east: Float64Array;
  readonly north: Float64Array;
  readonly up: Float64Array;
  readonly ghi: Float64Array;
  readonly dni: Float64Array;
  readonly dhi: Float64Array;
  readonly dniExtra: Float64Array;
}

export const forecastSky = (latitudeDeg: number, longitudeDeg: number, clearness: readonly number[], fromMs: number, altitudeM = 0): ForecastSky => {
  const steps = clearness.length;
  const g = sunGrid(fromMs, steps);
  const p = placeConstants(latitudeDeg, longitudeDeg, altitudeM);
  const n = steps * SAMPLES;
  const sky = { steps, east: new Float64Array(n), north: new Float64Array(n), up: new Float64Array(n), ghi: new Float64Array(n), dni: new Float64Array(n), dhi: new Float64Array(n), dniExtra: new Float64Array(n) };
  const s: SkySample = { sun: { east: 0, north: 0, up: 0 }, sky: NO_SUN, dniExtra: 0 };
  for (let j = 0; j < steps; j++) {
    const k0 = clearness[j] ?? 0;
    const k = Number.isFinite(k0) ? Math.max(0, k0) : 0;
    for (let q = 0; q < SAMPLES; q++) {
      const i = j * SAMPLES + q;
      sampleSky(g, i, p, s);
      sky.dniExtra[i] = s.dniExtra;
      if (!(s.sun.up > 0) || !(s.sky.ghi > 0)) continue;
      sky.east[i] = s.sun.east;
      sky.north[i] = s.sun.north;
      sky.up[i] = s.sun.up;
      const split = erbs(k * s.sky.ghi, s.sun.up, s.dniExtra);
      sky.ghi[i] = split.ghi;
      sky.dni[i] = split.dni;
      sky.dhi[i] = split.dhi;
    }
  }
  return sky;
};

/**
 * kW per hour for a site under a forecast sky. The Hay-Davies transposition is written out here
 * (it is poaHayDavies of plane-of-array.ts, which a unit test holds it to) because it runs for
 * every sample of every site of a 500k-site run.
 */
export const solarFromSky = (sky: ForecastSky, site: SolarSite): number[] => {
  const kwp = Number.isFinite(site.solarKwp) ? Math.max(0, site.solarKwp) : 0;
  const learned = site.factor !== null && Number.isFinite(site.factor);
  const f = clampFactor(site.factor);
  const o = site.orientation ?? null;
  const nrm = o === null ? null : surfaceNormal(o);
  const poa = new Float64Array(sky.steps);
  let sumGhi = 0;
  let sumPoa = 0;
  for (let j = 0; j < sky.steps; j++) {
    let acc = 0;
    for (let q = 0; q < SAMPLES; q++) {
      const i = j * SAMPLES + q;
      const ghi = sky.ghi[i] ?? 0;
      if (!(ghi > 0)) continue;
      let p = ghi;
      if (nrm !== null) {
        const up = sky.up[i] ?? 0;
        const dni = sky.dni[i] ?? 0;
        const dhi = sky.dhi[i] ?? 0;
        const cosAoi = Math.max(0, (sky.east[i] ?? 0) * nrm.east + (sky.north[i] ?? 0) * nrm.north + up * nrm.up);
        const ai = dni / (sky.dniExtra[i] ?? 1361);
        const iso = Math.max(0, dhi * (1 - ai) * 0.5 * (1 + nrm.cosTilt));
        const circ = Math.max(0, dhi * ai * (cosAoi / Math.max(up, 0.01745)));
        p = Math.max(0, dni * cosAoi + iso + circ + ghi * DEFAULT_ALBEDO * 0.5 * (1 - nrm.cosTilt));
      }
      acc += p;
      sumGhi += ghi;
      sumPoa += p;
    }
    poa[j] = acc / SAMPLES;
  }
  const gain = learned && nrm !== null && sumPoa > 0 ? sumGhi / sumPoa : 1;
  return Array.from(poa, (g) => {
    const kw = (kwp * f * g * gain) / 1000;
    return Number.isFinite(kw) ? Math.min(kwp, Math.max(0, kw)) : 0;
  });
};

export const forecastSiteSolar = (site: SolarSite, clearness: readonly number[], fromMs: number): number[] =>
  solarFromSky(forecastSky(site.latitudeDeg, site.longitudeDeg, clearness, fromMs, site.altitudeM ?? 0), site);
