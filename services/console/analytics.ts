/**
 * The console's only path to ClickHouse: the forecast panel's read-only queries over the HTTP
 * interface as the `analyst` user, each with a short timeout. Any failure (refused, timed out,
 * an error answer) becomes "analytics unavailable" with its reason; nothing else in the console
 * waits on this, and nothing here is called for the fleet, dispatch or health panels.
 */
import { actualsSql, actualsWindow, errorByHorizonSql, forecastView, latestForecastSql, type ForecastView } from './forecast-queries.ts';
import type { AnalyticsState } from './health-view.ts';

export interface AnalyticsDeps {
  readonly url: string;
  readonly user: string;
  readonly password: string;
  readonly timeoutMs: number;
  readonly now: () => number;
}

type Rows = ReadonlyArray<Record<string, unknown>>;

const query = async (d: AnalyticsDeps, sql: string, params: Readonly<Record<string, string>>): Promise<Rows> => {
  const u = new URL(d.url);
  // The analyst user is readonly=1: no settings in the request (its own max_execution_time applies server-side).
  u.searchParams.set('default_format', 'JSON');
  for (const [k, v] of Object.entries(params)) u.searchParams.set(`param_${k}`, v);
  const res = await fetch(u, {
    method: 'POST', body: sql, signal: AbortSignal.timeout(d.timeoutMs),
    headers: { 'x-clickhouse-user': d.user, 'x-clickhouse-key': d.password, 'content-type': 'text/plain' },
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`ClickHouse answered ${res.status}: ${text.slice(0, 300)}`);
  const body = JSON.parse(text) as { data?: unknown };
  return Array.isArray(body.data) ? (body.data as Rows) : [];
};

const reasonOf = (e: unknown): string => {
  if (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError')) return 'ClickHouse did not answer in time';
  const cause = e instanceof Error && e.cause instanceof Error ? `: ${e.cause.message}` : '';
  return `${e instanceof Error ? e.message : String(e)}${cause}`;
};

export interface Analytics {
  forecast(scope: string): Promise<ForecastView>;
  state(): AnalyticsState;
}

export const createAnalytics = (d: AnalyticsDeps): Analytics => {
  let last: AnalyticsState = { state: 'unknown' };
  return {
    state: () => last,
    async forecast(scope) {
      try {
        // A failing score query (a heavy join on a big history) must not hide the forecasts themselves.
        const [latest, errors] = await Promise.all([
          query(d, latestForecastSql, { scope }),
          query(d, errorByHorizonSql, { scope }).then((rows) => ({ rows, note: null }), (e: unknown) => ({ rows: [] as Rows, note: reasonOf(e) })),
        ]);
        const w = actualsWindow(latest, d.now());
        const actuals = w === null ? [] : await query(d, actualsSql, { scope, from_ms: String(w.fromMs), to_ms: String(w.toMs), step: String(w.step) });
        last = { state: 'available', atMs: d.now() };
        return forecastView(scope, latest, actuals, errors.rows, errors.note === null ? null : `error by horizon unavailable: ${errors.note}`);
      } catch (e) {
        const reason = reasonOf(e);
        last = { state: 'unavailable', atMs: d.now(), reason };
        return { state: 'unavailable', scope, reason };
      }
    },
  };
};
