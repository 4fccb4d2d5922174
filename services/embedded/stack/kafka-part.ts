/**
 * The embedded Kafka broker: Apache Kafka in KRaft mode, one combined broker+controller node,
 * jars resolved from Maven Central by Maven (infra/kafka/pom.xml) into the stack's cache and run
 * on the local JVM with a bounded heap. Data lives under <state>/kafka, so a restart keeps topics
 * and offsets; the storage is formatted once, with a cluster id kept beside it.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PlatformError } from '../../platform/errors.ts';
import type { Config } from '../../platform/config.ts';
import { createKafkaAdapter } from '../../platform/kafka.ts';
import { createLogger } from '../../platform/logger.ts';
import { REPO_ROOT, type StackLayout } from './layout.ts';
import type { Part } from './part.ts';
import { run, spawnDetached, which } from './processes.ts';

export const brokerProperties = (o: { dataDir: string; port: number; controllerPort: number }): string =>
  [
    '# Written by `npm run stack -- up`; edits are overwritten.',
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${o.controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${o.port},CONTROLLER://127.0.0.1:${o.controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${o.port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${join(o.dataDir, 'logs')}`,
    'num.partitions=3',
    'auto.create.topics.enable=false',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=12',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    // A single node: fsync is left to the OS, as Kafka does by default; acks=-1 waits for the leader's log.
    'log.retention.check.interval.ms=60000',
    'message.max.bytes=1048588',
    '',
  ].join('\n');

export const kafkaPart = (config: Config, layout: StackLayout): Part => {
  const dataDir = layout.dataDir('kafka');
  const libDir = join(layout.cacheDir, `kafka-${config.kafkaVersion}`);
  const propsFile = join(dataDir, 'server.properties');
  const clusterIdFile = join(dataDir, 'cluster.id');
  const javaCp = `${libDir}/*`;

  const resolveJars = async (): Promise<void> => {
    if (existsSync(join(libDir, '.complete'))) return;
    if (!(await which('mvn'))) {
      throw new PlatformError('STACK_PREREQUISITE_MISSING', 'Maven (mvn) is needed once to fetch the Kafka jars: apt-get install -y maven');
    }
    process.stderr.write(`stack: resolving Apache Kafka ${config.kafkaVersion} from Maven Central (first run only)...\n`);
    mkdirSync(libDir, { recursive: true });
    await run('mvn', ['-q', '-B', '-f', join(REPO_ROOT, 'infra/kafka/pom.xml'), 'dependency:copy-dependencies',
      `-Dkafka.version=${config.kafkaVersion}`, `-DoutputDirectory=${libDir}`]);
    const jars = readdirSync(libDir).filter((f) => f.endsWith('.jar'));
    if (!jars.some((j) => j.startsWith('kafka_2.13-'))) throw new PlatformError('STACK_START_FAILED', `Maven resolved no Kafka jar into ${libDir}`);
    writeFileSync(join(libDir, '.complete'), jars.join('\n'));
  };

  const format = async (): Promise<void> => {
    if (existsSync(join(dataDir, 'logs', 'meta.properties'))) return;
    const clusterId = existsSync(clusterIdFile)
      ? readFileSync(clusterIdFile, 'utf8').trim()
      : (await run('java', ['-cp', javaCp, 'kafka.tools.StorageTool', 'random-uuid'])).trim().split('\n').pop() ?? '';
    writeFileSync(clusterIdFile, clusterId);
    await run('java', ['-cp', javaCp, 'kafka.tools.StorageTool', 'format', '--ignore-formatted', '-t', clusterId, '-c', propsFile]);
  };

  return {
    name: 'kafka',
    port: config.ports.kafka,
    portVariable: 'KAFKA_PORT',
    extraPorts: [{ port: config.ports.kafkaController, variable: 'KAFKA_CONTROLLER_PORT', role: 'KRaft controller listener' }],
    startTimeoutMs: 90_000,
    async prepare() {
      if (!(await which('java'))) {
        throw new PlatformError('STACK_PREREQUISITE_MISSING', 'Java 17 or newer is needed for the Kafka broker: apt-get install -y openjdk-17-jre-headless');
      }
      await resolveJars();
      mkdirSync(dataDir, { recursive: true });
      writeFileSync(propsFile, brokerProperties({ dataDir, port: config.ports.kafka, controllerPort: config.ports.kafkaController }));
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
        logFile: layout.logFile('kafka'),
        pidFile: layout.pidFile('kafka'),
      }),
    async healthy() {
      const admin = await createKafkaAdapter({
        brokers: [`127.0.0.1:${config.ports.kafka}`],
        clientId: 'gridfleet-stack-health',
        logger: createLogger('silent'),
        connectTimeoutMs: 2_000,
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
