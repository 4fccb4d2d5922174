/**
 * A provider's forecast, corrected and blended with the own history model, pure. At issue time
 * T, with actuals known only up to T minus the publication delay, and the provider's issues
 * published at or before T:
 *
 * 1. Calibration (model output statistics): per lead bucket (0-6, 6-12, 12-24, 24+ h), the
 *    ratio of what happened to what the provider said over every (issue, hour) pair of the last
 *    14 days whose actual is known (the first issue of every 2 hours), shrunk by how clearly it
 *    stands out from the noise, and kept only where the older week's ratio helped in the newer
 *    week. This removes a steady bias and leaves an unbiased provider alone.
 * 2. Recent error: the calibrated error of the newest known hour (by the newest issue that covered
 *    it) carries on into the next hours as much as the history says it does: beta(d), the
 *    regression of the error d hours later on the error now, measured at every past issue.
 * 3. Blend: the corrected provider and the own model are weighted per lead bucket by what each
 *    did at six past issue times (the weight that minimises their combined squared error,
 *    capped and shrunk), so the own model is used where it adds something and not otherwise.
 *
 * It reads nothing past T: actuals after the delay and issues after T are never read (a test
 * changes them and checks the forecast does not move). Without a provider issue it returns the
 * own model and says why, which the run records.
 */
import { HOUR_MS, type HourlySeries } from './hourly-series.ts';

/** One provider issue on the hourly grid: values[i] is its mean over [startMs + i h, +1 h). */
export interface ProviderIssue {
  readonly issuedAtMs: number;
  readonly startMs: number;
  readonly values: ArrayLike<number>;
}

export interface CorrectionInput {
  readonly actuals: HourlySeries;
  /** Publication delay: an hour's actual is known from its end plus this. */
  readonly lagMs: number;
  readonly issuedAtMs: number;
  readonly fromMs: number;
  readonly steps: number;
  /** Issues in any order; those after issuedAtMs or older than 14 days are ignored. */
  readonly issues: readonly ProviderIssue[];
  /** The own history model: `steps` hours from fromMs, reading actuals[0, end) only. */
  readonly own: (end: number, fromMs: number, steps: number) => number[];
  /** Which parts to apply (all by default): for ablations, to see what each one buys. */
  readonly parts?: { readonly calibrate?: boolean; readonly recentError?: boolean; readonly blend?: boolean; readonly guard?: boolean };
}

export interface CorrectedForecast {
  readonly values: number[];
  /** The provider issue used, or null (fallback to the own model, with the reason). */
  readonly providerIssuedAtMs: number | null;
  readonly reason: string | null;
  /** The raw provider values on the same steps (NaN where it said nothing). */
  readonly provider: number[];
  /** Weight of the own model per step. */
  readonly ownWeight: number[];
}

export const LEAD_BUCKETS_H = [0, 6, 12, 24] as const;
const HISTORY_MS = 14 * 24 * HOUR_MS;
const MAX_ISSUE_AGE_MS = 12 * HOUR_MS;
const MAX_D = 12;
const BLEND_ORIGINS = 6;
const GUARD_ORIGINS = 24;
/** Hours over which a provider's error stays about the same (its errors are not independent hour by hour). */
const ERROR_HOURS = 12;
/** The newer part of the history the older part's calibration is checked on. */
const HOLDOUT_HOURS = 7 * 24;
/** Issues learnt from: the first of every 2-hour slot (30-minute issues say nearly the same thing twice). */
const LEARN_SLOT_MS = 2 * HOUR_MS;

const bucketOf = (leadH: number): number => {
  let b = 0;
  for (let i = 0; i < LEAD_BUCKETS_H.length; i++) if (leadH >= (LEAD_BUCKETS_H[i] ?? 0)) b = i;
  return b;
};
const valueAt = (p: ProviderIssue, tMs: number): number => {
  const i = Math.round((tMs - p.startMs) / HOUR_MS);
  return i >= 0 && i < p.values.length ? (p.values[i] ?? NaN) : NaN;
};
const leadOf = (p: ProviderIssue, tMs: number): number => Math.max(0, Math.floor((tMs - p.issuedAtMs) / HOUR_MS));

/** The issues a correction at issuedAtMs may read (published by then, at most 14 days old), oldest first. */
const usableIssues = (all: readonly ProviderIssue[], issuedAtMs: number): ProviderIssue[] =>
  all.filter((p) => p.issuedAtMs <= issuedAtMs && p.issuedAtMs > issuedAtMs - HISTORY_MS).sort((a, b) => a.issuedAtMs - b.issuedAtMs);

/**
 * Why a correction at issuedAtMs would fall back to the own model, or null when it uses the
 * provider: the run planner asks this to record a run's inputs, and the correction itself asks it,
 * so what a run record says is what the run did.
 */
export const providerFallbackReason = (all: readonly ProviderIssue[], issuedAtMs: number, fromMs: number, steps: number): string | null => {
  const latest = usableIssues(all, issuedAtMs).at(-1);
  if (latest === undefined) return 'no provider forecast issued in the last 14 days';
  if (latest.issuedAtMs < issuedAtMs - MAX_ISSUE_AGE_MS) return `the newest provider forecast is ${Math.round((issuedAtMs - latest.issuedAtMs) / HOUR_MS)} h old`;
  if (!Array.from({ length: steps }, (_, j) => valueAt(latest, fromMs + j * HOUR_MS)).some(Number.isFinite)) return 'the newest provider forecast does not cover the horizon';
  return null;
};

interface Calibration { readonly a: Float64Array; readonly c: Float64Array }
const calibrated = (cal: Calibration, b: number, x: number): number => (cal.a[b] ?? 0) + (cal.c[b] ?? 1) * x;

export const correctProviderForecast = (o: CorrectionInput): CorrectedForecast => {
  const { actuals, issuedAtMs, fromMs, steps } = o;
  const v = actuals.values;
  const knownEnd = Math.max(0, Math.min(v.length, Math.floor((issuedAtMs - o.lagMs - actuals.startMs) / HOUR_MS)));
  const known = (i: number): number => (i >= 0 && i < knownEnd ? (v[i] ?? NaN) : NaN);
  const tOf = (i: number): number => actuals.startMs + i * HOUR_MS;
  const idxOf = (tMs: number): number => Math.round((tMs - actuals.startMs) / HOUR_MS);
  const ownNow = (): number[] => o.own(knownEnd, fromMs, steps);
  const issues = usableIssues(o.issues, issuedAtMs);
  const latest = issues.at(-1);
  const learn = issues.filter((p, k) => k === 0 || Math.floor(p.issuedAtMs / LEARN_SLOT_MS) !== Math.floor((issues[k - 1]?.issuedAtMs ?? 0) / LEARN_SLOT_MS));
  const rawAt = (tMs: number): number => (latest === undefined ? NaN : valueAt(latest, tMs));
  const provider = Array.from({ length: steps }, (_, j) => rawAt(fromMs + j * HOUR_MS));
  const fallback = (reason: string): CorrectedForecast => ({ values: ownNow(), providerIssuedAtMs: null, reason, provider, ownWeight: new Array<number>(steps).fill(1) });
  const why = providerFallbackReason(issues, issuedAtMs, fromMs, steps);
  if (why !== null || latest === undefined) return fallback(why ?? 'no provider forecast');

  // 1. Calibration per lead bucket over known (issue, hour) pairs.
  const nb = LEAD_BUCKETS_H.length;
  const pairsOf = (lo: number, hi: number, f: (b: number, x: number, y: number, i: number) => void): void => {
    for (const p of learn) {
      const i0 = Math.max(lo, idxOf(Math.max(p.startMs, Math.floor(p.issuedAtMs / HOUR_MS) * HOUR_MS)));
      const i1 = Math.min(hi, idxOf(p.startMs + p.values.length * HOUR_MS));
      for (let i = i0; i < i1; i++) {
        const y = known(i);
        const x = valueAt(p, tOf(i));
        if (Number.isFinite(y) && Number.isFinite(x)) f(bucketOf(leadOf(p, tOf(i))), x, y, i);
      }
    }
  };
  // A ratio (what happened over what was said), not a free slope and offset: the pairs are
  // strongly correlated (an error lasts hours), so a two-parameter fit chases noise. The ratio is
  // applied only as far as it stands out from that noise (positive-part James-Stein on the mean
  // error, one independent error per ERROR_HOURS of target time), and only where the ratio of the
  // older week would have helped in the newer one: a provider without a steady bias is left alone
  // instead of being "corrected" by the last fortnight's luck.
  const fitCalibration = (hi: number): Calibration => {
    const sx = new Float64Array(nb), sy = new Float64Array(nb), srr = new Float64Array(nb), n = new Float64Array(nb);
    const hours = Array.from({ length: nb }, () => new Set<number>());
    pairsOf(0, hi, (b, x, y, i) => {
      sx[b] = (sx[b] ?? 0) + x; sy[b] = (sy[b] ?? 0) + y; srr[b] = (srr[b] ?? 0) + (y - x) * (y - x); n[b] = (n[b] ?? 0) + 1;
      hours[b]?.add(i);
    });
    const cal: Calibration = { a: new Float64Array(nb), c: new Float64Array(nb).fill(1) };
    for (let b = 0; b < nb; b++) {
      const k = n[b] ?? 0;
      const sxb = sx[b] ?? 0;
      if (o.parts?.calibrate === false || k < 24 || Math.abs(sxb) < 1e-9) continue;
      const meanR = ((sy[b] ?? 0) - sxb) / k;
      const varR = Math.max(1e-12, (srr[b] ?? 0) / k - meanR * meanR);
      const t2 = (meanR * meanR) / (varR / Math.max(1, (hours[b]?.size ?? 0) / ERROR_HOURS));
      const ratio = Math.min(1.5, Math.max(0.67, (sy[b] ?? 0) / sxb));
      cal.c[b] = 1 + (ratio - 1) * Math.max(0, 1 - 1 / t2);
    }
    return cal;
  };
  const cal = fitCalibration(knownEnd);
  const mid = knownEnd - HOLDOUT_HOURS;
  const older = fitCalibration(mid);
  const eCal = new Float64Array(nb), eRaw = new Float64Array(nb);
  pairsOf(Math.max(0, mid), knownEnd, (b, x, y) => {
    eCal[b] = (eCal[b] ?? 0) + Math.abs(calibrated(older, b, x) - y);
    eRaw[b] = (eRaw[b] ?? 0) + Math.abs(x - y);
  });
  for (let b = 0; b < nb; b++) if ((eCal[b] ?? 0) >= (eRaw[b] ?? 0) && o.parts?.guard !== false) cal.c[b] = 1;

  // 2. Error of the newest known hour at each decision time, and how it carries on.
  /** Newest issue published by min(before, hour i's start) that covers hour i (issues are sorted: a binary search). */
  const coverAt = (i: number, before: number): ProviderIssue | undefined => {
    const limit = Math.min(before, tOf(i));
    let lo = 0, hi = issues.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((issues[mid]?.issuedAtMs ?? Infinity) <= limit) lo = mid + 1;
      else hi = mid;
    }
    for (let k = lo - 1; k >= 0 && k >= lo - 4; k--) {
      const p = issues[k];
      if (p !== undefined && Number.isFinite(valueAt(p, tOf(i)))) return p;
    }
    return undefined;
  };
  const anomalyOf = (p: ProviderIssue, i: number): number => known(i) - calibrated(cal, bucketOf(leadOf(p, tOf(i))), valueAt(p, tOf(i)));
  const lastKnownAt = (tMs: number): number => Math.min(knownEnd, Math.floor((tMs - o.lagMs - actuals.startMs) / HOUR_MS)) - 1;
  const errorNow = (tMs: number): { i: number; a: number } | null => {
    for (let i = lastKnownAt(tMs); i >= Math.max(0, lastKnownAt(tMs) - 3); i--) {
      const p = coverAt(i, tMs);
      if (p === undefined) continue;
      const a = anomalyOf(p, i);
      if (Number.isFinite(a)) return { i, a };
    }
    return null;
  };
  const num = new Float64Array(MAX_D + 1), den = new Float64Array(MAX_D + 1), pairs = new Uint32Array(MAX_D + 1);
  for (const p of learn) {
    const e = errorNow(p.issuedAtMs);
    if (e === null) continue;
    for (let d = 1; d <= MAX_D && e.i + d < knownEnd; d++) {
      const a = anomalyOf(p, e.i + d);
      if (!Number.isFinite(a) || tOf(e.i + d) < p.issuedAtMs - HOUR_MS) continue;
      num[d] = (num[d] ?? 0) + a * e.a; den[d] = (den[d] ?? 0) + e.a * e.a; pairs[d] = (pairs[d] ?? 0) + 1;
    }
  }
  const beta = new Float64Array(MAX_D + 1);
  // Never rising with d; a lag with too few pairs (the first, which the newest issue does not
  // cover) says nothing and does not cap the others.
  let prev = 1;
  for (let d = 1; d <= MAX_D; d++) {
    const k = pairs[d] ?? 0;
    if (k < 24 || !((den[d] ?? 0) > 0)) continue;
    const b = Math.min(prev, Math.max(0, (num[d] ?? 0) / (den[d] ?? 1)) * (k / (k + 48)));
    beta[d] = b;
    prev = b;
  }
  const correctedAt = (p: ProviderIssue, at: number, from: number, count: number): number[] => {
    const e = errorNow(at);
    return Array.from({ length: count }, (_, j) => {
      const t = from + j * HOUR_MS;
      const x = valueAt(p, t);
      if (!Number.isFinite(x)) return NaN;
      const d = e === null ? 0 : idxOf(t) - e.i;
      return calibrated(cal, bucketOf(leadOf(p, t)), x) + (e === null || d < 1 || d > MAX_D || o.parts?.recentError === false ? 0 : (beta[d] ?? 0) * e.a);
    });
  };

  // 3. At past decision times whose horizon is known by now: is the correction better than the
  // provider as issued (per bucket; if not, the provider is used as issued), and how much of the
  // own model to blend in (six of them, the own model costs more).
  const nbk = nb;
  const sc = new Float64Array(nbk), sr = new Float64Array(nbk), scc = new Float64Array(nbk), soo = new Float64Array(nbk), sco = new Float64Array(nbk), m = new Float64Array(nbk);
  for (let k = 1; k <= GUARD_ORIGINS; k++) {
    const at = Math.floor((issuedAtMs - o.lagMs) / HOUR_MS) * HOUR_MS - (steps + 1) * HOUR_MS - (k - 1) * 13 * HOUR_MS;
    const p = issues.findLast((q) => q.issuedAtMs <= at);
    if (p === undefined || p.issuedAtMs < at - MAX_ISSUE_AGE_MS) continue;
    const from = Math.floor(at / HOUR_MS) * HOUR_MS;
    const c = correctedAt(p, at, from, steps);
    const ow = k <= BLEND_ORIGINS ? o.own(Math.max(0, lastKnownAt(at) + 1), from, steps) : null;
    for (let j = 0; j < steps; j++) {
      const t = from + j * HOUR_MS;
      const y = known(idxOf(t));
      const ec = (c[j] ?? NaN) - y, er = valueAt(p, t) - y;
      if (!Number.isFinite(ec) || !Number.isFinite(er)) continue;
      const b = bucketOf(leadOf(p, t));
      sc[b] = (sc[b] ?? 0) + Math.abs(ec); sr[b] = (sr[b] ?? 0) + Math.abs(er);
      const eo = ow === null ? NaN : (ow[j] ?? NaN) - y;
      if (!Number.isFinite(eo)) continue;
      scc[b] = (scc[b] ?? 0) + ec * ec; soo[b] = (soo[b] ?? 0) + eo * eo; sco[b] = (sco[b] ?? 0) + ec * eo; m[b] = (m[b] ?? 0) + 1;
    }
  }
  const useCorrection = Array.from({ length: nbk }, (_, b) => o.parts?.guard === false || (sc[b] ?? 0) <= (sr[b] ?? 0));
  const w = Array.from({ length: nbk }, (_, b) => {
    const den2 = (scc[b] ?? 0) + (soo[b] ?? 0) - 2 * (sco[b] ?? 0);
    const raw = den2 > 0 ? ((scc[b] ?? 0) - (sco[b] ?? 0)) / den2 : 0;
    return o.parts?.blend === false ? 0 : Math.min(0.6, Math.max(0, raw)) * ((m[b] ?? 0) / ((m[b] ?? 0) + 48));
  });

  const own = ownNow();
  const corrected = correctedAt(latest, issuedAtMs, fromMs, steps).map((c, j) => (useCorrection[bucketOf(leadOf(latest, fromMs + j * HOUR_MS))] ?? true ? c : (provider[j] ?? NaN)));
  const ownWeight = corrected.map((c, j) => (Number.isFinite(c) ? (w[bucketOf(leadOf(latest, fromMs + j * HOUR_MS))] ?? 0) : 1));
  const values = corrected.map((c, j) => (Number.isFinite(c) ? (1 - (ownWeight[j] ?? 0)) * c + (ownWeight[j] ?? 0) * (own[j] ?? c) : (own[j] ?? NaN)));
  return { values, providerIssuedAtMs: latest.issuedAtMs, reason: null, provider, ownWeight };
};
