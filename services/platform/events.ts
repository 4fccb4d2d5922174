/**
 * TypeScript shapes of the Avro values on each topic (schemas/<topic>.avsc is the contract; a
 * unit test, test/unit/platform/event-types.test.ts, reads these types with the compiler and
 * fails when one disagrees with its schema). Nullable
 * union fields are plain `T | null` because the codecs unwrap ["null", T] unions.
 * Units are in field names; times are UTC epoch milliseconds.
 */
import type { TopicNames } from './topics.ts';

export type AssetKind = 'FLEET' | 'REGION' | 'SUBSTATION' | 'FEEDER' | 'SITE' | 'DEVICE';
export type OperatingMode = 'SELF_CONSUMPTION' | 'COST_OPTIMIZED' | 'BACKUP' | 'DISPATCH' | 'IDLE' | 'FAULT';
export type AlertSeverity = 'ADVISORY' | 'WATCH' | 'WARNING';

export interface Telemetry {
  deviceId: string;
  siteId: string;
  seq: number;
  measuredAtMs: number;
  receivedAtMs: number;
  socPct: number;
  batteryKw: number;
  solarKw: number;
  loadKw: number;
  gridKw: number;
  batteryTempC: number;
  mode: OperatingMode;
  alarms: string[];
  activeCommandId: string | null;
}

export interface AssetDefinition {
  assetId: string;
  kind: AssetKind;
  parentId: string | null;
  name: string;
  latitudeDeg: number | null;
  longitudeDeg: number | null;
  weatherCellId: string | null;
  gridRegionId: string | null;
  solarKwp: number | null;
  batteryKwh: number | null;
  maxChargeKw: number | null;
  maxDischargeKw: number | null;
  backupReservePct: number | null;
  customerId: string | null;
  updatedAtMs: number;
  deleted: boolean;
  /** Device credentials issued before this time are revoked; null when none are. */
  credentialsRevokedBeforeMs: number | null;
  /**
   * v3, sites: the PV array's tilt from horizontal (degrees) and the direction it faces (degrees
   * clockwise from north, 180 = south), and the site's altitude (m). Null (or absent when
   * encoding: the schema's default) when unknown; the forecast then takes the array as flat at
   * sea level.
   */
  tiltDeg?: number | null;
  azimuthDeg?: number | null;
  altitudeM?: number | null;
}

export interface Aggregate {
  availableEnergyKwh: number;
  chargeHeadroomKw: number;
  dischargeHeadroomKw: number;
  solarKw: number;
  loadKw: number;
  gridKw: number;
  batteryKw: number;
  onlineCount: number;
  deviceCount: number;
  alarmCount: number;
}

export interface AssetState {
  assetId: string;
  kind: AssetKind;
  version: number;
  updatedAtMs: number;
  lastSeenMs: number | null;
  online: boolean;
  socPct: number | null;
  mode: OperatingMode;
  alarms: string[];
  activeCommandIds: string[];
  aggregate: Aggregate;
  lastSeq: number | null;
  /**
   * v2, parents only: each child's last applied version and aggregate (the parent's aggregate is
   * their sum). Always present when decoded (empty for sites and devices); may be left out when
   * encoding, which writes [].
   */
  children?: ChildAggregate[];
  /** v3: set when the record is a shard's batch (compact view or snapshot), null for one actor; may be left out when encoding. */
  batch?: ShardBatch | null;
}

export type BatchContent = 'SITE_VIEW' | 'PARENT_VIEW' | 'SITE_SNAPSHOT' | 'PARENT_SNAPSHOT';

/** A site's aggregate in the compact view (single precision on the wire). */
export type CompactAggregate = Aggregate;

export interface CompactSite {
  siteId: string;
  updatedAtMs: number;
  lastSeenMs: number | null;
  online: boolean;
  socPct: number | null;
  mode: OperatingMode;
  alarms: string[];
  activeCommandIds: string[];
  aggregate: CompactAggregate;
}

export interface CompactParent {
  assetId: string;
  kind: AssetKind;
  updatedAtMs: number;
  aggregate: Aggregate;
}

export interface DeviceSnapshot {
  deviceId: string;
  siteId: string;
  version: number;
  lastSeq: number;
  lastSeenMs: number;
  online: boolean;
  socPct: number;
  batteryKw: number;
  solarKw: number;
  loadKw: number;
  gridKw: number;
  mode: OperatingMode;
  alarms: string[];
  activeCommandId: string | null;
}

export interface PartialSource {
  shard: number;
  version: number;
  aggregate: Aggregate;
}

export interface ParentPartials {
  parentId: string;
  kind: AssetKind;
  sources: PartialSource[];
}

/** v3 of asset.state.v1: what a whole shard writes (see schemas/asset.state.v1.avsc). */
export interface ShardBatch {
  shard: number;
  content: BatchContent;
  seq: number;
  full: boolean;
  part: number;
  parts: number;
  coversOffset: number | null;
  oldestInputAtMs: number | null;
  sites: CompactSite[];
  removedIds: string[];
  parents: CompactParent[];
  devices: DeviceSnapshot[];
  partials: ParentPartials[];
}

export interface ChildAggregate {
  childId: string;
  version: number;
  aggregate: Aggregate;
}

export interface RollupDelta {
  parentId: string;
  childId: string;
  childVersion: number;
  emittedAtMs: number;
  delta: Aggregate;
  /** v2: the child's whole aggregate after the change; null (or absent when encoding) from v1 writers. */
  aggregate?: Aggregate | null;
  /** v3: the site shard whose partials these are; -1 (or absent when encoding) for a v1/v2 child delta. */
  sourceShard?: number;
  /** v3: a site shard's partial aggregates, all at version childVersion. */
  partials?: PartialAggregate[];
  /** v3: Kafka time of the oldest telemetry first reflected here (for lag). */
  oldestInputAtMs?: number | null;
}

export interface PartialAggregate {
  parentId: string;
  aggregate: Aggregate;
}

export interface GridEvent {
  eventId: string;
  kind: 'VPP_DISPATCH' | 'DEMAND_PEAK' | 'STORM_WATCH' | 'OUTAGE' | 'CANCEL';
  scopeAssetId: string;
  targetMw: number | null;
  startMs: number;
  endMs: number;
  issuedBy: string;
  issuedAtMs: number;
  cancelsEventId: string | null;
  reason: string | null;
  /** For STORM_WATCH: weather cells whose sites hold full charge; empty means the whole scope (v2, default []). */
  weatherCellIds: string[];
}

export interface SiteCommand {
  commandId: string;
  eventId: string | null;
  siteId: string;
  kind: 'DISCHARGE' | 'CHARGE' | 'HOLD_RESERVE' | 'RELEASE';
  powerKw: number;
  reservePct: number | null;
  startMs: number;
  endMs: number;
  expiresAtMs: number;
  issuedAtMs: number;
}

export interface CommandAck {
  commandId: string;
  siteId: string;
  deviceId: string;
  status: 'ACCEPTED' | 'REJECTED' | 'COMPLETED' | 'EXPIRED';
  reason: string | null;
  ackedAtMs: number;
}

export interface WeatherObservation {
  cellId: string;
  observedAtMs: number;
  temperatureC: number;
  cloudCoverPct: number;
  irradianceWPerM2: number;
  windSpeedMPerS: number;
  alert: {
    kind: 'STORM' | 'HEAT' | 'COLD' | 'WIND' | 'FLOOD' | 'WILDFIRE';
    severity: AlertSeverity;
    startsAtMs: number;
    endsAtMs: number;
    text: string;
  } | null;
}

export type SourceKind = 'SOLAR' | 'WIND' | 'HYDRO' | 'NUCLEAR' | 'GAS' | 'COAL' | 'OIL' | 'BIOMASS' | 'STORAGE' | 'IMPORTS' | 'OTHER';

export interface GridMix {
  regionId: string;
  observedAtMs: number;
  intervalMinutes: number;
  carbonGPerKwh: number;
  demandMw: number;
  generation: Array<{ source: SourceKind; mw: number }>;
}

export interface ForecastBundle {
  siteId: string;
  issuedAtMs: number;
  runId: string;
  validFromMs: number;
  stepMinutes: number;
  solarKw: number[];
  loadKw: number[];
  carbonGPerKwh: number[];
  temperatureC: number[];
  stormWatch: { startsAtMs: number; endsAtMs: number; severity: AlertSeverity } | null;
  modelVersion: string;
}

/**
 * What an outside provider said about one quantity of one area, as fetched (provider.forecasts.v1,
 * key sourceId): analytics input only. Times are UTC epoch ms; values are in the unit the quantity
 * names. A point's actual is the provider's own measurement where its response carries one.
 */
export interface ProviderForecast {
  sourceId: string;
  provider: string;
  areaId: string;
  quantity: string;
  issuedAtMs: number;
  fetchedAtMs: number;
  points: Array<{ targetMs: number; intervalMinutes: number; forecast: number | null; actual: number | null }>;
}

export interface DeadLetter {
  source: string;
  service: string;
  errorCode: string;
  reason: string;
  originTopic: string | null;
  originPartition: number | null;
  originOffset: number | null;
  originKey: string | null;
  payload: Buffer;
  payloadBytes: number;
  rejectedAtMs: number;
}

/**
 * A customer's standing choices for their site (compacted, key siteId): the newest record is the
 * whole truth, so control restores them on start.
 */
export interface CustomerChoices {
  siteId: string;
  /** Reserve the fleet may not dip below, percent; null: the site's own backup reserve. */
  reservePct: number | null;
  /** Events the site is opted out of. */
  optedOutEventIds: string[];
  updatedAtMs: number;
  /** Who changed them (customer:<name>). */
  updatedBy: string;
}

/** The value type carried by each topic. */
export interface TopicValues {
  [TopicNames.telemetry]: Telemetry;
  [TopicNames.assetRegistry]: AssetDefinition;
  [TopicNames.assetState]: AssetState;
  [TopicNames.assetRollup]: RollupDelta;
  [TopicNames.gridEvents]: GridEvent;
  [TopicNames.controlCommands]: SiteCommand;
  [TopicNames.controlAcks]: CommandAck;
  [TopicNames.controlChoices]: CustomerChoices;
  [TopicNames.weatherObservations]: WeatherObservation;
  [TopicNames.gridMix]: GridMix;
  [TopicNames.fleetForecasts]: ForecastBundle;
  [TopicNames.providerForecasts]: ProviderForecast;
  [TopicNames.deadLetters]: DeadLetter;
}
