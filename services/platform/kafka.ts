/**
 * The one Kafka adapter. Every Kafka access in the project goes through this module and its
 * parts (`kafka-client.ts` builds the kafkajs client, `kafka-producer.ts` is the producer,
 * `kafka-assigner.ts` the by-topic partition assigner);
 * kafkajs is imported nowhere else. It exposes what services need (idempotent producer with
 * acks=-1 and several requests in flight, consumer groups with manual commits and rebalance
 * hooks, topic administration) and turns kafkajs failures into PlatformErrors with a code and
 * retry hint. Services write through the typed topic writer (`topic-writer.ts`) on top of it.
 */
import { randomUUID } from 'node:crypto';
import kafkajs from 'kafkajs';
import { PlatformError } from './errors.ts';
import { createKafkaClient, wrap, type KafkaAdapterOptions } from './kafka-client.ts';
import { replaceAcls, type AclGrant } from './kafka-acls.ts';
import { topicAssigners } from './kafka-assigner.ts';
import { createProducer, type Producer, type ProducerOptions } from './kafka-producer.ts';
import type { TopicSpec } from './topics.ts';

export type { KafkaAdapterOptions } from './kafka-client.ts';
export type { AclGrant, AclOperation } from './kafka-acls.ts';
export type { OutgoingMessage, ProducedRecord, Producer, ProducerOptions } from './kafka-producer.ts';

export interface IncomingRecord {
  readonly topic: string;
  readonly partition: number;
  /** Kafka offsets are 64-bit; kept as decimal strings. */
  readonly offset: string;
  readonly key: string | null;
  readonly value: Buffer | null;
  readonly timestampMs: number;
  readonly headers: Readonly<Record<string, string>>;
}

export interface PartitionAssignment {
  readonly topic: string;
  readonly partitions: readonly number[];
}

export interface BatchContext {
  /** Marks the batch's records up to and including offset as processed (committed on commit()). */
  resolveOffset(offset: string): void;
  /** Commits resolved offsets now. */
  commit(): Promise<void>;
  heartbeat(): Promise<void>;
  isRunning(): boolean;
  isStale(): boolean;
}

/** A partition's committed position (the next record to read, -1 if none) and the metadata stored with it. */
export interface CommittedOffset {
  readonly partition: number;
  readonly offset: string;
  readonly metadata: string | null;
}

export interface OwnedCommit {
  readonly topic: string;
  readonly partition: number;
  /** The next record to read, as Kafka stores it (no +1 here, unlike commitOffsets). */
  readonly next: string;
  /** Stored with the offset (at most the broker's offset.metadata.max.bytes, 4 KiB by default). */
  readonly metadata: string | null;
}

/**
 * How a consumer fetches. The broker answers a fetch once it has minBytes for it or maxWaitTimeInMs
 * has passed, whichever is first; so minBytes above 1 trades up to maxWaitTimeInMs of latency on a
 * quiet topic for larger batches (per-batch costs spread over more records) on a busy one.
 * kafkajs's defaults: minBytes 1, maxWaitTimeInMs 5000, maxBytes 10 MiB, maxBytesPerPartition 1 MiB.
 */
export interface FetchSettings {
  readonly minBytes?: number;
  readonly maxWaitTimeInMs?: number;
  /** The most one fetch returns across partitions. */
  readonly maxBytes?: number;
  /** The most one fetch returns per partition (also settable as ConsumerOptions.maxBytesPerPartition). */
  readonly maxBytesPerPartition?: number;
}

export interface ConsumerOptions {
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly fromBeginning?: boolean;
  /** Commit automatically after each handler resolves (default true). */
  readonly autoCommit?: boolean;
  readonly sessionTimeoutMs?: number;
  /** How often the member heartbeats (default 3000 ms; keep it below a third of the session timeout). */
  readonly heartbeatIntervalMs?: number;
  /**
   * The longest wait between retries, and before kafkajs restarts a crashed consumer (default a
   * quarter of the adapter's connect timeout). Short for consumers on the control path, so they
   * are back within a second or two of the broker.
   */
  readonly retryMaxMs?: number;
  readonly maxBytesPerPartition?: number;
  /** Fetch sizes and waits (see FetchSettings and docs/topics.md for what each costs). */
  readonly fetch?: FetchSettings;
  /** How many partitions' handlers may run at once (default 1); records of one partition stay in order. */
  readonly partitionsConsumedConcurrently?: number;
  /**
   * Of `topics`, the only ones this member is to be given (kafka-assigner.ts): each topic's
   * partitions go to the group's members asking for it. Lets a process run a member per topic,
   * each with its own fetch loop. Every member of such a group subscribes to all its topics; during
   * a rolling upgrade (members without the assigner) the group falls back to round robin over all.
   */
  readonly assignTopics?: readonly string[];
}

export interface Consumer {
  /** Handles one record at a time; the offset commits after the handler resolves. */
  runEach(handler: (record: IncomingRecord) => Promise<void>): Promise<void>;
  /** Handles whole batches per partition. */
  runBatches(
    handler: (batch: { topic: string; partition: number; records: IncomingRecord[]; highWatermark: string }, ctx: BatchContext) => Promise<void>,
  ): Promise<void>;
  /** Called with the partitions this member owns after each rebalance. */
  onAssignment(listener: (assigned: readonly PartitionAssignment[]) => void): void;
  /**
   * Called when the consumer crashed; `restarting` says whether kafkajs restarts it (retriable
   * errors) or it has stopped for good and the caller must replace it.
   */
  onCrash(listener: (crash: { readonly error: string; readonly restarting: boolean }) => void): void;
  commitOffsets(offsets: ReadonlyArray<{ topic: string; partition: number; offset: string }>): Promise<void>;
  /**
   * Commits only if this member owns every given partition in a settled generation (no join or
   * sync under way), checked and sent in one synchronous step, in a single attempt: a kafkajs retry
   * could go out later under a generation this member joined without the partition. The
   * coordinator itself rejects a commit from a generation that has ended. So once another member
   * has been given the partition and read its committed offset, no commit of this member can land
   * behind its back. Fails with KAFKA_NOT_OWNER (not retriable) when the check fails, and with
   * KAFKA_UNAVAILABLE when the coordinator refuses (e.g. ILLEGAL_GENERATION) or cannot be reached.
   * Only while runBatches is running (the one-attempt path comes from its batch context).
   */
  commitOwned(offsets: readonly OwnedCommit[]): Promise<void>;
  /** The group's committed offsets and metadata of a topic's partitions, read from the coordinator. */
  committed(topic: string, partitions: readonly number[]): Promise<CommittedOffset[]>;
  pause(topic: string, partitions?: readonly number[]): void;
  resume(topic: string, partitions?: readonly number[]): void;
  /**
   * Moves the member's fetch position. False, and nothing done, when the member is not running
   * (not started yet, or kafkajs is restarting it after a crash): its partitions come back in a new
   * assignment from their committed offsets, so a caller that must read from elsewhere checks the
   * offsets it is handed (as the assets shards do) rather than count on the seek.
   */
  seek(topic: string, partition: number, offset: string): boolean;
  disconnect(): Promise<void>;
}

export interface TopicOffsets {
  readonly partition: number;
  readonly low: string;
  readonly high: string;
}

export interface PartitionLeader {
  readonly partition: number;
  readonly leader: number;
  readonly isr: readonly number[];
}

export interface Admin {
  /** Creates missing topics from the catalog and aligns configs of existing ones; returns the names created. */
  ensureTopics(specs: readonly TopicSpec[]): Promise<string[]>;
  listTopics(): Promise<string[]>;
  deleteTopics(names: readonly string[]): Promise<void>;
  partitionCount(topic: string): Promise<number>;
  /** Each partition's leader (a broker's node id, -1 while it has none) and in-sync replicas, from fresh metadata. */
  partitionLeaders(topic: string): Promise<PartitionLeader[]>;
  topicOffsets(topic: string): Promise<TopicOffsets[]>;
  groupOffsets(groupId: string, topic: string): Promise<Array<{ partition: number; offset: string }>>;
  describeConfig(topic: string): Promise<Record<string, string>>;
  /** Makes the ACLs of the principals named in grants exactly these (kafka-acls.ts); needs a super user. */
  replaceAcls(grants: readonly AclGrant[]): Promise<void>;
  disconnect(): Promise<void>;
}

export interface KafkaAdapter {
  /**
   * Reads every record of a topic from the beginning up to the end it has when called, with no
   * committed offsets (a throwaway group): for restoring state from a compacted log.
   */
  readAll(topic: string, opts?: {
    /** Fails when no record arrived for this long (default 60000 ms), however long the whole read takes. */
    timeoutMs?: number;
    fromOffsets?: readonly TopicOffsets[];
  }): Promise<IncomingRecord[]>;
  /** See kafka-producer.ts: lanes are requests in flight, lingerMs gathers small records. */
  producer(opts?: ProducerOptions): Promise<Producer>;
  consumer(opts: ConsumerOptions): Promise<Consumer>;
  admin(): Promise<Admin>;
}

/**
 * Retries a retriable admin call (e.g. NOT_LEADER_FOR_PARTITION right after topics were created
 * or a broker restarted) for up to about 30 s before giving up.
 */
const retrying = async <T>(fn: () => Promise<T>, attempts = 15): Promise<T> => {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (e) {
      const canRetry = e instanceof PlatformError ? e.canRetry : true;
      if (!canRetry || i >= attempts - 1) throw e;
      await new Promise((r) => setTimeout(r, Math.min(4_000, 200 * 2 ** i)));
    }
  }
};

const headersOf = (h: kafkajs.IHeaders | undefined): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h ?? {})) {
    if (v === undefined) continue;
    const first = Array.isArray(v) ? v[0] : v;
    if (first !== undefined) out[k] = first.toString();
  }
  return out;
};

const toRecord = (topic: string, partition: number, m: kafkajs.KafkaMessage): IncomingRecord => ({
  topic,
  partition,
  offset: m.offset,
  key: m.key === null || m.key === undefined ? null : m.key.toString(),
  value: m.value ?? null,
  timestampMs: Number(m.timestamp),
  headers: headersOf(m.headers),
});

const nextOffset = (offset: string): string => (BigInt(offset) + 1n).toString();

export const createKafkaAdapter = (opts: KafkaAdapterOptions): KafkaAdapter => {
  const kafka = createKafkaClient(opts);

  // Each producer has its own metadata admin (for partition counts), closed with it.
  const producer = async (p: ProducerOptions = {}): Promise<Producer> => {
    let meta: Promise<Admin> | undefined;
    const metaAdmin = (): Promise<Admin> => {
      meta ??= admin();
      meta.catch(() => (meta = undefined));
      return meta;
    };
    return createProducer({
      kafka,
      partitionCount: async (topic) => {
        const n = await (await metaAdmin()).partitionCount(topic);
        if (n === 0) throw new PlatformError('KAFKA_PRODUCE_FAILED', `produce to ${topic}: the topic does not exist`, { canRetry: false });
        return n;
      },
      close: async () => {
        const m = meta;
        meta = undefined;
        await m?.then((a) => a.disconnect()).catch(() => undefined);
      },
    }, p);
  };

  const consumer = async (c: ConsumerOptions): Promise<Consumer> => {
    // A kafkajs client of its own: kafkajs keeps committed offsets in one cache per client and
    // group, and every new generation of a member clears the topics it was not given. Two members
    // of one group on one client (the assets' site and parent members) cleared each other's, and the
    // other's next fetch crashed the consumer (TypeError in OffsetManager.resolveOffsets), on
    // rebalances, about one sharding test in four.
    const inner = createKafkaClient(opts).consumer({
      groupId: c.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: c.sessionTimeoutMs ?? 30_000,
      ...(c.heartbeatIntervalMs === undefined ? {} : { heartbeatInterval: c.heartbeatIntervalMs }),
      ...(c.retryMaxMs === undefined ? {} : { retry: { initialRetryTime: Math.min(200, c.retryMaxMs), maxRetryTime: c.retryMaxMs, retries: 10 } }),
      ...(c.maxBytesPerPartition === undefined ? {} : { maxBytesPerPartition: c.maxBytesPerPartition }),
      ...(c.fetch?.minBytes === undefined ? {} : { minBytes: c.fetch.minBytes }),
      ...(c.fetch?.maxWaitTimeInMs === undefined ? {} : { maxWaitTimeInMs: c.fetch.maxWaitTimeInMs }),
      ...(c.fetch?.maxBytes === undefined ? {} : { maxBytes: c.fetch.maxBytes }),
      ...(c.fetch?.maxBytesPerPartition === undefined ? {} : { maxBytesPerPartition: c.fetch.maxBytesPerPartition }),
      ...(c.assignTopics === undefined ? {} : { partitionAssigners: topicAssigners(c.assignTopics) }),
    });
    const listeners: Array<(a: readonly PartitionAssignment[]) => void> = [];
    // Ownership as commitOwned sees it: the partitions of the last GROUP_JOIN, and whether a join
    // or sync is under way (kafkajs installs the new generation in SyncGroup, a few microtasks
    // before it emits GROUP_JOIN; the SyncGroup response's request event comes before both).
    const tp = (topic: string, partition: number): string => `${topic}\u0000${partition}`;
    let owned = new Set<string>();
    let settled = false;
    let joined = false;
    inner.on(inner.events.GROUP_JOIN, (e) => {
      const assigned = Object.entries(e.payload.memberAssignment).map(([topic, partitions]) => ({ topic, partitions }));
      owned = new Set(assigned.flatMap((a) => a.partitions.map((p) => tp(a.topic, p))));
      settled = true;
      joined = true;
      for (const l of listeners) l(assigned);
    });
    inner.on(inner.events.REBALANCING, () => {
      settled = false;
    });
    inner.on(inner.events.REQUEST, (e) => {
      if (e.payload.apiName === 'JoinGroup' || e.payload.apiName === 'SyncGroup') settled = false;
    });
    // A heartbeat the coordinator accepted proves the generation we hold is current: after a
    // rejoin that failed (a broker restart while the coordinator loads) kafkajs keeps consuming
    // with that generation and emits no GROUP_JOIN, and commits must not stay refused for ever.
    inner.on(inner.events.HEARTBEAT, () => {
      if (joined) settled = true;
    });
    inner.on(inner.events.STOP, () => {
      settled = false;
    });
    const crashListeners: Array<(crash: { readonly error: string; readonly restarting: boolean }) => void> = [];
    inner.on(inner.events.CRASH, (e) => {
      settled = false;
      // kafkajs logs its wrapper; what went wrong, and where, is the cause's stack.
      const cause = (e.payload.error as Error & { cause?: unknown }).cause;
      opts.logger.warn('consumer crashed', { groupId: c.groupId, restarting: e.payload.restart, error: e.payload.error.message, cause: cause instanceof Error ? cause.stack : undefined });
      const crash = { error: e.payload.error.message, restarting: e.payload.restart };
      for (const l of crashListeners) l(crash);
    });
    // kafkajs's consumer.commitOffsets retries on its own; the batch context's commit does not.
    let commitOnce: ((offsets: kafkajs.Offsets) => Promise<void>) | undefined;
    let admin: Promise<kafkajs.Admin> | undefined;
    await wrap('KAFKA_UNAVAILABLE', `consumer ${c.groupId} connect`, () => inner.connect());
    await wrap('KAFKA_UNAVAILABLE', `consumer ${c.groupId} subscribe`, () =>
      inner.subscribe({ topics: [...c.topics], fromBeginning: c.fromBeginning ?? false }),
    );
    const autoCommit = c.autoCommit ?? true;
    return {
      runEach: (handler) =>
        inner.run({
          autoCommit,
          partitionsConsumedConcurrently: c.partitionsConsumedConcurrently ?? 1,
          eachMessage: async ({ topic, partition, message }) => handler(toRecord(topic, partition, message)),
        }),
      runBatches: (handler) =>
        inner.run({
          autoCommit,
          partitionsConsumedConcurrently: c.partitionsConsumedConcurrently ?? 1,
          eachBatchAutoResolve: false,
          eachBatch: async (payload) => {
            const { batch } = payload;
            // The newest batch's: after kafkajs restarts a crashed consumer, an older batch's
            // commit would go through the group object (and generation) it replaced.
            commitOnce = (offsets) => payload.commitOffsetsIfNecessary({ topics: offsets.topics });
            await handler(
              {
                topic: batch.topic,
                partition: batch.partition,
                records: batch.messages.map((m) => toRecord(batch.topic, batch.partition, m)),
                highWatermark: batch.highWatermark,
              },
              {
                resolveOffset: (o) => payload.resolveOffset(o),
                commit: () => payload.commitOffsetsIfNecessary(),
                heartbeat: () => payload.heartbeat(),
                isRunning: () => payload.isRunning(),
                isStale: () => payload.isStale(),
              },
            );
          },
        }),
      onAssignment: (l) => {
        listeners.push(l);
      },
      onCrash: (l) => {
        crashListeners.push(l);
      },
      // Committed offsets name the next record to read, hence +1.
      commitOffsets: (offsets) =>
        wrap('KAFKA_UNAVAILABLE', `commit ${c.groupId}`, () =>
          inner.commitOffsets(offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: nextOffset(o.offset) }))),
        ),
      commitOwned: (offsets) => {
        const notOwned = offsets.filter((o) => !owned.has(tp(o.topic, o.partition)));
        if (commitOnce === undefined || !settled || notOwned.length > 0) {
          const why = commitOnce === undefined ? 'no batch handled yet' : !settled ? 'a rebalance is under way' : `not owned: ${notOwned.map((o) => `${o.topic}[${o.partition}]`).join(', ')}`;
          return Promise.reject(new PlatformError('KAFKA_NOT_OWNER', `commit ${c.groupId} refused: ${why}`));
        }
        const byTopic = new Map<string, Array<{ partition: number; offset: string; metadata: string | null }>>();
        for (const o of offsets) byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), { partition: o.partition, offset: o.next, metadata: o.metadata }]);
        // Synchronous up to the point where kafkajs captures its generation: nothing can change in between.
        // kafkajs's types omit the metadata field its OffsetCommit request encodes.
        const sent = commitOnce({ topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })) });
        return wrap('KAFKA_UNAVAILABLE', `commit ${c.groupId}`, () => sent);
      },
      committed: (topic, partitions) =>
        wrap('KAFKA_UNAVAILABLE', `committed offsets ${c.groupId}`, async () => {
          admin ??= (async () => {
            const a = kafka.admin();
            await a.connect();
            return a;
          })();
          admin.catch(() => (admin = undefined));
          const res = await (await admin).fetchOffsets({ groupId: c.groupId, topics: [topic] });
          const want = new Set(partitions);
          return (res[0]?.partitions ?? [])
            .filter((p) => want.has(p.partition))
            .map((p) => ({ partition: p.partition, offset: p.offset, metadata: p.metadata ?? null }));
        }),
      pause: (topic, partitions) => inner.pause([partitions === undefined ? { topic } : { topic, partitions: [...partitions] }]),
      resume: (topic, partitions) => inner.resume([partitions === undefined ? { topic } : { topic, partitions: [...partitions] }]),
      seek: (topic, partition, offset) => {
        try {
          inner.seek({ topic, partition, offset });
          return true;
        } catch (e) {
          // kafkajs throws this while its consumer group is gone (before run, and between a crash and its restart).
          if (e instanceof Error && e.message.includes('was not initialized')) return false;
          throw e;
        }
      },
      disconnect: async () => {
        settled = false;
        const a = admin;
        admin = undefined;
        await Promise.all([inner.disconnect(), a?.then((x) => x.disconnect()).catch(() => undefined)]);
      },
    };
  };

  const admin = async (): Promise<Admin> => {
    const inner = kafka.admin();
    await wrap('KAFKA_UNAVAILABLE', 'admin connect', () => inner.connect());
    const describeConfig = async (topic: string): Promise<Record<string, string>> => {
      const res = await inner.describeConfigs({ includeSynonyms: false, resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: topic }] });
      const entries = res.resources[0]?.configEntries ?? [];
      return Object.fromEntries(entries.map((e) => [e.configName, e.configValue]));
    };
    return {
      // Idempotent, so retried: a broker that just started (or just created a topic) answers
      // retriable errors such as UNKNOWN_TOPIC_OR_PARTITION for a moment.
      ensureTopics: (specs) => retrying(() =>
        wrap('KAFKA_UNAVAILABLE', 'ensure topics', async () => {
          const existing = new Set(await inner.listTopics());
          const missing = specs.filter((s) => !existing.has(s.name));
          if (missing.length > 0) {
            await inner.createTopics({
              waitForLeaders: true,
              topics: missing.map((s) => ({
                topic: s.name,
                numPartitions: s.partitions,
                replicationFactor: s.replicationFactor,
                configEntries: Object.entries(s.configs).map(([name, value]) => ({ name, value })),
              })),
            });
          }
          // Existing topics: converge configs (idempotent) and grow partitions if the catalog grew.
          for (const s of specs.filter((t) => existing.has(t.name))) {
            const current = await describeConfig(s.name);
            const drift = Object.entries(s.configs).filter(([k, v]) => current[k] !== v);
            if (drift.length > 0) {
              await inner.alterConfigs({
                validateOnly: false,
                resources: [
                  {
                    type: kafkajs.ConfigResourceTypes.TOPIC,
                    name: s.name,
                    configEntries: Object.entries(s.configs).map(([name, value]) => ({ name, value })),
                  },
                ],
              });
            }
          }
          return missing.map((s) => s.name);
        })),
      listTopics: () => wrap('KAFKA_UNAVAILABLE', 'list topics', () => inner.listTopics()),
      deleteTopics: (names) => wrap('KAFKA_UNAVAILABLE', 'delete topics', () => inner.deleteTopics({ topics: [...names] })),
      partitionCount: (topic) => retrying(() =>
        wrap('KAFKA_UNAVAILABLE', `metadata ${topic}`, async () => {
          const md = await inner.fetchTopicMetadata({ topics: [topic] });
          return md.topics[0]?.partitions.length ?? 0;
        })),
      partitionLeaders: (topic) =>
        wrap('KAFKA_UNAVAILABLE', `metadata ${topic}`, async () => {
          const md = await inner.fetchTopicMetadata({ topics: [topic] });
          return (md.topics[0]?.partitions ?? [])
            .map((p) => ({ partition: p.partitionId, leader: p.leader, isr: [...p.isr] }))
            .sort((a, b) => a.partition - b.partition);
        }),
      topicOffsets: (topic) =>
        retrying(() =>
          wrap('KAFKA_UNAVAILABLE', `offsets ${topic}`, async () =>
            (await inner.fetchTopicOffsets(topic)).map((o) => ({ partition: o.partition, low: o.low, high: o.high })),
          ),
        ),
      groupOffsets: (groupId, topic) =>
        wrap('KAFKA_UNAVAILABLE', `group offsets ${groupId}`, async () => {
          const res = await inner.fetchOffsets({ groupId, topics: [topic] });
          return (res[0]?.partitions ?? []).map((p) => ({ partition: p.partition, offset: p.offset }));
        }),
      describeConfig: (topic) => wrap('KAFKA_UNAVAILABLE', `describe ${topic}`, () => describeConfig(topic)),
      replaceAcls: (grants) => replaceAcls(inner, grants),
      disconnect: () => inner.disconnect(),
    };
  };

  const readAll: KafkaAdapter['readAll'] = async (topic, o) => {
    const a = await admin();
    let ends: TopicOffsets[];
    try {
      ends = await a.topicOffsets(topic);
    } finally {
      await a.disconnect();
    }
    // Where to start per partition: the earliest offset, or the `high` of an earlier snapshot.
    const from = new Map((o?.fromOffsets ?? []).map((f) => [f.partition, BigInt(f.high)]));
    const start = (e: TopicOffsets): bigint => {
      const f = from.get(e.partition);
      return f !== undefined && f > BigInt(e.low) ? f : BigInt(e.low);
    };
    const pending = new Map(ends.filter((e) => BigInt(e.high) > start(e)).map((e) => [e.partition, BigInt(e.high)]));
    if (pending.size === 0) return [];
    const byPartition = new Map<number, IncomingRecord[]>();
    const c = await consumer({ groupId: `${opts.clientId}-read-${randomUUID()}`, topics: [topic], fromBeginning: true, autoCommit: false });
    // Skip what lies before the snapshot instead of reading it (records fetched before the seek
    // lands are filtered out below).
    if (from.size > 0) {
      c.onAssignment(() => {
        for (const [partition, offset] of from) if (pending.has(partition)) c.seek(topic, partition, offset.toString());
      });
    }
    try {
      await new Promise<void>((resolve, reject) => {
        // A stall, not a deadline: a long changelog read that keeps moving is not cut off.
        const stallMs = o?.timeoutMs ?? 60_000;
        const stalled = (): NodeJS.Timeout =>
          setTimeout(() => reject(new PlatformError('TIMEOUT', `reading ${topic} to its end: no progress for ${stallMs} ms`)), stallMs);
        let timer = stalled();
        let done = false;
        c.runBatches(async (batch, ctx) => {
          clearTimeout(timer);
          // A batch that arrives after the end (before the disconnect) arms no new timer.
          if (!done) timer = stalled();
          const end = pending.get(batch.partition);
          const list = byPartition.get(batch.partition) ?? [];
          const begin = from.get(batch.partition) ?? 0n;
          for (const r of batch.records) if (end !== undefined && BigInt(r.offset) < end && BigInt(r.offset) >= begin) list.push(r);
          byPartition.set(batch.partition, list);
          const last = batch.records.at(-1);
          // Without resolving, kafkajs (autoCommit off) fetches the same batch again: a partition
          // larger than one fetch was never read to its end (and its first batch was kept twice).
          if (last !== undefined) ctx.resolveOffset(last.offset);
          if (end !== undefined && last !== undefined && BigInt(last.offset) + 1n >= end) pending.delete(batch.partition);
          if (pending.size === 0) {
            done = true;
            clearTimeout(timer);
            resolve();
          }
          return Promise.resolve();
        }).catch(reject);
      });
    } finally {
      await c.disconnect();
    }
    return [...byPartition.entries()].sort(([a], [b]) => a - b).flatMap(([, list]) => list);
  };

  return { readAll, producer, consumer, admin };
};
