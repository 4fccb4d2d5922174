/**
 * The forecast panel's queries against the real ClickHouse of the test stack: a region of two
 * sites with one forecast run and the telemetry, weather and grid mix that followed. Every number
 * below is worked out by hand from the rows inserted, so a wrong join, sum or bucket fails here.
 * Also: a scope nothing was forecast for is "empty", and an unreachable or silent ClickHouse is
 * "unavailable" within the timeout, never a hang.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnalytics } from '../../../services/console/analytics.ts';
import { freshName, testConfig } from '../../support/stack-env.ts';
import { assetRow, forecastRow, gridMixRow, HOUR, insertRows, telemetryRow, weatherRow } from './forecast-rows.ts';

const ch = testConfig().clickhouseUrl;

describe('forecast panel queries on ClickHouse', () => {
  const id = freshName('fc');
  const region = `${id}-region`;
  const sites = [`${id}-s1`, `${id}-s2`] as const;
  const cell = `${id}-cell`;
  const grid = `${id}-grid`;
  const t0 = Math.floor(Date.now() / HOUR) * HOUR - 5 * HOUR;
  const t1 = t0 + HOUR;
  const t2 = t0 + 2 * HOUR;
  const analytics = createAnalytics({ url: ch, user: 'analyst', password: 'analyst', timeoutMs: 5000, now: () => Date.now() });

  beforeAll(async () => {
    await insertRows('assets', [
      assetRow(region, 'REGION', null, t0), assetRow(`${id}-sub`, 'SUBSTATION', region, t0), assetRow(`${id}-feeder`, 'FEEDER', `${id}-sub`, t0),
      ...sites.map((s) => assetRow(s, 'SITE', `${id}-feeder`, t0, { weather_cell_id: cell, grid_region_id: grid })),
    ]);
    const fc = (site: string, target: number, solarKw: number, loadKw: number) => forecastRow(`${id}-run`, site, t0, target, { solarKw, loadKw, carbonGPerKwh: 180, temperatureC: 9 });
    await insertRows('forecasts', [fc(sites[0], t1, 2, 1), fc(sites[0], t2, 4, 1), fc(sites[1], t1, 3, 2), fc(sites[1], t2, 5, 2)]);
    await insertRows('telemetry', [telemetryRow(sites[0], t1, 2.5, 1), telemetryRow(sites[1], t1, 3, 2.5), telemetryRow(sites[0], t2, 4, 1), telemetryRow(sites[1], t2, 6, 2)]);
    await insertRows('weather_observations', [weatherRow(cell, t1 + 120_000, 10)]);
    await insertRows('grid_mix', [gridMixRow(grid, t1 + 120_000, 200)]);
  });

  it('latest forecast against actuals, and the error by horizon, for a region', async () => {
    const v = await analytics.forecast(region);
    if (v.state !== 'ok') throw new Error(`expected a forecast, got ${JSON.stringify(v)}`);
    expect(v.runId).toBe(`${id}-run`);
    expect(v.issuedAtMs).toBe(t0);
    expect(v.sites).toBe(2);
    expect(v.solarKw.forecast).toEqual([{ x: t1, y: 5 }, { x: t2, y: 9 }]);
    expect(v.loadKw.forecast).toEqual([{ x: t1, y: 3 }, { x: t2, y: 3 }]);
    expect(v.solarKw.actual).toEqual([{ x: t1, y: 5.5 }, { x: t2, y: 10 }]);
    expect(v.loadKw.actual).toEqual([{ x: t1, y: 3.5 }, { x: t2, y: 3 }]);
    expect(v.temperatureC.actual).toEqual([{ x: t1, y: 10 }]);
    expect(v.carbonGPerKwh.actual).toEqual([{ x: t1, y: 200 }]);
    expect(v.carbonGPerKwh.forecast.map((p) => p.y)).toEqual([180, 180]);
    // Scored per site: solar and load against the site's hourly means, temperature against its
    // cell's observations, carbon against its grid region's mix.
    const err = (kind: string, horizonH: number) => v.errorByHorizon.find((e) => e.kind === kind && e.horizonH === horizonH);
    expect(err('solar', 1)).toMatchObject({ mae: 0.25, bias: -0.25, n: 2 });
    expect(err('solar', 2)).toMatchObject({ mae: 0.5, bias: -0.5, n: 2 });
    expect(err('load', 1)).toMatchObject({ mae: 0.25, bias: -0.25, n: 2 });
    expect(err('load', 2)).toMatchObject({ mae: 0, n: 2 });
    expect(err('temperature', 1)).toMatchObject({ mae: 1, bias: -1, n: 2 });
    expect(err('carbon', 1)).toMatchObject({ mae: 20, bias: -20, n: 2 });
    // Nothing was observed in the second hour for the cell and grid region: no pair, no score.
    expect(err('temperature', 2)).toBeUndefined();
    expect(err('carbon', 2)).toBeUndefined();
    expect(v.errorNote).toBeNull();
    expect(analytics.state().state).toBe('available');
  });

  it('one site of the region: its own numbers, not the region\'s', async () => {
    const v = await analytics.forecast(sites[1]);
    if (v.state !== 'ok') throw new Error(`expected a forecast, got ${JSON.stringify(v)}`);
    expect(v.sites).toBe(1);
    expect(v.solarKw.forecast.map((p) => p.y)).toEqual([3, 5]);
    expect(v.solarKw.actual.map((p) => p.y)).toEqual([3, 6]);
  });

  it('a scope nothing was forecast for is empty, not unavailable', async () => {
    const v = await analytics.forecast(`${id}-nowhere`);
    expect(v.state).toBe('empty');
  });

  describe('ClickHouse unreachable or silent', () => {
    let silent: Server;
    beforeAll(async () => {
      silent = createServer(() => undefined);
      await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    });
    afterAll(async () => {
      silent.closeAllConnections();
      await new Promise((r) => silent.close(r));
    });

    it('a silent server is unavailable within the timeout', async () => {
      const port = (silent.address() as AddressInfo).port;
      const a = createAnalytics({ url: `http://127.0.0.1:${port}`, user: 'analyst', password: 'analyst', timeoutMs: 300, now: () => Date.now() });
      const started = Date.now();
      const v = await a.forecast(region);
      expect(v).toEqual({ state: 'unavailable', scope: region, reason: 'ClickHouse did not answer in time' });
      expect(Date.now() - started).toBeLessThan(2000);
      expect(a.state().state).toBe('unavailable');
    });

    it('a refused connection is unavailable with its reason', async () => {
      const closed = createServer();
      await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
      const port = (closed.address() as AddressInfo).port;
      await new Promise((r) => closed.close(r));
      const a = createAnalytics({ url: `http://127.0.0.1:${port}`, user: 'analyst', password: 'analyst', timeoutMs: 1000, now: () => Date.now() });
      const v = await a.forecast(region);
      expect(v.state).toBe('unavailable');
      if (v.state === 'unavailable') expect(v.reason).toMatch(/ECONNREFUSED|refused/i);
    });
  });
});
