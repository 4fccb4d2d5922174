/**
 * Each site's environment as operators see it next to its state: its weather cell and grid region
 * (from the registry), the newest weather observation of the cell, the newest generation mix of the
 * region, and a summary of the newest forecast bundle issued for the site. Kept from
 * weather.observations.v1, grid.mix.v1 and fleet.forecasts.v1; these come from the analytics tier
 * and the providers, so they are shown as last known and never wait for anything. No effects.
 */
import type { AssetDefinition, ForecastBundle, GridMix, WeatherObservation } from '../../platform/events.ts';

export interface ForecastSummary {
  readonly issuedAtMs: number;
  readonly runId: string;
  readonly validFromMs: number;
  readonly stepMinutes: number;
  readonly steps: number;
  readonly modelVersion: string;
  readonly stormWatch: ForecastBundle['stormWatch'];
}

export interface SiteEnvironment {
  readonly weatherCellId: string | null;
  readonly gridRegionId: string | null;
  readonly weather: WeatherObservation | null;
  readonly gridMix: Omit<GridMix, 'generation'> | null;
  readonly forecast: ForecastSummary | null;
}

export interface Environment {
  putWeather(o: WeatherObservation): void;
  putGridMix(m: GridMix): void;
  putForecast(b: ForecastBundle): void;
  forSite(site: AssetDefinition): SiteEnvironment;
}

export const createEnvironment = (): Environment => {
  const weather = new Map<string, WeatherObservation>();
  const mixes = new Map<string, Omit<GridMix, 'generation'>>();
  const forecasts = new Map<string, ForecastSummary>();
  return {
    putWeather(o) {
      if ((weather.get(o.cellId)?.observedAtMs ?? -Infinity) <= o.observedAtMs) weather.set(o.cellId, o);
    },
    putGridMix(m) {
      if ((mixes.get(m.regionId)?.observedAtMs ?? -Infinity) > m.observedAtMs) return;
      mixes.set(m.regionId, { regionId: m.regionId, observedAtMs: m.observedAtMs, intervalMinutes: m.intervalMinutes, carbonGPerKwh: m.carbonGPerKwh, demandMw: m.demandMw });
    },
    putForecast(b) {
      // A device ignores a bundle not newer than its own; so does the summary.
      if ((forecasts.get(b.siteId)?.issuedAtMs ?? -Infinity) >= b.issuedAtMs) return;
      forecasts.set(b.siteId, { issuedAtMs: b.issuedAtMs, runId: b.runId, validFromMs: b.validFromMs, stepMinutes: b.stepMinutes, steps: b.solarKw.length, modelVersion: b.modelVersion, stormWatch: b.stormWatch });
    },
    forSite(site) {
      return {
        weatherCellId: site.weatherCellId,
        gridRegionId: site.gridRegionId,
        weather: site.weatherCellId === null ? null : (weather.get(site.weatherCellId) ?? null),
        gridMix: site.gridRegionId === null ? null : (mixes.get(site.gridRegionId) ?? null),
        forecast: forecasts.get(site.assetId) ?? null,
      };
    },
  };
};
