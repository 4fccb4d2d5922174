/**
 * The sites under each scope, computed once per registry change instead of a tree walk and a sort
 * per allocation: a fleet-wide dispatch re-allocates every few seconds while sites drop out, and
 * the registry changes far less often than that. Invalidated by every registry record.
 */
import type { SiteInput } from './allocate-dispatch.ts';
import { siteInput, sitesUnder, type ReadModel } from './read-model.ts';

export interface ScopeIndex {
  /** Every SITE under scopeId, sorted (cached until the registry changes). */
  sitesUnder(scopeId: string): readonly string[];
  /** The allocation inputs of those sites, from the latest states. */
  inputsUnder(scopeId: string): SiteInput[];
  /** The registry changed: forget every cached scope. */
  invalidate(): void;
}

export const createScopeIndex = (model: ReadModel): ScopeIndex => {
  const cache = new Map<string, readonly string[]>();
  const under = (scopeId: string): readonly string[] => {
    let sites = cache.get(scopeId);
    if (sites === undefined) {
      sites = sitesUnder(model, scopeId);
      cache.set(scopeId, sites);
    }
    return sites;
  };
  return {
    sitesUnder: under,
    inputsUnder: (scopeId) => {
      const out: SiteInput[] = [];
      for (const id of under(scopeId)) {
        const s = siteInput(model, id);
        if (s !== null) out.push(s);
      }
      return out;
    },
    invalidate: () => {
      if (cache.size > 0) cache.clear();
    },
  };
};
