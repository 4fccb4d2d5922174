/**
 * The embedded Kafka broker: Apache Kafka in KRaft mode, one combined broker+controller node (or,
 * with KAFKA_BROKER_COUNT=3, three of them forming one quorum and replicating every topic),
 * jars resolved from Maven Central by Maven (infra/kafka/pom.xml) into the stack's cache and run
 * on the local JVM with a bounded heap. Data lives under <state>/kafka, so a restart keeps topics
 * and offsets; the storage is formatted once, with a cluster id kept beside it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { PlatformError } from '../../platform/errors.ts';
import { kafkaNodes, type Config, type KafkaNode, type KafkaSecurity } from '../../platform/config.ts';
import { createKafkaAdapter } from '../../platform/kafka.ts';
import { createLogger } from '../../platform/logger.ts';
import { downloadProgressLine, treeBytes } from './download-progress.ts';
import { REPO_ROOT, type ProcessName, type StackLayout } from './layout.ts';
import type { KafkaTlsFiles } from './kafka-tls.ts';
import type { Part } from './part.ts';
import { run, spawnDetached, which } from './processes.ts';

export interface BrokerPropertiesOptions {
  readonly dataDir: string;
  /** This node's client listener. */
  readonly port: number;
  /** This node's KRaft controller listener. */
  readonly controllerPort: number;
  /** This node's id (default 1). */
  readonly nodeId?: number;
  /** Every controller voter of the cluster, this node included (default: this node alone). */
  readonly voters?: readonly KafkaNode[];
  /** The secured mode (`up --secure`): SASL listeners and the standard authorizer; absent: plaintext, no authorization. */
  readonly sasl?: KafkaSaslSettings;
}

/** The secured mode's broker side: the stack's super user, who is also the brokers' and controllers' own identity. */
export interface KafkaSaslSettings {
  readonly adminUser: string;
  readonly adminPassword: string;
  /** The client listener's TLS (SASL_SSL; `up --secure` always gives it, kafka-tls.ts); absent: SASL_PLAINTEXT. */
  readonly tls?: KafkaTlsFiles;
}

/**
 * The secured listeners: clients and brokers authenticate with SCRAM-SHA-512 on SASL_SSL (still
 * KAFKA_PORT; SASL_PLAINTEXT without TLS files), so passwords and records never cross the wire in
 * the clear; the brokers trust the stack's CA towards each other too. The KRaft controller
 * listener uses SASL PLAIN on SASL_PLAINTEXT, because controllers cannot use SCRAM (its
 * credentials live in the metadata the controllers serve); it carries metadata only, on loopback.
 * The admin is the super user and the identity nodes use towards each other; every other
 * principal gets only its ACLs (backbone-acls.ts), and a resource with no ACL is denied to it.
 */
const saslProperties = (o: { port: number; controllerPort: number }, sasl: KafkaSaslSettings): { listeners: string[]; security: string[] } => {
  const protocol = sasl.tls === undefined ? 'SASL_PLAINTEXT' : 'SASL_SSL';
  const name = protocol.toLowerCase();
  return {
    listeners: [
      `listeners=${protocol}://127.0.0.1:${o.port},CONTROLLER://127.0.0.1:${o.controllerPort}`,
      `advertised.listeners=${protocol}://127.0.0.1:${o.port}`,
      'controller.listener.names=CONTROLLER',
      `inter.broker.listener.name=${protocol}`,
      `listener.security.protocol.map=${protocol}:${protocol},CONTROLLER:SASL_PLAINTEXT`,
    ],
    security: [
      'sasl.enabled.mechanisms=SCRAM-SHA-512',
      'sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512',
      'sasl.mechanism.controller.protocol=PLAIN',
      `listener.name.${name}.sasl.enabled.mechanisms=SCRAM-SHA-512`,
      `listener.name.${name}.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${sasl.adminUser}" password="${sasl.adminPassword}";`,
      'listener.name.controller.sasl.enabled.mechanisms=PLAIN',
      `listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="${sasl.adminUser}" password="${sasl.adminPassword}" user_${sasl.adminUser}="${sasl.adminPassword}";`,
      ...(sasl.tls === undefined ? [] : [
        'ssl.keystore.type=PEM',
        `ssl.keystore.location=${sasl.tls.keystoreFile}`,
        'ssl.truststore.type=PEM',
        `ssl.truststore.location=${sasl.tls.caFile}`,
        // Clients verify the broker (its address is in the certificate); the broker asks no client certificate.
        'ssl.endpoint.identification.algorithm=https',
        'ssl.client.auth=none',
      ]),
      'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      'allow.everyone.if.no.acl.found=false',
      `super.users=User:${sasl.adminUser}`,
    ],
  };
};

/**
 * server.properties of one node: a pure function of the options, so further modes (a secured
 * listener) compose with the cluster mode. With one voter it is the single broker of old, key for
 * key (infra/docker-compose.yml mirrors it); with several, every internal topic is replicated
 * min(3, nodes) times with replicas - 1 in sync, and a node that stops heartbeating is fenced
 * after 6 s rather than Kafka's 9 s, which bounds how long a partition of a killed leader waits
 * for its new leader.
 */
export const brokerProperties = (o: BrokerPropertiesOptions): string => {
  const nodeId = o.nodeId ?? 1;
  const voters = o.voters ?? [{ id: nodeId, port: o.port, controllerPort: o.controllerPort }];
  const rf = Math.min(3, voters.length);
  const minIsr = Math.max(1, rf - 1);
  const cluster = voters.length > 1
    ? [
      `default.replication.factor=${rf}`,
      `min.insync.replicas=${minIsr}`,
      'broker.heartbeat.interval.ms=1000',
      'broker.session.timeout.ms=6000',
    ]
    : [];
  const secured = o.sasl === undefined ? undefined : saslProperties(o, o.sasl);
  return [
    '# Written by `npm run stack -- up`; edits are overwritten.',
    'process.roles=broker,controller',
    `node.id=${nodeId}`,
    `controller.quorum.voters=${voters.map((v) => `${v.id}@127.0.0.1:${v.controllerPort}`).join(',')}`,
    ...(secured?.listeners ?? [
      `listeners=PLAINTEXT://127.0.0.1:${o.port},CONTROLLER://127.0.0.1:${o.controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${o.port}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=PLAINTEXT',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    ]),
    ...(secured?.security ?? []),
    `log.dirs=${join(o.dataDir, 'logs')}`,
    'num.partitions=3',
    'auto.create.topics.enable=false',
    `offsets.topic.replication.factor=${rf}`,
    'offsets.topic.num.partitions=12',
    `transaction.state.log.replication.factor=${rf}`,
    `transaction.state.log.min.isr=${minIsr}`,
    `share.coordinator.state.topic.replication.factor=${rf}`,
    `share.coordinator.state.topic.min.isr=${minIsr}`,
    'group.initial.rebalance.delay.ms=0',
    ...cluster,
    // fsync is left to the OS, as Kafka does by default; acks=-1 waits for the in-sync replicas' logs.
    'log.retention.check.interval.ms=60000',
    'message.max.bytes=1048588',
    '',
  ].join('\n');
};

/**
 * A KRaft cluster id (what `kafka-storage random-uuid` prints: 16 random bytes, URL-safe base64,
 * never starting with '-'), created once beside the data and shared by every node. Synchronous, so
 * nodes preparing side by side in one process agree on it.
 */
const ensureClusterId = (file: string): string => {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  let id = randomBytes(16).toString('base64url');
  while (id.startsWith('-')) id = randomBytes(16).toString('base64url');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, id);
  return id;
};

/** What Maven resolves: the broker (infra/kafka/pom.xml) or Kafka's own tools (infra/kafka/tools-pom.xml, for benches). */
export type KafkaJars = 'broker' | 'tools';

/** expectedBytes: the jar set's size for the Kafka version it was measured with (progress percentages). */
const JARS: Record<KafkaJars, { pom: string; dir: string; mustHave: string; expectedBytes: { version: string; bytes: number } }> = {
  broker: { pom: 'infra/kafka/pom.xml', dir: 'kafka', mustHave: 'kafka_2.13-', expectedBytes: { version: '4.4.0', bytes: 44_596_900 } },
  tools: { pom: 'infra/kafka/tools-pom.xml', dir: 'kafka-tools', mustHave: 'kafka-tools-', expectedBytes: { version: '4.4.0', bytes: 44_586_542 } },
};

/** The folder of a resolved jar set, in the stack's cache; put `<dir>/*` on a JVM's class path. */
export const kafkaJarDir = (config: Pick<Config, 'kafkaVersion'>, layout: Pick<StackLayout, 'cacheDir'>, which: KafkaJars): string =>
  join(layout.cacheDir, `${JARS[which].dir}-${config.kafkaVersion}`);

/** One Maven resolution per jar folder, however many nodes prepare at once. */
const resolving = new Map<string, Promise<void>>();

/**
 * Resolves a jar set of the configured Kafka version from Maven Central into the cache, once
 * (a `.complete` marker lists the jars); later calls return at once.
 */
export const resolveKafkaJars = (config: Pick<Config, 'kafkaVersion'>, layout: Pick<StackLayout, 'cacheDir'>, set: KafkaJars): Promise<void> => {
  const libDir = kafkaJarDir(config, layout, set);
  const spec = JARS[set];
  const resolve = async (): Promise<void> => {
    if (existsSync(join(libDir, '.complete'))) return;
    if (!(await which('mvn'))) {
      throw new PlatformError('STACK_PREREQUISITE_MISSING', 'Maven (mvn) is needed once to fetch the Kafka jars: apt-get install -y maven');
    }
    process.stderr.write(`stack: resolving Apache Kafka ${set} ${config.kafkaVersion} from Maven Central (first run only)...\n`);
    mkdirSync(libDir, { recursive: true });
    // Maven is quiet (-q) while it downloads: say every 5 s how long and how much has arrived in
    // its local repository (download-progress.ts).
    const started = Date.now();
    const repo = process.env['MAVEN_REPO_LOCAL'] ?? join(homedir(), '.m2', 'repository');
    const before = treeBytes(repo);
    const expected = spec.expectedBytes.version === config.kafkaVersion ? spec.expectedBytes.bytes : null;
    const ticker = setInterval(() => {
      process.stderr.write(`${downloadProgressLine(Date.now() - started, treeBytes(repo) - before, expected)}\n`);
    }, 5_000);
    try {
      await run('mvn', ['-q', '-B', '-f', join(REPO_ROOT, spec.pom), 'dependency:copy-dependencies',
        `-Dkafka.version=${config.kafkaVersion}`, `-DoutputDirectory=${libDir}`]);
    } finally {
      clearInterval(ticker);
    }
    const jars = readdirSync(libDir).filter((f) => f.endsWith('.jar'));
    if (!jars.some((j) => j.startsWith(spec.mustHave))) throw new PlatformError('STACK_START_FAILED', `Maven resolved no ${spec.mustHave}*.jar into ${libDir}`);
    writeFileSync(join(libDir, '.complete'), jars.join('\n'));
  };
  const pending = resolving.get(libDir) ?? resolve().finally(() => resolving.delete(libDir));
  resolving.set(libDir, pending);
  return pending;
};

/** The process name of node n: `kafka` for the single broker, `kafka-<n>` in a cluster. */
export const kafkaNodeName = (id: number, count: number): ProcessName => (count === 1 ? 'kafka' : `kafka-${id}`);

/** The secured mode of the Kafka parts: the super user and every SCRAM user bootstrapped at format time. */
export interface KafkaSecureMode {
  readonly admin: KafkaSaslSettings;
  /** Every principal's SCRAM-SHA-512 credential (the admin included), written into the metadata by StorageTool. */
  readonly scramUsers: ReadonlyArray<{ readonly name: string; readonly password: string }>;
}

/** StorageTool's --add-scram arguments for the users. Pure. */
export const scramFormatArgs = (users: KafkaSecureMode['scramUsers']): string[] =>
  users.flatMap((u) => ['--add-scram', `SCRAM-SHA-512=[name=${u.name},password=${u.password}]`]);

/** What a secured data folder was formatted with: the users and a digest of their passwords. Pure. */
const scramFingerprint = (users: KafkaSecureMode['scramUsers']): string =>
  JSON.stringify({ users: users.map((u) => u.name), sha256: createHash('sha256').update(JSON.stringify(users)).digest('hex') });

/**
 * A secured node keeps its data apart (<name>-secure): SCRAM users exist only in the metadata
 * written at format time, so a plaintext log cannot be switched to the secured mode in place.
 */
export const kafkaDataDir = (layout: Pick<StackLayout, 'dataDir'>, name: ProcessName, secure: boolean): string =>
  secure ? `${layout.dataDir(name)}-secure` : layout.dataDir(name);

const kafkaNodePart = (config: Config, layout: StackLayout, node: KafkaNode, voters: readonly KafkaNode[], secure?: KafkaSecureMode): Part => {
  const name = kafkaNodeName(node.id, voters.length);
  const dataDir = kafkaDataDir(layout, name, secure !== undefined);
  const libDir = kafkaJarDir(config, layout, 'broker');
  const propsFile = join(dataDir, 'server.properties');
  const scramFile = join(dataDir, 'scram-users.json');
  // The single broker keeps its id beside its data (as before); cluster nodes share one.
  const clusterIdFile = voters.length === 1 ? join(dataDir, 'cluster.id') : join(dirname(dataDir), 'cluster.id');
  const javaCp = `${libDir}/*`;

  const format = async (): Promise<void> => {
    if (existsSync(join(dataDir, 'logs', 'meta.properties'))) {
      if (secure !== undefined && (!existsSync(scramFile) || readFileSync(scramFile, 'utf8') !== scramFingerprint(secure.scramUsers))) {
        throw new PlatformError('STACK_START_FAILED', `the secured Kafka data in ${dataDir} was formatted with other SCRAM users or passwords than ${layout.stateDir}/secrets/passwords.json holds (a principal was added or the secrets were replaced); stop the stack and delete ${dataDir} to format it again with the current secrets`);
      }
      return;
    }
    await run('java', ['-cp', javaCp, 'kafka.tools.StorageTool', 'format', '--ignore-formatted', '-t', ensureClusterId(clusterIdFile), '-c', propsFile,
      ...(secure === undefined ? [] : scramFormatArgs(secure.scramUsers))]);
    if (secure !== undefined) writeFileSync(scramFile, scramFingerprint(secure.scramUsers), { mode: 0o600 });
  };

  const offset = 2 * (node.id - 1);
  const moved = (variable: string): string => (offset === 0 ? variable : `${variable} (+${offset} for node ${node.id})`);
  return {
    name,
    port: node.port,
    portVariable: moved('KAFKA_PORT'),
    extraPorts: [{ port: node.controllerPort, variable: moved('KAFKA_CONTROLLER_PORT'), role: 'KRaft controller listener' }],
    startTimeoutMs: 90_000,
    async prepare() {
      if (!(await which('java'))) {
        throw new PlatformError('STACK_PREREQUISITE_MISSING', 'Java 17 or newer is needed for the Kafka broker: apt-get install -y openjdk-17-jre-headless');
      }
      await resolveKafkaJars(config, layout, 'broker');
      mkdirSync(dataDir, { recursive: true });
      // The secured properties hold the admin's password.
      writeFileSync(propsFile, brokerProperties({ dataDir, port: node.port, controllerPort: node.controllerPort, nodeId: node.id, voters, ...(secure ? { sasl: secure.admin } : {}) }), { mode: 0o600 });
      if (secure !== undefined) chmodSync(propsFile, 0o600);
      await format();
    },
    launch: () =>
      spawnDetached({
        command: 'java',
        args: [
          `-Xms${config.kafkaHeapMb}m`, `-Xmx${config.kafkaHeapMb}m`, '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20',
          '-Djava.awt.headless=true', `-Dlog4j2.configurationFile=${join(REPO_ROOT, 'infra/kafka/log4j2.properties')}`,
          '-cp', javaCp, 'kafka.Kafka', propsFile,
        ],
        logFile: layout.logFile(name),
        pidFile: layout.pidFile(name),
      }),
    // A node answers clients only once the quorum has registered and unfenced it, so "answers
    // metadata on its own port" means it can lead and follow partitions.
    async healthy() {
      const admin = await createKafkaAdapter({
        brokers: [`127.0.0.1:${node.port}`],
        clientId: 'gridfleet-stack-health',
        logger: createLogger('silent'),
        connectTimeoutMs: 2_000,
        ...(secure ? { security: adminSecurity(secure.admin) } : {}),
      }).admin();
      try {
        await admin.listTopics();
        return true;
      } finally {
        await admin.disconnect();
      }
    },
  };
};

/** The Kafka connection settings of the stack's super user. Pure. */
export const adminSecurity = (admin: KafkaSaslSettings): KafkaSecurity =>
  ({ sasl: { mechanism: 'scram-sha-512', username: admin.adminUser, password: admin.adminPassword }, ssl: admin.tls === undefined ? null : { caFile: admin.tls.caFile } });

/** The Kafka parts of the stack: one combined broker+controller node per KAFKA_BROKER_COUNT, all voters. */
export const kafkaParts = (config: Config, layout: StackLayout, secure?: KafkaSecureMode): readonly Part[] => {
  const nodes = kafkaNodes(config.ports, config.kafkaBrokerCount);
  return nodes.map((n) => kafkaNodePart(config, layout, n, nodes, secure));
};
