/**
 * The two baselines an irradiance or PV forecast must beat besides persistence and seasonal
 * naive, pure, as solar forecasters score themselves (both need the place and its clear sky):
 * - clear-sky persistence: the clear-sky index (value over clear sky) of the newest daylight
 *   hour known, times the clear sky of each target hour;
 * - clear-sky climatology: the mean clear-sky index over the last 14 days' daylight hours, times
 *   the clear sky of each target hour.
 * Daylight: clear sky at least MIN_CLEAR_SKY_W_PER_M2 (the index is noise at dawn and dusk). With
 * no daylight hour known at all, the index is 0 (a forecast of darkness, never a gap).
 */
import type { SeriesModel } from './backtest.ts';
import { clearSkySeries, MIN_CLEAR_SKY_W_PER_M2, ratioSeries, type SkyPlace } from './clearness.ts';

export const CLIMATOLOGY_DAYS = 14;

export interface Place {
  readonly latitudeDeg: number;
  readonly longitudeDeg: number;
}

const times = (k: number, p: Place, fromMs: number, steps: number, place: SkyPlace): number[] =>
  clearSkySeries(p.latitudeDeg, p.longitudeDeg, fromMs, steps, place).map((c) => k * c);

export const clearSkyPersistence = (p: Place, place: SkyPlace = {}): SeriesModel => (s, end, fromMs, steps) => {
  const r = ratioSeries(s, end, p.latitudeDeg, p.longitudeDeg, 3, place).values;
  let k = NaN;
  for (let i = Math.min(end, r.length) - 1; i >= 0 && !Number.isFinite(k); i--) k = r[i] ?? NaN;
  return times(Number.isFinite(k) ? k : 0, p, fromMs, steps, place);
};

export const clearSkyClimatology = (p: Place, place: SkyPlace = {}, days = CLIMATOLOGY_DAYS): SeriesModel => (s, end, fromMs, steps) => {
  const r = ratioSeries(s, end, p.latitudeDeg, p.longitudeDeg, days, place).values;
  let sum = 0;
  let n = 0;
  for (let i = Math.max(0, end - days * 24); i < Math.min(end, r.length); i++) {
    const x = r[i] ?? NaN;
    if (Number.isFinite(x)) {
      sum += x;
      n++;
    }
  }
  return times(n > 0 ? sum / n : 0, p, fromMs, steps, place);
};

export { MIN_CLEAR_SKY_W_PER_M2 };
