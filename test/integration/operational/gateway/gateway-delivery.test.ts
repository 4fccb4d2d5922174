import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAvroCodec, createRegistryClient } from '../../../../services/platform/avro-codec.ts';
import type { ForecastBundle, SiteCommand } from '../../../../services/platform/events.ts';
import { TopicNames } from '../../../../services/platform/topics.ts';
import { connectDevice } from '../../../../services/edge/simulator/device-client.ts';
import type { Gateway } from '../../../../services/operational/gateway/gateway.ts';
import { testKafka, testStack } from '../../../support/clients.ts';
import { frame, provisionSites, startTestGateway, type ProvisionedDevice } from '../../../support/gateway-fixture.ts';
import { freshName, testConfig } from '../../../support/stack-env.ts';

const codec = createAvroCodec({ registry: createRegistryClient(testConfig().registryUrl) });
const kafka = testKafka();

const command = (siteId: string, nowMs: number): SiteCommand => ({
  commandId: freshName('cmd'), eventId: null, siteId, kind: 'DISCHARGE', powerKw: 3, reservePct: null,
  startMs: nowMs, endMs: nowMs + 600_000, expiresAtMs: nowMs + 120_000, issuedAtMs: nowMs,
});

const bundle = (siteId: string, issuedAtMs: number): ForecastBundle => ({
  siteId, issuedAtMs, runId: freshName('run'), validFromMs: issuedAtMs, stepMinutes: 60,
  solarKw: [0, 1, 2], loadKw: [1, 1, 1], carbonGPerKwh: [300, 250, 200], temperatureC: [10, 11, 12], stormWatch: null, modelVersion: 'test',
});

const until = async (check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe('gateway: delivery of commands and forecasts', () => {
  let gw: Gateway;
  let devices: ProvisionedDevice[];
  beforeAll(async () => {
    gw = await startTestGateway({ GATEWAY_FANOUT_JITTER_MS: '200' });
    devices = await provisionSites(gw.url, 2);
  });
  afterAll(async () => gw.close());

  it('pushes a command to exactly the device of its site, and the device\'s ack reaches control.acks.v1 under its own identity', async () => {
    const [a, b] = devices;
    if (!a || !b) throw new Error('no devices');
    const gotA: SiteCommand[] = [];
    const gotB: SiteCommand[] = [];
    const da = connectDevice({ url: gw.url, token: a.token, random: Math.random, onCommand: (c) => gotA.push(c) });
    const db = connectDevice({ url: gw.url, token: b.token, random: Math.random, onCommand: (c) => gotB.push(c) });
    try {
      await until(() => da.stats().connected && db.stats().connected);
      const admin = await kafka.admin();
      const acksBefore = await admin.topicOffsets(TopicNames.controlAcks);
      await admin.disconnect();
      const cmd = command(a.siteId, Date.now());
      const producer = await kafka.producer();
      await producer.send(TopicNames.controlCommands, [{ key: cmd.siteId, value: await codec.encode(TopicNames.controlCommands, cmd) }]);
      await until(() => gotA.length > 0);
      expect(gotA.map((c) => c.commandId)).toEqual([cmd.commandId]);
      await new Promise((r) => setTimeout(r, 500));
      expect(gotB.filter((c) => c.commandId === cmd.commandId)).toEqual([]);
      da.sendAck({ commandId: cmd.commandId, status: 'ACCEPTED', reason: null, ackedAtMs: Date.now() });
      // B acknowledging A's command is refused: it was not sent to B's site.
      db.sendAck({ commandId: cmd.commandId, status: 'ACCEPTED', reason: null, ackedAtMs: Date.now() });
      await until(async () => {
        const acks = await kafka.readAll(TopicNames.controlAcks, { fromOffsets: acksBefore });
        for (const r of acks) {
          const d = await codec.decode(TopicNames.controlAcks, r.value ?? Buffer.alloc(0));
          if (d.ok && d.value.commandId === cmd.commandId) return true;
        }
        return false;
      });
      const acks = [];
      for (const r of await kafka.readAll(TopicNames.controlAcks, { fromOffsets: acksBefore })) {
        const d = await codec.decode(TopicNames.controlAcks, r.value ?? Buffer.alloc(0));
        if (d.ok && d.value.commandId === cmd.commandId) acks.push(d.value);
      }
      expect(acks.map((x) => [x.deviceId, x.siteId, x.status])).toEqual([[a.deviceId, a.siteId, 'ACCEPTED']]);
      await producer.disconnect();
    } finally {
      da.close();
      db.close();
    }
  });

  it('pushes a new forecast bundle, ignores an older one, and gives a reconnecting device its latest', async () => {
    const [a] = devices;
    if (!a) throw new Error('no device');
    const got: ForecastBundle[] = [];
    const da = connectDevice({ url: gw.url, token: a.token, random: Math.random, onForecast: (b) => got.push(b) });
    const producer = await kafka.producer();
    try {
      await until(() => da.stats().connected);
      const t = Date.now();
      const newer = bundle(a.siteId, t);
      await producer.send(TopicNames.fleetForecasts, [{ key: a.siteId, value: await codec.encode(TopicNames.fleetForecasts, newer) }]);
      await until(() => got.some((g) => g.runId === newer.runId));
      const older = bundle(a.siteId, t - 3_600_000);
      await producer.send(TopicNames.fleetForecasts, [{ key: a.siteId, value: await codec.encode(TopicNames.fleetForecasts, older) }]);
      await new Promise((r) => setTimeout(r, 1_000));
      expect(got.some((g) => g.runId === older.runId)).toBe(false);
      da.close();
      const again: ForecastBundle[] = [];
      const d2 = connectDevice({ url: gw.url, token: a.token, random: Math.random, onForecast: (b) => again.push(b) });
      await until(() => again.length > 0);
      expect(again[0]?.runId).toBe(newer.runId);
      d2.close();
    } finally {
      await producer.disconnect();
    }
  });

  it('answers poll-mode devices with an ETag and 304 while nothing changed', async () => {
    const [, b] = devices;
    if (!b) throw new Error('no device');
    const auth = { authorization: `Bearer ${b.token}` };
    const first = await fetch(`${gw.url}/v1/device/inputs`, { headers: auth });
    expect(first.status).toBe(200);
    const etag = first.headers.get('etag') ?? '';
    expect(etag).toMatch(/^".+"$/);
    const same = await fetch(`${gw.url}/v1/device/inputs`, { headers: { ...auth, 'if-none-match': etag } });
    expect(same.status).toBe(304);
    const cmd = command(b.siteId, Date.now());
    const producer = await kafka.producer();
    await producer.send(TopicNames.controlCommands, [{ key: cmd.siteId, value: await codec.encode(TopicNames.controlCommands, cmd) }]);
    await producer.disconnect();
    let changed: Response | undefined;
    await until(async () => {
      changed = await fetch(`${gw.url}/v1/device/inputs`, { headers: { ...auth, 'if-none-match': etag } });
      return changed.status === 200;
    });
    const body = (await changed?.json()) as { commands: SiteCommand[] };
    expect(body.commands.map((c) => c.commandId)).toContain(cmd.commandId);
    expect(changed?.headers.get('etag')).not.toBe(etag);
    // Poll-mode telemetry goes through the same checks.
    const sent = await fetch(`${gw.url}/v1/device/frames`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify([
      { type: 'telemetry', ...frame(1, Date.now()) }, { type: 'telemetry', ...frame(1, Date.now()) }, { type: 'telemetry', ...frame(2, Date.now(), { socPct: -3 }) },
    ]) });
    const results = ((await sent.json()) as { results: Array<{ type: string; code?: string }> }).results;
    expect(results.map((r) => r.code ?? r.type)).toEqual(['telemetry.accepted', 'REPLAYED', 'OUT_OF_RANGE']);
  });
});

describe('gateway: a Kafka broker restart while devices send', () => {
  it('loses no acknowledged frame: every accepted (device, seq) is in telemetry.v1', async () => {
    const gw = await startTestGateway();
    const devices = await provisionSites(gw.url, 3);
    const admin = await kafka.admin();
    const before = await admin.topicOffsets(TopicNames.telemetry);
    await admin.disconnect();
    const clients = devices.map((d) => connectDevice({ url: gw.url, token: d.token, random: Math.random, maxBuffer: 10_000 }));
    const stack = testStack();
    let seq = 0;
    let sending = true;
    const loop = (async () => {
      while (sending) {
        seq++;
        for (const c of clients) c.sendTelemetry(frame(seq, Date.now()));
        await new Promise((r) => setTimeout(r, 150));
      }
    })();
    try {
      await until(() => clients.every((c) => c.stats().accepted > 10));
      await stack.down(['registry', 'kafka']);
      await new Promise((r) => setTimeout(r, 2_000));
      await stack.up(['kafka', 'registry']);
      await until(() => clients.every((c) => c.stats().accepted > seq - 20), 90_000);
      sending = false;
      await loop;
      const flushed = await Promise.all(clients.map((c) => c.flushed(60_000)));
      expect(flushed).toEqual([true, true, true]);
      const found = new Map<string, Set<number>>();
      for (const r of await testKafka('after-restart').readAll(TopicNames.telemetry, { fromOffsets: before })) {
        if (!devices.some((d) => d.siteId === r.key)) continue;
        const d = await codec.decode(TopicNames.telemetry, r.value ?? Buffer.alloc(0));
        if (d.ok) found.set(d.value.deviceId, (found.get(d.value.deviceId) ?? new Set()).add(d.value.seq));
      }
      for (const [i, d] of devices.entries()) {
        const c = clients[i];
        expect(c?.stats().rejected).toBe(0);
        expect(c?.stats().dropped).toBe(0);
        const seqs = found.get(d.deviceId) ?? new Set();
        const missing = Array.from({ length: seq }, (_, k) => k + 1).filter((s) => !seqs.has(s));
        expect(missing, JSON.stringify(c?.stats())).toEqual([]);
      }
    } finally {
      sending = false;
      for (const c of clients) c.close();
      await gw.close();
    }
  }, 240_000);
});
