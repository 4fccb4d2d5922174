/**
 * Ingest lag of a partition, pure: the records (offsets) Kafka holds that ClickHouse has not
 * acknowledged yet, i.e. the partition's high-water mark minus the group's committed offset.
 *
 * The committed offset, not what the consumer has read, because it is what survives a pause: when
 * ClickHouse is down the runner drops its batches and seeks back, so "read" goes backwards, while
 * the committed offset stays at the first record not yet in ClickHouse (a recorded batch plan
 * commits its batch's first offset, so an insert under way still counts as lag). It is also the
 * same number for whichever member owns the partition. lag-refresher.ts reads the offsets and sets
 * the gauge.
 */
import type { CommittedOffset, TopicOffsets } from '../../platform/kafka.ts';

export interface PartitionLag {
  readonly partition: number;
  readonly records: number;
}

/**
 * The lag of each of `owned` whose high-water mark is known (others are left out: unknown is not
 * zero). No committed offset (-1: a new group, which starts at the beginning) or one below the log
 * start (retention removed the records) counts from the log start. Never negative.
 */
export const partitionLags = (ends: readonly TopicOffsets[], committed: readonly CommittedOffset[], owned: readonly number[]): PartitionLag[] => {
  const endOf = new Map(ends.map((e) => [e.partition, e]));
  const committedOf = new Map(committed.map((c) => [c.partition, Number(c.offset)]));
  return owned.flatMap((partition) => {
    const end = endOf.get(partition);
    if (end === undefined) return [];
    const low = Number(end.low);
    const high = Number(end.high);
    const c = committedOf.get(partition);
    const next = c === undefined || !Number.isFinite(c) || c < low ? low : c;
    return [{ partition, records: Math.max(0, high - next) }];
  });
};
