/**
 * Deterministic batching per partition, pure (no clock, no I/O: the caller passes times in).
 *
 * A partition's offsets are cut into aligned windows of `maxRecords` offsets: [0, N), [N, 2N), ...
 * A batch never spans two windows and closes when the window's last offset arrives, so the same
 * offsets always make the same batch and therefore the same insert_deduplication_token
 * `<topic>:<partition>:<first>-<last>`, whichever fetch sizes Kafka delivered them in and
 * whichever process reads them. Two more reasons close a batch early: it has waited `maxWaitMs`
 * (latency on a quiet partition) or holds `maxBytes` (bounded memory). An early cut is not a
 * function of the offsets alone; ingest stays exactly-once across those too because every raw row
 * carries its offset and a restarted reader skips what ClickHouse already has (see ingest-runner).
 */
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
}

export const emptyBatch = (topic: string, partition: number): PartitionBatch => ({
  topic, partition, firstOffset: -1, lastOffset: -1, records: 0, rows: 0, bytes: 0, deadLetters: [], openedAtMs: 0,
});

export const isEmpty = (b: PartitionBatch): boolean => b.records === 0;

export const tokenOf = (b: PartitionBatch): string => dedupToken(b.topic, b.partition, b.firstOffset, b.lastOffset);

/** What to do before adding a record at `offset`. */
export type Admission = 'skip' | 'flush-first' | 'add';

/**
 * `skip` a record already in the batch (Kafka may deliver it again after a rebalance or seek) or
 * below the partition's floor (already in ClickHouse); `flush-first` when it opens a new window.
 */
export const admit = (b: PartitionBatch, offset: number, floor: number, policy: BatchPolicy): Admission => {
  if (offset < floor) return 'skip';
  if (!isEmpty(b) && offset <= b.lastOffset) return 'skip';
  if (!isEmpty(b) && windowOf(offset, policy.maxRecords) !== windowOf(b.firstOffset, policy.maxRecords)) return 'flush-first';
  return 'add';
};

export interface Addition {
  readonly offset: number;
  readonly rows: number;
  /** Encoded bytes of the record's rows (0 for a dead letter or a record without rows). */
  readonly bytes: number;
  readonly deadLetter: DeadLetterDraft | null;
}

/** The batch with one more record. Dead letters are rare, so copying their list is fine. */
export const add = (b: PartitionBatch, a: Addition, nowMs: number): PartitionBatch => ({
  ...b,
  firstOffset: isEmpty(b) ? a.offset : b.firstOffset,
  lastOffset: a.offset,
  records: b.records + 1,
  rows: b.rows + a.rows,
  bytes: b.bytes + a.bytes,
  deadLetters: a.deadLetter === null ? b.deadLetters : [...b.deadLetters, a.deadLetter],
  openedAtMs: isEmpty(b) ? nowMs : b.openedAtMs,
});

/** Why a batch should be flushed now, or null to keep filling it. */
export const flushReason = (b: PartitionBatch, nowMs: number, policy: BatchPolicy): 'window' | 'bytes' | 'age' | null => {
  if (isEmpty(b)) return null;
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
