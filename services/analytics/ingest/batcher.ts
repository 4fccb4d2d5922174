/**
 * Batching per partition, pure (no clock, no I/O: the caller passes times in).
 *
 * A partition's offsets are cut into aligned windows of `maxRecords` offsets: [0, N), [N, 2N), ...
 * A batch never spans two windows and closes when the window's last offset arrives. Two more
 * reasons close a batch early: it has waited `maxWaitMs` (latency on a quiet partition) or holds
 * `maxBytes` (bounded memory); an early cut depends on timing, not on the offsets alone.
 *
 * What makes every batch reproducible, early cuts included, is its plan: before a batch is
 * inserted, its range is committed to the consumer group as the partition's offset metadata
 * (`planMetadata`, fenced by the group generation, see ingest-runner). Whoever resumes the partition
 * (this process after a failed insert, a restarted one, or another member after a rebalance) reads
 * the plan and rebuilds exactly that batch (`emptyBatch(..., plan)`: no window, byte or age cut
 * before the plan's last offset), so the same offsets make the same batch and the same
 * insert_deduplication_token `<topic>:<partition>:<first>-<last>` whoever inserts it.
 */
import type { RowIdentity } from './telemetry-dedup.ts';

export interface BatchPolicy {
  /** Records per aligned window (the most a batch holds). */
  readonly maxRecords: number;
  /** Encoded bytes after which a batch is cut early. */
  readonly maxBytes: number;
  /** Age after which a non-empty batch is flushed. */
  readonly maxWaitMs: number;
}

export const dedupToken = (topic: string, partition: number, firstOffset: number, lastOffset: number): string =>
  `${topic}:${partition}:${firstOffset}-${lastOffset}`;

/** A batch's offset range as recorded in the group before its insert. */
export interface BatchPlan {
  readonly firstOffset: number;
  readonly lastOffset: number;
}

const PLAN_PREFIX = 'gridfleet-ingest/v1 batch ';

/** The committed-offset metadata that records a planned batch. */
export const planMetadata = (p: BatchPlan): string => `${PLAN_PREFIX}${p.firstOffset}-${p.lastOffset}`;

/**
 * The plan recorded with a committed offset, or null (no metadata, another writer's metadata, or a
 * plan that does not start at the committed offset: then it is not the pending batch).
 */
export const parsePlan = (metadata: string | null, committedNext: number): BatchPlan | null => {
  if (metadata === null || !metadata.startsWith(PLAN_PREFIX)) return null;
  const m = /^(\d+)-(\d+)$/.exec(metadata.slice(PLAN_PREFIX.length));
  if (m === null) return null;
  const plan = { firstOffset: Number(m[1]), lastOffset: Number(m[2]) };
  return plan.firstOffset === committedNext && plan.lastOffset >= plan.firstOffset ? plan : null;
};

export const windowOf = (offset: number, maxRecords: number): number => Math.floor(offset / maxRecords);

/** Whether `offset` is the last offset of its aligned window. */
export const closesWindow = (offset: number, maxRecords: number): boolean => (offset + 1) % maxRecords === 0;

export interface DeadLetterDraft {
  readonly offset: number;
  readonly key: string | null;
  readonly reason: string;
  readonly errorCode: string;
  readonly payload: Buffer | null;
}

/** The records of one partition waiting for their insert. */
export interface PartitionBatch {
  readonly topic: string;
  readonly partition: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
  readonly records: number;
  readonly rows: number;
  /** Encoded RowBinary bytes so far (the bytes themselves live in the caller's ByteSink). */
  readonly bytes: number;
  readonly deadLetters: readonly DeadLetterDraft[];
  readonly openedAtMs: number;
  /** Set when this batch reproduces a recorded plan: it then covers exactly the plan's range. */
  readonly plan: BatchPlan | null;
}

export const emptyBatch = (topic: string, partition: number, plan: BatchPlan | null = null): PartitionBatch => ({
  topic, partition, firstOffset: -1, lastOffset: -1, records: 0, rows: 0, bytes: 0, deadLetters: [], openedAtMs: 0, plan,
});

export const isEmpty = (b: PartitionBatch): boolean => b.records === 0;

/** The batch's range: its plan's when it reproduces one (records of the range may have been compacted away). */
export const rangeOf = (b: PartitionBatch): BatchPlan => b.plan ?? { firstOffset: b.firstOffset, lastOffset: b.lastOffset };

export const tokenOf = (b: PartitionBatch): string => {
  const r = rangeOf(b);
  return dedupToken(b.topic, b.partition, r.firstOffset, r.lastOffset);
};

/** What to do before adding a record at `offset`. */
export type Admission = 'skip' | 'flush-first' | 'add';

/**
 * `skip` a record already in the batch (Kafka may deliver it again after a rebalance or seek) or
 * below the partition's floor (committed: already in ClickHouse); `flush-first` when it opens a new
 * window, or lies past the plan the batch reproduces.
 */
export const admit = (b: PartitionBatch, offset: number, floor: number, policy: BatchPolicy): Admission => {
  if (offset < floor) return 'skip';
  if (!isEmpty(b) && offset <= b.lastOffset) return 'skip';
  if (b.plan !== null) return offset <= b.plan.lastOffset ? 'add' : 'flush-first';
  if (!isEmpty(b) && windowOf(offset, policy.maxRecords) !== windowOf(b.firstOffset, policy.maxRecords)) return 'flush-first';
  return 'add';
};

export interface Addition {
  readonly offset: number;
  readonly rows: number;
  /** Encoded bytes of the record's rows (0 for a dead letter or a record without rows). */
  readonly bytes: number;
  readonly deadLetter: DeadLetterDraft | null;
  /** Where each row's bytes lie, for tables whose rows have an identity (telemetry-dedup.ts). */
  readonly identities?: readonly RowIdentity[];
}

/** The batch with one more record. Dead letters are rare, so copying their list is fine. (A literal, not a spread: this runs per record.) */
export const add = (b: PartitionBatch, a: Addition, nowMs: number): PartitionBatch => {
  const empty = isEmpty(b);
  return {
    topic: b.topic,
    partition: b.partition,
    firstOffset: empty ? a.offset : b.firstOffset,
    lastOffset: a.offset,
    records: b.records + 1,
    rows: b.rows + a.rows,
    bytes: b.bytes + a.bytes,
    deadLetters: a.deadLetter === null ? b.deadLetters : [...b.deadLetters, a.deadLetter],
    openedAtMs: empty ? nowMs : b.openedAtMs,
    plan: b.plan,
  };
};

/** Why a batch should be flushed now, or null to keep filling it. */
export const flushReason = (b: PartitionBatch, nowMs: number, policy: BatchPolicy): 'plan' | 'window' | 'bytes' | 'age' | null => {
  if (isEmpty(b)) return null;
  // A reproduced plan is cut where it was cut the first time, never earlier.
  if (b.plan !== null) return b.lastOffset >= b.plan.lastOffset ? 'plan' : null;
  if (closesWindow(b.lastOffset, policy.maxRecords)) return 'window';
  if (b.bytes >= policy.maxBytes) return 'bytes';
  if (nowMs - b.openedAtMs >= policy.maxWaitMs) return 'age';
  return null;
};

/**
 * Cuts a list of offsets into batches as the batcher would without early cuts: the reference for
 * the determinism property (any delivery split gives the same batches).
 */
export const alignedBatches = (offsets: readonly number[], maxRecords: number): Array<[number, number]> => {
  const out: Array<[number, number]> = [];
  for (const o of offsets) {
    const last = out.at(-1);
    if (last !== undefined && windowOf(last[0], maxRecords) === windowOf(o, maxRecords) && !closesWindow(last[1], maxRecords)) last[1] = o;
    else out.push([o, o]);
  }
  return out;
};
