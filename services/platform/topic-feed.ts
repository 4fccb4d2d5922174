/**
 * Following a topic into a service's own read model: a consumer group of this instance alone
 * (every instance needs every record, e.g. any device may connect to any gateway), read from the
 * beginning, no commits. `caughtUp` resolves once the feed has reached the end the topic had when
 * it started, so a service can open only when its model is complete. Used by the gateway (device
 * directory, commands, forecasts) and control (registry, asset states, events, commands, acks).
 *
 * These feeds are the control path, so they must come back quickly after a broker restart and
 * never replay history when they do (found by the isolation harness: after a restart the
 * gateway's command feed waited for its crashed member's 30 s session to expire, backed off up to
 * 7.5 s between restarts, then re-read every command ever sent before delivering new ones, and
 * commands expired undelivered):
 * - the feed keeps its own position per partition and seeks there whenever partitions are
 *   assigned, so a restarted consumer goes on where the feed was (records below it are skipped);
 * - a short session (6 s, the broker's minimum) and heartbeat, so a member that crashed is
 *   replaced quickly, and retries capped at 1 s;
 * - a consumer that crashed for good (a non-retriable error) is replaced by a new one.
 * And a feed takes turns: it yields the event loop every few milliseconds of decoding.
 */
import { randomUUID } from 'node:crypto';
import type { AvroCodec } from './avro-codec.ts';
import type { TopicValues } from './events.ts';
import type { Consumer, FetchSettings, KafkaAdapter } from './kafka.ts';
import type { Logger } from './logger.ts';
import { startAgainUntilStarted, type StartAgain } from './start-again.ts';
import type { TopicName } from './topics.ts';

export interface Feed {
  readonly caughtUp: Promise<void>;
  /**
   * Resolves once the feed has applied every record up to the end the topic has when called (a
   * standby taking over waits for this, so it knows everything the old leader wrote). Gives the
   * end offsets it waited for, per partition.
   */
  reachEnd(): Promise<ReadonlyMap<number, bigint>>;
  stop(): Promise<void>;
}

/** The broker's minimum session: a crashed feed member is replaced quickly. */
const FEED_SESSION_TIMEOUT_MS = 6_000;

/**
 * The longest a fetch waits on a quiet topic, unless the feed says otherwise. kafkajs heartbeats
 * only between fetches, so with its default 5 s wait a quiet feed (the registry, the choices)
 * heartbeat about every 5 s against a 6 s session: on a loaded machine its member expired and
 * rejoined again and again (the control bench at 10k sites, gateway and control logs). 1 s keeps
 * the heartbeat near its 1 s beat for one empty fetch a second.
 */
const FEED_MAX_WAIT_MS = 1_000;

/**
 * A feed gives the event loop back after this much work in one go. A fetch can hold megabytes of
 * records (a forecast run's bundle for every site, a burst of asset states), and decoding them in
 * one unbroken chain of microtasks kept the gateway from pushing commands for hundreds of
 * milliseconds (the isolation harness's forecast phases at 10k sites).
 */
const YIELD_AFTER_MS = 5;

/**
 * Inside one long batch, a heartbeat at most this often (kafkajs beats again after the batch).
 * A third of the 6 s session: on a loaded machine the 10k-site control bench's gateway took 20 s
 * to work through 9,000 commands already on the broker, and waited for a heartbeat's round trip every
 * second of it.
 */
const IN_BATCH_HEARTBEAT_MS = 2_000;

export const follow = async <T extends TopicName>(opts: {
  kafka: KafkaAdapter;
  codec: AvroCodec;
  topic: T;
  groupPrefix: string;
  logger: Logger;
  /** key and decoded value (null for a tombstone). */
  onRecord: (key: string | null, value: TopicValues[T] | null) => void;
  /**
   * Checked before decoding: a record whose key this says no to is not decoded but handed to
   * onSkipped as bytes (a gateway reads only the sites connected to it). Default: keep all.
   */
  keep?: (key: string | null) => boolean;
  onSkipped?: (key: string | null, value: Buffer | null) => void;
  /** Consumer settings for this feed (see ConsumerOptions: fetch sizes and waits). */
  fetch?: FetchSettings;
  /** Default: a warning in the log; the feed moves on either way. */
  onUndecodable?: (reason: string, partition: number, offset: string, payload: Buffer) => void;
  /** Records whose key this returns true for are passed over before decoding (e.g. asset.state.v1's snapshots). */
  skipKey?: (key: string | null) => boolean;
  /** Wait before replacing a consumer that stopped for good (default 1000 ms). */
  replaceAfterMs?: number;
  /**
   * Records this returns true for are neither decoded nor applied (their offset still counts as
   * read): control skips the commands it wrote itself, by a header, instead of decoding 100k of
   * its own records back.
   */
  skipRecord?: (key: string | null, headers: Readonly<Record<string, string>>) => boolean;
}): Promise<Feed> => {
  const admin = await opts.kafka.admin();
  const ends = new Map<number, bigint>();
  try {
    for (const o of await admin.topicOffsets(opts.topic)) if (BigInt(o.high) > BigInt(o.low)) ends.set(o.partition, BigInt(o.high));
  } finally {
    await admin.disconnect();
  }
  let markCaughtUp: () => void = () => undefined;
  const caughtUp = new Promise<void>((r) => (markCaughtUp = r));
  if (ends.size === 0) markCaughtUp();
  /** The next offset to read per partition: what this feed has applied, whichever consumer read it. */
  const positions = new Map<number, bigint>();
  const groupId = `${opts.groupPrefix}-${opts.topic}-${randomUUID().slice(0, 8)}`;
  let stopped = false;
  let current: Consumer | undefined;
  const waiters: Array<{ ends: Map<number, bigint>; resolve: () => void }> = [];
  const settleWaiters = (): void => {
    for (let i = waiters.length - 1; i >= 0; i--) {
      const w = waiters[i];
      if (w !== undefined && [...w.ends].every(([p, end]) => (positions.get(p) ?? 0n) >= end)) {
        waiters.splice(i, 1);
        w.resolve();
      }
    }
  };
  let replacing: StartAgain | undefined;

  const applyDecoded = (partition: number, offset: string, key: string | null, value: Buffer, d: Awaited<ReturnType<AvroCodec['decode']>>): void => {
    if (d.ok) opts.onRecord(key, d.value as TopicValues[T]);
    else if (opts.onUndecodable) opts.onUndecodable(d.error, partition, offset, value);
    else opts.logger.warn('undecodable record skipped', { topic: opts.topic, partition, offset, error: d.error });
  };
  // Synchronous once the record's schema id is known: no promise per record.
  const apply = (partition: number, offset: string, key: string | null, value: Buffer | null): Promise<void> | undefined => {
    if (opts.skipKey?.(key) === true) return undefined;
    if (opts.keep !== undefined && !opts.keep(key)) {
      opts.onSkipped?.(key, value);
      return undefined;
    }
    if (value === null) {
      opts.onRecord(key, null);
      return undefined;
    }
    const d = opts.codec.decode(opts.topic, value);
    if (!(d instanceof Promise)) return void applyDecoded(partition, offset, key, value, d);
    return d.then((r) => applyDecoded(partition, offset, key, value, r));
  };

  const start = async (): Promise<void> => {
    const consumer = await opts.kafka.consumer({
      groupId, topics: [opts.topic], fromBeginning: true, autoCommit: false,
      sessionTimeoutMs: FEED_SESSION_TIMEOUT_MS, heartbeatIntervalMs: 1_000, retryMaxMs: 1_000,
      fetch: { maxWaitTimeInMs: FEED_MAX_WAIT_MS, ...opts.fetch },
    });
    current = consumer;
    consumer.onAssignment((assigned) => {
      for (const a of assigned) {
        for (const p of a.partitions) {
          const at = positions.get(p);
          if (at !== undefined) consumer.seek(opts.topic, p, at.toString());
        }
      }
    });
    consumer.onCrash((crash) => {
      if (!crash.restarting) replaceStopped(consumer, crash.error);
    });
    void consumer
      .runBatches(async (batch, ctx) => {
        let slice = performance.now();
        let beat = slice;
        // Resolved once per stretch, not per record (kafkajs turns each offset into a Long and back:
        // a few µs a record, and a gateway reads every command of the fleet): before each wait and
        // at the end, so what was applied is resolved whenever the batch can be interrupted.
        let unresolved: string | undefined;
        const resolveRead = (): void => {
          if (unresolved !== undefined) ctx.resolveOffset(unresolved);
          unresolved = undefined;
        };
        for (const r of batch.records) {
          if (performance.now() - slice > YIELD_AFTER_MS) {
            resolveRead();
            await new Promise((resolve) => setImmediate(resolve));
            // A long batch on a loaded machine must not outlast the short session, but a heartbeat
            // is a round trip the batch waits for: one every IN_BATCH_HEARTBEAT_MS, not one a second.
            if (performance.now() - beat > IN_BATCH_HEARTBEAT_MS) {
              await ctx.heartbeat();
              beat = performance.now();
            }
            slice = performance.now();
          }
          const offset = BigInt(r.offset);
          // Records fetched before a seek landed, or already applied by an earlier consumer.
          if (offset >= (positions.get(batch.partition) ?? 0n)) {
            const pending = opts.skipRecord?.(r.key, r.headers) === true ? undefined : apply(r.partition, r.offset, r.key, r.value);
            if (pending !== undefined) {
              resolveRead();
              await pending;
            }
            positions.set(batch.partition, offset + 1n);
          }
          unresolved = r.offset;
        }
        resolveRead();
        const end = ends.get(batch.partition);
        if (end !== undefined && (positions.get(batch.partition) ?? 0n) >= end) {
          ends.delete(batch.partition);
          if (ends.size === 0) markCaughtUp();
        }
        if (waiters.length > 0) settleWaiters();
      })
      .catch((e: unknown) => replaceStopped(consumer, e instanceof Error ? e.message : String(e)));
  };
  /**
   * A consumer kafkajs stopped for good is replaced, again and again until one starts: one made
   * while the broker is still away fails to connect, and a feed left without a consumer would
   * never read again.
   */
  const replaceStopped = (consumer: Consumer, why: string): void => {
    if (stopped || current !== consumer) return;
    opts.logger.error('feed consumer stopped; replacing it', { topic: opts.topic, error: why });
    current = undefined;
    void consumer.disconnect().catch(() => undefined);
    replacing = startAgainUntilStarted(start, {
      everyMs: opts.replaceAfterMs ?? 1_000,
      onFailure: (error) => opts.logger.error('feed consumer could not be replaced; trying again', { topic: opts.topic, error }),
    });
  };

  await start();
  return {
    caughtUp,
    reachEnd: async () => {
      const a = await opts.kafka.admin();
      const target = new Map<number, bigint>();
      try {
        for (const o of await a.topicOffsets(opts.topic)) if (BigInt(o.high) > BigInt(o.low)) target.set(o.partition, BigInt(o.high));
      } finally {
        await a.disconnect();
      }
      await new Promise<void>((resolve) => {
        waiters.push({ ends: target, resolve });
        settleWaiters();
      });
      return target;
    },
    stop: async () => {
      stopped = true;
      replacing?.cancel();
      await current?.disconnect();
    },
  };
};
