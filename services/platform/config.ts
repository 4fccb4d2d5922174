/**
 * Configuration is parsed once, here, from the environment: parseConfig(env) returns a frozen,
 * typed config or throws a PlatformError listing every problem at once. Nothing else reads
 * process.env. Every field documents its variable and default.
 */
import { configInvalid, PlatformError } from './errors.ts';
import { LogLevels, type LogLevel } from './logger.ts';
import { checkKafkaBrokers, checkSecret, Environments, type Environment } from './production-checks.ts';

/** SASL and TLS of the Kafka connection: what a secured cluster (the secure stack, a managed Kafka) needs. */
export interface KafkaSecurity {
  /** KAFKA_SASL_MECHANISM (plain | scram-sha-256 | scram-sha-512), KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD; null: no SASL. */
  readonly sasl: { readonly mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; readonly username: string; readonly password: string } | null;
  /** KAFKA_SSL=1 or KAFKA_SSL_CA_FILE (a PEM bundle to trust besides the system's): TLS to the brokers; null: plaintext. */
  readonly ssl: { readonly caFile: string | null } | null;
}

/** REGISTRY_USERNAME and REGISTRY_PASSWORD: HTTP basic auth to the schema registry; null: none. */
export interface RegistryAuth {
  readonly username: string;
  readonly password: string;
}

export interface StackPorts {
  /** KAFKA_PORT, default 9092: the broker's client listener. */
  readonly kafka: number;
  /** KAFKA_CONTROLLER_PORT, default 9093: the KRaft controller listener. */
  readonly kafkaController: number;
  /** REGISTRY_PORT, default 8081: the schema registry's HTTP port. */
  readonly registry: number;
  /** CLICKHOUSE_PORT, default 8123: ClickHouse's HTTP interface. */
  readonly clickhouse: number;
  /** REDIS_PORT, default 6379. */
  readonly redis: number;
}

export interface Config {
  /** GRIDFLEET_ENV, default development: production refuses development secrets (production-checks.ts). */
  readonly environment: Environment;
  readonly kafkaSecurity: KafkaSecurity;
  readonly registryAuth: RegistryAuth | null;
  /** GRIDFLEET_STATE_DIR, default `.state`: data of the embedded stack; a relative path is resolved against the repository root (services/embedded/stack/layout.ts), not the working directory. */
  readonly stateDir: string;
  /** GRIDFLEET_CACHE_DIR, default `.state/cache`: downloads (the Kafka jars), shared by every state folder. */
  readonly cacheDir: string;
  readonly ports: StackPorts;
  /**
   * KAFKA_BROKER_COUNT, default 1: how many KRaft nodes the embedded stack runs (1, or 3 for a
   * replicated cluster; `npm run stack -- up --brokers=3` sets it). Node n (1-based) listens on
   * KAFKA_PORT + 2(n-1) and KAFKA_CONTROLLER_PORT + 2(n-1) (see kafkaNodes).
   */
  readonly kafkaBrokerCount: number;
  /** KAFKA_BROKERS, default every embedded node, `127.0.0.1:<KAFKA_PORT>,...`: comma-separated host:port list. */
  readonly kafkaBrokers: readonly string[];
  /**
   * Replication of the topics the stack creates: min(3, KAFKA_BROKER_COUNT). Topics then require
   * replication - 1 in-sync replicas (min.insync.replicas=2 on three brokers), so acks=-1 survives
   * the loss of one broker and refuses writes only one broker could hold.
   */
  readonly kafkaReplicationFactor: number;
  /** REGISTRY_URL, default `http://127.0.0.1:<REGISTRY_PORT>`. */
  readonly registryUrl: string;
  /** CLICKHOUSE_URL, default `http://127.0.0.1:<CLICKHOUSE_PORT>`. */
  readonly clickhouseUrl: string;
  /** REDIS_URL, default `redis://127.0.0.1:<REDIS_PORT>`. */
  readonly redisUrl: string;
  /** KAFKA_VERSION, default 4.4.0: the Apache Kafka release the embedded broker runs. */
  readonly kafkaVersion: string;
  /** KAFKA_HEAP_MB, default 768: the broker JVM's heap, min and max. */
  readonly kafkaHeapMb: number;
  /** KAFKA_PARTITIONS_SCALE, default 1: multiplies every topic's partition count (at least 1). */
  readonly partitionsScale: number;
  /** LOG_LEVEL, default info: debug | info | warn | error | silent. */
  readonly logLevel: LogLevel;
  /**
   * Simulated time shared by the processes of a simulation: SIM_SPEED (default 1 = real time),
   * SIM_START_MS (simulated time at SIM_REAL_START_MS; both default to "now" when the speed is 1).
   * Null means real time.
   */
  readonly sim: { readonly speed: number; readonly simStartMs: number; readonly realStartMs: number } | null;
}

/** One embedded KRaft node: its id and the two ports it listens on. */
export interface KafkaNode {
  readonly id: number;
  readonly port: number;
  readonly controllerPort: number;
}

/** The embedded stack's Kafka nodes: ids 1..count, ports two apart from the configured pair. Pure. */
export const kafkaNodes = (ports: Pick<StackPorts, 'kafka' | 'kafkaController'>, count: number): readonly KafkaNode[] =>
  Array.from({ length: count }, (_, i) => ({ id: i + 1, port: ports.kafka + 2 * i, controllerPort: ports.kafkaController + 2 * i }));

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * The readers every service's parse*Config uses: blank counts as unset, and a bad value adds a
 * line to `problems` (so a config lists every problem at once) and yields the default.
 */
export const envReader = (env: Env, problems: string[]): { get: (name: string) => string | undefined; int: (name: string, dflt: number, min: number, max: number) => number } => {
  const get = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const int = (name: string, dflt: number, min: number, max: number): number => {
    const raw = get(name);
    if (raw === undefined) return dflt;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name}=${raw} must be an integer from ${min} to ${max}`);
      return dflt;
    }
    return n;
  };
  return { get, int };
};

/** GRIDFLEET_ENV: every service's config reads it through here. */
export const parseEnvironment = (env: Env, problems: string[]): Environment => {
  const raw = env['GRIDFLEET_ENV']?.trim() || Environments.development;
  if (raw === Environments.development || raw === Environments.production) return raw;
  problems.push(`GRIDFLEET_ENV=${raw} must be development or production`);
  // An unknown value is treated as production: fail closed.
  return Environments.production;
};

const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;

const parseKafkaSecurity = (get: (name: string) => string | undefined, environment: Environment, problems: string[]): KafkaSecurity => {
  const mechanismRaw = get('KAFKA_SASL_MECHANISM')?.toLowerCase();
  const username = get('KAFKA_SASL_USERNAME');
  const password = get('KAFKA_SASL_PASSWORD');
  let sasl: KafkaSecurity['sasl'] = null;
  if (mechanismRaw !== undefined || username !== undefined || password !== undefined) {
    const mechanism = SASL_MECHANISMS.find((m) => m === (mechanismRaw ?? 'scram-sha-512'));
    if (mechanism === undefined) problems.push(`KAFKA_SASL_MECHANISM=${mechanismRaw ?? ''} must be one of ${SASL_MECHANISMS.join(', ')}`);
    if (username === undefined || password === undefined) problems.push('KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD go together');
    else if (mechanism !== undefined) sasl = Object.freeze({ mechanism, username, password });
    checkSecret(environment, problems, { name: 'KAFKA_SASL_PASSWORD', value: password, wasSet: password !== undefined });
  }
  const caFile = get('KAFKA_SSL_CA_FILE') ?? null;
  const sslFlag = get('KAFKA_SSL');
  if (sslFlag !== undefined && sslFlag !== '0' && sslFlag !== '1') problems.push(`KAFKA_SSL=${sslFlag} must be 0 or 1`);
  const ssl = sslFlag === '1' || (caFile !== null && sslFlag !== '0') ? Object.freeze({ caFile }) : null;
  return Object.freeze({ sasl, ssl });
};

const parseRegistryAuth = (get: (name: string) => string | undefined, environment: Environment, problems: string[]): RegistryAuth | null => {
  const username = get('REGISTRY_USERNAME');
  const password = get('REGISTRY_PASSWORD');
  if (username === undefined && password === undefined) return null;
  if (username === undefined || password === undefined) {
    problems.push('REGISTRY_USERNAME and REGISTRY_PASSWORD go together');
    return null;
  }
  checkSecret(environment, problems, { name: 'REGISTRY_PASSWORD', value: password, wasSet: true });
  return Object.freeze({ username, password });
};

/** The password in a URL's user part, if any (Redis and ClickHouse URLs may carry credentials). */
const urlPassword = (raw: string): string | undefined => {
  try {
    const p = new URL(raw).password;
    return p === '' ? undefined : decodeURIComponent(p);
  } catch {
    return undefined;
  }
};

/**
 * The platform config inside a service's parser: its problems join the service's own, so one
 * CONFIG_INVALID lists both. Undefined when it failed (the caller then throws with `problems`).
 */
export const parsePlatformInto = (env: Env, problems: string[]): Config | undefined => {
  try {
    return parseConfig(env);
  } catch (e) {
    if (!(e instanceof PlatformError) || e.code !== 'CONFIG_INVALID') throw e;
    problems.push(...e.problems);
    return undefined;
  }
};

const isLogLevel = (s: string): s is LogLevel => Object.hasOwn(LogLevels, s);

export const parseConfig = (env: Env): Config => {
  const problems: string[] = [];
  const { get, int } = envReader(env, problems);
  const url = (name: string, dflt: string, protocols: readonly string[]): string => {
    const raw = get(name) ?? dflt;
    try {
      const u = new URL(raw);
      if (!protocols.includes(u.protocol)) problems.push(`${name}=${raw} must use ${protocols.join(' or ')}`);
    } catch {
      problems.push(`${name}=${raw} is not a URL`);
    }
    return raw.replace(/\/+$/, '');
  };

  const ports: StackPorts = Object.freeze({
    kafka: int('KAFKA_PORT', 9092, 1, 65535),
    kafkaController: int('KAFKA_CONTROLLER_PORT', 9093, 1, 65535),
    registry: int('REGISTRY_PORT', 8081, 1, 65535),
    clickhouse: int('CLICKHOUSE_PORT', 8123, 1, 65535),
    redis: int('REDIS_PORT', 6379, 1, 65535),
  });
  const portList = Object.entries(ports);
  for (const [i, [name, port]] of portList.entries()) {
    const clash = portList.slice(i + 1).find(([, p]) => p === port);
    if (clash) problems.push(`ports ${name} and ${clash[0]} are both ${port}`);
  }

  const brokerCount = int('KAFKA_BROKER_COUNT', 1, 1, 9);
  const nodes = kafkaNodes(ports, brokerCount);
  // Node 1 is checked with the other ports above; the further nodes' ports must be free of them all.
  const taken = new Set(Object.values(ports));
  for (const n of nodes.slice(1)) {
    for (const p of [n.port, n.controllerPort]) {
      if (taken.has(p) || p > 65535) problems.push(`Kafka node ${n.id}'s port ${p} (KAFKA_PORT or KAFKA_CONTROLLER_PORT + ${2 * (n.id - 1)}) clashes with another port or is out of range`);
      taken.add(p);
    }
  }
  const brokers = (get('KAFKA_BROKERS') ?? nodes.map((n) => `127.0.0.1:${n.port}`).join(',')).split(',').map((b) => b.trim());
  for (const b of brokers) if (!/^[^:\s]+:\d{1,5}$/.test(b)) problems.push(`KAFKA_BROKERS entry "${b}" must be host:port`);

  const logLevelRaw = get('LOG_LEVEL') ?? 'info';
  const kafkaVersion = get('KAFKA_VERSION') ?? '4.4.0';
  if (!/^\d+\.\d+\.\d+$/.test(kafkaVersion)) problems.push(`KAFKA_VERSION=${kafkaVersion} must look like 4.4.0`);

  const simSpeed = Number(get('SIM_SPEED') ?? '1');
  if (!Number.isFinite(simSpeed) || simSpeed <= 0 || simSpeed > 100_000) problems.push(`SIM_SPEED=${get('SIM_SPEED')} must be a number above 0 and at most 100000`);
  const simStart = get('SIM_START_MS');
  const simRealStart = get('SIM_REAL_START_MS');
  if ((simStart === undefined) !== (simRealStart === undefined)) problems.push('SIM_START_MS and SIM_REAL_START_MS go together');
  for (const [name, v] of [['SIM_START_MS', simStart], ['SIM_REAL_START_MS', simRealStart]] as const) {
    if (v !== undefined && !Number.isSafeInteger(Number(v))) problems.push(`${name}=${v} must be epoch milliseconds`);
  }
  if (simStart === undefined && simSpeed !== 1) problems.push('SIM_SPEED other than 1 needs SIM_START_MS and SIM_REAL_START_MS, so every process agrees on simulated time');

  const environment = parseEnvironment(env, problems);
  const kafkaSecurity = parseKafkaSecurity(get, environment, problems);
  checkKafkaBrokers(environment, problems, { brokers, sasl: kafkaSecurity.sasl !== null, ssl: kafkaSecurity.ssl !== null });
  const registryAuth = parseRegistryAuth(get, environment, problems);
  for (const name of ['REDIS_URL', 'CLICKHOUSE_URL']) {
    const pw = urlPassword(get(name) ?? '');
    if (pw !== undefined) checkSecret(environment, problems, { name: `the password in ${name}`, value: pw, wasSet: true });
  }

  const config: Config = {
    environment,
    kafkaSecurity,
    registryAuth,
    stateDir: get('GRIDFLEET_STATE_DIR') ?? '.state',
    cacheDir: get('GRIDFLEET_CACHE_DIR') ?? '.state/cache',
    ports,
    kafkaBrokerCount: brokerCount,
    kafkaBrokers: Object.freeze(brokers),
    kafkaReplicationFactor: Math.min(3, brokerCount),
    registryUrl: url('REGISTRY_URL', `http://127.0.0.1:${ports.registry}`, ['http:', 'https:']),
    clickhouseUrl: url('CLICKHOUSE_URL', `http://127.0.0.1:${ports.clickhouse}`, ['http:', 'https:']),
    redisUrl: url('REDIS_URL', `redis://127.0.0.1:${ports.redis}`, ['redis:', 'rediss:']),
    kafkaVersion,
    kafkaHeapMb: int('KAFKA_HEAP_MB', 768, 128, 16384),
    partitionsScale: int('KAFKA_PARTITIONS_SCALE', 1, 1, 64),
    logLevel: isLogLevel(logLevelRaw) ? logLevelRaw : 'info',
    sim: simStart === undefined || simRealStart === undefined ? null : Object.freeze({ speed: simSpeed, simStartMs: Number(simStart), realStartMs: Number(simRealStart) }),
  };
  if (!isLogLevel(logLevelRaw)) problems.push(`LOG_LEVEL=${logLevelRaw} must be one of ${Object.keys(LogLevels).join(', ')}`);

  if (problems.length > 0) throw configInvalid('Platform', problems);
  return Object.freeze(config);
};
