/**
 * The outside world the platform listens to, simulated: a weather provider publishing
 * weather.observations.v1 per cell (with severe-weather alerts) and a grid operator publishing
 * grid.mix.v1 per region, and both as forecast providers on provider.forecasts.v1: the grid
 * operator's carbon-intensity forecast per region every 30 minutes and the weather service's
 * temperature forecast per cell every hour, 48 hourly points each, with the realistic error of
 * physics/provider-forecast.ts. In production real feeds (and the forecast tier's provider
 * adapters) replace these behind the same topics.
 */
import type { TopicWriter } from '../../platform/topic-writer.ts';
import { TopicNames } from '../../platform/topics.ts';
import type { ProviderForecast } from '../../platform/events.ts';
import { gridMixAt } from './physics/grid-mix.ts';
import { carbonProviderModel, providerValue, temperatureProviderModel } from './physics/provider-forecast.ts';
import { observeCell, type WeatherField } from './physics/weather-field.ts';
import type { FleetPlan } from './provision-plan.ts';

export const WEATHER_EVERY_MS = 15 * 60_000;
export const GRID_MIX_EVERY_MS = 30 * 60_000;
export const CARBON_FORECAST_EVERY_MS = 30 * 60_000;
export const TEMPERATURE_FORECAST_EVERY_MS = 60 * 60_000;
const HOUR_MS = 3_600_000;
const FORECAST_HOURS = 48;

/** A provider issue at t: 48 hourly points from t's hour, each the provider's value for the hour's middle. */
const providerIssue = (kind: 'carbon' | 'temperature', areaId: string, t: number, truth: (tMs: number) => number, value: (truth: number, target: number) => number): ProviderForecast => {
  const from = Math.floor(t / HOUR_MS) * HOUR_MS;
  return {
    sourceId: `gridfleet-sim:${kind}:${areaId}`, provider: 'gridfleet-sim', areaId, quantity: kind === 'carbon' ? 'carbonGPerKwh' : 'temperatureC', issuedAtMs: t, fetchedAtMs: t,
    points: Array.from({ length: FORECAST_HOURS }, (_, j) => {
      const target = from + j * HOUR_MS;
      return { targetMs: target, intervalMinutes: 60, forecast: value(truth(target + HOUR_MS / 2), target), actual: null };
    }),
  };
};

/** Publishes the observations due in (fromMs, toMs] of simulated time; returns how many. */
export const publishWorld = async (opts: { writer: TopicWriter; plan: FleetPlan; field: WeatherField; fromMs: number; toMs: number }): Promise<number> => {
  let n = 0;
  const due = (every: number): number[] => {
    const out: number[] = [];
    for (let t = Math.floor(opts.fromMs / every) * every + every; t <= opts.toMs; t += every) out.push(t);
    return out;
  };
  for (const t of due(WEATHER_EVERY_MS)) {
    const records = opts.plan.cells.map((c) => ({ key: c.cellId, value: observeCell(opts.field, c.cellId, t) }));
    await opts.writer.publish(TopicNames.weatherObservations, records);
    n += records.length;
  }
  for (const t of due(GRID_MIX_EVERY_MS)) {
    const records = opts.plan.regions.map((r) => ({ key: r.regionId, value: gridMixAt(r.grid, t, 30) }));
    await opts.writer.publish(TopicNames.gridMix, records);
    n += records.length;
  }
  for (const t of due(CARBON_FORECAST_EVERY_MS)) {
    const records = opts.plan.regions.map((r) => {
      const m = carbonProviderModel(opts.plan.seed, r.regionId);
      const f = providerIssue('carbon', r.regionId, t, (x) => gridMixAt(r.grid, x, 60).carbonGPerKwh, (truth, target) => providerValue(m, truth, t, target));
      return { key: f.sourceId, value: f };
    });
    await opts.writer.publish(TopicNames.providerForecasts, records);
    n += records.length;
  }
  for (const t of due(TEMPERATURE_FORECAST_EVERY_MS)) {
    const records = opts.plan.cells.map((c) => {
      const m = temperatureProviderModel(opts.plan.seed, c.cellId);
      const f = providerIssue('temperature', c.cellId, t, (x) => opts.field.at(c.cellId, x).temperatureC, (truth, target) => providerValue(m, truth, t, target));
      return { key: f.sourceId, value: f };
    });
    await opts.writer.publish(TopicNames.providerForecasts, records);
    n += records.length;
  }
  return n;
};
