/**
 * The kafkajs client of the adapter, built in one place: brokers, client id, logging, timeouts and
 * retries. Connection security (SASL, TLS) belongs here too, so a change to how the project
 * connects to Kafka stays in this file. Only the adapter's own modules (kafka*.ts) import it.
 */
import { readFileSync } from 'node:fs';
import kafkajs from 'kafkajs';
import type { KafkaSecurity } from './config.ts';
import { PlatformError } from './errors.ts';
import type { Logger } from './logger.ts';

const { Kafka, logLevel: KafkaLogLevel } = kafkajs;

export interface KafkaAdapterOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly logger: Logger;
  /** How long to keep retrying a connection before failing (ms, default 30000). */
  readonly connectTimeoutMs?: number;
  /** SASL and TLS (config.kafkaSecurity); absent: plaintext without authentication. */
  readonly security?: KafkaSecurity;
}

/** kafkajs' sasl and ssl options for a KafkaSecurity (the CA file is read once, here). */
export const kafkaSecurityOptions = (s: KafkaSecurity | undefined): Pick<kafkajs.KafkaConfig, 'sasl' | 'ssl'> => ({
  ...(s?.sasl ? { sasl: { mechanism: s.sasl.mechanism, username: s.sasl.username, password: s.sasl.password } as kafkajs.SASLOptions } : {}),
  ...(s?.ssl ? { ssl: s.ssl.caFile === null ? true : { ca: [readFileSync(s.ssl.caFile, 'utf8')] } } : {}),
});

const toLogger = (logger: Logger): kafkajs.logCreator => () => (entry) => {
  const { message, ...rest } = entry.log;
  const fields = { ...rest, namespace: entry.namespace };
  // Sends retry a bounded number of times on purpose, so a caller learns that Kafka is down
  // instead of waiting forever; ordering and deduplication still hold within those retries.
  if (message.startsWith('Limiting retries for the idempotent producer')) return;
  // kafkajs logs retriable coordinator states at error level while a broker boots; keep them as warnings.
  if (entry.level === KafkaLogLevel.ERROR) logger.warn(message, fields);
  else if (entry.level === KafkaLogLevel.WARN) logger.warn(message, fields);
  else if (entry.level === KafkaLogLevel.INFO) logger.debug(message, fields);
};

/**
 * The client's retry, which kafkajs also uses for every (re)connection to a broker, whatever a
 * consumer's or producer's own retry says: at most 1 s between attempts, enough attempts to fill
 * connectTimeoutMs (jitter aside). It used to back off up to a quarter of that (7.5 s), so after a broker
 * restart of more than a few seconds a crashed consumer (with one broker, kafkajs crashes every
 * consumer the moment the broker goes) could sleep 7.5 s after the broker was back before it
 * even tried; control's leadership member and the feeds its takeover waits for each did, and
 * control refused dispatches for 10-20 s after the broker returned (the isolation test's
 * kafka-restarted and recovery phases, 'CTRL_NOT_LEADER').
 */
export const clientRetry = (connectTimeoutMs: number): { initialRetryTime: number; maxRetryTime: number; retries: number } => ({
  initialRetryTime: 200, maxRetryTime: 1_000,
  // 200 + 400 + 800 ms, then 1 s each; never fewer than the 10 kafkajs tries by default.
  retries: Math.max(10, 3 + Math.ceil(Math.max(0, connectTimeoutMs - 1_400) / 1_000)),
});

export const createKafkaClient = (opts: KafkaAdapterOptions): kafkajs.Kafka =>
  new Kafka({
    clientId: opts.clientId,
    brokers: [...opts.brokers],
    logLevel: KafkaLogLevel.WARN,
    logCreator: toLogger(opts.logger.child({ component: 'kafkajs' })),
    connectionTimeout: 5_000,
    ...kafkaSecurityOptions(opts.security),
    retry: clientRetry(opts.connectTimeoutMs ?? 30_000),
  });

/** Runs a kafkajs call and turns its failure into a PlatformError with the call's retry hint. */
export const wrap = async <T>(code: 'KAFKA_UNAVAILABLE' | 'KAFKA_PRODUCE_FAILED', what: string, fn: () => Promise<T>): Promise<T> => {
  try {
    return await fn();
  } catch (e) {
    const retriable = typeof e === 'object' && e !== null && 'retriable' in e ? Boolean(e.retriable) : true;
    throw new PlatformError(code, `${what}: ${e instanceof Error ? e.message : String(e)}`, { cause: e, canRetry: retriable });
  }
};
