import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../../../services/operational/gateway/gateway.ts';
import type { ForecastBundle } from '../../../../services/platform/events.ts';
import { testStack } from '../../../support/clients.ts';
import { frame, provisionSites, startTestGateway, type ProvisionedDevice } from '../../../support/gateway-fixture.ts';
import { createWorld, HOUR, START_MS, type ForecastWorld } from './forecast-harness.ts';

const A = START_MS + 2 * 24 * HOUR + 12 * HOUR;
const B = A + HOUR;

describe('analytics never blocks control: ClickHouse stopped', () => {
  let gateway: Gateway;
  let devices: ProvisionedDevice[];
  let world: ForecastWorld;
  let url: string;
  beforeAll(async () => {
    gateway = await startTestGateway();
    url = gateway.url;
    devices = await provisionSites(url, 2);
    // The forecast tier publishes to the real fleet.forecasts.v1, which the gateway follows.
    world = await createWorld({ sites: 2, siteIds: devices.map((d) => d.siteId), topicPrefix: '' });
  });
  afterAll(async () => {
    await testStack().up(['clickhouse']);
    await world.dispose();
    await gateway.close();
  });

  const poll = async (d: ProvisionedDevice): Promise<{ status: number; forecast: ForecastBundle | null }> => {
    const res = await fetch(`${url}/v1/device/inputs`, { headers: { authorization: `Bearer ${d.token}` } });
    return { status: res.status, forecast: res.status === 200 ? ((await res.json()) as { forecast: ForecastBundle | null }).forecast : null };
  };
  const waitForIssue = async (d: ProvisionedDevice, issuedAtMs: number, timeoutMs: number): Promise<number | null> => {
    const deadline = Date.now() + timeoutMs;
    let last: number | null = null;
    while (Date.now() < deadline) {
      last = (await poll(d)).forecast?.issuedAtMs ?? null;
      if (last === issuedAtMs) return last;
      await new Promise((r) => setTimeout(r, 200));
    }
    return last;
  };
  const metric = async (name: string): Promise<number> => {
    const text = await (await fetch(`http://127.0.0.1:${world.service.metricsPort}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(name));
    return line === undefined ? NaN : Number(line.split(' ').at(-1));
  };

  it('runs fail clearly and retry with backoff, while the gateway keeps serving devices their last bundle and taking telemetry', async () => {
    const first = await world.service.runNow('sites', A);
    expect(await world.waitForRun(first)).toMatchObject({ state: 'completed', itemsDone: 2 });
    for (const d of devices) expect(await waitForIssue(d, A, 20_000)).toBe(A);

    await testStack().down(['clickhouse']);
    const second = await world.service.runNow('sites', B);
    const job = async () => world.service.runs.getJob(`manual-sites-${B}`);
    const deadline = Date.now() + 30_000;
    while (((await job())?.attemptsMade ?? 0) < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const j = await job();
    expect(j?.attemptsMade).toBeGreaterThanOrEqual(2);
    expect(j?.failedReason).toMatch(/forecast: reading .*(ECONNREFUSED|connect|socket|ClickHouse)/i);
    expect(await metric('gridfleet_forecast_run_attempt_failures_total{kind="sites"}')).toBeGreaterThanOrEqual(2);
    // The run is not finished, the last good one is what the staleness metric counts from.
    expect((await world.service.store.getRun(second))?.state).toBe('reading');
    expect(await metric('gridfleet_forecast_last_issued_at_seconds{kind="sites"}')).toBe(A / 1000);

    // Control path: devices still get their last bundle and the gateway still takes telemetry.
    for (const d of devices) {
      const p = await poll(d);
      expect({ status: p.status, issued: p.forecast?.issuedAtMs }).toEqual({ status: 200, issued: A });
    }
    const res = await fetch(`${url}/v1/device/frames`, { method: 'POST', headers: { authorization: `Bearer ${devices[0]?.token ?? ''}`, 'content-type': 'application/json' }, body: JSON.stringify([{ type: 'telemetry', ...frame(1, Date.now()) }]) });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { results: Array<{ type: string }> }).results[0]?.type).toBe('telemetry.accepted');

    // ClickHouse back: the retry succeeds and the devices move on to the new bundle.
    await testStack().up(['clickhouse']);
    expect(await world.waitForRun(second, 90_000)).toMatchObject({ state: 'completed', itemsDone: 2 });
    for (const d of devices) expect(await waitForIssue(d, B, 20_000)).toBe(B);
  });
});
