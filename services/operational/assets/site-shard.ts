/**
 * A site shard: the device and site actors of the sites keyed to one telemetry partition, with
 * no Kafka in sight. Frames change the actors in memory; flush() hands back, at most once per
 * timer tick of the shell, what changed since the previous flush: the compact state of each
 * changed site (for the view) and the partial aggregate of each ancestor whose sum changed (for
 * the parents, one hop). Many frames of a site between two flushes coalesce into one entry.
 *
 * Versions (seq) are max(previous + 1, wall clock ms): monotonic within an owner, and a new owner
 * restored from an older snapshot still starts above whatever the previous owner sent (as long
 * as the owners' clocks agree to within the time a restore takes), so a parent never keeps a
 * dead owner's partial over a live one's.
 */
import type { AssetState, CompactSite, DeviceSnapshot, PartialAggregate, Telemetry } from '../../platform/events.ts';
import { deviceAggregate } from './aggregate.ts';
import { applyTelemetry, markStale, siteFromDevices } from './device-actor.ts';
import type { Hierarchy } from './hierarchy.ts';
import { createPartialEngine } from './partials.ts';

export interface SiteFlush {
  readonly seq: number;
  readonly full: boolean;
  readonly partials: PartialAggregate[];
  readonly sites: CompactSite[];
  readonly removedIds: string[];
  /** Kafka time of the oldest frame applied since the previous flush (null: none). */
  readonly oldestInputAtMs: number | null;
}

export interface SiteSnapshot {
  readonly seq: number;
  readonly devices: DeviceSnapshot[];
}

export interface SiteShard {
  readonly partition: number;
  /** 'decommissioned': the registry deleted the device or its site; the frame changes nothing. */
  handleTelemetry(t: Telemetry, nowMs: number, inputAtMs: number): 'applied' | 'replay' | 'decommissioned';
  /**
   * Takes devices past the staleness window offline, and lets go of devices and sites the
   * registry decommissioned; returns how many actors changed.
   */
  tick(nowMs: number): number;
  /** Whether a flush would carry anything. */
  dirty(): boolean;
  /** What changed since the last flush; full: every site and every partial (a resync). */
  flush(nowMs: number, wallMs: number, full: boolean): SiteFlush;
  snapshot(): SiteSnapshot;
  /** Loads a snapshot into an empty shard; the next flush should be full. */
  restore(s: SiteSnapshot, nowMs: number): void;
  get(assetId: string): AssetState | undefined;
  size(): number;
}

export const compactSite = (s: AssetState): CompactSite => ({
  siteId: s.assetId, updatedAtMs: s.updatedAtMs, lastSeenMs: s.lastSeenMs, online: s.online, socPct: s.socPct, mode: s.mode,
  alarms: s.alarms, activeCommandIds: s.activeCommandIds, aggregate: s.aggregate,
});

export const createSiteShard = (partition: number, hierarchy: Hierarchy, staleAfterMs: number): SiteShard => {
  const devices = new Map<string, AssetState>();
  const sites = new Map<string, AssetState>();
  const devicesOfSite = new Map<string, Set<string>>();
  const siteOf = new Map<string, string>();
  const dirtySites = new Set<string>();
  const removedIds = new Set<string>();
  const retiringSites = new Set<string>();
  const engine = createPartialEngine(hierarchy);
  let seq = 0;
  let oldestInputAtMs: number | null = null;

  const link = (deviceId: string, siteId: string): void => {
    const old = siteOf.get(deviceId);
    if (old === siteId) return;
    if (old !== undefined) {
      devicesOfSite.get(old)?.delete(deviceId);
      dirtySites.add(old);
    }
    siteOf.set(deviceId, siteId);
    let set = devicesOfSite.get(siteId);
    if (set === undefined) {
      set = new Set();
      devicesOfSite.set(siteId, set);
    }
    set.add(deviceId);
  };

  return {
    partition,
    handleTelemetry(t, nowMs, inputAtMs) {
      if (hierarchy.isDecommissioned(t.deviceId) || hierarchy.isDecommissioned(t.siteId)) return 'decommissioned';
      const out = applyTelemetry(devices.get(t.deviceId), t, hierarchy.limitsOf(t.deviceId), nowMs, staleAfterMs);
      if (out.kind === 'replay') return 'replay';
      devices.set(t.deviceId, out.state);
      link(t.deviceId, t.siteId);
      dirtySites.add(t.siteId);
      if (oldestInputAtMs === null || inputAtMs < oldestInputAtMs) oldestInputAtMs = inputAtMs;
      return 'applied';
    },
    tick(nowMs) {
      let n = 0;
      for (const id of [...devices.keys()]) {
        if (!hierarchy.isDecommissioned(id)) continue;
        devices.delete(id);
        const siteId = siteOf.get(id);
        siteOf.delete(id);
        if (siteId !== undefined) {
          devicesOfSite.get(siteId)?.delete(id);
          dirtySites.add(siteId);
        }
        n++;
      }
      for (const siteId of sites.keys()) {
        if (hierarchy.isDecommissioned(siteId) && !retiringSites.has(siteId)) {
          retiringSites.add(siteId);
          n++;
        }
      }
      for (const [id, s] of devices) {
        const next = markStale(s, nowMs, staleAfterMs);
        if (next === null) continue;
        devices.set(id, next);
        const siteId = siteOf.get(id);
        if (siteId !== undefined) dirtySites.add(siteId);
        n++;
      }
      return n;
    },
    dirty: () => dirtySites.size > 0 || retiringSites.size > 0 || engine.pending() > 0,
    flush(nowMs, wallMs, full) {
      seq = Math.max(seq + 1, wallMs);
      const changed: CompactSite[] = [];
      // A decommissioned site leaves its ancestors' partials (they are recomputed without it) and the view.
      for (const siteId of retiringSites) {
        for (const d of devicesOfSite.get(siteId) ?? []) {
          devices.delete(d);
          siteOf.delete(d);
        }
        sites.delete(siteId);
        devicesOfSite.delete(siteId);
        dirtySites.delete(siteId);
        engine.setSite(siteId, null);
        removedIds.add(siteId);
      }
      retiringSites.clear();
      for (const siteId of dirtySites) {
        const members = [...(devicesOfSite.get(siteId) ?? [])].sort().flatMap((d) => devices.get(d) ?? []);
        const next = siteFromDevices(sites.get(siteId), siteId, members, nowMs);
        if (next === null) continue;
        sites.set(siteId, next);
        engine.setSite(siteId, next.aggregate);
        if (!full) changed.push(compactSite(next));
      }
      dirtySites.clear();
      const out: SiteFlush = {
        seq, full, oldestInputAtMs,
        partials: engine.take(full),
        sites: full ? [...sites.values()].map(compactSite) : changed,
        removedIds: [...removedIds],
      };
      removedIds.clear();
      oldestInputAtMs = null;
      return out;
    },
    snapshot() {
      const list: DeviceSnapshot[] = [];
      for (const [id, s] of devices) {
        const siteId = siteOf.get(id);
        if (siteId === undefined || s.lastSeq === null) continue;
        const a = s.aggregate;
        list.push({
          deviceId: id, siteId, version: s.version, lastSeq: s.lastSeq, lastSeenMs: s.lastSeenMs ?? 0, online: s.online, socPct: s.socPct ?? 0,
          batteryKw: a.batteryKw, solarKw: a.solarKw, loadKw: a.loadKw, gridKw: a.gridKw, mode: s.mode, alarms: s.alarms, activeCommandId: s.activeCommandIds[0] ?? null,
        });
      }
      return { seq, devices: list };
    },
    restore(snap, nowMs) {
      seq = Math.max(seq, snap.seq);
      for (const d of snap.devices) {
        const measured = { socPct: d.socPct, batteryKw: d.batteryKw, solarKw: d.solarKw, loadKw: d.loadKw, gridKw: d.gridKw, alarmCount: d.alarms.length };
        devices.set(d.deviceId, {
          assetId: d.deviceId, kind: 'DEVICE', version: d.version, updatedAtMs: nowMs, lastSeenMs: d.lastSeenMs, online: d.online, socPct: d.socPct, mode: d.mode,
          alarms: d.alarms, activeCommandIds: d.activeCommandId === null ? [] : [d.activeCommandId],
          aggregate: deviceAggregate(measured, hierarchy.limitsOf(d.deviceId), d.online), lastSeq: d.lastSeq, children: [],
        });
        link(d.deviceId, d.siteId);
        dirtySites.add(d.siteId);
      }
    },
    get: (id) => devices.get(id) ?? sites.get(id),
    size: () => devices.size + sites.size,
  };
};
