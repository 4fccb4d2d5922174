/**
 * The two baselines every model is scored against, pure, on hourly series:
 * - persistence: the newest observed value, for every horizon;
 * - seasonal naive: the value one period (24 h, or 168 h for load) before the target, stepping
 *   back whole periods until an observed hour before the origin; persistence where none is.
 */
import { lastFinite } from './hourly-series.ts';

export const persistence = (values: ArrayLike<number>, end: number, steps: number): number[] => {
  const i = lastFinite(values, end);
  const x = i < 0 ? NaN : (values[i] ?? NaN);
  return new Array<number>(steps).fill(x);
};

export const seasonalNaive = (values: ArrayLike<number>, end: number, steps: number, period: number): number[] => {
  const fallback = persistence(values, end, 1)[0] ?? NaN;
  const out: number[] = new Array<number>(steps);
  for (let j = 0; j < steps; j++) {
    let i = end + j - period;
    while (i >= end) i -= period;
    let x = NaN;
    for (let k = 0; k < 7 && i >= 0; k++, i -= period) {
      const v = values[i] ?? NaN;
      if (Number.isFinite(v)) {
        x = v;
        break;
      }
    }
    out[j] = Number.isFinite(x) ? x : fallback;
  }
  return out;
};
