/**
 * Keeps gridfleet_ingest_lag_records true whatever the runner is doing. Every `intervalMs` it reads
 * the high-water marks of the partitions this member owns (the adapter's admin topicOffsets) and the
 * group's committed offsets, and sets the gauge from partitionLags. Lag used to be set only when a
 * batch was handled, so while ingest was paused (ClickHouse down) or a topic was rejected, the
 * backlog piling up in Kafka never showed: the gauge kept the last value a batch left behind.
 *
 * Partitions this member no longer owns lose their series at once (their new owner reports them).
 * A failed read keeps the last values and is tried again at the next tick; one refresh at a time.
 */
import { describeError } from '../../platform/errors.ts';
import type { Admin, Consumer, PartitionAssignment } from '../../platform/kafka.ts';
import type { Logger } from '../../platform/logger.ts';
import type { IngestMetrics } from './ingest-metrics.ts';
import { partitionLags } from './partition-lag.ts';

export interface LagRefresherDeps {
  readonly consumer: Pick<Consumer, 'committed' | 'onAssignment'>;
  readonly admin: Pick<Admin, 'topicOffsets'>;
  readonly metrics: Pick<IngestMetrics, 'setLag' | 'dropPartition'>;
  readonly logger: Logger;
  readonly intervalMs: number;
}

export interface LagRefresher {
  /** Refreshes now (joins a refresh under way); never rejects. */
  refresh(): Promise<void>;
  start(): void;
  stop(): void;
}

const keyOf = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/** Subscribes to the consumer's assignments at once: create it before the consumer runs. */
export const createLagRefresher = (d: LagRefresherDeps): LagRefresher => {
  let owned: readonly PartitionAssignment[] = [];
  const shown = new Map<string, { topic: string; partition: number }>();
  let running: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;

  d.consumer.onAssignment((assigned) => {
    owned = assigned;
    const keep = new Set(assigned.flatMap((a) => a.partitions.map((p) => keyOf(a.topic, p))));
    for (const [k, { topic, partition }] of shown) {
      if (keep.has(k)) continue;
      shown.delete(k);
      d.metrics.dropPartition(topic, partition);
    }
  });

  const refreshOnce = async (): Promise<void> => {
    const assignment = owned;
    for (const { topic, partitions } of assignment) {
      if (partitions.length === 0) continue;
      try {
        const [ends, committed] = await Promise.all([d.admin.topicOffsets(topic), d.consumer.committed(topic, partitions)]);
        // Reassigned while reading: these partitions may be someone else's now; the next tick measures the new set.
        if (owned !== assignment) return;
        for (const { partition, records } of partitionLags(ends, committed, partitions)) {
          shown.set(keyOf(topic, partition), { topic, partition });
          d.metrics.setLag(topic, partition, records);
        }
      } catch (e) {
        d.logger.debug('reading offsets for the lag failed; keeping the last values', { topic, error: describeError(e) });
      }
    }
  };

  const refresh = (): Promise<void> => {
    running ??= refreshOnce().finally(() => {
      running = undefined;
    });
    return running;
  };

  return {
    refresh,
    start() {
      timer ??= setInterval(() => void refresh(), d.intervalMs);
    },
    stop() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
    },
  };
};
