/**
 * Regression: readAll (which restores shards from asset.state.v1) never finished a partition
 * larger than one fetch (about 1 MB), because kafkajs fetched the same unresolved batch again and
 * again until the timeout. A shard of a large fleet is far larger than one fetch.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { testKafka } from '../../../support/clients.ts';
import { freshName } from '../../../support/stack-env.ts';

describe('readAll of a changelog partition larger than one fetch', () => {
  const kafka = testKafka('assets-read-all');
  const topic = freshName('assets-read-all');
  afterAll(async () => {
    const a = await kafka.admin();
    await a.deleteTopics([topic]).finally(() => a.disconnect());
  });

  it('reads every record exactly once, to the end', async () => {
    const admin = await kafka.admin();
    await admin.ensureTopics([{ name: topic, key: 'assetId', description: 'test', partitions: 1, replicationFactor: 1, configs: {} }]).finally(() => admin.disconnect());
    const producer = await kafka.producer();
    for (let i = 0; i < 10; i++) await producer.send(topic, Array.from({ length: 1_000 }, (_, k) => ({ key: `asset-${i}-${k}`, value: Buffer.alloc(400, i) })));
    await producer.disconnect();
    const records = await kafka.readAll(topic, { timeoutMs: 30_000 });
    expect(records.length).toBe(10_000);
    expect(new Set(records.map((r) => r.offset)).size).toBe(10_000);
  });
});
