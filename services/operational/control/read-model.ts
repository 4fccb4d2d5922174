/**
 * Control's own view of the fleet, built from asset.registry.v1 (the hierarchy, each site's
 * limits and environment) and asset.state.v1 (each site's latest state from the asset actors:
 * the shards' compact view batches, one record per shard per flush, see platform/asset-view.ts).
 * Control never asks another service: it allocates from this model, so it keeps working with its
 * last known inputs when anything upstream is slow.
 */
import { createViewTracker, siteStateOf, type ViewTracker } from '../../platform/asset-view.ts';
import type { AssetDefinition, AssetState } from '../../platform/events.ts';
import type { SiteInput } from './allocate-dispatch.ts';

export interface ReadModel {
  readonly defs: Map<string, AssetDefinition>;
  readonly children: Map<string, Set<string>>;
  /** Sites' latest states (the compact view as AssetState, version 0: newest by offset wins). */
  readonly states: Map<string, AssetState>;
  readonly view: ViewTracker;
}

export const createReadModel = (): ReadModel => ({ defs: new Map(), children: new Map(), states: new Map(), view: createViewTracker() });

/** Applies one registry record (null or deleted removes the asset). */
export const applyDefinition = (m: ReadModel, assetId: string, def: AssetDefinition | null): void => {
  const old = m.defs.get(assetId);
  if (old?.parentId != null) m.children.get(old.parentId)?.delete(assetId);
  if (def === null || def.deleted) {
    m.defs.delete(assetId);
    return;
  }
  m.defs.set(assetId, def);
  if (def.parentId !== null) {
    const set = m.children.get(def.parentId) ?? new Set<string>();
    set.add(assetId);
    m.children.set(def.parentId, set);
  }
};

/**
 * Applies one asset.state.v1 record and returns the site states it brought (for the event book's
 * measured response): a view batch sets its sites (and drops those it removes); a one-actor record
 * (older writers, tests) is kept unless older by version than the one held; null deletes.
 */
export const applyState = (m: ReadModel, assetId: string, state: AssetState | null): AssetState[] => {
  if (state === null) {
    m.states.delete(assetId);
    return [];
  }
  const change = m.view.apply(state);
  if (change !== null) {
    const out: AssetState[] = [];
    for (const c of change.sites) {
      const s = siteStateOf(c);
      m.states.set(c.siteId, s);
      out.push(s);
    }
    for (const id of change.removed) m.states.delete(id);
    return out;
  }
  if (state.batch != null) return [];
  const held = m.states.get(assetId);
  if (held !== undefined && held.version > state.version) return [];
  m.states.set(assetId, state);
  return [state];
};

/** Every SITE in the subtree rooted at scopeId (the scope itself when it is a site). */
export const sitesUnder = (m: ReadModel, scopeId: string): string[] => {
  const out: string[] = [];
  const seen = new Set<string>();
  const stack = [scopeId];
  while (stack.length > 0) {
    const id = stack.pop() as string;
    if (seen.has(id)) continue;
    seen.add(id);
    if (m.defs.get(id)?.kind === 'SITE') {
      out.push(id);
      continue;
    }
    for (const c of m.children.get(id) ?? []) stack.push(c);
  }
  return out.sort();
};

/** The allocation input of a site: limits from the registry, the rest from its latest state. */
export const siteInput = (m: ReadModel, siteId: string): SiteInput | null => {
  const def = m.defs.get(siteId);
  if (def === undefined || def.kind !== 'SITE') return null;
  const st = m.states.get(siteId);
  return {
    siteId,
    online: st?.online ?? false,
    socPct: st?.socPct ?? null,
    batteryKwh: def.batteryKwh,
    maxChargeKw: def.maxChargeKw ?? 0,
    maxDischargeKw: def.maxDischargeKw ?? 0,
    backupReservePct: def.backupReservePct ?? 0,
    weatherCellId: def.weatherCellId,
    batteryKw: st?.aggregate.batteryKw ?? 0,
    gridKw: st?.aggregate.gridKw ?? 0,
  };
};

export const siteInputsUnder = (m: ReadModel, scopeId: string): SiteInput[] =>
  sitesUnder(m, scopeId).flatMap((id) => {
    const s = siteInput(m, id);
    return s === null ? [] : [s];
  });
