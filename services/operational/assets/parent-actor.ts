/**
 * Parent actors (feeder, substation, region, fleet): each keeps, per child, the highest child
 * version applied and the child's aggregate at that version; its own aggregate is their sum.
 *
 * Exactly once per (childId, childVersion): a rollup whose version is not above the stored one is
 * a duplicate or a replay and is dropped. A v2 rollup carries the child's whole aggregate, which
 * replaces the stored one, so even a lost or re-sent delta cannot skew the sum; a v1 rollup (delta
 * only) is added to the stored aggregate.
 */
import type { Aggregate, AssetKind, AssetState, ChildAggregate, RollupDelta } from '../../platform/events.ts';
import { addAggregates, sumAggregates } from './aggregate.ts';
import { emptyState } from './device-actor.ts';

export interface ParentActor {
  readonly assetId: string;
  kind: AssetKind;
  version: number;
  updatedAtMs: number;
  readonly children: Map<string, { version: number; aggregate: Aggregate }>;
}

export const newParent = (assetId: string, kind: AssetKind): ParentActor => ({ assetId, kind, version: 0, updatedAtMs: 0, children: new Map() });

export const parentFromState = (s: AssetState): ParentActor => ({
  assetId: s.assetId,
  kind: s.kind,
  version: s.version,
  updatedAtMs: s.updatedAtMs,
  children: new Map((s.children ?? []).map((c) => [c.childId, { version: c.version, aggregate: c.aggregate }])),
});

/** Applies one rollup to the actor's child table (in place); false when it was a duplicate or replay. */
export const applyRollup = (actor: ParentActor, r: RollupDelta): boolean => {
  const known = actor.children.get(r.childId);
  if (known !== undefined && r.childVersion <= known.version) return false;
  const aggregate = r.aggregate ?? (known === undefined ? r.delta : addAggregates(known.aggregate, r.delta));
  actor.children.set(r.childId, { version: r.childVersion, aggregate });
  return true;
};

export const parentAggregate = (actor: ParentActor): Aggregate => sumAggregates([...actor.children.values()].map((c) => c.aggregate));

/** The changelog record of a parent after a change: a new version with the sum of its children. */
export const bumpParent = (actor: ParentActor, nowMs: number): AssetState => {
  actor.version += 1;
  actor.updatedAtMs = nowMs;
  return parentState(actor);
};

export const parentState = (actor: ParentActor): AssetState => {
  const aggregate = parentAggregate(actor);
  const children: ChildAggregate[] = [...actor.children.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([childId, c]) => ({ childId, version: c.version, aggregate: c.aggregate }));
  return { ...emptyState(actor.assetId, actor.kind), version: actor.version, updatedAtMs: actor.updatedAtMs, online: aggregate.onlineCount > 0, aggregate, children };
};
