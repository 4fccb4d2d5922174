/**
 * The asset hierarchy as asset.registry.v1 describes it (fleet > region > substation > feeder >
 * site > device, by parentId), kept in memory by every instance. Updated in place as registry
 * records arrive; lookups only. No effects.
 */
import type { AssetDefinition, AssetKind } from '../../platform/events.ts';
import { NO_LIMITS, type DeviceLimits } from './aggregate.ts';

export interface Hierarchy {
  /** Applies a registry record; a tombstone (null) or deleted=true removes the asset. */
  apply(assetId: string, def: AssetDefinition | null): void;
  get(assetId: string): AssetDefinition | undefined;
  parentOf(assetId: string): string | null;
  kindOf(assetId: string): AssetKind | undefined;
  /** Child ids, sorted. */
  childrenOf(assetId: string): readonly string[];
  /** True when the registry deleted the asset (deleted=true or a tombstone) and did not define it again. */
  isDecommissioned(assetId: string): boolean;
  /** The parent a decommissioned asset had, so its last aggregate can be taken back out of it. */
  formerParentOf(assetId: string): string | null;
  /** Limits of a device (its own record, else its site's), or zeros when unknown. */
  limitsOf(deviceId: string): DeviceLimits;
  /** Counts the registry records applied: what is derived from the hierarchy is still valid while it stays the same. */
  version(): number;
  size(): number;
}

export const createHierarchy = (): Hierarchy => {
  const defs = new Map<string, AssetDefinition>();
  const children = new Map<string, Set<string>>();
  const sorted = new Map<string, readonly string[]>();
  const decommissioned = new Map<string, string | null>();
  // Looked up for every telemetry frame; a registry change (rare once caught up) drops them all.
  const limits = new Map<string, DeviceLimits>();
  let version = 0;

  const unlink = (assetId: string): void => {
    const old = defs.get(assetId);
    if (old?.parentId == null) return;
    children.get(old.parentId)?.delete(assetId);
    sorted.delete(old.parentId);
  };

  const h: Hierarchy = {
    apply(assetId, def) {
      version++;
      if (limits.size > 0) limits.clear();
      const old = defs.get(assetId);
      unlink(assetId);
      if (def === null || def.deleted) {
        decommissioned.set(assetId, def?.parentId ?? old?.parentId ?? decommissioned.get(assetId) ?? null);
        defs.delete(assetId);
        return;
      }
      decommissioned.delete(assetId);
      defs.set(assetId, def);
      if (def.parentId !== null) {
        const set = children.get(def.parentId) ?? new Set<string>();
        set.add(assetId);
        children.set(def.parentId, set);
        sorted.delete(def.parentId);
      }
    },
    get: (id) => defs.get(id),
    isDecommissioned: (id) => decommissioned.has(id),
    formerParentOf: (id) => decommissioned.get(id) ?? null,
    parentOf: (id) => defs.get(id)?.parentId ?? null,
    kindOf: (id) => defs.get(id)?.kind,
    childrenOf(id) {
      let list = sorted.get(id);
      if (list === undefined) {
        list = [...(children.get(id) ?? [])].sort();
        sorted.set(id, list);
      }
      return list;
    },
    limitsOf(deviceId) {
      const known = limits.get(deviceId);
      if (known !== undefined) return known;
      const dev = defs.get(deviceId);
      const site = dev?.parentId == null ? undefined : defs.get(dev.parentId);
      const pick = (k: 'batteryKwh' | 'maxChargeKw' | 'maxDischargeKw' | 'backupReservePct'): number => dev?.[k] ?? site?.[k] ?? NO_LIMITS[k];
      const out = Object.freeze({ batteryKwh: pick('batteryKwh'), maxChargeKw: pick('maxChargeKw'), maxDischargeKw: pick('maxDischargeKw'), backupReservePct: pick('backupReservePct') });
      limits.set(deviceId, out);
      return out;
    },
    version: () => version,
    size: () => defs.size,
  };
  return h;
};
