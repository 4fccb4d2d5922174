/**
 * One site's bundle for the narrow topic, pure: the site's solar and load forecasts with its
 * cell's temperature and alerts and its grid region's carbon, all on one hourly grid from the
 * run's valid-from. The same snapshot always gives the same bundle (no clock, no randomness), which
 * is what makes a retried chunk publish identical bytes.
 */
import type { ForecastBundle } from '../../platform/events.ts';
import { FALLBACK_CARBON_G_PER_KWH } from './models/emissions-model.ts';
import { forecastSiteLoad } from './models/load-model.ts';
import { forecastSiteSolar } from './models/solar-model.ts';
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
  const solarKw = forecastSiteSolar({ latitudeDeg: site.latitudeDeg, longitudeDeg: site.longitudeDeg, solarKwp: site.solarKwp, factor: Number.isFinite(site.solarFactor) ? site.solarFactor : null }, clearness, shared.validFromMs);
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
