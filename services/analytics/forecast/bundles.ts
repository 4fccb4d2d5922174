/**
 * One site's bundle for the narrow topic, pure: the site's solar and load forecasts with its
 * cell's temperature and alerts and its grid region's carbon, all on one hourly grid from the
 * run's valid-from. The same snapshot always gives the same bundle (no clock, no randomness), which
 * is what makes a retried chunk publish identical bytes.
 */
import type { ForecastBundle } from '../../platform/events.ts';
import { FALLBACK_CARBON_G_PER_KWH } from './models/emissions-model.ts';
import { forecastSiteLoad } from './models/load-model.ts';
import { forecastSky, solarFromSky, type ForecastSky } from './models/solar-model.ts';
import { validOrientation } from '../../platform/plane-of-array.ts';
import { FALLBACK_CLEARNESS, FALLBACK_TEMPERATURE_C } from './models/weather-model.ts';
import { HORIZON_STEPS, MODEL_VERSION, STEP_MINUTES } from './run-kinds.ts';
import type { SiteFeatures } from './site-features.ts';
import type { SiteRunShared } from './snapshot-codec.ts';

const fill = (x: number): number[] => new Array<number>(HORIZON_STEPS).fill(x);
const finite = (a: readonly number[] | undefined, d: number): number[] =>
  a === undefined || a.length !== HORIZON_STEPS ? fill(d) : a.map((x) => (Number.isFinite(x) ? x : d));

export interface BuiltBundle {
  readonly bundle: ForecastBundle;
  /** Which documented fallbacks this site needed (no cell forecast, no region forecast, no solar history, no load history). */
  readonly fallbacks: number;
}

/**
 * The forecast sky (sun, beam and diffuse per sample) is shared by the sites of a cell: computed
 * once per cell at the place its clearness was computed for (a site is within a quarter degree
 * of it: under a minute of sun time) and per 50 m of altitude, and kept for the life of the run's
 * shared part (one chunk). The per-site work is then the transposition only. Without a cell place
 * (a site without a cell, an older snapshot) the site's own place, rounded to 0.05 degrees, is
 * used. The bundle still depends only on the site and the snapshot.
 */
const skies = new WeakMap<SiteRunShared, Map<string, ForecastSky>>();
const skyFor = (shared: SiteRunShared, cell: number, clearness: readonly number[], site: SiteFeatures): ForecastSky => {
  const c = cell >= 0 ? shared.cells[cell] : null;
  const cellPlace = c !== null && c !== undefined && Number.isFinite(c.latitudeDeg) && Number.isFinite(c.longitudeDeg);
  const lat = cellPlace ? (c.latitudeDeg ?? 0) : Math.round(site.latitudeDeg * 20) / 20;
  const lon = cellPlace ? (c.longitudeDeg ?? 0) : Math.round(site.longitudeDeg * 20) / 20;
  const alt = Number.isFinite(site.altitudeM) ? Math.round(site.altitudeM / 50) * 50 : 0;
  let byPlace = skies.get(shared);
  if (byPlace === undefined) {
    byPlace = new Map();
    skies.set(shared, byPlace);
  }
  const key = `${cell}|${lat}|${lon}|${alt}`;
  let sky = byPlace.get(key);
  if (sky === undefined) {
    sky = forecastSky(lat, lon, clearness, shared.validFromMs, alt);
    byPlace.set(key, sky);
  }
  return sky;
};

export const buildBundle = (site: SiteFeatures, shared: SiteRunShared): BuiltBundle => {
  const cell = site.cell >= 0 ? (shared.cells[site.cell] ?? null) : null;
  const region = site.region >= 0 ? (shared.regions[site.region] ?? null) : null;
  let fallbacks = 0;
  if (cell === null) fallbacks++;
  if (region === null) fallbacks++;
  if (!Number.isFinite(site.solarFactor)) fallbacks++;
  if (!site.howKw.some((x) => Number.isFinite(x))) fallbacks++;
  const temperatureC = finite(cell?.temperatureC, FALLBACK_TEMPERATURE_C);
  const clearness = finite(cell?.clearness, FALLBACK_CLEARNESS);
  const orientation = { tiltDeg: site.tiltDeg, azimuthDeg: site.azimuthDeg };
  const solarKw = solarFromSky(skyFor(shared, site.cell, clearness, site), {
    latitudeDeg: site.latitudeDeg, longitudeDeg: site.longitudeDeg, solarKwp: site.solarKwp, factor: Number.isFinite(site.solarFactor) ? site.solarFactor : null,
    orientation: validOrientation(orientation) ? orientation : null,
  });
  const loadKw = forecastSiteLoad(
    {
      howMeans: site.howKw,
      heatKwPerC: Number.isFinite(site.heatKwPerC) ? site.heatKwPerC : 0,
      coolKwPerC: Number.isFinite(site.coolKwPerC) ? site.coolKwPerC : 0,
      recent: Number.isFinite(site.recentHourMs) && Number.isFinite(site.recentKw) ? { tMs: site.recentHourMs, kw: site.recentKw } : null,
    },
    { hdd: cell?.hdd ?? [], cdd: cell?.cdd ?? [] },
    temperatureC,
    shared.validFromMs,
  );
  const alert = cell?.alerts[0] ?? null;
  return {
    fallbacks,
    bundle: {
      siteId: site.siteId,
      issuedAtMs: shared.issuedAtMs,
      runId: shared.runId,
      validFromMs: shared.validFromMs,
      stepMinutes: STEP_MINUTES,
      solarKw,
      loadKw,
      carbonGPerKwh: finite(region?.carbonGPerKwh, FALLBACK_CARBON_G_PER_KWH),
      temperatureC,
      stormWatch: alert === null ? null : { startsAtMs: alert.startsAtMs, endsAtMs: alert.endsAtMs, severity: alert.severity },
      modelVersion: MODEL_VERSION,
    },
  };
};
