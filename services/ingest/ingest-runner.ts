/**
 * The consumer shell of ingest: Kafka batches in, deterministic per-partition batches out to
 * ClickHouse, offsets committed only after ClickHouse acknowledged the insert.
 *
 * Exactly once as seen in ClickHouse rests on three things:
 *  1. the same offsets make the same batch and the same insert_deduplication_token (batcher.ts),
 *     so a retried or replayed insert whose first attempt landed is dropped by the table's
 *     deduplication window (and by every rollup's);
 *  2. the offset is committed after the insert is acknowledged, so nothing acknowledged is lost;
 *  3. every raw row carries its offset, and before a partition's first batch (after start, a
 *     rebalance, or a failed insert) the runner reads the highest offset ClickHouse already has
 *     for it (its floor) and skips records below it: a batch that landed but whose commit was lost,
 *     even one cut early by time or size, is never inserted twice.
 *
 * When an insert fails (ClickHouse down or slow), the runner pauses every topic, drops that
 * partition's batch and seeks it back to the batch's first offset (Kafka keeps the records, so
 * memory stays bounded by what is already buffered), probes ClickHouse with backoff, and resumes
 * when it answers. A record that cannot be decoded or mapped goes to dead.letters.v1 and its
 * partition keeps moving.
 */
import type { AvroCodec } from '../platform/avro-codec.ts';
import type { Clock } from '../platform/clock.ts';
import type { DeadLetter } from '../platform/events.ts';
import type { BatchContext, Consumer, IncomingRecord, PartitionAssignment, Producer } from '../platform/kafka.ts';
import type { Logger } from '../platform/logger.ts';
import { TopicNames, type TopicName } from '../platform/topics.ts';
import { add, admit, emptyBatch, flushReason, isEmpty, tokenOf, type BatchPolicy, type PartitionBatch } from './batcher.ts';
import { bodyOf, type ClickHouseSink } from './clickhouse-sink.ts';
import type { FaultPlan } from './config.ts';
import type { IngestMetrics } from './ingest-metrics.ts';
import { recordToRows, topicWriter, type TopicWriter } from './record-rows.ts';
import { ByteSink } from './row-binary.ts';

export interface RunnerDeps {
  readonly consumer: Consumer;
  readonly producer: Producer;
  readonly codec: AvroCodec;
  readonly sink: ClickHouseSink;
  readonly metrics: IngestMetrics;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Physical topic of each logical one (tests use prefixed names). */
  readonly topics: ReadonlyMap<TopicName, string>;
  readonly policy: BatchPolicy;
  readonly maxBufferedBytes: number;
  readonly retryMaxMs: number;
  readonly fault: FaultPlan | null;
  /** Skip records ClickHouse already has before a partition's first batch (see the header). */
  readonly resumeFromClickHouse: boolean;
  /** Ends the process at once (SIGKILL in main.ts); only called by the fault plan. */
  readonly die: () => void;
}

interface PartitionState {
  batch: PartitionBatch;
  readonly bytes: ByteSink;
  /** Offsets below this are already in ClickHouse; undefined until looked up. */
  floor: number | undefined;
  lock: Promise<void>;
}

export interface Runner {
  start(): Promise<void>;
  stop(): Promise<void>;
  isPaused(): boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export const createIngestRunner = (d: RunnerDeps): Runner => {
  const logicalOf = new Map([...d.topics].map(([logical, physical]) => [physical, logical]));
  const writers = new Map([...d.topics.keys()].map((t) => [t, topicWriter(t)]));
  const states = new Map<string, PartitionState>();
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
      s = { batch: emptyBatch(topic, partition), bytes: new ByteSink(), floor: undefined, lock: Promise.resolve() };
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
  const reset = (s: PartitionState): void => {
    s.batch = emptyBatch(s.batch.topic, s.batch.partition);
    s.bytes.reset();
  };

  const writerOf = (topic: string): TopicWriter => {
    const w = writers.get(logicalOf.get(topic) as TopicName);
    if (w === undefined) throw new Error(`ingest: no table for topic ${topic}`);
    return w;
  };

  /** ClickHouse refused: pause everything, put this partition back to its batch's start, probe until it answers. */
  const fallBack = (s: PartitionState, firstOffset: number, cause: unknown): void => {
    d.metrics.insertFailed(writerOf(s.batch.topic).mapping.table);
    d.logger.warn('ClickHouse refused; pausing and rewinding the partition', { topic: s.batch.topic, partition: s.batch.partition, offset: firstOffset, error: cause instanceof Error ? cause.message : String(cause) });
    reset(s);
    s.floor = undefined;
    if (firstOffset >= 0) d.consumer.seek(s.batch.topic, s.batch.partition, String(firstOffset));
    if (paused) return;
    paused = true;
    d.metrics.setPaused(true);
    for (const t of d.topics.values()) d.consumer.pause(t);
    void probe();
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
    for (const t of d.topics.values()) d.consumer.resume(t);
  };

  const floorOf = async (s: PartitionState): Promise<number> => {
    if (s.floor === undefined && !d.resumeFromClickHouse) s.floor = 0;
    if (s.floor === undefined) {
      const max = await d.sink.maxOffsets(writerOf(s.batch.topic).mapping.table, [s.batch.partition]);
      const m = max.get(s.batch.partition);
      s.floor = m === undefined ? 0 : m + 1;
    }
    return s.floor;
  };

  const deadLetter = (topic: string, partition: number, dl: PartitionBatch['deadLetters'][number]): DeadLetter => ({
    source: topic, service: 'ingest', errorCode: dl.errorCode, reason: dl.reason.slice(0, 2_000),
    originTopic: topic, originPartition: partition, originOffset: dl.offset, originKey: dl.key,
    payload: (dl.payload ?? Buffer.alloc(0)).subarray(0, 64 * 1024), payloadBytes: dl.payload?.length ?? 0, rejectedAtMs: d.clock.now(),
  });

  /** Inserts and commits the partition's batch; false when ClickHouse refused (the partition was rewound). */
  const flush = async (s: PartitionState): Promise<boolean> => {
    const b = s.batch;
    if (isEmpty(b)) return true;
    const w = writerOf(b.topic);
    if (b.deadLetters.length > 0) {
      const values = await Promise.all(b.deadLetters.map((dl) => d.codec.encode(TopicNames.deadLetters, deadLetter(b.topic, b.partition, dl))));
      await d.producer.send(deadLetterTopic, values.map((value) => ({ key: b.topic, value })));
      b.deadLetters.forEach(() => d.metrics.deadLettered(b.topic));
    }
    if (b.rows > 0) {
      const n = ++inserts;
      const fault = d.fault?.atInsert === n ? d.fault.point : null;
      if (fault === 'before-insert') d.die();
      const started = performance.now();
      try {
        await d.sink.insert({
          table: w.mapping.table, columns: w.mapping.columns, token: tokenOf(b),
          body: bodyOf(s.bytes.toBuffer(), fault === 'mid-insert' ? d.die : undefined),
        });
      } catch (e) {
        fallBack(s, b.firstOffset, e);
        return false;
      }
      d.metrics.inserted(w.mapping.table, b.rows, (performance.now() - started) / 1000, d.clock.now());
      if (fault === 'after-insert') d.die();
    }
    reset(s);
    s.floor = b.lastOffset + 1;
    try {
      await d.consumer.commitOffsets([{ topic: b.topic, partition: b.partition, offset: String(b.lastOffset) }]);
    } catch (e) {
      // The rows are in ClickHouse; the floor lookup covers a commit that never happened.
      s.floor = undefined;
      d.logger.warn('offset commit failed after the insert; ClickHouse holds the progress', { topic: b.topic, partition: b.partition, error: e instanceof Error ? e.message : String(e) });
    }
    d.metrics.setBufferedBytes(bufferedBytes());
    return true;
  };

  const handleBatch = async (topic: string, partition: number, records: readonly IncomingRecord[], highWatermark: string, ctx: BatchContext): Promise<void> => {
    const s = stateOf(topic, partition);
    const w = writerOf(topic);
    await locked(s, async () => {
      if (paused || !ctx.isRunning() || ctx.isStale()) return;
      let floor: number;
      try {
        floor = await floorOf(s);
      } catch (e) {
        fallBack(s, Number(records[0]?.offset ?? -1), e);
        return;
      }
      for (const r of records) {
        const offset = Number(r.offset);
        const admission = admit(s.batch, offset, floor, d.policy);
        if (admission === 'skip') continue;
        if (admission === 'flush-first' && !(await flush(s))) return;
        const rows = await recordToRows(d.codec, w, r, s.bytes);
        s.batch = add(s.batch, rows, d.clock.now());
        const reason = flushReason(s.batch, d.clock.now(), d.policy);
        const tooMuch = bufferedBytes() > d.maxBufferedBytes;
        if ((reason !== null || tooMuch) && !(await flush(s))) return;
      }
      const last = records.at(-1);
      if (last !== undefined) {
        ctx.resolveOffset(last.offset);
        d.metrics.setLag(topic, partition, Math.max(0, Number(highWatermark) - Number(last.offset) - 1));
      }
      d.metrics.setBufferedBytes(bufferedBytes());
      await ctx.heartbeat();
    });
  };

  /** Quiet partitions: flush what has waited maxWaitMs, without waiting for the next record. */
  const tick = (): void => {
    if (paused) return;
    const now = d.clock.now();
    for (const s of states.values()) {
      if (flushReason(s.batch, now, d.policy) === null) continue;
      locked(s, async () => {
        if (!paused && flushReason(s.batch, d.clock.now(), d.policy) !== null) await flush(s);
      }).catch((e: unknown) => d.logger.error('timed flush failed', { error: e instanceof Error ? e.message : String(e) }));
    }
  };

  const onAssignment = (assigned: readonly PartitionAssignment[]): void => {
    const owned = new Set(assigned.flatMap((a) => a.partitions.map((p) => keyOf(a.topic, p))));
    for (const [k, s] of states) {
      if (!owned.has(k)) {
        states.delete(k);
        d.metrics.dropPartition(s.batch.topic, s.batch.partition);
      } else s.floor = undefined;
    }
    d.logger.info('partitions assigned', { partitions: owned.size });
  };

  return {
    async start() {
      d.consumer.onAssignment(onAssignment);
      timer = setInterval(tick, Math.max(20, Math.min(250, d.policy.maxWaitMs / 4)));
      await d.consumer.runBatches((batch, ctx) => handleBatch(batch.topic, batch.partition, batch.records, batch.highWatermark, ctx));
    },
    async stop() {
      stopped = true;
      if (timer !== undefined) clearInterval(timer);
      await Promise.all([...states.values()].map((s) => locked(s, async () => { if (!paused) await flush(s); }).catch(() => undefined)));
      await d.consumer.disconnect();
    },
    isPaused: () => paused,
  };
};
