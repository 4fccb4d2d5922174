/**
 * What a site run knows about each site, pure: assembled from the ClickHouse rows once by the
 * run's parent job, then carried to the chunk jobs in the run's snapshot (snapshot-codec.ts).
 * Anything missing is left as NaN here and replaced by the models' documented fallbacks.
 */
import { hourOfWeek } from './models/hourly-series.ts';
import { cdd, hdd, type DegreeMeans } from './models/load-model.ts';
import type { CellHourRow } from './area-forecasts.ts';

export interface SiteFeatures {
  readonly siteId: string;
  readonly latitudeDeg: number;
  readonly longitudeDeg: number;
  readonly solarKwp: number;
  /** Learned solar factor; NaN with no history. */
  readonly solarFactor: number;
  /** The PV array's tilt and azimuth (degrees) and the site's altitude (m); NaN when unknown. */
  readonly tiltDeg: number;
  readonly azimuthDeg: number;
  readonly altitudeM: number;
  readonly heatKwPerC: number;
  readonly coolKwPerC: number;
  /** Index into the run's cell ids; -1 without a cell. */
  readonly cell: number;
  /** Index into the run's region ids; -1 without a region. */
  readonly region: number;
  /** Hour of the newest load measured, or NaN. */
  readonly recentHourMs: number;
  readonly recentKw: number;
  /** 168 hour-of-week mean loads (Monday 00 UTC first), NaN where unseen. */
  readonly howKw: Float32Array;
}

export interface SiteRows {
  readonly sites: ReadonlyArray<{ siteId: string; latitudeDeg: number | null; longitudeDeg: number | null; solarKwp: number | null; cellId: string | null; regionId: string | null; tiltDeg?: number | null; azimuthDeg?: number | null; altitudeM?: number | null }>;
  readonly solarFactors: ReadonlyArray<{ siteId: string; factor: number }>;
  readonly loadProfiles: ReadonlyArray<{ siteId: string; hows: number[]; kws: number[] }>;
  readonly recentLoads: ReadonlyArray<{ siteId: string; hourMs: number; kw: number }>;
  readonly loadSensitivities: ReadonlyArray<{ siteId: string; heatKwPerC: number | null; coolKwPerC: number | null }>;
}

export interface AssembledSites {
  readonly sites: SiteFeatures[];
  readonly cellIds: string[];
  readonly regionIds: string[];
}

export const assembleSites = (rows: SiteRows, cellPlaces: ReadonlyMap<string, { latitudeDeg: number; longitudeDeg: number }>): AssembledSites => {
  const cellIds = [...new Set(rows.sites.map((s) => s.cellId).filter((c): c is string => c !== null))].sort();
  const regionIds = [...new Set(rows.sites.map((s) => s.regionId).filter((r): r is string => r !== null))].sort();
  const cellIdx = new Map(cellIds.map((c, i) => [c, i]));
  const regionIdx = new Map(regionIds.map((r, i) => [r, i]));
  const factor = new Map(rows.solarFactors.map((r) => [r.siteId, r.factor]));
  const recent = new Map(rows.recentLoads.map((r) => [r.siteId, r]));
  const sens = new Map(rows.loadSensitivities.map((r) => [r.siteId, r]));
  const profiles = new Map(rows.loadProfiles.map((r) => [r.siteId, r]));
  const sites = rows.sites.map((s): SiteFeatures => {
    const howKw = new Float32Array(168).fill(NaN);
    const p = profiles.get(s.siteId);
    if (p !== undefined) p.hows.forEach((h, i) => {
      if (Number.isInteger(h) && h >= 0 && h < 168) howKw[h] = p.kws[i] ?? NaN;
    });
    const place = s.cellId === null ? undefined : cellPlaces.get(s.cellId);
    const r = recent.get(s.siteId);
    const q = sens.get(s.siteId);
    return {
      siteId: s.siteId,
      // A site without coordinates is placed at its cell's centre (documented fallback).
      latitudeDeg: s.latitudeDeg ?? place?.latitudeDeg ?? NaN,
      longitudeDeg: s.longitudeDeg ?? place?.longitudeDeg ?? NaN,
      solarKwp: s.solarKwp ?? 0,
      solarFactor: factor.get(s.siteId) ?? NaN,
      tiltDeg: s.tiltDeg ?? NaN,
      azimuthDeg: s.azimuthDeg ?? NaN,
      altitudeM: s.altitudeM ?? NaN,
      heatKwPerC: q?.heatKwPerC ?? NaN,
      coolKwPerC: q?.coolKwPerC ?? NaN,
      cell: s.cellId === null ? -1 : (cellIdx.get(s.cellId) ?? -1),
      region: s.regionId === null ? -1 : (regionIdx.get(s.regionId) ?? -1),
      recentHourMs: r?.hourMs ?? NaN,
      recentKw: r?.kw ?? NaN,
      howKw,
    };
  });
  return { sites, cellIds, regionIds };
};

/** Each cell's mean heating and cooling degree-hours per hour of week over the history. */
export const degreeMeansByCell = (hours: readonly CellHourRow[], toMs: number): Map<string, DegreeMeans> => {
  const acc = new Map<string, { h: Float64Array; c: Float64Array; n: Uint32Array }>();
  for (const r of hours) {
    if (r.hourMs >= toMs || !Number.isFinite(r.temperatureC)) continue;
    let a = acc.get(r.cellId);
    if (a === undefined) {
      a = { h: new Float64Array(168), c: new Float64Array(168), n: new Uint32Array(168) };
      acc.set(r.cellId, a);
    }
    const how = hourOfWeek(r.hourMs);
    a.h[how] = (a.h[how] ?? 0) + hdd(r.temperatureC);
    a.c[how] = (a.c[how] ?? 0) + cdd(r.temperatureC);
    a.n[how] = (a.n[how] ?? 0) + 1;
  }
  const mean = (x: Float64Array, n: Uint32Array): number[] => Array.from(x, (v, i) => ((n[i] ?? 0) > 0 ? v / (n[i] ?? 1) : NaN));
  return new Map([...acc].map(([cell, a]) => [cell, { hdd: mean(a.h, a.n), cdd: mean(a.c, a.n) }]));
};

