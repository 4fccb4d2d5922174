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
 * - error by horizon: mean absolute error and bias of every stored forecast of the scope's sites
 *   against what happened in its target hour, per kind and whole hour of horizon.
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

/**
 * Error by horizon over the scope's sites: each site's issued forecast points (a bundle issued
 * twice counts once) paired with what happened in the hour of their target: solar and load with
 * the site's hourly means (site_hourly: kWh over an hour is the mean kW), temperature with its
 * weather cell's observations, carbon intensity with its grid region's mix. MAE and bias per kind
 * and whole hour of horizon from the issue time.
 */
export const errorByHorizonSql = `WITH ${SITES},
b AS (
  SELECT site_id, issued_at, step, any(target_at) AS target_at, any(solar_kw) AS solar, any(load_kw) AS load, any(temperature_c) AS temp, any(carbon_g_per_kwh) AS carbon
  FROM gridfleet.forecasts WHERE site_id IN (SELECT site_id FROM sites) GROUP BY site_id, issued_at, step
),
bh AS (
  SELECT b.*, st.weather_cell_id AS cell, st.grid_region_id AS grid, toUInt32(greatest(0, intDiv(dateDiff('minute', b.issued_at, b.target_at), 60))) AS horizon_h
  FROM b INNER JOIN sites AS st ON st.site_id = b.site_id
),
p AS (
  SELECT 'solar' AS kind, bh.horizon_h AS horizon_h, toFloat64(bh.solar) AS f, s.solar_kwh AS a FROM bh INNER JOIN gridfleet.site_hourly AS s ON s.site_id = bh.site_id AND s.hour = bh.target_at
  UNION ALL
  SELECT 'load', bh.horizon_h, toFloat64(bh.load), s.load_kwh FROM bh INNER JOIN gridfleet.site_hourly AS s ON s.site_id = bh.site_id AND s.hour = bh.target_at
  UNION ALL
  SELECT 'temperature', bh.horizon_h, toFloat64(bh.temp), w.t FROM bh INNER JOIN (
    SELECT cell_id, toStartOfHour(observed_at) AS hour, avg(temperature_c) AS t FROM gridfleet.weather_observations WHERE cell_id IN (SELECT weather_cell_id FROM sites) GROUP BY cell_id, hour
  ) AS w ON w.cell_id = bh.cell AND w.hour = bh.target_at
  UNION ALL
  SELECT 'carbon', bh.horizon_h, toFloat64(bh.carbon), g.c FROM bh INNER JOIN (
    SELECT region_id, toStartOfHour(observed_at) AS hour, avg(carbon_g_per_kwh) AS c FROM gridfleet.grid_mix WHERE region_id IN (SELECT grid_region_id FROM sites) GROUP BY region_id, hour
  ) AS g ON g.region_id = bh.grid AND g.hour = bh.target_at
)
SELECT kind, horizon_h, avg(abs(f - a)) AS mae, avg(f - a) AS bias, count() AS n FROM p GROUP BY kind, horizon_h ORDER BY kind, horizon_h`;

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

/** Error of one kind at one horizon, in the kind's unit (KIND_UNITS). */
export interface HorizonError {
  readonly kind: string;
  readonly horizonH: number;
  readonly mae: number;
  readonly bias: number;
  readonly n: number;
}

export const KIND_UNITS: Readonly<Record<string, string>> = { solar: 'kW', load: 'kW', temperature: '°C', irradiance: 'W/m²', carbon: 'gCO₂/kWh' };

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
      /** Why the error by horizon could not be read (e.g. the scoring view is missing), or null. */
      readonly errorNote: string | null;
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

export const forecastView = (scope: string, latest: readonly Row[], actuals: readonly Row[], errors: readonly Row[], errorNote: string | null = null): ForecastView => {
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
      const mae = n(r['mae']);
      const bias = n(r['bias']);
      return h === null || mae === null || bias === null || typeof r['kind'] !== 'string' ? [] : [{ kind: r['kind'], horizonH: h, mae, bias, n: n(r['n']) ?? 0 }];
    }),
    errorNote,
  };
};
