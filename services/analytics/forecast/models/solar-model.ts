/**
 * Solar per site, pure: clear-sky irradiance at the site x the cell's forecast clearness x the
 * site's own learned factor, times its peak power.
 *
 *   solarKw(t) = kWp x factor x clearSky(site, t) / 1000 x clearness(cell, t), clamped to [0, kWp]
 *
 * The factor is what the site turns irradiance into (performance ratio, orientation, shading,
 * soiling): learned in ClickHouse as sum(measured kWh) / sum(kWp x observed cell irradiance / 1000)
 * over its history's daylight hours. The cell's clearness is its irradiance forecast over the
 * cell's clear sky. A site with no history gets FALLBACK_SOLAR_FACTOR.
 */
import { clearSkyHourMean, clearSkySeries, MIN_CLEAR_SKY_W_PER_M2 } from './clearness.ts';
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
}

export const forecastSiteSolar = (site: SolarSite, clearness: readonly number[], fromMs: number): number[] => {
  const kwp = Number.isFinite(site.solarKwp) ? Math.max(0, site.solarKwp) : 0;
  const f = clampFactor(site.factor);
  const cs = clearSkySeries(site.latitudeDeg, site.longitudeDeg, fromMs, clearness.length);
  return clearness.map((k, j) => {
    const kw = (kwp * f * (cs[j] ?? 0) * (Number.isFinite(k) ? k : 0)) / 1000;
    return Number.isFinite(kw) ? Math.min(kwp, Math.max(0, kw)) : 0;
  });
};
