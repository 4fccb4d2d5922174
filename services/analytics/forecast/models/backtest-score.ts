/**
 * Scoring of rolling-origin forecasts, pure: absolute errors summed per step (horizon) and per
 * horizon bucket, for any set of named forecasters, counted only where every forecaster and the
 * actual have a value (so all are scored on the same points). Used by both backtests.
 */
import type { HourlySeries } from './hourly-series.ts';
import { HOUR_MS } from './hourly-series.ts';

export interface BucketScore<N extends string> {
  readonly fromH: number;
  readonly toH: number;
  readonly points: number;
  readonly mae: Record<N, number | null>;
}

export interface Scores<N extends string> {
  readonly origins: number;
  readonly points: number;
  /** MAE per step for each forecaster, plus `points` per step. */
  readonly maeByHorizon: Record<N, Array<number | null>> & { readonly points: number[] };
  readonly byBucket: Array<BucketScore<N>>;
  readonly overall: Record<N, number | null>;
}

export const DEFAULT_BUCKETS_H = [0, 6, 12, 24, 48] as const;

export const createScorer = <N extends string>(series: HourlySeries, names: readonly N[], steps: number, buckets: readonly number[], scoreHour?: (tMs: number) => boolean) => {
  const sums = names.map(() => new Float64Array(steps));
  const counts = new Uint32Array(steps);
  let origins = 0;
  return {
    /** Scores one origin: forecasts[name][j] is for the hour fromMs + j h. */
    add(fromMs: number, forecasts: readonly (ArrayLike<number>)[]): void {
      const base = Math.round((fromMs - series.startMs) / HOUR_MS);
      let scored = false;
      for (let j = 0; j < steps; j++) {
        const actual = series.values[base + j] ?? NaN;
        if (!Number.isFinite(actual) || (scoreHour !== undefined && !scoreHour(fromMs + j * HOUR_MS))) continue;
        if (!forecasts.every((f) => Number.isFinite(f[j]))) continue;
        forecasts.forEach((f, m) => {
          const s = sums[m];
          if (s !== undefined) s[j] = (s[j] ?? 0) + Math.abs((f[j] ?? 0) - actual);
        });
        counts[j] = (counts[j] ?? 0) + 1;
        scored = true;
      }
      if (scored) origins++;
    },
    result(): Scores<N> {
      const points = counts.reduce((a, b) => a + b, 0);
      const maeByHorizon = {} as Record<N, Array<number | null>>;
      const overall = {} as Record<N, number | null>;
      names.forEach((name, m) => {
        maeByHorizon[name] = Array.from({ length: steps }, (_, j) => ((counts[j] ?? 0) > 0 ? (sums[m]?.[j] ?? 0) / (counts[j] ?? 1) : null));
        overall[name] = points > 0 ? (sums[m]?.reduce((a, b) => a + b, 0) ?? 0) / points : null;
      });
      const byBucket: Array<BucketScore<N>> = [];
      for (let b = 0; b + 1 < buckets.length; b++) {
        const fromH = buckets[b] ?? 0;
        const toH = Math.min(steps, buckets[b + 1] ?? steps);
        if (fromH >= steps) break;
        let n = 0;
        const s = names.map(() => 0);
        for (let j = fromH; j < toH; j++) {
          n += counts[j] ?? 0;
          names.forEach((_, m) => (s[m] = (s[m] ?? 0) + (sums[m]?.[j] ?? 0)));
        }
        byBucket.push({ fromH, toH, points: n, mae: Object.fromEntries(names.map((name, m) => [name, n > 0 ? (s[m] ?? 0) / n : null])) as Record<N, number | null> });
      }
      return { origins, points, maeByHorizon: { ...maeByHorizon, points: Array.from(counts) }, byBucket, overall };
    },
  };
};
