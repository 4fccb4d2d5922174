/**
 * Which inputs a run used, pure: the provider forecasts a run reads (one source per area, its
 * issues on the hourly grid) and the summary its run record carries (Redis `run:<id>` field
 * `inputs`, ClickHouse forecast_runs.inputs), as JSON:
 *
 *   emissions: { "ownHistory": true, "provider": { "<region>": { "sourceId", "issuedAt" } },
 *                "fallback": { "<region>": "<why the own model alone>" } }
 *   weather:   { "ownHistory": true }
 *   sites:     { "ownHistory": true, "weather": { "areaRun": n, "inline": n, "none": n },
 *                "carbon": { "areaRun": n, "inline": n, "none": n } }
 *
 * The emissions planner decides with the same test the correction applies
 * (providerFallbackReason), so the record says what the run did.
 */
import type { ProviderHourRow } from './clickhouse-features.ts';
import { HOUR_MS } from './models/hourly-series.ts';
import { providerFallbackReason, type ProviderIssue } from './models/provider-correction.ts';
import type { RegionProvider } from './area-forecasts.ts';

/** Provider rows grouped into issues, one source per area: the one whose newest issue is newest (then the most issues, then the name). */
export const providersByArea = (rows: readonly ProviderHourRow[]): Map<string, RegionProvider> => {
  const bySource = new Map<string, Map<number, Map<number, number>>>();
  for (const r of rows) {
    const key = `${r.areaId}\u0000${r.sourceId}`;
    let issues = bySource.get(key);
    if (issues === undefined) bySource.set(key, (issues = new Map<number, Map<number, number>>()));
    let hours = issues.get(r.issuedAtMs);
    if (hours === undefined) issues.set(r.issuedAtMs, (hours = new Map<number, number>()));
    hours.set(r.hourMs, r.value);
  }
  const best = new Map<string, RegionProvider & { newest: number }>();
  for (const [key, issues] of [...bySource].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const [areaId = '', sourceId = ''] = key.split('\u0000');
    const list: ProviderIssue[] = [...issues].sort(([a], [b]) => a - b).map(([issuedAtMs, hours]) => {
      const ts = [...hours.keys()];
      const startMs = Math.min(...ts);
      const values = new Array<number>(Math.round((Math.max(...ts) - startMs) / HOUR_MS) + 1).fill(NaN);
      for (const [t, v] of hours) values[Math.round((t - startMs) / HOUR_MS)] = v;
      return { issuedAtMs, startMs, values };
    });
    const newest = list.at(-1)?.issuedAtMs ?? -Infinity;
    const prev = best.get(areaId);
    if (prev === undefined || newest > prev.newest || (newest === prev.newest && list.length > prev.issues.length)) best.set(areaId, { sourceId, issues: list, newest });
  }
  return new Map([...best].map(([a, { sourceId, issues }]) => [a, { sourceId, issues }]));
};

export interface EmissionsInputs {
  readonly ownHistory: true;
  readonly provider: Record<string, { readonly sourceId: string; readonly issuedAt: string }>;
  readonly fallback: Record<string, string>;
}

export const emissionsInputs = (regionIds: readonly string[], providers: ReadonlyMap<string, RegionProvider>, issuedAtMs: number, validFromMs: number, steps: number): EmissionsInputs => {
  const provider: Record<string, { sourceId: string; issuedAt: string }> = {};
  const fallback: Record<string, string> = {};
  for (const id of regionIds) {
    const p = providers.get(id);
    const why = p === undefined ? 'no provider forecast for this region' : providerFallbackReason(p.issues, issuedAtMs, validFromMs, steps);
    const latest = p?.issues.filter((i) => i.issuedAtMs <= issuedAtMs).at(-1);
    if (why === null && p !== undefined && latest !== undefined) provider[id] = { sourceId: p.sourceId, issuedAt: new Date(latest.issuedAtMs).toISOString() };
    else fallback[id] = why ?? 'no provider forecast';
  }
  return { ownHistory: true, provider, fallback };
};

/** Where a site run's weather and carbon came from: the area runs, computed inline, or nowhere (fallbacks). */
export const siteInputs = (cells: ReadonlyArray<{ readonly inline: boolean } | null>, regions: ReadonlyArray<{ readonly inline: boolean } | null>) => {
  const count = (xs: ReadonlyArray<{ readonly inline: boolean } | null>) => ({
    areaRun: xs.filter((x) => x !== null && !x.inline).length, inline: xs.filter((x) => x?.inline === true).length, none: xs.filter((x) => x === null).length,
  });
  return { ownHistory: true as const, weather: count(cells), carbon: count(regions) };
};
