import { describe, expect, it } from 'vitest';
import { demandMw, EMISSION_FACTORS_G_PER_KWH, gridMixAt, gridRegionParams } from '../../../../../services/edge/simulator/physics/grid-mix.ts';

const HOUR = 3_600_000;
const MONDAY = Date.UTC(2025, 5, 2, 8); // local midnight at about 120 W

describe('grid mix', () => {
  const region = gridRegionParams(1, 'region-01', 34, -120);

  it('same seed gives the same mix; regions and seeds differ', () => {
    expect(gridMixAt(region, MONDAY + 5 * HOUR)).toEqual(gridMixAt(gridRegionParams(1, 'region-01', 34, -120), MONDAY + 5 * HOUR));
    const other = gridRegionParams(1, 'region-02', 34, -120);
    const otherSeed = gridRegionParams(2, 'region-01', 34, -120);
    expect(other.peakDemandMw).not.toBe(region.peakDemandMw);
    expect(otherSeed.peakDemandMw).not.toBe(region.peakDemandMw);
    const carbons = Array.from({ length: 12 }, (_, i) => gridMixAt(gridRegionParams(1, `region-${i}`, 34, -120), MONDAY + 12 * HOUR).carbonGPerKwh);
    expect(Math.max(...carbons) - Math.min(...carbons)).toBeGreaterThan(100);
  });

  it('generation meets demand, carbon stays within the factors, solar only by day', () => {
    for (let r = 0; r < 6; r++) {
      const p = gridRegionParams(3, `region-${r}`, 33 + r, -121 + r);
      for (let h = 0; h < 24 * 14; h++) {
        const t = MONDAY + h * HOUR;
        const mix = gridMixAt(p, t, 60);
        const total = mix.generation.reduce((s, g) => s + g.mw, 0);
        expect(total).toBeCloseTo(mix.demandMw, 6);
        for (const g of mix.generation) expect(g.mw).toBeGreaterThanOrEqual(0);
        expect(mix.carbonGPerKwh).toBeGreaterThanOrEqual(EMISSION_FACTORS_G_PER_KWH.WIND);
        expect(mix.carbonGPerKwh).toBeLessThanOrEqual(EMISSION_FACTORS_G_PER_KWH.COAL);
        expect(mix.carbonGPerKwh).toBeLessThan(1000);
        expect(mix.regionId).toBe(`region-${r}`);
        expect(mix.observedAtMs).toBe(t);
        const localHour = (h + 24) % 24;
        const solar = mix.generation.find((g) => g.source === 'SOLAR')?.mw ?? -1;
        if (localHour < 4 || localHour > 21) expect(solar).toBe(0);
      }
    }
  });

  it('demand has a daily shape (evening above night) and a weekly one (weekdays above weekends)', () => {
    const mean = (from: number, days: number[], hour: number): number => days.reduce((s, d) => s + demandMw(region, from + (d * 24 + hour) * HOUR), 0) / days.length;
    expect(mean(MONDAY, [0, 1, 2, 3, 4], 19)).toBeGreaterThan(mean(MONDAY, [0, 1, 2, 3, 4], 3) * 1.2);
    expect(mean(MONDAY, [0, 1, 2, 3, 4], 12)).toBeGreaterThan(mean(MONDAY, [5, 6], 12));
  });

  it('midday carbon is lower than evening carbon in a solar-heavy region', () => {
    const sunny = { ...region, solarCapacityMw: region.peakDemandMw * 0.6, windCapacityMw: 0, nuclearMw: 0, coalShare: 0.5 };
    let noon = 0;
    let evening = 0;
    for (let d = 0; d < 7; d++) {
      noon += gridMixAt(sunny, MONDAY + (d * 24 + 12) * HOUR).carbonGPerKwh;
      evening += gridMixAt(sunny, MONDAY + (d * 24 + 20) * HOUR).carbonGPerKwh;
    }
    expect(noon).toBeLessThan(evening);
  });
});
