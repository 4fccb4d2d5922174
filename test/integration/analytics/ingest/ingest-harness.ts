/**
 * Shared pieces of the ingest integration tests: a fresh topic prefix and database per test, the
 * ingest process started as main.ts runs in production (a child process, so SIGKILL is real),
 * telemetry producers and the reconciliation read.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { createAvroCodec, createRegistryClient, type AvroCodec } from '../../../../services/platform/avro-codec.ts';
import type { Telemetry } from '../../../../services/platform/events.ts';
import { isPlatformError } from '../../../../services/platform/errors.ts';
import type { KafkaAdapter } from '../../../../services/platform/kafka.ts';
import { topicCatalog, TopicNames, type TopicName } from '../../../../services/platform/topics.ts';
import { applyAnalyticsSchema } from '../../../../services/analytics/ingest/analytics-schema.ts';
import { readTableCounts, reconcile } from '../../../../services/analytics/ingest/reconcile.ts';
import { testKafka } from '../../../support/clients.ts';
import { freshName, TEST_STACK_ENV, testConfig } from '../../../support/stack-env.ts';

export interface IngestWorld {
  readonly prefix: string;
  readonly database: string;
  readonly group: string;
  readonly kafka: KafkaAdapter;
  readonly codec: AvroCodec;
  readonly ch: ClickHouseClient;
  topic(t: TopicName): string;
  close(): Promise<void>;
}

export const TELEMETRY_PARTITIONS = 4;

export const createWorld = async (name: string): Promise<IngestWorld> => {
  const id = freshName(name).replace(/[^a-z0-9]/gi, '_');
  const prefix = `${id}.`;
  const database = `it_${id}`;
  const kafka = testKafka(id);
  const admin = await kafka.admin();
  try {
    // Right after other tests deleted their topics the broker may answer UNKNOWN_TOPIC_OR_PARTITION
    // while waiting for the new leaders (retriable): ensureTopics is idempotent, so try again.
    for (let attempt = 1; ; attempt++) {
      try {
        await admin.ensureTopics(topicCatalog().map((s) => ({ ...s, name: prefix + s.name, partitions: s.name === TopicNames.telemetry ? TELEMETRY_PARTITIONS : 2 })));
        break;
      } catch (e) {
        if (!isPlatformError(e) || !e.canRetry || attempt >= 5) throw e;
        await new Promise((r) => setTimeout(r, 500 * attempt));
      }
    }
  } finally {
    await admin.disconnect();
  }
  const ch = createClient({ url: testConfig().clickhouseUrl });
  await applyAnalyticsSchema(ch, database);
  return {
    prefix, database, group: `${id}-ingest`, kafka, ch,
    codec: createAvroCodec({ registry: createRegistryClient(testConfig().registryUrl) }),
    topic: (t) => prefix + t,
    async close() {
      await ch.command({ query: `DROP DATABASE IF EXISTS ${database}` }).catch(() => undefined);
      await ch.close();
      const a = await kafka.admin();
      try {
        await a.deleteTopics(topicCatalog().map((s) => prefix + s.name));
      } finally {
        await a.disconnect();
      }
    },
  };
};

export interface IngestProcess {
  readonly child: ChildProcess;
  readonly output: () => string;
  /** Resolves with the exit code or signal. */
  readonly exited: Promise<string>;
  stop(): Promise<string>;
}

export const startIngest = (w: IngestWorld, extraEnv: Record<string, string> = {}): IngestProcess => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/analytics/ingest/main.ts'], {
    env: {
      PATH: process.env['PATH'] ?? '',
      ...TEST_STACK_ENV,
      LOG_LEVEL: 'info',
      INGEST_GROUP_ID: w.group,
      INGEST_DATABASE: w.database,
      INGEST_TOPIC_PREFIX: w.prefix,
      INGEST_METRICS_PORT: '0',
      INGEST_SESSION_TIMEOUT_MS: '6000',
      INGEST_MAX_WAIT_MS: '300',
      INGEST_LAG_REFRESH_MS: '500',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<string>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? String(code))));
  return {
    child, exited, output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
};

export const telemetryFrame = (i: number, baseMs: number): Telemetry => ({
  deviceId: `dev-${i % 50}`,
  siteId: `site-${i % 50}`,
  seq: Math.floor(i / 50),
  measuredAtMs: baseMs + Math.floor(i / 50) * 5_000,
  receivedAtMs: baseMs + Math.floor(i / 50) * 5_000 + 40,
  socPct: 20 + (i % 60),
  batteryKw: ((i % 11) - 5) * 0.5,
  solarKw: (i % 9) * 0.4,
  loadKw: 0.5 + (i % 4) * 0.25,
  gridKw: ((i % 7) - 3) * 0.3,
  batteryTempC: 20 + (i % 8),
  mode: 'SELF_CONSUMPTION',
  alarms: i % 97 === 0 ? ['HIGH_TEMP'] : [],
  activeCommandId: null,
});

/** Produces frames [from, to) to the world's telemetry topic, keyed by site. */
export const produceTelemetry = async (w: IngestWorld, from: number, to: number, baseMs = Date.now() - 3_600_000): Promise<void> => {
  const producer = await w.kafka.producer();
  try {
    for (let start = from; start < to; start += 2_000) {
      const frames = Array.from({ length: Math.min(2_000, to - start) }, (_, k) => telemetryFrame(start + k, baseMs));
      const values = await Promise.all(frames.map((f) => w.codec.encode(TopicNames.telemetry, f)));
      await producer.send(w.topic(TopicNames.telemetry), frames.map((f, k) => ({ key: f.siteId, value: values[k] ?? null })));
    }
  } finally {
    await producer.disconnect();
  }
};

/** Records per partition of a topic (end - start offsets). */
export const producedByPartition = async (w: IngestWorld, t: TopicName): Promise<Map<number, number>> => {
  const admin = await w.kafka.admin();
  try {
    return new Map((await admin.topicOffsets(w.topic(t))).map((o) => [o.partition, Number(o.high) - Number(o.low)]));
  } finally {
    await admin.disconnect();
  }
};

/** Telemetry records the world's ingest group has committed, summed over partitions. */
export const committedTelemetry = async (w: IngestWorld): Promise<number> => {
  const admin = await w.kafka.admin();
  try {
    return (await admin.groupOffsets(w.group, w.topic(TopicNames.telemetry))).reduce((n, o) => n + Math.max(0, Number(o.offset)), 0);
  } finally {
    await admin.disconnect();
  }
};

export const telemetryProblems = async (w: IngestWorld): Promise<string[]> =>
  reconcile(await producedByPartition(w, TopicNames.telemetry), await readTableCounts(w.ch, `${w.database}.telemetry`, 'device_id, seq'));

export const countOf = async (ch: ClickHouseClient, query: string): Promise<number> => {
  const rows = await (await ch.query({ query, format: 'JSONEachRow' })).json<Record<string, string | number>>();
  return Number(Object.values(rows[0] ?? {})[0] ?? 0);
};

/** The lag gauge of each partition of a physical topic, read from a /metrics text. */
export const lagOf = (metricsText: string, topic: string): Map<number, number> => {
  const out = new Map<number, number>();
  for (const m of metricsText.matchAll(/^gridfleet_ingest_lag_records\{topic="([^"]*)",partition="(\d+)"\} (\S+)$/gm)) {
    if (m[1] === topic) out.set(Number(m[2]), Number(m[3]));
  }
  return out;
};

/** Polls until `check` returns true or the time runs out. */
export const eventually = async (check: () => Promise<boolean>, timeoutMs: number, everyMs = 250): Promise<boolean> => {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check().catch(() => false)) return true;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return check().catch(() => false);
};
