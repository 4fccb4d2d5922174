import { describe, expect, it } from 'vitest';
import { testStack } from '../../support/clients.ts';

describe('npm run stack', () => {
  it('up twice is harmless: the second start starts nothing and keeps the same processes', async () => {
    const stack = testStack();
    const before = await stack.status();
    expect(before.every((p) => p.state === 'up')).toBe(true);
    const again = await stack.up();
    expect(again.started).toEqual([]);
    expect(new Set(again.alreadyRunning)).toEqual(new Set(['kafka', 'registry', 'redis', 'clickhouse']));
    expect((await stack.status()).map((p) => p.pid)).toEqual(before.map((p) => p.pid));
  });

  it('status reports a stopped part as down, and up brings it back', async () => {
    const stack = testStack();
    await stack.down(['redis']);
    const status = await stack.status();
    expect(status.find((p) => p.name === 'redis')).toMatchObject({ state: 'down', pid: undefined });
    expect(status.find((p) => p.name === 'kafka')?.state).toBe('up');
    const r = await stack.up();
    expect(r.started).toEqual(['redis']);
    expect((await stack.status()).every((p) => p.state === 'up')).toBe(true);
  });
});

describe('npm run stack when a port is taken', () => {
  it('says which port, which part and how to fix it, and starts nothing on it', async () => {
    const { createServer } = await import('node:net');
    const { parseConfig } = await import('../../../services/platform/config.ts');
    const { createStack } = await import('../../../services/embedded/stack/stack.ts');
    const { createLogger } = await import('../../../services/platform/logger.ts');
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const address = blocker.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      const config = parseConfig({ GRIDFLEET_STATE_DIR: '.state/test-port-taken', REDIS_PORT: String(port) });
      const stack = createStack(config, createLogger('silent'));
      await expect(stack.up(['redis'])).rejects.toThrow(new RegExp(`port ${port} for redis is taken.*REDIS_PORT=`, 's'));
      expect((await stack.status()).find((p) => p.name === 'redis')?.state).toBe('down');
    } finally {
      blocker.close();
    }
  });

  it("checks Kafka's controller port too, naming KAFKA_CONTROLLER_PORT, before starting anything", async () => {
    // Regression: only the client port was probed; a taken 9093 killed Kafka at start with a log tail.
    const { createServer } = await import('node:net');
    const { parseConfig } = await import('../../../services/platform/config.ts');
    const { createStack } = await import('../../../services/embedded/stack/stack.ts');
    const { createLogger } = await import('../../../services/platform/logger.ts');
    const listen = async (): Promise<{ port: number; close: () => void }> => {
      const srv = createServer();
      await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
      const address = srv.address();
      return { port: typeof address === 'object' && address !== null ? address.port : 0, close: () => srv.close() };
    };
    const free = await listen();
    free.close(); // a free client port, so only the controller port is in the way
    const blocker = await listen();
    try {
      const config = parseConfig({ GRIDFLEET_STATE_DIR: '.state/test-port-taken', KAFKA_PORT: String(free.port), KAFKA_CONTROLLER_PORT: String(blocker.port) });
      const stack = createStack(config, createLogger('silent'));
      await expect(stack.up(['kafka'])).rejects.toThrow(new RegExp(`port ${blocker.port} for kafka \\(KRaft controller listener\\) is taken.*KAFKA_CONTROLLER_PORT=`, 's'));
      expect((await stack.status()).find((p) => p.name === 'kafka')?.state).toBe('down');
    } finally {
      blocker.close();
    }
  });
});
