/**
 * The outside world the platform listens to, simulated: a weather provider publishing
 * weather.observations.v1 per cell (with severe-weather alerts) and a grid operator publishing
 * grid.mix.v1 per region. In production real feeds replace these behind the same topics.
 */
import type { TopicWriter } from '../../platform/topic-writer.ts';
import { TopicNames } from '../../platform/topics.ts';
import { gridMixAt } from './physics/grid-mix.ts';
import { observeCell, type WeatherField } from './physics/weather-field.ts';
import type { FleetPlan } from './provision-plan.ts';

export const WEATHER_EVERY_MS = 15 * 60_000;
export const GRID_MIX_EVERY_MS = 30 * 60_000;

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
  return n;
};
