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
 * fronts, and smooth per-cell noise. Irradiance: Haurwitz clear sky x (1 - 0.75 c^3.4), the
 * Kasten-Czeplak cloud attenuation with c the cloud fraction.
 */
import type { WeatherObservation } from '../../../platform/events.ts';
import { hash32, hashUnit, smoothNoise1, valueNoise3 } from './random.ts';
import { clearSkyGhiAt, dayOfYear, solarTimeHours } from '../../../platform/solar-geometry.ts';

const HOUR_MS = 3_600_000;
const RAD = Math.PI / 180;

export interface WeatherCell {
  readonly cellId: string;
  readonly latitudeDeg: number;
  readonly longitudeDeg: number;
}

export interface CellWeather {
  readonly temperatureC: number;
  readonly cloudCoverPct: number;
  readonly irradianceWPerM2: number;
  readonly windSpeedMPerS: number;
  readonly alert: WeatherObservation['alert'];
}

export interface WeatherField {
  readonly cells: ReadonlyArray<WeatherCell>;
  /** Weather of a known cell at tMs; throws on an unknown cell id (a wiring bug, not an input). */
  at(cellId: string, tMs: number): CellWeather;
  /** Front strength in [0, 1] at a cell and time (storms above STORM_FRONT_THRESHOLD). */
  frontAt(cellId: string, tMs: number): number;
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
    const clear = clearSkyGhiAt(lat, g.cell.longitudeDeg, tMs);
    return {
      temperatureC,
      cloudCoverPct: cloud * 100,
      irradianceWPerM2: irradianceUnderClouds(clear, cloud),
      windSpeedMPerS,
      alert: alertAt(g, tMs),
    };
  };

  return { cells, at, frontAt: (cellId, tMs) => front(lookup(cellId), tMs) };
};

/** The weather provider's observation for a cell: the shape of weather.observations.v1. */
export const observeCell = (field: WeatherField, cellId: string, tMs: number): WeatherObservation => {
  const w = field.at(cellId, tMs);
  return { cellId, observedAtMs: tMs, ...w };
};

