import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { connectDevice } from '../../../../services/edge/simulator/device-client.ts';
import type { Gateway } from '../../../../services/operational/gateway/gateway.ts';
import { frame, provisionSites, startTestGateway, type ProvisionedDevice } from '../../../support/gateway-fixture.ts';

describe('gateway: a flooding device', () => {
  let gw: Gateway;
  let devices: ProvisionedDevice[];
  beforeAll(async () => {
    gw = await startTestGateway({ GATEWAY_DEVICE_RATE: '5', GATEWAY_DEVICE_BURST: '10', GATEWAY_DEVICE_STRIKES: '20' });
    devices = await provisionSites(gw.url, 2);
  });
  afterAll(async () => gw.close());

  it('is throttled, then disconnected, alone: a calm device keeps getting its frames in', async () => {
    const [flooder, calm] = devices;
    if (!flooder || !calm) throw new Error('no devices');
    const ws = new WebSocket(`${gw.url.replace('http', 'ws')}/v1/device/connect`, { headers: { authorization: `Bearer ${flooder.token}` } });
    const codes: string[] = [];
    ws.on('message', (d) => {
      const f = JSON.parse((d as Buffer).toString('utf8')) as { type: string; code?: string };
      if (f.type === 'error' && f.code) codes.push(f.code);
    });
    await new Promise<void>((r) => ws.once('open', () => r()));
    const closed = new Promise<{ code: number; reason: string }>((r) => ws.once('close', (code, reason) => r({ code, reason: reason.toString() })));
    const good = connectDevice({ url: gw.url, token: calm.token, random: Math.random });
    for (let i = 1; i <= 200; i++) ws.send(JSON.stringify({ type: 'telemetry', ...frame(i, Date.now()) }));
    const close = await closed;
    expect(close.code).toBe(4008);
    expect(close.reason).toMatch(/THROTTLED/);
    expect(codes.filter((c) => c === 'THROTTLED').length).toBeGreaterThan(0);
    for (let i = 1; i <= 3; i++) good.sendTelemetry(frame(i, Date.now()));
    expect(await good.flushed(20_000)).toBe(true);
    expect(good.stats()).toMatchObject({ accepted: 3, rejected: 0 });
    good.close();
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toMatch(/gridfleet_gateway_rejects_total\{code="THROTTLED"\} [1-9]/);
  });
});

describe('gateway: several instances side by side', () => {
  it('serves a device provisioned through another instance (every instance follows the registry)', async () => {
    const a = await startTestGateway();
    const b = await startTestGateway();
    try {
      const [d] = await provisionSites(a.url, 1);
      if (!d) throw new Error('no device');
      const client = connectDevice({ url: b.url, token: d.token, random: Math.random });
      const deadline = Date.now() + 20_000;
      while (!client.stats().connected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      client.sendTelemetry(frame(1, Date.now()));
      expect(await client.flushed(20_000)).toBe(true);
      expect(client.stats().accepted).toBe(1);
      client.close();
    } finally {
      await a.close();
      await b.close();
    }
  });
});
