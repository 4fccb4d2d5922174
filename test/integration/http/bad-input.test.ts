/**
 * Regression (issue 16): one unauthenticated `GET // HTTP/1.1` ended control (`new URL` threw in
 * the request handler) and the same request with an Upgrade header ended the gateway, dropping
 * every device it served; the console built its URLs the same way. Every service runs here as a real process; each request of
 * test/support/bad-input.ts is sent, is answered with a 4xx or a closed socket (never a 5xx), and
 * afterwards the process is alive and answers /healthz.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { badRequests, sendRaw, type ServiceTargets } from '../../support/bad-input.ts';
import { startServiceProcess, type ServiceProcess, type ServiceProcessOptions } from '../../support/service-process.ts';
import { freshName, TEST_STACK_ENV } from '../../support/stack-env.ts';

const OPERATOR = 'bad-input-operator-token';

interface Case {
  readonly service: Omit<ServiceProcessOptions, 'cleanup'>;
  readonly targets: ServiceTargets;
}

const cases: readonly Case[] = [
  {
    service: { name: 'control', entry: 'services/operational/control/main.ts', portEnv: 'CONTROL_PORT', env: { ...TEST_STACK_ENV, CONTROL_TOKENS: `operator:${OPERATOR}:bad`, CONTROL_INSTANCE_ID: freshName('bad-control') } },
    targets: { postPath: '/v1/events', paramPath: '/v1/events/{p}', authorization: `Bearer ${OPERATOR}` },
  },
  {
    service: { name: 'gateway', entry: 'services/operational/gateway/main.ts', portEnv: 'GATEWAY_PORT', env: { ...TEST_STACK_ENV, OPERATOR_TOKEN: OPERATOR, GATEWAY_INSTANCE_ID: freshName('bad-gw') } },
    targets: { postPath: '/v1/provision', paramPath: '/v1/devices/{p}', wsPath: '/v1/device/connect', authorization: `Bearer ${OPERATOR}` },
  },
  {
    service: { name: 'assets', entry: 'services/operational/assets/main.ts', portEnv: 'ASSETS_PORT', env: { ...TEST_STACK_ENV, ASSETS_TOKENS: `viewer:${OPERATOR}`, ASSETS_GROUP_ID: freshName('bad-assets'), ASSETS_INSTANCE_ID: 'bad-assets' } },
    targets: { postPath: '/v1/assets/fleet', paramPath: '/v1/assets/{p}/subtree', authorization: `Bearer ${OPERATOR}` },
  },
  {
    // Was on node:http: `new URL('//', base)` threw in its request callback; now on fastify.
    service: { name: 'console', entry: 'services/console/main.ts', portEnv: 'CONSOLE_PORT', env: { ...TEST_STACK_ENV, CONSOLE_SITE_LOCATIONS: '0' } },
    targets: { postPath: '/api/events', paramPath: '/api/forecast?scope={p}', authorization: 'Bearer none' },
  },
  {
    // The registry the services share; on node:http too.
    service: { name: 'registry', entry: 'services/embedded/registry/main.ts', portEnv: 'REGISTRY_PORT', env: { ...TEST_STACK_ENV } },
    targets: { postPath: '/subjects/bad-input-value/versions', paramPath: '/subjects/{p}/versions', authorization: 'Basic none' },
  },
];

for (const c of cases) {
  describe(`${c.service.name}: requests built to crash it`, () => {
    let svc: ServiceProcess;
    beforeAll(async () => {
      svc = await startServiceProcess({ ...c.service, cleanup: afterAll });
    });

    it('answers each with a 4xx or a close, and still answers /healthz afterwards', async () => {
      const outcomes: string[] = [];
      for (const req of badRequests(c.targets)) {
        const status = await sendRaw(svc.port, req);
        const health = await fetch(`${svc.url}/healthz`, { signal: AbortSignal.timeout(5_000) }).then((r) => r.status, (e: unknown) => String(e));
        const bad = !svc.alive() || health !== 200 || (status !== null && status >= 500);
        if (bad) outcomes.push(`${req.name}: status ${String(status)}, then /healthz ${String(health)}, ${svc.alive() ? 'alive' : 'exited'}`);
        if (!svc.alive()) break;
      }
      expect(outcomes, svc.output().slice(-2000)).toEqual([]);
    });
  });
}
