-- The analytics tier's raw tables: one per topic, written by services/ingest (exactly once as seen
-- here: deterministic batches per partition, insert_deduplication_token = topic:partition:first-last,
-- offsets committed after the insert). Every raw table carries the Kafka partition and offset of
-- the record it came from, so ingest can resume from ClickHouse's own progress after a crash and
-- reconciliation can compare counts with Kafka's offsets.
--
-- Dedup window: non_replicated_deduplication_window keeps the hashes of the last N inserted blocks
-- (100,000 blocks for telemetry is over an hour at 24 inserts/s; any retry happens within minutes).
-- TTLs are documented in docs/analytics.md; ttl_only_drop_parts drops whole day partitions.

CREATE TABLE IF NOT EXISTS gridfleet.telemetry (
  site_id String CODEC(ZSTD(1)),
  device_id String CODEC(ZSTD(1)),
  seq UInt64 CODEC(Delta, ZSTD(1)),
  measured_at DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD(1)),
  received_at DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD(1)),
  soc_pct Float64 CODEC(Gorilla, ZSTD(1)),
  battery_kw Float64 CODEC(Gorilla, ZSTD(1)),
  solar_kw Float64 CODEC(Gorilla, ZSTD(1)),
  load_kw Float64 CODEC(Gorilla, ZSTD(1)),
  grid_kw Float64 CODEC(Gorilla, ZSTD(1)),
  battery_temp_c Float64 CODEC(Gorilla, ZSTD(1)),
  mode LowCardinality(String),
  alarms Array(LowCardinality(String)),
  active_command_id Nullable(String),
  kafka_partition UInt16 CODEC(ZSTD(1)),
  kafka_offset UInt64 CODEC(Delta, ZSTD(1)),
  inserted_at DateTime64(3, 'UTC') DEFAULT now64(3) CODEC(DoubleDelta, ZSTD(1))
) ENGINE = MergeTree
PARTITION BY toYYYYMMDD(measured_at)
ORDER BY (site_id, device_id, measured_at)
TTL toDateTime(measured_at) + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 100000, ttl_only_drop_parts = 1;

-- asset.registry.v1 is compacted and keyed by assetId, so a later offset of a key is its newer
-- definition: ReplacingMergeTree keeps the row with the highest offset (read with FINAL or the
-- assets_current view). A tombstone becomes a row with deleted = 1.
CREATE TABLE IF NOT EXISTS gridfleet.assets (
  asset_id String,
  kind LowCardinality(String),
  parent_id Nullable(String),
  name String,
  latitude_deg Nullable(Float64),
  longitude_deg Nullable(Float64),
  weather_cell_id Nullable(String),
  grid_region_id Nullable(String),
  solar_kwp Nullable(Float64),
  battery_kwh Nullable(Float64),
  max_charge_kw Nullable(Float64),
  max_discharge_kw Nullable(Float64),
  backup_reserve_pct Nullable(Float64),
  customer_id Nullable(String),
  updated_at DateTime64(3, 'UTC'),
  deleted UInt8,
  credentials_revoked_before Nullable(DateTime64(3, 'UTC')),
  kafka_partition UInt16,
  kafka_offset UInt64,
  inserted_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = ReplacingMergeTree(kafka_offset)
ORDER BY asset_id
SETTINGS non_replicated_deduplication_window = 20000;

CREATE TABLE IF NOT EXISTS gridfleet.asset_states (
  asset_id String,
  kind LowCardinality(String),
  version UInt64,
  updated_at DateTime64(3, 'UTC'),
  last_seen_at Nullable(DateTime64(3, 'UTC')),
  online UInt8,
  soc_pct Nullable(Float64),
  mode LowCardinality(String),
  alarms Array(LowCardinality(String)),
  active_command_ids Array(String),
  available_energy_kwh Float64,
  charge_headroom_kw Float64,
  discharge_headroom_kw Float64,
  solar_kw Float64,
  load_kw Float64,
  grid_kw Float64,
  battery_kw Float64,
  online_count Int32,
  device_count Int32,
  alarm_count Int32,
  last_seq Nullable(Int64),
  kafka_partition UInt16,
  kafka_offset UInt64,
  inserted_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = MergeTree
PARTITION BY toYYYYMMDD(updated_at)
ORDER BY (asset_id, updated_at)
TTL toDateTime(updated_at) + INTERVAL 90 DAY
SETTINGS non_replicated_deduplication_window = 100000, ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS gridfleet.asset_rollups (
  parent_id String,
  child_id String,
  child_version UInt64,
  emitted_at DateTime64(3, 'UTC'),
  available_energy_kwh Float64,
  charge_headroom_kw Float64,
  discharge_headroom_kw Float64,
  solar_kw Float64,
  load_kw Float64,
  grid_kw Float64,
  battery_kw Float64,
  online_count Int32,
  device_count Int32,
  alarm_count Int32,
  kafka_partition UInt16,
  kafka_offset UInt64,
  inserted_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = MergeTree
PARTITION BY toYYYYMMDD(emitted_at)
ORDER BY (parent_id, emitted_at)
TTL toDateTime(emitted_at) + INTERVAL 30 DAY
SETTINGS non_replicated_deduplication_window = 100000, ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS gridfleet.grid_events (
  event_id String,
  kind LowCardinality(String),
  scope_asset_id String,
  target_mw Nullable(Float64),
  start_at DateTime64(3, 'UTC'),
  end_at DateTime64(3, 'UTC'),
  issued_by String,
  issued_at DateTime64(3, 'UTC'),
  cancels_event_id Nullable(String),
  reason Nullable(String),
  kafka_partition UInt16,
  kafka_offset UInt64,
  inserted_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = MergeTree
PARTITION BY toYYYYMMDD(issued_at)
ORDER BY (issued_at, event_id)
SETTINGS non_replicated_deduplication_window = 20000;

CREATE TABLE IF NOT EXISTS gridfleet.commands (
  command_id String,
  event_id Nullable(String),
  site_id String,
  kind LowCardinality(String),
  power_kw Float64,
  reserve_pct Nullable(Float64),
  start_at DateTime64(3, 'UTC'),
  end_at DateTime64(3, 'UTC'),
  expires_at DateTime64(3, 'UTC'),
  issued_at DateTime64(3, 'UTC'),
  kafka_partition UInt16,
  kafka_offset UInt64,
  inserted_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = MergeTree
PARTITION BY toYYYYMMDD(issued_at)
ORDER BY (site_id, issued_at)
SETTINGS non_replicated_deduplication_window = 20000;

CREATE TABLE IF NOT EXISTS gridfleet.acks (
  command_id String,
  site_id String,
  device_id String,
  status LowCardinality(String),
  reason Nullable(String),
  acked_at DateTime64(3, 'UTC'),
  kafka_partition UInt16,
  kafka_offset UInt64,
  inserted_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = MergeTree
PARTITION BY toYYYYMMDD(acked_at)
ORDER BY (site_id, acked_at)
SETTINGS non_replicated_deduplication_window = 20000;

CREATE TABLE IF NOT EXISTS gridfleet.weather_observations (
  cell_id String,
  observed_at DateTime64(3, 'UTC'),
  temperature_c Float64,
  cloud_cover_pct Float64,
  irradiance_w_per_m2 Float64,
  wind_speed_m_per_s Float64,
  alert_kind LowCardinality(Nullable(String)),
  alert_severity LowCardinality(Nullable(String)),
  alert_starts_at Nullable(DateTime64(3, 'UTC')),
  alert_ends_at Nullable(DateTime64(3, 'UTC')),
  alert_text Nullable(String),
  kafka_partition UInt16,
  kafka_offset UInt64,
  inserted_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = MergeTree
PARTITION BY toYYYYMMDD(observed_at)
ORDER BY (cell_id, observed_at)
TTL toDateTime(observed_at) + INTERVAL 5 YEAR
SETTINGS non_replicated_deduplication_window = 20000, ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS gridfleet.grid_mix (
  region_id String,
  observed_at DateTime64(3, 'UTC'),
  interval_minutes UInt32,
  carbon_g_per_kwh Float64,
  demand_mw Float64,
  generation_source Array(LowCardinality(String)),
  generation_mw Array(Float64),
  kafka_partition UInt16,
  kafka_offset UInt64,
  inserted_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = MergeTree
PARTITION BY toYYYYMMDD(observed_at)
ORDER BY (region_id, observed_at)
TTL toDateTime(observed_at) + INTERVAL 5 YEAR
SETTINGS non_replicated_deduplication_window = 20000, ttl_only_drop_parts = 1;

-- Forecasts as issued: a bundle becomes one row per step (site, issue time, target time), so a
-- forecast can be scored against what happened at its target time, by horizon.
CREATE TABLE IF NOT EXISTS gridfleet.forecasts (
  site_id String,
  issued_at DateTime64(3, 'UTC'),
  target_at DateTime64(3, 'UTC'),
  horizon_minutes UInt32,
  step UInt16,
  run_id String,
  step_minutes UInt32,
  solar_kw Float32,
  load_kw Float32,
  carbon_g_per_kwh Float32,
  temperature_c Float32,
  storm_watch_severity LowCardinality(Nullable(String)),
  storm_watch_starts_at Nullable(DateTime64(3, 'UTC')),
  storm_watch_ends_at Nullable(DateTime64(3, 'UTC')),
  model_version LowCardinality(String),
  kafka_partition UInt16,
  kafka_offset UInt64,
  inserted_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = MergeTree
PARTITION BY toYYYYMMDD(issued_at)
ORDER BY (site_id, target_at, issued_at)
TTL toDateTime(issued_at) + INTERVAL 2 YEAR
SETTINGS non_replicated_deduplication_window = 100000, ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS gridfleet.dead_letters (
  source String,
  service LowCardinality(String),
  error_code LowCardinality(String),
  reason String,
  origin_topic Nullable(String),
  origin_partition Nullable(Int32),
  origin_offset Nullable(Int64),
  origin_key Nullable(String),
  payload String,
  payload_bytes UInt32,
  rejected_at DateTime64(3, 'UTC'),
  kafka_partition UInt16,
  kafka_offset UInt64,
  inserted_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = MergeTree
PARTITION BY toYYYYMMDD(rejected_at)
ORDER BY (source, rejected_at)
TTL toDateTime(rejected_at) + INTERVAL 90 DAY
SETTINGS non_replicated_deduplication_window = 20000, ttl_only_drop_parts = 1;
