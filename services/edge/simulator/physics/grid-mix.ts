/**
 * A grid operator's generation mix per region, a pure function of (region parameters, time).
 *
 * Demand follows a daily shape (night trough, morning and evening peaks) and a weekly one
 * (weekends lower), plus a seasonal swing and smooth noise. Supply is dispatched in merit order:
 * nuclear flat, hydro nearly flat, solar with the sun (dimmed by a regional cloud noise), wind from
 * a smooth random capacity factor through a cubic power curve; coal and gas fill what is left in a
 * seeded ratio. When renewables exceed demand the surplus is curtailed, so generation always sums
 * to demand. Carbon intensity is the generation-weighted mean of IPCC AR5 life-cycle medians.
 */
import type { GridMix, SourceKind } from '../../../platform/events.ts';
import { hash32, hashUnit, smoothNoise1 } from './random.ts';
import { clearSkyGhiAt } from '../../../platform/solar-geometry.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Life-cycle emission factors, gCO2eq/kWh (IPCC AR5 WG3 Annex III medians; oil: typical). */
export const EMISSION_FACTORS_G_PER_KWH: Readonly<Record<SourceKind, number>> = Object.freeze({
  COAL: 820, GAS: 490, OIL: 650, BIOMASS: 230, SOLAR: 48, WIND: 11, HYDRO: 24, NUCLEAR: 12,
  STORAGE: 0, IMPORTS: 450, OTHER: 500,
});

export interface GridRegionParams {
  readonly regionId: string;
  readonly latitudeDeg: number;
  readonly longitudeDeg: number;
  readonly peakDemandMw: number;
  readonly solarCapacityMw: number;
  readonly windCapacityMw: number;
  readonly nuclearMw: number;
  readonly hydroMw: number;
  /** Share of the thermal fill served by coal (the rest is gas), 0..1. */
  readonly coalShare: number;
  /** Key of the region's noise streams (derived from the seed). */
  readonly noiseKey: number;
}

/** Seeded parameters of one region: regions differ in size and in how green they are. */
export const gridRegionParams = (seed: number, regionId: string, latitudeDeg: number, longitudeDeg: number): GridRegionParams => {
  const u = (what: string): number => hashUnit(seed, 'grid', regionId, what);
  const peakDemandMw = 3000 + 9000 * u('peak');
  return {
    regionId, latitudeDeg, longitudeDeg, peakDemandMw,
    solarCapacityMw: peakDemandMw * (0.1 + 0.5 * u('solar')),
    windCapacityMw: peakDemandMw * (0.05 + 0.45 * u('wind')),
    nuclearMw: u('has-nuclear') < 0.5 ? peakDemandMw * (0.1 + 0.2 * u('nuclear')) : 0,
    hydroMw: peakDemandMw * 0.12 * u('hydro'),
    coalShare: u('has-coal') < 0.6 ? 0.15 + 0.6 * u('coal') : 0,
    noiseKey: hash32(seed, 'grid-noise', regionId),
  };
};

const bump = (x: number, centre: number, width: number): number => Math.exp(-(((x - centre) / width) ** 2));

/** Demand in MW at tMs (local time approximated from the region's longitude). */
export const demandMw = (p: GridRegionParams, tMs: number): number => {
  const localMs = tMs + (p.longitudeDeg / 15) * HOUR_MS;
  const hour = (((localMs % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS;
  const weekday = new Date(localMs).getUTCDay();
  const weekend = weekday === 0 || weekday === 6;
  const daily = 0.62 + 0.18 * bump(hour, weekend ? 10 : 8, 2.5) + 0.3 * bump(hour, 19, 3) + 0.12 * bump(hour, 14, 4);
  const season = 1 + 0.08 * Math.cos((2 * Math.PI * (tMs / DAY_MS - 200)) / 365.25);
  return p.peakDemandMw * daily * (weekend ? 0.88 : 1) * season * (1 + 0.04 * smoothNoise1(p.noiseKey, tMs / (6 * HOUR_MS)));
};

/** The region's mix over the interval starting at tMs (the shape of grid.mix.v1). */
export const gridMixAt = (p: GridRegionParams, tMs: number, intervalMinutes = 60): GridMix => {
  const demand = demandMw(p, tMs);
  const h = tMs / HOUR_MS;
  const clouds = 0.5 + 0.5 * smoothNoise1(p.noiseKey ^ 0x1b873593, h / 10); // regional dimming 0..1
  const solarAvail = p.solarCapacityMw * (clearSkyGhiAt(p.latitudeDeg, p.longitudeDeg, tMs) / 1000) * (1 - 0.6 * clouds);
  const windCf = Math.min(1, Math.max(0, 0.35 + 0.45 * smoothNoise1(p.noiseKey ^ 0x68e31da4, h / 14)));
  const windAvail = p.windCapacityMw * windCf ** 1.6;
  const hydro = p.hydroMw * (0.7 + 0.3 * bump(((h % 24) + 24) % 24, 19, 3));
  const must = p.nuclearMw + hydro;
  const renewable = solarAvail + windAvail;
  const room = Math.max(0, demand - must);
  const scale = renewable > room ? room / renewable : 1; // curtail
  const solar = solarAvail * scale;
  const wind = windAvail * scale;
  const thermal = Math.max(0, demand - must - solar - wind);
  const nuclear = Math.min(p.nuclearMw, demand);
  const hydroMw = Math.min(hydro, Math.max(0, demand - nuclear));
  const generation: GridMix['generation'] = [
    { source: 'NUCLEAR', mw: nuclear },
    { source: 'HYDRO', mw: hydroMw },
    { source: 'SOLAR', mw: solar },
    { source: 'WIND', mw: wind },
    { source: 'COAL', mw: thermal * p.coalShare },
    { source: 'GAS', mw: thermal * (1 - p.coalShare) },
  ];
  const total = generation.reduce((s, g) => s + g.mw, 0);
  const carbon = generation.reduce((s, g) => s + g.mw * EMISSION_FACTORS_G_PER_KWH[g.source], 0) / Math.max(total, 1e-9);
  return { regionId: p.regionId, observedAtMs: tMs, intervalMinutes, carbonGPerKwh: carbon, demandMw: demand, generation };
};

/** Hourly carbon intensity of a region as a plain function, for planners and benches. */
export const carbonGPerKwhAt = (p: GridRegionParams, tMs: number): number => gridMixAt(p, tMs).carbonGPerKwh;
