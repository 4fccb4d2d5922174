/**
 * Regression (issue 18): services exited when Kafka was unreachable at start and relied on a
 * supervisor. Control is started with its bootstrap broker on a port where nothing listens: it
 * must stay up, answer /healthz 503 (not ready) with the reason, and become ready once a broker
 * answers there (a TCP proxy to the test stack's Kafka, started later).
 */
import { createServer, connect, type Server } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, startServiceProcess } from '../../../support/service-process.ts';
import { freshName, TEST_STACK_ENV } from '../../../support/stack-env.ts';
import { TOKENS, until } from './control-fixture.ts';

const proxyTo = (listenPort: number, targetPort: number): Promise<Server> =>
  new Promise((resolve) => {
    const server = createServer((client) => {
      const upstream = connect({ host: '127.0.0.1', port: targetPort });
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    server.listen(listenPort, '127.0.0.1', () => resolve(server));
  });

describe('startup while Kafka is down', () => {
  it('control waits, reports not-ready on /healthz, never exits, and becomes ready once Kafka answers', async () => {
    const brokerPort = await freePort();
    const control = await startServiceProcess({
      name: 'control-waiting', entry: 'services/operational/control/main.ts', portEnv: 'CONTROL_PORT', cleanup: afterAll,
      env: {
        ...TEST_STACK_ENV, KAFKA_BROKERS: `127.0.0.1:${brokerPort}`, CONTROL_INSTANCE_ID: freshName('control-wait'), CONTROL_LEADER_GROUP: freshName('control-leader'),
        CONTROL_TOKENS: `operator:${TOKENS.operator}:alice`,
      },
      // Ready for this harness means "answers": the test itself tells 503 from 200.
      ready: (status) => status === 503 || status === 200,
    });
    const first = await fetch(`${control.url}/healthz`);
    expect(first.status).toBe(503);
    expect(((await first.json()) as { reason: string }).reason).toMatch(/waiting for Kafka/);
    // Several backoff rounds later it is still alive and still says why.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(control.alive()).toBe(true);
    expect((await fetch(`${control.url}/healthz`)).status).toBe(503);

    const proxy = await proxyTo(brokerPort, Number(TEST_STACK_ENV['KAFKA_PORT']));
    afterAll(() => new Promise<void>((r) => proxy.close(() => r())));
    await until(async () => (await fetch(`${control.url}/healthz`).then((r) => r.status, () => 0)) === 200, 90_000);
    const ready = (await (await fetch(`${control.url}/healthz`)).json()) as { ok: boolean; role?: string };
    expect(ready.ok).toBe(true);
    expect(control.output()).toMatch(/not ready: waiting for Kafka/);
  }, 180_000);
});
