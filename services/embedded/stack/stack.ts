/**
 * The embedded stack: `up` (idempotent: starts what is not running and waits until every part
 * answers), `down` (stops only what `up` started, by pid file), `status`, and `migrate` (topic
 * catalog, schema registration and ClickHouse migrations, also run by `up`).
 */
import { existsSync, readdirSync } from 'node:fs';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import { defaultMigrationsDir, migrate as migrateClickhouse } from '../clickhouse/migrate.ts';
import type { Config } from '../../platform/config.ts';
import { PlatformError } from '../../platform/errors.ts';
import { createKafkaAdapter } from '../../platform/kafka.ts';
import type { Logger } from '../../platform/logger.ts';
import { createAvroCodec, createRegistryClient } from '../../platform/avro-codec.ts';
import { allTopics } from '../../platform/schemas.ts';
import { topicCatalog } from '../../platform/topics.ts';
import { backboneGrants } from './backbone-acls.ts';
import { kafkaParts } from './kafka-part.ts';
import { REPO_ROOT, stackLayout, type PartName, type ProcessName, type StackLayout } from './layout.ts';
import { clickhousePart, registryPart } from './node-parts.ts';
import type { Part, PartPort } from './part.ts';
import { livePid, portFree, removeFile, stopPid, tailOf, waitUntil } from './processes.ts';
import { redisPart } from './redis-part.ts';
import { claimMode, prepareSecureStack, recordedMode, type StackMode } from './secure-mode.ts';

export const ALL_PARTS: readonly PartName[] = ['kafka', 'registry', 'redis', 'clickhouse'];

export interface PartStatus {
  /** A part, or one Kafka node of a cluster (kafka-1, kafka-2, ...). */
  readonly name: ProcessName;
  readonly port: number;
  readonly pid: number | undefined;
  readonly state: 'up' | 'down' | 'unhealthy';
}

export interface Stack {
  readonly layout: StackLayout;
  /** The mode this stack object acts in (options.secure, else the recorded one). */
  readonly mode: StackMode;
  up(parts?: readonly PartName[]): Promise<{ started: ProcessName[]; alreadyRunning: ProcessName[]; seconds: number }>;
  /** Stops what `up` started; for 'kafka', every node it finds a pid file of, whatever the configured count. */
  down(parts?: readonly PartName[]): Promise<ProcessName[]>;
  status(): Promise<PartStatus[]>;
  /** Topic catalog and schemas (Kafka and registry), then ClickHouse migrations. */
  migrate(): Promise<{ topicsCreated: string[]; schemaIds: Record<string, number>; clickhouseApplied: string[] }>;
}

/** Every port a part needs free before it starts: its main port first. Pure. */
export const partPorts = (p: Pick<Part, 'port' | 'portVariable' | 'extraPorts'>): PartPort[] => [
  { port: p.port, variable: p.portVariable, role: '' },
  ...(p.extraPorts ?? []),
];

/** What to tell the user when a port of a part is taken: which port, which part, how to fix it. Pure. */
export const portTakenMessage = (name: ProcessName, taken: PartPort): string => {
  const other = taken.port + 10000 <= 65535 ? taken.port + 10000 : taken.port - 10000;
  return `port ${taken.port} for ${name}${taken.role === '' ? '' : ` (${taken.role})`} is taken by a process this stack did not start. ` +
    `Stop that process (see: ss -ltnp 'sport = :${taken.port}') or choose another port, e.g. ${taken.variable}=${other} npm run stack -- up`;
};

/** The Kafka processes (the single broker, or cluster nodes) that have a pid file in runDir, whatever the config says. */
const kafkaProcessesOnDisk = (runDir: string): ProcessName[] =>
  existsSync(runDir)
    ? readdirSync(runDir).map((f) => /^(kafka(?:-\d+)?)\.pid$/.exec(f)?.[1]).filter((n): n is ProcessName => n !== undefined)
    : [];

/** The parts only the analytics tier uses; the operational tier never waits on them. */
const ANALYTICS_PARTS: ReadonlySet<ProcessName> = new Set(['clickhouse', 'redis']);

/** Analytics processes run at this niceness (best effort: an unprivileged user may only raise it). */
export const ANALYTICS_NICE = 10;
/** Moves a process of the analytics tier (a stack part, or a service the demo or a bench starts) to ANALYTICS_NICE. */
export const lowerPriority = (pid: number): void => {
  try {
    setPriority(pid, ANALYTICS_NICE);
  } catch {
    /* not permitted: the part runs at the default priority */
  }
};

export interface StackOptions {
  /**
   * The secured backbone (`up --secure`, secure-mode.ts): SASL/SCRAM and ACLs on Kafka, basic
   * auth on the registry, Redis ACL users, ClickHouse passwords; credentials in <state>/secrets.
   * Default: the mode the running stack was started in (run/mode), so status and down need no flag.
   */
  readonly secure?: boolean;
}

export const createStack = (config: Config, logger: Logger, options: StackOptions = {}): Stack => {
  const layout = stackLayout(config.stateDir, config.cacheDir);
  const mode: StackMode = options.secure === undefined ? recordedMode(layout) : options.secure ? 'secure' : 'plaintext';
  const secured = mode === 'secure' ? prepareSecureStack(config, layout) : undefined;
  const kafkaNodes = kafkaParts(config, layout, secured?.kafka);
  const parts: Record<Exclude<PartName, 'kafka'>, Part> = {
    registry: registryPart(config, layout, secured ? { env: secured.registryEnv, login: secured.registryAdmin } : undefined),
    redis: redisPart(config, layout, secured?.redisUsers),
    clickhouse: clickhousePart(config, layout, secured?.clickhouseEnv),
  };
  const kafkaSecurity = secured ? { security: secured.kafkaAdmin } : {};

  const healthy = (p: Part): Promise<boolean> => p.healthy().catch(() => false);

  /** Starts one part unless it runs already; returns whether it was started. */
  const ensure = async (p: Part): Promise<boolean> => {
    const pidFile = layout.pidFile(p.name);
    const otherMode = kafkaProcessesOnDisk(layout.runDir).filter((n) => n !== p.name && (n === 'kafka') !== (p.name === 'kafka'));
    if (p.name.startsWith('kafka') && otherMode.some((n) => livePid(layout.pidFile(n)) !== undefined)) {
      throw new PlatformError('STACK_START_FAILED', `Kafka runs in the other mode (${otherMode.join(', ')}) in ${layout.stateDir}; run 'npm run stack -- down' first, then 'up' with the broker count you want`);
    }
    const pid = livePid(pidFile);
    if (pid !== undefined) {
      if (await waitUntil(() => healthy(p), p.startTimeoutMs)) return false;
      throw new PlatformError('STACK_START_FAILED', `${p.name} (pid ${pid}) runs but does not answer on port ${p.port}; see ${layout.logFile(p.name)}:\n${tailOf(layout.logFile(p.name))}\nFix it or run 'npm run stack -- down' and retry.`);
    }
    removeFile(pidFile);
    for (const candidate of partPorts(p)) {
      if (!(await portFree(candidate.port))) throw new PlatformError('STACK_PORT_TAKEN', portTakenMessage(p.name, candidate));
    }
    await p.prepare();
    const started = Date.now();
    const newPid = p.launch();
    // ClickHouse and Redis (BullMQ's store for the forecast jobs) serve only the analytics tier: on
    // shared cores they yield the CPU to everything else (an analyst's heavy query, or Redis loading
    // its append-only file after a restart, must not slow the control path down).
    if (ANALYTICS_PARTS.has(p.name)) lowerPriority(newPid);
    logger.info('starting', { part: p.name, pid: newPid, port: p.port });
    const ok = await waitUntil(async () => {
      if (livePid(pidFile) === undefined) throw new PlatformError('STACK_START_FAILED', `${p.name} exited during start-up`);
      return healthy(p);
    }, p.startTimeoutMs).catch(() => false);
    if (!ok) {
      const stillThere = livePid(pidFile);
      if (stillThere !== undefined) await stopPid(stillThere, 5_000);
      removeFile(pidFile);
      throw new PlatformError('STACK_START_FAILED', `${p.name} did not become healthy on port ${p.port} within ${p.startTimeoutMs / 1000}s; last lines of ${layout.logFile(p.name)}:\n${tailOf(layout.logFile(p.name))}`);
    }
    logger.info('up', { part: p.name, pid: newPid, port: p.port, seconds: (Date.now() - started) / 1000 });
    return true;
  };

  const kafkaAdmin = (): ReturnType<ReturnType<typeof createKafkaAdapter>['admin']> =>
    createKafkaAdapter({ brokers: config.kafkaBrokers, clientId: 'gridfleet-migrate', logger, ...kafkaSecurity }).admin();

  /** Deny by default: every service principal gets exactly its row of the matrix (before the registry, a principal too, starts). */
  const applyAcls = async (): Promise<void> => {
    if (!secured) return;
    const admin = await kafkaAdmin();
    try {
      await admin.replaceAcls(backboneGrants());
    } finally {
      await admin.disconnect();
    }
  };

  const migrateKafka = async (): Promise<{ topicsCreated: string[]; schemaIds: Record<string, number> }> => {
    const admin = await kafkaAdmin();
    try {
      const topicsCreated = await admin.ensureTopics(topicCatalog({ scale: config.partitionsScale, replicationFactor: config.kafkaReplicationFactor }));
      const codec = createAvroCodec({ registry: createRegistryClient(config.registryUrl, secured?.registryAdmin) });
      const schemaIds = await codec.registerAll(allTopics());
      return { topicsCreated, schemaIds };
    } finally {
      await admin.disconnect();
    }
  };

  const migrateTables = async (): Promise<string[]> => {
    const client = createClient({ url: config.clickhouseUrl, ...(secured ? secured.clickhouseAdmin : {}) });
    try {
      return await migrateClickhouse(client, join(REPO_ROOT, defaultMigrationsDir));
    } finally {
      await client.close();
    }
  };

  const migrate: Stack['migrate'] = async () => {
    await applyAcls();
    return { ...(await migrateKafka()), clickhouseApplied: await migrateTables() };
  };

  return {
    layout,
    mode,
    async up(only = ALL_PARTS) {
      const t0 = Date.now();
      const running = [...kafkaProcessesOnDisk(layout.runDir), ...ALL_PARTS.filter((n) => n !== 'kafka')].filter((n) => livePid(layout.pidFile(n)) !== undefined);
      claimMode(layout, mode, running);
      const want = (n: PartName): boolean => only.includes(n);
      const started: ProcessName[] = [];
      const already: ProcessName[] = [];
      const track = async (p: Part): Promise<void> => {
        (await ensure(p) ? started : already).push(p.name);
      };
      // Kafka then the registry (it stores schemas in Kafka); Redis and ClickHouse meanwhile.
      const kafkaChain = async (): Promise<void> => {
        // Every node at once: a node of a three-voter quorum answers only once a second one is up.
        if (want('kafka')) await Promise.all(kafkaNodes.map(track));
        if (want('kafka')) await applyAcls();
        if (want('registry')) await track(parts.registry);
        if (want('kafka') && want('registry')) await migrateKafka();
      };
      const clickhouseChain = async (): Promise<void> => {
        await track(parts.clickhouse);
        await migrateTables();
      };
      const results = await Promise.allSettled([
        kafkaChain(),
        want('redis') ? track(parts.redis) : Promise.resolve(),
        want('clickhouse') ? clickhouseChain() : Promise.resolve(),
      ]);
      const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failures.length > 0) {
        const first: unknown = failures[0]?.reason;
        if (failures.length === 1) throw first;
        throw new PlatformError('STACK_START_FAILED', failures.map((f) => (f.reason instanceof Error ? f.reason.message : String(f.reason))).join('\n\n'));
      }
      return { started, alreadyRunning: already, seconds: (Date.now() - t0) / 1000 };
    },
    async down(only = ALL_PARTS) {
      const stopped: ProcessName[] = [];
      const stop = async (name: ProcessName): Promise<void> => {
        const pid = livePid(layout.pidFile(name));
        if (pid !== undefined) {
          const how = await stopPid(pid, name.startsWith('kafka') ? 60_000 : 20_000);
          logger.info('stopped', { part: name, pid, how });
          stopped.push(name);
        }
        removeFile(layout.pidFile(name));
      };
      // Reverse dependency order: the registry before Kafka.
      for (const name of [...ALL_PARTS].reverse().filter((n) => only.includes(n))) {
        if (name !== 'kafka') await stop(name);
        // Every node found, in parallel: a node waits for its quorum to shut down cleanly.
        else await Promise.all([...new Set([...kafkaNodes.map((k) => k.name), ...kafkaProcessesOnDisk(layout.runDir)])].map(stop));
      }
      return stopped;
    },
    async status() {
      const all: Part[] = [...kafkaNodes, parts.registry, parts.redis, parts.clickhouse];
      return Promise.all(
        all.map(async (p): Promise<PartStatus> => {
          const pid = livePid(layout.pidFile(p.name));
          if (pid === undefined) return { name: p.name, port: p.port, pid, state: 'down' };
          return { name: p.name, port: p.port, pid, state: (await healthy(p)) ? 'up' : 'unhealthy' };
        }),
      );
    },
    migrate,
  };
};
