-- asset.registry.v1 v3: a site's PV array tilt and azimuth and its altitude (null when unknown),
-- kept in assets and shown by site_hierarchy, where the solar forecast reads them.
ALTER TABLE gridfleet.assets ADD COLUMN IF NOT EXISTS tilt_deg Nullable(Float64) AFTER credentials_revoked_before;
ALTER TABLE gridfleet.assets ADD COLUMN IF NOT EXISTS azimuth_deg Nullable(Float64) AFTER tilt_deg;
ALTER TABLE gridfleet.assets ADD COLUMN IF NOT EXISTS altitude_m Nullable(Float64) AFTER azimuth_deg;

CREATE OR REPLACE VIEW gridfleet.site_hierarchy AS
WITH a AS (SELECT asset_id, kind, ifNull(parent_id, '') AS parent FROM gridfleet.assets FINAL WHERE deleted = 0)
SELECT
  s.id AS site_id,
  s.site_name AS site_name,
  multiIf(p1.kind = 'FEEDER', p1.asset_id, '') AS feeder_id,
  multiIf(p1.kind = 'SUBSTATION', p1.asset_id, p2.kind = 'SUBSTATION', p2.asset_id, '') AS substation_id,
  multiIf(p1.kind = 'REGION', p1.asset_id, p2.kind = 'REGION', p2.asset_id, p3.kind = 'REGION', p3.asset_id, '') AS region_id,
  multiIf(p1.kind = 'FLEET', p1.asset_id, p2.kind = 'FLEET', p2.asset_id, p3.kind = 'FLEET', p3.asset_id, p4.kind = 'FLEET', p4.asset_id, '') AS fleet_id,
  s.cell AS weather_cell_id,
  s.grid_region AS grid_region_id,
  s.lat AS latitude_deg,
  s.lon AS longitude_deg,
  s.kwp AS solar_kwp,
  s.kwh AS battery_kwh,
  s.discharge_kw AS max_discharge_kw,
  s.customer AS customer_id,
  s.tilt AS tilt_deg,
  s.azimuth AS azimuth_deg,
  s.altitude AS altitude_m
FROM (
  SELECT asset_id AS id, name AS site_name, ifNull(parent_id, '') AS parent, ifNull(weather_cell_id, '') AS cell,
         ifNull(grid_region_id, '') AS grid_region, latitude_deg AS lat, longitude_deg AS lon, solar_kwp AS kwp,
         battery_kwh AS kwh, max_discharge_kw AS discharge_kw, customer_id AS customer,
         tilt_deg AS tilt, azimuth_deg AS azimuth, altitude_m AS altitude
  FROM gridfleet.assets FINAL
  WHERE deleted = 0 AND kind = 'SITE'
) AS s
LEFT JOIN a AS p1 ON p1.asset_id = s.parent
LEFT JOIN a AS p2 ON p2.asset_id = p1.parent
LEFT JOIN a AS p3 ON p3.asset_id = p2.parent
LEFT JOIN a AS p4 ON p4.asset_id = p3.parent;
