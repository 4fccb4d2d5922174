-- The forecast jobs' own tables (services/forecast) and the scoring view.
--
-- forecast_areas: what the weather (per cell) and emissions (per grid region) runs issued, one
-- row per area and run, the 48 hourly values as arrays. Written by the jobs themselves with
-- insert_deduplication_token = run:chunk, so a retried chunk lands once; ReplacingMergeTree on
-- (kind, area_id, issued_at) makes a duplicate that slipped past the window collapse on merge.
-- The site runs read the newest issue per area from here; site bundles themselves reach
-- ClickHouse through fleet.forecasts.v1 and ingest (table forecasts).
CREATE TABLE IF NOT EXISTS gridfleet.forecast_areas (
  kind LowCardinality(String),
  area_id String,
  issued_at DateTime64(3, 'UTC'),
  run_id String,
  valid_from DateTime64(3, 'UTC'),
  step_minutes UInt32,
  latitude_deg Float64,
  longitude_deg Float64,
  temperature_c Array(Float32),
  cloud_cover_pct Array(Float32),
  irradiance_w_per_m2 Array(Float32),
  carbon_g_per_kwh Array(Float32),
  alert_kinds Array(LowCardinality(String)),
  alert_severities Array(LowCardinality(String)),
  alert_starts_at Array(DateTime64(3, 'UTC')),
  alert_ends_at Array(DateTime64(3, 'UTC')),
  model_version LowCardinality(String),
  inserted_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(issued_at)
ORDER BY (kind, area_id, issued_at)
TTL toDateTime(issued_at) + INTERVAL 2 YEAR
SETTINGS non_replicated_deduplication_window = 20000;

-- Every run's outcome, written when the run finishes (all chunks done or failed for good) or
-- fails for good itself. outcome: completed | partial (some chunks failed) | failed.
CREATE TABLE IF NOT EXISTS gridfleet.forecast_runs (
  run_id String,
  kind LowCardinality(String),
  issued_at DateTime64(3, 'UTC'),
  outcome LowCardinality(String),
  chunks UInt32,
  chunks_done UInt32,
  chunks_failed UInt32,
  items UInt32,
  items_done UInt32,
  fallbacks UInt32,
  started_at DateTime64(3, 'UTC'),
  finished_at DateTime64(3, 'UTC'),
  error String,
  inserted_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = ReplacingMergeTree(finished_at)
ORDER BY (kind, issued_at, run_id)
SETTINGS non_replicated_deduplication_window = 20000;

-- Forecast error against what happened, one row per forecast point with its actual, so any
-- grouping works: kind (solar, load: per site from the bundles; temperature, irradiance: per
-- weather cell; carbon: per grid region), region (the site's hierarchy region, the cell or the
-- grid region), horizon in whole hours from the issue time. A bundle or area forecast issued
-- twice (a retried chunk) counts once. Actuals are hourly means: site_hourly for solar and load
-- (kWh over an hour is the mean kW), the hour's observations for weather and grid mix.
CREATE VIEW IF NOT EXISTS gridfleet.forecast_points AS
WITH
  b AS (
    SELECT site_id, issued_at, step, any(target_at) AS target_at, any(solar_kw) AS solar_kw, any(load_kw) AS load_kw
    FROM gridfleet.forecasts GROUP BY site_id, issued_at, step
  ),
  a AS (
    SELECT kind, area_id, issued_at, any(valid_from) AS valid_from, any(step_minutes) AS step_minutes,
           any(temperature_c) AS temperature_c, any(irradiance_w_per_m2) AS irradiance_w_per_m2, any(carbon_g_per_kwh) AS carbon_g_per_kwh
    FROM gridfleet.forecast_areas GROUP BY kind, area_id, issued_at
  ),
  ap AS (
    SELECT kind, area_id, issued_at, valid_from + toIntervalMinute((i - 1) * step_minutes) AS target_at,
           temperature_c[i] AS temperature_c, irradiance_w_per_m2[i] AS irradiance_w_per_m2, carbon_g_per_kwh[i] AS carbon_g_per_kwh
    FROM (SELECT *, arrayJoin(arrayEnumerate(if(kind = 'weather', temperature_c, carbon_g_per_kwh))) AS i FROM a)
  ),
  wo AS (
    SELECT cell_id, toStartOfHour(observed_at) AS hour, avg(temperature_c) AS temperature_c, avg(irradiance_w_per_m2) AS irradiance_w_per_m2
    FROM gridfleet.weather_observations GROUP BY cell_id, hour
  ),
  gm AS (
    SELECT region_id, toStartOfHour(observed_at) AS hour, avg(carbon_g_per_kwh) AS carbon_g_per_kwh
    FROM gridfleet.grid_mix GROUP BY region_id, hour
  )
SELECT 'solar' AS kind, h.region_id AS region, b.site_id AS subject, b.issued_at AS issued_at, b.target_at AS target_at,
       toUInt32(greatest(0, intDiv(dateDiff('minute', b.issued_at, b.target_at), 60))) AS horizon_hours,
       toFloat64(b.solar_kw) AS forecast, s.solar_kwh AS actual
FROM b INNER JOIN gridfleet.site_hourly AS s ON s.site_id = b.site_id AND s.hour = b.target_at
LEFT JOIN gridfleet.site_hierarchy AS h ON h.site_id = b.site_id
UNION ALL
SELECT 'load', h.region_id, b.site_id, b.issued_at, b.target_at,
       toUInt32(greatest(0, intDiv(dateDiff('minute', b.issued_at, b.target_at), 60))),
       toFloat64(b.load_kw), s.load_kwh
FROM b INNER JOIN gridfleet.site_hourly AS s ON s.site_id = b.site_id AND s.hour = b.target_at
LEFT JOIN gridfleet.site_hierarchy AS h ON h.site_id = b.site_id
UNION ALL
SELECT 'temperature', ap.area_id, ap.area_id, ap.issued_at, ap.target_at,
       toUInt32(greatest(0, intDiv(dateDiff('minute', ap.issued_at, ap.target_at), 60))),
       toFloat64(ap.temperature_c), wo.temperature_c
FROM ap INNER JOIN wo ON wo.cell_id = ap.area_id AND wo.hour = ap.target_at
WHERE ap.kind = 'weather'
UNION ALL
SELECT 'irradiance', ap.area_id, ap.area_id, ap.issued_at, ap.target_at,
       toUInt32(greatest(0, intDiv(dateDiff('minute', ap.issued_at, ap.target_at), 60))),
       toFloat64(ap.irradiance_w_per_m2), wo.irradiance_w_per_m2
FROM ap INNER JOIN wo ON wo.cell_id = ap.area_id AND wo.hour = ap.target_at
WHERE ap.kind = 'weather'
UNION ALL
SELECT 'carbon', ap.area_id, ap.area_id, ap.issued_at, ap.target_at,
       toUInt32(greatest(0, intDiv(dateDiff('minute', ap.issued_at, ap.target_at), 60))),
       toFloat64(ap.carbon_g_per_kwh), gm.carbon_g_per_kwh
FROM ap INNER JOIN gm ON gm.region_id = ap.area_id AND gm.hour = ap.target_at
WHERE ap.kind = 'emissions';

-- Error by kind, region and horizon: mean absolute error, bias (forecast - actual) and the mean
-- actual, so a MAE can be read relative to the size of what was forecast.
CREATE VIEW IF NOT EXISTS gridfleet.forecast_scores AS
SELECT kind, region, horizon_hours, count() AS points,
       avg(abs(forecast - actual)) AS mae, avg(forecast - actual) AS bias, avg(actual) AS mean_actual
FROM gridfleet.forecast_points
GROUP BY kind, region, horizon_hours;
