-- provider.forecasts.v1 (key sourceId): what outside providers (the grid operator's carbon-intensity
-- API, WattTime, Electricity Maps, Open-Meteo, the simulator's provider feed) said, one row per
-- point: who said it (source_id, provider), for which area and quantity, when it was issued and
-- fetched, for which interval (target_at, interval_minutes), the forecast and, where the provider
-- publishes one, its actual. A source polled again re-sends the same issue (and, later, actuals
-- for intervals now past): ReplacingMergeTree keeps the newest fetch of each (issue, target).
-- Forecast jobs read it; nothing on the control path does.
CREATE TABLE IF NOT EXISTS gridfleet.provider_forecasts (
  source_id String,
  provider LowCardinality(String),
  area_id String,
  quantity LowCardinality(String),
  issued_at DateTime64(3, 'UTC'),
  fetched_at DateTime64(3, 'UTC'),
  target_at DateTime64(3, 'UTC'),
  interval_minutes UInt32,
  horizon_minutes Int32,
  forecast Nullable(Float64),
  actual Nullable(Float64),
  kafka_partition UInt16,
  kafka_offset UInt64,
  inserted_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = ReplacingMergeTree(fetched_at)
PARTITION BY toYYYYMM(issued_at)
ORDER BY (quantity, area_id, source_id, issued_at, target_at)
TTL toDateTime(issued_at) + INTERVAL 2 YEAR
SETTINGS non_replicated_deduplication_window = 20000;

-- Which inputs a forecast run used (provider sources, own history, fallbacks), as the run says.
ALTER TABLE gridfleet.forecast_runs ADD COLUMN IF NOT EXISTS inputs String DEFAULT '';
