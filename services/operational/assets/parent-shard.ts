/**
 * A parent shard: the parent actors (feeder, substation, region, fleet) whose id hashes to one
 * asset.rollup.v1 partition, with no Kafka in sight. A parent holds aggregates only: one partial
 * per site shard (at most as many as there are partitions, however many children it has) and
 * their sum. A partial is replaced by a higher version of the same shard's partial and never
 * added to, so a redelivered or replayed record changes nothing and nothing is counted twice.
 */
import type { AssetKind, CompactParent, ParentPartials, RollupDelta, Aggregate } from '../../platform/events.ts';
import { AGGREGATE_FIELDS, zeroAggregate } from './aggregate.ts';
import type { Hierarchy } from './hierarchy.ts';

interface ParentActor {
  kind: AssetKind;
  updatedAtMs: number;
  aggregate: Aggregate;
  readonly sources: Map<number, { version: number; aggregate: Aggregate }>;
}

export interface ParentFlush {
  readonly seq: number;
  readonly full: boolean;
  readonly parents: CompactParent[];
  /** The oldest input (oldestInputAtMs of the records applied) since the previous flush. */
  readonly oldestInputAtMs: number | null;
}

export interface ParentShard {
  readonly partition: number;
  /** 'legacy': a v1/v2 child delta (no source shard), which this design no longer reads. */
  handlePartials(r: RollupDelta): 'applied' | 'duplicate' | 'legacy';
  dirty(): boolean;
  flush(nowMs: number, wallMs: number, full: boolean): ParentFlush;
  snapshot(): { seq: number; parents: ParentPartials[] };
  restore(s: { seq: number; parents: readonly ParentPartials[] }): void;
  get(assetId: string): CompactParent | undefined;
  size(): number;
}

/** FNV-1a of the id: which parent shard owns a parent (the site shards address it explicitly). */
export const parentPartitionOf = (parentId: string, partitions: number): number => {
  let h = 0x811c9dc5;
  for (let i = 0; i < parentId.length; i++) h = Math.imul(h ^ parentId.charCodeAt(i), 0x01000193) >>> 0;
  return h % partitions;
};

const sumSources = (sources: ParentActor['sources']): Aggregate => {
  const out = zeroAggregate();
  for (const s of sources.values()) for (const f of AGGREGATE_FIELDS) out[f] += s.aggregate[f];
  return out;
};

const compact = (id: string, a: ParentActor): CompactParent => ({ assetId: id, kind: a.kind, updatedAtMs: a.updatedAtMs, aggregate: a.aggregate });

export const createParentShard = (partition: number, hierarchy: Hierarchy): ParentShard => {
  const actors = new Map<string, ParentActor>();
  const dirty = new Set<string>();
  let seq = 0;
  let oldestInputAtMs: number | null = null;

  const actor = (id: string): ParentActor => {
    let a = actors.get(id);
    if (a === undefined) {
      a = { kind: hierarchy.kindOf(id) ?? 'FEEDER', updatedAtMs: 0, aggregate: zeroAggregate(), sources: new Map() };
      actors.set(id, a);
    }
    return a;
  };

  return {
    partition,
    handlePartials(r) {
      const shard = r.sourceShard ?? -1;
      if (shard < 0) return 'legacy';
      let applied = false;
      for (const p of r.partials ?? []) {
        const a = actor(p.parentId);
        const known = a.sources.get(shard);
        if (known !== undefined && r.childVersion <= known.version) continue;
        a.sources.set(shard, { version: r.childVersion, aggregate: p.aggregate });
        dirty.add(p.parentId);
        applied = true;
      }
      if (applied && r.oldestInputAtMs != null && (oldestInputAtMs === null || r.oldestInputAtMs < oldestInputAtMs)) oldestInputAtMs = r.oldestInputAtMs;
      return applied ? 'applied' : 'duplicate';
    },
    dirty: () => dirty.size > 0,
    flush(nowMs, wallMs, full) {
      seq = Math.max(seq + 1, wallMs);
      const changed: CompactParent[] = [];
      for (const id of dirty) {
        const a = actors.get(id);
        if (a === undefined) continue;
        a.kind = hierarchy.kindOf(id) ?? a.kind;
        a.aggregate = sumSources(a.sources);
        a.updatedAtMs = nowMs;
        if (!full) changed.push(compact(id, a));
      }
      dirty.clear();
      const out: ParentFlush = { seq, full, oldestInputAtMs, parents: full ? [...actors].map(([id, a]) => compact(id, a)) : changed };
      oldestInputAtMs = null;
      return out;
    },
    snapshot: () => ({
      seq,
      parents: [...actors].map(([parentId, a]) => ({ parentId, kind: a.kind, sources: [...a.sources].map(([shard, s]) => ({ shard, version: s.version, aggregate: s.aggregate })) })),
    }),
    restore(s) {
      seq = Math.max(seq, s.seq);
      for (const p of s.parents) {
        const a = actor(p.parentId);
        a.kind = p.kind;
        for (const src of p.sources) a.sources.set(src.shard, { version: src.version, aggregate: src.aggregate });
        dirty.add(p.parentId);
      }
    },
    get: (id) => {
      const a = actors.get(id);
      return a === undefined ? undefined : compact(id, a);
    },
    size: () => actors.size,
  };
};
