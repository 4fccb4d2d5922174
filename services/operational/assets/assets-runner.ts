/**
 * The Kafka shell around the shards. Consumer group gridfleet-assets on telemetry.v1 and
 * asset.rollup.v1: each assigned partition is a shard (telemetry p: the site and device actors of
 * the sites keyed to p; rollup p: the parent actors whose id hashes to p).
 *
 * - Input is applied to the actors in memory as it arrives; the batch handler never waits for a
 *   write. A timer flushes each shard (shard-flush.ts): one write of its changes per flush, the
 *   offsets committed once that write is acknowledged.
 * - On assignment a shard is restored from its newest snapshot (restore-shards.ts) and its input
 *   replayed from the offset the snapshot covers: the handler keeps each shard's position and
 *   seeks back to it, and drops records below it (fetched before the seek landed).
 * - A shard given back is flushed once more (its changes reach the parents; its commit is refused,
 *   the new owner replays from the snapshot). On stop every shard is flushed, snapshotted and
 *   committed before the group is left.
 */
import type { AvroCodec } from '../../platform/avro-codec.ts';
import type { Clock } from '../../platform/clock.ts';
import { describeError, PlatformError } from '../../platform/errors.ts';
import { deadLetterOf } from '../../platform/dead-letter.ts';
import type { Consumer, IncomingRecord, KafkaAdapter, PartitionAssignment } from '../../platform/kafka.ts';
import type { Logger } from '../../platform/logger.ts';
import { TopicNames } from '../../platform/topics.ts';
import { openAssetsWriter, type AssetsWriter } from './assets-writer.ts';
import type { Hierarchy } from './hierarchy.ts';
import type { AssetsConfig } from './config.ts';
import type { AssetsMetrics } from './metrics.ts';
import { createParentShard } from './parent-shard.ts';
import { parsePointer, readSnapshots, type WantedSnapshot } from './restore-shards.ts';
import { createFlusher, newEntry, phaseMs, type Entry, type Flusher } from './shard-flush.ts';
import { createSiteShard } from './site-shard.ts';

/** Bytes of the offending record kept in a dead letter (payloadBytes says how long it was). */
const DEAD_LETTER_PAYLOAD_BYTES = 2048;
/** The handler gives the event loop back (and heartbeats) after this much work in one go. */
const YIELD_AFTER_MS = 20;

/** The runner's settings are the config's own fields (config.ts documents each). */
export interface AssetsRunnerDeps extends Pick<AssetsConfig, 'groupId' | 'topicPrefix' | 'staleAfterMs' | 'tickMs' | 'siteFlushMs' | 'parentFlushMs' | 'snapshotEveryMs' | 'fullViewEveryMs' | 'sessionTimeoutMs' | 'concurrency'> {
  readonly kafka: KafkaAdapter;
  readonly codec: AvroCodec;
  readonly logger: Logger;
  readonly metrics: AssetsMetrics;
  readonly clock: Clock;
  /** Wall clock (versions, timers), apart from the event clock above. */
  readonly wallNow: () => number;
  readonly hierarchy: Hierarchy;
  /** Called when the instance cannot go on (a shard failed to restore, a group member stopped): the process exits and its shards move. */
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
  /** The last flush of shards given back, by key: a re-acquired shard restores after it. */
  const released = new Map<string, Promise<void>>();
  let partitions = 0;
  let writers: AssetsWriter[] = [];
  /** The group's two members in this process: site shards (telemetry) and parent shards (partials), each with its own fetch loop. */
  let consumers: Consumer[] = [];
  /** Which of them holds a shard: its seeks and commits go through that member. */
  const holder = new Map<string, Consumer>();
  let flusher: Flusher | undefined;
  let timer: NodeJS.Timeout | undefined;

  const keyOf = (kind: Entry['kind'], p: number): string => `${kind}:${p}`;

  const updateGauges = (): void => {
    const live = [...entries.values()];
    d.metrics.shards.set({ kind: 'site' }, live.filter((e) => e.kind === 'site').length);
    d.metrics.shards.set({ kind: 'parent' }, live.filter((e) => e.kind === 'parent').length);
    d.metrics.actors.set(live.reduce((n, e) => n + e.shard.size(), 0));
  };

  /** Restores fresh shards from their snapshots (one read for all of them), then seeks each to its replay start. */
  const restore = async (fresh: readonly Entry[]): Promise<void> => {
    await Promise.all(fresh.map((e) => released.get(keyOf(e.kind, e.partition)) ?? Promise.resolve()));
    for (const e of fresh) released.delete(keyOf(e.kind, e.partition));
    const committed = new Map<string, { offset: string; metadata: string | null }>();
    for (const [kind, topic] of [['site', topics.telemetry], ['parent', topics.rollup]] as const) {
      const ps = fresh.filter((e) => e.kind === kind).map((e) => e.partition);
      const c = consumers[0];
      if (c === undefined) throw new Error('consumer not started');
      // Committed offsets are the group's, whichever member reads them.
      if (ps.length > 0) for (const o of await c.committed(topic, ps)) committed.set(keyOf(kind, o.partition), o);
    }
    const wanted: WantedSnapshot[] = fresh.flatMap((e) => {
      const pointer = parsePointer(committed.get(keyOf(e.kind, e.partition))?.metadata ?? null);
      return pointer === null ? [] : [{ kind: e.kind, partition: e.partition, pointer }];
    });
    const snaps = await readSnapshots(d.kafka, d.codec, topics.state, wanted, d.logger);
    const admin = await d.kafka.admin();
    const lows = new Map<string, string>();
    try {
      for (const topic of [topics.telemetry, topics.rollup]) for (const o of await admin.topicOffsets(topic)) lows.set(`${topic}:${o.partition}`, o.low);
    } finally {
      await admin.disconnect();
    }
    const now = d.clock.now();
    for (const e of fresh) {
      const key = keyOf(e.kind, e.partition);
      const next = committed.get(key)?.offset ?? '-1';
      const pointer = wanted.find((w) => w.kind === e.kind && w.partition === e.partition)?.pointer ?? null;
      const snap = snaps.get(key) ?? null;
      if (pointer !== null && snap !== null) {
        if (e.kind === 'site') e.shard.restore({ seq: pointer.seq, devices: snap.batches.flatMap((b) => b.devices) }, now);
        else e.shard.restore({ seq: pointer.seq, parents: snap.batches.flatMap((b) => b.partials) });
        e.pointer = pointer;
        e.position = BigInt(snap.coversOffset);
      } else if (BigInt(next) >= 0n) {
        // Committed without a usable snapshot (written by an older version, or lost): rebuild from all input kept.
        d.logger.warn('no snapshot for a committed shard; replaying its input from the start', { kind: e.kind, partition: e.partition, pointer });
        e.position = BigInt(lows.get(`${e.inputTopic}:${e.partition}`) ?? '0');
      }
      if (e.position !== null) {
        e.catchUpTo = BigInt(next) > e.position ? BigInt(next) : null;
        // Not landed while the member restarts: the batch handler seeks again when records come from elsewhere.
        holder.get(key)?.seek(e.inputTopic, e.partition, e.position.toString());
      }
      if ((e.position === null || e.catchUpTo === null) && e.restoringSinceMs !== null) {
        d.metrics.lastRestoreSeconds.set((d.wallNow() - e.restoringSinceMs) / 1000);
        d.metrics.restoreSeconds.observe((d.wallNow() - e.restoringSinceMs) / 1000);
        e.restoringSinceMs = null;
        d.metrics.restoring.dec();
      }
    }
    d.logger.info('shards restored', { shards: fresh.map((e) => keyOf(e.kind, e.partition)), actors: fresh.reduce((n, e) => n + e.shard.size(), 0), snapshots: wanted.length });
    updateGauges();
  };

  const acquire = (by: Consumer, wanted: ReadonlyArray<{ kind: Entry['kind']; p: number }>): void => {
    const fresh: Entry[] = [];
    const wall = d.wallNow();
    for (const w of wanted) {
      // A shard this process already holds stays as it is, only its member may change (the fallback of kafka-assigner.ts).
      holder.set(keyOf(w.kind, w.p), by);
      if (entries.has(keyOf(w.kind, w.p))) continue;
      const e = w.kind === 'site'
        ? newEntry('site', createSiteShard(w.p, d.hierarchy, d.staleAfterMs), topics.telemetry, wall, phaseMs('site', w.p, partitions, d.snapshotEveryMs))
        : newEntry('parent', createParentShard(w.p, d.hierarchy), topics.rollup, wall, phaseMs('parent', w.p, partitions, d.snapshotEveryMs));
      entries.set(keyOf(w.kind, w.p), e);
      fresh.push(e);
    }
    if (fresh.length === 0) return;
    d.metrics.restoring.inc(fresh.length);
    const restored = restore(fresh);
    restored.catch((err: unknown) => d.die(`restoring shards failed: ${describeError(err)}`));
    for (const e of fresh) e.ready = restored;
  };

  /** A member's new assignment: it lets go of the shards it held and no longer has, and takes the new ones. */
  const onAssignment = (by: Consumer) => (assigned: readonly PartitionAssignment[]): void => {
    d.metrics.rebalances.inc();
    const kindOf = (topic: string): Entry['kind'] | null => (topic === topics.telemetry ? 'site' : topic === topics.rollup ? 'parent' : null);
    const wanted = assigned.flatMap((a): Array<{ kind: Entry['kind']; p: number }> => {
      const kind = kindOf(a.topic);
      return kind === null ? [] : a.partitions.map((p) => ({ kind, p }));
    });
    const keep = new Set(wanted.map((w) => keyOf(w.kind, w.p)));
    for (const [k, e] of entries) {
      if (keep.has(k) || holder.get(k) !== by) continue;
      holder.delete(k);
      e.live = false;
      entries.delete(k);
      if (e.restoringSinceMs !== null) d.metrics.restoring.dec();
      // Flushed once more so the parents get its last changes; its commit is refused (no longer owned).
      released.set(k, e.ready.then(() => flusher?.flush(e, 'release')).catch(() => undefined));
      d.logger.info('shard released', { shard: k });
    }
    acquire(by, wanted);
    updateGauges();
  };

  const deadLetter = (e: Entry, r: IncomingRecord, errorCode: string, reason: string): void => {
    const letter = deadLetterOf({
      service: 'assets', source: r.key ?? r.topic, errorCode, reason, rejectedAtMs: d.clock.now(), maxPayloadBytes: DEAD_LETTER_PAYLOAD_BYTES,
      record: { topic: r.topic, partition: r.partition, offset: Number(r.offset), key: r.key, payload: r.value },
    });
    d.metrics.deadLetters.inc({ code: errorCode });
    const sent = writers[3]?.publish(TopicNames.deadLetters, [{ key: letter.source, value: letter }], TopicNames.deadLetters) ?? Promise.reject(new Error('writer not started'));
    e.letters.push(sent);
  };

  const applyRecord = async (e: Entry, r: IncomingRecord, now: number): Promise<void> => {
    if (r.value === null) return;
    if (e.kind === 'site') {
      const t = await d.codec.decode(TopicNames.telemetry, r.value);
      if (!t.ok) {
        deadLetter(e, r, 'UNDECODABLE', `not a ${TopicNames.telemetry} record: ${t.error}`);
        d.metrics.telemetry.inc({ result: 'undecodable' });
        return;
      }
      const result = e.shard.handleTelemetry(t.value, now, r.timestampMs);
      if (result === 'decommissioned') deadLetter(e, r, 'DECOMMISSIONED', `device ${t.value.deviceId} of site ${t.value.siteId} was decommissioned in the registry; its telemetry is not applied`);
      d.metrics.telemetry.inc({ result });
    } else {
      const u = await d.codec.decode(TopicNames.assetRollup, r.value);
      if (!u.ok) deadLetter(e, r, 'UNDECODABLE', `not a ${TopicNames.assetRollup} record: ${u.error}`);
      d.metrics.rollups.inc({ result: u.ok ? e.shard.handlePartials(u.value) : 'undecodable' });
    }
  };

  const flushAll = (): void => {
    for (const e of entries.values()) {
      void e.ready.then(() => (e.live ? flusher?.flush(e, 'timer') : undefined)).catch(() => undefined);
    }
  };

  return {
    async start() {
      const admin = await d.kafka.admin();
      try {
        const counts = await Promise.all([topics.telemetry, topics.rollup, topics.state].map((t) => admin.partitionCount(t)));
        // Shard p writes its view and snapshots to changelog partition p: the three topics must be co-partitioned.
        if (new Set(counts).size !== 1 || counts[0] === 0) {
          throw new PlatformError('CONFIG_INVALID', `${topics.telemetry}, ${topics.rollup} and ${topics.state} must have the same partition count, have ${counts.join(', ')}`);
        }
        partitions = counts[0] ?? 0;
      } finally {
        await admin.disconnect();
      }
      const count = (topic: string, bytes: number): void => d.metrics.bytesProduced.inc({ topic }, bytes);
      // Partials, site shards' views, parent shards' views, dead letters, snapshots: a producer each.
      writers = await Promise.all([0, 1, 2, 3, 4].map(() => openAssetsWriter({ kafka: d.kafka, codec: d.codec, count })));
      const [partials, sites, parents, , snapshots] = writers as [AssetsWriter, AssetsWriter, AssetsWriter, AssetsWriter, AssetsWriter];
      // Two members of the group, both subscribed to both topics: one is given the telemetry partitions
      // (site shards), the other the partials (parent shards), so partials are fetched while telemetry is
      // still being applied instead of after the whole fetch it came in (kafka-assigner.ts).
      // Fetches wait for a few KiB (or 100 / 50 ms): with kafkajs's minBytes 1 each member fetched
      // once per gateway produce (125 fetches/s for 500 frames/s in the 10k control bench, strace),
      // per-fetch work for the broker and this process on the cores the control path needs. The
      // flush timers (ASSETS_FLUSH_MS, ASSETS_PARENT_FLUSH_MS) dominate the lag either way.
      const fetchOf = (wants: string) => (wants === topics.telemetry ? { minBytes: 16 * 1024, maxWaitTimeInMs: 100 } : { minBytes: 4 * 1024, maxWaitTimeInMs: 50 });
      consumers = await Promise.all([topics.telemetry, topics.rollup].map((wants) => d.kafka.consumer({
        groupId: d.groupId, topics: [topics.telemetry, topics.rollup], assignTopics: [wants], fromBeginning: true, autoCommit: false,
        sessionTimeoutMs: d.sessionTimeoutMs, partitionsConsumedConcurrently: d.concurrency, fetch: fetchOf(wants),
      })));
      const commitVia = (topic: string, partition: number): Consumer | undefined => holder.get(keyOf(topic === topics.telemetry ? 'site' : 'parent', partition));
      flusher = createFlusher({
        writers: { partials, sites, parents, snapshots }, logger: d.logger, metrics: d.metrics, topics, partitions: () => partitions, now: () => d.clock.now(), wallNow: d.wallNow,
        siteFlushMs: d.siteFlushMs, parentFlushMs: d.parentFlushMs, tickMs: d.tickMs, snapshotEveryMs: d.snapshotEveryMs, fullViewEveryMs: d.fullViewEveryMs,
        commit: (topic, partition, next, metadata) =>
          commitVia(topic, partition)?.commitOwned([{ topic, partition, next: next.toString(), metadata }]) ?? Promise.reject(new PlatformError('KAFKA_NOT_OWNER', `${topic}[${partition}] is no longer held here`)),
      });
      for (const c of consumers) {
        c.onAssignment(onAssignment(c));
        // kafkajs restarts a member after a retriable failure; after any other it stops for good,
        // and its shards would stand still here while the group still counts them as ours.
        c.onCrash((crash) => {
          if (!crash.restarting) d.die(`a group member stopped for good: ${crash.error}`);
        });
      }
      // A fifth of the shortest interval: a flush starts at most that late (at a half, a 500 ms flush came every 500-750 ms).
      timer = setInterval(flushAll, Math.max(10, Math.min(d.siteFlushMs, d.parentFlushMs) / 5));
      await Promise.all(consumers.map((c) => c.runBatches(async (batch, ctx) => {
        const kind = batch.topic === topics.telemetry ? 'site' : 'parent';
        if (!entries.has(keyOf(kind, batch.partition))) acquire(c, [{ kind, p: batch.partition }]);
        const e = entries.get(keyOf(kind, batch.partition));
        if (e === undefined || batch.records.length === 0) return;
        while (!(await Promise.race([e.ready.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 1_000))]))) await ctx.heartbeat();
        const first = batch.records[0];
        if (first !== undefined) d.metrics.inputAge.observe({ kind }, Math.max(0, d.wallNow() - first.timestampMs) / 1000);
        let last: string | undefined;
        let slice = performance.now();
        const now = d.clock.now();
        for (const r of batch.records) {
          if (!e.live || !ctx.isRunning()) break;
          const offset = BigInt(r.offset);
          if (e.position !== null && offset < e.position) continue;
          if (e.position !== null && offset > e.position) {
            // Fetched from where the consumer was, not from the shard's replay start: go back there.
            c.seek(batch.topic, batch.partition, e.position.toString());
            return;
          }
          await applyRecord(e, r, now);
          e.position = offset + 1n;
          last = r.offset;
          if (performance.now() - slice > YIELD_AFTER_MS) {
            ctx.resolveOffset(last);
            await new Promise((resolve) => setImmediate(resolve));
            // Throws while the group rebalances, which ends the batch; the position keeps what was applied.
            await ctx.heartbeat();
            slice = performance.now();
          }
        }
        if (last !== undefined) ctx.resolveOffset(last);
        updateGauges();
      })));
    },
    async stop() {
      if (timer !== undefined) clearInterval(timer);
      // Every shard written, snapshotted and committed while this member still owns it.
      await Promise.all([...entries.values()].map((e) => e.ready.then(() => flusher?.flush(e, 'stop')).catch(() => undefined)));
      await Promise.all(consumers.map((c) => c.disconnect()));
      await Promise.all([...released.values()]);
      await Promise.all(writers.map((w) => w.close()));
    },
    owned() {
      const of = (k: Entry['kind']): number[] => [...entries.values()].filter((e) => e.kind === k).map((e) => e.partition).sort((a, b) => a - b);
      return { site: of('site'), parent: of('parent') };
    },
  };
};
