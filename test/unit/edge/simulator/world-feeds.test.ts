/**
 * The simulated world's provider feed: every 30 minutes one carbon forecast per region and every
 * hour one temperature forecast per cell go to provider.forecasts.v1, keyed by source, 48 hourly
 * points from the issue hour, close to the truth but not equal to it (an oracle would make every
 * correction look useless and every provider look perfect).
 */
import { describe, expect, it } from 'vitest';
import type { TopicWriter } from '../../../../services/platform/topic-writer.ts';
import type { ProviderForecast } from '../../../../services/platform/events.ts';
import { gridMixAt } from '../../../../services/edge/simulator/physics/grid-mix.ts';
import { createWeatherField } from '../../../../services/edge/simulator/physics/weather-field.ts';
import { planFleet } from '../../../../services/edge/simulator/provision-plan.ts';
import { publishWorld } from '../../../../services/edge/simulator/world-feeds.ts';

describe('simulated provider feed', () => {
  it('publishes provider-style forecasts with error that is real but bounded', async () => {
    const plan = planFleet({ seed: 5, sites: 40, regions: 2 });
    const field = createWeatherField(plan.seed, plan.cells);
    const published: Array<{ topic: string; key: string; value: unknown }> = [];
    const writer = {
      publish: (topic: string, records: ReadonlyArray<{ key: string; value: unknown }>) => {
        for (const r of records) published.push({ topic, key: r.key, value: r.value });
        return Promise.resolve([]);
      },
      close: () => Promise.resolve(),
    } as unknown as TopicWriter;
    const t0 = Date.UTC(2025, 5, 1, 12);
    await publishWorld({ writer, plan, field, fromMs: t0, toMs: t0 + 60 * 60_000 });
    const fc = published.filter((p) => p.topic === 'provider.forecasts.v1').map((p) => ({ key: p.key, f: p.value as ProviderForecast }));
    const carbon = fc.filter((x) => x.f.quantity === 'carbonGPerKwh');
    expect(carbon).toHaveLength(2 * plan.regions.length);
    expect(fc.filter((x) => x.f.quantity === 'temperatureC')).toHaveLength(plan.cells.length);
    const first = carbon[0];
    expect(first?.key).toBe(`gridfleet-sim:carbon:${plan.regions[0]?.regionId ?? ''}`);
    expect(first?.f.points).toHaveLength(48);
    expect(first?.f.points[0]?.targetMs).toBe(t0);
    const region = plan.regions[0];
    if (region === undefined || first === undefined) throw new Error('no region');
    const errors = first.f.points.map((p) => (p.forecast ?? NaN) - gridMixAt(region.grid, p.targetMs + 1_800_000, 60).carbonGPerKwh);
    const mae = errors.reduce((a, e) => a + Math.abs(e), 0) / errors.length;
    expect(mae).toBeGreaterThan(0.5);
    expect(mae).toBeLessThan(60);
  });
});
