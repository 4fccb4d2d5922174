// Issue 22: the emissions run ignored provider forecasts, its run record did not say what it used,
// and forecast_scores could not show a data scientist whether the correction beats the provider.
// On the real stack: a provider for one of two grid regions (half-hourly points, an issue every
// hour), plus issues published after the run's issue time that say something absurd. The run
// must use the provider for grid-n only and say so (Redis and forecast_runs.inputs), never read
// the later issues, and forecast_scores must score the provider on the model's own points with
// the newest issue at or before the model's issue time (reconciled against the same computed here;
// negative control: the absurd later issues, if they were picked, would give another MAE).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gridMixAt, gridRegionParams } from '../../../../services/edge/simulator/physics/grid-mix.ts';
import { emissionsForecasts } from '../../../../services/analytics/forecast/area-forecasts.ts';
import { createFeatureReader } from '../../../../services/analytics/forecast/clickhouse-features.ts';
import { runWindow } from '../../../../services/analytics/forecast/plan-run.ts';
import { createWorld, HOUR, REGIONS, START_MS, DAYS, type ForecastWorld } from './forecast-harness.ts';

const ISSUED = START_MS + 2 * 24 * HOUR + 6 * HOUR + 30 * 60_000;
const SOURCE = 'test-grid-operator:grid-n';
const ABSURD = 5000;
const dt = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

// The harness's grid-n (same seed and parameters), so the provider is wrong by a bias and a wave only.
const grid = gridRegionParams(7, 'grid-n', 49, 9);
const said = (issuedAtMs: number, targetMs: number): number =>
  issuedAtMs > ISSUED ? ABSURD : gridMixAt(grid, targetMs, 30).carbonGPerKwh * 1.06 + 12 * Math.sin(targetMs / (5 * HOUR));

describe('provider forecasts as inputs, and scored beside the model', () => {
  let world: ForecastWorld;
  beforeAll(async () => {
    world = await createWorld({ sites: 4 });
    const rows: Array<Record<string, unknown>> = [];
    let offset = 0;
    for (let issue = START_MS; issue <= ISSUED + 3 * HOUR; issue += HOUR) {
      for (let t = issue; t < issue + 48 * HOUR; t += 30 * 60_000) {
        rows.push({
          source_id: SOURCE, provider: 'test-grid-operator', area_id: 'grid-n', quantity: 'carbonGPerKwh', issued_at: dt(issue), fetched_at: dt(issue), target_at: dt(t),
          interval_minutes: 30, horizon_minutes: Math.round((t - issue) / 60_000), forecast: said(issue, t), actual: null, kafka_partition: 0, kafka_offset: offset++,
        });
      }
    }
    await world.client.insert({ table: `${world.db}.provider_forecasts`, values: rows, format: 'JSONEachRow', clickhouse_settings: { date_time_input_format: 'best_effort' } });
  }, 180_000);
  afterAll(async () => {
    await world.dispose();
  });

  it('the emissions run corrects the provider where there is one, and its record names the inputs', async () => {
    const runId = await world.service.runNow('emissions', ISSUED);
    const r = await world.waitForRun(runId);
    expect(r).toMatchObject({ state: 'completed', itemsDone: 2 });
    const inputs = JSON.parse(r?.inputs ?? '{}') as { ownHistory: boolean; provider: Record<string, { sourceId: string; issuedAt: string }>; fallback: Record<string, string> };
    expect(inputs.ownHistory).toBe(true);
    // The newest issue at or before 06:30 is 06:00; the later ones (07:00..09:00) are not read.
    expect(inputs.provider).toEqual({ 'grid-n': { sourceId: SOURCE, issuedAt: new Date(ISSUED - 30 * 60_000).toISOString() } });
    expect(Object.keys(inputs.fallback)).toEqual(['grid-s']);
    expect(inputs.fallback['grid-s']).toMatch(/no provider/);

    const stored = await (await world.client.query({ query: `SELECT kind, inputs FROM ${world.db}.forecast_runs FINAL WHERE run_id = {id:String}`, query_params: { id: runId }, format: 'JSONEachRow' })).json<{ kind: string; inputs: string }>();
    expect(stored).toHaveLength(1);
    expect(JSON.parse(stored[0]?.inputs ?? '')).toEqual(inputs);

    // grid-n's forecast is not the own model's (the provider was used); grid-s's is exactly it.
    const w = runWindow(ISSUED, world.fcfg.historyDays);
    const hours = await createFeatureReader(world.client, world.db).regionHours({ fromMs: w.fromMs, toMs: w.validFromMs, issuedAtMs: ISSUED });
    const own = new Map(emissionsForecasts(hours, w.fromMs, w.seriesEndMs, w.validFromMs, [...REGIONS]).map((f) => [f.areaId, f.carbonGPerKwh]));
    const areas = await (await world.client.query({ query: `SELECT area_id, carbon_g_per_kwh AS c FROM ${world.db}.forecast_areas FINAL WHERE run_id = {id:String} ORDER BY area_id`, query_params: { id: runId }, format: 'JSONEachRow' })).json<{ area_id: string; c: number[] }>();
    const gap = (a: string): number => {
      const got = areas.find((x) => x.area_id === a)?.c ?? [];
      return Math.max(...got.map((c, j) => Math.abs(c - Math.fround(own.get(a)?.[j] ?? NaN))));
    };
    expect(gap('grid-s')).toBeLessThan(1e-3);
    expect(gap('grid-n')).toBeGreaterThan(1);
    // And nothing absurd came in from the later issues.
    expect(Math.max(...(areas.find((x) => x.area_id === 'grid-n')?.c ?? [ABSURD]))).toBeLessThan(ABSURD / 5);
  });

  it('forecast_scores scores the provider on the model points, from the newest issue at or before the model issue', async () => {
    const scores = await (await world.client.query({
      query: `SELECT source, toUInt32(sum(points)) AS n, sum(mae * points) / sum(points) AS mae FROM ${world.db}.forecast_scores WHERE kind = 'carbon' AND region = 'grid-n' GROUP BY source ORDER BY source`,
      format: 'JSONEachRow',
    })).json<{ source: string; n: number; mae: number }>();
    expect(scores.map((s) => s.source)).toEqual(['model', SOURCE]);
    const model = scores.find((s) => s.source === 'model');
    const provider = scores.find((s) => s.source === SOURCE);
    // The same points: every scored model hour has the provider beside it.
    expect(provider?.n).toBe(model?.n);
    expect(model?.n).toBeGreaterThan(10);

    // The provider's MAE computed here: issue 06:00, its two half-hours averaged, against the hour's observed mean.
    const actual = await (await world.client.query({
      query: `SELECT toUnixTimestamp64Milli(toDateTime64(toStartOfHour(observed_at), 3, 'UTC')) AS h, avg(carbon_g_per_kwh) AS c FROM ${world.db}.grid_mix WHERE region_id = 'grid-n' GROUP BY h`,
      format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    })).json<{ h: number; c: number }>();
    const byHour = new Map(actual.map((a) => [a.h, a.c]));
    const maeOf = (issue: number): { n: number; mae: number } => {
      let sum = 0;
      let n = 0;
      for (let t = ISSUED - 30 * 60_000; t < START_MS + DAYS * 24 * HOUR; t += HOUR) {
        const y = byHour.get(t);
        if (y === undefined) continue;
        sum += Math.abs((said(issue, t) + said(issue, t + 30 * 60_000)) / 2 - y);
        n++;
      }
      return { n, mae: sum / n };
    };
    const expected = maeOf(ISSUED - 30 * 60_000);
    expect(provider?.n).toBe(expected.n);
    expect(provider?.mae).toBeCloseTo(expected.mae, 6);
    // Negative control: the newest issue overall (published after the model's) scores far worse.
    expect(Math.abs(maeOf(ISSUED + 2.5 * HOUR).mae - expected.mae)).toBeGreaterThan(1000);
    // A region without a provider has model rows only.
    const s = await (await world.client.query({ query: `SELECT DISTINCT source FROM ${world.db}.forecast_scores WHERE kind = 'carbon' AND region = 'grid-s'`, format: 'JSONEachRow' })).json<{ source: string }>();
    expect(s).toEqual([{ source: 'model' }]);
  });
});
