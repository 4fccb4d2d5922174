/**
 * The consumer shell of ingest: Kafka batches in, per-partition batches out to ClickHouse, offsets
 * committed only after ClickHouse acknowledged the insert.
 *
 * Exactly once as seen in ClickHouse, across crashes, retries and rebalances between processes:
 *  1. before a batch is inserted, its range is committed to the group as the partition's offset
 *     metadata (a plan: committed offset = the batch's first, metadata = its range; batcher.ts).
 *     The commit is fenced (kafka.ts commitOwned): it goes out only while this member owns the
 *     partition in a settled generation, in one attempt, and the coordinator rejects it once that
 *     generation has ended. So an insert happens only after its plan is where the partition's next
 *     owner will read it;
 *  2. whoever resumes a partition (after start, a rebalance, or a failed insert) first reads the
 *     committed offset and plan, skips what lies below the offset, and rebuilds the planned batch
 *     exactly, with the same insert_deduplication_token. If the previous owner's insert landed (or
 *     is still on its way: a stalled process, a batch cut early by time), ClickHouse keeps one of
 *     the two, in the raw table and in every rollup (the tables' deduplication window);
 *  3. after the insert is acknowledged, the offset past the batch is committed (fenced too) with no
 *     plan. Nothing is inserted without a plan, so records past the last plan were never inserted.
 *
 * When ClickHouse is unavailable (canRetry), the runner pauses every topic, drops that partition's
 * batch and seeks it back (Kafka keeps the records, so memory stays bounded by what is buffered),
 * probes with backoff, and resumes when it answers. When ClickHouse rejects an insert for good
 * (e.g. an unmigrated table), only that topic pauses, /healthz and /metrics say so, and it is tried
 * again every `rejectedRetryMs`, so a migration applied later heals it without a restart. A record
 * that cannot be decoded or mapped goes to dead.letters.v1 and its partition keeps moving.
 */
import type { AvroCodec } from '../../platform/avro-codec.ts';
import type { Clock } from '../../platform/clock.ts';
import type { DeadLetter } from '../../platform/events.ts';
import { describeError, isPlatformError } from '../../platform/errors.ts';
import type { BatchContext, Consumer, IncomingRecord, PartitionAssignment } from '../../platform/kafka.ts';
import type { TopicWriter as KafkaTopicWriter } from '../../platform/topic-writer.ts';
import type { Logger } from '../../platform/logger.ts';
import { TopicNames, type TopicName } from '../../platform/topics.ts';
import { add, admit, emptyBatch, flushReason, isEmpty, parsePlan, planMetadata, rangeOf, tokenOf, type BatchPlan, type BatchPolicy, type PartitionBatch } from './batcher.ts';
import { bodyOf, type ClickHouseSink } from './clickhouse-sink.ts';
import type { FaultPlan } from './config.ts';
import type { IngestMetrics } from './ingest-metrics.ts';
import { recordToRows, topicWriter, type TopicWriter } from './record-rows.ts';
import { ByteSink } from './row-binary.ts';
import { deadLetterOf } from '../../platform/dead-letter.ts';
import { existingRowsQuery, parseExisting, planDedup, rememberSeqs, rowsToDrop, withoutRows, type RowIdentity } from './telemetry-dedup.ts';

export interface RunnerDeps {
  readonly consumer: Consumer;
  /** Dead letters only: ingest's one writer. */
  readonly deadLetterWriter: KafkaTopicWriter;
  /** Encodes dead letters. */
  readonly codec: AvroCodec;
  /** The platform codec's decode: synchronous once a record's schema id is known. */
  readonly decoder: Pick<AvroCodec, 'decode'>;
  readonly sink: ClickHouseSink;
  readonly metrics: IngestMetrics;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Physical topic of each logical one (tests use prefixed names). */
  readonly topics: ReadonlyMap<TopicName, string>;
  readonly policy: BatchPolicy;
  readonly maxBufferedBytes: number;
  readonly retryMaxMs: number;
  /** How long a topic whose inserts ClickHouse rejects for good waits before it is tried again. */
  readonly rejectedRetryMs: number;
  readonly fault: FaultPlan | null;
  /** Record each batch's plan before its insert (see the header). Off only in tests, to show the duplicate it prevents. */
  readonly recordPlans: boolean;
  /** One telemetry row per (device, seq) (telemetry-dedup.ts). Off only in tests. */
  readonly frameDedup: boolean;
  /** Ends the process at once (SIGKILL in main.ts); only called by the fault plan. */
  readonly die: () => void;
}

/** Where a partition resumes: the committed offset and the plan recorded with it. */
interface Resume {
  readonly next: number;
  readonly plan: BatchPlan | null;
}

interface PartitionState {
  batch: PartitionBatch;
  readonly bytes: ByteSink;
  /** Where each row of the batch lies in `bytes`, for tables deduplicated by row identity (telemetry). */
  identities: RowIdentity[];
  /** Per device, the highest seq known to be in ClickHouse (telemetry-dedup.ts); forgotten on a rewind. */
  knownSeq: Map<string, number>;
  /** Read from the group before the partition's first records after an assignment or a rewind. */
  resume: Resume | undefined;
  lock: Promise<void>;
}

/** A topic whose inserts ClickHouse rejected for good, waiting for its next try. */
export interface RejectedTopic {
  readonly table: string;
  readonly error: string;
  readonly retryAtMs: number;
}

export interface Runner {
  start(): Promise<void>;
  stop(): Promise<void>;
  isPaused(): boolean;
  /** physical topic -> why its inserts are refused for good. */
  rejected(): ReadonlyMap<string, RejectedTopic>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export const createIngestRunner = (d: RunnerDeps): Runner => {
  const logicalOf = new Map([...d.topics].map(([logical, physical]) => [physical, logical]));
  const writers = new Map([...d.topics.keys()].map((t) => [t, topicWriter(t)]));
  const states = new Map<string, PartitionState>();
  const rejected = new Map<string, RejectedTopic>();
  const deadLetterTopic = d.topics.get(TopicNames.deadLetters) ?? TopicNames.deadLetters;
  let paused = false;
  let stopped = false;
  let inserts = 0;
  let timer: NodeJS.Timeout | undefined;

  const keyOf = (topic: string, partition: number): string => `${topic}\u0000${partition}`;
  const stateOf = (topic: string, partition: number): PartitionState => {
    const k = keyOf(topic, partition);
    let s = states.get(k);
    if (s === undefined) {
      s = { batch: emptyBatch(topic, partition), bytes: new ByteSink(), identities: [], knownSeq: new Map(), resume: undefined, lock: Promise.resolve() };
      states.set(k, s);
    }
    return s;
  };
  /** One flush or batch at a time per partition; records of a partition stay in order. */
  const locked = (s: PartitionState, fn: () => Promise<void>): Promise<void> => {
    const next = s.lock.then(fn, fn);
    s.lock = next.catch(() => undefined);
    return next;
  };
  const bufferedBytes = (): number => [...states.values()].reduce((n, s) => n + s.batch.bytes, 0);

  const writerOf = (topic: string): TopicWriter => {
    const w = writers.get(logicalOf.get(topic) as TopicName);
    if (w === undefined) throw new Error(`ingest: no table for topic ${topic}`);
    return w;
  };

  /**
   * Drops the partition's batch and seeks back to its first offset; the committed offset and plan
   * are read again before its next records. Seeking back is always safe: what lies below the
   * committed offset is skipped, and a recorded plan is rebuilt as it was.
   */
  const rewind = (s: PartitionState, seek = true): void => {
    const { topic, partition } = s.batch;
    const first = isEmpty(s.batch) ? -1 : s.batch.firstOffset;
    s.batch = emptyBatch(topic, partition);
    s.bytes.reset();
    s.identities = [];
    s.knownSeq = new Map();
    s.resume = undefined;
    if (seek && first >= 0) d.consumer.seek(topic, partition, String(first));
  };

  const probe = async (): Promise<void> => {
    let wait = 100;
    while (!stopped) {
      await sleep(wait);
      try {
        await d.sink.ping();
        break;
      } catch {
        wait = Math.min(d.retryMaxMs, wait * 2);
      }
    }
    paused = false;
    d.metrics.setPaused(false);
    d.logger.info('ClickHouse answers again; resuming');
    for (const t of d.topics.values()) if (!rejected.has(t)) d.consumer.resume(t);
  };

  /** ClickHouse refused the insert: rewind the partition, then pause everything (retriable) or this topic (rejected for good). */
  const insertFailed = (s: PartitionState, cause: unknown): void => {
    const { topic, partition } = s.batch;
    const table = writerOf(topic).mapping.table;
    const forGood = isPlatformError(cause, 'CLICKHOUSE_REJECTED');
    d.metrics.insertFailed(table, forGood ? 'rejected' : 'retriable');
    rewind(s);
    if (forGood) {
      const retryAtMs = d.clock.now() + d.rejectedRetryMs;
      d.consumer.pause(topic);
      rejected.set(topic, { table, error: describeError(cause), retryAtMs });
      d.metrics.setRejected(table, true);
      d.logger.error('ClickHouse rejects inserts into this table; its topic is paused until it accepts them (a retry cannot help: check the migrations and grants)', {
        topic, partition, table, retryInMs: d.rejectedRetryMs, error: describeError(cause),
      });
      return;
    }
    d.logger.warn('ClickHouse unavailable; pausing and rewinding the partition', { topic, partition, table, error: describeError(cause) });
    if (paused) return;
    paused = true;
    d.metrics.setPaused(true);
    for (const t of d.topics.values()) d.consumer.pause(t);
    void probe();
  };

  const resumeOf = async (s: PartitionState): Promise<Resume> => {
    if (s.resume !== undefined) return s.resume;
    const { topic, partition } = s.batch;
    const c = (await d.consumer.committed(topic, [partition]))[0];
    const next = c === undefined || Number(c.offset) < 0 ? 0 : Number(c.offset);
    const plan = d.recordPlans ? parsePlan(c?.metadata ?? null, next) : null;
    if (plan !== null) d.logger.info('rebuilding the batch recorded before the partition moved or stopped', { topic, partition, first: plan.firstOffset, last: plan.lastOffset });
    s.resume = { next, plan };
    s.batch = emptyBatch(topic, partition, plan);
    s.bytes.reset();
    s.identities = [];
    return s.resume;
  };

  const deadLetter = (topic: string, partition: number, dl: PartitionBatch['deadLetters'][number]): DeadLetter => deadLetterOf({
    service: 'ingest', source: topic, errorCode: dl.errorCode, reason: dl.reason, rejectedAtMs: d.clock.now(),
    record: { topic, partition, offset: dl.offset, key: dl.key, payload: dl.payload ?? null },
  });

  /** A fenced commit; false (and the partition rewound) when this member may not commit it. */
  const commit = async (s: PartitionState, next: number, plan: BatchPlan | null): Promise<boolean> => {
    const { topic, partition } = s.batch;
    try {
      await d.consumer.commitOwned([{ topic, partition, next: String(next), metadata: plan === null ? null : planMetadata(plan) }]);
      return true;
    } catch (e) {
      d.logger.warn(plan === null ? 'offset commit refused after the insert; the recorded plan covers it' : 'batch plan not recorded; dropping the batch', { topic, partition, next, error: describeError(e) });
      return false;
    }
  };

  /**
   * The batch's rows without the copies of frames already in the batch or in ClickHouse
   * (telemetry-dedup.ts); the batch as it is for tables without row identities.
   */
  const withoutCopies = async (s: PartitionState, table: string): Promise<{ bytes: Buffer; rows: number }> => {
    const bytes = s.bytes.toBuffer();
    const ids = s.identities;
    if (ids.length === 0 || !d.frameDedup) return { bytes, rows: s.batch.rows };
    const plan = planDedup(ids, s.knownSeq);
    const looked = plan.lookup.flatMap((i) => (ids[i] === undefined ? [] : [ids[i]]));
    const existing = looked.length === 0 ? new Set<string>() : parseExisting(await d.sink.select(existingRowsQuery(table, looked)));
    const drop = rowsToDrop(ids, plan, existing);
    return { bytes: withoutRows(bytes, ids, drop), rows: s.batch.rows - drop.size };
  };

  /** Inserts and commits the partition's batch; false when it was dropped and the partition rewound. */
  const flush = async (s: PartitionState): Promise<boolean> => {
    const b = s.batch;
    if (isEmpty(b)) {
      // A plan whose records are gone (compacted): nothing to rebuild.
      if (b.plan !== null) s.batch = emptyBatch(b.topic, b.partition);
      return true;
    }
    const range = rangeOf(b);
    const w = writerOf(b.topic);
    if (b.rows > 0 && b.plan === null && d.recordPlans && !(await commit(s, range.firstOffset, range))) {
      rewind(s);
      return false;
    }
    if (b.deadLetters.length > 0) {
      await d.deadLetterWriter.publish(TopicNames.deadLetters, b.deadLetters.map((dl) => ({ key: b.topic, value: deadLetter(b.topic, b.partition, dl) })), { to: deadLetterTopic });
      b.deadLetters.forEach(() => d.metrics.deadLettered(b.topic));
    }
    if (b.rows > 0) {
      const n = ++inserts;
      const fault = d.fault?.atInsert === n ? d.fault : null;
      if (fault?.point === 'before-insert') d.die();
      if (fault?.point === 'stall-insert') {
        d.logger.warn('fault: stalling the insert', { topic: b.topic, partition: b.partition, token: tokenOf(b), ms: fault.stallMs });
        await sleep(fault.stallMs);
      }
      const started = performance.now();
      const ids = s.identities;
      let kept: { bytes: Buffer; rows: number };
      try {
        kept = await withoutCopies(s, w.mapping.table);
      } catch (e) {
        insertFailed(s, e);
        return false;
      }
      try {
        // Every row a copy of one in ClickHouse: nothing to insert, the offsets still move on.
        if (kept.rows > 0) {
          await d.sink.insert({
            table: w.mapping.table, columns: w.mapping.columns, token: tokenOf(b),
            body: bodyOf(kept.bytes, fault?.point === 'mid-insert' ? d.die : undefined),
          });
        }
      } catch (e) {
        insertFailed(s, e);
        return false;
      }
      rememberSeqs(s.knownSeq, ids);
      if (kept.rows < b.rows) d.metrics.duplicatesDropped(w.mapping.table, b.rows - kept.rows);
      d.metrics.inserted(w.mapping.table, kept.rows, (performance.now() - started) / 1000, d.clock.now());
      if (rejected.delete(b.topic)) {
        d.metrics.setRejected(w.mapping.table, false);
        d.logger.info('ClickHouse accepts inserts into this table again', { topic: b.topic, table: w.mapping.table });
      }
      if (fault?.point === 'after-insert') d.die();
    }
    s.batch = emptyBatch(b.topic, b.partition);
    s.bytes.reset();
    s.identities = [];
    const committed = await commit(s, range.lastOffset + 1, null);
    // The rows are in ClickHouse either way; a refused commit leaves the plan, which rebuilds this same batch.
    s.resume = committed ? { next: range.lastOffset + 1, plan: null } : undefined;
    d.metrics.setBufferedBytes(bufferedBytes());
    return true;
  };

  const handleBatch = async (topic: string, partition: number, records: readonly IncomingRecord[], ctx: BatchContext): Promise<void> => {
    const s = stateOf(topic, partition);
    const w = writerOf(topic);
    await locked(s, async () => {
      if (paused || !ctx.isRunning() || ctx.isStale()) return;
      let resume: Resume;
      try {
        resume = await resumeOf(s);
      } catch (e) {
        d.logger.warn('reading the committed offset failed; reading the partition again', { topic, partition, error: describeError(e) });
        const first = records[0];
        if (first !== undefined) d.consumer.seek(topic, partition, first.offset);
        return;
      }
      // The other partitions' buffers, once per fetch rather than per record (a soft bound).
      const others = bufferedBytes() - s.batch.bytes;
      for (const r of records) {
        const offset = Number(r.offset);
        const admission = admit(s.batch, offset, resume.next, d.policy);
        if (admission === 'skip') continue;
        if (admission === 'flush-first' && !(await flush(s))) return;
        const out = recordToRows(d.decoder, w, r, s.bytes);
        const now = d.clock.now();
        const added = out instanceof Promise ? await out : out;
        if (added.identities !== undefined) for (const id of added.identities) s.identities.push(id);
        s.batch = add(s.batch, added, now);
        const reason = flushReason(s.batch, now, d.policy);
        const tooMuch = s.batch.plan === null && others + s.batch.bytes > d.maxBufferedBytes;
        if ((reason !== null || tooMuch) && !(await flush(s))) return;
        // After a flush the partition may have been rewound (a refused commit): read where it resumes.
        if (s.resume === undefined) return;
      }
      // Lag is not set here: lag-refresher.ts keeps it true on a timer, also while nothing is handled (paused).
      const last = records.at(-1);
      if (last !== undefined) ctx.resolveOffset(last.offset);
      d.metrics.setBufferedBytes(bufferedBytes());
      await ctx.heartbeat();
    });
  };

  /** Quiet partitions: flush what has waited maxWaitMs; topics rejected for good: try again when due. */
  const tick = (): void => {
    if (paused) return;
    const now = d.clock.now();
    for (const [topic, r] of rejected) {
      if (r.retryAtMs > now) continue;
      rejected.set(topic, { ...r, retryAtMs: now + d.rejectedRetryMs });
      d.consumer.resume(topic);
    }
    for (const s of states.values()) {
      if (flushReason(s.batch, now, d.policy) === null) continue;
      locked(s, async () => {
        if (!paused && flushReason(s.batch, d.clock.now(), d.policy) !== null) await flush(s);
      }).catch((e: unknown) => d.logger.error('timed flush failed', { error: describeError(e) }));
    }
  };

  const onAssignment = (assigned: readonly PartitionAssignment[]): void => {
    const owned = new Set(assigned.flatMap((a) => a.partitions.map((p) => keyOf(a.topic, p))));
    for (const [k, s] of states) {
      const kept = owned.has(k);
      if (!kept) states.delete(k);
      // What is buffered was never inserted: drop it, and read the group's state again before going on.
      locked(s, () => Promise.resolve(rewind(s, kept))).catch(() => undefined);
    }
    d.logger.info('partitions assigned', { partitions: owned.size });
  };

  return {
    async start() {
      d.consumer.onAssignment(onAssignment);
      timer = setInterval(tick, Math.max(20, Math.min(250, d.policy.maxWaitMs / 4)));
      await d.consumer.runBatches((batch, ctx) => handleBatch(batch.topic, batch.partition, batch.records, ctx));
    },
    async stop() {
      stopped = true;
      if (timer !== undefined) clearInterval(timer);
      await Promise.all([...states.values()].map((s) => locked(s, async () => { if (!paused && !rejected.has(s.batch.topic)) await flush(s); }).catch(() => undefined)));
      await d.consumer.disconnect();
    },
    isPaused: () => paused,
    rejected: () => rejected,
  };
};
