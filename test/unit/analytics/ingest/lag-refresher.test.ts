/**
 * Regression: the lag gauge was set only when a batch was handled, so while ingest was paused
 * (ClickHouse down) the backlog piling up in Kafka never showed. The refresher reads offsets on
 * its own, so lag grows with the backlog whatever the runner does.
 */
import { describe, expect, it } from 'vitest';
import type { CommittedOffset, PartitionAssignment, TopicOffsets } from '../../../../services/platform/kafka.ts';
import { createLogger } from '../../../../services/platform/logger.ts';
import { createLagRefresher } from '../../../../services/analytics/ingest/lag-refresher.ts';

const world = () => {
  const highs = new Map<string, number>();
  const committed = new Map<string, number>();
  const lag = new Map<string, number>();
  let assign: (a: readonly PartitionAssignment[]) => void = () => undefined;
  let failing = false;
  const k = (t: string, p: number): string => `${t}/${p}`;
  const refresher = createLagRefresher({
    consumer: {
      onAssignment: (l) => {
        assign = l;
      },
      committed: (topic, partitions): Promise<CommittedOffset[]> =>
        Promise.resolve(partitions.map((p) => ({ partition: p, offset: String(committed.get(k(topic, p)) ?? -1), metadata: null }))),
    },
    admin: {
      topicOffsets: (topic): Promise<TopicOffsets[]> => {
        if (failing) return Promise.reject(new Error('broker away'));
        return Promise.resolve([0, 1, 2].map((p) => ({ partition: p, low: '0', high: String(highs.get(k(topic, p)) ?? 0) })));
      },
    },
    metrics: {
      setLag: (t, p, n) => lag.set(k(t, p), n),
      dropPartition: (t, p) => lag.delete(k(t, p)),
    },
    logger: createLogger('silent'),
    intervalMs: 60_000,
  });
  return { highs, committed, lag, refresher, assign: (a: readonly PartitionAssignment[]) => assign(a), fail: (f: boolean) => (failing = f) };
};

describe('lag refresher', () => {
  it('reports lag that grows while the committed offset stands still (ingest paused)', async () => {
    const w = world();
    w.assign([{ topic: 't', partitions: [0, 1] }]);
    w.highs.set('t/0', 100);
    w.committed.set('t/0', 100);
    w.highs.set('t/1', 10);
    await w.refresher.refresh();
    expect(Object.fromEntries(w.lag)).toEqual({ 't/0': 0, 't/1': 10 });

    // Nothing is handled (no batch, no commit) while records keep arriving.
    w.highs.set('t/0', 700);
    await w.refresher.refresh();
    expect(w.lag.get('t/0')).toBe(600);
  });

  it('drops partitions this member no longer owns, and never sets them from a refresh that raced the move', async () => {
    const w = world();
    w.assign([{ topic: 't', partitions: [0, 1] }]);
    w.highs.set('t/1', 5);
    await w.refresher.refresh();
    expect([...w.lag.keys()].sort()).toEqual(['t/0', 't/1']);

    const racing = w.refresher.refresh();
    w.assign([{ topic: 't', partitions: [0] }]);
    await racing;
    expect([...w.lag.keys()]).toEqual(['t/0']);
    await w.refresher.refresh();
    expect([...w.lag.keys()]).toEqual(['t/0']);
  });

  it('keeps the last values when Kafka cannot be read, and recovers at the next refresh', async () => {
    const w = world();
    w.assign([{ topic: 't', partitions: [2] }]);
    w.highs.set('t/2', 7);
    await w.refresher.refresh();
    w.fail(true);
    w.highs.set('t/2', 9);
    await expect(w.refresher.refresh()).resolves.toBeUndefined();
    expect(w.lag.get('t/2')).toBe(7);
    w.fail(false);
    await w.refresher.refresh();
    expect(w.lag.get('t/2')).toBe(9);
  });
});
