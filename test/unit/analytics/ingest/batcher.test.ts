import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { add, admit, alignedBatches, closesWindow, dedupToken, emptyBatch, flushReason, parsePlan, planMetadata, tokenOf, type BatchPolicy, type PartitionBatch } from '../../../../services/analytics/ingest/batcher.ts';

const policy = (maxRecords: number): BatchPolicy => ({ maxRecords, maxBytes: Number.MAX_SAFE_INTEGER, maxWaitMs: Number.MAX_SAFE_INTEGER });

/** Feeds offsets in the given delivery chunks through admit/add/flush, as the runner does; returns the flushed ranges. */
const run = (chunks: readonly (readonly number[])[], p: BatchPolicy): Array<[number, number]> => {
  const out: Array<[number, number]> = [];
  let b: PartitionBatch = emptyBatch('t', 0);
  // As in the runner: after a flush, the partition's floor is the next offset.
  let floor = 0;
  const flush = (): void => {
    if (b.records > 0) {
      out.push([b.firstOffset, b.lastOffset]);
      floor = b.lastOffset + 1;
    }
    b = emptyBatch('t', 0);
  };
  for (const chunk of chunks) {
    for (const o of chunk) {
      const a = admit(b, o, floor, p);
      if (a === 'skip') continue;
      if (a === 'flush-first') flush();
      b = add(b, { offset: o, rows: 1, bytes: 10, deadLetter: null }, 0);
      if (flushReason(b, 0, p) !== null) flush();
    }
  }
  flush();
  return out;
};

describe('deterministic batching', () => {
  it('names the dedup token by topic, partition and offset range', () => {
    expect(dedupToken('telemetry.v1', 7, 1000, 1999)).toBe('telemetry.v1:7:1000-1999');
    const b = add(add(emptyBatch('x', 2), { offset: 5, rows: 1, bytes: 3, deadLetter: null }, 1), { offset: 6, rows: 2, bytes: 4, deadLetter: null }, 2);
    expect(tokenOf(b)).toBe('x:2:5-6');
    expect(b).toMatchObject({ rows: 3, bytes: 7, records: 2, openedAtMs: 1 });
  });

  it('closes a batch at the last offset of its aligned window', () => {
    expect(closesWindow(999, 1000)).toBe(true);
    expect(closesWindow(1000, 1000)).toBe(false);
    expect(alignedBatches([0, 1, 2, 3, 4, 5], 4)).toEqual([[0, 3], [4, 5]]);
  });

  it('property: the same offsets make the same batches, whatever chunks Kafka delivers them in (gaps and redeliveries included)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 5_000 }), { maxLength: 400 }).map((xs) => xs.sort((a, b) => a - b)),
        fc.integer({ min: 1, max: 64 }),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 20 }),
        (offsets, n, cuts) => {
          const chunks: number[][] = [];
          let i = 0;
          let k = 0;
          while (i < offsets.length) {
            const size = cuts[k++ % cuts.length] ?? 1;
            // Redeliver the last record of the previous chunk, as Kafka does after a rebalance.
            chunks.push(offsets.slice(Math.max(0, i - 1), i + size));
            i += size;
          }
          expect(run(chunks, policy(n))).toEqual(alignedBatches(offsets, n));
        },
      ),
    );
  });

  it('skips records below the floor (already in ClickHouse) and flushes early by bytes and age', () => {
    const p: BatchPolicy = { maxRecords: 100, maxBytes: 25, maxWaitMs: 1_000 };
    expect(admit(emptyBatch('t', 0), 9, 10, p)).toBe('skip');
    expect(admit(emptyBatch('t', 0), 10, 10, p)).toBe('add');
    let b = add(emptyBatch('t', 0), { offset: 10, rows: 1, bytes: 10, deadLetter: null }, 5_000);
    expect(flushReason(b, 5_999, p)).toBeNull();
    expect(flushReason(b, 6_000, p)).toBe('age');
    b = add(b, { offset: 11, rows: 1, bytes: 20, deadLetter: null }, 5_001);
    expect(flushReason(b, 5_001, p)).toBe('bytes');
    expect(flushReason(emptyBatch('t', 0), 1e12, p)).toBeNull();
  });
});

describe('batch plans (a batch recorded before its insert is rebuilt exactly, whoever resumes)', () => {
  it('round-trips the plan through the committed-offset metadata, and ignores foreign or stale metadata', () => {
    const plan = { firstOffset: 1200, lastOffset: 1733 };
    expect(parsePlan(planMetadata(plan), 1200)).toEqual(plan);
    // A plan that does not start at the committed offset is not the pending batch.
    expect(parsePlan(planMetadata(plan), 1734)).toBeNull();
    expect(parsePlan(null, 1200)).toBeNull();
    expect(parsePlan('someone else', 1200)).toBeNull();
    expect(parsePlan('gridfleet-ingest/v1 batch 1200-x', 1200)).toBeNull();
  });

  it('property: an early-cut batch, rebuilt from its plan in any delivery chunks, is the same batch with the same token', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000 }),
        fc.integer({ min: 0, max: 300 }),
        fc.integer({ min: 1, max: 5_000 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 10 }),
        (first, length, windowSize, cuts) => {
          const plan = { firstOffset: first, lastOffset: first + length };
          const p: BatchPolicy = { maxRecords: windowSize, maxBytes: 1, maxWaitMs: 0 };
          // Records from the plan's first offset on, delivered in arbitrary chunks, with the tiniest byte and age limits.
          const offsets = Array.from({ length: length + 50 }, (_, k) => first + k);
          let b: PartitionBatch = emptyBatch('t', 3, plan);
          let flushed: PartitionBatch | null = null;
          let i = 0;
          let k = 0;
          while (flushed === null && i < offsets.length) {
            for (const o of offsets.slice(i, i + (cuts[k++ % cuts.length] ?? 1))) {
              const a = admit(b, o, first, p);
              if (a === 'flush-first') {
                flushed = b;
                break;
              }
              if (a === 'add') b = add(b, { offset: o, rows: 1, bytes: 10, deadLetter: null }, 1e9);
              if (flushReason(b, 2e9, p) !== null) {
                expect(flushReason(b, 2e9, p)).toBe('plan');
                flushed = b;
                break;
              }
            }
            i += cuts[(k - 1) % cuts.length] ?? 1;
          }
          expect(flushed).not.toBeNull();
          expect(tokenOf(flushed ?? b)).toBe(dedupToken('t', 3, plan.firstOffset, plan.lastOffset));
          expect(flushed?.records).toBe(length + 1);
        },
      ),
    );
  });

  it('a plan whose records are gone is closed by the first record past it, under the plan token', () => {
    const p: BatchPolicy = { maxRecords: 100, maxBytes: 1e9, maxWaitMs: 1e9 };
    const b = emptyBatch('t', 0, { firstOffset: 10, lastOffset: 20 });
    expect(admit(b, 25, 10, p)).toBe('flush-first');
    const partial = add(b, { offset: 12, rows: 1, bytes: 1, deadLetter: null }, 0);
    expect(flushReason(partial, 1e12, p)).toBeNull();
    expect(admit(partial, 21, 10, p)).toBe('flush-first');
    expect(tokenOf(partial)).toBe('t:0:10-20');
  });
});
