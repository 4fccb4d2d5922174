import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clearSkyGhiAt } from '../../../../services/platform/solar-geometry.ts';
import { forecastCarbon } from '../../../../services/analytics/forecast/models/emissions-model.ts';
import { HOUR_MS, hourOfWeek, toHourly, type HourlySeries } from '../../../../services/analytics/forecast/models/hourly-series.ts';
import { completeProfile, FALLBACK_LOAD_KW, forecastSiteLoad } from '../../../../services/analytics/forecast/models/load-model.ts';
import { seasonalAnomalyForecast, DEFAULT_SEASONAL } from '../../../../services/analytics/forecast/models/seasonal-anomaly.ts';
import { clampFactor, FALLBACK_SOLAR_FACTOR, forecastSiteSolar, forecastSky, solarFromSky } from '../../../../services/analytics/forecast/models/solar-model.ts';
import { poaHayDavies, surfaceNormal } from '../../../../services/platform/plane-of-array.ts';
import { activeAlerts, FALLBACK_TEMPERATURE_C, forecastCellWeather, type CellHistory } from '../../../../services/analytics/forecast/models/weather-model.ts';

const START = Date.UTC(2025, 5, 1);
const finiteOrNaN = fc.oneof(fc.double({ min: -50, max: 1500, noNaN: true }), fc.constant(Number.NaN));
const seriesArb = (len: number): fc.Arbitrary<HourlySeries> => fc.array(finiteOrNaN, { minLength: 0, maxLength: len }).map((v) => ({ startMs: START, values: v }));
const place = fc.record({ latitudeDeg: fc.double({ min: -60, max: 65, noNaN: true }), longitudeDeg: fc.double({ min: -180, max: 180, noNaN: true }) });
const hourStart = fc.integer({ min: 0, max: 400 }).map((h) => START + h * HOUR_MS);

describe('weather model', () => {
  it('always gives 48 finite hourly values; irradiance never negative and zero where the sun is down; cloud within 0..100', () => {
    fc.assert(fc.property(place, seriesArb(400), seriesArb(400), seriesArb(400), hourStart, (p, t, c, g, from) => {
      const h: CellHistory = { ...p, temperatureC: t, cloudCoverPct: c, irradianceWPerM2: g, alerts: [] };
      const f = forecastCellWeather(h, 400, from, 48, from);
      expect([f.temperatureC.length, f.cloudCoverPct.length, f.irradianceWPerM2.length]).toEqual([48, 48, 48]);
      f.irradianceWPerM2.forEach((x, j) => {
        expect(x).toBeGreaterThanOrEqual(0);
        const sunUp = [7.5, 22.5, 37.5, 52.5].some((m) => clearSkyGhiAt(p.latitudeDeg, p.longitudeDeg, from + j * HOUR_MS + m * 60_000) > 0);
        if (!sunUp) expect(x).toBe(0);
      });
      for (const x of [...f.temperatureC, ...f.cloudCoverPct]) expect(Number.isFinite(x)).toBe(true);
      for (const x of f.cloudCoverPct) expect(x >= 0 && x <= 100).toBe(true);
    }), { numRuns: 60 });
  });

  it('with no history at all, falls back to the documented defaults instead of failing', () => {
    const empty: HourlySeries = { startMs: START, values: [] };
    const f = forecastCellWeather({ latitudeDeg: 50, longitudeDeg: 8, temperatureC: empty, cloudCoverPct: empty, irradianceWPerM2: empty, alerts: [] }, 0, START, 48, START);
    expect(f.temperatureC.every((x) => x === FALLBACK_TEMPERATURE_C)).toBe(true);
  });

  it('follows a warm anomaly at short horizons and returns toward climatology later', () => {
    // A diurnal cycle plus anomalies that persist (AR(1), 0.9 per hour), ending 6 degrees warm.
    let a = 0;
    const values = Array.from({ length: 24 * 14 }, (_, i) => {
      a = 0.9 * a + 0.5 * Math.sin(i * 12.9898);
      return 10 + 5 * Math.sin((2 * Math.PI * (i % 24)) / 24) + a;
    });
    values[values.length - 1] = 10 + 5 * Math.sin((2 * Math.PI * ((values.length - 1) % 24)) / 24) + 6;
    const f = seasonalAnomalyForecast({ startMs: START, values }, values.length, START + values.length * HOUR_MS, 48, DEFAULT_SEASONAL);
    const clim = (j: number): number => 10 + 5 * Math.sin((2 * Math.PI * ((values.length + j) % 24)) / 24);
    expect((f[0] ?? 0) - clim(0)).toBeGreaterThan(3);
    expect(Math.abs((f[47] ?? 0) - clim(47))).toBeLessThan((f[0] ?? 0) - clim(0));
  });

  it('keeps the alerts that overlap the horizon, most severe first, and drops expired ones', () => {
    const a = (severity: 'WATCH' | 'WARNING', s: number, e: number) => ({ kind: 'STORM' as const, severity, startsAtMs: START + s * HOUR_MS, endsAtMs: START + e * HOUR_MS });
    const got = activeAlerts([a('WATCH', -10, -2), a('WATCH', 5, 9), a('WARNING', 20, 30), a('WATCH', 60, 70)], START, START + 48 * HOUR_MS);
    expect(got.map((x) => [x.severity, (x.startsAtMs - START) / HOUR_MS])).toEqual([['WARNING', 20], ['WATCH', 5]]);
  });
});

describe('solar model', () => {
  it('is never negative, never above kWp, and zero at night, whatever the factor and clearness', () => {
    fc.assert(fc.property(place, fc.double({ min: 0, max: 50, noNaN: true }), fc.option(fc.double({ min: -5, max: 5 })), fc.array(fc.double({ min: -2, max: 3 }), { minLength: 48, maxLength: 48 }), hourStart,
      (p, kwp, factor, clearness, from) => {
        const kw = forecastSiteSolar({ ...p, solarKwp: kwp, factor }, clearness, from);
        expect(kw).toHaveLength(48);
        kw.forEach((x, j) => {
          expect(x >= 0 && x <= kwp).toBe(true);
          const sunUp = [7.5, 22.5, 37.5, 52.5].some((m) => clearSkyGhiAt(p.latitudeDeg, p.longitudeDeg, from + j * HOUR_MS + m * 60_000) > 0);
          if (!sunUp) expect(x).toBe(0);
        });
      }), { numRuns: 200 });
  });

  it('a site with no learned factor uses the documented fallback; absurd factors are clamped', () => {
    expect(clampFactor(null)).toBe(FALLBACK_SOLAR_FACTOR);
    expect(clampFactor(Number.NaN)).toBe(FALLBACK_SOLAR_FACTOR);
    expect(clampFactor(40)).toBe(1.2);
    expect(clampFactor(0.01)).toBe(0.2);
  });

  it('scales with the factor: twice the factor, twice the kW (below the kWp cap)', () => {
    const from = Date.UTC(2025, 5, 21, 8);
    const k = new Array<number>(48).fill(0.5);
    const a = forecastSiteSolar({ latitudeDeg: 48, longitudeDeg: 11, solarKwp: 10, factor: 0.3 }, k, from);
    const b = forecastSiteSolar({ latitudeDeg: 48, longitudeDeg: 11, solarKwp: 10, factor: 0.6 }, k, from);
    expect((b[4] ?? 0) / (a[4] ?? 1)).toBeCloseTo(2, 6);
  });

  it('the inlined transposition is the platform\'s Hay-Davies, sample by sample (orientation and altitude from the registry)', () => {
    fc.assert(fc.property(place, hourStart, fc.double({ min: 0, max: 90, noNaN: true }), fc.double({ min: 0, max: 360, noNaN: true }), fc.double({ min: 0, max: 3000, noNaN: true }), fc.array(fc.double({ min: 0, max: 1.2, noNaN: true }), { minLength: 48, maxLength: 48 }),
      (p, from, tiltDeg, azimuthDeg, altitudeM, clearness) => {
        const sky = forecastSky(p.latitudeDeg, p.longitudeDeg, clearness, from, altitudeM);
        const normal = surfaceNormal({ tiltDeg, azimuthDeg });
        const kw = solarFromSky(sky, { ...p, solarKwp: 1000, factor: null, orientation: { tiltDeg, azimuthDeg }, altitudeM });
        kw.forEach((x, j) => {
          let poa = 0;
          for (let q = 0; q < 4; q++) {
            const i = j * 4 + q;
            poa += poaHayDavies({ sky: { ghi: sky.ghi[i] ?? 0, dni: sky.dni[i] ?? 0, dhi: sky.dhi[i] ?? 0 }, sun: { east: sky.east[i] ?? 0, north: sky.north[i] ?? 0, up: sky.up[i] ?? 0 }, normal, dniExtra: sky.dniExtra[i] ?? 0 }) / 4;
          }
          expect(Math.abs(x - Math.min(1000, FALLBACK_SOLAR_FACTOR * poa))).toBeLessThan(1e-6);
        });
      }), { numRuns: 60 });
  });
});

describe('load model', () => {
  it('is never negative and always 48 finite values, with holes anywhere in the profile', () => {
    fc.assert(fc.property(fc.array(fc.oneof(fc.double({ min: 0, max: 15, noNaN: true }), fc.constant(Number.NaN)), { minLength: 168, maxLength: 168 }),
      fc.double({ min: -2, max: 2, noNaN: true }), fc.double({ min: -2, max: 2, noNaN: true }), fc.array(fc.double({ min: -40, max: 50 }), { minLength: 48, maxLength: 48 }), hourStart,
      (how, heat, cool, temps, from) => {
        const nan = new Float64Array(168).fill(Number.NaN);
        const kw = forecastSiteLoad({ howMeans: how, heatKwPerC: heat, coolKwPerC: cool, recent: null }, { hdd: nan, cdd: nan }, temps, from);
        expect(kw).toHaveLength(48);
        for (const x of kw) expect(Number.isFinite(x) && x >= 0).toBe(true);
      }), { numRuns: 200 });
  });

  it('fills an unseen hour of the week from the same hour on other days, then the site mean, then the fallback', () => {
    const how = new Array<number>(168).fill(Number.NaN);
    how[24 + 7] = 2; // Tuesday 07 UTC
    how[48 + 7] = 4; // Wednesday 07
    how[10] = 1; // Monday 10
    const p = completeProfile(how);
    expect(p[7]).toBe(3); // Monday 07: mean of the other 07s
    expect(p[3]).toBeCloseTo(7 / 3, 9); // 03 never seen: the site mean
    expect(completeProfile(new Array<number>(168).fill(Number.NaN))[5]).toBe(FALLBACK_LOAD_KW);
  });

  it('adds heating load when the forecast is colder than what the profile saw', () => {
    const from = Date.UTC(2025, 0, 6);
    const flat = new Array<number>(168).fill(1);
    const deg = { hdd: new Array<number>(168).fill(4), cdd: new Array<number>(168).fill(0) };
    const warm = forecastSiteLoad({ howMeans: flat, heatKwPerC: 0.1, coolKwPerC: 0, recent: null }, deg, new Array<number>(48).fill(12), from);
    const cold = forecastSiteLoad({ howMeans: flat, heatKwPerC: 0.1, coolKwPerC: 0, recent: null }, deg, new Array<number>(48).fill(2), from);
    expect(warm[0]).toBeCloseTo(1, 9);
    expect(cold[0]).toBeCloseTo(2, 9);
    expect(hourOfWeek(from)).toBe(0);
  });
});

describe('emissions model', () => {
  it('never forecasts negative carbon and keeps the horizon', () => {
    fc.assert(fc.property(seriesArb(600), hourStart, (s, from) => {
      const c = forecastCarbon(s, 600, from, 48);
      expect(c).toHaveLength(48);
      for (const x of c) expect(Number.isFinite(x) && x >= 0).toBe(true);
    }), { numRuns: 60 });
  });
});

describe('hourly series', () => {
  it('averages points into hours and leaves empty hours NaN (a gap is not a zero)', () => {
    const s = toHourly([[START, 1], [START + 30 * 60_000, 3], [START + 2 * HOUR_MS, 5]], START, START + 3 * HOUR_MS);
    expect(Array.from(s.values)).toEqual([2, Number.NaN, 5]);
  });
});

describe('clear sky per run', () => {
  it('the per-run sun grid gives what the simulator physics gives, hour by hour', async () => {
    const { clearSkySeries, clearSkyHourMean } = await import('../../../../services/analytics/forecast/models/clearness.ts');
    fc.assert(fc.property(place, hourStart, (p, from) => {
      const fast = clearSkySeries(p.latitudeDeg, p.longitudeDeg, from, 48);
      fast.forEach((x, j) => expect(Math.abs(x - clearSkyHourMean(p.latitudeDeg, p.longitudeDeg, from + j * HOUR_MS))).toBeLessThan(1e-6));
    }), { numRuns: 50 });
  });
});
