/**
 * The health panel's view model. Pure: Prometheus text from the gateway's and ingest's /metrics
 * is parsed into samples, two scrapes make a rate, and each tier gets a state from what its own
 * health endpoint said. Analytics is reported from ingest's own metrics and from the console's
 * last ClickHouse answer (the forecast panel), never by waiting on ClickHouse here.
 */

export interface MetricSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Parses the Prometheus text exposition format (comments and blank lines skipped). */
export const parsePrometheus = (text: string): MetricSample[] => {
  const out: MetricSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (m === null) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1] ?? ''] = (l[2] ?? '').replace(/\\(.)/g, '$1');
    const value = Number(m[4]);
    if (!Number.isNaN(value)) out.push({ name: m[1] ?? '', labels, value });
  }
  return out;
};

/** Sum of a metric's samples whose labels include `where`; null when the metric is absent. */
export const sumOf = (samples: readonly MetricSample[], name: string, where: Readonly<Record<string, string>> = {}): number | null => {
  let found = false;
  let sum = 0;
  for (const s of samples) {
    if (s.name !== name || !Object.entries(where).every(([k, v]) => s.labels[k] === v)) continue;
    found = true;
    sum += s.value;
  }
  return found ? sum : null;
};

/** Per-second rate of a counter between two scrapes; null when unknown or the counter reset. */
export const rateOf = (prev: { value: number | null; atMs: number } | null, now: { value: number | null; atMs: number }): number | null => {
  if (prev === null || prev.value === null || now.value === null || now.atMs <= prev.atMs || now.value < prev.value) return null;
  return ((now.value - prev.value) / (now.atMs - prev.atMs)) * 1000;
};

/** Rates are taken over about this long, so a poll that saw no new batch does not read as zero. */
export const RATE_WINDOW_MS = 10_000;

/**
 * The counter readings to keep for a rate over `windowMs`: everything newer than the window plus
 * the newest reading older than it (the base of the rate). Readings that reset the counter restart it.
 */
export const remember = (
  history: ReadonlyArray<{ value: number; atMs: number }>,
  now: { value: number | null; atMs: number },
  windowMs: number,
): Array<{ value: number; atMs: number }> => {
  if (now.value === null) return [...history];
  const last = history.at(-1);
  const all = last !== undefined && now.value < last.value ? [{ value: now.value, atMs: now.atMs }] : [...history, { value: now.value, atMs: now.atMs }];
  const old = all.filter((h) => h.atMs <= now.atMs - windowMs);
  const base = old.at(-1);
  return [...(base === undefined ? [] : [base]), ...all.filter((h) => h.atMs > now.atMs - windowMs)];
};

export const TierStates = { up: 'up', degraded: 'degraded', down: 'down', unknown: 'unknown' } as const;
export type TierState = (typeof TierStates)[keyof typeof TierStates];

export interface TierHealth {
  readonly tier: string;
  readonly state: TierState;
  readonly detail: string;
}

/** An upstream's health probe: its HTTP status, or null when it did not answer in time. */
export const tierFromStatus = (tier: string, status: number | null, url: string): TierHealth => {
  if (status === null) return { tier, state: 'down', detail: `no answer from ${url}` };
  if (status >= 200 && status < 300) return { tier, state: 'up', detail: url };
  if (status === 503) return { tier, state: 'degraded', detail: `${url} is starting or catching up (503)` };
  return { tier, state: 'down', detail: `${url} answered ${status}` };
};

export type AnalyticsState = { readonly state: 'available'; readonly atMs: number } | { readonly state: 'unavailable'; readonly atMs: number; readonly reason: string } | { readonly state: 'unknown' };

/** Analytics' state: down when the console's last ClickHouse query failed or ingest says it is paused. */
export const analyticsTier = (last: AnalyticsState, ingestPaused: number | null): TierHealth => {
  if (last.state === 'unavailable') return { tier: 'analytics (ClickHouse)', state: 'down', detail: `analytics unavailable: ${last.reason}` };
  if (ingestPaused !== null && ingestPaused > 0) return { tier: 'analytics (ClickHouse)', state: 'degraded', detail: 'ingest paused: ClickHouse refuses inserts' };
  if (last.state === 'available') return { tier: 'analytics (ClickHouse)', state: 'up', detail: 'last query answered' };
  return { tier: 'analytics (ClickHouse)', state: 'unknown', detail: 'not asked yet (open the forecast panel)' };
};

/**
 * Dispatch-to-delivered latency of the events this console created: from the moment control
 * accepted the event (`created`) to the first poll at which every targeted site had answered.
 * Events created elsewhere are not timed (the console cannot know when they were sent).
 * Resolution is the poll interval, which the panel says.
 */
export interface DeliveryTracker {
  readonly createdAtMs: Map<string, number>;
  readonly deliveredAfterMs: Map<string, number>;
}

export const createDeliveryTracker = (): DeliveryTracker => ({ createdAtMs: new Map(), deliveredAfterMs: new Map() });

export const trackCreated = (t: DeliveryTracker, eventId: string, nowMs: number): DeliveryTracker => {
  if (!t.createdAtMs.has(eventId)) t.createdAtMs.set(eventId, nowMs);
  return t;
};

export const trackDelivery = (t: DeliveryTracker, eventId: string, targeted: number, delivered: number, nowMs: number): DeliveryTracker => {
  const created = t.createdAtMs.get(eventId);
  if (created !== undefined && targeted > 0 && delivered >= targeted && !t.deliveredAfterMs.has(eventId)) t.deliveredAfterMs.set(eventId, Math.max(0, nowMs - created));
  return t;
};

export const latestDeliveryMs = (t: DeliveryTracker): number | null => {
  let best: { at: number; ms: number } | null = null;
  for (const [id, ms] of t.deliveredAfterMs) {
    const at = t.createdAtMs.get(id) ?? 0;
    if (best === null || at > best.at) best = { at, ms };
  }
  return best?.ms ?? null;
};

/** The forecast jobs per kind: the newest finished run's age (fleet time) and runs by outcome. */
export interface ForecastKindHealth {
  readonly kind: string;
  readonly ageSec: number | null;
  readonly completed: number;
  readonly partial: number;
  readonly failed: number;
}

export const forecastKinds = (samples: readonly MetricSample[]): ForecastKindHealth[] => {
  const kinds = new Set(samples.filter((s) => s.name === 'gridfleet_forecast_age_seconds' || s.name === 'gridfleet_forecast_runs_total').map((s) => s.labels['kind'] ?? ''));
  return [...kinds].filter((k) => k !== '').sort().map((kind) => ({
    kind,
    ageSec: sumOf(samples, 'gridfleet_forecast_age_seconds', { kind }),
    completed: sumOf(samples, 'gridfleet_forecast_runs_total', { kind, outcome: 'completed' }) ?? 0,
    partial: sumOf(samples, 'gridfleet_forecast_runs_total', { kind, outcome: 'partial' }) ?? 0,
    failed: sumOf(samples, 'gridfleet_forecast_runs_total', { kind, outcome: 'failed' }) ?? 0,
  }));
};

/** The forecast tier: down when its metrics do not answer, degraded when its newest run of a kind failed more than it completed. */
export const forecastTier = (status: number | null, url: string, kinds: readonly ForecastKindHealth[]): TierHealth => {
  if (status !== 200) return { tier: 'forecast jobs', state: 'down', detail: status === null ? `no answer from ${url}/metrics` : `${url}/metrics answered ${status}` };
  const bad = kinds.filter((k) => k.failed + k.partial > k.completed);
  if (bad.length > 0) return { tier: 'forecast jobs', state: 'degraded', detail: `more failed or partial runs than completed: ${bad.map((k) => k.kind).join(', ')}` };
  return { tier: 'forecast jobs', state: kinds.length === 0 ? 'unknown' : 'up', detail: kinds.length === 0 ? 'no run has finished yet' : url };
};

export interface HealthView {
  readonly atMs: number;
  readonly tiers: readonly TierHealth[];
  readonly gatewayConnections: number | null;
  readonly telemetryPerSec: number | null;
  readonly produceP99Ms: number | null;
  readonly ingestLagRecords: number | null;
  readonly ingestRowsPerSec: number | null;
  readonly dispatchToDeliveredMs: number | null;
  readonly pollMs: number;
  /** Newest forecast bundle issued for any site (the assets' environment), and the newest telemetry, both UTC ms. */
  readonly newestForecastMs: number | null;
  readonly newestTelemetryMs: number | null;
  readonly forecastKinds: readonly ForecastKindHealth[];
}

/** p99 from a Prometheus histogram's cumulative buckets, as the upper bound in ms (Infinity past the last). */
export const histogramP99Ms = (samples: readonly MetricSample[], name: string): number | null => {
  const buckets = samples
    .filter((s) => s.name === `${name}_bucket`)
    .map((s) => ({ le: s.labels['le'] === '+Inf' ? Infinity : Number(s.labels['le']), count: s.value }))
    .sort((a, b) => a.le - b.le);
  const total = buckets.at(-1)?.count ?? 0;
  if (total === 0) return null;
  const b = buckets.find((x) => x.count >= total * 0.99);
  return b === undefined ? null : b.le * 1000;
};

/** Forecast staleness in fleet time: how far the newest bundle lags the newest telemetry. */
export const forecastLagMs = (h: Pick<HealthView, 'newestForecastMs' | 'newestTelemetryMs'>): number | null =>
  h.newestForecastMs === null || h.newestTelemetryMs === null ? null : Math.max(0, h.newestTelemetryMs - h.newestForecastMs);
