-- control.choices.v1 (compacted, key siteId): each customer's standing choices for their site,
-- the newest record per site being the whole truth. Kept like the asset registry: every version
-- is a row, ReplacingMergeTree keeps the newest per site, customer_choices_current reads it.
CREATE TABLE IF NOT EXISTS gridfleet.customer_choices (
  site_id String,
  reserve_pct Nullable(Float64),
  opted_out_event_ids Array(String),
  updated_at DateTime64(3, 'UTC'),
  updated_by String,
  deleted UInt8,
  kafka_partition UInt16,
  kafka_offset UInt64,
  inserted_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = ReplacingMergeTree(kafka_offset)
ORDER BY site_id
SETTINGS non_replicated_deduplication_window = 20000;

CREATE OR REPLACE VIEW gridfleet.customer_choices_current AS
SELECT site_id, reserve_pct, opted_out_event_ids, updated_at, updated_by
FROM gridfleet.customer_choices FINAL
WHERE deleted = 0;
