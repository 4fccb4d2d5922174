import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { partitionLags } from '../../../../services/analytics/ingest/partition-lag.ts';

const end = (partition: number, low: number, high: number) => ({ partition, low: String(low), high: String(high) });
const at = (partition: number, offset: number) => ({ partition, offset: String(offset), metadata: null });

describe('partitionLags (pure)', () => {
  it('is the high-water mark minus the committed offset, per owned partition', () => {
    expect(partitionLags([end(0, 0, 100), end(1, 0, 50), end(2, 0, 9)], [at(0, 40), at(1, 50), at(2, 3)], [0, 1])).toEqual([
      { partition: 0, records: 60 },
      { partition: 1, records: 0 },
    ]);
  });

  it('counts from the log start when nothing is committed or the committed records are gone', () => {
    expect(partitionLags([end(0, 10, 30)], [at(0, -1)], [0])).toEqual([{ partition: 0, records: 20 }]);
    expect(partitionLags([end(0, 10, 30)], [], [0])).toEqual([{ partition: 0, records: 20 }]);
    expect(partitionLags([end(0, 10, 30)], [at(0, 4)], [0])).toEqual([{ partition: 0, records: 20 }]);
  });

  it('leaves out an owned partition whose end is unknown rather than reporting 0', () => {
    expect(partitionLags([end(0, 0, 5)], [at(1, 0)], [0, 1])).toEqual([{ partition: 0, records: 5 }]);
  });

  it('grows by exactly what is produced while the committed offset stands still (ingest paused)', () => {
    fc.assert(
      fc.property(fc.nat(1_000), fc.nat(1_000), fc.nat(1_000), fc.nat(10_000), (low, ahead, backlog, produced) => {
        const committed = low + ahead;
        const high = committed + backlog;
        const before = partitionLags([end(0, low, high)], [at(0, committed)], [0])[0]?.records;
        const after = partitionLags([end(0, low, high + produced)], [at(0, committed)], [0])[0]?.records;
        expect(before).toBe(backlog);
        expect(after).toBe(backlog + produced);
      }),
    );
  });

  it('is never negative and never more than the partition holds', () => {
    fc.assert(
      fc.property(fc.nat(1_000), fc.nat(1_000), fc.integer({ min: -1, max: 3_000 }), (low, size, committed) => {
        const [lag] = partitionLags([end(3, low, low + size)], [at(3, committed)], [3]);
        expect(lag?.records).toBeGreaterThanOrEqual(0);
        expect(lag?.records).toBeLessThanOrEqual(size);
      }),
    );
  });
});
