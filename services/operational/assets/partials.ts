/**
 * A site shard's partial aggregates: for every ancestor of its sites (feeder, substation, region,
 * fleet), the sum over this shard's sites under it. A parent's aggregate is the sum of the
 * partials of all site shards, so a site's change reaches every ancestor in one hop.
 *
 * A partial is recomputed from its members whenever one of them changed (never maintained by
 * adding deltas), so it cannot drift and is the same however often it is sent: a parent replaces
 * a shard's partial by a newer version, it never adds to it. An ancestor whose last site of this
 * shard left is sent as a zero partial (and again in every full take, so a resync after a failed
 * write cannot leave its old partial standing). No effects.
 */
import type { Aggregate, PartialAggregate } from '../../platform/events.ts';
import { AGGREGATE_FIELDS, zeroAggregate } from './aggregate.ts';
import type { Hierarchy } from './hierarchy.ts';

/** Deeper than fleet > region > substation > feeder > site can be: a guard against a cycle in the registry. */
const MAX_DEPTH = 16;

export interface PartialEngine {
  /** The site's aggregate now; null when the site is gone (decommissioned). */
  setSite(siteId: string, aggregate: Aggregate | null): void;
  /** Partials of the ancestors changed since the last take (every known ancestor when all), sorted by id. */
  take(all: boolean): PartialAggregate[];
  /** How many ancestors changed since the last take. */
  pending(): number;
}

export const ancestorsOf = (hierarchy: Hierarchy, siteId: string): string[] => {
  const out: string[] = [];
  let id = hierarchy.parentOf(siteId);
  while (id !== null && out.length < MAX_DEPTH && !out.includes(id)) {
    out.push(id);
    id = hierarchy.parentOf(id);
  }
  return out;
};

export const createPartialEngine = (hierarchy: Hierarchy): PartialEngine => {
  const aggregates = new Map<string, Aggregate>();
  const chains = new Map<string, readonly string[]>();
  const members = new Map<string, Set<string>>();
  const dirty = new Set<string>();

  const leave = (siteId: string, chain: readonly string[]): void => {
    for (const a of chain) {
      members.get(a)?.delete(siteId);
      dirty.add(a);
    }
  };

  const sum = (ids: ReadonlySet<string>): Aggregate => {
    const out = zeroAggregate();
    for (const id of ids) {
      const a = aggregates.get(id);
      if (a !== undefined) for (const f of AGGREGATE_FIELDS) out[f] += a[f];
    }
    return out;
  };

  return {
    setSite(siteId, aggregate) {
      const old = chains.get(siteId) ?? [];
      if (aggregate === null) {
        leave(siteId, old);
        chains.delete(siteId);
        aggregates.delete(siteId);
        return;
      }
      // The registry may have moved the site since it last changed: its chain is looked up each time.
      const chain = ancestorsOf(hierarchy, siteId);
      if (chain.length !== old.length || chain.some((a, i) => a !== old[i])) {
        leave(siteId, old);
        chains.set(siteId, chain);
      }
      aggregates.set(siteId, aggregate);
      for (const a of chain) {
        let set = members.get(a);
        if (set === undefined) {
          set = new Set();
          members.set(a, set);
        }
        set.add(siteId);
        dirty.add(a);
      }
    },
    take(all) {
      const ids = all ? new Set([...members.keys(), ...dirty]) : dirty;
      const out: PartialAggregate[] = [];
      for (const parentId of [...ids].sort()) {
        const set = members.get(parentId);
        out.push({ parentId, aggregate: set === undefined ? zeroAggregate() : sum(set) });
      }
      dirty.clear();
      return out;
    },
    pending: () => dirty.size,
  };
};
