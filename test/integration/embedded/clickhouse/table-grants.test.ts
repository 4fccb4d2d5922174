// Issue 19: the forecast jobs logged in as `default` and could read and write every table. The
// embedded server now gives a user with grants (the shipped `forecast` user's, from
// infra/clickhouse/users.json) only the tables granted to it, checked from the engine's own
// analysis before anything runs. The forecast tier's real reads and writes pass; everything else
// gets ACCESS_DENIED naming the table. Negative control: the same statements run as `default`
// (no grants), so each refusal is the grant's, not a missing table.
import { readFileSync } from 'node:fs';
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFeatureReader } from '../../../../services/analytics/forecast/clickhouse-features.ts';
import { createForecastSink } from '../../../../services/analytics/forecast/forecast-sink.ts';
import { migrate } from '../../../../services/embedded/clickhouse/migrate.ts';
import { startServer, type ServerHandle } from './server-process.ts';

const shipped = JSON.parse(readFileSync('infra/clickhouse/users.json', 'utf8')) as { users: Record<string, { grants?: string[] }> };
const FORECAST = { password: 'forecast-pw', grants: shipped.users['forecast']?.grants ?? [] };

let server: ServerHandle;
let forecast: ClickHouseClient;
beforeAll(async () => {
  server = await startServer({ users: { forecast: FORECAST } });
  const admin = createClient({ url: server.url, log: { level: ClickHouseLogLevel.OFF } });
  try {
    await migrate(admin);
  } finally {
    await admin.close();
  }
  forecast = createClient({ url: server.url, username: 'forecast', password: FORECAST.password, log: { level: ClickHouseLogLevel.OFF } });
}, 180_000);
afterAll(async () => {
  await forecast.close();
  await server.stop();
});

const run = async (user: string, password: string, query: string, o: { body?: string; database?: string } = {}): Promise<{ status: number; text: string; code: string | null }> => {
  const r = await fetch(`${server.url}/?query=${encodeURIComponent(query)}${o.database === undefined ? '' : `&database=${o.database}`}`, {
    method: 'POST',
    ...(o.body === undefined ? {} : { body: o.body }),
    headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` },
    signal: AbortSignal.timeout(15_000),
  });
  return { status: r.status, text: await r.text(), code: r.headers.get('x-clickhouse-exception-code') };
};
const asForecast = (q: string, o?: { body?: string; database?: string }) => run('forecast', FORECAST.password, q, o);
const asDefault = (q: string, o?: { body?: string; database?: string }) => run('default', '', q, o);

const HOUR = 3_600_000;
const window = { fromMs: Date.UTC(2025, 5, 1), toMs: Date.UTC(2025, 5, 4), issuedAtMs: Date.UTC(2025, 5, 4) - HOUR };

describe('the forecast user', () => {
  it("runs every read and write of the forecast tier's own code", async () => {
    const reader = createFeatureReader(forecast, 'gridfleet');
    await reader.sites();
    await reader.cellHours(window);
    await reader.cellPlaces();
    await reader.cellAlerts(window);
    await reader.regionHours(window);
    await reader.providerHours('carbonGPerKwh', window);
    await reader.solarFactors(window);
    await reader.loadProfiles(window);
    await reader.recentLoads(window);
    await reader.loadSensitivities(window);
    const sink = createForecastSink(forecast, 'gridfleet');
    const area = { kind: 'weather' as const, areaId: 'cell-a', latitudeDeg: 48.1, longitudeDeg: 11.6, temperatureC: [10, 11], cloudCoverPct: [5, 6], irradianceWPerM2: [100, 200], carbonGPerKwh: [], alerts: [] };
    await sink.insertAreas([area], 'run-grants', 0, window.issuedAtMs, window.toMs);
    await sink.insertRun({ runId: 'run-grants', kind: 'weather', issuedAtMs: window.issuedAtMs, state: 'completed', chunks: 1, items: 1, chunksDone: 1, itemsDone: 1, chunksFailed: 0, fallbacks: 0, startedAtMs: window.issuedAtMs, fannedOutAtMs: window.issuedAtMs, finishedAtMs: window.issuedAtMs + 1000, error: '', inputs: '' }, 'completed');
    expect(await reader.latestAreas('weather', window)).toHaveLength(1);
    expect((await asForecast("SELECT count() FROM gridfleet.forecast_runs WHERE run_id = 'run-grants'")).text).toBe('1\n');
  }, 60_000);

  const refusedReads: Array<[string, string, { database?: string }?]> = [
    ['SELECT count() FROM gridfleet.telemetry', 'gridfleet.telemetry'],
    ['SELECT count() FROM gridfleet.telemetry FORMAT JSONEachRow', 'gridfleet.telemetry'],
    ['SELECT count() FROM acks', 'gridfleet.acks', { database: 'gridfleet' }],
    ['WITH c AS (SELECT * FROM gridfleet.commands) SELECT count() FROM c', 'gridfleet.commands'],
    ['SELECT (SELECT count() FROM gridfleet.customer_choices)', 'gridfleet.customer_choices'],
    ['SELECT count() FROM gridfleet.site_hourly WHERE site_id IN gridfleet.assets', 'gridfleet.assets'],
    ['SELECT count() FROM gridfleet.site_hourly UNION ALL SELECT count() FROM gridfleet.dead_letters', 'gridfleet.dead_letters'],
    ['SELECT count() FROM gridfleet.site_hour_agg', 'gridfleet.site_hour_agg'],
    ["SELECT count() FROM merge('gridfleet', '^tele')", 'merge()'],
    ['SELECT count() FROM view(SELECT * FROM gridfleet.telemetry)', 'view()'],
    ['SELECT name FROM system.tables', 'system.tables'],
  ];
  for (const [q, named, o] of refusedReads) {
    it(`gets ACCESS_DENIED naming ${named} for ${q}, which default runs`, async () => {
      const r = await asForecast(q, o);
      expect(r.code, r.text).toBe('497');
      expect(r.status).toBe(403);
      expect(r.text).toContain(named);
      const control = await asDefault(q, o);
      expect(control.status, control.text).toBe(200);
    });
  }

  const refusedWrites: Array<[string, string, string?]> = [
    ['INSERT INTO gridfleet.commands FORMAT JSONEachRow', 'INSERT ON gridfleet.commands', '{"command_id":"x"}\n'],
    ['INSERT INTO gridfleet.site_hourly FORMAT JSONEachRow', 'INSERT ON gridfleet.site_hourly', '{"site_id":"x"}\n'],
    ["INSERT INTO gridfleet.forecast_runs (run_id) VALUES ((SELECT toString(count()) FROM gridfleet.telemetry))", 'VALUES is refused'],
    ['INSERT INTO gridfleet.forecast_runs SELECT * FROM gridfleet.forecast_runs', 'INSERT ... SELECT'],
    ["INSERT INTO FUNCTION null('x UInt8') FORMAT CSV", 'INTO FUNCTION', '1\n'],
    ['TRUNCATE TABLE gridfleet.telemetry', 'may only SELECT'],
    ['CREATE TABLE gridfleet.grants_probe (x UInt8) ENGINE = MergeTree ORDER BY x', 'may only SELECT'],
    ['ALTER TABLE gridfleet.forecast_runs DELETE WHERE 1', 'may only SELECT'],
    ['SHOW CREATE TABLE gridfleet.telemetry', 'may only SELECT'],
  ];
  for (const [q, why, body] of refusedWrites) {
    it(`gets ACCESS_DENIED for ${q}`, async () => {
      const r = await asForecast(q, body === undefined ? {} : { body });
      expect(r.code, r.text).toBe('497');
      expect(r.text).toContain(why);
    });
  }

  it('changed nothing it was refused: the commands table is empty and the probe table does not exist', async () => {
    expect((await asDefault('SELECT count() FROM gridfleet.commands')).text).toBe('0\n');
    expect((await asDefault("EXISTS TABLE gridfleet.grants_probe")).text).toBe('0\n');
    // Negative control of the VALUES refusal: for a user without grants the subquery runs.
    expect((await asDefault("INSERT INTO gridfleet.forecast_runs (run_id) VALUES ((SELECT 'from-a-subquery'))")).status).toBe(200);
    expect((await asDefault("SELECT count() FROM gridfleet.forecast_runs WHERE run_id = 'from-a-subquery'")).text).toBe('1\n');
  });
});
