import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createAvroCodec, createRegistryClient } from '../../../../services/platform/avro-codec.ts';
import { TopicNames } from '../../../../services/platform/topics.ts';
import { issueDeviceToken } from '../../../../services/operational/gateway/credentials.ts';
import { DEV_TOKEN_SECRET } from '../../../../services/operational/gateway/config.ts';
import type { Gateway } from '../../../../services/operational/gateway/gateway.ts';
import type { GatewayFrame } from '../../../../services/platform/device-protocol.ts';
import { testKafka } from '../../../support/clients.ts';
import { frame, OPERATOR, provisionSites, startTestGateway, type ProvisionedDevice } from '../../../support/gateway-fixture.ts';
import { testConfig } from '../../../support/stack-env.ts';

/** Opens a raw WebSocket; resolves with the socket and a reader of the frames it receives. */
const open = async (url: string, token?: string): Promise<{ ws: WebSocket; next: () => Promise<GatewayFrame> }> => {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/v1/device/connect`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
  const inbox: GatewayFrame[] = [];
  const waiters: Array<(f: GatewayFrame) => void> = [];
  ws.on('message', (d) => {
    const f = JSON.parse((d as Buffer).toString('utf8')) as GatewayFrame;
    const w = waiters.shift();
    if (w) w(f);
    else inbox.push(f);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_q, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => reject(new Error(`${res.statusCode} ${body}`)));
    });
    ws.once('error', reject);
  });
  const next = (): Promise<GatewayFrame> => {
    const f = inbox.shift();
    return f ? Promise.resolve(f) : new Promise((r) => waiters.push(r));
  };
  return { ws, next };
};

describe('gateway: authentication and validation', () => {
  let gw: Gateway;
  let devices: ProvisionedDevice[];
  beforeAll(async () => {
    gw = await startTestGateway();
    devices = await provisionSites(gw.url, 3);
  });
  afterAll(async () => gw.close());

  it('refuses a connection without a credential, with a wrong one, and with one signed by another secret', async () => {
    await expect(open(gw.url)).rejects.toThrow(/401.*UNAUTHENTICATED.*no credential/);
    await expect(open(gw.url, 'not-a-token')).rejects.toThrow(/401.*UNAUTHENTICATED.*not a device token/);
    const d = devices[0];
    if (!d) throw new Error('no device');
    const forged = await issueDeviceToken([{ kid: 'dev', secret: 'another-secret-that-is-long' }], { sub: d.deviceId, site: d.siteId, iatMs: Date.now(), ttlMs: 60_000 });
    await expect(open(gw.url, forged)).rejects.toThrow(/401.*signature does not verify/);
    // A token for a device that does not exist, signed correctly (the dev secret is the default).
    const ghost = await issueDeviceToken([{ kid: 'dev', secret: DEV_TOKEN_SECRET }], { sub: 'ghost-dev', site: 'ghost-site', iatMs: Date.now(), ttlMs: 60_000 });
    await expect(open(gw.url, ghost)).rejects.toThrow(/404.*UNKNOWN_DEVICE/);
  });

  it('takes identity from the credential: a frame naming another device is refused, accepted frames carry the credential\'s device', async () => {
    const [a, b] = devices;
    if (!a || !b) throw new Error('no devices');
    const admin = await testKafka().admin();
    const before = await admin.topicOffsets(TopicNames.telemetry);
    await admin.disconnect();
    const { ws, next } = await open(gw.url, a.token);
    expect(await next()).toMatchObject({ type: 'welcome', deviceId: a.deviceId, siteId: a.siteId });
    ws.send(JSON.stringify({ type: 'telemetry', ...frame(1, Date.now()), deviceId: b.deviceId }));
    expect(await next()).toMatchObject({ type: 'error', code: 'SCHEMA_INVALID', message: expect.stringMatching(/deviceId must not be sent/) as unknown });
    ws.send(JSON.stringify({ type: 'telemetry', ...frame(2, Date.now()) }));
    expect(await next()).toEqual({ type: 'telemetry.accepted', seq: 2 });
    // Replayed sequence number.
    ws.send(JSON.stringify({ type: 'telemetry', ...frame(2, Date.now()) }));
    expect(await next()).toMatchObject({ type: 'error', code: 'REPLAYED', seq: 2 });
    ws.close();
    const codec = createAvroCodec({ registry: createRegistryClient(testConfig().registryUrl) });
    const records = await testKafka().readAll(TopicNames.telemetry, { fromOffsets: before });
    const mine = [];
    for (const r of records.filter((x) => x.key === a.siteId)) {
      const d = await codec.decode(TopicNames.telemetry, r.value ?? Buffer.alloc(0));
      if (d.ok) mine.push(d.value);
    }
    expect(mine.map((t) => [t.deviceId, t.seq])).toEqual([[a.deviceId, 2]]);
  });

  it('refuses malformed, oversized and out-of-range frames with a reason, dead-letters them, and keeps the device and others working', async () => {
    const [a, , c] = devices;
    if (!a || !c) throw new Error('no devices');
    const admin = await testKafka().admin();
    const lettersBefore = await admin.topicOffsets(TopicNames.deadLetters);
    await admin.disconnect();
    const { ws, next } = await open(gw.url, a.token);
    await next(); // welcome
    const other = await open(gw.url, c.token);
    await other.next();
    ws.send('{not json');
    expect(await next()).toMatchObject({ type: 'error', code: 'MALFORMED' });
    ws.send(JSON.stringify({ type: 'telemetry', ...frame(10, Date.now()), alarms: ['x'.repeat(60)], pad: 'y'.repeat(5000) }));
    expect(await next()).toMatchObject({ type: 'error', code: 'OVERSIZED', message: expect.stringMatching(/limit is 4096/) as unknown });
    ws.send(JSON.stringify({ type: 'telemetry', ...frame(11, Date.now(), { socPct: 140, batteryKw: 50 }) }));
    const range = await next();
    expect(range).toMatchObject({ type: 'error', code: 'OUT_OF_RANGE', seq: 11 });
    expect(range.type === 'error' && range.message).toMatch(/socPct 140 is outside 0\.\.100.*batteryKw 50 exceeds the discharge limit 5 kW/);
    ws.send(JSON.stringify({ type: 'telemetry', ...frame(12, Date.now() + 3_600_000) }));
    expect(await next()).toMatchObject({ type: 'error', code: 'CLOCK_SKEW' });
    other.ws.send(JSON.stringify({ type: 'telemetry', ...frame(1, Date.now()) }));
    expect(await other.next()).toEqual({ type: 'telemetry.accepted', seq: 1 });
    ws.send(JSON.stringify({ type: 'telemetry', ...frame(13, Date.now()) }));
    expect(await next()).toEqual({ type: 'telemetry.accepted', seq: 13 });
    ws.close();
    other.ws.close();

    const metricsText = await (await fetch(`${gw.url}/metrics`)).text();
    for (const code of ['MALFORMED', 'OVERSIZED', 'OUT_OF_RANGE', 'CLOCK_SKEW']) expect(metricsText).toMatch(new RegExp(`gridfleet_gateway_rejects_total\\{code="${code}"\\} [1-9]`));

    const codec = createAvroCodec({ registry: createRegistryClient(testConfig().registryUrl) });
    const deadline = Date.now() + 20_000;
    let codes: string[] = [];
    while (Date.now() < deadline) {
      const letters = await testKafka().readAll(TopicNames.deadLetters, { fromOffsets: lettersBefore });
      codes = [];
      for (const r of letters) {
        const d = await codec.decode(TopicNames.deadLetters, r.value ?? Buffer.alloc(0));
        if (d.ok && d.value.originKey === a.deviceId) codes.push(d.value.errorCode);
      }
      if (codes.length >= 4) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(codes).toEqual(expect.arrayContaining(['MALFORMED', 'OVERSIZED', 'OUT_OF_RANGE', 'CLOCK_SKEW']));
  });

  // Regression: a WebSocket message over 64 KiB (the old ws maxPayload) closed the socket with no
  // error frame, no count and no dead letter. Up to the 1 MiB hard cap it is now refused like any
  // bad frame and the device stays connected; above the cap the socket is closed with 1009.
  it('refuses a message above the frame limit but within the hard cap with OVERSIZED, dead-letters it truncated, and keeps the device connected', async () => {
    const a = devices[0];
    if (!a) throw new Error('no device');
    const admin = await testKafka().admin();
    const lettersBefore = await admin.topicOffsets(TopicNames.deadLetters);
    await admin.disconnect();
    const oversizedCount = async (): Promise<number> =>
      Number(/gridfleet_gateway_rejects_total\{code="OVERSIZED"\} (\d+)/.exec(await (await fetch(`${gw.url}/metrics`)).text())?.[1] ?? 0);
    const countBefore = await oversizedCount();
    const { ws, next } = await open(gw.url, a.token);
    await next(); // welcome
    const big = JSON.stringify({ type: 'telemetry', ...frame(20, Date.now()), pad: 'z'.repeat(200 * 1024) });
    const size = Buffer.byteLength(big);
    ws.send(big);
    expect(await next()).toEqual({ type: 'error', code: 'OVERSIZED', message: `frame is ${size} bytes; the limit is 4096`, seq: null });
    ws.send(JSON.stringify({ type: 'telemetry', ...frame(21, Date.now()) }));
    expect(await next()).toEqual({ type: 'telemetry.accepted', seq: 21 });
    expect(ws.readyState).toBe(WebSocket.OPEN);

    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    ws.send('x'.repeat(1_048_576 + 1));
    expect(await closed).toBe(1009);
    expect((await oversizedCount()) - countBefore).toBe(2);

    const codec = createAvroCodec({ registry: createRegistryClient(testConfig().registryUrl) });
    const deadline = Date.now() + 20_000;
    let sizes: Array<[number, number]> = [];
    while (Date.now() < deadline) {
      const letters = await testKafka().readAll(TopicNames.deadLetters, { fromOffsets: lettersBefore });
      sizes = [];
      for (const r of letters) {
        const d = await codec.decode(TopicNames.deadLetters, r.value ?? Buffer.alloc(0));
        if (d.ok && d.value.originKey === a.deviceId && d.value.errorCode === 'OVERSIZED') sizes.push([d.value.payloadBytes, d.value.payload.length]);
      }
      if (sizes.length >= 2) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    // The 200 KiB frame: its real size, its first 2 KiB; the one above the cap: not read at all.
    expect(sizes).toEqual(expect.arrayContaining([[size, 2048], [1_048_577, 0]]));
  });

  it('revokes a device: its live connection is closed and its old credential is refused', async () => {
    const b = devices[1];
    if (!b) throw new Error('no device');
    const { ws, next } = await open(gw.url, b.token);
    await next();
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    const res = await fetch(`${gw.url}/v1/devices/${b.deviceId}/revoke`, { method: 'POST', headers: { authorization: `Bearer ${OPERATOR}` } });
    expect(res.status).toBe(200);
    expect(await closed).toBe(4003);
    await expect(open(gw.url, b.token)).rejects.toThrow(/403.*REVOKED/);
    const unauth = await fetch(`${gw.url}/v1/devices/${b.deviceId}/revoke`, { method: 'POST' });
    expect(unauth.status).toBe(401);
  });
});
