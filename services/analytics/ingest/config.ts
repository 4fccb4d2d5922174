/**
 * The ingest service's own settings, parsed once from the environment next to the platform's
 * (`parseConfig`). Pure: main.ts passes process.env in. Every field documents its variable and
 * default; an invalid value fails listing every problem at once.
 */
import { envReader, parseEnvironment, type Env } from '../../platform/config.ts';
import { configInvalid } from '../../platform/errors.ts';
import { parseListener } from '../../platform/listener-config.ts';
import { checkClickhouseLogin } from '../../platform/production-checks.ts';
import { TopicNames, type TopicName } from '../../platform/topics.ts';

export const FaultPoints = { beforeInsert: 'before-insert', midInsert: 'mid-insert', afterInsert: 'after-insert', stallInsert: 'stall-insert' } as const;
export type FaultPoint = (typeof FaultPoints)[keyof typeof FaultPoints];

/**
 * Kill the process (SIGKILL) at a point of the Nth insert, or hold the Nth insert back for
 * `stallMs` after its plan was recorded (a stalled process whose partitions move meanwhile): for
 * the crash-window and rebalance tests only.
 */
export interface FaultPlan {
  readonly point: FaultPoint;
  readonly atInsert: number;
  readonly stallMs: number;
}

export interface IngestConfig {
  /** INGEST_GROUP_ID, default gridfleet-ingest: the analytics tier's own consumer group. */
  readonly groupId: string;
  /** INGEST_DATABASE, default gridfleet. */
  readonly database: string;
  /** INGEST_CLICKHOUSE_USER / INGEST_CLICKHOUSE_PASSWORD, default ingest / ingest. */
  readonly clickhouseUser: string;
  readonly clickhousePassword: string;
  /** INGEST_TOPICS, default every topic of the catalog: comma-separated logical topic names. */
  readonly topics: readonly TopicName[];
  /** INGEST_TOPIC_PREFIX, default empty: physical topic = prefix + logical name (tests use fresh prefixes). */
  readonly topicPrefix: string;
  /** INGEST_BATCH_RECORDS, default 20000: records per aligned batch window of a partition. */
  readonly batchRecords: number;
  /** INGEST_BATCH_MAX_BYTES, default 16 MiB: a batch is cut early at this many encoded bytes. */
  readonly batchMaxBytes: number;
  /** INGEST_MAX_WAIT_MS, default 1000: a non-empty batch is flushed after this long. */
  readonly maxWaitMs: number;
  /** INGEST_MAX_BUFFERED_BYTES, default 128 MiB: across all partitions; above it batches flush early. */
  readonly maxBufferedBytes: number;
  /** INGEST_CONCURRENCY, default 4: partitions handled at once. */
  readonly concurrency: number;
  /** INGEST_RETRY_MAX_MS, default 10000: cap of the insert retry backoff (starts at 100 ms). */
  readonly retryMaxMs: number;
  /** INGEST_SESSION_TIMEOUT_MS, default 30000: Kafka group session timeout. */
  readonly sessionTimeoutMs: number;
  /** INGEST_LAG_REFRESH_MS, default 5000: how often the lag gauge is read from Kafka (high-water marks and committed offsets). */
  readonly lagRefreshMs: number;
  /** INGEST_METRICS_PORT, default 9464 (0 picks a free port): /metrics and /healthz. */
  readonly metricsPort: number;
  /** INGEST_METRICS_HOST, default 127.0.0.1 (plain HTTP: in production it stays on loopback). */
  readonly metricsHost: string;
  /**
   * INGEST_RECORD_PLANS, default 1: commit each batch's range to the group before inserting it, so
   * whoever resumes the partition rebuilds the same batch. 0 only in tests, to show the duplicate a
   * rebalance causes without it.
   */
  readonly recordPlans: boolean;
  /**
   * INGEST_FRAME_DEDUP, default 1: keep one telemetry row per (device, seq) (telemetry-dedup.ts).
   * 0 only in tests that show what the offsets-based exactly-once alone prevents (rebalance.test.ts).
   */
  readonly frameDedup: boolean;
  /** INGEST_REJECTED_RETRY_MS, default 60000: how long a topic whose inserts ClickHouse rejects for good (e.g. unknown table) waits before the next try. */
  readonly rejectedRetryMs: number;
  /** INGEST_FAULT, default none: `<before-insert|mid-insert|after-insert>:<n>` kills the process at the nth insert; `stall-insert:<n>:<ms>` holds it back. */
  readonly fault: FaultPlan | null;
}

const ALL_TOPICS = Object.values(TopicNames) as TopicName[];
const isTopic = (s: string): s is TopicName => (ALL_TOPICS as string[]).includes(s);
const isFaultPoint = (s: string): s is FaultPoint => (Object.values(FaultPoints) as string[]).includes(s);

export const parseIngestConfig = (env: Env): IngestConfig => {
  const problems: string[] = [];
  const reader = envReader(env, problems);
  const { get, int } = reader;
  const environment = parseEnvironment(env, []);
  const listener = parseListener(reader, environment, problems, { prefix: 'INGEST_METRICS', portVar: 'INGEST_METRICS_PORT', defaultPort: 9464, tlsCapable: false });
  const clickhouseUser = get('INGEST_CLICKHOUSE_USER') ?? 'ingest';
  const clickhousePassword = env['INGEST_CLICKHOUSE_PASSWORD'] ?? 'ingest';
  checkClickhouseLogin(environment, problems, { userVar: 'INGEST_CLICKHOUSE_USER', user: clickhouseUser, passwordVar: 'INGEST_CLICKHOUSE_PASSWORD', password: clickhousePassword, passwordSet: env['INGEST_CLICKHOUSE_PASSWORD'] !== undefined });
  const name = (v: string, what: string): string => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(v)) problems.push(`${what}=${v} must be a plain identifier`);
    return v;
  };

  const topicsRaw = get('INGEST_TOPICS');
  const topics = topicsRaw === undefined ? ALL_TOPICS : topicsRaw.split(',').map((t) => t.trim());
  for (const t of topics) if (!isTopic(t)) problems.push(`INGEST_TOPICS entry ${t} is not a topic of the catalog (${ALL_TOPICS.join(', ')})`);

  let fault: FaultPlan | null = null;
  const faultRaw = get('INGEST_FAULT');
  if (faultRaw !== undefined) {
    const [point = '', n = '', ms = '0'] = faultRaw.split(':');
    if (!isFaultPoint(point) || !/^\d+$/.test(n) || Number(n) < 1 || !/^\d+$/.test(ms)) problems.push(`INGEST_FAULT=${faultRaw} must be <${Object.values(FaultPoints).join('|')}>:<n>=1..[:<stall ms>]`);
    else fault = { point, atInsert: Number(n), stallMs: Number(ms) };
  }

  const config: IngestConfig = {
    groupId: get('INGEST_GROUP_ID') ?? 'gridfleet-ingest',
    database: name(get('INGEST_DATABASE') ?? 'gridfleet', 'INGEST_DATABASE'),
    clickhouseUser,
    clickhousePassword,
    topics: Object.freeze(topics.filter(isTopic)),
    topicPrefix: get('INGEST_TOPIC_PREFIX') ?? '',
    batchRecords: int('INGEST_BATCH_RECORDS', 20_000, 1, 1_000_000),
    batchMaxBytes: int('INGEST_BATCH_MAX_BYTES', 16 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    maxWaitMs: int('INGEST_MAX_WAIT_MS', 1_000, 10, 600_000),
    maxBufferedBytes: int('INGEST_MAX_BUFFERED_BYTES', 128 * 1024 * 1024, 1024 * 1024, 8 * 1024 * 1024 * 1024),
    concurrency: int('INGEST_CONCURRENCY', 4, 1, 64),
    retryMaxMs: int('INGEST_RETRY_MAX_MS', 10_000, 100, 600_000),
    sessionTimeoutMs: int('INGEST_SESSION_TIMEOUT_MS', 30_000, 6_000, 300_000),
    lagRefreshMs: int('INGEST_LAG_REFRESH_MS', 5_000, 100, 600_000),
    metricsPort: listener.port,
    metricsHost: listener.host,
    recordPlans: (get('INGEST_RECORD_PLANS') ?? '1') !== '0',
    frameDedup: (get('INGEST_FRAME_DEDUP') ?? '1') !== '0',
    rejectedRetryMs: int('INGEST_REJECTED_RETRY_MS', 60_000, 100, 3_600_000),
    fault,
  };
  if (problems.length > 0) throw configInvalid('Ingest', problems);
  return Object.freeze(config);
};
