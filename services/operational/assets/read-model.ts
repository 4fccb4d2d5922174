/**
 * The read model every instance keeps: the newest state of every site and parent (from the
 * shards' compact view batches on asset.state.v1, see platform/asset-view.ts) joined with the
 * registry hierarchy, so any instance answers for any asset whichever instance owns its shard.
 * Devices have no state here (their site has it). Pure lookups; no effects.
 */
import { createViewTracker, parentStateOf, siteStateOf } from '../../platform/asset-view.ts';
import type { Aggregate, AssetKind, AssetState } from '../../platform/events.ts';
import { zeroAggregate } from './aggregate.ts';
import type { Environment, SiteEnvironment } from './environment.ts';
import type { Hierarchy } from './hierarchy.ts';

export interface AssetView {
  readonly assetId: string;
  readonly kind: AssetKind | null;
  readonly name: string | null;
  readonly parentId: string | null;
  /** null until the asset's actor has written a state. */
  readonly state: Omit<AssetState, 'children' | 'aggregate'> | null;
  readonly aggregate: Aggregate;
  /** When the state last changed, UTC epoch ms; null when never. */
  readonly updatedAtMs: number | null;
  /** Sites only: weather cell, grid region and their last known observations and forecast. */
  readonly environment?: SiteEnvironment;
}

export interface SubtreeNode extends AssetView {
  readonly children: SubtreeNode[];
}

export interface ReadModel {
  /**
   * Applies one asset.state.v1 record: a view batch updates its sites or parents (newest by
   * offset); a one-actor record keeps the newer of the stored and the given state (by version);
   * null deletes.
   */
  put(assetId: string, state: AssetState | null): void;
  view(assetId: string): AssetView | null;
  children(assetId: string): AssetView[] | null;
  /** The subtree down to maxDepth levels, at most maxNodes nodes; truncated says whether it was cut. */
  subtree(assetId: string, maxDepth: number, maxNodes: number): { root: SubtreeNode; truncated: boolean } | null;
  size(): number;
}

export const createReadModel = (hierarchy: Hierarchy, environment?: Environment): ReadModel => {
  const states = new Map<string, AssetState>();
  const tracker = createViewTracker();
  const view = (assetId: string): AssetView | null => {
    const def = hierarchy.get(assetId);
    const s = states.get(assetId);
    if (def === undefined && s === undefined) return null;
    const state: AssetView['state'] = s === undefined ? null : {
      assetId: s.assetId, kind: s.kind, version: s.version, updatedAtMs: s.updatedAtMs, lastSeenMs: s.lastSeenMs, online: s.online,
      socPct: s.socPct, mode: s.mode, alarms: s.alarms, activeCommandIds: s.activeCommandIds, lastSeq: s.lastSeq,
    };
    return {
      assetId, kind: def?.kind ?? s?.kind ?? null, name: def?.name ?? null, parentId: def?.parentId ?? null,
      state, aggregate: s?.aggregate ?? zeroAggregate(), updatedAtMs: s?.updatedAtMs ?? null,
      ...(def?.kind === 'SITE' && environment !== undefined ? { environment: environment.forSite(def) } : {}),
    };
  };
  return {
    put(assetId, state) {
      if (state === null) {
        states.delete(assetId);
        return;
      }
      const change = tracker.apply(state);
      if (change !== null) {
        for (const c of change.sites) states.set(c.siteId, siteStateOf(c));
        for (const c of change.parents) states.set(c.assetId, parentStateOf(c));
        for (const id of change.removed) states.delete(id);
        return;
      }
      if (state.batch != null) return;
      const prev = states.get(assetId);
      // A shard that moved may restart a version count from an older snapshot; the newest write wins then.
      if (prev === undefined || state.version >= prev.version || state.updatedAtMs > prev.updatedAtMs) states.set(assetId, state);
    },
    view,
    children(assetId) {
      if (view(assetId) === null) return null;
      return hierarchy.childrenOf(assetId).flatMap((c) => view(c) ?? []);
    },
    subtree(assetId, maxDepth, maxNodes) {
      const top = view(assetId);
      if (top === null) return null;
      let nodes = 1;
      let truncated = false;
      const build = (v: AssetView, depth: number): SubtreeNode => {
        const ids = hierarchy.childrenOf(v.assetId);
        if (depth >= maxDepth || nodes + ids.length > maxNodes) {
          truncated ||= ids.length > 0;
          return { ...v, children: [] };
        }
        nodes += ids.length;
        return { ...v, children: ids.flatMap((c) => view(c) ?? []).map((c) => build(c, depth + 1)) };
      };
      return { root: build(top, 0), truncated };
    },
    size: () => states.size,
  };
};
