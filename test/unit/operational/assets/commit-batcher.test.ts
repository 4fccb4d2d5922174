import { describe, expect, it } from 'vitest';
import { createCommitBatcher } from '../../../../services/operational/assets/commit-batcher.ts';
import { PlatformError } from '../../../../services/platform/errors.ts';
import type { OwnedCommit } from '../../../../services/platform/kafka.ts';

const at = (partition: number): OwnedCommit => ({ topic: 't', partition, next: String(partition * 10), metadata: '' });

describe('commit batcher', () => {
  it('sends the commits of one turn as one request', async () => {
    const calls: number[][] = [];
    const commit = createCommitBatcher((offsets) => {
      calls.push(offsets.map((o) => o.partition));
      return Promise.resolve();
    });
    await Promise.all([0, 1, 2, 3].map((p) => commit(at(p))));
    expect(calls).toEqual([[0, 1, 2, 3]]);
    await commit(at(5));
    expect(calls).toEqual([[0, 1, 2, 3], [5]]);
  });

  it('a partition no longer owned fails alone: the batch is sent again one by one', async () => {
    const calls: number[][] = [];
    const commit = createCommitBatcher((offsets) => {
      calls.push(offsets.map((o) => o.partition));
      return offsets.some((o) => o.partition === 2) ? Promise.reject(new PlatformError('KAFKA_NOT_OWNER', 'not owned: t[2]')) : Promise.resolve();
    });
    const results = await Promise.allSettled([0, 1, 2].map((p) => commit(at(p))));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    expect(calls).toEqual([[0, 1, 2], [0], [1], [2]]);
  });

  it('any other failure fails every commit of the batch (each shard commits again with its next flush)', async () => {
    let calls = 0;
    const commit = createCommitBatcher(() => {
      calls++;
      return Promise.reject(new PlatformError('KAFKA_UNAVAILABLE', 'coordinator down'));
    });
    const results = await Promise.allSettled([0, 1].map((p) => commit(at(p))));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(calls).toBe(1);
  });
});
