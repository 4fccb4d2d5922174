/**
 * A site shard's partial aggregates: for every ancestor of its sites (feeder, substation, region,
 * fleet), the sum over this shard's sites under it. A parent's aggregate is the sum of the
 * partials of all site shards, so a site's change reaches every ancestor in one hop.
 *
 * A partial is the whole sum over this shard's sites under the ancestor, sent whole: a parent
 * replaces a shard's partial by a newer version, it never adds to it, so nothing is counted twice
 * however often it is sent. The engine keeps each sum by adding a changed site's difference (the
 * fleet's partial is a sum over thousands of sites: recomputing it on every flush was a tenth of
 * an instance's CPU at 100,000 sites) and recomputes every sum exactly from its members on each
 * full take (every full view, at least ASSETS_FULL_VIEW_EVERY_MS), so rounding cannot build up.
 * A field to which no member contributes anything is exactly 0, not the rounding the additions
 * and subtractions left (each sum counts its members with a nonzero value per field): a fleet
 * whose sites all went offline shows 0 kWh available, not -7e-15. An ancestor whose last site of
 * this shard left is sent as a zero partial (and again in every full take, so a resync after a
 * failed write cannot leave its old partial standing). No effects.
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
  /** A site's ancestors, with the hierarchy version they were looked up at. */
  const chains = new Map<string, { readonly chain: readonly string[]; readonly version: number }>();
  const members = new Map<string, Set<string>>();
  /** Per ancestor, the running sum of its members' aggregates (recomputed exactly on every full take). */
  const sums = new Map<string, Aggregate>();
  /** Per ancestor and field, how many members add a nonzero value to the running sum. */
  const nonzero = new Map<string, Aggregate>();
  const dirty = new Set<string>();

  const add = (a: string, agg: Aggregate | undefined, sign: 1 | -1): void => {
    if (agg === undefined) return;
    let s = sums.get(a);
    let n = nonzero.get(a);
    if (s === undefined || n === undefined) {
      s = zeroAggregate();
      n = zeroAggregate();
      sums.set(a, s);
      nonzero.set(a, n);
    }
    for (const f of AGGREGATE_FIELDS) {
      const v = agg[f];
      if (v === 0) continue;
      n[f] += sign;
      s[f] = n[f] === 0 ? 0 : s[f] + sign * v;
    }
  };

  const leave = (siteId: string, chain: readonly string[], last: Aggregate | undefined): void => {
    for (const a of chain) {
      const set = members.get(a);
      if (set?.delete(siteId) === true) {
        add(a, last, -1);
        // Exactly zero, not the rounding left over, once the last member left.
        if (set.size === 0) {
          sums.set(a, zeroAggregate());
          nonzero.set(a, zeroAggregate());
        }
      }
      dirty.add(a);
    }
  };

  /** The sum recomputed from its members, with its nonzero counts. */
  const exact = (parentId: string, ids: ReadonlySet<string> | undefined): Aggregate => {
    const out = zeroAggregate();
    const n = zeroAggregate();
    for (const id of ids ?? []) {
      const a = aggregates.get(id);
      if (a === undefined) continue;
      for (const f of AGGREGATE_FIELDS) {
        out[f] += a[f];
        if (a[f] !== 0) n[f] += 1;
      }
    }
    nonzero.set(parentId, n);
    return out;
  };

  return {
    setSite(siteId, aggregate) {
      const known = chains.get(siteId);
      const old = known?.chain ?? [];
      const last = aggregates.get(siteId);
      if (aggregate === null) {
        leave(siteId, old, last);
        chains.delete(siteId);
        aggregates.delete(siteId);
        return;
      }
      // The registry may have moved the site since it last changed: its chain is looked up again after any registry change.
      const chain = known !== undefined && known.version === hierarchy.version() ? known.chain : ancestorsOf(hierarchy, siteId);
      const moved = chain.length !== old.length || chain.some((a, i) => a !== old[i]);
      if (moved) leave(siteId, old, last);
      if (known?.chain !== chain) chains.set(siteId, { chain, version: hierarchy.version() });
      aggregates.set(siteId, aggregate);
      for (const a of chain) {
        let set = members.get(a);
        if (set === undefined) {
          set = new Set();
          members.set(a, set);
        }
        // A member already counted changes by the difference; a new one adds its aggregate.
        if (!moved && set.has(siteId)) add(a, last, -1);
        set.add(siteId);
        add(a, aggregate, 1);
        dirty.add(a);
      }
    },
    take(all) {
      const ids = all ? new Set([...members.keys(), ...dirty]) : dirty;
      const out: PartialAggregate[] = [];
      for (const parentId of [...ids].sort()) {
        const set = members.get(parentId);
        if (all) sums.set(parentId, exact(parentId, set));
        out.push({ parentId, aggregate: { ...(sums.get(parentId) ?? zeroAggregate()) } });
      }
      dirty.clear();
      return out;
    },
    pending: () => dirty.size,
  };
};
