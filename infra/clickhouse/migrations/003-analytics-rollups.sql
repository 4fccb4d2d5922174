-- Rollups of telemetry, maintained by materialized views as rows land in gridfleet.telemetry.
--
-- Energy of a bucket: each device's average power over its frames in the bucket times the
-- bucket's length, summed over the site's devices. With `frames` frames from `devices` devices,
-- that is sum(kW) * devices / frames * hours (exact when a site's devices report at the same
-- rate; a gap inside a bucket is filled with the bucket's average). The states below are all
-- sums, mins, maxes and a uniqExact state, so partial aggregates merge exactly, whichever inserts
-- the rows came in. The MV targets carry a dedup window too: a retried insert whose first attempt
-- landed is dropped in the raw table AND in every rollup.
--
-- Hierarchy rollups (feeder, substation, region, fleet per hour) are views over site_hourly joined
-- to site_hierarchy at query time, not materialized views: an MV joins a dimension as it was when
-- the telemetry arrived, so a site whose definition arrives late, moves feeder or is deleted
-- would be counted wrong forever. site_hourly is already ~3600x smaller than raw telemetry, so the
-- join costs milliseconds.

CREATE TABLE IF NOT EXISTS gridfleet.site_minute_agg (
  site_id String,
  minute DateTime('UTC'),
  frames SimpleAggregateFunction(sum, UInt64),
  devices AggregateFunction(uniqExact, String),
  solar_kw_sum SimpleAggregateFunction(sum, Float64),
  load_kw_sum SimpleAggregateFunction(sum, Float64),
  grid_import_kw_sum SimpleAggregateFunction(sum, Float64),
  grid_export_kw_sum SimpleAggregateFunction(sum, Float64),
  battery_discharge_kw_sum SimpleAggregateFunction(sum, Float64),
  battery_charge_kw_sum SimpleAggregateFunction(sum, Float64),
  soc_pct_sum SimpleAggregateFunction(sum, Float64),
  soc_pct_min SimpleAggregateFunction(min, Float64),
  soc_pct_max SimpleAggregateFunction(max, Float64),
  battery_temp_c_max SimpleAggregateFunction(max, Float64),
  alarm_frames SimpleAggregateFunction(sum, UInt64)
) ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (site_id, minute)
TTL minute + INTERVAL 2 YEAR
SETTINGS non_replicated_deduplication_window = 100000;

CREATE TABLE IF NOT EXISTS gridfleet.site_hour_agg AS gridfleet.site_minute_agg
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (site_id, minute)
SETTINGS non_replicated_deduplication_window = 100000;

CREATE MATERIALIZED VIEW IF NOT EXISTS gridfleet.site_minute_mv TO gridfleet.site_minute_agg AS
SELECT
  site_id,
  toStartOfMinute(measured_at) AS minute,
  count() AS frames,
  uniqExactState(device_id) AS devices,
  sum(solar_kw) AS solar_kw_sum,
  sum(load_kw) AS load_kw_sum,
  sum(greatest(grid_kw, 0)) AS grid_import_kw_sum,
  sum(greatest(-grid_kw, 0)) AS grid_export_kw_sum,
  sum(greatest(battery_kw, 0)) AS battery_discharge_kw_sum,
  sum(greatest(-battery_kw, 0)) AS battery_charge_kw_sum,
  sum(soc_pct) AS soc_pct_sum,
  min(soc_pct) AS soc_pct_min,
  max(soc_pct) AS soc_pct_max,
  max(battery_temp_c) AS battery_temp_c_max,
  countIf(notEmpty(alarms)) AS alarm_frames
FROM gridfleet.telemetry
GROUP BY site_id, minute;

-- The hour table reuses the minute table's columns; its `minute` column holds the hour's start.
CREATE MATERIALIZED VIEW IF NOT EXISTS gridfleet.site_hour_mv TO gridfleet.site_hour_agg AS
SELECT
  site_id,
  toStartOfHour(measured_at) AS minute,
  count() AS frames,
  uniqExactState(device_id) AS devices,
  sum(solar_kw) AS solar_kw_sum,
  sum(load_kw) AS load_kw_sum,
  sum(greatest(grid_kw, 0)) AS grid_import_kw_sum,
  sum(greatest(-grid_kw, 0)) AS grid_export_kw_sum,
  sum(greatest(battery_kw, 0)) AS battery_discharge_kw_sum,
  sum(greatest(-battery_kw, 0)) AS battery_charge_kw_sum,
  sum(soc_pct) AS soc_pct_sum,
  min(soc_pct) AS soc_pct_min,
  max(soc_pct) AS soc_pct_max,
  max(battery_temp_c) AS battery_temp_c_max,
  countIf(notEmpty(alarms)) AS alarm_frames
FROM gridfleet.telemetry
GROUP BY site_id, minute;

CREATE VIEW IF NOT EXISTS gridfleet.site_minute AS
SELECT
  site_id,
  minute,
  sum(frames) AS frames,
  uniqExactMerge(devices) AS devices,
  sum(solar_kw_sum) * devices / frames / 60 AS solar_kwh,
  sum(load_kw_sum) * devices / frames / 60 AS load_kwh,
  sum(grid_import_kw_sum) * devices / frames / 60 AS grid_import_kwh,
  sum(grid_export_kw_sum) * devices / frames / 60 AS grid_export_kwh,
  sum(battery_discharge_kw_sum) * devices / frames / 60 AS battery_discharge_kwh,
  sum(battery_charge_kw_sum) * devices / frames / 60 AS battery_charge_kwh,
  sum(soc_pct_sum) / frames AS soc_avg_pct,
  min(soc_pct_min) AS soc_min_pct,
  max(soc_pct_max) AS soc_max_pct,
  max(battery_temp_c_max) AS battery_temp_max_c,
  sum(alarm_frames) AS alarm_frames
FROM gridfleet.site_minute_agg
GROUP BY site_id, minute;

CREATE VIEW IF NOT EXISTS gridfleet.site_hourly AS
SELECT
  site_id,
  minute AS hour,
  sum(frames) AS frames,
  uniqExactMerge(devices) AS devices,
  sum(solar_kw_sum) * devices / frames AS solar_kwh,
  sum(load_kw_sum) * devices / frames AS load_kwh,
  sum(grid_import_kw_sum) * devices / frames AS grid_import_kwh,
  sum(grid_export_kw_sum) * devices / frames AS grid_export_kwh,
  sum(battery_discharge_kw_sum) * devices / frames AS battery_discharge_kwh,
  sum(battery_charge_kw_sum) * devices / frames AS battery_charge_kwh,
  sum(soc_pct_sum) / frames AS soc_avg_pct,
  min(soc_pct_min) AS soc_min_pct,
  max(soc_pct_max) AS soc_max_pct,
  max(battery_temp_c_max) AS battery_temp_max_c,
  sum(alarm_frames) AS alarm_frames
FROM gridfleet.site_hour_agg
GROUP BY site_id, minute;

-- Dimensions: the current definition of every asset, and each site with its ancestors found by
-- kind (up to four levels up, so a site hung directly under a region still gets its region).
CREATE VIEW IF NOT EXISTS gridfleet.assets_current AS
SELECT * EXCEPT (kafka_partition, kafka_offset, inserted_at)
FROM gridfleet.assets FINAL
WHERE deleted = 0;

CREATE VIEW IF NOT EXISTS gridfleet.site_hierarchy AS
WITH a AS (SELECT asset_id, kind, ifNull(parent_id, '') AS parent FROM gridfleet.assets FINAL WHERE deleted = 0)
SELECT
  s.asset_id AS site_id,
  s.name AS site_name,
  multiIf(p1.kind = 'FEEDER', p1.asset_id, '') AS feeder_id,
  multiIf(p1.kind = 'SUBSTATION', p1.asset_id, p2.kind = 'SUBSTATION', p2.asset_id, '') AS substation_id,
  multiIf(p1.kind = 'REGION', p1.asset_id, p2.kind = 'REGION', p2.asset_id, p3.kind = 'REGION', p3.asset_id, '') AS region_id,
  multiIf(p1.kind = 'FLEET', p1.asset_id, p2.kind = 'FLEET', p2.asset_id, p3.kind = 'FLEET', p3.asset_id, p4.kind = 'FLEET', p4.asset_id, '') AS fleet_id,
  ifNull(s.weather_cell_id, '') AS weather_cell_id,
  ifNull(s.grid_region_id, '') AS grid_region_id,
  s.latitude_deg AS latitude_deg,
  s.longitude_deg AS longitude_deg,
  s.solar_kwp AS solar_kwp,
  s.battery_kwh AS battery_kwh,
  s.max_discharge_kw AS max_discharge_kw,
  s.customer_id AS customer_id
FROM (SELECT * FROM gridfleet.assets FINAL WHERE deleted = 0 AND kind = 'SITE') AS s
LEFT JOIN a AS p1 ON p1.asset_id = ifNull(s.parent_id, '')
LEFT JOIN a AS p2 ON p2.asset_id = p1.parent
LEFT JOIN a AS p3 ON p3.asset_id = p2.parent
LEFT JOIN a AS p4 ON p4.asset_id = p3.parent;

CREATE VIEW IF NOT EXISTS gridfleet.feeder_hourly AS
SELECT h.feeder_id AS feeder_id, s.hour AS hour, count() AS sites, sum(s.frames) AS frames,
  sum(s.solar_kwh) AS solar_kwh, sum(s.load_kwh) AS load_kwh, sum(s.grid_import_kwh) AS grid_import_kwh,
  sum(s.grid_export_kwh) AS grid_export_kwh, sum(s.battery_discharge_kwh) AS battery_discharge_kwh,
  sum(s.battery_charge_kwh) AS battery_charge_kwh, avg(s.soc_avg_pct) AS soc_avg_pct,
  min(s.soc_min_pct) AS soc_min_pct, max(s.soc_max_pct) AS soc_max_pct
FROM gridfleet.site_hourly AS s INNER JOIN gridfleet.site_hierarchy AS h ON h.site_id = s.site_id
GROUP BY feeder_id, hour;

CREATE VIEW IF NOT EXISTS gridfleet.substation_hourly AS
SELECT h.substation_id AS substation_id, s.hour AS hour, count() AS sites, sum(s.frames) AS frames,
  sum(s.solar_kwh) AS solar_kwh, sum(s.load_kwh) AS load_kwh, sum(s.grid_import_kwh) AS grid_import_kwh,
  sum(s.grid_export_kwh) AS grid_export_kwh, sum(s.battery_discharge_kwh) AS battery_discharge_kwh,
  sum(s.battery_charge_kwh) AS battery_charge_kwh, avg(s.soc_avg_pct) AS soc_avg_pct,
  min(s.soc_min_pct) AS soc_min_pct, max(s.soc_max_pct) AS soc_max_pct
FROM gridfleet.site_hourly AS s INNER JOIN gridfleet.site_hierarchy AS h ON h.site_id = s.site_id
GROUP BY substation_id, hour;

CREATE VIEW IF NOT EXISTS gridfleet.region_hourly AS
SELECT h.region_id AS region_id, s.hour AS hour, count() AS sites, sum(s.frames) AS frames,
  sum(s.solar_kwh) AS solar_kwh, sum(s.load_kwh) AS load_kwh, sum(s.grid_import_kwh) AS grid_import_kwh,
  sum(s.grid_export_kwh) AS grid_export_kwh, sum(s.battery_discharge_kwh) AS battery_discharge_kwh,
  sum(s.battery_charge_kwh) AS battery_charge_kwh, avg(s.soc_avg_pct) AS soc_avg_pct,
  min(s.soc_min_pct) AS soc_min_pct, max(s.soc_max_pct) AS soc_max_pct
FROM gridfleet.site_hourly AS s INNER JOIN gridfleet.site_hierarchy AS h ON h.site_id = s.site_id
GROUP BY region_id, hour;

-- The fleet is every site with telemetry, whether or not its definition has arrived yet.
CREATE VIEW IF NOT EXISTS gridfleet.fleet_hourly AS
SELECT s.hour AS hour, count() AS sites, sum(s.frames) AS frames,
  sum(s.solar_kwh) AS solar_kwh, sum(s.load_kwh) AS load_kwh, sum(s.grid_import_kwh) AS grid_import_kwh,
  sum(s.grid_export_kwh) AS grid_export_kwh, sum(s.battery_discharge_kwh) AS battery_discharge_kwh,
  sum(s.battery_charge_kwh) AS battery_charge_kwh, avg(s.soc_avg_pct) AS soc_avg_pct,
  min(s.soc_min_pct) AS soc_min_pct, max(s.soc_max_pct) AS soc_max_pct
FROM gridfleet.site_hourly AS s
GROUP BY hour;
