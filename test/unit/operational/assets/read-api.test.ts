import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AssetDefinition, AssetState } from '../../../../services/platform/events.ts';
import { zeroAggregate } from '../../../../services/operational/assets/aggregate.ts';
import { parseAssetsConfig } from '../../../../services/operational/assets/config.ts';
import { emptyState } from '../../../../services/operational/assets/device-actor.ts';
import { createEnvironment } from '../../../../services/operational/assets/environment.ts';
import { createHierarchy } from '../../../../services/operational/assets/hierarchy.ts';
import { parseTokens } from '../../../../services/platform/access-tokens.ts';
import { createLogger } from '../../../../services/platform/logger.ts';
import { serveReadApi } from '../../../../services/operational/assets/http-api.ts';
import { createReadModel } from '../../../../services/operational/assets/read-model.ts';

const def = (assetId: string, kind: AssetDefinition['kind'], parentId: string | null): AssetDefinition => ({
  assetId, kind, parentId, name: assetId, latitudeDeg: null, longitudeDeg: null, weatherCellId: null, gridRegionId: null, solarKwp: null, batteryKwh: null,
  maxChargeKw: null, maxDischargeKw: null, backupReservePct: null, customerId: null, updatedAtMs: 0, deleted: false, credentialsRevokedBeforeMs: null,
});
const state = (id: string, kind: AssetState['kind'], version: number, solarKw: number): AssetState => ({ ...emptyState(id, kind), version, updatedAtMs: 1_000 * version, aggregate: { ...zeroAggregate(), solarKw } });

describe('read model and HTTP read API', () => {
  const h = createHierarchy();
  for (const d of [def('fleet', 'FLEET', null), def('region-1', 'REGION', 'fleet'), def('feeder-1', 'FEEDER', 'region-1'), def('site-1', 'SITE', 'feeder-1'), def('site-2', 'SITE', 'feeder-1')]) h.apply(d.assetId, d);
  const model = createReadModel(h);
  model.put('fleet', state('fleet', 'FLEET', 3, 7));
  model.put('fleet', state('fleet', 'FLEET', 2, 99)); // an older version arriving late is ignored
  model.put('site-1', state('site-1', 'SITE', 1, 3));
  let base = '';
  let close: () => void = () => undefined;
  beforeAll(async () => {
    const tokens = parseTokens('viewer:viewer-token-1,customer:site-1:customer-token-1', []);
    const s = await serveReadApi({ model, registry: new Registry(), tokens, logger: createLogger('silent'), health: () => ({ ready: true, details: { shards: { site: [1], parent: [] } } }) }, 0);
    base = `http://127.0.0.1:${s.port}`;
    close = () => void s.close();
  });
  afterAll(() => close());
  const fetch = (url: string, init: RequestInit = {}, token = 'viewer-token-1'): Promise<Response> =>
    globalThis.fetch(url, { ...init, headers: { authorization: `Bearer ${token}` } });

  // Regression (issue 16): the read API answered anyone; site state and load tell when a household is home.
  it('needs a token, and a customer token reads only its own site', async () => {
    expect((await globalThis.fetch(`${base}/v1/assets/fleet`)).status).toBe(401);
    expect((await fetch(`${base}/v1/assets/fleet`, {}, 'not-a-token')).status).toBe(401);
    expect((await fetch(`${base}/v1/assets/site-1`, {}, 'customer-token-1')).status).toBe(200);
    expect((await fetch(`${base}/v1/assets/site-1/subtree`, {}, 'customer-token-1')).status).toBe(200);
    for (const other of ['site-2', 'fleet', 'feeder-1', 'no-such-asset']) {
      const res = await fetch(`${base}/v1/assets/${other}`, {}, 'customer-token-1');
      expect(res.status).toBe(403);
      expect(((await res.json()) as { code: string }).code).toBe('FORBIDDEN');
    }
    expect((await fetch(`${base}/v1/assets/feeder-1/children`, {}, 'customer-token-1')).status).toBe(403);
  });

  it('answers an asset with its aggregate and when it was updated', async () => {
    const res = await fetch(`${base}/v1/assets/fleet`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ assetId: 'fleet', kind: 'FLEET', parentId: null, aggregate: { solarKw: 7 }, updatedAtMs: 3_000 });
  });

  it('answers children (with or without a state yet) and a subtree cut at a depth', async () => {
    const c = (await (await fetch(`${base}/v1/assets/feeder-1/children`)).json()) as { children: Array<{ assetId: string; state: unknown }> };
    expect(c.children.map((x) => x.assetId)).toEqual(['site-1', 'site-2']);
    expect(c.children[1]?.state).toBeNull();
    const t = (await (await fetch(`${base}/v1/assets/fleet/subtree?depth=1`)).json()) as { children: Array<{ assetId: string; children: unknown[] }>; truncated: boolean };
    expect(t.children.map((x) => x.assetId)).toEqual(['region-1']);
    expect(t.children[0]?.children).toEqual([]);
    expect(t.truncated).toBe(true);
    const full = (await (await fetch(`${base}/v1/assets/fleet/subtree`)).json()) as { truncated: boolean };
    expect(full.truncated).toBe(false);
  });

  it('says 404 for unknown assets, routes and writes, 400 for a bad depth', async () => {
    expect((await fetch(`${base}/v1/assets/nope`)).status).toBe(404);
    expect((await fetch(`${base}/v1/assets/nope/children`)).status).toBe(404);
    expect((await fetch(`${base}/v2/things`)).status).toBe(404);
    expect((await fetch(`${base}/v1/assets/fleet/subtree?depth=x`)).status).toBe(400);
    expect((await fetch(`${base}/v1/assets/fleet`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${base}/v1/assets/fleet/subtree?depth=11`)).status).toBe(400);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/metrics`)).status).toBe(200);
  });

  it('shows a site\'s environment: newest observation per cell and region, newest forecast per site', () => {
    const env = createEnvironment();
    const site = { ...def('site-9', 'SITE', null), weatherCellId: 'cell-1', gridRegionId: 'region-1' };
    const obs = (observedAtMs: number, temperatureC: number) => ({ cellId: 'cell-1', observedAtMs, temperatureC, cloudCoverPct: 0, irradianceWPerM2: 0, windSpeedMPerS: 0, alert: null });
    env.putWeather(obs(2_000, 20));
    env.putWeather(obs(1_000, 5)); // older, ignored
    env.putGridMix({ regionId: 'region-1', observedAtMs: 1_000, intervalMinutes: 5, carbonGPerKwh: 310, demandMw: 900, generation: [{ source: 'GAS', mw: 900 }] });
    const bundle = (issuedAtMs: number, runId: string) => ({ siteId: 'site-9', issuedAtMs, runId, validFromMs: issuedAtMs, stepMinutes: 60, solarKw: [1, 2], loadKw: [1, 1], carbonGPerKwh: [300, 200], temperatureC: [10, 11], stormWatch: null, modelVersion: 'm1' });
    env.putForecast(bundle(5_000, 'new'));
    env.putForecast(bundle(4_000, 'old'));
    const e = env.forSite(site);
    expect(e.weather?.temperatureC).toBe(20);
    expect(e.gridMix).toEqual({ regionId: 'region-1', observedAtMs: 1_000, intervalMinutes: 5, carbonGPerKwh: 310, demandMw: 900 });
    expect(e.forecast).toMatchObject({ runId: 'new', steps: 2 });
    expect(env.forSite({ ...site, assetId: 'site-0', weatherCellId: null }).weather).toBeNull();
  });

  it('parses its config once, listing every problem', () => {
    expect(parseAssetsConfig({})).toMatchObject({ port: 8092, groupId: 'gridfleet-assets', staleAfterMs: 900_000, topicPrefix: '' });
    let message = '';
    try {
      parseAssetsConfig({ ASSETS_PORT: '99999', ASSETS_TICK_MS: 'x', ASSETS_GROUP_ID: 'a b' });
    } catch (e) {
      message = e instanceof Error ? e.message : String(e);
    }
    for (const name of ['ASSETS_PORT', 'ASSETS_TICK_MS', 'ASSETS_GROUP_ID']) expect(message).toContain(name);
  });

  it('hierarchy: moving an asset relinks it, deleting removes it', () => {
    const g = createHierarchy();
    g.apply('a', def('a', 'FEEDER', null));
    g.apply('b', def('b', 'FEEDER', null));
    g.apply('s', def('s', 'SITE', 'a'));
    expect(g.childrenOf('a')).toEqual(['s']);
    g.apply('s', def('s', 'SITE', 'b'));
    expect(g.childrenOf('a')).toEqual([]);
    expect(g.childrenOf('b')).toEqual(['s']);
    g.apply('s', null);
    expect(g.childrenOf('b')).toEqual([]);
    expect(g.get('s')).toBeUndefined();
  });
});
