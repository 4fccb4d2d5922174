import { describe, expect, it } from 'vitest';
import { backtest } from '../../../../services/analytics/forecast/models/backtest.ts';
import { persistence, seasonalNaive } from '../../../../services/analytics/forecast/models/baselines.ts';
import { baselinePeriod, loadWithTemperatureModel, seriesModel, type SeriesKind } from '../../../../services/analytics/forecast/models/series-models.ts';
import { simSeries, SIM_PLACE } from './sim-series.ts';

const OPTS = { steps: 48, warmupHours: 21 * 24, strideHours: 7 };

describe('backtest on the simulator: every model beats persistence and seasonal naive over 48 hours', () => {
  // Six weeks of April-May from the fleet simulator's physics, two seeds (two different weather
  // and grid histories); three weeks of warm-up, then an origin every 7 hours.
  for (const seed of [3, 7]) {
    const sim = simSeries(seed, Date.UTC(2025, 3, 1), 42);
    const kinds: SeriesKind[] = ['temperature', 'cloud', 'irradiance', 'carbon', 'solar'];
    for (const kind of kinds) {
      it(`${kind}, seed ${seed}`, () => {
        const r = backtest(sim[kind], seriesModel(kind, SIM_PLACE), { ...OPTS, period: baselinePeriod(kind) });
        expect(r.origins).toBeGreaterThan(60);
        expect(r.maeByHorizon.model).toHaveLength(48);
        const { model, persistence: p, seasonalNaive: s } = r.overall;
        expect(model).not.toBeNull();
        expect({ kind, beatsPersistence: (model ?? Infinity) < (p ?? 0), beatsSeasonalNaive: (model ?? Infinity) < (s ?? 0) }).toEqual({ kind, beatsPersistence: true, beatsSeasonalNaive: true });
      });
    }
    it(`load with the forecast temperature, seed ${seed}`, () => {
      const r = backtest(sim.load, loadWithTemperatureModel(sim.temperature), { ...OPTS, period: 168 });
      expect((r.overall.model ?? Infinity) < (r.overall.persistence ?? 0)).toBe(true);
      expect((r.overall.model ?? Infinity) < (r.overall.seasonalNaive ?? 0)).toBe(true);
    });
  }

  it('negative control: a model that forecasts the series mean loses to seasonal naive on solar', () => {
    const sim = simSeries(3, Date.UTC(2025, 3, 1), 42);
    const mean = (s: ArrayLike<number>, end: number): number => Array.from(s).slice(0, end).reduce((a, b) => a + b, 0) / end;
    const r = backtest(sim.solar, (s, end, _f, steps) => new Array<number>(steps).fill(mean(s.values, end)), { ...OPTS, period: 24 });
    expect((r.overall.model ?? 0) > (r.overall.seasonalNaive ?? Infinity)).toBe(true);
  });
});

describe('baselines', () => {
  it('persistence repeats the newest observed value; seasonal naive the value a period back', () => {
    const v = [1, 2, 3, 4, Number.NaN];
    expect(persistence(v, 5, 3)).toEqual([4, 4, 4]);
    expect(seasonalNaive([10, 11, 12, 13], 4, 5, 2)).toEqual([12, 13, 12, 13, 12]);
  });

  it('scores only observed hours and reports MAE per horizon', () => {
    const values = [0, 0, 0, 0, 1, Number.NaN, 1, 1];
    const r = backtest({ startMs: 0, values }, (_s, _e, _f, steps) => new Array<number>(steps).fill(1), { steps: 2, warmupHours: 4, strideHours: 1, period: 2 });
    expect(r.maeByHorizon.model).toEqual([0, 0]);
    expect(r.maeByHorizon.persistence[0]).toBeCloseTo(1 / 3, 9); // origins 4, 6, 7 at h1 (5 is NaN): 1, 0, 0
  });
});
