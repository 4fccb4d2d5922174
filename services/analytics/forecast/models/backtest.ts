/**
 * Rolling-origin backtests, pure. At every origin the forecasters see only what was known then:
 * actuals whose hour ended at least `lagHours` before the origin (the publication delay), and,
 * with a provider, its issues published at or before the origin. Errors are scored by horizon
 * step and by horizon bucket on the points every forecaster covers (backtest-score.ts). Hours with
 * no observation are not scored. Used by `npm run forecast -- backtest`, the bench and the tests.
 *
 * - backtest: origins every `strideHours` after `warmupHours`; model, persistence, seasonal naive.
 * - backtestWithProvider: origins at the provider's issue times (the first issue at or after each
 *   stride), scoring the corrected forecast (`model`), the own history model alone (`own`), the
 *   provider as issued, persistence and seasonal naive.
 *
 * A stride that does not divide 24 (the default 7 h) moves the origin round the clock, so every
 * horizon is scored at every hour of the day. Cost is linear in the series length when the model
 * reads a bounded window (all of ours do).
 */
import { DEFAULT_BUCKETS_H, createScorer, type Scores } from './backtest-score.ts';
import { HOUR_MS, type HourlySeries } from './hourly-series.ts';
import { correctProviderForecast, type CorrectionInput, type ProviderIssue } from './provider-correction.ts';

/** A model under test: forecast `steps` hours from fromMs, reading values[0, end) only. */
export type SeriesModel = (series: HourlySeries, end: number, fromMs: number, steps: number) => number[];

export interface BacktestOptions {
  readonly steps: number;
  readonly warmupHours: number;
  readonly strideHours: number;
  /** Period of the seasonal-naive baseline, hours. */
  readonly period: number;
  /** Publication delay of the actuals, hours (default 0: the hour that just ended is known). */
  readonly lagHours?: number;
  /** Horizon bucket edges in hours (default 0, 6, 12, 24, 48). */
  readonly buckets?: readonly number[];
  /** Parts of the provider correction to apply (all by default). */
  readonly parts?: CorrectionInput['parts'];
  /** Score only the hours this accepts (e.g. daylight); all by default. */
  readonly scoreHour?: (tMs: number) => boolean;
  /** Called every few origins: (done, total). */
  readonly onProgress?: (done: number, total: number) => void;
}

export type BacktestResult<N extends string = 'model' | 'persistence' | 'seasonalNaive'> = Scores<N> & {
  readonly warmupHours: number;
  readonly strideHours: number;
  readonly lagHours: number;
};

/** The newest value known at the cut, for every step. */
export const persistenceAt = (v: ArrayLike<number>, knownEnd: number, steps: number): number[] => {
  let x = NaN;
  for (let i = Math.min(knownEnd, v.length) - 1; i >= 0; i--) if (Number.isFinite(v[i])) {
    x = v[i] ?? NaN;
    break;
  }
  return new Array<number>(steps).fill(x);
};

/** The value one period (or whole periods) before each target hour base + j, known before knownEnd. */
export const seasonalNaiveAt = (v: ArrayLike<number>, knownEnd: number, base: number, steps: number, period: number): number[] => {
  const fallback = persistenceAt(v, knownEnd, 1)[0] ?? NaN;
  return Array.from({ length: steps }, (_, j) => {
    let i = base + j - period;
    while (i >= knownEnd) i -= period;
    for (let k = 0; k < 7 && i >= 0; k++, i -= period) if (Number.isFinite(v[i])) return v[i] ?? NaN;
    return fallback;
  });
};

/**
 * Further baselines scored beside the model on the same points, each seeing what the model sees
 * (the irradiance and solar backtests add clear-sky persistence and a clear-sky climatology).
 */
export type ExtraBaselines<E extends string> = Readonly<Record<E, SeriesModel>>;

export const backtest = <E extends string = never>(series: HourlySeries, model: SeriesModel, o: BacktestOptions & { readonly extra?: ExtraBaselines<E> }): BacktestResult<'model' | 'persistence' | 'seasonalNaive' | E> => {
  const v = series.values;
  const lag = o.lagHours ?? 0;
  const extra = Object.entries(o.extra ?? {}) as Array<[E, SeriesModel]>;
  const names: Array<'model' | 'persistence' | 'seasonalNaive' | E> = ['model', 'persistence', 'seasonalNaive', ...extra.map(([n]) => n)];
  const scorer = createScorer(series, names, o.steps, o.buckets ?? DEFAULT_BUCKETS_H, o.scoreHour);
  const total = Math.max(0, Math.ceil((v.length - o.warmupHours) / o.strideHours));
  let done = 0;
  for (let end = o.warmupHours; end < v.length; end += o.strideHours) {
    const known = Math.max(0, Math.floor(end - lag));
    const fromMs = series.startMs + end * HOUR_MS;
    scorer.add(fromMs, [model(series, known, fromMs, o.steps), persistenceAt(v, known, o.steps), seasonalNaiveAt(v, known, end, o.steps, o.period), ...extra.map(([, m]) => m(series, known, fromMs, o.steps))]);
    if (++done % 50 === 0) o.onProgress?.(done, total);
  }
  return { ...scorer.result(), warmupHours: o.warmupHours, strideHours: o.strideHours, lagHours: lag };
};

export type ProviderBacktestResult = BacktestResult<'model' | 'own' | 'provider' | 'persistence' | 'seasonalNaive'> & {
  /** Origins where no provider issue was usable and the model fell back to its own history. */
  readonly fallbacks: number;
};

export const backtestWithProvider = (series: HourlySeries, issues: readonly ProviderIssue[], own: SeriesModel, o: BacktestOptions): ProviderBacktestResult => {
  const v = series.values;
  const lagMs = (o.lagHours ?? 0) * HOUR_MS;
  const sorted = [...issues].sort((a, b) => a.issuedAtMs - b.issuedAtMs);
  const scorer = createScorer(series, ['model', 'own', 'provider', 'persistence', 'seasonalNaive'] as const, o.steps, o.buckets ?? DEFAULT_BUCKETS_H, o.scoreHour);
  const firstMs = series.startMs + o.warmupHours * HOUR_MS;
  const endMs = series.startMs + v.length * HOUR_MS;
  const origins: number[] = [];
  let next = firstMs;
  for (const p of sorted) {
    if (p.issuedAtMs < next || p.issuedAtMs >= endMs) continue;
    origins.push(p.issuedAtMs);
    next = p.issuedAtMs + o.strideHours * HOUR_MS;
  }
  let fallbacks = 0;
  origins.forEach((t, k) => {
    const fromMs = Math.floor(t / HOUR_MS) * HOUR_MS;
    const base = Math.round((fromMs - series.startMs) / HOUR_MS);
    const known = Math.max(0, Math.min(v.length, Math.floor((t - lagMs - series.startMs) / HOUR_MS)));
    const c = correctProviderForecast({ actuals: series, lagMs, issuedAtMs: t, fromMs, steps: o.steps, issues: sorted, own: (end, from, steps) => own(series, end, from, steps), ...(o.parts === undefined ? {} : { parts: o.parts }) });
    if (c.providerIssuedAtMs === null) fallbacks++;
    scorer.add(fromMs, [c.values, own(series, known, fromMs, o.steps), c.provider, persistenceAt(v, known, o.steps), seasonalNaiveAt(v, known, base, o.steps, o.period)]);
    if ((k + 1) % 50 === 0) o.onProgress?.(k + 1, origins.length);
  });
  return { ...scorer.result(), warmupHours: o.warmupHours, strideHours: o.strideHours, lagHours: o.lagHours ?? 0, fallbacks };
};
