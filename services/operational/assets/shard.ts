/**
 * Shards: the actors of one Kafka partition, with no Kafka in sight. A site shard owns the
 * device and site actors whose telemetry arrives on telemetry partition p; a parent shard owns
 * the parent actors whose rollups arrive on asset.rollup.v1 partition p. Events go in; drain()
 * hands back what changed since the last drain: one state record per changed actor (for
 * asset.state.v1 partition p) and one rollup per changed actor to its parent. Changes within one
 * batch coalesce into one version per actor.
 */
import type { Aggregate, AssetState, RollupDelta, Telemetry } from '../../platform/events.ts';
import { subtractAggregates, zeroAggregate } from './aggregate.ts';
import { applyTelemetry, markStale, siteFromDevices } from './device-actor.ts';
import type { Hierarchy } from './hierarchy.ts';
import { applyRollup, bumpParent, newParent, parentFromState, parentState, type ParentActor } from './parent-actor.ts';

export interface ShardOutput {
  readonly states: AssetState[];
  readonly rollups: RollupDelta[];
  /** Actors gone (decommissioned): a tombstone each on asset.state.v1, so the changelog forgets them. */
  readonly removed: string[];
}

export interface Shard {
  readonly partition: number;
  /** Loads actors from changelog records (the newest per asset wins by version). */
  restore(states: readonly AssetState[]): void;
  /** Re-sends every actor's current aggregate to its parent at its current version (parents drop what they have). */
  resync(): void;
  drain(nowMs: number): ShardOutput;
  get(assetId: string): AssetState | undefined;
  size(): number;
}

export interface SiteShard extends Shard {
  /** 'decommissioned': the registry deleted the device or its site; the frame changes nothing. */
  handleTelemetry(t: Telemetry, nowMs: number): 'applied' | 'replay' | 'decommissioned';
  /**
   * Takes devices past the staleness window offline, and lets go of devices and sites the
   * registry decommissioned (a site's aggregate is taken back out of its former parent);
   * returns how many actors changed.
   */
  tick(nowMs: number): number;
}

export interface ParentShard extends Shard {
  handleRollup(r: RollupDelta): 'applied' | 'duplicate';
}

const rollupTo = (parentId: string, s: AssetState, reported: Map<string, Aggregate>, nowMs: number): RollupDelta => {
  const delta = subtractAggregates(s.aggregate, reported.get(s.assetId) ?? zeroAggregate());
  reported.set(s.assetId, s.aggregate);
  return { parentId, childId: s.assetId, childVersion: s.version, emittedAtMs: nowMs, delta, aggregate: s.aggregate };
};

const newer = (prev: { version: number } | undefined, next: { version: number }): boolean => prev === undefined || next.version >= prev.version;

export const createSiteShard = (partition: number, hierarchy: Hierarchy, staleAfterMs: number): SiteShard => {
  const devices = new Map<string, AssetState>();
  const sites = new Map<string, AssetState>();
  const devicesOfSite = new Map<string, Set<string>>();
  const dirtyDevices = new Set<string>();
  const dirtySites = new Set<string>();
  const resyncSites = new Set<string>();
  const reported = new Map<string, Aggregate>();
  const removedIds = new Set<string>();
  const retiringSites = new Set<string>();

  const link = (deviceId: string, siteId: string): void => {
    const set = devicesOfSite.get(siteId) ?? new Set<string>();
    set.add(deviceId);
    devicesOfSite.set(siteId, set);
  };
  const siteOf = new Map<string, string>();

  return {
    partition,
    restore(states) {
      for (const s of states) {
        if (s.kind === 'DEVICE' && newer(devices.get(s.assetId), s)) {
          devices.set(s.assetId, s);
          const siteId = hierarchy.parentOf(s.assetId);
          if (siteId !== null) {
            siteOf.set(s.assetId, siteId);
            link(s.assetId, siteId);
          }
        } else if (s.kind === 'SITE' && newer(sites.get(s.assetId), s)) {
          sites.set(s.assetId, s);
          reported.set(s.assetId, s.aggregate);
        }
      }
    },
    resync() {
      for (const id of sites.keys()) resyncSites.add(id);
    },
    handleTelemetry(t, nowMs) {
      if (hierarchy.isDecommissioned(t.deviceId) || hierarchy.isDecommissioned(t.siteId)) return 'decommissioned';
      const out = applyTelemetry(devices.get(t.deviceId), t, hierarchy.limitsOf(t.deviceId), nowMs, staleAfterMs);
      if (out.kind === 'replay') return 'replay';
      devices.set(t.deviceId, out.state);
      const old = siteOf.get(t.deviceId);
      if (old !== undefined && old !== t.siteId) {
        devicesOfSite.get(old)?.delete(t.deviceId);
        dirtySites.add(old);
      }
      siteOf.set(t.deviceId, t.siteId);
      link(t.deviceId, t.siteId);
      dirtyDevices.add(t.deviceId);
      dirtySites.add(t.siteId);
      return 'applied';
    },
    tick(nowMs) {
      let n = 0;
      for (const id of [...devices.keys()]) {
        if (!hierarchy.isDecommissioned(id)) continue;
        devices.delete(id);
        dirtyDevices.delete(id);
        removedIds.add(id);
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
        dirtyDevices.add(id);
        const siteId = siteOf.get(id);
        if (siteId !== undefined) dirtySites.add(siteId);
        n++;
      }
      return n;
    },
    drain(nowMs) {
      const states: AssetState[] = [];
      const rollups: RollupDelta[] = [];
      // A decommissioned site sends its former parent the negative of what it reported (at a new
      // version, so the parent takes it once), then is forgotten.
      for (const siteId of retiringSites) {
        const s = sites.get(siteId);
        const parentId = hierarchy.formerParentOf(siteId);
        if (s !== undefined && parentId !== null) rollups.push(rollupTo(parentId, { ...s, version: s.version + 1, online: false, aggregate: zeroAggregate() }, reported, nowMs));
        sites.delete(siteId);
        reported.delete(siteId);
        devicesOfSite.delete(siteId);
        dirtySites.delete(siteId);
        resyncSites.delete(siteId);
        removedIds.add(siteId);
      }
      retiringSites.clear();
      for (const id of dirtyDevices) {
        const s = devices.get(id);
        if (s !== undefined) states.push(s);
      }
      for (const siteId of dirtySites) {
        const members = [...(devicesOfSite.get(siteId) ?? [])].sort().flatMap((d) => devices.get(d) ?? []);
        const next = siteFromDevices(sites.get(siteId), siteId, members, nowMs);
        if (next === null) continue;
        sites.set(siteId, next);
        states.push(next);
        resyncSites.add(siteId);
      }
      for (const siteId of resyncSites) {
        const s = sites.get(siteId);
        const parentId = hierarchy.parentOf(siteId);
        if (s !== undefined && parentId !== null) rollups.push(rollupTo(parentId, s, reported, nowMs));
      }
      dirtyDevices.clear();
      dirtySites.clear();
      resyncSites.clear();
      const removed = [...removedIds];
      removedIds.clear();
      return { states, rollups, removed };
    },
    get: (id) => devices.get(id) ?? sites.get(id),
    size: () => devices.size + sites.size,
  };
};

export const createParentShard = (partition: number, hierarchy: Hierarchy): ParentShard => {
  const actors = new Map<string, ParentActor>();
  const dirty = new Set<string>();
  const resyncIds = new Set<string>();
  const reported = new Map<string, Aggregate>();
  return {
    partition,
    restore(states) {
      for (const s of states) {
        if (s.kind === 'SITE' || s.kind === 'DEVICE') continue;
        const prev = actors.get(s.assetId);
        if (prev !== undefined && prev.version > s.version) continue;
        actors.set(s.assetId, parentFromState(s));
        reported.set(s.assetId, s.aggregate);
      }
    },
    resync() {
      for (const id of actors.keys()) resyncIds.add(id);
    },
    handleRollup(r) {
      let actor = actors.get(r.parentId);
      if (actor === undefined) {
        actor = newParent(r.parentId, hierarchy.kindOf(r.parentId) ?? 'FEEDER');
        actors.set(r.parentId, actor);
      }
      if (!applyRollup(actor, r)) return 'duplicate';
      dirty.add(r.parentId);
      return 'applied';
    },
    drain(nowMs) {
      const states: AssetState[] = [];
      const rollups: RollupDelta[] = [];
      for (const id of new Set([...dirty, ...resyncIds])) {
        const actor = actors.get(id);
        if (actor === undefined) continue;
        const kind = hierarchy.kindOf(id);
        if (kind !== undefined) actor.kind = kind;
        const s = dirty.has(id) ? bumpParent(actor, nowMs) : parentState(actor);
        if (dirty.has(id)) states.push(s);
        const parentId = hierarchy.parentOf(id);
        if (parentId !== null) rollups.push(rollupTo(parentId, s, reported, nowMs));
      }
      dirty.clear();
      resyncIds.clear();
      return { states, rollups, removed: [] };
    },
    get: (id) => {
      const a = actors.get(id);
      return a === undefined ? undefined : parentState(a);
    },
    size: () => actors.size,
  };
};
