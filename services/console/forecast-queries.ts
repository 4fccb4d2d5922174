/**
 * The forecast panel's questions to ClickHouse (docs/analytics.md tables) and the view built from
 * the answers. Pure: SQL text with ClickHouse query parameters ({scope:String}), never string
 * concatenation of user input; the scope is any asset or environment id: a site, feeder,
 * substation, region, weather cell or grid region.
 *
 * - latest: the newest forecast run touching the scope, per target time: solar and load summed
 *   over its sites, carbon intensity and temperature averaged;
 * - actuals: what happened over that run's window, per bucket of the run's step: telemetry
 *   (per-site means, summed), weather observations of the scope's cells, grid mix of its regions;
 * - error by horizon: mean absolute error of every stored forecast of the scope's sites against
 *   the telemetry of its target bucket, by whole hours of horizon.
 */

const SITES = `sites AS (
  SELECT site_id, weather_cell_id, grid_region_id FROM gridfleet.site_hierarchy
  WHERE {scope:String} IN (site_id, feeder_id, substation_id, region_id, fleet_id, weather_cell_id, grid_region_id)
)`;

export const latestForecastSql = `WITH ${SITES},
newest AS (SELECT argMax(run_id, issued_at) AS id FROM gridfleet.forecasts WHERE site_id IN (SELECT site_id FROM sites))
SELECT toFloat64(toUnixTimestamp64Milli(target_at)) AS t, any(run_id) AS forecast_run, toFloat64(toUnixTimestamp64Milli(max(issued_at))) AS issued_ms,
  any(step_minutes) AS step_minutes, sum(solar_kw) AS solar_kw, sum(load_kw) AS load_kw, avg(carbon_g_per_kwh) AS carbon_g_per_kwh,
  avg(temperature_c) AS temperature_c, uniqExact(site_id) AS sites
FROM gridfleet.forecasts
WHERE site_id IN (SELECT site_id FROM sites) AND run_id = (SELECT id FROM newest)
GROUP BY t ORDER BY t`;

/** Parameters: scope, from_ms, to_ms, step (minutes). */
export const actualsSql = `WITH ${SITES}
SELECT t, sumIf(v, what = 'solar') AS solar_kw, sumIf(v, what = 'load') AS load_kw, avgIf(v, what = 'carbon') AS carbon_g_per_kwh,
  avgIf(v, what = 'temp') AS temperature_c, countIf(what = 'solar') AS solar_n, countIf(what = 'carbon') AS carbon_n, countIf(what = 'temp') AS temp_n
FROM (
  SELECT toFloat64(toUnixTimestamp(toStartOfInterval(measured_at, INTERVAL {step:UInt32} MINUTE))) * 1000 AS t, site_id, 'solar' AS what, avg(solar_kw) AS v
  FROM gridfleet.telemetry WHERE site_id IN (SELECT site_id FROM sites) AND measured_at >= fromUnixTimestamp64Milli({from_ms:Int64}) AND measured_at < fromUnixTimestamp64Milli({to_ms:Int64})
  GROUP BY t, site_id
  UNION ALL
  SELECT toFloat64(toUnixTimestamp(toStartOfInterval(measured_at, INTERVAL {step:UInt32} MINUTE))) * 1000 AS t, site_id, 'load' AS what, avg(load_kw) AS v
  FROM gridfleet.telemetry WHERE site_id IN (SELECT site_id FROM sites) AND measured_at >= fromUnixTimestamp64Milli({from_ms:Int64}) AND measured_at < fromUnixTimestamp64Milli({to_ms:Int64})
  GROUP BY t, site_id
  UNION ALL
  SELECT toFloat64(toUnixTimestamp(toStartOfInterval(observed_at, INTERVAL {step:UInt32} MINUTE))) * 1000 AS t, cell_id AS site_id, 'temp' AS what, avg(temperature_c) AS v
  FROM gridfleet.weather_observations WHERE cell_id IN (SELECT weather_cell_id FROM sites) AND observed_at >= fromUnixTimestamp64Milli({from_ms:Int64}) AND observed_at < fromUnixTimestamp64Milli({to_ms:Int64})
  GROUP BY t, site_id
  UNION ALL
  SELECT toFloat64(toUnixTimestamp(toStartOfInterval(observed_at, INTERVAL {step:UInt32} MINUTE))) * 1000 AS t, region_id AS site_id, 'carbon' AS what, avg(carbon_g_per_kwh) AS v
  FROM gridfleet.grid_mix WHERE region_id IN (SELECT grid_region_id FROM sites) AND observed_at >= fromUnixTimestamp64Milli({from_ms:Int64}) AND observed_at < fromUnixTimestamp64Milli({to_ms:Int64})
  GROUP BY t, site_id
)
GROUP BY t ORDER BY t`;

export const errorByHorizonSql = `WITH ${SITES}
SELECT intDiv(f.horizon_minutes, 60) AS horizon_h, avg(abs(f.solar_kw - a.s)) AS solar_mae_kw, avg(abs(f.load_kw - a.l)) AS load_mae_kw, count() AS n
FROM gridfleet.forecasts AS f
INNER JOIN (
  SELECT site_id, toStartOfInterval(measured_at, INTERVAL 15 MINUTE) AS b, avg(solar_kw) AS s, avg(load_kw) AS l
  FROM gridfleet.telemetry WHERE site_id IN (SELECT site_id FROM sites) GROUP BY site_id, b
) AS a ON a.site_id = f.site_id AND a.b = toStartOfInterval(f.target_at, INTERVAL 15 MINUTE)
WHERE f.site_id IN (SELECT site_id FROM sites)
GROUP BY horizon_h ORDER BY horizon_h`;

/** An id the panel may ask about: what the asset ids look like, nothing that needs escaping. */
export const parseScope = (raw: string | null): { ok: true; value: string } | { ok: false; error: string } => {
  const s = (raw ?? '').trim();
  if (!/^[A-Za-z0-9._-]{1,128}$/.test(s)) return { ok: false, error: 'scope must be an asset, weather cell or grid region id (letters, digits, ".", "_", "-")' };
  return { ok: true, value: s };
};

export interface Point {
  readonly x: number;
  readonly y: number;
}

export interface ForecastQuantity {
  readonly forecast: readonly Point[];
  readonly actual: readonly Point[];
}

export interface HorizonError {
  readonly horizonH: number;
  readonly solarMaeKw: number;
  readonly loadMaeKw: number;
  readonly n: number;
}

export type ForecastView =
  | { readonly state: 'unavailable'; readonly scope: string; readonly reason: string }
  | { readonly state: 'empty'; readonly scope: string; readonly message: string }
  | {
      readonly state: 'ok';
      readonly scope: string;
      readonly runId: string;
      readonly issuedAtMs: number;
      readonly stepMinutes: number;
      readonly sites: number;
      readonly solarKw: ForecastQuantity;
      readonly loadKw: ForecastQuantity;
      readonly carbonGPerKwh: ForecastQuantity;
      readonly temperatureC: ForecastQuantity;
      readonly errorByHorizon: readonly HorizonError[];
    };

type Row = Readonly<Record<string, unknown>>;
const n = (v: unknown): number | null => {
  const x = typeof v === 'string' ? Number(v) : v;
  return typeof x === 'number' && Number.isFinite(x) ? x : null;
};
const pts = (rows: readonly Row[], field: string, keep: (r: Row) => boolean = () => true): Point[] =>
  rows.flatMap((r) => {
    const x = n(r['t']);
    const y = n(r[field]);
    return x === null || y === null || !keep(r) ? [] : [{ x, y }];
  });

/** The window the actuals are asked for: the run's targets, cut at now; step in minutes (at least 1). */
export const actualsWindow = (latest: readonly Row[], nowMs: number): { fromMs: number; toMs: number; step: number } | null => {
  const first = n(latest[0]?.['t']);
  const last = n(latest.at(-1)?.['t']);
  if (first === null || last === null) return null;
  const step = Math.max(1, Math.round(n(latest[0]?.['step_minutes']) ?? 60));
  return { fromMs: first, toMs: Math.max(first, Math.min(last + step * 60_000, nowMs)), step };
};

export const forecastView = (scope: string, latest: readonly Row[], actuals: readonly Row[], errors: readonly Row[]): ForecastView => {
  const head = latest[0];
  if (head === undefined) return { state: 'empty', scope, message: `no forecast has been issued yet for ${scope} (or it is not a known site, region, cell or grid region)` };
  return {
    state: 'ok',
    scope,
    runId: typeof head['forecast_run'] === 'string' ? head['forecast_run'] : '',
    issuedAtMs: n(head['issued_ms']) ?? 0,
    stepMinutes: n(head['step_minutes']) ?? 0,
    sites: n(head['sites']) ?? 0,
    solarKw: { forecast: pts(latest, 'solar_kw'), actual: pts(actuals, 'solar_kw', (r) => (n(r['solar_n']) ?? 0) > 0) },
    loadKw: { forecast: pts(latest, 'load_kw'), actual: pts(actuals, 'load_kw', (r) => (n(r['solar_n']) ?? 0) > 0) },
    carbonGPerKwh: { forecast: pts(latest, 'carbon_g_per_kwh'), actual: pts(actuals, 'carbon_g_per_kwh', (r) => (n(r['carbon_n']) ?? 0) > 0) },
    temperatureC: { forecast: pts(latest, 'temperature_c'), actual: pts(actuals, 'temperature_c', (r) => (n(r['temp_n']) ?? 0) > 0) },
    errorByHorizon: errors.flatMap((r) => {
      const h = n(r['horizon_h']);
      const s = n(r['solar_mae_kw']);
      const l = n(r['load_mae_kw']);
      return h === null || s === null || l === null ? [] : [{ horizonH: h, solarMaeKw: s, loadMaeKw: l, n: n(r['n']) ?? 0 }];
    }),
  };
};
