/**
 * Weather per cell, hourly for 48 hours, pure: temperature, cloud cover and irradiance from the
 * cell's observation history (climatology by hour of day over a trailing window blended with the
 * persistence of the recent anomaly; irradiance through the clearness index so it is zero at
 * night), plus the provider's severe-weather alerts still in force.
 */
import type { AlertSeverity, WeatherObservation } from '../../../platform/events.ts';
import { forecastViaClearness } from './clearness.ts';
import type { HourlySeries } from './hourly-series.ts';
import { DEFAULT_SEASONAL, seasonalAnomalyForecast, type SeasonalOptions } from './seasonal-anomaly.ts';

export type AlertKind = NonNullable<WeatherObservation['alert']>['kind'];

export interface WeatherAlert {
  readonly kind: AlertKind;
  readonly severity: AlertSeverity;
  readonly startsAtMs: number;
  readonly endsAtMs: number;
}

export interface CellHistory {
  readonly latitudeDeg: number;
  readonly longitudeDeg: number;
  /** Hourly means; all three share startMs and length. */
  readonly temperatureC: HourlySeries;
  readonly cloudCoverPct: HourlySeries;
  readonly irradianceWPerM2: HourlySeries;
  /** Alerts the provider has announced (any observation of the history window). */
  readonly alerts: readonly WeatherAlert[];
}

export interface CellForecast {
  readonly temperatureC: number[];
  readonly cloudCoverPct: number[];
  readonly irradianceWPerM2: number[];
  /** Alerts overlapping [validFrom, validFrom + steps h), most severe first. */
  readonly alerts: WeatherAlert[];
}

/** With no temperature history at all (a new cell): a mild default, documented. */
export const FALLBACK_TEMPERATURE_C = 15;
export const FALLBACK_CLOUD_PCT = 50;
export const FALLBACK_CLEARNESS = 0.7;

/** Diurnal shape from two weeks, level from the last three days (backtested on the simulator). */
export const TEMPERATURE_OPTIONS: SeasonalOptions = Object.freeze({ ...DEFAULT_SEASONAL, climatologyDays: 14, levelDays: 3, fallback: FALLBACK_TEMPERATURE_C });

const SEVERITY_RANK: Readonly<Record<AlertSeverity, number>> = { WARNING: 3, WATCH: 2, ADVISORY: 1 };

/** Alerts overlapping a window, deduplicated by (kind, start), the newest announcement kept, most severe first. */
export const activeAlerts = (alerts: readonly WeatherAlert[], fromMs: number, toMs: number): WeatherAlert[] => {
  const byKey = new Map<string, WeatherAlert>();
  for (const a of alerts) if (a.endsAtMs > fromMs && a.startsAtMs < toMs && a.endsAtMs > a.startsAtMs) byKey.set(`${a.kind}@${a.startsAtMs}`, a);
  return [...byKey.values()].sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || a.startsAtMs - b.startsAtMs || a.kind.localeCompare(b.kind));
};

export const forecastCellWeather = (h: CellHistory, end: number, fromMs: number, steps: number, issuedAtMs: number): CellForecast => {
  const temperatureC = seasonalAnomalyForecast(h.temperatureC, end, fromMs, steps, TEMPERATURE_OPTIONS);
  const cloudCoverPct = seasonalAnomalyForecast(h.cloudCoverPct, end, fromMs, steps, { ...DEFAULT_SEASONAL, seasonality: 'none', fallback: FALLBACK_CLOUD_PCT })
    .map((c) => Math.min(100, Math.max(0, c)));
  const irradianceWPerM2 = forecastViaClearness(h.irradianceWPerM2, end, h.latitudeDeg, h.longitudeDeg, fromMs, steps, { fallbackRatio: FALLBACK_CLEARNESS, climatologyDays: 14, maxRatio: 1.2 });
  return { temperatureC, cloudCoverPct, irradianceWPerM2, alerts: activeAlerts(h.alerts, Math.max(issuedAtMs, fromMs), fromMs + steps * 3_600_000) };
};
