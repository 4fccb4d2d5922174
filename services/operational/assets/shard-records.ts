/**
 * The records a shard writes, built from what its flush and snapshot hand back. Pure.
 *
 * - partials (asset.rollup.v1 v3): one record per destination parent shard per flush, carrying
 *   this site shard's partial of every changed ancestor that parent shard owns (key
 *   partials/<shard>, explicit partition: parentPartitionOf);
 * - views (asset.state.v1 v3): one record per flush, key view/<sites|parents>/<shard>/<slot>.
 *   Slot f<part> is the full view, d<n> the n-th delta after it: with compaction, the newest full
 *   view and every delta written after it survive (older deltas come before the full view in the
 *   log, so a reader applying in offset order gets the same result), and the shell writes a full
 *   view before n would wrap;
 * - snapshots (asset.state.v1 v3): key snapshot/<site|parent>/<shard>/<slot>/<part>, two slots
 *   used in turn, so writing one never overwrites the snapshot the committed offset points to.
 */
import type { AssetState, BatchContent, CompactParent, CompactSite, DeviceSnapshot, ParentPartials, PartialAggregate, RollupDelta, ShardBatch } from '../../platform/events.ts';
import { zeroAggregate } from './aggregate.ts';
import { emptyState } from './device-actor.ts';
import { parentPartitionOf, type ParentFlush } from './parent-shard.ts';
import type { SiteFlush } from './site-shard.ts';

/** Entries per record: keeps a record well under the 1 MiB message limit. */
export const SITES_PER_RECORD = 5_000;
export const DEVICES_PER_RECORD = 3_000;
export const PARENTS_PER_RECORD = 300;
const PARTIALS_PER_RECORD = 5_000;

export interface OutRecord<V> {
  readonly key: string;
  readonly partition: number;
  readonly value: V;
}

const chunks = <T>(list: readonly T[], size: number): T[][] => {
  if (list.length === 0) return [[]];
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
};

const emptyBatch = (shard: number, content: BatchContent, seq: number): ShardBatch => ({
  shard, content, seq, full: false, part: 0, parts: 1, coversOffset: null, oldestInputAtMs: null, sites: [], removedIds: [], parents: [], devices: [], partials: [],
});

const batchRecord = (key: string, partition: number, nowMs: number, batch: ShardBatch): OutRecord<AssetState> => ({
  key, partition,
  value: { ...emptyState(key, batch.content.startsWith('SITE') ? 'SITE' : 'FLEET'), version: batch.seq, updatedAtMs: nowMs, batch },
});

export const partialRecords = (shard: number, f: SiteFlush, nowMs: number, partitions: number): OutRecord<RollupDelta>[] => {
  const byDest = new Map<number, PartialAggregate[]>();
  for (const p of f.partials) {
    const q = parentPartitionOf(p.parentId, partitions);
    const list = byDest.get(q) ?? [];
    list.push(p);
    byDest.set(q, list);
  }
  const out: OutRecord<RollupDelta>[] = [];
  for (const [q, list] of [...byDest].sort(([a], [b]) => a - b)) {
    for (const partials of chunks(list, PARTIALS_PER_RECORD)) {
      out.push({
        key: `partials/${shard}`, partition: q,
        value: { parentId: `shard-${q}`, childId: `shard-${shard}`, childVersion: f.seq, emittedAtMs: nowMs, delta: zeroAggregate(), aggregate: null, sourceShard: shard, partials, oldestInputAtMs: f.oldestInputAtMs },
      });
    }
  }
  return out;
};

export type ViewKind = 'sites' | 'parents';

/** A view flush: full (slot f<part>) or the n-th delta since the last full one (slot d<n>). */
export const viewRecords = (
  kind: ViewKind, shard: number, flush: { seq: number; full: boolean; oldestInputAtMs: number | null; removedIds?: readonly string[] },
  entries: readonly CompactSite[] | readonly CompactParent[], deltaNo: number, nowMs: number,
): OutRecord<AssetState>[] => {
  const content: BatchContent = kind === 'sites' ? 'SITE_VIEW' : 'PARENT_VIEW';
  const parts = chunks<CompactSite | CompactParent>(entries, kind === 'sites' ? SITES_PER_RECORD : PARENTS_PER_RECORD);
  return parts.map((list, part) => {
    const slot = flush.full ? `f${part}` : `d${deltaNo}.${part}`;
    const batch: ShardBatch = {
      ...emptyBatch(shard, content, flush.seq), full: flush.full, part, parts: parts.length, oldestInputAtMs: flush.oldestInputAtMs,
      removedIds: part === 0 ? [...(flush.removedIds ?? [])] : [],
      ...(kind === 'sites' ? { sites: list as CompactSite[] } : { parents: list as CompactParent[] }),
    };
    return batchRecord(`view/${kind}/${shard}/${slot}`, shard, nowMs, batch);
  });
};

export const siteViewRecords = (shard: number, f: SiteFlush, deltaNo: number, nowMs: number): OutRecord<AssetState>[] =>
  viewRecords('sites', shard, f, f.sites, deltaNo, nowMs);

export const parentViewRecords = (shard: number, f: ParentFlush, deltaNo: number, nowMs: number): OutRecord<AssetState>[] =>
  viewRecords('parents', shard, f, f.parents, deltaNo, nowMs);

export type SnapshotKind = 'site' | 'parent';

export const snapshotPrefix = (kind: SnapshotKind, shard: number): string => `snapshot/${kind}/${shard}/`;

export const snapshotRecords = (
  kind: SnapshotKind, shard: number, slot: number, snap: { seq: number; devices?: readonly DeviceSnapshot[]; parents?: readonly ParentPartials[] }, coversOffset: number, nowMs: number,
): OutRecord<AssetState>[] => {
  const content: BatchContent = kind === 'site' ? 'SITE_SNAPSHOT' : 'PARENT_SNAPSHOT';
  const parts = kind === 'site' ? chunks(snap.devices ?? [], DEVICES_PER_RECORD) : chunks(snap.parents ?? [], PARENTS_PER_RECORD);
  return parts.map((list, part) => {
    const batch: ShardBatch = {
      ...emptyBatch(shard, content, snap.seq), full: true, part, parts: parts.length, coversOffset,
      ...(kind === 'site' ? { devices: list as DeviceSnapshot[] } : { partials: list as ParentPartials[] }),
    };
    return batchRecord(`${snapshotPrefix(kind, shard)}${slot}/${part}`, shard, nowMs, batch);
  });
};

/** The snapshot among decoded snapshot records (of one shard) with the given seq, if all its parts are there. */
export const assembleSnapshot = (records: readonly AssetState[], seq: number): { coversOffset: number; batches: ShardBatch[] } | null => {
  const batches = records.flatMap((r) => (r.batch != null && r.batch.seq === seq ? [r.batch] : []));
  const first = batches[0];
  if (first === undefined || first.coversOffset === null) return null;
  const parts = new Map(batches.map((b) => [b.part, b]));
  if (parts.size < first.parts) return null;
  return { coversOffset: first.coversOffset, batches: [...parts.values()].sort((a, b) => a.part - b.part) };
};
