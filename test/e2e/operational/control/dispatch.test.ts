/**
 * Control end to end with nothing stood in: a simulated fleet (site physics and the edge agent on
 * every device, one WebSocket each) behind the gateway, the asset actors as their own process,
 * and control. An operator dispatches 5 MW from the fleet's region; commands reach the devices,
 * the agents discharge, acks come back, the asset actors' measured battery power reaches control,
 * and the measured response meets the target; cancelling ends it. A viewer cannot dispatch and no
 * token gets 401.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAvroCodec, createRegistryClient } from '../../../../services/platform/avro-codec.ts';
import { clockFor } from '../../../../services/platform/clock.ts';
import { parseConfig } from '../../../../services/platform/config.ts';
import { createLogger } from '../../../../services/platform/logger.ts';
import { parseControlConfig } from '../../../../services/operational/control/config.ts';
import { startControl, type Control } from '../../../../services/operational/control/control.ts';
import { parseFleetConfig } from '../../../../services/edge/simulator/fleet-config.ts';
import { runFleetShard, type FleetShard } from '../../../../services/edge/simulator/fleet-runner.ts';
import { provisionFleet } from '../../../../services/edge/simulator/provision.ts';
import { fleetAssetDefinitions, planFleet, prefixPlanIds } from '../../../../services/edge/simulator/provision-plan.ts';
import type { Gateway } from '../../../../services/operational/gateway/gateway.ts';
import { testKafka } from '../../../support/clients.ts';
import { OPERATOR, startTestGateway } from '../../../support/gateway-fixture.ts';
import { freshName, TEST_STACK_ENV } from '../../../support/stack-env.ts';

const SITES = 1_200;
const TARGET_MW = 5;
const TOKENS = { operator: 'e2e-operator-token', viewer: 'e2e-viewer-token' } as const;

interface Detail {
  status: string;
  allocatedKw: number;
  fulfillment: { targetKw: number; responseKw: number; deliveredSites: number; targetedSites: number; commands: { issued: number; accepted: number; rejected: number; completed: number } };
}

const until = async (what: string, check: () => Promise<boolean> | boolean, ms: number): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
};

describe('control end to end: simulated fleet, gateway, asset actors, control', () => {
  const now = Date.now();
  // 20x: a device measures every 60 simulated seconds, every 3 real seconds.
  const sim = { SIM_SPEED: '20', SIM_START_MS: String(now), SIM_REAL_START_MS: String(now) };
  const prefix = `${freshName('e2e')}-`;
  const plan = prefixPlanIds(planFleet({ seed: 11, sites: SITES, regions: 1, sitesPerFeeder: 200 }), prefix);
  const region = plan.regions[0]?.regionId ?? '';
  let gw: Gateway;
  let assets: ChildProcess;
  let assetsLog = '';
  let control: Control;
  let fleet: FleetShard;

  beforeAll(async () => {
    gw = await startTestGateway(sim);
    const credentials = await provisionFleet({ gatewayUrl: gw.url, operatorToken: OPERATOR, assets: fleetAssetDefinitions(plan, now, `${prefix}fleet`) });
    assets = spawn(process.execPath, ['--import', 'tsx', 'services/operational/assets/main.ts'], {
      env: { PATH: process.env['PATH'] ?? '', ...TEST_STACK_ENV, ...sim, LOG_LEVEL: 'warn', ASSETS_GROUP_ID: freshName('e2e-assets'), ASSETS_INSTANCE_ID: 'e2e', ASSETS_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    assets.stderr?.on('data', (b: Buffer) => (assetsLog = (assetsLog + b.toString()).slice(-4000)));
    const config = parseControlConfig({
      ...TEST_STACK_ENV, ...sim, CONTROL_PORT: '0', CONTROL_INSTANCE_ID: freshName('e2e-control'), CONTROL_REALLOCATE_SEC: '2', CONTROL_LEADER_GROUP: freshName('e2e-control-leader'),
      CONTROL_TOKENS: `operator:${TOKENS.operator}:olga,viewer:${TOKENS.viewer}:victor`,
    });
    control = await startControl(config, { kafka: testKafka('e2e-control'), codec: createAvroCodec({ registry: createRegistryClient(config.platform.registryUrl) }), logger: createLogger('warn', { service: 'e2e-control' }) });
    const fleetConfig = parseFleetConfig({ ...TEST_STACK_ENV, ...sim, FLEET_SITES: String(SITES), FLEET_SEED: '11', GATEWAY_URLS: gw.url, FLEET_STEP_SEC: '60', FLEET_WORLD: '0' });
    fleet = runFleetShard({ config: fleetConfig, plan, credentials, clock: clockFor(parseConfig({ ...TEST_STACK_ENV, ...sim }).sim), logger: createLogger('warn', { service: 'e2e-fleet' }) });
    // Control sees every site online, from the asset actors' state.
    await until(
      'every site online in control\'s model',
      () => plan.sites.every((s) => control.model.states.get(s.siteId)?.online === true),
      240_000,
    ).catch((e: unknown) => {
      throw new Error(`${String(e)}; online ${plan.sites.filter((s) => control.model.states.get(s.siteId)?.online === true).length}/${SITES}; fleet ${JSON.stringify(fleet.stats())}; assets: ${assetsLog}`);
    });
  }, 300_000);

  afterAll(async () => {
    await fleet?.stop();
    await control?.close();
    assets?.kill('SIGTERM');
    await gw?.close();
  });

  const call = async (method: string, path: string, token: string | null, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token !== null) headers['authorization'] = `Bearer ${token}`;
    const res = await fetch(`${control.url}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const detail = async (id: string): Promise<Detail> => (await call('GET', `/v1/events/${id}`, TOKENS.viewer)).body as unknown as Detail;

  it('refuses a dispatch without a token (401) and from a viewer (403)', async () => {
    const body = { kind: 'VPP_DISPATCH', scopeAssetId: region, targetMw: TARGET_MW, durationMin: 30 };
    expect((await call('POST', '/v1/events', null, body)).status).toBe(401);
    expect((await call('POST', '/v1/events', TOKENS.viewer, body)).status).toBe(403);
  });

  it('dispatches 5 MW from a region: devices discharge, acks arrive, the measured response meets the target; cancel ends it', async () => {
    const created = await call('POST', '/v1/events', TOKENS.operator, { kind: 'VPP_DISPATCH', scopeAssetId: region, targetMw: TARGET_MW, durationMin: 30, reason: 'e2e' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = String((created.body['event'] as { eventId: string }).eventId);
    const first = await detail(id);
    expect(first.allocatedKw).toBeCloseTo(TARGET_MW * 1000, -1);

    const targetKw = TARGET_MW * 1000;
    await until('the measured response to reach the target', async () => (await detail(id)).fulfillment.responseKw >= 0.98 * targetKw, 120_000).catch(async (e: unknown) => {
      throw new Error(`${String(e)}: ${JSON.stringify((await detail(id)).fulfillment)}`);
    });
    // Acks travel their own way (device, gateway, control.acks.v1): every targeted site answers.
    await until('every targeted site to acknowledge', async () => {
      const f = (await detail(id)).fulfillment;
      return f.targetedSites > 0 && f.deliveredSites === f.targetedSites;
    }, 120_000).catch(async (e: unknown) => {
      throw new Error(`${String(e)}: ${JSON.stringify((await detail(id)).fulfillment)}`);
    });
    const reached = await detail(id);
    expect(reached.status).toBe('ACTIVE');
    expect(reached.fulfillment.responseKw).toBeGreaterThanOrEqual(0.98 * targetKw);
    expect(reached.fulfillment.responseKw).toBeLessThan(1.05 * targetKw);
    expect(reached.fulfillment.commands.accepted).toBeGreaterThan(0.95 * reached.fulfillment.targetedSites);
    expect(reached.fulfillment.commands.rejected).toBe(0);

    const cancelled = await call('POST', `/v1/events/${id}/cancel`, TOKENS.operator, { reason: 'e2e done' });
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    expect((await detail(id)).status).toBe('CANCELLED');
    // The devices go back to their own plans: the batteries stop discharging at the event's power.
    const dispatching = (): number => plan.sites.reduce((n, s) => n + (control.model.states.get(s.siteId)?.mode === 'DISPATCH' ? 1 : 0), 0);
    await until('the sites to leave DISPATCH mode', () => dispatching() === 0, 60_000);
  }, 240_000);
});
