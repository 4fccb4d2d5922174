/**
 * Guards issue 19 (the backbone had no authentication): the pure parts of `up --secure`. The
 * broker's secured properties, the ACL matrix (the gateway can never write commands), the env
 * files each service reads, and the registry's roles. The secured stack itself is exercised in
 * test/integration/embedded/stack/secure-stack.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../../services/platform/repo-root.ts';
import { TopicNames } from '../../../../services/platform/topics.ts';
import { BACKBONE_PRINCIPALS, backboneGrants, backboneMatrixMarkdown, STACK_ADMIN } from '../../../../services/embedded/stack/backbone-acls.ts';
import { brokerProperties, scramFormatArgs } from '../../../../services/embedded/stack/kafka-part.ts';
import { redisConf } from '../../../../services/embedded/stack/redis-part.ts';
import { envFiles, parseEnvFile, requiredSecrets, type Passwords } from '../../../../services/embedded/stack/secrets.ts';
import { redisUsers, registryUsers, securedClickhouseUsers } from '../../../../services/embedded/stack/secure-mode.ts';
import { authenticate, parseRegistryUsers } from '../../../../services/embedded/registry/registry-auth.ts';
import { serviceEnvNames } from '../../../support/config-env-names.ts';

const settings = (props: string): Map<string, string> =>
  new Map(props.split('\n').filter((l) => l.includes('=') && !l.startsWith('#')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));

const CH_USERS = ['default', 'ingest', 'analyst', 'forecast'];
const passwords: Passwords = Object.fromEntries(requiredSecrets(CH_USERS).map((k, i) => [k, `pw${i}`]));

describe('the secured broker', () => {
  const sasl = { adminUser: 'admin', adminPassword: 'secret' };

  it('authenticates clients with SCRAM on KAFKA_PORT, the controller with PLAIN, and denies by default', () => {
    const s = settings(brokerProperties({ dataDir: '/d', port: 19092, controllerPort: 19093, sasl }));
    expect(s.get('listeners')).toBe('SASL_PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093');
    expect(s.get('advertised.listeners')).toBe('SASL_PLAINTEXT://127.0.0.1:19092');
    expect(s.get('listener.security.protocol.map')).toBe('SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT');
    expect(s.get('sasl.enabled.mechanisms')).toBe('SCRAM-SHA-512');
    expect(s.get('sasl.mechanism.controller.protocol')).toBe('PLAIN');
    expect(s.get('authorizer.class.name')).toBe('org.apache.kafka.metadata.authorizer.StandardAuthorizer');
    expect(s.get('allow.everyone.if.no.acl.found')).toBe('false');
    expect(s.get('super.users')).toBe('User:admin');
    expect(s.get('listener.name.controller.plain.sasl.jaas.config')).toContain('user_admin="secret"');
  });

  it('serves the client listener over TLS (SASL_SSL) with the PEM key store, trusting the stack CA between brokers', () => {
    const tls = { caFile: '/s/tls/ca.pem', keystoreFile: '/s/tls/kafka-keystore.pem' };
    const s = settings(brokerProperties({ dataDir: '/d', port: 19092, controllerPort: 19093, sasl: { ...sasl, tls } }));
    expect(s.get('listeners')).toBe('SASL_SSL://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093');
    expect(s.get('advertised.listeners')).toBe('SASL_SSL://127.0.0.1:19092');
    expect(s.get('inter.broker.listener.name')).toBe('SASL_SSL');
    expect(s.get('listener.security.protocol.map')).toBe('SASL_SSL:SASL_SSL,CONTROLLER:SASL_PLAINTEXT');
    expect(s.get('listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config')).toContain('username="admin" password="secret"');
    expect(s.get('ssl.keystore.type')).toBe('PEM');
    expect(s.get('ssl.keystore.location')).toBe(tls.keystoreFile);
    expect(s.get('ssl.truststore.location')).toBe(tls.caFile);
    // Without TLS files the listener stays SASL_PLAINTEXT and no ssl.* key is written.
    const plain = settings(brokerProperties({ dataDir: '/d', port: 19092, controllerPort: 19093, sasl }));
    expect([...plain.keys()].filter((k) => k.startsWith('ssl.'))).toEqual([]);
  });

  it('composes with the cluster mode: every node keeps its quorum and replication keys', () => {
    const voters = [1, 2, 3].map((id) => ({ id, port: 19090 + 2 * id, controllerPort: 19091 + 2 * id }));
    const plain = settings(brokerProperties({ dataDir: '/d', port: 19096, controllerPort: 19097, nodeId: 2, voters }));
    const secured = settings(brokerProperties({ dataDir: '/d', port: 19096, controllerPort: 19097, nodeId: 2, voters, sasl }));
    for (const key of ['controller.quorum.voters', 'node.id', 'default.replication.factor', 'min.insync.replicas', 'offsets.topic.replication.factor']) {
      expect(secured.get(key), key).toBe(plain.get(key));
    }
    expect(plain.has('authorizer.class.name')).toBe(false);
  });

  it('bootstraps one SCRAM credential per user at format time', () => {
    expect(scramFormatArgs([{ name: 'admin', password: 'a' }, { name: 'gateway', password: 'g' }]))
      .toEqual(['--add-scram', 'SCRAM-SHA-512=[name=admin,password=a]', '--add-scram', 'SCRAM-SHA-512=[name=gateway,password=g]']);
  });
});

describe('the ACL matrix', () => {
  const grants = backboneGrants();
  const can = (principal: string, operation: string, topic: string): boolean =>
    grants.some((g) => g.principal === principal && g.resource === 'topic' && g.name === topic && g.operation === operation);

  it('lets only control write control.commands.v1; the gateway writes telemetry, acks and dead letters', () => {
    expect(BACKBONE_PRINCIPALS.filter((p) => can(p, 'write', TopicNames.controlCommands))).toEqual(['control']);
    for (const t of [TopicNames.telemetry, TopicNames.controlAcks, TopicNames.deadLetters]) expect(can('gateway', 'write', t), t).toBe(true);
    expect(can('gateway', 'write', TopicNames.gridEvents)).toBe(false);
  });

  it('grants nothing to the stack admin (it is the super user) and only literal topics and prefixed groups', () => {
    expect(grants.some((g) => g.principal === STACK_ADMIN)).toBe(false);
    expect(grants.every((g) => (g.resource === 'topic' ? g.pattern === 'literal' : g.pattern === 'prefixed'))).toBe(true);
  });

  it('is the matrix docs/security.md shows', () => {
    const doc = readFileSync(join(REPO_ROOT, 'docs', 'security.md'), 'utf8');
    expect(doc).toContain(backboneMatrixMarkdown());
  });
});

describe("the services' env files", () => {
  const files = envFiles({ passwords, redisPort: 16379, clickhouseUsers: CH_USERS, registryUsersFile: '/s/registry-users.json' });

  it('hold one Kafka principal per service, and only variables that service reads', () => {
    for (const p of BACKBONE_PRINCIPALS) {
      const vars = files[p] ?? {};
      expect(vars['KAFKA_SASL_USERNAME'], p).toBe(p);
      expect(vars['KAFKA_SASL_MECHANISM']).toBe('scram-sha-512');
      const reads = serviceEnvNames(p);
      if (reads !== undefined) for (const name of Object.keys(vars)) expect(reads.has(name), `${p} reads ${name}`).toBe(true);
    }
    expect(files['forecast']?.['REDIS_URL']).toMatch(/^redis:\/\/forecast:pw\d+@127\.0\.0\.1:16379$/);
    expect(files['ingest']?.['INGEST_CLICKHOUSE_USER']).toBe('ingest');
    // The forecast jobs log in as their own user (table grants), not as default.
    expect(files['forecast']?.['FORECAST_CLICKHOUSE_USER']).toBe('forecast');
    expect(files['forecast']?.['FORECAST_CLICKHOUSE_PASSWORD']).toBe(passwords['clickhouse/forecast']);
    expect(envFiles({ passwords, redisPort: 16379, clickhouseUsers: ['default'], registryUsersFile: '/r' })['forecast']?.['FORECAST_CLICKHOUSE_USER']).toBe('default');
    expect(files['registry']?.['REGISTRY_USERS_FILE']).toBe('/s/registry-users.json');
  });

  it("point every Kafka principal at the brokers' CA when the listener serves TLS", () => {
    const withTls = envFiles({ passwords, redisPort: 16379, clickhouseUsers: CH_USERS, registryUsersFile: '/r', kafkaCaFile: '/s/tls/ca.pem' });
    for (const p of [...BACKBONE_PRINCIPALS, STACK_ADMIN]) expect(withTls[p]?.['KAFKA_SSL_CA_FILE'], p).toBe('/s/tls/ca.pem');
    expect(withTls['sql']?.['KAFKA_SSL_CA_FILE']).toBeUndefined();
    expect(files['gateway']?.['KAFKA_SSL_CA_FILE']).toBeUndefined();
  });

  it('round-trip through KEY=value lines', () => {
    expect(parseEnvFile('# c\nA=1\n\nB=x=y\n')).toEqual({ A: '1', B: 'x=y' });
  });

  it('replace every ClickHouse password, the default user included', () => {
    const secured = securedClickhouseUsers({ users: { default: { password: '' }, ingest: { password: 'ingest', readonly: 0 } } }, passwords);
    expect(Object.values(secured.users).every((u) => !('password' in u) && typeof u['passwordSha256Hex'] === 'string')).toBe(true);
    expect(secured.users['ingest']?.['readonly']).toBe(0);
  });

  it('switch Redis\'s default user off', () => {
    const conf = redisConf({ dataDir: '/d', port: 1, users: redisUsers(passwords) });
    expect(conf).toContain('user default off');
    expect(conf).toMatch(/user forecast on >pw\d+ ~gridfleet-forecast:\* .*-@admin -@dangerous/);
  });
});

describe('the registry users', () => {
  const users = parseRegistryUsers(registryUsers(passwords));
  const header = (u: string, p: string): string => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

  it('give the stack the write role and every service the read role', () => {
    if (!users.ok) throw new Error(users.error);
    expect(users.value.get(STACK_ADMIN)?.role).toBe('write');
    expect(users.value.get('gateway')?.role).toBe('read');
    expect(users.value.has('registry')).toBe(false);
    const gw = authenticate(users.value, header('gateway', passwords['registry/gateway'] ?? ''));
    expect(gw.ok && gw.value.role).toBe('read');
    for (const bad of [undefined, 'Bearer x', header('gateway', 'wrong'), header('nobody', 'x')]) {
      const r = authenticate(users.value, bad);
      expect(!r.ok && r.error.status).toBe(401);
    }
  });
});
