import { describe, expect, it } from 'vitest';
import { clearSkyGhiAt, clearSkyGhiWPerM2, dayOfYear, declinationDeg, solarPosition } from '../../../services/platform/solar-geometry.ts';

const HOUR = 3_600_000;

describe('sun position and clear sky', () => {
  it('day of year and declination follow the seasons', () => {
    expect(dayOfYear(Date.UTC(2025, 0, 1, 12))).toBe(1);
    expect(dayOfYear(Date.UTC(2024, 11, 31))).toBe(366);
    expect(declinationDeg(172)).toBeGreaterThan(23); // June solstice
    expect(declinationDeg(355)).toBeLessThan(-23); // December solstice
    expect(Math.abs(declinationDeg(80))).toBeLessThan(1.5); // March equinox
  });

  it('the sun is overhead at noon on the equator at the equinox and below the horizon at midnight', () => {
    const noon = solarPosition(0, 0, Date.UTC(2025, 2, 20, 12));
    expect(noon.elevationDeg).toBeGreaterThan(87);
    expect(Math.abs(noon.hourAngleDeg)).toBeLessThan(3);
    expect(solarPosition(0, 0, Date.UTC(2025, 2, 20, 0)).elevationDeg).toBeLessThan(-80);
  });

  it('noon elevation at 37 N is about 90 - 37 + declination', () => {
    // Solar noon at 122 W is about 20:08 UTC in June.
    let best = -90;
    for (let m = 0; m < 24 * 60; m += 2) best = Math.max(best, solarPosition(37, -122, Date.UTC(2025, 5, 21) + m * 60_000).elevationDeg);
    expect(best).toBeCloseTo(90 - 37 + 23.44, 0);
  });

  it('clear-sky GHI is zero at night, positive by day, never above the Haurwitz bound', () => {
    expect(clearSkyGhiWPerM2(-5)).toBe(0);
    expect(clearSkyGhiWPerM2(0)).toBe(0);
    expect(clearSkyGhiWPerM2(90)).toBeCloseTo(1098 * Math.exp(-0.059), 3);
    const day = Date.UTC(2025, 5, 21);
    for (let h = 0; h < 24; h += 0.25) {
      const g = clearSkyGhiAt(37, -122, day + h * HOUR);
      const el = solarPosition(37, -122, day + h * HOUR).elevationDeg;
      expect(g).toBeGreaterThanOrEqual(0);
      expect(g).toBeLessThanOrEqual(1098);
      if (el <= 0) expect(g).toBe(0);
      else expect(g).toBeGreaterThan(0);
    }
    // local midnight (08:00 UTC at 122 W) is dark, local noon is bright
    expect(clearSkyGhiAt(37, -122, day + 8 * HOUR)).toBe(0);
    expect(clearSkyGhiAt(37, -122, day + 20 * HOUR)).toBeGreaterThan(850);
  });
});
