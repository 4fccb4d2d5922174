/**
 * An area forecast issued earlier, moved onto a later run's grid, pure: drop the hours already
 * past, and fill the hours beyond its horizon with the value a day earlier (the daily cycle
 * carries on). Null when it does not overlap the new grid at all.
 */
import { HOUR_MS } from './models/hourly-series.ts';

export const alignSeries = (values: readonly number[], fromMs: number, toFromMs: number, steps: number): number[] | null => {
  const offset = Math.round((toFromMs - fromMs) / HOUR_MS);
  if (offset < 0 || offset >= values.length || values.length === 0) return null;
  const out = values.slice(offset, offset + steps);
  for (let j = out.length; j < steps; j++) out.push(j >= 24 ? (out[j - 24] ?? NaN) : (out.at(-1) ?? NaN));
  return out;
};
