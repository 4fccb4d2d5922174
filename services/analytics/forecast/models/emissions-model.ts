/**
 * Carbon intensity per grid region, 48 hourly values in gCO2/kWh, pure: the daily profile of the
 * trailing three weeks, a day-of-week offset once more than a week is known (weekends burn less
 * coal), and the recent level's anomaly decaying at the persistence fitted on the history (wind
 * and clouds last for hours, not days).
 */
import type { HourlySeries } from './hourly-series.ts';
import { DEFAULT_SEASONAL, seasonalAnomalyForecast } from './seasonal-anomaly.ts';

/** With no grid-mix history: a typical mixed grid, documented. */
export const FALLBACK_CARBON_G_PER_KWH = 400;

export const forecastCarbon = (history: HourlySeries, end: number, fromMs: number, steps: number): number[] =>
  seasonalAnomalyForecast(history, end, fromMs, steps, { ...DEFAULT_SEASONAL, weekly: true, climatologyDays: 21, fallback: FALLBACK_CARBON_G_PER_KWH })
    .map((c) => Math.max(0, c));
