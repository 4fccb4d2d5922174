/**
 * Pure mapping of each topic's Avro value to rows of its ClickHouse table (see migrations 002):
 * one record becomes zero rows (a tombstone of a snapshot topic), one row, or several (a forecast
 * bundle becomes one row per step). Every row ends with the record's Kafka partition and offset.
 * A value that cannot be mapped is an error value, which the shell dead-letters.
 */
import type { TopicValues } from '../../platform/events.ts';
import { err, ok, type Result } from '../../platform/result.ts';
import { TopicNames, type TopicName } from '../../platform/topics.ts';
import type { Cell, Column } from './row-binary.ts';

export interface RecordMeta {
  readonly key: string | null;
  readonly partition: number;
  readonly offset: number;
  readonly timestampMs: number;
}

export interface TableMapping<T extends TopicName> {
  readonly topic: T;
  readonly table: string;
  readonly columns: readonly Column[];
  /** value is null for a tombstone. */
  toRows(value: TopicValues[T] | null, meta: RecordMeta): Result<Cell[][], string>;
  /** Rows with an identity of their own beyond the Kafka offset (telemetry: device and seq), deduplicated by it (telemetry-dedup.ts). */
  readonly identity?: (row: readonly Cell[]) => RowKey;
}

export interface RowKey {
  readonly siteId: string;
  readonly deviceId: string;
  readonly seq: number;
  readonly measuredAtMs: number;
}

const DT = "DateTime64(3, 'UTC')";
const NDT = `Nullable(${DT})`;
const KAFKA_COLUMNS: readonly Column[] = [
  { name: 'kafka_partition', type: 'UInt16' },
  { name: 'kafka_offset', type: 'UInt64' },
];

const cols = (spec: string): Column[] => [
  ...spec
    .trim()
    .split(/\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((l) => {
      const i = l.indexOf(' ');
      return { name: l.slice(0, i), type: l.slice(i + 1).trim().replace('DT?', NDT).replace('DT', DT) };
    }),
  ...KAFKA_COLUMNS,
];

const notTombstone = <V>(topic: string, value: V | null): Result<V, string> =>
  value === null ? err(`${topic}: a null value (tombstone) is not expected on this topic`) : ok(value);

const one = <T extends TopicName>(topic: T, row: (v: TopicValues[T]) => Cell[]) =>
  (value: TopicValues[T] | null, meta: RecordMeta): Result<Cell[][], string> => {
    const v = notTombstone(topic, value);
    return v.ok ? ok([[...row(v.value), meta.partition, meta.offset]]) : v;
  };

const telemetry: TableMapping<typeof TopicNames.telemetry> = {
  topic: TopicNames.telemetry,
  table: 'telemetry',
  columns: cols(`
    site_id String
    device_id String
    seq UInt64
    measured_at DT
    received_at DT
    soc_pct Float64
    battery_kw Float64
    solar_kw Float64
    load_kw Float64
    grid_kw Float64
    battery_temp_c Float64
    mode LowCardinality(String)
    alarms Array(LowCardinality(String))
    active_command_id Nullable(String)`),
  toRows: one(TopicNames.telemetry, (t) => [
    t.siteId, t.deviceId, t.seq, t.measuredAtMs, t.receivedAtMs, t.socPct, t.batteryKw, t.solarKw, t.loadKw, t.gridKw,
    t.batteryTempC, t.mode, t.alarms, t.activeCommandId,
  ]),
  identity: (row) => ({ siteId: String(row[0]), deviceId: String(row[1]), seq: Number(row[2]), measuredAtMs: Number(row[3]) }),
};

const assetColumns = cols(`
  asset_id String
  kind LowCardinality(String)
  parent_id Nullable(String)
  name String
  latitude_deg Nullable(Float64)
  longitude_deg Nullable(Float64)
  weather_cell_id Nullable(String)
  grid_region_id Nullable(String)
  solar_kwp Nullable(Float64)
  battery_kwh Nullable(Float64)
  max_charge_kw Nullable(Float64)
  max_discharge_kw Nullable(Float64)
  backup_reserve_pct Nullable(Float64)
  customer_id Nullable(String)
  updated_at DT
  deleted UInt8
  credentials_revoked_before DT?
  tilt_deg Nullable(Float64)
  azimuth_deg Nullable(Float64)
  altitude_m Nullable(Float64)`);

const assets: TableMapping<typeof TopicNames.assetRegistry> = {
  topic: TopicNames.assetRegistry,
  table: 'assets',
  columns: assetColumns,
  toRows: (a, meta) => {
    if (a === null) {
      // A tombstone deletes the key: a row marked deleted, so assets_current drops the asset.
      if (meta.key === null) return err(`${TopicNames.assetRegistry}: a tombstone without a key names no asset`);
      return ok([[meta.key, 'DEVICE', null, '', null, null, null, null, null, null, null, null, null, null, meta.timestampMs, 1, null, null, null, null, meta.partition, meta.offset]]);
    }
    return ok([[
      a.assetId, a.kind, a.parentId, a.name, a.latitudeDeg, a.longitudeDeg, a.weatherCellId, a.gridRegionId, a.solarKwp, a.batteryKwh,
      a.maxChargeKw, a.maxDischargeKw, a.backupReservePct, a.customerId, a.updatedAtMs, a.deleted ? 1 : 0, a.credentialsRevokedBeforeMs,
      a.tiltDeg ?? null, a.azimuthDeg ?? null, a.altitudeM ?? null,
      meta.partition, meta.offset,
    ]]);
  },
};

const aggregateCells = (g: TopicValues[typeof TopicNames.assetRollup]['delta']): Cell[] => [
  g.availableEnergyKwh, g.chargeHeadroomKw, g.dischargeHeadroomKw, g.solarKw, g.loadKw, g.gridKw, g.batteryKw, g.onlineCount, g.deviceCount, g.alarmCount,
];
const AGGREGATE_COLUMNS = `
  available_energy_kwh Float64
  charge_headroom_kw Float64
  discharge_headroom_kw Float64
  solar_kw Float64
  load_kw Float64
  grid_kw Float64
  battery_kw Float64
  online_count Int32
  device_count Int32
  alarm_count Int32`;

const assetStates: TableMapping<typeof TopicNames.assetState> = {
  topic: TopicNames.assetState,
  table: 'asset_states',
  columns: cols(`
    asset_id String
    kind LowCardinality(String)
    version UInt64
    updated_at DT
    last_seen_at DT?
    online UInt8
    soc_pct Nullable(Float64)
    mode LowCardinality(String)
    alarms Array(LowCardinality(String))
    active_command_ids Array(String)
    ${AGGREGATE_COLUMNS}
    last_seq Nullable(Int64)`),
  // A tombstone removes an actor's snapshot from the compacted log; history here keeps what was.
  // v3 view batches land one row per site or parent they carry (version: the batch's seq);
  // shard snapshots are the actors' own restore input and land nowhere.
  toRows: (s, meta) => {
    if (s === null) return ok([]);
    const b = s.batch;
    if (b == null) {
      return ok([[
        s.assetId, s.kind, s.version, s.updatedAtMs, s.lastSeenMs, s.online ? 1 : 0, s.socPct, s.mode, s.alarms, s.activeCommandIds,
        ...aggregateCells(s.aggregate), s.lastSeq, meta.partition, meta.offset,
      ]]);
    }
    return ok([
      ...b.sites.map((c): Cell[] => [
        c.siteId, 'SITE', b.seq, c.updatedAtMs, c.lastSeenMs, c.online ? 1 : 0, c.socPct, c.mode, c.alarms, c.activeCommandIds, ...aggregateCells(c.aggregate), null, meta.partition, meta.offset,
      ]),
      ...b.parents.map((c): Cell[] => [
        c.assetId, c.kind, b.seq, c.updatedAtMs, null, c.aggregate.onlineCount > 0 ? 1 : 0, null, 'IDLE', [], [], ...aggregateCells(c.aggregate), null, meta.partition, meta.offset,
      ]),
    ]);
  },
};

const assetRollups: TableMapping<typeof TopicNames.assetRollup> = {
  topic: TopicNames.assetRollup,
  table: 'asset_rollups',
  columns: cols(`
    parent_id String
    child_id String
    child_version UInt64
    emitted_at DT
    ${AGGREGATE_COLUMNS}`),
  // v3 records carry a site shard's partials of many ancestors: one row each (the shard's whole
  // partial of that ancestor at child_version, not a delta); v1/v2 records one row of their delta.
  toRows: (value, meta) => {
    const v = notTombstone(TopicNames.assetRollup, value);
    if (!v.ok) return v;
    const r = v.value;
    if ((r.partials ?? []).length === 0) return ok([[r.parentId, r.childId, r.childVersion, r.emittedAtMs, ...aggregateCells(r.delta), meta.partition, meta.offset]]);
    return ok((r.partials ?? []).map((p): Cell[] => [p.parentId, r.childId, r.childVersion, r.emittedAtMs, ...aggregateCells(p.aggregate), meta.partition, meta.offset]));
  },
};

const gridEvents: TableMapping<typeof TopicNames.gridEvents> = {
  topic: TopicNames.gridEvents,
  table: 'grid_events',
  columns: cols(`
    event_id String
    kind LowCardinality(String)
    scope_asset_id String
    target_mw Nullable(Float64)
    start_at DT
    end_at DT
    issued_by String
    issued_at DT
    cancels_event_id Nullable(String)
    reason Nullable(String)`),
  toRows: one(TopicNames.gridEvents, (e) => [e.eventId, e.kind, e.scopeAssetId, e.targetMw, e.startMs, e.endMs, e.issuedBy, e.issuedAtMs, e.cancelsEventId, e.reason]),
};

const commands: TableMapping<typeof TopicNames.controlCommands> = {
  topic: TopicNames.controlCommands,
  table: 'commands',
  columns: cols(`
    command_id String
    event_id Nullable(String)
    site_id String
    kind LowCardinality(String)
    power_kw Float64
    reserve_pct Nullable(Float64)
    start_at DT
    end_at DT
    expires_at DT
    issued_at DT`),
  toRows: one(TopicNames.controlCommands, (c) => [c.commandId, c.eventId, c.siteId, c.kind, c.powerKw, c.reservePct, c.startMs, c.endMs, c.expiresAtMs, c.issuedAtMs]),
};

const acks: TableMapping<typeof TopicNames.controlAcks> = {
  topic: TopicNames.controlAcks,
  table: 'acks',
  columns: cols(`
    command_id String
    site_id String
    device_id String
    status LowCardinality(String)
    reason Nullable(String)
    acked_at DT`),
  toRows: one(TopicNames.controlAcks, (a) => [a.commandId, a.siteId, a.deviceId, a.status, a.reason, a.ackedAtMs]),
};

const weather: TableMapping<typeof TopicNames.weatherObservations> = {
  topic: TopicNames.weatherObservations,
  table: 'weather_observations',
  columns: cols(`
    cell_id String
    observed_at DT
    temperature_c Float64
    cloud_cover_pct Float64
    irradiance_w_per_m2 Float64
    wind_speed_m_per_s Float64
    alert_kind LowCardinality(Nullable(String))
    alert_severity LowCardinality(Nullable(String))
    alert_starts_at DT?
    alert_ends_at DT?
    alert_text Nullable(String)`),
  toRows: one(TopicNames.weatherObservations, (w) => [
    w.cellId, w.observedAtMs, w.temperatureC, w.cloudCoverPct, w.irradianceWPerM2, w.windSpeedMPerS,
    w.alert?.kind ?? null, w.alert?.severity ?? null, w.alert?.startsAtMs ?? null, w.alert?.endsAtMs ?? null, w.alert?.text ?? null,
  ]),
};

const gridMix: TableMapping<typeof TopicNames.gridMix> = {
  topic: TopicNames.gridMix,
  table: 'grid_mix',
  columns: cols(`
    region_id String
    observed_at DT
    interval_minutes UInt32
    carbon_g_per_kwh Float64
    demand_mw Float64
    generation_source Array(LowCardinality(String))
    generation_mw Array(Float64)`),
  toRows: one(TopicNames.gridMix, (m) => [
    m.regionId, m.observedAtMs, m.intervalMinutes, m.carbonGPerKwh, m.demandMw, m.generation.map((g) => g.source), m.generation.map((g) => g.mw),
  ]),
};

const MINUTE_MS = 60_000;

const forecasts: TableMapping<typeof TopicNames.fleetForecasts> = {
  topic: TopicNames.fleetForecasts,
  table: 'forecasts',
  columns: cols(`
    site_id String
    issued_at DT
    target_at DT
    horizon_minutes UInt32
    step UInt16
    run_id String
    step_minutes UInt32
    solar_kw Float32
    load_kw Float32
    carbon_g_per_kwh Float32
    temperature_c Float32
    storm_watch_severity LowCardinality(Nullable(String))
    storm_watch_starts_at DT?
    storm_watch_ends_at DT?
    model_version LowCardinality(String)`),
  toRows: (b, meta) => {
    if (b === null) return ok([]);
    const steps = b.solarKw.length;
    if (b.loadKw.length !== steps || b.carbonGPerKwh.length !== steps || b.temperatureC.length !== steps) {
      return err(`${TopicNames.fleetForecasts}: series lengths differ (solar ${steps}, load ${b.loadKw.length}, carbon ${b.carbonGPerKwh.length}, temperature ${b.temperatureC.length})`);
    }
    if (steps > 65_535) return err(`${TopicNames.fleetForecasts}: ${steps} steps is more than a bundle may hold`);
    const rows: Cell[][] = [];
    for (let i = 0; i < steps; i++) {
      const targetMs = b.validFromMs + i * b.stepMinutes * MINUTE_MS;
      rows.push([
        b.siteId, b.issuedAtMs, targetMs, Math.max(0, Math.round((targetMs - b.issuedAtMs) / MINUTE_MS)), i, b.runId, b.stepMinutes,
        b.solarKw[i] ?? 0, b.loadKw[i] ?? 0, b.carbonGPerKwh[i] ?? 0, b.temperatureC[i] ?? 0,
        b.stormWatch?.severity ?? null, b.stormWatch?.startsAtMs ?? null, b.stormWatch?.endsAtMs ?? null, b.modelVersion,
        meta.partition, meta.offset,
      ]);
    }
    return ok(rows);
  },
};

/**
 * A provider's forecast becomes one row per point (who said it, when issued, for which time), so
 * SQL can pick the newest issue at or before any instant and score it by horizon. A point with
 * neither a forecast nor an actual says nothing and is not stored.
 */
const providerForecasts: TableMapping<typeof TopicNames.providerForecasts> = {
  topic: TopicNames.providerForecasts,
  table: 'provider_forecasts',
  columns: cols(`
    source_id String
    provider LowCardinality(String)
    area_id String
    quantity LowCardinality(String)
    issued_at DT
    fetched_at DT
    target_at DT
    interval_minutes UInt32
    horizon_minutes Int32
    forecast Nullable(Float64)
    actual Nullable(Float64)`),
  toRows: (f, meta) => {
    if (f === null) return err(`${TopicNames.providerForecasts}: a null value (tombstone) is not expected on this topic`);
    const rows: Cell[][] = [];
    for (const p of f.points) {
      if (p.forecast === null && p.actual === null) continue;
      if (!Number.isFinite(p.targetMs) || !(p.intervalMinutes > 0)) return err(`${TopicNames.providerForecasts}: ${f.sourceId} has a point with target ${p.targetMs} and interval ${p.intervalMinutes} min`);
      rows.push([
        f.sourceId, f.provider, f.areaId, f.quantity, f.issuedAtMs, f.fetchedAtMs, p.targetMs, p.intervalMinutes,
        Math.round((p.targetMs - f.issuedAtMs) / MINUTE_MS), p.forecast, p.actual, meta.partition, meta.offset,
      ]);
    }
    return ok(rows);
  },
};

/** Payloads kept in dead_letters are capped: the table is for triage, Kafka keeps the original. */
export const DEAD_LETTER_PAYLOAD_LIMIT = 16 * 1024;

const deadLetters: TableMapping<typeof TopicNames.deadLetters> = {
  topic: TopicNames.deadLetters,
  table: 'dead_letters',
  columns: cols(`
    source String
    service LowCardinality(String)
    error_code LowCardinality(String)
    reason String
    origin_topic Nullable(String)
    origin_partition Nullable(Int32)
    origin_offset Nullable(Int64)
    origin_key Nullable(String)
    payload String
    payload_bytes UInt32
    rejected_at DT`),
  toRows: one(TopicNames.deadLetters, (d) => [
    d.source, d.service, d.errorCode, d.reason, d.originTopic, d.originPartition, d.originOffset, d.originKey,
    d.payload.subarray(0, DEAD_LETTER_PAYLOAD_LIMIT), d.payloadBytes, d.rejectedAtMs,
  ]),
};

const customerChoices: TableMapping<typeof TopicNames.controlChoices> = {
  topic: TopicNames.controlChoices,
  table: 'customer_choices',
  columns: cols(`
    site_id String
    reserve_pct Nullable(Float64)
    opted_out_event_ids Array(String)
    updated_at DT
    updated_by String
    deleted UInt8`),
  toRows: (c, meta) => {
    if (c === null) {
      // A tombstone forgets the site's choices: a row marked deleted.
      if (meta.key === null) return err(`${TopicNames.controlChoices}: a tombstone without a key names no site`);
      return ok([[meta.key, null, [], meta.timestampMs, '', 1, meta.partition, meta.offset]]);
    }
    return ok([[c.siteId, c.reservePct, c.optedOutEventIds, c.updatedAtMs, c.updatedBy, 0, meta.partition, meta.offset]]);
  },
};

export type AnyTableMapping = { [T in TopicName]: TableMapping<T> }[TopicName];

/** Every topic of the catalog and the table it lands in. */
export const TABLE_MAPPINGS: { readonly [T in TopicName]: TableMapping<T> } = {
  [TopicNames.telemetry]: telemetry,
  [TopicNames.assetRegistry]: assets,
  [TopicNames.assetState]: assetStates,
  [TopicNames.assetRollup]: assetRollups,
  [TopicNames.gridEvents]: gridEvents,
  [TopicNames.controlCommands]: commands,
  [TopicNames.controlAcks]: acks,
  [TopicNames.controlChoices]: customerChoices,
  [TopicNames.weatherObservations]: weather,
  [TopicNames.gridMix]: gridMix,
  [TopicNames.fleetForecasts]: forecasts,
  [TopicNames.providerForecasts]: providerForecasts,
  [TopicNames.deadLetters]: deadLetters,
};

export const mappingOf = <T extends TopicName>(topic: T): TableMapping<T> => TABLE_MAPPINGS[topic];
