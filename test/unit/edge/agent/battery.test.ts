import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { powerBounds, siteBalance, stepBattery, type BatterySpec } from '../../../../services/edge/agent/battery.ts';

const spec: BatterySpec = { batteryKwh: 13.5, maxChargeKw: 5, maxDischargeKw: 5, roundTripEfficiency: 0.9 };
const HOUR = 3_600_000;

const arbSpec = fc.record({
  batteryKwh: fc.double({ min: 1, max: 40, noNaN: true }),
  maxChargeKw: fc.double({ min: 0.5, max: 15, noNaN: true }),
  maxDischargeKw: fc.double({ min: 0.5, max: 15, noNaN: true }),
  roundTripEfficiency: fc.double({ min: 0.6, max: 1, noNaN: true }),
});

describe('battery', () => {
  it('never exceeds power limits nor leaves 0..100 %, and moves SoC the way power says', () => {
    fc.assert(fc.property(arbSpec, fc.double({ min: 0, max: 100, noNaN: true }), fc.double({ min: -50, max: 50, noNaN: true }), fc.integer({ min: 1, max: 4 * HOUR }), (s, soc, kw, dt) => {
      const r = stepBattery({ socPct: soc }, s, kw, dt);
      expect(r.actualKw).toBeLessThanOrEqual(s.maxDischargeKw + 1e-9);
      expect(r.actualKw).toBeGreaterThanOrEqual(-s.maxChargeKw - 1e-9);
      expect(r.socPct).toBeGreaterThanOrEqual(0);
      expect(r.socPct).toBeLessThanOrEqual(100);
      if (kw >= 0) expect(r.actualKw).toBeLessThanOrEqual(kw + 1e-9);
      else expect(r.actualKw).toBeGreaterThanOrEqual(kw - 1e-9);
      if (r.actualKw > 0) expect(r.socPct).toBeLessThanOrEqual(soc);
      if (r.actualKw < 0) expect(r.socPct).toBeGreaterThanOrEqual(soc);
      if (r.actualKw > 1e-3 && dt > 60_000) expect(r.socPct).toBeLessThan(soc);
    }));
  });

  it('conserves energy with the efficiency split: what comes out of a full cycle is RTE x what went in', () => {
    fc.assert(fc.property(arbSpec, (s) => {
      let soc = 0;
      let inKwh = 0;
      let outKwh = 0;
      const dt = 60_000;
      for (let i = 0; i < 100_000 && soc < 100; i++) {
        const r = stepBattery({ socPct: soc }, s, -s.maxChargeKw, dt);
        inKwh += (-r.actualKw * dt) / HOUR;
        soc = r.socPct;
      }
      for (let i = 0; i < 100_000 && soc > 0; i++) {
        const r = stepBattery({ socPct: soc }, s, s.maxDischargeKw, dt);
        outKwh += (r.actualKw * dt) / HOUR;
        soc = r.socPct;
      }
      expect(inKwh).toBeCloseTo(s.batteryKwh / Math.sqrt(s.roundTripEfficiency), 6);
      expect(outKwh / inKwh).toBeCloseTo(s.roundTripEfficiency, 6);
    }), { numRuns: 20 });
  });

  it('the last step before empty or full is trimmed to what the energy allows', () => {
    const nearlyEmpty = stepBattery({ socPct: 1 }, spec, 5, HOUR);
    expect(nearlyEmpty.socPct).toBeCloseTo(0, 9);
    expect(nearlyEmpty.actualKw).toBeCloseTo(0.135 * Math.sqrt(0.9), 9);
    const nearlyFull = stepBattery({ socPct: 99 }, spec, -5, HOUR);
    expect(nearlyFull.socPct).toBeCloseTo(100, 9);
    expect(nearlyFull.actualKw).toBeCloseTo(-0.135 / Math.sqrt(0.9), 9);
    expect(stepBattery({ socPct: 50 }, spec, Number.NaN, HOUR)).toEqual({ socPct: 50, actualKw: 0 });
  });

  it('powerBounds keeps a floor: no discharge at or below it', () => {
    expect(powerBounds(spec, 20, HOUR, 20).maxDischargeKw).toBe(0);
    expect(powerBounds(spec, 15, HOUR, 20).maxDischargeKw).toBe(0);
    expect(powerBounds(spec, 100, HOUR).maxChargeKw).toBe(0);
    expect(powerBounds(spec, 50, HOUR).maxDischargeKw).toBe(5);
  });

  it('grid = load - solar - battery', () => {
    expect(siteBalance({ loadKw: 3, solarKw: 1, batteryKw: 1.5 })).toBeCloseTo(0.5, 12);
    expect(siteBalance({ loadKw: 0.5, solarKw: 4, batteryKw: -2 })).toBeCloseTo(-1.5, 12);
  });
});
