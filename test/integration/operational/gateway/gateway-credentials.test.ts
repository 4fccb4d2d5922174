import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { issueDeviceToken } from '../../../../services/operational/gateway/credentials.ts';
import { DEV_TOKEN_SECRET } from '../../../../services/operational/gateway/config.ts';
import type { Gateway } from '../../../../services/operational/gateway/gateway.ts';
import { OPERATOR, provisionSites, startTestGateway } from '../../../support/gateway-fixture.ts';

// Guards issue 19: re-provisioning reset a device's revocation (a stolen token worked again),
// credentials never expired, a development-signed token was accepted by any gateway left on the
// default secret, and one credential could open any number of sockets.
const SECRET = 'a-production-like-secret-for-tests';

/** Opens a WebSocket with the token; resolves with the socket, or rejects with `<status> <body>`. */
const open = (url: string, token: string): Promise<WebSocket> =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/v1/device/connect`, { headers: { authorization: `Bearer ${token}` } });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_q, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => reject(new Error(`${res.statusCode} ${body}`)));
    });
    ws.once('error', reject);
  });

const operator = (url: string, path: string, body?: unknown): Promise<Response> =>
  fetch(`${url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${OPERATOR}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

describe('gateway: device credentials v2', () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startTestGateway({ GATEWAY_TOKEN_SECRET: SECRET, GATEWAY_DEVICE_MAX_CONNECTIONS: '2' });
  });
  afterAll(async () => gw.close());

  it('provision, revoke, provision again: the first credential is refused (403 REVOKED), the new one works', async () => {
    const [d] = await provisionSites(gw.url, 1);
    if (!d) throw new Error('no device');
    (await open(gw.url, d.token)).close();
    expect((await operator(gw.url, `/v1/devices/${d.deviceId}/revoke`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 5));
    const again = await operator(gw.url, '/v1/provision', { assets: [{ assetId: d.deviceId, kind: 'DEVICE', parentId: d.siteId, name: d.deviceId }] });
    expect(again.status).toBe(200);
    const fresh = ((await again.json()) as { devices: Array<{ token: string }> }).devices[0]?.token ?? '';
    await expect(open(gw.url, d.token)).rejects.toThrow(/^403 .*REVOKED/);
    (await open(gw.url, fresh)).close();
  });

  it('refuses an expired credential (401) and one signed with the development secret (401)', async () => {
    const [d] = await provisionSites(gw.url, 1);
    if (!d) throw new Error('no device');
    const expired = await issueDeviceToken([{ kid: 'k1', secret: SECRET }], { sub: d.deviceId, site: d.siteId, iatMs: Date.now() - 7_200_000, ttlMs: 3_600_000 });
    await expect(open(gw.url, expired)).rejects.toThrow(/^401 .*expired/);
    const dev = await issueDeviceToken([{ kid: 'k1', secret: DEV_TOKEN_SECRET }], { sub: d.deviceId, site: d.siteId, iatMs: Date.now(), ttlMs: 3_600_000 });
    await expect(open(gw.url, dev)).rejects.toThrow(/^401 .*signature does not verify/);
    const devKid = await issueDeviceToken([{ kid: 'dev', secret: DEV_TOKEN_SECRET }], { sub: d.deviceId, site: d.siteId, iatMs: Date.now(), ttlMs: 3_600_000 });
    await expect(open(gw.url, devKid)).rejects.toThrow(/^401 .*does not hold/);
    const poll = await fetch(`${gw.url}/v1/device/inputs?token=${encodeURIComponent(expired)}`);
    expect(poll.status).toBe(401);
  });

  it('five sockets with one credential: two open, three get 429 TOO_MANY_CONNECTIONS; a closed one frees its place', async () => {
    const [d] = await provisionSites(gw.url, 1);
    if (!d) throw new Error('no device');
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => open(gw.url, d.token)));
    const opened = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const refused = results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
    expect(opened).toHaveLength(2);
    expect(refused).toHaveLength(3);
    for (const r of refused) expect(r).toMatch(/429 .*TOO_MANY_CONNECTIONS/);
    await new Promise<void>((r) => {
      opened[0]?.once('close', () => r());
      opened[0]?.close();
    });
    await new Promise((r) => setTimeout(r, 50));
    (await open(gw.url, d.token)).close();
    opened[1]?.close();
  });

  it('renews a credential: POST /v1/device/token answers a new one that works', async () => {
    const [d] = await provisionSites(gw.url, 1);
    if (!d) throw new Error('no device');
    const res = await fetch(`${gw.url}/v1/device/token`, { method: 'POST', headers: { authorization: `Bearer ${d.token}` } });
    expect(res.status).toBe(200);
    const { token, expiresAtMs } = (await res.json()) as { token: string; expiresAtMs: number };
    expect(expiresAtMs).toBeGreaterThan(Date.now() + 29 * 86_400_000);
    (await open(gw.url, token)).close();
  });
});
