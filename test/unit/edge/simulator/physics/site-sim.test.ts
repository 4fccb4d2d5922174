import { describe, expect, it } from 'vitest';
import { loadProfileParams } from '../../../../../services/edge/simulator/physics/household-load.ts';
import { simulateSiteStep, siteConditions, solarKwFrom, stepSite, type SiteSpec } from '../../../../../services/edge/simulator/physics/site-sim.ts';

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
