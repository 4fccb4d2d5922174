-- Scoring the providers beside the model (issue 22): forecast_points and forecast_scores gain a
-- `source` column (last, so `SELECT *` readers keep their columns in place): 'model' for
-- gridfleet's own forecasts, and, for carbon, temperature and irradiance, a provider source's id
-- (provider_forecasts.source_id) for that provider's forecast of the same point. A provider point
-- is scored on exactly the model's points: for each area forecast point (area, issue time,
-- target hour) with an actual, the provider's newest issue published at or before the model's
-- issue time (and at most a day before it) that covers the target hour, averaged to the hour (a
-- half-hourly provider's two values). The provider's area_id must be the cell or grid region id
-- (the simulator's feed uses them; a real source is configured with one, docs/forecast.md).
-- The horizon is the model's (from the model's issue time), so both rows of a horizon score the
-- same decision: what was known when gridfleet issued its forecast.
CREATE OR REPLACE VIEW gridfleet.forecast_points AS
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
  ),
  am AS (
    SELECT 'temperature' AS kind, 'temperatureC' AS quantity, ap.area_id AS area_id, ap.issued_at AS issued_at, ap.target_at AS target_at,
           toFloat64(ap.temperature_c) AS forecast, toFloat64(wo.temperature_c) AS actual
    FROM ap INNER JOIN wo ON wo.cell_id = ap.area_id AND wo.hour = ap.target_at
    WHERE ap.kind = 'weather'
    UNION ALL
    SELECT 'irradiance', 'irradianceWPerM2', ap.area_id, ap.issued_at, ap.target_at, toFloat64(ap.irradiance_w_per_m2), toFloat64(wo.irradiance_w_per_m2)
    FROM ap INNER JOIN wo ON wo.cell_id = ap.area_id AND wo.hour = ap.target_at
    WHERE ap.kind = 'weather'
    UNION ALL
    SELECT 'carbon', 'carbonGPerKwh', ap.area_id, ap.issued_at, ap.target_at, toFloat64(ap.carbon_g_per_kwh), toFloat64(gm.carbon_g_per_kwh)
    FROM ap INNER JOIN gm ON gm.region_id = ap.area_id AND gm.hour = ap.target_at
    WHERE ap.kind = 'emissions'
  ),
  pf AS (
    SELECT source_id, area_id, quantity, issued_at, toStartOfHour(target_at) AS target_hour, avg(assumeNotNull(forecast)) AS value
    FROM gridfleet.provider_forecasts FINAL
    WHERE forecast IS NOT NULL AND quantity IN ('temperatureC', 'irradianceWPerM2', 'carbonGPerKwh')
    GROUP BY source_id, area_id, quantity, issued_at, target_hour
  )
SELECT 'solar' AS kind, h.region_id AS region, b.site_id AS subject, b.issued_at AS issued_at, b.target_at AS target_at,
       toUInt32(greatest(0, intDiv(dateDiff('minute', b.issued_at, b.target_at), 60))) AS horizon_hours,
       toFloat64(b.solar_kw) AS forecast, s.solar_kwh AS actual, 'model' AS source
FROM b INNER JOIN gridfleet.site_hourly AS s ON s.site_id = b.site_id AND s.hour = b.target_at
LEFT JOIN gridfleet.site_hierarchy AS h ON h.site_id = b.site_id
UNION ALL
SELECT 'load', h.region_id, b.site_id, b.issued_at, b.target_at,
       toUInt32(greatest(0, intDiv(dateDiff('minute', b.issued_at, b.target_at), 60))),
       toFloat64(b.load_kw), s.load_kwh, 'model'
FROM b INNER JOIN gridfleet.site_hourly AS s ON s.site_id = b.site_id AND s.hour = b.target_at
LEFT JOIN gridfleet.site_hierarchy AS h ON h.site_id = b.site_id
UNION ALL
SELECT am.kind, am.area_id, am.area_id, am.issued_at, am.target_at,
       toUInt32(greatest(0, intDiv(dateDiff('minute', am.issued_at, am.target_at), 60))),
       am.forecast, am.actual, 'model'
FROM am
UNION ALL
SELECT am.kind, am.area_id, am.area_id, am.issued_at, am.target_at,
       toUInt32(greatest(0, intDiv(dateDiff('minute', am.issued_at, am.target_at), 60))),
       argMax(pf.value, pf.issued_at), any(am.actual), pf.source_id
FROM am INNER JOIN pf ON pf.area_id = am.area_id AND pf.quantity = am.quantity AND pf.target_hour = am.target_at
WHERE pf.issued_at <= am.issued_at AND pf.issued_at > am.issued_at - INTERVAL 1 DAY
GROUP BY am.kind, am.area_id, am.issued_at, am.target_at, pf.source_id;

-- Error by kind, region, horizon and source: compare source = 'model' with a provider's rows of
-- the same kind, region and horizon (docs/forecast.md has the query).
CREATE OR REPLACE VIEW gridfleet.forecast_scores AS
SELECT kind, region, horizon_hours, count() AS points,
       avg(abs(forecast - actual)) AS mae, avg(forecast - actual) AS bias, avg(actual) AS mean_actual, source
FROM gridfleet.forecast_points
GROUP BY kind, region, horizon_hours, source;
