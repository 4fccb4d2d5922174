import { describe, expect, it } from 'vitest';
import { createWeatherField, irradianceUnderClouds, observeCell, STORM_FRONT_THRESHOLD, type WeatherCell } from '../../../../../services/edge/simulator/physics/weather-field.ts';

const HOUR = 3_600_000;
const T0 = Date.UTC(2025, 0, 1);
const cells: WeatherCell[] = [];
for (let i = 0; i < 8; i++) for (let j = 0; j < 8; j++) cells.push({ cellId: `c${i}-${j}`, latitudeDeg: 34 + i * 0.5, longitudeDeg: -121 + j * 0.5 });

const series = (seed: number, cellId: string, hours: number, stepH = 1): number[] => {
  const f = createWeatherField(seed, cells);
  return Array.from({ length: hours / stepH }, (_, k) => f.frontAt(cellId, T0 + k * stepH * HOUR));
};
const correlation = (a: number[], b: number[]): number => {
  const n = a.length;
  const ma = a.reduce((s, x) => s + x, 0) / n;
  const mb = b.reduce((s, x) => s + x, 0) / n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = (a[i] ?? 0) - ma;
    const db = (b[i] ?? 0) - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return sab / Math.sqrt(saa * sbb);
};

describe('weather field', () => {
  it('same seed gives the same weather, whatever else was asked before; another seed differs', () => {
    const a = createWeatherField(5, cells);
    const b = createWeatherField(5, cells);
    const c = createWeatherField(6, cells);
    const t = T0 + 1234 * HOUR + 17 * 60_000;
    a.at('c3-3', t - 50 * HOUR); // a different history of queries
    expect(a.at('c3-3', t)).toEqual(b.at('c3-3', t));
    expect(observeCell(a, 'c0-7', t)).toEqual(observeCell(b, 'c0-7', t));
    const diffs = cells.filter((cell) => a.at(cell.cellId, t).cloudCoverPct !== c.at(cell.cellId, t).cloudCoverPct).length;
    expect(diffs).toBeGreaterThan(cells.length / 2);
  });

  it('values are physical: clouds 0..100, irradiance within clear sky and zero at night, plausible temperature and wind', () => {
    const f = createWeatherField(1, cells);
    for (let h = 0; h < 24 * 365; h += 7) {
      const cell = cells[h % cells.length];
      if (cell === undefined) throw new Error('no cell');
      const t = T0 + h * HOUR;
      const w = f.at(cell.cellId, t);
      const { linke, clear: sky } = f.clearSkyAt(cell.cellId, t);
      const clear = sky.ghi;
      expect(linke).toBeGreaterThanOrEqual(1.6);
      expect(linke).toBeLessThanOrEqual(7);
      expect(w.cloudCoverPct).toBeGreaterThanOrEqual(0);
      expect(w.cloudCoverPct).toBeLessThanOrEqual(100);
      // Broken clouds may lift the global up to 12 % above the clear sky (cloud enhancement).
      expect(w.irradianceWPerM2).toBeLessThanOrEqual(1.12 * clear + 1e-9);
      expect(w.irradianceWPerM2).toBeGreaterThanOrEqual(0.22 * clear - 1e-9);
      if (clear === 0) expect(w.irradianceWPerM2).toBe(0);
      // Closure: global = beam x cos(zenith) + diffuse, the beam never above the clear sky's by more than the flicker.
      expect(w.dniWPerM2 * Math.max(0, w.sun.up) + w.dhiWPerM2).toBeCloseTo(w.irradianceWPerM2, 6);
      expect(w.dniWPerM2).toBeLessThanOrEqual(1.5 * sky.dni + 1e-9);
      expect(w.temperatureC).toBeGreaterThan(-20);
      expect(w.temperatureC).toBeLessThan(45);
      expect(w.windSpeedMPerS).toBeGreaterThanOrEqual(0);
      expect(w.windSpeedMPerS).toBeLessThan(40);
    }
    expect(irradianceUnderClouds(1000, 1)).toBeCloseTo(250, 6);
    expect(irradianceUnderClouds(1000, 0)).toBe(1000);
  });

  it('the world\'s haze wanders day by day around the climatology (the model assumes the climatology)', () => {
    const f = createWeatherField(4, cells);
    const noon = (d: number): number => f.clearSkyAt('c4-4', Date.UTC(2025, 5, 1 + d, 12)).linke;
    const days = Array.from({ length: 60 }, (_, d) => noon(d));
    const mean = days.reduce((a, b) => a + b, 0) / days.length;
    const sd = Math.sqrt(days.reduce((a, b) => a + (b - mean) ** 2, 0) / days.length);
    expect(sd).toBeGreaterThan(0.25);
    expect(Math.abs(mean - 3.4)).toBeLessThan(0.8);
    // Autocorrelated: neighbouring days closer than days three weeks apart.
    const lag = (k: number): number => days.slice(k).reduce((a, x, i) => a + Math.abs(x - (days[i] ?? x)), 0) / (days.length - k);
    expect(lag(1)).toBeLessThan(lag(21));
  });

  it('summer is warmer than winter and afternoons warmer than nights', () => {
    const f = createWeatherField(2, cells);
    const mean = (t0: number, hours: number[]): number => hours.reduce((s, h) => s + f.at('c4-4', t0 + h * HOUR).temperatureC, 0) / hours.length;
    const days = Array.from({ length: 20 }, (_, d) => d * 24);
    expect(mean(Date.UTC(2025, 6, 1), days)).toBeGreaterThan(mean(Date.UTC(2025, 0, 5), days) + 5);
    // 15:00 local solar (about 23:00 UTC) vs 04:00 local (about 12:00 UTC)
    expect(mean(Date.UTC(2025, 6, 1, 23), days)).toBeGreaterThan(mean(Date.UTC(2025, 6, 1, 12), days) + 3);
  });

  it('fronts are shared by neighbours and decorrelate with distance', () => {
    const near = correlation(series(3, 'c4-4', 2000), series(3, 'c4-5', 2000));
    const far = correlation(series(3, 'c0-0', 2000), series(3, 'c7-7', 2000));
    expect(near).toBeGreaterThan(0.8);
    expect(far).toBeLessThan(near - 0.2);
  });

  it('fronts move: a cell sees the front a neighbour saw earlier (or later) better than at the same time', () => {
    // The field is advected, so some nonzero lag correlates the cells more than lag 0.
    const a = series(4, 'c4-0', 3000);
    const b = series(4, 'c4-7', 3000);
    let bestLag = 0;
    let best = -1;
    for (let lag = -30; lag <= 30; lag++) {
      const c = correlation(a.slice(40, 2900), b.slice(40 + lag, 2900 + lag));
      if (c > best) {
        best = c;
        bestLag = lag;
      }
    }
    expect(bestLag).not.toBe(0);
    expect(best).toBeGreaterThan(correlation(a.slice(40, 2900), b.slice(40, 2900)) + 0.05);
  });

  it('issues storm alerts ahead of strong fronts, deterministically from the seed', () => {
    const f = createWeatherField(1, cells);
    let alerts = 0;
    let stormyHoursCovered = 0;
    let stormyHours = 0;
    for (let h = 0; h < 24 * 120; h++) {
      const t = T0 + h * HOUR;
      const w = f.at('c4-4', t);
      const stormy = f.frontAt('c4-4', t + HOUR / 2) > STORM_FRONT_THRESHOLD;
      if (stormy) stormyHours++;
      if (w.alert !== null) {
        alerts++;
        expect(w.alert.kind).toBe('STORM');
        expect(w.alert.endsAtMs).toBeGreaterThan(w.alert.startsAtMs);
        expect(w.alert.startsAtMs).toBeLessThanOrEqual(t + 24 * HOUR);
        expect(['WATCH', 'WARNING']).toContain(w.alert.severity);
        if (stormy) stormyHoursCovered++;
      }
    }
    expect(stormyHours).toBeGreaterThan(0);
    expect(stormyHoursCovered).toBe(stormyHours); // every stormy hour is under an alert
    expect(alerts).toBeLessThan(24 * 120 * 0.5); // and alerts are occasional
    // the watch precedes the storm: a day before a storm starts, the alert is already out
    const firstStorm = Array.from({ length: 24 * 120 }, (_, h) => h).find((h) => h > 30 && f.frontAt('c4-4', T0 + (h + 0.5) * HOUR) > STORM_FRONT_THRESHOLD && f.frontAt('c4-4', T0 + (h - 0.5) * HOUR) <= STORM_FRONT_THRESHOLD);
    expect(firstStorm).toBeDefined();
    const early = f.at('c4-4', T0 + ((firstStorm ?? 0) - 12) * HOUR).alert;
    expect(early?.startsAtMs).toBe(T0 + (firstStorm ?? 0) * HOUR);
    expect(early?.severity).toBe('WATCH');
  });

  it('rejects an unknown cell loudly', () => {
    expect(() => createWeatherField(1, cells).at('nope', T0)).toThrow(/unknown cell/);
  });
});
