/**
 * Guards issue 19: the backbone had no authentication. Anyone who could reach Kafka could write
 * control.commands.v1 and command every battery, the registry's deletes and PUT /config were
 * open, and Redis had no password; then, that Kafka's SASL ran without TLS. This starts its own secured stack (`up --secure`) on its own
 * ports and state folder, apart from the shared test stack, and checks each door with and without
 * the right credentials, so every assertion fails if the security is taken away.
 */
import { readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { randomUUID } from 'node:crypto';
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, type Config, type KafkaSecurity } from '../../../../services/platform/config.ts';
import { createKafkaAdapter, type Consumer, type KafkaAdapter } from '../../../../services/platform/kafka.ts';
import { createLogger } from '../../../../services/platform/logger.ts';
import { TopicNames } from '../../../../services/platform/topics.ts';
import { createStack, type Stack } from '../../../../services/embedded/stack/stack.ts';
import { readServiceEnv } from '../../../../services/embedded/stack/secrets.ts';

const base = Number(process.env['GRIDFLEET_TEST_PORT_BASE'] ?? '10000');
const STATE_DIR = `.state/test-${base}-secure`;
// Offsets whose last three digits no shared test stack uses (those end in 092, 093, 081, 123,
// 379), so this stack never meets another worktree's on a port base 1000 away.
const ENV = {
  GRIDFLEET_STATE_DIR: STATE_DIR,
  KAFKA_PORT: String(base + 7592),
  KAFKA_CONTROLLER_PORT: String(base + 7593),
  REGISTRY_PORT: String(base + 7581),
  CLICKHOUSE_PORT: String(base + 7623),
  REDIS_PORT: String(base + 7679),
  KAFKA_HEAP_MB: '384',
  LOG_LEVEL: 'warn',
};

const logger = createLogger('silent');
let config: Config;
let stack: Stack;

/** A principal's Kafka security, read from its env file as a service would parse it. */
const securityOf = (service: string): KafkaSecurity => parseConfig({ ...ENV, ...readServiceEnv(config.stateDir, service) }).kafkaSecurity;
const kafkaAs = (security: KafkaSecurity | undefined, clientId = 'secure-test'): KafkaAdapter =>
  createKafkaAdapter({ brokers: config.kafkaBrokers, clientId, logger, connectTimeoutMs: 2_000, ...(security ? { security } : {}) });
const send = async (kafka: KafkaAdapter, topic: string): Promise<void> => {
  const p = await kafka.producer({ lanes: 1 });
  try {
    await p.send(topic, [{ key: 'site-secure-test', value: Buffer.from('not avro: only the ACL is under test') }]);
  } finally {
    await p.disconnect().catch(() => undefined);
  }
};
/** The first reply line Redis gives to a command sent without authenticating. */
const rawRedis = (port: number, command: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => socket.write(command));
    let buf = '';
    socket.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('\r\n')) {
        socket.destroy();
        resolve(buf.split('\r\n')[0] ?? '');
      }
    });
    socket.once('error', reject);
  });
const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

beforeAll(async () => {
  config = parseConfig(ENV);
  // A fresh state folder each run (the broker is formatted with this run's SCRAM users), after
  // stopping whatever an interrupted earlier run left running in it.
  await createStack(config, logger).down();
  rmSync(STATE_DIR, { recursive: true, force: true });
  stack = createStack(config, createLogger('warn', { service: 'secure-test-stack' }), { secure: true });
  await stack.up();
}, 240_000);

afterAll(async () => {
  await stack?.down();
}, 120_000);

describe('npm run stack -- up --secure', () => {
  it('refuses a Kafka client without credentials, to produce and to consume', async () => {
    // Over TLS with the stack's CA, so only the missing SASL login is what is refused.
    const tlsOnly: KafkaSecurity = { sasl: null, ssl: securityOf('gateway').ssl };
    expect(tlsOnly.ssl).not.toBeNull();
    await expect(send(kafkaAs(tlsOnly), TopicNames.telemetry)).rejects.toThrow();
    await expect(kafkaAs(tlsOnly).consumer({ groupId: `gateway-anon-${randomUUID()}`, topics: [TopicNames.controlCommands] })).rejects.toThrow();
    // The right user with a wrong password is refused too.
    const wrong: KafkaSecurity = { sasl: { mechanism: 'scram-sha-512', username: 'gateway', password: 'guessed' }, ssl: tlsOnly.ssl };
    await expect(send(kafkaAs(wrong), TopicNames.telemetry)).rejects.toThrow(/SASL|authentication/i);
  });

  it("serves Kafka over TLS only: the stack's CA and a login produce; no TLS, or TLS without that CA, cannot connect", async () => {
    // Guards the gap left after the SASL work: passwords and records crossed the wire in the clear.
    const caFile = readServiceEnv(config.stateDir, 'gateway')['KAFKA_SSL_CA_FILE'] ?? '';
    expect(readFileSync(caFile, 'utf8')).toMatch(/^-----BEGIN CERTIFICATE-----/);
    for (const service of ['control', 'assets', 'ingest', 'forecast', 'console', 'registry', 'simulator', 'admin']) {
      expect(readServiceEnv(config.stateDir, service)['KAFKA_SSL_CA_FILE'], service).toBe(caFile);
    }
    const gateway = securityOf('gateway');
    expect(gateway.ssl).toEqual({ caFile });
    await expect(send(kafkaAs(gateway, 'gridfleet-gw-test'), TopicNames.telemetry)).resolves.toBeUndefined();
    // Side by side (each client retries for seconds before it gives up): the same login without
    // TLS, which the listener does not speak, and TLS trusting only the system's CAs, which do not
    // vouch for the broker's certificate.
    const [plain, untrusted] = await Promise.all([
      send(kafkaAs({ ...gateway, ssl: null }, 'gridfleet-gw-test'), TopicNames.telemetry).then(() => 'produced', (e: unknown) => String(e)),
      send(kafkaAs({ ...gateway, ssl: { caFile: null } }, 'gridfleet-gw-test'), TopicNames.telemetry).then(() => 'produced', (e: unknown) => String(e)),
    ]);
    expect(plain).not.toBe('produced');
    expect(untrusted).toMatch(/certificate|self.signed|verify/i);
  });

  it("denies the gateway's principal control.commands.v1 but lets it write telemetry", async () => {
    const gateway = kafkaAs(securityOf('gateway'), 'gridfleet-gw-test');
    await expect(send(gateway, TopicNames.controlCommands)).rejects.toThrow(/authoriz/i);
    await expect(send(gateway, TopicNames.telemetry)).resolves.toBeUndefined();
  });

  it("lets control's principal write control.commands.v1", async () => {
    await expect(send(kafkaAs(securityOf('control'), 'gridfleet-control-test'), TopicNames.controlCommands)).resolves.toBeUndefined();
  });

  it("keeps consumer groups to their owners: the gateway joins its own groups, not ingest's", async () => {
    const gateway = kafkaAs(securityOf('gateway'), 'gridfleet-gw-test');
    /** Resolves with the first assignment, or the crash message when the group is refused. */
    const join = async (groupId: string): Promise<string> => {
      const c: Consumer = await gateway.consumer({ groupId, topics: [TopicNames.controlCommands], fromBeginning: false, autoCommit: false });
      try {
        const outcome = new Promise<string>((resolve) => {
          c.onAssignment(() => resolve('assigned'));
          // A broker this fresh may still be loading its offsets topic: kafkajs restarts on that.
          c.onCrash((x) => {
            if (!x.restarting || /authoriz|group coordinator/i.test(x.error)) resolve(`crashed: ${x.error}`);
          });
        });
        c.runEach(() => Promise.resolve()).catch(() => undefined);
        return await outcome;
      } finally {
        await c.disconnect().catch(() => undefined);
      }
    };
    await expect(join(`gateway-secure-test-${randomUUID()}`)).resolves.toBe('assigned');
    // Kafka answers GROUP_AUTHORIZATION_FAILED to FindCoordinator, which kafkajs reports as this.
    await expect(join('gridfleet-ingest')).resolves.toMatch(/^crashed: .*(authoriz|group coordinator)/i);
  });

  it('answers a registry write without credentials with 401, a reader changing it with 403', async () => {
    const subject = `secure-test-${randomUUID()}-value`;
    const body = JSON.stringify({ schema: JSON.stringify({ type: 'record', name: 'T', fields: [{ name: 'a', type: 'int' }] }) });
    const post = (authorization?: string): Promise<Response> => fetch(`${config.registryUrl}/subjects/${subject}/versions`, {
      method: 'POST', body, headers: { 'content-type': 'application/vnd.schemaregistry.v1+json', ...(authorization ? { authorization } : {}) },
    });
    expect((await post()).status).toBe(401);
    expect((await fetch(`${config.registryUrl}/config`, { method: 'PUT', body: '{"compatibility":"NONE"}' })).status).toBe(401);
    const gw = readServiceEnv(config.stateDir, 'gateway');
    expect((await post(basic(gw['REGISTRY_USERNAME'] ?? '', gw['REGISTRY_PASSWORD'] ?? ''))).status).toBe(403);
    const admin = readServiceEnv(config.stateDir, 'admin');
    expect((await post(basic(admin['REGISTRY_USERNAME'] ?? '', admin['REGISTRY_PASSWORD'] ?? ''))).status).toBe(200);
    // The reader may read, and may re-register what exists (how a codec learns its schema id).
    expect((await post(basic(gw['REGISTRY_USERNAME'] ?? '', gw['REGISTRY_PASSWORD'] ?? ''))).status).toBe(200);
    expect((await fetch(`${config.registryUrl}/subjects`, { headers: { authorization: basic(gw['REGISTRY_USERNAME'] ?? '', gw['REGISTRY_PASSWORD'] ?? '') } })).status).toBe(200);
  });

  it('refuses Redis without the password, and keeps the forecast user off admin commands', async () => {
    // A raw RESP connection, as any client on the host could open one.
    await expect(rawRedis(config.ports.redis, 'PING\r\n')).resolves.toMatch(/^-NOAUTH/);
    await expect(rawRedis(config.ports.redis, 'AUTH default \r\n')).resolves.toMatch(/^-(WRONGPASS|ERR)/);
    const forecast = new Redis(readServiceEnv(config.stateDir, 'forecast')['REDIS_URL'] ?? '', { maxRetriesPerRequest: 0 });
    try {
      await expect(forecast.ping()).resolves.toBe('PONG');
      await expect(forecast.set('gridfleet-forecast:secure-test', '1')).resolves.toBe('OK');
      await expect(forecast.flushall()).rejects.toThrow(/NOPERM/);
      await expect(forecast.set('other-prefix:x', '1')).rejects.toThrow(/NOPERM/);
    } finally {
      forecast.disconnect();
    }
  });

  it('refuses ClickHouse users without their generated passwords', async () => {
    for (const [username, password] of [['default', ''], ['ingest', 'ingest'], ['analyst', 'analyst']] as const) {
      const client = createClient({ url: config.clickhouseUrl, username, password, log: { level: ClickHouseLogLevel.OFF } });
      try {
        await expect(client.query({ query: 'SELECT 1' })).rejects.toThrow(/Authentication failed|AUTHENTICATION_FAILED|516/);
      } finally {
        await client.close();
      }
    }
    // The forecast jobs' own login reads their features and nothing else (table grants).
    const fc = readServiceEnv(config.stateDir, 'forecast');
    expect(fc['FORECAST_CLICKHOUSE_USER']).toBe('forecast');
    const forecast = createClient({ url: config.clickhouseUrl, username: 'forecast', password: fc['FORECAST_CLICKHOUSE_PASSWORD'] ?? '', log: { level: ClickHouseLogLevel.OFF } });
    try {
      expect(await (await forecast.query({ query: 'SELECT count() AS n FROM gridfleet.site_hourly', format: 'JSONEachRow' })).json()).toHaveLength(1);
      await expect(forecast.query({ query: 'SELECT count() FROM gridfleet.telemetry' })).rejects.toThrow(/grant SELECT ON gridfleet\.telemetry/);
    } finally {
      await forecast.close();
    }
    const ingest = readServiceEnv(config.stateDir, 'ingest');
    const client = createClient({ url: config.clickhouseUrl, username: ingest['INGEST_CLICKHOUSE_USER'] ?? '', password: ingest['INGEST_CLICKHOUSE_PASSWORD'] ?? '' });
    try {
      expect(await (await client.query({ query: 'SELECT 1 AS one', format: 'JSONEachRow' })).json()).toEqual([{ one: 1 }]);
    } finally {
      await client.close();
    }
  });
});
