/**
 * Device and site actors: pure state machines over AssetState (the changelog record itself).
 *
 * A device applies telemetry frames in sequence order: a frame whose seq is not above lastSeq is a
 * replay (redelivery after a crash, a resent frame) and changes nothing. A device is online while
 * its last frame (receivedAtMs, the gateway's clock) is younger than the staleness window; the
 * periodic tick takes it offline. A site is the sum of its devices (all in the same shard, since
 * telemetry is keyed by site), so it needs no rollup topic of its own.
 */
import type { AssetState, Telemetry } from '../../platform/events.ts';
import { deviceAggregate, sameAggregate, sumAggregates, zeroAggregate, type DeviceLimits } from './aggregate.ts';

export type TelemetryOutcome = { readonly kind: 'applied'; readonly state: AssetState } | { readonly kind: 'replay' };

export const emptyState = (assetId: string, kind: AssetState['kind']): AssetState => ({
  assetId, kind, version: 0, updatedAtMs: 0, lastSeenMs: null, online: false, socPct: null, mode: 'IDLE',
  alarms: [], activeCommandIds: [], aggregate: zeroAggregate(), lastSeq: null, children: [],
});

export const isOnline = (lastSeenMs: number | null, nowMs: number, staleAfterMs: number): boolean =>
  lastSeenMs !== null && nowMs - lastSeenMs < staleAfterMs;

export const applyTelemetry = (
  prev: AssetState | undefined,
  t: Telemetry,
  limits: DeviceLimits,
  nowMs: number,
  staleAfterMs: number,
): TelemetryOutcome => {
  if (prev?.lastSeq != null && t.seq <= prev.lastSeq) return { kind: 'replay' };
  const base = prev ?? emptyState(t.deviceId, 'DEVICE');
  const lastSeenMs = Math.max(base.lastSeenMs ?? t.receivedAtMs, t.receivedAtMs);
  const online = isOnline(lastSeenMs, nowMs, staleAfterMs);
  const measured = { socPct: t.socPct, batteryKw: t.batteryKw, solarKw: t.solarKw, loadKw: t.loadKw, gridKw: t.gridKw, alarmCount: t.alarms.length };
  return {
    kind: 'applied',
    state: {
      ...base,
      version: base.version + 1,
      updatedAtMs: nowMs,
      lastSeenMs,
      online,
      socPct: t.socPct,
      mode: t.mode,
      alarms: [...t.alarms],
      activeCommandIds: t.activeCommandId === null ? [] : [t.activeCommandId],
      aggregate: deviceAggregate(measured, limits, online),
      lastSeq: t.seq,
    },
  };
};

/** The tick: a device past its staleness window goes offline (a new version); others are unchanged (null). */
export const markStale = (s: AssetState, nowMs: number, staleAfterMs: number): AssetState | null => {
  if (!s.online || isOnline(s.lastSeenMs, nowMs, staleAfterMs)) return null;
  return {
    ...s,
    version: s.version + 1,
    updatedAtMs: nowMs,
    online: false,
    aggregate: { ...zeroAggregate(), deviceCount: s.aggregate.deviceCount, alarmCount: s.aggregate.alarmCount },
  };
};

const union = (lists: ReadonlyArray<readonly string[]>): string[] => [...new Set(lists.flat())].sort();

/**
 * A site from its devices: the sum of their aggregates, the mean state of charge, the newest
 * last-seen, online while any device is. Returns null when nothing an operator sees changed.
 */
export const siteFromDevices = (prev: AssetState | undefined, siteId: string, devices: readonly AssetState[], nowMs: number): AssetState | null => {
  const base = prev ?? emptyState(siteId, 'SITE');
  const socs = devices.map((d) => d.socPct).filter((s): s is number => s !== null);
  const seen = devices.map((d) => d.lastSeenMs).filter((s): s is number => s !== null);
  const next: AssetState = {
    ...base,
    kind: 'SITE',
    updatedAtMs: nowMs,
    lastSeenMs: seen.length === 0 ? null : Math.max(...seen),
    online: devices.some((d) => d.online),
    socPct: socs.length === 0 ? null : socs.reduce((a, b) => a + b, 0) / socs.length,
    mode: devices[0]?.mode ?? 'IDLE',
    alarms: union(devices.map((d) => d.alarms)),
    activeCommandIds: union(devices.map((d) => d.activeCommandIds)),
    aggregate: sumAggregates(devices.map((d) => d.aggregate)),
    lastSeq: null,
    children: [],
  };
  const same =
    prev !== undefined && prev.online === next.online && prev.socPct === next.socPct && prev.mode === next.mode && prev.lastSeenMs === next.lastSeenMs &&
    prev.alarms.join() === next.alarms.join() && prev.activeCommandIds.join() === next.activeCommandIds.join() && sameAggregate(prev.aggregate, next.aggregate);
  return same ? null : { ...next, version: base.version + 1 };
};
