/**
 * The models' clear sky, hour by hour, pure: Ineichen-Perez with the Linke turbidity climatology
 * and the site's altitude (services/platform/clear-sky.ts), on the horizontal or, for a PV array,
 * transposed to its plane (Hay-Davies, services/platform/plane-of-array.ts). Each hour is the mean
 * of four samples (7.5, 22.5, 37.5 and 52.5 minutes past), as the hourly rollups average.
 *
 * The parts of the sun's position that depend on time only (declination, equation of time, UTC
 * hour, extraterrestrial irradiance, the turbidity of the day) are computed once per run in a sun
 * grid instead of once per site: a site then costs a few trigonometric calls per sample.
 */
import { extraterrestrialWPerM2, ineichenPerez, linkeTurbidity, NO_SUN, pressureAtAltitudePa, relativeAirmass, type Irradiance } from '../../../platform/clear-sky.ts';
import { poaHayDavies, surfaceNormal, type Orientation, type SurfaceNormal } from '../../../platform/plane-of-array.ts';
import { dayOfYear, declinationDeg, equationOfTimeMin } from '../../../platform/solar-geometry.ts';
import { HOUR_MS } from './hourly-series.ts';

/** Where the sky is seen from: altitude (m, 0 when unknown) and, for PV, the array's orientation. */
export interface SkyPlace {
  readonly altitudeM?: number;
  readonly orientation?: Orientation | null;
}

export const SAMPLE_MIN = [7.5, 22.5, 37.5, 52.5] as const;
export const SAMPLES = SAMPLE_MIN.length;
const RAD = Math.PI / 180;

export interface SunGrid {
  readonly fromMs: number;
  readonly steps: number;
  readonly sinDecl: Float64Array;
  readonly cosDecl: Float64Array;
  readonly hourBase: Float64Array;
  readonly dniExtra: Float64Array;
  readonly linkeNorth: Float64Array;
  readonly linkeSouth: Float64Array;
}

const buildGrid = (fromMs: number, steps: number): SunGrid => {
  const n = steps * SAMPLES;
  const g = {
    fromMs, steps, sinDecl: new Float64Array(n), cosDecl: new Float64Array(n), hourBase: new Float64Array(n),
    dniExtra: new Float64Array(n), linkeNorth: new Float64Array(n), linkeSouth: new Float64Array(n),
  };
  for (let j = 0; j < steps; j++) {
    SAMPLE_MIN.forEach((m, q) => {
      const t = fromMs + j * HOUR_MS + m * 60_000;
      const doy = dayOfYear(t);
      const d = declinationDeg(doy) * RAD;
      const i = j * SAMPLES + q;
      g.sinDecl[i] = Math.sin(d);
      g.cosDecl[i] = Math.cos(d);
      g.hourBase[i] = (((t % 86_400_000) + 86_400_000) % 86_400_000) / HOUR_MS + equationOfTimeMin(doy) / 60;
      g.dniExtra[i] = extraterrestrialWPerM2(doy);
      g.linkeNorth[i] = linkeTurbidity(1, doy);
      g.linkeSouth[i] = linkeTurbidity(-1, doy);
    });
  }
  return g;
};

/** The last few grids: a run's sites share one; a backtest alternates a history window and a horizon. */
const grids: SunGrid[] = [];
export const sunGrid = (fromMs: number, steps: number): SunGrid => {
  const hit = grids.find((g) => g.fromMs === fromMs && g.steps === steps);
  if (hit !== undefined) return hit;
  const g = buildGrid(fromMs, steps);
  grids.unshift(g);
  if (grids.length > 4) grids.pop();
  return g;
};

/** What one sample of one place sees: the sun and the clear sky, written into `out`. */
export interface SkySample {
  sun: { east: number; north: number; up: number };
  sky: Irradiance;
  dniExtra: number;
}

/** A place's constants for sampling the grid. */
export interface PlaceConstants {
  readonly sinLat: number;
  readonly cosLat: number;
  readonly lonH: number;
  readonly south: boolean;
  readonly altitudeM: number;
  readonly pressureRatio: number;
}

export const placeConstants = (latitudeDeg: number, longitudeDeg: number, altitudeM = 0): PlaceConstants => {
  const alt = Number.isFinite(altitudeM) ? altitudeM : 0;
  return { sinLat: Math.sin(latitudeDeg * RAD), cosLat: Math.cos(latitudeDeg * RAD), lonH: longitudeDeg / 15, south: latitudeDeg < 0, altitudeM: alt, pressureRatio: pressureAtAltitudePa(alt) / 101325 };
};

/** Sample i of the grid at a place: the sun's vector and the clear sky (NO_SUN when it is down). */
export const sampleSky = (g: SunGrid, i: number, p: PlaceConstants, out: SkySample): SkySample => {
  const ha = 15 * ((g.hourBase[i] ?? 0) + p.lonH - 12) * RAD;
  const cosH = Math.cos(ha);
  const sd = g.sinDecl[i] ?? 0;
  const cd = g.cosDecl[i] ?? 0;
  const up = p.sinLat * sd + p.cosLat * cd * cosH;
  out.dniExtra = g.dniExtra[i] ?? 1361;
  if (!(up > 0)) {
    out.sun = { east: 0, north: 0, up };
    out.sky = NO_SUN;
    return out;
  }
  out.sun = { east: -cd * Math.sin(ha), north: sd * p.cosLat - cd * p.sinLat * cosH, up };
  const am = relativeAirmass(Math.acos(Math.min(1, up)) / RAD) * p.pressureRatio;
  out.sky = ineichenPerez(up, am, (p.south ? g.linkeSouth[i] : g.linkeNorth[i]) ?? 3, p.altitudeM, out.dniExtra);
  return out;
};

const poaOf = (s: SkySample, normal: SurfaceNormal | null): number =>
  normal === null ? s.sky.ghi : poaHayDavies({ sky: s.sky, sun: s.sun, normal, dniExtra: s.dniExtra });

const seriesOnGrid = (g: SunGrid, latitudeDeg: number, longitudeDeg: number, place: SkyPlace): number[] => {
  const p = placeConstants(latitudeDeg, longitudeDeg, place.altitudeM ?? 0);
  const normal = place.orientation === undefined || place.orientation === null ? null : surfaceNormal(place.orientation);
  const s: SkySample = { sun: { east: 0, north: 0, up: 0 }, sky: NO_SUN, dniExtra: 0 };
  const out: number[] = new Array<number>(g.steps);
  for (let j = 0; j < g.steps; j++) {
    let sum = 0;
    for (let q = 0; q < SAMPLES; q++) sum += poaOf(sampleSky(g, j * SAMPLES + q, p, s), normal);
    out[j] = sum / SAMPLES;
  }
  return out;
};

/** Mean clear-sky irradiance of each hour from fromMs at a place, W/m² (horizontal, or on the array's plane). */
export const clearSkySeries = (latitudeDeg: number, longitudeDeg: number, fromMs: number, steps: number, place: SkyPlace = {}): number[] =>
  seriesOnGrid(sunGrid(fromMs, steps), latitudeDeg, longitudeDeg, place);

/** Mean clear-sky irradiance over the hour [t, t+1h) at a place, W/m². */
export const clearSkyHourMean = (latitudeDeg: number, longitudeDeg: number, hourStartMs: number, place: SkyPlace = {}): number =>
  seriesOnGrid(buildGrid(hourStartMs, 1), latitudeDeg, longitudeDeg, place)[0] ?? 0;
