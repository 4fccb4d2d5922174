import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clearSkyGhiAt } from '../../../../services/platform/solar-geometry.ts';
import { MODEL_VERSION } from '../../../../services/analytics/forecast/run-kinds.ts';
import { createWorld, HOUR, START_MS, type ForecastWorld } from './forecast-harness.ts';

// Issued two days and a half into three days of history: a day of the 48-hour horizon can be
// scored against what the seeded history says happened.
const ISSUED = START_MS + 2 * 24 * HOUR + 6 * HOUR + 30 * 60_000;

describe('forecast runs on the real stack (ClickHouse in, Kafka and ClickHouse out)', () => {
  let world: ForecastWorld;
  beforeAll(async () => {
    world = await createWorld({ sites: 40 });
  });
  afterAll(async () => {
    await world.dispose();
  });

  it('weather and emissions runs store area forecasts; the site run publishes one complete bundle per site from them', async () => {
    for (const kind of ['weather', 'emissions'] as const) {
      const runId = await world.service.runNow(kind, ISSUED);
      const r = await world.waitForRun(runId);
      expect(r).toMatchObject({ state: 'completed', chunks: 1, chunksDone: 1, chunksFailed: 0, itemsDone: 2 });
    }
    const runId = await world.service.runNow('sites', ISSUED);
    const r = await world.waitForRun(runId);
    // 40 sites in chunks of 10: progress counts each chunk and site once.
    expect(r).toMatchObject({ state: 'completed', chunks: 4, chunksDone: 4, chunksFailed: 0, items: 40, itemsDone: 40, fallbacks: 0 });

    const bundles = await world.bundles();
    expect(new Set(bundles.map((b) => b.key))).toEqual(new Set(world.siteIds));
    expect(bundles).toHaveLength(40);
    for (const { key, bundle: b, bytes } of bundles) {
      expect(b).toMatchObject({ siteId: key, issuedAtMs: ISSUED, runId, validFromMs: ISSUED - 30 * 60_000, stepMinutes: 60, modelVersion: MODEL_VERSION });
      for (const series of [b.solarKw, b.loadKw, b.carbonGPerKwh, b.temperatureC]) expect(series).toHaveLength(48);
      expect(b.solarKw.every((x) => x >= 0)).toBe(true);
      expect(b.loadKw.every((x) => x > 0)).toBe(true);
      // Night in Bavaria at 01:00 UTC on a June night: no sun, no solar.
      const dark = (t: number): boolean => [-10, 0, 15, 30, 45, 60, 70].every((m) => clearSkyGhiAt(48.1, 11.6, t + m * 60_000) === 0 && clearSkyGhiAt(50.1, 8.7, t + m * 60_000) === 0);
      const night = b.solarKw.filter((_x, j) => dark(b.validFromMs + j * HOUR));
      expect(night.length).toBeGreaterThan(5);
      expect(night.every((x) => x === 0)).toBe(true);
      expect(bytes.length).toBeLessThan(1000);
    }

    const runs = await world.client.query({ query: `SELECT kind, outcome, chunks_done, items_done FROM ${world.db}.forecast_runs FINAL ORDER BY kind`, format: 'JSONEachRow' });
    expect(await runs.json()).toEqual([
      { kind: 'emissions', outcome: 'completed', chunks_done: 1, items_done: 2 },
      { kind: 'sites', outcome: 'completed', chunks_done: 4, items_done: 40 },
      { kind: 'weather', outcome: 'completed', chunks_done: 1, items_done: 2 },
    ]);
  });

  it('the scoring view reconciles with errors computed from the bundles, and a duplicated bundle counts once', async () => {
    const bundles = await world.bundles();
    const rows = bundles.flatMap(({ bundle: b }, k) => b.solarKw.map((s, i) => ({
      site_id: b.siteId, issued_at: new Date(b.issuedAtMs).toISOString().replace('T', ' ').replace('Z', ''), target_at: new Date(b.validFromMs + i * HOUR).toISOString().replace('T', ' ').replace('Z', ''),
      horizon_minutes: Math.max(0, Math.round((b.validFromMs + i * HOUR - b.issuedAtMs) / 60_000)), step: i, run_id: b.runId, step_minutes: 60,
      solar_kw: s, load_kw: b.loadKw[i], carbon_g_per_kwh: b.carbonGPerKwh[i], temperature_c: b.temperatureC[i], model_version: b.modelVersion, kafka_partition: 0, kafka_offset: k,
    })));
    const insert = (values: typeof rows): Promise<unknown> => world.client.insert({ table: `${world.db}.forecasts`, values, format: 'JSONEachRow', clickhouse_settings: { date_time_input_format: 'best_effort' } });
    await insert(rows);
    const score = async (): Promise<Array<{ kind: string; points: number; mae: number }>> => {
      const rs = await world.client.query({ query: `SELECT kind, toUInt32(sum(s.points)) AS n, sum(s.mae * s.points) / sum(s.points) AS m FROM ${world.db}.forecast_scores AS s GROUP BY kind ORDER BY kind`, format: 'JSONEachRow' });
      return (await rs.json<{ kind: string; n: number; m: number }>()).map((r) => ({ kind: r.kind, points: r.n, mae: r.m }));
    };
    const before = await score();
    expect(before.map((s) => s.kind)).toEqual(['carbon', 'irradiance', 'load', 'solar', 'temperature']);
    for (const s of before) expect(s.points).toBeGreaterThan(0);

    // The same MAE computed here from the bundles and site_hourly.
    const actual = await (await world.client.query({ query: `SELECT site_id, toUnixTimestamp64Milli(toDateTime64(hour, 3)) AS h, solar_kwh FROM ${world.db}.site_hourly`, format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } })).json<{ site_id: string; h: number; solar_kwh: number }>();
    const byKey = new Map(actual.map((a) => [`${a.site_id}@${a.h}`, a.solar_kwh]));
    let sum = 0;
    let n = 0;
    for (const { bundle: b } of bundles) b.solarKw.forEach((f, i) => {
      const a = byKey.get(`${b.siteId}@${b.validFromMs + i * HOUR}`);
      if (a !== undefined) {
        sum += Math.abs(f - a);
        n++;
      }
    });
    const solar = before.find((s) => s.kind === 'solar');
    expect(solar?.points).toBe(n);
    expect(solar?.mae).toBeCloseTo(sum / n, 4);

    // A retried chunk lands the same bundle twice in the table: the view still counts it once.
    await insert(rows.slice(0, 48).map((r) => ({ ...r, kafka_offset: r.kafka_offset + 100_000 })));
    const after = await score();
    // Same kinds and points; the means equal to the last bits of a double (ClickHouse sums the
    // parts in whatever order they come: 0.4051308141811273 once, 0.40513081418112723 another time).
    expect(after.map((s) => [s.kind, s.points])).toEqual(before.map((s) => [s.kind, s.points]));
    after.forEach((s, i) => expect(s.mae).toBeCloseTo(before[i]?.mae ?? NaN, 9));
  });
});
