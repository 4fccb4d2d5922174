/**
 * Reading the asset actors' compact view from asset.state.v1 (v3), for every reader of asset
 * state (control, the assets read API): the shards write one batch record per flush, keyed
 * view/<sites|parents>/<shard>/<slot>, carrying the compact state of each asset that changed (or
 * of all of the shard's assets when `full`), and their own snapshots under snapshot/..., which
 * readers skip by key without decoding. Records of one shard are in one partition, applied in
 * offset order, so the newest record of an asset wins; a full batch (all its parts) also removes
 * the shard's assets it no longer lists. Older one-actor records (key assetId, no batch) still
 * decode and are handed back as they are. No effects.
 */
import type { AssetState, CompactParent, CompactSite } from './events.ts';

/** Snapshots are the shard's own restore input: readers skip them before decoding. */
export const isSnapshotKey = (key: string): boolean => key.startsWith('snapshot/');

export interface ViewChange {
  readonly sites: readonly CompactSite[];
  readonly parents: readonly CompactParent[];
  /** Assets gone: decommissioned, or left out of a full batch of the shard that had them. */
  readonly removed: readonly string[];
}

export interface ViewTracker {
  /** The change a decoded asset.state.v1 value makes; null for a record that is not a view batch. */
  apply(record: AssetState): ViewChange | null;
}

export const createViewTracker = (): ViewTracker => {
  /** Which shard (per view kind) last listed an asset. */
  const owner = new Map<string, string>();
  /** Full batches being assembled: shard key -> seq, parts seen, ids listed. */
  const fulls = new Map<string, { seq: number; parts: Set<number>; ids: Set<string> }>();
  const byShard = new Map<string, Set<string>>();

  const own = (shardKey: string, id: string): void => {
    const prev = owner.get(id);
    if (prev === shardKey) return;
    if (prev !== undefined) byShard.get(prev)?.delete(id);
    owner.set(id, shardKey);
    let set = byShard.get(shardKey);
    if (set === undefined) {
      set = new Set();
      byShard.set(shardKey, set);
    }
    set.add(id);
  };
  const disown = (id: string): void => {
    const prev = owner.get(id);
    if (prev !== undefined) byShard.get(prev)?.delete(id);
    owner.delete(id);
  };

  return {
    apply(record) {
      const b = record.batch;
      if (b == null || (b.content !== 'SITE_VIEW' && b.content !== 'PARENT_VIEW')) return null;
      const shardKey = `${b.content}/${b.shard}`;
      const ids = b.content === 'SITE_VIEW' ? b.sites.map((s) => s.siteId) : b.parents.map((p) => p.assetId);
      for (const id of ids) own(shardKey, id);
      const removed = [...b.removedIds];
      for (const id of b.removedIds) disown(id);
      if (b.full) {
        let f = fulls.get(shardKey);
        if (f === undefined || f.seq !== b.seq) {
          f = { seq: b.seq, parts: new Set(), ids: new Set() };
          fulls.set(shardKey, f);
        }
        f.parts.add(b.part);
        for (const id of ids) f.ids.add(id);
        if (f.parts.size >= b.parts) {
          fulls.delete(shardKey);
          for (const id of [...(byShard.get(shardKey) ?? [])]) {
            if (f.ids.has(id)) continue;
            disown(id);
            removed.push(id);
          }
        }
      }
      return { sites: b.content === 'SITE_VIEW' ? b.sites : [], parents: b.content === 'PARENT_VIEW' ? b.parents : [], removed };
    },
  };
};

/** A compact site as the one-actor state shape older readers use (no version: newest by offset). */
export const siteStateOf = (c: CompactSite): AssetState => ({
  assetId: c.siteId, kind: 'SITE', version: 0, updatedAtMs: c.updatedAtMs, lastSeenMs: c.lastSeenMs, online: c.online, socPct: c.socPct, mode: c.mode,
  alarms: c.alarms, activeCommandIds: c.activeCommandIds, aggregate: c.aggregate, lastSeq: null, children: [], batch: null,
});

export const parentStateOf = (c: CompactParent): AssetState => ({
  assetId: c.assetId, kind: c.kind, version: 0, updatedAtMs: c.updatedAtMs, lastSeenMs: null, online: c.aggregate.onlineCount > 0, socPct: null, mode: 'IDLE',
  alarms: [], activeCommandIds: [], aggregate: c.aggregate, lastSeq: null, children: [], batch: null,
});
