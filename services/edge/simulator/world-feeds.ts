/**
 * The outside world the platform listens to, simulated: a weather provider publishing
 * weather.observations.v1 per cell (with severe-weather alerts) and a grid operator publishing
 * grid.mix.v1 per region. In production real feeds replace these behind the same topics.
 */
import type { AvroCodec } from '../../platform/avro-codec.ts';
import type { Producer } from '../../platform/kafka.ts';
import { TopicNames } from '../../platform/topics.ts';
import { gridMixAt } from './physics/grid-mix.ts';
import { observeCell, type WeatherField } from './physics/weather-field.ts';
import type { FleetPlan } from './provision-plan.ts';

export const WEATHER_EVERY_MS = 15 * 60_000;
export const GRID_MIX_EVERY_MS = 30 * 60_000;

/** Publishes the observations due in (fromMs, toMs] of simulated time; returns how many. */
export const publishWorld = async (opts: { producer: Producer; codec: AvroCodec; plan: FleetPlan; field: WeatherField; fromMs: number; toMs: number }): Promise<number> => {
  let n = 0;
  const due = (every: number): number[] => {
    const out: number[] = [];
    for (let t = Math.floor(opts.fromMs / every) * every + every; t <= opts.toMs; t += every) out.push(t);
    return out;
  };
  for (const t of due(WEATHER_EVERY_MS)) {
    const msgs = await Promise.all(opts.plan.cells.map(async (c) => ({ key: c.cellId, value: await opts.codec.encode(TopicNames.weatherObservations, observeCell(opts.field, c.cellId, t)) })));
    if (msgs.length > 0) await opts.producer.send(TopicNames.weatherObservations, msgs);
    n += msgs.length;
  }
  for (const t of due(GRID_MIX_EVERY_MS)) {
    const msgs = await Promise.all(opts.plan.regions.map(async (r) => ({ key: r.regionId, value: await opts.codec.encode(TopicNames.gridMix, gridMixAt(r.grid, t, 30)) })));
    await opts.producer.send(TopicNames.gridMix, msgs);
    n += msgs.length;
  }
  return n;
};
