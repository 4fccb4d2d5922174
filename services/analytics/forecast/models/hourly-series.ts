/**
 * Hourly series, the one shape every model reads: values[i] is the mean over the hour starting at
 * startMs + i hours (UTC), NaN where nothing was observed. Gaps are NaN, never zero, so a model can
 * tell "dark" from "no data".
 */
export const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export interface HourlySeries {
  /** Start of values[0], on an hour boundary, UTC epoch ms. */
  readonly startMs: number;
  readonly values: ArrayLike<number>;
}

/** UTC hour of day, 0..23. */
export const hourOfDay = (tMs: number): number => Math.floor((((tMs % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS);

/** UTC day of week, 0 = Monday .. 6 = Sunday (1970-01-01 was a Thursday). */
export const dayOfWeek = (tMs: number): number => (((Math.floor(tMs / DAY_MS) + 3) % 7) + 7) % 7;

/** UTC hour of week, 0 = Monday 00:00 .. 167. */
export const hourOfWeek = (tMs: number): number => dayOfWeek(tMs) * 24 + hourOfDay(tMs);

export const floorHour = (tMs: number): number => Math.floor(tMs / HOUR_MS) * HOUR_MS;

/**
 * Points (time, value) averaged into hourly buckets from fromMs (floored to the hour) up to but
 * not including toMs. Non-finite values are ignored; empty hours are NaN.
 */
export const toHourly = (points: ReadonlyArray<readonly [number, number]>, fromMs: number, toMs: number): HourlySeries => {
  const startMs = floorHour(fromMs);
  const n = Math.max(0, Math.ceil((toMs - startMs) / HOUR_MS));
  const sum = new Float64Array(n);
  const cnt = new Uint32Array(n);
  for (const [t, v] of points) {
    if (!Number.isFinite(v) || t < startMs || t >= toMs) continue;
    const i = Math.floor((t - startMs) / HOUR_MS);
    sum[i] = (sum[i] ?? 0) + v;
    cnt[i] = (cnt[i] ?? 0) + 1;
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = (cnt[i] ?? 0) > 0 ? (sum[i] ?? 0) / (cnt[i] ?? 1) : NaN;
  return { startMs, values };
};

/** Index of the last finite value before `end` (exclusive), or -1. */
export const lastFinite = (values: ArrayLike<number>, end: number): number => {
  for (let i = Math.min(end, values.length) - 1; i >= 0; i--) if (Number.isFinite(values[i])) return i;
  return -1;
};

/** Mean of each hour of the clear-sky (or any) curve f over [t, t+1h), from four samples. */
export const hourMean = (f: (tMs: number) => number, tMs: number): number =>
  (f(tMs + 7.5 * 60_000) + f(tMs + 22.5 * 60_000) + f(tMs + 37.5 * 60_000) + f(tMs + 52.5 * 60_000)) / 4;
