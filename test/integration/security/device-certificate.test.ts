/**
 * Guards issue 19's "optional client certificates with the device identity taken from the
 * certificate": with GATEWAY_TLS_CLIENT_CA_FILE, a device presenting a certificate the CA signed,
 * naming its device id (SAN URI urn:gridfleet:device:<id>, else the subject CN), is authenticated
 * by it alone; clients without one still use bearer credentials; an untrusted certificate, a
 * credential naming another device, and a revocation after the certificate was made are refused.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Gateway } from '../../../services/operational/gateway/gateway.ts';
import { OPERATOR, frame, startTestGateway, type ProvisionedDevice } from '../../support/gateway-fixture.ts';
import { freshName } from '../../support/stack-env.ts';
import { httpsRequest, makeClientCert, makeTestPki, type TlsClient } from '../../support/tls.ts';

const pki = makeTestPki();
afterAll(() => rmSync(pki.dir, { recursive: true, force: true }));

let gw: Gateway;
let devices: ProvisionedDevice[];
const ca = { ca: pki.ca };

const provision = async (): Promise<ProvisionedDevice[]> => {
  const feeder = freshName('cert-feeder');
  const assets: Array<Record<string, unknown>> = [{ assetId: feeder, kind: 'FEEDER', parentId: null, name: feeder }];
  for (let i = 0; i < 3; i++) {
    assets.push({ assetId: `${feeder}-site-${i}`, kind: 'SITE', parentId: feeder, name: `s${i}`, solarKwp: 6, batteryKwh: 13.5, maxChargeKw: 5, maxDischargeKw: 5, backupReservePct: 20 });
    assets.push({ assetId: `${feeder}-site-${i}-dev`, kind: 'DEVICE', parentId: `${feeder}-site-${i}`, name: `d${i}` });
  }
  const r = await httpsRequest(`${gw.url}/v1/provision`, ca, { method: 'POST', headers: { authorization: `Bearer ${OPERATOR}`, 'content-type': 'application/json' }, body: JSON.stringify({ assets }) });
  if (!('status' in r) || r.status !== 200) throw new Error(`provision: ${JSON.stringify(r)}`);
  return (JSON.parse(r.body) as { devices: ProvisionedDevice[] }).devices;
};

/** Polls the device's inputs until the directory knows it (provisioning goes through Kafka). */
const inputs = (tls: TlsClient, headers: Record<string, string> = {}): Promise<{ status: number; body: string } | { error: string }> =>
  httpsRequest(`${gw.url}/v1/device/inputs`, tls, { headers });
const statusOf = (r: { status: number } | { error: string }): number | string => ('status' in r ? r.status : r.error);

/** Opens the device WebSocket over WSS; resolves 'open' or the refusal's status. */
const wss = (tls: TlsClient, headers: Record<string, string> = {}): Promise<number | string> =>
  new Promise((resolve) => {
    const ws = new WebSocket(`${gw.url.replace('https:', 'wss:')}/v1/device/connect`, { ...tls, headers });
    ws.on('open', () => {
      resolve('open');
      ws.close();
    });
    ws.on('unexpected-response', (_q, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('error', (e) => resolve(String(e)));
  });

beforeAll(async () => {
  gw = await startTestGateway({ GATEWAY_TOKEN_SECRET: 'a-production-like-secret-for-tests', GATEWAY_TLS_KEY_FILE: pki.keyFile, GATEWAY_TLS_CERT_FILE: pki.certFile, GATEWAY_TLS_CLIENT_CA_FILE: pki.caFile });
  devices = await provision();
  const first = devices[0];
  if (first === undefined) throw new Error('no device');
  for (let i = 0; i < 100 && statusOf(await inputs(ca, { authorization: `Bearer ${first.token}` })) === 404; i++) await new Promise((r) => setTimeout(r, 100));
}, 60_000);
afterAll(async () => gw?.close());

describe('gateway: device identity from the client certificate', () => {
  it('authenticates a device by its certificate alone, over HTTPS and WSS, by SAN URI or CN', async () => {
    const [a, b] = devices;
    if (a === undefined || b === undefined) throw new Error('no devices');
    const bySan = makeClientCert(pki, 'by-san', { cn: 'ignored-when-a-san-names-the-device', san: `URI:urn:gridfleet:device:${a.deviceId}` });
    const byCn = makeClientCert(pki, 'by-cn', { cn: b.deviceId });
    expect(statusOf(await inputs({ ...ca, ...bySan }))).toBe(200);
    expect(statusOf(await inputs({ ...ca, ...byCn }))).toBe(200);
    const sent = await httpsRequest(`${gw.url}/v1/device/frames`, { ...ca, ...bySan }, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ type: 'telemetry', ...frame(Date.now(), Date.now()) }]) });
    expect(statusOf(sent)).toBe(200);
    expect('body' in sent ? sent.body : '').toMatch(/^\{"results":\[\{"type":"(?!error)/);
    await expect(wss({ ...ca, ...byCn })).resolves.toBe('open');
    // The same requests without a certificate or credential: 401 (the negative control).
    expect(statusOf(await inputs(ca))).toBe(401);
    await expect(wss(ca)).resolves.toBe(401);
  });

  it('keeps bearer credentials working for clients without a certificate (the handshake does not require one)', async () => {
    const [a] = devices;
    if (a === undefined) throw new Error('no device');
    expect(statusOf(await inputs(ca, { authorization: `Bearer ${a.token}` }))).toBe(200);
    expect(statusOf(await httpsRequest(`${gw.url}/healthz`, ca))).toBe(200);
  });

  it('refuses an untrusted certificate (401), an unregistered device (404) and a credential naming another device (403)', async () => {
    const [a, b] = devices;
    if (a === undefined || b === undefined) throw new Error('no devices');
    const forged = makeClientCert(pki, 'forged', { cn: a.deviceId, selfSigned: true });
    const r = await inputs({ ...ca, ...forged }, { authorization: `Bearer ${a.token}` });
    expect(statusOf(r)).toBe(401);
    expect('body' in r ? r.body : '').toMatch(/client certificate refused/);
    expect(statusOf(await inputs({ ...ca, ...makeClientCert(pki, 'stranger', { cn: 'no-such-device' }) }))).toBe(404);
    expect(statusOf(await inputs({ ...ca, ...makeClientCert(pki, 'a-again', { cn: a.deviceId }) }, { authorization: `Bearer ${b.token}` }))).toBe(403);
  });

  it('refuses a certificate made before the device was revoked (403 REVOKED)', async () => {
    const [, , c] = devices;
    if (c === undefined) throw new Error('no device');
    const cert = makeClientCert(pki, 'to-revoke', { cn: c.deviceId });
    expect(statusOf(await inputs({ ...ca, ...cert }))).toBe(200);
    // Certificates carry whole seconds: revoke at least a second after this one was made.
    await new Promise((r) => setTimeout(r, 1_100));
    const revoked = await httpsRequest(`${gw.url}/v1/devices/${c.deviceId}/revoke`, ca, { method: 'POST', headers: { authorization: `Bearer ${OPERATOR}` } });
    expect(statusOf(revoked)).toBe(200);
    let status: number | string = 200;
    for (let i = 0; i < 50 && status === 200; i++) {
      status = statusOf(await inputs({ ...ca, ...cert }));
      if (status === 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(403);
  });
});
