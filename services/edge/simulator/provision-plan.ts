/**
 * The fleet's layout, a pure function of (seed, options): grid regions (each a 2 x 2 degree tile
 * with its own generation mix), substations placed inside them, feeders under substations, sites
 * clustered around their substation, and a grid of weather cells (0.5 degrees by default) over the
 * whole geography. Each site has exactly one device. The provisioning API and the fleet runner
 * turn this plan into credentials and asset.registry.v1 records; nothing here touches the world.
 *
 * Ids: region-01, sub-01-02, feeder-01-02-03, site-000123, dev-000123, cell-r03-c07.
 */
import type { AssetDefinition } from '../../platform/events.ts';
import { gridRegionParams, type GridRegionParams } from './physics/grid-mix.ts';
import { loadProfileParams, type LoadProfileParams } from './physics/household-load.ts';
import { hashUnit, mulberry32, normalFrom, smoothNoise1 } from './physics/random.ts';

export interface PlanFleetOptions {
  readonly seed: number;
  readonly sites: number;
  /** Grid regions; default 4 (at most one per site). */
  readonly regions?: number;
  /** Target sites per feeder; default 200. */
  readonly sitesPerFeeder?: number;
  /** Feeders per substation at most; default 8. */
  readonly feedersPerSubstation?: number;
  /** Weather cell size, degrees; default 0.5. */
  readonly cellSizeDeg?: number;
  /** South-west corner of the geography; default 33 N, 121 W. */
  readonly originLatDeg?: number;
  readonly originLonDeg?: number;
}

export interface RegionPlan {
  readonly regionId: string;
  readonly centerLatDeg: number;
  readonly centerLonDeg: number;
  readonly grid: GridRegionParams;
}
export interface SubstationPlan { readonly substationId: string; readonly regionId: string; readonly latitudeDeg: number; readonly longitudeDeg: number }
export interface FeederPlan { readonly feederId: string; readonly substationId: string; readonly regionId: string }
export interface CellPlan { readonly cellId: string; readonly latitudeDeg: number; readonly longitudeDeg: number }

export interface SitePlan {
  readonly siteId: string;
  readonly deviceId: string;
  readonly customerId: string;
  readonly regionId: string;
  readonly substationId: string;
  readonly feederId: string;
  readonly cellId: string;
  readonly latitudeDeg: number;
  readonly longitudeDeg: number;
  readonly utcOffsetHours: number;
  readonly solarKwp: number;
  /** The PV array: tilt 10-40 degrees, facing between east-south-east and west-south-west (south of the equator: north). */
  readonly tiltDeg: number;
  readonly azimuthDeg: number;
  /** Metres above sea level (a smooth terrain over the geography). */
  readonly altitudeM: number;
  readonly batteryKwh: number;
  readonly maxChargeKw: number;
  readonly maxDischargeKw: number;
  readonly roundTripEfficiency: number;
  readonly backupReservePct: number;
  readonly load: LoadProfileParams;
}

export interface FleetPlan {
  readonly seed: number;
  readonly regions: ReadonlyArray<RegionPlan>;
  readonly substations: ReadonlyArray<SubstationPlan>;
  readonly feeders: ReadonlyArray<FeederPlan>;
  readonly cells: ReadonlyArray<CellPlan>;
  readonly sites: ReadonlyArray<SitePlan>;
}

const REGION_DEG = 2;
const clampIn = (x: number, lo: number): number => Math.min(lo + REGION_DEG - 1e-4, Math.max(lo + 1e-4, x));
const pad = (n: number, w: number): string => String(n).padStart(w, '0');
const round = (x: number, digits: number): number => {
  const k = 10 ** digits;
  return Math.round(x * k) / k;
};

/** The battery models installed, with their share of installs. */
const BATTERY_MODELS = [
  { share: 0.7, kwh: 13.5, kw: 5 },
  { share: 0.15, kwh: 10, kw: 5 },
  { share: 0.15, kwh: 27, kw: 10 },
] as const;

export const planFleet = (opts: PlanFleetOptions): FleetPlan => {
  const n = Math.max(0, Math.floor(opts.sites));
  const regionCount = Math.max(1, Math.min(opts.regions ?? 4, Math.max(1, n)));
  const perFeeder = Math.max(1, opts.sitesPerFeeder ?? 200);
  const maxFeeders = Math.max(1, opts.feedersPerSubstation ?? 8);
  const cellDeg = opts.cellSizeDeg ?? 0.5;
  const lat0 = opts.originLatDeg ?? 33;
  const lon0 = opts.originLonDeg ?? -121;
  const columns = Math.ceil(Math.sqrt(regionCount));
  const rand = mulberry32(opts.seed ^ 0x6a09e667);
  const normal = (): number => normalFrom(rand(), rand());

  const regions: RegionPlan[] = [];
  const substations: SubstationPlan[] = [];
  const feeders: FeederPlan[] = [];
  const sites: SitePlan[] = [];
  const cellIndex = (lat: number, lon: number): { row: number; col: number } => ({
    row: Math.floor((lat - lat0) / cellDeg),
    col: Math.floor((lon - lon0) / cellDeg),
  });
  const cellId = (row: number, col: number): string => `cell-r${pad(row, 2)}-c${pad(col, 2)}`;

  let siteNo = 0;
  for (let r = 0; r < regionCount; r++) {
    const regionId = `region-${pad(r + 1, 2)}`;
    const south = lat0 + Math.floor(r / columns) * REGION_DEG;
    const west = lon0 + (r % columns) * REGION_DEG;
    const centerLatDeg = south + REGION_DEG / 2;
    const centerLonDeg = west + REGION_DEG / 2;
    regions.push({ regionId, centerLatDeg, centerLonDeg, grid: gridRegionParams(opts.seed, regionId, centerLatDeg, centerLonDeg) });
    const regionSites = Math.floor(((r + 1) * n) / regionCount) - Math.floor((r * n) / regionCount);
    const feedersNeeded = Math.max(1, Math.ceil(regionSites / perFeeder));
    const subCount = Math.max(1, Math.ceil(feedersNeeded / maxFeeders));
    const feedersPerSub = Math.max(1, Math.ceil(feedersNeeded / subCount));
    for (let s = 0; s < subCount; s++) {
      const substationId = `sub-${pad(r + 1, 2)}-${pad(s + 1, 2)}`;
      const sub = { substationId, regionId, latitudeDeg: round(south + 0.25 + 1.5 * rand(), 5), longitudeDeg: round(west + 0.25 + 1.5 * rand(), 5) };
      substations.push(sub);
      const subSites = Math.floor(((s + 1) * regionSites) / subCount) - Math.floor((s * regionSites) / subCount);
      for (let f = 0; f < feedersPerSub; f++) {
        const feederId = `feeder-${pad(r + 1, 2)}-${pad(s + 1, 2)}-${pad(f + 1, 2)}`;
        feeders.push({ feederId, substationId, regionId });
        const feederSites = Math.floor(((f + 1) * subSites) / feedersPerSub) - Math.floor((f * subSites) / feedersPerSub);
        for (let k = 0; k < feederSites; k++) {
          siteNo++;
          const latitudeDeg = round(clampIn(sub.latitudeDeg + 0.12 * normal(), south), 5);
          const longitudeDeg = round(clampIn(sub.longitudeDeg + 0.15 * normal(), west), 5);
          const { row, col } = cellIndex(latitudeDeg, longitudeDeg);
          const pick = rand();
          const model = pick < BATTERY_MODELS[0].share ? BATTERY_MODELS[0] : pick < BATTERY_MODELS[0].share + BATTERY_MODELS[1].share ? BATTERY_MODELS[1] : BATTERY_MODELS[2];
          const reservePick = rand();
          const siteId = `site-${pad(siteNo, 6)}`;
          const utcOffsetHours = Math.round(longitudeDeg / 15);
          sites.push({
            siteId,
            deviceId: `dev-${pad(siteNo, 6)}`,
            customerId: `cust-${pad(siteNo, 6)}`,
            regionId, substationId, feederId,
            cellId: cellId(row, col),
            latitudeDeg, longitudeDeg, utcOffsetHours,
            solarKwp: round(3 + 7 * rand(), 1),
            // From hashes of the site, not the layout's random stream: adding them moved no site.
            tiltDeg: round(10 + 30 * hashUnit(opts.seed, 'tilt', siteId), 0),
            azimuthDeg: round((latitudeDeg >= 0 ? 180 : 0) + 75 * (hashUnit(opts.seed, 'azimuth', siteId) - 0.5) * 2, 0),
            altitudeM: round(Math.max(0, 400 + 350 * smoothNoise1(opts.seed ^ 0x7e11, latitudeDeg / 0.7) + 300 * smoothNoise1(opts.seed ^ 0x3a5, longitudeDeg / 0.9)), 0),
            batteryKwh: model.kwh,
            maxChargeKw: model.kw,
            maxDischargeKw: model.kw,
            roundTripEfficiency: 0.9,
            backupReservePct: reservePick < 0.6 ? 20 : reservePick < 0.8 ? 10 : 30,
            load: loadProfileParams(opts.seed, siteId, utcOffsetHours),
          });
        }
      }
    }
  }

  const cells: CellPlan[] = [];
  for (const reg of regions) {
    const south = reg.centerLatDeg - REGION_DEG / 2;
    const west = reg.centerLonDeg - REGION_DEG / 2;
    const steps = Math.round(REGION_DEG / cellDeg);
    for (let i = 0; i < steps; i++) {
      for (let j = 0; j < steps; j++) {
        const { row, col } = cellIndex(south + (i + 0.5) * cellDeg, west + (j + 0.5) * cellDeg);
        cells.push({ cellId: cellId(row, col), latitudeDeg: round(lat0 + (row + 0.5) * cellDeg, 5), longitudeDeg: round(lon0 + (col + 0.5) * cellDeg, 5) });
      }
    }
  }
  return { seed: opts.seed, regions, substations, feeders, cells, sites };
};

const definition = (assetId: string, kind: AssetDefinition['kind'], parentId: string | null, nowMs: number): AssetDefinition => ({
  assetId, kind, parentId, name: assetId, latitudeDeg: null, longitudeDeg: null, weatherCellId: null, gridRegionId: null,
  solarKwp: null, batteryKwh: null, maxChargeKw: null, maxDischargeKw: null, backupReservePct: null, customerId: null,
  updatedAtMs: nowMs, deleted: false, credentialsRevokedBeforeMs: null,
});

const siteDefinition = (s: SitePlan, assetId: string, kind: 'SITE' | 'DEVICE', parentId: string, nowMs: number): AssetDefinition => ({
  assetId, kind, parentId, name: assetId, latitudeDeg: s.latitudeDeg, longitudeDeg: s.longitudeDeg, weatherCellId: s.cellId, gridRegionId: s.regionId,
  solarKwp: s.solarKwp, batteryKwh: s.batteryKwh, maxChargeKw: s.maxChargeKw, maxDischargeKw: s.maxDischargeKw, backupReservePct: s.backupReservePct,
  customerId: s.customerId, updatedAtMs: nowMs, deleted: false, credentialsRevokedBeforeMs: null,
  ...(kind === 'SITE' ? { tiltDeg: s.tiltDeg, azimuthDeg: s.azimuthDeg, altitudeM: s.altitudeM } : {}),
});

/** The plan as asset.registry.v1 records, parents before children: fleet > region > substation > feeder > site > device. */
export const fleetAssetDefinitions = (plan: FleetPlan, nowMs: number, fleetId = 'fleet'): AssetDefinition[] => {
  const out: AssetDefinition[] = [definition(fleetId, 'FLEET', null, nowMs)];
  for (const r of plan.regions) out.push({ ...definition(r.regionId, 'REGION', fleetId, nowMs), latitudeDeg: r.centerLatDeg, longitudeDeg: r.centerLonDeg, gridRegionId: r.regionId });
  for (const s of plan.substations) out.push({ ...definition(s.substationId, 'SUBSTATION', s.regionId, nowMs), latitudeDeg: s.latitudeDeg, longitudeDeg: s.longitudeDeg, gridRegionId: s.regionId });
  for (const f of plan.feeders) out.push({ ...definition(f.feederId, 'FEEDER', f.substationId, nowMs), gridRegionId: f.regionId });
  for (const s of plan.sites) {
    out.push(siteDefinition(s, s.siteId, 'SITE', s.feederId, nowMs));
    out.push(siteDefinition(s, s.deviceId, 'DEVICE', s.siteId, nowMs));
  }
  return out;
};

/**
 * The same plan with every id (cells, regions, substations, feeders, sites, devices, customers)
 * prefixed, so several fleets can share one stack without sharing assets (tests, benchmarks).
 */
export const prefixPlanIds = (plan: FleetPlan, prefix: string): FleetPlan => {
  const p = (id: string): string => prefix + id;
  return {
    ...plan,
    regions: plan.regions.map((r) => ({ ...r, regionId: p(r.regionId) })),
    substations: plan.substations.map((s) => ({ ...s, substationId: p(s.substationId), regionId: p(s.regionId) })),
    feeders: plan.feeders.map((f) => ({ ...f, feederId: p(f.feederId), substationId: p(f.substationId), regionId: p(f.regionId) })),
    cells: plan.cells.map((c) => ({ ...c, cellId: p(c.cellId) })),
    sites: plan.sites.map((s) => ({
      ...s, siteId: p(s.siteId), deviceId: p(s.deviceId), customerId: p(s.customerId), regionId: p(s.regionId), substationId: p(s.substationId), feederId: p(s.feederId), cellId: p(s.cellId),
    })),
  };
};
