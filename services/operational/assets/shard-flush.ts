/**
 * Flushing a shard (the effects half of a shard's life; assets-runner.ts wires it to Kafka).
 *
 * Contract, per shard:
 * - at most one flush in flight; changes made meanwhile coalesce into the next one;
 * - a flush takes the shard's changes synchronously (so it covers exactly the input applied up to
 *   `position`), then writes them (partials to asset.rollup.v1, the compact view to
 *   asset.state.v1) and, when due, a snapshot; the processing loop never waits for it;
 * - the input offset is committed only once everything the flush wrote is acknowledged (dead
 *   letters of that input included), with the newest snapshot's pointer as the commit's metadata;
 * - a shard restored from a snapshot does not flush until its replay reached the offset the
 *   previous owner had committed, so parents never see a shard's partial go back in time;
 * - a failed write marks the next flush full: every partial and every site again, at a newer
 *   version, so nothing a lost write carried stays missing.
 */
import { describeError } from '../../platform/errors.ts';
import type { Logger } from '../../platform/logger.ts';
import { TopicNames } from '../../platform/topics.ts';
import type { AssetsWriter } from './assets-writer.ts';
import type { AssetsMetrics } from './metrics.ts';
import type { ParentShard } from './parent-shard.ts';
import { pointerMetadata, type SnapshotPointer } from './restore-shards.ts';
import { parentViewRecords, partialRecords, siteViewRecords, snapshotRecords } from './shard-records.ts';
import type { SiteShard } from './site-shard.ts';

/** Deltas after a full view before the next full view is forced (slots d0..d(n-1)). */
const MAX_DELTAS = 1_000;

interface EntryBase {
  readonly partition: number;
  readonly inputTopic: string;
  ready: Promise<void>;
  live: boolean;
  /** The next input offset to apply; null until known (a fresh shard takes what the consumer gives). */
  position: bigint | null;
  /** After a restore: flushes wait until position reaches this (the previous owner's commit). */
  catchUpTo: bigint | null;
  committedNext: bigint | null;
  pointer: SnapshotPointer | null;
  flushing: Promise<void> | null;
  needFull: boolean;
  deltaNo: number;
  lastFlushAtMs: number;
  lastFullAtMs: number;
  lastSnapshotAtMs: number;
  lastTickAtMs: number;
  /** Dead letters of applied input: written before that input's offset is committed. */
  letters: Promise<unknown>[];
  /** When the shard was acquired (wall ms), until it caught up after its restore. */
  restoringSinceMs: number | null;
}

export type Entry =
  | (EntryBase & { readonly kind: 'site'; readonly shard: SiteShard })
  | (EntryBase & { readonly kind: 'parent'; readonly shard: ParentShard });

/**
 * Where in a periodic interval a shard's turn falls: shards spread evenly over it (parent shards
 * half a step after the site shard of the same number), so the 48 shards' snapshots and full views
 * do not all land in the same tick. Written all at once, 100,000 devices' snapshots held the event
 * loop and the producers for long enough to set the rollup lag's p99.
 */
export const phaseMs = (kind: Entry['kind'], partition: number, partitions: number, everyMs: number): number =>
  Math.floor((((partition + (kind === 'parent' ? 0.5 : 0)) % Math.max(1, partitions)) * everyMs) / Math.max(1, partitions));

/** snapshotPhaseMs: how much earlier than a whole interval after wallMs the shard's first snapshot is due (phaseMs). */
export const newEntry = <K extends Entry['kind']>(
  kind: K, shard: K extends 'site' ? SiteShard : ParentShard, inputTopic: string, wallMs: number, snapshotPhaseMs = 0,
): Entry =>
  ({
    kind, shard, partition: shard.partition, inputTopic, ready: Promise.resolve(), live: true, position: null, catchUpTo: null, committedNext: null, pointer: null,
    flushing: null, needFull: true, deltaNo: 0, lastFlushAtMs: 0, lastFullAtMs: wallMs, lastSnapshotAtMs: wallMs - snapshotPhaseMs, lastTickAtMs: wallMs, letters: [], restoringSinceMs: wallMs,
  }) as Entry;

export interface FlushDeps {
  /**
   * One writer (one producer) per path, so no path's sends queue behind another's: partials, site
   * shards' views, parent shards' views, and every shard's snapshots (the largest records: a view
   * must not wait for them).
   */
  readonly writers: { readonly partials: AssetsWriter; readonly sites: AssetsWriter; readonly parents: AssetsWriter; readonly snapshots: AssetsWriter };
  readonly logger: Logger;
  readonly metrics: AssetsMetrics;
  readonly topics: { readonly state: string; readonly rollup: string };
  readonly partitions: () => number;
  /** Event time (simulated with SIM_SPEED): staleness and updatedAtMs. */
  readonly now: () => number;
  /** Wall clock: versions and timers. */
  readonly wallNow: () => number;
  readonly siteFlushMs: number;
  readonly parentFlushMs: number;
  readonly tickMs: number;
  readonly snapshotEveryMs: number;
  readonly fullViewEveryMs: number;
  /** Commits next (the next offset to read) with metadata; rejects when the shard is no longer owned. */
  readonly commit: (topic: string, partition: number, next: bigint, metadata: string) => Promise<void>;
}

export type FlushReason = 'timer' | 'release' | 'stop';

export const createFlusher = (d: FlushDeps) => {
  const write = async (e: Entry, upTo: bigint, wall: number, snapshot: boolean): Promise<void> => {
    const now = d.now();
    const letters = e.letters.splice(0);
    const full = e.needFull || wall - e.lastFullAtMs >= d.fullViewEveryMs || e.deltaNo >= MAX_DELTAS;
    const deltaNo = full ? 0 : e.deltaNo;
    const started = performance.now();
    let snap;
    let oldestInputAtMs: number | null;
    const writes: Promise<unknown>[] = [...letters];
    if (e.kind === 'site') {
      const f = e.shard.flush(now, wall, full);
      oldestInputAtMs = f.oldestInputAtMs;
      writes.push(d.writers.partials.publish(TopicNames.assetRollup, partialRecords(e.partition, f, now, d.partitions()), d.topics.rollup));
      writes.push(d.writers.sites.publish(TopicNames.assetState, siteViewRecords(e.partition, f, deltaNo, now), d.topics.state));
      if (snapshot) snap = snapshotRecords('site', e.partition, (e.pointer?.slot ?? 1) ^ 1, e.shard.snapshot(), Number(upTo), now);
    } else {
      const f = e.shard.flush(now, wall, full);
      oldestInputAtMs = f.oldestInputAtMs;
      writes.push(d.writers.parents.publish(TopicNames.assetState, parentViewRecords(e.partition, f, deltaNo, now), d.topics.state));
      if (snapshot) snap = snapshotRecords('parent', e.partition, (e.pointer?.slot ?? 1) ^ 1, e.shard.snapshot(), Number(upTo), now);
    }
    // A full view forced by a restore or a failed write (all shards at once, after a rebalance) sets the shard's phase for the periodic ones.
    if (full) e.lastFullAtMs = e.needFull ? wall - phaseMs(e.kind, e.partition, d.partitions(), d.fullViewEveryMs) : wall;
    e.needFull = false;
    e.deltaNo = deltaNo + 1;
    const age = (stage: 'taken' | 'acked'): void => {
      if (oldestInputAtMs !== null) d.metrics.flushAge.observe({ kind: e.kind, stage }, Math.max(0, d.wallNow() - oldestInputAtMs) / 1000);
    };
    age('taken');
    // Written beside the view, not after it: the commit waits for both, the parents for neither.
    const snapWrite = snap === undefined ? undefined : d.writers.snapshots.publish(TopicNames.assetState, snap, d.topics.state);
    snapWrite?.catch(() => undefined);
    try {
      await Promise.all(writes);
      age('acked');
      let pointer = e.pointer;
      if (snap !== undefined && snapWrite !== undefined) {
        const [first] = await snapWrite;
        const head = snap[0]?.value.batch;
        if (first !== undefined && head != null) pointer = { offset: first.baseOffset, seq: head.seq, slot: (e.pointer?.slot ?? 1) ^ 1 };
      }
      d.metrics.flushSeconds.observe({ kind: e.kind }, (performance.now() - started) / 1000);
      if (e.committedNext === upTo && pointer === e.pointer) return;
      await d.commit(e.inputTopic, e.partition, upTo, pointer === null ? '' : pointerMetadata(pointer));
      e.committedNext = upTo;
      if (pointer !== e.pointer) {
        e.pointer = pointer;
        e.lastSnapshotAtMs = wall;
      }
    } catch (err) {
      e.needFull = true;
      d.metrics.flushFailures.inc({ kind: e.kind });
      if (e.live) d.logger.warn('shard flush failed; the next one resends everything', { kind: e.kind, partition: e.partition, error: describeError(err) });
    }
  };

  return {
    /** Starts a flush if one is due (or forced by release/stop); resolves when it is done. */
    flush(e: Entry, reason: FlushReason): Promise<void> {
      if (e.flushing !== null) return reason === 'timer' ? e.flushing : e.flushing.then(() => this.flush(e, reason));
      if (e.position === null) return Promise.resolve();
      const wall = d.wallNow();
      if (e.catchUpTo !== null) {
        if (e.position < e.catchUpTo) return Promise.resolve();
        e.catchUpTo = null;
      }
      if (e.restoringSinceMs !== null) {
        d.metrics.restoreSeconds.observe((wall - e.restoringSinceMs) / 1000);
        d.metrics.lastRestoreSeconds.set((wall - e.restoringSinceMs) / 1000);
        d.metrics.restoring.dec();
        d.logger.info('shard caught up', { kind: e.kind, partition: e.partition, ms: wall - e.restoringSinceMs });
        e.restoringSinceMs = null;
      }
      if (reason === 'timer' && wall - e.lastFlushAtMs < (e.kind === 'site' ? d.siteFlushMs : d.parentFlushMs)) return Promise.resolve();
      if (e.kind === 'site' && wall - e.lastTickAtMs >= d.tickMs) {
        e.lastTickAtMs = wall;
        const n = e.shard.tick(d.now());
        if (n > 0) d.metrics.staleMarked.inc(n);
      }
      const snapshot = reason === 'stop' || wall - e.lastSnapshotAtMs >= d.snapshotEveryMs;
      const full = e.needFull || wall - e.lastFullAtMs >= d.fullViewEveryMs;
      if (!full && !snapshot && !e.shard.dirty() && e.letters.length === 0 && e.position === e.committedNext) return Promise.resolve();
      e.lastFlushAtMs = wall;
      const run = write(e, e.position, wall, snapshot).finally(() => {
        e.flushing = null;
      });
      e.flushing = run;
      return run;
    },
  };
};

export type Flusher = ReturnType<typeof createFlusher>;
