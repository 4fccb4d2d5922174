/**
 * Rolling-origin backtest, pure: at every origin (every `strideHours` after `warmupHours`) the
 * model and both baselines forecast the next `steps` hours from the history before the origin
 * only, and the absolute error against what was observed is summed per horizon. Hours with no
 * observation are not scored. Used by `npm run forecast -- backtest`, the bench and the tests.
 */
import { persistence, seasonalNaive } from './baselines.ts';
import { HOUR_MS, type HourlySeries } from './hourly-series.ts';

/** A model under test: forecast `steps` hours from startMs + end hours, reading values[0, end) only. */
export type SeriesModel = (series: HourlySeries, end: number, fromMs: number, steps: number) => number[];

export interface BacktestOptions {
  readonly steps: number;
  readonly warmupHours: number;
  readonly strideHours: number;
  /** Period of the seasonal-naive baseline, hours. */
  readonly period: number;
}

export interface MaeByHorizon {
  readonly model: Array<number | null>;
  readonly persistence: Array<number | null>;
  readonly seasonalNaive: Array<number | null>;
}

export interface BacktestResult {
  readonly origins: number;
  readonly points: number;
  readonly maeByHorizon: MaeByHorizon;
  /** Mean over every scored point, all horizons together. */
  readonly overall: { readonly model: number | null; readonly persistence: number | null; readonly seasonalNaive: number | null };
}

export const backtest = (series: HourlySeries, model: SeriesModel, o: BacktestOptions): BacktestResult => {
  const v = series.values;
  const names = ['model', 'persistence', 'seasonalNaive'] as const;
  const sums = names.map(() => new Float64Array(o.steps));
  const counts = new Uint32Array(o.steps);
  let origins = 0;
  for (let end = o.warmupHours; end < v.length; end += o.strideHours) {
    const fromMs = series.startMs + end * HOUR_MS;
    const forecasts = [model(series, end, fromMs, o.steps), persistence(v, end, o.steps), seasonalNaive(v, end, o.steps, o.period)];
    let scored = false;
    for (let j = 0; j < o.steps && end + j < v.length; j++) {
      const actual = v[end + j] ?? NaN;
      if (!Number.isFinite(actual)) continue;
      if (!forecasts.every((f) => Number.isFinite(f[j]))) continue;
      forecasts.forEach((f, m) => {
        const s = sums[m];
        if (s !== undefined) s[j] = (s[j] ?? 0) + Math.abs((f[j] ?? 0) - actual);
      });
      counts[j] = (counts[j] ?? 0) + 1;
      scored = true;
    }
    if (scored) origins++;
  }
  const mae = (m: number): Array<number | null> => Array.from({ length: o.steps }, (_, j) => ((counts[j] ?? 0) > 0 ? (sums[m]?.[j] ?? 0) / (counts[j] ?? 1) : null));
  const points = counts.reduce((a, b) => a + b, 0);
  const overall = (m: number): number | null => (points > 0 ? (sums[m]?.reduce((a, b) => a + b, 0) ?? 0) / points : null);
  return {
    origins, points,
    maeByHorizon: { model: mae(0), persistence: mae(1), seasonalNaive: mae(2) },
    overall: { model: overall(0), persistence: overall(1), seasonalNaive: overall(2) },
  };
};
