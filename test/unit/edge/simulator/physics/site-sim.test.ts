import { describe, expect, it } from 'vitest';
import { loadProfileParams } from '../../../../../services/edge/simulator/physics/household-load.ts';
import { arrayIrradiance, simulateSiteStep, siteConditions, solarKwFrom, stepSite, type SiteSpec } from '../../../../../services/edge/simulator/physics/site-sim.ts';

const spec: SiteSpec = { batteryKwh: 13.5, maxChargeKw: 5, maxDischargeKw: 5, roundTripEfficiency: 0.9, solarKwp: 6, load: loadProfileParams(1, 'site-1', -8) };
const T = Date.UTC(2025, 5, 2, 20);
const MIN15 = 15 * 60_000;

describe('site step', () => {
  it('produces no solar without sun and never more than the array size', () => {
    expect(solarKwFrom(6, 0, 20)).toBe(0);
    expect(solarKwFrom(6, 1000, 25)).toBeLessThanOrEqual(6);
    expect(solarKwFrom(6, 1000, 5)).toBeGreaterThan(solarKwFrom(6, 1000, 35)); // hot panels yield less
    expect(siteConditions(spec, { temperatureC: 10, irradianceWPerM2: 0 }, T).solarKw).toBe(0);
  });

  it('balances the site: grid = load - solar - battery, with the battery within limits', () => {
    for (const setpoint of [-20, -3, 0, 2, 20]) {
      const { state, measurement: m } = simulateSiteStep(spec, { socPct: 50, batteryTempC: 25 }, { temperatureC: 22, irradianceWPerM2: 700 }, T, MIN15, setpoint);
      expect(m.gridKw).toBeCloseTo(m.loadKw - m.solarKw - m.batteryKw, 12);
      expect(Math.abs(m.batteryKw)).toBeLessThanOrEqual(5);
      expect(state.socPct).toBe(m.socPct);
      expect(Math.sign(m.batteryKw)).toBe(Math.sign(setpoint));
    }
  });

  it('is deterministic and warms the battery when it works hard', () => {
    const c = siteConditions(spec, { temperatureC: 20, irradianceWPerM2: 500 }, T);
    const a = stepSite(spec, { socPct: 50, batteryTempC: 20 }, c, 5, MIN15);
    expect(stepSite(spec, { socPct: 50, batteryTempC: 20 }, c, 5, MIN15)).toEqual(a);
    const idle = stepSite(spec, { socPct: 50, batteryTempC: 20 }, c, 0, MIN15);
    expect(a.measurement.batteryTempC).toBeGreaterThan(idle.measurement.batteryTempC);
  });
});

describe('the array on its plane', () => {
  it('a south array at a low winter sun takes more than the horizontal, a north one less; flat or without components it is the global', () => {
    // Sun 20 degrees up, due south: east 0, north -cos(20), up sin(20).
    const sun = { east: 0, north: -Math.cos(20 * Math.PI / 180), up: Math.sin(20 * Math.PI / 180) };
    const w = { temperatureC: 5, irradianceWPerM2: 0.34 * 700 + 80, dniWPerM2: 700, dhiWPerM2: 80, sun };
    expect(arrayIrradiance({ tiltDeg: 50, azimuthDeg: 180 }, w)).toBeGreaterThan(2 * w.irradianceWPerM2);
    expect(arrayIrradiance({ tiltDeg: 50, azimuthDeg: 0 }, w)).toBeLessThan(0.5 * w.irradianceWPerM2);
    expect(arrayIrradiance({}, w)).toBe(w.irradianceWPerM2);
    expect(arrayIrradiance({ tiltDeg: 50, azimuthDeg: 180 }, { temperatureC: 5, irradianceWPerM2: 318 })).toBe(318);
  });
});
