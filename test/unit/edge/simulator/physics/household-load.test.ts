import { describe, expect, it } from 'vitest';
import { householdLoadKw, loadProfileParams } from '../../../../../services/edge/simulator/physics/household-load.ts';

const HOUR = 3_600_000;
const MONDAY_LOCAL_MIDNIGHT = Date.UTC(2025, 5, 2, 8); // UTC-8

describe('household load', () => {
  it('same seed and site give the same profile and load; another seed or site differs', () => {
    const p = loadProfileParams(1, 'site-000001', -8);
    expect(loadProfileParams(1, 'site-000001', -8)).toEqual(p);
    expect(loadProfileParams(2, 'site-000001', -8)).not.toEqual(p);
    expect(loadProfileParams(1, 'site-000002', -8)).not.toEqual(p);
    const t = MONDAY_LOCAL_MIDNIGHT + 13.3 * HOUR;
    expect(householdLoadKw(p, t, 20)).toBe(householdLoadKw(loadProfileParams(1, 'site-000001', -8), t, 20));
  });

  it('is positive, peaks in the evening, and is low at night, across many sites', () => {
    let evening = 0;
    let night = 0;
    for (let s = 0; s < 200; s++) {
      const p = loadProfileParams(3, `site-${s}`, -8);
      for (let d = 0; d < 5; d++) {
        for (let h = 0; h < 24; h += 0.5) expect(householdLoadKw(p, MONDAY_LOCAL_MIDNIGHT + (d * 24 + h) * HOUR, 18)).toBeGreaterThan(0);
        evening += householdLoadKw(p, MONDAY_LOCAL_MIDNIGHT + (d * 24 + 19) * HOUR, 18);
        night += householdLoadKw(p, MONDAY_LOCAL_MIDNIGHT + (d * 24 + 3) * HOUR, 18);
      }
    }
    expect(evening).toBeGreaterThan(2.5 * night);
  });

  it('rises when it is cold (heating) or hot (cooling)', () => {
    let mild = 0;
    let cold = 0;
    let hot = 0;
    for (let s = 0; s < 200; s++) {
      const p = loadProfileParams(4, `site-${s}`, -8);
      const t = MONDAY_LOCAL_MIDNIGHT + 19 * HOUR;
      mild += householdLoadKw(p, t, 20);
      cold += householdLoadKw(p, t, 0);
      hot += householdLoadKw(p, t, 38);
      expect(householdLoadKw(p, t, 0)).toBeGreaterThanOrEqual(householdLoadKw(p, t, 20));
    }
    expect(cold).toBeGreaterThan(mild * 1.1);
    expect(hot).toBeGreaterThan(mild * 1.1);
  });
});
