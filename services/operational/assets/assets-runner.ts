/**
 * The Kafka shell around the shards. Consumer group gridfleet-assets on telemetry.v1 and
 * asset.rollup.v1: each assigned partition is a shard (telemetry p: the site and device actors of
 * the sites keyed to p; rollup p: the parent actors keyed to p). On assignment a new shard is
 * restored from asset.state.v1 partition p before any of its input is processed, then re-sends
 * its aggregates to the parents (which drop what they already have). Per batch: apply, then write
 * the changed actors' states to asset.state.v1 partition p (explicitly, so each shard's changelog
 * lives in its own partition), then their rollups (keyed by parent), then commit the input. A
 * crash after the state write at worst re-sends rollups (dropped as duplicates) and re-reads input
 * (dropped by lastSeq). Shards no longer assigned are let go after their last batch finished.
 */
import type { AvroCodec } from '../../platform/avro-codec.ts';
import type { Clock } from '../../platform/clock.ts';
import { describeError, PlatformError } from '../../platform/errors.ts';
import type { AssetState, DeadLetter, RollupDelta } from '../../platform/events.ts';
import type { Consumer, IncomingRecord, KafkaAdapter, PartitionAssignment, Producer } from '../../platform/kafka.ts';
import type { Logger } from '../../platform/logger.ts';
import { TopicNames } from '../../platform/topics.ts';
import type { Hierarchy } from './hierarchy.ts';
import type { AssetsMetrics } from './metrics.ts';
import { readChangelog } from './restore-shards.ts';
import { createParentShard, createSiteShard, type ParentShard, type ShardOutput, type SiteShard } from './shard.ts';

/** Records applied, written and committed together. */
const CHUNK = 1_000;
/** Records per produce request. */
const SEND_SLICE = 500;
/** Bytes of the offending record kept in a dead letter (payloadBytes says how long it was). */
const DEAD_LETTER_PAYLOAD_BYTES = 2048;

type Entry =
  | { readonly kind: 'site'; readonly shard: SiteShard; ready: Promise<void>; lock: Promise<void>; live: boolean }
  | { readonly kind: 'parent'; readonly shard: ParentShard; ready: Promise<void>; lock: Promise<void>; live: boolean };

export interface AssetsRunnerDeps {
  readonly kafka: KafkaAdapter;
  readonly codec: AvroCodec;
  readonly logger: Logger;
  readonly metrics: AssetsMetrics;
  readonly clock: Clock;
  readonly hierarchy: Hierarchy;
  readonly groupId: string;
  readonly topicPrefix: string;
  readonly staleAfterMs: number;
  readonly tickMs: number;
  readonly sessionTimeoutMs: number;
  readonly concurrency: number;
  /** Called when the instance cannot go on (a shard failed to restore): the process exits and its shards move. */
  readonly die: (reason: string) => void;
}

export interface AssetsRunner {
  start(): Promise<void>;
  stop(): Promise<void>;
  owned(): { site: number[]; parent: number[] };
}

export const createAssetsRunner = (d: AssetsRunnerDeps): AssetsRunner => {
  const topics = { telemetry: d.topicPrefix + TopicNames.telemetry, rollup: d.topicPrefix + TopicNames.assetRollup, state: d.topicPrefix + TopicNames.assetState };
  const entries = new Map<string, Entry>();
  /** The last work of shards given back, by key: a re-acquired shard restores after it. */
  const released = new Map<string, Promise<void>>();
  let producer: Producer | undefined;
  let consumer: Consumer | undefined;
  let timer: NodeJS.Timeout | undefined;

  const keyOf = (kind: Entry['kind'], p: number): string => `${kind}:${p}`;
  const locked = (e: Entry, fn: () => Promise<void>): Promise<void> => {
    const run = e.lock.then(fn);
    e.lock = run.catch(() => undefined);
    return run;
  };

  const produce = async (p: number, out: ShardOutput): Promise<void> => {
    if (producer === undefined) throw new Error('producer not started');
    // Slices keep each request under the broker's message size limit (1 MB); states before rollups.
    for (let i = 0; i < out.states.length; i += SEND_SLICE) {
      const slice = out.states.slice(i, i + SEND_SLICE);
      const values = await Promise.all(slice.map((s: AssetState) => d.codec.encode(TopicNames.assetState, s)));
      await producer.send(topics.state, slice.map((s, k) => ({ key: s.assetId, value: values[k] ?? null, partition: p })));
      d.metrics.produced.inc({ topic: TopicNames.assetState }, slice.length);
    }
    if (out.removed.length > 0) {
      await producer.send(topics.state, out.removed.map((id) => ({ key: id, value: null, partition: p })));
      d.metrics.produced.inc({ topic: TopicNames.assetState }, out.removed.length);
    }
    for (let i = 0; i < out.rollups.length; i += SEND_SLICE) {
      const slice = out.rollups.slice(i, i + SEND_SLICE);
      const values = await Promise.all(slice.map((r: RollupDelta) => d.codec.encode(TopicNames.assetRollup, r)));
      await producer.send(topics.rollup, slice.map((r, k) => ({ key: r.parentId, value: values[k] ?? null })));
      d.metrics.produced.inc({ topic: TopicNames.assetRollup }, slice.length);
    }
  };

  const updateGauges = (): void => {
    const live = [...entries.values()];
    d.metrics.shards.set({ kind: 'site' }, live.filter((e) => e.kind === 'site').length);
    d.metrics.shards.set({ kind: 'parent' }, live.filter((e) => e.kind === 'parent').length);
    d.metrics.actors.set(live.reduce((n, e) => n + e.shard.size(), 0));
  };

  /** Creates entries for shards not held yet and restores them all from one read of the changelog. */
  const acquire = (wanted: ReadonlyArray<{ kind: Entry['kind']; p: number }>): void => {
    const fresh: Entry[] = [];
    for (const w of wanted) {
      if (entries.has(keyOf(w.kind, w.p))) continue;
      const e: Entry = w.kind === 'site'
        ? { kind: 'site', shard: createSiteShard(w.p, d.hierarchy, d.staleAfterMs), ready: Promise.resolve(), lock: Promise.resolve(), live: true }
        : { kind: 'parent', shard: createParentShard(w.p, d.hierarchy), ready: Promise.resolve(), lock: Promise.resolve(), live: true };
      entries.set(keyOf(w.kind, w.p), e);
      fresh.push(e);
    }
    if (fresh.length === 0) return;
    const started = d.clock.now();
    // A shard given back and taken again must not read its changelog while its last write (a chunk
    // or a tick of the released entry) is still in flight, or it would restore an older picture.
    const settled = Promise.all(fresh.map((e) => released.get(keyOf(e.kind, e.shard.partition)) ?? Promise.resolve()));
    for (const e of fresh) released.delete(keyOf(e.kind, e.shard.partition));
    const restored = settled.then(() => readChangelog(d.kafka, d.codec, topics.state, new Set(fresh.map((e) => e.shard.partition)), d.logger)).then(async (byPartition) => {
      for (const e of fresh) {
        e.shard.restore(byPartition.get(e.shard.partition) ?? []);
        e.shard.resync();
        await produce(e.shard.partition, e.shard.drain(d.clock.now()));
      }
      d.metrics.restoreSeconds.observe((d.clock.now() - started) / 1000);
      d.logger.info('shards restored', { shards: fresh.map((e) => keyOf(e.kind, e.shard.partition)), actors: fresh.reduce((n, e) => n + e.shard.size(), 0), ms: d.clock.now() - started });
      updateGauges();
    });
    restored.catch((e: unknown) => d.die(`restoring shards failed: ${describeError(e)}`));
    for (const e of fresh) e.ready = restored;
  };

  const onAssignment = (assigned: readonly PartitionAssignment[]): void => {
    d.metrics.rebalances.inc();
    const kindOf = (topic: string): Entry['kind'] | null => (topic === topics.telemetry ? 'site' : topic === topics.rollup ? 'parent' : null);
    const wanted = assigned.flatMap((a): Array<{ kind: Entry['kind']; p: number }> => {
      const kind = kindOf(a.topic);
      return kind === null ? [] : a.partitions.map((p) => ({ kind, p }));
    });
    const keep = new Set(wanted.map((w) => keyOf(w.kind, w.p)));
    for (const [k, e] of entries) {
      if (keep.has(k)) continue;
      e.live = false;
      entries.delete(k);
      released.set(k, e.lock);
      d.logger.info('shard released', { shard: k });
    }
    acquire(wanted);
    updateGauges();
  };

  // Decoding is async (a registry lookup the first time a schema id is seen): decode the batch at
  // once, then apply in offset order. What cannot be used is returned as dead letters, written
  // before the offsets are committed so nothing is lost; the partition keeps moving.
  const apply = async (e: Entry, records: readonly IncomingRecord[]): Promise<DeadLetter[]> => {
    const now = d.clock.now();
    const letters: DeadLetter[] = [];
    const reject = (r: IncomingRecord, errorCode: string, reason: string): void => {
      const payload = r.value ?? Buffer.alloc(0);
      letters.push({
        source: r.key ?? r.topic, service: 'assets', errorCode, reason, originTopic: r.topic, originPartition: r.partition, originOffset: Number(r.offset),
        originKey: r.key, payload: payload.subarray(0, DEAD_LETTER_PAYLOAD_BYTES), payloadBytes: payload.length, rejectedAtMs: now,
      });
    };
    const withValues = records.filter((r): r is IncomingRecord & { value: Buffer } => r.value !== null);
    if (e.kind === 'site') {
      const decoded = await Promise.all(withValues.map((r) => d.codec.decode(TopicNames.telemetry, r.value)));
      decoded.forEach((t, i) => {
        const r = withValues[i] as IncomingRecord;
        if (!t.ok) reject(r, 'UNDECODABLE', `not a ${TopicNames.telemetry} record: ${t.error}`);
        const result = t.ok ? e.shard.handleTelemetry(t.value, now) : 'undecodable';
        if (t.ok && result === 'decommissioned') reject(r, 'DECOMMISSIONED', `device ${t.value.deviceId} of site ${t.value.siteId} was decommissioned in the registry; its telemetry is not applied`);
        d.metrics.telemetry.inc({ result });
      });
    } else {
      const decoded = await Promise.all(withValues.map((r) => d.codec.decode(TopicNames.assetRollup, r.value)));
      decoded.forEach((u, i) => {
        if (!u.ok) reject(withValues[i] as IncomingRecord, 'UNDECODABLE', `not a ${TopicNames.assetRollup} record: ${u.error}`);
        d.metrics.rollups.inc({ result: u.ok ? e.shard.handleRollup(u.value) : 'undecodable' });
      });
    }
    return letters;
  };

  const deadLetter = async (letters: readonly DeadLetter[]): Promise<void> => {
    if (letters.length === 0) return;
    if (producer === undefined) throw new Error('producer not started');
    const values = await Promise.all(letters.map((l) => d.codec.encode(TopicNames.deadLetters, l)));
    await producer.send(TopicNames.deadLetters, letters.map((l, i) => ({ key: l.source, value: values[i] ?? null })));
    for (const l of letters) d.metrics.deadLetters.inc({ code: l.errorCode });
  };

  const tick = (): void => {
    for (const e of entries.values()) {
      if (e.kind !== 'site') continue;
      const shard = e.shard;
      void e.ready
        .then(() =>
          locked(e, async () => {
            if (!e.live) return;
            const n = shard.tick(d.clock.now());
            if (n === 0) return;
            d.metrics.staleMarked.inc(n);
            await produce(shard.partition, shard.drain(d.clock.now()));
          }),
        )
        .catch((err: unknown) => d.logger.warn('staleness tick failed', { partition: shard.partition, error: describeError(err) }));
    }
  };

  return {
    async start() {
      const admin = await d.kafka.admin();
      try {
        const counts = await Promise.all([topics.telemetry, topics.rollup, topics.state].map((t) => admin.partitionCount(t)));
        // Shard p restores from changelog partition p: the three topics must be co-partitioned.
        if (new Set(counts).size !== 1 || counts[0] === 0) {
          throw new PlatformError('CONFIG_INVALID', `${topics.telemetry}, ${topics.rollup} and ${topics.state} must have the same partition count, have ${counts.join(', ')}`);
        }
      } finally {
        await admin.disconnect();
      }
      producer = await d.kafka.producer();
      const c = await d.kafka.consumer({
        groupId: d.groupId, topics: [topics.telemetry, topics.rollup], fromBeginning: true, autoCommit: false,
        sessionTimeoutMs: d.sessionTimeoutMs, partitionsConsumedConcurrently: d.concurrency,
      });
      consumer = c;
      c.onAssignment(onAssignment);
      timer = setInterval(tick, d.tickMs);
      await c.runBatches(async (batch, ctx) => {
        const kind = batch.topic === topics.telemetry ? 'site' : 'parent';
        if (!entries.has(keyOf(kind, batch.partition))) acquire([{ kind, p: batch.partition }]);
        const e = entries.get(keyOf(kind, batch.partition));
        if (e === undefined || batch.records.length === 0) return;
        while (!(await Promise.race([e.ready.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 1_000))]))) await ctx.heartbeat();
        // Chunks, each applied, written and committed before the next, with a heartbeat between:
        // a rebalance then waits for one chunk, not a whole fetched batch (heartbeat throws when the
        // group is rebalancing, which ends the batch; what was committed stays done).
        for (let i = 0; i < batch.records.length; i += CHUNK) {
          const chunk = batch.records.slice(i, i + CHUNK);
          const lastOfChunk = chunk.at(-1);
          if (lastOfChunk === undefined || !ctx.isRunning() || ctx.isStale()) return;
          await locked(e, async () => {
            if (!e.live) return;
            const letters = await apply(e, chunk);
            await produce(batch.partition, e.shard.drain(d.clock.now()));
            await deadLetter(letters);
            await c.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: lastOfChunk.offset }]);
            // Moves the fetch position too: unresolved records would be fetched again.
            ctx.resolveOffset(lastOfChunk.offset);
          });
          if (!e.live) return;
          await ctx.heartbeat();
        }
        updateGauges();
      });
    },
    async stop() {
      if (timer !== undefined) clearInterval(timer);
      await consumer?.disconnect();
      await Promise.all([...entries.values()].map((e) => e.lock));
      await producer?.disconnect();
    },
    owned() {
      const of = (k: Entry['kind']): number[] => [...entries.values()].filter((e) => e.kind === k).map((e) => e.shard.partition).sort((a, b) => a - b);
      return { site: of('site'), parent: of('parent') };
    },
  };
};
