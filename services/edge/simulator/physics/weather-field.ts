/**
 * A weather field over a set of cells, a pure function of (seed, cell position, time).
 *
 * Clouds come from a front field: smooth 3-D value noise in a frame that moves with a seeded
 * steering wind (20-45 km/h, roughly eastward), stretched across the direction of travel so that
 * high values form long bands, i.e. fronts. Because the field is advected, nearby cells see the
 * same front hours apart, and the third noise axis (time) lets fronts form and decay over a day or
 * two. Where the front field is strongest a storm watch is issued for the cell, looking up to 24 h
 * ahead, so the alert precedes the storm.
 *
 * Temperature: latitude mean, a seasonal and a diurnal cycle (damped by clouds), cooling under
 * fronts, and smooth per-cell noise.
 *
 * The sky is deliberately richer than the forecast model's, so that simulated accuracy does not
 * flatter the model (issue 22): the clear sky is Ineichen-Perez with a Linke turbidity that
 * wanders day by day around the climatology the model assumes (a regional haze field on a 2-3
 * day scale plus a little per cell, 1.6..7), and clouds attenuate the global by Kasten-Czeplak
 * (1 - 0.75 c^3.4) with broken-cloud flicker on a 20-minute scale (enhancement above the clear
 * sky included), and the beam far more than the global ((1 - c)^1.6): the split into beam and
 * diffuse is the world's own, not the Erbs correlation the model uses, and the sites transpose it
 * with an isotropic sky where the model uses Hay-Davies.
 */
import type { WeatherObservation } from '../../../platform/events.ts';
import { hash32, hashUnit, smoothNoise1, valueNoise3 } from './random.ts';
import { clearSkyAtElevation, linkeTurbidity, NO_SUN, type Irradiance } from '../../../platform/clear-sky.ts';
import { dayOfYear, solarTimeHours, sunVectorAt } from '../../../platform/solar-geometry.ts';

const HOUR_MS = 3_600_000;
const RAD = Math.PI / 180;

export interface WeatherCell {
  readonly cellId: string;
  readonly latitudeDeg: number;
  readonly longitudeDeg: number;
  /** Metres above sea level; 0 when absent. */
  readonly altitudeM?: number;
}

export interface CellWeather {
  readonly temperatureC: number;
  readonly cloudCoverPct: number;
  readonly irradianceWPerM2: number;
  /** The world's beam (direct normal) and diffuse horizontal, W/m², for the sites' arrays. */
  readonly dniWPerM2: number;
  readonly dhiWPerM2: number;
  /** The sun over the cell as a unit vector (east, north, up). */
  readonly sun: { readonly east: number; readonly north: number; readonly up: number };
  readonly windSpeedMPerS: number;
  readonly alert: WeatherObservation['alert'];
}

export interface WeatherField {
  readonly cells: ReadonlyArray<WeatherCell>;
  /** Weather of a known cell at tMs; throws on an unknown cell id (a wiring bug, not an input). */
  at(cellId: string, tMs: number): CellWeather;
  /** Front strength in [0, 1] at a cell and time (storms above STORM_FRONT_THRESHOLD). */
  frontAt(cellId: string, tMs: number): number;
  /** The world's turbidity and clear sky at a cell and time (before clouds). */
  clearSkyAt(cellId: string, tMs: number): { readonly linke: number; readonly clear: Irradiance };
}

/** Front strength above which a cell is in a storm. Calibrated so storms cover a few % of hours. */
export const STORM_FRONT_THRESHOLD = 0.92;
/** How far ahead a storm watch is issued. */
export const STORM_LOOKAHEAD_HOURS = 24;

interface CellGeo {
  readonly cell: WeatherCell;
  readonly key: number;
  readonly xKm: number;
  readonly yKm: number;
  readonly baseWindMPerS: number;
}

/** Cloud fraction 0..1 from front strength: clear below 0.4, overcast from 0.7. */
export const cloudFromFront = (front: number): number => Math.min(1, Math.max(0, (front - 0.4) / 0.3));

/** Kasten-Czeplak cloud attenuation. */
export const irradianceUnderClouds = (clearSkyWPerM2: number, cloudFraction: number): number =>
  clearSkyWPerM2 * (1 - 0.75 * Math.pow(Math.min(1, Math.max(0, cloudFraction)), 3.4));

export const createWeatherField = (seed: number, cells: ReadonlyArray<WeatherCell>): WeatherField => {
  const frontKey = hash32(seed, 'fronts');
  const hazeKey = hash32(seed, 'haze');
  const detailKey = hash32(seed, 'front-detail');
  const speedKmh = 20 + 25 * hashUnit(seed, 'steering-speed');
  const bearing = (50 + 80 * hashUnit(seed, 'steering-bearing')) * RAD; // clockwise from north
  const ux = Math.sin(bearing);
  const uy = Math.cos(bearing);
  const geo = new Map<string, CellGeo>();
  for (const cell of cells) {
    geo.set(cell.cellId, {
      cell,
      key: hash32(seed, 'cell', cell.cellId),
      xKm: cell.longitudeDeg * 111.32 * Math.cos(cell.latitudeDeg * RAD),
      yKm: cell.latitudeDeg * 110.57,
      baseWindMPerS: 2.5 + 3 * hashUnit(seed, 'wind', cell.cellId),
    });
  }
  const lookup = (cellId: string): CellGeo => {
    const g = geo.get(cellId);
    if (g === undefined) throw new Error(`weather field: unknown cell ${cellId}`);
    return g;
  };

  const front = (g: CellGeo, tMs: number): number => {
    const h = tMs / HOUR_MS;
    const x = g.xKm - ux * speedKmh * h;
    const y = g.yKm - uy * speedKmh * h;
    const along = x * ux + y * uy;
    const across = -x * uy + y * ux;
    const big = valueNoise3(frontKey, along / 350, across / 1100, h / 36);
    const detail = valueNoise3(detailKey, along / 120, across / 300, h / 10);
    // Stretch away from the mean so value noise (which bunches near 0.5) reaches both ends.
    return Math.min(1, Math.max(0, 0.5 + 1.6 * (0.7 * big + 0.3 * detail - 0.5)));
  };

  /** Linke turbidity of the world: the climatology, moved by a regional haze field and a little per cell. */
  const turbidity = (g: CellGeo, tMs: number): number => {
    const day = tMs / 86_400_000;
    const regional = valueNoise3(hazeKey, g.xKm / 600, g.yKm / 600, day / 2.5);
    return Math.min(7, Math.max(1.6, linkeTurbidity(g.cell.latitudeDeg, dayOfYear(tMs)) + 2.4 * (regional - 0.5) + 0.3 * smoothNoise1(g.key ^ 0x1f3a5c, day / 1.5)));
  };
  const clearSkyOf = (g: CellGeo, tMs: number): { linke: number; clear: Irradiance; sun: { east: number; north: number; up: number } } => {
    const sun = sunVectorAt(g.cell.latitudeDeg, g.cell.longitudeDeg, tMs);
    const linke = turbidity(g, tMs);
    const clear = sun.up > 0 ? clearSkyAtElevation(Math.asin(Math.min(1, sun.up)) / RAD, g.cell.latitudeDeg, dayOfYear(tMs), { linke, altitudeM: g.cell.altitudeM ?? 0 }) : NO_SUN;
    return { linke, clear, sun };
  };

  // Memo of the last alert per cell and hour: outputs stay a pure function of (seed, cell, t).
  const alertMemo = new Map<string, { hour: number; alert: WeatherObservation['alert'] }>();
  const alertAt = (g: CellGeo, tMs: number): WeatherObservation['alert'] => {
    const hour = Math.floor(tMs / HOUR_MS);
    const memo = alertMemo.get(g.cell.cellId);
    if (memo?.hour === hour) return memo.alert;
    const stormy = (hh: number): number => {
      const f = front(g, (hh + 0.5) * HOUR_MS);
      return f > STORM_FRONT_THRESHOLD ? f : 0;
    };
    let first = -1;
    let peak = 0;
    for (let k = 0; k <= STORM_LOOKAHEAD_HOURS; k++) {
      const f = stormy(hour + k);
      if (f > 0) {
        first = hour + k;
        peak = f;
        break;
      }
    }
    let alert: WeatherObservation['alert'] = null;
    if (first >= 0) {
      let start = first;
      while (start > hour - 48 && stormy(start - 1) > 0) start--;
      let end = first + 1;
      while (end < first + 48) {
        const f = stormy(end);
        if (f === 0) break;
        peak = Math.max(peak, f);
        end++;
      }
      const gustMPerS = Math.round(g.baseWindMPerS + 30 * peak);
      alert = {
        kind: 'STORM',
        severity: start * HOUR_MS <= tMs + 3 * HOUR_MS ? 'WARNING' : 'WATCH',
        startsAtMs: start * HOUR_MS,
        endsAtMs: end * HOUR_MS,
        text: `Storm ${g.cell.cellId}: front passing, gusts to ${gustMPerS} m/s`,
      };
    }
    alertMemo.set(g.cell.cellId, { hour, alert });
    return alert;
  };

  const at = (cellId: string, tMs: number): CellWeather => {
    const g = lookup(cellId);
    const lat = g.cell.latitudeDeg;
    const h = tMs / HOUR_MS;
    const f = front(g, tMs);
    const cloud = Math.min(1, Math.max(0, cloudFromFront(f) + 0.12 * smoothNoise1(g.key, h / 3)));
    const hemisphere = lat >= 0 ? 1 : -1;
    const season = -Math.cos((2 * Math.PI * (dayOfYear(tMs) - 20)) / 365.25) * hemisphere;
    const meanC = 27 - 0.55 * Math.max(0, Math.abs(lat) - 15) + (4 + 0.2 * Math.abs(lat)) * season;
    const diurnal = 5.5 * (1 - 0.6 * cloud) * Math.cos((2 * Math.PI * (solarTimeHours(g.cell.longitudeDeg, tMs) - 15)) / 24);
    const temperatureC = meanC + diurnal - 3 * Math.max(0, f - 0.5) + 2.5 * smoothNoise1(g.key ^ 0x51ed27, h / 20);
    const windSpeedMPerS = Math.max(0, g.baseWindMPerS * (1 + 0.3 * smoothNoise1(g.key ^ 0x7a3c11, h / 6)) + 25 * Math.max(0, f - 0.55));
    const { clear, sun } = clearSkyOf(g, tMs);
    // Broken clouds flicker (20-minute scale), most at half cover; the beam suffers far more than the global.
    const broken = 4 * cloud * (1 - cloud) * smoothNoise1(g.key ^ 0x5bd1e9, h * 3);
    const ghi = Math.max(0, irradianceUnderClouds(clear.ghi, cloud) * (1 + 0.12 * broken));
    const dni = Math.min(sun.up > 0 ? ghi / sun.up : 0, Math.max(0, clear.dni * Math.pow(1 - cloud, 1.6) * (1 + 0.5 * broken)));
    return {
      temperatureC,
      cloudCoverPct: cloud * 100,
      irradianceWPerM2: ghi,
      dniWPerM2: dni,
      dhiWPerM2: Math.max(0, ghi - dni * Math.max(0, sun.up)),
      sun,
      windSpeedMPerS,
      alert: alertAt(g, tMs),
    };
  };

  return {
    cells, at, frontAt: (cellId, tMs) => front(lookup(cellId), tMs),
    clearSkyAt: (cellId, tMs) => {
      const s = clearSkyOf(lookup(cellId), tMs);
      return { linke: s.linke, clear: s.clear };
    },
  };
};

/** The weather provider's observation for a cell: the shape of weather.observations.v1. */
export const observeCell = (field: WeatherField, cellId: string, tMs: number): WeatherObservation => {
  const w = field.at(cellId, tMs);
  // The feed carries what a weather provider publishes: the global, not the world's beam and diffuse.
  return { cellId, observedAtMs: tMs, temperatureC: w.temperatureC, cloudCoverPct: w.cloudCoverPct, irradianceWPerM2: w.irradianceWPerM2, windSpeedMPerS: w.windSpeedMPerS, alert: w.alert };
};

