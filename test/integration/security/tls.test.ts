/**
 * Issue 19: the gateway (HTTPS and WSS, optional client certificates), control (and, with a client CA, mutual TLS), assets and the console
 * serve TLS when given a key and a certificate (`<PREFIX>_TLS_KEY_FILE`, `_TLS_CERT_FILE`,
 * `_TLS_CLIENT_CA_FILE`). Each service runs as a real process with certificates made here.
 */
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startServiceProcess } from '../../support/service-process.ts';
import { freshName, TEST_STACK_ENV } from '../../support/stack-env.ts';
import { httpsGet, makeTestPki } from '../../support/tls.ts';

const pki = makeTestPki();
afterAll(() => rmSync(pki.dir, { recursive: true, force: true }));
const OPERATOR = 'tls-test-operator-token';

/** What a plain-HTTP request to a TLS port gets: never an answer from the service. */
const plainStatus = (url: string): Promise<number | string> =>
  fetch(url.replace('https:', 'http:'), { signal: AbortSignal.timeout(5_000) }).then((r) => r.status, (e: unknown) => String(e));

describe('TLS listeners', () => {
  it('control serves HTTPS with the given certificate and nothing in plain HTTP', async () => {
    const svc = await startServiceProcess({
      name: 'control', entry: 'services/operational/control/main.ts', portEnv: 'CONTROL_PORT', cleanup: afterAll, tls: { ca: pki.ca },
      env: { ...TEST_STACK_ENV, CONTROL_TOKENS: `operator:${OPERATOR}`, CONTROL_INSTANCE_ID: freshName('tls-control'), CONTROL_LEADER_GROUP: freshName('tls-leader'), CONTROL_TLS_KEY_FILE: pki.keyFile, CONTROL_TLS_CERT_FILE: pki.certFile },
    });
    expect(svc.url).toMatch(/^https:/);
    const events = await httpsGet(`${svc.url}/v1/events`, { ca: pki.ca }, { authorization: `Bearer ${OPERATOR}` });
    expect(events).toMatchObject({ status: 200 });
    expect(await plainStatus(`${svc.url}/healthz`)).not.toBe(200);
  }, 120_000);

  it('control with a client CA completes a handshake only with a client certificate', async () => {
    const svc = await startServiceProcess({
      name: 'control', entry: 'services/operational/control/main.ts', portEnv: 'CONTROL_PORT', cleanup: afterAll,
      tls: { ca: pki.ca, key: pki.clientKey, cert: pki.clientCert },
      env: { ...TEST_STACK_ENV, CONTROL_TOKENS: `operator:${OPERATOR}`, CONTROL_INSTANCE_ID: freshName('tls-control-m'), CONTROL_LEADER_GROUP: freshName('tls-leader-m'), CONTROL_TLS_KEY_FILE: pki.keyFile, CONTROL_TLS_CERT_FILE: pki.certFile, CONTROL_TLS_CLIENT_CA_FILE: pki.caFile },
    });
    expect(await httpsGet(`${svc.url}/healthz`, { ca: pki.ca })).toHaveProperty('error');
    expect(await httpsGet(`${svc.url}/healthz`, { ca: pki.ca, key: pki.clientKey, cert: pki.clientCert })).toMatchObject({ status: 200 });
  }, 120_000);

  it('the gateway with a client CA serves WSS and lets clients without a certificate reach their bearer credential check', async () => {
    // The gateway asks for, but does not require, a client certificate: one that names a device
    // authenticates it (device-certificate.test.ts); without one, the bearer credential decides.
    const svc = await startServiceProcess({
      name: 'gateway', entry: 'services/operational/gateway/main.ts', portEnv: 'GATEWAY_PORT', cleanup: afterAll,
      tls: { ca: pki.ca },
      env: { ...TEST_STACK_ENV, OPERATOR_TOKEN: OPERATOR, GATEWAY_INSTANCE_ID: freshName('tls-gw'), GATEWAY_TLS_KEY_FILE: pki.keyFile, GATEWAY_TLS_CERT_FILE: pki.certFile, GATEWAY_TLS_CLIENT_CA_FILE: pki.caFile },
    });
    expect(await httpsGet(`${svc.url}/healthz`, { ca: pki.ca })).toMatchObject({ status: 200 });
    expect(await plainStatus(`${svc.url}/healthz`)).not.toBe(200);
    const status = await new Promise<number | string>((resolve) => {
      const ws = new WebSocket(`${svc.url.replace('https:', 'wss:')}/v1/device/connect`, { ca: pki.ca });
      ws.on('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.on('open', () => resolve('opened without a credential'));
      ws.on('error', (e) => resolve(String(e)));
    });
    expect(status).toBe(401);
    expect(svc.alive()).toBe(true);
  }, 120_000);

  it('assets and the console serve HTTPS too', async () => {
    const assets = await startServiceProcess({
      name: 'assets', entry: 'services/operational/assets/main.ts', portEnv: 'ASSETS_PORT', cleanup: afterAll, tls: { ca: pki.ca }, ready: (s) => s === 200 || s === 503,
      env: { ...TEST_STACK_ENV, ASSETS_TOKENS: `viewer:${OPERATOR}`, ASSETS_GROUP_ID: freshName('tls-assets'), ASSETS_INSTANCE_ID: 'tls-assets', ASSETS_TLS_KEY_FILE: pki.keyFile, ASSETS_TLS_CERT_FILE: pki.certFile },
    });
    expect(await httpsGet(`${assets.url}/openapi.json`, { ca: pki.ca })).toMatchObject({ status: 200 });
    const consoleSvc = await startServiceProcess({
      name: 'console', entry: 'services/console/main.ts', portEnv: 'CONSOLE_PORT', cleanup: afterAll, tls: { ca: pki.ca },
      env: { ...TEST_STACK_ENV, CONSOLE_TLS_KEY_FILE: pki.keyFile, CONSOLE_TLS_CERT_FILE: pki.certFile, CONSOLE_SITE_LOCATIONS: '0' },
    });
    const page = await httpsGet(`${consoleSvc.url}/`, { ca: pki.ca });
    expect(page).toMatchObject({ status: 200 });
    expect(await plainStatus(`${consoleSvc.url}/healthz`)).not.toBe(200);
  }, 120_000);
});
