import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import type { AvroCodec } from '../../../../services/platform/avro-codec.ts';
import type { AssetDefinition, Telemetry } from '../../../../services/platform/events.ts';
import type { Producer } from '../../../../services/platform/kafka.ts';
import { createLogger } from '../../../../services/platform/logger.ts';
import { redactUrl } from '../../../../services/platform/redact.ts';
import { createTopicWriter } from '../../../../services/platform/topic-writer.ts';
import { createDeadLetterSink } from '../../../../services/operational/gateway/dead-letter-sink.ts';
import { emptyDeliveryState } from '../../../../services/operational/gateway/delivery-state.ts';
import { admit, applyDefinition, emptyDirectory, type DeviceInfo } from '../../../../services/operational/gateway/device-directory.ts';
import { attachDeviceUpgrade } from '../../../../services/operational/gateway/device-upgrade.ts';
import { createFrameHandler, newDeviceLimit, newSession, seqJumpsTooFar } from '../../../../services/operational/gateway/frame-handler.ts';
import { createGatewayHttp } from '../../../../services/operational/gateway/gateway-http.ts';
import { createGatewayMetrics } from '../../../../services/operational/gateway/metrics.ts';
import type { createOperatorApi } from '../../../../services/operational/gateway/operator-api.ts';

// Guards issue 19: the rate limit was per socket (five sockets, five times the rate), one frame
// with seq near 2^53 silenced a device in the assets tier, re-provisioning brought a revoked
// credential back, and the gateway logged the full URL with ?token= when a request failed.
const NOW = Date.UTC(2026, 0, 10, 12);
const device: DeviceInfo = { deviceId: 'dev-1', siteId: 'site-1', maxChargeKw: 5, maxDischargeKw: 5, solarKwp: 6, revokedBeforeMs: null };
const telemetry = (seq: number) => ({ type: 'telemetry', seq, measuredAtMs: NOW, socPct: 50, batteryKw: 1, solarKw: 2, loadKw: 3, gridKw: 0, batteryTempC: 25, mode: 'SELF_CONSUMPTION', alarms: [], activeCommandId: null });
const asset = (assetId: string, kind: AssetDefinition['kind'], parentId: string | null, extra: Partial<AssetDefinition> = {}): AssetDefinition => ({
  assetId, kind, parentId, name: assetId, latitudeDeg: null, longitudeDeg: null, weatherCellId: null, gridRegionId: null, solarKwp: null, batteryKwh: null,
  maxChargeKw: null, maxDischargeKw: null, backupReservePct: null, customerId: null, updatedAtMs: 0, deleted: false, credentialsRevokedBeforeMs: null, ...extra,
});

const handlerWith = (policy: { ratePerSec: number; burst: number; strikesToDisconnect: number }) => {
  const stored: Telemetry[] = [];
  const letters: unknown[] = [];
  const producer: Producer = { send: () => Promise.resolve([]), disconnect: () => Promise.resolve() };
  const codec = { prepare: () => Promise.resolve(), encodeSync: (_t: string, d: unknown) => (letters.push(d), Buffer.alloc(0)) } as unknown as AvroCodec;
  const clock = { now: () => NOW };
  const handler = createFrameHandler({
    sink: { submit: (t) => (stored.push(t), Promise.resolve()), pending: () => 0, onPressure: () => undefined, drain: () => Promise.resolve() },
    deadLetters: createDeadLetterSink({ writer: createTopicWriter({ producer, codec }), service: 'gateway', logger: createLogger('silent'), count: () => undefined }),
    metrics: createGatewayMetrics({ pendingFrames: () => 0 }), delivery: emptyDeliveryState(), replay: new Map(), clock, wall: clock,
    skewMs: 300_000, maxAgeMs: 86_400_000, maxFrameBytes: 4096, policy, publishAck: () => Promise.resolve(), maxSeqJump: 1000,
  });
  return { handler, stored, letters };
};

describe('device limits across sockets', () => {
  it('five sessions of one device share one rate: together they pass at most the burst', async () => {
    const policy = { ratePerSec: 1, burst: 10, strikesToDisconnect: 1_000 };
    const { handler, stored } = handlerWith(policy);
    const limit = newDeviceLimit(policy, NOW);
    const sessions = Array.from({ length: 5 }, () => newSession(device, 'push', policy, NOW, limit));
    let seq = 0;
    for (let round = 0; round < 10; round++) for (const s of sessions) await handler.handleMessage(s, Buffer.from(JSON.stringify(telemetry(++seq))), false);
    expect(stored).toHaveLength(10);
  });

  it('refuses a seq jump beyond the window, dead-letters it, and the device goes on', async () => {
    const { handler, stored, letters } = handlerWith({ ratePerSec: 100, burst: 100, strikesToDisconnect: 100 });
    const s = newSession(device, 'push', { ratePerSec: 100, burst: 100, strikesToDisconnect: 100 }, NOW);
    expect(await handler.handleMessage(s, Buffer.from(JSON.stringify(telemetry(NOW + 5))), false)).toEqual({ type: 'telemetry.accepted', seq: NOW + 5 });
    expect(await handler.handleMessage(s, Buffer.from(JSON.stringify(telemetry(Number.MAX_SAFE_INTEGER))), false)).toMatchObject({ type: 'error', code: 'SEQ_JUMP', seq: Number.MAX_SAFE_INTEGER });
    expect(letters).toHaveLength(1);
    expect(await handler.handleMessage(s, Buffer.from(JSON.stringify(telemetry(NOW + 6))), false)).toEqual({ type: 'telemetry.accepted', seq: NOW + 6 });
    expect(stored.map((t) => t.seq)).toEqual([NOW + 5, NOW + 6]);
  });

  it('bounds a seq by the later of the highest accepted and the clock', () => {
    expect(seqJumpsTooFar(2 ** 53 - 1, -1, NOW, 600_000)).toBe(true);
    expect(seqJumpsTooFar(NOW + 600_000, -1, NOW, 600_000)).toBe(false);
    expect(seqJumpsTooFar(5, -1, NOW, 600_000)).toBe(false);
    expect(seqJumpsTooFar(NOW * 2 + 10, NOW * 2, NOW, 600_000)).toBe(false);
  });
});

describe('revocation', () => {
  it('survives a later record without it (re-provisioning) and a deletion', () => {
    const dir = emptyDirectory();
    applyDefinition(dir, 'site-1', asset('site-1', 'SITE', null));
    applyDefinition(dir, 'dev-1', asset('dev-1', 'DEVICE', 'site-1', { credentialsRevokedBeforeMs: 100 }));
    applyDefinition(dir, 'dev-1', asset('dev-1', 'DEVICE', 'site-1', { credentialsRevokedBeforeMs: null }));
    expect(admit(dir, { sub: 'dev-1', site: 'site-1', iat: 50 })).toMatchObject({ ok: false, error: { code: 'REVOKED' } });
    applyDefinition(dir, 'dev-1', null);
    applyDefinition(dir, 'dev-1', asset('dev-1', 'DEVICE', 'site-1'));
    expect(admit(dir, { sub: 'dev-1', site: 'site-1', iat: 50 })).toMatchObject({ ok: false, error: { code: 'REVOKED' } });
    expect(admit(dir, { sub: 'dev-1', site: 'site-1', iat: 150 }).ok).toBe(true);
  });
});

describe('credentials never reach the logs', () => {
  it('redacts token, password and user-part passwords in URLs', () => {
    expect(redactUrl('/v1/device/inputs?x=1&token=eyJabc.def&y=2')).toBe('/v1/device/inputs?x=1&token=REDACTED&y=2');
    expect(redactUrl('redis://gw:s3cret@h:6379/0')).toBe('redis://gw:REDACTED@h:6379/0');
    expect(redactUrl('/x?TOKEN=a#frag')).toBe('/x?TOKEN=REDACTED#frag');
    expect(redactUrl('/plain')).toBe('/plain');
  });

  const SECRET = 'eyJsecret-device-token.payload.signature';

  it('a request that fails with ?token= in its URL logs no token (HTTP)', async () => {
    const lines: string[] = [];
    const logger = createLogger('debug', {}, (l) => lines.push(l));
    const app = await createGatewayHttp({
      logger, registry: new Registry(), operatorToken: 'op-token-for-tests', maxFrameBytes: 4096, countReject: () => undefined,
      operator: {} as ReturnType<typeof createOperatorApi>, health: () => ({}),
      authenticate: () => Promise.resolve({ ok: true, device, iat: NOW }),
      poll: () => {
        throw new Error('forced failure');
      },
      frames: () => null,
    });
    const res = await app.inject({ method: 'GET', url: `/v1/device/inputs?token=${SECRET}` });
    await app.close();
    expect(res.statusCode).toBe(500);
    expect(lines.some((l) => l.includes('request failed'))).toBe(true);
    expect(lines.join('\n')).not.toContain(SECRET);
  });

  it('an upgrade that fails with ?token= in its URL logs no token (WebSocket)', async () => {
    const lines: string[] = [];
    const server = createServer();
    attachDeviceUpgrade({
      server, wss: new WebSocketServer({ noServer: true }), logger: createLogger('debug', {}, (l) => lines.push(l)), countReject: () => undefined,
      authenticate: () => Promise.reject(new Error('forced failure')), admitSocket: () => null, onDevice: () => undefined,
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const status = await new Promise<string>((resolve) => {
      import('node:net').then(({ connect }) => {
        const s = connect(port, '127.0.0.1', () => s.write(`GET /v1/device/connect?token=${SECRET} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`));
        let got = '';
        s.on('data', (d: Buffer) => (got += d.toString()));
        s.on('close', () => resolve(got.split('\r\n')[0] ?? ''));
      }, () => resolve(''));
    });
    await new Promise<void>((r) => server.close(() => r()));
    expect(status).toMatch(/500/);
    expect(lines.some((l) => l.includes('upgrade failed'))).toBe(true);
    expect(lines.join('\n')).not.toContain(SECRET);
  });
});
